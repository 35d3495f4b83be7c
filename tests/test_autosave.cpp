// Nothing lost, in process: the autosaved copy appears after a change, follows the session, goes
// when the changes are saved or undone, is found as an orphan once its owner is gone and restores
// exactly; a model too big for a session file is said so; ⟳ draws new numbers; closing with unsaved
// changes asks. The start's offer: Discard removes the copy, Not now keeps it byte for byte for the
// next start, the newest of several copies is offered (the others said and kept), and two starts at
// once never restore the same copy (two windows here, and this process against a real rnnscope).
// (tests/test_recovery.py does the same with a real kill -9 of the real window.)

#include "autosave.h"
#include "dimensionsbar.h"
#include "io/sessionfile.h"
#include "mainwindow.h"
#include "session.h"

#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QLockFile>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUndoStack>

#include <memory>

#include <unistd.h>

using namespace rnnscope;

namespace {

// <id>.origin.json beside <id>.json.
QString originFileOf(const QString &copy)
{
    return copy.chopped(5) + QStringLiteral(".origin.json");
}

// Clicks the button of `box` whose text contains `text`.
void clickButton(QMessageBox *box, const QString &text)
{
    for (QAbstractButton *b : box->buttons())
        if (b->text().remove(QLatin1Char('&')).contains(text)) {
            b->click();
            return;
        }
    QFAIL(qPrintable(QStringLiteral("no button '%1'").arg(text)));
}

// The message box on top, and what it says (its text, then its informative text).
QMessageBox *openMessageBox(QString *seen = nullptr)
{
    auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
    if (box && seen)
        *seen = box->text() + QLatin1Char(' ') + box->informativeText();
    return box;
}

// Clicks the button whose text contains `text` in the next message box that opens.
void answerNextMessageBox(const QString &text, QString *seen = nullptr)
{
    QTimer::singleShot(0, [text, seen] {
        QMessageBox *box = openMessageBox(seen);
        QVERIFY2(box, "a message box is open");
        clickButton(box, text);
    });
}

// While it lives, a message box that opens fails the test (and is closed, so that the test goes on).
class NoMessageBox {
public:
    NoMessageBox()
    {
        QObject::connect(&m_poll, &QTimer::timeout, [] {
            QString seen;
            if (QMessageBox *box = openMessageBox(&seen)) {
                box->reject();
                QFAIL(qPrintable(QStringLiteral("a message box opened: ") + seen));
            }
        });
        m_poll.start(0);
    }

private:
    QTimer m_poll;
};

// The autosave folder of persistent windows, as empty as a first start finds it. (Test mode: under
// ~/.qttest, not the user's.)
QString emptyDefaultDirectory()
{
    const QString dir = Autosave::defaultDirectory();
    if (!dir.contains(QLatin1String("/.qttest/")))
        qFatal("not a test directory: %s", qPrintable(dir));
    QDir(dir).removeRecursively();
    return dir;
}

// What a window killed with unsaved changes leaves in `directory`: its copy (the classic model with
// Wh[row, 0] = value) and origin file, no lock. Named <id>.json when `id` is given, written at
// `time` when that is valid. Returns the copy's path.
QString plantOrphan(const QString &directory, int row, double value, const QString &id = QString(),
                    const QDateTime &time = QDateTime())
{
    Session session;
    QString path;
    {
        Autosave autosave(&session, [] { return SessionView{}; }, directory);
        if (!session.setWeightValue(WeightId::Wh, row, 0, value) || !autosave.flush())
            qFatal("no copy written in %s", qPrintable(directory));
        path = autosave.sessionPath();
    } // gone without a normal close: the copy stays, the lock goes
    if (!id.isEmpty()) {
        const QString named = QDir(directory).filePath(id + QStringLiteral(".json"));
        if (!QFile::rename(path, named) || !QFile::rename(originFileOf(path), originFileOf(named)))
            qFatal("cannot rename %s", qPrintable(path));
        path = named;
    }
    if (time.isValid()) {
        QFile file(path);
        if (!file.open(QIODevice::ReadWrite) || !file.setFileTime(time, QFileDevice::FileModificationTime))
            qFatal("cannot set the time of %s", qPrintable(path));
    }
    return path;
}

QByteArray bytesOf(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

std::string encoded(Session &s)
{
    return encodeSession(s.sessionData(SessionView{}));
}

} // namespace

class TestAutosave : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();
    void aChangeIsWrittenAfterTheDebounce();
    void firstStartIsMaximizedLaterStartsRestore();
    void savedOrUndoneChangesLeaveNoCopy();
    void anOrphanRestoresExactly();
    void aRunningWindowIsNoOrphan();
    void aModelTooBigForASessionFileIsSaidSo();
    void randomizeDrawsNewNumbers();
    void closingWithUnsavedChangesAsks();
    void undoHistoryKeepsToItsMemory();
    void aCancelledRestoreKeepsTheCopy();
    void onlyADamagedCopyIsUnreadable();
    void discardLeavesNothingToOffer();
    void notNowKeepsTheCopyForTheNextStart();
    void theNewestCopyIsOfferedTheOlderStay();
    void twoStartsNeverRestoreTheSameCopy();
    void anotherProcessHoldsTheCopyItOffers();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<Autosave> m_autosave;
};

