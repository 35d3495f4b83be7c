// The engine against Keras's published numbers, the NumPy fixtures' float64 forward pass, and
// its own properties (stepper = batched pass, orthogonal Wh, glorot bounds, seeds, NaN/Inf).

#include "common/activation.h"
#include "common/error.h"
#include "common/gemm.h"
#include "nn/dims.h"
#include "nn/initializer.h"
#include "run/model.h"
#include "run/stepper.h"
#include "run/summary.h"
#include "testsupport.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

#include <dlfcn.h>

using namespace rnnscope;
using namespace testsupport;
using json = testsupport::Json;

Q_DECLARE_METATYPE(rnnscope::Dims)
Q_DECLARE_METATYPE(rnnscope::DType)
Q_DECLARE_METATYPE(rnnscope::Activation)

namespace {

Model fixtureModel(DType dtype, bool sequences)
{
    ModelConfig c;
    c.dtype = dtype;
    c.returnSequences = sequences;
    Model model(c);
    model.setWeights(manifestWeights());
    model.setInput(ndArrayOf(manifest()["model"]["X_float32"]));
    return model;
}

} // namespace

class TestEngine : public QObject {
    Q_OBJECT

private slots:
    void classicSummary();
    void publishedWhIsOrthogonal();
    void returnSequencesManualLoop_data();
    void returnSequencesManualLoop();
    void firstStepWorkedExample();
    void numpyFixtureForward_data();
    void numpyFixtureForward();
    void stepperEqualsBatchedPass_data();
    void stepperEqualsBatchedPass();
    void stepperMovesAndReports();
    void returnSequencesLastStepIsPlainOutput();
    void orthogonalIsOrthogonal_data();
    void orthogonalIsOrthogonal();
    void glorotBounds();
    void sameSeedSameNumbers();
    void pinnedDraws();
    void sizesDoNotChangeWeights();
    void activationsPropagateNanAndInf();
    void float64TanhIsAccurate();
    void softmaxSumsToOne();
    void dimsParsing_data();
    void dimsParsing();
    void absurdSizesRefusedBeforeAllocating();
    void refusedChangeLeavesModelIntact();
    void float32AndFloat64Differ();
    void gemmMatchesEigen_data();
    void gemmMatchesEigen();
    void gemmBackendNamesTheBuild();
    void hiddenSummaryMatchesTheValues_data();
    void hiddenSummaryMatchesTheValues();
};

void TestEngine::classicSummary()
{
    const json &c = seedCase("classic_summary");
    ModelConfig config;
    config.dims = Dims{1, 10, 3, 5, 2};
    const Summary s = modelSummary(config);
    QCOMPARE(s.rows.size(), c["summary"].size());
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
        const json &r = c["summary"][i];
        QCOMPARE(s.rows[i].name, r["layer"].get<std::string>());
        QCOMPARE(s.rows[i].type, r["type"].get<std::string>());
        QCOMPARE(s.rows[i].params, r["params"].get<long long>());
        std::string shape = "(None";
        for (std::size_t k = 1; k < r["output_shape"].size(); ++k)
            shape += ", " + std::to_string(r["output_shape"][k].get<int>());
        QCOMPARE(s.rows[i].shape, shape + ")");
    }
    QCOMPARE(s.totalParams, c["total_params"].get<long long>());
    QCOMPARE(s.totalBytes, c["total_bytes_float32"].get<std::uint64_t>());
    const std::string text = summaryText(s);
    QVERIFY(text.find("simple_rnn (SimpleRNN)") != std::string::npos);
    QVERIFY(text.find("Total params: 57 (228.00 B)") != std::string::npos);
    // The model's own weights have the published shapes.
    const Model model(config);
    QCOMPARE(shapeOf(model.weights().Wx), std::string("(3, 5)"));
    QCOMPARE(shapeOf(model.weights().Wh), std::string("(5, 5)"));
    QCOMPARE(shapeOf(model.weights().bh), std::string("(5,)"));
    QCOMPARE(shapeOf(model.weights().Wo), std::string("(5, 2)"));
    QCOMPARE(shapeOf(model.weights().bo), std::string("(2,)"));
    QCOMPARE(model.weights().rnnParams() + model.weights().denseParams(), 57LL);
}

