// The learning views of the window, read from what they show and checked against core: the
// gradient view's curves are backprop's ‖dL/dh_t‖ and the Jacobians' norms; the spectrum view's ρ
// and σ_max are the kernel's, and "Scale Wh" scales it as one undoable command; a training run
// updates the weights on show while it runs, is one undo command, ends at Pause, at an edit and
// at Undo (which takes it back), and stops where a step explodes, with the weights of before it.

#include "gradientview.h"
#include "logchart.h"
#include "matrixtablemodel.h"
#include "matrixview.h"
#include "mainwindow.h"
#include "session.h"
#include "spectrumview.h"
#include "steppanel.h"
#include "trainingpanel.h"

#include "grad/bptt.h"
#include "grad/dynamics.h"
#include "io/npy.h"
#include "nn/param.h"

#include <QAction>
#include <QDoubleSpinBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <cmath>

using namespace rnnscope;

namespace {

Model modelOf(CellKind kind, Dims dims, DType dtype = DType::Float64)
{
    ModelConfig c;
    c.dims = dims;
    c.kind = kind;
    c.dtype = dtype;
    c.seed = 3;
    Model m(c);
    m.randomizeWeights();
    m.randomizeInput();
    return m;
}

bool sameWeights(const Weights &a, const Weights &b)
{
    return a.Wx == b.Wx && a.Wh == b.Wh && a.bh == b.bh && a.Wo == b.Wo && a.bo == b.bo;
}

} // namespace

class TestLearning : public QObject {
    Q_OBJECT

private slots:
    void gradientViewShowsTheEnginesNumbers_data();
    void gradientViewShowsTheEnginesNumbers();
    void spectrumViewAndScaleWh();
    void weightViewsShowTheirGradient();
    void stepPanelShowsTheDtypeDifference();
    void trainingRunUpdatesTheWindowAndIsOneUndoCommand();
    void oneStepAndResume();
    void trainingOnYourData();
    void editOrUndoDuringARunEndsIt();
    void explodingRunStopsWithTheWeightsOfBefore();
};

void TestLearning::gradientViewShowsTheEnginesNumbers_data()
{
    QTest::addColumn<int>("cell");
    QTest::newRow("simplernn") << int(CellKind::SimpleRNN);
    QTest::newRow("lstm") << int(CellKind::LSTM);
    QTest::newRow("gru") << int(CellKind::GRU);
}

void TestLearning::gradientViewShowsTheEnginesNumbers()
{
    QFETCH(int, cell);
    Session session(modelOf(CellKind(cell), Dims{3, 12, 3, 6, 2}));
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    QVERIFY(window.bringToFront(window.gradientView()));
    session.setSample(2);
    QCoreApplication::processEvents();
    GradientView *view = window.gradientView();
    QVERIFY(!view->stale());
    // The loss of y against 0, by the engine
    NdArray zero;
    zero.shape = {3, 2};
    zero.values.assign(6, 0.0);
    const Gradients g = backprop(session.model(), zero);
    const std::vector<double> J = stateJacobianNorms(session.model(), 2);
    const QList<QPointF> dh = view->chart()->points(0), jac = view->chart()->points(1), bound = view->chart()->points(2);
    QCOMPARE(dh.size(), 12);
    QCOMPARE(jac.size(), 12);
    for (int t = 0; t < 12; ++t) {
        QCOMPARE(dh[t].x(), double(t));
        QVERIFY(std::abs(dh[t].y() - g.dh[t].row(2).norm()) <= 1e-12 * dh[t].y());
        QVERIFY(std::abs(jac[t].y() - J[t]) <= 1e-12 * J[t]);
    }
    QVERIFY(std::abs(jac[11].y() - std::sqrt(6.0)) < 1e-12); // ∂h_{T−1}/∂h_{T−1} = I
    const double sigma = largestSingularValue(session.weights().Wh);
    QVERIFY(std::abs(bound[0].y() - std::sqrt(6.0) * std::pow(sigma, 11)) <= 1e-9 * bound[0].y());
    if (CellKind(cell) == CellKind::SimpleRNN) // tanh: the Jacobian stays under its bound
        for (int t = 0; t < 12; ++t)
            QVERIFY(jac[t].y() <= bound[t].y() * (1 + 1e-12));
    // An edit of a weight updates it at once (the view is on show).
    session.setWeightValue(WeightId::Wh, 0, 0, 2.5);
    QCoreApplication::processEvents();
    const Gradients g2 = backprop(session.model(), zero);
    QVERIFY(std::abs(view->chart()->points(0)[0].y() - g2.dh[0].row(2).norm()) <= 1e-12 * g2.dh[0].row(2).norm());
    QVERIFY(g2.dh[0].row(2).norm() != g.dh[0].row(2).norm());
}

