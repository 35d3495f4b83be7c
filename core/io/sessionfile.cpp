#include "io/sessionfile.h"

#include "common/error.h"
#include "io/file.h"
#include "io/refusal.h"
#include "io/weightfile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>

namespace rnnscope {

namespace {

using Json = nlohmann::json;

// The deepest nesting of a session: the root object, "weights", "layers", a layer, a direction, a
// weight, a row (version 3; X[n][t][d] is 4 deep).
constexpr int kMaxDepth = 7;

const char *const kExpectedNumber = "a number, \"nan\", \"inf\" or \"-inf\"";

std::string fieldName(std::string_view text)
{
    return quote(text, 40);
}

std::string joined(const std::string &parent, const std::string &key)
{
    return parent.empty() ? key : parent + "." + key;
}

// ---- scanning: the bytes checked before any document is built ---------------------------------

// Counts the values and checks the nesting and the keys of each object while nlohmann's parser
// reads the bytes, so that a hostile file is refused before its document takes memory.
class Scanner final : public nlohmann::json_sax<Json> {
public:
    explicit Scanner(const std::string &name) : m_name(name) {}

    // Why the scan stopped (set whenever a callback returned false).
    std::optional<Error> error;

    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t &) override { return value(); }
    bool string(string_t &) override { return value(); }
    bool binary(binary_t &) override { return value(); }
    bool start_object(std::size_t) override { return open(true); }
    bool start_array(std::size_t) override { return open(false); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }

    bool key(string_t &k) override
    {
        Level &level = m_levels.back();
        if (!level.keys.insert(k).second) {
            std::string where;
            for (std::size_t i = 0; i + 1 < m_levels.size(); ++i)
                if (m_levels[i].object)
                    where = joined(where, m_levels[i].current);
            return refuse(ErrorKind::MalformedHeader,
                          "duplicate field " + fieldName(joined(where, k)) + ": each field may appear once");
        }
        level.current = k;
        return value();
    }

    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &e) override
    {
        std::string what = e.what();
        if (const auto bracket = what.find("] "); bracket != std::string::npos)
            what.erase(0, bracket + 2); // "[json.exception.parse_error.101] "
        const bool early = what.find("unexpected end of input") != std::string::npos;
        return refuse(early ? ErrorKind::Truncated : ErrorKind::MalformedHeader,
                      (early ? "the JSON ends early (truncated?): " : "not valid JSON: ") + printableText(what, 200));
    }

private:
    struct Level {
        bool object;
        std::set<std::string> keys;
        std::string current;
    };

    bool refuse(ErrorKind kind, const std::string &what)
    {
        error = refusal(kind, m_name, what);
        return false;
    }

    bool value()
    {
        if (++m_values > kMaxSessionValues)
            return refuse(ErrorKind::TooLarge, "holds more than the " + std::to_string(kMaxSessionValues)
                                                   + " values a session file may hold");
        return true;
    }

    bool open(bool object)
    {
        if (m_levels.size() >= static_cast<std::size_t>(kMaxDepth))
            return refuse(ErrorKind::MalformedHeader, "lists or objects nested deeper than " + std::to_string(kMaxDepth)
                                                          + " levels: a session's deepest value is weights.layers[l][d].Wx[i][j]");
        m_levels.push_back(Level{object, {}, {}});
        return value();
    }

    bool close()
    {
        m_levels.pop_back();
        return true;
    }

    const std::string &m_name;
    std::vector<Level> m_levels;
    std::uint64_t m_values = 0;
};

// ---- decoding: the document checked field by field ------------------------------------------

// What a JSON value is, for a message: "\"3\" (a string)", "true (a boolean)", "a list", ….
std::string describe(const Json &j)
{
    switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return j.get<bool>() ? "true (a boolean)" : "false (a boolean)";
    case Json::value_t::string: return "\"" + printableText(j.get_ref<const std::string &>(), 40) + "\" (a string)";
    case Json::value_t::array: return "a list";
    case Json::value_t::object: return "an object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return printableText(j.dump(), 40) + " (a number)";
    default: return "a binary value";
    }
}

class Decoder {
public:
    explicit Decoder(const std::string &name) : m_name(name) {}

    [[noreturn]] void fail(ErrorKind kind, const std::string &what) const { rnnscope::fail(kind, m_name, what); }

    // The member `key` of the object `obj` (itself at `parent`). MissingArray when absent.
    const Json &field(const Json &obj, const char *key, const std::string &parent) const
    {
        const auto it = obj.find(key);
        if (it == obj.end())
            fail(ErrorKind::MissingArray, "field " + fieldName(joined(parent, key)) + " is missing");
        return *it;
    }

    // Refuses a member of `obj` not in `known`.
    void onlyFields(const Json &obj, std::initializer_list<const char *> known, const std::string &parent) const
    {
        for (const auto &[key, value] : obj.items()) {
            if (std::none_of(known.begin(), known.end(), [&key = key](const char *k) { return key == k; })) {
                std::string names;
                for (const char *k : known)
                    names += (names.empty() ? "" : ", ") + std::string(k);
                fail(ErrorKind::MalformedHeader, "unknown field " + fieldName(joined(parent, key)) + ": expected "
                                                     + (parent.empty() ? std::string("the fields ") : "in '" + parent + "' ")
                                                     + names);
            }
        }
    }

    const Json &object(const Json &obj, const char *key, const std::string &parent) const
    {
        const Json &j = field(obj, key, parent);
        if (!j.is_object())
            wrongType(j, joined(parent, key), "an object");
        return j;
    }

    std::int64_t integer(const Json &obj, const char *key, const std::string &parent, std::int64_t lo, std::int64_t hi) const
    {
        return integer(field(obj, key, parent), joined(parent, key), lo, hi);
    }

