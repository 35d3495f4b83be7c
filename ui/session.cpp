#include "session.h"

#include "backgroundjob.h"

#include "common/error.h"
#include "io/modelrequest.h"
#include "io/npy.h"
#include "io/sessionfile.h"
#include "io/weightfile.h"
#include "nn/initializer.h"

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

// A change of the whole model, kept as the states before and after.
class ModelCommand : public QUndoCommand {
public:
    ModelCommand(Session *s, const QString &text, int kind, ModelState before, ModelState after)
        : QUndoCommand(text), m_session(s), m_kind(kind), m_before(std::move(before)), m_after(std::move(after))
    {
    }
    void undo() override { m_session->restoreState(m_before, static_cast<Session::Change>(m_kind)); }
    // Bytes of the two states (X and the weights as double).
    std::uint64_t bytes() const { return stateBytes(m_before) + stateBytes(m_after); }
    // Hands the states over (to be freed elsewhere) before the command is deleted unused.
    void releaseStates(std::vector<std::unique_ptr<ModelState>> &into)
    {
        into.push_back(std::make_unique<ModelState>(std::move(m_before)));
        into.push_back(std::make_unique<ModelState>(std::move(m_after)));
    }
    static std::uint64_t stateBytes(const ModelState &s)
    {
        const Weights &w = s.weights;
        return 8 * std::uint64_t(s.X.size() + w.Wx.size() + w.Wh.size() + w.bh.size() + w.Wo.size() + w.bo.size());
    }
    void redo() override
    {
        if (m_first) { // the change is already applied
            m_first = false;
            return;
        }
        m_session->restoreState(m_after, static_cast<Session::Change>(m_kind));
    }

private:
    Session *m_session;
    int m_kind;
    ModelState m_before, m_after;
    bool m_first = true;
};

// One edited value of a weight (id set) or of the input X[n, t, d].
class ValueCommand : public QUndoCommand {
public:
    ValueCommand(Session *s, std::optional<WeightId> id, int a, int b, int c, double before, double after)
        : m_session(s), m_id(id), m_a(a), m_b(b), m_c(c), m_before(before), m_after(after)
    {
        setText(id ? QStringLiteral("Edit %1[%2, %3]").arg(QLatin1String(weightName(*id))).arg(a).arg(b)
                   : QStringLiteral("Edit X[%1, %2, %3]").arg(a).arg(b).arg(c));
    }
    void undo() override { set(m_before); }
    void redo() override { set(m_after); }

private:
    void set(double v)
    {
        if (!m_session->settle())
            return;
        if (m_id)
            m_session->m_model.setWeightValue(*m_id, m_a, m_b, v);
        else
            m_session->m_model.setInputValue(m_a, m_b, m_c, v);
        m_session->afterChange(m_id ? Session::Change::Weights : Session::Change::Input);
    }

    Session *m_session;
    std::optional<WeightId> m_id;
    int m_a, m_b, m_c;
    double m_before, m_after;
};

Session::Session(QObject *parent)
    : Session(Model(), parent)
{
}

Session::Session(Model model, QObject *parent)
    : QObject(parent)
    , m_model(std::move(model))
    , m_stepper(m_model)
    , m_undo(new QUndoStack(this))
    , m_job(new BackgroundJob(this))
{
    m_undo->setUndoLimit(200);
    connect(m_undo, &QUndoStack::cleanChanged, this, [this] { emit modifiedChanged(isModified()); });
    m_stepper.addObserver(this);
}

Session::~Session()
{
    delete m_job; // stops the worker before the model it reads goes
    m_job = nullptr;
    if (m_disposal.valid())
        m_disposal.wait();
    m_stepper.removeObserver(this);
}

bool Session::busy() const
{
    return m_job && m_job->running();
}

void Session::cancelWork()
{
    if (busy())
        m_job->cancel();
}

void Session::finishWork()
{
    m_job->wait();
}

bool Session::settle()
{
    if (m_changing)
        return false;
    if (!busy())
        return true;
    m_settling = true;
    m_job->cancel();
    m_job->wait();
    m_settling = false;
    return true;
}

void Session::computeInBackground(int t)
{
    const int from = m_model.computedSteps();
    m_job->start(
        tr("Computing t = %1 … %2").arg(from).arg(t),
        [this, t](BackgroundJob::Control &control) {
            try {
                m_model.computeThrough(t, [&control](double done) {
                    control.progress(done);
                    return !control.cancelled();
                });
            } catch (...) {
                // Nothing in a step allocates or throws; whatever is computed stays, the rest
                // is computed again when asked.
            }
        },
        [this, t] {
            if (m_settling)
                return; // a new command takes over
            m_returnTo = -1;
            const int reached = m_model.computedSteps() - 1;
            if (reached < t)
                emit notice(tr("Stopped: timesteps 0 … %1 are computed").arg(reached));
            if (std::min(reached, t) != m_stepper.position())
                m_stepper.seek(std::min(reached, t));
        });
}

