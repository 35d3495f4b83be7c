// Backpropagation through time against central finite differences of the loss, for every cell,
// both return_sequences modes, with and without a Dense layer, mse and mae, the activations; the
// loss itself against the engine's prediction; the refusal of a target of the wrong shape. The
// same gradients against PyTorch's autograd: tests/test_grad.py.

#include "common/error.h"
#include "grad/bptt.h"
#include "grad/dynamics.h"
#include "nn/param.h"
#include "run/model.h"

#include <QtTest>

#include <cmath>
#include <random>

using namespace rnnscope;

Q_DECLARE_METATYPE(rnnscope::ModelConfig)
Q_DECLARE_METATYPE(rnnscope::Loss)

namespace {

ModelConfig configOf(CellKind kind, bool sequences, int K, Activation dense = Activation::Linear)
{
    ModelConfig c;
    c.dims = Dims{3, 5, 2, 4, K};
    c.kind = kind;
    c.returnSequences = sequences;
    c.dense = dense;
    c.dtype = DType::Float64;
    c.seed = 5;
    c.init.scheme = InitScheme::Normal;
    c.init.scale = 0.5; // away from saturation: every gate's term matters
    return c;
}

// A target of the output's shape, drawn away from the output.
NdArray targetFor(Model &m, std::uint64_t seed)
{
    NdArray y = m.prediction();
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    for (double &v : y.values)
        v += normal(rng);
    return y;
}

} // namespace

class TestGrad : public QObject {
    Q_OBJECT

private slots:
    void gradientsEqualFiniteDifferences_data();
    void gradientsEqualFiniteDifferences();
    void lossEqualsTheEnginesOutput();
    void float32AgreesWithFloat64();
    void targetOfTheWrongShapeIsRefused();
    void spectrumOfKnownKernels();
    void linearJacobianIsAPowerOfTheKernel();
};

void TestGrad::gradientsEqualFiniteDifferences_data()
{
    QTest::addColumn<ModelConfig>("config");
    QTest::addColumn<Loss>("loss");
    for (CellKind kind : {CellKind::SimpleRNN, CellKind::LSTM, CellKind::GRU}) {
        const char *name = cellName(kind);
        QTest::addRow("%s", name) << configOf(kind, false, 2) << Loss::MSE;
        QTest::addRow("%s, return_sequences", name) << configOf(kind, true, 2) << Loss::MSE;
        QTest::addRow("%s, K = 0", name) << configOf(kind, false, 0) << Loss::MSE;
        QTest::addRow("%s, return_sequences, softmax, mae", name) << configOf(kind, true, 3, Activation::Softmax) << Loss::MAE;
    }
    ModelConfig noReset = configOf(CellKind::GRU, true, 2);
    noReset.resetAfter = false;
    QTest::newRow("gru without reset_after") << noReset << Loss::MSE;
    ModelConfig relu = configOf(CellKind::SimpleRNN, true, 2, Activation::Sigmoid);
    relu.cell = Activation::Relu;
    QTest::newRow("simplernn relu, sigmoid Dense") << relu << Loss::MSE;
    ModelConfig hard = configOf(CellKind::LSTM, true, 2, Activation::Tanh);
    hard.recurrent = Activation::HardSigmoid;
    QTest::newRow("lstm, Keras 3's hard_sigmoid, tanh Dense") << hard << Loss::MSE;
    ModelConfig hard2 = configOf(CellKind::GRU, false, 2);
    hard2.recurrent = Activation::HardSigmoidKeras2;
    QTest::newRow("gru, Keras 2's hard_sigmoid") << hard2 << Loss::MSE;
}

