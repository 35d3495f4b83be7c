#include "run/model.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rnnscope {


template <typename F>
auto Model::withEngine(F &&f)
{
    return std::visit(std::forward<F>(f), m_engine);
}

template <typename F>
auto Model::withEngine(F &&f) const
{
    return std::visit(std::forward<F>(f), m_engine);
}

Model::Model(const ModelConfig &config)
    : m_config(config)
{
    checkDims(config.dims, config.dtype, config.memoryBudget, config.cellSpec());
    checkCell(config.cellSpec());
    const Dims &d = config.dims;
    m_weights = initialWeights(d.D, d.M, d.K, config.init, config.seed, config.cellSpec());
    m_X = randomInput(d.N, d.T, d.D, config.seed);
    rebuildEngine();
}

Model::Model(const ModelState &state)
    : m_engine(std::in_place_type<Engine<float>>)
{
    restore(state);
}

NetworkSpec Model::spec() const
{
    return NetworkSpec{m_config.dims, m_config.returnSequences, m_config.cellSpec(), m_config.dense};
}

void Model::rebuildEngine()
{
    if (m_config.dtype == DType::Float32)
        m_engine.emplace<Engine<float>>();
    else
        m_engine.emplace<Engine<double>>();
    withEngine([this](auto &e) {
        e.setSpec(spec());
        e.setWeights(m_weights);
        e.setInput(m_X);
    });
    m_summaries.assign(static_cast<std::size_t>(m_config.dims.T) * m_config.dims.N, StepSummary{});
    m_gM = m_config.cellSpec().gates() * m_config.dims.M;
    m_computed = 0;
    m_projected = 0;
}

void Model::invalidate()
{
    withEngine([this](auto &e) {
        e.setWeights(m_weights);
        e.setInput(m_X);
    });
    m_computed = 0;
    m_projected = 0;
}

void Model::restore(const ModelState &state)
{
    checkDims(state.config.dims, state.config.dtype, state.config.memoryBudget, state.config.cellSpec());
    checkCell(state.config.cellSpec());
    checkShapes(state.weights, state.config.cellSpec());
    m_config = state.config;
    m_weights = state.weights;
    m_X = state.X;
    rebuildEngine();
}

Eigen::MatrixXd resizedInput(const Eigen::MatrixXd &X, const Dims &old, const Dims &dims, std::uint64_t seed)
{
    if (dims.N == old.N && dims.T == old.T && dims.D == old.D)
        return X;
    Eigen::MatrixXd x = randomInput(dims.N, dims.T, dims.D, seed);
    const int n = std::min(dims.N, old.N), t = std::min(dims.T, old.T), dd = std::min(dims.D, old.D);
    for (int i = 0; i < n; ++i)
        for (int s = 0; s < t; ++s)
            x.block(0, static_cast<Eigen::Index>(s) * dims.N + i, dd, 1) = X.block(0, static_cast<Eigen::Index>(s) * old.N + i, dd, 1);
    return x;
}

void Model::setDims(const Dims &dims)
{
    checkDims(dims, m_config.dtype, m_config.memoryBudget, m_config.cellSpec());
    const Dims old = m_config.dims;
    Weights w = m_weights;
    if (dims.D != old.D || dims.M != old.M || dims.K != old.K)
        w = initialWeights(dims.D, dims.M, dims.K, m_config.init, m_config.seed, m_config.cellSpec());
    Eigen::MatrixXd x = resizedInput(m_X, old, dims, m_config.seed);
    m_config.dims = dims;
    m_weights = std::move(w);
    m_X = std::move(x);
    rebuildEngine();
}

void Model::setReturnSequences(bool on)
{
    m_config.returnSequences = on;
    rebuildEngine();
}

void Model::setActivations(Activation cell, Activation dense)
{
    CellSpec c = m_config.cellSpec();
    c.activation = cell;
    checkCell(c);
    m_config.cell = cell;
    m_config.dense = dense;
    rebuildEngine();
}

void Model::setCell(const CellSpec &cell)
{
    checkCell(cell);
    const Dims &d = m_config.dims;
    checkDims(d, m_config.dtype, m_config.memoryBudget, cell);
    const CellSpec old = m_config.cellSpec();
    Weights w = m_weights;
    if (cell.gates() != old.gates() || cell.biasRows() != old.biasRows() || cell.kind != old.kind)
        w = initialWeights(d.D, d.M, d.K, m_config.init, m_config.seed, cell);
    m_config.kind = cell.kind;
    m_config.cell = cell.activation;
    m_config.recurrent = cell.recurrent;
    m_config.resetAfter = cell.resetAfter;
    m_weights = std::move(w);
    rebuildEngine();
}