bool Session::guarded(const QString &what, const std::function<void()> &f)
{
    try {
        f();
        return true;
    } catch (const Error &e) {
        emit errorOccurred(QString::fromStdString(e.what()));
    } catch (const std::bad_alloc &) {
        emit errorOccurred(what + QStringLiteral(": not enough memory"));
    }
    return false;
}

bool Session::apply(const QString &what, Change kind, const std::function<void(Model &)> &change)
{
    const std::uint64_t hint = std::exchange(m_heavyHint, 0);
    const double work = std::exchange(m_workHint, 0);
    if (!settle())
        return false;
    // The change is made on a copy, so that a refusal leaves the model as it was and, for a large
    // model, the window keeps showing the old one while the worker builds the new.
    std::optional<Model> candidate;
    ModelState before, after;
    // Large (copying it takes long) or long to draw (the QR of a large orthogonal kernel): on the
    // worker, so that no change blocks the window, whatever the dimension.
    const bool heavy = std::max(estimateBytes(dims(), config().dtype), hint) > kBackgroundBytes || work > kBackgroundWork;
    if (!buildInBackground(what, heavy, [&] {
            before = m_model.state();
            candidate.emplace(before);
            change(*candidate);
            after = candidate->state();
        })) {
        resumeReturn();
        return false;
    }
    replaceWith(std::move(*candidate));
    afterChange(kind);
    pushModelCommand(what, kind, std::move(before), std::move(after));
    return true;
}

void Session::pushModelCommand(const QString &what, Change kind, ModelState before, ModelState after)
{
    auto command = std::make_unique<ModelCommand>(this, what, static_cast<int>(kind), std::move(before), std::move(after));
    const std::uint64_t held = undoBytes(), added = command->bytes();
    if (held + added <= m_undoBytes) {
        m_undo->push(command.release());
        return;
    }
    // Over the undo memory: the older history goes (and with it the clean state: what is on
    // screen stays modified until it is saved). Its states are freed on another thread.
    setDroppedChanges(true); // first, so that the stack's clean state does not flash unmodified
    std::vector<std::unique_ptr<ModelState>> states;
    for (int i = 0; i < m_undo->count(); ++i)
        if (auto *c = dynamic_cast<ModelCommand *>(const_cast<QUndoCommand *>(m_undo->command(i))))
            c->releaseStates(states);
    m_undo->clear();
    if (added <= m_undoBytes) {
        m_undo->push(command.release());
        emit notice(tr("The undo history before “%1” was dropped: it would hold %2, more than the %3 it may keep")
                        .arg(what, QString::fromStdString(formatBytes(held + added)),
                             QString::fromStdString(formatBytes(m_undoBytes))));
    } else {
        command->releaseStates(states);
        emit notice(tr("“%1” cannot be undone: the model's states take %2, more than the %3 the undo history may keep")
                        .arg(what, QString::fromStdString(formatBytes(added)), QString::fromStdString(formatBytes(m_undoBytes))));
    }
    disposeLater(std::make_shared<std::vector<std::unique_ptr<ModelState>>>(std::move(states)));
}

std::uint64_t Session::undoBytes() const
{
    std::uint64_t total = 0;
    // Commands above the index (undone) go with the next push.
    for (int i = 0; i < m_undo->index(); ++i)
        if (const auto *c = dynamic_cast<const ModelCommand *>(m_undo->command(i)))
            total += c->bytes();
    return total;
}

void Session::replaceWith(Model &&model)
{
    // The old model's memory (gigabytes at the largest sizes) is given back on another thread.
    auto old = std::make_shared<Model>(std::move(model));
    std::swap(m_model, *old);
    disposeLater(std::move(old));
}

void Session::disposeLater(std::shared_ptr<void> what)
{
    if (m_disposal.valid())
        m_disposal.wait();
    m_disposal = std::async(std::launch::async, [what = std::move(what)]() mutable { what.reset(); });
}

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

std::uint64_t Session::defaultUndoBytes()
{
    constexpr std::uint64_t gib = std::uint64_t(1) << 30;
#ifdef _SC_PHYS_PAGES
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0)
        return std::min(gib, std::uint64_t(pages) * std::uint64_t(page) / 8);
