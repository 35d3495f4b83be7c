// Session: the document — the file on show, opening and saving, restoring an autosaved copy.
#include "session.h"

#include "backgroundjob.h"

#include "common/error.h"
#include "io/file.h"
#include "io/modelrequest.h"
#include "io/networkfile.h"
#include "io/networkrequest.h"
#include "io/npy.h"
#include "io/sessionfile.h"
#include "io/weightfile.h"
#include "nn/initializer.h"

#include <QDir>
#include <QEventLoop>
#include <QFileInfo>

#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>
#include <cmath>

#include <future>
#include <optional>
#include <utility>

#include <unistd.h>

using namespace rnnscope;

bool Session::isModified() const
{
    return m_droppedChanges || !m_undo->isClean();
}

void Session::markSaved()
{
    setDroppedChanges(false);
    m_undo->setClean();
}

void Session::setDroppedChanges(bool dropped)
{
    const bool was = isModified();
    m_droppedChanges = dropped;
    if (isModified() != was)
        emit modifiedChanged(isModified());
}

bool Session::largeFile(const QString &path)
{
    return QFileInfo(path).size() > (qint64(16) << 20);
}

bool Session::replaceModel(const ModelState &state, const QString &what)
{
    if (m_network) // a one-layer model in place of the network
        return applyNetwork(what, Change::Structure, [&](NetworkShown &n) {
            n = NetworkShown{NetworkState{networkConfigOf(state.config), networkWeightsOf(state.weights), state.X, {}}, 0, 0};
        });
    return apply(what, Change::Structure, [&](Model &m) { m.restore(state); });
}

void Session::setFilePath(const QString &path, bool session)
{
    m_sessionFile = session;
    if (path == m_filePath)
        return;
    m_filePath = path;
    emit filePathChanged(path);
}

bool Session::openFile(const QString &path, const QString &layer)
{
    switch (fileKind(path.toStdString())) {
    case FileKind::Session: return openSession(path);
    case FileKind::Input: return loadInput(path);
    case FileKind::Weights: break;
    }
    return openWeights(path, layer);
}

bool Session::openWeights(const QString &path, const QString &layer)
{
    const QString name = QFileInfo(path).fileName();
    const QString what = tr("Open %1").arg(name);
    // A file of a network opens whole (the diagram then picks its layers). One whose network is
    // refused (a layer the network cannot hold between its recurrent layers) opens one recurrent
    // layer below, asking which, and says why.
    QString refusedNetwork;
    if (layer.isEmpty()) {
        std::optional<NetworkState> network;
        std::vector<std::string> notes;
        if (!buildInBackground(what, largeFile(path), [&] {
                std::optional<LoadedNetwork> file;
                try {
                    file = loadNetworkFile(path.toStdString());
                } catch (const Error &e) {
                    refusedNetwork = QString::fromStdString(e.what());
                    return;
                }
                if (!file)
                    return;
                NetworkRequest request;
                request.model.config = config(); // N, T, dtype, seed … stay the user's unless the file fixes them
                request.model.weightsPath = path.toStdString();
                request.file = std::make_shared<const LoadedNetwork>(std::move(*file));
                LoadedNetwork read;
                network = buildNetwork(request, &read).state();
                notes = read.notes;
            }))
            return false;
        if (network) {
            if (!applyNetwork(what, Change::Structure, [&](NetworkShown &n) { n = NetworkShown{std::move(*network), 0, 0}; }))
                return false;
            for (const std::string &note : notes)
                emit notice(QString::fromStdString(note));
            setFilePath(path, false);
            markSaved();
            return true;
        }
    }
    LoadedModel loaded;
    std::optional<Model> candidate;
    ModelRequest request;
    request.config = config(); // N, T, dtype, seed … stay the user's unless the file fixes them
    request.weightsPath = path.toStdString();
    request.layer = layer.toStdString();
    const bool heavy = largeFile(path);
    if (!buildInBackground(what, heavy, [&] { candidate.emplace(buildModel(request, &loaded)); }))
        return false;
    if (layer.isEmpty() && loaded.recurrentLayers.size() > 1 && m_chooseLayer) {
        QStringList layers;
        for (const std::string &l : loaded.recurrentLayers)
            layers << QString::fromStdString(l);
        const QString chosen = m_chooseLayer(name, layers);
        if (chosen.isEmpty())
            return false; // cancelled
        request.layer = chosen.toStdString();
        if (request.layer != loaded.layerName
            && !buildInBackground(what, heavy, [&] { candidate.emplace(buildModel(request, &loaded)); }))
            return false;
    }
    // In place of a network, the one layer alone.
    const bool ok = m_network ? replaceModel(candidate->state(), what) : apply(what, Change::Structure, [&](Model &m) {
        const Dims &d = candidate->dims(), &old = m.dims();
        if (!loaded.input && d.N == old.N && d.T == old.T && d.D == old.D)
            candidate->setInput(m.input(), d.N, d.T); // keep the input on show
        m = std::move(*candidate);
    });
    if (!ok)
        return false;
    for (const std::string &note : loaded.notes)
        emit notice(QString::fromStdString(note));
    if (!refusedNetwork.isEmpty())
        emit notice(tr("%1 opened as one layer, %2: the whole network is refused: %3")
                        .arg(name, QString::fromStdString(loaded.layerName), refusedNetwork));
    setFilePath(path, false);
    markSaved();
    return true;
}

