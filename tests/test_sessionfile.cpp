// The session file (core/io/sessionfile.h): a round trip keeps every value bit for bit (NaN, ±Inf,
// −0.0, subnormals included), every refusal names its field in one line, sizes are refused before
// anything is allocated, and no truncation or damaged byte makes the reader crash.

#include "common/error.h"
#include "io/sessionfile.h"
#include "run/model.h"
#include "testsupport.h"

#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

Q_DECLARE_METATYPE(rnnscope::Dims)

using namespace rnnscope;
using testsupport::errorOf;
using testsupport::Json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The values a file must keep exactly: signed zeros, the extremes, subnormals, non-finite values,
// and numbers whose shortest decimal form has 17 digits.
const double kSpecial[] = {-0.0, 0.0, kNaN, kInf, -kInf, std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::denorm_min(), -std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
                           0.1, 1.0 / 3.0, 1e22, -1e-300, 123456789012345678.0, 2.0, 0.30000000000000004};

SessionData sampleSession(const Dims &dims, DType dtype, bool sequences, std::uint64_t seed)
{
    ModelConfig config;
    config.dims = dims;
    config.dtype = dtype;
    config.returnSequences = sequences;
    config.seed = seed;
    config.cell = Activation::Relu;
    config.dense = dims.K > 0 ? Activation::Softmax : Activation::Linear;
    config.init = InitSpec{InitScheme::Uniform, 0.3};
    Model model(config);
    model.randomizeWeights();
    SessionData data;
    data.model = model.state();
    data.timestep = dims.T - 1;
    data.sample = dims.N - 1;
    data.view.layout = Layout::PyTorch;
    data.view.units = {dims.M - 1, 0};
    data.view.presentation = true;
    return data;
}

// Every special value somewhere in each weight and in X.
void plantSpecialValues(SessionData &data)
{
    Weights &w = data.model.weights;
    int i = 0;
    for (double v : kSpecial) {
        w.Wx.data()[i % w.Wx.size()] = v;
        w.Wh.data()[(i * 7) % w.Wh.size()] = v;
        data.model.X.data()[(i * 3) % data.model.X.size()] = v;
        ++i;
    }
    w.bh(0) = -0.0;
    w.bh(w.bh.size() - 1) = kNaN;
    if (w.bo.size() > 0) {
        w.bo(0) = -kInf;
        w.Wo(0, 0) = std::numeric_limits<double>::denorm_min();
    }
}

QString text(const Json &j)
{
    return QString::fromStdString(j.get<std::string>());
}

bool sameBits(double a, double b)
{
    return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

bool sameBits(const Eigen::MatrixXd &a, const Eigen::MatrixXd &b)
{
    if (a.rows() != b.rows() || a.cols() != b.cols())
        return false;
    for (Eigen::Index i = 0; i < a.size(); ++i)
        if (!sameBits(a.data()[i], b.data()[i]))
            return false;
    return true;
}

// The classic session's JSON, as a document to damage.
Json classicDocument()
{
    return Json::parse(encodeSession(sampleSession(Dims{}, DType::Float32, false, 0)));
}

// decodeSession(bytes, name) refuses with one line that starts with `name`, is of `kind` and says `mentions`.
void verifyRefused(std::string_view bytes, const char *name, const QString &kind, const QString &mentions)
{
    const auto e = errorOf([&] { decodeSession(bytes, name); });
    QVERIFY2(e, "accepted");
    QVERIFY2(testsupport::oneLine(*e), e->what());
    QVERIFY2(QString::fromUtf8(e->what()).startsWith(QLatin1String(name)), e->what());
    QCOMPARE(testsupport::kindOf(e), kind);
    QVERIFY2(QString::fromUtf8(e->what()).contains(mentions), e->what());
}

} // namespace

