#pragma once
// rnnscope::Weights — the parameters of a recurrent layer (SimpleRNN, LSTM or GRU, see cell.h)
// and the Dense(K) after it, in Keras's layout, with g gate blocks (1, 4 or 3):
//
//   Wx  kernel            (D, gM)   x_t · Wx
//   Wh  recurrent_kernel  (M, gM)   h_{t-1} · Wh
//   bh  bias              (gM,)     — a GRU with reset_after holds (2, gM) as 2gM values, row
//                                     0 (the input bias) first, row 1 (the recurrent bias) after
//   Wo  Dense kernel      (M, K)    h · Wo      (K = 0: no Dense layer)
//   bo  Dense bias        (K,)
//
// The cell is told from the shapes, as a loader of np.savez(*layer.get_weights()) tells it:
// g = Wh's columns / Wh's rows; a GRU bias of 2gM values means reset_after.
// Parameters: gM(D + M) + the bias for the cell, M·K + K for the Dense.
// Values are held as double; in float32 mode the engine rounds them to float when it computes.
//
// PyTorch's nn.RNN writes the same cell in the column convention:
//   weight_ih_l0 (M, D) = Wxᵀ,  weight_hh_l0 (M, M) = Whᵀ,  bias_ih_l0 + bias_hh_l0 = bh,
// and nn.Linear: weight (K, M) = Woᵀ, bias (K,) = bo.

#include "common/ndarray.h"
#include "nn/cell.h"

#include <Eigen/Core>

#include <string>

namespace rnnscope {

struct Weights {
    Eigen::MatrixXd Wx; // (D, M)
    Eigen::MatrixXd Wh; // (M, M)
    Eigen::VectorXd bh; // (M)
    Eigen::MatrixXd Wo; // (M, K)
    Eigen::VectorXd bo; // (K)

    int D() const { return static_cast<int>(Wx.rows()); }
    int M() const { return static_cast<int>(Wh.rows()); }
    int K() const { return static_cast<int>(Wo.cols()); }
    bool hasDense() const { return Wo.cols() > 0; }
    int gates() const { return Wh.rows() > 0 ? static_cast<int>(Wh.cols() / Wh.rows()) : 1; }
    CellKind kind() const { return gates() == 4 ? CellKind::LSTM : gates() == 3 ? CellKind::GRU : CellKind::SimpleRNN; }
    // Rows of the bias as Keras stores it: 2 for a GRU with reset_after, else 1.
    int biasRows() const { return Wh.cols() > 0 && bh.size() == 2 * Wh.cols() ? 2 : 1; }
    bool resetAfter() const { return biasRows() == 2; }

    long long rnnParams() const;   // gM(D + M) + the bias
    long long denseParams() const; // M·K + K
};

// Throws Error(ShapeMismatch) naming the first weight whose shape does not fit the others,
// e.g. "Wh has shape (4, 20), but M=5 needs (5, 20)". M is taken from Wh's rows.
void checkShapes(const Weights &w);
// The same, and that the shapes are those of `cell`: "the weights are an LSTM's (recurrent
// kernel (5, 20)), but the cell is gru".
void checkShapes(const Weights &w, const CellSpec &cell);

// The bias as Keras shapes it: (gM,), or (2, gM) for a GRU with reset_after.
std::vector<std::int64_t> biasShape(const Weights &w);
std::string biasShapeString(const Weights &w);

// Which weight names a weight set is written with.
enum class Layout { Keras, PyTorch };

// The weights as named arrays, in Keras get_weights() order.
//   Keras:   arr_0 … arr_4 (as np.savez(*model.get_weights()) names them); 3 arrays without Dense.
//   PyTorch: rnn.weight_ih_l0 (gM, D), rnn.weight_hh_l0 (gM, M), rnn.bias_ih_l0, rnn.bias_hh_l0,
//            fc.weight, fc.bias — the state_dict of a module with submodules `rnn` (nn.RNN,
//            nn.LSTM or nn.GRU) and `fc` (nn.Linear). Gate rows in PyTorch's order (GRU: r, z, n);
//            bias_ih = bh and bias_hh = 0, except a GRU's two rows. Throws Error(Unsupported) for
//            a cell with no exact PyTorch form (see pytorchRefusal).
NamedArrays weightsToArrays(const Weights &w, Layout layout, DType dtype, const CellSpec &cell = {});

// The four parameters of one layer and direction of nn.RNN / nn.LSTM / nn.GRU, in state_dict order.
inline constexpr const char *kPyTorchParameters[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
// A state_dict key of such a module, as PyTorch names it: pytorchKey("rnn.", "weight_ih", 1, true)
// is "rnn.weight_ih_l1_reverse". The one place the readers and writers build these names.
std::string pytorchKey(const std::string &prefix, const std::string &parameter, int layer = 0, bool reverse = false);

// Why `cell` has no exact PyTorch form ("" when it has one): a GRU without reset_after, LSTM/GRU
// activations other than tanh and sigmoid, a SimpleRNN other than tanh or relu.
std::string pytorchRefusal(const CellSpec &cell);

// Reorders the gate blocks of a (rows × gM) matrix's columns: block p of the result is block
// order[p] of `m` (pytorchGateOrder gives PyTorch's from Keras's; its inverse the way back).
Eigen::MatrixXd permuteGateColumns(const Eigen::Ref<const Eigen::MatrixXd> &m, const std::vector<int> &order);
std::vector<int> inverseOrder(const std::vector<int> &order);

// A row-major NdArray of rank 2 (or 1) to an Eigen matrix (vector), and back.
Eigen::MatrixXd matrixFromArray(const NdArray &a);
Eigen::VectorXd vectorFromArray(const NdArray &a);
NdArray arrayFromMatrix(const Eigen::Ref<const Eigen::MatrixXd> &m, DType dtype);
NdArray arrayFromVector(const Eigen::Ref<const Eigen::VectorXd> &v, DType dtype);

// "(3, 5)" for a matrix, "(5,)" for a vector.
std::string shapeOf(const Eigen::MatrixXd &m);
std::string shapeOf(const Eigen::VectorXd &v);

} // namespace rnnscope
