#include "nn/layer.h"

#include "common/error.h"
#include "nn/dims.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace rnnscope {

const char *mergeName(Merge m)
{
    switch (m) {
    case Merge::Concat: return "concat";
    case Merge::Sum: return "sum";
    case Merge::Mul: return "mul";
    case Merge::Ave: return "ave";
    }
    return "concat";
}

std::optional<Merge> parseMerge(const std::string &name)
{
    for (Merge m : {Merge::Concat, Merge::Sum, Merge::Mul, Merge::Ave})
        if (name == mergeName(m))
            return m;
    return std::nullopt;
}

int layerInputWidth(const std::vector<LayerSpec> &layers, int D, int l)
{
    return l == 0 ? D : layers[static_cast<std::size_t>(l) - 1].outputWidth();
}

std::vector<std::string> layerNames(const std::vector<LayerSpec> &layers)
{
    std::map<std::string, int> seen;
    std::vector<std::string> names;
    for (const LayerSpec &l : layers) {
        const std::string base = l.bidirectional ? "bidirectional"
                                 : l.cell.kind == CellKind::SimpleRNN ? "simple_rnn"
                                                                      : cellName(l.cell.kind);
        const int k = seen[base]++;
        names.push_back(k == 0 ? base : base + "_" + std::to_string(k));
    }
    return names;
}

std::string layerClassName(const LayerSpec &layer)
{
    const std::string cls = cellClassName(layer.cell.kind);
    return layer.bidirectional ? "Bidirectional(" + cls + ")" : cls;
}

std::string ndimMismatch(const std::vector<LayerSpec> &layers, int l)
{
    if (l <= 0 || l >= static_cast<int>(layers.size()))
        return {};
    const LayerSpec &below = layers[static_cast<std::size_t>(l) - 1];
    if (below.returnSequences)
        return {};
    return "Input 0 of layer \"" + layerNames(layers)[static_cast<std::size_t>(l)] +
           "\" is incompatible with the layer: expected ndim=3, found ndim=2. Full shape received: (None, " +
           std::to_string(below.outputWidth()) + ")";
}

void checkStack(const std::vector<LayerSpec> &layers)
{
    if (layers.empty())
        throw Error(ErrorKind::BadUsage, "the network has no recurrent layer: expected at least one");
    if (layers.size() > static_cast<std::size_t>(kMaxLayers))
        throw Error(ErrorKind::OutOfRange, "the network has " + std::to_string(layers.size()) +
                                               " recurrent layers: rnnscope computes at most " + std::to_string(kMaxLayers));
    for (std::size_t l = 0; l < layers.size(); ++l)
        if (layers[l].units < 1 || layers[l].units > DimLimits::maxM)
            throw Error(ErrorKind::OutOfRange, "layer " + std::to_string(l + 1) + " (" + layerClassName(layers[l]) +
                                                   "): units=" + std::to_string(layers[l].units) +
                                                   " is out of range: expected 1 ≤ units ≤ " +
                                                   std::to_string(DimLimits::maxM));
    for (int l = 1; l < static_cast<int>(layers.size()); ++l)
        if (const std::string why = ndimMismatch(layers, l); !why.empty())
            throw Error(ErrorKind::ShapeMismatch, why);
}