class TestSessionFile : public QObject {
    Q_OBJECT

private slots:
    void roundTripIsBitExact_data();
    void roundTripIsBitExact();
    void writesReadableJson();
    void gatedCellsRoundTrip_data();
    void gatedCellsRoundTrip();
    void version1FilesOpenAsBefore();
    void refusals_data();
    void refusals();
    void textLevelRefusals_data();
    void textLevelRefusals();
    void budgetIsCheckedBeforeArrays();
    void tooManyNumbersAreNotWritten();
    void saveAndLoadFiles();
    void fileKinds();
    void truncationsNeverCrash();
    void damagedBytesNeverCrash();
};

void TestSessionFile::gatedCellsRoundTrip_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<bool>("resetAfter");
    QTest::addColumn<int>("recurrent");
    QTest::newRow("lstm") << int(CellKind::LSTM) << true << int(Activation::Sigmoid);
    QTest::newRow("gru reset_after") << int(CellKind::GRU) << true << int(Activation::HardSigmoid);
    QTest::newRow("gru no reset_after") << int(CellKind::GRU) << false << int(Activation::HardSigmoidKeras2);
}

// Version 2 keeps the cell: its kind, recurrent activation, reset_after, and every gate's weights
// bit for bit (a GRU's (2, 3M) bias as the matrix Keras stores).
void TestSessionFile::gatedCellsRoundTrip()
{
    QFETCH(int, kind);
    QFETCH(bool, resetAfter);
    QFETCH(int, recurrent);
    ModelConfig config;
    config.dims = Dims{2, 4, 3, 5, 2};
    config.kind = static_cast<CellKind>(kind);
    config.resetAfter = resetAfter;
    config.recurrent = static_cast<Activation>(recurrent);
    config.seed = 9;
    SessionData data;
    data.model = Model(config).state();
    data.model.weights.bh(1) = -0.0;
    const std::string text = encodeSession(data);
    const Json doc = Json::parse(text);
    QCOMPARE(doc.at("version").get<int>(), 2);
    QCOMPARE(doc.at("layers").at(0).at("cell").get<std::string>(), std::string(cellName(config.kind)));
    if (config.kind == CellKind::GRU && resetAfter)
        QCOMPARE(doc.at("weights").at("bh").size(), std::size_t(2)); // (2, 15)
    const SessionData back = decodeSession(text, "s.json");
    QCOMPARE(back.model.config.kind, config.kind);
    QCOMPARE(back.model.config.resetAfter, resetAfter);
    QCOMPARE(back.model.config.recurrent, config.recurrent);
    QVERIFY(sameBits(back.model.weights.Wx, data.model.weights.Wx));
    QVERIFY(sameBits(back.model.weights.Wh, data.model.weights.Wh));
    QVERIFY(sameBits(back.model.weights.bh, data.model.weights.bh));
    QCOMPARE(encodeSession(back), text);
    Model model(back.model);
    QCOMPARE(model.prediction().values, Model(data.model).prediction().values);
    // A bias of the other GRU kind does not fit the cell the file names.
    if (config.kind == CellKind::GRU) {
        Json flipped = doc;
        flipped["layers"][0]["reset_after"] = !resetAfter;
        const auto e = errorOf([&] { decodeSession(flipped.dump(), "flip.json"); });
        QVERIFY(e);
        QVERIFY2(QString::fromUtf8(e->what()).contains(QLatin1String("weights.bh")), e->what());
    }
}

// A version 1 file (rnnscope before LSTM and GRU) has no "layers": a SimpleRNN, as before.
void TestSessionFile::version1FilesOpenAsBefore()
{
    Json doc = classicDocument();
    doc["version"] = 1;
    doc.erase("layers");
    const SessionData v1 = decodeSession(doc.dump(), "v1.json");
    QCOMPARE(v1.model.config.kind, CellKind::SimpleRNN);
    const SessionData v2 = decodeSession(classicDocument().dump(), "v2.json");
    QVERIFY(sameBits(v1.model.weights.Wh, v2.model.weights.Wh));
    // Version 1 knows no "layers"; version 2 needs them.
    Json bad = classicDocument();
    bad["version"] = 1;
    QVERIFY(errorOf([&] { decodeSession(bad.dump(), "v1.json"); }));
    Json missing = classicDocument();
    missing.erase("layers");
    QVERIFY(errorOf([&] { decodeSession(missing.dump(), "v2.json"); }));
}