void TestEngine::publishedWhIsOrthogonal()
{
    const Eigen::MatrixXd wh = matrixOf(seedCase("classic_summary")["weights_published"]["Wh"]);
    QVERIFY(maxDifference(wh.transpose() * wh, Eigen::MatrixXd::Identity(5, 5)) < 1e-6);
}

void TestEngine::returnSequencesManualLoop_data()
{
    QTest::addColumn<DType>("dtype");
    QTest::newRow("float32") << DType::Float32;
    QTest::newRow("float64") << DType::Float64;
}

void TestEngine::returnSequencesManualLoop()
{
    QFETCH(DType, dtype);
    const json &c = seedCase("return_sequences_manual_loop");
    ModelConfig config;
    config.dims = Dims{1, 3, 5, 2, 0};
    config.returnSequences = true;
    config.dtype = dtype;
    Model model(config);
    Weights w;
    w.Wx = matrixOf(c["weights"]["Wx"]);
    w.Wh = matrixOf(c["weights"]["Wh"]);
    w.bh = vectorOf(c["weights"]["bh"]);
    w.Wo.resize(2, 0);
    model.setWeights(w);
    model.setInput(ndArrayOf(c["X"]));
    const NdArray y = model.prediction(); // no Dense: the SimpleRNN's sequence (1, 3, 2)
    QCOMPARE(y.shape, (std::vector<std::int64_t>{1, 3, 2}));
    const NdArray expected = ndArrayOf(c["expected_H"]);
    for (std::size_t i = 0; i < y.values.size(); ++i)
        QVERIFY2(std::abs(y.values[i] - expected.values[i]) < 1e-6, qPrintable(QString::number(i)));
}

void TestEngine::firstStepWorkedExample()
{
    const json &c = seedCase("first_step_worked_example");
    ModelConfig config;
    config.dims = Dims{1, 1, 5, 2, 0};
    Model model(config);
    Weights w;
    w.Wx = matrixOf(c["weights"]["Wx"]);
    w.Wh = Eigen::MatrixXd::Zero(2, 2);
    w.bh = vectorOf(c["weights"]["bh"]);
    w.Wo.resize(2, 0);
    model.setWeights(w);
    model.setInput(ndArrayOf(c["X"]));
    const Eigen::MatrixXd pre = model.pre(0), h = model.hidden(0);
    QVERIFY(maxDifference(pre, matrixOf(c["expected_preactivation_t0"])) < 1e-6);
    QVERIFY(maxDifference(h, matrixOf(c["expected_h_t0"])) < 1e-6);
}

void TestEngine::numpyFixtureForward_data()
{
    QTest::addColumn<DType>("dtype");
    QTest::addColumn<double>("tolerance");
    QTest::newRow("float32") << DType::Float32 << 1e-5;
    QTest::newRow("float64") << DType::Float64 << 1e-12;
}

void TestEngine::numpyFixtureForward()
{
    QFETCH(DType, dtype);
    QFETCH(double, tolerance);
    const json &f = manifest()["forward_float64"];
    Model plain = fixtureModel(dtype, false);
    const NdArray H = plain.hiddenStates();
    const NdArray expectedH = ndArrayOf(f["H"]);
    QCOMPARE(H.shape, expectedH.shape);
    for (std::size_t i = 0; i < H.values.size(); ++i)
        QVERIFY2(std::abs(H.values[i] - expectedH.values[i]) < tolerance, qPrintable(QString::number(i)));
    const NdArray Y = plain.prediction();
    QCOMPARE(Y.shape, (std::vector<std::int64_t>{2, 2}));
    const Eigen::MatrixXd yLast = matrixOf(f["Y_last"]);
    for (int n = 0; n < 2; ++n)
        for (int k = 0; k < 2; ++k)
            QVERIFY(std::abs(Y.values[n * 2 + k] - yLast(n, k)) < tolerance);
    Model seq = fixtureModel(dtype, true);
    const NdArray Ys = seq.prediction();
    const NdArray expectedYs = ndArrayOf(f["Y_sequences"]);
    QCOMPARE(Ys.shape, expectedYs.shape);
    for (std::size_t i = 0; i < Ys.values.size(); ++i)
        QVERIFY(std::abs(Ys.values[i] - expectedYs.values[i]) < tolerance);
}

