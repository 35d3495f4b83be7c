#include "run/network.h"

#include "common/error.h"
#include "common/gemm.h"
#include "run/model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <variant>

namespace rnnscope {

NetworkConfig networkConfigOf(const ModelConfig &c)
{
    NetworkConfig n;
    n.N = c.dims.N;
    n.T = c.dims.T;
    n.D = c.dims.D;
    n.K = c.dims.K;
    LayerSpec layer;
    layer.cell = c.cellSpec();
    layer.units = c.dims.M;
    layer.returnSequences = c.returnSequences;
    n.layers = {layer};
    n.dense = c.dense;
    n.dtype = c.dtype;
    n.seed = c.seed;
    n.init = c.init;
    n.memoryBudget = c.memoryBudget;
    return n;
}

std::vector<std::int64_t> outputShape(const NetworkConfig &c)
{
    const std::int64_t width = c.K > 0 ? c.K : c.topWidth();
    return c.top().returnSequences ? std::vector<std::int64_t>{c.N, c.T, width} : std::vector<std::int64_t>{c.N, width};
}

NetworkWeights networkWeightsOf(const Weights &w)
{
    NetworkWeights n;
    Weights cell = w;
    cell.Wo = Eigen::MatrixXd(w.M(), 0);
    cell.bo = Eigen::VectorXd();
    n.layers = {{cell}};
    n.Wo = w.Wo;
    n.bo = w.bo;
    return n;
}

long long parameterCount(const NetworkConfig &c)
{
    long long total = static_cast<long long>(c.vocabulary) * c.D;
    for (int l = 0; l < c.layerCount(); ++l)
        total += c.layers[static_cast<std::size_t>(l)].params(c.inputWidth(l));
    return total + static_cast<long long>(c.topWidth()) * c.K + c.K;
}

std::uint64_t estimateBytes(const NetworkConfig &c)
{
    const long double s = c.dtype == DType::Float32 ? 4 : 8;
    const long double cols = static_cast<long double>(c.N) * c.T;
    // The Embedding: its table (double and the dtype) and the ids.
    long double total = static_cast<long double>(c.vocabulary) * c.D * (8 + s) + (c.hasEmbedding() ? cols * 4 : 0);
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
        total += layer.directions() * static_cast<long double>(estimateBytes(Dims{c.N, c.T, c.inputWidth(l), layer.units, 0}, c.dtype, layer.cell));
        total += cols * layer.outputWidth() * s;
    }
    total += cols * c.K * s + (static_cast<long double>(c.topWidth()) * c.K + c.K) * (8 + s);
    return total >= 1.8e19L ? UINT64_MAX : static_cast<std::uint64_t>(total);
}

void checkNetwork(const NetworkConfig &c)
{
    validateDim('N', c.N);
    validateDim('T', c.T);
    validateDim('D', c.D);
    validateDim('K', c.K);
    if (c.vocabulary < 0 || c.vocabulary > kMaxVocabulary)
        throw Error(ErrorKind::OutOfRange, "the Embedding's vocabulary V=" + std::to_string(c.vocabulary) + " is out of range: expected 1 … " +
                                               std::to_string(kMaxVocabulary));
    checkStack(c.layers);
    for (const LayerSpec &l : c.layers)
        checkCell(l.cell);
    if (const std::uint64_t need = estimateBytes(c); need > c.memoryBudget)
        throw Error(ErrorKind::TooLarge, "N=" + std::to_string(c.N) + ", T=" + std::to_string(c.T) + ", " +
                                             stackText(c.layers) + " would need " + formatBytes(need) + ", more than the " +
                                             formatBytes(c.memoryBudget) + " budget");
}