    // The value `j` at `path`, an integer lo … hi (an integral float such as 3.0 counts).
    std::int64_t integer(const Json &j, const std::string &path, std::int64_t lo, std::int64_t hi) const
    {
        const std::string range = "an integer " + std::to_string(lo) + " … " + std::to_string(hi);
        std::int64_t v = 0;
        if (j.is_number_unsigned())
            v = j.get<std::uint64_t>() > std::uint64_t(hi) ? hi + 1 : static_cast<std::int64_t>(j.get<std::uint64_t>());
        else if (j.is_number_integer())
            v = j.get<std::int64_t>();
        else if (j.is_number_float() && std::trunc(j.get<double>()) == j.get<double>() && std::abs(j.get<double>()) < 9e18)
            v = static_cast<std::int64_t>(j.get<double>());
        else
            wrongType(j, path, range);
        if (v < lo || v > hi)
            fail(ErrorKind::OutOfRange, "field " + fieldName(path) + " is " + printableText(j.dump(), 40) + ": expected " + range);
        return v;
    }

    std::uint64_t unsignedInteger(const Json &obj, const char *key, const std::string &parent) const
    {
        const Json &j = field(obj, key, parent);
        if (j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0))
            return j.get<std::uint64_t>();
        if (j.is_number_float() && std::trunc(j.get<double>()) == j.get<double>() && j.get<double>() >= 0
            && j.get<double>() < 1.8e19)
            return static_cast<std::uint64_t>(j.get<double>());
        wrongType(j, joined(parent, key), "an integer 0 … " + std::to_string(std::numeric_limits<std::uint64_t>::max()));
    }

    bool boolean(const Json &obj, const char *key, const std::string &parent) const
    {
        const Json &j = field(obj, key, parent);
        if (!j.is_boolean())
            wrongType(j, joined(parent, key), "true or false");
        return j.get<bool>();
    }

    const std::string &text(const Json &obj, const char *key, const std::string &parent) const
    {
        const Json &j = field(obj, key, parent);
        if (!j.is_string())
            wrongType(j, joined(parent, key), "a string");
        return j.get_ref<const std::string &>();
    }

    // One of `names` (the strings a field may hold); returns its index.
    template <std::size_t n>
    std::size_t choice(const Json &obj, const char *key, const std::string &parent, const std::array<const char *, n> &names) const
    {
        const std::string &s = text(obj, key, parent);
        for (std::size_t i = 0; i < n; ++i)
            if (s == names[i])
                return i;
        std::string list;
        for (std::size_t i = 0; i < n; ++i)
            list += (i == 0 ? "\"" : i + 1 == n ? " or \"" : ", \"") + std::string(names[i]) + "\"";
        fail(ErrorKind::Unsupported, "field " + fieldName(joined(parent, key)) + " is \"" + printableText(s, 40)
                                         + "\": expected " + list);
    }

    // A number, or one of the strings that stand for NaN and ±Inf.
    double number(const Json &j, const std::string &path) const
    {
        if (j.is_number())
            return j.get<double>();
        if (j.is_string()) {
            std::string s = j.get<std::string>();
            std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            const bool minus = !s.empty() && s.front() == '-';
            if (!s.empty() && (s.front() == '-' || s.front() == '+'))
                s.erase(0, 1);
            if (s == "nan")
                return minus ? -std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::quiet_NaN();
            if (s == "inf" || s == "infinity")
                return minus ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        }
        wrongType(j, path, kExpectedNumber);
    }

    // The nested list `j` at `path`, of `shape` (rank 1 … 3, each at least 0), in C order.
    // `because` names the dimensions that ask for the shape ("M=5").
    std::vector<double> array(const Json &j, const std::string &path, const std::vector<std::int64_t> &shape,
                              const std::string &because) const
    {
        std::size_t count = 1;
        for (std::int64_t n : shape)
            count *= static_cast<std::size_t>(n);
        std::vector<double> values;
        values.reserve(count);
        fill(j, path, j, path, shape, 0, true, because, values);
        return values;
    }

private:
    [[noreturn]] void wrongType(const Json &j, const std::string &path, const std::string &expected) const
    {
        fail(ErrorKind::MalformedHeader, "field " + fieldName(path) + " is " + describe(j) + ": expected " + expected);
    }

    // The shape `j` shows, following first elements: [[1, 2], [3]] → (2, 2).
    static std::vector<std::int64_t> observedShape(const Json *j)
    {
        std::vector<std::int64_t> shape;
        while (j->is_array() && shape.size() <= static_cast<std::size_t>(kMaxDepth)) {
            shape.push_back(static_cast<std::int64_t>(j->size()));
            if (j->empty())
                break;
            j = &(*j)[0];
        }
        return shape;
    }

    // Reads `j`, the element at `path` of the nested list `root` (at `rootPath`), at depth `level`.
    // A shape that does not fit is reported for the whole list while the elements read so far
    // are all first ones (so the shape seen is the list's), else for the element that differs.
    void fill(const Json &root, const std::string &rootPath, const Json &j, const std::string &path,
              const std::vector<std::int64_t> &shape, std::size_t level, bool first, const std::string &because,
              std::vector<double> &values) const
    {
        const auto mismatch = [&](const Json &at, const std::string &atPath, std::size_t atLevel) {
            const std::vector<std::int64_t> wanted(shape.begin() + static_cast<std::ptrdiff_t>(atLevel), shape.end());
            if (!at.is_array())
                fail(ErrorKind::ShapeMismatch, atPath + " is " + describe(at) + ", but " + because
                                                   + " needs a list of shape " + shapeString(wanted));
            fail(ErrorKind::ShapeMismatch, atPath + " has shape " + shapeString(observedShape(&at)) + ", but " + because
                                               + " needs " + shapeString(wanted));
        };
        const auto refuse = [&](const Json &at, const std::string &atPath, std::size_t atLevel) {
            if (first)
                mismatch(root, rootPath, 0);
            mismatch(at, atPath, atLevel);
        };
        if (!j.is_array() || static_cast<std::int64_t>(j.size()) != shape[level])
            refuse(j, path, level);
        for (std::size_t i = 0; i < j.size(); ++i) {
            const std::string at = path + "[" + std::to_string(i) + "]";
            if (level + 1 < shape.size())
                fill(root, rootPath, j[i], at, shape, level + 1, first && i == 0, because, values);
            else if (j[i].is_array())
                refuse(j, path, level);
            else
                values.push_back(number(j[i], at));
        }
    }

    const std::string &m_name;
};

