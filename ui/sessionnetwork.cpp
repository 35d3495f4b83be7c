// Session: a network on show — the layer the views show, the stack's edits, the schedule.
#include "session.h"

#include "sessioncommands.h"

#include "common/error.h"

#include <QUndoStack>

#include <algorithm>
#include <utility>

using namespace rnnscope;

namespace {

// A network that the one-layer model is whole: one forward layer, no Embedding.
bool standsAlone(const NetworkConfig &c)
{
    return c.layerCount() == 1 && !c.layers.front().bidirectional && !c.layers.front().goBackwards && !c.hasEmbedding();
}

} // namespace

Session::Session(NetworkState network, QObject *parent)
    : Session(Model(layerView(NetworkShown{network, 0, 0})), parent)
{
    if (!standsAlone(network.config))
        m_network = std::make_shared<const NetworkShown>(NetworkShown{std::move(network), 0, 0});
}

NetworkShown Session::shownNetwork() const
{
    if (m_network)
        return *m_network;
    const ModelState s = m_model.state();
    return NetworkShown{NetworkState{networkConfigOf(s.config), networkWeightsOf(s.weights), s.X, {}}, 0, 0};
}

const NetworkConfig &Session::networkConfig() const
{
    if (m_network)
        return m_network->state.config;
    thread_local NetworkConfig one; // the one-layer model's, made on each call
    one = networkConfigOf(config());
    return one;
}

ModelState Session::layerView(const NetworkShown &shown)
{
    Network net(shown.state);
    return net.layerState(shown.layer, shown.direction);
}

void Session::showNetwork(std::shared_ptr<const NetworkShown> network, Model &&model, Change kind)
{
    m_network = network && !standsAlone(network->state.config) ? std::move(network) : nullptr;
    m_brokenLayer = -1;
    m_stackError.clear();
    replaceWith(std::move(model));
    afterChange(kind);
    emit networkChanged();
}

bool Session::applyNetwork(const QString &what, Change kind, const std::function<void(NetworkShown &)> &change)
{
    if (!settle())
        return false;
    auto next = std::make_shared<NetworkShown>(shownNetwork());
    ModelState before, after;
    std::optional<Model> candidate;
    const std::uint64_t budget = config().memoryBudget;
    next->state.config.memoryBudget = budget;
    const bool heavy = estimateBytes(next->state.config) > kBackgroundBytes;
    if (!buildInBackground(what, heavy, [&] {
            before = m_model.state();
            change(*next);
            next->state.config.memoryBudget = budget;
            const int L = next->state.config.layerCount();
            next->layer = std::clamp(next->layer, 0, L - 1);
            next->direction = std::clamp(next->direction, 0, next->state.config.layers[static_cast<std::size_t>(next->layer)].directions() - 1);
            after = layerView(*next);
            candidate.emplace(after);
        })) {
        resumeReturn();
        return false;
    }
    std::shared_ptr<const NetworkShown> prior = m_network;
    showNetwork(next, std::move(*candidate), kind);
    pushModelCommand(what, kind, std::move(before), std::move(after), std::move(prior), m_network);
    return true;
}

bool Session::selectLayer(int layer, int direction)
{
    const NetworkConfig &c = networkConfig();
    if (layer < 0 || layer >= c.layerCount() || direction < 0 || direction >= c.layers[static_cast<std::size_t>(layer)].directions()) {
        emit errorOccurred(tr("The network has no layer %1 %2: it has layers 1 … %3")
                               .arg(layer + 1).arg(direction == 1 ? tr("backward") : QString()).arg(c.layerCount()));
        return false;
    }
    if (!m_network || (layer == m_network->layer && direction == m_network->direction))
        return true;
    if (!settle(false))
        return false;
    auto next = std::make_shared<NetworkShown>(*m_network);
    next->layer = layer;
    next->direction = direction;
    std::optional<Model> model;
    const bool heavy = estimateBytes(c) > kBackgroundBytes;
    if (!buildInBackground(tr("Show layer %1").arg(layer + 1), heavy, [&] { model.emplace(layerView(*next)); })) {
        resumeReturn();
        return false;
    }
    const int broken = m_brokenLayer;
    const QString error = m_stackError;
    showNetwork(next, std::move(*model), Change::Structure);
    showBrokenStack(broken, error); // choosing another layer does not mend the stack
    return true;
}

