// Fuzzes decodeSession (core/io/sessionfile.h): any bytes as a session file (`rnnscope FILE.json`,
// File ▸ Open).
//
// Beyond "refuse or return, never crash" (fuzzsupport.h; with a 64 MiB memory budget, so that the
// sizes a file announces are refused before they are allocated): an accepted session fits together
// — the weights' shapes, X of D × (T·N), the timestep in −1 … T−1, the sample in 0 … N−1, the
// plotted units distinct and in 0 … M−1 — and it reopens exactly: written with encodeSession and
// read again, it is written back byte for byte the same.

#include "fuzzsupport.h"
#include "io/sessionfile.h"
#include "nn/weights.h"

#include <algorithm>
#include <optional>
#include <string_view>

using namespace rnnscope;
using namespace fuzzsupport;

namespace {

constexpr std::uint64_t kBudget = std::uint64_t(64) << 20;

void checkSession(const SessionData &s)
{
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
    std::vector<int> units = s.view.units;
    std::sort(units.begin(), units.end());
    check(std::adjacent_find(units.begin(), units.end()) == units.end(), "a session plots a hidden unit twice");
    check(units.empty() || (units.front() >= 0 && units.back() < d.M), "a session plots a hidden unit outside 0 … M-1");
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
