#include "weights.h"

#include "error.h"

namespace rnnscope {

long long Weights::rnnParams() const
{
    const long long d = D(), m = M();
    return d * m + m * m + m;
}

long long Weights::denseParams() const
{
    const long long m = M(), k = K();
    return k == 0 ? 0 : m * k + k;
}

std::string shapeOf(const Eigen::MatrixXd &m)
{
    return shapeString({m.rows(), m.cols()});
}

std::string shapeOf(const Eigen::VectorXd &v)
{
    return shapeString({v.size()});
}

namespace {

void expectShape(const char *name, const std::string &actual, const std::string &needed,
                 const std::string &because)
{
    if (actual != needed)
        throw Error(ErrorKind::ShapeMismatch,
                    std::string(name) + " has shape " + actual + ", but " + because + " needs " + needed);
}

} // namespace

void checkShapes(const Weights &w)
{
    const long long d = w.Wx.rows(), m = w.Wx.cols(), k = w.Wo.cols();
    if (d < 1 || m < 1)
        throw Error(ErrorKind::ShapeMismatch, "Wx has shape " + shapeOf(w.Wx) + ": D and M must be at least 1");
    const std::string mText = "M=" + std::to_string(m);
    expectShape("Wh", shapeOf(w.Wh), shapeString({m, m}), mText);
    expectShape("bh", shapeOf(w.bh), shapeString({m}), mText);
    if (w.Wo.size() == 0 && w.bo.size() == 0)
        return; // no Dense layer
    expectShape("Wo", shapeOf(w.Wo), shapeString({m, k}), mText + " and K=" + std::to_string(k));
    expectShape("bo", shapeOf(w.bo), shapeString({k}), "K=" + std::to_string(k));
}

Eigen::MatrixXd matrixFromArray(const NdArray &a)
{
    if (a.rank() != 2)
        throw Error(ErrorKind::ShapeMismatch, "expected a matrix, got an array of shape " + shapeString(a.shape));
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    return Eigen::Map<const RowMajor>(a.values.data(), a.shape[0], a.shape[1]);
}

Eigen::VectorXd vectorFromArray(const NdArray &a)
{
    if (a.rank() != 1)
        throw Error(ErrorKind::ShapeMismatch, "expected a vector, got an array of shape " + shapeString(a.shape));
    return Eigen::Map<const Eigen::VectorXd>(a.values.data(), a.shape[0]);
}

NdArray arrayFromMatrix(const Eigen::Ref<const Eigen::MatrixXd> &m, DType dtype)
{
    NdArray a;
    a.shape = {m.rows(), m.cols()};
    a.dtype = dtype;
    a.values.resize(static_cast<std::size_t>(m.size()));
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<RowMajor>(a.values.data(), m.rows(), m.cols()) = m;
    return a;
}

NdArray arrayFromVector(const Eigen::Ref<const Eigen::VectorXd> &v, DType dtype)
{
    NdArray a;
    a.shape = {v.size()};
    a.dtype = dtype;
    a.values.assign(v.data(), v.data() + v.size());
    return a;
}

NamedArrays weightsToArrays(const Weights &w, Layout layout, DType dtype)
{
    checkShapes(w);
    NamedArrays out;
    if (layout == Layout::Keras) {
        out.emplace_back("arr_0", arrayFromMatrix(w.Wx, dtype));
        out.emplace_back("arr_1", arrayFromMatrix(w.Wh, dtype));
        out.emplace_back("arr_2", arrayFromVector(w.bh, dtype));
        if (w.hasDense()) {
            out.emplace_back("arr_3", arrayFromMatrix(w.Wo, dtype));
            out.emplace_back("arr_4", arrayFromVector(w.bo, dtype));
        }
        return out;
    }
    out.emplace_back("rnn.weight_ih_l0", arrayFromMatrix(w.Wx.transpose(), dtype));
    out.emplace_back("rnn.weight_hh_l0", arrayFromMatrix(w.Wh.transpose(), dtype));
    out.emplace_back("rnn.bias_ih_l0", arrayFromVector(w.bh, dtype));
    out.emplace_back("rnn.bias_hh_l0", arrayFromVector(Eigen::VectorXd::Zero(w.M()), dtype));
    if (w.hasDense()) {
        out.emplace_back("fc.weight", arrayFromMatrix(w.Wo.transpose(), dtype));
        out.emplace_back("fc.bias", arrayFromVector(w.bo, dtype));
    }
    return out;
}

} // namespace rnnscope