constexpr std::array<const char *, 2> kDtypes = {"float32", "float64"};
constexpr std::array<const char *, 2> kLayouts = {"keras", "pytorch"};
constexpr std::array<const char *, 5> kSchemes = {"keras", "normal", "uniform", "identity", "zeros"}; // initSchemeName's
constexpr std::array<const char *, 6> kCellActivations = {"tanh", "relu", "sigmoid", "linear", "hard_sigmoid",
                                                          "hard_sigmoid_keras2"};
constexpr std::array<const char *, 3> kCells = {"simplernn", "lstm", "gru"};
constexpr std::array<const char *, 5> kDenseActivations = {"linear", "relu", "sigmoid", "tanh", "softmax"};

Eigen::MatrixXd matrixOf(const std::vector<double> &rowMajor, Eigen::Index rows, Eigen::Index cols)
{
    Eigen::MatrixXd m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
        for (Eigen::Index k = 0; k < cols; ++k)
            m(i, k) = rowMajor[static_cast<std::size_t>(i * cols + k)];
    return m;
}

Eigen::VectorXd vectorOf(const std::vector<double> &values)
{
    return Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
}

constexpr std::array<const char *, 4> kMerges = {"concat", "sum", "mul", "ave"}; // mergeName's, in Merge's order

DType readDtype(const Decoder &in, const Json &doc)
{
    return in.choice(doc, "dtype", "", kDtypes) == 0 ? DType::Float32 : DType::Float64;
}

// "seed" and "initializer", alike in every version.
void readSettings(const Decoder &in, const Json &doc, std::uint64_t &seed, InitSpec &init)
{
    seed = in.unsignedInteger(doc, "seed", "");
    const Json &j = in.object(doc, "initializer", "");
    in.onlyFields(j, {"scheme", "scale"}, "initializer");
    init.scheme = *parseInitScheme(kSchemes[in.choice(j, "scheme", "initializer", kSchemes)]);
    const Json &scale = in.field(j, "scale", "initializer");
    if (!scale.is_number() || !std::isfinite(scale.get<double>()) || scale.get<double>() < 0)
        in.fail(scale.is_number() ? ErrorKind::OutOfRange : ErrorKind::MalformedHeader,
                "field 'initializer.scale' is " + describe(scale) + ": expected a finite number ≥ 0");
    init.scale = scale.get<double>();
}

// A cell's kind, recurrent activation and reset_after, from the layer object `j` at `path`.
void readCell(const Decoder &in, const Json &j, const std::string &path, CellSpec &cell)
{
    cell.kind = *parseCellKind(kCells[in.choice(j, "cell", path, kCells)]);
    cell.recurrent = *parseActivation(kCellActivations[in.choice(j, "recurrent_activation", path, kCellActivations)]);
    cell.resetAfter = in.boolean(j, "reset_after", path);
}

// "view", whose units are those of a layer of M units (`who` names it: "M=5", "layer 2 (lstm_1)").
SessionView readView(const Decoder &in, const Json &doc, int M, const std::string &who)
{
    SessionView view;
    const Json &j = in.object(doc, "view", "");
    in.onlyFields(j, {"layout", "units", "presentation"}, "view");
    view.layout = in.choice(j, "layout", "view", kLayouts) == 0 ? Layout::Keras : Layout::PyTorch;
    const Json &units = in.field(j, "units", "view");
    if (!units.is_array())
        in.fail(ErrorKind::MalformedHeader, "field 'view.units' is " + describe(units) + ": expected a list of hidden units");
    if (units.size() > static_cast<std::size_t>(M))
        in.fail(ErrorKind::OutOfRange, "field 'view.units' lists " + std::to_string(units.size()) + " units, but " + who
                                           + " has only " + std::to_string(M));
    std::set<int> seen;
    for (std::size_t i = 0; i < units.size(); ++i) {
        const int u = static_cast<int>(in.integer(units[i], "view.units[" + std::to_string(i) + "]", 0, M - 1));
        if (!seen.insert(u).second)
            in.fail(ErrorKind::MalformedHeader, "field 'view.units' lists unit " + std::to_string(u) + " twice");
        view.units.push_back(u);
    }
    view.presentation = in.boolean(j, "presentation", "view");
    return view;
}

// A recurrent layer's Wx, Wh and bh from the object `j` at `path`; `inputs` and `units` explain
// their shapes ("D=3, M=5 (LSTM)" and "M=5 (LSTM)").
Weights readRecurrent(const Decoder &in, const Json &j, const std::string &path, const CellSpec &cell, int D, int M,
                      const std::string &inputs, const std::string &units)
{
    const auto read = [&](const char *key, std::vector<std::int64_t> shape, const std::string &because) {
        return in.array(in.field(j, key, path), joined(path, key), shape, because);
    };
    const std::int64_t gM = std::int64_t(cell.gates()) * M;
    Weights w;
    w.Wx = matrixOf(read("Wx", {D, gM}, inputs), D, gM);
    w.Wh = matrixOf(read("Wh", {M, gM}, units), M, gM);
    w.bh = vectorOf(read("bh", cell.biasRows() == 2 ? std::vector<std::int64_t>{2, gM} : std::vector<std::int64_t>{gM}, units));
    return w;
}

// "X" (N, T, D) as the D × (T·N) matrix: X[n][t][d] → column t·N + n.
Eigen::MatrixXd readX(const Decoder &in, const Json &doc, int N, int T, int D)
{
    const std::vector<double> x = in.array(in.field(doc, "X", ""), "X", {N, T, D},
                                           "N=" + std::to_string(N) + ", T=" + std::to_string(T) + ", D=" + std::to_string(D));
    Eigen::MatrixXd X(D, static_cast<Eigen::Index>(T) * N);
    std::size_t i = 0;
    for (int n = 0; n < N; ++n)
        for (int t = 0; t < T; ++t)
            for (int f = 0; f < D; ++f)
                X(f, static_cast<Eigen::Index>(t) * N + n) = x[i++];
    return X;
}