// dL/dW of every element of every parameter against (L(w + ε) − L(w − ε)) / 2ε, in float64.
void TestGrad::gradientsEqualFiniteDifferences()
{
    QFETCH(ModelConfig, config);
    QFETCH(Loss, loss);
    Model model(config);
    const NdArray target = targetFor(model, 9);
    const Gradients g = backprop(model, target, loss);
    QVERIFY(g.loss > 0);
    const double eps = 1e-6;
    int checked = 0;
    double largest = 0;
    for (const ParamSpec &p : paramSpecs(config.cellSpec(), config.dims.D, config.dims.M, config.dims.K)) {
        for (long long r = 0; r < p.rows; ++r)
            for (long long c = 0; c < p.cols; ++c) {
                const double w0 = weightAt(model.weights(), p.id, r, c);
                Model plus = model, minus = model;
                plus.setWeightValue(p.id, int(r), int(c), w0 + eps);
                minus.setWeightValue(p.id, int(r), int(c), w0 - eps);
                const double fd = (backprop(plus, target, loss).loss - backprop(minus, target, loss).loss) / (2 * eps);
                const double analytic = weightAt(g.dW, p.id, r, c);
                largest = std::max(largest, std::abs(analytic));
                QVERIFY2(std::abs(fd - analytic) <= 1e-6 + 1e-5 * std::abs(fd),
                         qPrintable(QStringLiteral("d%1[%2, %3]: backprop %4, finite differences %5")
                                        .arg(QString::fromStdString(p.symbol)).arg(r).arg(c).arg(analytic, 0, 'g', 12).arg(fd, 0, 'g', 12)));
                ++checked;
            }
    }
    QCOMPARE(checked, int(config.cellSpec().params(config.dims.D, config.dims.M) + (config.dims.K > 0 ? (config.dims.M + 1) * config.dims.K : 0)));
    QVERIFY(largest > 1e-3); // not a case where every gradient is 0
    // dL/dh_t for every t, (N, M) each; the last one is the output's term alone.
    QCOMPARE(int(g.dh.size()), config.dims.T);
    QCOMPARE(g.dh.back().rows(), Eigen::Index(config.dims.N));
    QCOMPARE(int(g.dc.size()), config.kind == CellKind::LSTM ? config.dims.T : 0);
    QVERIFY(g.dh.front().cwiseAbs().maxCoeff() > 0); // the loss reaches back to t = 0
}

// The loss of backprop's own forward pass equals mse of the engine's prediction, computed here.
void TestGrad::lossEqualsTheEnginesOutput()
{
    for (CellKind kind : {CellKind::SimpleRNN, CellKind::LSTM, CellKind::GRU}) {
        Model m(configOf(kind, true, 2));
        const NdArray target = targetFor(m, 3);
        const NdArray y = m.prediction();
        double mse = 0, mae = 0;
        for (std::size_t i = 0; i < y.values.size(); ++i) {
            mse += (y.values[i] - target.values[i]) * (y.values[i] - target.values[i]);
            mae += std::abs(y.values[i] - target.values[i]);
        }
        mse /= double(y.values.size());
        mae /= double(y.values.size());
        QVERIFY(std::abs(backprop(m, target, Loss::MSE).loss - mse) < 1e-12);
        QVERIFY(std::abs(backprop(m, target, Loss::MAE).loss - mae) < 1e-12);
    }
}

// Float32's gradients are float64's to float32's precision.
void TestGrad::float32AgreesWithFloat64()
{
    for (CellKind kind : {CellKind::SimpleRNN, CellKind::LSTM, CellKind::GRU}) {
        ModelConfig c = configOf(kind, true, 2);
        Model m64(c);
        const NdArray target = targetFor(m64, 4);
        c.dtype = DType::Float32;
        Model m32(c);
        const Gradients a = backprop(m64, target), b = backprop(m32, target);
        QVERIFY(std::abs(a.loss - b.loss) < 1e-5 * (1 + a.loss));
        const double scale = std::max(1.0, a.dW.Wh.cwiseAbs().maxCoeff());
        QVERIFY2((a.dW.Wh - b.dW.Wh).cwiseAbs().maxCoeff() < 1e-4 * scale, cellName(kind));
        QVERIFY2((a.dW.Wx - b.dW.Wx).cwiseAbs().maxCoeff() < 1e-4 * scale, cellName(kind));
    }
}

void TestGrad::targetOfTheWrongShapeIsRefused()
{
    Model m(configOf(CellKind::LSTM, false, 2));
    NdArray wrong;
    wrong.shape = {3, 5, 2};
    wrong.values.assign(30, 0.0);
    try {
        backprop(m, wrong);
        QFAIL("a target of the wrong shape was taken");
    } catch (const Error &e) {
        QCOMPARE(e.kind(), ErrorKind::ShapeMismatch);
        QCOMPARE(std::string(e.what()), std::string("the target has shape (3, 5, 2), but the model outputs (N, K) = (3, 2)"));
    }
}

