// Keras model files: every real fixture of shared/fixtures/keras opens or is refused as
// expected.json says, with the weights h5py reads from the same datasets; --layer chooses among
// stacked SimpleRNNs; the DL4J reference predictions are reproduced; edited, truncated and
// bit-flipped files are refused with one line, never a crash.
//
// The values to compare with come from an independent reader: /usr/bin/python3 with h5py dumps
// the datasets expected.json names (and writes the edited variants) into a temporary folder.

#include "error.h"
#include "kerasfile.h"
#include "modelrequest.h"
#include "npy.h"
#include "testsupport.h"
#include "weightfile.h"
#include "weights.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>

using namespace rnnscope;
using namespace testsupport;

namespace {

// Dumps, with h5py, the datasets expected.json lists (weights.json: file → layer → role →
// values), the DL4J reference (dl4j_X.npy, dl4j.json) and writes edited variants of real files.
const char *const kPythonHelper = R"PY(
import io, json, os, shutil, sys, zipfile
import h5py, numpy as np

shared, out = sys.argv[1], sys.argv[2]
K = os.path.join(shared, 'fixtures', 'keras')
expected = json.load(open(os.path.join(K, 'expected.json')))

def open_h5(path):
    if path.endswith('.keras'):
        with zipfile.ZipFile(path) as z:
            return h5py.File(io.BytesIO(z.read('model.weights.h5')), 'r')
    return h5py.File(path, 'r')

dump = {}
for f in expected['fixtures']:
    if f.get('weights'):
        h = open_h5(os.path.join(K, f['file']))
        dump[f['file']] = {l['name']: {w['role']: np.asarray(h[w['hdf5_path']], dtype=np.float64).tolist()
                                       for w in l['weights']} for l in f['weights']}
json.dump(dump, open(os.path.join(out, 'weights.json'), 'w'))

ref = h5py.File(os.path.join(K, 'keras2_dl4j_simple_rnn_inputs_and_outputs.h5'), 'r')
np.save(os.path.join(out, 'dl4j_X.npy'), ref['inputs/simple_rnn_1_input'][()])
json.dump({'predictions': ref['predictions/dense_1'][()].astype(float).tolist(),
           'activations': ref['activations/simple_rnn_1'][()].astype(float).tolist()},
          open(os.path.join(out, 'dl4j.json'), 'w'))

# Variants of a Keras 2.6 model: SimpleRNN(4) on (1, 7) -> Dense(1).
base = os.path.join(K, 'keras2_covid_simple_rnn_dense.h5')
CELL = 'model_weights/simple_rnn/simple_rnn/simple_rnn_cell/'

def variant(name, edit, source=base):
    path = os.path.join(out, name)
    shutil.copy(source, path)
    with h5py.File(path, 'r+') as h:
        edit(h)

def replace(h, path, make):
    data = h[path][()]
    del h[path]
    h[path] = make(data)

def configure(h, change):
    c = json.loads(h.attrs['model_config'])
    change(c['config']['layers'][1]['config'], c['config']['layers'][2]['config'])
    h.attrs['model_config'] = json.dumps(c)

def to_float64(h):
    for p in ['kernel:0', 'recurrent_kernel:0', 'bias:0']:
        replace(h, CELL + p, lambda d: d.astype(np.float64))
    for p in ['kernel:0', 'bias:0']:
        replace(h, 'model_weights/dense/dense/' + p, lambda d: d.astype(np.float64))

def without_bias(h):
    del h[CELL + 'bias:0']
    g = h['model_weights/simple_rnn']
    g.attrs['weight_names'] = [n for n in g.attrs['weight_names'] if not n.endswith('bias:0')]
    configure(h, lambda rnn, dense: rnn.update(use_bias=False))

def without_biases(h):
    without_bias(h)
    del h['model_weights/dense/dense/bias:0']
    g = h['model_weights/dense']
    g.attrs['weight_names'] = [n for n in g.attrs['weight_names'] if not n.endswith('bias:0')]
    configure(h, lambda rnn, dense: dense.update(use_bias=False))

def external_link(h):
    del h[CELL + 'kernel:0']
    h[CELL + 'kernel:0'] = h5py.ExternalLink('elsewhere.h5', '/kernel')

def split_names(h):
    g = h['model_weights']
    del g.attrs['layer_names']
    g.attrs['layer_names0'] = np.array([b'simple_rnn'])
    g.attrs['layer_names1'] = np.array([b'dense'])

variant('int_kernel.h5', lambda h: replace(h, CELL + 'kernel:0', lambda d: d.astype(np.int32)))
variant('float64.h5', to_float64)
variant('shape_mismatch.h5', lambda h: replace(h, CELL + 'recurrent_kernel:0', lambda d: np.zeros((4, 5), np.float32)))
variant('bias_mismatch.h5', lambda h: replace(h, 'model_weights/dense/dense/bias:0', lambda d: np.zeros(2, np.float32)))
variant('missing_kernel.h5', lambda h: h.__delitem__(CELL + 'kernel:0'))
variant('external_link.h5', external_link)
variant('no_bias.h5', without_bias)
variant('no_biases.h5', without_biases)
variant('bad_json.h5', lambda h: h.attrs.__setitem__('model_config', '{"class_name": "Sequential", "config": '))
variant('go_backwards.h5', lambda h: configure(h, lambda rnn, dense: rnn.update(go_backwards=True)))
variant('relu_sigmoid.h5', lambda h: configure(h, lambda rnn, dense: (rnn.update(activation='relu', return_sequences=True),
                                                                     dense.update(activation='sigmoid'))))
variant('softplus_dense.h5', lambda h: configure(h, lambda rnn, dense: dense.update(activation='softplus')))
variant('units_mismatch.h5', lambda h: configure(h, lambda rnn, dense: rnn.update(units=5)))
variant('split_layer_names.h5', split_names)
variant('int_layer_names.h5', lambda h: h['model_weights'].attrs.__setitem__('layer_names', np.array([1, 2])))

# A save_weights() file of an LSTM model (no config: the class shows only in the shapes).
with h5py.File(os.path.join(K, 'keras2_dl4j_lstm_model.h5'), 'r') as s, \
        h5py.File(os.path.join(out, 'lstm_weights.h5'), 'w') as d:
    for k, v in s['model_weights'].attrs.items():
        d.attrs[k] = v
    for k in s['model_weights']:
        s.copy(s['model_weights'][k], d, k)

# The covid model behind a 512-byte user block.
with h5py.File(base, 'r') as s, h5py.File(os.path.join(out, 'userblock.h5'), 'w', userblock_size=512) as d:
    for k, v in s.attrs.items():
        d.attrs[k] = v
    s.copy(s['model_weights'], d, 'model_weights')

# .keras archives built from the Tesla model's members.
with zipfile.ZipFile(os.path.join(K, 'keras3_tesla_simple_rnn.keras')) as z:
    members = {n: z.read(n) for n in z.namelist()}

def archive(name, replace, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(os.path.join(out, name), 'w', method) as z:
        for n, data in {**members, **replace}.items():
            if data is not None:
                z.writestr(n, data)

archive('deflated.keras', {}, zipfile.ZIP_DEFLATED)
archive('no_config.keras', {'config.json': None})
archive('bad_config.keras', {'config.json': b'{"class_name": '})
archive('text_weights.keras', {'model.weights.h5': b'these are not weights'})
archive('no_weights.keras', {'model.weights.h5': None})
shutil.copy(os.path.join(K, 'keras3_tesla_simple_rnn.keras'), os.path.join(out, 'keras_named.h5'))
open(os.path.join(out, 'text.h5'), 'w').write('these are not weights\n')
open(os.path.join(out, 'empty.keras'), 'w').close()
)PY";

const std::string kKeras = std::string(RNNSCOPE_SHARED_DIR) + "/fixtures/keras/";

const Json &expected()
{
    static const Json e = loadJson("fixtures/keras/expected.json");
    return e;
}

const Json &fixture(const std::string &file)
{
    for (const Json &f : expected()["fixtures"])
        if (f["file"] == file)
            return f;
    qFatal("no fixture %s in expected.json", file.c_str());
}

// The refusals expected.json asks for, by suggested_app_behavior; every other behaviour loads.
bool refused(const std::string &behavior)
{
    return behavior == "refuse_unsupported_layer" || behavior == "not_a_model";
}

bool mentions(const std::vector<std::string> &notes, const std::string &text)
{
    return std::any_of(notes.begin(), notes.end(), [&](const std::string &n) { return n.find(text) != std::string::npos; });
}

std::string allNotes(const LoadedModel &m)
{
    std::string s;
    for (const std::string &n : m.notes)
        s += n + " | ";
    return s;
}

std::vector<std::uint8_t> fileBytes(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string &path, const std::uint8_t *data, std::size_t size)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
}

