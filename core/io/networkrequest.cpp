#include "io/networkrequest.h"

#include "common/error.h"
#include "io/weightfile.h"

namespace rnnscope {

bool needsNetwork(const NetworkRequest &r)
{
    return r.stack || (r.dims && r.dims->units.size() != 1);
}

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
    c.dense = m.config.dense;
    c.dtype = m.config.dtype;
    c.seed = m.config.seed;
    c.init = m.config.init;
    c.memoryBudget = m.config.memoryBudget;
    return c;
}

Network buildNetwork(const NetworkRequest &r)
{
    if (!r.model.weightsPath.empty())
        throw Error(ErrorKind::Unsupported, "--weights " + r.model.weightsPath +
                                                " with a stack of layers: rnnscope opens a network's weights from Keras files "
                                                "(without --stack) only");
    NetworkConfig c = networkConfig(r);
    if (r.model.inputPath.empty())
        return Network(c);
    const NdArray x = loadInputFile(r.model.inputPath, r.dims ? c.D : -1);
    const std::string what = r.model.inputPath + " holds X of shape " + shapeString(x.shape);
    if (r.dims && (r.dims->N != x.shape[0] || r.dims->T != x.shape[1]))
        throw Error(ErrorKind::ShapeMismatch, "--dims gives N=" + std::to_string(r.dims->N) + ", T=" + std::to_string(r.dims->T) +
                                                  ", but " + what);
    c.N = static_cast<int>(x.shape[0]);
    c.T = static_cast<int>(x.shape[1]);
    c.D = static_cast<int>(x.shape[2]);
    checkNetwork(c);
    return Network(c, initialNetworkWeights(c), inputColumns(x));
}

} // namespace rnnscope