namespace {

std::string layerWhere(const NetworkConfig &c, int l, int dir)
{
    std::string s = "layer " + std::to_string(l + 1) + " (" + layerNames(c.layers)[static_cast<std::size_t>(l)] + ")";
    if (c.layers[static_cast<std::size_t>(l)].bidirectional)
        s += dir == 0 ? " forward" : " backward";
    return s;
}

// Seeds of the directions after the first: splitmix64 of the seed and the direction's index.
std::uint64_t directionSeed(std::uint64_t seed, int index)
{
    if (index == 0)
        return seed;
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(index + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

} // namespace

void checkShapes(const NetworkWeights &w, const NetworkConfig &c)
{
    if (w.layers.size() != c.layers.size())
        throw Error(ErrorKind::ShapeMismatch, "the weights hold " + std::to_string(w.layers.size()) +
                                                  " recurrent layers, but the network has " + std::to_string(c.layers.size()));
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
        const auto &dirs = w.layers[static_cast<std::size_t>(l)];
        if (static_cast<int>(dirs.size()) != layer.directions())
            throw Error(ErrorKind::ShapeMismatch, layerWhere(c, l, 0) + ": the weights hold " + std::to_string(dirs.size()) +
                                                      " directions, but the layer has " + std::to_string(layer.directions()));
        for (int d = 0; d < layer.directions(); ++d) {
            const Weights &lw = dirs[static_cast<std::size_t>(d)];
            const long long gM = static_cast<long long>(layer.cell.gates()) * layer.units, in = c.inputWidth(l);
            const auto expect = [&](const char *what, long long rows, long long cols, long long haveRows, long long haveCols) {
                if (rows != haveRows || cols != haveCols)
                    throw Error(ErrorKind::ShapeMismatch, layerWhere(c, l, d) + ": " + what + " has shape (" +
                                                              std::to_string(haveRows) + ", " + std::to_string(haveCols) +
                                                              "), but " + describeCell(layer.cell, layer.units) + " on " +
                                                              std::to_string(in) + " features needs (" + std::to_string(rows) +
                                                              ", " + std::to_string(cols) + ")");
            };
            expect("Wx (kernel)", in, gM, lw.Wx.rows(), lw.Wx.cols());
            expect("Wh (recurrent_kernel)", layer.units, gM, lw.Wh.rows(), lw.Wh.cols());
            const long long biasValues = layer.cell.biasRows() * gM;
            if (lw.bh.size() != biasValues)
                throw Error(ErrorKind::ShapeMismatch, layerWhere(c, l, d) + ": bh (bias) holds " + std::to_string(lw.bh.size()) +
                                                          " values, but " + describeCell(layer.cell, layer.units) + " needs " +
                                                          (layer.cell.biasRows() == 2 ? "(2, " + std::to_string(gM) + ")"
                                                                                      : "(" + std::to_string(gM) + ",)"));
        }
    }
    if (c.hasEmbedding() ? (w.embedding.rows() != c.vocabulary || w.embedding.cols() != c.D) : w.embedding.size() != 0)
        throw Error(ErrorKind::ShapeMismatch, "the Embedding's table has shape (" + std::to_string(w.embedding.rows()) + ", " +
                                                  std::to_string(w.embedding.cols()) + "), but V=" + std::to_string(c.vocabulary) +
                                                  " and D=" + std::to_string(c.D) + " need (" + std::to_string(c.vocabulary) + ", " +
                                                  std::to_string(c.hasEmbedding() ? c.D : 0) + ")");
    const bool denseFits = w.Wo.cols() == c.K && w.bo.size() == c.K && (w.Wo.rows() == c.topWidth() || c.K == 0);
    if (!denseFits)
        throw Error(ErrorKind::ShapeMismatch, "the Dense kernel has shape (" + std::to_string(w.Wo.rows()) + ", " +
                                                  std::to_string(w.Wo.cols()) + ") and its bias (" + std::to_string(w.bo.size()) +
                                                  ",), but the top layer's width " + std::to_string(c.topWidth()) + " and K=" +
                                                  std::to_string(c.K) + " need (" + std::to_string(c.topWidth()) + ", " +
                                                  std::to_string(c.K) + ") and (" + std::to_string(c.K) + ",)");
}

namespace {

// The Embedding's seed: far from the directions' (which count up from 0).
std::uint64_t embeddingSeed(std::uint64_t seed)
{
    return directionSeed(seed, 1 << 20);
}

} // namespace

Eigen::MatrixXd initialEmbedding(int V, int D, std::uint64_t seed)
{
    Rng r(embeddingSeed(seed), Stream::Wx);
    Eigen::MatrixXd table(V, D);
    for (int v = 0; v < V; ++v) // row by row, as the table is written (V, D)
        for (int j = 0; j < D; ++j)
            table(v, j) = r.uniform(-0.05, 0.05);
    return table;
}

std::vector<int> randomTokenIds(int N, int T, int V, std::uint64_t seed)
{
    std::vector<int> ids(static_cast<std::size_t>(N) * T);
    for (int n = 0; n < N; ++n) {
        Rng r(embeddingSeed(seed), Stream::X, static_cast<std::uint64_t>(n)); // each sample its own, as X
        for (int t = 0; t < T; ++t)
            ids[static_cast<std::size_t>(n) * T + t] = std::min(V - 1, static_cast<int>(r.uniform01() * V));
    }
    return ids;
}

namespace {

std::string idText(double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

} // namespace

std::vector<int> checkTokenIds(const NdArray &a, int V)
{
    if (a.shape.size() != 2)
        throw Error(ErrorKind::ShapeMismatch, "token ids have shape " + shapeString(a.shape) +
                                                  ", but the Embedding reads (N, T): one integer id per sample and timestep");
    const std::int64_t T = a.shape[1];
    std::vector<int> ids(a.values.size());
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        const double v = a.values[i];
        const std::string where = "X[" + std::to_string(static_cast<std::int64_t>(i) / T) + ", " +
                                  std::to_string(static_cast<std::int64_t>(i) % T) + "]";
        if (!std::isfinite(v) || v != std::floor(v))
            throw Error(ErrorKind::OutOfRange, "token id " + idText(v) + " at " + where +
                                                   " is not an integer: the Embedding reads ids 0 … " + std::to_string(V - 1));
        if (v < 0 || v >= V)
            throw Error(ErrorKind::OutOfRange, "token id " + idText(v) + " at " + where +
                                                   " is outside the Embedding's vocabulary 0 … " + std::to_string(V - 1));
        ids[i] = static_cast<int>(v);
    }
    return ids;
}

Eigen::MatrixXd embedTokens(const Eigen::MatrixXd &table, const std::vector<int> &ids, int N, int T)
{
    Eigen::MatrixXd X(table.cols(), static_cast<Eigen::Index>(T) * N);
    for (int n = 0; n < N; ++n)
        for (int t = 0; t < T; ++t)
            X.col(static_cast<Eigen::Index>(t) * N + n) = table.row(ids[static_cast<std::size_t>(n) * T + t]).transpose();
    return X;
}

NetworkWeights initialNetworkWeights(const NetworkConfig &c)
{
    NetworkWeights w;
    if (c.hasEmbedding())
        w.embedding = initialEmbedding(c.vocabulary, c.D, c.seed);
    int index = 0;
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
        auto &dirs = w.layers.emplace_back();
        for (int d = 0; d < layer.directions(); ++d)
            dirs.push_back(initialWeights(c.inputWidth(l), layer.units, 0, c.init, directionSeed(c.seed, index++), layer.cell));
    }
    Rng rWo(c.seed, Stream::Wo);
    w.Wo = initialKernel(c.topWidth(), c.K, c.init, rWo);
    w.bo = Eigen::VectorXd::Zero(c.K);
    return w;
}

