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
    const NdArray *x = find(arrays, "X");
    if (x && n.vocabulary() > 0)
        x = nullptr; // an Embedding reads token ids (--input), not X (N, T, D): listed as ignored
    if (x) {
        try {
            n.input = inputFromArray(*x, n.D());
        } catch (const Error &e) {
            fail(e.kind(), source, e.what());
        }
        n.notes.push_back("input X " + shapeString(n.input->shape) + " loaded from the file");
    }
    std::string ignored;
    for (const auto &[key, a] : arrays)
        if (!used.count(key) && (key != "X" || n.vocabulary() > 0))
            ignored += (ignored.empty() ? "" : ", ") + printableText(key, 40) + " " + shapeString(a.shape);
    if (!ignored.empty())
        n.notes.push_back("ignored arrays: " + printableText(ignored, 400));
}

// The shapes the layers and the Dense must have, as Network checks them, named by the file.
void checkNetworkShapes(const LoadedNetwork &n, const std::string &source)
{
    NetworkConfig c;
    c.layers = n.layers;
    c.vocabulary = n.vocabulary();
    c.D = n.D();
    c.K = n.K();
    try {
        checkStack(c.layers);
        checkShapes(n.weights, c);
    } catch (const Error &e) {
        fail(e.kind(), source, e.what());
    }
}

// The layers and directions the keys of a PyTorch RNN module name: every <p><parameter>_l{k} and
// <p><parameter>_l{k}_reverse (nn/weights.h's pytorchKey), whichever parameter names it.
struct PyTorchExtent {
    int layers = 0;
    bool bidirectional = false;
    std::string top, reverse; // a key naming the top layer, one naming a backward direction
};

PyTorchExtent pytorchExtent(const NamedArrays &arrays, const std::string &p, const std::string &source)
{
    PyTorchExtent e;
    for (const auto &[key, a] : arrays) {
        if (key.rfind(p, 0) != 0)
            continue;
        for (const char *parameter : kPyTorchParameters) {
            const std::string head = p + parameter + "_l";
            if (key.rfind(head, 0) != 0)
                continue;
            std::string digits = key.substr(head.size());
            const bool reverse = endsWith(digits, "_reverse");
            if (reverse)
                digits.resize(digits.size() - 8);
            if (digits.empty() || digits.size() > 4 || digits.find_first_not_of("0123456789") != std::string::npos)
                continue;
            const int k = std::stoi(digits);
            if (k >= kMaxLayers)
                fail(ErrorKind::OutOfRange, source,
                     printableText(key, 40) + " names layer " + std::to_string(k) + " of an RNN: rnnscope computes at most " +
                         std::to_string(kMaxLayers) + " layers");
            if (k + 1 > e.layers) {
                e.layers = k + 1;
                e.top = key;
            }
            if (reverse && e.reverse.empty()) {
                e.bidirectional = true;
                e.reverse = key;
            }
        }
    }
    return e;
}

