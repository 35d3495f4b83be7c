// Backpropagation through time against central finite differences of the loss, for every cell,
// both return_sequences modes, with and without a Dense layer, every loss (the crossentropies
// behind a sigmoid or softmax Dense), the activations; the loss itself against the engine's
// prediction; the probability clip; the refusal of a target of the wrong shape. The same gradients
// against PyTorch's autograd: tests/test_grad.py.

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

// A target the loss takes, drawn away from the output: the output plus noise (mse, mae),
// probabilities in [0, 1] (binary), a random distribution over each row (categorical), a class id
// of each row (sparse: one axis fewer).
NdArray targetFor(Model &m, std::uint64_t seed, Loss loss = Loss::MSE)
{
    NdArray y = m.prediction();
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> uniform;
    const std::size_t K = std::size_t(y.shape.back()), rows = y.values.size() / K;
    switch (loss) {
    case Loss::MSE:
    case Loss::MAE:
        for (double &v : y.values)
            v += normal(rng);
        break;
    case Loss::BinaryCrossentropy:
        for (double &v : y.values)
            v = uniform(rng);
        break;
    case Loss::CategoricalCrossentropy:
        for (std::size_t r = 0; r < rows; ++r) {
            double sum = 0;
            for (std::size_t k = 0; k < K; ++k)
                sum += (y.values[r * K + k] = uniform(rng));
            for (std::size_t k = 0; k < K; ++k)
                y.values[r * K + k] /= sum;
        }
        break;
    case Loss::SparseCategoricalCrossentropy:
        y.shape.pop_back();
        y.values.resize(rows);
        for (double &v : y.values)
            v = double(std::size_t(uniform(rng) * double(K)) % K);
        break;
    }
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
    void crossentropiesFollowKerasFormulas();
    void gradientIsZeroWhereTheClipHolds();
    void targetOfTheWrongShapeIsRefused();
    void lossNamesAndAliases();
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
    for (CellKind kind : {CellKind::SimpleRNN, CellKind::LSTM, CellKind::GRU})
        for (bool sequences : {false, true}) {
            const char *name = cellName(kind), *seq = sequences ? ", return_sequences" : "";
            QTest::addRow("%s%s, sigmoid, binary_crossentropy", name, seq)
                << configOf(kind, sequences, 3, Activation::Sigmoid) << Loss::BinaryCrossentropy;
            QTest::addRow("%s%s, softmax, categorical_crossentropy", name, seq)
                << configOf(kind, sequences, 3, Activation::Softmax) << Loss::CategoricalCrossentropy;
            QTest::addRow("%s%s, softmax, sparse_categorical_crossentropy", name, seq)
                << configOf(kind, sequences, 3, Activation::Softmax) << Loss::SparseCategoricalCrossentropy;
        }
}

