// LSTM and GRU in the core: the engine's batched pass against the model's lazy, chunked steps,
// the cells' own properties (gate blocks, unit_forget_bias, orthonormal rows), the worked step
// (every cell's, the SimpleRNN's too) against the engine's numbers and against a plain loop
// written here, parameter counts, and what a change of cell keeps. Their numbers against NumPy
// and PyTorch are checked from outside by tests/test_cells.py.

#include "common/error.h"
#include "nn/engine.h"
#include "nn/initializer.h"
#include "nn/param.h"
#include "nn/weights.h"
#include "run/model.h"
#include "run/stepper.h"
#include "run/summary.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <regex>

using namespace rnnscope;

Q_DECLARE_METATYPE(rnnscope::Dims)
Q_DECLARE_METATYPE(rnnscope::DType)
Q_DECLARE_METATYPE(rnnscope::CellSpec)

namespace {

CellSpec cellOf(CellKind kind, bool resetAfter = true, Activation recurrent = Activation::Sigmoid)
{
    CellSpec c;
    c.kind = kind;
    c.resetAfter = resetAfter;
    c.recurrent = recurrent;
    return c;
}

ModelConfig configOf(const Dims &dims, const CellSpec &cell, DType dtype, bool sequences, std::uint64_t seed = 3)
{
    ModelConfig c;
    c.dims = dims;
    c.kind = cell.kind;
    c.cell = cell.activation;
    c.recurrent = cell.recurrent;
    c.resetAfter = cell.resetAfter;
    c.dtype = dtype;
    c.returnSequences = sequences;
    c.seed = seed;
    c.init.scheme = InitScheme::Normal;
    c.init.scale = 0.4; // gates away from saturation, so that every term matters
    return c;
}

double maxAbsDiff(const Eigen::MatrixXd &a, const Eigen::MatrixXd &b)
{
    return (a - b).cwiseAbs().maxCoeff();
}

// One timestep of one sample, from the plain loop below: every gate block's x_t·W, h_{t−1}·U and
// pre-activation (gM; a GRU's candidate block holds its own, with r inside), the bias the
// pre-activation adds to x_t·W + h_{t−1}·U (gM; a GRU with reset_after: both rows), h_t (M).
struct PlainStep {
    Eigen::RowVectorXd hPrev, xW, hU, bias, pre, h;
};

double sigmoid(double v)
{
    return 1 / (1 + std::exp(-v));
}

// The recurrence of sample n written out with scalar loops in double from the cells' definitions
// (DESIGN.md §1: tanh cells, sigmoid gates), apart from the engine, its products and the worked
// step. A float32 model computes on its weights and X rounded to float, and so does this loop.
std::vector<PlainStep> plainLoop(const Model &m, int n)
{
    const Dims &d = m.dims();
    const ModelConfig &c = m.config();
    const auto exact = [&](const Eigen::MatrixXd &v) {
        return c.dtype == DType::Float32 ? Eigen::MatrixXd(v.cast<float>().cast<double>()) : v;
    };
    const Eigen::MatrixXd Wx = exact(m.weights().Wx), Wh = exact(m.weights().Wh), X = exact(m.input());
    const Eigen::VectorXd b = exact(m.weights().bh);
    const int M = d.M, gM = int(Wh.cols());
    const bool resetAfter = c.kind == CellKind::GRU && c.resetAfter;
    std::vector<PlainStep> steps;
    Eigen::RowVectorXd h = Eigen::RowVectorXd::Zero(M), cell = Eigen::RowVectorXd::Zero(M);
    for (int t = 0; t < d.T; ++t) {
        PlainStep s;
        s.hPrev = h;
        s.xW = s.hU = s.bias = s.pre = Eigen::RowVectorXd::Zero(gM);
        for (int j = 0; j < gM; ++j) {
            for (int i = 0; i < d.D; ++i)
                s.xW(j) += X(i, Eigen::Index(t) * d.N + n) * Wx(i, j);
            for (int i = 0; i < M; ++i)
                s.hU(j) += h(i) * Wh(i, j);
            s.bias(j) = b(j) + (resetAfter ? b(gM + j) : 0.0);
            s.pre(j) = s.xW(j) + s.hU(j) + s.bias(j);
        }
        if (c.kind == CellKind::SimpleRNN) {
            for (int j = 0; j < M; ++j)
                h(j) = std::tanh(s.pre(j));
        } else if (c.kind == CellKind::LSTM) { // blocks i, f, c, o
            for (int j = 0; j < M; ++j) {
                cell(j) = sigmoid(s.pre(M + j)) * cell(j) + sigmoid(s.pre(j)) * std::tanh(s.pre(2 * M + j));
                h(j) = sigmoid(s.pre(3 * M + j)) * std::tanh(cell(j));
            }
        } else { // blocks z, r, h̃
            for (int j = 0; j < M; ++j) {
                const double r = sigmoid(s.pre(M + j));
                double candidate = s.xW(2 * M + j) + b(2 * M + j);
                if (resetAfter) {
                    candidate += r * (s.hU(2 * M + j) + b(gM + 2 * M + j));
                } else {
                    for (int i = 0; i < M; ++i)
                        candidate += sigmoid(s.pre(M + i)) * h(i) * Wh(i, 2 * M + j);
                }
                s.pre(2 * M + j) = candidate;
            }
            for (int j = 0; j < M; ++j) {
                const double z = sigmoid(s.pre(j));
                h(j) = z * h(j) + (1 - z) * std::tanh(s.pre(2 * M + j));
            }
        }
        s.h = h;
        steps.push_back(s);
    }
    return steps;
}

} // namespace