// A refusal of `kind`, in one line that names each of `mentions`.
void verifyRefusal(const std::optional<Error> &error, const QString &kind, const std::vector<std::string> &mentions)
{
    QCOMPARE(kindOf(error), kind);
    const std::string message = error->what();
    qDebug("%s", message.c_str());
    QVERIFY(oneLine(*error));
    for (const std::string &m : mentions)
        QVERIFY2(message.find(m) != std::string::npos, (m + " is not in: " + message).c_str());
}

// Files without a config: expected.json records D and M only; the Dense that rnnscope pairs with
// each SimpleRNN (by the layer order, or by the shapes) is this one ("" for none).
std::string denseWithoutConfig(const std::string &file, const std::string &layer)
{
    static const std::map<std::pair<std::string, std::string>, std::string> table = {
        {{"keras2_dl4j_simple_rnn_weights.h5", "simple_rnn_1"}, "dense_1"},
        {{"keras3_stacked_simple_rnn.weights.h5", "simple_rnn"}, ""},
        {{"keras3_stacked_simple_rnn.weights.h5", "simple_rnn_1"}, "dense"},
    };
    const auto it = table.find({file, layer});
    if (it == table.end())
        qFatal("no expected Dense for %s / %s", file.c_str(), layer.c_str());
    return it->second;
}

} // namespace

