#pragma once
// rnnscope::backprop — backpropagation through time: the gradient of a loss of the model's output
// with respect to every parameter, and how far back the loss reaches (dL/dh_t for every t).
//
// The forward pass is redone here in the model's dtype, batched over N, keeping what the backward
// pass needs (every step's pre-activations, gates, c_t and h_t); the backward pass runs t = T−1 … 0
// with one product per step for all gates, as the forward pass does. With g_t the gradient of the
// loss with respect to the step's pre-activations (N, gM):
//
//   dW += x_tᵀ · g_t     dU += h_{t−1}ᵀ · g_t     db += Σ_n g_t     dh_{t−1} += g_t · Uᵀ
//
// (a GRU splits g_t where its reset gate sits). dL/dh_t is the total derivative: the Dense term of
// step t (with return_sequences; otherwise only at T−1) plus what flows back from t+1; an LSTM's
// dL/dc_t likewise. The losses are Keras's (grad/loss.h): mse, mae, binary, categorical and sparse
// categorical crossentropy.
//
// Checked against finite differences (tests/test_grad.cpp) and PyTorch's autograd (tests/test_grad.py).

#include "common/ndarray.h"
#include "grad/loss.h"
#include "run/model.h"

#include <Eigen/Core>

#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

struct Gradients {
    double loss = 0;
    Weights dW;                      // dL/d(every parameter), shaped as the weights (Keras's layout)
    std::vector<Eigen::MatrixXd> dh; // dL/dh_t, t = 0 … T−1, each (N, M): the total derivative
    std::vector<Eigen::MatrixXd> dc; // an LSTM's dL/dc_t (empty for the other cells)
};

// The loss of the model's output against `target` and its gradients. The target has the output's
// shape: (N, K), or (N, T, K) with return_sequences (K = 0: the recurrent layer's (N, M) or
// (N, T, M)) — class ids (N) or (N, T) for sparse_categorical_crossentropy; otherwise
// Error(ShapeMismatch) names both shapes.
Gradients backprop(const Model &model, const NdArray &target, Loss loss = Loss::MSE);
// The same for weights and an input X (D × (T·N), column t·N + n, as Model holds it) of the
// config's dims, without a Model: what training uses for each batch.
Gradients backprop(const ModelConfig &config, const Weights &w, const Eigen::MatrixXd &X, const NdArray &target,
                   Loss loss = Loss::MSE);

// The vector–Jacobian product through time: the gradients of Σ seed ⊙ h_{T−1} (seed (N, M)), with
// no Dense and no loss (loss 0). Row n of dh[t] is seed_n · ∂h_{T−1}/∂h_t of sample n.
Gradients backpropFromLastState(const ModelConfig &config, const Weights &w, const Eigen::MatrixXd &X, const Eigen::MatrixXd &seed);

// dL/dh_t of every t as one array (N, T, M), as `grad --dh` writes it.
NdArray dhArray(const Gradients &g);

} // namespace rnnscope
