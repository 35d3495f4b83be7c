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
    void anEmbeddingLooksUpTokenIds();
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
    // What each layer says explicitly is recorded (a file is compared with those words); rec= on a
    // simplernn, which has no recurrent activation, is refused naming the word, wherever it stands.
    const NetworkStack said = parseNetworkStack("embedding 9, lstm 4 seq act=tanh, gru 3 reset_after=true rec=sigmoid, simplernn 2");
    QCOMPARE(said.words.size(), std::size_t(3));
    QVERIFY((said.words[0] == LayerWords{true, false, false}));
    QVERIFY((said.words[1] == LayerWords{false, true, true}));
    QVERIFY((said.words[2] == LayerWords{}));
    for (const char *bad : {"simplernn 4 rec=relu", "rec=relu simplernn 4", "lstm 4 seq, simplernn 2 recurrent_activation=relu"}) {
        try {
            parseStack(bad);
            QFAIL(bad);
        } catch (const Error &e) {
            QVERIFY2(QString(e.what()).contains("rec") && QString(e.what()).contains("=relu\": a simplernn has no recurrent activation"),
                     e.what());
        }
    }
    // reset_after= is a GRU's alone: on an lstm or a simplernn it is refused naming the word.
    const std::pair<const char *, const char *> resetAfterElsewhere[] = {
        {"lstm 8 reset_after=false", "layer 1 (\"lstm 8 reset_after=false\"): \"reset_after=false\": an lstm has no reset_after"},
        {"reset_after=true lstm 8", "\"reset_after=true\": an lstm has no reset_after"},
        {"gru 4 seq reset_after=false, simplernn 2 reset_after=true", "layer 2 (\"simplernn 2 reset_after=true\"): \"reset_after=true\": a simplernn has no reset_after"}};
    for (const auto &[bad, says] : resetAfterElsewhere) {
        try {
            parseStack(bad);
            QFAIL(bad);
        } catch (const Error &e) {
            QCOMPARE(e.kind(), ErrorKind::BadUsage);
            QVERIFY2(QString(e.what()).contains(QString::fromUtf8(says)), e.what());
        }
    }
    QVERIFY(!parseStack("gru 4 reset_after=false").front().cell.resetAfter);
    const StackDims d = parseStackDims("8,1000,32,[256,256,256],10");
    QCOMPARE(d.units, (std::vector<int>{256, 256, 256}));
    QCOMPARE(stackDimsText(d), std::string("8,1000,32,[256,256,256],10"));
    QCOMPARE(parseStackDims("1,10,3,5,2").units, std::vector<int>{5});
}

// Keras's Embedding before the first recurrent layer: ids become rows of its table, and the network
// computes on them what it computes on that X; its weights, counts and refusals.
void TestStack::anEmbeddingLooksUpTokenIds()
{
    const NetworkStack parsed = parseNetworkStack("embedding 50, lstm 8 seq, gru 4");
    QCOMPARE(parsed.vocabulary, 50);
    QCOMPARE(stackText(parsed.layers, parsed.vocabulary), std::string("embedding 50, lstm 8 seq, gru 4"));
    QCOMPARE(parseNetworkStack("lstm 8").vocabulary, 0);
    for (const char *bad : {"embedding, lstm 3", "embedding 0, lstm 3", "embedding 5", "embedding 5 6, lstm 3", "lstm 3 seq, embedding 5, lstm 2"})
        QVERIFY_THROWS_EXCEPTION(Error, parseNetworkStack(bad));

    for (const DType dtype : {DType::Float32, DType::Float64}) {
        NetworkConfig c = config("lstm 5 seq, bi gru 3", dtype);
        c.vocabulary = 7;
        Network drawn(c);
        QCOMPARE(drawn.weights().embedding.rows(), 7);
        QCOMPARE(drawn.weights().embedding.cols(), c.D);
        QVERIFY(drawn.weights().embedding.cwiseAbs().maxCoeff() <= 0.05);
        QCOMPARE(drawn.tokenIds().size(), std::size_t(c.N * c.T));
        for (const int id : drawn.tokenIds())
            QVERIFY(id >= 0 && id < 7);
        QVERIFY(Network(c).tokenIds() == drawn.tokenIds()); // from the seed
        QCOMPARE(parameterCount(c), 7LL * 4 + parameterCount(config("lstm 5 seq, bi gru 3", dtype)));
        QVERIFY(estimateBytes(c) > estimateBytes(config("lstm 5 seq, bi gru 3", dtype)));

        // The same network without the Embedding, on the looked-up X, computes the same numbers.
        NetworkWeights plain = drawn.weights();
        plain.embedding = Eigen::MatrixXd();
        NetworkConfig without = c;
        without.vocabulary = 0;
        Network onX(without, plain, embedTokens(drawn.weights().embedding, drawn.tokenIds(), c.N, c.T));
        QVERIFY(sameValues(drawn.prediction(), onX.prediction()));
        QVERIFY(sameValues(drawn.inputArray(), onX.inputArray()));
        const NamedArrays arrays = networkWeightsToArrays(drawn.weights(), c);
        QCOMPARE(arrays.front().second.shape, (std::vector<std::int64_t>{7, 4})); // get_weights(): the table first
        QCOMPARE(arrays.size(), networkWeightsToArrays(plain, without).size() + 1);
    }

    NetworkConfig c = config("simplernn 2", DType::Float64);
    c.vocabulary = 5;
    const NetworkWeights w = initialNetworkWeights(c);
    std::vector<int> ids(static_cast<std::size_t>(c.N * c.T), 1);
    ids[static_cast<std::size_t>(c.T + 3)] = 7;
    try {
        Network(c, w, ids);
        QFAIL("an id out of the vocabulary was taken");
    } catch (const Error &e) {
        QCOMPARE(std::string(e.what()), std::string("token id 7 at X[1, 3] is outside the Embedding's vocabulary 0 … 4"));
    }
    NdArray a;
    a.shape = {1, 3};
    a.values = {0, 2.5, 1};
    try {
        checkTokenIds(a, 5);
        QFAIL("a non-integer id was taken");
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("token id 2.5 at X[0, 1] is not an integer") == 0, e.what());
    }
    a.shape = {3};
    QVERIFY_THROWS_EXCEPTION(Error, checkTokenIds(a, 5));
    QVERIFY_THROWS_EXCEPTION(Error, Network(c, w, Eigen::MatrixXd::Zero(c.D, c.N * c.T))); // it reads ids, not X
}

QTEST_GUILESS_MAIN(TestStack)
#include "test_stack.moc"