class TestKerasFile : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void fixtures_data();
    void fixtures();
    void everySimpleRnn_data();
    void everySimpleRnn();
    void badLayerChoice_data();
    void badLayerChoice();
    void sameWeightsInEveryFormat();
    void dl4jReference_data();
    void dl4jReference();
    void buildModelTakesTheConfig();
    void editedFiles_data();
    void editedFiles();
    void editedFilesThatLoad();
    void truncatedFiles_data();
    void truncatedFiles();
    void bitFlippedFiles_data();
    void bitFlippedFiles();

private:
    // The SimpleRNN `layer` of `file` (and its Dense) against the values h5py read.
    void compareWithDump(const LoadedModel &m, const std::string &file, const std::string &layer, const std::string &dense);

    QTemporaryDir m_dir;
    Json m_dump;
    Json m_dl4j;
};

void TestKerasFile::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QProcess python;
    python.start(QStringLiteral(RNNSCOPE_PYTHON),
                 {QStringLiteral("-c"), QString::fromUtf8(kPythonHelper), QStringLiteral(RNNSCOPE_SHARED_DIR), m_dir.path()});
    QVERIFY2(python.waitForFinished(120000), "the h5py helper did not finish");
    QVERIFY2(python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0, python.readAllStandardError().constData());
    std::ifstream dump(m_dir.filePath(QStringLiteral("weights.json")).toStdString());
    m_dump = Json::parse(dump);
    std::ifstream dl4j(m_dir.filePath(QStringLiteral("dl4j.json")).toStdString());
    m_dl4j = Json::parse(dl4j);
}

void TestKerasFile::compareWithDump(const LoadedModel &m, const std::string &file, const std::string &layer,
                                    const std::string &dense)
{
    const Json &w = m_dump.at(file).at(layer);
    QCOMPARE(maxDifference(m.weights.Wx, matrixOf(w["kernel"])), 0.0);
    QCOMPARE(maxDifference(m.weights.Wh, matrixOf(w["recurrent_kernel"])), 0.0);
    QCOMPARE(maxDifference(m.weights.bh, vectorOf(w["bias"])), 0.0);
    if (dense.empty()) {
        QVERIFY(!m.weights.hasDense());
        QVERIFY(m.denseLayerName.empty());
        return;
    }
    const Json &d = m_dump.at(file).at(dense);
    QCOMPARE(m.denseLayerName, dense);
    QCOMPARE(maxDifference(m.weights.Wo, matrixOf(d["kernel"])), 0.0);
    QCOMPARE(maxDifference(m.weights.bo, vectorOf(d["bias"])), 0.0);
}

// ---- the real fixtures, as expected.json describes them ------------------------------------------

void TestKerasFile::fixtures_data()
{
    QTest::addColumn<QString>("file");
    for (const Json &f : expected()["fixtures"])
        QTest::newRow(f["file"].get<std::string>().c_str()) << QString::fromStdString(f["file"].get<std::string>());
}