void TestSessionFile::roundTripIsBitExact_data()
{
    QTest::addColumn<Dims>("dims");
    QTest::addColumn<bool>("float64");
    QTest::addColumn<bool>("sequences");
    QTest::addColumn<quint64>("seed");
    QTest::newRow("classic float32") << Dims{} << false << false << quint64(0);
    QTest::newRow("float64, sequences") << Dims{3, 7, 4, 6, 2} << true << true << quint64(42);
    QTest::newRow("no Dense (K=0)") << Dims{2, 5, 1, 3, 0} << false << true << quint64(7);
    QTest::newRow("largest seed") << Dims{1, 2, 2, 2, 1} << true << false << std::numeric_limits<quint64>::max();
}

void TestSessionFile::roundTripIsBitExact()
{
    QFETCH(Dims, dims);
    QFETCH(bool, float64);
    QFETCH(bool, sequences);
    QFETCH(quint64, seed);
    SessionData data = sampleSession(dims, float64 ? DType::Float64 : DType::Float32, sequences, seed);
    plantSpecialValues(data);
    const std::string text = encodeSession(data);
    const SessionData back = decodeSession(text, "s.json");

    const ModelConfig &a = data.model.config, &b = back.model.config;
    QCOMPARE(b.dims, a.dims);
    QCOMPARE(b.dtype, a.dtype);
    QCOMPARE(b.seed, a.seed);
    QCOMPARE(b.init.scheme, a.init.scheme);
    QVERIFY(sameBits(b.init.scale, a.init.scale));
    QCOMPARE(b.cell, a.cell);
    QCOMPARE(b.dense, a.dense);
    QCOMPARE(b.returnSequences, a.returnSequences);
    QVERIFY(sameBits(back.model.weights.Wx, data.model.weights.Wx));
    QVERIFY(sameBits(back.model.weights.Wh, data.model.weights.Wh));
    QVERIFY(sameBits(back.model.weights.bh, data.model.weights.bh));
    QVERIFY(sameBits(back.model.weights.Wo, data.model.weights.Wo));
    QVERIFY(sameBits(back.model.weights.bo, data.model.weights.bo));
    QVERIFY(sameBits(back.model.X, data.model.X));
    QCOMPARE(back.model.weights.Wo.rows(), Eigen::Index(dims.M));
    QCOMPARE(back.timestep, data.timestep);
    QCOMPARE(back.sample, data.sample);
    QCOMPARE(back.view.layout, Layout::PyTorch);
    QVERIFY(back.view.units == data.view.units);
    QCOMPARE(back.view.presentation, true);
    // −0.0 keeps its sign, and writing again gives the same text.
    QVERIFY(std::signbit(back.model.weights.bh(0)));
    QCOMPARE(encodeSession(back), text);
    // Every initializer and activation by its name.
    for (InitScheme scheme : {InitScheme::KerasDefault, InitScheme::Normal, InitScheme::Uniform, InitScheme::Identity, InitScheme::Zeros}) {
        data.model.config.init.scheme = scheme;
        QCOMPARE(decodeSession(encodeSession(data), "s.json").model.config.init.scheme, scheme);
    }
    for (Activation dense : {Activation::Tanh, Activation::Relu, Activation::Sigmoid, Activation::Linear, Activation::Softmax}) {
        data.model.config.dense = dense;
        data.model.config.cell = dense == Activation::Softmax ? Activation::Linear : dense;
        const ModelConfig c = decodeSession(encodeSession(data), "s.json").model.config;
        QCOMPARE(c.dense, dense);
        QCOMPARE(c.cell, data.model.config.cell);
    }
    // The model takes the state as it is.
    Model model(b);
    model.restore(back.model);
    QVERIFY(sameBits(model.weights().Wh, data.model.weights.Wh));
}

