#pragma once
// BackgroundJob — one piece of long work on a worker thread, with progress and cancel, whose end
// is delivered back on the thread that started it.
//
// The work receives a Control: it reports progress (0 … 1) and checks cancelled() between
// chunks, returning early when asked. `done` runs on the owner's thread once the worker has ended
// — from the event loop, or at once inside wait() — and always exactly once per start(). While a
// job runs the owner must not change what the work reads; the owner cancels and waits first.

#include <QObject>
#include <QString>

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>

class QTimer;

class BackgroundJob : public QObject {
    Q_OBJECT

public:
    class Control {
    public:
        bool cancelled() const { return m_cancel.load(std::memory_order_relaxed); }
        void progress(double fraction)
        {
            m_permille.store(static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000), std::memory_order_relaxed);
        }

    private:
        friend class BackgroundJob;
        std::atomic<bool> m_cancel{false};
        std::atomic<int> m_permille{0};
    };
    using Work = std::function<void(Control &)>;

    explicit BackgroundJob(QObject *parent = nullptr);
    ~BackgroundJob() override; // cancels and waits: `done` of a running job is not called

    bool running() const { return m_thread.joinable(); }
    // What the job is doing, for a progress display ("Computing t = 0 … 999999").
    QString what() const { return m_what; }
    // Starts `work` on a worker thread; the previous job must have ended (running() false).
    void start(const QString &what, Work work, std::function<void()> done);
    // Asks the work to stop at its next check; `done` still runs.
    void cancel();
    bool cancelRequested() const { return m_control.cancelled(); }
    // Blocks until the worker has ended, then runs `done` (if not run yet). No-op when idle.
    void wait();
    // 0 … 1000.
    int permille() const { return m_control.m_permille.load(std::memory_order_relaxed); }

signals:
    void started(const QString &what);
    // Every 100 ms while running.
    void progressed(int permille);
    void finished();

private:
    void finish();

    std::thread m_thread;
    Control m_control;
    QString m_what;
    std::function<void()> m_done;
    quint64 m_generation = 0;
    QTimer *m_timer = nullptr;
};