// Opened without --layer: the first SimpleRNN, what expected.json says about it, and a note for
// every layer left out; or refused as expected.json asks.
void TestKerasFile::fixtures()
{
    QFETCH(QString, file);
    const Json &f = fixture(file.toStdString());
    const std::string path = kKeras + file.toStdString();
    LoadedModel m;
    const auto error = errorOf([&] { m = loadWeightsFile(path); });
    const std::string behavior = f["suggested_app_behavior"].get<std::string>();
    if (refused(behavior)) {
        QVERIFY2(error, "loaded a file expected.json says to refuse");
        QVERIFY(std::string(error->what()).rfind(path, 0) == 0);
        // Not a model; or a recurrent layer that is not a SimpleRNN, named with its class.
        std::vector<std::string> mentions = {behavior == "not_a_model" ? "not a Keras model" : "not a SimpleRNN"};
        for (const Json &l : f.value("layers", Json::array()))
            if (l["class_name"] == "LSTM" || l["class_name"] == "GRU")
                mentions.insert(mentions.end(), {"'" + l["name"].get<std::string>() + "'", l["class_name"].get<std::string>()});
        verifyRefusal(error, QStringLiteral("unsupported"), mentions);
        return;
    }
    QVERIFY2(!error, error ? error->what() : "");
    const Json &rnn = f["simple_rnn"][0];
    const std::string layer = rnn["layer"].get<std::string>();
    QCOMPARE(m.layerName, layer);
    QCOMPARE(m.weights.D(), rnn["D"].get<int>());
    QCOMPARE(m.weights.M(), rnn["M"].get<int>());
    std::vector<std::string> names;
    for (const Json &r : f["simple_rnn"])
        names.push_back(r["layer"].get<std::string>());
    QCOMPARE(m.recurrentLayers, names);
    QVERIFY(!m.layoutDescription.empty());
    qDebug("%s: %s | %s", file.toUtf8().constData(), m.layoutDescription.c_str(), allNotes(m).c_str());

    // The configuration, where the file has one.
    if (rnn.contains("T") && !rnn["T"].is_null())
        QCOMPARE(m.T, std::optional<int>(rnn["T"].get<int>()));
    else
        QCOMPARE(m.T, std::optional<int>());
    if (rnn.contains("activation"))
        QCOMPARE(m.cell, parseActivation(rnn["activation"].get<std::string>()));
    else
        QCOMPARE(m.cell, std::optional<Activation>());
    if (rnn.contains("return_sequences"))
        QCOMPARE(m.returnSequences, std::optional<bool>(rnn["return_sequences"].get<bool>()));
    else
        QCOMPARE(m.returnSequences, std::optional<bool>());

    // Every layer of the model that is not shown is named in a note.
    if (f.contains("layers") && f.contains("model_class")) {
        for (const Json &l : f["layers"]) {
            const std::string name = l["name"].get<std::string>();
            if (l["class_name"] == "InputLayer" || name == m.layerName || name == m.denseLayerName)
                continue;
            QVERIFY2(mentions(m.notes, "'" + name + "'"), (name + " is not in the notes: " + allNotes(m)).c_str());
        }
    }
    if (behavior == "load_with_embedding")
        QVERIFY2(mentions(m.notes, "(Embedding)"), allNotes(m).c_str());
    if (names.size() > 1)
        QVERIFY2(mentions(m.notes, "--layer"), allNotes(m).c_str());
}

void TestKerasFile::everySimpleRnn_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("layer");
    for (const Json &f : expected()["fixtures"]) {
        if (refused(f["suggested_app_behavior"].get<std::string>()))
            continue;
        for (const Json &r : f["simple_rnn"]) {
            const std::string name = f["file"].get<std::string>() + " " + r["layer"].get<std::string>();
            QTest::newRow(name.c_str()) << QString::fromStdString(f["file"].get<std::string>())
                                        << QString::fromStdString(r["layer"].get<std::string>());
        }
    }
}

