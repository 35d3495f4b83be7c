#include "networkcommands.h"

#include "cli.h"

#include "common/error.h"
#include "io/npy.h"
#include "io/sessionfile.h"
#include "run/model.h"
#include "run/summary.h"

using namespace rnnscope;

namespace cli {

bool wantsNetwork(const QCommandLineParser &p)
{
    return p.isSet(QStringLiteral("stack")) || p.value(QStringLiteral("dims")).contains(QLatin1Char('['));
}

bool computesNetworks(const QString &command)
{
    for (const char *name : {"summary", "trace", "forward", "save", "export-code", "bench"})
        if (command == QLatin1String(name))
            return true;
    return false;
}

std::shared_ptr<const LoadedNetwork> networkInFile(const QCommandLineParser &p, const QString &command)
{
    const std::string weights = str(p.value(QStringLiteral("weights")));
    if (weights.empty() || p.isSet(QStringLiteral("layer")) || command == QLatin1String("bench") || !isHeadlessCommand(command))
        return nullptr;
    auto network = loadNetworkFile(weights);
    if (!network)
        return nullptr;
    if (!computesNetworks(command))
        throw Error(ErrorKind::Unsupported, "'" + str(command) + "' works on one recurrent layer: " + weights + " holds a network of " +
                                                std::to_string(network->layers.size()) + " recurrent layers (" +
                                                stackText(network->layers) +
                                                "; summary, trace, forward, save and export-code open it whole): --layer NAME opens "
                                                "one of them alone");
    return std::make_shared<const LoadedNetwork>(std::move(*network));
}

NetworkRequest networkRequest(const QCommandLineParser &p, std::shared_ptr<const LoadedNetwork> file)
{
    NetworkRequest r;
    r.file = std::move(file);
    r.model = modelRequest(p);
    r.model.dims.reset();
    if (p.isSet(QStringLiteral("dims")))
        r.dims = parseStackDims(str(p.value(QStringLiteral("dims"))));
    if (p.isSet(QStringLiteral("stack"))) {
        NetworkStack stack = parseNetworkStack(str(p.value(QStringLiteral("stack"))));
        r.stack = std::move(stack.layers);
        r.stackWords = std::move(stack.words);
        r.vocabulary = stack.vocabulary;
    }
    if (!r.model.layer.empty() && r.stack)
        throw Error(ErrorKind::BadUsage, "--layer " + r.model.layer + " opens one recurrent layer alone: it does not go with --stack");
    return r;
}

namespace {

std::string joinNames(const std::vector<std::string> &names, const std::vector<LayerSpec> &layers)
{
    std::string s;
    for (std::size_t l = 0; l < layers.size(); ++l)
        s += (l ? " -> " : "") + std::string("'") + names[l] + "' (" + layerClassName(layers[l]) + ")";
    return s;
}

} // namespace

int networkSummary(const QCommandLineParser &p, const NetworkFile &file)
{
    const NetworkRequest r = networkRequest(p, file);
    LoadedNetwork loaded;
    const Network net = buildNetwork(r, &loaded);
    const NetworkConfig &c = net.config();
    print(summaryText(networkSummary(c)));
    print("Stack: " + stackText(c.layers, c.vocabulary) + "\n");
    if (c.hasEmbedding())
        print("Embedding: vocabulary V=" + std::to_string(c.vocabulary) + ", output D=" + std::to_string(c.D) +
              ": token ids (N, T) become X (N, T, D), each id its row of the table (V, D)\n");
    const bool fromFile = !r.model.weightsPath.empty();
    print("Dims: " + stackDimsText(StackDims{c.N, c.T, c.D, c.K, [&] {
              std::vector<int> units;
              for (const LayerSpec &l : c.layers)
                  units.push_back(l.units);
              return units;
          }()}) + ", " + dtypeName(c.dtype) +
          (c.K > 0 ? std::string(", dense activation=") + activationName(c.dense) : std::string()) +
          (fromFile ? ", weights from " + r.model.weightsPath : ", weights drawn from seed " + std::to_string(c.seed)) + "\n");
    if (!fromFile)
        return Ok;
    print("Format: " + loaded.layoutDescription + "\n");
    if (!loaded.layerNames.empty())
        print("Layers: " + (loaded.embeddingName.empty() ? std::string() : "'" + loaded.embeddingName + "' (Embedding) -> ") +
              joinNames(loaded.layerNames, c.layers) +
              (loaded.denseLayerName.empty() ? std::string() : " -> '" + loaded.denseLayerName + "' (Dense)") + "\n");
    for (const std::string &note : loaded.notes)
        print("Note: " + note + "\n");
    return Ok;
}

int networkForward(const QCommandLineParser &p, const NetworkFile &file)
{
    if (!p.isSet(QStringLiteral("out")))
        throw Error(ErrorKind::BadUsage, "forward needs --out Y.npy: where to write the output");
    if (p.isSet(QStringLiteral("cell-state")))
        throw Error(ErrorKind::Unsupported, "--cell-state writes the cell states of one LSTM layer: rnnscope does not write "
                                            "them for a stack yet (use --hidden for the top layer's outputs)");
    Network net = buildNetwork(networkRequest(p, file));
    const DType dtype = net.config().dtype;
    writeNpy(str(p.value(QStringLiteral("out"))), net.prediction(), dtype);
    if (p.isSet(QStringLiteral("hidden")))
        writeNpy(str(p.value(QStringLiteral("hidden"))), net.layerSequence(net.config().layerCount() - 1), dtype);
    return Ok;
}

int networkSave(const QCommandLineParser &p, const QStringList &positional, const NetworkFile &file)
{
    const QString out = positional.at(1);
    if (out.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)) { // the whole network as a session
        SessionData data;
        data.network = buildNetwork(networkRequest(p, file)).state();
        saveSession(str(out), data);
        return Ok;
    }
    if (!out.endsWith(QLatin1String(".npz"), Qt::CaseInsensitive))
        throw Error(ErrorKind::BadUsage, "save: '" + str(out) + "': a network is saved as weights (.npz) or as a session (.json)");
    const QString layout = p.isSet(QStringLiteral("layout")) ? p.value(QStringLiteral("layout")) : QStringLiteral("keras");
    if (layout != QLatin1String("keras") && layout != QLatin1String("pytorch"))
        throw Error(ErrorKind::BadUsage, "--layout '" + str(layout) + "' is unknown: expected keras or pytorch");
    const Network net = buildNetwork(networkRequest(p, file));
    const DType dtype = net.config().dtype;
    writeNpz(str(out),
             networkWeightsToArrays(net.weights(), net.config(), layout == QLatin1String("pytorch") ? Layout::PyTorch : Layout::Keras),
             dtype);
    return Ok;
}

