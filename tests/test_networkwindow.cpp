// A network in the window, driven as a teacher would: a stack built in the Layers toolbar, Keras's
// ndim error when a lower layer stops returning sequences and its one-click fix, clicks in the
// grid that pick a layer, a direction and a step, a Bidirectional layer's backward copy in the step
// panel and the weights, an edit that goes into the network (and its undo), the schedule the
// playback walks, and a stacked session saved and opened again. What the window shows of a layer
// is checked against rnnscope::Network computing the same network on its own.

#include "diagramwidget.h"
#include "dimensionsbar.h"
#include "mainwindow.h"
#include "matrixtablemodel.h"
#include "matrixview.h"
#include "session.h"
#include "sessioncommands.h"
#include "steppanel.h"
#include "summaryview.h"

#include "run/network.h"
#include "run/summary.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QUndoStack>

using namespace rnnscope;

namespace {

NetworkConfig stackOf(const std::string &stack, int N, int T, int D, int K)
{
    NetworkConfig c;
    const NetworkStack s = parseNetworkStack(stack);
    c.layers = s.layers;
    c.vocabulary = s.vocabulary;
    c.N = N;
    c.T = T;
    c.D = D;
    c.K = K;
    return c;
}

// The largest |a − b| over two arrays of one shape (∞ for different shapes).
double maxDiff(const NdArray &a, const NdArray &b)
{
    if (a.shape != b.shape)
        return std::numeric_limits<double>::infinity();
    double m = 0;
    for (std::size_t i = 0; i < a.values.size(); ++i)
        m = std::max(m, std::abs(a.values[i] - b.values[i]));
    return m;
}

// What the window shows of the selected layer equals that layer of the network computed alone.
void checkViewMatchesNetwork(Session &s)
{
    Network net(s.shownNetwork().state);
    const int l = s.selectedLayer(), d = s.selectedDirection();
    const NdArray expected = net.hiddenStates(l, d);
    Model view(s.model().state());
    QCOMPARE(maxDiff(view.hiddenStates(), expected), 0.0);
}

} // namespace

class TestNetworkWindow : public QObject {
    Q_OBJECT

private slots:
    void buildStackInTheBar();
    void ndimErrorAndItsFix();
    void gridClicksPickLayerDirectionAndStep();
    void bidirectionalBackwardCopy();
    void editGoesIntoTheNetwork();
    void playbackWalksTheSchedule();
    void stackedSessionRoundTrip();
    void networkFileOpensWhole();
    void breaksUndoInTurnAndTheLayersBarFollows();
};

void TestNetworkWindow::buildStackInTheBar()
{
    Session session; // the classic SimpleRNN(5) → Dense(2)
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    DimensionsBar *bar = window.dimensionsBar();
    QVERIFY(!session.isNetwork());
    QCOMPARE(bar->layerChooser()->count(), 1);

    // + layer: a second SimpleRNN(5) on top; the first now returns sequences.
    bar->addLayerAction()->trigger();
    QVERIFY(session.isNetwork());
    QCOMPARE(session.networkConfig().layerCount(), 2);
    QCOMPARE(session.selectedLayer(), 1);
    QCOMPARE(bar->layerChooser()->count(), 2);
    QCOMPARE(bar->layerChooser()->currentIndex(), 1);
    QVERIFY(session.networkConfig().layers[0].returnSequences);
    QVERIFY(!session.networkConfig().layers[1].returnSequences);

    // The selected layer's cell and units come from the bar: LSTM with M = 7.
    bar->cell()->setCurrentIndex(bar->cell()->findData(static_cast<int>(CellKind::LSTM)));
    QCOMPARE(session.networkConfig().layers[1].cell.kind, CellKind::LSTM);
    bar->spinBox('M')->setValue(7);
    QCOMPARE(session.networkConfig().layers[1].units, 7);
    QCOMPARE(session.dims().M, 7);
    QCOMPARE(session.dims().D, 5); // layer 2 reads layer 1's 5 units
    QCOMPARE(bar->spinBox('D')->value(), 3); // the bar's D is the network's

    // Bidirectional, merged by sum; then the layer goes under the first one (▼).
    QVERIFY(!bar->mergeAction(Merge::Sum)->isEnabled());
    bar->bidirectionalAction()->trigger();
    QVERIFY(session.networkConfig().layers[1].bidirectional);
    QVERIFY(bar->mergeAction(Merge::Sum)->isEnabled());
    QVERIFY(bar->mergeAction(Merge::Concat)->isChecked());
    bar->mergeAction(Merge::Sum)->trigger();
    QCOMPARE(session.networkConfig().layers[1].merge, Merge::Sum);
    QVERIFY(bar->mergeAction(Merge::Sum)->isChecked());
    bar->moveDownAction()->trigger();
    QCOMPARE(session.selectedLayer(), 0);
    QCOMPARE(session.networkConfig().layers[0].cell.kind, CellKind::LSTM);
    QVERIFY(session.networkConfig().layers[0].returnSequences); // under another layer
    checkViewMatchesNetwork(session);

    // The summary lists every layer as Keras does.
    const Summary expected = networkSummary(session.networkConfig());
    QCOMPARE(window.summaryView()->table()->rowCount(), static_cast<int>(expected.rows.size()));
    QVERIFY(window.summaryView()->table()->item(1, 0)->text().startsWith(QStringLiteral("bidirectional (Bidirectional)")));

    // − layer twice is refused at one layer; undo brings the stack back.
    bar->removeLayerAction()->trigger();
    QVERIFY(!session.isNetwork()); // one forward layer: the model again
    QVERIFY(!bar->removeLayerAction()->isEnabled());
    session.undoStack()->undo();
    QVERIFY(session.isNetwork());
    QCOMPARE(session.networkConfig().layerCount(), 2);
    QVERIFY(session.networkConfig().layers[0].bidirectional);
}