void TestEngine::stepperEqualsBatchedPass_data()
{
    QTest::addColumn<Dims>("dims");
    QTest::addColumn<DType>("dtype");
    QTest::addColumn<Activation>("cell");
    QTest::addColumn<bool>("sequences");
    QTest::newRow("classic") << Dims{1, 10, 3, 5, 2} << DType::Float32 << Activation::Tanh << false;
    QTest::newRow("batch f64") << Dims{4, 7, 3, 6, 2} << DType::Float64 << Activation::Tanh << true;
    QTest::newRow("relu") << Dims{3, 12, 2, 8, 3} << DType::Float32 << Activation::Relu << false;
    QTest::newRow("sigmoid no dense") << Dims{2, 5, 4, 3, 0} << DType::Float64 << Activation::Sigmoid << true;
    QTest::newRow("linear") << Dims{5, 4, 1, 16, 1} << DType::Float32 << Activation::Linear << true;
}

void TestEngine::stepperEqualsBatchedPass()
{
    QFETCH(Dims, dims);
    QFETCH(DType, dtype);
    QFETCH(Activation, cell);
    QFETCH(bool, sequences);
    ModelConfig c;
    c.dims = dims;
    c.dtype = dtype;
    c.cell = cell;
    c.returnSequences = sequences;
    c.seed = 7;
    Model batched(c), stepped(c);
    const NdArray H = batched.hiddenStates();
    const NdArray Y = batched.prediction();
    // The same through the stepper, one timestep at a time, with some back-and-forth.
    Stepper stepper(stepped);
    for (int t = 0; t < dims.T; ++t) {
        stepper.stepForward();
        if (t % 3 == 2) {
            stepper.stepBack();
            stepper.stepForward();
        }
        QCOMPARE(stepper.position(), t);
        const StepRecord r = stepper.record(t);
        for (int n = 0; n < dims.N; ++n)
            for (int j = 0; j < dims.M; ++j)
                QCOMPARE(r.h(n, j), H.values[(static_cast<std::size_t>(n) * dims.T + t) * dims.M + j]);
    }
    QVERIFY(stepper.atEnd());
    const NdArray Y2 = stepped.prediction();
    QCOMPARE(Y2.shape, Y.shape);
    for (std::size_t i = 0; i < Y.values.size(); ++i)
        QCOMPARE(Y2.values[i], Y.values[i]);
}

namespace {

struct Recorder : StepObserver {
    std::vector<int> shown;
    int rewinds = 0;
    void stepShown(const StepRecord &r) override { shown.push_back(r.t); }
    void rewound() override { ++rewinds; }
};

} // namespace

void TestEngine::stepperMovesAndReports()
{
    Model model;
    Stepper stepper(model);
    Recorder rec;
    stepper.addObserver(&rec);
    QVERIFY(stepper.atStart());
    stepper.stepBack(); // nothing before the start
    QCOMPARE(rec.shown.size(), std::size_t(0));
    stepper.stepForward();
    stepper.stepForward();
    QCOMPARE(model.computedSteps(), 2);
    stepper.seek(6);
    QCOMPARE(model.computedSteps(), 7);
    stepper.stepBack();
    stepper.seek(100); // clamped
    QCOMPARE(stepper.position(), 9);
    stepper.stepForward(); // nothing after the end
    QCOMPARE(rec.shown, (std::vector<int>{0, 1, 6, 5, 9}));
    stepper.reset();
    QCOMPARE(rec.rewinds, 1);
    QCOMPARE(stepper.position(), -1);
    // A change of T keeps the position where it still exists.
    stepper.seek(8);
    Dims d = model.dims();
    d.T = 5;
    model.setDims(d);
    stepper.modelChanged();
    QCOMPARE(stepper.position(), 4);
    const StepRecord r = stepper.record(4);
    QCOMPARE(r.x.rows(), 1);
    QCOMPARE(r.x.cols(), 3);
    QCOMPARE(r.h.cols(), 5);
    QCOMPARE(r.y.cols(), 2);
    stepper.removeObserver(&rec);
}

