#include "io/networkrequest.h"

#include "common/error.h"
#include "io/npy.h"
#include "io/weightfile.h"

namespace rnnscope {

namespace {

std::string layerLabel(const std::vector<LayerSpec> &layers, std::size_t l)
{
    return "--stack's layer " + std::to_string(l + 1) + " (" + layerNames(layers)[l] + ")";
}

// An option given beside --stack must say what every layer it concerns says.
template <typename T, typename Of>
void agreeWithStack(const std::optional<T> &given, const std::vector<LayerSpec> &layers, const std::string &option,
                    Of of, std::string (*text)(T), bool (*concerns)(const LayerSpec &))
{
    if (!given)
        return;
    for (std::size_t l = 0; l < layers.size(); ++l)
        if (concerns(layers[l]) && of(layers[l]) != *given)
            throw Error(ErrorKind::BadUsage, option + " " + text(*given) + " contradicts " + layerLabel(layers, l) + ", which has " +
                                                 text(of(layers[l])));
}

std::string activationText(Activation a)
{
    return activationName(a);
}

std::string cellText(CellKind k)
{
    return cellName(k);
}

std::string resetText(bool on)
{
    return on ? "reset_after=True" : "reset_after=False";
}

} // namespace

NetworkConfig networkConfig(const NetworkRequest &r)
{
    const ModelRequest &m = r.model;
    NetworkConfig c;
    c.N = m.config.dims.N;
    c.T = m.config.dims.T;
    c.D = m.config.dims.D;
    c.K = m.config.dims.K;
    if (r.dims) {
        c.N = r.dims->N;
        c.T = r.dims->T;
        c.D = r.dims->D;
        c.K = r.dims->K;
    }
    if (r.stack) {
        c.layers = *r.stack;
        const auto always = [](const LayerSpec &) { return true; };
        agreeWithStack<CellKind>(m.kind, c.layers, "--cell", [](const LayerSpec &l) { return l.cell.kind; }, cellText, always);
        agreeWithStack<Activation>(m.cell, c.layers, "--activation", [](const LayerSpec &l) { return l.cell.activation; },
                                   activationText, always);
        agreeWithStack<Activation>(m.recurrent, c.layers, "--recurrent-activation",
                                   [](const LayerSpec &l) { return l.cell.recurrent; }, activationText,
                                   [](const LayerSpec &l) { return l.cell.kind != CellKind::SimpleRNN; });
        agreeWithStack<bool>(m.resetAfter, c.layers, "--no-reset-after", [](const LayerSpec &l) { return l.cell.resetAfter; },
                             resetText, [](const LayerSpec &l) { return l.cell.kind == CellKind::GRU; });
        if (m.returnSequences && *m.returnSequences && !c.layers.back().returnSequences)
            throw Error(ErrorKind::BadUsage, "--return-sequences contradicts " + layerLabel(c.layers, c.layers.size() - 1) +
                                                 ", which does not return sequences: add seq to it");
        if (r.dims) {
            const std::vector<int> &units = r.dims->units;
            const bool oneGiven = units.size() == 1 && c.layers.size() > 1;
            if (!oneGiven && units.size() != c.layers.size())
                throw Error(ErrorKind::BadUsage, "--dims gives " + std::to_string(units.size()) + " layers' units (" +
                                                     stackDimsText(*r.dims) + "), but --stack has " +
                                                     std::to_string(c.layers.size()) + " layers");
            for (std::size_t l = 0; l < c.layers.size(); ++l) {
                const int asked = oneGiven ? (l == 0 ? units[0] : 0) : units[l];
                if (asked == 0)
                    continue;
                if (c.layers[l].units != 0 && c.layers[l].units != asked)
                    throw Error(ErrorKind::BadUsage, "--dims gives M" + std::to_string(l + 1) + "=" + std::to_string(asked) +
                                                         ", but " + layerLabel(c.layers, l) + " has " +
                                                         std::to_string(c.layers[l].units) + " units");
                c.layers[l].units = asked;
            }
        }
        for (std::size_t l = 0; l < c.layers.size(); ++l)
            if (c.layers[l].units == 0)
                throw Error(ErrorKind::BadUsage, layerLabel(c.layers, l) + " has no units: give them in --stack (\"" +
                                                     std::string(cellName(c.layers[l].cell.kind)) +
                                                     " 32\") or in --dims (N,T,D,[M1,M2,…],K)");
    } else {
        const std::vector<int> units = r.dims ? r.dims->units : std::vector<int>{m.config.dims.M};
        c.layers.clear();
        for (std::size_t l = 0; l < units.size(); ++l) {
            LayerSpec layer;
            layer.cell = m.config.cellSpec();
            layer.units = units[l];
            layer.returnSequences = l + 1 < units.size() || m.config.returnSequences;
            c.layers.push_back(layer);
        }
    }
    c.vocabulary = r.vocabulary;
    c.dense = m.config.dense;
    c.dtype = m.config.dtype;
    c.seed = m.config.seed;
    c.init = m.config.init;
    c.memoryBudget = m.config.memoryBudget;
    return c;
}

LoadedNetwork loadNetworkOrLayer(const std::string &path, const std::string &layer)
{
    if (layer.empty())
        if (auto network = loadNetworkFile(path))
            return std::move(*network);
    return networkOf(loadWeightsFile(path, layer));
}

namespace {

std::string unitsText(int units)
{
    return std::to_string(units) + " units";
}

// The configuration of a network read from a file, with what the request says reconciled.
NetworkConfig configFromFile(const NetworkRequest &r, LoadedNetwork &f)
{
    const ModelRequest &m = r.model;
    const std::string &path = m.weightsPath;
    NetworkConfig c;
    c.layers = f.layers;
    c.vocabulary = f.vocabulary();
    c.D = f.D();
    c.K = f.K();
    c.N = m.config.dims.N;
    c.T = f.T.value_or(m.config.dims.T);
    const std::vector<std::string> names = f.layerNames.size() == f.layers.size() ? f.layerNames : layerNames(f.layers);
    const auto fileLayer = [&](std::size_t l) {
        return path + "'s layer " + std::to_string(l + 1) + " '" + names[l] + "' (" + layerClassName(f.layers[l]) + ")";
    };
    const std::string count = std::to_string(f.layers.size()) + (f.layers.size() == 1 ? " recurrent layer" : " recurrent layers");
    const auto refuse = [](const std::string &what) { throw Error(ErrorKind::ShapeMismatch, what); };
    if (r.dims) {
        const StackDims &d = *r.dims;
        c.N = d.N;
        c.T = d.T;
        if (d.D != c.D)
            refuse("--dims gives D=" + std::to_string(d.D) + ", but " + fileLayer(0) + " reads D=" + std::to_string(c.D));
        if (d.K != c.K)
            refuse("--dims gives K=" + std::to_string(d.K) + ", but " + path + " holds " +
                   (c.K ? "a Dense layer of K=" + std::to_string(c.K) : std::string("no Dense layer (K=0)")));
        if (d.units.size() != f.layers.size())
            refuse("--dims gives " + std::to_string(d.units.size()) + " layers' units (" + stackDimsText(d) + "), but " + path +
                   " holds " + count);
        for (std::size_t l = 0; l < f.layers.size(); ++l)
            if (d.units[l] != f.layers[l].units)
                refuse("--dims gives M" + std::to_string(l + 1) + "=" + std::to_string(d.units[l]) + ", but " + fileLayer(l) +
                       " has " + unitsText(f.layers[l].units));
    }
    if (r.stack && r.vocabulary != c.vocabulary)
        refuse("--stack " + (r.vocabulary ? "opens with embedding " + std::to_string(r.vocabulary) : std::string("has no Embedding")) +
               ", but " + path + (c.vocabulary ? " holds an Embedding of vocabulary " + std::to_string(c.vocabulary) : " holds none"));
    if (r.stack) {
        const std::vector<LayerSpec> &s = *r.stack;
        if (s.size() != f.layers.size())
            refuse("--stack has " + std::to_string(s.size()) + " layers (" + stackText(s) + "), but " + path + " holds " + count);
        const std::vector<std::string> stackNames = layerNames(s);
        for (std::size_t l = 0; l < s.size(); ++l) {
            const LayerSpec &a = s[l], &b = f.layers[l];
            const std::string asked = "--stack's layer " + std::to_string(l + 1) + " (" + stackNames[l] + ")";
            if (a.cell.kind != b.cell.kind)
                refuse(asked + " is " + cellClassName(a.cell.kind) + ", but " + fileLayer(l) + " is " + cellClassName(b.cell.kind));
            if (a.units != 0 && a.units != b.units)
                refuse(asked + " has " + unitsText(a.units) + ", but " + fileLayer(l) + " has " + unitsText(b.units));
            if (a.bidirectional != b.bidirectional || (a.bidirectional && a.merge != b.merge))
                refuse(asked + " is " + (a.bidirectional ? "Bidirectional (merge " + std::string(mergeName(a.merge)) + ")" : "not Bidirectional") +
                       ", but " + fileLayer(l) + " is " +
                       (b.bidirectional ? "Bidirectional (merge " + std::string(mergeName(b.merge)) + ")" : "not"));
            if (l < r.stackWords.size()) {
                const LayerWords &said = r.stackWords[l];
                const auto agree = [&](bool given, Activation typed, Activation held, const char *word, const char *key) {
                    if (given && typed != held)
                        refuse(asked + " has " + word + activationName(typed) + ", but " + fileLayer(l) + " has " + key + " " +
                               activationName(held));
                };
                agree(said.activation, a.cell.activation, b.cell.activation, "act=", "activation");
                if (b.cell.kind != CellKind::SimpleRNN)
                    agree(said.recurrent, a.cell.recurrent, b.cell.recurrent, "rec=", "recurrent_activation");
                if (said.resetAfter && b.cell.kind == CellKind::GRU && a.cell.resetAfter != b.cell.resetAfter)
                    refuse(asked + " has reset_after=" + (a.cell.resetAfter ? "true" : "false") + ", but " + fileLayer(l) + " is " +
                           resetText(b.cell.resetAfter) + "'s GRU");
            }
            if (a.goBackwards != b.goBackwards)
                refuse(asked + (a.goBackwards ? " runs backwards (back)" : " runs forwards") + ", but " + fileLayer(l) +
                       (b.goBackwards ? " has go_backwards=True" : " has go_backwards=False"));
            const bool top = l + 1 == s.size();
            if (!top && a.returnSequences != b.returnSequences)
                refuse(asked + (a.returnSequences ? " returns sequences" : " does not return sequences") + ", but " + fileLayer(l) +
                       (b.returnSequences ? " does" : " does not"));
            if (top && a.returnSequences && !b.returnSequences) {
                c.layers[l].returnSequences = true;
                f.notes.push_back("--stack's seq on the top layer overrides " + fileLayer(l) + "'s return_sequences=False");
            }
        }
    }
    for (std::size_t l = 0; l < c.layers.size(); ++l) {
        LayerSpec &layer = c.layers[l];
        if (m.kind && *m.kind != layer.cell.kind)
            refuse(std::string("--cell ") + cellName(*m.kind) + " contradicts " + fileLayer(l) + ", which holds " +
                   cellClassName(layer.cell.kind) + " weights");
        if (m.resetAfter && layer.cell.kind == CellKind::GRU && *m.resetAfter != layer.cell.resetAfter)
            refuse("--no-reset-after contradicts " + fileLayer(l) + ", whose bias is reset_after=True's (2, 3M)");
        const auto override = [&](const std::optional<Activation> &given, Activation &value, const char *option) {
            if (!given)
                return;
            if (*given != value)
                f.notes.push_back(std::string(option) + " " + activationName(*given) + " overrides " + fileLayer(l) + "'s " +
                                  activationName(value));
            value = *given;
        };
        override(m.cell, layer.cell.activation, "--activation");
        if (layer.cell.kind != CellKind::SimpleRNN)
            override(m.recurrent, layer.cell.recurrent, "--recurrent-activation");
    }
    if (m.returnSequences && *m.returnSequences && !c.layers.back().returnSequences) {
        c.layers.back().returnSequences = true;
        f.notes.push_back("--return-sequences: the top layer returns every step");
    }
    c.dense = m.config.dense;
    if (m.dense) {
        if (f.dense && *f.dense != *m.dense)
            f.notes.push_back(std::string("--dense-activation ") + activationName(*m.dense) + " overrides the file's " +
                              activationName(*f.dense));
        c.dense = *m.dense;
    } else if (f.dense) {
        c.dense = *f.dense;
    }
    return c;
}

// A network whose Embedding reads token ids: from --input, else drawn from the seed.
Network buildEmbeddingNetwork(const NetworkRequest &r, NetworkConfig c, std::optional<LoadedNetwork> &file, LoadedNetwork *weightsFile)
{
    std::optional<std::vector<int>> ids;
    if (!r.model.inputPath.empty()) {
        const std::string &path = r.model.inputPath;
        if (lowerExtension(path) != ".npy")
            throw Error(ErrorKind::BadUsage, "--input " + path + ": the network begins with an Embedding, which reads token ids: expected an "
                                                 ".npy of shape (N, T) or (T,) of integers 0 … " + std::to_string(c.vocabulary - 1));
        NdArray a = readNpyIntegers(path);
        if (a.shape.size() == 1)
            a.shape = {1, a.shape[0]};
        if (a.shape.size() != 2)
            throw Error(ErrorKind::ShapeMismatch, path + " holds an array of shape " + shapeString(a.shape) +
                                                      ", but the Embedding reads token ids of shape (N, T) or (T,)");
        if (a.shape[0] < 1 || a.shape[1] < 1)
            throw Error(ErrorKind::ShapeMismatch, path + " holds token ids of shape " + shapeString(a.shape) + ": expected N ≥ 1 and T ≥ 1");
        if (r.dims && (r.dims->N != a.shape[0] || r.dims->T != a.shape[1]))
            throw Error(ErrorKind::ShapeMismatch, "--dims gives N=" + std::to_string(r.dims->N) + ", T=" + std::to_string(r.dims->T) +
                                                      ", but " + path + " holds token ids of shape " + shapeString(a.shape));
        if (a.shape[0] > DimLimits::maxN || a.shape[1] > DimLimits::maxT)
            throw Error(ErrorKind::OutOfRange, path + " holds token ids of shape " + shapeString(a.shape) + ": N or T is out of range");
        try {
            ids = checkTokenIds(a, c.vocabulary);
        } catch (const Error &e) {
            throw Error(e.kind(), path + ": " + e.what());
        }
        c.N = static_cast<int>(a.shape[0]);
        c.T = static_cast<int>(a.shape[1]);
    }
    checkNetwork(c);
    NetworkWeights weights = file ? file->weights : initialNetworkWeights(c);
    if (!ids)
        ids = randomTokenIds(c.N, c.T, c.vocabulary, c.seed);
    if (weightsFile && file)
        *weightsFile = std::move(*file);
    return Network(c, std::move(weights), std::move(*ids));
}

} // namespace

Network buildNetwork(const NetworkRequest &r, LoadedNetwork *weightsFile)
{
    std::optional<LoadedNetwork> file;
    NetworkConfig c;
    if (!r.model.weightsPath.empty()) {
        file = r.file ? *r.file : loadNetworkOrLayer(r.model.weightsPath, r.model.layer);
        c = configFromFile(r, *file);
    } else {
        c = networkConfig(r);
    }
    c.dtype = r.model.config.dtype;
    c.seed = r.model.config.seed;
    c.init = r.model.config.init;
    c.memoryBudget = r.model.config.memoryBudget;
    if (c.hasEmbedding())
        return buildEmbeddingNetwork(r, c, file, weightsFile);
    std::optional<NdArray> x;
    std::string xSource;
    if (!r.model.inputPath.empty()) {
        x = loadInputFile(r.model.inputPath, r.dims || file ? c.D : -1);
        xSource = r.model.inputPath;
    } else if (file && file->input) {
        x = file->input;
        xSource = r.model.weightsPath;
    }
    if (x) {
        const std::string what = xSource + " holds X of shape " + shapeString(x->shape);
        if (r.dims && (r.dims->N != x->shape[0] || r.dims->T != x->shape[1]))
            throw Error(ErrorKind::ShapeMismatch, "--dims gives N=" + std::to_string(r.dims->N) + ", T=" + std::to_string(r.dims->T) +
                                                      ", but " + what);
        c.N = static_cast<int>(x->shape[0]);
        c.T = static_cast<int>(x->shape[1]);
        c.D = static_cast<int>(x->shape[2]);
    }
    if (!file && !x)
        return Network(c);
    checkNetwork(c);
    NetworkWeights weights = file ? file->weights : initialNetworkWeights(c);
    Eigen::MatrixXd X = x ? inputColumns(*x) : randomInput(c.N, c.T, c.D, c.seed);
    if (weightsFile && file)
        *weightsFile = std::move(*file);
    return Network(c, std::move(weights), std::move(X));
}

} // namespace rnnscope
