#include "nn/weights.h"

#include "common/error.h"

namespace rnnscope {

long long Weights::rnnParams() const
{
    const long long d = D(), m = M(), gm = Wh.cols();
    return gm * (d + m) + bh.size();
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
    const long long d = w.Wx.rows(), k = w.Wo.cols();
    if (d < 1 || w.Wx.cols() < 1)
        throw Error(ErrorKind::ShapeMismatch, "Wx has shape " + shapeOf(w.Wx) + ": D and M must be at least 1");
    // M and the gate blocks g from Wh (M, gM) when it is one of the three cells' shapes; else from
    // Wx's gM columns, as a SimpleRNN's (and Wh's shape is what does not fit).
    const auto cellOf = [](long long rows, long long cols) {
        for (long long g : {1, 4, 3})
            if (rows >= 1 && rows * g == cols)
                return g;
        return 0LL;
    };
    long long g = cellOf(w.Wh.rows(), w.Wh.cols());
    const long long m = g ? w.Wh.rows() : w.Wx.cols();
    if (!g)
        g = 1;
    const long long gm = g * m;
    const std::string mText = "M=" + std::to_string(m) + (g == 1 ? "" : g == 4 ? " (LSTM)" : " (GRU)");
    expectShape("Wh", shapeOf(w.Wh), shapeString({m, gm}), mText);
    expectShape("Wx", shapeOf(w.Wx), shapeString({d, gm}), mText);
    // A GRU's bias is (3M,), or (2, 3M) with reset_after.
    if (!(w.bh.size() == gm || (g == 3 && w.bh.size() == 2 * gm)))
        expectShape("bh", shapeOf(w.bh), g == 3 ? shapeString({gm}) + " or " + shapeString({2, gm}) : shapeString({gm}), mText);
    if (w.Wo.size() == 0 && w.bo.size() == 0)
        return; // no Dense layer
    expectShape("Wo", shapeOf(w.Wo), shapeString({m, k}), "M=" + std::to_string(m) + " and K=" + std::to_string(k));
    expectShape("bo", shapeOf(w.bo), shapeString({k}), "K=" + std::to_string(k));
}

void checkShapes(const Weights &w, const CellSpec &cell)
{
    checkShapes(w);
    if (w.kind() != cell.kind)
        throw Error(ErrorKind::ShapeMismatch, std::string("the weights are a ") + cellClassName(w.kind())
                                                  + "'s (recurrent kernel " + shapeOf(w.Wh) + "), but the cell is "
                                                  + cellName(cell.kind));
    if (cell.kind == CellKind::GRU && w.resetAfter() != cell.resetAfter)
        throw Error(ErrorKind::ShapeMismatch, "the GRU bias has shape " + biasShapeString(w) + ", but reset_after="
                                                  + (cell.resetAfter ? "True needs " : "False needs ")
                                                  + (cell.resetAfter ? shapeString({2, w.Wh.cols()})
                                                                     : shapeString({w.Wh.cols()})));
}

std::vector<std::int64_t> biasShape(const Weights &w)
{
    if (w.biasRows() == 2)
        return {2, w.Wh.cols()};
    return {w.bh.size()};
}

std::string biasShapeString(const Weights &w)
{
    return shapeString(biasShape(w));
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

Eigen::MatrixXd permuteGateColumns(const Eigen::Ref<const Eigen::MatrixXd> &m, const std::vector<int> &order)
{
    const Eigen::Index g = static_cast<Eigen::Index>(order.size()), block = m.cols() / g;
    Eigen::MatrixXd out(m.rows(), m.cols());
    for (Eigen::Index p = 0; p < g; ++p)
        out.middleCols(p * block, block) = m.middleCols(order[static_cast<std::size_t>(p)] * block, block);
    return out;
}

std::vector<int> inverseOrder(const std::vector<int> &order)
{
    std::vector<int> inv(order.size());
    for (std::size_t p = 0; p < order.size(); ++p)
        inv[static_cast<std::size_t>(order[p])] = static_cast<int>(p);
    return inv;
}

std::string pytorchRefusal(const CellSpec &cell)
{
    const std::string name = cellClassName(cell.kind);
    if (cell.kind == CellKind::SimpleRNN) {
        if (cell.activation != Activation::Tanh && cell.activation != Activation::Relu)
            return "a SimpleRNN with activation " + std::string(activationName(cell.activation))
                   + " has no PyTorch form: nn.RNN computes tanh or relu";
        return {};
    }
    if (cell.kind == CellKind::GRU && !cell.resetAfter)
        return "a GRU with reset_after=False has no exact PyTorch form: nn.GRU applies the reset gate after the "
               "recurrent product (reset_after=True)";
    if (cell.activation != Activation::Tanh || cell.recurrent != Activation::Sigmoid)
        return "an " + name + " with activation " + activationName(cell.activation) + " and recurrent_activation "
               + activationName(cell.recurrent) + " has no PyTorch form: nn." + name
               + " computes tanh and sigmoid only";
    return {};
}

std::string pytorchKey(const std::string &prefix, const std::string &parameter, int layer, bool reverse)
{
    return prefix + parameter + "_l" + std::to_string(layer) + (reverse ? "_reverse" : "");
}

NamedArrays weightsToArrays(const Weights &w, Layout layout, DType dtype, const CellSpec &cell)
{
    checkShapes(w);
    NamedArrays out;
    if (layout == Layout::Keras) {
        out.emplace_back("arr_0", arrayFromMatrix(w.Wx, dtype));
        out.emplace_back("arr_1", arrayFromMatrix(w.Wh, dtype));
        NdArray b = arrayFromVector(w.bh, dtype);
        b.shape = biasShape(w); // row 0 first: the flat order is the (2, 3M) array's row-major order
        out.emplace_back("arr_2", std::move(b));
        if (w.hasDense()) {
            out.emplace_back("arr_3", arrayFromMatrix(w.Wo, dtype));
            out.emplace_back("arr_4", arrayFromVector(w.bo, dtype));
        }
        return out;
    }
    CellSpec c = cell;
    c.kind = w.kind();
    c.resetAfter = w.resetAfter();
    if (const std::string why = pytorchRefusal(c); !why.empty())
        throw Error(ErrorKind::Unsupported, why);
    const std::vector<int> order = pytorchGateOrder(c.kind);
    const Eigen::Index gm = w.Wh.cols();
    const Eigen::MatrixXd bias = Eigen::Map<const Eigen::MatrixXd>(w.bh.data(), gm, w.biasRows()).transpose();
    const Eigen::MatrixXd b = permuteGateColumns(bias, order); // biasRows × gM
    out.emplace_back(pytorchKey("rnn.", "weight_ih"), arrayFromMatrix(permuteGateColumns(w.Wx, order).transpose(), dtype));
    out.emplace_back(pytorchKey("rnn.", "weight_hh"), arrayFromMatrix(permuteGateColumns(w.Wh, order).transpose(), dtype));
    out.emplace_back(pytorchKey("rnn.", "bias_ih"), arrayFromVector(b.row(0).transpose(), dtype));
    out.emplace_back(pytorchKey("rnn.", "bias_hh"), arrayFromVector(b.rows() == 2 ? Eigen::VectorXd(b.row(1).transpose())
                                                                                  : Eigen::VectorXd::Zero(gm), dtype));
    if (w.hasDense()) {
        out.emplace_back("fc.weight", arrayFromMatrix(w.Wo.transpose(), dtype));
        out.emplace_back("fc.bias", arrayFromVector(w.bo, dtype));
    }
    return out;
}

} // namespace rnnscope
