#include "trainingcontroller.h"

#include "session.h"

#include "common/error.h"

#include <chrono>
#include <algorithm>
#include <cmath>

using namespace rnnscope;
using Clock = std::chrono::steady_clock;

TrainingController::TrainingController(Session *session, QObject *parent)
    : QObject(parent)
    , m_session(session)
{
    m_timer.setInterval(kRefreshMs);
    connect(&m_timer, &QTimer::timeout, this, &TrainingController::poll);
}

TrainingController::~TrainingController()
{
    m_stop = true;
    if (m_thread.joinable())
        m_thread.join();
}

bool TrainingController::compatible(const Plan &plan) const
{
    if (!m_trainer || m_plan.data != plan.data || (!plan.data && m_plan.task != plan.task) || m_plan.spec.loss != plan.spec.loss
        || m_plan.spec.batchSize != plan.spec.batchSize || m_plan.spec.shuffle != plan.spec.shuffle
        || m_plan.spec.validationSplit != plan.spec.validationSplit || (plan.data && m_targetsVersion != m_session->targetsVersion()))
        return false;
    const OptimizerSpec &a = m_plan.spec.optimizer, &b = plan.spec.optimizer;
    if (a.kind != b.kind || a.lr() != b.lr() || a.momentum != b.momentum || a.clipnorm != b.clipnorm || a.globalClipnorm != b.globalClipnorm
        || a.clipvalue != b.clipvalue)
        return false;
    const Weights &w = m_trainer->weights(), &s = m_session->weights();
    const ModelConfig &c = m_trainer->config(), &sc = m_session->config();
    return c.kind == sc.kind && c.dtype == sc.dtype && c.dims.T == sc.dims.T && c.dims.M == sc.dims.M && w.Wx == s.Wx
        && w.Wh == s.Wh && w.bh == s.bh && w.Wo == s.Wo && w.bo == s.bo;
}

bool TrainingController::train(const Plan &plan, long long steps)
{
    if (running())
        return false;
    if (m_session->isNetwork()) {
        const NetworkConfig &c = m_session->networkConfig();
        emit message(tr("Training in the window works on one recurrent layer → Dense; this network is %1: remove layers "
                        "(− layer) down to one forward layer to train it")
                         .arg(QString::fromStdString(stackText(c.layers, c.vocabulary))),
                     true);
        return false;
    }
    steps = steps > 0 ? steps : plan.steps;
    if (plan.data && !m_session->targets()) {
        emit message(tr("Your data needs its targets: load Y (.npy, the output's shape) with Targets…"), true);
        return false;
    }
    const TaskShape shape = taskShape(plan.task);
    const ModelConfig &c = m_session->config();
    if (!plan.data && (c.dims.D != shape.D || c.dims.K != shape.K || c.returnSequences != shape.returnSequences || c.dense != shape.dense)
        && !m_session->prepareForTask(plan.task))
        return false;
    if (!compatible(plan)) {
        try {
            TrainSpec spec = plan.spec;
            spec.seed = m_session->config().seed;
            auto trainer = plan.data ? std::make_unique<Trainer>(m_session->config(), m_session->weights(),
                                                                 m_session->model().inputArray(), *m_session->targets(), spec)
                                     : std::make_unique<Trainer>(m_session->config(), m_session->weights(), plan.task, spec);
            m_targetsVersion = m_session->targetsVersion();
            m_offset = stepsDone();
            m_trainer = std::move(trainer);
        } catch (const Error &e) {
            emit message(QString::fromStdString(e.what()), true);
            return false;
        } catch (const std::bad_alloc &) {
            emit message(tr("Training: not enough memory for a batch of %1").arg(plan.spec.batchSize), true);
            return false;
        }
    }
    m_plan = plan;
    m_session->beginTraining([this] { pause(); });
    m_runStart = stepsDone();
    m_stop = false;
    m_done = false;
    m_exploded = false;
    m_started = Clock::now();
    Trainer *trainer = m_trainer.get();
    m_thread = std::thread([this, trainer, steps] {
        auto lastValidation = Clock::now() - std::chrono::seconds(1), lastSnapshot = lastValidation;
        std::chrono::duration<double> validationCost(0);
        for (long long i = 0; i < steps && !m_stop; ++i) {
            StepResult r;
            try {
                r = trainer->step();
            } catch (...) { // no memory for a batch: the run ends here
                break;
            }
            const bool exploded = trainer->exploded();
            const bool last = i + 1 == steps || exploded;
            const auto now = Clock::now();
            std::optional<double> validation;
            // The held-out loss every 10 steps (a curve even for a run of a second) and at the end,
            // but never more than a fifth of the time: its 256 samples cost four batches of 64.
            const auto gap = std::max(std::chrono::duration<double>(0.025), 4 * validationCost);
            if (!exploded && (last || (r.step % 10 == 0 && now - lastValidation > gap) || now - lastValidation > std::max(gap, std::chrono::duration<double>(0.25)))) {
                validation = trainer->validationLoss();
                lastValidation = Clock::now();
                validationCost = lastValidation - now;
            }
            std::lock_guard<std::mutex> lock(m_mutex);
            m_pending.push_back({r.step, r.loss, validation});
            if (last || now - lastSnapshot > std::chrono::milliseconds(kRefreshMs / 2)) {
                m_snapshot = trainer->weights();
                lastSnapshot = now;
            }
            if (exploded) {
                m_exploded = true;
                break;
            }
        }
        m_done = true;
    });
    m_timer.setInterval(kRefreshMs);
    m_timer.start();
    emit runningChanged(true);
    return true;
}