class TestGatedCells : public QObject {
    Q_OBJECT

private slots:
    void shapesAndCounts_data();
    void shapesAndCounts();
    void lazyStepsEqualEngineForward_data();
    void lazyStepsEqualEngineForward();
    void stepperEqualsBatchedPass();
    void returnSequencesLastStepIsPlainOutput();
    void recurrentKernelHasOrthonormalRows_data();
    void recurrentKernelHasOrthonormalRows();
    void unitForgetBias();
    void sameSeedSameNumbers();
    void workedStepEqualsEngine_data();
    void workedStepEqualsEngine();
    void workedStepAgainstPlainLoop_data();
    void workedStepAgainstPlainLoop();
    void changeOfCellKeepsSizesAndInput();
    void gatesFromTheirDefinition();
    void pytorchLayoutPermutesGruGates();
    void keras3SummaryHasSeparators();
    void shapesRefusedNamingTheCell();
    void hugeNumbersStayCompact();
    void parametersDescribeThemselves_data();
    void parametersDescribeThemselves();
};

void TestGatedCells::shapesAndCounts_data()
{
    QTest::addColumn<CellSpec>("cell");
    QTest::addColumn<int>("gates");
    QTest::addColumn<long long>("params"); // at D=3, M=5 (Keras's count)
    QTest::newRow("simplernn") << cellOf(CellKind::SimpleRNN) << 1 << 45LL;
    QTest::newRow("lstm") << cellOf(CellKind::LSTM) << 4 << 180LL;             // 4·5·(3+5+1)
    QTest::newRow("gru reset_after") << cellOf(CellKind::GRU) << 3 << 150LL;   // 3·5·(3+5+2)
    QTest::newRow("gru no reset_after") << cellOf(CellKind::GRU, false) << 3 << 135LL; // 3·5·(3+5+1)
}

void TestGatedCells::shapesAndCounts()
{
    QFETCH(CellSpec, cell);
    QFETCH(int, gates);
    QFETCH(long long, params);
    const Model m(configOf(Dims{1, 10, 3, 5, 2}, cell, DType::Float32, false));
    const Weights &w = m.weights();
    QCOMPARE(w.Wx.rows(), 3);
    QCOMPARE(w.Wx.cols(), 5 * gates);
    QCOMPARE(w.Wh.rows(), 5);
    QCOMPARE(w.Wh.cols(), 5 * gates);
    QCOMPARE(w.bh.size(), 5 * gates * cell.biasRows());
    QCOMPARE(w.kind(), cell.kind);
    QCOMPARE(w.rnnParams(), params);
    QCOMPARE(cell.params(3, 5), params);
    const Summary s = modelSummary(m.config());
    QCOMPARE(s.rows[1].params, params);
    QCOMPARE(s.rows[1].type, std::string(cellClassName(cell.kind)));
    QCOMPARE(s.totalParams, params + 12);
}

void TestGatedCells::lazyStepsEqualEngineForward_data()
{
    QTest::addColumn<Dims>("dims");
    QTest::addColumn<CellSpec>("cell");
    QTest::addColumn<DType>("dtype");
    QTest::addColumn<bool>("sequences");
    for (DType dt : {DType::Float32, DType::Float64}) {
        const char *d = dt == DType::Float32 ? "f32" : "f64";
        QTest::addRow("lstm %s", d) << Dims{3, 9, 4, 6, 2} << cellOf(CellKind::LSTM) << dt << false;
        QTest::addRow("lstm seq %s", d) << Dims{2, 7, 3, 5, 0} << cellOf(CellKind::LSTM) << dt << true;
        QTest::addRow("gru %s", d) << Dims{4, 8, 2, 7, 3} << cellOf(CellKind::GRU) << dt << true;
        QTest::addRow("gru no reset_after %s", d) << Dims{3, 6, 5, 4, 1} << cellOf(CellKind::GRU, false) << dt << false;
        QTest::addRow("lstm hard_sigmoid %s", d)
            << Dims{2, 5, 3, 4, 2} << cellOf(CellKind::LSTM, true, Activation::HardSigmoidKeras2) << dt << true;
    }
}

