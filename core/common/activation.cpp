#include "common/activation.h"

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
    case Activation::HardSigmoid: return "hard_sigmoid";
    case Activation::HardSigmoidKeras2: return "hard_sigmoid_keras2";
    }
    return "linear";
}

std::optional<Activation> parseActivation(const std::string &name)
{
    for (Activation a : {Activation::Tanh, Activation::Relu, Activation::Sigmoid, Activation::Linear,
                         Activation::Softmax, Activation::HardSigmoid, Activation::HardSigmoidKeras2})
        if (name == activationName(a))
            return a;
    return std::nullopt;
}

bool isCellActivation(Activation a)
{
    return a != Activation::Softmax;
}

namespace {

// Eigen's float tanh is a fast rational approximation (≤ 2 ulp).
void tanhOf(const Eigen::Ref<const Eigen::MatrixXf> &in, Eigen::Ref<Eigen::MatrixXf> out)
{
    out.array() = in.array().tanh();
}

// Eigen 3.4's double tanh is scalar (≈7× slower here than this one, ≈45× slower than its float
// one). This one is vectorised through Eigen's packet exp:
//   tanh(a) = sign(a) · (1 − e) / (1 + e),  e = exp(−2|a|),
// with an absolute error below 3e-16; ±Inf gives ±1.
void tanhOf(const Eigen::Ref<const Eigen::MatrixXd> &in, Eigen::Ref<Eigen::MatrixXd> out)
{
    for (Eigen::Index j = 0; j < in.cols(); ++j) {
        const auto c = in.col(j).array();
        const Eigen::ArrayXd e = (-2.0 * c.abs()).exp();
        const Eigen::ArrayXd r = (1.0 - e) / (1.0 + e);
        out.col(j).array() = (c < 0.0).select(-r, r);
    }
}

template <typename Mat>
void applyGeneric(Activation a, const Eigen::Ref<const Mat> &in, Eigen::Ref<Mat> out)
{
    using S = typename Mat::Scalar;
    // Eigen's vectorised functions clamp their arguments, which would turn NaN into a number.
    // NaN is rare: find it with one vectorised pass and put it back afterwards.
    const bool nan = in.hasNaN();
    Mat saved;
    if (nan)
        saved = in;
    switch (a) {
    case Activation::Tanh:
        tanhOf(in, out);
        break;
    case Activation::Relu:
        out.array() = in.array().max(S(0)); // NaN comes back below
        break;
    case Activation::Sigmoid:
        out.array() = (S(1) + (-in.array()).exp()).inverse();
        break;
    case Activation::Linear:
        if (out.data() != in.data())
            out = in;
        break;
    case Activation::HardSigmoid:
        out.array() = (in.array() * S(1.0 / 6.0) + S(0.5)).max(S(0)).min(S(1));
        break;
    case Activation::HardSigmoidKeras2:
        out.array() = (in.array() * S(0.2) + S(0.5)).max(S(0)).min(S(1));
        break;
    case Activation::Softmax:
        if (out.data() != in.data())
            out = in;
        for (Eigen::Index j = 0; j < out.cols(); ++j) {
            auto c = out.col(j).array();
            if (c.hasNaN()) {
                c.setConstant(std::numeric_limits<S>::quiet_NaN());
                continue;
            }
            // With a +Inf entry, Inf − Inf gives NaN there, as in Keras.
            c = (c - c.maxCoeff()).exp();
            c /= c.sum();
        }
        return;
    }
    if (nan)
        for (Eigen::Index j = 0; j < saved.cols(); ++j)
            for (Eigen::Index i = 0; i < saved.rows(); ++i)
                if (std::isnan(saved(i, j)))
                    out(i, j) = saved(i, j);
}

} // namespace

void applyActivation(Activation a, const Eigen::Ref<const Eigen::MatrixXf> &in, Eigen::Ref<Eigen::MatrixXf> out)
{
    applyGeneric<Eigen::MatrixXf>(a, in, out);
}

void applyActivation(Activation a, const Eigen::Ref<const Eigen::MatrixXd> &in, Eigen::Ref<Eigen::MatrixXd> out)
{
    applyGeneric<Eigen::MatrixXd>(a, in, out);
}

double activate(Activation a, double x)
{
    // Scalar forms of the same functions (no allocation: the views call this per value); NaN
    // propagates through each of them.
    switch (a) {
    case Activation::Tanh: return std::tanh(x);
    case Activation::Relu: return x < 0 ? 0.0 : x;
    case Activation::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case Activation::Linear:
    case Activation::Softmax: return x;
    case Activation::HardSigmoid: return x < -3 ? 0.0 : x > 3 ? 1.0 : x / 6.0 + 0.5;
    case Activation::HardSigmoidKeras2: return x < -2.5 ? 0.0 : x > 2.5 ? 1.0 : 0.2 * x + 0.5;
    }
    return x;
}

void applyActivation(Activation a, Eigen::Ref<Eigen::MatrixXf> x)
{
    applyGeneric<Eigen::MatrixXf>(a, x, x);
}

void applyActivation(Activation a, Eigen::Ref<Eigen::MatrixXd> x)
{
    applyGeneric<Eigen::MatrixXd>(a, x, x);
}

} // namespace rnnscope