std::string pytorchRefusal(const NetworkConfig &c)
{
    const LayerSpec &first = c.layers.front();
    if (const std::string why = pytorchRefusal(first.cell); !why.empty())
        return why;
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
        const std::string where = "layer " + std::to_string(l + 1) + " (" + layerNames(c.layers)[static_cast<std::size_t>(l)] + ")";
        if (layer.cell != first.cell || layer.units != first.units)
            return where + " is " + describeCell(layer.cell, layer.units) + " under " + describeCell(first.cell, first.units) +
                   ": PyTorch stacks layers of one cell and one size (num_layers)";
        if (layer.bidirectional != first.bidirectional)
            return where + (layer.bidirectional ? " is" : " is not") +
                   " Bidirectional unlike layer 1: PyTorch's bidirectional=True applies to every layer";
        if (layer.bidirectional && layer.merge != Merge::Concat)
            return where + " merges with " + mergeName(layer.merge) + ": PyTorch concatenates the two directions";
        if (layer.goBackwards)
            return where + " goes backwards: PyTorch's layers read the sequence forwards";
        if (l + 1 < c.layerCount() && !layer.returnSequences)
            return where + " does not return sequences";
    }
    return {};
}

NamedArrays networkWeightsToArrays(const NetworkWeights &w, const NetworkConfig &c, Layout layout)
{
    if (layout == Layout::PyTorch)
        if (const std::string why = pytorchRefusal(c); !why.empty())
            throw Error(ErrorKind::Unsupported, why);
    NamedArrays out;
    const auto add = [&](std::string name, NdArray a) {
        out.emplace_back(layout == Layout::Keras ? "arr_" + std::to_string(out.size()) : std::move(name), std::move(a));
    };
    if (c.hasEmbedding())
        add("embedding.weight", arrayFromMatrix(w.embedding, c.dtype)); // Keras's get_weights() and nn.Embedding: (V, D)
    for (int l = 0; l < c.layerCount(); ++l) {
        const auto &dirs = w.layers[static_cast<std::size_t>(l)];
        for (std::size_t d = 0; d < dirs.size(); ++d) {
            // PyTorch: rnn.weight_ih_l{l}[_reverse] …, in weightsToArrays's order of kPyTorchParameters
            NamedArrays one = weightsToArrays(dirs[d], layout, c.dtype, c.layers[static_cast<std::size_t>(l)].cell);
            for (std::size_t i = 0; i < one.size(); ++i)
                add(pytorchKey("rnn.", kPyTorchParameters[i], l, d == 1), std::move(one[i].second));
        }
    }
    if (c.K > 0) {
        add("fc.weight", arrayFromMatrix(layout == Layout::Keras ? w.Wo : Eigen::MatrixXd(w.Wo.transpose()), c.dtype));
        add("fc.bias", arrayFromVector(w.bo, c.dtype));
    }
    return out;
}

