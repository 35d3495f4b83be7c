// The network of layers in core (run/network.h, nn/layer.h): the schedule of its steps, one layer
// as a one-layer model (what the window and the trace show of a stack), recomputing, the shapes it
// refuses, and the --stack text. Its numbers are checked against NumPy and PyTorch by
// test_network.py and test_export.py; here against Model, which is checked the same way.

#include "common/error.h"
#include "nn/layer.h"
#include "run/model.h"
#include "run/network.h"

#include <QTest>

#include <set>
#include <tuple>

using namespace rnnscope;

namespace {

NetworkConfig config(const std::string &stack, DType dtype, int K = 2)
{
    NetworkConfig c;
    c.N = 3;
    c.T = 6;
    c.D = 4;
    c.K = K;
    c.layers = parseStack(stack);
    c.dtype = dtype;
    c.seed = 11;
    return c;
}

bool sameValues(const NdArray &a, const NdArray &b)
{
    return a.shape == b.shape && a.values == b.values;
}

} // namespace

class TestStack : public QObject {
    Q_OBJECT

private slots:
    void scheduleFollowsTheDependencies();
    void aLayerIsAOneLayerModel_data();
    void aLayerIsAOneLayerModel();
    void recomputeGivesTheSameNumbers();
    void refusedShapesNameTheLayer();
    void stackTextRoundTrips();
};

void TestStack::scheduleFollowsTheDependencies()
{
    Network net(config("lstm 3 seq back, bi gru 2 seq, simplernn 2", DType::Float64));
    const int T = net.config().T;
    QCOMPARE(net.stepCount(), T * (1 + 2 + 1));
    std::set<std::tuple<int, int, int>> seen;
    int lastLayer = 0;
    for (int k = 0; k < net.stepCount(); ++k) {
        const Network::Step s = net.stepAt(k);
        QVERIFY(s.layer >= lastLayer); // a layer starts when the one under it is done
        lastLayer = s.layer;
        QVERIFY(seen.insert({s.layer, s.direction, s.step}).second);
        const bool backwards = net.runsBackwards(s.layer, s.direction);
        QCOMPARE(s.t, backwards ? T - 1 - s.step : s.step);
    }
    QCOMPARE(int(seen.size()), net.stepCount());
    QVERIFY(net.runsBackwards(0, 0));  // go_backwards
    QVERIFY(!net.runsBackwards(1, 0)); // Bidirectional: the forward copy …
    QVERIFY(net.runsBackwards(1, 1));  // … and the backward one
    // Outside the schedule and the layers: refused, naming what there is.
    QVERIFY_THROWS_EXCEPTION(Error, net.stepAt(net.stepCount()));
    QVERIFY_THROWS_EXCEPTION(Error, net.stepAt(-1));
    QVERIFY_THROWS_EXCEPTION(Error, net.layerOutput(-1));
    QVERIFY_THROWS_EXCEPTION(Error, net.hiddenStates(3, 0));
    QVERIFY_THROWS_EXCEPTION(Error, net.hiddenStates(0, 1)); // a layer of one direction
    QVERIFY_THROWS_EXCEPTION(Error, net.layerState(7, 0));
    // Computed lazily: after the first layer only, nothing above it.
    net.computeThrough(T - 1);
    QCOMPARE(net.computedSteps(), T);
}

void TestStack::aLayerIsAOneLayerModel_data()
{
    QTest::addColumn<QString>("stack");
    QTest::addColumn<int>("dtype");
    for (const char *stack : {"lstm 3 seq, gru 2", "gru 3 seq back, bi lstm 2 seq, simplernn 2 seq", "bi=ave simplernn 3 seq, bi gru 2",
                              "bi lstm 2 seq back, lstm 3 seq"})
        for (int dtype : {0, 1})
            QTest::addRow("%s %s", stack, dtype ? "float64" : "float32") << QString(stack) << dtype;
}