void TestLearning::spectrumViewAndScaleWh()
{
    Session session(modelOf(CellKind::LSTM, Dims{1, 8, 3, 5, 2}));
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    QVERIFY(window.bringToFront(window.spectrumView()));
    QCoreApplication::processEvents();
    const std::vector<BlockSpectrum> before = recurrentSpectrum(CellKind::LSTM, session.weights().Wh);
    QCOMPARE(before.size(), std::size_t(4));
    const QString text = window.spectrumView()->summaryText();
    for (const BlockSpectrum &b : before)
        QVERIFY2(text.contains(QStringLiteral("Wh_%1: ρ = %2").arg(QString::fromStdString(b.gate)).arg(b.radius, 0, 'f', 3)), qPrintable(text));
    const Eigen::MatrixXd Wh = session.weights().Wh;
    window.spectrumView()->factor()->setValue(0.5);
    window.spectrumView()->scaleButton()->click();
    QCOMPARE(session.undoStack()->undoText(), QStringLiteral("Scale Wh by 0.5"));
    QVERIFY(session.weights().Wh == 0.5 * Wh);
    const std::vector<BlockSpectrum> after = session.spectrum();
    for (std::size_t k = 0; k < 4; ++k) {
        QVERIFY(std::abs(after[k].radius - 0.5 * before[k].radius) < 1e-12);
        QVERIFY(std::abs(after[k].singularValues[0] - 0.5 * before[k].singularValues[0]) < 1e-12);
    }
    QVERIFY(window.spectrumView()->summaryText().contains(QStringLiteral("ρ = %1").arg(after[0].radius, 0, 'f', 3)));
    session.undoStack()->undo();
    QVERIFY(session.weights().Wh == Wh);
    QVERIFY(std::abs(session.spectrum()[0].radius - before[0].radius) < 1e-15);
}

void TestLearning::weightViewsShowTheirGradient()
{
    Session session(modelOf(CellKind::LSTM, Dims{2, 6, 3, 4, 2}));
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    QCoreApplication::processEvents();
    window.gradientAction()->trigger();
    QVERIFY(window.gradientAction()->isChecked());
    NdArray zero;
    zero.shape = {2, 2};
    zero.values.assign(4, 0.0);
    Gradients g = backprop(session.model(), zero);
    const WeightId ids[] = {WeightId::Wx, WeightId::Wh, WeightId::bh, WeightId::Wo, WeightId::bo};
    for (int i = 0; i < 5; ++i) {
        MatrixTableModel *m = window.weightViews()[i]->model();
        QVERIFY2(m->title().startsWith(QStringLiteral("dL/d")), qPrintable(m->title()));
        QVERIFY(!m->isEditable());
        const auto [rows, cols] = paramMatrixShape(g.dW, ids[i]);
        QCOMPARE(m->rowCount() * m->columnCount(), int(rows * cols));
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c)
                QCOMPARE(m->value(r, c), weightAt(g.dW, ids[i], r, c));
    }
    // dL/dW follows X (and the weights): an edit of X changes it at once.
    session.setInputValue(1, 2, 0, 3.0);
    g = backprop(session.model(), zero);
    QCOMPARE(window.weightViews()[0]->model()->value(0, 0), weightAt(g.dW, WeightId::Wx, 0, 0));
    if (const QByteArray dir = qgetenv("RNNSCOPE_TEST_SHOTS"); !dir.isEmpty())
        window.grab().save(QString::fromLocal8Bit(dir) + QStringLiteral("/gradient-weights.png"));
    window.gradientAction()->trigger();
    QVERIFY(window.weightViews()[0]->model()->isEditable());
    QVERIFY(window.weightViews()[0]->model()->title().startsWith(QStringLiteral("Wx")));
}