void Model::setDtype(DType dtype)
{
    checkDims(m_config.dims, dtype, m_config.memoryBudget, m_config.cellSpec());
    m_config.dtype = dtype;
    rebuildEngine();
}

void Model::setInitSpec(const InitSpec &spec)
{
    if (!(spec.scale >= 0) || !std::isfinite(spec.scale))
        throw Error(ErrorKind::OutOfRange, "initializer scale " + std::to_string(spec.scale)
                                               + " is out of range: expected a finite number ≥ 0");
    m_config.init = spec;
}

void Model::setSeed(std::uint64_t seed)
{
    m_config.seed = seed;
}

void Model::randomizeWeights()
{
    const Dims &d = m_config.dims;
    m_weights = initialWeights(d.D, d.M, d.K, m_config.init, m_config.seed, m_config.cellSpec());
    invalidate();
}

void Model::randomizeInput()
{
    const Dims &d = m_config.dims;
    m_X = randomInput(d.N, d.T, d.D, m_config.seed);
    invalidate();
}

void Model::setWeights(const Weights &w)
{
    checkShapes(w);
    Dims dims = m_config.dims;
    dims.D = w.D();
    dims.M = w.M();
    dims.K = w.hasDense() ? w.K() : 0;
    CellSpec cell = m_config.cellSpec();
    cell.kind = w.kind();
    if (cell.kind == CellKind::GRU)
        cell.resetAfter = w.resetAfter();
    checkDims(dims, m_config.dtype, m_config.memoryBudget, cell);
    Eigen::MatrixXd x = m_X;
    if (dims.D != m_config.dims.D)
        x = randomInput(dims.N, dims.T, dims.D, m_config.seed);
    m_config.dims = dims;
    m_config.kind = cell.kind;
    m_config.resetAfter = cell.resetAfter;
    m_weights = w;
    if (!w.hasDense()) {
        m_weights.Wo.resize(dims.M, 0);
        m_weights.bo.resize(0);
    }
    m_X = std::move(x);
    rebuildEngine();
}

void Model::setInput(const Eigen::Ref<const Eigen::MatrixXd> &x, int N, int T)
{
    Dims dims = m_config.dims;
    if (x.rows() != dims.D)
        throw Error(ErrorKind::ShapeMismatch, "X has " + std::to_string(x.rows()) + " features, but D="
                                                  + std::to_string(dims.D) + " needs (N, T, "
                                                  + std::to_string(dims.D) + ")");
    if (x.cols() != static_cast<Eigen::Index>(N) * T)
        throw Error(ErrorKind::ShapeMismatch, "X has " + std::to_string(x.cols()) + " columns, but N="
                                                  + std::to_string(N) + ", T=" + std::to_string(T)
                                                  + " needs " + std::to_string(static_cast<long long>(N) * T));
    dims.N = N;
    dims.T = T;
    checkDims(dims, m_config.dtype, m_config.memoryBudget, m_config.cellSpec());
    m_config.dims = dims;
    m_X = x;
    rebuildEngine();
}

std::vector<std::int64_t> outputShape(const ModelConfig &c)
{
    const std::int64_t width = c.dims.K > 0 ? c.dims.K : c.dims.M;
    return c.returnSequences ? std::vector<std::int64_t>{c.dims.N, c.dims.T, width} : std::vector<std::int64_t>{c.dims.N, width};
}

Eigen::MatrixXd inputColumns(const NdArray &X, const std::vector<int> *samples)
{
    const std::int64_t T = X.shape[1], D = X.shape[2];
    const std::int64_t n = samples ? static_cast<std::int64_t>(samples->size()) : X.shape[0];
    Eigen::MatrixXd m(D, T * n);
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t sample = samples ? (*samples)[static_cast<std::size_t>(i)] : i;
        for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t d = 0; d < D; ++d)
                m(d, t * n + i) = X.values[static_cast<std::size_t>((sample * T + t) * D + d)];
    }
    return m;
}

