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

// The deepest nesting of a session: the root object, "X", a sample, a timestep.
constexpr int kMaxDepth = 4;

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
                                                          + " levels: a session's deepest value is X[n][t][d]");
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
    const bool v1 = version.get<std::int64_t>() == 1;
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
    config.dtype = in.choice(doc, "dtype", "", kDtypes) == 0 ? DType::Float32 : DType::Float64;
    // Version 2: the network's recurrent layers (one, for now), each with its cell; version 1
    // files hold a SimpleRNN.
    if (!v1) {
        const Json &layers = in.field(doc, "layers", "");
        if (!layers.is_array() || layers.size() != 1)
            in.fail(layers.is_array() ? ErrorKind::Unsupported : ErrorKind::MalformedHeader,
                    "field 'layers' is " + describe(layers) + ": expected a list of one recurrent layer");
        const Json &layer = layers[0];
        if (!layer.is_object())
            in.fail(ErrorKind::MalformedHeader, "field 'layers[0]' is " + describe(layer) + ": expected an object");
        in.onlyFields(layer, {"cell", "recurrent_activation", "reset_after"}, "layers[0]");
        config.kind = *parseCellKind(kCells[in.choice(layer, "cell", "layers[0]", kCells)]);
        config.recurrent =
            *parseActivation(kCellActivations[in.choice(layer, "recurrent_activation", "layers[0]", kCellActivations)]);
        config.resetAfter = in.boolean(layer, "reset_after", "layers[0]");
    }
    try {
        checkDims(d, config.dtype, memoryBudget, config.cellSpec());
    } catch (const Error &e) {
        in.fail(e.kind(), std::string("dims: ") + e.what());
    }

    config.seed = in.unsignedInteger(doc, "seed", "");
    const Json &init = in.object(doc, "initializer", "");
    in.onlyFields(init, {"scheme", "scale"}, "initializer");
    config.init.scheme = *parseInitScheme(kSchemes[in.choice(init, "scheme", "initializer", kSchemes)]);
    const Json &scale = in.field(init, "scale", "initializer");
    if (!scale.is_number() || !std::isfinite(scale.get<double>()) || scale.get<double>() < 0)
        in.fail(scale.is_number() ? ErrorKind::OutOfRange : ErrorKind::MalformedHeader,
                "field 'initializer.scale' is " + describe(scale) + ": expected a finite number ≥ 0");
    config.init.scale = scale.get<double>();
    config.cell = *parseActivation(kCellActivations[in.choice(doc, "activation", "", kCellActivations)]);
    config.dense = *parseActivation(kDenseActivations[in.choice(doc, "dense_activation", "", kDenseActivations)]);
    config.returnSequences = in.boolean(doc, "return_sequences", "");
    data.timestep = static_cast<int>(in.integer(doc, "timestep", "", -1, d.T - 1));
    data.sample = static_cast<int>(in.integer(doc, "sample", "", 0, d.N - 1));

    const Json &view = in.object(doc, "view", "");
    in.onlyFields(view, {"layout", "units", "presentation"}, "view");
    data.view.layout = in.choice(view, "layout", "view", kLayouts) == 0 ? Layout::Keras : Layout::PyTorch;
    const Json &units = in.field(view, "units", "view");
    if (!units.is_array())
        in.fail(ErrorKind::MalformedHeader, "field 'view.units' is " + describe(units) + ": expected a list of hidden units");
    if (units.size() > static_cast<std::size_t>(d.M))
        in.fail(ErrorKind::OutOfRange, "field 'view.units' lists " + std::to_string(units.size())
                                           + " units, but M=" + std::to_string(d.M) + " has only " + std::to_string(d.M));
    std::set<int> seen;
    for (std::size_t i = 0; i < units.size(); ++i) {
        const int u = static_cast<int>(in.integer(units[i], "view.units[" + std::to_string(i) + "]", 0, d.M - 1));
        if (!seen.insert(u).second)
            in.fail(ErrorKind::MalformedHeader, "field 'view.units' lists unit " + std::to_string(u) + " twice");
        data.view.units.push_back(u);
    }
    data.view.presentation = in.boolean(view, "presentation", "view");

    // The arrays, each against the dimensions.
    const Json &weights = in.object(doc, "weights", "");
    in.onlyFields(weights, {"Wx", "Wh", "bh", "Wo", "bo"}, "weights");
    const std::string sD = "D=" + std::to_string(d.D), sM = "M=" + std::to_string(d.M), sK = "K=" + std::to_string(d.K);
    const auto read = [&](const char *key, std::vector<std::int64_t> shape, const std::string &because) {
        return in.array(in.field(weights, key, "weights"), std::string("weights.") + key, shape, because);
    };
    Weights &w = data.model.weights;
    const CellSpec cell = config.cellSpec();
    const std::int64_t gM = std::int64_t(cell.gates()) * d.M;
    const std::string sG = cell.kind == CellKind::SimpleRNN ? sM : sM + " (" + cellClassName(cell.kind) + ")";
    w.Wx = matrixOf(read("Wx", {d.D, gM}, sD + ", " + sG), d.D, gM);
    w.Wh = matrixOf(read("Wh", {d.M, gM}, sG), d.M, gM);
    w.bh = vectorOf(read("bh", cell.biasRows() == 2 ? std::vector<std::int64_t>{2, gM} : std::vector<std::int64_t>{gM}, sG));
    w.Wo = matrixOf(read("Wo", {d.M, d.K}, sM + ", " + sK), d.M, d.K);
    w.bo = vectorOf(read("bo", {d.K}, sK));

    const std::vector<double> x = in.array(in.field(doc, "X", ""), "X", {d.N, d.T, d.D},
                                           "N=" + std::to_string(d.N) + ", T=" + std::to_string(d.T) + ", " + sD);
    // X[n][t][d] → column t·N + n of the D × (T·N) matrix.
    Eigen::MatrixXd &X = data.model.X;
    X.resize(d.D, static_cast<Eigen::Index>(d.T) * d.N);
    std::size_t i = 0;
    for (int n = 0; n < d.N; ++n)
        for (int t = 0; t < d.T; ++t)
            for (int f = 0; f < d.D; ++f)
                X(f, static_cast<Eigen::Index>(t) * d.N + n) = x[i++];
    return data;
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

} // namespace