void TrainingController::take()
{
    std::vector<Point> points;
    std::optional<Weights> snapshot;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        points.swap(m_pending);
        snapshot.swap(m_snapshot);
    }
    // A log axis has no place for 0: a loss of exactly 0 is drawn at 1e-12.
    const auto shown = [](double v) { return std::isfinite(v) ? std::max(v, 1e-12) : v; };
    for (const Point &p : points) {
        if (!std::isfinite(p.loss))
            continue;
        m_train.append(QPointF(double(m_offset + p.step), shown(p.loss)));
        if (p.validation)
            m_validation.append(QPointF(double(m_offset + p.step), shown(*p.validation)));
    }
    if (snapshot) {
        const auto shown = Clock::now();
        m_session->showTrainedWeights(*snapshot);
        m_showMs = std::chrono::duration<double, std::milli>(Clock::now() - shown).count();
        m_timer.setInterval(std::clamp(int(4 * m_showMs), kRefreshMs, 2000));
    }
    if (!points.empty())
        emit progressed();
}

void TrainingController::poll()
{
    if (m_done)
        endRun();
    else
        take();
}

void TrainingController::pause()
{
    if (!running())
        return;
    m_stop = true;
    endRun();
}

void TrainingController::finish()
{
    if (!running())
        return;
    m_thread.join();
    endRun();
}

void TrainingController::endRun()
{
    if (m_thread.joinable())
        m_thread.join();
    m_timer.stop();
    take();
    m_session->showTrainedWeights(m_trainer->weights());
    const long long done = stepsDone() - m_runStart;
    const OptimizerSpec &o = m_plan.spec.optimizer;
    const QString stepsText = done == 1 ? tr("1 step") : tr("%1 steps").arg(done);
    m_session->endTraining(tr("Train %1 (%2, lr %3)").arg(stepsText, QLatin1String(optimizerName(o.kind))).arg(o.lr()));
    const double seconds = std::chrono::duration<double>(Clock::now() - m_started).count();
    const QString loss = m_train.isEmpty() ? QStringLiteral("–") : QString::number(m_train.last().y(), 'g', 4);
    const QString validation = m_validation.isEmpty() ? QStringLiteral("–") : QString::number(m_validation.last().y(), 'g', 4);
    if (m_exploded) {
        m_offset = stepsDone();
        m_trainer.reset(); // its optimizer state belongs to the weights that exploded
        emit message(tr("Training exploded at step %1: the loss or an update is not finite; the weights are those of before it "
                        "(lower the learning rate, or clip the gradients)")
                         .arg(m_runStart + done + 1),
                     true);
    } else {
        emit message(tr("Trained %1 in %2 s: loss %3, held-out loss %4").arg(stepsText).arg(seconds, 0, 'f', 1).arg(loss, validation),
                     false);
    }
    emit runningChanged(false);
}

void TrainingController::resetHistory()
{
    pause();
    m_trainer.reset();
    m_offset = 0;
    m_train.clear();
    m_validation.clear();
    emit progressed();
}