// "layers[i]" of a version 3 file: every field of the LayerSpec.
LayerSpec readLayer(const Decoder &in, const Json &j, const std::string &path)
{
    if (!j.is_object())
        in.fail(ErrorKind::MalformedHeader, "field " + fieldName(path) + " is " + describe(j) + ": expected an object");
    in.onlyFields(j, {"cell", "units", "activation", "recurrent_activation", "reset_after", "return_sequences",
                      "go_backwards", "bidirectional", "merge"},
                  path);
    LayerSpec layer;
    readCell(in, j, path, layer.cell);
    layer.units = static_cast<int>(in.integer(j, "units", path, 1, DimLimits::maxM));
    layer.cell.activation = *parseActivation(kCellActivations[in.choice(j, "activation", path, kCellActivations)]);
    layer.returnSequences = in.boolean(j, "return_sequences", path);
    layer.goBackwards = in.boolean(j, "go_backwards", path);
    layer.bidirectional = in.boolean(j, "bidirectional", path);
    layer.merge = static_cast<Merge>(in.choice(j, "merge", path, kMerges));
    return layer;
}

// A version 1 or 2 file: the one-layer model.
SessionData decodeModel(const Decoder &in, const Json &doc, bool v1, std::uint64_t memoryBudget)
{
    if (v1)
        in.onlyFields(doc, {"format", "version", "dims", "dtype", "seed", "initializer", "activation",
                            "dense_activation", "return_sequences", "timestep", "sample", "view", "weights", "X"},
                      "");
    else
        in.onlyFields(doc, {"format", "version", "dims", "dtype", "seed", "initializer", "activation",
                            "dense_activation", "return_sequences", "layers", "timestep", "sample", "view", "weights",
                            "X"},
                      "");

    SessionData data;
    ModelConfig &config = data.model.config;
    config.memoryBudget = memoryBudget;

    // The sizes, checked against the budget before any array is read.
    const Json &dims = in.object(doc, "dims", "");
    in.onlyFields(dims, {"N", "T", "D", "M", "K"}, "dims");
    Dims &d = config.dims;
    d.N = static_cast<int>(in.integer(dims, "N", "dims", 1, DimLimits::maxN));
    d.T = static_cast<int>(in.integer(dims, "T", "dims", 1, DimLimits::maxT));
    d.D = static_cast<int>(in.integer(dims, "D", "dims", 1, DimLimits::maxD));
    d.M = static_cast<int>(in.integer(dims, "M", "dims", 1, DimLimits::maxM));
    d.K = static_cast<int>(in.integer(dims, "K", "dims", 0, DimLimits::maxK));
    config.dtype = readDtype(in, doc);
    // Version 2: the recurrent layer's cell; version 1 files hold a SimpleRNN.
    if (!v1) {
        const Json &layers = in.field(doc, "layers", "");
        if (!layers.is_array() || layers.size() != 1)
            in.fail(layers.is_array() ? ErrorKind::Unsupported : ErrorKind::MalformedHeader,
                    "field 'layers' is " + describe(layers) + ": expected a list of one recurrent layer");
        const Json &layer = layers[0];
        if (!layer.is_object())
            in.fail(ErrorKind::MalformedHeader, "field 'layers[0]' is " + describe(layer) + ": expected an object");
        in.onlyFields(layer, {"cell", "recurrent_activation", "reset_after"}, "layers[0]");
        CellSpec cell;
        readCell(in, layer, "layers[0]", cell);
        config.kind = cell.kind;
        config.recurrent = cell.recurrent;
        config.resetAfter = cell.resetAfter;
    }
    try {
        checkDims(d, config.dtype, memoryBudget, config.cellSpec());
    } catch (const Error &e) {
        in.fail(e.kind(), std::string("dims: ") + e.what());
    }

    readSettings(in, doc, config.seed, config.init);
    config.cell = *parseActivation(kCellActivations[in.choice(doc, "activation", "", kCellActivations)]);
    config.dense = *parseActivation(kDenseActivations[in.choice(doc, "dense_activation", "", kDenseActivations)]);
    config.returnSequences = in.boolean(doc, "return_sequences", "");
    data.timestep = static_cast<int>(in.integer(doc, "timestep", "", -1, d.T - 1));
    data.sample = static_cast<int>(in.integer(doc, "sample", "", 0, d.N - 1));
    const std::string sD = "D=" + std::to_string(d.D), sM = "M=" + std::to_string(d.M), sK = "K=" + std::to_string(d.K);
    data.view = readView(in, doc, d.M, sM);

    // The arrays, each against the dimensions.
    const Json &weights = in.object(doc, "weights", "");
    in.onlyFields(weights, {"Wx", "Wh", "bh", "Wo", "bo"}, "weights");
    const CellSpec cell = config.cellSpec();
    const std::string sG = cell.kind == CellKind::SimpleRNN ? sM : sM + " (" + cellClassName(cell.kind) + ")";
    Weights &w = data.model.weights;
    w = readRecurrent(in, weights, "weights", cell, d.D, d.M, sD + ", " + sG, sG);
    w.Wo = matrixOf(in.array(in.field(weights, "Wo", "weights"), "weights.Wo", {d.M, d.K}, sM + ", " + sK), d.M, d.K);
    w.bo = vectorOf(in.array(in.field(weights, "bo", "weights"), "weights.bo", {d.K}, sK));
    data.model.X = readX(in, doc, d.N, d.T, d.D);
    return data;
}

