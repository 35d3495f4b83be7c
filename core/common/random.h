#pragma once
// Seeded, platform-independent random numbers.
//
// The generator is std::mt19937_64 (its output is fixed by the standard); the distributions are
// our own, because std:: distributions differ between standard libraries. Each quantity draws from
// its own stream, derived from the seed by splitmix64:
//
//   state = splitmix64(splitmix64(splitmix64(seed) ^ stream · 0xd1b54a32d192ed03) + substream)
//   uniform01 = (next >> 11) · 2⁻⁵³,   normal: Box–Muller, the second value kept for the next call

#include <cstdint>
#include <optional>
#include <random>

namespace rnnscope {

enum class Stream : std::uint64_t { Wx = 1, Wh = 2, bh = 3, Wo = 4, bo = 5, X = 6, Task = 7, Shuffle = 8 };

class Rng {
public:
    // `substream` splits one stream further (X draws each sample from its own).
    Rng(std::uint64_t seed, Stream stream, std::uint64_t substream = 0);
    double uniform01();        // [0, 1), 53 random bits
    double uniform(double lo, double hi);
    double normal();           // standard normal (Box–Muller)

private:
    std::mt19937_64 m_gen;
    std::optional<double> m_spare;
};

} // namespace rnnscope