void TestSessionFile::writesReadableJson()
{
    SessionData data = sampleSession(Dims{2, 3, 2, 4, 1}, DType::Float64, false, 5);
    data.model.weights.Wx(1, 2) = kNaN;
    data.model.weights.Wx(0, 0) = -kInf;
    data.model.X(1, 2 * 2 + 1) = 1.5; // X[1][2][1]
    data.view.units.clear();
    const Json doc = Json::parse(encodeSession(data));
    QCOMPARE(text(doc["format"]), QStringLiteral("rnnscope-session"));
    QCOMPARE(doc["version"].get<int>(), 2);
    QCOMPARE(doc["layers"][0]["cell"].get<std::string>(), std::string("simplernn"));
    QCOMPARE(doc["dims"]["M"].get<int>(), 4);
    QCOMPARE(text(doc["dtype"]), QStringLiteral("float64"));
    QCOMPARE(text(doc["initializer"]["scheme"]), QStringLiteral("uniform"));
    QCOMPARE(text(doc["activation"]), QStringLiteral("relu"));
    QCOMPARE(text(doc["dense_activation"]), QStringLiteral("softmax"));
    QCOMPARE(text(doc["weights"]["Wx"][1][2]), QStringLiteral("nan"));
    QCOMPARE(text(doc["weights"]["Wx"][0][0]), QStringLiteral("-inf"));
    QCOMPARE(doc["weights"]["Wx"][0][1].get<double>(), data.model.weights.Wx(0, 1));
    QCOMPARE(doc["weights"]["Wo"].size(), std::size_t(4));
    QCOMPARE(doc["X"][1][2][1].get<double>(), 1.5);
    QVERIFY(doc["view"]["units"].empty());
    QCOMPARE(text(doc["view"]["layout"]), QStringLiteral("pytorch"));
    // Every key the format documents, in its order.
    QStringList keys;
    for (const auto &[key, value] : doc.items())
        keys << QString::fromStdString(key);
    QCOMPARE(keys.join(QLatin1Char(' ')), QStringLiteral("format version dims dtype seed initializer activation dense_activation "
                                                         "return_sequences layers timestep sample view weights X"));
}

