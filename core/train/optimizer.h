#pragma once
// rnnscope::Optimizer — Keras 3's optimizers and gradient clipping, applied to every parameter of
// the weights element by element (t the 1-based step, g the gradient):
//
//   SGD (lr 0.01, momentum 0, nesterov off)   w ← w − lr·g
//        with momentum m:                     v ← m·v − lr·g,  w ← w + v
//        nesterov:                            v ← m·v − lr·g,  w ← w + m·v − lr·g
//   Adam (lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7) m ← m + (g − m)(1 − β₁),  v ← v + (g² − v)(1 − β₂),
//                                             α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ),  w ← w − α·m/(√v + ε)
//                                             (Keras's form: ε outside the root and not bias-
//                                             corrected, unlike PyTorch's)
//   RMSprop (lr 0.001, ρ 0.9, ε 1e-7)         v ← ρ·v + (1 − ρ)·g²,  w ← w − lr·g/√(v + ε)
//
// Clipping before the update, as Keras does: clipvalue clips every element to [−c, c]; clipnorm
// scales each parameter whose norm exceeds c down to norm c; global_clipnorm scales all of them
// together when their joint norm exceeds c.

#include "common/ndarray.h"
#include "nn/weights.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

enum class OptimizerKind { SGD, Adam, RMSprop };
const char *optimizerName(OptimizerKind k); // "sgd", "adam", "rmsprop"
std::optional<OptimizerKind> parseOptimizer(const std::string &name);

struct OptimizerSpec {
    OptimizerKind kind = OptimizerKind::Adam;
    std::optional<double> learningRate; // unset: the optimizer's Keras default (0.01 SGD, 0.001 the others)
    double momentum = 0;                // SGD
    bool nesterov = false;              // SGD
    double beta1 = 0.9, beta2 = 0.999;  // Adam
    double rho = 0.9;                   // RMSprop
    double epsilon = 1e-7;              // Adam, RMSprop
    std::optional<double> clipnorm, globalClipnorm, clipvalue;

    double lr() const;
};

class Optimizer {
public:
    explicit Optimizer(const OptimizerSpec &spec = {});
    const OptimizerSpec &spec() const { return m_spec; }
    long long iterations() const { return m_t; }

    // One update of `w` by the gradient `g` (shaped as w; clipped here, `g` is left as it is).
    void apply(Weights &w, const Weights &g);
    // Forget the slots (momenta, moments) and the step count.
    void reset();

    // What a run needs to go on as if it had never stopped: the step count and the slots, named
    // as Keras 3 names its optimizer variables, one flat float64 array per parameter i (the
    // parameters in get_weights() order): "iterations" (a scalar); "<optimizer>_momentum_i" (SGD
    // with momentum; Adam's m) and "<optimizer>_velocity_i" (Adam's v; RMSprop's). SGD without
    // momentum has no slot. Before the first step: only "iterations" = 0.
    NamedArrays state() const;
    // The state written by state(), for parameters of `sizes` elements; a state of another
    // optimizer, or of other parameter sizes, is refused (Error(ShapeMismatch)) naming what differs.
    void setState(const NamedArrays &state, const std::vector<Eigen::Index> &sizes);

private:
    // The slot names of this optimizer: "momentum" and/or "velocity" (empty for plain SGD).
    std::vector<std::string> slotNames() const;

    OptimizerSpec m_spec;
    long long m_t = 0;
    std::vector<Eigen::VectorXd> m_slot1, m_slot2; // per parameter: v (SGD, RMSprop) or m and v (Adam)
};

} // namespace rnnscope