void TestEngine::returnSequencesLastStepIsPlainOutput()
{
    ModelConfig c;
    c.dims = Dims{3, 9, 4, 6, 2};
    c.seed = 3;
    c.dtype = DType::Float64;
    Model plain(c);
    c.returnSequences = true;
    Model seq(c);
    const NdArray y = plain.prediction(), ys = seq.prediction();
    QCOMPARE(ys.shape, (std::vector<std::int64_t>{3, 9, 2}));
    for (int n = 0; n < 3; ++n)
        for (int k = 0; k < 2; ++k)
            QCOMPARE(ys.values[(n * 9 + 8) * 2 + k], y.values[n * 2 + k]);
}

void TestEngine::orthogonalIsOrthogonal_data()
{
    QTest::addColumn<int>("m");
    for (int m : {1, 2, 5, 32, 128})
        QTest::newRow(qPrintable(QString::number(m))) << m;
}

void TestEngine::orthogonalIsOrthogonal()
{
    QFETCH(int, m);
    Rng rng(11, Stream::Wh);
    const Eigen::MatrixXd q = orthogonal(m, rng);
    QVERIFY(maxDifference(q.transpose() * q, Eigen::MatrixXd::Identity(m, m)) < 1e-12);
}

void TestEngine::glorotBounds()
{
    Rng rng(5, Stream::Wx);
    const Eigen::MatrixXd w = glorotUniform(40, 60, rng);
    const double limit = std::sqrt(6.0 / 100);
    QVERIFY(w.maxCoeff() < limit);
    QVERIFY(w.minCoeff() >= -limit);
    // Spread over the whole interval: the extremes come close to the limits.
    QVERIFY(w.maxCoeff() > 0.95 * limit);
    QVERIFY(w.minCoeff() < -0.95 * limit);
    QVERIFY(std::abs(w.mean()) < 0.02);
    // The variance of U(-l, l) is l²/3 = 2/(fan_in + fan_out).
    const double var = (w.array() - w.mean()).square().mean();
    QVERIFY(std::abs(var - 0.02) < 0.002);
}

void TestEngine::sameSeedSameNumbers()
{
    ModelConfig c;
    c.dims = Dims{2, 6, 3, 5, 2};
    c.seed = 42;
    Model a(c), b(c);
    QCOMPARE(a.weights().Wx, b.weights().Wx);
    QCOMPARE(a.weights().Wh, b.weights().Wh);
    QCOMPARE(a.input(), b.input());
    QCOMPARE(a.prediction().values, b.prediction().values);
    c.seed = 43;
    Model other(c);
    QVERIFY(other.weights().Wx != a.weights().Wx);
    QVERIFY(other.input() != a.input());
}

// The numbers every platform must draw (DESIGN.md §1: std::mt19937_64 seeded by splitmix64, our
// own distributions), written in as literals: any change of the seeding, the streams, the
// generator or the distributions fails here. A plain Python mt19937_64 with the same seeding,
// 53-bit uniform and Box–Muller gives the same doubles.
void TestEngine::pinnedDraws()
{
    Rng u(0, Stream::X), other(42, Stream::Wh, 3), g(0, Stream::X);
    const double z0 = g.normal(), z1 = g.normal(); // r·cos θ, then the kept r·sin θ
    // Model(seed 0), the classic model: glorot_uniform Wx (limit sqrt(6/8)) and X (sample 0 first).
    const Model model;
    const Weights &w = model.weights();
    const struct {
        const char *what;
        double drawn, pinned;
    } draws[] = {
        {"uniform01, seed 0, stream X", u.uniform01(), 0.50321742002984937},
        {"uniform01, seed 42, stream Wh, substream 3", other.uniform01(), 0.21153595656906932},
        {"first normal, seed 0, stream X", z0, -1.0338773530536718},
        {"second normal, seed 0, stream X", z1, -0.57472014558623097},
        {"Model() Wx(0, 0)", w.Wx(0, 0), 0.17295053718118175},
        {"Model() Wx(0, 1)", w.Wx(0, 1), -0.36184492130300178},
        {"Model() x_0 of sample 0, feature 0", model.inputValue(0, 0, 0), -1.0338773530536718},
    };
    for (const auto &d : draws)
        QVERIFY2(d.drawn == d.pinned,
                 qPrintable(QStringLiteral("%1: drew %2, pinned %3").arg(QLatin1String(d.what)).arg(d.drawn, 0, 'g', 17).arg(d.pinned, 0, 'g', 17)));
    // Wh is Q of a QR whose sums may round differently with another vector width (NumPy's
    // np.linalg.qr of the same draws gives 0.6068607114993554): to 1e-15, its draws exact.
    QVERIFY2(std::abs(w.Wh(0, 0) - 0.60686071149935517) <= 1e-15, qPrintable(QString::number(w.Wh(0, 0), 'g', 17)));
}

