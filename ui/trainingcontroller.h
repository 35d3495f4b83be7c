#pragma once
// TrainingController — a training run of the model on show (DESIGN §2: training works on its own
// copy of the weights on a worker thread and sends snapshots to the window at a bounded rate).
//
// A run trains the session's model on a task — or on your data: the X on show and the targets
// loaded for it — for a number of steps (rnnscope::Trainer: seeded
// batches, the loss, backpropagation through time, the optimizer). The worker keeps every step's
// loss and, every quarter second, the loss on the task's held-out samples; the window takes them
// and the newest weights ten times a second, so that the weights, the charts, the step panel and
// the gradient and spectrum views follow the training while the window stays responsive. A run
// is one undoable command ("Train 300 steps (adam, lr 0.01)"). It ends when its steps are done, at
// Pause, at any other change of the model (which goes on after it), or at a step whose loss is
// not finite (explodes): then the weights are those of before that step and the message says so.
// The optimizer's state carries over from one run to the next while the weights are left as the
// last run left them and the settings stay.

#include "train/trainer.h"

#include <QList>
#include <QObject>
#include <QPointF>
#include <QTimer>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

class Session;

class TrainingController : public QObject {
    Q_OBJECT

public:
    struct Plan {
        // Your data (data true): the X on show and Session::targets(), in epochs of batches;
        // else a task's fresh batches.
        bool data = false;
        rnnscope::TaskKind task = rnnscope::TaskKind::Sine;
        rnnscope::TrainSpec spec;
        long long steps = 300;
    };

    explicit TrainingController(Session *session, QObject *parent = nullptr);
    ~TrainingController() override;

    bool running() const { return m_thread.joinable(); }
    // Starts a run of `steps` steps (Plan::steps when 0): the model is first set up for the task
    // (one undoable change) when its shapes are not the task's. False when refused (errorOccurred).
    bool train(const Plan &plan, long long steps = 0);
    // Ends the run in progress (its steps so far are kept, as one undoable command).
    void pause();
    // Blocks until the run in progress ends by itself (tests, screenshots).
    void finish();
    // Forgets the curves and the optimizer's state.
    void resetHistory();

    // The losses so far, over the steps of every run since the last reset: each step's batch
    // loss (before its update, as Keras logs it) and the held-out loss.
    const QList<QPointF> &trainLosses() const { return m_train; }
    const QList<QPointF> &validationLosses() const { return m_validation; }
    long long stepsDone() const { return m_offset + (m_trainer ? m_trainer->steps() : 0); }
    // The window takes the newest weights every kRefreshMs (12 times a second), or — when showing
    // them takes long (a large model recomputed in the window) — every 4 × that time, so that the
    // window spends at most a quarter of its time following the training and stays responsive.
    static constexpr int kRefreshMs = 80;

signals:
    void progressed();            // new losses (at most every kRefreshMs)
    void runningChanged(bool on);
    void message(const QString &text, bool error); // how a run ended

private:
    struct Point {
        long long step;
        double loss;
        std::optional<double> validation;
    };
    void poll();
    void take();              // the worker's losses and newest weights, to the window
    void endRun();            // joins the worker and closes the run's command
    bool compatible(const Plan &plan) const;

    Session *m_session;
    QTimer m_timer;
    std::unique_ptr<rnnscope::Trainer> m_trainer;
    Plan m_plan;
    long long m_offset = 0;   // steps of the trainers before this one
    long long m_runStart = 0; // stepsDone() at the start of the run
    int m_targetsVersion = -1; // the session's targets the trainer holds (your data)
    std::thread m_thread;
    std::atomic<bool> m_stop{false}, m_done{false};
    std::mutex m_mutex;       // guards the three below
    std::vector<Point> m_pending;
    std::optional<rnnscope::Weights> m_snapshot;
    bool m_exploded = false;
    QList<QPointF> m_train, m_validation;
    std::chrono::steady_clock::time_point m_started;
    double m_showMs = 0; // how long the last snapshot took to show
};