// dL/dW of every element of every parameter against (L(w + ε) − L(w − ε)) / 2ε, in float64.
void TestGrad::gradientsEqualFiniteDifferences()
{
    QFETCH(ModelConfig, config);
    QFETCH(Loss, loss);
    Model model(config);
    const NdArray target = targetFor(model, 9, loss);
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

// The crossentropies of backprop's forward pass against Keras's formulas applied here to the
// engine's prediction: binary −mean(t·log p + (1 − t)·log(1 − p)) over every value; categorical
// −Σ_k t·log(y / Σ y) per row, the mean over the rows; sparse, the same with one-hot class ids.
void TestGrad::crossentropiesFollowKerasFormulas()
{
    for (CellKind kind : {CellKind::SimpleRNN, CellKind::LSTM, CellKind::GRU})
        for (bool sequences : {false, true}) {
            Model sig(configOf(kind, sequences, 3, Activation::Sigmoid)), soft(configOf(kind, sequences, 3, Activation::Softmax));
            const NdArray ys = sig.prediction(), yc = soft.prediction();
            const NdArray tb = targetFor(sig, 1, Loss::BinaryCrossentropy), tc = targetFor(soft, 2, Loss::CategoricalCrossentropy),
                          ti = targetFor(soft, 3, Loss::SparseCategoricalCrossentropy);
            const std::size_t K = 3, rows = ys.values.size() / K;
            double bce = 0, cce = 0, scce = 0;
            for (std::size_t r = 0; r < rows; ++r) {
                double sum = 0;
                for (std::size_t k = 0; k < K; ++k)
                    sum += yc.values[r * K + k];
                for (std::size_t k = 0; k < K; ++k) {
                    const double p = ys.values[r * K + k], t = tb.values[r * K + k];
                    bce -= t * std::log(p) + (1 - t) * std::log(1 - p);
                    cce -= tc.values[r * K + k] * std::log(yc.values[r * K + k] / sum);
                }
                scce -= std::log(yc.values[r * K + std::size_t(ti.values[r])] / sum);
            }
            bce /= double(rows * K);
            cce /= double(rows);
            scce /= double(rows);
            QVERIFY(std::abs(backprop(sig, tb, Loss::BinaryCrossentropy).loss - bce) < 1e-12);
            QVERIFY(std::abs(backprop(soft, tc, Loss::CategoricalCrossentropy).loss - cce) < 1e-12);
            QVERIFY(std::abs(backprop(soft, ti, Loss::SparseCategoricalCrossentropy).loss - scce) < 1e-12);
        }
}

// Where the clip to [1e-7, 1 − 1e-7] holds a probability, the loss is flat in it: its derivative is
// 0 there, as Keras's is; a step inside the clip moves the loss as the derivative says.
void TestGrad::gradientIsZeroWhereTheClipHolds()
{
    const LossSpec &bce = lossSpec(Loss::BinaryCrossentropy), &cce = lossSpec(Loss::CategoricalCrossentropy);
    const double y[3] = {1.0, 1e-9, 0.3}, t[3] = {0.0, 1.0, 0.4};
    double dy[3];
    const double L = bce.row(y, t, 3, dy);
    QCOMPARE(dy[0], 0.0);
    QCOMPARE(dy[1], 0.0);
    QVERIFY(std::abs(dy[2] - (-0.4 / 0.3 + 0.6 / 0.7)) < 1e-12);
    // log(1e-7) terms: t = 0 at p = 1 − 1e-7, t = 1 at p = 1e-7.
    QVERIFY(std::abs(L - (-std::log(1e-7) - std::log(1e-7) - (0.4 * std::log(0.3) + 0.6 * std::log(0.7)))) < 1e-9);
    // Categorical: q = (1 − 1e-12, 1e-12, 0): q₀ and q₁ clipped, q₂ = 0 clipped; every g_k is 0.
    const double yc[3] = {1 - 1e-12, 1e-12, 0}, tc[3] = {0.5, 0.5, 0};
    const double Lc = cce.row(yc, tc, 3, dy);
    QCOMPARE(dy[0], 0.0);
    QCOMPARE(dy[1], 0.0);
    QCOMPARE(dy[2], 0.0);
    QVERIFY(std::abs(Lc - (-0.5 * std::log(1 - 1e-7) - 0.5 * std::log(1e-7))) < 1e-9);
    // Inside the clip, the derivative of y / Σ y: finite differences of the row.
    const double yi[3] = {0.2, 0.5, 0.9}, ti[3] = {0.1, 0.6, 0.3};
    double di[3], scratch[3];
    cce.row(yi, ti, 3, di);
    for (int k = 0; k < 3; ++k) {
        double plus[3] = {yi[0], yi[1], yi[2]}, minus[3] = {yi[0], yi[1], yi[2]};
        plus[k] += 1e-6;
        minus[k] -= 1e-6;
        const double fd = (cce.row(plus, ti, 3, scratch) - cce.row(minus, ti, 3, scratch)) / 2e-6;
        QVERIFY2(std::abs(fd - di[k]) < 1e-7, qPrintable(QStringLiteral("k = %1: %2 vs %3").arg(k).arg(di[k]).arg(fd)));
    }
}

void TestGrad::lossNamesAndAliases()
{
    QCOMPARE(parseLoss("bce"), std::optional<Loss>(Loss::BinaryCrossentropy));
    QCOMPARE(parseLoss("binary_crossentropy"), std::optional<Loss>(Loss::BinaryCrossentropy));
    QCOMPARE(parseLoss("cce"), std::optional<Loss>(Loss::CategoricalCrossentropy));
    QCOMPARE(parseLoss("sparse_categorical_crossentropy"), std::optional<Loss>(Loss::SparseCategoricalCrossentropy));
    QCOMPARE(parseLoss("mean_squared_error"), std::optional<Loss>(Loss::MSE));
    QCOMPARE(parseLoss("hinge"), std::optional<Loss>());
    for (const LossSpec &s : lossSpecs())
        QCOMPARE(parseLoss(s.name), std::optional<Loss>(s.id));
    QCOMPARE(lossNames(), std::string("mse, mae, binary_crossentropy, categorical_crossentropy or sparse_categorical_crossentropy"));
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
    // Class ids have one axis fewer than the output, and are integers in 0 … K − 1.
    Model seq(configOf(CellKind::GRU, true, 3, Activation::Softmax));
    NdArray ids;
    ids.shape = {3, 5, 3};
    ids.values.assign(45, 0.0);
    try {
        backprop(seq, ids, Loss::SparseCategoricalCrossentropy);
        QFAIL("one-hot targets were taken as class ids");
    } catch (const Error &e) {
        QCOMPARE(e.kind(), ErrorKind::ShapeMismatch);
        QCOMPARE(std::string(e.what()), std::string("the target has shape (3, 5, 3), but the model outputs (N, T, K) = (3, 5, 3), "
                                                    "whose class ids sparse_categorical_crossentropy takes as shape (3, 5)"));
    }
    ids.shape = {3, 5, 1};
    ids.values.assign(15, 2.0);
    QVERIFY(backprop(seq, ids, Loss::SparseCategoricalCrossentropy).loss > 0); // (N, T, 1) as Keras takes it
    ids.values[7] = 3;
    try {
        backprop(seq, ids, Loss::SparseCategoricalCrossentropy);
        QFAIL("a class id past K − 1 was taken");
    } catch (const Error &e) {
        QCOMPARE(e.kind(), ErrorKind::OutOfRange);
        QCOMPARE(std::string(e.what()), std::string("the target's class id 3 (value 7) is not an integer in 0 … 2"));
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
    // σ_max of the whole (3, 12) kernel: its largest block's, 5, or more.
    QVERIFY(largestSingularValue(U) >= 5 - 1e-12);
    QVERIFY(std::abs(largestSingularValue(R) - s) < 1e-12);
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