void TestAutosave::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // persistent windows write their settings aside
    // … in folders of this run's own: runs at the same time do not restore or remove each other's copies.
    QCoreApplication::setApplicationName(QStringLiteral("test_autosave-%1").arg(QCoreApplication::applicationPid()));
}

void TestAutosave::cleanupTestCase()
{
    emptyDefaultDirectory(); // what the restore tests' windows left
    QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).removeRecursively();
    QFile::remove(QSettings().fileName());
}

// The first start (no settings yet) fills the screen; a later start restores the window as left.
void TestAutosave::firstStartIsMaximizedLaterStartsRestore()
{
    QFile::remove(QSettings().fileName());
    QSettings().clear();
    Session session;
    {
        MainWindow first(&session, true);
        QVERIFY(first.windowState() & Qt::WindowMaximized);
        first.setWindowState(Qt::WindowNoState);
        first.resize(1100, 700);
        first.show();
        QVERIFY(first.close());
    }
    MainWindow second(&session, true);
    QVERIFY(!(second.windowState() & Qt::WindowMaximized));
    QCOMPARE(second.size(), QSize(1100, 700));
}

void TestAutosave::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_session = std::make_unique<Session>();
    m_autosave = std::make_unique<Autosave>(m_session.get(), [] { return SessionView{}; }, m_dir->path());
    m_autosave->setDelays(50, 200);
}

void TestAutosave::cleanup()
{
    m_autosave.reset();
    m_session.reset();
    m_dir.reset();
}

void TestAutosave::aChangeIsWrittenAfterTheDebounce()
{
    QSignalSpy written(m_autosave.get(), &Autosave::written);
    m_session->seek(3);
    QTest::qWait(150);
    QCOMPARE(written.count(), 0); // stepping alone is not a change to keep
    QVERIFY(!QFile::exists(m_autosave->sessionPath()));

    QVERIFY(m_session->setWeightValue(WeightId::Wh, 1, 2, 0.75));
    QVERIFY(!QFile::exists(m_autosave->sessionPath())); // not at once: debounced
    QVERIFY(written.wait(2000));
    QCOMPARE(written.count(), 1);
    QCOMPARE(written.at(0).at(0).toString(), m_autosave->sessionPath());
    SessionData copy = loadSession(m_autosave->sessionPath().toStdString());
    QCOMPARE(copy.model.weights.Wh(1, 2), 0.75);
    QCOMPARE(copy.timestep, 3);

    // Further changes follow, several of them in one write.
    m_session->seek(5);
    QVERIFY(m_session->setInputValue(0, 2, 1, -4.5));
    QVERIFY(written.wait(2000));
    QCOMPARE(encoded(*m_session), encodeSession(loadSession(m_autosave->sessionPath().toStdString())));
    QCOMPARE(written.count(), 2);
}