void TestNetworkWindow::ndimErrorAndItsFix()
{
    Session session(Network(stackOf("lstm 8 seq, gru 4", 2, 6, 3, 2)).state());
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    DimensionsBar *bar = window.dimensionsBar();
    bar->layerChooser()->setCurrentIndex(0);
    QCOMPARE(session.selectedLayer(), 0);
    QVERIFY(bar->returnSequences()->isChecked());
    const NetworkState before = session.shownNetwork().state;

    // Unchecked under another layer: allowed, and the window says what Keras says.
    bar->returnSequences()->setChecked(false);
    QCOMPARE(session.brokenLayer(), 0);
    QCOMPARE(session.stackError(),
             QStringLiteral("Input 0 of layer \"gru\" is incompatible with the layer: expected ndim=3, found ndim=2. "
                            "Full shape received: (None, 8)"));
    QVERIFY(!bar->returnSequences()->isChecked());
    // The network on show is still the one that builds.
    QCOMPARE(session.shownNetwork().state.config.layers, before.config.layers);
    QTest::qWait(50); // the window makes room for the error
    const QImage shown = window.grab().toImage(); // paints the error and its button
    if (const QByteArray dir = qgetenv("RNNSCOPE_LAYOUT_SHOTS"); !dir.isEmpty())
        shown.save(QString::fromLocal8Bit(dir) + QStringLiteral("/ndim_error.png"));
    const QRectF fix = window.diagram()->fixButton();
    QVERIFY(!fix.isEmpty());
    QVERIFY(window.diagram()->rect().contains(fix.toAlignedRect()));

    // The one-click fix.
    QTest::mouseClick(window.diagram(), Qt::LeftButton, {}, fix.center().toPoint());
    QCOMPARE(session.brokenLayer(), -1);
    QVERIFY(session.stackError().isEmpty());
    QVERIFY(bar->returnSequences()->isChecked());
    window.diagram()->grab();
    QVERIFY(window.diagram()->fixButton().isEmpty());

    // Undo checks the box again, and Redo unchecks it; an earlier change stays.
    QVERIFY(session.setWeightValue(WeightId::Wh, 0, 0, 0.25));
    bar->returnSequences()->setChecked(false);
    QCOMPARE(session.brokenLayer(), 0);
    session.undoStack()->undo();
    QCOMPARE(session.brokenLayer(), -1);
    QVERIFY(bar->returnSequences()->isChecked());
    QCOMPARE(session.shownNetwork().state.weights.layers[0][0].Wh(0, 0), 0.25);
    session.undoStack()->redo();
    QCOMPARE(session.brokenLayer(), 0);
    QVERIFY(!bar->returnSequences()->isChecked());
    session.fixStack();
    QCOMPARE(session.brokenLayer(), -1);
    // Checking the box again mends it as well.
    bar->returnSequences()->setChecked(false);
    QCOMPARE(session.brokenLayer(), 0);
    bar->returnSequences()->setChecked(true);
    QCOMPARE(session.brokenLayer(), -1);
}