namespace {

std::string trim(const std::string &s)
{
    const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

LayerSpec parseLayer(const std::string &text, int index, LayerWords &said)
{
    const std::string where = "layer " + std::to_string(index) + " (\"" + text + "\")";
    const auto refuse = [&](const std::string &why) { throw Error(ErrorKind::BadUsage, "--stack " + where + ": " + why); };
    LayerSpec layer;
    layer.units = 0;
    bool haveCell = false, haveUnits = false, haveMerge = false;
    std::string recurrentWord, resetAfterWord;
    std::istringstream words(text);
    std::string word;
    while (words >> word) {
        const auto eq = word.find('=');
        const std::string key = word.substr(0, eq), value = eq == std::string::npos ? "" : word.substr(eq + 1);
        if (word.find_first_not_of("0123456789") == std::string::npos) {
            if (haveUnits)
                refuse("two numbers of units, " + std::to_string(layer.units) + " and " + word);
            if (word.size() > 6 || std::stoi(word) < 1 || std::stoi(word) > DimLimits::maxM)
                refuse("units=" + word + " is out of range: expected 1 ≤ units ≤ " + std::to_string(DimLimits::maxM));
            layer.units = std::stoi(word);
            haveUnits = true;
        } else if (eq == std::string::npos && parseCellKind(word)) {
            const CellKind kind = *parseCellKind(word);
            if (haveCell && kind != layer.cell.kind)
                refuse("two cells, " + std::string(cellName(layer.cell.kind)) + " and " + cellName(kind));
            layer.cell.kind = kind;
            haveCell = true;
        } else if (word == "seq" || word == "return_sequences") {
            layer.returnSequences = true;
        } else if (word == "back" || word == "go_backwards") {
            layer.goBackwards = true;
        } else if (key == "bi" || key == "bidirectional" || key == "merge" || key == "merge_mode") {
            layer.bidirectional = true;
            if (value.empty() && eq != std::string::npos)
                refuse("\"" + word + "\" names no merge mode: expected concat, sum, mul or ave");
            if (!value.empty()) {
                const auto m = parseMerge(value);
                if (!m)
                    refuse("merge mode \"" + value + "\" is not concat, sum, mul or ave");
                if (haveMerge && *m != layer.merge)
                    refuse(std::string("two merge modes, ") + mergeName(layer.merge) + " and " + mergeName(*m));
                layer.merge = *m;
                haveMerge = true;
            }
        } else if (key == "act" || key == "activation" || key == "rec" || key == "recurrent_activation") {
            const auto a = parseActivation(value);
            if (!a || !isCellActivation(*a))
                refuse("\"" + value + "\" is not an activation of a recurrent cell: expected tanh, relu, sigmoid, "
                                      "linear, hard_sigmoid or hard_sigmoid_keras2");
            if (key == "act" || key == "activation") {
                layer.cell.activation = *a;
                said.activation = true;
            } else {
                layer.cell.recurrent = *a;
                said.recurrent = true;
                recurrentWord = word;
            }
        } else if (word == "embedding") {
            refuse("an Embedding comes first in the stack, as its own group: \"embedding V, lstm 32\"");
        } else if (key == "reset_after" && (value == "false" || value == "true")) {
            layer.cell.resetAfter = value == "true";
            said.resetAfter = true;
            resetAfterWord = word;
        } else {
            refuse("\"" + word + "\" is not a cell (simplernn, lstm, gru), a number of units or a flag (seq, back, "
                                 "bi, bi=MERGE, act=NAME, rec=NAME, reset_after=false)");
        }
    }
    if (!haveCell)
        refuse("names no cell: expected simplernn, lstm or gru");
    if (!recurrentWord.empty() && layer.cell.kind == CellKind::SimpleRNN)
        refuse("\"" + recurrentWord + "\": a simplernn has no recurrent activation (rec= is an lstm's or a gru's)");
    if (!resetAfterWord.empty() && layer.cell.kind != CellKind::GRU)
        refuse("\"" + resetAfterWord + "\": " + (layer.cell.kind == CellKind::LSTM ? "an " : "a ") + cellName(layer.cell.kind) +
               " has no reset_after (reset_after= is a gru's)");
    return layer;
}

} // namespace

std::vector<LayerSpec> parseStack(const std::string &text, std::vector<LayerWords> *words)
{
    std::vector<LayerSpec> layers;
    std::size_t start = 0;
    int index = 1;
    while (true) {
        const auto comma = text.find(',', start);
        const std::string part = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (part.empty())
            throw Error(ErrorKind::BadUsage, "--stack \"" + text + "\": layer " + std::to_string(index) +
                                                 " is empty: expected e.g. \"lstm 32 seq, lstm 16\"");
        LayerWords said;
        layers.push_back(parseLayer(part, index++, said));
        if (words)
            words->push_back(said);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return layers;
}

NetworkStack parseNetworkStack(const std::string &text)
{
    NetworkStack s;
    const auto comma = text.find(',');
    const std::string first = trim(text.substr(0, comma));
    std::istringstream words(first);
    std::string word, v, extra;
    words >> word;
    if (word != "embedding") {
        s.layers = parseStack(text, &s.words);
        return s;
    }
    const auto refuse = [&](const std::string &why) {
        throw Error(ErrorKind::BadUsage, "--stack's Embedding (\"" + first + "\"): " + why);
    };
    if (!(words >> v) || v.find_first_not_of("0123456789") != std::string::npos)
        refuse("expected its vocabulary V, a whole number: \"embedding 50, lstm 32\"");
    if (words >> extra)
        refuse("\"" + extra + "\" is not understood: an Embedding has only its vocabulary V (its output width is D)");
    if (v.size() > 9 || std::stol(v) < 1 || std::stol(v) > kMaxVocabularyWords)
        refuse("V=" + v + " is out of range: expected 1 ≤ V ≤ " + std::to_string(kMaxVocabularyWords));
    s.vocabulary = std::stoi(v);
    if (comma == std::string::npos)
        refuse("no recurrent layer follows it: expected e.g. \"embedding " + v + ", lstm 32\"");
    s.layers = parseStack(text.substr(comma + 1), &s.words);
    return s;
}

std::string stackText(const std::vector<LayerSpec> &layers, int vocabulary)
{
    return (vocabulary > 0 ? "embedding " + std::to_string(vocabulary) + ", " : std::string()) + stackText(layers);
}

std::string stackText(const std::vector<LayerSpec> &layers)
{
    const CellSpec plain;
    std::string out;
    for (const LayerSpec &l : layers) {
        if (!out.empty())
            out += ", ";
        if (l.bidirectional)
            out += l.merge == Merge::Concat ? "bi " : std::string("bi=") + mergeName(l.merge) + " ";
        out += std::string(cellName(l.cell.kind)) + " " + std::to_string(l.units);
        if (l.returnSequences)
            out += " seq";
        if (l.goBackwards)
            out += " back";
        if (l.cell.activation != plain.activation)
            out += std::string(" act=") + activationName(l.cell.activation);
        if (l.cell.kind != CellKind::SimpleRNN && l.cell.recurrent != plain.recurrent)
            out += std::string(" rec=") + activationName(l.cell.recurrent);
        if (l.cell.kind == CellKind::GRU && !l.cell.resetAfter)
            out += " reset_after=false";
    }
    return out;
}

namespace {

// "3,4,5" as the integers typed; nullopt when a field is not an integer.
std::optional<std::vector<long long>> numbers(const std::string &text)
{
    std::vector<long long> out;
    std::size_t start = 0;
    while (true) {
        const auto comma = text.find(',', start);
        const auto v = parseDimsField(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!v)
            return std::nullopt;
        out.push_back(*v);
        if (comma == std::string::npos)
            return out;
        start = comma + 1;
    }
}

} // namespace

StackDims parseStackDims(const std::string &text)
{
    const auto open = text.find('['), close = text.find(']');
    if (open == std::string::npos && close == std::string::npos) {
        const Dims d = parseDims(text); // its own messages for the five-number form
        validateDims(d);
        return StackDims{d.N, d.T, d.D, d.K, {d.M}};
    }
    const auto refuse = [&](const std::string &why) {
        throw Error(ErrorKind::BadUsage, "--dims '" + text + "' is malformed (" + why + "): expected N,T,D,[M1,M2,…],K such as 8,1000,32,[256,256],10");
    };
    if (open == std::string::npos || close == std::string::npos || close < open)
        refuse("unmatched brackets");
    const auto units = numbers(text.substr(open + 1, close - open - 1));
    // The fields around the brackets: "N,T,D," before and ",K" after.
    const std::string before = text.substr(0, open), after = text.substr(close + 1);
    const auto trimmed = [](std::string s) {
        s.erase(0, s.find_first_not_of(' '));
        s.erase(s.find_last_not_of(' ') + 1);
        return s;
    };
    const std::string b = trimmed(before), a = trimmed(after);
    if (b.empty() || b.back() != ',' || a.empty() || a.front() != ',')
        refuse("the units in brackets stand between D and K");
    const auto N_T_D = numbers(b.substr(0, b.size() - 1)), K = numbers(a.substr(1));
    if (!N_T_D || N_T_D->size() != 3)
        refuse("expected N,T,D before the brackets");
    if (!K || K->size() != 1)
        refuse("expected K after the brackets");
    if (!units || units->empty())
        refuse("expected the units of each layer in the brackets, as integers");
    if (units->size() > static_cast<std::size_t>(kMaxLayers))
        refuse(std::to_string(units->size()) + " layers: rnnscope computes at most " + std::to_string(kMaxLayers));
    validateDim('N', (*N_T_D)[0]);
    validateDim('T', (*N_T_D)[1]);
    validateDim('D', (*N_T_D)[2]);
    validateDim('K', (*K)[0]);
    StackDims d{int((*N_T_D)[0]), int((*N_T_D)[1]), int((*N_T_D)[2]), int((*K)[0]), {}};
    for (long long m : *units) {
        validateDim('M', m);
        d.units.push_back(int(m));
    }
    return d;
}

std::string stackDimsText(const StackDims &d)
{
    std::string units;
    for (int m : d.units)
        units += (units.empty() ? "" : ",") + std::to_string(m);
    if (d.units.size() != 1)
        units = "[" + units + "]";
    return std::to_string(d.N) + "," + std::to_string(d.T) + "," + std::to_string(d.D) + "," + units + "," + std::to_string(d.K);
}

} // namespace rnnscope