void TestAutosave::savedOrUndoneChangesLeaveNoCopy()
{
    QVERIFY(m_session->setWeightValue(WeightId::Wx, 0, 0, 2.0));
    QVERIFY(m_autosave->flush());
    QVERIFY(QFile::exists(m_autosave->sessionPath()));
    m_session->undoStack()->undo(); // back to the state on disk (the start)
    QVERIFY(!QFile::exists(m_autosave->sessionPath()));

    QVERIFY(m_session->setWeightValue(WeightId::Wx, 0, 0, 2.0));
    QVERIFY(m_autosave->flush());
    const QString saved = m_dir->filePath(QStringLiteral("lesson.json"));
    QVERIFY(m_session->saveSession(saved, SessionView{}));
    QVERIFY(!QFile::exists(m_autosave->sessionPath()));
    QVERIFY(QFile::exists(saved));

    QVERIFY(m_session->setWeightValue(WeightId::Wx, 0, 1, 3.0));
    QVERIFY(m_autosave->flush());
    m_autosave->discard(); // a normal close
    QVERIFY(!QFile::exists(m_autosave->sessionPath()));
    QVERIFY(Autosave::orphans(m_dir->path()).isEmpty());
}

void TestAutosave::anOrphanRestoresExactly()
{
    const QString origin = m_dir->filePath(QStringLiteral("lesson.json"));
    QVERIFY(m_session->saveSession(origin, SessionView{}));
    QVERIFY(m_session->setDims(Dims{2, 7, 3, 4, 2}));
    QVERIFY(m_session->setWeightValue(WeightId::bh, 0, 2, std::numeric_limits<double>::quiet_NaN()));
    m_session->setSample(1);
    m_session->seek(4);
    QVERIFY(m_autosave->flush());
    const std::string before = encoded(*m_session);
    const QString copy = m_autosave->sessionPath();
    // The owner goes away without a normal close: its copy stays, its lock goes.
    m_autosave.reset();
    m_session.reset();
    QVERIFY(QFile::exists(copy));

    const QList<Autosave::Orphan> orphans = Autosave::orphans(m_dir->path());
    QCOMPARE(orphans.size(), 1);
    const Autosave::Orphan &o = orphans.first();
    QCOMPARE(o.sessionPath, copy);
    QCOMPARE(o.origin, origin);
    QVERIFY(o.originIsSession);
    QVERIFY2(o.change.contains(QLatin1String("bh")), qPrintable(o.change));
    // Whoever listed it holds it: a second start at the same moment does not see it.
    QVERIFY(Autosave::orphans(m_dir->path()).isEmpty());

    Session restored;
    QCOMPARE(restored.recover(o.sessionPath, o.origin, o.originIsSession), Session::Recovery::Restored);
    QCOMPARE(encoded(restored), before);
    QVERIFY(!restored.undoStack()->isClean()); // still unsaved
    QCOMPARE(restored.filePath(), origin);
    QVERIFY(restored.isSessionFile());
    Autosave::remove(o);
    QVERIFY(!QFile::exists(copy));
}

void TestAutosave::aRunningWindowIsNoOrphan()
{
    QVERIFY(m_session->setWeightValue(WeightId::Wx, 0, 0, 2.0));
    QVERIFY(m_autosave->flush());
    QVERIFY(Autosave::orphans(m_dir->path()).isEmpty());
}

void TestAutosave::aModelTooBigForASessionFileIsSaidSo()
{
    QSignalSpy failed(m_autosave.get(), &Autosave::failed);
    // N·T·D = 40 million numbers and 86 weights: more than a session file keeps (2^25).
    QVERIFY(m_session->setDims(Dims{1, 1000000, 40, 2, 0}));
    QVERIFY(!m_autosave->flush());
    QCOMPARE(failed.count(), 1);
    const QString message = failed.at(0).at(0).toString();
    QVERIFY2(message.contains(QLatin1String("40000086")) && message.contains(QLatin1String("33554432")), qPrintable(message));
    QVERIFY(!QFile::exists(m_autosave->sessionPath()));
}

