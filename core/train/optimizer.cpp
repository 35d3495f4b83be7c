#include "train/optimizer.h"

#include "common/error.h"
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

std::vector<std::string> Optimizer::slotNames() const
{
    switch (m_spec.kind) {
    case OptimizerKind::SGD: return m_spec.momentum != 0 ? std::vector<std::string>{"momentum"} : std::vector<std::string>{};
    case OptimizerKind::Adam: return {"momentum", "velocity"};
    case OptimizerKind::RMSprop: return {"velocity"};
    }
    return {};
}

NamedArrays Optimizer::state() const
{
    NamedArrays out;
    NdArray it;
    it.dtype = DType::Float64;
    it.values = {double(m_t)};
    out.emplace_back("iterations", it);
    const std::vector<std::string> names = slotNames();
    for (std::size_t k = 0; k < names.size(); ++k) {
        const std::vector<Eigen::VectorXd> &slots = k == 0 ? m_slot1 : m_slot2;
        for (std::size_t i = 0; i < slots.size(); ++i) {
            NdArray a;
            a.dtype = DType::Float64;
            a.shape = {std::int64_t(slots[i].size())};
            a.values.assign(slots[i].data(), slots[i].data() + slots[i].size());
            out.emplace_back(std::string(optimizerName(m_spec.kind)) + "_" + names[k] + "_" + std::to_string(i), a);
        }
    }
    return out;
}

void Optimizer::setState(const NamedArrays &state, const std::vector<Eigen::Index> &sizes)
{
    const auto find = [&](const std::string &key) -> const NdArray * {
        for (const auto &[name, a] : state)
            if (name == key)
                return &a;
        return nullptr;
    };
    const NdArray *it = find("iterations");
    if (!it || it->values.size() != 1 || !(it->values[0] >= 0) || it->values[0] != std::floor(it->values[0]))
        throw Error(ErrorKind::ShapeMismatch, "the optimizer state has no step count: expected a scalar 'iterations' ≥ 0");
    const long long t = static_cast<long long>(it->values[0]);
    std::vector<Eigen::VectorXd> slots[2];
    const std::vector<std::string> names = slotNames();
    for (std::size_t k = 0; k < 2; ++k)
        for (std::size_t i = 0; i < sizes.size(); ++i)
            slots[k].push_back(Eigen::VectorXd::Zero(sizes[i]));
    for (std::size_t k = 0; k < names.size() && t > 0; ++k)
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            const std::string key = std::string(optimizerName(m_spec.kind)) + "_" + names[k] + "_" + std::to_string(i);
            const NdArray *a = find(key);
            if (!a)
                throw Error(ErrorKind::ShapeMismatch, "the optimizer state has no '" + key + "': it is not the state of " + optimizerName(m_spec.kind)
                                                          + (m_spec.kind == OptimizerKind::SGD ? " with momentum" : ""));
            if (a->values.size() != std::size_t(sizes[i]))
                throw Error(ErrorKind::ShapeMismatch, "the optimizer state's '" + key + "' holds " + std::to_string(a->values.size())
                                                          + " values, but parameter " + std::to_string(i) + " has " + std::to_string(sizes[i]));
            slots[k][i] = Eigen::Map<const Eigen::VectorXd>(a->values.data(), sizes[i]);
        }
    m_t = t;
    m_slot1 = std::move(slots[0]);
    m_slot2 = std::move(slots[1]);
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