void TestSessionFile::refusals_data()
{
    QTest::addColumn<QString>("change"); // a JSON Patch (RFC 6902) applied to the classic session
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("mentions");
    const auto row = [](const char *name, const char *patch, const char *kind, const char *mentions) {
        QTest::newRow(name) << QString::fromUtf8(patch) << QString::fromLatin1(kind) << QString::fromUtf8(mentions);
    };
    row("other format", R"([{"op":"replace","path":"/format","value":"keras"}])", "bad_magic", "not a rnnscope session");
    row("no format", R"([{"op":"remove","path":"/format"}])", "bad_magic", "\"format\"");
    row("version 99", R"([{"op":"replace","path":"/version","value":99}])", "unsupported_version",
        "session version 99 is newer than this rnnscope reads (2)");
    row("version 99 with new fields", R"([{"op":"replace","path":"/version","value":99},{"op":"add","path":"/gates","value":4}])",
        "unsupported_version", "version 99");
    row("version 0", R"([{"op":"replace","path":"/version","value":0}])", "unsupported_version", "version 0");
    row("version as text", R"([{"op":"replace","path":"/version","value":"1"}])", "malformed_header", "'version'");
    row("missing version", R"([{"op":"remove","path":"/version"}])", "missing_array", "'version' is missing");
    row("missing dims.M", R"([{"op":"remove","path":"/dims/M"}])", "missing_array", "field 'dims.M' is missing");
    row("missing weights", R"([{"op":"remove","path":"/weights"}])", "missing_array", "field 'weights' is missing");
    row("missing bo", R"([{"op":"remove","path":"/weights/bo"}])", "missing_array", "'weights.bo'");
    row("missing X", R"([{"op":"remove","path":"/X"}])", "missing_array", "field 'X' is missing");
    row("missing view.layout", R"([{"op":"remove","path":"/view/layout"}])", "missing_array", "'view.layout'");
    row("missing timestep", R"([{"op":"remove","path":"/timestep"}])", "missing_array", "'timestep'");
    row("unknown field", R"([{"op":"add","path":"/colour","value":"red"}])", "malformed_header", "unknown field 'colour'");
    row("unknown weight", R"([{"op":"add","path":"/weights/Wz","value":[]}])", "malformed_header", "'weights.Wz'");
    row("unknown dim", R"([{"op":"add","path":"/dims/B","value":2}])", "malformed_header", "'dims.B'");
    row("dims as a list", R"([{"op":"replace","path":"/dims","value":[1,10,3,5,2]}])", "malformed_header",
        "'dims' is a list: expected an object");
    row("N as text", R"([{"op":"replace","path":"/dims/N","value":"3"}])", "malformed_header", "'dims.N' is \"3\" (a string)");
    row("N fractional", R"([{"op":"replace","path":"/dims/N","value":1.5}])", "malformed_header", "'dims.N' is 1.5");
    row("M zero", R"([{"op":"replace","path":"/dims/M","value":0}])", "out_of_range", "'dims.M' is 0: expected an integer 1 … 16384");
    row("N huge", R"([{"op":"replace","path":"/dims/N","value":1e300}])", "malformed_header", "'dims.N'");
    row("N beyond int64", R"([{"op":"replace","path":"/dims/N","value":18446744073709551615}])", "out_of_range", "'dims.N'");
    row("over budget", R"([{"op":"replace","path":"/dims","value":{"N":1048576,"T":1048576,"D":3,"M":5,"K":2}}])",
        "too_large", "budget");
    row("seed negative", R"([{"op":"replace","path":"/seed","value":-1}])", "malformed_header", "'seed'");
    row("dtype float16", R"([{"op":"replace","path":"/dtype","value":"float16"}])", "unsupported",
        "'dtype' is \"float16\": expected \"float32\" or \"float64\"");
    row("cell softmax", R"([{"op":"replace","path":"/activation","value":"softmax"}])", "unsupported", "'activation'");
    row("dense gelu", R"([{"op":"replace","path":"/dense_activation","value":"gelu"}])", "unsupported", "'dense_activation'");
    row("scheme", R"([{"op":"replace","path":"/initializer/scheme","value":"he"}])", "unsupported", "'initializer.scheme'");
    row("scale negative", R"([{"op":"replace","path":"/initializer/scale","value":-1.0}])", "out_of_range",
        "'initializer.scale'");
    row("return_sequences 1", R"([{"op":"replace","path":"/return_sequences","value":1}])", "malformed_header",
        "'return_sequences' is 1 (a number): expected true or false");
    row("timestep T", R"([{"op":"replace","path":"/timestep","value":10}])", "out_of_range", "'timestep' is 10: expected an integer -1 … 9");
    row("sample N", R"([{"op":"replace","path":"/sample","value":1}])", "out_of_range", "'sample'");
    row("layout", R"([{"op":"replace","path":"/view/layout","value":"tf"}])", "unsupported", "'view.layout'");
    row("unit out of range", R"([{"op":"replace","path":"/view/units","value":[1,5]}])", "out_of_range", "'view.units[1]' is 5");
    row("unit twice", R"([{"op":"replace","path":"/view/units","value":[1,1]}])", "malformed_header", "unit 1 twice");
    row("units not a list", R"([{"op":"replace","path":"/view/units","value":3}])", "malformed_header", "'view.units'");
    row("presentation null", R"([{"op":"replace","path":"/view/presentation","value":null}])", "malformed_header",
        "'view.presentation' is null");
    row("Wh (4, 5)", R"([{"op":"remove","path":"/weights/Wh/4"}])", "shape_mismatch", "weights.Wh has shape (4, 5), but M=5 needs (5, 5)");
    row("Wx ragged", R"([{"op":"remove","path":"/weights/Wx/1/4"}])", "shape_mismatch",
        "weights.Wx[1] has shape (4,), but D=3, M=5 needs (5,)");
    row("bh a matrix", R"([{"op":"replace","path":"/weights/bh","value":[[0,0,0,0,0]]}])", "shape_mismatch",
        "weights.bh has shape (1, 5), but M=5 needs (5,)");
    row("bh a number", R"([{"op":"replace","path":"/weights/bh","value":0}])", "shape_mismatch", "weights.bh is 0 (a number)");
    row("Wo missing K", R"([{"op":"replace","path":"/weights/Wo","value":[[],[],[],[],[]]}])", "shape_mismatch",
        "weights.Wo has shape (5, 0), but M=5, K=2 needs (5, 2)");
    row("X with D=4", R"([{"op":"add","path":"/X/0/3/-","value":1.0}])", "shape_mismatch",
        "X[0][3] has shape (4,), but N=1, T=10, D=3 needs (3,)");
    row("X rank 2", R"([{"op":"replace","path":"/X","value":[[1,2,3]]}])", "shape_mismatch",
        "X has shape (1, 3), but N=1, T=10, D=3 needs (1, 10, 3)");
    row("X ragged", R"([{"op":"replace","path":"/X/0/4","value":7}])", "shape_mismatch",
        "X[0][4] is 7 (a number), but N=1, T=10, D=3 needs a list of shape (3,)");
    row("weight true", R"([{"op":"replace","path":"/weights/Wx/0/1","value":true}])", "malformed_header",
        "'weights.Wx[0][1]' is true (a boolean): expected a number, \"nan\", \"inf\" or \"-inf\"");
    row("weight text", R"([{"op":"replace","path":"/weights/Wh/2/2","value":"1.5"}])", "malformed_header",
        "'weights.Wh[2][2]' is \"1.5\"");
    row("weight null", R"([{"op":"replace","path":"/X/0/9/2","value":null}])", "malformed_header", "'X[0][9][2]' is null");
    row("root a list", R"([{"op":"replace","path":"","value":[1,2]}])", "bad_magic", "not a rnnscope session");
}

