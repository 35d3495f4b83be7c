#pragma once
// rnnscope::Dims — the five sizes of Input((T, D)) -> SimpleRNN(M) -> Dense(K), batched over N.
//
//   N  samples (batch)          X is (N, T, D)
//   T  timesteps                h_t is (N, M) for t = 0 … T-1
//   D  input features           Y is (N, K), or (N, T, K) with return_sequences
//   M  hidden units
//   K  output units (0: no Dense layer; the model's output is then the SimpleRNN's)

#include "ndarray.h"

#include <cstdint>
#include <string>

namespace rnnscope {

struct Dims {
    int N = 1;
    int T = 10;
    int D = 3;
    int M = 5;
    int K = 2;

    bool operator==(const Dims &) const = default;
};

// The largest value each dimension accepts (the smallest is 1, and 0 for K).
struct DimLimits {
    static constexpr int maxN = 1 << 20;
    static constexpr int maxT = 1 << 20;
    static constexpr int maxD = 1 << 16;
    static constexpr int maxM = 1 << 14;
    static constexpr int maxK = 1 << 16;
};

// The default memory budget for one model: everything a forward pass and the step history hold.
constexpr std::uint64_t kDefaultMemoryBudget = std::uint64_t(4) << 30; // 4 GiB

// "1,10,3,5,2".
std::string dimsString(const Dims &d);

// Parses "N,T,D,M,K" (five integers). Throws Error(BadUsage) naming the text on anything else.
Dims parseDims(const std::string &text);

// Throws Error(OutOfRange) naming the first dimension out of range and its limits:
// "M=0 is out of range: expected 1 ≤ M ≤ 16384".
void validateDims(const Dims &d);

// Bytes a model of these sizes allocates: the input (kept as double and in the compute type),
// the pre-activations and hidden states of every timestep, the outputs of every timestep and the
// weights (double and compute copies). Computed without overflow (saturates).
std::uint64_t estimateBytes(const Dims &d, DType dtype);

// "1.5 GiB", "228 B", …
std::string formatBytes(std::uint64_t bytes);

// validateDims, then refuses with Error(TooLarge) when estimateBytes exceeds the budget:
// "N=100000, T=100000, M=512 would need 76.3 GiB, more than the 4 GiB budget".
void checkDims(const Dims &d, DType dtype, std::uint64_t budget = kDefaultMemoryBudget);

} // namespace rnnscope