// Each SimpleRNN chosen with --layer: shapes, configuration and values as h5py reads them.
void TestKerasFile::everySimpleRnn()
{
    QFETCH(QString, file);
    QFETCH(QString, layer);
    const Json &f = fixture(file.toStdString());
    const Json *entry = nullptr;
    for (const Json &r : f["simple_rnn"])
        if (r["layer"] == layer.toStdString())
            entry = &r;
    QVERIFY(entry);
    const LoadedModel m = loadWeightsFile(kKeras + file.toStdString(), layer.toStdString());
    QCOMPARE(m.layerName, layer.toStdString());
    QCOMPARE(m.weights.D(), (*entry)["D"].get<int>());
    QCOMPARE(m.weights.M(), (*entry)["M"].get<int>());
    QCOMPARE(m.dtype, DType::Float32);
    if (entry->contains("T") && !(*entry)["T"].is_null())
        QCOMPARE(m.T, std::optional<int>((*entry)["T"].get<int>()));
    if (entry->contains("activation"))
        QCOMPARE(m.cell, parseActivation((*entry)["activation"].get<std::string>()));
    if (entry->contains("return_sequences"))
        QCOMPARE(m.returnSequences, std::optional<bool>((*entry)["return_sequences"].get<bool>()));

    std::string dense;
    if (!entry->contains("dense")) {
        dense = denseWithoutConfig(file.toStdString(), layer.toStdString());
        QCOMPARE(m.dense, std::optional<Activation>()); // no config: not recorded
    } else if (!(*entry)["dense"].is_null()) {
        const Json &d = (*entry)["dense"];
        dense = d["layer"].get<std::string>();
        QCOMPARE(m.weights.K(), d["K"].get<int>());
        // A Softmax layer right after the Dense is folded into its activation.
        std::string activation = d["activation"].get<std::string>();
        const Json &layers = f["layers"];
        for (std::size_t i = 0; i + 1 < layers.size(); ++i)
            if (layers[i]["name"] == dense && layers[i + 1]["class_name"] == "Softmax")
                activation = "softmax";
        QCOMPARE(m.dense, parseActivation(activation));
    }
    compareWithDump(m, file.toStdString(), layer.toStdString(), dense);
    checkShapes(m.weights);
}

void TestKerasFile::badLayerChoice_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("layer");
    QTest::addColumn<QString>("mention");
    for (const char *file : {"keras3_legacy_temperature_stacked_simple_rnn.h5", "keras3_temperature_stacked_simple_rnn.keras",
                             "keras3_stacked_simple_rnn.weights.h5"}) {
        QTest::newRow((std::string(file) + " unknown").c_str()) << file << "simple_rnn_7"
                                                                << "names no layer";
        QTest::newRow((std::string(file) + " dense").c_str()) << file << "dense"
                                                              << "Dense layer, not a SimpleRNN";
    }
    QTest::newRow("single SimpleRNN") << "keras2_covid_simple_rnn_dense.h5"
                                      << "simple_rnn_1"
                                      << "names no layer";
    QTest::newRow("dropout") << "keras3_tesla_simple_rnn.keras"
                             << "dropout"
                             << "Dropout layer";
}

// A --layer that names no SimpleRNN is refused, listing the SimpleRNN layers there are.
void TestKerasFile::badLayerChoice()
{
    QFETCH(QString, file);
    QFETCH(QString, layer);
    QFETCH(QString, mention);
    std::vector<std::string> mentions = {"'" + layer.toStdString() + "'", mention.toStdString()};
    for (const Json &r : fixture(file.toStdString())["simple_rnn"])
        mentions.push_back("'" + r["layer"].get<std::string>() + "'");
    verifyRefusal(errorOf([&] { loadWeightsFile(kKeras + file.toStdString(), layer.toStdString()); }),
                  QStringLiteral("bad_usage"), mentions);
}

// The same weights saved in different ways read the same.
void TestKerasFile::sameWeightsInEveryFormat()
{
    const auto same = [](const Weights &a, const Weights &b) {
        return maxDifference(a.Wx, b.Wx) == 0 && maxDifference(a.Wh, b.Wh) == 0 && maxDifference(a.bh, b.bh) == 0 &&
               maxDifference(a.Wo, b.Wo) == 0 && maxDifference(a.bo, b.bo) == 0;
    };
    const LoadedModel model = loadWeightsFile(kKeras + "keras2_dl4j_simple_rnn_model.h5");
    const LoadedModel weights = loadWeightsFile(kKeras + "keras2_dl4j_simple_rnn_weights.h5");
    QVERIFY(same(model.weights, weights.weights));
    for (const char *layer : {"simple_rnn", "simple_rnn_1"}) {
        const LoadedModel legacy = loadWeightsFile(kKeras + "keras3_legacy_temperature_stacked_simple_rnn.h5", layer);
        const LoadedModel zip = loadWeightsFile(kKeras + "keras3_temperature_stacked_simple_rnn.keras", layer);
        QVERIFY(same(legacy.weights, zip.weights));
        QCOMPARE(legacy.cell, zip.cell);
        QCOMPARE(legacy.returnSequences, zip.returnSequences);
    }
    // The content decides, not the extension; parseKerasFile reads the same from memory.
    const LoadedModel zip = loadWeightsFile(kKeras + "keras3_tesla_simple_rnn.keras");
    QVERIFY(same(zip.weights, loadWeightsFile(m_dir.filePath(QStringLiteral("keras_named.h5")).toStdString()).weights));
    QVERIFY(same(zip.weights, loadWeightsFile(m_dir.filePath(QStringLiteral("deflated.keras")).toStdString()).weights));
    const std::vector<std::uint8_t> bytes = fileBytes(kKeras + "keras3_tesla_simple_rnn.keras");
    const LoadedModel inMemory = parseKerasFile(bytes.data(), bytes.size(), "memory");
    QVERIFY(same(zip.weights, inMemory.weights));
    QCOMPARE(inMemory.notes, zip.notes);
    QCOMPARE(inMemory.layoutDescription, zip.layoutDescription);
}