bool Session::editStack(const QString &what, const std::function<void(std::vector<LayerSpec> &, std::vector<int> &, int &)> &edit)
{
    return applyNetwork(what, Change::Structure, [&](NetworkShown &n) {
        NetworkConfig c = n.state.config;
        std::vector<int> from(c.layers.size());
        for (std::size_t i = 0; i < from.size(); ++i)
            from[i] = static_cast<int>(i);
        int selected = n.layer;
        edit(c.layers, from, selected);
        // Every layer under another returns a sequence: a stack edit never breaks that.
        for (std::size_t i = 0; i + 1 < c.layers.size(); ++i)
            c.layers[i].returnSequences = true;
        n.state = refitNetwork(n.state, c, from);
        if (selected != n.layer) // the same layer keeps its direction on show (applyNetwork clamps it)
            n.direction = 0;
        n.layer = selected;
    });
}

bool Session::setStack(const std::vector<LayerSpec> &layers, const std::vector<int> &from, const QString &what)
{
    return editStack(what, [&](std::vector<LayerSpec> &l, std::vector<int> &f, int &selected) {
        l = layers;
        f = from;
        selected = std::min(selected, static_cast<int>(layers.size()) - 1);
    });
}

bool Session::insertLayer(int at)
{
    const NetworkConfig &c = networkConfig();
    if (c.layerCount() >= kMaxLayers) {
        emit errorOccurred(tr("A network has at most %1 recurrent layers").arg(kMaxLayers));
        return false;
    }
    at = std::clamp(at, 0, c.layerCount());
    return editStack(tr("Add a layer"), [&](std::vector<LayerSpec> &layers, std::vector<int> &from, int &selected) {
        LayerSpec added = layers[static_cast<std::size_t>(std::min(selected, static_cast<int>(layers.size()) - 1))];
        added.bidirectional = false;
        added.goBackwards = false;
        added.merge = Merge::Concat;
        // On top, the new layer answers as the old top did; under another it returns sequences.
        added.returnSequences = at == static_cast<int>(layers.size()) ? layers.back().returnSequences : true;
        layers.insert(layers.begin() + at, added);
        from.insert(from.begin() + at, -1);
        selected = at;
    });
}

bool Session::removeLayer(int layer)
{
    const NetworkConfig &c = networkConfig();
    if (c.layerCount() <= 1) {
        emit errorOccurred(tr("The network needs at least one recurrent layer"));
        return false;
    }
    if (layer < 0 || layer >= c.layerCount())
        return false;
    return editStack(tr("Remove layer %1").arg(layer + 1), [&](std::vector<LayerSpec> &layers, std::vector<int> &from, int &selected) {
        const bool top = layer + 1 == static_cast<int>(layers.size());
        const bool topReturns = layers.back().returnSequences;
        layers.erase(layers.begin() + layer);
        from.erase(from.begin() + layer);
        if (top)
            layers.back().returnSequences = topReturns; // the new top answers as the old one did
        selected = std::min(layer, static_cast<int>(layers.size()) - 1);
    });
}

bool Session::moveLayer(int layer, int to)
{
    const NetworkConfig &c = networkConfig();
    if (layer < 0 || layer >= c.layerCount() || to < 0 || to >= c.layerCount() || to == layer)
        return false;
    return editStack(tr("Move layer %1 to %2").arg(layer + 1).arg(to + 1),
                     [&](std::vector<LayerSpec> &layers, std::vector<int> &from, int &selected) {
                         const bool topReturns = layers.back().returnSequences;
                         const LayerSpec moved = layers[static_cast<std::size_t>(layer)];
                         layers.erase(layers.begin() + layer);
                         layers.insert(layers.begin() + to, moved);
                         from.erase(from.begin() + layer);
                         from.insert(from.begin() + to, layer);
                         layers.back().returnSequences = topReturns;
                         selected = to;
                     });
}