void TestEngine::sizesDoNotChangeWeights()
{
    ModelConfig c;
    c.seed = 9;
    Model model(c);
    const Weights before = model.weights();
    const double x00 = model.inputValue(0, 0, 0);
    Dims d = model.dims();
    d.N = 4;
    d.T = 20;
    model.setDims(d);
    QCOMPARE(model.weights().Wx, before.Wx);
    QCOMPARE(model.weights().Wh, before.Wh);
    QCOMPARE(model.weights().Wo, before.Wo);
    QCOMPARE(model.inputValue(0, 0, 0), x00);
    // A fresh model of the larger size draws the same X for the samples both have.
    c.dims = d;
    Model fresh(c);
    QCOMPARE(fresh.input(), model.input());
    // A change of M draws new weights, and Wx depends on D and M only.
    d.M = 7;
    model.setDims(d);
    QCOMPARE(model.weights().Wh.rows(), 7);
}

void TestEngine::activationsPropagateNanAndInf()
{
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    Eigen::MatrixXd d(5, 1);
    d << nan, inf, -inf, 0.5, -30;
    Eigen::MatrixXf f = d.cast<float>();
    applyActivation(Activation::Tanh, d);
    applyActivation(Activation::Tanh, f);
    QVERIFY(std::isnan(d(0)));
    QVERIFY(std::isnan(f(0)));
    QCOMPARE(d(1), 1.0);
    QCOMPARE(f(1), 1.0f);
    QCOMPARE(d(2), -1.0);
    QCOMPARE(f(2), -1.0f);
    QVERIFY(std::abs(d(3) - std::tanh(0.5)) < 1e-15);
    QCOMPARE(d(4), -1.0);
    Eigen::MatrixXd r(3, 1);
    r << nan, -2, 3;
    applyActivation(Activation::Relu, r);
    QVERIFY(std::isnan(r(0)));
    QCOMPARE(r(1), 0.0);
    QCOMPARE(r(2), 3.0);
    // A NaN weight reaches every later hidden state and the output, as in Keras.
    Model model;
    model.setWeightValue(WeightId::Wh, 0, 0, nan);
    const NdArray h = model.hiddenStates();
    // Even at t = 0: h_{-1}·Wh = 0·Wh has NaN in column 0, as Keras's (and NumPy's) matmul gives.
    QVERIFY(std::isnan(h.values[0]));
    QVERIFY(!std::isnan(h.values[1]));
    QVERIFY(std::isnan(h.values[5 * 2]));
    QVERIFY(std::isnan(model.prediction().values[0]));
}

void TestEngine::float64TanhIsAccurate()
{
    Eigen::MatrixXd x(2001, 1);
    for (int i = 0; i < 2001; ++i)
        x(i) = (i - 1000) * 0.01 + 1e-9 * i;
    Eigen::MatrixXd y = x;
    applyActivation(Activation::Tanh, y);
    double worst = 0;
    for (int i = 0; i < 2001; ++i)
        worst = std::max(worst, std::abs(y(i) - std::tanh(x(i))));
    QVERIFY2(worst < 1e-15, qPrintable(QString::number(worst)));
}