// The model computes lazily, a chunk of steps at a time, with the projection of x·W made as the
// steps reach it; Engine::forward projects everything at once. Both must agree exactly.
void TestGatedCells::lazyStepsEqualEngineForward()
{
    QFETCH(Dims, dims);
    QFETCH(CellSpec, cell);
    QFETCH(DType, dtype);
    QFETCH(bool, sequences);
    Model model(configOf(dims, cell, dtype, sequences));
    const NdArray H = model.hiddenStates();
    const NetworkSpec spec{dims, sequences, cell, Activation::Linear};
    const auto check = [&](const auto &e) {
        for (int t = 0; t < dims.T; ++t)
            for (int n = 0; n < dims.N; ++n)
                for (int j = 0; j < dims.M; ++j)
                    QCOMPARE(double(e.hidden(t)(j, n)), H.values[(std::size_t(n) * dims.T + t) * dims.M + j]);
    };
    if (dtype == DType::Float32) {
        Engine<float> e;
        e.setSpec(spec);
        e.setWeights(model.weights());
        e.setInput(model.input());
        e.forward();
        check(e);
    } else {
        Engine<double> e;
        e.setSpec(spec);
        e.setWeights(model.weights());
        e.setInput(model.input());
        e.forward();
        check(e);
    }
    // Nothing saturated: the test would not see a wrong gate otherwise.
    double largest = 0;
    for (double v : H.values)
        largest = std::max(largest, std::abs(v));
    QVERIFY(largest > 0.05 && largest < 0.999);
}

void TestGatedCells::stepperEqualsBatchedPass()
{
    for (const CellSpec &cell : {cellOf(CellKind::LSTM), cellOf(CellKind::GRU), cellOf(CellKind::GRU, false)}) {
        const ModelConfig c = configOf(Dims{3, 8, 2, 4, 2}, cell, DType::Float64, true);
        Model batched(c), stepped(c);
        const NdArray H = batched.hiddenStates();
        Stepper stepper(stepped);
        for (int t = 0; t < 8; ++t) {
            stepper.stepForward();
            if (t % 3 == 2) {
                stepper.stepBack();
                stepper.stepForward();
            }
            const StepRecord r = stepper.record(t);
            for (int n = 0; n < 3; ++n)
                for (int j = 0; j < 4; ++j)
                    QCOMPARE(r.h(n, j), H.values[(std::size_t(n) * 8 + t) * 4 + j]);
        }
        QCOMPARE(stepped.prediction().values, batched.prediction().values);
        if (cell.kind == CellKind::LSTM)
            QCOMPARE(stepped.cellStates().values, batched.cellStates().values);
    }
}

void TestGatedCells::returnSequencesLastStepIsPlainOutput()
{
    for (const CellSpec &cell : {cellOf(CellKind::LSTM), cellOf(CellKind::GRU), cellOf(CellKind::GRU, false)}) {
        Model plain(configOf(Dims{3, 6, 2, 5, 3}, cell, DType::Float32, false));
        Model seq(configOf(Dims{3, 6, 2, 5, 3}, cell, DType::Float32, true));
        const NdArray y = plain.prediction(), ys = seq.prediction();
        QCOMPARE(ys.shape, (std::vector<std::int64_t>{3, 6, 3}));
        for (int n = 0; n < 3; ++n)
            for (int k = 0; k < 3; ++k)
                QCOMPARE(ys.values[(std::size_t(n) * 6 + 5) * 3 + k], y.values[std::size_t(n) * 3 + k]);
    }
}

void TestGatedCells::recurrentKernelHasOrthonormalRows_data()
{
    QTest::addColumn<CellSpec>("cell");
    QTest::addColumn<int>("M");
    QTest::newRow("lstm 5") << cellOf(CellKind::LSTM) << 5;
    QTest::newRow("lstm 32") << cellOf(CellKind::LSTM) << 32;
    QTest::newRow("gru 7") << cellOf(CellKind::GRU) << 7;
    QTest::newRow("gru 50") << cellOf(CellKind::GRU, false) << 50;
}

// Keras's Orthogonal on (M, gM): Q of a (gM, M) Gaussian, transposed: Wh·Whᵀ = I_M.
void TestGatedCells::recurrentKernelHasOrthonormalRows()
{
    QFETCH(CellSpec, cell);
    QFETCH(int, M);
    const Weights w = initialWeights(3, M, 2, InitSpec{}, 11, cell);
    QCOMPARE(w.Wh.rows(), M);
    QCOMPARE(w.Wh.cols(), cell.gates() * M);
    const Eigen::MatrixXd product = w.Wh * w.Wh.transpose();
    QVERIFY(maxAbsDiff(product, Eigen::MatrixXd::Identity(M, M)) < 1e-12);
    // Not orthonormal columns (gM > M): the columns cannot all be unit vectors and orthogonal.
    const Eigen::MatrixXd columns = w.Wh.transpose() * w.Wh;
    QVERIFY(maxAbsDiff(columns, Eigen::MatrixXd::Identity(cell.gates() * M, cell.gates() * M)) > 0.1);
    // Glorot bounds of the (D, gM) kernel: sqrt(6 / (D + gM)).
    QVERIFY(w.Wx.cwiseAbs().maxCoeff() <= std::sqrt(6.0 / (3 + cell.gates() * M)));
}

void TestGatedCells::unitForgetBias()
{
    const Weights w = initialWeights(3, 5, 2, InitSpec{}, 1, cellOf(CellKind::LSTM));
    QCOMPARE(w.bh.size(), 20);
    for (int j = 0; j < 20; ++j)
        QCOMPARE(w.bh(j), j >= 5 && j < 10 ? 1.0 : 0.0); // blocks i, f, c, o: f starts at 1
    const Weights g = initialWeights(3, 5, 2, InitSpec{}, 1, cellOf(CellKind::GRU));
    QCOMPARE(g.bh.size(), 30); // (2, 15), zeros
    QCOMPARE(g.bh.cwiseAbs().maxCoeff(), 0.0);
    InitSpec zeros;
    zeros.scheme = InitScheme::Zeros;
    QCOMPARE(initialWeights(3, 5, 2, zeros, 1, cellOf(CellKind::LSTM)).bh.cwiseAbs().maxCoeff(), 0.0);
}

