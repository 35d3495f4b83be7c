// Interoperability with NumPy itself, both ways:
//   rnnscope → NumPy: the .npy / .npz files rnnscope writes load in np.load with the same
//     values, byte-identical to np.save, with Keras get_weights() order and PyTorch names;
//   NumPy → rnnscope: files np.save / np.savez / np.savez_compressed / write_array write
//     (Fortran order, big-endian, versions 2.0 and 3.0, scalars, empty arrays) load here.
// tests/interop_numpy.py does the NumPy side; it runs under RNNSCOPE_PYTHON.

#include "common/error.h"
#include "io/npy.h"
#include "io/weightfile.h"
#include "nn/weights.h"

#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

using namespace rnnscope;
using json = nlohmann::ordered_json;

namespace {

// NaN and ±Inf have no JSON number: they travel as strings.
json jsonValue(double v)
{
    if (std::isnan(v))
        return "nan";
    if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
    return v;
}

double fromJson(const json &v)
{
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (s == "nan")
            return std::numeric_limits<double>::quiet_NaN();
        return s == "inf" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    }
    return v.get<double>();
}

// What the file holds once stored as `dtype`: values rounded to float32 if need be.
json describe(const NdArray &a, DType dtype)
{
    json values = json::array();
    for (double v : a.values)
        values.push_back(jsonValue(dtype == DType::Float32 ? static_cast<double>(static_cast<float>(v)) : v));
    return {{"descr", dtype == DType::Float32 ? "<f4" : "<f8"}, {"shape", a.shape}, {"values", values}};
}

bool sameValue(double a, double b)
{
    if (std::isnan(a) || std::isnan(b))
        return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

NdArray randomArray(std::vector<std::int64_t> shape, std::mt19937_64 &rng)
{
    std::normal_distribution<double> normal;
    NdArray a;
    a.shape = std::move(shape);
    a.values.resize(a.size());
    for (double &v : a.values)
        v = normal(rng);
    return a;
}

Weights randomWeights(int d, int m, int k, std::mt19937_64 &rng)
{
    Weights w;
    w.Wx = Eigen::MatrixXd::NullaryExpr(d, m, [&] { return std::normal_distribution<double>()(rng); });
    w.Wh = Eigen::MatrixXd::NullaryExpr(m, m, [&] { return std::normal_distribution<double>()(rng); });
    w.bh = Eigen::VectorXd::NullaryExpr(m, [&] { return std::normal_distribution<double>()(rng); });
    w.Wo = Eigen::MatrixXd::NullaryExpr(m, k, [&] { return std::normal_distribution<double>()(rng); });
    w.bo = Eigen::VectorXd::NullaryExpr(k, [&] { return std::normal_distribution<double>()(rng); });
    return w;
}

} // namespace

class TestNpyInterop : public QObject {
    Q_OBJECT

private slots:
    void numpyReadsWhatWeWriteAndViceVersa();
};

