#pragma once
// What the fuzz targets share. Each target feeds one loader of core with arbitrary bytes and
// checks what core promises for every input (DESIGN.md §3, §5; core/io/npy.h):
//
//   - the loader returns, or throws rnnscope::Error (a refusal with a message); any other
//     exception escapes LLVMFuzzerTestOneInput and ends the process (std::terminate): a finding;
//   - it never reads out of bounds, leaks, or allocates without bound (AddressSanitizer,
//     LeakSanitizer, libFuzzer's -rss_limit_mb / -malloc_limit_mb), nor runs into undefined
//     behaviour (UBSan, -fno-sanitize-recover);
//   - what it returns is consistent (check(): the shape matches the values, a round trip through
//     the writer gives the same array, …); a violated invariant aborts.
//
// The same sources build two ways: with clang and -fsanitize=fuzzer (fuzz/CMakeLists.txt,
// scripts/fuzz.sh), and with any compiler and replay_main.cpp as CTest tests that run every file
// of fuzz/corpus/<target>/ once (tests/CMakeLists.txt): a crash the fuzzer found, once its input
// is added to the corpus, stays a regression test of the ordinary test suite.

#include "common/error.h"
#include "io/networkfile.h"
#include "common/ndarray.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace fuzzsupport {

// Aborts with `what` when `condition` is false (kept in release builds, unlike assert).
inline void check(bool condition, const char *what)
{
    if (!condition) {
        std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
        std::abort();
    }
}

// The same values, bit for bit (NaN payloads included, where == would fail).
inline bool sameValues(const std::vector<double> &a, const std::vector<double> &b)
{
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

// The same array: shape, dtype and every value bit for bit.
inline bool sameArray(const rnnscope::NdArray &a, const rnnscope::NdArray &b, bool compareDtype = true)
{
    return a.shape == b.shape && (!compareDtype || a.dtype == b.dtype) && sameValues(a.values, b.values);
}

// A refusal as core promises it: one line that starts with the name of the source.
inline void checkRefusal(const rnnscope::Error &e, const std::string &name)
{
    const std::string message = e.what();
    check(message.rfind(name, 0) == 0, "a refusal does not start with the file's name");
    check(message.find('\n') == std::string::npos, "a refusal is more than one line");
}

// What `read()` returns, or nothing when it refuses: then with an Error as core promises it
// (checkRefusal for `name`). Any other exception escapes, and the fuzzer reports it.
template <typename Read>
auto readOrRefusal(const std::string &name, Read &&read) -> std::optional<decltype(read())>
{
    try {
        return read();
    } catch (const rnnscope::Error &e) {
        checkRefusal(e, name);
        return std::nullopt;
    }
}

// An array whose values fit its shape, as every loader promises.
inline void checkArray(const rnnscope::NdArray &a)
{
    check(a.values.size() == a.size(), "an array's values do not match its shape");
    for (const std::int64_t extent : a.shape)
        check(extent >= 0, "an array with a negative extent");
}

// A network a loader opened: its weights fit its layers, as Network takes them.
inline void checkNetworkOpened(const rnnscope::LoadedNetwork &n)
{
    rnnscope::NetworkConfig c;
    c.layers = n.layers;
    check(!n.layers.empty() && n.weights.layers.size() == n.layers.size(), "a network was opened without its layers' weights");
    c.D = n.D();
    c.K = n.K();
    try {
        rnnscope::checkStack(c.layers);
        rnnscope::checkShapes(n.weights, c);
    } catch (const rnnscope::Error &) {
        check(false, "a network was opened whose weights do not fit its layers");
    }
}

inline const std::uint8_t *bytes(const std::string &s)
{
    return reinterpret_cast<const std::uint8_t *>(s.data());
}

} // namespace fuzzsupport