// ---- the DL4J reference: Keras's own predictions ---------------------------------------------------

void TestKerasFile::dl4jReference_data()
{
    QTest::addColumn<QString>("dtype");
    QTest::newRow("float32") << "float32";
    QTest::newRow("float64") << "float64";
}

void TestKerasFile::dl4jReference()
{
    QFETCH(QString, dtype);
    ModelRequest request;
    request.weightsPath = kKeras + "keras2_dl4j_simple_rnn_model.h5";
    request.inputPath = m_dir.filePath(QStringLiteral("dl4j_X.npy")).toStdString();
    request.config.dtype = dtype == QLatin1String("float64") ? DType::Float64 : DType::Float32;
    Model model = buildModel(request);
    QCOMPARE(model.dims(), (Dims{25, 1, 1, 50, 1}));
    const NdArray y = model.prediction();
    const NdArray h = model.hiddenStates();
    const Eigen::MatrixXd predictions = matrixOf(m_dl4j["predictions"]);
    const Eigen::MatrixXd activations = matrixOf(m_dl4j["activations"]);
    QCOMPARE(y.shape, (std::vector<std::int64_t>{25, 1}));
    double dy = 0, dh = 0;
    for (int n = 0; n < 25; ++n) {
        dy = std::max(dy, std::abs(y.values[static_cast<std::size_t>(n)] - predictions(n, 0)));
        for (int j = 0; j < 50; ++j)
            dh = std::max(dh, std::abs(h.values[static_cast<std::size_t>(n * 50 + j)] - activations(n, j)));
    }
    qDebug("max |Y − predictions| = %.3g, max |h − activations| = %.3g", dy, dh);
    QVERIFY(dy < 1e-5);
    QVERIFY(dh < 1e-5);
}

// buildModel applies the file's T, activations and return_sequences unless the user gave them.
void TestKerasFile::buildModelTakesTheConfig()
{
    ModelRequest r;
    r.weightsPath = kKeras + "keras3_legacy_temperature_stacked_simple_rnn.h5";
    LoadedModel file;
    Model m = buildModel(r, &file);
    QCOMPARE(m.dims(), (Dims{1, 14, 6, 64, 0}));
    QCOMPARE(m.config().cell, Activation::Relu);
    QVERIFY(m.config().returnSequences);
    QCOMPARE(file.layerName, std::string("simple_rnn"));

    r.layer = "simple_rnn_1";
    r.dims = Dims{2, 5, 64, 32, 1}; // T from --dims: the file's does not count
    r.cell = Activation::Tanh;
    m = buildModel(r, &file);
    QCOMPARE(m.dims(), (Dims{2, 5, 64, 32, 1}));
    QCOMPARE(m.config().cell, Activation::Tanh);
    QVERIFY(!m.config().returnSequences);
    QCOMPARE(m.config().dense, Activation::Linear);
    QVERIFY2(mentions(file.notes, "--activation tanh overrides the file's relu"), allNotes(file).c_str());

    ModelRequest s;
    s.weightsPath = kKeras + "keras2_embedding_simple_rnn_dense_softmax.h5";
    s.config.dense = Activation::Relu; // a default, not given: the file's softmax wins
    QCOMPARE(buildModel(s).config().dense, Activation::Softmax);
    s.dense = Activation::Sigmoid;
    QCOMPARE(buildModel(s).config().dense, Activation::Sigmoid);

    ModelRequest d;
    d.weightsPath = kKeras + "keras2_dl4j_simple_rnn_weights.h5"; // no config: the defaults stay
    d.config.cell = Activation::Sigmoid;
    const Model w = buildModel(d);
    QCOMPARE(w.config().cell, Activation::Sigmoid);
    QCOMPARE(w.dims().T, Dims{}.T);

    ModelRequest bad = r;
    bad.dims = Dims{1, 5, 64, 16, 1};
    QCOMPARE(kindOf(errorOf([&] { buildModel(bad); })), QStringLiteral("shape_mismatch"));
}