void TestNetworkWindow::gridClicksPickLayerDirectionAndStep()
{
    Session session(Network(stackOf("gru 5 seq, bi lstm 3 seq, simplernn 4", 1, 8, 2, 2)).state());
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    DiagramWidget *diagram = window.diagram();

    const QPointF top = diagram->gridCell(2, 0, 3);
    QVERIFY(!top.isNull());
    QTest::mouseClick(diagram, Qt::LeftButton, {}, top.toPoint());
    QCOMPARE(session.selectedLayer(), 2);
    QCOMPARE(session.selectedDirection(), 0);
    QCOMPARE(session.position(), 3);
    checkViewMatchesNetwork(session);

    // The backward copy's cell at time t = 2 is its step T − 1 − 2 = 5.
    const QPointF back = diagram->gridCell(1, 1, 2);
    QVERIFY(!back.isNull());
    QTest::mouseClick(diagram, Qt::LeftButton, {}, back.toPoint());
    QCOMPARE(session.selectedLayer(), 1);
    QCOMPARE(session.selectedDirection(), 1);
    QCOMPARE(session.position(), 5);
    QCOMPARE(window.dimensionsBar()->layerChooser()->currentIndex(), 1);
    checkViewMatchesNetwork(session);
}

void TestNetworkWindow::bidirectionalBackwardCopy()
{
    Session session(Network(stackOf("bi=ave gru 4", 2, 5, 3, 2)).state());
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    QVERIFY(session.isNetwork());
    QVERIFY(session.selectLayer(0, 1));
    session.seek(1);
    // The weights on show are the backward copy's own.
    const Weights backward = session.shownNetwork().state.weights.layers[0][1];
    QCOMPARE(session.weights().Wh, backward.Wh);
    QCOMPARE(session.weights().Wx, backward.Wx);
    QVERIFY(session.weights().Wh != session.shownNetwork().state.weights.layers[0][0].Wh);
    // No Dense in a Bidirectional layer's view: the Dense reads the merge.
    QCOMPARE(session.dims().K, 0);
    const QString where = window.stepPanel()->lines().first();
    QVERIFY2(where.contains(QStringLiteral("backward copy")), qPrintable(where));
    QVERIFY2(where.contains(QStringLiteral("step 1 reads x_3")), qPrintable(where));
    QVERIFY2(where.contains(QStringLiteral("Step 7 of 10")), qPrintable(where));
    // X as the backward copy reads it: its row s is x_{T−1−s}.
    MatrixView *input = window.inputView();
    QVERIFY2(input->title().contains(QStringLiteral("input, reversed")), qPrintable(input->title()));
    QCOMPARE(input->model()->headerData(1, Qt::Vertical, Qt::DisplayRole).toString(), QStringLiteral("x_3"));
    QCOMPARE(input->model()->data(input->model()->index(1, 0), MatrixTableModel::ValueRole).toDouble(),
             double(float(Network(session.shownNetwork().state).inputArray().values[3 * 3 + 0]))); // X[0, 3, 0] in float32
    checkViewMatchesNetwork(session);
    // New units from the backward copy: each copy draws from its own stream (the command line's draws).
    QVERIFY(session.setDimension('M', 6));
    const NetworkState s = session.shownNetwork().state;
    QCOMPARE(s.config.layers[0].units, 6);
    QVERIFY(s.weights.layers[0][0].Wh != s.weights.layers[0][1].Wh);
    const NetworkWeights drawn = initialNetworkWeights(s.config);
    QCOMPARE(s.weights.layers[0][1].Wh, drawn.layers[0][1].Wh);
    QCOMPARE(s.weights.layers[0][0].Wx, drawn.layers[0][0].Wx);
    // The Dense's activation is the network's, whichever layer is on show.
    QVERIFY(session.setActivations(session.config().cell, Activation::Sigmoid));
    QCOMPARE(session.shownNetwork().state.config.dense, Activation::Sigmoid);
}

