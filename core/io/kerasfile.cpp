#include "io/kerasfile.h"

#include "common/error.h"
#include "io/file.h"
#include "io/hdf5reader.h"
#include "io/isolatedreader.h"
#include "io/kerasarchive.h"
#include "io/npy.h"
#include "io/refusal.h"
#include "nn/dims.h"

#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

namespace rnnscope {

namespace {

using namespace kerasio;
using Json = nlohmann::json;

constexpr std::size_t kMaxWeightsPerLayer = 64;

// "'a', 'b', 'c'" — at most `limit` names, then "… (n more)".
std::string quotedList(const std::vector<std::string> &names, std::size_t limit = 8)
{
    std::string s;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i == limit) {
            s += ", … (" + std::to_string(names.size() - limit) + " more)";
            break;
        }
        s += (i ? ", " : "") + quote(names[i]);
    }
    return s;
}

// "an LSTM", "a GRU", "a SimpleRNN", "an Embedding": the article as the class name is spoken.
std::string withArticle(const std::string &className)
{
    if (className.empty())
        return "a layer";
    const char c = className[0];
    const bool vowel = std::string_view("AEIOUaeiou").find(c) != std::string_view::npos;
    const bool spelledOut = className.size() > 1 && std::isupper(static_cast<unsigned char>(className[1])) &&
                            std::string_view("FHLMNRSX").find(c) != std::string_view::npos; // "an LSTM", "an RNN"
    return (vowel || spelledOut ? "an " : "a ") + className;
}

// ---- JSON ----------------------------------------------------------------------------------

const Json *member(const Json *object, const char *key)
{
    if (!object || !object->is_object())
        return nullptr;
    const auto it = object->find(key);
    return it == object->end() ? nullptr : &*it;
}

std::optional<std::string> stringMember(const Json *object, const char *key)
{
    const Json *j = member(object, key);
    return j && j->is_string() ? std::optional<std::string>(j->get<std::string>()) : std::nullopt;
}

std::optional<bool> boolMember(const Json *object, const char *key)
{
    const Json *j = member(object, key);
    return j && j->is_boolean() ? std::optional<bool>(j->get<bool>()) : std::nullopt;
}

std::optional<std::int64_t> integerMember(const Json *object, const char *key)
{
    const Json *j = member(object, key);
    if (j && j->is_number_unsigned())
        return j->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                   ? std::nullopt
                   : std::optional<std::int64_t>(static_cast<std::int64_t>(j->get<std::uint64_t>()));
    if (j && j->is_number_integer())
        return j->get<std::int64_t>();
    return std::nullopt;
}

Json parseJson(const std::string &text, const std::string &source, const std::string &what)
{
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded())
        fail(ErrorKind::MalformedHeader, source, what + " is not valid JSON");
    if (!j.is_object())
        fail(ErrorKind::MalformedHeader, source, what + " is not a JSON object");
    return j;
}

// A shape such as batch_input_shape [null, 60, 10]: each entry a number or unknown (null).
using ConfigShape = std::vector<std::optional<std::int64_t>>;

std::optional<ConfigShape> shapeMember(const Json *object, const char *key)
{
    const Json *j = member(object, key);
    if (!j || !j->is_array() || j->size() > 8)
        return std::nullopt;
    ConfigShape shape;
    for (const Json &e : *j) {
        if (e.is_number_integer())
            shape.push_back(e.get<std::int64_t>());
        else if (e.is_null())
            shape.push_back(std::nullopt);
        else
            return std::nullopt;
    }
    return shape;
}

std::string configShapeString(const ConfigShape &shape)
{
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + (shape[i] ? std::to_string(*shape[i]) : std::string("None"));
    return s + (shape.size() == 1 ? ",)" : ")");
}

// ---- the model a file holds ------------------------------------------------------------------

// One layer, in model order.
struct Layer {
    std::string name;
    std::string className;          // Keras's class ("SimpleRNN", …); "" when unknown
    std::string wrapped;            // a wrapper's layer class ("LSTM" in a Bidirectional(LSTM)); "" when none or unknown
    bool guessed = false;           // className inferred from the weights (a file without config)
    const Json *entry = nullptr;    // the layer's entry in the model config
    const Json *config = nullptr;   // its "config"
    std::vector<Dataset> weights;   // in get_weights() order
    std::vector<std::string> roles; // per weight: "kernel", "recurrent_kernel", "bias", "embeddings", or ""
};

// The Keras version that wrote a file, as far as its defaults go: "2.2.4-tf" is {2, 2}.
struct KerasVersion {
    int major = 0, minor = 0;
    bool recorded = false; // false: the file does not say (the format's generation is assumed)