// ---- the computation ----

namespace {

template <typename S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;

// The column blocks of N samples in reverse order of time.
template <typename S>
Mat<S> timeReversed(const Mat<S> &m, int N, int T)
{
    Mat<S> r(m.rows(), m.cols());
    for (int t = 0; t < T; ++t)
        r.middleCols(static_cast<Eigen::Index>(t) * N, N) = m.middleCols(static_cast<Eigen::Index>(T - 1 - t) * N, N);
    return r;
}

template <typename S>
Mat<S> merged(Merge mode, const Mat<S> &f, const Mat<S> &b)
{
    switch (mode) {
    case Merge::Concat: {
        Mat<S> m(f.rows() + b.rows(), f.cols());
        m.topRows(f.rows()) = f;
        m.bottomRows(b.rows()) = b;
        return m;
    }
    case Merge::Sum: return f + b;
    case Merge::Mul: return f.cwiseProduct(b);
    case Merge::Ave: return (f + b) / S(2);
    }
    return f;
}

template <typename S>
struct Run {
    std::vector<std::vector<Engine<S>>> engines; // [layer][direction]
    std::vector<Mat<S>> outputs;                  // what each finished layer returns: width × (T·N) or width × N
    Mat<S> WoT, Y;
    Eigen::Matrix<S, Eigen::Dynamic, 1> bo;
};

} // namespace

struct Network::Impl {
    std::variant<Run<float>, Run<double>> run;
    int computed = 0;
    bool dense = false;
    std::vector<int> layerStart; // the schedule index of each layer's first step
};

Network::Network(const NetworkConfig &config)
    : m_config(config)
{
    checkNetwork(config);
    m_weights = initialNetworkWeights(config);
    if (config.hasEmbedding()) {
        m_ids = randomTokenIds(config.N, config.T, config.vocabulary, config.seed);
        m_X = embedTokens(m_weights.embedding, m_ids, config.N, config.T);
    } else {
        m_X = randomInput(config.N, config.T, config.D, config.seed);
    }
    build();
}

Network::Network(const NetworkConfig &config, NetworkWeights weights, std::vector<int> ids)
    : m_config(config), m_weights(std::move(weights)), m_ids(std::move(ids))
{
    checkNetwork(config);
    if (!config.hasEmbedding())
        throw Error(ErrorKind::BadUsage, "token ids need an Embedding: the network reads X (N, T, D)");
    checkShapes(m_weights, config);
    if (m_ids.size() != static_cast<std::size_t>(config.N) * config.T)
        throw Error(ErrorKind::ShapeMismatch, std::to_string(m_ids.size()) + " token ids, but N=" + std::to_string(config.N) +
                                                  ", T=" + std::to_string(config.T) + " need " +
                                                  std::to_string(static_cast<long long>(config.N) * config.T));
    for (std::size_t i = 0; i < m_ids.size(); ++i)
        if (m_ids[i] < 0 || m_ids[i] >= config.vocabulary)
            throw Error(ErrorKind::OutOfRange, "token id " + std::to_string(m_ids[i]) + " at X[" + std::to_string(i / static_cast<std::size_t>(config.T)) +
                                                   ", " + std::to_string(i % static_cast<std::size_t>(config.T)) +
                                                   "] is outside the Embedding's vocabulary 0 … " + std::to_string(config.vocabulary - 1));
    m_X = embedTokens(m_weights.embedding, m_ids, config.N, config.T);
    build();
}

