// The session file (core/io/sessionfile.h): a round trip keeps every value bit for bit (NaN, ±Inf,
// −0.0, subnormals included), every refusal names its field in one line, sizes are refused before
// anything is allocated, and no truncation or damaged byte makes the reader crash.

#include "common/error.h"
#include "io/sessionfile.h"
#include "run/model.h"
#include "run/network.h"
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

LayerSpec layerOf(CellKind kind, int units, bool sequences)
{
    LayerSpec l;
    l.cell.kind = kind;
    l.units = units;
    l.returnSequences = sequences;
    return l;
}

// A network of `layers` on N=2, T=4, D=3, K=2 (an Embedding of `vocabulary` tokens before them
// unless 0), with its drawn weights and input.
NetworkState networkState(std::vector<LayerSpec> layers, DType dtype, int vocabulary = 0, int K = 2)
{
    NetworkConfig config;
    config.N = 2;
    config.T = 4;
    config.D = 3;
    config.K = K;
    config.layers = std::move(layers);
    config.dtype = dtype;
    config.seed = 11;
    config.vocabulary = vocabulary;
    config.dense = Activation::Sigmoid;
    config.init = InitSpec{InitScheme::Normal, 0.4};
    return Network(config).state();
}

// The stack the refusals damage: lstm 4 seq, lstm 5 — layer 2 (lstm_1) reads 4 features.
SessionData stackedSession()
{
    SessionData data;
    data.network = networkState({layerOf(CellKind::LSTM, 4, true), layerOf(CellKind::LSTM, 5, false)}, DType::Float32);
    data.layer = 1;
    data.view.units = {4};
    return data;
}

Json networkDocument()
{
    return Json::parse(encodeSession(stackedSession()));
}