    bool atLeast(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
    std::string text() const { return std::to_string(major) + "." + std::to_string(minor); }
};

KerasVersion parseVersion(const std::optional<std::string> &text, int assumedMajor)
{
    KerasVersion v;
    v.major = assumedMajor;
    if (!text)
        return v;
    std::size_t at = 0;
    const auto number = [&] {
        int n = 0;
        for (const std::size_t start = at; at < text->size() && at - start < 4 && std::isdigit(static_cast<unsigned char>((*text)[at]));)
            n = n * 10 + ((*text)[at++] - '0');
        return n;
    };
    if (text->empty() || !std::isdigit(static_cast<unsigned char>(text->front())))
        return v; // not a version number: keep the assumption
    v.major = number();
    if (at < text->size() && (*text)[at] == '.') {
        ++at;
        v.minor = number();
    }
    v.recorded = true;
    return v;
}

struct KerasModel {
    std::string source;
    std::string format;        // "Keras 2.6.0 model.save() HDF5", …
    KerasVersion version;      // decides hard_sigmoid and the defaults of absent config keys
    Json config;               // the model config; null when the file has none
    std::vector<Layer> layers; // model order
    bool orderGuessed = false; // no config and no @layer_names: order from default names
    std::vector<std::string> notes;
};

bool isRecurrentClass(const std::string &c)
{
    static const char *const names[] = {"SimpleRNN",  "LSTM",       "GRU", "CuDNNLSTM",     "CuDNNGRU", "ConvLSTM1D",
                                        "ConvLSTM2D", "ConvLSTM3D", "RNN", "Bidirectional", "LSTMV1",   "GRUV1"};
    return std::find(std::begin(names), std::end(names), c) != std::end(names);
}

// The cell rnnscope computes for a Keras layer class; nullopt for the recurrent layers it does not
// compute (Bidirectional, CuDNNLSTM, ConvLSTM2D, RNN around a custom cell …) and for every other
// layer. tf.keras's LSTMV1 and GRUV1 compute the same cells as LSTM and GRU.
std::optional<CellKind> cellOfClass(const std::string &c)
{
    if (c == "SimpleRNN")
        return CellKind::SimpleRNN;
    if (c == "LSTM" || c == "LSTMV1")
        return CellKind::LSTM;
    if (c == "GRU" || c == "GRUV1")
        return CellKind::GRU;
    return std::nullopt;
}

// "Bidirectional(LSTM)" for a wrapper whose layer's class is known, else the class.
std::string classText(const Layer &l)
{
    return l.wrapped.empty() ? l.className : l.className + "(" + l.wrapped + ")";
}

// Keras 3's naming.to_snake_case: "SimpleRNN" → "simple_rnn", "InputLayer" → "input_layer",
// "LSTM" → "lstm". Its three regular expressions, written out: drop non-word characters; "_"
// before every capital that starts a capitalised word ("(.)([A-Z][a-z]+)"); "_" between a lower-
// case letter and a capital ("([a-z])([A-Z])"); lower case.
std::string toSnakeCase(const std::string &name)
{
    const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    std::string word;
    for (const char c : name)
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80)
            word += c;
    std::string words;
    for (std::size_t i = 0; i < word.size();) {
        if (i + 2 < word.size() && upper(word[i + 1]) && lower(word[i + 2])) {
            std::size_t end = i + 2;
            while (end < word.size() && lower(word[end]))
                ++end;
            words += word.substr(i, 1) + "_" + word.substr(i + 1, end - i - 1);
            i = end;
        } else {
            words += word[i++];
        }
    }
    std::string out;
    for (std::size_t i = 0; i < words.size();) {
        if (i + 1 < words.size() && lower(words[i]) && upper(words[i + 1])) {
            out += words.substr(i, 1) + "_" + words[i + 1];
            i += 2;
        } else {
            out += words[i++];
        }
    }
    std::transform(out.begin(), out.end(), out.begin(), [&](char c) { return upper(c) ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

// Layers that leave their input unchanged at inference.
bool isInferenceIdentity(const std::string &c)
{
    static const char *const names[] = {"Dropout",         "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                                        "GaussianDropout", "GaussianNoise",    "AlphaDropout",     "ActivityRegularization"};
    return std::find(std::begin(names), std::end(names), c) != std::end(names);
}

std::string describe(const Layer &l)
{
    if (!l.className.empty())
        return quote(l.name) + " (" + classText(l) + (l.guessed ? ", by its weights" : "") + ")";
    return quote(l.name) + (l.weights.empty() ? " (a layer without weights)" : " (a layer of unknown kind)");
}

// "'embedding' (Embedding), 'dropout' (Dropout)" — at most `limit` layers, then "… (n more)".
std::string describeList(const std::vector<const Layer *> &layers, std::size_t limit = 8)
{
    std::string s;
    for (std::size_t i = 0; i < layers.size() && i <= limit; ++i)
        s += (i ? ", " : "") + (i == limit ? "… (" + std::to_string(layers.size() - limit) + " more)" : describe(*layers[i]));
    return s;
}

// "kernel" for "simple_rnn/simple_rnn_cell/kernel:0" and Keras 1's "simplernn_1_W:0"; Keras 1's
// per-gate arrays of an LSTM or a GRU are "kernel_i", "recurrent_kernel_i", "bias_i" for
// "lstm_1_W_i:0", "lstm_1_U_i:0", "lstm_1_b_i:0" (gates i, c, f, o; z, r, h).
std::string roleFromName(const std::string &weightName, const std::string &layerName)
{
    std::string_view s = weightName;
    const auto colon = s.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < s.size() &&
        std::all_of(s.begin() + static_cast<std::ptrdiff_t>(colon) + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        s = s.substr(0, colon);
    const auto slash = s.rfind('/');
    if (slash != std::string_view::npos)
        s = s.substr(slash + 1);
    if (s == layerName + "_W")
        return "kernel"; // Keras 1
    if (s == layerName + "_U")
        return "recurrent_kernel";
    if (s == layerName + "_b")
        return "bias";
    if (s.size() == layerName.size() + 4 && s.substr(0, layerName.size()) == layerName && s[layerName.size()] == '_' &&
        s[layerName.size() + 2] == '_' && std::islower(static_cast<unsigned char>(s.back()))) {
        const char matrix = s[layerName.size() + 1];
        const std::string gate(1, s.back());
        if (matrix == 'W')
            return "kernel_" + gate;
        if (matrix == 'U')
            return "recurrent_kernel_" + gate;
        if (matrix == 'b')
            return "bias_" + gate;
    }
    return std::string(s);
}

// "layer 'simple_rnn': 'layers/simple_rnn/cell/vars/1' (recurrent_kernel)"; the role is left
// out when the name ends with it.
std::string weightLabel(const std::string &layer, const std::string &name, const std::string &role)
{
    std::string_view n = name;
    if (const auto colon = n.rfind(':'); colon != std::string_view::npos)
        n = n.substr(0, colon);
    const bool named = !role.empty() && n.size() >= role.size() && n.substr(n.size() - role.size()) == role;
    return "layer " + quote(layer) + ": " + quote(name) + (named || role.empty() ? "" : " (" + role + ")");
}

// True when a component of `path` starts with `prefix`.
bool hasComponentStarting(const std::string &path, std::string_view prefix)
{
    for (std::size_t start = 0; start < path.size();) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        if (std::string_view(path).substr(start, end - start).substr(0, prefix.size()) == prefix)
            return true;
        start = end + 1;
    }
    return false;
}

// The class of a layer of a file without config, from its weights (and Keras's default names): a
// recurrent kernel (M, gM) tells SimpleRNN, GRU and LSTM apart (g = 1, 3, 4), as do Keras 1's
// per-gate arrays; weights under forward_… and backward_… are a Bidirectional's (Keras 1:
// forward_lstm_1_W_i, Keras 2: forward_lstm_1/kernel:0, Keras 3: forward_layer/cell/vars/0).
void guessClass(Layer &l)
{
    const Dataset *kernel = nullptr, *recurrent = nullptr;
    std::string gates;
    bool forward = false, backward = false;
    for (std::size_t i = 0; i < l.weights.size(); ++i) {
        const std::string &role = l.roles[i];
        if (role == "kernel" && !kernel)
            kernel = &l.weights[i];
        if (role == "recurrent_kernel" && !recurrent)
            recurrent = &l.weights[i];
        if (role.rfind("recurrent_kernel_", 0) == 0)
            gates += role.back();
        if (role == "embeddings")
            l.className = "Embedding";
        forward = forward || hasComponentStarting(l.weights[i].path, "forward_");
        backward = backward || hasComponentStarting(l.weights[i].path, "backward_");
    }
    std::sort(gates.begin(), gates.end());
    if (recurrent && recurrent->shape.size() == 2 && recurrent->shape[0] > 0) {
        const std::int64_t m = recurrent->shape[0], columns = recurrent->shape[1];
        l.className = columns == m ? "SimpleRNN" : columns == 3 * m ? "GRU" : columns == 4 * m ? "LSTM" : "RNN";
    } else if (gates == "cfio" || gates == "hrz") {
        l.className = gates == "cfio" ? "LSTM" : "GRU";
    } else if (kernel && kernel->shape.size() == 2 && l.weights.size() <= 2 && l.className.empty()) {
        l.className = "Dense";
    }
    if (forward && backward) {
        l.wrapped = l.className == "RNN" || l.className == "Dense" ? "" : l.className;
        l.className = "Bidirectional";
    }
    l.guessed = !l.className.empty();
}

// Reads @weight_names of each layer group below `root` (Keras 1, 2 and 3's legacy .h5).
void readLegacyLayers(const Hdf5File &h5, const std::string &root, const std::vector<std::string> &layerNames, KerasModel &km)
{
    const std::string &src = km.source;
    std::map<std::string, Layer> byName;
    for (const std::string &name : layerNames) {
        if (name.empty() || byName.count(name))
            fail(ErrorKind::MalformedHeader, src,
                 "@layer_names lists " + (name.empty() ? std::string("an empty name") : quote(name) + " twice"));
        const std::string group = joinPath(root, name);
        if (!h5.isGroup(group))
            fail(ErrorKind::MissingArray, src, "layer " + quote(name) + " of @layer_names has no group " + quote(group));
        const std::vector<std::string> weightNames = h5.nameList(group, "weight_names").value_or(std::vector<std::string>{});
        if (weightNames.size() > kMaxWeightsPerLayer)
            fail(ErrorKind::Unsupported, src,
                 "layer " + quote(name) + " lists " + std::to_string(weightNames.size()) + " weights");
        Layer l;
        l.name = name;
        for (const std::string &weightName : weightNames) {
            const std::string role = roleFromName(weightName, name);
            l.weights.push_back(h5.dataset(joinPath(group, weightName), weightLabel(name, weightName, role)));
            l.roles.push_back(role);
        }
        byName.emplace(name, std::move(l));
    }
    if (km.config.is_null()) {
        for (const std::string &name : layerNames) {
            km.layers.push_back(std::move(byName.at(name)));
            guessClass(km.layers.back());
        }
        return;
    }
    for (Layer &l : km.layers) {
        const auto it = byName.find(l.name);
        if (it == byName.end())
            continue; // InputLayer, and layers Keras lists nowhere
        l.weights = std::move(it->second.weights);
        l.roles = std::move(it->second.roles);
        byName.erase(it);
    }
    std::vector<std::string> unknown;
    for (const auto &[name, l] : byName)
        if (!l.weights.empty())
            unknown.push_back(name);
    if (!unknown.empty())
        km.notes.push_back("ignored weights of layers the model config does not list: " + quotedList(unknown));
}

// The layers of the model config, in model order, without weights yet.
void readConfigLayers(KerasModel &km, const std::string &what)
{
    const Json *config = member(&km.config, "config");
    const Json *list = config && config->is_array() ? config : member(config, "layers");
    if (!list || !list->is_array())
        fail(ErrorKind::MalformedHeader, km.source, what + " lists no layers (expected \"config\": {\"layers\": [...]})");
    if (list->size() > kMaxNames)
        fail(ErrorKind::TooLarge, km.source, what + " lists " + std::to_string(list->size()) + " layers");
    std::map<std::string, int> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const Json &entry = (*list)[i];
        Layer l;
        l.entry = &entry;
        l.config = member(&entry, "config");
        l.className = stringMember(&entry, "class_name").value_or("");
        l.name = stringMember(l.config, "name").value_or(stringMember(&entry, "name").value_or(""));
        l.wrapped = stringMember(member(l.config, "layer"), "class_name").value_or(""); // Bidirectional, TimeDistributed
        if (!entry.is_object() || l.className.empty() || l.name.empty())
            fail(ErrorKind::MalformedHeader, km.source,
                 "layer " + std::to_string(i) + " of " + what + " has no class_name or no name");
        if (seen[l.name]++)
            fail(ErrorKind::MalformedHeader, km.source, what + " has two layers named " + quote(l.name));
        km.layers.push_back(std::move(l));
    }
}

// Appends the variables <vars>/0, /1, … to the weights of `l`, in the order of their numbers, with
// `roles` (as far as they go).
void readVars(const Hdf5File &h5, const std::string &vars, const std::vector<std::string> &roles, Layer &l)
{
    std::vector<std::string> names = h5.children(vars);
    if (names.size() > kMaxWeightsPerLayer)
        fail(ErrorKind::Unsupported, h5.source(), quote(vars) + " holds " + std::to_string(names.size()) + " weights");
    std::vector<std::size_t> order(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string &n = names[i];
        std::size_t index = 0;
        const bool decimal = !n.empty() && n.size() <= 3 &&
                             std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                             (n.size() == 1 || n[0] != '0');
        if (decimal)
            index = static_cast<std::size_t>(std::stoul(n));
        if (!decimal || index >= names.size())
            fail(ErrorKind::MalformedHeader, h5.source(),
                 quote(vars) + " holds " + quote(n) + ": expected the variables 0, 1, … " + std::to_string(names.size() - 1));
        order[index] = i + 1;
    }
    if (std::find(order.begin(), order.end(), 0) != order.end())
        fail(ErrorKind::MalformedHeader, h5.source(),
             quote(vars) + " holds " + quotedList(names) + ": expected the variables 0, 1, …");
    for (std::size_t i = 0; i < order.size(); ++i) {
        const std::string role = i < roles.size() ? roles[i] : "";
        const std::string path = vars + "/" + std::to_string(i);
        l.weights.push_back(h5.dataset(path, weightLabel(l.name, path, role)));
        l.roles.push_back(role);
    }
}

// The weights of Keras 3 layer `l` stored in `group` (layers/lstm, …): a recurrent layer's at
// <group>/cell/vars/<i>, a Bidirectional's at <group>/forward_layer/cell/vars/<i> and then
// <group>/backward_layer/cell/vars/<i>, any other layer's at <group>/vars/<i>.
void readKeras3Weights(const Hdf5File &h5, Layer &l, const std::string &group)
{
    static const std::vector<std::string> cellRoles = {"kernel", "recurrent_kernel", "bias"};
    if (h5.isGroup(group + "/cell/vars")) {
        readVars(h5, group + "/cell/vars", cellRoles, l);
        return;
    }
    if (h5.isGroup(group + "/forward_layer/cell/vars")) {
        readVars(h5, group + "/forward_layer/cell/vars", cellRoles, l);
        readVars(h5, group + "/backward_layer/cell/vars", cellRoles, l);
        return;
    }
    const std::string vars = group + "/vars";
    const std::string base = group.substr(group.rfind('/') + 1); // a default name, as the group is named
    std::vector<std::string> roles;
    if (l.className == "Dense" || (l.className.empty() && (h5.children(vars).size() == 2 || base.rfind("dense", 0) == 0)))
        roles = {"kernel", "bias"};
    else if (l.className == "Embedding" || (l.className.empty() && base.rfind("embedding", 0) == 0))
        roles = {"embeddings"};
    readVars(h5, vars, roles, l);
}

// Keras's default names number layers of a class in creation order: simple_rnn, simple_rnn_1, …
std::pair<std::string, long> defaultNameOrder(const std::string &name)
{
    const auto underscore = name.rfind('_');
    if (underscore != std::string::npos && underscore + 1 < name.size() && name.size() - underscore <= 9 &&
        std::all_of(name.begin() + static_cast<std::ptrdiff_t>(underscore) + 1, name.end(),
                    [](char c) { return c >= '0' && c <= '9'; }))
        return {name.substr(0, underscore), std::stol(name.substr(underscore + 1))};
    return {name, 0};
}

// Keras 3's weights file (.keras member or .weights.h5). Its groups are named by class, never by
// the config's layer names: snake_case(class) and a counter per class in model order (lstm,
// lstm_1, …; Keras 3 saving_lib.py, "Do NOT address the saveable via saveable.name").
void readKeras3Layers(const Hdf5File &h5, KerasModel &km)
{
    if (!km.config.is_null()) {
        std::map<std::string, int> perClass;
        for (Layer &l : km.layers) {
            std::string group = toSnakeCase(l.className);
            if (const int n = perClass[group]++)
                group += "_" + std::to_string(n);
            if (!group.empty() && h5.isGroup("layers/" + group))
                readKeras3Weights(h5, l, "layers/" + group);
        }
        return;
    }
    const std::vector<std::string> names = h5.children("layers");
    for (const std::string &name : names) {
        Layer l;
        l.name = name;
        readKeras3Weights(h5, l, "layers/" + name);
        guessClass(l);
        km.layers.push_back(std::move(l));
    }
    // No order is recorded: recurrent layers first, then Dense layers, each in default-name order.
    const auto rank = [](const Layer &l) { return isRecurrentClass(l.className) ? 0 : l.className == "Dense" ? 1 : 2; };
    std::stable_sort(km.layers.begin(), km.layers.end(), [&](const Layer &a, const Layer &b) {
        return std::make_tuple(rank(a), defaultNameOrder(a.name).second, a.name) <
               std::make_tuple(rank(b), defaultNameOrder(b.name).second, b.name);
    });
    km.orderGuessed = true;
}

// ---- from the layers to one recurrent layer -> Dense ---------------------------------------------

[[noreturn]] void refuseWithoutRecurrentLayer(const KerasModel &km)
{
    std::vector<const Layer *> all;
    for (const Layer &l : km.layers)
        all.push_back(&l);
    fail(ErrorKind::Unsupported, km.source,
         "holds no recurrent layer (" + (all.empty() ? std::string("no layers at all") : "its layers: " + describeList(all)) +
             "): rnnscope computes SimpleRNN, LSTM and GRU layers");
}

// Refuses the chosen recurrent layer when rnnscope does not compute it: a Bidirectional and a layer
// that runs backwards in time (until rnnscope computes whole networks), a recurrent class other
// than SimpleRNN, LSTM and GRU. `others` are the layers --layer could open instead.
void refuseUncomputed(const KerasModel &km, const Layer &rnn, const std::vector<std::string> &others)
{
    const std::string hint =
        others.empty() ? std::string() : " (--layer NAME opens one of its other recurrent layers: " + quotedList(others) + ")";
    const std::string what = withArticle(classText(rnn)) + " layer " + quote(rnn.name);
    if (rnn.className == "Bidirectional")
        fail(ErrorKind::Unsupported, km.source, "holds " + what + ": rnnscope does not compute Bidirectional layers yet" + hint);
    if (rnn.className == "RNN" && rnn.guessed)
        fail(ErrorKind::Unsupported, km.source,
             "holds a recurrent layer " + quote(rnn.name) + " whose weights are neither a SimpleRNN's, a GRU's nor an LSTM's" + hint);
    if (!cellOfClass(rnn.className))
        fail(ErrorKind::Unsupported, km.source, "holds " + what + ": rnnscope computes SimpleRNN, LSTM and GRU layers" + hint);
    if (boolMember(rnn.config, "go_backwards").value_or(false))
        fail(ErrorKind::Unsupported, km.source,
             rnn.className + " " + quote(rnn.name) +
                 " has go_backwards=True: rnnscope does not compute layers that run backwards in time yet" + hint);
}

const Dataset *weightWithRole(const Layer &l, const std::string &role)
{
    for (std::size_t i = 0; i < l.weights.size(); ++i)
        if (l.roles[i] == role)
            return &l.weights[i];
    return nullptr;
}

// The weights of a layer by role: `roles` in get_weights() order, the last `optional` of them may
// be missing (use_bias=False). Falls back to the positions when the names say nothing.
std::vector<const Dataset *> weightsByRole(const Layer &l, const std::vector<std::string> &roles, std::size_t optional,
                                           const std::string &source)
{
    std::vector<const Dataset *> out;
    for (const std::string &role : roles)
        out.push_back(weightWithRole(l, role));
    std::size_t found = static_cast<std::size_t>(std::count_if(out.begin(), out.end(), [](const Dataset *d) { return d; }));
    if (found == 0 && l.weights.size() + optional >= roles.size() && l.weights.size() <= roles.size()) {
        for (std::size_t i = 0; i < roles.size(); ++i)
            out[i] = i < l.weights.size() ? &l.weights[i] : nullptr;
        found = l.weights.size();
    }
    std::string expected;
    for (std::size_t i = 0; i < roles.size(); ++i)
        expected += std::string(i ? ", " : "") + (i + optional >= roles.size() ? "[" : "") + roles[i] +
                    (i + optional >= roles.size() ? "]" : "");
    std::vector<std::string> names;
    for (const Dataset &d : l.weights)
        names.push_back(d.path);
    if (found != l.weights.size() ||
        std::any_of(out.begin(), out.end() - static_cast<std::ptrdiff_t>(optional), [](const Dataset *d) { return !d; }))
        fail(l.weights.size() < roles.size() - optional ? ErrorKind::MissingArray : ErrorKind::Unsupported, source,
             l.className + " " + quote(l.name) + " has the weights " +
                 (names.empty() ? std::string("(none)") : quotedList(names)) + ": expected " + expected);
    return out;
}

void requireShape(const Dataset &d, const std::vector<std::int64_t> &want, const std::string &because, const std::string &source)
{
    if (d.shape != want)
        fail(ErrorKind::ShapeMismatch, source,
             d.label + " has shape " + shapeString(d.shape) + ", but " + because + " needs " + shapeString(want));
}

// A Keras activation name as rnnscope computes it: "hard_sigmoid" is clip(0.2x + 0.5, 0, 1) up to
// Keras 2 and clip(x/6 + 0.5, 0, 1) from Keras 3 on, so the file's version decides.
std::optional<Activation> kerasActivation(const std::string &name, const KerasVersion &version)
{
    if (name == "hard_sigmoid")
        return version.major < 3 ? Activation::HardSigmoidKeras2 : Activation::HardSigmoid;
    if (name == activationName(Activation::HardSigmoidKeras2))
        return std::nullopt; // rnnscope's name for Keras 2's, never in a Keras file
    return parseActivation(name);
}

// The activation the config of `l` gives under `key` (or `oldKey`, Keras 1's name for it), or
// `absent` — Keras's default — when it gives none; nullopt without config.
std::optional<Activation> activationOf(const KerasModel &km, const Layer &l, const char *key, const char *oldKey,
                                       Activation absent, bool cell)
{
    if (!l.config)
        return std::nullopt;
    const Json *a = member(l.config, key);
    if (!a && oldKey && (a = member(l.config, oldKey)))
        key = oldKey;
    if (!a)
        return absent;
    const std::string name = a->is_string() ? a->get<std::string>() : a->is_null() ? "linear" : "";
    const auto parsed = kerasActivation(name, km.version);
    if (!parsed || (cell && !isCellActivation(*parsed)))
        fail(ErrorKind::Unsupported, km.source,
             classText(l) + " " + quote(l.name) + " uses the " + key + " " +
                 (name.empty() ? std::string("of a custom object") : quote(name)) +
                 (cell ? ": rnnscope's recurrent cells compute tanh, relu, sigmoid, hard_sigmoid or linear"
                       : ": rnnscope's Dense computes linear, relu, sigmoid, tanh, hard_sigmoid or softmax"));
    return parsed;
}

// What the config and the file's Keras version say about the chosen cell. Keras's defaults for
// keys a config leaves out: activation tanh; recurrent_activation hard_sigmoid up to Keras 2.2.5,
// sigmoid from 2.3.0; reset_after False up to Keras 2.3 (Keras 1 and 2.0–2.1.4 have no other
// GRU), True from tf.keras 2.4 and Keras 3 (RECURRENT-LAYERS.md §1.2).
struct CellConfig {
    CellKind kind = CellKind::SimpleRNN;
    std::optional<Activation> activation;  // nullopt: no config
    std::optional<Activation> recurrent;   // LSTM and GRU (without config: the version's default)
    std::optional<bool> resetAfter;        // GRU with a config
    std::string resetAfterText;            // for messages: "reset_after=True in the config"
};

// The recurrent_activation of an LSTM or GRU whose file does not give it (a config without the key,
// or no config at all): the default of the file's Keras version.
Activation defaultRecurrentActivation(const KerasVersion &version)
{
    return version.atLeast(2, 3) ? Activation::Sigmoid : Activation::HardSigmoidKeras2;
}

bool defaultResetAfter(const KerasVersion &version)
{
    return version.atLeast(2, 4);
}

CellConfig cellConfigOf(const KerasModel &km, const Layer &rnn)
{
    CellConfig c;
    c.kind = cellOfClass(rnn.className).value_or(CellKind::SimpleRNN);
    c.activation = activationOf(km, rnn, "activation", nullptr, Activation::Tanh, true);
    if (c.kind != CellKind::SimpleRNN)
        c.recurrent = activationOf(km, rnn, "recurrent_activation", "inner_activation", defaultRecurrentActivation(km.version), true)
                          .value_or(defaultRecurrentActivation(km.version));
    if (c.kind == CellKind::GRU && rnn.config) {
        if (const auto given = boolMember(rnn.config, "reset_after")) {
            c.resetAfter = *given;
            c.resetAfterText = std::string("reset_after=") + (*given ? "True" : "False") + " in the config";
        } else {
            c.resetAfter = defaultResetAfter(km.version) && rnn.className != "GRUV1";
            c.resetAfterText = std::string("reset_after=") + (*c.resetAfter ? "True" : "False") +
                               " (absent from the config: the default of Keras " + km.version.text() + ")";
        }
    }
    return c;
}

// The datasets of the chosen cell: its kernel, recurrent kernel and bias, one dataset each (the
// bias absent with use_bias=False); or, in Keras 1, one of each per gate (lstm_1_W_i, _U_i, _b_i,
// …), listed here in Keras 2's gate order (LSTM i, f, c, o; GRU z, r, h) whatever the file's order.
struct CellParts {
    std::vector<const Dataset *> kernel, recurrent, bias;
    bool perGate() const { return kernel.size() > 1; }
};

CellParts cellParts(const Layer &rnn, CellKind kind, const std::string &source)
{
    CellParts p;
    const std::vector<std::string> gates = gateBlockNames(kind);
    if (!gates.empty() && weightWithRole(rnn, "kernel_" + gates.front())) {
        std::vector<std::string> roles;
        for (const char *matrix : {"kernel_", "recurrent_kernel_", "bias_"})
            for (const std::string &gate : gates)
                roles.push_back(matrix + gate);
        const std::vector<const Dataset *> found = weightsByRole(rnn, roles, 0, source);
        const auto g = static_cast<std::ptrdiff_t>(gates.size());
        p.kernel.assign(found.begin(), found.begin() + g);
        p.recurrent.assign(found.begin() + g, found.begin() + 2 * g);
        p.bias.assign(found.begin() + 2 * g, found.end());
        return p;
    }
    const std::vector<const Dataset *> found = weightsByRole(rnn, {"kernel", "recurrent_kernel", "bias"}, 1, source);
    p.kernel = {found[0]};
    p.recurrent = {found[1]};
    if (found[2])
        p.bias = {found[2]};
    return p;
}

// Checks the shapes of the cell's datasets against each other and the config:
//   kernel (D, gM), recurrent kernel (M, gM), bias (gM,) — a GRU with reset_after (2, gM);
//   Keras 1's per-gate arrays (D, M), (M, M), (M,).
// Returns D and M; M is units (Keras 1: output_dim) when the config gives it.
std::pair<std::int64_t, std::int64_t> checkCellShapes(const CellParts &p, const Layer &rnn, const CellConfig &cell,
                                                      const std::string &source)
{
    const std::string className = cellClassName(cell.kind);
    for (const auto *list : {&p.kernel, &p.recurrent})
        for (const Dataset *d : *list)
            if (d->shape.size() != 2)
                fail(ErrorKind::ShapeMismatch, source,
                     d->label + " has shape " + shapeString(d->shape) + ", but " + withArticle(className) + " needs a matrix");
    std::int64_t M = p.recurrent.front()->shape[0];
    std::string mText = "M=" + std::to_string(M);
    for (const char *key : {"units", "output_dim"})
        if (const auto units = integerMember(rnn.config, key)) {
            M = *units;
            mText = std::string(key) + "=" + std::to_string(M) + " in the config";
        }
    if (M < 1 || static_cast<std::uint64_t>(M) > kMaxWeightValues)
        fail(ErrorKind::ShapeMismatch, source,
             classText(rnn) + " " + quote(rnn.name) + " has " + mText + ": expected a number of units from 1 to " +
                 std::to_string(kMaxWeightValues));
    const std::int64_t D = p.kernel.front()->shape[0];
    // Keras 1's per-gate arrays hold one gate block each.
    const std::int64_t gm = (p.perGate() ? 1 : gateCount(cell.kind)) * M;
    const std::string because = cell.kind == CellKind::SimpleRNN ? mText : withArticle(className) + " with " + mText;
    for (const Dataset *d : p.recurrent)
        requireShape(*d, {M, gm}, because, source);
    for (const Dataset *d : p.kernel)
        requireShape(*d, {D, gm}, because, source);
    if (p.bias.empty())
        return {D, M};
    if (p.perGate()) {
        for (const Dataset *d : p.bias)
            requireShape(*d, {gm}, because, source);
        if (cell.resetAfter.value_or(false))
            fail(ErrorKind::ShapeMismatch, source,
                 p.bias.front()->label + " is one of Keras 1's per-gate biases, which compute reset_after=False, but the GRU has " +
                     cell.resetAfterText);
        return {D, M};
    }
    const Dataset &bias = *p.bias.front();
    const std::vector<std::int64_t> oneRow{gm}, twoRows{2, gm};
    if (cell.kind != CellKind::GRU)
        requireShape(bias, oneRow, because, source);
    else if (cell.resetAfter)
        requireShape(bias, *cell.resetAfter ? twoRows : oneRow, because + " and " + cell.resetAfterText, source);
    else if (bias.shape != oneRow && bias.shape != twoRows) // no config: the bias tells reset_after
        fail(ErrorKind::ShapeMismatch, source,
             bias.label + " has shape " + shapeString(bias.shape) + ", but " + because + " needs " + shapeString(oneRow) +
                 " (reset_after=False) or " + shapeString(twoRows) + " (reset_after=True)");
    return {D, M};
}

// The values of one cell weight: its dataset; or Keras 1's per-gate datasets side by side, gate k
// at columns [k·M, (k+1)·M) of a matrix and at [k·M, (k+1)·M) of the bias (Keras 2's fused layout;
// Keras 2.2.4 saving.py converts Keras 1 files the same way).
NdArray readJoined(Hdf5File &h5, const std::vector<const Dataset *> &parts)
{
    if (parts.size() == 1)
        return h5.read(*parts.front());
    std::vector<NdArray> blocks;
    for (const Dataset *d : parts)
        blocks.push_back(h5.read(*d));
    const bool matrix = blocks.front().rank() == 2;
    const std::int64_t rows = matrix ? blocks.front().shape[0] : 1, width = blocks.front().shape.back();
    const auto columns = width * static_cast<std::int64_t>(blocks.size());
    NdArray out;
    out.shape = matrix ? std::vector<std::int64_t>{rows, columns} : std::vector<std::int64_t>{columns};
    out.dtype = std::all_of(blocks.begin(), blocks.end(), [](const NdArray &b) { return b.dtype == DType::Float64; })
                    ? DType::Float64
                    : DType::Float32;
    out.values.reserve(static_cast<std::size_t>(rows * columns));
    for (std::int64_t r = 0; r < rows; ++r)
        for (const NdArray &b : blocks)
            out.values.insert(out.values.end(), b.values.begin() + r * width, b.values.begin() + (r + 1) * width);
    return out;
}

// "lstm_1_W_i, _W_c, _W_f, _W_o" → "i, c, f, o": the gate order of Keras 1's arrays in the file.
std::string fileGateOrder(const Layer &rnn)
{
    std::string order;
    for (const std::string &role : rnn.roles)
        if (role.rfind("kernel_", 0) == 0)
            order += std::string(order.empty() ? "" : ", ") + role.back();
    return order;
}

std::string joined(const std::vector<std::string> &names)
{
    std::string s;
    for (const std::string &n : names)
        s += (s.empty() ? "" : ", ") + n;
    return s;
}

// Where the configuration says what shape the layer at `index` takes: its own build_config or
// batch_input_shape / batch_shape (Keras 1: input_length, input_dim) or, for the model's first
// layer, the InputLayer's and the model's.
std::optional<std::pair<ConfigShape, std::string>> inputShapeOf(const KerasModel &km, std::size_t index)
{
    const Layer &l = km.layers[index];
    if (auto s = shapeMember(member(l.entry, "build_config"), "input_shape"))
        return std::pair{*s, std::string("build_config")};
    for (const char *key : {"batch_input_shape", "batch_shape"})
        if (auto s = shapeMember(l.config, key))
            return std::pair{*s, std::string(key)};
    if (const auto dim = integerMember(l.config, "input_dim"))
        return std::pair{ConfigShape{std::nullopt, integerMember(l.config, "input_length"), dim}, std::string("input_dim")};
    for (std::size_t i = 0; i < index; ++i)
        if (km.layers[i].className != "InputLayer")
            return std::nullopt;
    for (std::size_t i = 0; i < index; ++i)
        for (const char *key : {"batch_input_shape", "batch_shape"})
            if (auto s = shapeMember(km.layers[i].config, key))
                return std::pair{*s, "the InputLayer's " + std::string(key)};
    const Json *modelConfig = member(&km.config, "config");
    if (auto s = shapeMember(modelConfig, "build_input_shape"))
        return std::pair{*s, std::string("the model's build_input_shape")};
    if (auto s = shapeMember(member(&km.config, "build_config"), "input_shape"))
        return std::pair{*s, std::string("the model's build_config")};
    return std::nullopt;
}

// The index of the first layer from `from` on that is not an identity at inference (Dropout …);
// the skipped layers are added to `skipped`. A layer without weights of a file without config
// counts as one (Keras lists Dropout layers there without saying what they are).
std::size_t skipIdentities(const KerasModel &km, std::size_t from, std::vector<const Layer *> &skipped)
{
    while (from < km.layers.size()) {
        const Layer &l = km.layers[from];
        if (!isInferenceIdentity(l.className) && !(l.className.empty() && l.weights.empty() && km.config.is_null()))
            break;
        skipped.push_back(&l);
        ++from;
    }
    return from;
}

// The weights of one recurrent cell, read and checked: its config, D and M, and the three arrays
// kernel, recurrent kernel and bias (written out as zeros with use_bias=False) as an
// np.savez(*get_weights()) holds them. Notes what a user should know about the layer.
struct CellRead {
    CellConfig cell;
    std::int64_t D = 0, M = 0;
    const Dataset *kernel = nullptr;
    NamedArrays arrays; // arr_0, arr_1, arr_2
};

CellRead readCell(const KerasModel &km, Hdf5File &h5, const Layer &rnn, std::vector<std::string> &notes)
{
    const std::string &src = km.source;
    CellRead out;
    out.cell = cellConfigOf(km, rnn);
    const CellConfig &cell = out.cell;
    const std::string className = cellClassName(cell.kind);
    // The cell: kernel (D, gM), recurrent_kernel (M, gM), bias (gM,) or a GRU's (2, gM).
    const CellParts parts = cellParts(rnn, cell.kind, src);
    std::tie(out.D, out.M) = checkCellShapes(parts, rnn, cell, src);
    out.kernel = parts.kernel.front();
    if (boolMember(rnn.config, "stateful").value_or(false))
        notes.push_back(quote(rnn.name) + " is stateful in Keras: rnnscope starts every sequence from h = 0" +
                        (cell.kind == CellKind::LSTM ? std::string(" and c = 0") : std::string()));
    if (parts.perGate()) {
        const std::string first = rnn.name + "_W_" + gateBlockNames(cell.kind).front();
        notes.push_back("Keras 1 stores the " + className + " as " + std::to_string(3 * gateCount(cell.kind)) +
                        " arrays, one kernel, recurrent kernel and bias per gate (" + printableText(first, 40) +
                        ", …), in the gate order " + fileGateOrder(rnn) +
                        ": joined into one kernel, recurrent_kernel and bias in Keras 2's gate order " +
                        joined(gateBlockNames(cell.kind)));
    }
    for (const auto &[what, a] : {std::pair{"activation", cell.activation}, std::pair{"recurrent activation", cell.recurrent}})
        if (a == Activation::HardSigmoidKeras2 || a == Activation::HardSigmoid)
            notes.push_back(quote(rnn.name) + ": its " + what + " hard_sigmoid is " +
                            (a == Activation::HardSigmoid
                                 ? "Keras 3's, clip(x/6 + 0.5, 0, 1) (Keras 1 and 2 computed clip(0.2x + 0.5, 0, 1))"
                                 : "clip(0.2x + 0.5, 0, 1) as Keras " + km.version.text() +
                                       " computed it (rnnscope's hard_sigmoid_keras2; Keras 3 changed it to clip(x/6 + 0.5, 0, 1))"));
    // The values, in get_weights() order, checked and assembled as an np.savez(*get_weights()) is.
    const auto add = [&](NdArray a) { out.arrays.emplace_back("arr_" + std::to_string(out.arrays.size()), std::move(a)); };
    add(readJoined(h5, parts.kernel));
    add(readJoined(h5, parts.recurrent));
    const std::int64_t gm = gateCount(cell.kind) * out.M;
    if (!parts.bias.empty()) {
        add(readJoined(h5, parts.bias));
    } else {
        // Written out (rather than left to weightsFromArrays) so that the positions stay unambiguous
        // and a GRU's reset_after shows in the bias's shape, as nn/weights.h's Weights carries it.
        const bool twoRows = cell.kind == CellKind::GRU && cell.resetAfter.value_or(defaultResetAfter(km.version));
        const std::vector<std::int64_t> shape = twoRows ? std::vector<std::int64_t>{2, gm} : std::vector<std::int64_t>{gm};
        add(NdArray{shape, std::vector<double>(static_cast<std::size_t>(twoRows ? 2 * gm : gm), 0.0), out.kernel->dtype});
        notes.push_back("the " + className + " has no bias (use_bias=False): bh = 0");
    }
    return out;
}

// The model's input shape as the config gives it for the recurrent layer at `index`: refuses a D
// the kernel contradicts, and returns T when it is a number in range.
std::optional<int> checkInputShape(const KerasModel &km, std::size_t index, const Dataset &kernel, std::int64_t D)
{
    const auto shape = inputShapeOf(km, index);
    if (!shape || shape->first.size() != 3)
        return std::nullopt;
    const ConfigShape &s = shape->first;
    if (s[2] && *s[2] != D)
        fail(ErrorKind::ShapeMismatch, km.source,
             kernel.label + " has shape " + shapeString(kernel.shape) + ", but the input shape " + configShapeString(s) +
                 " of the config (" + shape->second + ") needs D=" + std::to_string(*s[2]));
    if (s[1] && *s[1] >= 1 && *s[1] <= DimLimits::maxT)
        return static_cast<int>(*s[1]);
    return std::nullopt;
}

// A TimeDistributed(Dense) as the Dense it wraps (Keras's Dense on rank 3 is the same).
bool isDenseLayer(const Layer &l)
{
    return l.className == "Dense" || (l.className == "TimeDistributed" && l.wrapped == "Dense");
}

// The Dense directly after the recurrent layer at `index` (whose output has `width` features),
// with only identities at inference in between, and a Softmax / Activation after it folded into its
// activation. Notes what was left out between them and what was folded.
struct DenseAfter {
    const Layer *dense = nullptr;
    std::vector<const Dataset *> parts; // kernel, bias (may be null)
    std::optional<Activation> activation;
    std::size_t next = 0; // the first layer after what was taken
};

DenseAfter denseAfter(const KerasModel &km, std::size_t index, std::int64_t width, const std::string &className,
                      std::vector<std::string> &notes)
{
    const std::string &src = km.source;
    const Layer &rnn = km.layers[index];
    DenseAfter out;
    std::vector<const Layer *> between;
    out.next = skipIdentities(km, index + 1, between);
    if (out.next < km.layers.size() && isDenseLayer(km.layers[out.next])) {
        const Layer &candidate = km.layers[out.next];
        const std::vector<const Dataset *> parts = weightsByRole(candidate, {"kernel", "bias"}, 1, src);
        const Dataset &k = *parts[0];
        if (k.shape.size() == 2 && k.shape[0] != width && km.orderGuessed) {
            notes.push_back(quote(candidate.name) + " (Dense) does not take " + quote(rnn.name) + "'s output (its kernel is " +
                            shapeString(k.shape) + "): the " + className + " is opened without a Dense layer");
        } else {
            if (k.shape.size() != 2)
                fail(ErrorKind::ShapeMismatch, src,
                     k.label + " has shape " + shapeString(k.shape) + ", but a Dense layer needs (M, K)");
            const Json *config = candidate.className == "Dense" ? candidate.config : member(member(candidate.config, "layer"), "config");
            std::int64_t K = k.shape[1];
            std::string kText = "M=" + std::to_string(width);
            for (const char *key : {"units", "output_dim"})
                if (const auto units = integerMember(config, key)) {
                    K = *units;
                    kText += " and " + std::string(key) + "=" + std::to_string(K) + " in the config";
                }
            requireShape(k, {width, K}, kText, src);
            if (parts[1])
                requireShape(*parts[1], {K}, "K=" + std::to_string(K), src);
            out.dense = &candidate;
            out.parts = parts;
            ++out.next;
            if (candidate.className != "Dense")
                notes.push_back(quote(candidate.name) + " (TimeDistributed(Dense)) is the Dense it wraps: a Dense on a sequence "
                                "applies at every timestep");
        }
    }
    if (!between.empty())
        notes.push_back("left out " + describeList(between) + " between " + quote(rnn.name) + " and " +
                        (out.dense ? quote(out.dense->name) : std::string("the output")) +
                        (km.config.is_null()
                             ? ": taken as having no effect at inference (the file has no config to say what it is)"
                             : ": no effect at inference"));
    if (!out.dense)
        return out;
    // A linear Dense followed by Softmax / Activation folds it in.
    Layer inner = *out.dense;
    if (out.dense->className != "Dense")
        inner.config = member(member(out.dense->config, "layer"), "config");
    out.activation = activationOf(km, inner, "activation", nullptr, Activation::Linear, false);
    std::vector<const Layer *> skipped;
    const std::size_t following = skipIdentities(km, out.next, skipped);
    if (following < km.layers.size() && (!out.activation || *out.activation == Activation::Linear)) {
        const Layer &f = km.layers[following];
        const auto axis = integerMember(f.config, "axis");
        std::optional<Activation> folded;
        if (f.className == "Softmax" && (!member(f.config, "axis") || axis == -1))
            folded = Activation::Softmax;
        else if (f.className == "Activation")
            folded = kerasActivation(stringMember(f.config, "activation").value_or(""), km.version);
        if (folded) {
            out.activation = folded;
            notes.push_back("the " + f.className + " layer " + quote(f.name) + " after " + quote(out.dense->name) +
                            " is applied as the Dense activation (" + activationName(*folded) + ")");
            out.next = following + 1;
        }
    }
    return out;
}

// Notes on the layers around what was opened: those before the first recurrent layer (X stands for
// their output), those after `last` (Y is its output), and a file without config.
void noteAround(const KerasModel &km, std::size_t first, std::size_t next, const std::string &firstName,
                const std::string &lastName, std::int64_t D, bool anyGated, const std::string &className,
                std::vector<std::string> &notes, std::size_t from = 0)
{
    std::vector<const Layer *> before, after;
    for (std::size_t i = from; i < first; ++i)
        if (km.layers[i].className != "InputLayer")
            before.push_back(&km.layers[i]);
    if (!before.empty())
        notes.push_back("not shown: " + describeList(before) + " before " + quote(firstName) + ": X stands for " +
                        (before.size() == 1 ? "its" : "their") + " output (N, T, " + std::to_string(D) + ")");
    for (std::size_t i = next; i < km.layers.size(); ++i)
        after.push_back(&km.layers[i]);
    if (!after.empty())
        notes.push_back("not shown: " + describeList(after) + " after " + quote(lastName) + ": Y is the output of " +
                        quote(lastName));
    if (km.config.is_null()) {
        notes.push_back("the file has no model config (save_weights): the activations, return_sequences and T are not recorded");
        if (anyGated)
            notes.push_back("nor is the " + className + "'s recurrent activation: taken as Keras " + km.version.text() +
                            "'s default, " + activationName(defaultRecurrentActivation(km.version)) +
                            " (sigmoid since Keras 2.3, hard_sigmoid before; --recurrent-activation to choose another)");
    }
}

// The recurrent layers of the model, in model order.
std::vector<std::size_t> recurrentIndices(const KerasModel &km)
{
    std::vector<std::size_t> rnns;
    for (std::size_t i = 0; i < km.layers.size(); ++i)
        if (isRecurrentClass(km.layers[i].className))
            rnns.push_back(i);
    if (rnns.empty())
        refuseWithoutRecurrentLayer(km);
    return rnns;
}

void noteUnrecordedVersion(KerasModel &km, bool gated)
{
    if (!km.version.recorded && gated)
        km.notes.push_back("the file does not record its Keras version: it is read as Keras " + std::to_string(km.version.major) +
                           "'s (hard_sigmoid, and the defaults of what it leaves out)");
}

LoadedModel assemble(KerasModel &km, Hdf5File &h5, const std::string &wanted)
{
    const std::string &src = km.source;
    const std::vector<std::size_t> rnns = recurrentIndices(km);
    std::vector<std::string> rnnNames;
    for (const std::size_t i : rnns)
        rnnNames.push_back(km.layers[i].name);
    std::size_t chosen = rnns.front();
    if (!wanted.empty()) {
        const auto it = std::find_if(km.layers.begin(), km.layers.end(), [&](const Layer &l) { return l.name == wanted; });
        const std::string choices =
            (rnns.size() == 1 ? "its recurrent layer is " : "its recurrent layers are ") + quotedList(rnnNames, 100);
        if (it == km.layers.end())
            fail(ErrorKind::BadUsage, src, "--layer " + quote(wanted) + " names no layer of this file: " + choices);
        if (!isRecurrentClass(it->className))
            fail(ErrorKind::BadUsage, src,
                 "--layer " + quote(wanted) + " is " +
                     withArticle(it->className.empty() ? "layer of unknown kind" : classText(*it)) +
                     (it->className.empty() ? "" : " layer") + ", not a recurrent layer: " + choices);
        chosen = static_cast<std::size_t>(it - km.layers.begin());
    }
    const Layer &rnn = km.layers[chosen];
    std::vector<std::string> others;
    for (const std::size_t i : rnns)
        if (i != chosen && cellOfClass(km.layers[i].className) && !boolMember(km.layers[i].config, "go_backwards").value_or(false))
            others.push_back(km.layers[i].name);
    refuseUncomputed(km, rnn, others);
    const CellKind kind = cellOfClass(rnn.className).value_or(CellKind::SimpleRNN);
    const std::string className = cellClassName(kind);
    noteUnrecordedVersion(km, kind != CellKind::SimpleRNN);

    LoadedModel out;
    out.layoutDescription = km.format;
    out.layerName = rnn.name;
    out.recurrentLayers = rnnNames;
    std::vector<std::string> notes = km.notes;
    if (rnns.size() > 1) {
        std::vector<const Layer *> all;
        for (const std::size_t i : rnns)
            all.push_back(&km.layers[i]);
        notes.push_back("the file holds " + std::to_string(rnns.size()) + " recurrent layers, " + describeList(all, 100) +
                        ": opened " + quote(rnn.name) + (wanted.empty() ? " (the first); choose another with --layer NAME" : ""));
    }
    CellRead cell = readCell(km, h5, rnn, notes);
    out.T = checkInputShape(km, chosen, *cell.kernel, cell.D);
    const DenseAfter dense = denseAfter(km, chosen, cell.M, className, notes);
    out.cell = cell.cell.activation;
    out.recurrent = cell.cell.recurrent;
    if (!km.config.is_null())
        out.returnSequences = boolMember(rnn.config, "return_sequences").value_or(false);
    if (dense.dense) {
        out.denseLayerName = dense.dense->name;
        out.dense = dense.activation;
    }
    noteAround(km, chosen, dense.next, rnn.name, dense.dense ? dense.dense->name : rnn.name, cell.D, kind != CellKind::SimpleRNN,
               className, notes);
    if (out.T)
        notes.push_back("T=" + std::to_string(*out.T) + " is the input length the model was built for");

    NamedArrays arrays = std::move(cell.arrays);
    const auto add = [&](NdArray a) { arrays.emplace_back("arr_" + std::to_string(arrays.size()), std::move(a)); };
    if (dense.dense) {
        add(h5.read(*dense.parts[0]));
        if (dense.parts[1])
            add(h5.read(*dense.parts[1]));
    }
    LoadedModel assembled = weightsFromArrays(arrays, src);
    out.weights = std::move(assembled.weights);
    out.dtype = assembled.dtype;
    notes.insert(notes.end(), assembled.notes.begin(), assembled.notes.end());
    out.notes = std::move(notes);
    return out;
}

// ---- from the layers to a network -------------------------------------------------------------

// One direction of a Bidirectional layer as a layer of its own: the wrapped layer's class and
// config, the first (forward) or second (backward) half of the weights.
Layer bidirectionalHalf(const KerasModel &km, const Layer &bi, bool backward)
{
    Layer l;
    l.className = bi.wrapped;
    l.guessed = bi.guessed;
    l.entry = member(bi.config, "layer");
    // A Bidirectional given its own backward layer (backward_layer=…) stores that layer's config.
    if (const Json *own = member(bi.config, "backward_layer"); backward && own && own->is_object()) {
        l.entry = own;
        l.className = stringMember(own, "class_name").value_or(bi.wrapped);
    }
    l.config = member(l.entry, "config");
    const std::string inner = stringMember(l.config, "name").value_or(toSnakeCase(bi.wrapped));
    l.name = bi.name + "/" + (backward ? "backward_" : "forward_") + inner;
    if (bi.weights.size() % 2 != 0)
        fail(ErrorKind::MalformedHeader, km.source,
             "Bidirectional " + quote(bi.name) + " has " + std::to_string(bi.weights.size()) +
                 " weights: expected as many for its backward layer as for its forward layer");
    const std::size_t half = bi.weights.size() / 2, from = backward ? half : 0;
    l.weights.assign(bi.weights.begin() + static_cast<std::ptrdiff_t>(from), bi.weights.begin() + static_cast<std::ptrdiff_t>(from + half));
    l.roles.assign(bi.roles.begin() + static_cast<std::ptrdiff_t>(from), bi.roles.begin() + static_cast<std::ptrdiff_t>(from + half));
    return l;
}

// The Embedding the first recurrent layer reads: the only layer before it but the InputLayer and
// layers without effect at inference between the two, with its one weight (the table) and without
// mask_zero (which changes what the recurrent layer computes). nullopt when there is none such.
std::optional<std::size_t> embeddingBefore(const KerasModel &km, std::size_t first)
{
    std::optional<std::size_t> at;
    for (std::size_t i = 0; i < first; ++i) {
        const Layer &l = km.layers[i];
        if (l.className == "InputLayer" && !at)
            continue;
        if (l.className == "Embedding" && !at) {
            at = i;
            continue;
        }
        if (!at)
            return std::nullopt;
        break;
    }
    if (!at)
        return std::nullopt;
    std::vector<const Layer *> between;
    const Layer &e = km.layers[*at];
    if (skipIdentities(km, *at + 1, between) != first || e.weights.size() != 1 || boolMember(e.config, "mask_zero").value_or(false))
        return std::nullopt;
    return at;
}

// Whether the file is a network (several recurrent layers, a Bidirectional one, one running
// backwards, or an Embedding before the first) rather than one plain recurrent layer.
bool holdsNetwork(const KerasModel &km, const std::vector<std::size_t> &rnns)
{
    if (rnns.size() > 1 || embeddingBefore(km, rnns.front()))
        return true;
    const Layer &l = km.layers[rnns.front()];
    return l.className == "Bidirectional" || boolMember(l.config, "go_backwards").value_or(false);
}

std::optional<LoadedNetwork> assembleNetwork(KerasModel &km, Hdf5File &h5)
{
    const std::string &src = km.source;
    const std::vector<std::size_t> rnns = recurrentIndices(km);
    if (!holdsNetwork(km, rnns))
        return std::nullopt;
    bool gated = false;
    for (const std::size_t i : rnns) {
        const Layer &l = km.layers[i];
        const std::string cls = l.className == "Bidirectional" ? l.wrapped : l.className;
        gated = gated || cellOfClass(cls).value_or(CellKind::SimpleRNN) != CellKind::SimpleRNN;
    }
    noteUnrecordedVersion(km, gated);
    LoadedNetwork out;
    out.layoutDescription = km.format;
    out.configured = !km.config.is_null();
    std::vector<std::string> notes = km.notes;
    bool allFloat64 = true;
    std::int64_t width = 0, D = 0;
    for (std::size_t k = 0; k < rnns.size(); ++k) {
        const Layer &rnn = km.layers[rnns[k]];
        if (k > 0) {
            std::vector<const Layer *> between;
            const std::size_t at = skipIdentities(km, rnns[k - 1] + 1, between);
            if (at != rnns[k])
                fail(ErrorKind::Unsupported, src,
                     "holds " + describe(km.layers[at]) + " between the recurrent layers " + quote(km.layers[rnns[k - 1]].name) +
                         " and " + quote(rnn.name) + ": rnnscope computes networks of recurrent layers with only layers without "
                         "effect at inference (Dropout …) between them");
            if (!between.empty())
                notes.push_back("left out " + describeList(between) + " between " + quote(km.layers[rnns[k - 1]].name) + " and " +
                                quote(rnn.name) + ": no effect at inference");
        }
        LayerSpec spec;
        std::vector<Layer> directions;
        const Layer *config = &rnn;
        if (rnn.className == "Bidirectional") {
            spec.bidirectional = true;
            if (const Json *mode = member(rnn.config, "merge_mode")) {
                const auto merge = mode->is_string() ? parseMerge(mode->get<std::string>()) : std::nullopt;
                if (!merge)
                    fail(ErrorKind::Unsupported, src,
                         "Bidirectional " + quote(rnn.name) + " has merge_mode " +
                             (mode->is_string() ? quote(mode->get<std::string>()) : std::string("None")) +
                             ": rnnscope merges with concat, sum, mul or ave (None returns the two directions apart)");
                spec.merge = *merge;
            }
            directions.push_back(bidirectionalHalf(km, rnn, false));
            directions.push_back(bidirectionalHalf(km, rnn, true));
            config = &directions.front();
        } else {
            directions.push_back(rnn);
        }
        for (const Layer &d : directions)
            if (!cellOfClass(d.className) || (d.className == "RNN" && d.guessed))
                fail(ErrorKind::Unsupported, src,
                     "holds " + withArticle(classText(rnn)) + " layer " + quote(rnn.name) +
                         ": rnnscope computes SimpleRNN, LSTM and GRU layers");
        std::vector<Weights> weights;
        for (const Layer &d : directions) {
            std::vector<std::string> backwardNotes; // the backward half's say what the forward half's say
            CellRead cell = readCell(km, h5, d, weights.empty() ? notes : backwardNotes);
            if (k == 0 && weights.empty()) {
                D = cell.D;
                out.T = checkInputShape(km, rnns[k], *cell.kernel, cell.D);
            } else if (cell.D != width) {
                fail(ErrorKind::ShapeMismatch, src,
                     cell.kernel->label + " has shape " + shapeString(cell.kernel->shape) + ", but " +
                         quote(km.layers[rnns[k - (weights.empty() ? 1 : 0)]].name) + " gives it " + std::to_string(width) +
                         " features per step");
            }
            for (const auto &[key, a] : cell.arrays)
                allFloat64 = allFloat64 && a.dtype == DType::Float64;
            LoadedModel one = weightsFromArrays(cell.arrays, src);
            CellSpec dir;
            dir.kind = cell.cell.kind;
            dir.activation = cell.cell.activation.value_or(Activation::Tanh);
            if (cell.cell.recurrent)
                dir.recurrent = *cell.cell.recurrent;
            dir.resetAfter = one.weights.resetAfter() || dir.kind != CellKind::GRU;
            if (weights.empty()) {
                spec.cell = dir;
                spec.units = static_cast<int>(cell.M);
            } else if (dir != spec.cell || cell.M != spec.units) {
                // A backward layer of its own (backward_layer=…) that computes another cell: a layer
                // has one cell for both directions.
                fail(ErrorKind::Unsupported, src,
                     "Bidirectional " + quote(rnn.name) + " has a backward layer of its own, " + describeCell(dir, static_cast<int>(cell.M)) +
                         ", unlike its forward layer, " + describeCell(spec.cell, spec.units) +
                         ": rnnscope computes a Bidirectional layer whose two directions have the same cell, units and activations");
            }
            weights.push_back(std::move(one.weights));
            if (weights.size() == 1)
                width = cell.D; // the backward half reads the same input
        }
        spec.returnSequences = km.config.is_null() ? k + 1 < rnns.size()
                                                   : boolMember(config->config, "return_sequences").value_or(false);
        spec.goBackwards = boolMember(config->config, "go_backwards").value_or(false);
        width = spec.outputWidth();
        out.layers.push_back(spec);
        out.layerNames.push_back(rnn.name);
        out.weights.layers.push_back(std::move(weights));
    }
    if (km.config.is_null() && rnns.size() > 1)
        notes.push_back("return_sequences is not recorded: the lower layers taken as returning sequences (as a recurrent layer "
                        "above them needs), the top one as returning its last state");
    try {
        checkStack(out.layers);
    } catch (const Error &e) {
        fail(e.kind(), src, e.what());
    }
    const std::size_t top = rnns.back();
    const Layer &topLayer = km.layers[top];
    const DenseAfter dense = denseAfter(km, top, width, layerClassName(out.layers.back()), notes);
    if (dense.dense) {
        out.denseLayerName = dense.dense->name;
        out.dense = dense.activation;
        const NdArray kernel = h5.read(*dense.parts[0]);
        allFloat64 = allFloat64 && kernel.dtype == DType::Float64;
        out.weights.Wo = matrixFromArray(kernel);
        if (dense.parts[1]) {
            const NdArray bias = h5.read(*dense.parts[1]);
            allFloat64 = allFloat64 && bias.dtype == DType::Float64;
            out.weights.bo = vectorFromArray(bias);
        } else {
            out.weights.bo = Eigen::VectorXd::Zero(out.weights.Wo.cols());
            notes.push_back("the Dense layer has no bias (use_bias=False): bo = 0");
        }
    } else {
        out.weights.Wo = Eigen::MatrixXd(width, 0);
        out.weights.bo = Eigen::VectorXd(0);
    }
    std::size_t notedFrom = 0;
    if (const auto e = embeddingBefore(km, rnns.front())) {
        const Layer &emb = km.layers[*e];
        const NdArray table = h5.read(emb.weights.front());
        if (table.shape.size() != 2 || table.shape[1] != D || table.shape[0] < 1 || table.shape[0] > kMaxVocabulary)
            fail(ErrorKind::ShapeMismatch, src,
                 "Embedding " + quote(emb.name) + "'s table has shape " + shapeString(table.shape) + ", but " +
                     quote(km.layers[rnns.front()].name) + " reads " + std::to_string(D) + " features: expected (V, " +
                     std::to_string(D) + ") with 1 ≤ V ≤ " + std::to_string(kMaxVocabulary));
        if (const auto V = integerMember(emb.config, "input_dim"); V && *V != table.shape[0])
            fail(ErrorKind::ShapeMismatch, src,
                 "Embedding " + quote(emb.name) + " has input_dim " + std::to_string(*V) + ", but its table has shape " +
                     shapeString(table.shape));
        allFloat64 = allFloat64 && table.dtype == DType::Float64;
        out.weights.embedding = matrixFromArray(table);
        out.embeddingName = emb.name;
        notes.push_back("Embedding " + quote(emb.name) + " (V=" + std::to_string(table.shape[0]) + ", D=" + std::to_string(D) +
                        ") reads token ids (N, T), 0 … " + std::to_string(table.shape[0] - 1) + ": X is their rows of its table");
        notedFrom = *e + 1;
    }
    const auto firstGated = std::find_if(out.layers.begin(), out.layers.end(),
                                         [](const LayerSpec &l) { return l.cell.kind != CellKind::SimpleRNN; });
    noteAround(km, rnns.front(), dense.next, km.layers[rnns.front()].name, dense.dense ? dense.dense->name : topLayer.name, D,
               firstGated != out.layers.end(),
               firstGated != out.layers.end() ? cellClassName(firstGated->cell.kind) : std::string(), notes, notedFrom);
    if (out.T)
        notes.push_back("T=" + std::to_string(*out.T) + " is the input length the model was built for");
    out.dtype = allFloat64 ? DType::Float64 : DType::Float32;
    out.notes = std::move(notes);
    return out;
}

std::string versionText(const std::optional<std::string> &version)
{
    return version && !version->empty() ? "Keras " + printableText(*version, 24) : std::string("Keras");
}

// An HDF5 file (a whole file, or the weights member of a .keras archive with its config), its
// layers handed to `assembleLayers` (assemble for one layer, assembleNetwork for all).
template <typename Assemble>
auto readHdf5(const std::uint8_t *data, std::size_t size, KerasModel &km, const std::string &what, Assemble assembleLayers)
{
    Hdf5File h5(data, size, km.source, what);
    if (const auto names = h5.nameList("model_weights", "layer_names")) {
        const auto version = h5.stringAttribute("", "keras_version");
        const auto config = h5.stringAttribute("", "model_config");
        const bool keras1 = version && version->rfind("1.", 0) == 0;
        const bool keras3 = version && version->rfind("3.", 0) == 0;
        km.version = parseVersion(version, 2); // the legacy format is Keras 1 and 2's; Keras 3 records its version
        km.format = versionText(version) + " model.save() " + (keras3 ? "legacy HDF5" : "HDF5") +
                    (keras1 ? " (Keras 1 names W, U, b)" : "");
        if (config) {
            km.config = parseJson(*config, km.source, "@model_config");
            readConfigLayers(km, "@model_config");
        } else {
            km.format += ", without model config";
        }
        readLegacyLayers(h5, "model_weights", *names, km);
    } else if (const auto rootNames = h5.nameList("", "layer_names")) {
        const auto version = h5.stringAttribute("", "keras_version");
        km.version = parseVersion(version, 2);
        km.format = versionText(version) + " save_weights() HDF5";
        readLegacyLayers(h5, "", *rootNames, km);
    } else if (h5.isGroup("layers")) {
        if (km.format.empty()) {
            km.format = "Keras 3 save_weights() .weights.h5";
            km.version = parseVersion(std::nullopt, 3);
        }
        readKeras3Layers(h5, km);
    } else {
        const std::vector<std::string> top = h5.children("");
        fail(ErrorKind::Unsupported, km.source,
             what +
                 " is an HDF5 file but not a Keras model: no @layer_names (Keras 1 and 2, legacy .h5) and no layers/ group "
                 "(Keras 3); it holds " +
                 (top.empty() ? std::string("nothing") : quotedList(top)));
    }
    if (km.orderGuessed)
        km.notes.push_back(
            "the file records no layer order: recurrent layers taken in the order of their default names, the Dense after them");
    return assembleLayers(km, h5);
}

// ---- .keras archives -----------------------------------------------------------------------

// A .keras archive: the model in config.json and model.weights.h5, its Keras version in
// metadata.json.
template <typename Assemble>
auto readArchive(const std::uint8_t *data, std::size_t size, const std::string &source, Assemble assembleLayers)
{
    const KerasArchive archive = readKerasArchive(data, size, source, kMaxStringBytes);
    std::optional<std::string> version;
    if (const auto &metadata = archive.metadata) {
        const Json j = Json::parse(metadata->begin(), metadata->end(), nullptr, false);
        version = stringMember(&j, "keras_version");
    }
    KerasModel km;
    km.source = source;
    km.format = versionText(version) + " .keras archive (config.json, model.weights.h5)";
    km.version = parseVersion(version, 3); // tf.keras 2.13–2.15 writes .keras archives too: the version decides
    km.config = parseJson(std::string(archive.config.begin(), archive.config.end()), source, "config.json");
    readConfigLayers(km, "config.json");
    if (!hasHdf5Signature(archive.weights.data(), archive.weights.size()))
        fail(ErrorKind::BadMagic, source, "its member model.weights.h5 is not an HDF5 file");
    return readHdf5(archive.weights.data(), archive.weights.size(), km, "its member model.weights.h5", assembleLayers);
}

} // namespace

// ---- public ----------------------------------------------------------------------------------

namespace {

// The file's content decides: a .keras zip or an HDF5 file, handed to `assembleLayers`.
template <typename Assemble>
auto parseKeras(const std::uint8_t *data, std::size_t size, const std::string &name, Assemble assembleLayers)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); // errors become messages, never prints
    if (!data || size == 0)
        fail(ErrorKind::Truncated, name, "the file is empty (0 bytes), expected a Keras .h5 or .keras file");
    for (const std::string_view signature : {kHdf5Signature, std::string_view("PK\x03\x04")})
        if (size < signature.size() && std::memcmp(data, signature.data(), size) == 0)
            fail(ErrorKind::Truncated, name, "the file ends after " + std::to_string(size) + " bytes, inside its signature");
    if (size >= 2 && data[0] == 'P' && data[1] == 'K')
        return readArchive(data, size, name, assembleLayers);
    if (hasHdf5Signature(data, size)) {
        KerasModel km;
        km.source = name;
        return readHdf5(data, size, km, "the file", assembleLayers);
    }
    fail(ErrorKind::BadMagic, name,
         "is neither an HDF5 file (a Keras .h5 starts with \"\\x89HDF\\r\\n\\x1a\\n\") nor a zip archive (a .keras starts with "
         "\"PK\\x03\\x04\"): it starts with " +
             quote(std::string_view(reinterpret_cast<const char *>(data), std::min<std::size_t>(size, 8))));
}

// Keras files of classroom size take milliseconds; allow 10 s, and 1 s more for every 8 MiB.
int readerSeconds(std::uint64_t bytes)
{
    return 10 + static_cast<int>(bytes >> 23);
}

std::uint64_t fileBytes(const std::string &path)
{
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    return ec ? 0 : std::min<std::uint64_t>(size, kMaxArrayFileBytes);
}

} // namespace

