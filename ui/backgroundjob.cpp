#include "backgroundjob.h"

#include <QMetaObject>
#include <QTimer>

BackgroundJob::BackgroundJob(QObject *parent)
    : QObject(parent)
    , m_timer(new QTimer(this))
{
    m_timer->setInterval(100);
    connect(m_timer, &QTimer::timeout, this, [this] { emit progressed(permille()); });
}

BackgroundJob::~BackgroundJob()
{
    m_done = nullptr;
    m_control.m_cancel = true;
    if (m_thread.joinable())
        m_thread.join();
}

void BackgroundJob::start(const QString &what, Work work, std::function<void()> done)
{
    Q_ASSERT(!running());
    m_what = what;
    m_done = std::move(done);
    m_control.m_cancel = false;
    m_control.m_permille = 0;
    const quint64 generation = ++m_generation;
    m_thread = std::thread([this, work = std::move(work), generation] {
        work(m_control);
        // Back on the owner's thread; a wait() that came first has already finished this job.
        QMetaObject::invokeMethod(this, [this, generation] {
            if (generation == m_generation && m_thread.joinable())
                finish();
        }, Qt::QueuedConnection);
    });
    m_timer->start();
    emit started(what);
}

void BackgroundJob::cancel()
{
    m_control.m_cancel = true;
}

void BackgroundJob::wait()
{
    if (m_thread.joinable())
        finish();
}

void BackgroundJob::finish()
{
    m_thread.join();
    m_timer->stop();
    auto done = std::move(m_done);
    m_done = nullptr;
    emit progressed(permille());
    if (done)
        done();
    emit finished();
}
