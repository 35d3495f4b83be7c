#pragma once
// rnnscope::Engine<S> — the forward pass of SimpleRNN(M) -> Dense(K) in one scalar type.
//
// The maths, in Keras's row-vector convention (x_t (N,D), h_t (N,M)):
//   h_{-1} = 0
//   a_t = x_t·Wx + h_{t-1}·Wh + bh          pre-activation (N,M)
//   h_t = act(a_t)                          hidden state   (N,M)
//   y_t = act_o(h_t·Wo + bo)                output         (N,K)
// Without return_sequences the model's output is y_{T-1}; with it, every y_t.
//
// Storage is the transpose (one column per sample, so a timestep is a contiguous block):
//   X  D × (T·N)   column t·N + n is x_t of sample n
//   P  M × (T·N)   pre-activations; first all x_t·Wx + bh in one product, then + h_{t-1}·Wh per step
//   H  M × (T·N)   hidden states
//   Y  K × (T·N)   outputs (computed for the timesteps asked for)
// No copies of the big matrices on the step path: each step is one product into P's block and
// one activation into H's block.

#include "activation.h"
#include "dims.h"
#include "weights.h"

#include <Eigen/Core>

namespace rnnscope {

struct NetworkSpec {
    Dims dims;
    bool returnSequences = false;
    Activation cell = Activation::Tanh;
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

    // Rounds the weights to S. Shapes must match the spec's D, M, K.
    void setWeights(const Weights &w);
    // X as D × (T·N), time-major (see above), rounded to S.
    void setInput(const Eigen::Ref<const Eigen::MatrixXd> &x);

    // P = Wxᵀ·X + bh for every timestep at once.
    void project();
    // The same for timesteps t0 … t1−1 only (one product over their columns).
    void project(int t0, int t1);
    // Timestep t: P_t += Whᵀ·H_{t−1} (H_{−1} = 0), H_t = act(P_t). Needs project() and steps < t.
    void step(int t);
    // Y_t = act_o(Woᵀ·H_t + bo) for timestep t (no-op when K = 0).
    void output(int t);
    // project(), every step, and the outputs the model returns (y_{T−1}, or every y_t).
    void forward();

    // Views of timestep t, one column per sample.
    ConstBlock x(int t) const { return m_X.middleCols(col(t), m_spec.dims.N); }
    ConstBlock pre(int t) const { return m_P.middleCols(col(t), m_spec.dims.N); }
    ConstBlock hidden(int t) const { return m_H.middleCols(col(t), m_spec.dims.N); }
    ConstBlock out(int t) const { return m_Y.middleCols(col(t), m_spec.dims.N); }

    // The storage itself (column-major, see above), for reading single values without a block.
    const S *preData() const { return m_P.data(); }
    const S *hiddenData() const { return m_H.data(); }
    const S *outData() const { return m_Y.data(); }

    const Mat &Wx() const { return m_WxT; } // stored transposed: M × D
    const Mat &Wh() const { return m_WhT; } // M × M
    const Vec &bh() const { return m_bh; }

private:
    Eigen::Index col(int t) const { return static_cast<Eigen::Index>(t) * m_spec.dims.N; }

    NetworkSpec m_spec;
    Mat m_WxT, m_WhT, m_WoT; // transposed weights: M×D, M×M, K×M
    Vec m_bh, m_bo;
    // h_{−1}·Wh = 0·Wh: zero, except NaN in every column of Wh that holds a NaN or ±Inf (0·Inf is
    // NaN), as Keras's matmul gives at t = 0.
    Vec m_zeroWh;
    bool m_nonFiniteWh = false;
    Mat m_X, m_P, m_H, m_Y;
};

extern template class Engine<float>;
extern template class Engine<double>;

} // namespace rnnscope
