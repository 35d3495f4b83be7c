#include "nn/param.h"

#include "common/error.h"

namespace rnnscope {

const char *weightName(WeightId id)
{
    switch (id) {
    case WeightId::Wx: return "Wx";
    case WeightId::Wh: return "Wh";
    case WeightId::bh: return "bh";
    case WeightId::Wo: return "Wo";
    case WeightId::bo: return "bo";
    }
    return "?";
}

std::vector<ParamSpec> paramSpecs(const CellSpec &cell, int D, int M, int K)
{
    const long long g = cell.gates(), gM = g * M;
    const bool twoRows = cell.biasRows() == 2;
    using A = ParamAxis;
    const auto spec = [](WeightId id, const char *kerasName, const char *role, const char *pytorchName,
                         std::vector<std::int64_t> shape, A rowAxis, A colAxis, long long gates, const char *init) {
        ParamSpec p;
        p.id = id;
        p.symbol = weightName(id);
        p.kerasName = kerasName;
        p.role = role;
        p.pytorchName = pytorchName;
        p.rows = shape.size() == 2 ? shape[0] : 1; // a 1-D array is one row
        p.cols = shape.back();
        p.kerasShape = std::move(shape);
        p.rowAxis = rowAxis;
        p.colAxis = colAxis;
        p.gates = static_cast<int>(gates);
        p.dense = id == WeightId::Wo || id == WeightId::bo;
        p.initializer = init;
        return p;
    };
    return {
        spec(WeightId::Wx, "kernel", "kernel", "weight_ih_l0", {D, gM}, A::InputFeature, A::Hidden, g, "glorot_uniform"),
        spec(WeightId::Wh, "recurrent_kernel", "recurrent_kernel", "weight_hh_l0", {M, gM}, A::HiddenPrev, A::HiddenNext, g,
             "orthogonal"),
        spec(WeightId::bh, "bias", "bias", twoRows ? "bias_ih_l0 | bias_hh_l0" : "bias_ih_l0 + bias_hh_l0",
             twoRows ? std::vector<std::int64_t>{2, gM} : std::vector<std::int64_t>{gM}, twoRows ? A::BiasRow : A::Single,
             A::Hidden, g, cell.kind == CellKind::LSTM ? "unit_forget_bias" : "zeros"),
        spec(WeightId::Wo, "kernel", "Dense kernel", "fc.weight", {M, K}, A::Hidden, A::Output, 1, "glorot_uniform"),
        spec(WeightId::bo, "bias", "Dense bias", "fc.bias", {K}, A::Single, A::Output, 1, "zeros"),
    };
}

ParamSpec paramSpec(WeightId id, const CellSpec &cell, int D, int M, int K)
{
    return paramSpecs(cell, D, M, K)[static_cast<std::size_t>(id)];
}

ParamSpec paramSpec(WeightId id, const Weights &w)
{
    CellSpec cell;
    cell.kind = w.kind();
    cell.resetAfter = w.resetAfter();
    return paramSpec(id, cell, w.D(), w.M(), w.K());
}

std::pair<long long, long long> paramMatrixShape(const Weights &w, WeightId id)
{
    switch (id) {
    case WeightId::Wx: return {w.Wx.rows(), w.Wx.cols()};
    case WeightId::Wh: return {w.Wh.rows(), w.Wh.cols()};
    case WeightId::bh: return {w.bh.size() > 0 ? w.biasRows() : 0, w.bh.size() > 0 ? w.Wh.cols() : 0};
    case WeightId::Wo: return {w.Wo.rows(), w.Wo.cols()};
    case WeightId::bo: return {1, w.bo.size()};
    }
    return {0, 0};
}

namespace {

// The value a spec's (row, col) addresses in the weights, after checking the bounds.
template <typename W>
auto &element(W &w, WeightId id, long long row, long long col)
{
    const auto [rows, cols] = paramMatrixShape(w, id);
    if (row < 0 || row >= rows || col < 0 || col >= cols)
        throw Error(ErrorKind::OutOfRange, std::string(weightName(id)) + "[" + std::to_string(row) + ", " + std::to_string(col)
                                               + "] is outside its shape (" + std::to_string(rows) + ", "
                                               + std::to_string(cols) + ")");
    const Eigen::Index r = static_cast<Eigen::Index>(row), c = static_cast<Eigen::Index>(col);
    switch (id) {
    case WeightId::Wx: return w.Wx(r, c);
    case WeightId::Wh: return w.Wh(r, c);
    case WeightId::bh: return w.bh(r * static_cast<Eigen::Index>(cols) + c);
    case WeightId::Wo: return w.Wo(r, c);
    case WeightId::bo: break;
    }
    return w.bo(c);
}

} // namespace

double weightAt(const Weights &w, WeightId id, long long row, long long col)
{
    return element(w, id, row, col);
}

void setWeightAt(Weights &w, WeightId id, long long row, long long col, double value)
{
    element(w, id, row, col) = value;
}

namespace {

template <typename V, typename W>
std::vector<V> valuesOf(W &w)
{
    return {V(w.Wx.data(), w.Wx.size()), V(w.Wh.data(), w.Wh.size()), V(w.bh.data(), w.bh.size()),
            V(w.Wo.data(), w.Wo.size()), V(w.bo.data(), w.bo.size())};
}

} // namespace

std::vector<Eigen::Map<Eigen::VectorXd>> paramValues(Weights &w)
{
    return valuesOf<Eigen::Map<Eigen::VectorXd>>(w);
}

std::vector<Eigen::Map<const Eigen::VectorXd>> paramValues(const Weights &w)
{
    return valuesOf<Eigen::Map<const Eigen::VectorXd>>(w);
}

std::pair<long long, long long> kerasIndexOfPyTorch(const ParamSpec &spec, CellKind kind, int M, long long row, long long col)
{
    // PyTorch's (row, col) is Keras's (col, row); the gated axis (Keras's columns) permuted.
    long long kr = col, kc = row;
    if (spec.gates > 1 && M > 0) {
        const std::vector<int> order = pytorchGateOrder(kind);
        kc = order[static_cast<std::size_t>(kc / M)] * static_cast<long long>(M) + kc % M;
    }
    return {kr, kc};
}

} // namespace rnnscope