// The step panel's last line: |h_t(float32) − h_t(float64)| of the step, of the run so far and of
// y_t, against the same model computed in both dtypes here.
void TestLearning::stepPanelShowsTheDtypeDifference()
{
    for (CellKind kind : {CellKind::SimpleRNN, CellKind::GRU}) {
        ModelConfig c;
        c.dims = Dims{3, 9, 3, 5, 2};
        c.kind = kind;
        c.returnSequences = true;
        Model m32(c);
        m32.randomizeWeights();
        m32.randomizeInput();
        Model m64(m32.state());
        m64.setDtype(DType::Float64);
        m32.computeAll();
        m64.computeAll();
        Session session{Model(m32.state())};
        MainWindow window(&session, false);
        session.setSample(1);
        session.seek(6);
        const Session::DtypeDifference d = session.dtypeDifference(6);
        QVERIFY(d.computed);
        double step = 0, run = 0, out = 0;
        for (int j = 0; j < 5; ++j)
            step = std::max(step, std::abs(m32.hiddenAt(1, 6, j) - m64.hiddenAt(1, 6, j)));
        for (int t = 0; t <= 6; ++t)
            for (int n = 0; n < 3; ++n)
                for (int j = 0; j < 5; ++j)
                    run = std::max(run, std::abs(m32.hiddenAt(n, t, j) - m64.hiddenAt(n, t, j)));
        for (int n = 0; n < 3; ++n)
            for (int k = 0; k < 2; ++k)
                out = std::max(out, std::abs(m32.outputAt(n, 6, k) - m64.outputAt(n, 6, k)));
        QCOMPARE(d.step, step);
        QCOMPARE(d.run, run);
        QCOMPARE(d.output, out);
        QVERIFY(d.step > 0 && d.run < 1e-5); // float32's rounding: about 1e-7, not 0
        const QString last = window.stepPanel()->lines().last();
        QVERIFY2(last.startsWith(QStringLiteral("float32 − float64:  max|Δh_6| = %1 (sample 1)").arg(step, 0, 'e', 1)), qPrintable(last));
        QVERIFY2(last.contains(QStringLiteral("max|Δy_6| = %1").arg(out, 0, 'e', 1)), qPrintable(last));
        // A change drops the other dtype's copy: the numbers follow the new weights.
        session.setWeightValue(WeightId::Wh, 0, 0, 0.9);
        m32.setWeightValue(WeightId::Wh, 0, 0, 0.9);
        m64.setWeightValue(WeightId::Wh, 0, 0, 0.9);
        m32.computeAll();
        m64.computeAll();
        double after = 0;
        for (int j = 0; j < 5; ++j)
            after = std::max(after, std::abs(m32.hiddenAt(1, 6, j) - m64.hiddenAt(1, 6, j)));
        QCOMPARE(session.dtypeDifference(6).step, after);
    }
}

void TestLearning::trainingRunUpdatesTheWindowAndIsOneUndoCommand()
{
    Session session(modelOf(CellKind::GRU, Dims{4, 20, 3, 8, 2}, DType::Float32));
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    TrainingPanel *panel = window.trainingPanel();
    QVERIFY(window.bringToFront(panel));
    panel->setPlan(TaskKind::Adding, OptimizerKind::Adam, 0.01, 32, 100000, 1.0);
    TrainingController *controller = panel->controller();
    QSignalSpy weights(&session, &Session::weightsChanged);
    QSignalSpy progressed(controller, &TrainingController::progressed);
    panel->trainButton()->click();
    QVERIFY(controller->running());
    QCOMPARE(panel->trainButton()->text(), QStringLiteral("Pause"));
    // The model was set up for the task first (its own undo command): D = 2, K = 1.
    QCOMPARE(session.dims().D, 2);
    QCOMPARE(session.dims().K, 1);
    const Weights start = session.weights();
    const int setUp = session.undoStack()->index();
    // The window follows the training while it runs.
    QTRY_VERIFY_WITH_TIMEOUT(progressed.count() >= 3 && weights.count() >= 3, 30000);
    QVERIFY(controller->running());
    QVERIFY(!sameWeights(session.weights(), start));
    panel->trainButton()->click(); // Pause
    QVERIFY(!controller->running());
    QCOMPARE(panel->trainButton()->text(), QStringLiteral("Train"));
    const long long steps = controller->stepsDone();
    QVERIFY(steps >= 3);
    QCOMPARE(session.undoStack()->index(), setUp); // the run's command was pushed at its start
    QVERIFY2(session.undoStack()->undoText().startsWith(QStringLiteral("Train %1 steps (adam").arg(steps)),
             qPrintable(session.undoStack()->undoText()));
    QCOMPARE(panel->chart()->points(0).size(), int(steps));
    QVERIFY(!panel->chart()->points(1).isEmpty()); // the held-out loss
    QVERIFY(panel->statusText().contains(QStringLiteral("Trained %1 steps").arg(steps)));
    const Weights trained = session.weights();
    session.undoStack()->undo();
    QVERIFY(sameWeights(session.weights(), start));
    session.undoStack()->redo();
    QVERIFY(sameWeights(session.weights(), trained));
}

