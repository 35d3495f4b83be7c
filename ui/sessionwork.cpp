// Session: long work on the worker thread (computing, building a change), cancelling, settling.
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

bool Session::settle(bool endsTraining)
{
    if (m_changing)
        return false;
    if (endsTraining && m_training && m_stopTraining)
        m_stopTraining(); // ends the run (endTraining) first

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

void Session::resumeReturn()
{
    // A recomputation that a refused or cancelled command interrupted goes on.
    if (m_returnTo >= 0 && !busy() && m_returnTo != m_stepper.position())
        computeInBackground(std::min(m_returnTo, m_model.dims().T - 1));
}