Network::Network(const NetworkConfig &config, NetworkWeights weights, Eigen::MatrixXd X)
    : m_config(config), m_weights(std::move(weights)), m_X(std::move(X))
{
    checkNetwork(config);
    if (config.hasEmbedding())
        throw Error(ErrorKind::BadUsage, "the network begins with an Embedding: it reads token ids (N, T), not X (N, T, D)");
    checkShapes(m_weights, config);
    if (m_X.rows() != config.D || m_X.cols() != static_cast<Eigen::Index>(config.T) * config.N)
        throw Error(ErrorKind::ShapeMismatch, "X holds " + std::to_string(m_X.rows()) + " × " + std::to_string(m_X.cols()) +
                                                  " values, but N=" + std::to_string(config.N) + ", T=" + std::to_string(config.T) +
                                                  ", D=" + std::to_string(config.D) + " need " + std::to_string(config.D) + " × " +
                                                  std::to_string(static_cast<long long>(config.T) * config.N));
    build();
}

NetworkState refitNetwork(const NetworkState &old, const NetworkConfig &config, const std::vector<int> &from)
{
    checkNetwork(config);
    const NetworkConfig &was = old.config;
    NetworkState s{config, initialNetworkWeights(config), {}, {}};
    const auto keep = [](auto &into, const auto &value) {
        if (into.rows() == value.rows() && into.cols() == value.cols())
            into = value;
    };
    for (int l = 0; l < config.layerCount(); ++l) {
        const int o = from.empty() ? l : from[static_cast<std::size_t>(l)];
        if (o < 0 || o >= was.layerCount())
            continue;
        const LayerSpec &a = config.layers[static_cast<std::size_t>(l)], &b = was.layers[static_cast<std::size_t>(o)];
        if (a.cell.kind != b.cell.kind || a.cell.resetAfter != b.cell.resetAfter)
            continue;
        for (int d = 0; d < std::min(a.directions(), b.directions()); ++d) {
            Weights &w = s.weights.layers[static_cast<std::size_t>(l)][static_cast<std::size_t>(d)];
            const Weights &v = old.weights.layers[static_cast<std::size_t>(o)][static_cast<std::size_t>(d)];
            keep(w.Wx, v.Wx);
            keep(w.Wh, v.Wh);
            keep(w.bh, v.bh);
        }
    }
    keep(s.weights.Wo, old.weights.Wo);
    keep(s.weights.bo, old.weights.bo);
    if (config.hasEmbedding()) {
        keep(s.weights.embedding, old.weights.embedding);
        s.ids = randomTokenIds(config.N, config.T, config.vocabulary, config.seed);
        if (was.hasEmbedding())
            for (int n = 0; n < std::min(config.N, was.N); ++n)
                for (int t = 0; t < std::min(config.T, was.T); ++t)
                    if (const int id = old.ids[static_cast<std::size_t>(n) * was.T + t]; id < config.vocabulary)
                        s.ids[static_cast<std::size_t>(n) * config.T + t] = id;
    } else if (!was.hasEmbedding()) {
        s.X = resizedInput(old.X, Dims{was.N, was.T, was.D, 1, 0}, Dims{config.N, config.T, config.D, 1, 0}, config.seed);
    } else {
        s.X = randomInput(config.N, config.T, config.D, config.seed);
    }
    return s;
}

