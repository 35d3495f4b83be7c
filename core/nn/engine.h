#pragma once
// rnnscope::Engine<S> — the forward pass of one recurrent layer (SimpleRNN, LSTM or GRU, see
// cell.h) -> Dense(K) in one scalar type.
//
// The maths, in Keras's row-vector convention (x_t (N,D), h_t (N,M), g gate blocks):
//   h_{-1} = 0, c_{-1} = 0
//   z_t = x_t·Wx + h_{t-1}·Wh + b            pre-activations of every gate (N,gM)
//   h_t (and c_t) from z_t as the cell computes them (cell.h)
//   y_t = act_o(h_t·Wo + bo)                 output (N,K)
// Without return_sequences the model's output is y_{T-1}; with it, every y_t.
//
// Storage is the transpose (one column per sample, so a timestep is a contiguous block):
//   X  D × (T·N)    column t·N + n is x_t of sample n
//   P  gM × (T·N)   pre-activations: first all x_t·Wx + b in one product, then + h_{t-1}·Wh per
//                   step (one product for all gates). A GRU's candidate block holds the candidate's
//                   own pre-activation (x·W_h + b_h + r⊙(h·U_h + b_rec,h), or + (r⊙h)·U_h)
//   C  M × (T·N)    an LSTM's cell states (empty for the other cells)
//   H  M × (T·N)    hidden states
//   Y  K × (T·N)    outputs (computed for the timesteps asked for)
// The activated gates are σ or act of P's blocks (gate(q, …) below). No copies of the big
// matrices and no allocation on the step path: a step is one product into P's block (two for a
// GRU without reset_after, whose reset gate comes before its candidate's product) and vectorised
// activations into a scratch block of gM × N allocated once.

#include "common/activation.h"
#include "nn/cell.h"
#include "nn/dims.h"
#include "nn/weights.h"

#include <Eigen/Core>

#include <utility>

namespace rnnscope {

struct NetworkSpec {
    Dims dims;
    bool returnSequences = false;
    CellSpec cell;
    Activation dense = Activation::Linear;
};

template <typename S>
class Engine {
public:
    using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
    using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;
    using ConstBlock = decltype(std::declval<const Mat &>().middleCols(0, 0));

    // Allocates P, H, Y for the spec's sizes (weights and input must be set again when D, M, K,
    // N or T change).
    void setSpec(const NetworkSpec &spec);
    const NetworkSpec &spec() const { return m_spec; }

    // Rounds the weights to S. Shapes must match the spec's cell, D, M, K.
    void setWeights(const Weights &w);
    // X as D × (T·N), time-major (see above), rounded to S.
    void setInput(const Eigen::Ref<const Eigen::MatrixXd> &x);
    // The same, already in S (the sequence a layer below computed): taken as it is.
    void takeInput(Mat x) { m_X = std::move(x); }

    // P = Wxᵀ·X + b for every timestep at once (a GRU with reset_after: its input bias).
    void project();
    // The same for timesteps t0 … t1−1 only (one product over their columns).
    void project(int t0, int t1);
    // Timestep t: P_t += Whᵀ·H_{t−1} (H_{−1} = 0), then the cell's gates, C_t and H_t. Needs
    // project() and steps < t.
    void step(int t);
    // Y_t = act_o(Woᵀ·H_t + bo) for timestep t (no-op when K = 0).
    void output(int t);
    // project(), every step, and the outputs the model returns (y_{T−1}, or every y_t).
    void forward();

    // Views of timestep t, one column per sample.
    ConstBlock x(int t) const { return m_X.middleCols(col(t), m_spec.dims.N); }
    ConstBlock pre(int t) const { return m_P.middleCols(col(t), m_spec.dims.N); }
    ConstBlock hidden(int t) const { return m_H.middleCols(col(t), m_spec.dims.N); }
    ConstBlock cellState(int t) const { return m_C.middleCols(col(t), m_spec.dims.N); } // LSTM only
    ConstBlock out(int t) const { return m_Y.middleCols(col(t), m_spec.dims.N); }

    // The storage itself (column-major, see above), for reading single values without a block.
    const S *preData() const { return m_P.data(); }
    const S *hiddenData() const { return m_H.data(); }
    const S *cellData() const { return m_C.data(); }
    const S *outData() const { return m_Y.data(); }
    // Every hidden state, M × (T·N).
    const Mat &hiddenMatrix() const { return m_H; }

    const Mat &Wx() const { return m_WxT; } // stored transposed: gM × D
    const Mat &Wh() const { return m_WhT; } // gM × M
    const Vec &bh() const { return m_bh; }  // the input bias (gM)

private:
    Eigen::Index col(int t) const { return static_cast<Eigen::Index>(t) * m_spec.dims.N; }

    void stepLstm(int t);
    void stepGru(int t);
    // The recurrent product h_{t−1}·Wh of `rows` gate rows from `row0` into `out` (zero at t = 0, see
    // m_zeroWh), + `add` when accumulate.
    template <typename Out> void recurrent(int t, Eigen::Index row0, Eigen::Index rows, Out &&out, bool accumulate);

    NetworkSpec m_spec;
    Mat m_WxT, m_WhT, m_WoT; // transposed weights: gM×D, gM×M, K×M
    Vec m_bh, m_bo;
    Vec m_bRec; // a GRU with reset_after: the recurrent bias (gM)
    // h_{−1}·Wh = 0·Wh: zero, except NaN in every column of Wh that holds a NaN or ±Inf (0·Inf is
    // NaN), as Keras's matmul gives at t = 0.
    Vec m_zeroWh;
    bool m_nonFiniteWh = false;
    Mat m_X, m_P, m_C, m_H, m_Y;
    Mat m_A; // scratch, gM × N: the activated gates of the step being computed
    Mat m_R; // scratch, gM × N: a GRU's recurrent product (reset_after) or r⊙h_{t−1} (not)
};

extern template class Engine<float>;
extern template class Engine<double>;

} // namespace rnnscope
