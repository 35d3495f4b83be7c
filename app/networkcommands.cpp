#include "networkcommands.h"

#include "cli.h"

#include "common/error.h"
#include "io/npy.h"
#include "run/summary.h"

using namespace rnnscope;

namespace cli {

bool wantsNetwork(const QCommandLineParser &p)
{
    return p.isSet(QStringLiteral("stack")) || p.value(QStringLiteral("dims")).contains(QLatin1Char('['));
}

NetworkRequest networkRequest(const QCommandLineParser &p)
{
    NetworkRequest r;
    r.model = modelRequest(p);
    r.model.dims.reset();
    if (p.isSet(QStringLiteral("dims")))
        r.dims = parseStackDims(str(p.value(QStringLiteral("dims"))));
    if (p.isSet(QStringLiteral("stack")))
        r.stack = parseStack(str(p.value(QStringLiteral("stack"))));
    if (!r.model.layer.empty())
        throw Error(ErrorKind::BadUsage, "--layer " + r.model.layer + " opens one recurrent layer alone: it does not go with --stack");
    return r;
}

int networkSummary(const QCommandLineParser &p)
{
    const NetworkRequest r = networkRequest(p);
    const Network net = buildNetwork(r);
    const NetworkConfig &c = net.config();
    print(summaryText(networkSummary(c)));
    print("Stack: " + stackText(c.layers) + "\n");
    print("Dims: " + stackDimsText(StackDims{c.N, c.T, c.D, c.K, [&] {
              std::vector<int> units;
              for (const LayerSpec &l : c.layers)
                  units.push_back(l.units);
              return units;
          }()}) + ", " + dtypeName(c.dtype) +
          (c.K > 0 ? std::string(", dense activation=") + activationName(c.dense) : std::string()) +
          ", weights drawn from seed " + std::to_string(c.seed) + "\n");
    return Ok;
}

int networkForward(const QCommandLineParser &p)
{
    if (!p.isSet(QStringLiteral("out")))
        throw Error(ErrorKind::BadUsage, "forward needs --out Y.npy: where to write the output");
    if (p.isSet(QStringLiteral("cell-state")))
        throw Error(ErrorKind::Unsupported, "--cell-state writes the cell states of one LSTM layer: rnnscope does not write "
                                            "them for a stack yet (use --hidden for the top layer's outputs)");
    Network net = buildNetwork(networkRequest(p));
    const DType dtype = net.config().dtype;
    writeNpy(str(p.value(QStringLiteral("out"))), net.prediction(), dtype);
    if (p.isSet(QStringLiteral("hidden")))
        writeNpy(str(p.value(QStringLiteral("hidden"))), net.layerSequence(net.config().layerCount() - 1), dtype);
    return Ok;
}

int networkSave(const QCommandLineParser &p, const QStringList &positional)
{
    const QString out = positional.at(1);
    if (!out.endsWith(QLatin1String(".npz"), Qt::CaseInsensitive))
        throw Error(ErrorKind::BadUsage, "save: '" + str(out) + "': a stack of layers is saved as weights (.npz); rnnscope "
                                         "does not save it as a session yet");
    if (p.isSet(QStringLiteral("layout")) && p.value(QStringLiteral("layout")) != QLatin1String("keras"))
        throw Error(ErrorKind::Unsupported, "--layout " + str(p.value(QStringLiteral("layout"))) +
                                                ": rnnscope saves a stack of layers in Keras's get_weights() order only, for now");
    const Network net = buildNetwork(networkRequest(p));
    writeNpz(str(out), networkWeightsToArrays(net.weights(), net.config()), net.config().dtype);
    return Ok;
}

} // namespace cli
