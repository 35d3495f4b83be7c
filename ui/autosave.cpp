#include "autosave.h"

#include "backgroundjob.h"
#include "common/error.h"
#include "io/file.h"
#include "session.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>
#include <QUndoStack>

#include <algorithm>

using namespace rnnscope;

namespace {

const QString kOriginSuffix = QStringLiteral(".origin.json");

QString slotFile(const QString &dir, const QString &id, const QString &suffix)
{
    return QDir(dir).filePath(id + suffix);
}

// Numbers a session file holds for this model: X and the weights.
quint64 sessionValues(const Dims &d)
{
    const quint64 N = d.N, T = d.T, D = d.D, M = d.M, K = d.K;
    return N * T * D + D * M + M * M + M + M * K + K;
}

} // namespace

Autosave::Autosave(Session *session, std::function<SessionView()> view, const QString &directory, QObject *parent)
    : QObject(parent)
    , m_session(session)
    , m_view(std::move(view))
    , m_dir(directory)
    , m_debounce(new QTimer(this))
    , m_deadline(new QTimer(this))
    , m_job(new BackgroundJob(this))
{
    m_id = QStringLiteral("%1-%2")
               .arg(QCoreApplication::applicationPid())
               .arg(QRandomGenerator::global()->generate(), 8, 16, QLatin1Char('0'));
    if (!QDir().mkpath(m_dir)) {
        m_lastError = tr("Autosave is off: cannot create the folder %1").arg(QDir::toNativeSeparators(m_dir));
    } else {
        m_lock = std::make_unique<QLockFile>(slotFile(m_dir, m_id, QStringLiteral(".lock")));
        m_lock->setStaleLockTime(0);
        if (!m_lock->tryLock(0))
            m_lastError = tr("Autosave is off: cannot write in %1").arg(QDir::toNativeSeparators(m_dir));
    }
    m_debounce->setSingleShot(true);
    m_deadline->setSingleShot(true);
    setDelays(1500, 10000);
    connect(m_debounce, &QTimer::timeout, this, [this] { write(false); });
    connect(m_deadline, &QTimer::timeout, this, [this] { write(false); });
    QUndoStack *undo = session->undoStack();
    connect(undo, &QUndoStack::indexChanged, this, &Autosave::schedule);
    connect(session, &Session::modifiedChanged, this, &Autosave::schedule);
    connect(session, &Session::filePathChanged, this, &Autosave::schedule);
    connect(session, &Session::stepChanged, this, &Autosave::schedule);
    connect(session, &Session::sampleChanged, this, &Autosave::schedule);
    connect(session, &Session::layoutChanged, this, &Autosave::schedule);
}

Autosave::~Autosave()
{
    // A copy still on disk stays: without its lock file (removed with m_lock) it is an orphan, and
    // the next start offers it.
    m_job->wait();
}

QString Autosave::defaultDirectory()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("autosave"));
}

QString Autosave::sessionPath() const
{
    return slotFile(m_dir, m_id, QStringLiteral(".json"));
}

void Autosave::setDelays(int debounceMs, int maxWaitMs)
{
    m_debounce->setInterval(debounceMs);
    m_deadline->setInterval(std::max(debounceMs, maxWaitMs));
}

bool Autosave::hasUnsavedChanges() const
{
    return m_session->isModified();
}

void Autosave::schedule()
{
    if (!m_lock || !m_lock->isLocked())
        return;
    if (!hasUnsavedChanges()) {
        m_debounce->stop();
        m_deadline->stop();
        m_pending = false;
        removeFiles();
        return;
    }
    m_debounce->start();
    if (!m_deadline->isActive())
        m_deadline->start();
}

bool Autosave::flush()
{
    if (!m_lock || !m_lock->isLocked())
        return false;
    m_job->wait();
    m_pending = false;
    write(true);
    return m_lastError.isEmpty();
}

void Autosave::discard()
{
    m_debounce->stop();
    m_deadline->stop();
    m_job->wait(); // a copy being written would land after the removal
    m_pending = false;
    removeFiles();
}

void Autosave::write(bool wait)
{
    m_debounce->stop();
    m_deadline->stop();
    if (m_job->running()) {
        m_pending = true;
        return;
    }
    if (!hasUnsavedChanges()) {
        removeFiles();
        return;
    }
    const quint64 values = sessionValues(m_session->dims());
    if (values > kMaxSessionValues / 2) {
        writeDone(false, tr("Autosave is off for this model: X and the weights hold %1 numbers, more than a session "
                            "file keeps (%2)")
                             .arg(values)
                             .arg(kMaxSessionValues / 2));
        return;
    }
    // The copy is taken here, on the UI thread; encoding and writing happen on the worker.
    std::shared_ptr<SessionData> data;
    try {
        data = std::make_shared<SessionData>(m_session->sessionData(m_view ? m_view() : SessionView{}));
    } catch (const std::bad_alloc &) {
        writeDone(false, tr("Autosave failed: not enough memory to copy the session"));
        return;
    }
    const QUndoStack *undo = m_session->undoStack();
    QJsonObject origin;
    origin[QStringLiteral("file")] = m_session->filePath();
    origin[QStringLiteral("session")] = m_session->isSessionFile();
    origin[QStringLiteral("change")] = undo->index() > 0 ? undo->text(undo->index() - 1) : QString();
    const QByteArray originBytes = QJsonDocument(origin).toJson();
    const std::string sessionFile = QFile::encodeName(sessionPath()).toStdString();
    const std::string originFile = QFile::encodeName(slotFile(m_dir, m_id, kOriginSuffix)).toStdString();
    m_workerError.clear();
    m_workerWroteSession = false;
    m_job->start(
        tr("Autosave"),
        [this, data, sessionFile, originFile, originBytes](BackgroundJob::Control &) {
            try {
                saveSession(sessionFile, *data);
                m_workerWroteSession = true;
                writeFileAtomically(originFile, std::string_view(originBytes.constData(), originBytes.size()));
            } catch (const Error &e) {
                m_workerError = QString::fromStdString(e.what());
            } catch (const std::bad_alloc &) {
                m_workerError = QStringLiteral("not enough memory to encode the session");
            } catch (const std::exception &e) {
                m_workerError = QString::fromLocal8Bit(e.what());
            }
        },
        [this] { writeDone(m_workerError.isEmpty(), m_workerError.isEmpty() ? QString() : tr("Autosave failed: %1").arg(m_workerError)); });
    if (wait)
        m_job->wait();
}

