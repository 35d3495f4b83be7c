#include "train/trainer.h"

#include "common/error.h"
#include "common/random.h"
#include "nn/param.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace rnnscope {

namespace {

constexpr int kValidationSamples = 256;
constexpr std::uint64_t kValidationSeedOffset = 0x5eed'0f'7a1dULL; // the validation set's own draws

} // namespace

Trainer::Trainer(const ModelConfig &config, const Weights &start, TaskKind task, const TrainSpec &spec)
    : m_config(config)
    , m_weights(start)
    , m_spec(spec)
    , m_optimizer(spec.optimizer)
    , m_task(task)
{
    const TaskShape s = taskShape(task);
    m_config.dims.D = s.D;
    m_config.dims.K = s.K;
    m_config.dims.N = std::max(1, spec.batchSize);
    m_config.returnSequences = s.returnSequences;
    m_config.dense = s.dense;
    checkShapes(m_weights, m_config.cellSpec());
    if (m_weights.D() != s.D || m_weights.K() != s.K)
        throw Error(ErrorKind::ShapeMismatch, std::string("the task ") + taskName(task) + " needs D=" + std::to_string(s.D) + " and K="
                                                  + std::to_string(s.K) + ", but the weights have D=" + std::to_string(m_weights.D())
                                                  + " and K=" + std::to_string(m_weights.K()));
    m_validationBatch = drawBatch(task, kValidationSamples, m_config.dims.T, spec.seed + kValidationSeedOffset);
    const std::int64_t N = kValidationSamples, T = m_config.dims.T;
    const std::vector<std::int64_t> out = s.returnSequences ? std::vector<std::int64_t>{N, T, s.K} : std::vector<std::int64_t>{N, s.K};
    if (!targetShapeFits(spec.loss, m_validationBatch.Y.shape, out))
        throw Error(ErrorKind::ShapeMismatch, std::string("the task ") + taskName(task) + " gives targets of the output's shape, but "
                                                  + lossName(spec.loss) + " takes class ids: use " + lossName(s.loss));
}

Trainer::Trainer(const ModelConfig &config, const Weights &start, const NdArray &X, const NdArray &Y, const TrainSpec &spec)
    : m_config(config)
    , m_weights(start)
    , m_spec(spec)
    , m_optimizer(spec.optimizer)
{
    checkShapes(m_weights, m_config.cellSpec());
    shapeData(X, Y);
}

void Trainer::shapeData(const NdArray &X, const NdArray &Y)
{
    if (X.rank() != 3 || X.shape[2] != m_weights.D())
        throw Error(ErrorKind::ShapeMismatch, "X has shape " + shapeString(X.shape) + ", but the model needs (N, T, "
                                                  + std::to_string(m_weights.D()) + ")");
    const std::int64_t N = X.shape[0], T = X.shape[1];
    const std::int64_t width = m_weights.hasDense() ? m_weights.K() : m_weights.M();
    const std::vector<std::int64_t> want = m_config.returnSequences ? std::vector<std::int64_t>{N, T, width}
                                                                    : std::vector<std::int64_t>{N, width};
    lossTarget(m_spec.loss, Y, want, "X " + shapeString(X.shape) + " gives outputs "); // refuses a target that does not fit
    if (!(m_spec.validationSplit >= 0 && m_spec.validationSplit < 1))
        throw Error(ErrorKind::OutOfRange, "the validation split " + std::to_string(m_spec.validationSplit) + " is out of range: expected 0 ≤ split < 1");
    m_X = X;
    m_Y = Y;
    // Keras's validation_split: the last samples, before any shuffling.
    const int held = int(std::floor(double(N) * m_spec.validationSplit));
    if (N - held < 1)
        throw Error(ErrorKind::OutOfRange, "a validation split of " + std::to_string(m_spec.validationSplit) + " leaves no sample to train on");
    m_train.resize(std::size_t(N - held));
    std::iota(m_train.begin(), m_train.end(), 0);
    m_validation.resize(std::size_t(held));
    std::iota(m_validation.begin(), m_validation.end(), int(N - held));
    m_config.dims.T = int(T);
}

void Trainer::orderEpoch()
{
    m_order = m_train;
    if (m_spec.shuffle) { // Fisher–Yates from the seed and the epoch
        Rng rng(m_spec.seed, Stream::Shuffle, std::uint64_t(m_epoch));
        for (std::size_t i = m_order.size(); i > 1; --i)
            std::swap(m_order[i - 1], m_order[std::size_t(rng.uniform01() * double(i))]);
    }
}

NamedArrays Trainer::state() const
{
    NamedArrays out;
    int i = 0;
    for (const auto &v : paramValues(m_weights)) {
        NdArray a;
        a.dtype = DType::Float64;
        a.shape = {std::int64_t(v.size())};
        a.values.assign(v.data(), v.data() + v.size());
        out.emplace_back("weight_" + std::to_string(i++), a);
    }
    for (auto &entry : m_optimizer.state())
        out.push_back(std::move(entry));
    return out;
}