#endif
    return gib;
}

bool Session::largeFile(const QString &path)
{
    return QFileInfo(path).size() > (qint64(16) << 20);
}

double Session::drawWork(const Dims &d, const CellSpec &cell, bool weights, bool input) const
{
    return (weights ? initialWeightsWork(d.D, d.M, d.K, config().init, cell) : 0.0)
           + (input ? 4.0 * d.N * double(d.T) * d.D : 0.0);
}

bool Session::buildInBackground(const QString &what, bool heavy, const std::function<void()> &build, bool cancellable)
{
    if (heavy && !settle())
        return false;
    QString error;
    const auto run = [&] {
        try {
            build();
        } catch (const Error &e) {
            error = QString::fromStdString(e.what());
        } catch (const std::bad_alloc &) {
            error = what + QStringLiteral(": not enough memory");
        } catch (const std::exception &e) {
            error = what + QStringLiteral(": ") + QString::fromLocal8Bit(e.what());
        } catch (...) {
            error = what + QStringLiteral(": an internal failure");
        }
    };
    bool cancelled = false;
    if (!heavy) {
        run();
    } else {
        // The event loop runs meanwhile: the window repaints and shows the progress; commands
        // that arrive (a timer's step) are refused until the change is in place.
        QEventLoop loop;
        m_changing = true;
        m_job->start(what, [&run](BackgroundJob::Control &) { run(); }, [&loop] { loop.quit(); });
        loop.exec();
        m_job->wait(); // the loop may also end because the application quits: the build must end first
        m_changing = false;
        cancelled = cancellable && m_job->cancelRequested();
    }
    if (cancelled) {
        emit notice(tr("%1: cancelled").arg(what));
        return false;
    }
    if (!error.isEmpty()) {
        emit errorOccurred(error);
        return false;
    }
    return true;
}

void Session::restoreState(const ModelState &state, Change kind)
{
    if (!settle())
        return;
    std::optional<Model> model;
    const bool heavy = std::max(estimateBytes(dims(), config().dtype), estimateBytes(state.config.dims, state.config.dtype))
        > kBackgroundBytes;
    // An undo cannot be refused: a state the model had always fits (a cancel waits for it instead).
    if (!buildInBackground(tr("Undo"), heavy, [&] { model.emplace(state); }, false) || !model) {
        resumeReturn();
        return;
    }
    replaceWith(std::move(*model));
    afterChange(kind);
}

void Session::afterChange(Change kind)
{
    // The sample is clamped at once but announced last: a view that follows it reads the
    // position and the shapes, which must be the new ones by then.
    const bool sampleMoved = m_sample >= m_model.dims().N;
    if (sampleMoved)
        m_sample = m_model.dims().N - 1;
    // Recompute through the position first, so that every view the signals reach reads
    // computed timesteps only. When that is long work, the views start from −1 while the worker
    // computes, and the position comes back when it is done.
    // (A change that interrupted such a recomputation aims at the same position.)
    const int position = m_returnTo >= 0 ? std::min(m_returnTo, m_model.dims().T - 1) : m_stepper.position();
    m_returnTo = -1;
    const bool background = position >= 0 && m_model.workThrough(position) > kBackgroundWork;
    m_quiet = true;
    if (background)
        m_stepper.reset();
    else
        m_stepper.seek(position);
    m_quiet = false;
    switch (kind) {
    case Change::Structure: emit structureChanged(); break;
    case Change::Weights: emit weightsChanged(); break;
    case Change::Input: emit inputChanged(); break;
    }
    emit stepChanged(m_stepper.position());
    if (sampleMoved)
        emit sampleChanged(m_sample);
    if (background) {
        computeInBackground(position);
        m_returnTo = position;
    }
}

void Session::resumeReturn()
{
    // A recomputation that a refused or cancelled command interrupted goes on.
    if (m_returnTo >= 0 && !busy() && m_returnTo != m_stepper.position())
        computeInBackground(std::min(m_returnTo, m_model.dims().T - 1));
}

bool Session::replaceModel(const ModelState &state, const QString &what)
{
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
    const bool ok = apply(what, Change::Structure, [&](Model &m) {
        const Dims &d = candidate->dims(), &old = m.dims();
        if (!loaded.input && d.N == old.N && d.T == old.T && d.D == old.D)
            candidate->setInput(m.input(), d.N, d.T); // keep the input on show
        m = std::move(*candidate);
    });
    if (!ok)
        return false;
    for (const std::string &note : loaded.notes)
        emit notice(QString::fromStdString(note));
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
    if (!replaceModel(data.model, what))
        return false;
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
    data.model = m_model.state();
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
    if (largeFile(path))
        m_heavyHint = std::uint64_t(QFileInfo(path).size()) * 4; // read, as double, and the model's copies
    return apply(tr("Load input %1").arg(name), Change::Structure, [&](Model &m) {
        m.setInput(loadInputFile(path.toStdString(), m.dims().D));
    });
}