// A PyTorch state_dict of nn.RNN / nn.LSTM / nn.GRU with num_layers > 1 or bidirectional=True.
std::optional<LoadedNetwork> fromPyTorch(const NamedArrays &arrays, const std::string &source)
{
    const std::vector<std::string> prefixes = pytorchPrefixes(arrays);
    if (prefixes.size() != 1)
        return std::nullopt; // none, or several modules: weightsFromArrays says so
    const std::string p = prefixes.front();
    const PyTorchExtent extent = pytorchExtent(arrays, p, source);
    const int L = extent.layers;
    const bool bidirectional = extent.bidirectional;
    // The Embedding's table, told before the layers are read from the shapes the keys give (D of
    // weight_ih_l0, the top layer's width from weight_hh's columns); they are checked below.
    const auto columns = [&](const std::string &key) -> std::int64_t {
        const NdArray *a = find(arrays, key);
        return a && a->rank() == 2 ? a->shape[1] : -1;
    };
    const std::int64_t topM = columns(pytorchKey(p, "weight_hh", L - 1, false));
    const std::string embeddingKey =
        pytorchEmbeddingKey(arrays, columns(pytorchKey(p, "weight_ih")), topM < 1 ? -1 : topM * (bidirectional ? 2 : 1), source);
    if (L == 1 && !bidirectional && embeddingKey.empty())
        return std::nullopt;
    for (const auto &[key, a] : arrays)
        if (key.rfind(p + "weight_hr_l", 0) == 0)
            fail(ErrorKind::Unsupported, source,
                 printableText(key, 40) + " belongs to an LSTM with projections (proj_size > 0), which Keras has no form of");
    const int directions = bidirectional ? 2 : 1;
    // Every layer and direction the keys imply has both weights: a gap (_l0, _l2 without _l1) or a
    // _reverse for only some is refused, naming the key missing.
    for (int k = 0; k < L; ++k)
        for (int d = 0; d < directions; ++d)
            for (const char *parameter : {"weight_ih", "weight_hh"})
                if (const std::string key = pytorchKey(p, parameter, k, d == 1); !find(arrays, key))
                    fail(ErrorKind::MissingArray, source,
                         "has no " + quote(key) + ", but " + printableText(d == 1 ? extent.reverse : extent.top, 40) +
                             " makes it " + (bidirectional ? "a bidirectional" : "an") + " RNN of " + std::to_string(L) +
                             (L == 1 ? " layer" : " layers") + ", which has weight_ih and weight_hh for every layer" +
                             (bidirectional ? " and direction" : ""));

    LoadedNetwork n;
    std::set<std::string> used;
    std::vector<std::string> layerNotes; // the first layer's say what every layer's say
    for (int k = 0; k < L; ++k) {
        LayerSpec spec;
        spec.bidirectional = bidirectional;
        spec.returnSequences = k + 1 < L;
        std::vector<Weights> dirs;
        for (int d = 0; d < directions; ++d) {
            std::vector<std::string> scratch;
            Weights w = pytorchLayerWeights(arrays, p, k, d == 1, source, k == 0 && d == 0 ? layerNotes : scratch, used);
            const std::string hh = pytorchKey(p, "weight_hh", k, d == 1), ih = pytorchKey(p, "weight_ih", k, d == 1);
            if (!dirs.empty() || k > 0) {
                const Weights &first = n.weights.layers.empty() ? dirs.front() : n.weights.layers.front().front();
                if (w.kind() != first.kind() || w.M() != first.M())
                    fail(ErrorKind::ShapeMismatch, source,
                         printableText(hh, 40) + " is " + cellClassName(w.kind()) + " M=" + std::to_string(w.M()) + "'s, but " +
                             printableText(pytorchKey(p, "weight_hh"), 40) + " " + cellClassName(first.kind()) +
                             " M=" + std::to_string(first.M()) + "'s: a PyTorch RNN has one cell and one hidden size");
            }
            if (k > 0 && w.D() != directions * n.weights.layers.front().front().M()) {
                const int width = directions * n.weights.layers.front().front().M();
                fail(ErrorKind::ShapeMismatch, source,
                     printableText(ih, 40) + " has shape " + shapeString(find(arrays, ih)->shape) + ", but layer " +
                         std::to_string(k - 1) + " returns " + std::to_string(width) + " features: expected (" +
                         std::to_string(w.Wx.cols()) + ", " + std::to_string(width) + ")");
            }
            dirs.push_back(std::move(w));
        }
        spec.cell.kind = dirs.front().kind();
        spec.cell.resetAfter = true; // nn.GRU is reset_after=True's GRU; the flag means nothing to the other cells
        spec.units = dirs.front().M();
        n.layers.push_back(spec);
        n.weights.layers.push_back(std::move(dirs));
    }
    const int width = n.layers.back().outputWidth();
    std::vector<std::string> linearNotes;
    if (const auto linear = pytorchLinear(arrays, width, "the top layer's " + std::to_string(width) + " features", source,
                                          linearNotes, used, embeddingKey)) {
        n.weights.Wo = linear->Wo;
        n.weights.bo = linear->bo;
    } else {
        n.weights.Wo = Eigen::MatrixXd(width, 0);
        n.weights.bo = Eigen::VectorXd(0);
    }
    std::string embeddingText;
    if (!embeddingKey.empty()) {
        const NdArray &table = *find(arrays, embeddingKey);
        const int D = n.D();
        if (table.shape[1] != D || table.shape[0] < 1 || table.shape[0] > kMaxVocabulary)
            fail(ErrorKind::ShapeMismatch, source,
                 "the Embedding " + printableText(embeddingKey, 40) + " has shape " + shapeString(table.shape) + ", but " +
                     printableText(pytorchKey(p, "weight_ih"), 40) + " reads " + std::to_string(D) + " features: expected (V, " +
                     std::to_string(D) + ") with 1 ≤ V ≤ " + std::to_string(kMaxVocabulary));
        n.weights.embedding = matrixFromArray(table);
        used.insert(embeddingKey);
        const std::string V = std::to_string(table.shape[0]);
        embeddingText = "nn.Embedding(" + V + ", " + std::to_string(D) + ") + ";
        n.notes.push_back("nn.Embedding " + printableText(embeddingKey, 40) + " (V=" + V + ", D=" + std::to_string(D) +
                          ") reads token ids (N, T), 0 … " + std::to_string(table.shape[0] - 1) + ": X is their rows of its table");
    }
    const char *module = n.layers.front().cell.kind == CellKind::LSTM ? "nn.LSTM" : n.layers.front().cell.kind == CellKind::GRU ? "nn.GRU" : "nn.RNN";
    n.layoutDescription = "PyTorch state_dict of " + embeddingText + module + "(num_layers=" + std::to_string(L) +
                          (bidirectional ? ", bidirectional=True" : "") + ") (" +
                          (embeddingKey.empty() ? std::string() : printableText(embeddingKey, 40) + ", ") +
                          printableText(pytorchKey(p, "weight_ih"), 40) + " …)";
    n.notes.push_back(std::string(module) + " as Keras layers: bh = bias_ih + bias_hh" +
                      (n.layers.front().cell.kind == CellKind::GRU ? " (a GRU keeps both as reset_after=True's two rows)" : "") +
                      "; gate rows reordered into Keras's columns" +
                      (bidirectional ? "; every layer Bidirectional(merge_mode='concat'), _reverse its backward layer" : ""));
    for (const std::string &note : layerNotes)
        if (note.find("bias=False") != std::string::npos)
            n.notes.push_back(note);
    n.notes.insert(n.notes.end(), linearNotes.begin(), linearNotes.end());
    n.notes.push_back(std::string(L > 1 ? "the lower layers return sequences and the top one its last state (" : "the layer returns its last state (") +
                      (bidirectional ? "cat(h_n[-2], h_n[-1])" : "output[:, -1]") + "): --return-sequences for every step");
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