// A version 3 file: the network.
SessionData decodeNetwork(const Decoder &in, const Json &doc, std::uint64_t memoryBudget)
{
    in.onlyFields(doc, {"format", "version", "dims", "dtype", "seed", "initializer", "dense_activation", "vocabulary",
                        "layers", "timestep", "sample", "layer", "direction", "view", "weights", "X", "ids"},
                  "");
    SessionData data;
    NetworkState &state = data.network.emplace();
    NetworkConfig &c = state.config;
    c.memoryBudget = memoryBudget;

    // The sizes and the stack, checked against the budget before any array is read.
    const Json &dims = in.object(doc, "dims", "");
    in.onlyFields(dims, {"N", "T", "D", "K"}, "dims");
    c.N = static_cast<int>(in.integer(dims, "N", "dims", 1, DimLimits::maxN));
    c.T = static_cast<int>(in.integer(dims, "T", "dims", 1, DimLimits::maxT));
    c.D = static_cast<int>(in.integer(dims, "D", "dims", 1, DimLimits::maxD));
    c.K = static_cast<int>(in.integer(dims, "K", "dims", 0, DimLimits::maxK));
    c.vocabulary = static_cast<int>(in.integer(doc, "vocabulary", "", 0, kMaxVocabulary));
    const Json &layers = in.field(doc, "layers", "");
    if (!layers.is_array() || layers.empty() || layers.size() > static_cast<std::size_t>(kMaxLayers))
        in.fail(layers.is_array() ? ErrorKind::OutOfRange : ErrorKind::MalformedHeader,
                "field 'layers' is " + (layers.is_array() ? "a list of " + std::to_string(layers.size()) : describe(layers))
                    + ": expected a list of 1 … " + std::to_string(kMaxLayers) + " recurrent layers");
    c.layers.clear();
    for (std::size_t l = 0; l < layers.size(); ++l)
        c.layers.push_back(readLayer(in, layers[l], "layers[" + std::to_string(l) + "]"));
    try {
        checkStack(c.layers);
    } catch (const Error &e) {
        in.fail(e.kind(), std::string("field 'layers': ") + e.what());
    }
    c.dtype = readDtype(in, doc);
    readSettings(in, doc, c.seed, c.init);
    try {
        checkNetwork(c);
    } catch (const Error &e) {
        in.fail(e.kind(), e.what());
    }
    c.dense = *parseActivation(kDenseActivations[in.choice(doc, "dense_activation", "", kDenseActivations)]);

    data.timestep = static_cast<int>(in.integer(doc, "timestep", "", -1, c.T - 1));
    data.sample = static_cast<int>(in.integer(doc, "sample", "", 0, c.N - 1));
    data.layer = static_cast<int>(in.integer(doc, "layer", "", 0, c.layerCount() - 1));
    const std::vector<std::string> names = layerNames(c.layers);
    // "layer 2 (lstm_1)", and " backward" for a Bidirectional layer's second direction.
    const auto where = [&](int l, int dir) {
        const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
        return "layer " + std::to_string(l + 1) + " (" + names[static_cast<std::size_t>(l)] + ")"
            + (layer.bidirectional ? dir == 0 ? " forward" : " backward" : "");
    };
    const LayerSpec &shown = c.layers[static_cast<std::size_t>(data.layer)];
    data.direction = static_cast<int>(in.integer(doc, "direction", "", 0, shown.directions() - 1));
    data.view = readView(in, doc, shown.units, where(data.layer, data.direction));

    // The weights, each against its layer.
    const Json &weights = in.object(doc, "weights", "");
    if (c.hasEmbedding())
        in.onlyFields(weights, {"layers", "Wo", "bo", "embedding"}, "weights");
    else
        in.onlyFields(weights, {"layers", "Wo", "bo"}, "weights");
    const Json &perLayer = in.field(weights, "layers", "weights");
    if (!perLayer.is_array() || perLayer.size() != layers.size())
        in.fail(perLayer.is_array() ? ErrorKind::ShapeMismatch : ErrorKind::MalformedHeader,
                "field 'weights.layers' is " + (perLayer.is_array() ? "a list of " + std::to_string(perLayer.size()) : describe(perLayer))
                    + ": expected a list of the " + std::to_string(layers.size()) + " layers' weights");
    NetworkWeights &w = state.weights;
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
        const std::string path = "weights.layers[" + std::to_string(l) + "]";
        const Json &dirs = perLayer[static_cast<std::size_t>(l)];
        if (!dirs.is_array() || static_cast<int>(dirs.size()) != layer.directions())
            in.fail(dirs.is_array() ? ErrorKind::ShapeMismatch : ErrorKind::MalformedHeader,
                    "field " + fieldName(path) + " is " + (dirs.is_array() ? "a list of " + std::to_string(dirs.size()) : describe(dirs))
                        + ": expected a list of " + (layer.bidirectional ? "2 directions (forward, backward)" : "1 direction"));
        auto &into = w.layers.emplace_back();
        for (int dir = 0; dir < layer.directions(); ++dir) {
            const std::string at = path + "[" + std::to_string(dir) + "]";
            const Json &j = dirs[static_cast<std::size_t>(dir)];
            if (!j.is_object())
                in.fail(ErrorKind::MalformedHeader, "field " + fieldName(at) + " is " + describe(j) + ": expected an object");
            in.onlyFields(j, {"Wx", "Wh", "bh"}, at);
            const std::string sG = "M=" + std::to_string(layer.units)
                + (layer.cell.kind == CellKind::SimpleRNN ? "" : std::string(" (") + cellClassName(layer.cell.kind) + ")");
            into.push_back(readRecurrent(in, j, at, layer.cell, c.inputWidth(l), layer.units,
                                         where(l, dir) + " on " + std::to_string(c.inputWidth(l)) + " features with " + sG,
                                         where(l, dir) + " with " + sG));
        }
    }
    const std::string sK = "K=" + std::to_string(c.K), top = "the top layer's width " + std::to_string(c.topWidth());
    w.Wo = matrixOf(in.array(in.field(weights, "Wo", "weights"), "weights.Wo", {c.topWidth(), c.K}, top + " and " + sK),
                    c.topWidth(), c.K);
    w.bo = vectorOf(in.array(in.field(weights, "bo", "weights"), "weights.bo", {c.K}, sK));

    // The input: X, or with an Embedding its table and the token ids.
    const std::string sNT = "N=" + std::to_string(c.N) + ", T=" + std::to_string(c.T);
    if (!c.hasEmbedding()) {
        if (doc.contains("ids"))
            in.fail(ErrorKind::MalformedHeader, "unknown field 'ids': a network without an Embedding reads X (N, T, D)");
        state.X = readX(in, doc, c.N, c.T, c.D);
        return data;
    }
    if (doc.contains("X"))
        in.fail(ErrorKind::MalformedHeader, "unknown field 'X': a network with an Embedding reads token ids, field 'ids' (N, T)");
    w.embedding = matrixOf(in.array(in.field(weights, "embedding", "weights"), "weights.embedding", {c.vocabulary, c.D},
                                    "V=" + std::to_string(c.vocabulary) + ", D=" + std::to_string(c.D)),
                           c.vocabulary, c.D);
    const Json &ids = in.field(doc, "ids", "");
    in.array(ids, "ids", {c.N, c.T}, sNT); // the shape and the numbers; each an id below
    state.ids.reserve(static_cast<std::size_t>(c.N) * c.T);
    for (int n = 0; n < c.N; ++n)
        for (int t = 0; t < c.T; ++t)
            state.ids.push_back(static_cast<int>(in.integer(ids[static_cast<std::size_t>(n)][static_cast<std::size_t>(t)],
                                                            "ids[" + std::to_string(n) + "][" + std::to_string(t) + "]", 0,
                                                            c.vocabulary - 1)));
    return data;
}

