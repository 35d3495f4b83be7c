#include "activation.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rnnscope {

const char *activationName(Activation a)
{
    switch (a) {
    case Activation::Tanh: return "tanh";
    case Activation::Relu: return "relu";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Linear: return "linear";
    case Activation::Softmax: return "softmax";
    }
    return "linear";
}

std::optional<Activation> parseActivation(const std::string &name)
{
    for (Activation a : {Activation::Tanh, Activation::Relu, Activation::Sigmoid, Activation::Linear,
                         Activation::Softmax})
        if (name == activationName(a))
            return a;
    return std::nullopt;
}

bool isCellActivation(Activation a)
{
    return a != Activation::Softmax;
}

namespace {

// Eigen's float tanh is a fast rational approximation (≤ 2 ulp) but clamps its argument, which
// would turn NaN into ±1; the select keeps NaN.
void tanhInPlace(Eigen::Ref<Eigen::MatrixXf> x)
{
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
        auto c = x.col(j).array();
        c = (c != c).select(c, c.tanh());
    }
}

// Eigen 3.4's double tanh is scalar (≈45× slower than its float one). This one is vectorised
// through Eigen's packet exp:  tanh(a) = sign(a) · (1 − e) / (1 + e),  e = exp(−2|a|).
// Its absolute error is below 3e-16; NaN stays NaN (|NaN| → exp → NaN) and ±Inf gives ±1.
void tanhInPlace(Eigen::Ref<Eigen::MatrixXd> x)
{
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
        auto c = x.col(j).array();
        const Eigen::ArrayXd e = (-2.0 * c.abs()).exp();
        const Eigen::ArrayXd r = (1.0 - e) / (1.0 + e);
        c = (c < 0.0).select(-r, r);
    }
}

template <typename Mat>
void applyGeneric(Activation a, Eigen::Ref<Mat> x)
{
    using S = typename Mat::Scalar;
    switch (a) {
    case Activation::Tanh:
        tanhInPlace(x);
        return;
    case Activation::Relu:
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            auto c = x.col(j).array();
            c = (c < S(0)).select(S(0), c);
        }
        return;
    case Activation::Sigmoid:
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            auto c = x.col(j).array();
            c = S(1) / (S(1) + (-c).exp());
        }
        return;
    case Activation::Linear:
        return;
    case Activation::Softmax:
        for (Eigen::Index j = 0; j < x.cols(); ++j) {
            auto c = x.col(j).array();
            S m = -std::numeric_limits<S>::infinity();
            bool nan = false;
            for (Eigen::Index i = 0; i < c.size(); ++i) {
                nan = nan || std::isnan(c(i));
                m = std::max(m, c(i));
            }
            if (nan) {
                c.setConstant(std::numeric_limits<S>::quiet_NaN());
                continue;
            }
            // With a +Inf entry, Inf − Inf gives NaN there, as in Keras.
            c = (c - m).exp();
            c /= c.sum();
        }
        return;
    }
}

} // namespace

void applyActivation(Activation a, Eigen::Ref<Eigen::MatrixXf> x)
{
    applyGeneric<Eigen::MatrixXf>(a, x);
}

void applyActivation(Activation a, Eigen::Ref<Eigen::MatrixXd> x)
{
    applyGeneric<Eigen::MatrixXd>(a, x);
}

} // namespace rnnscope