NdArray inputFromArray(const NdArray &a, int expectedD)
{
    const std::string shape = shapeString(a.shape);
    const std::string d = expectedD > 0 ? std::to_string(expectedD) : "D";
    const std::string because = expectedD > 0 ? "D=" + d : std::string("an input");
    if (a.rank() != 2 && a.rank() != 3)
        throw Error(ErrorKind::ShapeMismatch, "X has shape " + shape + ", but " + because + " needs (N, T, " + d + ") or (T, " + d + ")");
    const std::int64_t actualD = a.shape.back();
    if (expectedD > 0 && actualD != expectedD)
        throw Error(ErrorKind::ShapeMismatch, "X has shape " + shape + ", but " + because + " needs " +
                                                  (a.rank() == 3 ? "(N, T, " + d + ")" : "(T, " + d + ")"));
    if (std::any_of(a.shape.begin(), a.shape.end(), [](std::int64_t n) { return n < 1; }))
        throw Error(ErrorKind::ShapeMismatch, "X has shape " + shape + ", but N, T and D must be at least 1");
    NdArray x = a;
    if (x.rank() == 2)
        x.shape.insert(x.shape.begin(), 1);
    return x;
}

void Model::setInput(const NdArray &array)
{
    const int D = m_config.dims.D;
    const NdArray a = inputFromArray(array, D); // (N, T, D), checked
    const std::int64_t N = a.shape[0], T = a.shape[1];
    if (N > DimLimits::maxN || T > DimLimits::maxT)
        throw Error(ErrorKind::OutOfRange, "X has shape " + shapeString(array.shape) + ": expected N ≤ "
                                               + std::to_string(DimLimits::maxN) + " and T ≤ "
                                               + std::to_string(DimLimits::maxT));
    Dims dims = m_config.dims;
    dims.N = static_cast<int>(N);
    dims.T = static_cast<int>(T);
    checkDims(dims, m_config.dtype, m_config.memoryBudget, m_config.cellSpec());
    setInput(inputColumns(a), dims.N, dims.T);
}

void Model::setWeightValue(WeightId id, int row, int col, double value)
{
    setWeightAt(m_weights, id, row, col, value); // (throws outside the parameter's shape)
    invalidate();
}

void Model::setInputValue(int n, int t, int d, double value)
{
    const Dims &dims = m_config.dims;
    if (n < 0 || n >= dims.N || t < 0 || t >= dims.T || d < 0 || d >= dims.D)
        throw Error(ErrorKind::OutOfRange, "X[" + std::to_string(n) + ", " + std::to_string(t) + ", "
                                               + std::to_string(d) + "] is outside its shape "
                                               + shapeString({dims.N, dims.T, dims.D}));
    m_X(d, col(n, t)) = value;
    invalidate();
}

namespace {

// Chunks of about this many multiply–adds: a few milliseconds, so that a stop is quick and the
// products stay large enough to run at full speed.
constexpr double kChunkWork = double(1 << 22);

int chunkSteps(double perStep, int most)
{
    return static_cast<int>(std::clamp(kChunkWork / std::max(perStep, 1.0), 1.0, double(most)));
}

} // namespace

void Model::summarize(int t)
{
    const int N = m_config.dims.N;
    withEngine([&](const auto &e) {
        const auto h = e.hidden(t);
        for (int n = 0; n < N; ++n) {
            ValueSummary v;
            v.add(h.col(n).data(), h.rows());
            m_summaries[static_cast<std::size_t>(t) * N + n] =
                StepSummary{v.maxAbs, static_cast<std::uint32_t>(v.nan), static_cast<std::uint16_t>(v.posInf),
                            static_cast<std::uint16_t>(v.negInf)};
        }
    });
}

ValueSummary Model::hiddenSummary(int n, int t0, int t1) const
{
    ValueSummary r;
    const int N = m_config.dims.N;
    t1 = std::min(t1, computedSteps());
    for (int t = std::max(t0, 0); t < t1; ++t) {
        const StepSummary &s = m_summaries[static_cast<std::size_t>(t) * N + n];
        r.maxAbs = std::max(r.maxAbs, s.maxAbs);
        r.nan += s.nan;
        r.posInf += s.posInf;
        r.negInf += s.negInf;
    }
    return r;
}

double Model::workThrough(int t) const
{
    const Dims &d = m_config.dims;
    t = std::min(t, d.T - 1);
    const double steps = std::max(0, t + 1 - computedSteps());
    const double projected = std::max(0, t + 1 - m_projected);
    return double(d.N) * (steps * (double(m_gM) * d.M + double(d.M) * d.K) + projected * double(d.D) * m_gM);
}

