#include "engine.h"

#include "gemm.h"

namespace rnnscope {

template <typename S>
void Engine<S>::setSpec(const NetworkSpec &spec)
{
    m_spec = spec;
    const auto &d = spec.dims;
    const Eigen::Index cols = static_cast<Eigen::Index>(d.T) * d.N;
    m_X.resize(d.D, cols);
    m_P.resize(d.M, cols);
    m_H.resize(d.M, cols);
    m_Y.resize(d.K, cols);
    m_Y.setConstant(std::numeric_limits<S>::quiet_NaN());
}

template <typename S>
void Engine<S>::setWeights(const Weights &w)
{
    m_WxT = w.Wx.transpose().cast<S>();
    m_WhT = w.Wh.transpose().cast<S>();
    m_nonFiniteWh = !m_WhT.allFinite();
    m_zeroWh = m_WhT * Vec::Zero(m_WhT.cols());
    m_bh = w.bh.cast<S>();
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
void Engine<S>::step(int t)
{
    const Eigen::Index n = m_spec.dims.N;
    auto p = m_P.middleCols(col(t), n);
    if (t > 0)
        gemm(m_WhT, m_H.middleCols(col(t - 1), n), p, true);
    else if (m_nonFiniteWh)
        p.colwise() += m_zeroWh;
    applyActivation(m_spec.cell, p, m_H.middleCols(col(t), n));
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
