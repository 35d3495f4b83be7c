// Weight sets and inputs from files: every NumPy fixture loads as the manifest says (or is
// refused with its error kind), the Keras / named / PyTorch layouts are recognised and checked
// with messages that name the offending array, layouts round-trip, and X comes from .npy,
// .npz and .csv.

#include "common/error.h"
#include "io/networkfile.h"
#include "io/npy.h"
#include "io/weightfile.h"
#include "nn/weights.h"
#include "run/model.h"
#include "testsupport.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <random>

using namespace rnnscope;
using namespace testsupport;
using json = testsupport::Json;

namespace {

// The manifest's X in C order: all of (N, T, D), or the first sample's (T, D).
std::vector<double> manifestX(bool firstSampleOnly = false)
{
    const json &x = manifest()["model"]["X_float32"];
    return ndArrayOf(firstSampleOnly ? x[0] : x).values;
}

void compareWeights(const Weights &actual, const Weights &expected, double tolerance)
{
    QCOMPARE(shapeOf(actual.Wx), shapeOf(expected.Wx));
    QCOMPARE(shapeOf(actual.Wh), shapeOf(expected.Wh));
    QCOMPARE(shapeOf(actual.bh), shapeOf(expected.bh));
    QCOMPARE(actual.K(), expected.K());
    QCOMPARE(actual.hasDense(), expected.hasDense());
    QVERIFY(maxDifference(actual.Wx, expected.Wx) <= tolerance);
    QVERIFY(maxDifference(actual.Wh, expected.Wh) <= tolerance);
    QVERIFY(maxDifference(actual.bh, expected.bh) <= tolerance);
    if (expected.hasDense()) {
        QCOMPARE(shapeOf(actual.Wo), shapeOf(expected.Wo));
        QCOMPARE(shapeOf(actual.bo), shapeOf(expected.bo));
        QVERIFY(maxDifference(actual.Wo, expected.Wo) <= tolerance);
        QVERIFY(maxDifference(actual.bo, expected.bo) <= tolerance);
    }
}

NdArray arrayOf(std::vector<std::int64_t> shape, double start = 0.0, DType dtype = DType::Float32)
{
    NdArray a;
    a.shape = std::move(shape);
    a.dtype = dtype;
    a.values.resize(a.size());
    for (std::size_t i = 0; i < a.values.size(); ++i)
        a.values[i] = start + 0.125 * static_cast<double>(i);
    return a;
}

Weights randomWeights(int d, int m, int k, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    auto fill = [&](Eigen::MatrixXd &x, Eigen::Index r, Eigen::Index c) {
        x.resize(r, c);
        for (Eigen::Index i = 0; i < x.size(); ++i)
            x.data()[i] = u(rng);
    };
    Weights w;
    Eigen::MatrixXd b;
    fill(w.Wx, d, m);
    fill(w.Wh, m, m);
    fill(b, m, 1);
    w.bh = b.col(0);
    fill(w.Wo, m, k);
    fill(b, k, 1);
    w.bo = k > 0 ? Eigen::VectorXd(b.col(0)) : Eigen::VectorXd(0);
    return w;
}

void writeText(const std::string &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

// The arrays of each hand-made case of shapeAndLayoutErrors, by name.
NamedArrays caseArrays(const QString &name)
{
    const NdArray Wx = arrayOf({3, 5}), Wh = arrayOf({5, 5}), bh = arrayOf({5}), Wo = arrayOf({5, 2}), bo = arrayOf({2});
    auto t = [](std::vector<std::int64_t> s) { return arrayOf(std::move(s)); };
    const std::map<QString, std::function<NamedArrays()>> cases = {
        {"named Wh (5, 4)", [&] { return NamedArrays{{"kernel", Wx}, {"recurrent_kernel", t({5, 4})}, {"bias", bh}, {"dense_kernel", Wo}, {"dense_bias", bo}}; }},
        {"named Wh (4, 5)", [&] { return NamedArrays{{"kernel", Wx}, {"recurrent_kernel", t({4, 5})}, {"bias", bh}}; }},
        {"positional bias (4,)", [&] { return NamedArrays{{"arr_0", Wx}, {"arr_1", Wh}, {"arr_2", t({4})}, {"arr_3", Wo}, {"arr_4", bo}}; }},
        {"named dense (4, 2)", [&] { return NamedArrays{{"kernel", Wx}, {"recurrent_kernel", Wh}, {"bias", bh}, {"dense_kernel", t({4, 2})}, {"dense_bias", bo}}; }},
        {"named dense bias (3,)", [&] { return NamedArrays{{"kernel", Wx}, {"recurrent_kernel", Wh}, {"bias", bh}, {"dense_kernel", Wo}, {"dense_bias", t({3})}}; }},
        {"kernel rank 3", [&] { return NamedArrays{{"kernel", t({3, 5, 1})}, {"recurrent_kernel", Wh}, {"bias", bh}}; }},
        {"bias rank 2", [&] { return NamedArrays{{"arr_0", Wx}, {"arr_1", Wh}, {"arr_2", t({1, 5})}}; }},
        {"kernel (0, 5)", [&] { return NamedArrays{{"kernel", t({0, 5})}, {"recurrent_kernel", Wh}, {"bias", bh}}; }},
        {"missing recurrent_kernel", [&] { return NamedArrays{{"kernel", Wx}, {"bias", bh}, {"dense_kernel", Wo}, {"dense_bias", bo}}; }},
        {"missing bias", [&] { return NamedArrays{{"kernel", Wx}, {"recurrent_kernel", Wh}}; }},
        {"dense_kernel alone", [&] { return NamedArrays{{"kernel", Wx}, {"recurrent_kernel", Wh}, {"bias", bh}, {"dense_kernel", Wo}}; }},
        {"dense_bias alone", [&] { return NamedArrays{{"kernel", Wx}, {"recurrent_kernel", Wh}, {"bias", bh}, {"dense_bias", bo}}; }},
        {"unknown keys", [&] { return NamedArrays{{"foo", Wx}, {"bar", Wh}}; }},
        {"no arrays", [&] { return NamedArrays{}; }},
        {"only X", [&] { return NamedArrays{{"X", t({2, 4, 3})}}; }},
        {"positional gap", [&] { return NamedArrays{{"arr_0", Wx}, {"arr_2", bh}, {"arr_3", Wo}}; }},
        {"positional one", [&] { return NamedArrays{{"arr_0", Wx}}; }},
        {"positional four, no fit", [&] { return NamedArrays{{"arr_0", Wx}, {"arr_1", Wh}, {"arr_2", bh}, {"arr_3", bo}}; }},
        {"positional seven", [&] { NamedArrays a; for (int i = 0; i < 7; ++i) a.emplace_back("arr_" + std::to_string(i), bh); return a; }},
        {"LSTM kernel of another M", [&] { return NamedArrays{{"arr_0", t({3, 16})}, {"arr_1", t({5, 20})}, {"arr_2", t({20})}, {"arr_3", Wo}, {"arr_4", bo}}; }},
        {"LSTM bias of a SimpleRNN", [&] { return NamedArrays{{"arr_0", t({3, 20})}, {"arr_1", t({5, 20})}, {"arr_2", t({5})}}; }},
        {"GRU bias (3, 15)", [&] { return NamedArrays{{"kernel", t({3, 15})}, {"recurrent_kernel", t({5, 15})}, {"bias", t({3, 15})}}; }},
        {"GRU bias (2, 12)", [&] { return NamedArrays{{"kernel", t({3, 15})}, {"recurrent_kernel", t({5, 15})}, {"bias", t({2, 12})}}; }},
        {"recurrent kernel (5, 10)", [&] { return NamedArrays{{"kernel", t({3, 10})}, {"recurrent_kernel", t({5, 10})}, {"bias", t({10})}}; }},
        {"PyTorch LSTM bias (16,)", [&] { return NamedArrays{{"weight_ih_l0", t({20, 3})}, {"weight_hh_l0", t({20, 5})}, {"bias_ih_l0", t({16})}, {"bias_hh_l0", t({20})}}; }},
        {"PyTorch Whh (4, 5)", [&] { return NamedArrays{{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", t({4, 5})}, {"rnn.bias_ih_l0", bh}, {"rnn.bias_hh_l0", bh}}; }},
        {"PyTorch bias_hh (4,)", [&] { return NamedArrays{{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", Wh}, {"rnn.bias_ih_l0", bh}, {"rnn.bias_hh_l0", t({4})}}; }},
        {"PyTorch one bias", [&] { return NamedArrays{{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", Wh}, {"rnn.bias_ih_l0", bh}}; }},
        {"PyTorch no weight_hh", [&] { return NamedArrays{{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.bias_ih_l0", bh}, {"rnn.bias_hh_l0", bh}}; }},
        {"PyTorch Linear (2, 4)", [&] { return NamedArrays{{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", Wh}, {"fc.weight", t({2, 4})}, {"fc.bias", bo}}; }},
        {"PyTorch Linear bias (3,)", [&] { return NamedArrays{{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", Wh}, {"fc.weight", t({2, 5})}, {"fc.bias", t({3})}}; }},
        {"PyTorch two Linears", [&] { return NamedArrays{{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", Wh}, {"fc1.weight", t({8, 5})}, {"fc2.weight", t({2, 8})}}; }},
        {"PyTorch stacked", [&] { return NamedArrays{{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", Wh}, {"rnn.weight_ih_l1", t({5, 5})}, {"rnn.weight_hh_l1", Wh}}; }},
        {"PyTorch bidirectional", [&] { return NamedArrays{{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", Wh}, {"rnn.weight_ih_l0_reverse", t({5, 3})}, {"rnn.weight_hh_l0_reverse", Wh}}; }},
        {"PyTorch GRU of another D", [&] { return NamedArrays{{"gru.weight_ih_l0", t({12, 3})}, {"gru.weight_hh_l0", t({15, 5})}, {"gru.bias_ih_l0", t({15})}, {"gru.bias_hh_l0", t({15})}}; }},
        {"PyTorch two modules", [&] { return NamedArrays{{"a.weight_ih_l0", t({5, 3})}, {"a.weight_hh_l0", Wh}, {"b.weight_ih_l0", t({5, 3})}, {"b.weight_hh_l0", Wh}}; }},
        {"X with D=4", [&] { return NamedArrays{{"kernel", Wx}, {"recurrent_kernel", Wh}, {"bias", bh}, {"X", t({2, 4, 4})}}; }},
        {"X rank 4", [&] { return NamedArrays{{"arr_0", Wx}, {"arr_1", Wh}, {"arr_2", bh}, {"X", t({1, 2, 4, 3})}}; }},
    };
    const auto it = cases.find(name);
    if (it == cases.end())
        qFatal("no case %s", qPrintable(name));
    return it->second();
}

} // namespace

class TestWeightFile : public QObject {
    Q_OBJECT

private slots:
    void manifestNpz_data();
    void manifestNpz();
    void npyIsNotAWeightSet_data();
    void npyIsNotAWeightSet();
    void manifestInputs_data();
    void manifestInputs();
    void shapeAndLayoutErrors_data();
    void shapeAndLayoutErrors();
    void layouts_data();
    void layouts();
    void roundTrip_data();
    void roundTrip();
    void pytorchBiasesAreSummed();
    void extensionDispatch_data();
    void extensionDispatch();
    void inputFromArrayShapes_data();
    void inputFromArrayShapes();
    void csv_data();
    void csv();
    void inputFiles();
    void networks();
};

// ---- the manifest ------------------------------------------------------------------------------

void TestWeightFile::manifestNpz_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expect");
    QTest::addColumn<QString>("errorKind");
    const int rows = addManifestRows("npz", {"file", "expect", "error_kind"});
    QVERIFY(rows >= 15);
}

void TestWeightFile::manifestNpz()
{
    QFETCH(QString, file);
    QFETCH(QString, expect);
    QFETCH(QString, errorKind);
    const std::string path = kFixtures + file.toStdString();
    LoadedModel model;
    const auto error = errorOf([&] { model = loadWeightsFile(path); });
    if (expect == QLatin1String("refuse")) {
        QVERIFY2(error, "the file was loaded");
        qDebug("%s", error->what());
        QCOMPARE(kindOf(error), errorKind);
        QVERIFY(oneLine(*error));
        QVERIFY2(std::string(error->what()).rfind(path + ": ", 0) == 0, error->what());
        return;
    }
    QVERIFY2(!error, error ? error->what() : "");
    compareWeights(model.weights, manifestWeights(), 1e-7);
    QVERIFY(!model.layoutDescription.empty());
    QCOMPARE(model.dtype, file == QLatin1String("weights_named_f8.npz") ? DType::Float64 : DType::Float32);
    if (file == QLatin1String("weights_positional.npz"))
        QCOMPARE(model.layoutDescription, std::string("Keras get_weights() order (arr_0…arr_4)"));
    else
        QVERIFY(model.layoutDescription.rfind("named Keras keys", 0) == 0);
    QCOMPARE(model.input.has_value(), file == QLatin1String("model_and_input.npz"));
    if (model.input) {
        QCOMPARE(shapeString(model.input->shape), std::string("(2, 4, 3)"));
        const std::vector<double> x = manifestX();
        for (std::size_t i = 0; i < x.size(); ++i)
            QVERIFY(std::abs(model.input->values[i] - x[i]) <= 1e-7);
    }
    // The same arrays through weightsFromArrays give the same model.
    const LoadedModel again = weightsFromArrays(readNpz(path), file.toStdString());
    compareWeights(again.weights, model.weights, 0.0);
}

void TestWeightFile::npyIsNotAWeightSet_data()
{
    QTest::addColumn<QString>("file");
    for (const auto &f : manifest()["files"])
        if (f["kind"] == "npy")
            QTest::newRow(f["file"].get<std::string>().c_str()) << QString::fromStdString(f["file"].get<std::string>());
}

void TestWeightFile::npyIsNotAWeightSet()
{
    QFETCH(QString, file);
    const auto error = errorOf([&] { loadWeightsFile(kFixtures + file.toStdString()); });
    QCOMPARE(kindOf(error), QStringLiteral("bad_usage"));
    QVERIFY2(std::string(error->what()).find("a single .npy is not a weight set: save all weights with np.savez(") != std::string::npos,
             error->what());
}

// The manifest's .npy fixtures as input files: X and X_one_sample load; every file the manifest
// refuses (refuse, refuse_as_input) is refused with the manifest's error kind.
void TestWeightFile::manifestInputs_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expect");
    QTest::addColumn<QString>("role");
    QTest::addColumn<QString>("errorKind");
    for (const auto &f : manifest()["files"]) {
        const std::string role = f.value("role", "");
        if (f["kind"] == "npy" && (role == "X" || role == "X_one_sample" || f["expect"] != "load"))
            QTest::newRow(f["file"].get<std::string>().c_str()) << QString::fromStdString(f["file"].get<std::string>())
                                                                << QString::fromStdString(f["expect"].get<std::string>())
                                                                << QString::fromStdString(role)
                                                                << QString::fromStdString(f.value("error_kind", ""));
    }
    QTest::newRow("model_and_input.npz") << "model_and_input.npz" << "load" << "X" << "";
}

void TestWeightFile::manifestInputs()
{
    QFETCH(QString, file);
    QFETCH(QString, expect);
    QFETCH(QString, role);
    QFETCH(QString, errorKind);
    const std::string path = kFixtures + file.toStdString();
    const int D = manifest()["model"]["D"];
    NdArray x;
    const auto error = errorOf([&] { x = loadInputFile(path, D); });
    if (expect != QLatin1String("load")) // refused with the manifest's error kind, as input too
        QCOMPARE(kindOf(error), errorKind);
    if (expect == QLatin1String("refuse"))
        return;
    if (expect == QLatin1String("refuse_as_input")) {
        qDebug("%s", error->what());
        QVERIFY(oneLine(*error));
        QVERIFY2(std::string(error->what()).rfind(path + ": X has shape ", 0) == 0, error->what());
        QVERIFY2(std::string(error->what()).find("D=3 needs (N, T, 3)") != std::string::npos, error->what());
        // Without a model to fit, a rank-3 array is an input.
        if (file == QLatin1String("bad_X_feature_mismatch.npy"))
            QCOMPARE(shapeString(loadInputFile(path, -1).shape), std::string("(2, 4, 4)"));
        return;
    }
    QVERIFY2(!error, error ? error->what() : "");
    const bool one = role == QLatin1String("X_one_sample");
    QCOMPARE(shapeString(x.shape), std::string(one ? "(1, 4, 3)" : "(2, 4, 3)"));
    const std::vector<double> expected = manifestX(one);
    QCOMPARE(x.values.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        QVERIFY(std::abs(x.values[i] - expected[i]) <= 1e-7);
}

// ---- layouts and their errors ------------------------------------------------------------------

void TestWeightFile::shapeAndLayoutErrors_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("message"); // the message after "src: ", or a part of it ("…" marks a part)
    auto row = [](const char *name, const char *kind, const char *message) {
        QTest::newRow(name) << QString::fromLatin1(kind) << QString::fromUtf8(message);
    };
    row("named Wh (5, 4)", "shape_mismatch", "Wh (recurrent_kernel) has shape (5, 4), but M=5 needs (5, 5)");
    row("named Wh (4, 5)", "shape_mismatch", "Wh (recurrent_kernel) has shape (4, 5), but M=5 needs (5, 5)");
    row("positional bias (4,)", "shape_mismatch", "bh (arr_2) has shape (4,), but M=5 needs (5,)");
    row("named dense (4, 2)", "shape_mismatch", "Wo (dense_kernel) has shape (4, 2), but M=5 and K=2 needs (5, 2)");
    row("named dense bias (3,)", "shape_mismatch", "bo (dense_bias) has shape (3,), but K=2 needs (2,)");
    row("kernel rank 3", "shape_mismatch", "Wx (kernel) has shape (3, 5, 1), but needs rank 2: (D, gM)");
    row("bias rank 2", "shape_mismatch", "bh (arr_2) has shape (1, 5), but needs rank 1: (gM,)");
    row("kernel (0, 5)", "shape_mismatch", "Wx (kernel) has shape (0, 5): D and M must be at least 1");
    row("missing recurrent_kernel", "missing_array", "…has no 'recurrent_kernel' (Wh, shape (M, gM)): found kernel (3, 5), bias (5,), dense_kernel (5, 2), dense_bias (2,)");
    row("missing bias", "missing_array", "…has no 'bias'");
    row("dense_kernel alone", "missing_array", "has 'dense_kernel' but no 'dense_bias': the Dense layer needs both dense_kernel (M, K) and dense_bias (K,), or neither");
    row("dense_bias alone", "missing_array", "has 'dense_bias' but no 'dense_kernel'…");
    row("unknown keys", "missing_array", "no weight set among foo (3, 5), bar (5, 5): expected arr_0…arr_4…");
    row("no arrays", "missing_array", "holds no arrays…");
    row("only X", "missing_array", "holds only the input X (2, 4, 3), no weights…");
    row("positional gap", "missing_array", "arr_1 (Wh, the recurrent kernel (M, gM)) is missing…");
    row("positional one", "missing_array", "arr_1 (Wh, the recurrent kernel (M, gM)) is missing…");
    row("positional four, no fit", "missing_array", "arr_4 (bo, the Dense bias (K,)) is missing…");
    row("positional seven", "unsupported", "holds 7 positional arrays arr_0…arr_6…");
    row("LSTM kernel of another M", "shape_mismatch", "Wx (arr_0) has shape (3, 16), but M=5 (LSTM) needs (3, 20)");
    row("LSTM bias of a SimpleRNN", "shape_mismatch", "bh (arr_2) has shape (5,), but M=5 (LSTM) needs (20,)");
    row("GRU bias (3, 15)", "shape_mismatch", "bh (bias) has shape (3, 15), but the GRU's recurrent kernel (5, 15) needs (2, 15) (reset_after) or (15,)");
    row("GRU bias (2, 12)", "shape_mismatch", "bh (bias) has shape (2, 12), but the GRU's recurrent kernel (5, 15) needs (2, 15) (reset_after) or (15,)");
    row("recurrent kernel (5, 10)", "shape_mismatch", "Wh (recurrent_kernel) has shape (5, 10), but M=10 needs (10, 10)");
    row("PyTorch LSTM bias (16,)", "shape_mismatch", "bias_ih_l0 has shape (16,), but M=5 (nn.LSTM) needs (20,)");
    row("PyTorch Whh (4, 5)", "shape_mismatch", "rnn.weight_hh_l0 has shape (4, 5): expected (M, M) for nn.RNN, (4M, M) for nn.LSTM or (3M, M) for nn.GRU");
    row("PyTorch bias_hh (4,)", "shape_mismatch", "rnn.bias_hh_l0 has shape (4,), but M=5 (nn.RNN) needs (5,)");
    row("PyTorch one bias", "missing_array", "has no 'rnn.bias_hh_l0' (shape (gM,))…");
    row("PyTorch no weight_hh", "missing_array", "…no 'rnn.weight_hh_l0'…");
    row("PyTorch Linear (2, 4)", "shape_mismatch", "fc.weight has shape (2, 4), but M=5 (nn.RNN) needs (2, 5)");
    row("PyTorch Linear bias (3,)", "shape_mismatch", "fc.bias has shape (3,), but K=2 needs (2,)");
    row("PyTorch two Linears", "unsupported", "holds several Linear layers (fc1.weight (8, 5), fc2.weight (2, 8))…");
    row("PyTorch stacked", "unsupported", "rnn.weight_ih_l1 belongs to a stacked RNN…");
    row("PyTorch bidirectional", "unsupported", "…bidirectional…");
    row("PyTorch GRU of another D", "shape_mismatch", "gru.weight_ih_l0 has shape (12, 3), but M=5 (nn.GRU) needs (15, 3)");
    row("PyTorch two modules", "unsupported", "holds 2 RNN modules…");
    row("X with D=4", "shape_mismatch", "X has shape (2, 4, 4), but D=3 needs (N, T, 3)");
    row("X rank 4", "shape_mismatch", "X has shape (1, 2, 4, 3), but D=3 needs (N, T, 3) or (T, 3)");
}

void TestWeightFile::shapeAndLayoutErrors()
{
    QFETCH(QString, kind);
    QFETCH(QString, message);
    const NamedArrays arrays = caseArrays(QString::fromUtf8(QTest::currentDataTag()));
    const auto error = errorOf([&] { weightsFromArrays(arrays, "src"); });
    QVERIFY2(error, "accepted");
    qDebug("%s", error->what());
    QCOMPARE(kindOf(error), kind);
    QVERIFY(oneLine(*error));
    const std::string what = error->what();
    QVERIFY(what.rfind("src: ", 0) == 0);
    const std::string tail = what.substr(5);
    std::string expected = message.toStdString();
    const std::string ellipsis = "…";
    const bool startsOpen = expected.rfind(ellipsis, 0) == 0;
    const bool endsOpen = expected.size() >= ellipsis.size() && expected.compare(expected.size() - ellipsis.size(), ellipsis.size(), ellipsis) == 0;
    if (startsOpen)
        expected.erase(0, ellipsis.size());
    if (endsOpen)
        expected.erase(expected.size() - ellipsis.size());
    if (!startsOpen && !endsOpen)
        QCOMPARE(tail, expected);
    else if (!startsOpen)
        QVERIFY2(tail.rfind(expected, 0) == 0, what.c_str());
    else
        QVERIFY2(tail.find(expected) != std::string::npos, what.c_str());
}

void TestWeightFile::layouts_data()
{
    QTest::addColumn<QString>("layout"); // the description's beginning
    QTest::addColumn<int>("K");
    QTest::addColumn<QString>("note");   // a note that must be present ("" = none required)
    QTest::newRow("positional 5") << "Keras get_weights() order (arr_0…arr_4)" << 2 << "";
    QTest::newRow("positional 3") << "Keras get_weights() order (arr_0…arr_2)" << 0 << "";
    QTest::newRow("positional 4, Dense without bias") << "Keras get_weights() order (arr_0…arr_3)" << 2 << "Dense layer has no bias";
    QTest::newRow("positional 4, RNN without bias") << "Keras get_weights() order (arr_0…arr_3)" << 2 << "SimpleRNN has no bias";
    QTest::newRow("positional 2") << "Keras get_weights() order (arr_0…arr_1)" << 0 << "SimpleRNN has no bias";
    QTest::newRow("named without Dense") << "named Keras keys (kernel, recurrent_kernel, bias)" << 0 << "";
    QTest::newRow("named with extras") << "named Keras keys" << 2 << "ignored arrays: optimizer_state (3,)";
    QTest::newRow("PyTorch bare") << "PyTorch state_dict (weight_ih_l0, weight_hh_l0, weight, bias)" << 2 << "bh = bias_ih_l0 + bias_hh_l0";
    QTest::newRow("PyTorch nested prefix") << "PyTorch state_dict (module.rnn.weight_ih_l0" << 0 << "nonlinearity";
    QTest::newRow("PyTorch bias=False") << "PyTorch state_dict" << 2 << "the RNN has no biases";
    QTest::newRow("PyTorch Linear bias=False") << "PyTorch state_dict" << 2 << "the Linear layer has no bias";
    QTest::newRow("PyTorch with LayerNorm") << "PyTorch state_dict" << 2 << "ignored arrays: norm.weight (5,), norm.bias (5,)";
    QTest::newRow("float64 input X") << "named Keras keys" << 0 << "input X (1, 4, 3) loaded from the file";
}

void TestWeightFile::layouts()
{
    QFETCH(QString, layout);
    QFETCH(int, K);
    QFETCH(QString, note);
    const QString tag = QString::fromUtf8(QTest::currentDataTag());
    const NdArray Wx = arrayOf({3, 5}), Wh = arrayOf({5, 5}, 1), bh = arrayOf({5}, 2), Wo = arrayOf({5, 2}, 3), bo = arrayOf({2}, 4);
    const NdArray ih = arrayOf({5, 3}), linear = arrayOf({2, 5}, 3);
    NamedArrays arrays;
    if (tag == QLatin1String("positional 5"))
        arrays = {{"arr_0", Wx}, {"arr_1", Wh}, {"arr_2", bh}, {"arr_3", Wo}, {"arr_4", bo}};
    else if (tag == QLatin1String("positional 3"))
        arrays = {{"arr_0", Wx}, {"arr_1", Wh}, {"arr_2", bh}};
    else if (tag == QLatin1String("positional 4, Dense without bias"))
        arrays = {{"arr_0", Wx}, {"arr_1", Wh}, {"arr_2", bh}, {"arr_3", Wo}};
    else if (tag == QLatin1String("positional 4, RNN without bias"))
        arrays = {{"arr_0", Wx}, {"arr_1", Wh}, {"arr_2", Wo}, {"arr_3", bo}};
    else if (tag == QLatin1String("positional 2"))
        arrays = {{"arr_0", Wx}, {"arr_1", Wh}};
    else if (tag == QLatin1String("named without Dense"))
        arrays = {{"kernel", Wx}, {"recurrent_kernel", Wh}, {"bias", bh}};
    else if (tag == QLatin1String("named with extras"))
        arrays = {{"kernel", Wx}, {"recurrent_kernel", Wh}, {"bias", bh}, {"dense_kernel", Wo}, {"dense_bias", bo}, {"optimizer_state", arrayOf({3})}};
    else if (tag == QLatin1String("PyTorch bare"))
        arrays = {{"weight_ih_l0", ih}, {"weight_hh_l0", Wh}, {"bias_ih_l0", bh}, {"bias_hh_l0", bh}, {"weight", linear}, {"bias", bo}};
    else if (tag == QLatin1String("PyTorch nested prefix"))
        arrays = {{"module.rnn.weight_ih_l0", ih}, {"module.rnn.weight_hh_l0", Wh}, {"module.rnn.bias_ih_l0", bh}, {"module.rnn.bias_hh_l0", bh}};
    else if (tag == QLatin1String("PyTorch bias=False"))
        arrays = {{"rnn.weight_ih_l0", ih}, {"rnn.weight_hh_l0", Wh}, {"fc.weight", linear}, {"fc.bias", bo}};
    else if (tag == QLatin1String("PyTorch Linear bias=False"))
        arrays = {{"rnn.weight_ih_l0", ih}, {"rnn.weight_hh_l0", Wh}, {"rnn.bias_ih_l0", bh}, {"rnn.bias_hh_l0", bh}, {"fc.weight", linear}};
    else if (tag == QLatin1String("PyTorch with LayerNorm"))
        arrays = {{"rnn.weight_ih_l0", ih}, {"rnn.weight_hh_l0", Wh}, {"rnn.bias_ih_l0", bh}, {"rnn.bias_hh_l0", bh},
                  {"norm.weight", arrayOf({5})}, {"norm.bias", arrayOf({5})}, {"fc.weight", linear}, {"fc.bias", bo}};
    else if (tag == QLatin1String("float64 input X"))
        arrays = {{"X", arrayOf({4, 3}, 0, DType::Float64)}, {"kernel", Wx}, {"recurrent_kernel", Wh}, {"bias", bh}};
    const LoadedModel model = weightsFromArrays(arrays, "src");
    QVERIFY2(model.layoutDescription.rfind(layout.toStdString(), 0) == 0, model.layoutDescription.c_str());
    QCOMPARE(model.weights.D(), 3);
    QCOMPARE(model.weights.M(), 5);
    QCOMPARE(model.weights.K(), K);
    QCOMPARE(model.weights.hasDense(), K > 0);
    QCOMPARE(shapeOf(model.weights.Wo), shapeString({5, K}));
    QCOMPARE(model.weights.bo.size(), Eigen::Index(K));
    checkShapes(model.weights);
    if (!note.isEmpty()) {
        bool found = false;
        for (const std::string &n : model.notes)
            found = found || n.find(note.toStdString()) != std::string::npos;
        QVERIFY2(found, qPrintable(note));
    }
}

void TestWeightFile::roundTrip_data()
{
    QTest::addColumn<int>("layoutIndex");
    QTest::addColumn<int>("dtypeIndex");
    QTest::addColumn<int>("K");
    for (int layout : {0, 1})
        for (int dtype : {0, 1})
            for (int k : {0, 3}) {
                const QString name = QStringLiteral("%1 %2 K=%3").arg(layout == 0 ? "Keras" : "PyTorch", dtype == 0 ? "float32" : "float64").arg(k);
                QTest::newRow(qPrintable(name)) << layout << dtype << k;
            }
}

void TestWeightFile::roundTrip()
{
    QFETCH(int, layoutIndex);
    QFETCH(int, dtypeIndex);
    QFETCH(int, K);
    const Layout layout = layoutIndex == 0 ? Layout::Keras : Layout::PyTorch;
    const DType dtype = dtypeIndex == 0 ? DType::Float32 : DType::Float64;
    const Weights w = randomWeights(4, 6, K, 1234 + static_cast<std::uint64_t>(K));
    // In memory, at full precision: exactly equal (transposes and "+ 0" are exact).
    const LoadedModel direct = weightsFromArrays(weightsToArrays(w, layout, DType::Float64), "memory");
    compareWeights(direct.weights, w, 0.0);
    QVERIFY(direct.layoutDescription.rfind(layout == Layout::Keras ? "Keras get_weights() order" : "PyTorch state_dict", 0) == 0);
    // Through a file: float64 exact, float32 rounded once.
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("weights.npz")).toStdString();
    writeNpz(path, weightsToArrays(w, layout, dtype), dtype);
    const LoadedModel loaded = loadWeightsFile(path);
    QCOMPARE(loaded.dtype, dtype);
    compareWeights(loaded.weights, w, dtype == DType::Float64 ? 0.0 : 6e-8);
    // Written again from what was read, the file is byte-identical.
    const std::string again = dir.filePath(QStringLiteral("again.npz")).toStdString();
    writeNpz(again, weightsToArrays(loaded.weights, layout, dtype), dtype);
    std::ifstream a(path, std::ios::binary), b(again, std::ios::binary);
    QVERIFY(std::string(std::istreambuf_iterator<char>(a), {}) == std::string(std::istreambuf_iterator<char>(b), {}));
}

void TestWeightFile::pytorchBiasesAreSummed()
{
    const NdArray ih = arrayOf({5, 3}), hh = arrayOf({5, 5}, 1), bih = arrayOf({5}, 0.5, DType::Float64),
                  bhh = arrayOf({5}, -2, DType::Float64);
    const LoadedModel m = weightsFromArrays({{"rnn.weight_ih_l0", ih}, {"rnn.weight_hh_l0", hh}, {"rnn.bias_ih_l0", bih}, {"rnn.bias_hh_l0", bhh}}, "src");
    for (int j = 0; j < 5; ++j)
        QCOMPARE(m.weights.bh(j), bih.values[static_cast<std::size_t>(j)] + bhh.values[static_cast<std::size_t>(j)]);
    // Wx = weight_ihᵀ: Wx(i, j) = weight_ih[j][i].
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 5; ++j)
            QCOMPARE(m.weights.Wx(i, j), ih.values[static_cast<std::size_t>(j * 3 + i)]);
    QCOMPARE(m.dtype, DType::Float32); // the matrices were float32
}

// ---- files -------------------------------------------------------------------------------------

void TestWeightFile::extensionDispatch_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("create");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("mention");
    QTest::newRow("npy") << "w.npy" << true << "bad_usage" << "np.savez";
    QTest::newRow("h5") << "model.h5" << true << "bad_magic" << "neither an HDF5 file";
    QTest::newRow("hdf5") << "model.hdf5" << true << "bad_magic" << "neither an HDF5 file";
    QTest::newRow("keras") << "model.keras" << true << "bad_magic" << "neither an HDF5 file";
    QTest::newRow("txt") << "w.txt" << true << "unsupported" << "'.txt'";
    QTest::newRow("no extension") << "weights" << true << "unsupported" << "without an extension";
    QTest::newRow("missing npz") << "missing.npz" << false << "io" << "missing.npz";
    QTest::newRow("missing h5") << "missing.h5" << false << "io" << "no such file";
    QTest::newRow("upper-case NPZ") << "W.NPZ" << true << "load" << "";
    QTest::newRow("text as npz") << "fake.npz" << true << "not_zip" << "not a zip archive";
}

void TestWeightFile::extensionDispatch()
{
    QFETCH(QString, name);
    QFETCH(bool, create);
    QFETCH(QString, kind);
    QFETCH(QString, mention);
    QTemporaryDir dir;
    const std::string path = dir.filePath(name).toStdString();
    if (create) {
        if (kind == QLatin1String("load"))
            writeNpz(path, weightsToArrays(randomWeights(3, 5, 2, 1), Layout::Keras, DType::Float32), DType::Float32);
        else
            writeText(path, "this is not a weight file\n");
    }
    const auto error = errorOf([&] { loadWeightsFile(path); });
    QCOMPARE(kindOf(error), kind);
    if (error) {
        qDebug("%s", error->what());
        QVERIFY(oneLine(*error));
        QVERIFY2(std::string(error->what()).find(mention.toStdString()) != std::string::npos, error->what());
    }
    // A directory is never a weight file.
    QCOMPARE(kindOf(errorOf([&] { loadWeightsFile(dir.path().toStdString()); })), QStringLiteral("io"));
}

void TestWeightFile::inputFromArrayShapes_data()
{
    QTest::addColumn<QString>("shape");
    QTest::addColumn<int>("expectedD");
    QTest::addColumn<QString>("result"); // the shape of X, or the error message
    QTest::newRow("(N, T, D)") << "2,4,3" << 3 << "(2, 4, 3)";
    QTest::newRow("(T, D)") << "4,3" << 3 << "(1, 4, 3)";
    QTest::newRow("any D") << "2,4,7" << -1 << "(2, 4, 7)";
    QTest::newRow("D mismatch") << "2,4,4" << 3 << "X has shape (2, 4, 4), but D=3 needs (N, T, 3)";
    QTest::newRow("D mismatch (T, D)") << "4,4" << 3 << "X has shape (4, 4), but D=3 needs (T, 3)";
    QTest::newRow("rank 4") << "1,2,4,3" << 3 << "X has shape (1, 2, 4, 3), but D=3 needs (N, T, 3) or (T, 3)";
    QTest::newRow("rank 1") << "3" << -1 << "X has shape (3,), but an input needs (N, T, D) or (T, D)";
    QTest::newRow("scalar") << "" << 3 << "X has shape (), but D=3 needs (N, T, 3) or (T, 3)";
    QTest::newRow("no samples") << "0,4,3" << 3 << "X has shape (0, 4, 3), but N, T and D must be at least 1";
    QTest::newRow("no timesteps") << "1,0,3" << -1 << "X has shape (1, 0, 3), but N, T and D must be at least 1";
}

void TestWeightFile::inputFromArrayShapes()
{
    QFETCH(QString, shape);
    QFETCH(int, expectedD);
    QFETCH(QString, result);
    std::vector<std::int64_t> dims;
    for (const QString &d : shape.split(QLatin1Char(','), Qt::SkipEmptyParts))
        dims.push_back(d.toLongLong());
    const NdArray a = arrayOf(dims, 1, DType::Float64);
    NdArray x;
    const auto error = errorOf([&] { x = inputFromArray(a, expectedD); });
    if (result.startsWith(QLatin1Char('('))) {
        QVERIFY2(!error, error ? error->what() : "");
        QCOMPARE(shapeString(x.shape), result.toStdString());
        QVERIFY(x.values == a.values);
        QCOMPARE(x.dtype, DType::Float64);
    } else {
        QCOMPARE(kindOf(error), QStringLiteral("shape_mismatch"));
        QCOMPARE(std::string(error->what()), result.toStdString());
    }
}

void TestWeightFile::csv_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("result"); // "(T, D): v0 v1 …" or "kind: message part"
    QTest::newRow("plain") << "1,2,3\n4,5,6\n" << "(2, 3): 1 2 3 4 5 6";
    QTest::newRow("no final newline") << "1,2\n3,4" << "(2, 2): 1 2 3 4";
    QTest::newRow("comments and blanks") << "# X for one sample\n\n1, 2\n  # more\n3 ,4\n\n" << "(2, 2): 1 2 3 4";
    QTest::newRow("CRLF and BOM") << "\xEF\xBB\xBF" "1,2\r\n3,4\r\n" << "(2, 2): 1 2 3 4";
    QTest::newRow("column names") << "x0,x1\n1,2\n" << "(1, 2): 1 2";
    QTest::newRow("np.savetxt") << "1.000000000000000000e+00 -2.500000000000000000e-01\n3.0e+00 4.0e+00\n" << "(2, 2): 1 -0.25 3 4";
    QTest::newRow("one column") << "1\n2\n3\n" << "(3, 1): 1 2 3";
    QTest::newRow("nan and inf") << "nan,inf,-inf,+1.5,NaN,-Infinity,1e999,-1e-999\n" << "(1, 8): nan inf -inf 1.5 nan -inf inf -0";
    QTest::newRow("ragged") << "1,2,3\n4,5,6\n7,8\n" << "shape_mismatch: line 3 has 2 values, but line 1 has 3 (expected T lines of D comma-separated numbers)";
    QTest::newRow("ragged after header") << "a,b\n# c\n1,2\n3\n" << "shape_mismatch: line 4 has 1 value, but line 3 has 2";
    QTest::newRow("not a number") << "1,2\n3,abc\n" << "bad_usage: line 2, column 2: 'abc' is not a number";
    QTest::newRow("empty value") << "1,2,\n" << "bad_usage: line 1, column 3: empty value";
    QTest::newRow("two header lines") << "a,b\nc,d\n1,2\n" << "bad_usage: line 2, column 1: 'c' is not a number";
    QTest::newRow("hex") << "0x10,1\n" << "bad_usage: line 1, column 1: '0x10' is not a number";
    QTest::newRow("empty") << "" << "missing_array: holds no numbers";
    QTest::newRow("only comments") << "# nothing\n\n" << "missing_array: holds no numbers";
}

void TestWeightFile::csv()
{
    QFETCH(QString, text);
    QFETCH(QString, result);
    NdArray a;
    const auto error = errorOf([&] { a = parseInputCsv(text.toStdString(), "x.csv"); });
    if (result.startsWith(QLatin1Char('('))) {
        QVERIFY2(!error, error ? error->what() : "");
        const QString shape = result.section(QStringLiteral(": "), 0, 0);
        QCOMPARE(QString::fromStdString(shapeString(a.shape)), shape);
        QCOMPARE(a.dtype, DType::Float64);
        const QStringList values = result.section(QStringLiteral(": "), 1).split(QLatin1Char(' '));
        QCOMPARE(a.values.size(), std::size_t(values.size()));
        for (std::size_t i = 0; i < a.values.size(); ++i) {
            const QString v = values[static_cast<qsizetype>(i)];
            const double e = v == QLatin1String("nan") ? std::nan("") : v == QLatin1String("inf") ? INFINITY : v == QLatin1String("-inf") ? -INFINITY : v.toDouble();
            QVERIFY2(std::isnan(e) ? std::isnan(a.values[i]) : (a.values[i] == e && std::signbit(a.values[i]) == std::signbit(e)), qPrintable(v));
        }
    } else {
        QVERIFY(error);
        qDebug("%s", error->what());
        QCOMPARE(kindOf(error), result.section(QStringLiteral(": "), 0, 0));
        QVERIFY(oneLine(*error));
        const std::string part = "x.csv: " + result.section(QStringLiteral(": "), 1).toStdString();
        QVERIFY2(std::string(error->what()).rfind(part, 0) == 0, error->what());
    }
}

void TestWeightFile::inputFiles()
{
    QTemporaryDir dir;
    auto path = [&](const char *name) { return dir.filePath(QString::fromLatin1(name)).toStdString(); };
    // .csv: one sample, checked against D, errors name the file.
    writeText(path("x.csv"), "# t, d\n1,2,3\n4,5,6\n7,8,9\n10,11,12\n");
    const NdArray x = loadInputFile(path("x.csv"), 3);
    QCOMPARE(shapeString(x.shape), std::string("(1, 4, 3)"));
    QCOMPARE(x.values.back(), 12.0);
    auto mismatch = errorOf([&] { loadInputFile(path("x.csv"), 2); });
    QCOMPARE(kindOf(mismatch), QStringLiteral("shape_mismatch"));
    QCOMPARE(std::string(mismatch->what()), path("x.csv") + ": X has shape (4, 3), but D=2 needs (T, 2)");
    writeText(path("ragged.csv"), "1,2,3\n4,5\n");
    auto ragged = errorOf([&] { loadInputFile(path("ragged.csv"), 3); });
    QCOMPARE(kindOf(ragged), QStringLiteral("shape_mismatch"));
    QVERIFY2(std::string(ragged->what()).find("line 2 has 2 values") != std::string::npos, ragged->what());
    // .npz: "X", or the only array; several arrays without X are refused.
    NdArray three = arrayOf({2, 4, 3}, 0, DType::Float64);
    writeNpz(path("only.npz"), {{"arr_0", three}}, DType::Float64);
    QCOMPARE(shapeString(loadInputFile(path("only.npz"), 3).shape), std::string("(2, 4, 3)"));
    writeNpz(path("two.npz"), {{"a", three}, {"b", three}}, DType::Float64);
    auto two = errorOf([&] { loadInputFile(path("two.npz"), 3); });
    QCOMPARE(kindOf(two), QStringLiteral("missing_array"));
    QVERIFY2(std::string(two->what()).find("has no array 'X'") != std::string::npos, two->what());
    // .npy written by us, with NaN: accepted and kept.
    three.values[5] = std::nan("");
    writeNpy(path("x.npy"), three, DType::Float32);
    const NdArray back = loadInputFile(path("x.npy"), 3);
    QVERIFY(std::isnan(back.values[5]));
    QCOMPARE(back.dtype, DType::Float32);
    // Other extensions, missing files, directories.
    writeText(path("x.json"), "[]");
    QCOMPARE(kindOf(errorOf([&] { loadInputFile(path("x.json"), 3); })), QStringLiteral("unsupported"));
    QCOMPARE(kindOf(errorOf([&] { loadInputFile(path("missing.npy"), 3); })), QStringLiteral("io"));
    QCOMPARE(kindOf(errorOf([&] { loadInputFile(dir.path().toStdString(), 3); })), QStringLiteral("io"));
}

QTEST_APPLESS_MAIN(TestWeightFile)
// networkFromArrays (io/networkfile.h): a stack's get_weights() arrays and PyTorch's _l1 / _reverse
// names open as networks, a single layer's layouts do not (weightsFromArrays opens them), and a
// network written in either layout reads back as itself.
void TestWeightFile::networks()
{
    auto t = [](std::vector<std::int64_t> s) { return arrayOf(std::move(s)); };
    QVERIFY(!networkFromArrays({{"arr_0", t({3, 20})}, {"arr_1", t({5, 20})}, {"arr_2", t({20})}, {"arr_3", t({5, 2})}, {"arr_4", t({2})}}, "one"));
    QVERIFY(!networkFromArrays({{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", t({5, 5})}}, "one"));
    QVERIFY(!networkFromArrays({{"kernel", t({3, 5})}, {"recurrent_kernel", t({5, 5})}, {"bias", t({5})}}, "one"));

    const auto stacked = networkFromArrays({{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", t({5, 5})},
                                            {"rnn.weight_ih_l1", t({5, 5})}, {"rnn.weight_hh_l1", t({5, 5})}}, "src");
    QVERIFY(stacked);
    QCOMPARE(stackText(stacked->layers), std::string("simplernn 5 seq, simplernn 5"));
    QCOMPARE(stacked->K(), 0);
    const auto bi = networkFromArrays({{"gru.weight_ih_l0", t({15, 3})}, {"gru.weight_hh_l0", t({15, 5})},
                                       {"gru.weight_ih_l0_reverse", t({15, 3})}, {"gru.weight_hh_l0_reverse", t({15, 5})},
                                       {"head.weight", t({2, 10})}, {"head.bias", t({2})}}, "src");
    QVERIFY(bi);
    QCOMPARE(stackText(bi->layers), std::string("bi gru 5"));
    QCOMPARE(bi->K(), 2);
    QCOMPARE(kindOf(errorOf([&] {
                 networkFromArrays({{"rnn.weight_ih_l0", t({5, 3})}, {"rnn.weight_hh_l0", t({5, 5})},
                                    {"rnn.weight_ih_l0_reverse", t({5, 3})}}, "src");
             })),
             QStringLiteral("missing_array"));

    // pytorchKey builds the names the readers look for and the writers write.
    QCOMPARE(pytorchKey("rnn.", "weight_ih", 1, true), std::string("rnn.weight_ih_l1_reverse"));
    QCOMPARE(pytorchKey("", "bias_hh"), std::string("bias_hh_l0"));

    // A gap in the _l{k} keys, or a _reverse for only some layers or parameters, is refused naming
    // the key missing (not opened as the layers below the gap with the rest ignored).
    const auto refusal = [](const NamedArrays &arrays) {
        const auto e = errorOf([&] { networkFromArrays(arrays, "src"); });
        return e ? kindOf(e) + QStringLiteral(": ") + QString::fromStdString(e->what()) : QStringLiteral("opened");
    };
    const NdArray ih = t({5, 3}), hh = t({5, 5}), ih5 = t({5, 5}), b = t({5});
    QString why = refusal({{"rnn.weight_ih_l0", ih}, {"rnn.weight_hh_l0", hh}, {"rnn.weight_ih_l2", ih5}, {"rnn.weight_hh_l2", hh}});
    QVERIFY2(why.startsWith("missing_array") && why.contains("'rnn.weight_ih_l1'") && why.contains("rnn.weight_ih_l2"), qPrintable(why));
    why = refusal({{"weight_ih_l0", ih}, {"weight_hh_l0", hh}, {"weight_ih_l1", ih5}, {"weight_hh_l1", hh}, {"bias_ih_l1_reverse", b}});
    QVERIFY2(why.startsWith("missing_array") && why.contains("'weight_ih_l0_reverse'") && why.contains("bias_ih_l1_reverse"), qPrintable(why));
    why = refusal({{"rnn.weight_ih_l0", ih}, {"rnn.weight_hh_l0", hh}, {"rnn.weight_ih_l0_reverse", ih}, {"rnn.weight_hh_l0_reverse", hh},
                   {"rnn.weight_ih_l1", t({5, 10})}, {"rnn.weight_hh_l1", hh}});
    QVERIFY2(why.startsWith("missing_array") && why.contains("'rnn.weight_ih_l1_reverse'"), qPrintable(why));
    // Messages about a layer above the first name the file's keys, not the first layer's names.
    why = refusal({{"rnn.weight_ih_l0", ih}, {"rnn.weight_hh_l0", hh}, {"rnn.bias_ih_l0", b}, {"rnn.bias_hh_l0", b},
                   {"rnn.weight_ih_l1", ih5}, {"rnn.weight_hh_l1", hh}, {"rnn.bias_ih_l1", t({4})}, {"rnn.bias_hh_l1", b}});
    QVERIFY2(why.startsWith("shape_mismatch") && why.contains("rnn.bias_ih_l1 has shape (4,)"), qPrintable(why));
    why = refusal({{"rnn.weight_ih_l0", ih}, {"rnn.weight_hh_l0", hh}, {"rnn.bias_ih_l0", b}, {"rnn.bias_hh_l0", b},
                   {"rnn.weight_ih_l1", ih5}, {"rnn.weight_hh_l1", hh}, {"rnn.bias_ih_l1", b}});
    QVERIFY2(why.startsWith("missing_array") && why.contains("'rnn.bias_hh_l1'") && !why.contains("'bias_hh_l0'"), qPrintable(why));

    // Without a module prefix the Linear is read too, as "weight"/"bias" or under a name of its own,
    // the same reader as one layer's (bias=False noted).
    for (const char *q : {"", "fc."}) {
        const std::string w = std::string(q) + "weight", bias = std::string(q) + "bias";
        const auto bare = networkFromArrays({{"weight_ih_l0", ih}, {"weight_hh_l0", hh}, {"weight_ih_l1", ih5}, {"weight_hh_l1", hh},
                                             {w, t({2, 5})}, {bias, t({2})}}, "src");
        QVERIFY(bare);
        QCOMPARE(bare->K(), 2);
        QCOMPARE(maxDifference(bare->weights.Wo, matrixFromArray(t({2, 5})).transpose()), 0.0);
        QCOMPARE(maxDifference(bare->weights.bo, vectorFromArray(t({2}))), 0.0);
        for (const std::string &note : bare->notes)
            QVERIFY2(note.find("ignored") == std::string::npos, note.c_str());
    }
    const auto noBias = networkFromArrays({{"weight_ih_l0", ih}, {"weight_hh_l0", hh}, {"weight_ih_l1", ih5}, {"weight_hh_l1", hh},
                                           {"weight", t({2, 5})}}, "src");
    QVERIFY(noBias && noBias->K() == 2);
    QVERIFY(std::any_of(noBias->notes.begin(), noBias->notes.end(),
                        [](const std::string &n) { return n.find("the Linear layer has no bias") != std::string::npos; }));
    why = refusal({{"weight_ih_l0", ih}, {"weight_hh_l0", hh}, {"weight_ih_l1", ih5}, {"weight_hh_l1", hh}, {"weight", t({2, 4})}});
    QVERIFY2(why.startsWith("shape_mismatch") && why.contains("weight has shape (2, 4)") && why.contains("5 features"), qPrintable(why));

    // Written in Keras's order and in PyTorch's names, a stack reads back as itself.
    NetworkConfig c;
    c.D = 3;
    c.K = 2;
    c.dtype = DType::Float64;
    c.layers = parseStack("lstm 6 seq, lstm 6 seq, lstm 6");
    const NetworkWeights w = initialNetworkWeights(c);
    for (const Layout layout : {Layout::Keras, Layout::PyTorch}) {
        const auto back = networkFromArrays(networkWeightsToArrays(w, c, layout), "memory");
        QVERIFY(back);
        QCOMPARE(back->layers, c.layers);
        QCOMPARE(back->dtype, DType::Float64);
        for (std::size_t l = 0; l < c.layers.size(); ++l) {
            QCOMPARE(maxDifference(back->weights.layers[l][0].Wx, w.layers[l][0].Wx), 0.0);
            QVERIFY(maxDifference(back->weights.layers[l][0].bh, w.layers[l][0].bh) < 1e-15);
        }
        QCOMPARE(maxDifference(back->weights.Wo, w.Wo), 0.0);
    }
}

#include "test_weightfile.moc"