void TestGatedCells::sameSeedSameNumbers()
{
    const ModelConfig c = configOf(Dims{2, 5, 3, 4, 2}, cellOf(CellKind::LSTM), DType::Float32, false, 42);
    Model a(c), b(c);
    QCOMPARE(a.weights().Wx, b.weights().Wx);
    QCOMPARE(a.weights().Wh, b.weights().Wh);
    QCOMPARE(a.prediction().values, b.prediction().values);
    ModelConfig other = c;
    other.seed = 43;
    QVERIFY(Model(other).weights().Wx != a.weights().Wx);
}

void TestGatedCells::workedStepEqualsEngine_data()
{
    QTest::addColumn<CellSpec>("cell");
    QTest::addColumn<DType>("dtype");
    QTest::newRow("lstm f32") << cellOf(CellKind::LSTM) << DType::Float32;
    QTest::newRow("lstm f64") << cellOf(CellKind::LSTM) << DType::Float64;
    QTest::newRow("gru f64") << cellOf(CellKind::GRU) << DType::Float64;
    QTest::newRow("gru no reset_after f64") << cellOf(CellKind::GRU, false) << DType::Float64;
}

// The worked step (the step panel's and the trace's numbers) recomputed from its own parts with
// the cell's formulas gives the engine's c_t and h_t: a transposed kernel or a gate taken from
// the wrong block would not.
void TestGatedCells::workedStepEqualsEngine()
{
    QFETCH(CellSpec, cell);
    QFETCH(DType, dtype);
    Model m(configOf(Dims{2, 6, 3, 4, 2}, cell, dtype, true));
    const int t = 4, n = 1, M = 4;
    const std::vector<WorkedLine> lines = workedStep(m, t, n);
    const auto find = [&](const std::string &symbol) -> const WorkedLine & {
        for (const WorkedLine &l : lines)
            if (l.symbol == symbol)
                return l;
        qFatal("no line %s", symbol.c_str());
    };
    const double tol = dtype == DType::Float32 ? 1e-6 : 1e-13;
    const Weights &w = m.weights();
    const Eigen::RowVectorXd x = find("x_4").values, h = find("h_3").values;
    QVERIFY(maxAbsDiff(h, m.hidden(3).row(n)) == 0);
    // Every gate's pre-activation is x·W + h·U + b of its block.
    const std::vector<std::string> blocks = gateBlockNames(cell.kind);
    const Eigen::RowVectorXd z = x * w.Wx + h * w.Wh;
    const Eigen::Index gM = w.Wh.cols();
    Eigen::RowVectorXd pre = z + w.bh.head(gM).transpose();
    for (std::size_t k = 0; k < blocks.size(); ++k) {
        const Eigen::Index j0 = Eigen::Index(k) * M;
        QVERIFY(maxAbsDiff(find("x_4·W_" + blocks[k]).values, (x * w.Wx).segment(j0, M)) < tol);
        QVERIFY(maxAbsDiff(find("h_3·U_" + blocks[k]).values, (h * w.Wh).segment(j0, M)) < tol);
        if (cell.kind == CellKind::GRU && blocks[k] == "h")
            continue; // the candidate's pre-activation has r inside
        QVERIFY2(maxAbsDiff(find("z_" + blocks[k]).values, pre.segment(j0, M)) < 10 * tol, blocks[k].c_str());
    }
    const auto sig = [](const Eigen::RowVectorXd &v) { return Eigen::RowVectorXd((1.0 + (-v.array()).exp()).inverse()); };
    if (cell.kind == CellKind::LSTM) {
        const Eigen::RowVectorXd i = sig(pre.segment(0, M)), f = sig(pre.segment(M, M)),
                                 g = pre.segment(2 * M, M).array().tanh(), o = sig(pre.segment(3 * M, M));
        const Eigen::RowVectorXd cPrev = m.cellState(3).row(n);
        const Eigen::RowVectorXd c = f.cwiseProduct(cPrev) + i.cwiseProduct(g);
        QVERIFY(maxAbsDiff(find("c_4").values, c) < 10 * tol);
        QVERIFY(maxAbsDiff(find("h_4").values, o.cwiseProduct(Eigen::RowVectorXd(c.array().tanh()))) < 10 * tol);
        QVERIFY(maxAbsDiff(find("f_4").values, f) < 10 * tol);
        QVERIFY(maxAbsDiff(find("c_4").values, m.cellState(4).row(n)) == 0);
    } else {
        const Eigen::RowVectorXd bIn = w.bh.head(gM).transpose();
        const Eigen::RowVectorXd bRec = cell.resetAfter ? Eigen::RowVectorXd(w.bh.tail(gM).transpose())
                                                        : Eigen::RowVectorXd::Zero(gM);
        const Eigen::RowVectorXd xw = x * w.Wx + bIn, hu = h * w.Wh + bRec;
        const Eigen::RowVectorXd zg = sig(xw.segment(0, M) + hu.segment(0, M));
        const Eigen::RowVectorXd r = sig(xw.segment(M, M) + hu.segment(M, M));
        const Eigen::RowVectorXd cand = cell.resetAfter
            ? Eigen::RowVectorXd((xw.segment(2 * M, M) + r.cwiseProduct(hu.segment(2 * M, M))).array().tanh())
            : Eigen::RowVectorXd((xw.segment(2 * M, M) + r.cwiseProduct(h) * w.Wh.rightCols(M)).array().tanh());
        const Eigen::RowVectorXd hNew = zg.cwiseProduct(h) + (Eigen::RowVectorXd::Ones(M) - zg).cwiseProduct(cand);
        QVERIFY(maxAbsDiff(find("z_4").values, zg) < 10 * tol);
        QVERIFY(maxAbsDiff(find("r_4").values, r) < 10 * tol);
        QVERIFY(maxAbsDiff(find("h̃_4").values, cand) < 10 * tol);
        QVERIFY(maxAbsDiff(find("h_4").values, hNew) < 10 * tol);
    }
    QVERIFY(maxAbsDiff(find("y_4").values, m.output(4).row(n)) == 0);
    // The trace prints the same lines with their shapes.
    const std::string trace = traceText(m, n);
    QVERIFY(trace.find(describeCell(cell, M)) != std::string::npos);
    QVERIFY(trace.find("(2×3)(3×4) + (2×4)(4×4) + (4)") != std::string::npos);

    // Under every gate's formula a shape for each of its operands, in its order: a product per
    // "·W"/"·U" ("((N×M)⊙(N×M))(M×M)" for (r⊙h)·U), an (M) per bias (a GRU with reset_after has
    // two, b and b'), an (N×M) for r⊙.
    const auto count = [](const std::string &s, const std::regex &re) {
        return std::distance(std::sregex_iterator(s.begin(), s.end(), re), std::sregex_iterator());
    };
    const std::regex product(R"(·[WU]_)"), shapedProduct(R"(\(\d+×\d+\)\)?\(\d+×\d+\))");
    const std::regex bias(R"(\bb'?_)"), shapedBias(R"((^|[^\d×])\(\d+\))");
    int gateLines = 0;
    for (const WorkedLine &l : lines) {
        if (l.detail || l.formula.find("·W_") == std::string::npos) // the gates, not their parts
            continue;
        ++gateLines;
        const std::string what = l.symbol + " = " + l.formula + " over " + l.shapes;
        QVERIFY2(count(l.formula, product) == count(l.shapes, shapedProduct), what.c_str());
        QVERIFY2(count(l.formula, bias) == count(l.shapes, shapedBias), what.c_str());
        QVERIFY2((l.formula.find("r⊙") != std::string::npos) == (l.shapes.find("(2×4)⊙") != std::string::npos), what.c_str());
    }
    QCOMPARE(gateLines, int(blocks.size()));
}