SessionData decodeDocument(const Json &doc, const std::string &name, std::uint64_t memoryBudget)
{
    const Decoder in(name);
    if (!doc.is_object() || !doc.contains("format"))
        in.fail(ErrorKind::BadMagic, "not a rnnscope session: expected a JSON object with \"format\": \""
                                         + std::string(kSessionFormat) + "\"");
    const Json &format = doc["format"];
    if (!format.is_string() || format.get_ref<const std::string &>() != kSessionFormat)
        in.fail(ErrorKind::BadMagic, "\"format\" is " + describe(format) + ", not \"" + kSessionFormat
                                         + "\": not a rnnscope session");
    // The version first: a newer file may have fields this reader does not know.
    const Json &version = in.field(doc, "version", "");
    if (!version.is_number_integer())
        in.fail(ErrorKind::MalformedHeader, "field 'version' is " + describe(version) + ": expected an integer");
    if (version.is_number_unsigned() ? version.get<std::uint64_t>() > std::uint64_t(kSessionVersion)
                                     : version.get<std::int64_t>() > kSessionVersion)
        in.fail(ErrorKind::UnsupportedVersion, "session version " + printableText(version.dump(), 40)
                                                   + " is newer than this rnnscope reads (" + std::to_string(kSessionVersion)
                                                   + "): open it with a newer rnnscope");
    if (version.get<std::int64_t>() < 1)
        in.fail(ErrorKind::UnsupportedVersion, "session version " + version.dump() + " does not exist: expected "
                                                   + std::to_string(kSessionVersion));
    const std::int64_t v = version.get<std::int64_t>();
    return v == kSessionNetworkVersion ? decodeNetwork(in, doc, memoryBudget) : decodeModel(in, doc, v == 1, memoryBudget);
}

// ---- encoding --------------------------------------------------------------------------------

// The shortest text that reads back to v, always with a '.' or an exponent (so that −0.0 and
// integral values stay floating-point numbers); NaN and ±Inf as strings.
void appendNumber(std::string &out, double v)
{
    if (std::isnan(v)) {
        out += "\"nan\"";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "\"inf\"" : "\"-inf\"";
        return;
    }
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    std::string_view text(buf, static_cast<std::size_t>(end - buf));
    out += text;
    if (text.find_first_of(".e") == std::string_view::npos)
        out += ".0";
}

// One list of `count` values, value(i) each, on one line.
template <typename F>
void appendRow(std::string &out, Eigen::Index count, F value)
{
    out += '[';
    for (Eigen::Index i = 0; i < count; ++i) {
        if (i > 0)
            out += ", ";
        appendNumber(out, value(i));
    }
    out += ']';
}

// A matrix as a list of rows, one row a line, each line indented by `indent`.
void appendMatrix(std::string &out, const Eigen::MatrixXd &m, const std::string &indent)
{
    out += "[\n";
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
        out += indent + "  ";
        appendRow(out, m.cols(), [&](Eigen::Index c) { return m(r, c); });
        out += r + 1 < m.rows() ? ",\n" : "\n";
    }
    out += indent + "]";
}


// "{", "format" and "version", each on a line.
void appendHead(std::string &out, int version)
{
    out += "{\n  \"format\": \"" + std::string(kSessionFormat) + "\",\n";
    out += "  \"version\": " + std::to_string(version) + ",\n";
}

// "dtype", "seed" and "initializer", each on a line.
void appendSettings(std::string &out, DType dtype, std::uint64_t seed, const InitSpec &init)
{
    out += "  \"dtype\": \"" + std::string(dtypeName(dtype)) + "\",\n";
    out += "  \"seed\": " + std::to_string(seed) + ",\n";
    out += "  \"initializer\": {\"scheme\": \"" + std::string(initSchemeName(init.scheme)) + "\", \"scale\": ";
    appendNumber(out, init.scale);
    out += "},\n";
}

// "timestep", "sample" (and for a network "layer" and "direction"), each on a line, and "view".
void appendShown(std::string &out, const SessionData &data, bool network)
{
    out += "  \"timestep\": " + std::to_string(data.timestep) + ",\n";
    out += "  \"sample\": " + std::to_string(data.sample) + ",\n";
    if (network) {
        out += "  \"layer\": " + std::to_string(data.layer) + ",\n";
        out += "  \"direction\": " + std::to_string(data.direction) + ",\n";
    }
    out += std::string("  \"view\": {\"layout\": \"") + (data.view.layout == Layout::PyTorch ? "pytorch" : "keras")
        + "\", \"units\": [";
    for (std::size_t i = 0; i < data.view.units.size(); ++i)
        out += (i > 0 ? ", " : "") + std::to_string(data.view.units[i]);
    out += std::string("], \"presentation\": ") + (data.view.presentation ? "true" : "false") + "},\n";
}

// A recurrent layer's "Wx", "Wh" and "bh", each key at `indent` (a GRU's bias of 2gM values as
// Keras's (2, gM)).
void appendRecurrent(std::string &out, const Weights &w, const std::string &indent)
{
    out += indent + "\"Wx\": ";
    appendMatrix(out, w.Wx, indent);
    out += ",\n" + indent + "\"Wh\": ";
    appendMatrix(out, w.Wh, indent);
    out += ",\n" + indent + "\"bh\": ";
    if (w.biasRows() == 2)
        appendMatrix(out, Eigen::Map<const Eigen::MatrixXd>(w.bh.data(), w.Wh.cols(), 2).transpose(), indent);
    else
        appendRow(out, w.bh.size(), [&](Eigen::Index i) { return w.bh(i); });
}

