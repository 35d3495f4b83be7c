#pragma once
// Activations of the SimpleRNN cell and the Dense layer, elementwise unless noted.
//
//   tanh(a)    = (e^a − e^−a) / (e^a + e^−a)      SimpleRNN's default
//   relu(a)    = max(a, 0)
//   sigmoid(a) = 1 / (1 + e^−a)
//   linear(a)  = a                                 Dense's default
//   softmax(a)_k = e^{a_k − max a} / Σ_j e^{a_j − max a}    over the K outputs of one sample
//
// NaN and ±Inf propagate as in Keras: tanh(NaN) = NaN, tanh(±Inf) = ±1, relu(NaN) = NaN.

#include <Eigen/Core>

#include <optional>
#include <string>

namespace rnnscope {

enum class Activation { Tanh, Relu, Sigmoid, Linear, Softmax };

const char *activationName(Activation a);               // "tanh", "relu", …
std::optional<Activation> parseActivation(const std::string &name);

// True where the activation is allowed: the cell takes tanh, relu, sigmoid, linear;
// Dense takes linear, relu, sigmoid, softmax (and tanh, which Keras also allows).
bool isCellActivation(Activation a);

// out = a(in), column by column (one column = one sample's vector); `in` and `out` may be the
// same matrix. Elementwise activations run vectorised over the whole block.
void applyActivation(Activation a, const Eigen::Ref<const Eigen::MatrixXf> &in, Eigen::Ref<Eigen::MatrixXf> out);
void applyActivation(Activation a, const Eigen::Ref<const Eigen::MatrixXd> &in, Eigen::Ref<Eigen::MatrixXd> out);
// In place.
void applyActivation(Activation a, Eigen::Ref<Eigen::MatrixXf> x);
void applyActivation(Activation a, Eigen::Ref<Eigen::MatrixXd> x);

} // namespace rnnscope