void TestNetworkWindow::editGoesIntoTheNetwork()
{
    Session session(Network(stackOf("lstm 4 seq, gru 3", 2, 6, 3, 2)).state());
    MainWindow window(&session, false);
    window.show();
    const NetworkState before = session.shownNetwork().state;
    QVERIFY(session.setWeightValue(WeightId::Wh, 0, 1, 0.75));
    QCOMPARE(session.shownNetwork().state.weights.layers[0][0].Wh(0, 1), 0.75);
    // The layer above reads the new sequence.
    QVERIFY(session.selectLayer(1));
    checkViewMatchesNetwork(session);
    Network fresh(session.shownNetwork().state);
    Network old(before);
    QVERIFY(maxDiff(fresh.layerSequence(0), old.layerSequence(0)) > 0);
    // X above the first layer is what the layer under it returns: refused, saying so.
    QSignalSpy errors(&session, &Session::errorOccurred);
    QVERIFY(!session.setInputValue(0, 0, 0, 9.0));
    QCOMPARE(errors.size(), 1);
    QVERIFY2(errors.first().first().toString().contains(QStringLiteral("edit the network's input on the first layer")),
             qPrintable(errors.first().first().toString()));
    // The undo history holds each network once: the one a command ends with is the next one's start.
    {
        QVERIFY(session.setWeightValue(WeightId::Wh, 0, 1, 0.0625));
        const std::uint64_t held = session.undoBytes();
        const std::uint64_t network = ModelCommand::networkBytes(&*std::make_shared<NetworkShown>(session.shownNetwork()));
        QVERIFY(session.setWeightValue(WeightId::Wh, 0, 0, 0.125));
        const std::uint64_t state = ModelCommand::stateBytes(session.model().state());
        QCOMPARE(session.undoBytes() - held, 2 * state + network); // the new network only
        session.undoStack()->undo();
        session.undoStack()->undo();
    }
    // A NaN that the layer under it returns is not an edit of this layer's X.
    QVERIFY(session.selectLayer(0));
    QVERIFY(session.setWeightValue(WeightId::Wh, 0, 0, std::nan("")));
    QVERIFY(session.selectLayer(1));
    QVERIFY(session.setWeightValue(WeightId::Wh, 0, 0, 0.5));
    QCOMPARE(session.shownNetwork().state.weights.layers[1][0].Wh(0, 0), 0.5);
    session.undoStack()->undo();
    session.undoStack()->undo();
    // Undo puts the value back.
    session.undoStack()->undo();
    QCOMPARE(session.shownNetwork().state.weights.layers[0][0].Wh(0, 1), before.weights.layers[0][0].Wh(0, 1));
    // N, T, D, K are the network's: D = 5 draws layer 1's kernel anew, layer 2 keeps its own.
    QVERIFY(session.setDimension('D', 5));
    QCOMPARE(session.shownNetwork().state.config.D, 5);
    QCOMPARE(session.shownNetwork().state.weights.layers[0][0].Wx.rows(), 5);
    QCOMPARE(session.shownNetwork().state.weights.layers[1][0].Wh, before.weights.layers[1][0].Wh);
}

void TestNetworkWindow::playbackWalksTheSchedule()
{
    Session session(Network(stackOf("bi simplernn 3 seq, lstm 2", 1, 4, 2, 1)).state());
    MainWindow window(&session, false);
    window.show();
    QCOMPARE(session.scheduleLength(), 12);
    QList<QList<int>> seen;
    for (int k = 0; k < 12; ++k) {
        session.stepForward();
        seen.append({session.selectedLayer(), session.selectedDirection(), session.position()});
        QCOMPARE(session.scheduleIndex(), k);
    }
    const QList<QList<int>> expected = {{0, 0, 0}, {0, 0, 1}, {0, 0, 2}, {0, 0, 3}, {0, 1, 0}, {0, 1, 1},
                                        {0, 1, 2}, {0, 1, 3}, {1, 0, 0}, {1, 0, 1}, {1, 0, 2}, {1, 0, 3}};
    QCOMPARE(seen, expected);
    session.stepForward(); // the end stays the end
    QCOMPARE(session.scheduleIndex(), 11);
    // Back through the boundary: before layer 2's first step comes the backward copy's last.
    for (int k = 0; k < 4; ++k)
        session.stepBack();
    QCOMPARE(session.selectedLayer(), 0);
    QCOMPARE(session.selectedDirection(), 1);
    QCOMPARE(session.position(), 3);
    QCOMPARE(session.scheduleIndex(), 7);
    for (int k = 0; k < 8; ++k) // back to the start, one step of the schedule each
        session.stepBack();
    QCOMPARE(session.selectedLayer(), 0);
    QCOMPARE(session.selectedDirection(), 0);
    QCOMPARE(session.position(), -1);
}