void TestGatedCells::workedStepAgainstPlainLoop_data()
{
    QTest::addColumn<CellSpec>("cell");
    QTest::addColumn<DType>("dtype");
    for (DType dt : {DType::Float32, DType::Float64}) {
        const char *d = dt == DType::Float32 ? "f32" : "f64";
        QTest::addRow("simplernn %s", d) << cellOf(CellKind::SimpleRNN) << dt;
        QTest::addRow("lstm %s", d) << cellOf(CellKind::LSTM) << dt;
        QTest::addRow("gru %s", d) << cellOf(CellKind::GRU) << dt;
        QTest::addRow("gru no reset_after %s", d) << cellOf(CellKind::GRU, false) << dt;
    }
}

// The step panel's and the trace's numbers (stepBreakdown, workedStep, traceText) at t > 0, with a
// non-symmetric recurrent kernel and nonzero biases (both rows of a GRU's): x_t·Wx, h_{t−1}·Wh and
// bh against the plain loop above, their sum against the engine's own pre-activation (preAt), and
// every gate line against the loop's gate. A transposed U_k, a wrong h_{t−1}, a gate block taken
// from the wrong columns or a missing bias is seen.
void TestGatedCells::workedStepAgainstPlainLoop()
{
    QFETCH(CellSpec, cell);
    QFETCH(DType, dtype);
    Model m(configOf(Dims{2, 5, 3, 4, 2}, cell, dtype, true, 5));
    Weights w = m.weights();
    Rng rng(8, Stream::bh);
    for (Eigen::Index j = 0; j < w.bh.size(); ++j)
        w.bh(j) = 0.4 * rng.normal();
    m.setWeights(w);
    const int t = 3, n = 1, M = 4, gM = int(w.Wh.cols());
    const double tol = dtype == DType::Float32 ? 1e-5 : 1e-12;
    const PlainStep plain = plainLoop(m, n)[t];
    const StepBreakdown b = stepBreakdown(m, t, n);

    // The test can see a transposed U_k: h_{t−1}·U_kᵀ is far from h_{t−1}·U_k in every block.
    for (int k = 0; k < gM / M; ++k) {
        const Eigen::MatrixXd U = w.Wh.middleCols(k * M, M);
        QVERIFY(maxAbsDiff(plain.hPrev * U, plain.hPrev * U.transpose()) > 0.05);
    }
    QVERIFY(plain.bias.cwiseAbs().minCoeff() > 1e-3);

    // The parts against the plain loop.
    QVERIFY2(maxAbsDiff(b.hPrev, plain.hPrev) < tol, qPrintable(QString::number(maxAbsDiff(b.hPrev, plain.hPrev))));
    QVERIFY2(maxAbsDiff(b.xWx, plain.xW) < tol, qPrintable(QString::number(maxAbsDiff(b.xWx, plain.xW))));
    QVERIFY2(maxAbsDiff(b.hWh, plain.hU) < tol, qPrintable(QString::number(maxAbsDiff(b.hWh, plain.hU))));
    QVERIFY(maxAbsDiff(b.bh, plain.bias - (cell.biasRows() == 2 ? Eigen::RowVectorXd(w.bh.tail(gM).transpose())
                                                               : Eigen::RowVectorXd::Zero(gM))) < tol);
    QVERIFY2(maxAbsDiff(b.pre, plain.pre) < 10 * tol, qPrintable(QString::number(maxAbsDiff(b.pre, plain.pre))));
    QVERIFY2(maxAbsDiff(b.h, plain.h) < 10 * tol, qPrintable(QString::number(maxAbsDiff(b.h, plain.h))));

    // The parts add up to the engine's pre-activation of every block whose pre-activation is a plain
    // sum (a GRU's candidate has r inside; its recurrent bias row adds in z and r).
    const int sums = cell.kind == CellKind::GRU ? 2 * M : gM;
    for (int j = 0; j < sums; ++j) {
        const double recurrentBias = cell.biasRows() == 2 ? w.bh(gM + j) : 0.0;
        const double sum = b.xWx(j) + b.hWh(j) + b.bh(j) + recurrentBias;
        QVERIFY2(std::abs(sum - m.preAt(n, t, j)) < tol,
                 qPrintable(QStringLiteral("unit %1: parts add to %2, the engine has %3").arg(j).arg(sum, 0, 'g', 17).arg(m.preAt(n, t, j), 0, 'g', 17)));
    }
    for (int j = 0; j < gM; ++j)
        QCOMPARE(b.pre(j), m.preAt(n, t, j));

    // The worked step's lines are these numbers, and its gates the loop's.
    const std::vector<WorkedLine> lines = workedStep(m, t, n);
    const auto line = [&](const std::string &symbol) -> Eigen::RowVectorXd {
        for (const WorkedLine &l : lines)
            if (l.symbol == symbol)
                return l.values;
        qFatal("no line %s", symbol.c_str());
    };
    const std::string trace = traceText(m, n);
    if (cell.kind == CellKind::SimpleRNN) {
        QCOMPARE(line("x_3·Wx"), b.xWx);
        QCOMPARE(line("h_2·Wh"), b.hWh);
        QCOMPARE(line("bh"), b.bh);
        QCOMPARE(line("a_3"), b.pre);
        QVERIFY(trace.find(formatRow(b.hWh.data(), M)) != std::string::npos);
    } else {
        const std::vector<std::string> blocks = gateBlockNames(cell.kind);
        const std::vector<Quantity> gates = gateQuantities(cell.kind);
        for (std::size_t k = 0; k < blocks.size(); ++k) {
            const Eigen::Index j0 = Eigen::Index(k) * M;
            const Eigen::RowVectorXd hU = line("h_2·U_" + blocks[k]);
            QVERIFY2(maxAbsDiff(line("x_3·W_" + blocks[k]), plain.xW.segment(j0, M)) < tol, blocks[k].c_str());
            QVERIFY2(maxAbsDiff(hU, plain.hU.segment(j0, M)) < tol, blocks[k].c_str());
            QVERIFY2(maxAbsDiff(line("z_" + blocks[k]), plain.pre.segment(j0, M)) < 10 * tol, blocks[k].c_str());
            const auto f = [&](double v) { return usesRecurrentActivation(gates[k]) ? sigmoid(v) : std::tanh(v); };
            const std::string symbol = std::string(quantitySymbol(gates[k])) + "_3";
            for (int j = 0; j < M; ++j) {
                QVERIFY2(std::abs(line(symbol)(j) - f(plain.pre(j0 + j))) < 10 * tol, symbol.c_str());
                QCOMPARE(line(symbol)(j), m.quantityAt(gates[k], n, t, j));
            }
            QVERIFY2(trace.find(formatRow(hU.data(), M)) != std::string::npos, blocks[k].c_str());
        }
    }
    QVERIFY(maxAbsDiff(line("h_3"), plain.h) < 10 * tol);
}