NetworkState absorbLayerModel(const NetworkState &net, int l, int direction, const ModelState &before, const ModelState &after)
{
    NetworkConfig c = net.config;
    if (l < 0 || l >= c.layerCount())
        throw Error(ErrorKind::OutOfRange, "layer " + std::to_string(l + 1) + " is not in a network of " + std::to_string(c.layerCount()) + " layers");
    LayerSpec &spec = c.layers[static_cast<std::size_t>(l)];
    const ModelConfig &a = after.config, &b = before.config;
    const bool top = l + 1 == c.layerCount(), dense = top && !spec.bidirectional && c.K > 0;
    const bool reads = l == 0 && !c.hasEmbedding(); // the view's X is the network's
    const std::string where = layerWhere(c, l, direction);
    if (a.dims.D != b.dims.D) {
        if (!reads)
            throw Error(ErrorKind::BadUsage, where + " reads " + std::to_string(b.dims.D) + " features, what " +
                                                 (l == 0 ? std::string("the Embedding") : layerWhere(c, l - 1, 0)) +
                                                 " returns: D=" + std::to_string(a.dims.D) + " is set on the input");
        c.D = a.dims.D;
    }
    if (a.dims.K != b.dims.K) {
        if (!dense && !(top && !spec.bidirectional))
            throw Error(ErrorKind::BadUsage, "K=" + std::to_string(a.dims.K) + " is the Dense's, which reads the top layer, not " + where);
        c.K = a.dims.K;
    }
    c.N = a.dims.N;
    c.T = a.dims.T;
    spec.units = a.dims.M;
    spec.cell = a.cellSpec();
    if (top)
        spec.returnSequences = a.returnSequences;
    if (a.dense != b.dense) // the network's Dense, whichever layer is on show
        c.dense = a.dense;
    c.dtype = a.dtype;
    c.seed = a.seed;
    c.init = a.init;
    NetworkState s = refitNetwork(net, c);
    // The view's weights where the change kept their shape (an edited value, another activation);
    // a weight of a new shape is the one refitNetwork drew from this direction's own stream (the
    // view draws from layer 0's, and a Bidirectional layer's copies would come out the same).
    const auto take = [](auto &into, const auto &was, const auto &now) {
        if (was.rows() == now.rows() && was.cols() == now.cols() && into.rows() == now.rows() && into.cols() == now.cols())
            into = now;
    };
    Weights &w = s.weights.layers[static_cast<std::size_t>(l)][static_cast<std::size_t>(direction)];
    take(w.Wx, before.weights.Wx, after.weights.Wx);
    take(w.Wh, before.weights.Wh, after.weights.Wh);
    take(w.bh, before.weights.bh, after.weights.bh);
    if (top && !spec.bidirectional && c.K > 0) {
        take(s.weights.Wo, before.weights.Wo, after.weights.Wo);
        take(s.weights.bo, before.weights.bo, after.weights.bo);
    }
    const bool sameSizes = a.dims.N == b.dims.N && a.dims.T == b.dims.T && a.dims.D == b.dims.D;
    // (NaN counts as equal to NaN: a NaN the layer under it returns is not an edit of X.)
    const bool edited = sameSizes && !((after.X.array() == before.X.array()) || (after.X.array().isNaN() && before.X.array().isNaN())).all();
    if (edited) {
        if (!reads)
            throw Error(ErrorKind::BadUsage, "X of " + where + " is what " +
                                                 (l == 0 ? std::string("the Embedding looks up from the token ids: load other ids as the input")
                                                         : layerWhere(c, l - 1, 0) + " returns: edit the network's input on the first layer"));
        const bool backwards = spec.readsBackwards(direction);
        s.X = backwards ? timeReversed<double>(after.X, c.N, c.T) : after.X;
    }
    return s;
}

namespace {
Network fromState(NetworkState &&s)
{
    if (s.config.hasEmbedding())
        return Network(s.config, std::move(s.weights), std::move(s.ids));
    return Network(s.config, std::move(s.weights), std::move(s.X));
}
} // namespace

Network::Network(NetworkState state)
    : Network(fromState(std::move(state)))
{
}

NetworkState Network::state() const
{
    NetworkState s{m_config, m_weights, {}, m_ids};
    if (!m_config.hasEmbedding())
        s.X = m_X;
    return s;
}

void Network::build()
{
    const NetworkConfig &config = m_config;
    m_impl = std::make_unique<Impl>();
    int start = 0;
    for (const LayerSpec &l : config.layers) {
        m_impl->layerStart.push_back(start);
        start += l.directions() * config.T;
    }
    const auto build = [&](auto &run) {
        using S = typename std::decay_t<decltype(run.WoT)>::Scalar;
        for (int l = 0; l < config.layerCount(); ++l) {
            const LayerSpec &layer = config.layers[static_cast<std::size_t>(l)];
            auto &dirs = run.engines.emplace_back(static_cast<std::size_t>(layer.directions()));
            for (int d = 0; d < layer.directions(); ++d) {
                dirs[static_cast<std::size_t>(d)].setSpec(
                    NetworkSpec{Dims{config.N, config.T, config.inputWidth(l), layer.units, 0}, true, layer.cell, Activation::Linear});
                dirs[static_cast<std::size_t>(d)].setWeights(m_weights.layers[static_cast<std::size_t>(l)][static_cast<std::size_t>(d)]);
            }
        }
        run.outputs.resize(config.layers.size());
        run.WoT = m_weights.Wo.transpose().cast<S>();
        run.bo = m_weights.bo.cast<S>();
    };
    if (config.dtype == DType::Float32)
        build(m_impl->run.emplace<Run<float>>());
    else
        build(m_impl->run.emplace<Run<double>>());
}

Network::~Network() = default;
Network::Network(Network &&) noexcept = default;
Network &Network::operator=(Network &&) noexcept = default;

int Network::stepCount() const
{
    int n = 0;
    for (const LayerSpec &l : m_config.layers)
        n += l.directions() * m_config.T;
    return n;
}

bool Network::runsBackwards(int layer, int direction) const
{
    checkLayer(layer);
    return m_config.layers[static_cast<std::size_t>(layer)].readsBackwards(direction);
}