// ---- edited and damaged files -------------------------------------------------------------------

void TestKerasFile::editedFiles_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("mention");
    QTest::newRow("int kernel") << "int_kernel.h5"
                                << "unsupported_dtype"
                                << "int32";
    QTest::newRow("recurrent kernel (4, 5)") << "shape_mismatch.h5"
                                             << "shape_mismatch"
                                             << "(4, 5), but units=4 in the config needs (4, 4)";
    QTest::newRow("Dense bias (2,)") << "bias_mismatch.h5"
                                     << "shape_mismatch"
                                     << "(2,), but K=1 needs (1,)";
    QTest::newRow("units=5 in the config") << "units_mismatch.h5"
                                           << "shape_mismatch"
                                           << "units=5";
    QTest::newRow("missing kernel") << "missing_kernel.h5"
                                    << "missing_array"
                                    << "kernel:0";
    QTest::newRow("external link") << "external_link.h5"
                                   << "missing_array"
                                   << "kernel:0";
    QTest::newRow("model_config not JSON") << "bad_json.h5"
                                           << "malformed_header"
                                           << "model_config";
    QTest::newRow("layer_names of integers") << "int_layer_names.h5"
                                             << "malformed_header"
                                             << "int64";
    QTest::newRow("go_backwards") << "go_backwards.h5"
                                  << "unsupported"
                                  << "go_backwards";
    QTest::newRow("softplus Dense") << "softplus_dense.h5"
                                    << "unsupported"
                                    << "'softplus'";
    QTest::newRow("LSTM weights without config") << "lstm_weights.h5"
                                                 << "unsupported"
                                                 << "an LSTM layer 'lstm_1'";
    QTest::newRow(".keras without config.json") << "no_config.keras"
                                                << "missing_array"
                                                << "config.json";
    QTest::newRow(".keras without weights") << "no_weights.keras"
                                            << "missing_array"
                                            << "model.weights.h5";
    QTest::newRow(".keras config not JSON") << "bad_config.keras"
                                            << "malformed_header"
                                            << "config.json";
    QTest::newRow(".keras weights not HDF5") << "text_weights.keras"
                                             << "bad_magic"
                                             << "model.weights.h5";
    QTest::newRow("text named .h5") << "text.h5"
                                    << "bad_magic"
                                    << "'these ar'";
    QTest::newRow("empty .keras") << "empty.keras"
                                  << "truncated"
                                  << "empty";
    QTest::newRow("missing file") << "nowhere.h5"
                                  << "io"
                                  << "no such file";
}

void TestKerasFile::editedFiles()
{
    QFETCH(QString, file);
    QFETCH(QString, kind);
    QFETCH(QString, mention);
    const std::string path = m_dir.filePath(file).toStdString();
    verifyRefusal(errorOf([&] { loadWeightsFile(path); }), kind, {path, mention.toStdString()});
}