void Autosave::writeDone(bool ok, const QString &error)
{
    if (m_workerWroteSession)
        m_onDisk = true; // even when its origin file failed: the copy is there to remove
    if (ok) {
        m_onDisk = true;
        m_lastError.clear();
        emit written(sessionPath());
    } else if (error != m_lastError) {
        m_lastError = error;
        emit failed(error);
    }
    if (m_pending) {
        m_pending = false;
        schedule();
    } else if (ok && !hasUnsavedChanges()) {
        removeFiles(); // saved while the copy was being written
    }
}

void Autosave::removeFiles()
{
    if (m_job->running()) { // the worker may be creating them: removal waits for the write
        m_pending = true;
        return;
    }
    if (!m_onDisk)
        return;
    QFile::remove(sessionPath());
    QFile::remove(slotFile(m_dir, m_id, kOriginSuffix));
    m_onDisk = false;
}

void Autosave::removeLeftovers(const QString &directory)
{
    // Slots whose process is gone: a temporary file of a write cut short (.<id>.json.tmp-…, as
    // large as the session), a lock file with no copy beside it.
    static const QRegularExpression temporary(QStringLiteral("^\\.([0-9]+-[0-9a-f]{8})(\\.origin)?\\.json\\.tmp-?[0-9a-f]+$"));
    static const QRegularExpression lockName(QStringLiteral("^([0-9]+-[0-9a-f]{8})\\.lock$"));
    const QDir dir(directory);
    const auto dead = [&](const QString &id) {
        QLockFile lock(slotFile(directory, id, QStringLiteral(".lock")));
        lock.setStaleLockTime(0); // stale only when its process is gone
        if (!lock.tryLock(0))
            return false; // its window still runs
        lock.unlock(); // removes the lock file: a copy beside it is an orphan either way
        return true;
    };
    for (const QString &file : dir.entryList(QDir::Files | QDir::Hidden)) {
        if (const auto m = temporary.match(file); m.hasMatch()) {
            if (dead(m.captured(1)))
                QFile::remove(dir.filePath(file));
        } else if (const auto l = lockName.match(file); l.hasMatch()) {
            if (!QFile::exists(slotFile(directory, l.captured(1), QStringLiteral(".json"))))
                dead(l.captured(1));
        }
    }
}

QList<Autosave::Orphan> Autosave::orphans(const QString &directory)
{
    QList<Orphan> found;
    const QDir dir(directory);
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files);
    for (const QString &file : files) {
        static const QRegularExpression slotName(QStringLiteral("^[0-9]+-[0-9a-f]{8}\\.json$"));
        if (!slotName.match(file).hasMatch())
            continue; // not a copy of ours (<pid>-<random>.json)
        Orphan o;
        o.id = file.chopped(5);
        o.sessionPath = dir.filePath(file);
        o.lock = std::make_shared<QLockFile>(slotFile(directory, o.id, QStringLiteral(".lock")));
        o.lock->setStaleLockTime(0); // stale only when its process is gone, however old
        if (!o.lock->tryLock(0))
            continue; // its window still runs
        o.saved = QFileInfo(o.sessionPath).lastModified();
        QFile originFile(slotFile(directory, o.id, kOriginSuffix));
        if (originFile.size() < (1 << 16) && originFile.open(QIODevice::ReadOnly)) {
            const QJsonObject origin = QJsonDocument::fromJson(originFile.readAll()).object();
            o.origin = origin.value(QStringLiteral("file")).toString();
            o.originIsSession = origin.value(QStringLiteral("session")).toBool();
            o.change = origin.value(QStringLiteral("change")).toString();
        }
        found.append(o);
    }
    std::sort(found.begin(), found.end(), [](const Orphan &a, const Orphan &b) { return a.saved > b.saved; });
    return found;
}

void Autosave::remove(const Orphan &orphan)
{
    QFile::remove(orphan.sessionPath);
    QFile::remove(slotFile(QFileInfo(orphan.sessionPath).path(), orphan.id, kOriginSuffix));
    if (orphan.lock)
        orphan.lock->unlock();
}