void Network::checkLayer(int l) const
{
    if (l < 0 || l >= m_config.layerCount())
        throw Error(ErrorKind::OutOfRange, "layer " + std::to_string(l + 1) + " does not exist: the network has layers 1 … " +
                                               std::to_string(m_config.layerCount()));
}

Network::Step Network::stepAt(int k) const
{
    if (k < 0 || k >= stepCount())
        throw Error(ErrorKind::OutOfRange, "step " + std::to_string(k) + " does not exist: the network computes steps 0 … " +
                                               std::to_string(stepCount() - 1));
    int l = 0;
    while (l + 1 < m_config.layerCount() && m_impl->layerStart[static_cast<std::size_t>(l) + 1] <= k)
        ++l;
    Step s;
    s.layer = l;
    const int within = k - m_impl->layerStart[static_cast<std::size_t>(l)];
    s.direction = within / m_config.T;
    s.step = within % m_config.T;
    s.t = runsBackwards(l, s.direction) ? m_config.T - 1 - s.step : s.step;
    return s;
}

int Network::computedSteps() const
{
    return m_impl->computed;
}

void Network::recompute()
{
    m_impl->computed = 0;
    m_impl->dense = false;
}

void Network::computeThrough(int k)
{
    k = std::min(k, stepCount() - 1);
    const int N = m_config.N, T = m_config.T;
    std::visit(
        [&](auto &run) {
            using S = typename std::decay_t<decltype(run.WoT)>::Scalar;
            for (int i = m_impl->computed; i <= k; ++i) {
                const Step s = stepAt(i);
                const LayerSpec &layer = m_config.layers[static_cast<std::size_t>(s.layer)];
                Engine<S> &e = run.engines[static_cast<std::size_t>(s.layer)][static_cast<std::size_t>(s.direction)];
                if (s.step == 0) {
                    Mat<S> in = s.layer == 0 ? Mat<S>(m_X.cast<S>()) : run.outputs[static_cast<std::size_t>(s.layer) - 1];
                    e.takeInput(runsBackwards(s.layer, s.direction) ? timeReversed<S>(in, N, T) : std::move(in));
                    e.project();
                }
                e.step(s.step);
                if (s.step == T - 1 && s.direction == layer.directions() - 1) {
                    // The layer is done: what it returns, for the layer above or the Dense.
                    const auto &dirs = run.engines[static_cast<std::size_t>(s.layer)];
                    const Mat<S> &f = dirs[0].hiddenMatrix();
                    auto &out = run.outputs[static_cast<std::size_t>(s.layer)];
                    const Eigen::Index last = static_cast<Eigen::Index>(T - 1) * N;
                    if (layer.returnSequences)
                        out = layer.bidirectional ? merged<S>(layer.merge, f, timeReversed<S>(dirs[1].hiddenMatrix(), N, T)) : f;
                    else
                        out = layer.bidirectional
                                  ? merged<S>(layer.merge, Mat<S>(f.middleCols(last, N)), Mat<S>(dirs[1].hiddenMatrix().middleCols(last, N)))
                                  : Mat<S>(f.middleCols(last, N));
                }
            }
            m_impl->computed = std::max(m_impl->computed, k + 1);
            if (m_impl->computed == stepCount() && !m_impl->dense && m_config.K > 0) {
                const Mat<S> &top = run.outputs.back();
                run.Y.resize(m_config.K, top.cols());
                gemm(run.WoT, top, run.Y, false);
                run.Y.colwise() += run.bo;
                applyActivation(m_config.dense, run.Y);
                m_impl->dense = true;
            }
        },
        m_impl->run);
}

namespace {

// A width × (T·N) (sequence) or width × N matrix as (N, T, width) or (N, width).
template <typename S>
NdArray arrayOf(const Mat<S> &m, int N, int T, bool sequence, DType dtype)
{
    NdArray a;
    a.dtype = dtype;
    const Eigen::Index w = m.rows();
    a.shape = sequence ? std::vector<std::int64_t>{N, T, w} : std::vector<std::int64_t>{N, w};
    a.values.resize(a.size());
    const int steps = sequence ? T : 1;
    for (int n = 0; n < N; ++n)
        for (int t = 0; t < steps; ++t)
            for (Eigen::Index j = 0; j < w; ++j)
                a.values[(static_cast<std::size_t>(n) * steps + t) * w + j] = m(j, static_cast<Eigen::Index>(t) * N + n);
    return a;
}

} // namespace