void TestSessionFile::refusals()
{
    QFETCH(QString, change);
    QFETCH(QString, kind);
    QFETCH(QString, mentions);
    const Json doc = classicDocument().patch(Json::parse(change.toStdString()));
    verifyRefused(doc.dump(), "lesson.json", kind, mentions);
}

void TestSessionFile::textLevelRefusals_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("mentions");
    SessionData data = sampleSession(Dims{}, DType::Float32, false, 0);
    plantSpecialValues(data);
    const std::string valid = encodeSession(data);
    const auto row = [](const char *name, const std::string &text, const char *kind, const char *mentions) {
        QTest::newRow(name) << QByteArray::fromStdString(text) << QString::fromLatin1(kind) << QString::fromUtf8(mentions);
    };
    // `valid` with `insert` put in place of `length` bytes at the first `at`.
    const auto edited = [&](const char *at, std::size_t length, const char *insert) {
        return std::string(valid).replace(valid.find(at), length, insert);
    };
    row("empty", "", "truncated", "is empty");
    row("blank", " \n\t ", "truncated", "is empty");
    row("half", valid.substr(0, valid.size() / 2), "truncated", "ends early");
    row("no closing brace", valid.substr(0, valid.rfind('}')), "truncated", "ends early");
    row("not JSON", "hello", "malformed_header", "not valid JSON");
    row("trailing garbage", valid + "x", "malformed_header", "not valid JSON");
    row("bare NaN", edited("\"nan\"", 5, "NaN"), "malformed_header", "not valid JSON");
    row("number overflow", edited("\"seed\": 0", 9, "\"seed\": 1e999"), "malformed_header", "1e999");
    row("duplicate field", edited("\"seed\"", 0, "\"seed\": 4, "), "malformed_header", "duplicate field 'seed'");
    row("duplicate nested field", edited("\"N\"", 0, "\"T\": 4, "), "malformed_header", "duplicate field 'dims.T'");
    row("deep nesting", std::string(100000, '['), "malformed_header", "nested deeper than 4");
    row("deep objects", "{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", "malformed_header", "nested deeper");
    row("control byte", "{\"format\": \"rnn\x01\"}", "malformed_header", "not valid JSON");
    row("invalid UTF-8", "{\"format\": \"\xff\xfe\"}", "malformed_header", "not valid JSON");
}

