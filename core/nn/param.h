#pragma once
// rnnscope::ParamSpec — what a recurrent layer says about each of its parameters and those of the
// Dense after it: the symbol rnnscope shows, Keras's and PyTorch's names, the shape, what its rows
// and columns index, its gate blocks, Keras's default initializer. The weight views, the edits,
// the PyTorch converter and messages read these descriptions instead of switching on the
// parameter, so that a new cell or layer describes itself once.
//
// Every parameter is seen as a matrix in Keras's layout (rows × cols): a kernel as it is, a bias
// as one row (gM) — or a GRU with reset_after's two rows (2, gM), input bias first — and the Dense
// bias as one row (K). PyTorch's layout is the transpose, its gate blocks (rows) in PyTorch's order.

#include "nn/cell.h"
#include "nn/weights.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rnnscope {

// The parameters of the layer and its Dense, in Keras's get_weights() order.
enum class WeightId { Wx, Wh, bh, Wo, bo };
const char *weightName(WeightId id); // "Wx", …

// What an index along a parameter's axis stands for (Keras's layout).
enum class ParamAxis {
    InputFeature, // x_t[i]
    HiddenPrev,   // h_{t−1}[i]
    HiddenNext,   // h_t[j] (of a gate block)
    Hidden,       // h[j] (of a gate block): a kernel's or a bias's columns, the Dense kernel's rows
    Output,       // y[k]
    BiasRow,      // a GRU's two bias rows: input, recurrent
    Single,       // the one row of a bias
};

struct ParamSpec {
    WeightId id = WeightId::Wx;
    std::string symbol;      // "Wx", "Wh", "bh", "Wo", "bo"
    std::string kerasName;   // "kernel", "recurrent_kernel", "bias" (the Dense's "kernel", "bias")
    std::string role;        // what a view calls it: "kernel", …, "Dense kernel", "Dense bias"
    std::string pytorchName; // "weight_ih_l0", "weight_hh_l0", "bias_ih_l0 + bias_hh_l0" (a GRU with
                             // reset_after "bias_ih_l0 | bias_hh_l0"), "fc.weight", "fc.bias"
    std::vector<std::int64_t> kerasShape; // (D, gM), (M, gM), (gM,) or (2, gM), (M, K), (K,)
    long long rows = 0, cols = 0;         // as a matrix in Keras's layout (a bias (1, gM) or (2, gM))
    ParamAxis rowAxis = ParamAxis::Single, colAxis = ParamAxis::Single;
    int gates = 1;           // gate blocks of M along the columns (PyTorch: the rows); 1 for none
    bool dense = false;      // the Dense layer's (absent when K = 0: 0 columns)
    std::string initializer; // Keras's default: "glorot_uniform", "orthogonal", "zeros", "unit_forget_bias"

    bool vector() const { return kerasShape.size() == 1; }
    long long size() const { return rows * cols; }
    // The matrix as `layout` shows it: PyTorch's is the transpose.
    long long rowsIn(Layout layout) const { return layout == Layout::PyTorch ? cols : rows; }
    long long colsIn(Layout layout) const { return layout == Layout::PyTorch ? rows : cols; }
    ParamAxis rowAxisIn(Layout layout) const { return layout == Layout::PyTorch ? colAxis : rowAxis; }
    ParamAxis colAxisIn(Layout layout) const { return layout == Layout::PyTorch ? rowAxis : colAxis; }
    std::string nameIn(Layout layout) const { return layout == Layout::PyTorch ? pytorchName : symbol; }
};

// The five parameters of a `cell` layer of M units over D features and a Dense of K outputs.
std::vector<ParamSpec> paramSpecs(const CellSpec &cell, int D, int M, int K);
ParamSpec paramSpec(WeightId id, const CellSpec &cell, int D, int M, int K);
// The same for the weights held (the cell told from their shapes, see Weights).
ParamSpec paramSpec(WeightId id, const Weights &w);

// (rows, cols) of a parameter of `w` seen as its spec's matrix (cheap: no spec is built).
std::pair<long long, long long> paramMatrixShape(const Weights &w, WeightId id);

// Element (row, col) of a parameter seen as its spec's matrix in Keras's layout. Throws
// Error(OutOfRange) outside it: "bh[0, 20] is outside its shape (1, 20)".
double weightAt(const Weights &w, WeightId id, long long row, long long col);
void setWeightAt(Weights &w, WeightId id, long long row, long long col, double value);

// Every parameter's values as one flat vector each (a view, no copy), in WeightId order: what an
// optimizer updates, element by element, whatever the shapes.
std::vector<Eigen::Map<Eigen::VectorXd>> paramValues(Weights &w);
std::vector<Eigen::Map<const Eigen::VectorXd>> paramValues(const Weights &w);

// Where element (row, col) of the PyTorch layout lies in Keras's: transposed, and along the gated
// axis PyTorch's gate block p is Keras's block pytorchGateOrder[p].
std::pair<long long, long long> kerasIndexOfPyTorch(const ParamSpec &spec, CellKind kind, int M, long long row, long long col);

} // namespace rnnscope