bool Session::editLayer(int layer, const QString &what, const std::function<void(LayerSpec &)> &edit)
{
    return editStack(what, [&](std::vector<LayerSpec> &layers, std::vector<int> &, int &selected) {
        edit(layers.at(static_cast<std::size_t>(layer)));
        selected = layer;
    });
}

bool Session::setLayerBidirectional(int layer, bool on)
{
    return editLayer(layer, on ? tr("Bidirectional layer %1").arg(layer + 1) : tr("One direction in layer %1").arg(layer + 1),
                     [on](LayerSpec &l) { l.bidirectional = on; });
}

bool Session::setLayerMerge(int layer, Merge merge)
{
    return editLayer(layer, tr("Merge layer %1 by %2").arg(layer + 1).arg(QLatin1String(mergeName(merge))),
                     [merge](LayerSpec &l) { l.merge = merge; });
}

bool Session::setLayerGoBackwards(int layer, bool on)
{
    return editLayer(layer, on ? tr("Layer %1 goes backwards").arg(layer + 1) : tr("Layer %1 goes forwards").arg(layer + 1),
                     [on](LayerSpec &l) { l.goBackwards = on; });
}

bool Session::setLayerReturnSequences(int layer, bool on)
{
    const NetworkConfig &c = networkConfig();
    if (layer < 0 || layer >= c.layerCount())
        return false;
    if (layer + 1 < c.layerCount()) {
        // Under another layer: Keras refuses the stack. The window shows why (the teaching
        // moment) and keeps the network that builds; fixStack() or checking it again mends it.
        if (on) {
            fixStack();
            return true;
        }
        std::vector<LayerSpec> broken = c.layers;
        broken[static_cast<std::size_t>(layer)].returnSequences = false;
        const QString error = QString::fromStdString(ndimMismatch(broken, layer + 1));
        auto *command = new BrokenStackCommand(this, layer, error); // Ctrl+Z checks the box again
        showBrokenStack(layer, error);
        m_undo->push(command);
        return true;
    }
    return editStack(on ? tr("Return sequences") : tr("Return the last state"),
                     [&](std::vector<LayerSpec> &layers, std::vector<int> &, int &) { layers.back().returnSequences = on; });
}

void Session::fixStack()
{
    if (m_brokenLayer < 0)
        return;
    const QUndoCommand *last = m_undo->index() > 0 ? m_undo->command(m_undo->index() - 1) : nullptr;
    if (dynamic_cast<const BrokenStackCommand *>(last))
        m_undo->undo(); // the fix is the undo of the break: Redo breaks it again
    else
        showBrokenStack(-1, QString());
}

void Session::showBrokenStack(int layer, const QString &error)
{
    if (layer == m_brokenLayer && error == m_stackError)
        return;
    m_brokenLayer = layer;
    m_stackError = error;
    emit networkChanged();
}

bool Session::readsBackwards() const
{
    if (!m_network)
        return false;
    const LayerSpec &l = m_network->state.config.layers[static_cast<std::size_t>(m_network->layer)];
    return l.readsBackwards(m_network->direction);
}

QString Session::inputName(bool reversed) const
{
    if (!m_network)
        return tr("input");
    const NetworkConfig &c = m_network->state.config;
    const QString reads = m_network->layer > 0
                              ? tr("what %1 returns").arg(QString::fromStdString(layerNames(c.layers)[static_cast<std::size_t>(m_network->layer - 1)]))
                              : c.hasEmbedding() ? tr("the Embedding's rows") : tr("input");
    return reversed && readsBackwards() ? tr("%1, reversed").arg(reads) : reads;
}

int Session::scheduleIndex() const
{
    if (!m_network)
        return position();
    const NetworkConfig &c = m_network->state.config;
    int k = 0;
    for (int l = 0; l < m_network->layer; ++l)
        k += c.layers[static_cast<std::size_t>(l)].directions() * c.T;
    return k + m_network->direction * c.T + position();
}

int Session::scheduleLength() const
{
    const NetworkConfig &c = networkConfig();
    int k = 0;
    for (const LayerSpec &l : c.layers)
        k += l.directions() * c.T;
    return k;
}