std::string encodeSession(const SessionData &data)
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
    if (values > kMaxSessionValues / 2)
        throw Error(ErrorKind::TooLarge, "a session of " + dimsString(d) + " would hold " + std::to_string(values)
                                             + " numbers, more than a session file may hold ("
                                             + std::to_string(kMaxSessionValues / 2)
                                             + "): save the weights as .npz and X as .npy instead");

    std::string out;
    out.reserve(static_cast<std::size_t>(values) * 24 + 1024);
    out += "{\n  \"format\": \"" + std::string(kSessionFormat) + "\",\n";
    out += "  \"version\": " + std::to_string(kSessionVersion) + ",\n";
    out += "  \"dims\": {\"N\": " + std::to_string(d.N) + ", \"T\": " + std::to_string(d.T) + ", \"D\": "
        + std::to_string(d.D) + ", \"M\": " + std::to_string(d.M) + ", \"K\": " + std::to_string(d.K) + "},\n";
    out += "  \"dtype\": \"" + std::string(dtypeName(config.dtype)) + "\",\n";
    out += "  \"seed\": " + std::to_string(config.seed) + ",\n";
    out += "  \"initializer\": {\"scheme\": \"" + std::string(initSchemeName(config.init.scheme)) + "\", \"scale\": ";
    appendNumber(out, config.init.scale);
    out += "},\n";
    out += "  \"activation\": \"" + std::string(activationName(config.cell)) + "\",\n";
    out += "  \"dense_activation\": \"" + std::string(activationName(config.dense)) + "\",\n";
    out += std::string("  \"return_sequences\": ") + (config.returnSequences ? "true" : "false") + ",\n";
    out += std::string("  \"layers\": [{\"cell\": \"") + cellName(config.kind)
        + "\", \"recurrent_activation\": \"" + activationName(config.recurrent) + "\", \"reset_after\": "
        + (config.resetAfter ? "true" : "false") + "}],\n";
    out += "  \"timestep\": " + std::to_string(data.timestep) + ",\n";
    out += "  \"sample\": " + std::to_string(data.sample) + ",\n";
    out += std::string("  \"view\": {\"layout\": \"") + (data.view.layout == Layout::PyTorch ? "pytorch" : "keras")
        + "\", \"units\": [";
    for (std::size_t i = 0; i < data.view.units.size(); ++i)
        out += (i > 0 ? ", " : "") + std::to_string(data.view.units[i]);
    out += std::string("], \"presentation\": ") + (data.view.presentation ? "true" : "false") + "},\n";

    out += "  \"weights\": {\n    \"Wx\": ";
    appendMatrix(out, w.Wx, "    ");
    out += ",\n    \"Wh\": ";
    appendMatrix(out, w.Wh, "    ");
    out += ",\n    \"bh\": ";
    if (w.biasRows() == 2)
        appendMatrix(out, Eigen::Map<const Eigen::MatrixXd>(w.bh.data(), w.Wh.cols(), 2).transpose(), "    ");
    else
        appendRow(out, w.bh.size(), [&](Eigen::Index i) { return w.bh(i); });
    out += ",\n    \"Wo\": ";
    appendMatrix(out, w.Wo, "    ");
    out += ",\n    \"bo\": ";
    appendRow(out, w.bo.size(), [&](Eigen::Index i) { return w.bo(i); });
    out += "\n  },\n";

    // X[n] is the (T, D) block of sample n: x_t of sample n is column t·N + n.
    out += "  \"X\": [\n";
    for (int n = 0; n < d.N; ++n) {
        out += "    [\n";
        for (int t = 0; t < d.T; ++t) {
            const Eigen::Index col = static_cast<Eigen::Index>(t) * d.N + n;
            out += "      ";
            appendRow(out, d.D, [&](Eigen::Index f) { return X(f, col); });
            out += t + 1 < d.T ? ",\n" : "\n";
        }
        out += n + 1 < d.N ? "    ],\n" : "    ]\n";
    }
    out += "  ]\n}\n";
    return out;
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