void TestGatedCells::changeOfCellKeepsSizesAndInput()
{
    Model m(configOf(Dims{2, 7, 3, 5, 2}, cellOf(CellKind::SimpleRNN), DType::Float32, false));
    const Eigen::MatrixXd X = m.input();
    m.setCell(cellOf(CellKind::LSTM));
    QCOMPARE(m.dims(), (Dims{2, 7, 3, 5, 2}));
    QCOMPARE(m.input(), X);
    QCOMPARE(m.weights().Wh.cols(), 20);
    m.setCell(cellOf(CellKind::GRU, false));
    QCOMPARE(m.weights().bh.size(), 15);
    const Eigen::MatrixXd Wx = m.weights().Wx;
    // Only the recurrent activation: the weights stay.
    m.setCell(cellOf(CellKind::GRU, false, Activation::HardSigmoid));
    QCOMPARE(m.weights().Wx, Wx);
    QCOMPARE(m.config().recurrent, Activation::HardSigmoid);
    // A cell that cannot use an activation is refused and leaves the model.
    CellSpec bad = cellOf(CellKind::LSTM);
    bad.recurrent = Activation::Softmax;
    QVERIFY_THROWS_EXCEPTION(Error, m.setCell(bad));
    QCOMPARE(m.config().kind, CellKind::GRU);
}