// "Wo" and "bo" at four spaces (the Dense's kernel (rows, K), rows of [] when K = 0).
void appendDense(std::string &out, const Eigen::MatrixXd &Wo, const Eigen::VectorXd &bo, int rows)
{
    out += ",\n    \"Wo\": ";
    appendMatrix(out, Wo.cols() == 0 ? Eigen::MatrixXd(rows, 0) : Wo, "    ");
    out += ",\n    \"bo\": ";
    appendRow(out, bo.size(), [&](Eigen::Index i) { return bo(i); });
}

// "X" (N, T, D), the last field: X[n] is the (T, D) block of sample n, x_t of sample n column t·N + n.
void appendX(std::string &out, const Eigen::MatrixXd &X, int N, int T, int D)
{
    out += "  \"X\": [\n";
    for (int n = 0; n < N; ++n) {
        out += "    [\n";
        for (int t = 0; t < T; ++t) {
            const Eigen::Index col = static_cast<Eigen::Index>(t) * N + n;
            out += "      ";
            appendRow(out, D, [&](Eigen::Index f) { return X(f, col); });
            out += t + 1 < T ? ",\n" : "\n";
        }
        out += n + 1 < N ? "    ],\n" : "    ]\n";
    }
    out += "  ]\n}\n";
}

// Error(TooLarge) for a session of `values` numbers, which the reader would refuse.
void checkValueCount(std::uint64_t values, const std::string &sizes)
{
    if (values > kMaxSessionValues / 2)
        throw Error(ErrorKind::TooLarge, "a session of " + sizes + " would hold " + std::to_string(values)
                                             + " numbers, more than a session file may hold ("
                                             + std::to_string(kMaxSessionValues / 2)
                                             + "): save the weights as .npz and X as .npy instead");
}

// A version 1 … 2 session: the one-layer model (written as version 2).
std::string encodeModel(const SessionData &data)
{
    const ModelConfig &config = data.model.config;
    const Dims &d = config.dims;
    const Weights &w = data.model.weights;
    const Eigen::MatrixXd &X = data.model.X;
    checkShapes(w, config.cellSpec());
    if (w.D() != d.D || w.M() != d.M || w.Wo.cols() != d.K || w.bo.size() != d.K || w.Wo.rows() != d.M)
        throw Error(ErrorKind::ShapeMismatch, "the weights (Wx " + shapeOf(w.Wx) + ", Wo " + shapeOf(w.Wo)
                                                  + ") do not fit dims " + dimsString(d));
    if (X.rows() != d.D || X.cols() != static_cast<Eigen::Index>(d.T) * d.N)
        throw Error(ErrorKind::ShapeMismatch, "X (" + std::to_string(X.rows()) + " × " + std::to_string(X.cols())
                                                  + ") does not fit dims " + dimsString(d));
    const std::uint64_t values = std::uint64_t(X.size()) + w.Wx.size() + w.Wh.size() + w.bh.size() + w.Wo.size() + w.bo.size();
    checkValueCount(values, dimsString(d));

    std::string out;
    out.reserve(static_cast<std::size_t>(values) * 24 + 1024);
    appendHead(out, kSessionModelVersion);
    out += "  \"dims\": {\"N\": " + std::to_string(d.N) + ", \"T\": " + std::to_string(d.T) + ", \"D\": "
        + std::to_string(d.D) + ", \"M\": " + std::to_string(d.M) + ", \"K\": " + std::to_string(d.K) + "},\n";
    appendSettings(out, config.dtype, config.seed, config.init);
    out += "  \"activation\": \"" + std::string(activationName(config.cell)) + "\",\n";
    out += "  \"dense_activation\": \"" + std::string(activationName(config.dense)) + "\",\n";
    out += std::string("  \"return_sequences\": ") + (config.returnSequences ? "true" : "false") + ",\n";
    out += std::string("  \"layers\": [{\"cell\": \"") + cellName(config.kind)
        + "\", \"recurrent_activation\": \"" + activationName(config.recurrent) + "\", \"reset_after\": "
        + (config.resetAfter ? "true" : "false") + "}],\n";
    appendShown(out, data, false);
    out += "  \"weights\": {\n";
    appendRecurrent(out, w, "    ");
    appendDense(out, w.Wo, w.bo, d.M);
    out += "\n  },\n";
    appendX(out, X, d.N, d.T, d.D);
    return out;
}