void TestEngine::softmaxSumsToOne()
{
    Eigen::MatrixXd y(3, 2);
    y << 1000, 0, 1001, std::numeric_limits<double>::quiet_NaN(), 999, 1;
    applyActivation(Activation::Softmax, y);
    QVERIFY(std::abs(y.col(0).sum() - 1) < 1e-15);
    QVERIFY(y(1, 0) > y(0, 0));
    QVERIFY(std::isnan(y(0, 1)) && std::isnan(y(2, 1)));
}

void TestEngine::dimsParsing_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error"); // empty: accepted
    QTest::newRow("classic") << "1,10,3,5,2" << "";
    QTest::newRow("no dense") << "2,4,3,5,0" << "";
    QTest::newRow("spaces") << " 1, 10 ,3,5,2" << "";
    QTest::newRow("four values") << "1,10,3,5" << "4 values";
    QTest::newRow("six values") << "1,10,3,5,2,1" << "6 values";
    QTest::newRow("word") << "1,ten,3,5,2" << "'ten' is not an integer";
    QTest::newRow("empty field") << "1,,3,5,2" << "an empty field";
    QTest::newRow("float") << "1,10,3.5,5,2" << "'3.5' is not an integer";
    QTest::newRow("zero M") << "1,10,3,0,2" << "M=0 is out of range";
    QTest::newRow("negative N") << "-1,10,3,5,2" << "N=-1 is out of range";
    QTest::newRow("negative K") << "1,10,3,5,-2" << "K=-2 is out of range";
    QTest::newRow("huge M") << "1,10,3,99999999,2" << "M=99999999 is out of range";
    QTest::newRow("overflowing") << "1,10,3,99999999999999999999,2" << "is not an integer";
}

void TestEngine::dimsParsing()
{
    QFETCH(QString, text);
    QFETCH(QString, error);
    try {
        validateDims(parseDims(text.toStdString()));
        QVERIFY2(error.isEmpty(), "accepted");
    } catch (const Error &e) {
        QVERIFY2(!error.isEmpty(), e.what());
        QVERIFY2(QString::fromStdString(e.what()).contains(error), e.what());
    }
}

void TestEngine::absurdSizesRefusedBeforeAllocating()
{
    const Dims huge{100000, 100000, 64, 512, 10};
    QVERIFY(estimateBytes(huge, DType::Float32) > (std::uint64_t(1) << 40));
    try {
        checkDims(huge, DType::Float32);
        QFAIL("accepted");
    } catch (const Error &e) {
        QCOMPARE(e.kind(), ErrorKind::TooLarge);
        const QString msg = QString::fromLatin1(e.what());
        QVERIFY2(msg.contains(QLatin1String("N=100000")) && msg.contains(QLatin1String("TiB"))
                     && msg.contains(QLatin1String("budget")),
                 e.what());
    }
    // Every size at its limit: the estimate does not wrap around to a small number (it is far
    // beyond 4 GiB, what 32 bits could hold), and the refusal is for the budget.
    const Dims maxed{DimLimits::maxN, DimLimits::maxT, DimLimits::maxD, DimLimits::maxM, DimLimits::maxK};
    QVERIFY(estimateBytes(maxed, DType::Float64) > (std::uint64_t(4) << 30));
    const auto refusal = errorOf([&] { checkDims(maxed, DType::Float64); });
    QVERIFY2(refusal, "accepted");
    QCOMPARE(refusal->kind(), ErrorKind::TooLarge);
    // The classic model, float32 (s = 4): input 10·3·12 = 360, history 10·5·8 + 10·2·4 + 10·16 = 640,
    // weights (15 + 25 + 5 + 10 + 2)·12 = 684, views 4·(10·5 + 10·3 + 3·5 + 5·5 + 5 + 5·2 + 2) = 548.
    QCOMPARE(estimateBytes(Dims{}, DType::Float32), std::uint64_t(360 + 640 + 684 + 548));
    // T = 10⁶ timesteps: the H and X images count min(T, 4096) rows, 4·(4096·256 + 4096·8 + 8·256
    // + 256·256 + 256 + 256·10 + 10) = 4,607,016 bytes, beside 96,000,000 (input), 2,104,000,000
    // (history: 2,088,000,000 of values and 16,000,000 of h_t summaries) and 844,920 (weights).
    QCOMPARE(estimateBytes(Dims{1, 1000000, 8, 256, 10}, DType::Float32),
             std::uint64_t(96000000) + 2104000000 + 844920 + 4607016);
    QCOMPARE(formatBytes(228), std::string("228 B"));
    QCOMPARE(formatBytes(1536), std::string("1.50 KiB"));
}