bool sameState(const NetworkState &a, const NetworkState &b)
{
    if (!(a.config.layers == b.config.layers) || a.config.N != b.config.N || a.config.T != b.config.T
        || a.config.D != b.config.D || a.config.K != b.config.K || a.config.dtype != b.config.dtype
        || a.config.seed != b.config.seed || a.config.init.scheme != b.config.init.scheme
        || !sameBits(a.config.init.scale, b.config.init.scale) || a.config.dense != b.config.dense
        || a.config.vocabulary != b.config.vocabulary || a.ids != b.ids || !sameBits(a.X, b.X)
        || !sameBits(a.weights.Wo, b.weights.Wo) || !sameBits(a.weights.bo, b.weights.bo)
        || !sameBits(a.weights.embedding, b.weights.embedding) || a.weights.layers.size() != b.weights.layers.size())
        return false;
    for (std::size_t l = 0; l < a.weights.layers.size(); ++l) {
        if (a.weights.layers[l].size() != b.weights.layers[l].size())
            return false;
        for (std::size_t d = 0; d < a.weights.layers[l].size(); ++d) {
            const Weights &x = a.weights.layers[l][d], &y = b.weights.layers[l][d];
            if (!sameBits(x.Wx, y.Wx) || !sameBits(x.Wh, y.Wh) || !sameBits(x.bh, y.bh))
                return false;
        }
    }
    return true;
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
    void networkRoundTrip_data();
    void networkRoundTrip();
    void networkWriteRefusals();
    void networkBudgetIsCheckedBeforeArrays();
    void damagedNetworkNeverCrashes();
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

void TestSessionFile::networkRoundTrip_data()
{
    QTest::addColumn<QString>("stack"); // parseNetworkStack's text, units included
    QTest::addColumn<bool>("float64");
    QTest::addColumn<int>("layer");
    QTest::addColumn<int>("direction");
    QTest::newRow("stacked lstm, float32") << QStringLiteral("lstm 4 seq, lstm 5 seq, lstm 3") << false << 1 << 0;
    QTest::newRow("stacked lstm, float64") << QStringLiteral("lstm 4 seq, lstm 5") << true << 0 << 0;
    QTest::newRow("bidirectional gru, merge sum") << QStringLiteral("bi=sum gru 4 seq act=relu rec=hard_sigmoid, gru 3")
                                                  << true << 0 << 1;
    QTest::newRow("gru reset_after=false, bi concat") << QStringLiteral("bi gru 3 reset_after=false") << false << 0 << 1;
    QTest::newRow("go_backwards") << QStringLiteral("simplernn 4 seq back act=linear, bi=ave lstm 2 back seq") << false << 1 << 1;
    QTest::newRow("embedding, float32") << QStringLiteral("embedding 7, lstm 4 seq, bi=mul gru 2") << false << 1 << 0;
    QTest::newRow("embedding, float64") << QStringLiteral("embedding 3, simplernn 2") << true << 0 << 0;
}

// A network keeps every field of every layer, every weight of every direction bit for bit, the
// Embedding's table and token ids or X, and the layer and direction on show; it is written as
// version 3 and reads back to the same text and the same predictions.
void TestSessionFile::networkRoundTrip()
{
    QFETCH(QString, stack);
    QFETCH(bool, float64);
    QFETCH(int, layer);
    QFETCH(int, direction);
    const NetworkStack parsed = parseNetworkStack(stack.toStdString());
    SessionData data;
    data.network = networkState(parsed.layers, float64 ? DType::Float64 : DType::Float32, parsed.vocabulary);
    NetworkState &state = *data.network;
    // Fields stackText leaves out (unused by the cell) are kept too.
    state.config.layers[0].merge = state.config.layers[0].bidirectional ? state.config.layers[0].merge : Merge::Mul;
    state.config.layers.back().cell.resetAfter = state.config.layers.back().cell.kind == CellKind::GRU
        ? state.config.layers.back().cell.resetAfter
        : false;
    data.timestep = 2;
    data.sample = 1;
    data.layer = layer;
    data.direction = direction;
    data.view.units = {1, 0};
    data.view.layout = Layout::PyTorch;
    const std::vector<double> expected = Network(state).prediction().values;

    const std::string text = encodeSession(data);
    const Json doc = Json::parse(text);
    QCOMPARE(doc.at("version").get<int>(), 3);
    QVERIFY(!doc.at("dims").contains("M"));
    QCOMPARE(doc.at("layers").size(), state.config.layers.size());
    QCOMPARE(doc.contains("ids"), parsed.vocabulary > 0);
    QCOMPARE(doc.contains("X"), parsed.vocabulary == 0);
    QCOMPARE(doc.at("weights").contains("embedding"), parsed.vocabulary > 0);
    QCOMPARE(doc.at("weights").at("layers").at(std::size_t(layer)).size(),
             std::size_t(state.config.layers[std::size_t(layer)].directions()));
    QStringList keys;
    for (const auto &[key, value] : doc.items())
        keys << QString::fromStdString(key);
    QCOMPARE(keys.join(QLatin1Char(' ')),
             QStringLiteral("format version dims dtype seed initializer dense_activation vocabulary layers timestep sample "
                            "layer direction view weights ") + (parsed.vocabulary > 0 ? "ids" : "X"));

    const SessionData back = decodeSession(text, "net.json", std::uint64_t(1) << 30);
    QVERIFY(back.network);
    QVERIFY(sameState(*back.network, state));
    QCOMPARE(back.network->config.memoryBudget, std::uint64_t(1) << 30);
    QCOMPARE(back.model.weights.Wx.size(), Eigen::Index(0)); // the model is left default
    QCOMPARE(back.layer, layer);
    QCOMPARE(back.direction, direction);
    QCOMPARE(back.timestep, 2);
    QCOMPARE(back.sample, 1);
    QVERIFY(back.view.units == data.view.units);
    QCOMPARE(back.view.layout, Layout::PyTorch);
    QCOMPARE(encodeSession(back), text);
    const std::vector<double> again = Network(*back.network).prediction().values;
    QCOMPARE(again.size(), expected.size());
    for (std::size_t i = 0; i < again.size(); ++i)
        QVERIFY(sameBits(again[i], expected[i]));

    // Special values in every array keep their bits (and the sign of −0.0).
    int i = 0;
    for (double v : kSpecial) {
        for (auto &dirs : state.weights.layers)
            for (Weights &w : dirs) {
                w.Wx.data()[i % w.Wx.size()] = v;
                w.Wh.data()[(i * 7) % w.Wh.size()] = v;
                w.bh.data()[(i * 3) % w.bh.size()] = v;
            }
        state.weights.Wo.data()[i % state.weights.Wo.size()] = v;
        if (state.config.hasEmbedding())
            state.weights.embedding.data()[(i * 5) % state.weights.embedding.size()] = v;
        else
            state.X.data()[(i * 3) % state.X.size()] = v;
        ++i;
    }
    state.weights.bo(0) = -0.0;
    const SessionData special = decodeSession(encodeSession(data), "special.json");
    QVERIFY(sameState(*special.network, state));
    QVERIFY(std::signbit(special.network->weights.bo(0)));

    // A one-layer model is still written as version 2, and reads back without a network.
    const Json classic = classicDocument();
    QCOMPARE(classic.at("version").get<int>(), 2);
    QVERIFY(!decodeSession(classic.dump(), "v2.json").network);
}

// refusals' rows for a version 3 file: JSON Patches applied to stackedSession's document.
static void addNetworkRefusalRows()
{
    const auto row = [](const char *name, const char *patch, const char *kind, const char *mentions) {
        QTest::addRow("network: %s", name) << QString::fromUtf8(patch) << QString::fromLatin1(kind) << QString::fromUtf8(mentions) << true;
    };
    row("Wh (4, 20)", R"([{"op":"remove","path":"/weights/layers/1/0/Wh/4"}])", "shape_mismatch",
        "weights.layers[1][0].Wh has shape (4, 20), but layer 2 (lstm_1) with M=5 (LSTM) needs (5, 20)");
    row("Wx of the wrong width", R"([{"op":"remove","path":"/weights/layers/1/0/Wx/3"}])", "shape_mismatch",
        "weights.layers[1][0].Wx has shape (3, 20), but layer 2 (lstm_1) on 4 features with M=5 (LSTM) needs (4, 20)");
    row("bh short", R"([{"op":"remove","path":"/weights/layers/0/0/bh/0"}])", "shape_mismatch",
        "weights.layers[0][0].bh has shape (15,), but layer 1 (lstm) with M=4 (LSTM) needs (16,)");
    row("Wo of the wrong width", R"([{"op":"remove","path":"/weights/Wo/0"}])", "shape_mismatch",
        "weights.Wo has shape (4, 2), but the top layer's width 5 and K=2 needs (5, 2)");
    row("a backward direction too many", R"([{"op":"add","path":"/weights/layers/0/-","value":{}}])", "shape_mismatch",
        "'weights.layers[0]' is a list of 2: expected a list of 1 direction");
    row("a layer's weights missing", R"([{"op":"remove","path":"/weights/layers/1"}])", "shape_mismatch",
        "'weights.layers' is a list of 1: expected a list of the 2 layers' weights");
    row("layer out of range", R"([{"op":"replace","path":"/layer","value":2}])", "out_of_range",
        "'layer' is 2: expected an integer 0 … 1");
    row("direction of a one-way layer", R"([{"op":"replace","path":"/direction","value":1}])", "out_of_range",
        "'direction' is 1: expected an integer 0 … 0");
    row("missing layer", R"([{"op":"remove","path":"/layer"}])", "missing_array", "field 'layer' is missing");
    row("unit of another layer", R"([{"op":"replace","path":"/view/units","value":[5]}])", "out_of_range",
        "'view.units[0]' is 5: expected an integer 0 … 4");
    row("unknown field", R"([{"op":"add","path":"/stack","value":"lstm 4"}])", "malformed_header", "unknown field 'stack'");
    row("M in a network's dims", R"([{"op":"add","path":"/dims/M","value":5}])", "malformed_header", "unknown field 'dims.M'");
    row("one-layer fields", R"([{"op":"add","path":"/activation","value":"tanh"}])", "malformed_header",
        "unknown field 'activation'");
    row("unknown layer field", R"([{"op":"add","path":"/layers/0/dropout","value":0.5}])", "malformed_header",
        "unknown field 'layers[0].dropout'");
    row("unknown weight", R"([{"op":"add","path":"/weights/layers/0/0/Wo","value":[]}])", "malformed_header",
        "'weights.layers[0][0].Wo'");
    row("an embedding without a vocabulary", R"([{"op":"add","path":"/weights/embedding","value":[]}])", "malformed_header",
        "unknown field 'weights.embedding'");
    row("ids without an Embedding", R"([{"op":"add","path":"/ids","value":[[0]]}])", "malformed_header", "'ids'");
    row("missing merge", R"([{"op":"remove","path":"/layers/0/merge"}])", "missing_array", "'layers[0].merge' is missing");
    row("merge max", R"([{"op":"replace","path":"/layers/0/merge","value":"max"}])", "unsupported", "'layers[0].merge'");
    row("units 0", R"([{"op":"replace","path":"/layers/1/units","value":0}])", "out_of_range", "'layers[1].units' is 0");
    row("no layers", R"([{"op":"replace","path":"/layers","value":[]}])", "out_of_range", "expected a list of 1 … 64");
    row("broken stack", R"([{"op":"replace","path":"/layers/0/return_sequences","value":false}])", "shape_mismatch",
        "field 'layers': Input 0 of layer \"lstm_1\" is incompatible with the layer: expected ndim=3, found ndim=2");
    row("a layer turned bidirectional", R"([{"op":"replace","path":"/layers/1/bidirectional","value":true}])", "shape_mismatch",
        "'weights.layers[1]' is a list of 1: expected a list of 2 directions (forward, backward)");
    row("vocabulary without ids", R"([{"op":"replace","path":"/vocabulary","value":4}])", "malformed_header",
        "'X': a network with an Embedding reads token ids");
    row("vocabulary too large", R"([{"op":"replace","path":"/vocabulary","value":16777217}])", "out_of_range", "'vocabulary'");
    row("version 2 with a network", R"([{"op":"replace","path":"/version","value":2}])", "malformed_header", "unknown field");
}

// Refusals of a network with an Embedding (token ids), and what the writer refuses.
void TestSessionFile::networkWriteRefusals()
{
    SessionData data;
    data.network = networkState({layerOf(CellKind::GRU, 3, false)}, DType::Float32, 5);
    const Json doc = Json::parse(encodeSession(data));
    Json bad = doc;
    bad["ids"][1][2] = 5;
    verifyRefused(bad.dump(), "ids.json", QStringLiteral("out_of_range"), QStringLiteral("'ids[1][2]' is 5: expected an integer 0 … 4"));
    bad = doc;
    bad["ids"][0][0] = 1.5;
    verifyRefused(bad.dump(), "ids.json", QStringLiteral("malformed_header"), QStringLiteral("'ids[0][0]' is 1.5"));
    bad = doc;
    bad["ids"][1].erase(0);
    verifyRefused(bad.dump(), "ids.json", QStringLiteral("shape_mismatch"), QStringLiteral("ids[1] has shape (3,), but N=2, T=4 needs (4,)"));
    bad = doc;
    bad["weights"].erase("embedding");
    verifyRefused(bad.dump(), "emb.json", QStringLiteral("missing_array"), QStringLiteral("'weights.embedding' is missing"));
    bad = doc;
    bad["weights"]["embedding"].erase(4);
    verifyRefused(bad.dump(), "emb.json", QStringLiteral("shape_mismatch"),
                  QStringLiteral("weights.embedding has shape (4, 3), but V=5, D=3 needs (5, 3)"));
    bad = doc;
    bad["X"] = Json::array();
    verifyRefused(bad.dump(), "x.json", QStringLiteral("malformed_header"), QStringLiteral("'X'"));

    // The writer: a token id outside the vocabulary, a layer or direction the network does not
    // have, weights that do not fit the stack.
    SessionData wrong = data;
    wrong.network->ids[3] = 5;
    QCOMPARE(testsupport::kindOf(errorOf([&] { encodeSession(wrong); })), QStringLiteral("out_of_range"));
    wrong = data;
    wrong.layer = 1;
    QCOMPARE(testsupport::kindOf(errorOf([&] { encodeSession(wrong); })), QStringLiteral("out_of_range"));
    wrong = data;
    wrong.direction = 1;
    QCOMPARE(testsupport::kindOf(errorOf([&] { encodeSession(wrong); })), QStringLiteral("out_of_range"));
    wrong = data;
    wrong.network->config.layers[0].units = 4;
    QCOMPARE(testsupport::kindOf(errorOf([&] { encodeSession(wrong); })), QStringLiteral("shape_mismatch"));
    wrong = data;
    wrong.network->ids.pop_back();
    QCOMPARE(testsupport::kindOf(errorOf([&] { encodeSession(wrong); })), QStringLiteral("shape_mismatch"));
}

void TestSessionFile::networkBudgetIsCheckedBeforeArrays()
{
    // Layers far over the budget with small arrays: refused for the budget, not for the shapes.
    Json doc = networkDocument();
    doc["layers"][1]["units"] = 16384;
    doc["dims"]["N"] = 100000;
    doc["dims"]["T"] = 100000;
    auto e = errorOf([&] { decodeSession(doc.dump(), "big.json"); });
    QVERIFY(e);
    QCOMPARE(e->kind(), ErrorKind::TooLarge);
    QVERIFY2(QString::fromUtf8(e->what()).contains(QLatin1String("budget")), e->what());
    // An Embedding's table counts too.
    doc = networkDocument();
    doc["vocabulary"] = 1 << 24;
    doc["dims"]["D"] = 60000;
    e = errorOf([&] { decodeSession(doc.dump(), "vocab.json"); });
    QVERIFY(e);
    QCOMPARE(e->kind(), ErrorKind::TooLarge);
    e = errorOf([&] { decodeSession(networkDocument().dump(), "small.json", 1000); });
    QVERIFY(e);
    QCOMPARE(e->kind(), ErrorKind::TooLarge);
}

// Truncations and damaged bytes of a network session (a Bidirectional GRU, an Embedding) are
// refused with one line, or read back as a session that writes again.
void TestSessionFile::damagedNetworkNeverCrashes()
{
    SessionData data;
    data.network = networkState({layerOf(CellKind::LSTM, 2, true), layerOf(CellKind::GRU, 2, false)}, DType::Float32, 4);
    data.network->config.layers[1].bidirectional = true;
    data.network->config.layers[1].merge = Merge::Sum;
    data.network->weights.layers[1].push_back(data.network->weights.layers[1][0]);
    data.layer = 1;
    data.direction = 1;
    const std::string text = encodeSession(data);
    QVERIFY(sameState(*decodeSession(text, "n.json").network, *data.network));
    for (std::size_t n = 0; n + 1 < text.size(); ++n) {
        const auto e = errorOf([&] { decodeSession(std::string_view(text).substr(0, n), "t.json"); });
        QVERIFY2(e || n >= text.rfind('}') + 1, qPrintable(QString::number(n)));
        if (e)
            QVERIFY2(testsupport::oneLine(*e), e->what());
    }
    std::mt19937_64 rng(20261203);
    const char interesting[] = {'[', ']', '{', '}', '"', ',', ':', '-', 'e', '9', '0', '1', 't', 'f', ' '};
    for (int round = 0; round < 2000; ++round) {
        std::string damaged = text;
        for (int f = 0, flips = 1 + int(rng() % 4); f < flips; ++f)
            damaged[rng() % damaged.size()] = rng() % 2 ? interesting[rng() % sizeof interesting] : char(rng() % 256);
        try {
            const SessionData back = decodeSession(damaged, "f.json");
            QVERIFY(back.network);
            checkShapes(back.network->weights, back.network->config);
            QCOMPARE(decodeSession(encodeSession(back), "again.json").network->ids, back.network->ids);
        } catch (const Error &e) {
            QVERIFY2(testsupport::oneLine(e), e.what());
            QVERIFY2(QString::fromUtf8(e.what()).startsWith(QLatin1String("f.json")), e.what());
        }
    }
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
    QTest::addColumn<bool>("network"); // applied to a network's (version 3) instead
    const auto row = [](const char *name, const char *patch, const char *kind, const char *mentions) {
        QTest::newRow(name) << QString::fromUtf8(patch) << QString::fromLatin1(kind) << QString::fromUtf8(mentions) << false;
    };
    row("other format", R"([{"op":"replace","path":"/format","value":"keras"}])", "bad_magic", "not a rnnscope session");
    row("no format", R"([{"op":"remove","path":"/format"}])", "bad_magic", "\"format\"");
    row("version 99", R"([{"op":"replace","path":"/version","value":99}])", "unsupported_version",
        "session version 99 is newer than this rnnscope reads (3)");
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
    addNetworkRefusalRows();
}

void TestSessionFile::refusals()
{
    QFETCH(QString, change);
    QFETCH(QString, kind);
    QFETCH(QString, mentions);
    QFETCH(bool, network);
    const Json doc = (network ? networkDocument() : classicDocument()).patch(Json::parse(change.toStdString()));
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
    row("deep nesting", std::string(100000, '['), "malformed_header", "nested deeper than 7");
    row("deep objects", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{}}}}}}}}", "malformed_header", "nested deeper");
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
    std::ofstream(path) << "{\"format\": \"rnnscope-session\", \"version\": 4}";
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