// Both hard sigmoids at their corners, as Keras 2 and Keras 3 define them.
void TestGatedCells::gatesFromTheirDefinition()
{
    QCOMPARE(activate(Activation::HardSigmoidKeras2, -2.5), 0.0);
    QCOMPARE(activate(Activation::HardSigmoidKeras2, 1.0), 0.7);
    QCOMPARE(activate(Activation::HardSigmoidKeras2, 3.0), 1.0);
    QCOMPARE(activate(Activation::HardSigmoid, -3.0), 0.0);
    QCOMPARE(activate(Activation::HardSigmoid, 1.5), 0.75);
    QCOMPARE(activate(Activation::HardSigmoid, 3.0), 1.0);
    QVERIFY(std::isnan(activate(Activation::HardSigmoid, std::nan(""))));
}

// PyTorch's nn.GRU rows are r, z, n; Keras's columns z, r, h. bias_ih / bias_hh are the two rows.
void TestGatedCells::pytorchLayoutPermutesGruGates()
{
    const Model m(configOf(Dims{1, 4, 2, 3, 1}, cellOf(CellKind::GRU), DType::Float64, false));
    Weights w = m.weights();
    for (Eigen::Index j = 0; j < w.bh.size(); ++j)
        w.bh(j) = double(j);
    const NamedArrays a = weightsToArrays(w, Layout::PyTorch, DType::Float64, m.config().cellSpec());
    QCOMPARE(a[0].first, std::string("rnn.weight_ih_l0"));
    QCOMPARE(a[0].second.shape, (std::vector<std::int64_t>{9, 2}));
    // Row 0 of weight_ih is r's unit 0 = Keras column M (block r).
    QCOMPARE(a[0].second.values[0], w.Wx(0, 3));
    QCOMPARE(a[0].second.values[3 * 2], w.Wx(0, 0)); // row M: z's unit 0
    QCOMPARE(a[2].first, std::string("rnn.bias_ih_l0"));
    QCOMPARE(a[2].second.values[0], 3.0);  // r's bias from Keras's row 0, block r
    QCOMPARE(a[3].second.values[0], 12.0); // recurrent row: 9 + 3
    CellSpec noReset = cellOf(CellKind::GRU, false);
    QVERIFY(!pytorchRefusal(noReset).empty());
    const NamedArrays k = weightsToArrays(w, Layout::Keras, DType::Float64);
    QCOMPARE(k[2].second.shape, (std::vector<std::int64_t>{2, 9}));
}

void TestGatedCells::keras3SummaryHasSeparators()
{
    ModelConfig c = configOf(Dims{1, 10, 64, 128, 10}, cellOf(CellKind::LSTM), DType::Float32, false);
    const std::string text = summaryText(modelSummary(c));
    QVERIFY2(text.find("lstm (LSTM)") != std::string::npos, text.c_str());
    QVERIFY2(text.find("98,816") != std::string::npos, text.c_str()); // 4·128·(64+128+1)
    QVERIFY2(text.find("Total params: 100,106 (391.04 KB)") != std::string::npos, text.c_str());
    QCOMPARE(thousands(105280), std::string("105,280"));
    QCOMPARE(thousands(999), std::string("999"));
    QCOMPARE(thousands(1000000), std::string("1,000,000"));
}

void TestGatedCells::shapesRefusedNamingTheCell()
{
    Weights w = initialWeights(3, 5, 2, InitSpec{}, 1, cellOf(CellKind::LSTM));
    QVERIFY_THROWS_EXCEPTION(Error, checkShapes(w, cellOf(CellKind::GRU)));
    try {
        checkShapes(w, cellOf(CellKind::GRU));
    } catch (const Error &e) {
        QVERIFY2(std::string(e.what()).find("LSTM") != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find("gru") != std::string::npos, e.what());
    }
    w.Wh.conservativeResize(5, 18);
    QVERIFY_THROWS_EXCEPTION(Error, checkShapes(w));
}

// The worked step's numbers never print 40 digits: -1e39 takes the width of -0.123457.
void TestGatedCells::hugeNumbersStayCompact()
{
    const double v[] = {-0.123457, -1e39, 1e300, 123456.0, 99999.5};
    const std::string row = formatRow(v, 5);
    QCOMPARE(row, std::string("[ -0.123457 -1.00e+39 1.00e+300  1.23e+05 99999.500000 ]"));
    QCOMPARE(formatRow(v + 1, 1, 4), std::string("[  -1e+39 ]"));
}