// The spectrum of kernels whose eigenvalues and singular values are known in closed form.
void TestGrad::spectrumOfKnownKernels()
{
    using namespace rnnscope;
    // A rotation by θ scaled by s: eigenvalues s·e^{±iθ}, both singular values s.
    const double s = 0.8, th = 0.6;
    Eigen::MatrixXd R(2, 2);
    R << s * std::cos(th), -s * std::sin(th), s * std::sin(th), s * std::cos(th);
    std::vector<BlockSpectrum> b = recurrentSpectrum(CellKind::SimpleRNN, R);
    QCOMPARE(b.size(), std::size_t(1));
    QCOMPARE(b[0].gate, std::string());
    QVERIFY(std::abs(b[0].radius - s) < 1e-12);
    QVERIFY(std::abs(std::abs(b[0].eigenvalues[0].imag()) - s * std::sin(th)) < 1e-12);
    QVERIFY(std::abs(b[0].eigenvalues[0].real() - s * std::cos(th)) < 1e-12);
    QVERIFY(std::abs(b[0].singularValues[0] - s) < 1e-12 && std::abs(b[0].singularValues[1] - s) < 1e-12);
    // An LSTM's four blocks, each diagonal: block k = diag(k + 1, −(k + 2), 0.5); a triangular block
    // has its diagonal as eigenvalues, but larger singular values.
    Eigen::MatrixXd U = Eigen::MatrixXd::Zero(3, 12);
    for (int k = 0; k < 4; ++k) {
        U(0, 3 * k) = k + 1;
        U(1, 3 * k + 1) = -(k + 2);
        U(2, 3 * k + 2) = 0.5;
    }
    U(0, 2) = 4; // block i: upper triangular
    b = recurrentSpectrum(CellKind::LSTM, U);
    QCOMPARE(b.size(), std::size_t(4));
    const char *names[] = {"i", "f", "c", "o"};
    for (int k = 0; k < 4; ++k) {
        QCOMPARE(b[k].gate, std::string(names[k]));
        QVERIFY(std::abs(b[k].radius - (k + 2)) < 1e-12);
        QVERIFY(std::abs(b[k].eigenvalues[0] - std::complex<double>(-(k + 2), 0)) < 1e-12);
        QVERIFY(std::abs(b[k].eigenvalues[2] - std::complex<double>(0.5, 0)) < 1e-12);
    }
    QVERIFY(b[0].singularValues[0] > 4); // ‖[[1, 0, 4], …]‖₂ > 4 > ρ = 2
    QVERIFY(std::abs(b[1].singularValues[0] - 3) < 1e-12);
    // Non-finite weights are shown as NaN, not refused.
    U(1, 4) = std::nan("");
    b = recurrentSpectrum(CellKind::LSTM, U);
    QVERIFY(std::isnan(b[1].radius) && std::isfinite(b[0].radius));
    QVERIFY_THROWS_EXCEPTION(Error, recurrentSpectrum(CellKind::GRU, U));
}

// A linear SimpleRNN: ∂h_{T−1}/∂h_t = (Uᵀ)^{T−1−t} exactly, so its Frobenius norm is known.
void TestGrad::linearJacobianIsAPowerOfTheKernel()
{
    using namespace rnnscope;
    ModelConfig cfg;
    cfg.dims = {2, 6, 3, 4, 2};
    cfg.dtype = DType::Float64;
    cfg.cell = Activation::Linear;
    Model model(cfg);
    std::mt19937_64 rng(5);
    std::normal_distribution<double> nd(0, 0.6);
    Weights w = model.weights();
    for (Eigen::Index i = 0; i < w.Wh.size(); ++i)
        w.Wh.data()[i] = nd(rng);
    model.setWeights(w);
    const std::vector<double> J = stateJacobianNorms(model, 1);
    QCOMPARE(J.size(), std::size_t(6));
    Eigen::MatrixXd P = Eigen::MatrixXd::Identity(4, 4);
    for (int t = 5; t >= 0; --t) {
        QVERIFY2(std::abs(J[t] - P.norm()) < 1e-12 * std::max(1.0, P.norm()), qPrintable(QString("t = %1: %2 vs %3").arg(t).arg(J[t]).arg(P.norm())));
        P = P * w.Wh.transpose();
    }
    QVERIFY_THROWS_EXCEPTION(Error, stateJacobianNorms(model, 2));
}

QTEST_APPLESS_MAIN(TestGrad)
#include "test_grad.moc"
