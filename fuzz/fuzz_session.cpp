// Fuzzes decodeSession (core/io/sessionfile.h): any bytes as a session file (`rnnscope FILE.json`,
// File ▸ Open).
//
// Beyond "refuse or return, never crash" (fuzzsupport.h; with a 64 MiB memory budget, so that the
// sizes a file announces are refused before they are allocated): an accepted session fits together
// — the weights' shapes, X of D × (T·N), the timestep in −1 … T−1, the sample in 0 … N−1, the
// plotted units distinct and in 0 … M−1; a network's (version 3) weights fit its stack as Network
// takes them, its token ids are in its vocabulary, the layer and direction on show are its own —
// and it reopens exactly: written with encodeSession and read again, it is written back byte for
// byte the same.

#include "fuzzsupport.h"
#include "io/sessionfile.h"
#include "nn/weights.h"
#include "run/network.h"

#include <algorithm>
#include <optional>
#include <string_view>

using namespace rnnscope;
using namespace fuzzsupport;

namespace {

constexpr std::uint64_t kBudget = std::uint64_t(64) << 20;

void checkUnits(const std::vector<int> &plotted, int M)
{
    std::vector<int> units = plotted;
    std::sort(units.begin(), units.end());
    check(std::adjacent_find(units.begin(), units.end()) == units.end(), "a session plots a hidden unit twice");
    check(units.empty() || (units.front() >= 0 && units.back() < M), "a session plots a hidden unit outside 0 … M-1");
}

void checkNetworkSession(const SessionData &s)
{
    const NetworkState &n = *s.network;
    const NetworkConfig &c = n.config;
    try {
        checkNetwork(c);
        checkShapes(n.weights, c);
    } catch (const Error &) {
        check(false, "a network session was accepted whose stack or weights Network refuses");
    }
    if (c.hasEmbedding()) {
        check(n.X.size() == 0 && n.ids.size() == static_cast<std::size_t>(c.N) * c.T, "a network session's token ids are not N·T");
        check(std::all_of(n.ids.begin(), n.ids.end(), [&](int id) { return id >= 0 && id < c.vocabulary; }),
              "a network session's token id is outside its vocabulary");
    } else {
        check(n.ids.empty() && n.X.rows() == c.D && n.X.cols() == static_cast<Eigen::Index>(c.T) * c.N,
              "a network session's X is not D × (T·N)");
    }
    check(s.timestep >= -1 && s.timestep < c.T, "a session's timestep is outside -1 … T-1");
    check(s.sample >= 0 && s.sample < c.N, "a session's sample is outside 0 … N-1");
    check(s.layer >= 0 && s.layer < c.layerCount(), "a network session shows a layer it does not have");
    const LayerSpec &shown = c.layers[static_cast<std::size_t>(s.layer)];
    check(s.direction >= 0 && s.direction < shown.directions(), "a network session shows a direction its layer does not have");
    checkUnits(s.view.units, shown.units);
}

void checkSession(const SessionData &s)
{
    if (s.network) {
        checkNetworkSession(s);
        return;
    }
    const Dims &d = s.model.config.dims;
    try {
        checkShapes(s.model.weights);
    } catch (const Error &) {
        check(false, "a session was accepted whose weights do not fit together");
    }
    const Weights &w = s.model.weights;
    check(w.D() == d.D && w.M() == d.M && w.K() == d.K, "a session's weights do not have its dims");
    check(s.model.X.rows() == d.D && s.model.X.cols() == static_cast<Eigen::Index>(d.T) * d.N,
          "a session's X is not D × (T·N)");
    check(s.timestep >= -1 && s.timestep < d.T, "a session's timestep is outside -1 … T-1");
    check(s.sample >= 0 && s.sample < d.N, "a session's sample is outside 0 … N-1");
    checkUnits(s.view.units, d.M);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    const auto session = readOrRefusal("fuzz.json", [&] { return decodeSession(text, "fuzz.json", kBudget); });
    if (!session)
        return 0;
    checkSession(*session);

    const std::string written = encodeSession(*session);
    std::optional<SessionData> again;
    try {
        again = decodeSession(written, "roundtrip.json", kBudget);
    } catch (const Error &e) {
        std::fprintf(stderr, "%s\n", e.what());
        check(false, "a session written by encodeSession does not read back");
    }
    checkSession(*again);
    check(encodeSession(*again) == written, "a session read back is written differently");
    return 0;
}
