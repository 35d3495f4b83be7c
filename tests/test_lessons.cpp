// A lesson driven in the window as a class meets it: the step sets its model and timestep, the
// view it points at is the one left bright, its text shows the model's own numbers, a wrong answer
// is refused and the right one accepted before Next; a step naming a view or a value that does not
// exist says so without breaking; a malformed lesson is refused with its line.

#include "diagramwidget.h"
#include "lessonoverlay.h"
#include "lessonpanel.h"
#include "mainwindow.h"
#include "session.h"
#include "matrixview.h"
#include "steppanel.h"

#include <QDockWidget>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using namespace rnnscope;

class TestLessons : public QObject {
    Q_OBJECT

private slots:
    void builtInLessonsAreListed();
    void theRestIsDimmed_data();
    void theRestIsDimmed();
    void rnnShapesStepByStep();
    void stackingShowsItsNetworks();
    void brokenStepsSayWhatIsMissing();
    void malformedLessonIsRefusedWithItsLine();
    void commandLineStartsALesson();
};

void TestLessons::builtInLessonsAreListed()
{
    const QList<LessonPanel::BuiltIn> lessons = LessonPanel::builtInLessons();
    QStringList names;
    for (const auto &l : lessons)
        names << l.name;
    QCOMPARE(names, (QStringList{"rnn-shapes", "timesteps-vs-features", "inside-lstm", "stacking-return-sequences", "gru-reset-after",
                                 "vanishing-gradients"}));
    QCOMPARE(lessons[0].title, QStringLiteral("RNN shapes: N, T, D, M, K"));
}

void TestLessons::theRestIsDimmed_data()
{
    QTest::addColumn<bool>("presentation");
    QTest::newRow("1600x900") << false;
    QTest::newRow("presentation") << true;
}

// The view a step points at keeps its pixels; the rest of the window is darker; the lesson's panel
// is not dimmed.
void TestLessons::theRestIsDimmed()
{
    QFETCH(bool, presentation);
    Session session;
    MainWindow window(&session, false);
    window.resize(presentation ? QSize(1280, 720) : QSize(1600, 900));
    window.setPresentation(presentation);
    window.show();
    QVERIFY(window.openLesson(QStringLiteral("rnn-shapes")));
    window.lessonPanel()->showStep(2); // @point summary
    QCoreApplication::processEvents();
    const QImage dimmed = window.grab().toImage();
    const QRect bright = window.lessonPanel()->overlay()->targetRect();
    QVERIFY(!bright.isEmpty());
    window.lessonPanel()->overlay()->hide();
    const QImage plain = window.grab().toImage();
    const QPoint inside = bright.center();
    const QPoint diagram = window.diagram()->mapTo(&window, QPoint(5, 5));
    const QPoint panel = window.lessonPanel()->mapTo(&window, QPoint(window.lessonPanel()->width() / 2, window.lessonPanel()->height() - 3));
    QCOMPARE(dimmed.pixel(inside), plain.pixel(inside));
    QCOMPARE(dimmed.pixel(panel), plain.pixel(panel));
    QVERIFY2(qGray(dimmed.pixel(diagram)) < qGray(plain.pixel(diagram)) - 40,
             qPrintable(QStringLiteral("%1 vs %2").arg(qGray(dimmed.pixel(diagram))).arg(qGray(plain.pixel(diagram)))));
}