void TestLearning::oneStepAndResume()
{
    Session session(modelOf(CellKind::SimpleRNN, Dims{2, 10, 1, 6, 1}, DType::Float64));
    MainWindow window(&session, false);
    TrainingPanel *panel = window.trainingPanel();
    panel->setPlan(TaskKind::Sine, OptimizerKind::SGD, 0.1, 16, 5, 0);
    panel->stepButton()->click();
    QVERIFY(!panel->controller()->running());
    QCOMPARE(panel->controller()->stepsDone(), 1LL);
    QCOMPARE(session.undoStack()->undoText(), QStringLiteral("Train 1 step (sgd, lr 0.1)"));
    // A run of 5 more goes on from there (the same trainer): steps 2 … 6 on the curve.
    QVERIFY(panel->controller()->train(panel->plan()));
    panel->controller()->finish();
    QCOMPARE(panel->controller()->stepsDone(), 6LL);
    const QList<QPointF> curve = panel->chart()->points(0);
    QCOMPARE(curve.size(), 6);
    QCOMPARE(curve.last().x(), 6.0);
    // The weights on show are the trainer's: one more SGD run from them by the CLI's trainer agrees.
    TrainSpec spec;
    spec.optimizer.kind = OptimizerKind::SGD;
    spec.optimizer.learningRate = 0.1;
    spec.batchSize = 16;
    spec.seed = session.config().seed;
    session.undoStack()->undo();
    session.undoStack()->undo();
    Trainer reference(session.config(), session.weights(), TaskKind::Sine, spec);
    for (int i = 0; i < 6; ++i)
        reference.step();
    session.undoStack()->redo();
    session.undoStack()->redo();
    QVERIFY(sameWeights(session.weights(), reference.weights()));
    // Reset: new weights, no curve.
    panel->resetButton()->click();
    QVERIFY(panel->chart()->points(0).isEmpty());
    QCOMPARE(panel->controller()->stepsDone(), 0LL);
}

void TestLearning::trainingOnYourData()
{
    Session session(modelOf(CellKind::SimpleRNN, Dims{16, 8, 2, 6, 1}, DType::Float64));
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    TrainingPanel *panel = window.trainingPanel();
    QTemporaryDir dir;
    // Y = the sum of the first feature over time, (N, 1)
    NdArray Y;
    Y.shape = {16, 1};
    Y.values.assign(16, 0.0);
    for (int n = 0; n < 16; ++n)
        for (int t = 0; t < 8; ++t)
            Y.values[n] += session.model().inputValue(n, t, 0);
    const QString good = dir.filePath(QStringLiteral("Y.npy")), bad = dir.filePath(QStringLiteral("bad.npy"));
    writeNpy(good.toStdString(), Y, DType::Float64);
    NdArray wrong = Y;
    wrong.shape = {8, 2};
    writeNpy(bad.toStdString(), wrong, DType::Float64);
    // A target of another shape is refused, naming both shapes.
    QVERIFY(!panel->useData(bad));
    QVERIFY2(window.statusText().contains(QStringLiteral("(8, 2)")) && window.statusText().contains(QStringLiteral("(16, 1)")),
             qPrintable(window.statusText()));
    QVERIFY(!session.targets());
    QVERIFY(!panel->controller()->train(panel->plan())); // no targets: refused, says why
    QVERIFY(panel->useData(good, false, 0.25));
    QVERIFY(session.gradientLossText().contains(QStringLiteral("Y.npy")));
    panel->setPlan(std::nullopt, OptimizerKind::SGD, 0.05, 4, 9, 0);
    TrainingController::Plan plan = panel->plan();
    QVERIFY(plan.data);
    QCOMPARE(plan.spec.validationSplit, 0.25);
    const Weights start = session.weights();
    QVERIFY(panel->controller()->train(plan));
    panel->controller()->finish();
    QCOMPARE(panel->controller()->stepsDone(), 9LL);
    QCOMPARE(panel->chart()->points(1).size() > 0, true); // 4 held-out samples
    // The trainer of the command line, from the same weights, data and settings, agrees to the bit.
    Trainer reference(session.config(), start, session.model().inputArray(), Y, plan.spec);
    for (int i = 0; i < 9; ++i)
        reference.step();
    QVERIFY(sameWeights(session.weights(), reference.weights()));
    if (const QByteArray shots = qgetenv("RNNSCOPE_TEST_SHOTS"); !shots.isEmpty()) {
        QVERIFY(window.bringToFront(panel));
        window.grab().save(QString::fromLocal8Bit(shots) + QStringLiteral("/training-your-data.png"));
    }
    // A new X drops the targets.
    session.randomizeInput();
    QVERIFY(!session.targets());
}