void TestEngine::refusedChangeLeavesModelIntact()
{
    Model model;
    const Weights before = model.weights();
    const Eigen::MatrixXd x = model.input();
    const NdArray y = model.prediction();
    QVERIFY_THROWS_EXCEPTION(Error, model.setDims(Dims{100000, 100000, 64, 512, 10}));
    QVERIFY_THROWS_EXCEPTION(Error, model.setDims(Dims{1, 10, 3, 0, 2}));
    Weights bad = before;
    bad.Wh = Eigen::MatrixXd::Zero(4, 5);
    try {
        model.setWeights(bad);
        QFAIL("accepted");
    } catch (const Error &e) {
        QCOMPARE(QString::fromLatin1(e.what()), QStringLiteral("Wh has shape (4, 5), but M=5 needs (5, 5)"));
    }
    NdArray wrongX;
    wrongX.shape = {2, 4, 4};
    wrongX.values.assign(32, 0.0);
    QVERIFY_THROWS_EXCEPTION(Error, model.setInput(wrongX));
    QVERIFY_THROWS_EXCEPTION(Error, model.setWeightValue(WeightId::Wx, 3, 0, 1.0));
    QCOMPARE(model.dims(), (Dims{1, 10, 3, 5, 2}));
    QCOMPARE(model.weights().Wh, before.Wh);
    QCOMPARE(model.input(), x);
    QCOMPARE(model.prediction().values, y.values);
}

void TestEngine::float32AndFloat64Differ()
{
    ModelConfig c;
    c.dims = Dims{1, 10, 3, 5, 2};
    Model f32(c);
    c.dtype = DType::Float64;
    Model f64(c);
    const NdArray a = f32.prediction(), b = f64.prediction();
    double diff = 0;
    for (std::size_t i = 0; i < a.values.size(); ++i)
        diff = std::max(diff, std::abs(a.values[i] - b.values[i]));
    // The teaching point: the same weights in float32 and float64 differ around 1e-7.
    QVERIFY2(diff > 0 && diff < 1e-5, qPrintable(QString::number(diff)));
}

void TestEngine::gemmMatchesEigen_data()
{
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("n");
    QTest::newRow("per step, small") << 5 << 5 << 1;       // Eigen
    QTest::newRow("per step, N=8") << 128 << 128 << 8;     // Eigen
    QTest::newRow("per step, N=64") << 256 << 256 << 64;  // OpenBLAS where built with it
    QTest::newRow("projection") << 256 << 64 << 2048;      // OpenBLAS where built with it
}

void TestEngine::gemmMatchesEigen()
{
    QFETCH(int, m);
    QFETCH(int, k);
    QFETCH(int, n);
    Rng rng(3, Stream::X);
    const Eigen::MatrixXd A = normalMatrix(m, k, 1.0, rng), B = normalMatrix(k, 2 * n, 1.0, rng);
    const Eigen::MatrixXd C0 = normalMatrix(m, 2 * n, 1.0, rng);
    // Blocks of larger matrices, as the engine passes them; both precisions; = and +=.
    Eigen::MatrixXd C = C0;
    gemm(A, B.middleCols(n, n), C.middleCols(n, n), true);
    QVERIFY(maxDifference(C.middleCols(n, n), C0.middleCols(n, n) + A * B.middleCols(n, n)) < 1e-12 * k);
    QCOMPARE(C.leftCols(n), C0.leftCols(n)); // nothing outside the block
    gemm(A, B.leftCols(n), C.leftCols(n), false);
    QVERIFY(maxDifference(C.leftCols(n), A * B.leftCols(n)) < 1e-12 * k);
    const Eigen::MatrixXf Af = A.cast<float>(), Bf = B.cast<float>();
    Eigen::MatrixXf Cf = C0.cast<float>();
    gemm(Af, Bf.middleCols(n, n), Cf.middleCols(n, n), true);
    const Eigen::MatrixXf expected = C0.cast<float>().middleCols(n, n) + Af * Bf.middleCols(n, n);
    QVERIFY(maxDifference(Cf.middleCols(n, n).cast<double>(), expected.cast<double>()) < 1e-5 * k);
}

