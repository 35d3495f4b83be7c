#include "nn/engine.h"

#include "common/gemm.h"

#include <limits>

namespace rnnscope {

template <typename S>
void Engine<S>::setSpec(const NetworkSpec &spec)
{
    m_spec = spec;
    const auto &d = spec.dims;
    const Eigen::Index cols = static_cast<Eigen::Index>(d.T) * d.N;
    const Eigen::Index gM = static_cast<Eigen::Index>(spec.cell.gates()) * d.M;
    m_X.resize(d.D, cols);
    m_P.resize(gM, cols);
    m_H.resize(d.M, cols);
    m_C.resize(spec.cell.kind == CellKind::LSTM ? d.M : 0, spec.cell.kind == CellKind::LSTM ? cols : 0);
    m_Y.resize(d.K, cols);
    m_Y.setConstant(std::numeric_limits<S>::quiet_NaN());
    const bool gated = spec.cell.kind != CellKind::SimpleRNN;
    m_A.resize(gated ? gM : 0, gated ? d.N : 0);
    m_R.resize(spec.cell.kind == CellKind::GRU ? gM : 0, spec.cell.kind == CellKind::GRU ? d.N : 0);
}

template <typename S>
void Engine<S>::setWeights(const Weights &w)
{
    const Eigen::Index gM = w.Wh.cols();
    m_WxT = w.Wx.transpose().cast<S>();
    m_WhT = w.Wh.transpose().cast<S>();
    m_nonFiniteWh = !m_WhT.allFinite();
    m_zeroWh = m_WhT * Vec::Zero(m_WhT.cols());
    m_bh = w.bh.head(gM).cast<S>();
    m_bRec = w.resetAfter() ? Vec(w.bh.tail(gM).cast<S>()) : Vec::Zero(gM);
    m_WoT = w.Wo.transpose().cast<S>();
    m_bo = w.bo.cast<S>();
}

template <typename S>
void Engine<S>::setInput(const Eigen::Ref<const Eigen::MatrixXd> &x)
{
    m_X = x.cast<S>();
}

template <typename S>
void Engine<S>::project()
{
    gemm(m_WxT, m_X, m_P, false);
    m_P.colwise() += m_bh;
}

template <typename S>
void Engine<S>::project(int t0, int t1)
{
    const Eigen::Index c0 = col(t0), cols = col(t1) - c0;
    auto p = m_P.middleCols(c0, cols);
    gemm(m_WxT, m_X.middleCols(c0, cols), p, false);
    p.colwise() += m_bh;
}

template <typename S>
template <typename Out>
void Engine<S>::recurrent(int t, Eigen::Index row0, Eigen::Index rows, Out &&out, bool accumulate)
{
    const Eigen::Index n = m_spec.dims.N;
    if (t > 0) {
        gemm(m_WhT.middleRows(row0, rows), m_H.middleCols(col(t - 1), n), out, accumulate);
        return;
    }
    if (!accumulate)
        out.setZero();
    if (m_nonFiniteWh)
        out.colwise() += m_zeroWh.segment(row0, rows);
}

template <typename S>
void Engine<S>::step(int t)
{
    switch (m_spec.cell.kind) {
    case CellKind::LSTM: stepLstm(t); return;
    case CellKind::GRU: stepGru(t); return;
    case CellKind::SimpleRNN: break;
    }
    const Eigen::Index n = m_spec.dims.N;
    auto p = m_P.middleCols(col(t), n);
    recurrent(t, 0, p.rows(), p, true);
    applyActivation(m_spec.cell.activation, p, m_H.middleCols(col(t), n));
}

// i = σ(z_i), f = σ(z_f), g = act(z_c), o = σ(z_o); c_t = f⊙c_{t−1} + i⊙g; h_t = o⊙act(c_t).
template <typename S>
void Engine<S>::stepLstm(int t)
{
    const Eigen::Index n = m_spec.dims.N, M = m_spec.dims.M;
    auto p = m_P.middleCols(col(t), n);
    recurrent(t, 0, p.rows(), p, true);
    const Activation act = m_spec.cell.activation, sigma = m_spec.cell.recurrent;
    applyActivation(sigma, p.topRows(2 * M), m_A.topRows(2 * M)); // i, f
    applyActivation(act, p.middleRows(2 * M, M), m_A.middleRows(2 * M, M));
    applyActivation(sigma, p.bottomRows(M), m_A.bottomRows(M));
    auto c = m_C.middleCols(col(t), n);
    const auto i = m_A.topRows(M).array(), f = m_A.middleRows(M, M).array(), g = m_A.middleRows(2 * M, M).array();
    if (t > 0)
        c.array() = f * m_C.middleCols(col(t - 1), n).array() + i * g;
    else
        c.array() = f * S(0) + i * g; // c_{−1} = 0 (a NaN forget gate still gives NaN, as in Keras)
    auto h = m_H.middleCols(col(t), n);
    applyActivation(act, c, h);
    h.array() *= m_A.bottomRows(M).array();
}

// z = σ(x·W_z + h·U_z + b_z), r likewise; h̃ = act(x·W_h + b_h + r⊙(h·U_h + b_rec,h)) with
// reset_after, act(x·W_h + b_h + (r⊙h)·U_h) without; h_t = z⊙h_{t−1} + (1−z)⊙h̃.
template <typename S>
void Engine<S>::stepGru(int t)
{
    const Eigen::Index n = m_spec.dims.N, M = m_spec.dims.M;
    auto p = m_P.middleCols(col(t), n);
    const Activation act = m_spec.cell.activation, sigma = m_spec.cell.recurrent;
    if (m_spec.cell.resetAfter) {
        recurrent(t, 0, 3 * M, m_R, false); // h·U for all three blocks, one product
        m_R.colwise() += m_bRec;
        p.topRows(2 * M) += m_R.topRows(2 * M);
        applyActivation(sigma, p.topRows(2 * M), m_A.topRows(2 * M));
        p.bottomRows(M).array() += m_A.middleRows(M, M).array() * m_R.bottomRows(M).array();
    } else {
        recurrent(t, 0, 2 * M, p.topRows(2 * M), true);
        applyActivation(sigma, p.topRows(2 * M), m_A.topRows(2 * M));
        auto rh = m_R.topRows(M);
        if (t > 0) {
            rh.array() = m_A.middleRows(M, M).array() * m_H.middleCols(col(t - 1), n).array();
            gemm(m_WhT.bottomRows(M), rh, p.bottomRows(M), true);
        } else if (m_nonFiniteWh) {
            p.bottomRows(M).colwise() += m_zeroWh.tail(M);
        }
    }
    applyActivation(act, p.bottomRows(M), m_A.bottomRows(M));
    const auto z = m_A.topRows(M).array(), candidate = m_A.bottomRows(M).array();
    auto h = m_H.middleCols(col(t), n);
    if (t > 0)
        h.array() = z * m_H.middleCols(col(t - 1), n).array() + (S(1) - z) * candidate;
    else
        h.array() = z * S(0) + (S(1) - z) * candidate;
}

template <typename S>
void Engine<S>::output(int t)
{
    if (m_spec.dims.K == 0)
        return;
    auto y = m_Y.middleCols(col(t), m_spec.dims.N);
    gemm(m_WoT, m_H.middleCols(col(t), m_spec.dims.N), y, false);
    y.colwise() += m_bo;
    applyActivation(m_spec.dense, y);
}

template <typename S>
void Engine<S>::forward()
{
    const int T = m_spec.dims.T;
    project();
    for (int t = 0; t < T; ++t)
        step(t);
    if (m_spec.dims.K == 0)
        return;
    if (m_spec.returnSequences) {
        // One product for all timesteps: Y = Woᵀ·H + bo.
        gemm(m_WoT, m_H, m_Y, false);
        m_Y.colwise() += m_bo;
        applyActivation(m_spec.dense, m_Y);
    } else {
        output(T - 1);
    }
}

template class Engine<float>;
template class Engine<double>;

} // namespace rnnscope