void TestLessons::rnnShapesStepByStep()
{
    Session session;
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    QVERIFY(window.openLesson(QStringLiteral("rnn-shapes")));
    LessonPanel *lesson = window.lessonPanel();
    QVERIFY(lesson->isVisible());
    QCOMPARE(lesson->stepIndex(), 0);
    // Step 1: the model it names, the dimensions bar left bright, the numbers filled in.
    QCOMPARE(session.dims().T, 10);
    QCOMPARE(session.position(), -1);
    QCOMPARE(lesson->overlay()->target(), window.viewByName(QStringLiteral("dimensions")));
    QVERIFY(!lesson->overlay()->targetRect().isEmpty());
    QVERIFY2(lesson->stepText().contains(QStringLiteral("**N = 1** samples, **T = 10** timesteps")), qPrintable(lesson->stepText()));
    QVERIFY(lesson->problems().isEmpty());
    // A wrong answer does not let the lesson go on; the right one (in any spacing) does.
    QVERIFY(!lesson->next());
    QVERIFY(!lesson->answer(QStringLiteral("(1, 3, 10)")));
    QVERIFY(lesson->feedback().contains(QStringLiteral("Not (1, 3, 10)")));
    QVERIFY(!lesson->next());
    QVERIFY(lesson->answer(QStringLiteral("1,10,3")));
    QVERIFY(lesson->next());
    QCOMPARE(lesson->stepIndex(), 1);
    QCOMPARE(lesson->overlay()->target(), static_cast<QWidget *>(window.inputView()));
    // Step 3: the count is the summary's.
    QVERIFY(lesson->answer(QStringLiteral("(1, 3)")) && lesson->next());
    QVERIFY(lesson->stepText().contains(QStringLiteral("**45** parameters")));
    QCOMPARE(lesson->expectedAnswer(), QStringLiteral("12"));
    QVERIFY(lesson->answer(QStringLiteral("12")) && lesson->next());
    QVERIFY(lesson->answer(QStringLiteral("57")) && lesson->next());
    QVERIFY(lesson->answer(QStringLiteral("(5, 5)")) && lesson->next());
    // Step 6 goes to t = 0 and points at the step panel; its h_0[0] is the model's.
    QCOMPARE(session.position(), 0);
    QCOMPARE(lesson->overlay()->target(), static_cast<QWidget *>(window.stepPanel()));
    const QString h00 = QString::number(session.hiddenValue(0, 0, 0), 'f', 4);
    QVERIFY2(lesson->stepText().contains(QStringLiteral("The first unit of h_0 is %1.").arg(h00)), qPrintable(lesson->stepText()));
    QVERIFY(lesson->answer(QStringLiteral("(1, 5)")) && lesson->next());
    // Step 7: a number within its tolerance; the text follows the model when a weight changes.
    QCOMPARE(session.position(), 3);
    const double h31 = session.hiddenValue(0, 3, 1);
    QVERIFY(!lesson->answer(QString::number(h31 + 0.01, 'f', 4)));
    QVERIFY(lesson->answer(QString::number(h31, 'f', 4)));
    session.setWeightValue(WeightId::Wh, 0, 0, 1.5);
    QCoreApplication::processEvents();
    QVERIFY(lesson->stepText().contains(QString::number(session.hiddenValue(0, 3, 0), 'f', 4)));
    // Back and forth: Back shows the step before, with its model and view.
    QVERIFY(lesson->back());
    QCOMPARE(lesson->stepIndex(), 5);
    QCOMPARE(session.position(), 0);
    // The last step sets return_sequences: a new model, an undoable change.
    lesson->showStep(8);
    QVERIFY(session.config().returnSequences);
    QCOMPARE(lesson->expectedAnswer(), QStringLiteral("(1, 10, 2)"));
    QVERIFY(session.undoStack()->undoText().startsWith(QStringLiteral("Lesson: return_sequences")));
    QVERIFY(!lesson->next()); // the last step
    lesson->close();
    QVERIFY(!lesson->overlay()->isVisible());
}

// Each step of the stacking lesson shows the network it names (its layers, the layer on show), the
// values of that layer; the step that breaks the stack shows Keras's error, and Fix mends it.
void TestLessons::stackingShowsItsNetworks()
{
    Session session;
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    QVERIFY(window.openLesson(QStringLiteral("stacking-return-sequences")));
    LessonPanel *lesson = window.lessonPanel();
    struct Expected {
        QString stack;  // stackText of the layers on show
        int layer;      // the layer on show
        int K;
        QString answer;
    };
    const QList<Expected> steps = {
        {QStringLiteral("lstm 8"), 0, 0, QStringLiteral("(4, 8)")},
        {QStringLiteral("lstm 8 seq, lstm 4"), 1, 0, QStringLiteral("(4, 10, 8)")},
        {QStringLiteral("lstm 8 seq, lstm 4"), 0, 0, QStringLiteral("(4, 10, 8)")},
        {QStringLiteral("lstm 8 seq, lstm 4"), 0, 0, QStringLiteral("(4, 8)")},
        {QStringLiteral("bi lstm 8 seq, lstm 4"), 1, 0, QStringLiteral("(4, 10, 16)")},
        {QStringLiteral("lstm 8 seq, lstm 4"), 1, 2, QStringLiteral("(4, 2)")},
        {QStringLiteral("lstm 8 seq, lstm 4 seq"), 1, 2, QStringLiteral("(4, 10, 2)")},
        {QStringLiteral("lstm 8 seq, gru 6 seq, lstm 4"), 2, 2, QStringLiteral("every layer under another")},
    };
    QCOMPARE(lesson->stepCount(), int(steps.size()));
    for (int i = 0; i < int(steps.size()); ++i) {
        const Expected &e = steps[i];
        QCOMPARE(lesson->stepIndex(), i);
        QVERIFY2(lesson->problems().isEmpty(), qPrintable(lesson->problems().join(QLatin1Char('\n'))));
        QVERIFY2(!lesson->stepText().contains(QLatin1Char('{')), qPrintable(lesson->stepText()));
        const NetworkConfig &c = session.networkConfig();
        QCOMPARE(QString::fromStdString(stackText(c.layers)), e.stack);
        QCOMPARE(session.isNetwork(), c.layerCount() > 1);
        QCOMPARE(session.selectedLayer(), e.layer);
        QCOMPARE(c.K, e.K);
        QCOMPARE(c.N, 4);
        QCOMPARE(c.T, 10);
        QCOMPARE(lesson->expectedAnswer(), e.answer);
        if (i == 3) {
            // @break 1: layer 1 no longer returns sequences; Keras's words, as the lesson quotes them.
            QCOMPARE(session.brokenLayer(), 0);
            QVERIFY2(lesson->stepText().contains(session.stackError()), qPrintable(session.stackError()));
            QVERIFY(session.stackError().contains(QStringLiteral("expected ndim=3, found ndim=2")));
            session.fixStack();
            QCOMPARE(session.brokenLayer(), -1);
        } else {
            QCOMPARE(session.brokenLayer(), -1);
        }
        QVERIFY(lesson->answer(e.answer));
        if (i + 1 < int(steps.size()))
            QVERIFY(lesson->next());
    }
    // Back to the broken step breaks the stack again; the next step's network mends it.
    lesson->showStep(3);
    QCOMPARE(session.brokenLayer(), 0);
    lesson->showStep(4);
    QCOMPARE(session.brokenLayer(), -1);
    QVERIFY(session.networkConfig().layers[0].bidirectional);
}

