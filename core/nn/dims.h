#pragma once
// rnnscope::Dims — the five sizes of Input((T, D)) -> SimpleRNN(M) -> Dense(K), batched over N.
//
//   N  samples (batch)          X is (N, T, D)
//   T  timesteps                h_t is (N, M) for t = 0 … T-1
//   D  input features           Y is (N, K), or (N, T, K) with return_sequences
//   M  hidden units
//   K  output units (0: no Dense layer; the model's output is then the SimpleRNN's)

#include "common/ndarray.h"
#include "nn/cell.h"

#include <cstdint>
#include <optional>
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

// The default memory budget for one model: everything a forward pass and the step history hold,
// and the images the window's views keep of them.
constexpr std::uint64_t kDefaultMemoryBudget = std::uint64_t(4) << 30; // 4 GiB

// The largest side, in pixels, of a heat-map image a view of the window keeps: a matrix with more
// rows or columns is sampled down to this many, so a view's image never exceeds 4096² pixels.
constexpr int kMaxImageSide = 4096;

// "1,10,3,5,2".
std::string dimsString(const Dims &d);

// One integer field of --dims as typed (spaces around it allowed); nullopt when it is not an
// integer (or does not fit a long long).
std::optional<long long> parseDimsField(const std::string &field);

// Parses "N,T,D,M,K" (five integers). Throws Error(BadUsage) naming the text on anything else.
Dims parseDims(const std::string &text);

// Throws Error(OutOfRange) naming the first dimension out of range and its limits:
// "M=0 is out of range: expected 1 ≤ M ≤ 16384".
void validateDims(const Dims &d);
// The same for one dimension, named by its letter 'N', 'T', 'D', 'M' or 'K', at any value typed.
void validateDim(char name, long long value);

// Bytes a model of these sizes allocates, and what the window's views of it hold. With s the size
// of the compute type (4 for float32, 8 for float64) and ⌊x⌋ = min(x, kMaxImageSide):
//
// With g the cell's gate blocks (1, 4, 3), b its bias rows (2 for a GRU with reset_after, else 1)
// and c = 2 for an LSTM (h and c), else 1:
//   input    N·T·D·(8 + s)                      X as double and in the compute type
//   history  N·T·M·(g + c)·s + N·T·K·s + N·T·16 pre-activations of every gate, hidden (and cell)
//                                               states, outputs of every t, and a summary of each
//                                               h_t (its largest |value|, its NaN/±Inf)
//   weights  (gDM + gMM + bgM + MK + K)·(8 + s) double and compute copies
//   views    4·(⌊T⌋⌊M⌋ + ⌊T⌋⌊D⌋ + ⌊D⌋⌊gM⌋ + ⌊M⌋⌊gM⌋ + b⌊gM⌋ + ⌊M⌋⌊K⌋ + ⌊K⌋)
//            one 4-byte pixel per image cell: the H[n] (T×M) and X[n] (T×D) heat maps, the Wx, Wh,
//            bh, Wo, bo images; each side bounded by kMaxImageSide, as the views sample
//
// (the views count whatever the command: the window's images are an upper bound, most matrices
// of a small model show as tables). Computed without overflow (saturates).
std::uint64_t estimateBytes(const Dims &d, DType dtype, const CellSpec &cell = {});

// "1.5 GiB", "228 B", …
std::string formatBytes(std::uint64_t bytes);

// validateDims, then refuses with Error(TooLarge) when estimateBytes exceeds the budget:
// "N=100000, T=100000, M=512 would need 76.3 GiB, more than the 4 GiB budget".
void checkDims(const Dims &d, DType dtype, std::uint64_t budget = kDefaultMemoryBudget, const CellSpec &cell = {});

} // namespace rnnscope