bool Session::saveWeights(const QString &path, Layout layout)
{
    return guarded(tr("Save %1").arg(QFileInfo(path).fileName()), [&] {
        const DType dtype = config().dtype;
        writeNpz(path.toStdString(), weightsToArrays(weights(), layout, dtype), dtype);
    });
}

bool Session::setDimension(char symbol, long long value)
{
    Dims d = dims();
    int *slot = symbol == 'N' ? &d.N : symbol == 'T' ? &d.T : symbol == 'D' ? &d.D : symbol == 'M' ? &d.M : &d.K;
    if (!guarded(QString(), [&] { validateDim(symbol, value); }))
        return false;
    *slot = static_cast<int>(value);
    return setDims(d);
}

bool Session::setDims(const Dims &dims)
{
    if (dims == m_model.dims())
        return true;
    // Sizes out of range or over the memory budget are refused before anything is copied.
    if (!guarded(QString(), [&] { checkDims(dims, config().dtype, config().memoryBudget, config().cellSpec()); }))
        return false;
    m_heavyHint = estimateBytes(dims, config().dtype);
    const Dims &old = m_model.dims();
    m_workHint = drawWork(dims, config().cellSpec(), dims.D != old.D || dims.M != old.M || dims.K != old.K,
                          dims.N != old.N || dims.T != old.T || dims.D != old.D);
    return apply(tr("Change dimensions to %1").arg(QString::fromStdString(dimsString(dims))), Change::Structure,
                 [&](Model &m) { m.setDims(dims); });
}

bool Session::setReturnSequences(bool on)
{
    if (on == config().returnSequences)
        return true;
    return apply(on ? tr("Return sequences") : tr("Return the last state"), Change::Structure,
                 [&](Model &m) { m.setReturnSequences(on); });
}

bool Session::setDtype(DType dtype)
{
    if (dtype == config().dtype)
        return true;
    return apply(tr("Compute in %1").arg(QLatin1String(dtypeName(dtype))), Change::Structure,
                 [&](Model &m) { m.setDtype(dtype); });
}

bool Session::setActivations(Activation cell, Activation dense)
{
    if (cell == config().cell && dense == config().dense)
        return true;
    return apply(tr("Activations %1 / %2").arg(QLatin1String(activationName(cell)), QLatin1String(activationName(dense))),
                 Change::Structure, [&](Model &m) { m.setActivations(cell, dense); });
}

bool Session::setCell(const CellSpec &cell)
{
    if (cell == config().cellSpec())
        return true;
    const CellSpec old = config().cellSpec();
    m_workHint = drawWork(dims(), cell, cell.gates() != old.gates() || cell.biasRows() != old.biasRows() || cell.kind != old.kind, false);
    return apply(tr("Cell %1").arg(QString::fromStdString(describeCell(cell, dims().M))), Change::Structure,
                 [&](Model &m) { m.setCell(cell); });
}

bool Session::setSeed(quint64 seed)
{
    if (seed == config().seed)
        return true;
    // A new seed draws new weights and a new input: the same seed always shows the same numbers.
    m_workHint = drawWork(dims(), config().cellSpec(), true, true);
    return apply(tr("Seed %1").arg(seed), Change::Structure, [&](Model &m) {
        m.setSeed(seed);
        m.randomizeWeights();
        m.randomizeInput();
    });
}

bool Session::setInitSpec(const InitSpec &spec)
{
    m_workHint = initialWeightsWork(dims().D, dims().M, dims().K, spec, config().cellSpec());
    return apply(tr("Initializer %1").arg(QLatin1String(initSchemeName(spec.scheme))), Change::Weights,
                 [&](Model &m) {
                     m.setInitSpec(spec);
                     m.randomizeWeights();
                 });
}

// Each press draws new numbers: the seed moves on by one, so the seed box names the draw on show
// and typing that seed again gives the same numbers.
bool Session::randomizeWeights()
{
    const quint64 seed = config().seed + 1;
    m_workHint = drawWork(dims(), config().cellSpec(), true, false);
    return apply(tr("Randomize weights (seed %1)").arg(seed), Change::Weights, [seed](Model &m) {
        m.setSeed(seed);
        m.randomizeWeights();
    });
}