void TestAutosave::randomizeDrawsNewNumbers()
{
    const Weights before = m_session->weights();
    const Eigen::MatrixXd x = m_session->model().input();
    QVERIFY(m_session->randomizeWeights());
    QCOMPARE(m_session->config().seed, quint64(1));
    QVERIFY(m_session->weights().Wx != before.Wx);
    QVERIFY(m_session->model().input() == x); // X stays
    // The seed names the draw: seed 1 drawn afresh gives the same weights.
    ModelConfig c;
    c.seed = 1;
    QVERIFY(Model(c).weights().Wx == m_session->weights().Wx);
    QVERIFY(m_session->randomizeInput());
    QCOMPARE(m_session->config().seed, quint64(2));
    QVERIFY(m_session->model().input() != x);
    m_session->undoStack()->undo();
    m_session->undoStack()->undo();
    QCOMPARE(m_session->config().seed, quint64(0));
    QVERIFY(m_session->weights().Wx == before.Wx);
    QVERIFY(m_session->model().input() == x);
}

void TestAutosave::closingWithUnsavedChangesAsks()
{
    Session session;
    MainWindow window(&session, true);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.autosave());
    window.close(); // nothing unsaved: no question
    QVERIFY(!window.isVisible());

    window.show();
    QVERIFY(session.setWeightValue(WeightId::Wh, 0, 0, 1.5));
    QVERIFY(window.autosave()->flush());
    QVERIFY(QFile::exists(window.autosave()->sessionPath()));
    QString question;
    answerNextMessageBox(QStringLiteral("Cancel"), &question);
    QVERIFY(!window.close());
    QVERIFY(window.isVisible());
    QVERIFY2(question.contains(QLatin1String("Edit Wh[0, 0]")), qPrintable(question));
    QVERIFY(QFile::exists(window.autosave()->sessionPath()));

    answerNextMessageBox(QStringLiteral("Discard"));
    QVERIFY(window.close());
    QVERIFY(!QFile::exists(window.autosave()->sessionPath())); // discarded: nothing to restore
}

void TestAutosave::undoHistoryKeepsToItsMemory()
{
    // By default: the smaller of 1 GiB and an eighth of this machine's memory.
    const std::uint64_t physical = std::uint64_t(sysconf(_SC_PHYS_PAGES)) * std::uint64_t(sysconf(_SC_PAGESIZE));
    QCOMPARE(Session::defaultUndoBytes(), std::min(std::uint64_t(1) << 30, physical / 8));
    QCOMPARE(m_session->undoLimit(), Session::defaultUndoBytes());
    // The classic model's state: X (30 numbers) and 57 weights, 696 bytes; a command keeps two.
    m_session->setUndoBytes(2048);
    QSignalSpy notices(m_session.get(), &Session::notice);
    QVERIFY(m_session->randomizeInput());
    QCOMPARE(m_session->undoBytes(), quint64(1392));
    QCOMPARE(notices.count(), 0);
    QVERIFY(m_session->randomizeInput()); // 2784 bytes would pass 2048: the older history goes
    QCOMPARE(m_session->undoStack()->count(), 1);
    QCOMPARE(m_session->undoBytes(), quint64(1392));
    QCOMPARE(notices.count(), 1);
    QVERIFY2(notices.last().at(0).toString().contains(QLatin1String("dropped")), qPrintable(notices.last().at(0).toString()));
    QVERIFY(m_session->isModified());
    m_session->undoStack()->undo(); // the last change still undoes …
    QCOMPARE(m_session->config().seed, quint64(1));
    QVERIFY(m_session->isModified()); // … but the start is out of reach: still modified
    QVERIFY(m_autosave->flush());
    QVERIFY(QFile::exists(m_autosave->sessionPath())); // and its copy stays on disk

    m_session->setUndoBytes(1000); // less than one command: the change cannot be undone
    QVERIFY(m_session->randomizeWeights());
    QCOMPARE(m_session->undoStack()->count(), 0);
    QVERIFY2(notices.last().at(0).toString().contains(QLatin1String("cannot be undone")), qPrintable(notices.last().at(0).toString()));
    QVERIFY(m_session->isModified());

    QTemporaryDir saved;
    QSignalSpy modified(m_session.get(), &Session::modifiedChanged);
    QVERIFY(m_session->saveSession(saved.filePath(QStringLiteral("s.json")), SessionView{}));
    QVERIFY(!m_session->isModified());
    QCOMPARE(modified.count(), 1);
    QCOMPARE(modified.last().at(0).toBool(), false);
    QVERIFY(!QFile::exists(m_autosave->sessionPath()));
}