// A version 3 session: the network.
std::string encodeNetwork(const SessionData &data)
{
    const NetworkState &s = *data.network;
    const NetworkConfig &c = s.config;
    const NetworkWeights &w = s.weights;
    checkStack(c.layers);
    checkShapes(w, c);
    const std::string sizes = "N=" + std::to_string(c.N) + ", T=" + std::to_string(c.T) + ", " + stackText(c.layers, c.vocabulary);
    const std::uint64_t cols = std::uint64_t(std::max(c.N, 0)) * std::uint64_t(std::max(c.T, 0));
    if (c.hasEmbedding()) {
        if (s.ids.size() != cols)
            throw Error(ErrorKind::ShapeMismatch, "the network holds " + std::to_string(s.ids.size())
                                                      + " token ids, but " + sizes + " needs N·T = " + std::to_string(cols));
        for (int id : s.ids)
            if (id < 0 || id >= c.vocabulary)
                throw Error(ErrorKind::OutOfRange, "token id " + std::to_string(id) + " is outside the Embedding's vocabulary 0 … "
                                                       + std::to_string(c.vocabulary - 1));
    } else if (static_cast<std::uint64_t>(s.X.rows()) != std::uint64_t(c.D) || static_cast<std::uint64_t>(s.X.cols()) != cols) {
        throw Error(ErrorKind::ShapeMismatch, "X (" + std::to_string(s.X.rows()) + " × " + std::to_string(s.X.cols())
                                                  + ") does not fit D=" + std::to_string(c.D) + ", " + sizes);
    }
    if (data.layer < 0 || data.layer >= c.layerCount())
        throw Error(ErrorKind::OutOfRange, "the layer on show, " + std::to_string(data.layer) + ", is outside the network's layers 0 … "
                                               + std::to_string(c.layerCount() - 1));
    const int directions = c.layers[static_cast<std::size_t>(data.layer)].directions();
    if (data.direction < 0 || data.direction >= directions)
        throw Error(ErrorKind::OutOfRange, "the direction on show, " + std::to_string(data.direction) + ", is outside layer "
                                               + std::to_string(data.layer + 1) + "'s directions 0 … " + std::to_string(directions - 1));
    std::uint64_t values = (c.hasEmbedding() ? s.ids.size() : std::uint64_t(s.X.size())) + w.embedding.size()
        + std::uint64_t(c.topWidth()) * std::uint64_t(c.K) + w.bo.size();
    for (const auto &dirs : w.layers)
        for (const Weights &lw : dirs)
            values += std::uint64_t(lw.Wx.size()) + lw.Wh.size() + lw.bh.size();
    checkValueCount(values, sizes);

    std::string out;
    out.reserve(static_cast<std::size_t>(values) * 24 + 1024);
    appendHead(out, kSessionNetworkVersion);
    out += "  \"dims\": {\"N\": " + std::to_string(c.N) + ", \"T\": " + std::to_string(c.T) + ", \"D\": "
        + std::to_string(c.D) + ", \"K\": " + std::to_string(c.K) + "},\n";
    appendSettings(out, c.dtype, c.seed, c.init);
    out += "  \"dense_activation\": \"" + std::string(activationName(c.dense)) + "\",\n";
    out += "  \"vocabulary\": " + std::to_string(c.vocabulary) + ",\n";
    out += "  \"layers\": [\n";
    for (std::size_t l = 0; l < c.layers.size(); ++l) {
        const LayerSpec &layer = c.layers[l];
        const auto flag = [](bool b) { return b ? "true" : "false"; };
        out += std::string("    {\"cell\": \"") + cellName(layer.cell.kind) + "\", \"units\": " + std::to_string(layer.units)
            + ", \"activation\": \"" + activationName(layer.cell.activation) + "\", \"recurrent_activation\": \""
            + activationName(layer.cell.recurrent) + "\", \"reset_after\": " + flag(layer.cell.resetAfter)
            + ", \"return_sequences\": " + flag(layer.returnSequences) + ", \"go_backwards\": " + flag(layer.goBackwards)
            + ", \"bidirectional\": " + flag(layer.bidirectional) + ", \"merge\": \"" + mergeName(layer.merge) + "\"}"
            + (l + 1 < c.layers.size() ? ",\n" : "\n");
    }
    out += "  ],\n";
    appendShown(out, data, true);
    out += "  \"weights\": {\n    \"layers\": [\n";
    for (std::size_t l = 0; l < w.layers.size(); ++l) {
        out += "      [\n";
        for (std::size_t dir = 0; dir < w.layers[l].size(); ++dir) {
            out += "        {\n";
            appendRecurrent(out, w.layers[l][dir], "          ");
            out += dir + 1 < w.layers[l].size() ? "\n        },\n" : "\n        }\n";
        }
        out += l + 1 < w.layers.size() ? "      ],\n" : "      ]\n";
    }
    out += "    ]";
    appendDense(out, w.Wo, w.bo, c.topWidth());
    if (c.hasEmbedding()) {
        out += ",\n    \"embedding\": ";
        appendMatrix(out, w.embedding, "    ");
    }
    out += "\n  },\n";
    if (!c.hasEmbedding()) {
        appendX(out, s.X, c.N, c.T, c.D);
        return out;
    }
    // "ids" (N, T), the last field: one sample a line.
    out += "  \"ids\": [\n";
    for (int n = 0; n < c.N; ++n) {
        out += "    [";
        for (int t = 0; t < c.T; ++t)
            out += (t > 0 ? ", " : "") + std::to_string(s.ids[static_cast<std::size_t>(n) * c.T + t]);
        out += n + 1 < c.N ? "],\n" : "]\n";
    }
    out += "  ]\n}\n";
    return out;
}

} // namespace

std::string encodeSession(const SessionData &data)
{
    return data.network ? encodeNetwork(data) : encodeModel(data);
}

SessionData decodeSession(std::string_view bytes, const std::string &name, std::uint64_t memoryBudget)
{
    if (bytes.size() > kMaxSessionFileBytes)
        fail(ErrorKind::TooLarge, name, std::to_string(bytes.size()) + " bytes, more than the "
                                            + std::to_string(kMaxSessionFileBytes >> 20) + " MiB a session file may have");
    if (std::all_of(bytes.begin(), bytes.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
        throw Error(ErrorKind::Truncated, name + " is empty: expected a rnnscope session (JSON)");
    Scanner scanner(name);
    if (!Json::sax_parse(bytes, &scanner)) {
        if (scanner.error)
            throw *scanner.error;
        fail(ErrorKind::MalformedHeader, name, "not valid JSON");
    }
    try {
        return decodeDocument(Json::parse(bytes), name, memoryBudget);
    } catch (const Json::exception &e) {
        // Not expected after the scan; refused rather than passed on.
        fail(ErrorKind::MalformedHeader, name, printableText(e.what(), 200));
    } catch (const std::bad_alloc &) {
        fail(ErrorKind::TooLarge, name, "not enough memory to read the session");
    }
}

void saveSession(const std::string &path, const SessionData &data)
{
    writeFileAtomically(path, encodeSession(data));
}

SessionData loadSession(const std::string &path, std::uint64_t memoryBudget)
{
    const std::vector<std::uint8_t> bytes = readFileBytes(path, kMaxSessionFileBytes);
    return decodeSession(std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), path, memoryBudget);
}

FileKind fileKind(const std::string &path)
{
    const std::string ext = lowerExtension(path);
    if (ext == ".json")
        return FileKind::Session;
    for (const char *e : {".npz", ".h5", ".hdf5", ".keras"})
        if (ext == e)
            return FileKind::Weights;
    for (const char *e : {".npy", ".csv", ".txt"})
        if (ext == e)
            return FileKind::Input;
    // Another extension: a JSON object is a session; the weights loader names what it reads.
    std::ifstream in(path, std::ios::binary);
    char head[256] = {};
    in.read(head, sizeof head);
    std::string_view text(head, static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        text.remove_prefix(3);
    const auto first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '{' ? FileKind::Session : FileKind::Weights;
}

} // namespace rnnscope