void TestStack::aLayerIsAOneLayerModel()
{
    QFETCH(QString, stack);
    QFETCH(int, dtype);
    Network net(config(stack.toStdString(), dtype ? DType::Float64 : DType::Float32));
    const NetworkConfig &c = net.config();
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &layer = c.layers[std::size_t(l)];
        for (int d = 0; d < layer.directions(); ++d) {
            Model model(net.layerState(l, d));
            QCOMPARE(model.dims().D, c.inputWidth(l));
            QCOMPARE(model.dims().M, layer.units);
            QCOMPARE(model.config().kind, layer.cell.kind);
            QVERIFY2(sameValues(model.hiddenStates(), net.hiddenStates(l, d)),
                     qPrintable(QString("layer %1 direction %2: H differs").arg(l).arg(d)));
            const bool top = l + 1 == c.layerCount();
            QCOMPARE(model.dims().K, top && !layer.bidirectional ? c.K : 0);
            if (top && !layer.bidirectional && !layer.returnSequences)
                QVERIFY(sameValues(model.prediction(), net.prediction()));
        }
    }
}

void TestStack::recomputeGivesTheSameNumbers()
{
    Network net(config("bi lstm 3 seq, gru 2 seq", DType::Float32));
    const NdArray first = net.prediction();
    net.recompute();
    QCOMPARE(net.computedSteps(), 0);
    QVERIFY(sameValues(net.prediction(), first));
    QCOMPARE(first.shape, (std::vector<std::int64_t>{3, 6, 2}));
}

void TestStack::refusedShapesNameTheLayer()
{
    const NetworkConfig c = config("lstm 3 seq, bi gru 2", DType::Float64);
    NetworkWeights w = initialNetworkWeights(c);
    w.layers[1][1].Wx = Eigen::MatrixXd::Zero(4, 6);
    try {
        Network net(c, w, Eigen::MatrixXd::Zero(c.D, c.T * c.N));
        QFAIL("a kernel of the wrong shape was taken");
    } catch (const Error &e) {
        QCOMPARE(e.kind(), ErrorKind::ShapeMismatch);
        const QString m = e.what();
        QVERIFY2(m.contains("layer 2 (bidirectional) backward") && m.contains("(4, 6)") && m.contains("(3, 6)"), qPrintable(m));
    }
    w = initialNetworkWeights(c);
    w.Wo = Eigen::MatrixXd::Zero(2, 2);
    try {
        Network net(c, w, Eigen::MatrixXd::Zero(c.D, c.T * c.N));
        QFAIL("a Dense kernel of the wrong shape was taken");
    } catch (const Error &e) {
        QVERIFY2(QString(e.what()).contains("(4, 2)"), e.what()); // the top's width is 2·2
    }
    NetworkConfig broken = c;
    broken.layers[0].returnSequences = false;
    try {
        Network net(broken);
        QFAIL("a lower layer without return_sequences was taken");
    } catch (const Error &e) {
        QVERIFY2(QString(e.what()).contains("expected ndim=3, found ndim=2"), e.what());
    }
}

void TestStack::stackTextRoundTrips()
{
    for (const char *text : {"lstm 64 seq, lstm 32", "bi gru 16 seq, bi=sum simplernn 8", "gru 4 back reset_after=false",
                             "bi=ave lstm 3 seq act=relu rec=hard_sigmoid, simplernn 2 act=relu"}) {
        const std::vector<LayerSpec> layers = parseStack(text);
        QCOMPARE(stackText(layers), std::string(text));
        QVERIFY(parseStack(stackText(layers)) == layers);
    }
    const StackDims d = parseStackDims("8,1000,32,[256,256,256],10");
    QCOMPARE(d.units, (std::vector<int>{256, 256, 256}));
    QCOMPARE(stackDimsText(d), std::string("8,1000,32,[256,256,256],10"));
    QCOMPARE(parseStackDims("1,10,3,5,2").units, std::vector<int>{5});
}

QTEST_GUILESS_MAIN(TestStack)
#include "test_stack.moc"