void TestLearning::editOrUndoDuringARunEndsIt()
{
    Session session(modelOf(CellKind::LSTM, Dims{2, 15, 1, 6, 1}, DType::Float32));
    MainWindow window(&session, false);
    TrainingPanel *panel = window.trainingPanel();
    panel->setPlan(TaskKind::Sine, OptimizerKind::Adam, 0.01, 16, 1000000, 1.0);
    QSignalSpy progressed(panel->controller(), &TrainingController::progressed);
    QVERIFY(panel->controller()->train(panel->plan()));
    QTRY_VERIFY_WITH_TIMEOUT(progressed.count() >= 2, 30000);
    // A value typed during the run: the run ends first (its command), then the edit.
    QVERIFY(session.setWeightValue(WeightId::Wo, 0, 0, 0.25));
    QVERIFY(!panel->controller()->running());
    QCOMPARE(session.undoStack()->undoText(), QStringLiteral("Edit Wo[0, 0]"));
    QVERIFY(session.undoStack()->text(session.undoStack()->index() - 2).startsWith(QStringLiteral("Train ")));
    // Undo during a run ends it and takes it back.
    const Weights before = session.weights();
    QVERIFY(panel->controller()->train(panel->plan()));
    QTRY_VERIFY_WITH_TIMEOUT(progressed.count() >= 4 && !sameWeights(session.weights(), before), 30000);
    session.undoStack()->undo();
    QVERIFY(!panel->controller()->running());
    QVERIFY(sameWeights(session.weights(), before));
    QVERIFY(session.undoStack()->redoText().startsWith(QStringLiteral("Train ")));
    // Moving through time does not end a run.
    QVERIFY(panel->controller()->train(panel->plan()));
    session.seek(7);
    QVERIFY(panel->controller()->running());
    QCOMPARE(session.position(), 7);
    panel->controller()->pause();
}

void TestLearning::explodingRunStopsWithTheWeightsOfBefore()
{
    Session session(modelOf(CellKind::SimpleRNN, Dims{2, 10, 1, 6, 1}, DType::Float32));
    MainWindow window(&session, false);
    TrainingPanel *panel = window.trainingPanel();
    // SGD at a learning rate of 10 000 and no clipping: the weights overflow within a few steps.
    panel->setPlan(TaskKind::Sine, OptimizerKind::SGD, 10, 16, 500, 0);
    TrainingController::Plan plan = panel->plan();
    plan.spec.optimizer.learningRate = 1e4;
    QSignalSpy messages(panel->controller(), &TrainingController::message);
    QVERIFY(panel->controller()->train(plan));
    panel->controller()->finish();
    QCOMPARE(messages.count(), 1);
    QVERIFY(messages[0][1].toBool());
    const QString text = messages[0][0].toString();
    QVERIFY2(text.startsWith(QStringLiteral("Training exploded at step ")), qPrintable(text));
    QVERIFY(window.statusText().contains(QStringLiteral("exploded")));
    const Weights &w = session.weights();
    QVERIFY(w.Wx.allFinite() && w.Wh.allFinite() && w.bh.allFinite() && w.Wo.allFinite() && w.bo.allFinite());
    QVERIFY(panel->controller()->stepsDone() < 500);
}

QTEST_MAIN(TestLearning)
#include "test_learning.moc"