void TestGatedCells::parametersDescribeThemselves_data()
{
    QTest::addColumn<CellSpec>("cell");
    QTest::addColumn<int>("K");
    QTest::newRow("simplernn") << cellOf(CellKind::SimpleRNN) << 2;
    QTest::newRow("lstm") << cellOf(CellKind::LSTM) << 2;
    QTest::newRow("gru") << cellOf(CellKind::GRU) << 2;
    QTest::newRow("gru no reset_after") << cellOf(CellKind::GRU, false) << 2;
    QTest::newRow("lstm, no Dense") << cellOf(CellKind::LSTM) << 0;
}

// What a cell says about its parameters agrees with what is stored and written: Keras's shapes
// (the arrays of np.savez(*get_weights())), the parameter count, every element reached through
// (row, col), and PyTorch's layout (the state_dict's arrays) through kerasIndexOfPyTorch.
void TestGatedCells::parametersDescribeThemselves()
{
    QFETCH(CellSpec, cell);
    QFETCH(int, K);
    const int D = 3, M = 4;
    const Weights w = initialWeights(D, M, K, InitSpec{InitScheme::Normal, 1.0}, 11, cell);
    const std::vector<ParamSpec> specs = paramSpecs(cell, D, M, K);
    QCOMPARE(int(specs.size()), 5);
    const NamedArrays keras = weightsToArrays(w, Layout::Keras, DType::Float64, cell);
    QCOMPARE(int(keras.size()), K > 0 ? 5 : 3);
    long long total = 0;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const ParamSpec &p = specs[i];
        QCOMPARE(int(p.id), int(i));
        QCOMPARE(p.symbol, std::string(weightName(p.id)));
        QCOMPARE(paramSpec(p.id, w).kerasShape, p.kerasShape); // the cell told from the shapes
        total += p.size();
        if (p.dense && K == 0) {
            QCOMPARE(p.size(), 0LL);
            continue;
        }
        QCOMPARE(keras[i].second.shape, p.kerasShape);
        QCOMPARE(p.gates, p.dense ? 1 : cell.gates());
        // Every element, row-major as Keras stores it.
        for (long long r = 0; r < p.rows; ++r)
            for (long long c = 0; c < p.cols; ++c)
                QCOMPARE(weightAt(w, p.id, r, c), keras[i].second.values[std::size_t(r * p.cols + c)]);
    }
    QCOMPARE(total, cell.params(D, M) + (K > 0 ? (M + 1LL) * K : 0));
    QCOMPARE(specs[1].initializer, std::string("orthogonal"));
    QCOMPARE(specs[2].initializer, std::string(cell.kind == CellKind::LSTM ? "unit_forget_bias" : "zeros"));

    // Setting an element changes that one; outside the shape is refused with it.
    Weights edited = w;
    const ParamSpec &bias = specs[2];
    setWeightAt(edited, WeightId::bh, bias.rows - 1, bias.cols - 1, 42.0);
    QCOMPARE(edited.bh(edited.bh.size() - 1), 42.0);
    QCOMPARE((edited.bh - w.bh).cwiseAbs().maxCoeff(), std::abs(42.0 - w.bh(w.bh.size() - 1)));
    try {
        setWeightAt(edited, WeightId::bh, 0, bias.cols, 1.0);
        QFAIL("an element outside the bias was set");
    } catch (const Error &e) {
        QCOMPARE(e.kind(), ErrorKind::OutOfRange);
        const std::string expected = "bh[0, " + std::to_string(bias.cols) + "] is outside its shape (" + std::to_string(bias.rows)
            + ", " + std::to_string(bias.cols) + ")";
        QCOMPARE(std::string(e.what()), expected);
    }

    // PyTorch: weight_ih_l0 (gM, D), weight_hh_l0 (gM, M) with permuted gate rows, every element
    // found again in Keras's layout.
    if (!pytorchRefusal(cell).empty())
        return;
    const NamedArrays torch = weightsToArrays(w, Layout::PyTorch, DType::Float64, cell);
    int matrices = 0;
    for (const auto &[name, array] : torch) {
        const auto it = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec &p) {
            return !p.vector() && p.kerasName != "bias" && (name == "rnn." + p.pytorchName || name == p.pytorchName);
        });
        if (it == specs.end())
            continue; // the biases: PyTorch's two arrays for Keras's one
        ++matrices;
        QCOMPARE(array.shape, (std::vector<std::int64_t>{it->colsIn(Layout::Keras), it->rowsIn(Layout::Keras)}));
        QCOMPARE(it->rowsIn(Layout::PyTorch), it->cols);
        for (long long r = 0; r < it->cols; ++r)
            for (long long c = 0; c < it->rows; ++c) {
                const auto [kr, kc] = kerasIndexOfPyTorch(*it, cell.kind, M, r, c);
                QCOMPARE(weightAt(w, it->id, kr, kc), array.values[std::size_t(r * it->rows + c)]);
            }
    }
    QCOMPARE(matrices, K > 0 ? 3 : 2); // weight_ih_l0, weight_hh_l0 (and fc.weight)
}

QTEST_APPLESS_MAIN(TestGatedCells)
#include "test_gatedcells.moc"