bool Session::randomizeInput()
{
    const quint64 seed = config().seed + 1;
    m_workHint = drawWork(dims(), config().cellSpec(), false, true);
    return apply(tr("Randomize input (seed %1)").arg(seed), Change::Input, [seed](Model &m) {
        m.setSeed(seed);
        m.randomizeInput();
    });
}

bool Session::setWeightValue(WeightId id, int row, int col, double value)
{
    if (m_changing)
        return false; // a change is being built: the edit would land in neither model
    double before = 0;
    const Weights &w = m_model.weights();
    const bool vector = id == WeightId::bh || id == WeightId::bo;
    const Eigen::MatrixXd *m = id == WeightId::Wx ? &w.Wx : id == WeightId::Wh ? &w.Wh : id == WeightId::Wo ? &w.Wo : nullptr;
    const Eigen::VectorXd *v = id == WeightId::bh ? &w.bh : id == WeightId::bo ? &w.bo : nullptr;
    const Eigen::Index rows = vector ? v->size() : m->rows(), cols = vector ? 1 : m->cols();
    if (row < 0 || row >= rows || col < 0 || col >= cols) {
        emit errorOccurred(QStringLiteral("%1[%2, %3] is outside its shape").arg(QLatin1String(weightName(id))).arg(row).arg(col));
        return false;
    }
    before = vector ? (*v)(row) : (*m)(row, col);
    const QString name = vector ? QStringLiteral("%1[%2]").arg(QLatin1String(weightName(id))).arg(row)
                                : QStringLiteral("%1[%2, %3]").arg(QLatin1String(weightName(id))).arg(row).arg(col);
    return enterValue(name, id, row, col, 0, before, value);
}

bool Session::setInputValue(int n, int t, int d, double value)
{
    if (m_changing)
        return false;
    const Dims &dims = m_model.dims();
    if (n < 0 || n >= dims.N || t < 0 || t >= dims.T || d < 0 || d >= dims.D) {
        emit errorOccurred(QStringLiteral("X[%1, %2, %3] is outside its shape").arg(n).arg(t).arg(d));
        return false;
    }
    return enterValue(QStringLiteral("X[%1, %2, %3]").arg(n).arg(t).arg(d), std::nullopt, n, t, d,
                      m_model.inputValue(n, t, d), value);
}

bool Session::enterValue(const QString &name, std::optional<WeightId> id, int a, int b, int c, double before, double value)
{
    // The model holds what its dtype holds: 1e39 typed into a float32 model is +Inf, and the
    // person who typed it hears so.
    const DType dtype = config().dtype;
    const double held = heldAs(value, dtype);
    if (const std::string note = heldAsNote(value, dtype); !note.empty())
        emit notice(QStringLiteral("%1: %2").arg(name, QString::fromStdString(note)));
    if (heldAs(before, dtype) == held || (std::isnan(before) && std::isnan(held)))
        return true;
    m_undo->push(new ValueCommand(this, id, a, b, c, before, value)); // as typed: float64 shows it
    return true;
}

void Session::reportEntry(const QString &message, bool refused)
{
    if (refused)
        emit errorOccurred(message);
    else
        emit notice(message);
}

// While a recomputation brings the position back, a step goes from where it is going (seek
// cancels the recomputation first).
void Session::stepForward()
{
    seek((m_returnTo >= 0 ? m_returnTo : m_stepper.position()) + 1);
}

void Session::stepBack()
{
    seek((m_returnTo >= 0 ? m_returnTo : m_stepper.position()) - 1);
}

void Session::seek(int t)
{
    if (!settle())
        return;
    m_returnTo = -1; // a move of the user's own replaces the way back
    t = std::clamp(t, -1, m_model.dims().T - 1);
    if (t == m_stepper.position())
        return;
    if (t >= 0 && m_model.workThrough(t) > kBackgroundWork)
        computeInBackground(t);
    else
        m_stepper.seek(t);
}

void Session::reset()
{
    seek(-1);
}

void Session::setSample(int n)
{
    n = std::clamp(n, 0, m_model.dims().N - 1);
    if (n == m_sample)
        return;
    m_sample = n;
    emit sampleChanged(n);
}

void Session::setLayout(Layout layout)
{
    if (layout == m_layout)
        return;
    m_layout = layout;
    emit layoutChanged();
}

void Session::stepShown(const StepRecord &record)
{
    m_current = record;
    if (!m_quiet)
        emit stepChanged(record.t);
}

void Session::rewound()
{
    m_current = StepRecord{};
    if (!m_quiet)
        emit stepChanged(-1);
}