bool Session::openSession(const QString &path)
{
    if (!loadAndShow(path, tr("Open %1").arg(QFileInfo(path).fileName())))
        return false;
    setFilePath(path, true);
    markSaved();
    return true;
}

Session::Recovery Session::recover(const QString &copyPath, const QString &origin, bool originIsSession)
{
    bool unreadable = false;
    if (!loadAndShow(copyPath, tr("Restore unsaved changes"), &unreadable))
        return unreadable ? Recovery::Unreadable : Recovery::NotRestored;
    setFilePath(origin, originIsSession && !origin.isEmpty());
    return Recovery::Restored;
}

bool Session::loadAndShow(const QString &path, const QString &what, bool *unreadable)
{
    SessionData data;
    const auto load = [&] {
        try {
            data = loadSession(path.toStdString(), config().memoryBudget);
        } catch (const Error &e) {
            // The file's own fault, not the budget's or the file system's.
            if (unreadable)
                *unreadable = e.kind() != ErrorKind::TooLarge && e.kind() != ErrorKind::Io;
            throw;
        }
    };
    if (!buildInBackground(what, largeFile(path), load))
        return false;
    if (data.network) {
        if (!applyNetwork(what, Change::Structure, [&](NetworkShown &n) { n = NetworkShown{std::move(*data.network), data.layer, data.direction}; }))
            return false;
    } else if (!replaceModel(data.model, what)) {
        return false;
    }
    showSession(data);
    return true;
}

void Session::showSession(const SessionData &data)
{
    setSample(data.sample);
    seek(data.timestep);
    setLayout(data.view.layout);
    emit sessionViewChanged(data.view);
}

SessionData Session::sessionData(const SessionView &view) const
{
    SessionData data;
    if (m_network) { // the network and the layer on show (the layer's model follows from them)
        data.network = m_network->state;
        data.layer = m_network->layer;
        data.direction = m_network->direction;
    } else {
        data.model = m_model.state();
    }
    data.timestep = position();
    data.sample = m_sample;
    data.view = view;
    data.view.layout = m_layout;
    return data;
}

bool Session::saveSession(const QString &path, const SessionView &view)
{
    if (!guarded(tr("Save %1").arg(QFileInfo(path).fileName()),
                 [&] { rnnscope::saveSession(path.toStdString(), sessionData(view)); }))
        return false;
    setFilePath(path, true);
    markSaved();
    return true;
}

bool Session::loadInput(const QString &path)
{
    const QString name = QFileInfo(path).fileName();
    if (largeFile(path) && !m_network)
        m_heavyHint = std::uint64_t(QFileInfo(path).size()) * 4; // read, as double, and the model's copies
    const auto load = [&](Model &m) { m.setInput(loadInputFile(path.toStdString(), m.dims().D)); };
    // A network's input is its first layer's, in time order (N and T follow the file).
    const bool ok = m_network ? applyNetwork(tr("Load input %1").arg(name), Change::Structure, [&](NetworkShown &n) {
        NetworkConfig c = n.state.config;
        if (c.hasEmbedding()) {
            const NdArray ids = readNpy(path.toStdString());
            if (ids.shape.size() == 2) {
                c.N = static_cast<int>(ids.shape[0]);
                c.T = static_cast<int>(ids.shape[1]);
            }
            const std::vector<int> checked = checkTokenIds(ids, c.vocabulary);
            n.state = refitNetwork(n.state, c);
            n.state.ids = checked;
        } else {
            const NdArray X = loadInputFile(path.toStdString(), c.D);
            c.N = static_cast<int>(X.shape[0]);
            c.T = static_cast<int>(X.shape[1]);
            n.state = refitNetwork(n.state, c);
            n.state.X = inputColumns(X);
        }
    })
                                : apply(tr("Load input %1").arg(name), Change::Structure, load);
    if (ok) { // the targets were another X's
        m_targets.reset();
        ++m_targetsVersion;
    }
    return ok;
}

bool Session::saveWeights(const QString &path, Layout layout)
{
    return guarded(tr("Save %1").arg(QFileInfo(path).fileName()), [&] {
        const DType dtype = config().dtype;
        if (m_network) // every layer's, as get_weights() lists them (or a PyTorch state_dict)
            writeNpz(path.toStdString(), networkWeightsToArrays(m_network->state.weights, m_network->state.config, layout), dtype);
        else
            writeNpz(path.toStdString(), weightsToArrays(weights(), layout, dtype, config().cellSpec()), dtype);
    });
}

bool Session::exportCode(const QString &path, rnnscope::CodeTarget target, QString *dataFile)
{
    return guarded(tr("Export %1").arg(QFileInfo(path).fileName()), [&] {
        const ExportedCode code = m_network ? rnnscope::exportCode(Network(m_network->state), target, path.toStdString())
                                            : rnnscope::exportCode(m_model, target, path.toStdString());
        // A large model's numbers beside the script, first: the script never names a missing file.
        const QString data = QString::fromStdString(code.dataFile);
        if (!data.isEmpty())
            writeNpz(QFileInfo(path).dir().filePath(data).toStdString(), code.data, config().dtype);
        writeFileAtomically(path.toStdString(), code.script);
        if (dataFile)
            *dataFile = data;
    });
}