// A large copy (one that a kill during a long session leaves) reads on the worker; Cancel during
// that read leaves the copy exactly where and as it was, to be offered again.
void TestAutosave::aCancelledRestoreKeepsTheCopy()
{
    QVERIFY(m_session->setDims(Dims{1, 200000, 8, 4, 2})); // X alone: 1.6 million numbers, > 16 MiB of JSON
    QVERIFY(m_autosave->flush());
    const QString copy = m_autosave->sessionPath();
    QVERIFY2(QFileInfo(copy).size() > (qint64(16) << 20), qPrintable(QString::number(QFileInfo(copy).size())));
    m_autosave.reset();
    m_session.reset();
    QFile file(copy);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    file.close();

    {
        const QList<Autosave::Orphan> orphans = Autosave::orphans(m_dir->path());
        QCOMPARE(orphans.size(), 1);
        Session restoring;
        // Escape on the progress dialog, once the copy is being read on the worker.
        bool cancelled = false;
        QTimer poll;
        QObject::connect(&poll, &QTimer::timeout, &restoring, [&] {
            if (!cancelled && restoring.changing()) {
                restoring.cancelWork();
                cancelled = true;
            }
        });
        poll.start(2);
        const Session::Recovery result =
            restoring.recover(orphans.first().sessionPath, orphans.first().origin, orphans.first().originIsSession);
        QVERIFY(cancelled);
        QCOMPARE(result, Session::Recovery::NotRestored);
        QCOMPARE(restoring.dims(), Dims{}); // the session on show did not change
    }
    // The copy and its origin are where they were, byte for byte, and offered again.
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), bytes);
    const QList<Autosave::Orphan> again = Autosave::orphans(m_dir->path());
    QCOMPARE(again.size(), 1);
    QCOMPARE(again.first().sessionPath, copy);
    Session restored;
    QCOMPARE(restored.recover(again.first().sessionPath, again.first().origin, again.first().originIsSession),
             Session::Recovery::Restored);
    QCOMPARE(restored.dims(), (Dims{1, 200000, 8, 4, 2}));
}

// Unreadable (set aside as damaged by the window) only when the copy does not read as a session.
void TestAutosave::onlyADamagedCopyIsUnreadable()
{
    QVERIFY(m_session->setWeightValue(WeightId::Wh, 0, 0, 0.25));
    QVERIFY(m_autosave->flush());
    const QString copy = m_autosave->sessionPath();
    m_autosave.reset();
    m_session.reset();
    QFile file(copy);
    QVERIFY(file.open(QIODevice::ReadWrite));
    const QByteArray bytes = file.readAll();
    file.resize(bytes.size() / 2); // a copy cut short
    file.close();
    const QList<Autosave::Orphan> orphans = Autosave::orphans(m_dir->path());
    QCOMPARE(orphans.size(), 1);
    Session restoring;
    QCOMPARE(restoring.recover(orphans.first().sessionPath, QString(), false), Session::Recovery::Unreadable);
    // A copy too large for the memory budget is not damaged: it waits for a machine that holds it.
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(bytes);
    file.close();
    ModelConfig tiny;
    tiny.memoryBudget = 1000;
    tiny.dims = Dims{1, 1, 1, 1, 0};
    Session small;
    QVERIFY(small.replaceModel(Model(tiny).state(), QStringLiteral("tiny")));
    QCOMPARE(small.recover(orphans.first().sessionPath, QString(), false), Session::Recovery::NotRestored);
}

