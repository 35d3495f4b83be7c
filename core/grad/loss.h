#pragma once
// rnnscope::Loss — the losses as Keras 3 defines them, in one table: each loss is a row of
// `lossSpecs()` (its names, how its targets are shaped, how it reduces, one function giving the
// value and the derivative of one output row). With y one output row (K values; the recurrent
// layer's M without a Dense), t its target, ε = 1e-7 and clip(p) = min(max(p, ε), 1 − ε):
//
//   mse                              Σ_k (y_k − t_k)²                       mean over the last axis
//   mae                              Σ_k |y_k − t_k|                        mean over the last axis
//   binary_crossentropy              −Σ_k t_k·log p_k + (1 − t_k)·log(1 − p_k),  p = clip(y)
//                                                                           mean over the last axis
//   categorical_crossentropy         −Σ_k t_k·log p_k,  p = clip(y / Σ_j y_j)   sum over the last axis
//   sparse_categorical_crossentropy  the same with t = one_hot(class id)    sum over the last axis
//
// then the mean over the samples (and the timesteps with return_sequences): Keras's
// "sum_over_batch_size". The derivative flows through the clip as Keras's does: zero where the
// probability lies outside [ε, 1 − ε] (mae's at y = t is 0). Sparse targets are integer class ids
// of shape (N) or (N, T) — or (N, 1), (N, T, 1) — where the output is (N, K) or (N, T, K).

#include "common/ndarray.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

enum class Loss { MSE, MAE, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy };

// Keras's probability clip (backend.epsilon()).
inline constexpr double kLossEpsilon = 1e-7;

struct LossSpec {
    Loss id;
    const char *name;                 // Keras's name, the one --loss prints
    std::vector<const char *> aliases; // other names --loss takes (Keras's, and short ones)
    bool meanOverLastAxis;            // elementwise losses; false: the sum over the last axis
    bool classIds;                    // targets are class ids, one fewer axis than the output
    // The loss of one output row y (K values) against its target row t (K values, one-hot for
    // class ids), summed over the row, and its derivative written to dy (K values).
    double (*row)(const double *y, const double *t, int K, double *dy);
};

const std::vector<LossSpec> &lossSpecs();
const LossSpec &lossSpec(Loss l);
const char *lossName(Loss l);
std::optional<Loss> parseLoss(const std::string &name); // a name or an alias
std::string lossNames();                                 // "mse, mae, …" for messages and help

// The target of an output of shape `output` ((N, width) or (N, T, width)) as the loss reads it:
// the output's shape, or the class ids of the sparse loss, one-hot. A target of another shape is
// refused (Error(ShapeMismatch)): "the target has shape S, but <what> S' …", naming the shape
// expected; a class id that is not an integer in 0 … width − 1 likewise (Error(OutOfRange)).
NdArray lossTarget(Loss l, const NdArray &target, const std::vector<std::int64_t> &output, const std::string &what);
// Whether a target of shape `target` fits an output of shape `output` (the check of lossTarget).
bool targetShapeFits(Loss l, const std::vector<std::int64_t> &target, const std::vector<std::int64_t> &output);

} // namespace rnnscope
