// Nothing lost, in process: the autosaved copy appears after a change, follows the session, goes
// when the changes are saved or undone, is found as an orphan once its owner is gone and restores
// exactly; a model too big for a session file is said so; ⟳ draws new numbers; closing with unsaved
// changes asks. (tests/test_recovery.py does the same with a real kill -9 of the real window.)

#include "autosave.h"
#include "dimensionsbar.h"
#include "io/sessionfile.h"
#include "mainwindow.h"
#include "session.h"

#include <QApplication>
#include <QLockFile>
#include <QMessageBox>
#include <QPushButton>
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

// Clicks the button whose text contains `text` in the next message box that opens.
void answerNextMessageBox(const QString &text, QString *seen = nullptr)
{
    QTimer::singleShot(0, [text, seen] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        QVERIFY2(box, "a message box is open");
        if (seen)
            *seen = box->text() + QLatin1Char(' ') + box->informativeText();
        for (QAbstractButton *b : box->buttons())
            if (b->text().remove(QLatin1Char('&')).contains(text)) {
                b->click();
                return;
            }
        QFAIL(qPrintable(QStringLiteral("no button '%1'").arg(text)));
    });
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
    void init();
    void cleanup();
    void aChangeIsWrittenAfterTheDebounce();
    void savedOrUndoneChangesLeaveNoCopy();
    void anOrphanRestoresExactly();
    void aRunningWindowIsNoOrphan();
    void aModelTooBigForASessionFileIsSaidSo();
    void randomizeDrawsNewNumbers();
    void closingWithUnsavedChangesAsks();
    void undoHistoryKeepsToItsMemory();
    void aCancelledRestoreKeepsTheCopy();
    void onlyADamagedCopyIsUnreadable();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<Autosave> m_autosave;
};

void TestAutosave::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // persistent windows write their settings aside
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
    QVERIFY(m_session->setWeightValue(WeightId::bh, 2, 0, std::numeric_limits<double>::quiet_NaN()));
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

QTEST_MAIN(TestAutosave)
#include "test_autosave.moc"