// Discard: the copy and its origin file go, and the next start offers nothing.
void TestAutosave::discardLeavesNothingToOffer()
{
    const QString dir = emptyDefaultDirectory();
    const QString copy = plantOrphan(dir, 1, 0.5);
    QVERIFY(QFile::exists(copy) && QFile::exists(originFileOf(copy)));
    {
        Session session;
        MainWindow window(&session, true);
        const Weights before = session.weights();
        QString seen;
        answerNextMessageBox(QStringLiteral("Discard"), &seen);
        QVERIFY(!window.offerRecovery());
        QVERIFY2(seen.contains(QLatin1String("Edit Wh[1, 0]")), qPrintable(seen)); // it was offered
        QVERIFY(session.weights().Wh == before.Wh); // and not restored
        QVERIFY(!session.isModified());
    }
    QVERIFY(!QFile::exists(copy));
    QVERIFY(!QFile::exists(originFileOf(copy)));
    Session session;
    MainWindow next(&session, true);
    NoMessageBox none;
    QVERIFY(!next.offerRecovery());
    QVERIFY(Autosave::orphans(dir).isEmpty());
}

// Not now: the copy stays byte for byte, and the next start offers it again.
void TestAutosave::notNowKeepsTheCopyForTheNextStart()
{
    const QString dir = emptyDefaultDirectory();
    const QString copy = plantOrphan(dir, 2, 0.5);
    const QByteArray bytes = bytesOf(copy), origin = bytesOf(originFileOf(copy));
    const QDateTime saved = QFileInfo(copy).lastModified();
    const QStringList files = QDir(dir).entryList(QDir::Files | QDir::Hidden);
    QString first;
    {
        Session session;
        MainWindow window(&session, true);
        const Weights before = session.weights();
        answerNextMessageBox(QStringLiteral("Not now"), &first);
        QVERIFY(!window.offerRecovery());
        QVERIFY2(first.contains(QLatin1String("Edit Wh[2, 0]")), qPrintable(first));
        QVERIFY(session.weights().Wh == before.Wh);
        QVERIFY(!session.isModified());
    }
    QCOMPARE(bytesOf(copy), bytes);
    QCOMPARE(bytesOf(originFileOf(copy)), origin);
    QCOMPARE(QFileInfo(copy).lastModified(), saved);
    QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden), files); // no lock left on it either

    Session session;
    MainWindow next(&session, true);
    QString again;
    answerNextMessageBox(QStringLiteral("Restore"), &again);
    QVERIFY(next.offerRecovery());
    QCOMPARE(again, first); // the same copy, said the same way
    QCOMPARE(session.weights().Wh(2, 0), 0.5);
    QVERIFY(session.isModified());
    QVERIFY(!QFile::exists(copy)); // restored: the window's own copy takes over
}

// Several copies: the newest by its file time is offered, whatever the order of their names or of
// their writing; the offer says how many older ones stay, and they do.
void TestAutosave::theNewestCopyIsOfferedTheOlderStay()
{
    const QString dir = emptyDefaultDirectory();
    const QDateTime now = QDateTime::currentDateTime();
    const QString newest = plantOrphan(dir, 1, 0.5, QStringLiteral("100-0000000b"), now.addSecs(-3600));
    const QString middle = plantOrphan(dir, 0, 0.25, QStringLiteral("100-0000000a"), now.addSecs(-7200));
    const QString oldest = plantOrphan(dir, 2, 0.75, QStringLiteral("100-0000000c"), now.addSecs(-10800));
    {
        Session session;
        MainWindow window(&session, true);
        QString seen;
        answerNextMessageBox(QStringLiteral("Restore"), &seen);
        QVERIFY(window.offerRecovery());
        QVERIFY2(seen.contains(QLatin1String("Edit Wh[1, 0]")), qPrintable(seen));
        QVERIFY2(seen.contains(QLatin1String("2 older")), qPrintable(seen));
        QCOMPARE(session.weights().Wh(1, 0), 0.5);
        QVERIFY(!QFile::exists(newest));
        QVERIFY(QFile::exists(middle) && QFile::exists(oldest));
        const QList<Autosave::Orphan> left = Autosave::orphans(dir); // this window's own copy is not one
        QCOMPARE(left.size(), 2);
        QCOMPARE(left[0].sessionPath, middle);
        QCOMPARE(left[1].sessionPath, oldest);
        window.autosave()->discard(); // closed normally, its changes discarded
    }
    Session session;
    MainWindow next(&session, true);
    QString seen;
    answerNextMessageBox(QStringLiteral("Not now"), &seen);
    QVERIFY(!next.offerRecovery());
    QVERIFY2(seen.contains(QLatin1String("Edit Wh[0, 0]")) && seen.contains(QLatin1String("1 older")), qPrintable(seen));
}