void Trainer::resume(const NamedArrays &state)
{
    std::vector<Eigen::Index> sizes;
    Weights w = m_weights;
    int i = 0;
    for (auto &v : paramValues(w)) {
        const std::string key = "weight_" + std::to_string(i++);
        const auto found = std::find_if(state.begin(), state.end(), [&](const auto &e) { return e.first == key; });
        if (found == state.end() || found->second.values.size() != std::size_t(v.size()))
            throw Error(ErrorKind::ShapeMismatch, "the training state " + std::string(found == state.end() ? "has no '" + key + "'" : "'" + key + "' holds "
                                                  + std::to_string(found->second.values.size()) + " values")
                                                  + ", but the model's parameter " + std::to_string(i - 1) + " has " + std::to_string(v.size()));
        v = Eigen::Map<const Eigen::VectorXd>(found->second.values.data(), v.size());
        sizes.push_back(v.size());
    }
    m_optimizer.setState(state, sizes);
    m_weights = w;
    m_exploded = false;
    if (!m_task) { // the place in the epochs: every epoch has the same steps
        const long long perEpoch = stepsPerEpoch(), done = m_optimizer.iterations();
        const std::size_t b = m_spec.batchSize > 0 ? std::size_t(m_spec.batchSize) : m_train.size();
        m_epoch = int(done / perEpoch);
        m_next = std::size_t(done % perEpoch) * b;
        if (m_next > 0)
            orderEpoch();
    }
}

int Trainer::stepsPerEpoch() const
{
    if (m_task)
        return 0;
    const int b = m_spec.batchSize > 0 ? m_spec.batchSize : int(m_train.size());
    return int((m_train.size() + std::size_t(b) - 1) / std::size_t(b));
}

NdArray Trainer::targetsOf(const NdArray &Y, const std::vector<int> &samples)
{
    NdArray out;
    out.shape = Y.shape;
    out.shape[0] = std::int64_t(samples.size());
    out.dtype = Y.dtype;
    const std::size_t per = Y.size() / std::size_t(Y.shape[0]);
    out.values.reserve(per * samples.size());
    for (int s : samples)
        out.values.insert(out.values.end(), Y.values.begin() + std::ptrdiff_t(per * std::size_t(s)),
                          Y.values.begin() + std::ptrdiff_t(per * (std::size_t(s) + 1)));
    return out;
}

StepResult Trainer::step()
{
    ModelConfig c = m_config;
    Eigen::MatrixXd X;
    NdArray Y;
    m_epochEnded = false;
    const long long next = m_optimizer.iterations() + 1;
    if (m_task) {
        // Fresh samples every step, each step from its own seed.
        const Batch b = drawBatch(*m_task, c.dims.N, c.dims.T, m_spec.seed * 1000003ULL + std::uint64_t(next));
        X = inputColumns(b.X);
        Y = b.Y;
    } else {
        if (m_next == 0 || m_next >= m_order.size()) {
            orderEpoch();
            m_next = 0;
        }
        const std::size_t b = m_spec.batchSize > 0 ? std::size_t(m_spec.batchSize) : m_order.size();
        const std::vector<int> samples(m_order.begin() + std::ptrdiff_t(m_next),
                                       m_order.begin() + std::ptrdiff_t(std::min(m_order.size(), m_next + b)));
        m_next += samples.size();
        c.dims.N = int(samples.size());
        X = inputColumns(m_X, &samples);
        Y = targetsOf(m_Y, samples);
        if (m_next >= m_order.size()) {
            m_epochEnded = true;
            ++m_epoch;
            m_next = 0;
        }
    }
    const Gradients g = backprop(c, m_weights, X, Y, m_spec.loss);
    if (!std::isfinite(g.loss)) {
        m_exploded = true;
        return {next, g.loss};
    }
    // An update that overflows a weight is not kept either: the weights stay those of before it.
    const Weights before = m_weights;
    m_optimizer.apply(m_weights, g.dW);
    for (const auto &v : paramValues(m_weights))
        if (!v.allFinite()) {
            m_weights = before;
            m_exploded = true;
            break;
        }
    return {next, g.loss};
}

std::optional<double> Trainer::validationLoss() const
{
    ModelConfig c = m_config;
    if (m_task) {
        c.dims.N = kValidationSamples;
        return backprop(c, m_weights, inputColumns(m_validationBatch.X), m_validationBatch.Y, m_spec.loss).loss;
    }
    if (m_validation.empty())
        return std::nullopt;
    c.dims.N = int(m_validation.size());
    return backprop(c, m_weights, inputColumns(m_X, &m_validation), targetsOf(m_Y, m_validation), m_spec.loss).loss;
}

} // namespace rnnscope
