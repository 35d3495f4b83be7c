#pragma once
// rnnscope — how a recurrence carries a signal through time: the Jacobians ∂h_{T−1}/∂h_t of one
// sample, and the spectrum of the recurrent kernel (RECURRENT-LAYERS §2: what gradient tools show).
//
//   J_t = ∂h_{T−1}/∂h_t = Π_{s=t+1}^{T−1} ∂h_s/∂h_{s−1}       (M × M; J_{T−1} = I)
//
// For a SimpleRNN, ∂h_s/∂h_{s−1} = diag(f'(a_s))·Uᵀ, so with |f'| ≤ 1 (tanh) ‖J_t‖₂ ≤ σ_max(U)^{T−1−t}:
// a recurrent kernel with σ_max < 1 makes gradients vanish geometrically, and only ρ(U) > 1 (the
// spectral radius) lets them grow. An LSTM's h_t reaches h_{T−1} through its gates; its c_t is held
// fixed in J_t (c is a state of its own, whose path is the forget gate's product).

#include "nn/cell.h"
#include "nn/weights.h"
#include "run/model.h"

#include <Eigen/Core>

#include <complex>
#include <string>
#include <vector>

namespace rnnscope {

// ‖∂h_{T−1}/∂h_t‖_F for t = 0 … T−1 (√M at T−1) of sample n, in the model's dtype: one backward
// pass through time of M seeds (the rows of I). Error(OutOfRange) when n is not a sample.
std::vector<double> stateJacobianNorms(const ModelConfig &config, const Weights &w, const Eigen::MatrixXd &X, int n);
std::vector<double> stateJacobianNorms(const Model &model, int n);
// Multiply–adds of that pass (what a window weighs before computing it live).
double stateJacobianWork(const ModelConfig &config);

// The spectrum of one M × M block of the recurrent kernel (Keras's layout: U (M, gM), block k its
// columns k·M … (k+1)·M − 1). Eigenvalues sorted by decreasing modulus; singular values decreasing.
struct BlockSpectrum {
    std::string gate;                              // "" for a SimpleRNN; "i", "f", "c", "o"; "z", "r", "h"
    std::vector<std::complex<double>> eigenvalues; // M
    double radius = 0;                             // ρ = max |λ|
    std::vector<double> singularValues;            // M; σ_max first
};
// Every gate block of the cell's recurrent kernel, in Keras's block order. Non-finite weights give
// NaN eigenvalues and radius (shown, not refused).
std::vector<BlockSpectrum> recurrentSpectrum(CellKind cell, const Eigen::MatrixXd &Wh);
// σ_max of a whole matrix (the recurrent kernel (M, gM)): √ of the largest eigenvalue of A·Aᵀ.
double largestSingularValue(const Eigen::MatrixXd &A);

} // namespace rnnscope
