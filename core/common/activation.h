#pragma once
// Activations of the SimpleRNN cell and the Dense layer, elementwise unless noted.
//
//   tanh(a)    = (e^a − e^−a) / (e^a + e^−a)      SimpleRNN's default
//   relu(a)    = max(a, 0)
//   sigmoid(a) = 1 / (1 + e^−a)
//   linear(a)  = a                                 Dense's default
//   hard_sigmoid(a)        = clip(a/6 + 0.5, 0, 1)   Keras 3's
//   hard_sigmoid_keras2(a) = clip(0.2a + 0.5, 0, 1)  Keras 1 and 2's (the LSTM/GRU recurrent
//                                                    default up to Keras 2.2.5)
//   softmax(a)_k = e^{a_k − max a} / Σ_j e^{a_j − max a}    over the K outputs of one sample
//
// NaN and ±Inf propagate as in Keras: tanh(NaN) = NaN, tanh(±Inf) = ±1, relu(NaN) = NaN.

#include <Eigen/Core>

#include <optional>
#include <string>

namespace rnnscope {

enum class Activation { Tanh, Relu, Sigmoid, Linear, Softmax, HardSigmoid, HardSigmoidKeras2 };

const char *activationName(Activation a);               // "tanh", "relu", …
std::optional<Activation> parseActivation(const std::string &name);

// True where the activation is allowed: a recurrent cell takes every elementwise one (tanh, relu,
// sigmoid, linear, both hard_sigmoids); Dense takes every one.
bool isCellActivation(Activation a);

// out = a(in), column by column (one column = one sample's vector); `in` and `out` may be the
// same matrix. Elementwise activations run vectorised over the whole block.
void applyActivation(Activation a, const Eigen::Ref<const Eigen::MatrixXf> &in, Eigen::Ref<Eigen::MatrixXf> out);
void applyActivation(Activation a, const Eigen::Ref<const Eigen::MatrixXd> &in, Eigen::Ref<Eigen::MatrixXd> out);
// One value (every activation but softmax, which needs its vector; softmax gives the value back).
double activate(Activation a, double x);
// In place.
void applyActivation(Activation a, Eigen::Ref<Eigen::MatrixXf> x);
void applyActivation(Activation a, Eigen::Ref<Eigen::MatrixXd> x);

} // namespace rnnscope