LoadedModel parseKerasFile(const std::uint8_t *data, std::size_t size, const std::string &name, const std::string &layer)
{
    return parseKeras(data, size, name, [&](KerasModel &km, Hdf5File &h5) { return assemble(km, h5, layer); });
}

std::optional<LoadedNetwork> parseKerasNetwork(const std::uint8_t *data, std::size_t size, const std::string &name)
{
    return parseKeras(data, size, name, [](KerasModel &km, Hdf5File &h5) { return assembleNetwork(km, h5); });
}

LoadedModel loadKerasFile(const std::string &path, const std::string &layer)
{
    const auto read = [&] {
        const std::vector<std::uint8_t> bytes = readFileBytes(path, kMaxArrayFileBytes);
        return parseKerasFile(bytes.data(), bytes.size(), path, layer);
    };
#if RNNSCOPE_KERAS_ISOLATED
    const std::uint64_t bytes = fileBytes(path);
    return runIsolated(read, path, readerSeconds(bytes), (std::uint64_t(8) << 30) + 4 * bytes);
#else
    return read();
#endif
}

std::optional<LoadedNetwork> loadKerasNetwork(const std::string &path)
{
    const auto read = [&] {
        const std::vector<std::uint8_t> bytes = readFileBytes(path, kMaxArrayFileBytes);
        return parseKerasNetwork(bytes.data(), bytes.size(), path);
    };
#if RNNSCOPE_KERAS_ISOLATED
    const std::uint64_t bytes = fileBytes(path);
    return runIsolatedNetwork(read, path, readerSeconds(bytes), (std::uint64_t(8) << 30) + 4 * bytes);
#else
    return read();
#endif
}

} // namespace rnnscope
