// Session's learning part: the gradients, Jacobians and spectrum the views show (computed on first
// use after a change), scaling the recurrent kernel, setting the model up for a task, and a
// training run as one undoable command.

#include "session.h"
#include "sessioncommands.h"

#include "common/error.h"
#include "grad/dynamics.h"
#include "io/npy.h"

#include <QFileInfo>
#include <QUndoStack>

#include <cmath>
#include <limits>

using namespace rnnscope;

bool Session::targetsFit() const
{
    return m_targets && targetShapeFits(m_targetsLoss, m_targets->shape, outputShape(config()));
}

void Session::forgetLearning(bool all)
{
    m_jacobian.reset();
    if (!all)
        return;
    m_twin.reset();
    m_twinRunMax.clear();
    m_gradients.reset();
    m_spectrum.reset();
}

const Gradients &Session::gradients() const
{
    if (!m_gradients) {
        if (targetsFit()) {
            m_gradients = backprop(m_model, *m_targets, m_targetsLoss);
        } else {
            NdArray zero;
            zero.shape = outputShape(config());
            zero.values.assign(zero.size(), 0.0);
            m_gradients = backprop(m_model, zero, Loss::MSE);
        }
    }
    return *m_gradients;
}

QString Session::gradientLossText() const
{
    const QString loss = targetsFit() ? tr("L = %1 against %2").arg(QLatin1String(lossName(m_targetsLoss)), m_targetsName)
                                      : tr("L = mean(y²): the target is 0 (set up a task in Training for its targets)");
    if (!m_network)
        return loss;
    // In a network the gradient views take the layer on show as a model of its own, on the
    // sequence it reads (its output y is h_t without the Dense, under the top layer).
    const NetworkConfig &c = m_network->state.config;
    return tr("%1 alone, on the sequence it reads: %2")
        .arg(QString::fromStdString(layerNames(c.layers)[static_cast<std::size_t>(m_network->layer)]), loss);
}

const std::vector<double> &Session::jacobianNorms() const
{
    if (!m_jacobian)
        m_jacobian = stateJacobianNorms(m_model, m_sample);
    return *m_jacobian;
}

const std::vector<BlockSpectrum> &Session::spectrum() const
{
    if (!m_spectrum)
        m_spectrum = recurrentSpectrum(config().kind, weights().Wh);
    return *m_spectrum;
}

Session::DtypeDifference Session::dtypeDifference(int t) const
{
    DtypeDifference d;
    const Dims &dims = m_model.dims();
    if (t < 0 || t >= dims.T || m_training) // (during a run the weights change ten times a second)
        return d;
    if (!m_twin) {
        if (m_model.workThrough(t) + double(m_model.input().size()) > kBackgroundWork)
            return d;
        m_twin = std::make_unique<Model>(m_model.state());
        m_twin->setDtype(m_model.config().dtype == DType::Float32 ? DType::Float64 : DType::Float32);
    }
    if (m_twin->workThrough(t) > kBackgroundWork)
        return d;
    m_twin->computeThrough(t);
    const int N = dims.N, M = dims.M, K = dims.K, n = m_sample;
    // (non-finite values are shown as such everywhere else; here only the rounding counts)
    const auto differ = [](double a, double b) { return std::isfinite(a) && std::isfinite(b) ? std::abs(a - b) : 0.0; };
    for (int j = 0; j < M; ++j)
        d.step = std::max(d.step, differ(m_model.hiddenAt(n, t, j), m_twin->hiddenAt(n, t, j)));
    // The run's maximum, kept step by step: each step's values are compared once, not at every step.
    for (int s = int(m_twinRunMax.size()); s <= t; ++s) {
        double most = s > 0 ? m_twinRunMax.back() : 0.0;
        for (int i = 0; i < N; ++i)
            for (int j = 0; j < M; ++j)
                most = std::max(most, differ(m_model.hiddenAt(i, s, j), m_twin->hiddenAt(i, s, j)));
        m_twinRunMax.push_back(most);
    }
    d.run = m_twinRunMax[std::size_t(t)];
    if (K > 0 && (m_model.config().returnSequences || t == dims.T - 1)) {
        for (int i = 0; i < N; ++i)
            for (int k = 0; k < K; ++k)
                d.output = std::max(d.output, differ(m_model.outputAt(i, t, k), m_twin->outputAt(i, t, k)));
    } else {
        d.output = std::numeric_limits<double>::quiet_NaN();
    }
    d.computed = true;
    return d;
}