void TestSessionFile::textLevelRefusals()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, kind);
    QFETCH(QString, mentions);
    verifyRefused(std::string_view(text.constData(), text.size()), "bad.json", kind, mentions);
}

void TestSessionFile::budgetIsCheckedBeforeArrays()
{
    // Dimensions far over the budget with hardly any arrays: refused for the budget, not for the
    // shapes, so nothing of their size was allocated.
    Json doc = classicDocument();
    doc["dims"] = {{"N", 100000}, {"T", 100000}, {"D", 512}, {"M", 512}, {"K", 10}};
    auto e = errorOf([&] { decodeSession(doc.dump(), "big.json"); });
    QVERIFY(e);
    QCOMPARE(e->kind(), ErrorKind::TooLarge);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QLatin1String("N=100000")), e->what());
    // A smaller budget refuses even the classic example, with its estimate.
    e = errorOf([&] { decodeSession(classicDocument().dump(), "small.json", 1000); });
    QVERIFY(e);
    QCOMPARE(e->kind(), ErrorKind::TooLarge);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QLatin1String("budget")), e->what());
    // And the model receives the budget it was read with.
    QCOMPARE(decodeSession(classicDocument().dump(), "s.json", std::uint64_t(1) << 20).model.config.memoryBudget,
             std::uint64_t(1) << 20);
}

void TestSessionFile::tooManyNumbersAreNotWritten()
{
    SessionData data = sampleSession(Dims{1, 2, 1, 1, 0}, DType::Float32, false, 0);
    // X of 2²⁵ + 1 numbers: a file the reader would refuse.
    const int T = (1 << 25) + 1;
    data.model.config.dims.T = T;
    data.model.X = Eigen::MatrixXd::Zero(1, T);
    const auto e = errorOf([&] { encodeSession(data); });
    QVERIFY(e);
    QCOMPARE(e->kind(), ErrorKind::TooLarge);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QLatin1String(".npz")), e->what());
    // Weights that do not fit the dimensions are not written either.
    data = sampleSession(Dims{}, DType::Float32, false, 0);
    data.model.config.dims.M = 6;
    QCOMPARE(testsupport::kindOf(errorOf([&] { encodeSession(data); })), QStringLiteral("shape_mismatch"));
}

void TestSessionFile::saveAndLoadFiles()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("lesson.json")).toStdString();
    SessionData data = sampleSession(Dims{2, 4, 3, 5, 2}, DType::Float64, true, 9);
    plantSpecialValues(data);
    saveSession(path, data);
    const SessionData back = loadSession(path);
    QVERIFY(sameBits(back.model.X, data.model.X));
    QVERIFY(sameBits(back.model.weights.Wx, data.model.weights.Wx));
    // Written atomically: no temporary file is left beside it.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("lesson.json")});
    // A missing file, a directory.
    auto e = errorOf([&] { loadSession(path + ".missing"); });
    QVERIFY(e && e->kind() == ErrorKind::Io);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QLatin1String("lesson.json.missing")), e->what());
    e = errorOf([&] { loadSession(dir.path().toStdString()); });
    QVERIFY(e && e->kind() == ErrorKind::Io);
    // A refused file names its path.
    std::ofstream(path) << "{\"format\": \"rnnscope-session\", \"version\": 3}";
    e = errorOf([&] { loadSession(path); });
    QVERIFY(e && e->kind() == ErrorKind::UnsupportedVersion);
    QVERIFY2(QString::fromUtf8(e->what()).startsWith(QString::fromStdString(path)), e->what());
}