ModelState Network::layerState(int l, int direction)
{
    checkLayer(l);
    const LayerSpec &layer = m_config.layers[static_cast<std::size_t>(l)];
    if (direction < 0 || direction >= layer.directions())
        throw Error(ErrorKind::OutOfRange, layerWhere(m_config, l, 0) + " has no direction " + std::to_string(direction));
    const bool top = l + 1 == m_config.layerCount(), dense = top && !layer.bidirectional && m_config.K > 0;
    ModelState s;
    ModelConfig &c = s.config;
    c.dims = Dims{m_config.N, m_config.T, m_config.inputWidth(l), layer.units, dense ? m_config.K : 0};
    c.returnSequences = top ? layer.returnSequences : true;
    c.cell = layer.cell.activation;
    c.recurrent = layer.cell.recurrent;
    c.kind = layer.cell.kind;
    c.resetAfter = layer.cell.resetAfter;
    c.dense = m_config.dense;
    c.dtype = m_config.dtype;
    c.seed = m_config.seed;
    c.init = m_config.init;
    c.memoryBudget = m_config.memoryBudget;
    s.weights = m_weights.layers[static_cast<std::size_t>(l)][static_cast<std::size_t>(direction)];
    if (dense) {
        s.weights.Wo = m_weights.Wo;
        s.weights.bo = m_weights.bo;
    }
    const Eigen::MatrixXd in = l == 0 ? m_X : inputColumns(layerOutput(l - 1));
    s.X = runsBackwards(l, direction) ? timeReversed<double>(in, m_config.N, m_config.T) : in;
    return s;
}

NdArray Network::inputArray() const
{
    return arrayOf<double>(m_X, m_config.N, m_config.T, true, m_config.dtype);
}

NdArray Network::tokenArray() const
{
    NdArray a;
    a.dtype = DType::Float64;
    a.shape = m_ids.empty() ? std::vector<std::int64_t>{0} : std::vector<std::int64_t>{m_config.N, m_config.T};
    a.values.assign(m_ids.begin(), m_ids.end());
    return a;
}

NdArray Network::prediction()
{
    if (m_config.K == 0)
        return layerOutput(m_config.layerCount() - 1);
    computeAll();
    return std::visit([&](auto &run) { return arrayOf(run.Y, m_config.N, m_config.T, m_config.top().returnSequences, m_config.dtype); },
                      m_impl->run);
}

NdArray Network::layerOutput(int l)
{
    checkLayer(l);
    const LayerSpec &layer = m_config.layers[static_cast<std::size_t>(l)];
    computeThrough(m_impl->layerStart[static_cast<std::size_t>(l)] + layer.directions() * m_config.T - 1);
    return std::visit([&](auto &run) {
        return arrayOf(run.outputs[static_cast<std::size_t>(l)], m_config.N, m_config.T, layer.returnSequences, m_config.dtype);
    }, m_impl->run);
}

NdArray Network::layerSequence(int l)
{
    checkLayer(l);
    const LayerSpec &layer = m_config.layers[static_cast<std::size_t>(l)];
    if (layer.returnSequences)
        return layerOutput(l);
    computeThrough(m_impl->layerStart[static_cast<std::size_t>(l)] + layer.directions() * m_config.T - 1);
    const int N = m_config.N, T = m_config.T;
    return std::visit([&](auto &run) {
        using S = typename std::decay_t<decltype(run.WoT)>::Scalar;
        const auto &dirs = run.engines[static_cast<std::size_t>(l)];
        const Mat<S> seq = layer.bidirectional ? merged<S>(layer.merge, dirs[0].hiddenMatrix(), timeReversed<S>(dirs[1].hiddenMatrix(), N, T))
                                               : dirs[0].hiddenMatrix();
        return arrayOf(seq, N, T, true, m_config.dtype);
    }, m_impl->run);
}

NdArray Network::hiddenStates(int l, int direction)
{
    checkLayer(l);
    const LayerSpec &layer = m_config.layers[static_cast<std::size_t>(l)];
    if (direction < 0 || direction >= layer.directions())
        throw Error(ErrorKind::OutOfRange, layerWhere(m_config, l, 0) + " has no direction " + std::to_string(direction));
    computeThrough(m_impl->layerStart[static_cast<std::size_t>(l)] + (direction + 1) * m_config.T - 1);
    return std::visit([&](auto &run) {
        return arrayOf(run.engines[static_cast<std::size_t>(l)][static_cast<std::size_t>(direction)].hiddenMatrix(), m_config.N,
                       m_config.T, true, m_config.dtype);
    }, m_impl->run);
}

} // namespace rnnscope
