#include "io/weightfile.h"

#include "common/error.h"
#include "io/refusal.h"
#include "io/file.h"
#include "io/kerasfile.h"
#include "io/npy.h"
#include "run/model.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

namespace rnnscope {

namespace {

constexpr std::uint64_t kMaxCsvBytes = std::uint64_t(256) << 20;

const char *const kAcceptedLayouts =
    "expected arr_0…arr_4 as np.savez(*model.get_weights()) writes them, the named keys kernel, "
    "recurrent_kernel, bias [, dense_kernel, dense_bias], or a PyTorch state_dict (weight_ih_l0, "
    "weight_hh_l0, bias_ih_l0, bias_hh_l0 [, <linear>.weight, <linear>.bias])";

bool endsWith(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// "kernel (3, 5), bias (5,), …" — the keys of an archive for a message, at most `limit` of them.
std::string keyList(const NamedArrays &arrays, bool withShapes = true, std::size_t limit = 12)
{
    if (arrays.empty())
        return "no arrays";
    std::string s;
    for (std::size_t i = 0; i < arrays.size(); ++i) {
        if (i == limit) {
            s += ", … (" + std::to_string(arrays.size() - limit) + " more)";
            break;
        }
        if (i > 0)
            s += ", ";
        s += printableText(arrays[i].first, 40);
        if (withShapes)
            s += " " + shapeString(arrays[i].second.shape);
    }
    return s;
}

const NdArray *findArray(const NamedArrays &arrays, const std::string &key)
{
    for (const auto &[k, a] : arrays)
        if (k == key)
            return &a;
    return nullptr;
}

// One weight as the file names it.
struct Part {
    const NdArray *array = nullptr;
    std::string key; // the file's name for it: "kernel", "arr_1", "rnn.weight_hh_l0"
};

std::string labelOf(const char *symbol, const Part &p)
{
    return std::string(symbol) + " (" + printableText(p.key, 40) + ")";
}

void requireRank(const Part &p, int rank, const char *symbol, const char *needed, const std::string &source)
{
    if (p.array && p.array->rank() != rank)
        fail(ErrorKind::ShapeMismatch, source,
             labelOf(symbol, p) + " has shape " + shapeString(p.array->shape) + ", but needs rank " + std::to_string(rank) +
                 ": " + needed);
}

// Keras-layout parts: Wx, Wh, bh (may be absent: use_bias=False), Wo and bo (both absent: no
// Dense; bo absent alone: Dense(use_bias=False)).
struct KerasParts {
    Part Wx, Wh, bh, Wo, bo;
};

// Runs checkShapes, naming each weight by the file's key in its messages:
// "Wh has shape (5, 4), …" → "Wh (recurrent_kernel) has shape (5, 4), …".
void checkShapesNamed(const Weights &w, const std::map<std::string, std::string> &labels, const std::string &source)
{
    try {
        checkShapes(w);
    } catch (const Error &e) {
        std::string message = e.what();
        const auto space = message.find(' ');
        if (space != std::string::npos) {
            const auto it = labels.find(message.substr(0, space));
            if (it != labels.end())
                message = it->second + message.substr(space);
        }
        fail(e.kind(), source, message);
    }
}

Weights assembleKeras(const KerasParts &p, const std::string &source, std::vector<std::string> &notes)
{
    requireRank(p.Wx, 2, "Wx", "(D, gM)", source);
    requireRank(p.Wh, 2, "Wh", "(M, gM)", source);
    // Rank 2 is a GRU's (2, 3M) bias (reset_after): only where the recurrent kernel is a GRU's.
    const bool gruKernel = p.Wh.array->shape[0] > 0 && p.Wh.array->shape[1] == 3 * p.Wh.array->shape[0];
    if (p.bh.array && !(gruKernel && p.bh.array->rank() == 2))
        requireRank(p.bh, 1, "bh", gruKernel ? "(3M,), or (2, 3M) with reset_after" : "(gM,)", source);
    requireRank(p.Wo, 2, "Wo", "(M, K)", source);
    requireRank(p.bo, 1, "bo", "(K,)", source);

    Weights w;
    w.Wx = matrixFromArray(*p.Wx.array);
    w.Wh = matrixFromArray(*p.Wh.array);
    const Eigen::Index gm = w.Wh.cols();
    if (p.bh.array) {
        // A GRU's (2, 3M) bias is kept flat, row 0 first (nn/weights.h); checkShapes tells the rest.
        w.bh = Eigen::Map<const Eigen::VectorXd>(p.bh.array->values.data(),
                                                 static_cast<Eigen::Index>(p.bh.array->values.size()));
        if (p.bh.array->rank() == 2 && !(p.bh.array->shape[0] == 2 && p.bh.array->shape[1] == gm))
            fail(ErrorKind::ShapeMismatch, source,
                 labelOf("bh", p.bh) + " has shape " + shapeString(p.bh.array->shape) + ", but the GRU's recurrent kernel "
                     + shapeString(p.Wh.array->shape) + " needs (2, " + std::to_string(gm) + ") (reset_after) or ("
                     + std::to_string(gm) + ",)");
    } else {
        w.bh = Eigen::VectorXd::Zero(gm);
        notes.push_back(std::string("the ") + cellClassName(w.kind()) + " has no bias (use_bias=False): bh = 0");
    }
    if (p.Wo.array) {
        w.Wo = matrixFromArray(*p.Wo.array);
        if (p.bo.array) {
            w.bo = vectorFromArray(*p.bo.array);
        } else {
            w.bo = Eigen::VectorXd::Zero(w.Wo.cols());
            notes.push_back("the Dense layer has no bias (use_bias=False): bo = 0");
        }
    } else {
        w.Wo = Eigen::MatrixXd(w.Wh.rows(), 0);
        w.bo = Eigen::VectorXd(0);
    }
    std::map<std::string, std::string> labels = {{"Wx", labelOf("Wx", p.Wx)}, {"Wh", labelOf("Wh", p.Wh)}};
    if (p.bh.array)
        labels["bh"] = labelOf("bh", p.bh);
    if (p.Wo.array)
        labels["Wo"] = labelOf("Wo", p.Wo);
    if (p.bo.array)
        labels["bo"] = labelOf("bo", p.bo);
    checkShapesNamed(w, labels, source);
    return w;
}

// ---- the three layouts ---------------------------------------------------------------------

struct Assembled {
    Weights weights;
    std::string layout;
    std::set<std::string> used; // keys that went into the weights
};

Assembled fromPositional(const NamedArrays &arrays, const std::string &source, std::vector<std::string> &notes)
{
    std::map<int, const NdArray *> byIndex;
    for (const auto &[key, a] : arrays) {
        if (!startsWith(key, "arr_") || key.size() == 4 || key.size() > 8)
            continue;
        const std::string digits = key.substr(4);
        if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            (digits.size() > 1 && digits[0] == '0'))
            continue;
        byIndex[std::stoi(digits)] = &a;
    }
    const int n = static_cast<int>(byIndex.size());
    static const char *const roles[] = {"Wx, the kernel (D, gM)", "Wh, the recurrent kernel (M, gM)", "bh, the bias (gM,)",
                                        "Wo, the Dense kernel (M, K)", "bo, the Dense bias (K,)"};
    for (int i = 0; i < std::max(n, 2); ++i)
        if (!byIndex.count(i))
            fail(ErrorKind::MissingArray, source,
                 "arr_" + std::to_string(i) + (i < 5 ? std::string(" (") + roles[i] + ")" : std::string()) +
                     " is missing: found " + keyList(arrays) + "; np.savez(*model.get_weights()) writes arr_0, arr_1, …");
    if (n > 5)
        fail(ErrorKind::Unsupported, source,
             "holds " + std::to_string(n) + " positional arrays arr_0…arr_" + std::to_string(n - 1) +
                 ", but get_weights() of one recurrent layer → Dense(K) has 3 or 5 (is it a deeper model?)");

    auto part = [&](int i) { return Part{byIndex.at(i), "arr_" + std::to_string(i)}; };
    KerasParts p;
    p.Wx = part(0);
    p.Wh = part(1);
    Assembled out;
    switch (n) {
    case 2:
        break; // SimpleRNN(use_bias=False), no Dense
    case 3:
        p.bh = part(2);
        break;
    case 4:
        if ((byIndex[2]->rank() == 1 || (byIndex[2]->rank() == 2 && byIndex[2]->shape[0] == 2 &&
                                          byIndex[3]->rank() == 2)) && byIndex[3]->rank() == 2) {
            p.bh = part(2); // Dense(use_bias=False) (after a GRU's (2, 3M) bias too)
            p.Wo = part(3);
        } else if (byIndex[2]->rank() == 2 && byIndex[3]->rank() == 1) {
            p.Wo = part(2); // SimpleRNN(use_bias=False)
            p.bo = part(3);
        } else {
            fail(ErrorKind::MissingArray, source,
                 "arr_4 (" + std::string(roles[4]) + ") is missing: found " + keyList(arrays) +
                     "; get_weights() of one recurrent layer → Dense(K) has 3 arrays, or 5 with the Dense layer");
        }
        break;
    default:
        p.bh = part(2);
        p.Wo = part(3);
        p.bo = part(4);
    }
    out.weights = assembleKeras(p, source, notes);
    for (int i = 0; i < n; ++i)
        out.used.insert("arr_" + std::to_string(i));
    out.layout = "Keras get_weights() order (arr_0…arr_" + std::to_string(n - 1) + ")";
    return out;
}

Assembled fromNamed(const NamedArrays &arrays, const std::string &source, std::vector<std::string> &notes)
{
    auto part = [&](const char *key) { return Part{findArray(arrays, key), key}; };
    KerasParts p{part("kernel"), part("recurrent_kernel"), part("bias"), part("dense_kernel"), part("dense_bias")};
    const std::pair<const Part *, const char *> required[] = {
        {&p.Wx, "Wx, shape (D, gM)"}, {&p.Wh, "Wh, shape (M, gM)"}, {&p.bh, "bh, shape (gM,)"}};
    for (const auto &[q, role] : required)
        if (!q->array)
            fail(ErrorKind::MissingArray, source,
                 "has no '" + q->key + "' (" + role + "): found " + keyList(arrays) +
                     "; named weights are kernel, recurrent_kernel, bias [, dense_kernel, dense_bias]");
    if (!p.Wo.array != !p.bo.array) {
        const Part &missing = p.Wo.array ? p.bo : p.Wo;
        const Part &present = p.Wo.array ? p.Wo : p.bo;
        fail(ErrorKind::MissingArray, source,
             "has '" + present.key + "' but no '" + missing.key + "': the Dense layer needs both dense_kernel (M, K) and dense_bias (K,), or neither");
    }
    Assembled out;
    out.weights = assembleKeras(p, source, notes);
    for (const Part *q : {&p.Wx, &p.Wh, &p.bh, &p.Wo, &p.bo})
        if (q->array)
            out.used.insert(q->key);
    out.layout = p.Wo.array ? "named Keras keys (kernel, recurrent_kernel, bias, dense_kernel, dense_bias)"
                            : "named Keras keys (kernel, recurrent_kernel, bias)";
    return out;
}

void expectShape(const Part &p, const std::vector<std::int64_t> &needed, const std::string &because, const std::string &source)
{
    if (p.array->shape != needed)
        fail(ErrorKind::ShapeMismatch, source,
             printableText(p.key, 40) + " has shape " + shapeString(p.array->shape) + ", but " + because + " needs " +
                 shapeString(needed));
}

Assembled fromPyTorch(const NamedArrays &arrays, const std::string &source, std::vector<std::string> &notes)
{
    const std::vector<std::string> prefixes = pytorchPrefixes(arrays);
    if (prefixes.size() > 1)
        fail(ErrorKind::Unsupported, source,
             "holds " + std::to_string(prefixes.size()) + " RNN modules (" + printableText(prefixes[0] + "weight_ih_l0", 40) +
                 ", " + printableText(prefixes[1] + "weight_ih_l0", 40) + "): rnnscope models one recurrent layer");
    const std::string p = prefixes.front();
    for (const auto &[key, a] : arrays) {
        if (!startsWith(key, p))
            continue;
        const std::string rest = key.substr(p.size());
        if (endsWith(rest, "_reverse"))
            fail(ErrorKind::Unsupported, source,
                 printableText(key, 40) + " belongs to a bidirectional RNN: rnnscope models one direction");
        if (startsWith(rest, "weight_ih_l") && rest != "weight_ih_l0")
            fail(ErrorKind::Unsupported, source,
                 printableText(key, 40) + " belongs to a stacked RNN (num_layers > 1): rnnscope models one recurrent layer");
        if (startsWith(rest, "weight_hr_l"))
            fail(ErrorKind::Unsupported, source,
                 printableText(key, 40) + " belongs to an LSTM with projections (proj_size > 0), which Keras has no form of");
    }
    Assembled out;
    Weights &w = out.weights;
    const Weights layer = pytorchLayerWeights(arrays, p, 0, false, source, notes, out.used);
    const CellKind kind = layer.kind();
    w.Wx = layer.Wx;
    w.Wh = layer.Wh;
    w.bh = layer.bh;
    std::string layout = "PyTorch state_dict (" + printableText(pytorchKey(p, "weight_ih"), 40) + ", " +
                         printableText(pytorchKey(p, "weight_hh"), 40);
    const std::string mText = "M=" + std::to_string(w.M()) + " (" +
                              (kind == CellKind::LSTM ? "nn.LSTM" : kind == CellKind::GRU ? "nn.GRU" : "nn.RNN") + ")";
    const std::string embedding = pytorchEmbeddingKey(arrays, w.D(), w.M(), source);
    if (!embedding.empty())
        notes.push_back("the Embedding " + printableText(embedding, 40) + " before the RNN is left out: one layer reads X (N, T, D)");
    if (const auto linear = pytorchLinear(arrays, w.M(), mText, source, notes, out.used, embedding)) {
        w.Wo = linear->Wo;
        w.bo = linear->bo;
        layout += ", " + printableText(linear->weightKey, 40) +
                  (linear->biasKey.empty() ? std::string() : ", " + printableText(linear->biasKey, 40));
    } else {
        w.Wo = Eigen::MatrixXd(w.M(), 0);
        w.bo = Eigen::VectorXd(0);
    }
    out.layout = layout + ")";
    if (kind == CellKind::SimpleRNN)
        notes.push_back("a state_dict does not record nn.RNN's nonlinearity: PyTorch's default is tanh");
    checkShapes(w); // the invariant every Weights satisfies (the checks above already name the keys)
    return out;
}

// ---- weight file formats: one loader per extension ------------------------------------------

LoadedModel loadNpzWeights(const std::string &path, const std::string &layer)
{
    LoadedModel model = weightsFromArrays(readNpz(path), path);
    if (!layer.empty())
        model.notes.push_back("--layer " + quote(layer) + " does not apply: an .npz holds a single recurrent layer");
    return model;
}

LoadedModel refuseSingleNpy(const std::string &path, const std::string &)
{
    fail(ErrorKind::BadUsage, path,
         "a single .npy is not a weight set: save all weights with np.savez(...), e.g. "
         "np.savez('weights.npz', *model.get_weights())");
}

LoadedModel refuseSession(const std::string &path, const std::string &)
{
    fail(ErrorKind::BadUsage, path,
         "a session file is not a weight set: open it as a session (rnnscope FILE.json, or File > Open in the window)");
}

struct WeightFormat {
    const char *extension;
    LoadedModel (*load)(const std::string &path, const std::string &layer);
};

constexpr WeightFormat kWeightFormats[] = {
    {".npz", loadNpzWeights},
    {".npy", refuseSingleNpy},
    {".json", refuseSession},
    {".h5", loadKerasFile},
    {".hdf5", loadKerasFile},
    {".keras", loadKerasFile},
};

// ---- CSV -----------------------------------------------------------------------------------

bool parseNumber(std::string_view field, double &value)
{
    if (!field.empty() && field.front() == '+')
        field.remove_prefix(1);
    if (field.empty())
        return false;
    const char *end = field.data() + field.size();
    const auto [ptr, ec] = std::from_chars(field.data(), end, value, std::chars_format::general);
    if (ptr != end)
        return false;
    if (ec == std::errc::result_out_of_range) {
        // from_chars leaves value untouched on overflow or underflow; decide by the exponent
        // ("1e999" → ±inf, "1e-999" → ±0), as Python's float() does.
        const bool negative = field.front() == '-';
        const auto e = field.find_first_of("eE");
        const bool hugeExponent = e != std::string_view::npos && field.substr(e + 1).find('-') == std::string_view::npos;
        value = hugeExponent ? (negative ? -HUGE_VAL : HUGE_VAL) : (negative ? -0.0 : 0.0);
        return true;
    }
    return ec == std::errc();
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> splitFields(std::string_view line)
{
    std::vector<std::string_view> fields;
    if (line.find(',') != std::string_view::npos) {
        std::size_t start = 0;
        while (true) {
            const auto comma = line.find(',', start);
            fields.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
            if (comma == std::string_view::npos)
                break;
            start = comma + 1;
        }
        return fields;
    }
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t')
            ++i;
        if (i > start)
            fields.push_back(line.substr(start, i - start));
    }
    return fields;
}

} // namespace

std::string lowerExtension(const std::string &path)
{
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

// ---- public ----------------------------------------------------------------------------------

Weights pytorchLayerWeights(const NamedArrays &arrays, const std::string &prefix, int layer, bool reverse,
                            const std::string &source, std::vector<std::string> &notes, std::set<std::string> &used)
{
    auto part = [&](const char *name) {
        const std::string key = pytorchKey(prefix, name, layer, reverse);
        return Part{findArray(arrays, key), key};
    };
    Part ih = part("weight_ih"), hh = part("weight_hh"), bih = part("bias_ih"), bhh = part("bias_hh");
    for (const Part *q : {&ih, &hh})
        if (!q->array)
            fail(ErrorKind::MissingArray, source,
                 "has no '" + printableText(q->key, 40) + "' (shape " + (q == &ih ? "(gM, D)" : "(gM, M)") + "): found " +
                     keyList(arrays));
    if (!bih.array != !bhh.array) {
        const Part &missing = bih.array ? bhh : bih;
        fail(ErrorKind::MissingArray, source,
             "has no '" + printableText(missing.key, 40) + "' (shape (gM,)): PyTorch's RNN modules have both " +
                 printableText(bih.key, 40) + " and " + printableText(bhh.key, 40) + ", or neither (bias=False)");
    }
    requireRank(ih, 2, "Wxᵀ", "(gM, D)", source);
    requireRank(hh, 2, "Whᵀ", "(gM, M)", source);
    // M from weight_hh's columns; its rows are g·M: g = 1 nn.RNN, 4 nn.LSTM, 3 nn.GRU.
    const std::int64_t m = hh.array->shape[1], gm = hh.array->shape[0];
    if (m < 1 || ih.array->shape[1] < 1)
        fail(ErrorKind::ShapeMismatch, source,
             printableText(ih.key, 40) + " has shape " + shapeString(ih.array->shape) + " and " + printableText(hh.key, 40)
                 + " " + shapeString(hh.array->shape) + ": D and M must be at least 1");
    if (gm != m && gm != 3 * m && gm != 4 * m)
        fail(ErrorKind::ShapeMismatch, source,
             printableText(hh.key, 40) + " has shape " + shapeString(hh.array->shape)
                 + ": expected (M, M) for nn.RNN, (4M, M) for nn.LSTM or (3M, M) for nn.GRU");
    const int gates = static_cast<int>(gm / m);
    const CellKind kind = gates == 4 ? CellKind::LSTM : gates == 3 ? CellKind::GRU : CellKind::SimpleRNN;
    const std::string mText = "M=" + std::to_string(m) + " (" + (gates == 4 ? "nn.LSTM" : gates == 3 ? "nn.GRU" : "nn.RNN") + ")";
    expectShape(ih, {gm, ih.array->shape[1]}, mText, source);
    if (bih.array) {
        requireRank(bih, 1, "bh", "(gM,)", source);
        requireRank(bhh, 1, "bh", "(gM,)", source);
        expectShape(bih, {gm}, mText, source);
        expectShape(bhh, {gm}, mText, source);
    }

    Weights w;
    // PyTorch's gate rows back into Keras's gate columns (GRU: r, z, n → z, r, h).
    const std::vector<int> toKeras = inverseOrder(pytorchGateOrder(kind));
    const auto keras = [&](const Eigen::MatrixXd &columns) { return permuteGateColumns(columns, toKeras); };
    w.Wx = keras(matrixFromArray(*ih.array).transpose());
    w.Wh = keras(matrixFromArray(*hh.array).transpose());
    if (bih.array) {
        const Eigen::MatrixXd bi = keras(vectorFromArray(*bih.array).transpose());
        const Eigen::MatrixXd bhhK = keras(vectorFromArray(*bhh.array).transpose());
        if (kind == CellKind::GRU) {
            // nn.GRU is Keras's GRU(reset_after=True): bias (2, 3M), input row first.
            w.bh.resize(2 * gm);
            w.bh << bi.row(0).transpose(), bhhK.row(0).transpose();
            notes.push_back("nn.GRU = Keras GRU(reset_after=True): bias row 0 = " + printableText(bih.key, 40)
                            + ", row 1 = " + printableText(bhh.key, 40) + " (gates r, z, n reordered to z, r, h)");
        } else {
            w.bh = (bi + bhhK).row(0).transpose();
            notes.push_back("bh = " + printableText(bih.key, 40) + " + " + printableText(bhh.key, 40) +
                            " (PyTorch keeps two bias vectors, Keras one)");
        }
        used.insert({bih.key, bhh.key});
    } else {
        w.bh = Eigen::VectorXd::Zero(kind == CellKind::GRU ? 2 * gm : gm);
        notes.push_back("the RNN has no biases (bias=False): bh = 0");
    }
    used.insert({ih.key, hh.key});
    w.Wo = Eigen::MatrixXd(m, 0);
    w.bo = Eigen::VectorXd(0);
    return w;
}

std::string pytorchEmbeddingKey(const NamedArrays &arrays, std::int64_t D, std::int64_t width, const std::string &source)
{
    std::vector<Part> weights, named, unbiased;
    for (const auto &[key, a] : arrays) {
        if ((key != "weight" && !endsWith(key, ".weight")) || a.rank() != 2)
            continue;
        weights.push_back(Part{&a, key});
        if (key == "weight")
            continue; // a bare Linear's
        const std::string module = key.substr(0, key.size() - 7);
        std::string name = module.substr(module.rfind('.') == std::string::npos ? 0 : module.rfind('.') + 1);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (name.find("embed") != std::string::npos)
            named.push_back(weights.back());
        else if (D >= 1 && a.shape[1] == D && !findArray(arrays, module + ".bias"))
            unbiased.push_back(weights.back());
    }
    if (named.size() > 1)
        fail(ErrorKind::Unsupported, source,
             "holds several Embeddings (" + printableText(named[0].key, 40) + " " + shapeString(named[0].array->shape) + ", " +
                 printableText(named[1].key, 40) + " " + shapeString(named[1].array->shape) +
                 "): rnnscope models one Embedding before the recurrent layers");
    if (named.size() == 1)
        return named.front().key;
    if (unbiased.size() == 1 && (weights.size() > 1 || unbiased.front().array->shape[1] != width))
        return unbiased.front().key;
    return {};
}

std::optional<PyTorchLinear> pytorchLinear(const NamedArrays &arrays, std::int64_t width, const std::string &reader,
                                           const std::string &source, std::vector<std::string> &notes, std::set<std::string> &used,
                                           const std::string &embeddingKey)
{
    std::vector<Part> linear;
    for (const auto &[key, a] : arrays)
        if ((key == "weight" || endsWith(key, ".weight")) && a.rank() == 2 && key != embeddingKey)
            linear.push_back(Part{&a, key});
    if (linear.size() > 1)
        fail(ErrorKind::Unsupported, source,
             "holds several Linear layers (" + printableText(linear[0].key, 40) + " " + shapeString(linear[0].array->shape) +
                 ", " + printableText(linear[1].key, 40) + " " + shapeString(linear[1].array->shape) +
                 "): rnnscope models the recurrent layers → one Dense(K)");
    if (linear.empty())
        return std::nullopt;
    const Part &lw = linear.front();
    const std::string q = lw.key.substr(0, lw.key.size() - 6); // without "weight"
    const Part lb{findArray(arrays, q + "bias"), q + "bias"};
    const std::int64_t k = lw.array->shape[0];
    expectShape(lw, {k, width}, reader, source);
    PyTorchLinear out;
    out.Wo = matrixFromArray(*lw.array).transpose();
    out.weightKey = lw.key;
    if (lb.array) {
        requireRank(lb, 1, "bo", "(K,)", source);
        expectShape(lb, {k}, "K=" + std::to_string(k), source);
        out.bo = vectorFromArray(*lb.array);
        out.biasKey = lb.key;
        used.insert(lb.key);
    } else {
        out.bo = Eigen::VectorXd::Zero(k);
        notes.push_back("the Linear layer has no bias (bias=False): bo = 0");
    }
    used.insert(lw.key);
    return out;
}

std::vector<std::string> pytorchPrefixes(const NamedArrays &arrays)
{
    std::vector<std::string> prefixes;
    for (const auto &[key, a] : arrays)
        if (endsWith(key, "weight_ih_l0")) {
            const std::string p = key.substr(0, key.size() - 12);
            if (p.empty() || p.back() == '.')
                prefixes.push_back(p);
        }
    return prefixes;
}

LoadedModel weightsFromArrays(const NamedArrays &arrays, const std::string &source)
{
    LoadedModel model;
    if (arrays.empty())
        fail(ErrorKind::MissingArray, source, std::string("holds no arrays: ") + kAcceptedLayouts);

    bool pytorch = false, named = false, positional = false;
    for (const auto &[key, a] : arrays) {
        if (endsWith(key, "weight_ih_l0") && (key.size() == 12 || key[key.size() - 13] == '.'))
            pytorch = true;
        if (key == "kernel" || key == "recurrent_kernel" || key == "bias" || key == "dense_kernel" || key == "dense_bias")
            named = true;
        if (startsWith(key, "arr_"))
            positional = true;
    }
    Assembled assembled;
    if (pytorch)
        assembled = fromPyTorch(arrays, source, model.notes);
    else if (named)
        assembled = fromNamed(arrays, source, model.notes);
    else if (positional)
        assembled = fromPositional(arrays, source, model.notes);
    else if (arrays.size() == 1 && arrays.front().first == "X")
        fail(ErrorKind::MissingArray, source, "holds only the input X " + shapeString(arrays.front().second.shape) + ", no weights: " + kAcceptedLayouts);
    else
        fail(ErrorKind::MissingArray, source, "no weight set among " + keyList(arrays) + ": " + kAcceptedLayouts);
    model.weights = std::move(assembled.weights);
    model.layoutDescription = std::move(assembled.layout);

    bool allFloat64 = true;
    for (const auto &[key, a] : arrays)
        if (assembled.used.count(key) && a.dtype != DType::Float64)
            allFloat64 = false;
    model.dtype = allFloat64 ? DType::Float64 : DType::Float32;
    bool mixed = false;
    for (const auto &[key, a] : arrays)
        if (assembled.used.count(key) && a.dtype != model.dtype)
            mixed = true;
    if (mixed)
        model.notes.push_back("the weights mix float32 and float64 arrays: float32 assumed");

    if (const NdArray *x = findArray(arrays, "X")) {
        try {
            model.input = inputFromArray(*x, model.weights.D());
        } catch (const Error &e) {
            fail(e.kind(), source, e.what());
        }
        model.notes.push_back("input X " + shapeString(model.input->shape) + " loaded from the file");
    }

    std::string ignored;
    std::size_t ignoredCount = 0;
    for (const auto &[key, a] : arrays) {
        if (assembled.used.count(key) || key == "X")
            continue;
        if (++ignoredCount <= 8)
            ignored += (ignored.empty() ? "" : ", ") + printableText(key, 40) + " " + shapeString(a.shape);
    }
    if (ignoredCount > 8)
        ignored += ", … (" + std::to_string(ignoredCount - 8) + " more)";
    if (ignoredCount > 0)
        model.notes.push_back("ignored arrays: " + ignored);
    return model;
}

LoadedModel loadWeightsFile(const std::string &path, const std::string &layer)
{
    checkReadable(path);
    const std::string ext = lowerExtension(path);
    for (const WeightFormat &format : kWeightFormats)
        if (ext == format.extension)
            return format.load(path, layer);
    fail(ErrorKind::Unsupported, path,
         (ext.empty() ? std::string("a file without an extension") : "the extension " + quote(ext)) +
             " is not a weight file rnnscope reads: expected .npz (np.savez of the weights), "
             ".h5 / .hdf5 or .keras (a Keras model)");
}

NdArray parseInputCsv(const std::string &text, const std::string &name)
{
    std::string_view rest = text;
    if (startsWith(rest, "\xEF\xBB\xBF"))
        rest.remove_prefix(3); // UTF-8 byte order mark
    NdArray a;
    a.dtype = DType::Float64;
    std::size_t columns = 0, rows = 0, firstLine = 0, lineNumber = 0;
    while (!rest.empty()) {
        const auto newline = rest.find('\n');
        std::string_view line = rest.substr(0, newline);
        rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
        ++lineNumber;
        line = trim(line);
        if (line.empty() || line.front() == '#')
            continue;
        const std::vector<std::string_view> fields = splitFields(line);
        std::vector<double> values(fields.size());
        std::size_t bad = fields.size();
        std::size_t numbers = 0;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (parseNumber(fields[i], values[i]))
                ++numbers;
            else if (bad == fields.size())
                bad = i;
        }
        if (bad < fields.size()) {
            if (rows == 0 && numbers == 0 && firstLine == 0) {
                firstLine = lineNumber; // a line of column names, e.g. "x0,x1,x2"
                continue;
            }
            fail(ErrorKind::BadUsage, name,
                 "line " + std::to_string(lineNumber) + ", column " + std::to_string(bad + 1) + ": " +
                     (fields[bad].empty() ? std::string("empty value") : quote(fields[bad]) + " is not a number") +
                     " (expected T lines of D comma-separated numbers)");
        }
        if (rows == 0) {
            columns = fields.size();
            firstLine = lineNumber;
        } else if (fields.size() != columns) {
            fail(ErrorKind::ShapeMismatch, name,
                 "line " + std::to_string(lineNumber) + " has " + std::to_string(fields.size()) +
                     (fields.size() == 1 ? " value" : " values") + ", but line " + std::to_string(firstLine) + " has " +
                     std::to_string(columns) +
                     " (expected T lines of D comma-separated numbers)");
        }
        a.values.insert(a.values.end(), values.begin(), values.end());
        ++rows;
    }
    if (rows == 0)
        fail(ErrorKind::MissingArray, name, "holds no numbers: expected T lines of D comma-separated numbers");
    a.shape = {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(columns)};
    return a;
}

NdArray loadInputFile(const std::string &path, int expectedD)
{
    checkReadable(path);
    const std::string ext = lowerExtension(path);
    NdArray array;
    if (ext == ".npy") {
        array = readNpy(path);
    } else if (ext == ".npz") {
        const NamedArrays arrays = readNpz(path);
        if (const NdArray *x = findArray(arrays, "X"))
            array = *x;
        else if (arrays.size() == 1)
            array = arrays.front().second;
        else
            fail(ErrorKind::MissingArray, path, "has no array 'X' (the input, (N, T, D)): found " + keyList(arrays));
    } else if (ext == ".csv" || ext == ".txt") {
        const std::vector<std::uint8_t> bytes = readFileBytes(path, kMaxCsvBytes);
        array = parseInputCsv(std::string(bytes.begin(), bytes.end()), path);
    } else {
        fail(ErrorKind::Unsupported, path,
             (ext.empty() ? std::string("a file without an extension") : "the extension " + quote(ext)) +
                 " is not an input file rnnscope reads: expected .npy, .npz or .csv");
    }
    try {
        return inputFromArray(array, expectedD);
    } catch (const Error &e) {
        fail(e.kind(), path, e.what());
    }
}

} // namespace rnnscope
