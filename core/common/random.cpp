#include "common/random.h"

#include <cmath>
#include <numbers>

namespace rnnscope {

namespace {

std::uint64_t splitmix64(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

} // namespace

Rng::Rng(std::uint64_t seed, Stream stream, std::uint64_t substream)
    : m_gen(splitmix64(splitmix64(splitmix64(seed) ^ (static_cast<std::uint64_t>(stream) * 0xd1b54a32d192ed03ULL))
                       + substream))
{
}

double Rng::uniform01()
{
    return static_cast<double>(m_gen() >> 11) * 0x1.0p-53;
}

double Rng::uniform(double lo, double hi)
{
    return lo + (hi - lo) * uniform01();
}

double Rng::normal()
{
    if (m_spare) {
        const double z = *m_spare;
        m_spare.reset();
        return z;
    }
    const double u1 = 1.0 - uniform01(); // (0, 1]: log is finite
    const double u2 = uniform01();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    m_spare = r * std::sin(theta);
    return r * std::cos(theta);
}

} // namespace rnnscope