void TestNetworkWindow::stackedSessionRoundTrip()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("stack.json"));
    NetworkConfig c = stackOf("gru 4 seq back, bi=concat lstm 3", 2, 5, 3, 2);
    c.dtype = DType::Float64;
    Session session(Network(c).state());
    MainWindow window(&session, false);
    QVERIFY(session.selectLayer(1, 1));
    session.seek(2);
    QVERIFY(window.saveSession(path));

    Session other;
    MainWindow second(&other, false);
    QVERIFY(other.openFile(path));
    QVERIFY(other.isNetwork());
    const NetworkState a = session.shownNetwork().state, b = other.shownNetwork().state;
    QCOMPARE(b.config.layers, a.config.layers);
    QCOMPARE(b.config.dtype, DType::Float64);
    QCOMPARE(b.weights.layers[1][1].Wh, a.weights.layers[1][1].Wh);
    QCOMPARE(b.weights.Wo, a.weights.Wo);
    QCOMPARE(b.X, a.X);
    QCOMPARE(other.selectedLayer(), 1);
    QCOMPARE(other.selectedDirection(), 1);
    QCOMPARE(other.position(), 2);
    QVERIFY(!other.isModified());
    checkViewMatchesNetwork(other);
}

void TestNetworkWindow::networkFileOpensWhole()
{
    // Stacked and Bidirectional Keras fixtures open whole in the window (File ▸ Open).
    for (const char *name : {"keras3_temperature_stacked_simple_rnn.keras", "keras3_bidirectional_lstm.keras"}) {
        Session session;
        MainWindow window(&session, false);
        const QString file = QStringLiteral(RNNSCOPE_SHARED_DIR "/fixtures/keras/") + QLatin1String(name);
        QVERIFY2(session.openFile(file), name);
        QVERIFY2(session.isNetwork(), name);
        QVERIFY(session.networkConfig().layerCount() >= 2 || session.networkConfig().layers[0].bidirectional);
        QCOMPARE(session.filePath(), file);
        QVERIFY(!session.isModified());
        for (int l = 0; l < session.networkConfig().layerCount(); ++l)
            for (int d = 0; d < session.networkConfig().layers[static_cast<std::size_t>(l)].directions(); ++d) {
                QVERIFY(session.selectLayer(l, d));
                checkViewMatchesNetwork(session);
            }
    }
}

void TestNetworkWindow::breaksUndoInTurnAndTheLayersBarFollows()
{
    Session session(Network(stackOf("simplernn 4 seq, simplernn 3 seq, gru 2", 1, 5, 2, 1)).state());
    MainWindow window(&session, false);
    window.resize(1600, 900);
    window.show();
    QVERIFY(session.setLayerReturnSequences(0, false));
    QVERIFY(session.setLayerReturnSequences(1, false));
    QCOMPARE(session.brokenLayer(), 1);
    session.undoStack()->undo(); // back to the first break, not to a mended stack
    QCOMPARE(session.brokenLayer(), 0);
    QVERIFY(session.stackError().contains(QStringLiteral("simple_rnn_1")));
    session.undoStack()->undo();
    QCOMPARE(session.brokenLayer(), -1);

    // The Layers bar shows with a network, also after presentation mode restores the window's state.
    QToolBar *layers = window.dimensionsBar()->layersBar();
    QVERIFY(layers->isVisible());
    window.setPresentation(true);
    window.setPresentation(false);
    QCoreApplication::processEvents();
    QVERIFY(layers->isVisible());
    QVERIFY(session.removeLayer(2));
    QVERIFY(session.removeLayer(1));
    QVERIFY(!session.isNetwork());
    QVERIFY(!layers->isVisible());
    window.setPresentation(true);
    window.setPresentation(false);
    QCoreApplication::processEvents();
    QVERIFY(!layers->isVisible());
}

QTEST_MAIN(TestNetworkWindow)
#include "test_networkwindow.moc"
