#include "session.h"
#include "sessioncommands.h"

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
    // What the learning views computed is dropped at every change (computed again when shown).
    for (auto signal : {&Session::structureChanged, &Session::weightsChanged, &Session::inputChanged})
        connect(this, signal, this, [this] { forgetLearning(true); });
    connect(this, &Session::sampleChanged, this, [this] { forgetLearning(false); });
    // X drawn by another change is no longer the task's: its targets go.
    connect(this, &Session::inputChanged, this, [this] {
        m_targets.reset();
        ++m_targetsVersion;
    });
}

Session::~Session()
{
    delete m_job; // stops the worker before the model it reads goes
    m_job = nullptr;
    if (m_disposal.valid())
        m_disposal.wait();
    m_stepper.removeObserver(this);
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
    if (m_network) // the change is made in the selected layer's view, then goes into the network
        return applyNetwork(what, kind, [&](NetworkShown &n) {
            const ModelState before = m_model.state();
            Model candidate(before);
            change(candidate);
            n.state = absorbLayerModel(n.state, n.layer, n.direction, before, candidate.state());
        });
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

bool Session::setDimension(char symbol, long long value)
{
    Dims d = dims();
    int *slot = symbol == 'N' ? &d.N : symbol == 'T' ? &d.T : symbol == 'D' ? &d.D : symbol == 'M' ? &d.M : &d.K;
    if (!guarded(QString(), [&] { validateDim(symbol, value); }))
        return false;
    if (m_network && symbol != 'M') { // the network's sizes (M is the selected layer's)
        NetworkConfig c = m_network->state.config;
        (symbol == 'N' ? c.N : symbol == 'T' ? c.T : symbol == 'D' ? c.D : c.K) = static_cast<int>(value);
        if (c.N == networkConfig().N && c.T == networkConfig().T && c.D == networkConfig().D && c.K == networkConfig().K)
            return true;
        if (!guarded(QString(), [&] { checkNetwork(c); }))
            return false;
        return applyNetwork(tr("Change %1 to %2").arg(QChar::fromLatin1(symbol)).arg(value), Change::Structure,
                            [&](NetworkShown &n) { n.state = refitNetwork(n.state, c); });
    }
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
    if (m_network)
        return setLayerReturnSequences(m_network->layer, on);
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
    if (m_network)
        return applyNetwork(tr("Seed %1").arg(seed), Change::Structure, [&](NetworkShown &n) {
            NetworkConfig c = n.state.config;
            c.seed = seed;
            n.state = Network(c).state();
        });
    m_workHint = drawWork(dims(), config().cellSpec(), true, true);
    return apply(tr("Seed %1").arg(seed), Change::Structure, [&](Model &m) {
        m.setSeed(seed);
        m.randomizeWeights();
        m.randomizeInput();
    });
}

bool Session::setInitSpec(const InitSpec &spec)
{
    if (m_network)
        return applyNetwork(tr("Initializer %1").arg(QLatin1String(initSchemeName(spec.scheme))), Change::Weights, [&](NetworkShown &n) {
            n.state.config.init = spec;
            n.state.weights = initialNetworkWeights(n.state.config);
        });
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
    if (m_network) // every layer's weights (and an Embedding's table) drawn anew; the input stays
        return applyNetwork(tr("Randomize weights (seed %1)").arg(seed), Change::Weights, [&](NetworkShown &n) {
            n.state.config.seed = seed;
            n.state.weights = initialNetworkWeights(n.state.config);
        });
    m_workHint = drawWork(dims(), config().cellSpec(), true, false);
    return apply(tr("Randomize weights (seed %1)").arg(seed), Change::Weights, [seed](Model &m) {
        m.setSeed(seed);
        m.randomizeWeights();
    });
}

bool Session::randomizeInput()
{
    const quint64 seed = config().seed + 1;
    if (m_network) // the network's input (or token ids) drawn anew
        return applyNetwork(tr("Randomize input (seed %1)").arg(seed), Change::Input, [&](NetworkShown &n) {
            NetworkConfig c = n.state.config;
            c.seed = seed;
            NetworkState drawn = Network(c).state();
            n.state.config.seed = seed;
            n.state.X = std::move(drawn.X);
            n.state.ids = std::move(drawn.ids);
        });
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
    const rnnscope::ParamSpec spec = rnnscope::paramSpec(id, m_model.weights());
    if (row < 0 || row >= spec.rows || col < 0 || col >= spec.cols) {
        emit errorOccurred(QStringLiteral("%1[%2, %3] is outside its shape (%4, %5)")
                               .arg(QString::fromStdString(spec.symbol)).arg(row).arg(col).arg(spec.rows).arg(spec.cols));
        return false;
    }
    // A one-row bias is named by its index alone, as Keras's 1-D array: bh[3].
    const QString name = spec.vector() ? QStringLiteral("%1[%2]").arg(QString::fromStdString(spec.symbol)).arg(col)
                                       : QStringLiteral("%1[%2, %3]").arg(QString::fromStdString(spec.symbol)).arg(row).arg(col);
    return enterValue(name, id, row, col, 0, rnnscope::weightAt(m_model.weights(), id, row, col), value);
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
    if (m_training && m_stopTraining)
        m_stopTraining(); // a value typed during a run ends it first
    const DType dtype = config().dtype;
    const double held = heldAs(value, dtype);
    if (const std::string note = heldAsNote(value, dtype); !note.empty())
        emit notice(QStringLiteral("%1: %2").arg(name, QString::fromStdString(note)));
    if (heldAs(before, dtype) == held || (std::isnan(before) && std::isnan(held)))
        return true;
    if (m_network) // the edit goes into the network: layers above the selected one follow
        return apply(QStringLiteral("Edit %1").arg(name), id ? Change::Weights : Change::Input, [&](Model &m) {
            if (id)
                m.setWeightValue(*id, a, b, value);
            else
                m.setInputValue(a, b, c, value);
        });
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
    // After a direction's last step, the network's next one (the schedule goes on).
    if (m_network && m_returnTo < 0 && m_stepper.position() == m_model.dims().T - 1 && scheduleIndex() + 1 < scheduleLength()) {
        const int l = m_network->layer, d = m_network->direction;
        const bool last = d + 1 == m_network->state.config.layers[static_cast<std::size_t>(l)].directions();
        if (selectLayer(last ? l + 1 : l, last ? 0 : d + 1))
            seek(0);
        return;
    }
    seek((m_returnTo >= 0 ? m_returnTo : m_stepper.position()) + 1);
}

void Session::stepBack()
{
    // Before a direction's first step is the step before it in the network's schedule (its −1 is
    // only the network's start).
    if (m_network && m_returnTo < 0 && m_stepper.position() <= 0 && (m_network->layer > 0 || m_network->direction > 0)) {
        const int l = m_network->layer, d = m_network->direction;
        const int pl = d > 0 ? l : l - 1;
        const int pd = d > 0 ? d - 1 : m_network->state.config.layers[static_cast<std::size_t>(pl)].directions() - 1;
        if (selectLayer(pl, pd))
            seek(m_model.dims().T - 1);
        return;
    }
    seek((m_returnTo >= 0 ? m_returnTo : m_stepper.position()) - 1);
}

void Session::seek(int t)
{
    if (!settle(false)) // training goes on while the window moves through time
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