// gemmBackend() names what this build computes with: RNNSCOPE_CORE_OPENBLAS is 1 when
// core/common/CMakeLists.txt sent the large products to OpenBLAS (tests/CMakeLists.txt reads it
// from rnnscope_core), and then OpenBLAS is in this process too.
void TestEngine::gemmBackendNamesTheBuild()
{
    const std::string backend = gemmBackend();
    qDebug("%s", backend.c_str());
    const bool openblasLoaded = ::dlsym(RTLD_DEFAULT, "openblas_get_config") != nullptr;
#if RNNSCOPE_CORE_OPENBLAS
    QVERIFY(openblasLoaded);
    QVERIFY2(backend.rfind("OpenBLAS ", 0) == 0, backend.c_str());
    QVERIFY2(backend.find(", large products) + Eigen ") != std::string::npos, backend.c_str());
    QVERIFY2(backend.ends_with(" (small products)"), backend.c_str());
#else
    QVERIFY(!openblasLoaded);
    QVERIFY2(backend.rfind("Eigen ", 0) == 0, backend.c_str());
    QVERIFY2(backend.ends_with(" (every product)"), backend.c_str());
    QVERIFY2(backend.find("OpenBLAS") == std::string::npos, backend.c_str());
#endif
}

void TestEngine::hiddenSummaryMatchesTheValues_data()
{
    QTest::addColumn<int>("dtype");
    QTest::newRow("float32") << int(DType::Float32);
    QTest::newRow("float64") << int(DType::Float64);
}

// The per-timestep summaries of h_t equal a count over the values themselves, for any range, with
// NaN, +Inf and −Inf among them (a linear cell lets ±Inf through).
void TestEngine::hiddenSummaryMatchesTheValues()
{
    QFETCH(int, dtype);
    ModelConfig config;
    config.dims = Dims{3, 20, 4, 6, 2};
    config.dtype = DType(dtype);
    config.cell = Activation::Linear;
    Model model(config);
    model.setInputValue(1, 5, 0, std::numeric_limits<double>::quiet_NaN());
    model.setInputValue(2, 7, 1, std::numeric_limits<double>::infinity());
    model.setInputValue(0, 11, 2, -std::numeric_limits<double>::infinity());
    model.computeThrough(15);
    for (int n = 0; n < 3; ++n)
        for (auto [t0, t1] : {std::pair{0, 16}, {0, 5}, {5, 6}, {7, 12}, {3, 20}, {16, 20}}) {
            ValueSummary want;
            for (int t = t0; t < std::min(t1, 16); ++t)
                for (int j = 0; j < 6; ++j) {
                    const double v = model.hiddenAt(n, t, j);
                    if (std::isnan(v))
                        ++want.nan;
                    else if (std::isinf(v))
                        ++(v > 0 ? want.posInf : want.negInf);
                    else
                        want.maxAbs = std::max(want.maxAbs, std::abs(v));
                }
            const ValueSummary got = model.hiddenSummary(n, t0, t1);
            QCOMPARE(got.maxAbs, want.maxAbs);
            QCOMPARE(got.nan, want.nan);
            QCOMPARE(got.posInf, want.posInf);
            QCOMPARE(got.negInf, want.negInf);
        }
    // Each sample met its own non-finite input.
    QVERIFY(model.hiddenSummary(1, 5, 16).nan > 0);
    const ValueSummary s2 = model.hiddenSummary(2, 7, 16), s0 = model.hiddenSummary(0, 11, 16);
    QVERIFY(s2.nan + s2.posInf + s2.negInf > 0);
    QVERIFY(s0.nan + s0.posInf + s0.negInf > 0);
    QCOMPARE(model.hiddenSummary(0, 0, 11).nan, 0);
}

QTEST_APPLESS_MAIN(TestEngine)
#include "test_engine.moc"