int networkTrace(const QCommandLineParser &p, const NetworkFile &file)
{
    Network net = buildNetwork(networkRequest(p, file));
    const NetworkConfig &c = net.config();
    const int n = static_cast<int>(integerOption(p, QStringLiteral("sample"), 0, c.N - 1, 0));
    const std::vector<std::string> names = layerNames(c.layers);
    print("Network: " + stackText(c.layers, c.vocabulary) + ", computed layer by layer (a layer reads the whole sequence under it)\n");
    if (c.hasEmbedding() && n < c.N) {
        std::string ids;
        for (int t = 0; t < c.T; ++t)
            ids += (t ? ", " : "") + std::to_string(net.tokenIds()[static_cast<std::size_t>(n) * c.T + t]);
        print("Embedding (V=" + std::to_string(c.vocabulary) + ", D=" + std::to_string(c.D) + "): X is looked up, x_t = E[id_t] (row id_t of "
              "the table E (V, D)); sample " + std::to_string(n) + "'s ids: [" + ids + "]\n");
    }
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
        for (int d = 0; d < layer.directions(); ++d) {
            const std::string reads = l == 0 ? "X" : "what layer " + std::to_string(l) + " returns";
            std::string head = "\n=== layer " + std::to_string(l + 1) + " (" + names[static_cast<std::size_t>(l)] + ")" +
                               (layer.bidirectional ? (d == 0 ? ", forward copy" : ", backward copy") : "") + ": " +
                               describeCell(layer.cell, layer.units) + " reads " + reads;
            if (net.runsBackwards(l, d))
                head += " reversed: its x_t is x_{T-1-t} of that sequence, its h_t the state after it";
            print(head + " ===\n");
            Model model(net.layerState(l, d));
            print(traceText(model, n));
        }
        if (layer.bidirectional)
            print(std::string("\nlayer ") + std::to_string(l + 1) + " returns " + mergeName(layer.merge) + "(forward, backward" +
                  (layer.returnSequences ? " flipped back to time order" : "") + "): " +
                  (layer.returnSequences ? "(N, T, " : "(N, ") + std::to_string(layer.outputWidth()) + ")\n");
    }
    if (c.K > 0 && c.top().bidirectional)
        print("\nDense on the merge: Y " + shapeString(outputShape(c)) + "\n");
    return Ok;
}

} // namespace cli