void TestNpyInterop::numpyReadsWhatWeWriteAndViceVersa()
{
    const QString python = QStringLiteral(RNNSCOPE_PYTHON);
    const QString script = QStringLiteral(RNNSCOPE_SOURCE_DIR "/tests/interop_numpy.py");
    // Python and NumPy are installed by scripts/install-deps.sh: without them this check fails (a
    // skip would pass unseen in CTest).
    QVERIFY2(QFileInfo::exists(python), qPrintable(python + QStringLiteral(" does not exist: scripts/install-deps.sh installs it")));
    QVERIFY2(QFileInfo::exists(script), qPrintable(script));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto path = [&](const std::string &name) { return dir.filePath(QString::fromStdString(name)).toStdString(); };

    std::mt19937_64 rng(2024);
    json expected = {{"npy", json::array()}, {"npz", json::array()}, {"pairs", json::array()}};

    // ---- rnnscope writes ----
    NdArray X = randomArray({2, 4, 3}, rng);
    const double specials[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(), -0.0, 1e-40, 3.4e38, 5e-324, 1.0 / 3.0};
    for (std::size_t i = 0; i < std::size(specials); ++i)
        X.values[i * 3] = specials[i];
    struct NpyCase {
        std::string file;
        NdArray array;
    };
    NdArray scalar;
    scalar.values = {-2.75};
    NdArray empty;
    empty.shape = {0, 5};
    std::vector<NpyCase> npys = {
        {"X", X},
        {"scalar", scalar},
        {"empty", empty},
        {"vector", randomArray({7}, rng)},
        {"rank5", randomArray({2, 1, 3, 1, 2}, rng)},
        {"long_axis", randomArray({123457}, rng)},
        {"wide", randomArray({3, 1000}, rng)},
    };
    for (const NpyCase &c : npys)
        for (DType dtype : {DType::Float32, DType::Float64}) {
            const std::string file = c.file + (dtype == DType::Float32 ? "_f4.npy" : "_f8.npy");
            writeNpy(path(file), c.array, dtype);
            json d = describe(c.array, dtype);
            d["file"] = file;
            expected["npy"].push_back(d);
        }

    struct WeightCase {
        int d, m, k;
    };
    for (const WeightCase wc : {WeightCase{3, 5, 2}, WeightCase{4, 7, 0}, WeightCase{1, 1, 1}}) {
        const Weights w = randomWeights(wc.d, wc.m, wc.k, rng);
        for (DType dtype : {DType::Float32, DType::Float64}) {
            const std::string suffix = "_" + std::to_string(wc.d) + "_" + std::to_string(wc.m) + "_" + std::to_string(wc.k) +
                                       (dtype == DType::Float32 ? "_f4.npz" : "_f8.npz");
            json pair;
            for (Layout layout : {Layout::Keras, Layout::PyTorch}) {
                const std::string layoutName = layout == Layout::Keras ? "keras" : "pytorch";
                const std::string file = layoutName + suffix;
                const NamedArrays arrays = weightsToArrays(w, layout, dtype);
                writeNpz(path(file), arrays, dtype);
                json entry = {{"file", file}, {"layout", layoutName}, {"dims", {wc.d, wc.m, wc.k}}, {"descr", dtype == DType::Float32 ? "<f4" : "<f8"}};
                entry["keys"] = json::array();
                entry["arrays"] = json::object();
                for (const auto &[key, a] : arrays) {
                    entry["keys"].push_back(key);
                    entry["arrays"][key] = describe(a, dtype);
                }
                expected["npz"].push_back(entry);
                pair[layoutName] = file;
            }
            expected["pairs"].push_back(pair);
        }
    }
    // An .npz that carries an input as well, as np.savez(X=X, kernel=…) would.
    {
        const Weights w = randomWeights(3, 5, 2, rng);
        NamedArrays arrays = {{"kernel", arrayFromMatrix(w.Wx, DType::Float32)},
                              {"recurrent_kernel", arrayFromMatrix(w.Wh, DType::Float32)},
                              {"bias", arrayFromVector(w.bh, DType::Float32)},
                              {"X", X}};
        writeNpz(path("named_with_X.npz"), arrays, DType::Float32);
        json entry = {{"file", "named_with_X.npz"}, {"layout", "named"}, {"dims", {3, 5, 0}}, {"descr", "<f4"}};
        entry["keys"] = json::array();
        for (const auto &[key, a] : arrays) {
            entry["keys"].push_back(key);
            entry["arrays"][key] = describe(a, DType::Float32);
        }
        expected["npz"].push_back(entry);
    }
    {
        std::ofstream out(path("expected.json"));
        out << expected.dump(1);
    }

    // ---- NumPy checks them, and writes its own ----
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(python, {script, dir.path()});
    QVERIFY2(process.waitForStarted(30000), qPrintable(process.errorString()));
    QVERIFY2(process.waitForFinished(300000), "the NumPy script did not finish");
    const QString output = QString::fromUtf8(process.readAll());
    qDebug("%s", qPrintable(output.trimmed()));
    QVERIFY2(process.exitCode() != 77, "NumPy is not installed for " RNNSCOPE_PYTHON ": scripts/install-deps.sh installs it");
    QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0, qPrintable(output));

    // ---- rnnscope reads what NumPy wrote ----
    std::ifstream in(path("from_numpy/expected.json"));
    QVERIFY(in.good());
    const json fromNumpy = json::parse(in);
    int checked = 0;
    auto compare = [&](const NdArray &a, const json &e, const std::string &what) {
        QCOMPARE(a.shape, e["shape"].get<std::vector<std::int64_t>>());
        QCOMPARE(std::string(dtypeName(a.dtype)), e["dtype"].get<std::string>());
        QCOMPARE(a.values.size(), e["values"].size());
        for (std::size_t i = 0; i < a.values.size(); ++i)
            QVERIFY2(sameValue(a.values[i], fromJson(e["values"][i])), qPrintable(QString::fromStdString(what) + QStringLiteral(" value %1").arg(i)));
        ++checked;
    };
    for (const auto &e : fromNumpy["npy"]) {
        const std::string file = e["file"];
        compare(readNpy(path("from_numpy/" + file)), e, file);
    }
    for (const auto &e : fromNumpy["npz"]) {
        const std::string file = e["file"];
        const NamedArrays arrays = readNpz(path("from_numpy/" + file));
        std::vector<std::string> keys;
        for (const auto &[k, a] : arrays)
            keys.push_back(k);
        QCOMPARE(keys, e["keys"].get<std::vector<std::string>>());
        for (const auto &[k, a] : arrays)
            compare(a, e["arrays"][k], file + ":" + k);
        if (e.contains("dims")) {
            const LoadedModel model = loadWeightsFile(path("from_numpy/" + file));
            QCOMPARE(model.weights.D(), e["dims"][0].get<int>());
            QCOMPARE(model.weights.M(), e["dims"][1].get<int>());
            QCOMPARE(model.weights.K(), e["dims"][2].get<int>());
        }
    }
    // The Keras and PyTorch spellings of the same weights NumPy wrote are the same model.
    const LoadedModel keras = loadWeightsFile(path("from_numpy/savez_positional.npz"));
    const LoadedModel torch = loadWeightsFile(path("from_numpy/torch_state_dict.npz"));
    QVERIFY((keras.weights.Wx - torch.weights.Wx).cwiseAbs().maxCoeff() == 0.0);
    QVERIFY((keras.weights.Wh - torch.weights.Wh).cwiseAbs().maxCoeff() == 0.0);
    QVERIFY((keras.weights.bh - torch.weights.bh).cwiseAbs().maxCoeff() <= 1e-15);
    QVERIFY((keras.weights.Wo - torch.weights.Wo).cwiseAbs().maxCoeff() == 0.0);
    QVERIFY(checked >= 15);
}

QTEST_APPLESS_MAIN(TestNpyInterop)
#include "test_npy_interop.moc"
