#include "train/optimizer.h"

#include "nn/param.h"

#include <cmath>

namespace rnnscope {

const char *optimizerName(OptimizerKind k)
{
    switch (k) {
    case OptimizerKind::SGD: return "sgd";
    case OptimizerKind::Adam: return "adam";
    case OptimizerKind::RMSprop: return "rmsprop";
    }
    return "?";
}

std::optional<OptimizerKind> parseOptimizer(const std::string &name)
{
    for (OptimizerKind k : {OptimizerKind::SGD, OptimizerKind::Adam, OptimizerKind::RMSprop})
        if (name == optimizerName(k))
            return k;
    return std::nullopt;
}

double OptimizerSpec::lr() const
{
    return learningRate.value_or(kind == OptimizerKind::SGD ? 0.01 : 0.001);
}

Optimizer::Optimizer(const OptimizerSpec &spec)
    : m_spec(spec)
{
}

void Optimizer::reset()
{
    m_t = 0;
    m_slot1.clear();
    m_slot2.clear();
}

void Optimizer::apply(Weights &w, const Weights &g)
{
    std::vector<Eigen::Map<Eigen::VectorXd>> params = paramValues(w);
    std::vector<Eigen::VectorXd> grads;
    for (const auto &v : paramValues(g))
        grads.emplace_back(v);
    if (m_slot1.size() != params.size()) {
        m_slot1.clear();
        m_slot2.clear();
        for (const auto &p : params) {
            m_slot1.push_back(Eigen::VectorXd::Zero(p.size()));
            m_slot2.push_back(Eigen::VectorXd::Zero(p.size()));
        }
    }
    // Clipping, as Keras applies it before the update.
    if (m_spec.clipvalue)
        for (auto &gr : grads)
            gr = gr.cwiseMax(-*m_spec.clipvalue).cwiseMin(*m_spec.clipvalue);
    if (m_spec.clipnorm)
        for (auto &gr : grads)
            if (const double n = gr.norm(); n > *m_spec.clipnorm)
                gr *= *m_spec.clipnorm / n;
    if (m_spec.globalClipnorm) {
        double sq = 0;
        for (const auto &gr : grads)
            sq += gr.squaredNorm();
        if (const double n = std::sqrt(sq); n > *m_spec.globalClipnorm)
            for (auto &gr : grads)
                gr *= *m_spec.globalClipnorm / n;
    }

    ++m_t;
    const double lr = m_spec.lr();
    for (std::size_t i = 0; i < params.size(); ++i) {
        auto &p = params[i];
        const Eigen::VectorXd &gr = grads[i];
        Eigen::VectorXd &s1 = m_slot1[i], &s2 = m_slot2[i];
        switch (m_spec.kind) {
        case OptimizerKind::SGD:
            if (m_spec.momentum == 0) {
                p -= lr * gr;
            } else {
                s1 = m_spec.momentum * s1 - lr * gr;
                p += m_spec.nesterov ? Eigen::VectorXd(m_spec.momentum * s1 - lr * gr) : s1;
            }
            break;
        case OptimizerKind::Adam: {
            s1 += (gr - s1) * (1 - m_spec.beta1);
            s2 += (gr.cwiseProduct(gr) - s2) * (1 - m_spec.beta2);
            const double t = double(m_t);
            const double alpha = lr * std::sqrt(1 - std::pow(m_spec.beta2, t)) / (1 - std::pow(m_spec.beta1, t));
            p.array() -= alpha * s1.array() / (s2.array().sqrt() + m_spec.epsilon);
            break;
        }
        case OptimizerKind::RMSprop:
            s1 = m_spec.rho * s1 + (1 - m_spec.rho) * gr.cwiseProduct(gr);
            p.array() -= lr * gr.array() / (s1.array() + m_spec.epsilon).sqrt();
            break;
        }
    }
}

} // namespace rnnscope