void TestLessons::brokenStepsSayWhatIsMissing()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("broken.lesson"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("# Broken\n## A view that is not there\n@model cell=gru dims=1,5,2,3,1\n@point teapot\nM = {dims.M}, and {shape.teapot}.\n"
            "## A step past the end\n@step 9\nStill here.\n");
    f.close();
    Session session;
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    QVERIFY(window.openLesson(path));
    LessonPanel *lesson = window.lessonPanel();
    QCOMPARE(session.config().kind, CellKind::GRU);
    QVERIFY(!lesson->overlay()->isVisible());
    QVERIFY(lesson->stepText().startsWith(QStringLiteral("M = 3, and {shape.teapot}.")));
    const QString problems = lesson->problems().join(QLatin1Char('\n'));
    QVERIFY2(problems.contains(QStringLiteral("line 4: @point teapot is not a view of this window")), qPrintable(problems));
    QVERIFY2(problems.contains(QStringLiteral("{shape.teapot}")), qPrintable(problems));
    QVERIFY(lesson->next());
    QVERIFY(lesson->problems().join(QString()).contains(QStringLiteral("line 7: @step 9, but the model has T = 5")));
    QCOMPARE(session.dims().T, 5); // the window goes on
}

void TestLessons::malformedLessonIsRefusedWithItsLine()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.lesson"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("# Bad\n## One\n@ask count\n");
    f.close();
    Session session;
    MainWindow window(&session, false);
    QVERIFY(!window.openLesson(path));
    QVERIFY2(window.statusText().contains(QStringLiteral("bad.lesson:3: @ask count needs its answer")), qPrintable(window.statusText()));
    QVERIFY(!window.lessonPanel()->isOpen());
    QVERIFY(!window.openLesson(QStringLiteral("no-such-lesson")));
    QVERIFY(window.statusText().contains(QStringLiteral("rnn-shapes")));
    // Opened through File ▸ Open as any file.
    QVERIFY(window.openFile(QStringLiteral(RNNSCOPE_SOURCE_LESSONS "/inside-lstm.lesson")));
    QCOMPARE(session.config().kind, CellKind::LSTM);
}

void TestLessons::commandLineStartsALesson()
{
    QTemporaryDir dir;
    QProcess p;
    p.setProcessEnvironment([] {
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        return env;
    }());
    const QString png = dir.filePath(QStringLiteral("l.png"));
    p.start(QStringLiteral(RNNSCOPE_BINARY), {QStringLiteral("screenshot"), png, QStringLiteral("--lesson"), QStringLiteral("inside-lstm"),
                                              QStringLiteral("--lesson-step"), QStringLiteral("3")});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(QImage(png).width() == 1600);
    p.start(QStringLiteral(RNNSCOPE_BINARY), {QStringLiteral("screenshot"), png, QStringLiteral("--lesson"), QStringLiteral("nope")});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(QString::fromLocal8Bit(p.readAllStandardError()).contains(QStringLiteral("no lesson 'nope'")));
}

QTEST_MAIN(TestLessons)
#include "test_lessons.moc"