// Whoever lists orphans holds them: a second listing, as a second window starting at the same moment
// makes, does not see them; a second window starting while the first's offer is open offers nothing,
// and what the first did not restore is offered at a later start.
void TestAutosave::twoStartsNeverRestoreTheSameCopy()
{
    const QString dir = emptyDefaultDirectory();
    const QDateTime now = QDateTime::currentDateTime();
    const QString newer = plantOrphan(dir, 0, 0.5, QString(), now.addSecs(-60));
    const QString older = plantOrphan(dir, 1, 0.25, QString(), now.addSecs(-120));
    {
        QList<Autosave::Orphan> first = Autosave::orphans(dir);
        QCOMPARE(first.size(), 2);
        QVERIFY(Autosave::orphans(dir).isEmpty());
        first[1].lock->unlock(); // the first lets one go: only that one is seen
        const QList<Autosave::Orphan> second = Autosave::orphans(dir);
        QCOMPARE(second.size(), 1);
        QCOMPARE(second[0].sessionPath, first[1].sessionPath);
    }
    Session sa, sb;
    MainWindow a(&sa, true), b(&sb, true);
    QString seen;
    bool restoredB = true;
    QTimer::singleShot(0, [&] {
        QMessageBox *box = openMessageBox(&seen);
        QVERIFY(box);
        {
            NoMessageBox none;
            restoredB = b.offerRecovery(); // while a's offer is open
        }
        clickButton(box, QStringLiteral("Restore"));
    });
    QVERIFY(a.offerRecovery());
    QVERIFY(!restoredB);
    QVERIFY2(seen.contains(QLatin1String("Edit Wh[0, 0]")), qPrintable(seen));
    QCOMPARE(sa.weights().Wh(0, 0), 0.5);
    QVERIFY(sb.weights().Wh == Session().weights().Wh);
    QVERIFY(!QFile::exists(newer));
    const QList<Autosave::Orphan> later = Autosave::orphans(dir);
    QCOMPARE(later.size(), 1);
    QCOMPARE(later[0].sessionPath, older);
}

// The same between processes: a real rnnscope that lists the copy (its offer open) holds it, the
// other start does not see it; ended by SIGTERM during the offer, it leaves the copy to be offered.
void TestAutosave::anotherProcessHoldsTheCopyItOffers()
{
    QTemporaryDir home;
    const QString dir = home.filePath(QStringLiteral("data/rnnscope/rnnscope/autosave"));
    QVERIFY(QDir().mkpath(dir));
    const QString copy = plantOrphan(dir, 0, 0.5);
    const QByteArray bytes = bytesOf(copy);
    const QString lock = copy.chopped(5) + QStringLiteral(".lock");
    QProcess other;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home.path());
    env.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    other.setProcessEnvironment(env);
    other.start(QStringLiteral(RNNSCOPE_BINARY), QStringList());
    QVERIFY(other.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(lock), 30000); // it listed the copy and offers it
    qint64 holder = 0;
    QVERIFY(QLockFile(lock).getLockInfo(&holder, nullptr, nullptr));
    QCOMPARE(holder, other.processId());
    QVERIFY(Autosave::orphans(dir).isEmpty()); // its own slot is locked too
    other.terminate(); // SIGTERM while the offer is open
    QVERIFY(other.waitForFinished(30000));
    QCOMPARE(other.exitStatus(), QProcess::NormalExit);
    QCOMPARE(other.exitCode(), 0);
    const QList<Autosave::Orphan> again = Autosave::orphans(dir);
    QCOMPARE(again.size(), 1);
    QCOMPARE(again[0].sessionPath, copy);
    QCOMPARE(bytesOf(copy), bytes);
}

QTEST_MAIN(TestAutosave)
#include "test_autosave.moc"