bool Model::computeThrough(int t, const Progress &progress)
{
    const Dims &d = m_config.dims;
    t = std::min(t, d.T - 1);
    const int from = computedSteps();
    if (t < from)
        return true;
    const int stepChunk = chunkSteps(double(d.N) * (double(m_gM) * d.M + double(d.M) * d.K), 4096);
    const int projectChunk = chunkSteps(double(d.N) * d.D * m_gM, 1 << 16);
    return withEngine([&](auto &e) {
        for (int s = from; s <= t;) {
            const int end = std::min(t + 1, s + stepChunk);
            if (m_projected < end) {
                const int upTo = std::min(d.T, std::max(end, m_projected + projectChunk));
                e.project(m_projected, upTo);
                m_projected = upTo;
            }
            for (; s < end; ++s) {
                e.step(s);
                e.output(s);
                summarize(s);
            }
            m_computed = s;
            if (progress && s <= t && !progress(double(s - from) / (t + 1 - from)))
                return false;
        }
        return true;
    });
}

Eigen::MatrixXd Model::x(int t) const
{
    return m_X.middleCols(col(0, t), m_config.dims.N).transpose();
}

Eigen::MatrixXd Model::pre(int t)
{
    computeThrough(t);
    return withEngine([t](const auto &e) -> Eigen::MatrixXd { return e.pre(t).transpose().template cast<double>(); });
}

Eigen::MatrixXd Model::hidden(int t)
{
    computeThrough(t);
    return withEngine(
        [t](const auto &e) -> Eigen::MatrixXd { return e.hidden(t).transpose().template cast<double>(); });
}

Eigen::MatrixXd Model::cellState(int t)
{
    if (m_config.kind != CellKind::LSTM)
        return {};
    computeThrough(t);
    return withEngine(
        [t](const auto &e) -> Eigen::MatrixXd { return e.cellState(t).transpose().template cast<double>(); });
}

double Model::quantityAt(Quantity q, int n, int t, int j) const
{
    if (const int block = gateBlock(q); block >= 0)
        return activate(usesRecurrentActivation(q) ? m_config.recurrent : m_config.cell,
                        preAt(n, t, block * m_config.dims.M + j));
    switch (q) {
    case Quantity::Hidden: return hiddenAt(n, t, j);
    case Quantity::CellState: return cellAt(n, t, j);
    default: return preAt(n, t, j); // a SimpleRNN's a_t
    }
}

Eigen::MatrixXd Model::output(int t)
{
    computeThrough(t);
    return withEngine([t](const auto &e) -> Eigen::MatrixXd { return e.out(t).transpose().template cast<double>(); });
}

namespace {

// (N, T, C) or (N, C) from per-timestep (N × C) matrices.
template <typename Get>
NdArray stack(int N, int T, int C, bool sequences, DType dtype, Get &&get)
{
    NdArray a;
    a.dtype = dtype;
    a.shape = sequences ? std::vector<std::int64_t>{N, T, C} : std::vector<std::int64_t>{N, C};
    a.values.resize(a.size());
    const int t0 = sequences ? 0 : T - 1;
    for (int t = t0; t < T; ++t) {
        const Eigen::MatrixXd m = get(t);
        for (int n = 0; n < N; ++n)
            for (int c = 0; c < C; ++c) {
                const std::size_t i = sequences ? (static_cast<std::size_t>(n) * T + t) * C + c
                                                : static_cast<std::size_t>(n) * C + c;
                a.values[i] = m(n, c);
            }
    }
    return a;
}

} // namespace

NdArray Model::prediction()
{
    computeAll();
    const Dims &d = m_config.dims;
    if (d.K == 0)
        return stack(d.N, d.T, d.M, m_config.returnSequences, m_config.dtype, [this](int t) { return hidden(t); });
    return stack(d.N, d.T, d.K, m_config.returnSequences, m_config.dtype, [this](int t) { return output(t); });
}

NdArray Model::hiddenStates()
{
    computeAll();
    const Dims &d = m_config.dims;
    return stack(d.N, d.T, d.M, true, m_config.dtype, [this](int t) { return hidden(t); });
}

NdArray Model::cellStates()
{
    computeAll();
    const Dims &d = m_config.dims;
    return stack(d.N, d.T, d.M, true, m_config.dtype, [this](int t) { return cellState(t); });
}

NdArray Model::inputArray() const
{
    const Dims &d = m_config.dims;
    return stack(d.N, d.T, d.D, true, m_config.dtype, [this](int t) { return x(t); });
}

} // namespace rnnscope
