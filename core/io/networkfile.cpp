#include "io/networkfile.h"

#include "common/error.h"
#include "io/file.h"
#include "io/kerasfile.h"
#include "io/npy.h"
#include "io/refusal.h"
#include "nn/dims.h"
#include "run/model.h"

#include <algorithm>
#include <map>
#include <set>

namespace rnnscope {

namespace {

const NdArray *find(const NamedArrays &arrays, const std::string &key)
{
    for (const auto &[k, a] : arrays)
        if (k == key)
            return &a;
    return nullptr;
}

bool endsWith(const std::string &s, const std::string &suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// X (when the arrays hold it), the dtype of the weights used, and the arrays left over, as
// weightsFromArrays does for one layer.
void finish(LoadedNetwork &n, const NamedArrays &arrays, const std::set<std::string> &used, const std::string &source)
{
    bool allFloat64 = true;
    for (const auto &[key, a] : arrays)
        if (used.count(key) && a.dtype != DType::Float64)
            allFloat64 = false;
    n.dtype = allFloat64 ? DType::Float64 : DType::Float32;
    if (const NdArray *x = find(arrays, "X")) {
        try {
            n.input = inputFromArray(*x, n.D());
        } catch (const Error &e) {
            fail(e.kind(), source, e.what());
        }
        n.notes.push_back("input X " + shapeString(n.input->shape) + " loaded from the file");
    }
    std::string ignored;
    for (const auto &[key, a] : arrays)
        if (!used.count(key) && key != "X")
            ignored += (ignored.empty() ? "" : ", ") + printableText(key, 40) + " " + shapeString(a.shape);
    if (!ignored.empty())
        n.notes.push_back("ignored arrays: " + printableText(ignored, 400));
}

// The shapes the layers and the Dense must have, as Network checks them, named by the file.
void checkNetworkShapes(const LoadedNetwork &n, const std::string &source)
{
    NetworkConfig c;
    c.layers = n.layers;
    c.D = n.D();
    c.K = n.K();
    try {
        checkStack(c.layers);
        checkShapes(n.weights, c);
    } catch (const Error &e) {
        fail(e.kind(), source, e.what());
    }
}

// The one nn.Linear of a state_dict: the rank-2 "<q>weight" outside the RNN module's prefix.
void readLinear(LoadedNetwork &n, const NamedArrays &arrays, const std::string &prefix, int width, std::set<std::string> &used,
                const std::string &source)
{
    std::vector<std::string> linear;
    for (const auto &[key, a] : arrays)
        if ((key == "weight" || endsWith(key, ".weight")) && a.rank() == 2 && key.rfind(prefix, 0) != 0)
            linear.push_back(key);
    if (linear.size() > 1)
        fail(ErrorKind::Unsupported, source,
             "holds several Linear layers (" + printableText(linear[0], 40) + ", " + printableText(linear[1], 40) +
                 "): rnnscope models the recurrent layers → one Dense(K)");
    if (linear.empty()) {
        n.weights.Wo = Eigen::MatrixXd(width, 0);
        n.weights.bo = Eigen::VectorXd(0);
        return;
    }
    const NdArray &w = *find(arrays, linear.front());
    if (w.shape[1] != width)
        fail(ErrorKind::ShapeMismatch, source,
             printableText(linear.front(), 40) + " has shape " + shapeString(w.shape) + ", but the top layer returns " +
                 std::to_string(width) + " features: expected (K, " + std::to_string(width) + ")");
    n.weights.Wo = matrixFromArray(w).transpose();
    const std::string bias = linear.front().substr(0, linear.front().size() - 6) + "bias";
    used.insert(linear.front());
    if (const NdArray *b = find(arrays, bias)) {
        if (b->shape != std::vector<std::int64_t>{w.shape[0]})
            fail(ErrorKind::ShapeMismatch, source,
                 printableText(bias, 40) + " has shape " + shapeString(b->shape) + ", but K=" + std::to_string(w.shape[0]) +
                     " needs (" + std::to_string(w.shape[0]) + ",)");
        n.weights.bo = vectorFromArray(*b);
        used.insert(bias);
    } else {
        n.weights.bo = Eigen::VectorXd::Zero(w.shape[0]);
        n.notes.push_back("the Linear layer has no bias (bias=False): bo = 0");
    }
}

// A PyTorch state_dict of nn.RNN / nn.LSTM / nn.GRU with num_layers > 1 or bidirectional=True.
std::optional<LoadedNetwork> fromPyTorch(const NamedArrays &arrays, const std::string &source)
{
    const std::vector<std::string> prefixes = pytorchPrefixes(arrays);
    if (prefixes.size() != 1)
        return std::nullopt; // none, or several modules: weightsFromArrays says so
    const std::string p = prefixes.front();
    const bool bidirectional = find(arrays, p + "weight_ih_l0_reverse") != nullptr;
    int L = 1;
    while (find(arrays, p + "weight_ih_l" + std::to_string(L)))
        ++L;
    if (L == 1 && !bidirectional)
        return std::nullopt;
    for (const auto &[key, a] : arrays)
        if (key.rfind(p + "weight_hr_l", 0) == 0)
            fail(ErrorKind::Unsupported, source,
                 printableText(key, 40) + " belongs to an LSTM with projections (proj_size > 0), which Keras has no form of");

    LoadedNetwork n;
    std::set<std::string> used;
    const int directions = bidirectional ? 2 : 1;
    for (int k = 0; k < L; ++k) {
        LayerSpec spec;
        spec.bidirectional = bidirectional;
        spec.returnSequences = k + 1 < L;
        std::vector<Weights> dirs;
        for (int d = 0; d < directions; ++d) {
            const std::string sfx = "_l" + std::to_string(k) + (d ? "_reverse" : "");
            NamedArrays one;
            for (const char *name : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"})
                if (const NdArray *a = find(arrays, p + name + sfx)) {
                    one.emplace_back(std::string(name) + "_l0", *a);
                    used.insert(p + name + sfx);
                } else if (std::string(name).rfind("weight", 0) == 0) {
                    fail(ErrorKind::MissingArray, source,
                         "has " + printableText(p + "weight_ih_l0", 40) + " but no " + quote(p + name + sfx) + ": " +
                             (bidirectional ? "a bidirectional" : "an") + " RNN of " + std::to_string(L) +
                             " layers has weight_ih and weight_hh for every layer" + (bidirectional ? " and direction" : ""));
                }
            const std::string part = source + " (" + printableText(p + "…" + sfx, 40) + ")";
            Weights w = weightsFromArrays(one, part).weights;
            if (!dirs.empty() || k > 0) {
                const Weights &first = n.weights.layers.empty() ? dirs.front() : n.weights.layers.front().front();
                if (w.kind() != first.kind() || w.M() != first.M())
                    fail(ErrorKind::ShapeMismatch, source,
                         printableText(p + "weight_hh" + sfx, 40) + " is " + cellClassName(w.kind()) + " M=" + std::to_string(w.M()) +
                             "'s, but " + printableText(p + "weight_hh_l0", 40) + " " + cellClassName(first.kind()) +
                             " M=" + std::to_string(first.M()) + "'s: a PyTorch RNN has one cell and one hidden size");
            }
            if (k > 0 && w.D() != directions * n.weights.layers.front().front().M())
                fail(ErrorKind::ShapeMismatch, source,
                     printableText(p + "weight_ih" + sfx, 40) + " has shape " + shapeString(find(arrays, p + "weight_ih" + sfx)->shape) +
                         ", but layer " + std::to_string(k - 1) + " returns " +
                         std::to_string(directions * n.weights.layers.front().front().M()) + " features: expected (" +
                         std::to_string(w.Wx.cols()) + ", " + std::to_string(directions * n.weights.layers.front().front().M()) + ")");
            dirs.push_back(std::move(w));
        }
        spec.cell.kind = dirs.front().kind();
        spec.cell.resetAfter = true; // nn.GRU is reset_after=True's GRU; the flag means nothing to the other cells
        spec.units = dirs.front().M();
        n.layers.push_back(spec);
        n.weights.layers.push_back(std::move(dirs));
    }
    readLinear(n, arrays, p, n.layers.back().outputWidth(), used, source);
    const char *module = n.layers.front().cell.kind == CellKind::LSTM ? "nn.LSTM" : n.layers.front().cell.kind == CellKind::GRU ? "nn.GRU" : "nn.RNN";
    n.layoutDescription = std::string("PyTorch state_dict of ") + module + "(num_layers=" + std::to_string(L) +
                          (bidirectional ? ", bidirectional=True" : "") + ") (" + printableText(p, 40) + "weight_ih_l0 …)";
    n.notes.push_back(std::string(module) + " as Keras layers: bh = bias_ih + bias_hh" +
                      (n.layers.front().cell.kind == CellKind::GRU ? " (a GRU keeps both as reset_after=True's two rows)" : "") +
                      "; gate rows reordered into Keras's columns" +
                      (bidirectional ? "; every layer Bidirectional(merge_mode='concat'), _reverse its backward layer" : ""));
    n.notes.push_back("the lower layers return sequences and the top one its last state (" +
                      std::string(bidirectional ? "cat(h_n[-2], h_n[-1])" : "output[:, -1]") +
                      "): --return-sequences for every step");
    if (n.layers.front().cell.kind == CellKind::SimpleRNN)
        n.notes.push_back("a state_dict does not record nn.RNN's nonlinearity: PyTorch's default is tanh");
    checkNetworkShapes(n, source);
    finish(n, arrays, used, source);
    return n;
}

std::string arr(std::size_t i)
{
    return "arr_" + std::to_string(i);
}

// np.savez(*model.get_weights()) of a stack: triples (Din, gM), (M, gM), bias, each Din the M of
// the triple before, then an optional Dense (M, K), (K,).
std::optional<LoadedNetwork> fromPositional(const NamedArrays &arrays, const std::string &source)
{
    std::size_t n = 0;
    while (find(arrays, arr(n)))
        ++n;
    if (n <= 5)
        return std::nullopt; // one layer (→ Dense): weightsFromArrays
    std::vector<const NdArray *> a;
    for (std::size_t i = 0; i < n; ++i)
        a.push_back(find(arrays, arr(i)));
    const auto shapeOfArr = [&](std::size_t i) { return arr(i) + " " + shapeString(a[i]->shape); };
    LoadedNetwork net;
    std::set<std::string> used;
    std::size_t i = 0;
    std::int64_t width = 0;
    while (i < n) {
        if (n - i == 2 && a[i]->rank() == 2 && a[i + 1]->rank() == 1)
            break; // the Dense
        if (n - i < 3)
            fail(ErrorKind::Unsupported, source,
                 "holds " + std::to_string(n) + " positional arrays: after the layers up to " + arr(i - 1) + " come " +
                     shapeOfArr(i) + (n - i == 2 ? ", " + shapeOfArr(i + 1) : std::string()) +
                     ", neither a recurrent layer's kernel, recurrent kernel and bias nor a Dense kernel (M, K) and bias (K,)");
        const NdArray &kernel = *a[i], &recurrent = *a[i + 1], &bias = *a[i + 2];
        // (M is bounded before the gate counts are multiplied: a hostile (2⁶², 0) would overflow.)
        if (kernel.rank() != 2 || recurrent.rank() != 2 || recurrent.shape[0] < 1 || recurrent.shape[0] > DimLimits::maxM ||
            (recurrent.shape[1] != recurrent.shape[0] && recurrent.shape[1] != 3 * recurrent.shape[0] &&
             recurrent.shape[1] != 4 * recurrent.shape[0]))
            fail(ErrorKind::Unsupported, source,
                 shapeOfArr(i) + ", " + shapeOfArr(i + 1) + " are not a recurrent layer's kernel (Din, gM) and recurrent kernel "
                 "(M, gM), g = 1, 3 or 4: a positional stack is triples kernel, recurrent kernel, bias, then the Dense");
        if (i > 0 && kernel.shape[0] != width) {
            const bool sameInput = kernel.shape == a[i - 3]->shape;
            fail(ErrorKind::Unsupported, source,
                 shapeOfArr(i) + " reads " + std::to_string(kernel.shape[0]) + " features, but the layer of " + arr(i - 3) +
                     " returns " + std::to_string(width) +
                     (sameInput ? ": it reads what " + arr(i - 3) + " reads, as a Bidirectional layer's backward half does — "
                                  "the positions do not say which layers are Bidirectional or how they merge: open a Keras file, "
                                  "or name the arrays (a PyTorch state_dict with _reverse)"
                                : ": not a stack of layers each reading the one under it"));
        }
        NamedArrays one{{"arr_0", kernel}, {"arr_1", recurrent}, {"arr_2", bias}};
        Weights w = weightsFromArrays(one, source + " (" + arr(i) + "…" + arr(i + 2) + ")").weights;
        LayerSpec spec;
        spec.cell.kind = w.kind();
        spec.cell.resetAfter = w.resetAfter() || w.kind() != CellKind::GRU;
        spec.units = w.M();
        net.layers.push_back(spec);
        net.weights.layers.push_back({std::move(w)});
        width = spec.units;
        for (std::size_t j = i; j < i + 3; ++j)
            used.insert(arr(j));
        i += 3;
    }
    for (std::size_t l = 0; l + 1 < net.layers.size(); ++l)
        net.layers[l].returnSequences = true;
    if (i < n) {
        const NdArray &Wo = *a[i], &bo = *a[i + 1];
        if (Wo.shape[0] != width || bo.shape != std::vector<std::int64_t>{Wo.shape[1]})
            fail(ErrorKind::ShapeMismatch, source,
                 "the Dense " + shapeOfArr(i) + ", " + shapeOfArr(i + 1) + " does not fit the top layer's " + std::to_string(width) +
                     " features: expected (" + std::to_string(width) + ", K), (K,)");
        net.weights.Wo = matrixFromArray(Wo);
        net.weights.bo = vectorFromArray(bo);
        used.insert({arr(i), arr(i + 1)});
    } else {
        net.weights.Wo = Eigen::MatrixXd(width, 0);
        net.weights.bo = Eigen::VectorXd(0);
    }
    // Two layers of the same shapes that read as many features as they return: the upper one could
    // be the lower one's backward half. A concatenating Bidirectional layer returns twice the
    // units, which what reads it tells apart — except at the top without a Dense.
    const std::size_t triples = net.layers.size();
    const auto sameAsBelow = [&](std::size_t l) {
        const std::size_t j = 3 * l;
        return a[j]->shape == a[j - 3]->shape && a[j + 1]->shape == a[j - 2]->shape && a[j + 2]->shape == a[j - 1]->shape;
    };
    if (i == n && triples >= 2 && sameAsBelow(triples - 1))
        fail(ErrorKind::Unsupported, source,
             arr(3 * triples - 3) + "…" + arr(3 * triples - 1) + " have the shapes of " + arr(3 * triples - 6) + "…" +
                 arr(3 * triples - 4) + " and read as many features as those return and read, with no Dense after them: a "
                 "second layer or the backward half of a Bidirectional layer, the shapes do not tell: open a Keras file, or "
                 "name the arrays (a PyTorch state_dict with _reverse)");
    for (std::size_t l = 1; l < triples; ++l)
        if (sameAsBelow(l)) {
            net.notes.push_back("layers " + std::to_string(l) + " and " + std::to_string(l + 1) +
                                " have the same shapes: read as two layers (a Bidirectional layer that merges with sum, mul "
                                "or ave would have them too: open its Keras file to compute that)");
            break;
        }
    net.layoutDescription = "Keras get_weights() order of a stack (arr_0…" + arr(n - 1) + ")";
    net.notes.push_back("a positional stack of " + std::to_string(net.layers.size()) +
                        " layers, told from the shapes: the activations (tanh, sigmoid) and return_sequences are not recorded: "
                        "the lower layers return sequences, the top one its last state (--return-sequences for every step)");
    checkNetworkShapes(net, source);
    finish(net, arrays, used, source);
    return net;
}

} // namespace

LoadedNetwork networkOf(const LoadedModel &m)
{
    LoadedNetwork n;
    LayerSpec spec;
    spec.cell.kind = m.weights.kind();
    spec.cell.activation = m.cell.value_or(Activation::Tanh);
    spec.cell.recurrent = m.recurrent.value_or(Activation::Sigmoid);
    spec.cell.resetAfter = m.weights.resetAfter() || spec.cell.kind != CellKind::GRU;
    spec.units = m.weights.M();
    spec.returnSequences = m.returnSequences.value_or(false);
    n.layers = {spec};
    Weights w = m.weights;
    n.weights.Wo = w.Wo;
    n.weights.bo = w.bo;
    w.Wo = Eigen::MatrixXd(w.M(), 0);
    w.bo = Eigen::VectorXd(0);
    n.weights.layers = {{std::move(w)}};
    n.input = m.input;
    n.layoutDescription = m.layoutDescription;
    n.notes = m.notes;
    n.dtype = m.dtype;
    n.configured = m.cell.has_value();
    n.dense = m.dense;
    n.T = m.T;
    if (!m.layerName.empty())
        n.layerNames = {m.layerName};
    n.denseLayerName = m.denseLayerName;
    return n;
}

std::optional<LoadedNetwork> networkFromArrays(const NamedArrays &arrays, const std::string &source)
{
    if (auto n = fromPyTorch(arrays, source))
        return n;
    return fromPositional(arrays, source);
}

std::optional<LoadedNetwork> loadNetworkFile(const std::string &path)
{
    checkReadable(path);
    const std::string ext = lowerExtension(path);
    if (ext == ".npz")
        return networkFromArrays(readNpz(path), path);
    if (ext == ".h5" || ext == ".hdf5" || ext == ".keras")
        return loadKerasNetwork(path);
    return std::nullopt; // loadWeightsFile says what it is not
}

} // namespace rnnscope