void TestSessionFile::fileKinds()
{
    QTemporaryDir dir;
    QCOMPARE(fileKind("a/lesson.json"), FileKind::Session);
    QCOMPARE(fileKind("LESSON.JSON"), FileKind::Session);
    QCOMPARE(fileKind("w.npz"), FileKind::Weights);
    QCOMPARE(fileKind("model.keras"), FileKind::Weights);
    QCOMPARE(fileKind("m.weights.h5"), FileKind::Weights);
    QCOMPARE(fileKind("x.npy"), FileKind::Input);
    QCOMPARE(fileKind("x.CSV"), FileKind::Input);
    // Other names: by their first bytes.
    const std::string session = dir.filePath(QStringLiteral("lesson.rnn")).toStdString();
    std::ofstream(session) << "\xEF\xBB\xBF  \n{\"format\": \"rnnscope-session\"}";
    QCOMPARE(fileKind(session), FileKind::Session);
    const std::string other = dir.filePath(QStringLiteral("weights")).toStdString();
    std::ofstream(other) << "PK\x03\x04";
    QCOMPARE(fileKind(other), FileKind::Weights);
    QCOMPARE(fileKind(dir.filePath(QStringLiteral("missing")).toStdString()), FileKind::Weights);
}

void TestSessionFile::truncationsNeverCrash()
{
    SessionData data = sampleSession(Dims{2, 3, 2, 3, 2}, DType::Float32, false, 1);
    plantSpecialValues(data);
    const std::string text = encodeSession(data);
    int refused = 0;
    for (std::size_t n = 0; n < text.size(); ++n) {
        const auto e = errorOf([&] { decodeSession(std::string_view(text).substr(0, n), "t.json"); });
        // Only a cut in the final newline leaves a whole document.
        if (!e) {
            QVERIFY2(n >= text.rfind('}') + 1, qPrintable(QString::number(n)));
            continue;
        }
        QVERIFY2(testsupport::oneLine(*e), e->what());
        ++refused;
    }
    QVERIFY(refused >= int(text.size()) - 2);
}

void TestSessionFile::damagedBytesNeverCrash()
{
    SessionData data = sampleSession(Dims{2, 3, 2, 3, 2}, DType::Float32, false, 1);
    plantSpecialValues(data);
    const std::string text = encodeSession(data);
    std::mt19937_64 rng(20240611);
    const char interesting[] = {'[', ']', '{', '}', '"', ',', ':', '-', 'e', '9', '\0', '\\', 'n', '\xff', ' '};
    int accepted = 0;
    for (int round = 0; round < 4000; ++round) {
        std::string damaged = text;
        const int flips = 1 + int(rng() % 4);
        for (int f = 0; f < flips; ++f) {
            const std::size_t at = rng() % damaged.size();
            damaged[at] = rng() % 2 ? interesting[rng() % sizeof interesting] : char(rng() % 256);
        }
        try {
            const SessionData back = decodeSession(damaged, "f.json");
            ++accepted; // a flip inside a number or an equivalent byte: still a valid session
            QVERIFY(back.model.weights.Wx.rows() == back.model.config.dims.D);
            encodeSession(back);
        } catch (const Error &e) {
            QVERIFY2(testsupport::oneLine(e), e.what());
            QVERIFY2(QString::fromUtf8(e.what()).startsWith(QLatin1String("f.json")), e.what());
        }
    }
    QVERIFY(accepted < 4000);
}

QTEST_APPLESS_MAIN(TestSessionFile)
#include "test_sessionfile.moc"