void TestKerasFile::editedFilesThatLoad()
{
    const auto file = [&](const char *name) { return m_dir.filePath(QString::fromLatin1(name)).toStdString(); };
    const std::string covid = "keras2_covid_simple_rnn_dense.h5";

    const LoadedModel f64 = loadWeightsFile(file("float64.h5"));
    QCOMPARE(f64.dtype, DType::Float64);
    compareWithDump(f64, covid, "simple_rnn", "dense");

    const LoadedModel noBias = loadWeightsFile(file("no_bias.h5"));
    QVERIFY(noBias.weights.bh.isZero());
    QCOMPARE(noBias.weights.bh.size(), 4);
    QCOMPARE(maxDifference(noBias.weights.Wo, f64.weights.Wo), 0.0);
    QCOMPARE(maxDifference(noBias.weights.bo, f64.weights.bo), 0.0);
    QVERIFY2(mentions(noBias.notes, "use_bias=False"), allNotes(noBias).c_str());

    const LoadedModel noBiases = loadWeightsFile(file("no_biases.h5"));
    QVERIFY(noBiases.weights.bh.isZero() && noBiases.weights.bo.isZero());
    QCOMPARE(noBiases.weights.K(), 1);
    QCOMPARE(maxDifference(noBiases.weights.Wo, f64.weights.Wo), 0.0);
    QVERIFY2(mentions(noBiases.notes, "the Dense layer has no bias"), allNotes(noBiases).c_str());

    const LoadedModel edited = loadWeightsFile(file("relu_sigmoid.h5"));
    QCOMPARE(edited.cell, std::optional<Activation>(Activation::Relu));
    QCOMPARE(edited.dense, std::optional<Activation>(Activation::Sigmoid));
    QCOMPARE(edited.returnSequences, std::optional<bool>(true));

    for (const char *name : {"split_layer_names.h5", "userblock.h5"}) {
        const LoadedModel m = loadWeightsFile(file(name));
        compareWithDump(m, covid, "simple_rnn", "dense");
        QCOMPARE(m.T, std::optional<int>(1));
    }
}

void TestKerasFile::truncatedFiles_data()
{
    fixtures_data();
}

// Cut anywhere, every fixture is refused with one line that names it.
void TestKerasFile::truncatedFiles()
{
    QFETCH(QString, file);
    const std::vector<std::uint8_t> bytes = fileBytes(kKeras + file.toStdString());
    QVERIFY(!bytes.empty());
    QTemporaryDir dir;
    const std::string path = dir.filePath(file).toStdString();
    std::map<std::string, int> kinds;
    for (const std::size_t size : {std::size_t(1), std::size_t(8), std::size_t(100), std::size_t(600), bytes.size() / 4,
                                   bytes.size() / 2, bytes.size() - 1000, bytes.size() - 1}) {
        writeBytes(path, bytes.data(), size);
        const auto error = errorOf([&] { loadWeightsFile(path); });
        QVERIFY2(error, ("a copy cut to " + std::to_string(size) + " bytes loaded").c_str());
        QVERIFY(oneLine(*error));
        QVERIFY2(std::string(error->what()).rfind(path, 0) == 0, error->what());
        ++kinds[errorKindName(error->kind())];
    }
    std::string summary;
    for (const auto &[kind, count] : kinds)
        summary += kind + "×" + std::to_string(count) + " ";
    qDebug("%s", summary.c_str());
}

void TestKerasFile::bitFlippedFiles_data()
{
    fixtures_data();
}

// Bits flipped in the structures (the first 4 KiB) and anywhere: a copy loads (then its weights
// fit together) or is refused with one line that names it; the process survives either way.
void TestKerasFile::bitFlippedFiles()
{
    QFETCH(QString, file);
    const std::vector<std::uint8_t> original = fileBytes(kKeras + file.toStdString());
    QTemporaryDir dir;
    const std::string path = dir.filePath(file).toStdString();
    std::mt19937_64 random(std::hash<std::string>{}(file.toStdString()) % 1000003);
    std::map<std::string, int> outcomes;
    for (int copy = 0; copy < 24; ++copy) {
        std::vector<std::uint8_t> bytes = original;
        const std::size_t span = copy % 3 == 2 ? bytes.size() : std::min<std::size_t>(bytes.size(), 4096);
        for (int flips = 1 + copy % 3; flips > 0; --flips) {
            const std::size_t at = static_cast<std::size_t>(random() % span);
            bytes[at] = static_cast<std::uint8_t>(bytes[at] ^ (1u << (random() % 8)));
        }
        writeBytes(path, bytes.data(), bytes.size());
        LoadedModel m;
        const auto error = errorOf([&] { m = loadWeightsFile(path); });
        if (error) {
            QVERIFY(oneLine(*error));
            QVERIFY2(std::string(error->what()).rfind(path, 0) == 0, error->what());
            const bool crashed = std::string(error->what()).find("crashed") != std::string::npos;
            ++outcomes[crashed ? "reader crashed" : errorKindName(error->kind())];
        } else {
            checkShapes(m.weights);
            ++outcomes["load"];
        }
    }
    std::string summary;
    for (const auto &[outcome, count] : outcomes)
        summary += outcome + "×" + std::to_string(count) + " ";
    qDebug("%s", summary.c_str());
}

QTEST_APPLESS_MAIN(TestKerasFile)
#include "test_kerasfile.moc"