double Session::gradientWork() const
{
    const Dims &d = dims();
    const double gM = double(config().cellSpec().gates()) * d.M;
    return 3.0 * d.N * d.T * (d.D * gM + d.M * gM + d.M * d.K);
}

double Session::jacobianWork() const
{
    return stateJacobianWork(config());
}

bool Session::scaleRecurrentKernel(double factor)
{
    if (!std::isfinite(factor) || factor == 0) {
        emit errorOccurred(tr("Scale Wh: the factor %1 is not a finite, non-zero number").arg(factor));
        return false;
    }
    return apply(tr("Scale Wh by %1").arg(factor), Change::Weights, [factor](Model &m) {
        Weights w = m.weights();
        w.Wh *= factor;
        m.setWeights(w);
    });
}

bool Session::prepareForTask(TaskKind task)
{
    if (m_network) {
        emit errorOccurred(tr("The %1 task trains one recurrent layer → Dense: this network has %2 (%3); remove layers "
                              "(− layer) down to one to set it up")
                               .arg(QLatin1String(taskName(task))).arg(m_network->state.config.layerCount())
                               .arg(QString::fromStdString(stackText(m_network->state.config.layers))));
        return false;
    }
    const TaskShape shape = taskShape(task);
    const QString name = QString::fromLatin1(taskName(task));
    const bool ok = apply(tr("Set up for the %1 task").arg(name), Change::Structure, [&](Model &m) {
        Dims d = m.dims();
        d.D = shape.D;
        d.K = shape.K;
        m.setDims(d);
        m.setReturnSequences(shape.returnSequences);
        m.setActivations(m.config().cell, shape.dense);
        const Batch batch = drawBatch(task, d.N, d.T, m.config().seed);
        m.setInput(batch.X);
        m_targets = batch.Y;
    });
    ++m_targetsVersion;
    if (!ok) {
        m_targets.reset();
        return false;
    }
    m_targetsName = tr("the %1 task's targets").arg(name);
    m_targetsLoss = shape.loss;
    forgetLearning(true);
    emit targetsChanged();
    return true;
}

bool Session::loadTargets(const QString &path)
{
    const QString name = QFileInfo(path).fileName();
    std::optional<NdArray> Y;
    if (!guarded(tr("Targets %1").arg(name), [&] { Y = readNpy(path.toStdString()); }))
        return false;
    const std::vector<std::int64_t> out = outputShape(config());
    if (!targetShapeFits(Loss::MSE, Y->shape, out) && !targetShapeFits(Loss::SparseCategoricalCrossentropy, Y->shape, out)) {
        emit errorOccurred(tr("%1 has shape %2, but the model's output is %3 (or class ids %4 for a sparse loss)")
                               .arg(name, QString::fromStdString(shapeString(Y->shape)), QString::fromStdString(shapeString(out)),
                                    QString::fromStdString(shapeString(std::vector<std::int64_t>(out.begin(), out.end() - 1)))));
        return false;
    }
    m_targets = std::move(Y);
    m_targetsName = name;
    m_targetsLoss = targetShapeFits(Loss::MSE, m_targets->shape, out) ? Loss::MSE : Loss::SparseCategoricalCrossentropy;
    ++m_targetsVersion;
    forgetLearning(true);
    emit targetsChanged();
    return true;
}

void Session::setTargetsLoss(Loss loss)
{
    if (loss == m_targetsLoss)
        return;
    m_targetsLoss = loss;
    forgetLearning(true);
    emit targetsChanged();
}

void Session::beginTraining(std::function<void()> stop)
{
    m_beforeTraining = m_model.state();
    m_stopTraining = std::move(stop);
    m_training = true;
    // The run is one command from its start, so that Undo during a run ends it and takes it back.
    pushModelCommand(tr("Train"), Change::Weights, m_beforeTraining, m_beforeTraining);
    emit trainingChanged(true);
}

void Session::showTrainedWeights(const Weights &w)
{
    guarded(tr("Training"), [&] {
        m_model.setWeights(w);
        forgetLearning(true);
        afterChange(Change::Weights);
    });
}

void Session::endTraining(const QString &what)
{
    if (!m_training)
        return;
    m_training = false;
    m_stopTraining = nullptr;
    // The run's command is the newest one pushed since beginTraining (nothing else changes the
    // model meanwhile: every other change ends the run first).
    for (int i = m_undo->count() - 1; i >= 0; --i)
        if (auto *c = dynamic_cast<ModelCommand *>(const_cast<QUndoCommand *>(m_undo->command(i))); c && c->text() == tr("Train")) {
            c->finish(what, m_model.state());
            break;
        }
    m_beforeTraining = ModelState();
    emit trainingChanged(false);
}
