#include "nn/dims.h"

#include "common/error.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <vector>

namespace rnnscope {

std::string dimsString(const Dims &d)
{
    return std::to_string(d.N) + "," + std::to_string(d.T) + "," + std::to_string(d.D) + ","
        + std::to_string(d.M) + "," + std::to_string(d.K);
}

std::optional<long long> parseDimsField(const std::string &field)
{
    long long v = 0;
    const char *begin = field.data();
    const char *end = field.data() + field.size();
    while (begin < end && *begin == ' ')
        ++begin;
    while (end > begin && end[-1] == ' ')
        --end;
    const auto [ptr, ec] = std::from_chars(begin, end, v);
    if (begin == end || ec != std::errc() || ptr != end)
        return std::nullopt;
    return v;
}

Dims parseDims(const std::string &text)
{
    const auto malformed = [&text](const std::string &why) {
        return Error(ErrorKind::BadUsage, "--dims '" + text + "' is malformed (" + why
                                              + "): expected five integers N,T,D,M,K such as 1,10,3,5,2");
    };
    std::vector<long long> values;
    std::size_t pos = 0;
    while (true) {
        const std::size_t comma = text.find(',', pos);
        const std::string field = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        const std::optional<long long> v = parseDimsField(field);
        if (!v)
            throw malformed(field.empty() ? "an empty field" : "'" + field + "' is not an integer");
        values.push_back(*v);
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    if (values.size() != 5)
        throw malformed(std::to_string(values.size()) + " values");
    // A value past what any dimension takes is refused here, under the value typed (an int would
    // not hold it); the others are checked with the model.
    for (std::size_t i = 0; i < 5; ++i)
        if (values[i] < -(1LL << 30) || values[i] > (1LL << 30))
            validateDim("NTDMK"[i], values[i]);
    const auto clampInt = [](long long v) { return static_cast<int>(v); };
    return Dims{clampInt(values[0]), clampInt(values[1]), clampInt(values[2]), clampInt(values[3]),
                clampInt(values[4])};
}

void validateDim(char name, long long value)
{
    const int lo = name == 'K' ? 0 : 1;
    const int hi = name == 'N'   ? DimLimits::maxN
                   : name == 'T' ? DimLimits::maxT
                   : name == 'D' ? DimLimits::maxD
                   : name == 'M' ? DimLimits::maxM
                                 : DimLimits::maxK;
    if (value < lo || value > hi) {
        const std::string n(1, name);
        throw Error(ErrorKind::OutOfRange, n + "=" + std::to_string(value) + " is out of range: expected "
                                               + std::to_string(lo) + " ≤ " + n + " ≤ " + std::to_string(hi));
    }
}

void validateDims(const Dims &d)
{
    validateDim('N', d.N);
    validateDim('T', d.T);
    validateDim('D', d.D);
    validateDim('M', d.M);
    validateDim('K', d.K);
}

std::uint64_t estimateBytes(const Dims &d, DType dtype, const CellSpec &cell)
{
    // Long double keeps the arithmetic exact enough and free of overflow for any int inputs.
    const long double s = dtype == DType::Float32 ? 4 : 8;
    const long double N = d.N, T = d.T, D = d.D, M = d.M, K = d.K, g = cell.gates();
    const long double states = cell.kind == CellKind::LSTM ? 2 : 1; // h, and an LSTM's c
    const long double input = N * T * D * (8 + s);
    const long double history = N * T * M * (g + states) * s + N * T * K * s + N * T * 16;
    const long double weights = (g * D * M + g * M * M + cell.biasRows() * g * M + M * K + K) * (8 + s);
    const auto side = [](long double n) { return std::clamp(n, 0.0L, static_cast<long double>(kMaxImageSide)); };
    const long double t = side(d.T), dd = side(d.D), m = side(d.M), k = side(d.K), gm = side(g * d.M);
    const long double views = 4 * (t * m + t * dd + dd * gm + m * gm + cell.biasRows() * gm + m * k + k);
    const long double total = input + history + weights + views;
    if (total >= 1.8e19L)
        return UINT64_MAX;
    return static_cast<std::uint64_t>(total);
}

std::string formatBytes(std::uint64_t bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 6) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    else
        std::snprintf(buf, sizeof buf, v < 10 ? "%.2f %s" : "%.1f %s", v, units[u]);
    return buf;
}

void checkDims(const Dims &d, DType dtype, std::uint64_t budget, const CellSpec &cell)
{
    validateDims(d);
    const std::uint64_t need = estimateBytes(d, dtype, cell);
    if (need > budget)
        throw Error(ErrorKind::TooLarge,
                    "N=" + std::to_string(d.N) + ", T=" + std::to_string(d.T) + ", D=" + std::to_string(d.D)
                        + ", M=" + std::to_string(d.M) + ", K=" + std::to_string(d.K) + " ("
                        + (cell.kind == CellKind::SimpleRNN ? "" : std::string(cellClassName(cell.kind)) + ", ")
                        + dtypeName(dtype) + ") would need " + formatBytes(need) + ", more than the " + formatBytes(budget)
                        + " memory budget");
}

} // namespace rnnscope
