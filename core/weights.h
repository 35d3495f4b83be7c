#pragma once
// rnnscope::Weights — the parameters of SimpleRNN(M) -> Dense(K), in Keras's layout.
//
//   Wx  kernel            (D, M)    x_t · Wx
//   Wh  recurrent_kernel  (M, M)    h_{t-1} · Wh
//   bh  bias              (M,)
//   Wo  Dense kernel      (M, K)    h · Wo      (K = 0: no Dense layer)
//   bo  Dense bias        (K,)
//
// Parameters: D·M + M·M + M for the SimpleRNN, M·K + K for the Dense.
// Values are held as double; in float32 mode the engine rounds them to float when it computes.
//
// PyTorch's nn.RNN writes the same cell in the column convention:
//   weight_ih_l0 (M, D) = Wxᵀ,  weight_hh_l0 (M, M) = Whᵀ,  bias_ih_l0 + bias_hh_l0 = bh,
// and nn.Linear: weight (K, M) = Woᵀ, bias (K,) = bo.

#include "ndarray.h"

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

    long long rnnParams() const;   // D·M + M·M + M
    long long denseParams() const; // M·K + K
};

// Throws Error(ShapeMismatch) naming the first weight whose shape does not fit the others,
// e.g. "Wh has shape (4, 5), but M=5 needs (5, 5)". M is taken from Wx's columns.
void checkShapes(const Weights &w);

// Which weight names a weight set is written with.
enum class Layout { Keras, PyTorch };

// The weights as named arrays, in Keras get_weights() order.
//   Keras:   arr_0 … arr_4 (as np.savez(*model.get_weights()) names them); 3 arrays without Dense.
//   PyTorch: rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0 (= bh), rnn.bias_hh_l0 (= 0),
//            fc.weight, fc.bias — the state_dict of a module with submodules `rnn` and `fc`.
NamedArrays weightsToArrays(const Weights &w, Layout layout, DType dtype);

// A row-major NdArray of rank 2 (or 1) to an Eigen matrix (vector), and back.
Eigen::MatrixXd matrixFromArray(const NdArray &a);
Eigen::VectorXd vectorFromArray(const NdArray &a);
NdArray arrayFromMatrix(const Eigen::Ref<const Eigen::MatrixXd> &m, DType dtype);
NdArray arrayFromVector(const Eigen::Ref<const Eigen::VectorXd> &v, DType dtype);

// "(3, 5)" for a matrix, "(5,)" for a vector.
std::string shapeOf(const Eigen::MatrixXd &m);
std::string shapeOf(const Eigen::VectorXd &v);

} // namespace rnnscope
