#include "export/codeexport.h"

#include "common/error.h"
#include "nn/param.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace rnnscope {

const char *codeTargetName(CodeTarget t)
{
    switch (t) {
    case CodeTarget::NumPy: return "numpy";
    case CodeTarget::Keras: return "keras";
    case CodeTarget::PyTorch: return "pytorch";
    }
    return "?";
}

std::optional<CodeTarget> parseCodeTarget(const std::string &name)
{
    for (CodeTarget t : {CodeTarget::NumPy, CodeTarget::Keras, CodeTarget::PyTorch})
        if (name == codeTargetName(t))
            return t;
    return std::nullopt;
}

namespace {

// ---- numbers and arrays as Python text ----------------------------------------------------

// The shortest text that NumPy reads back as v in `dtype`. A float32 value's shortest text is
// read through a double first: where that would round to another float (a text within 1e-17 of a
// rounding midpoint), the float's exact double is written instead.
std::string pyNumber(double v, DType dtype)
{
    if (std::isnan(v))
        return "np.nan";
    if (std::isinf(v))
        return v > 0 ? "np.inf" : "-np.inf";
    if (dtype == DType::Float32) {
        const float f = static_cast<float>(v);
        const std::string s = shortestText(f);
        if (static_cast<float>(std::strtod(s.c_str(), nullptr)) == f)
            return s;
        return shortestText(static_cast<double>(f));
    }
    return shortestText(v);
}

// A nested list of an array's values, one innermost row per line: [[0.1, 0.2], [0.3, 0.4]].
constexpr std::int64_t kPerLine = 8;
std::string pyList(const NdArray &a, DType dtype, const std::string &indent)
{
    if (a.shape.empty())
        return pyNumber(a.values.empty() ? 0.0 : a.values[0], dtype);
    std::ostringstream out;
    std::vector<std::int64_t> strides(a.shape.size(), 1);
    for (int k = int(a.shape.size()) - 2; k >= 0; --k)
        strides[std::size_t(k)] = strides[std::size_t(k) + 1] * a.shape[std::size_t(k) + 1];
    // Depth-first over the dimensions.
    const auto emit = [&](auto &&self, std::size_t dim, std::int64_t offset) -> void {
        out << '[';
        const std::int64_t n = a.shape[dim];
        for (std::int64_t i = 0; i < n; ++i) {
            // Rows of more than kPerLine numbers wrap, so that a line stays readable.
            const bool innermost = dim + 1 == a.shape.size();
            if (i > 0)
                out << (innermost && i % kPerLine != 0 ? ", " : ",\n" + indent + std::string(dim + 1, ' '));
            if (dim + 1 == a.shape.size())
                out << pyNumber(a.values[std::size_t(offset + i)], dtype);
            else
                self(self, dim + 1, offset + i * strides[dim]);
        }
        out << ']';
    };
    emit(emit, 0, 0);
    return out.str();
}

std::string npDtype(DType d)
{
    return d == DType::Float32 ? "np.float32" : "np.float64";
}

// "name = np.array([...], dtype=np.float32)  # comment" inline, or "name = DATA["name"]  # comment".
struct ArrayWriter {
    DType dtype;
    bool inline_;
    NamedArrays *data; // where a loaded array goes
    std::ostringstream *out;

    void operator()(const std::string &name, const NdArray &a, const std::string &comment) const
    {
        *out << "# " << comment << "\n";
        if (inline_) {
            const std::string head = name + " = np.array(";
            *out << head << pyList(a, dtype, std::string(head.size(), ' ')) << ", dtype=" << npDtype(dtype) << ")\n";
        } else {
            *out << name << " = DATA[\"" << name << "\"]\n";
            data->emplace_back(name, a);
        }
    }
};

std::string tuple(const std::vector<std::int64_t> &shape)
{
    return shapeString(shape);
}

// ---- activations ----------------------------------------------------------------------------

// A NumPy function of one array for the activation, as a line of Python: "def tanh(z): …".
std::string numpyDefinition(Activation a)
{
    switch (a) {
    case Activation::Tanh: return "def tanh(z):\n    return np.tanh(z)\n";
    case Activation::Relu: return "def relu(z):\n    return np.maximum(z, 0)\n";
    case Activation::Sigmoid: return "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n";
    case Activation::Linear: return "def linear(z):\n    return z\n";
    case Activation::HardSigmoid: return "def hard_sigmoid(z):  # Keras 3's\n    return np.clip(z / 6 + 0.5, 0, 1)\n";
    case Activation::HardSigmoidKeras2:
        return "def hard_sigmoid_keras2(z):  # Keras 1 and 2's\n    return np.clip(0.2 * z + 0.5, 0, 1)\n";
    case Activation::Softmax:
        return "def softmax(z):  # over the last axis (the K outputs)\n"
               "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
               "    return e / e.sum(axis=-1, keepdims=True)\n";
    }
    return "";
}

std::string kerasActivation(Activation a)
{
    return a == Activation::HardSigmoidKeras2 ? "hard_sigmoid_keras2" : std::string("\"") + activationName(a) + "\"";
}

// What a Dense activation is in PyTorch, applied to `y`.
std::string torchActivation(Activation a, const std::string &y)
{
    switch (a) {
    case Activation::Linear: return y;
    case Activation::Tanh: return "torch.tanh(" + y + ")";
    case Activation::Relu: return "torch.relu(" + y + ")";
    case Activation::Sigmoid: return "torch.sigmoid(" + y + ")";
    case Activation::Softmax: return "torch.softmax(" + y + ", dim=-1)";
    case Activation::HardSigmoid: return "nn.functional.hardsigmoid(" + y + ")"; // x/6 + 1/2, clipped: Keras 3's
    case Activation::HardSigmoidKeras2: return "torch.clamp(0.2 * " + y + " + 0.5, 0, 1)";
    }
    return y;
}

// ---- what every script shares ---------------------------------------------------------------

// The network on show: one recurrent layer (the tutorial's script, names W, U, b) or several, or a
// Bidirectional one (names W1, U1, b1, …; W2f, W2b for the directions of a Bidirectional layer 2).
struct Context {
    const NetworkConfig &c;
    const NetworkWeights &w;
    const NdArray &X;
    const NdArray &ids;   // the token ids (N, T) of a network with an Embedding, else empty
    std::string stem;     // the script's file name without its extension
    bool inline_;
    std::string modelText; // "LSTM(5, …) -> Dense(2, activation=linear), float32"

    // One layer read forwards: the tutorial's loop in the open (a go_backwards layer reads X
    // reversed, which the network's form says).
    bool single() const { return c.layerCount() == 1 && !c.layers[0].bidirectional && !c.layers[0].goBackwards; }
    const LayerSpec &layer(int l) const { return c.layers[static_cast<std::size_t>(l)]; }
    std::string suffix(int l, int d) const
    {
        if (single())
            return "";
        return std::to_string(l + 1) + (layer(l).bidirectional ? (d == 0 ? "f" : "b") : "");
    }
    int K() const { return c.K; }
    DType dtype() const { return c.dtype; }
};

std::string stemOf(const std::string &scriptName)
{
    std::string base = scriptName.substr(scriptName.find_last_of("/\\") + 1);
    const auto dot = base.find_last_of('.');
    return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

// "LSTM(8, activation=tanh, …, return_sequences=True)", or "Bidirectional(GRU(4, …), merge_mode=sum)".
std::string describeLayer(const LayerSpec &l)
{
    std::string text = describeCell(l.cell, l.units);
    text.pop_back();
    text += std::string(", return_sequences=") + (l.returnSequences ? "True" : "False");
    if (l.goBackwards)
        text += ", go_backwards=True";
    text += ")";
    return l.bidirectional ? "Bidirectional(" + text + ", merge_mode=" + mergeName(l.merge) + ")" : text;
}

void writeHeader(std::ostringstream &out, const Context &x, const char *how)
{
    out << "#!/usr/bin/env python3\n"
        << "\"\"\"" << x.modelText << ".\n\n"
        << "Exported by rnnscope: " << how << "\n"
        << "Run:  python3 " << x.stem << ".py           prints Y\n"
        << "      python3 " << x.stem << ".py Y.npy     also saves Y with np.save\n";
    if (!x.inline_)
        out << "The numbers are in " << x.stem << ".npz beside this script.\n";
    out << "\"\"\"\n";
}

void writeLoad(std::ostringstream &out, const Context &x)
{
    if (!x.inline_)
        out << "from pathlib import Path\n\n"
            << "DATA = np.load(Path(__file__).with_name(\"" << x.stem << ".npz\"))\n";
    out << "\n";
}

void writeInput(const ArrayWriter &array, const Context &x)
{
    const NetworkConfig &c = x.c;
    if (c.hasEmbedding()) {
        array("ids", x.ids, "ids: the input batch of token ids, (N, T) = " + tuple({c.N, c.T}) + ": N samples of T ids in 0 … " +
                                std::to_string(c.vocabulary - 1));
        *array.out << "ids = ids.astype(np.int64)\n";
        return;
    }
    array("X", x.X, "X: the input batch, (N, T, D) = " + tuple({c.N, c.T, c.D}) + ": N samples of T timesteps of D features");
}

// Keras's weights in get_weights() order: W, U, b of every layer (a Bidirectional layer's forward
// ones first), then Wo, bo. Returns the names, in that order.
std::vector<std::string> writeKerasWeights(const ArrayWriter &array, const Context &x)
{
    std::vector<std::string> names;
    if (x.c.hasEmbedding()) {
        array("E", arrayFromMatrix(x.w.embedding, x.dtype()),
              "E: the Embedding's table (V, D) = " + tuple({x.c.vocabulary, x.c.D}) + ": row v is the vector of token id v");
        names.push_back("E");
    }
    const std::vector<std::string> layerName = layerNames(x.c.layers);
    for (int l = 0; l < x.c.layerCount(); ++l) {
        const LayerSpec &layer = x.layer(l);
        const int g = layer.cell.gates(), in = x.c.inputWidth(l);
        const std::vector<ParamSpec> specs = paramSpecs(layer.cell, in, layer.units, 0);
        std::string blocks;
        for (const std::string &b : gateBlockNames(layer.cell.kind))
            blocks += (blocks.empty() ? "" : " | ") + b;
        const std::string gated = g > 1 ? ", gate blocks " + blocks + " of M = " + std::to_string(layer.units) + " columns each" : "";
        for (int d = 0; d < layer.directions(); ++d) {
            const NamedArrays arrays =
                weightsToArrays(x.w.layers[static_cast<std::size_t>(l)][static_cast<std::size_t>(d)], Layout::Keras, x.dtype(), layer.cell);
            const std::string owner = x.single() ? "" : "layer " + std::to_string(l + 1) + " (" + layerName[static_cast<std::size_t>(l)] +
                                                            (layer.bidirectional ? (d == 0 ? ", forward" : ", backward") : "") + ") ";
            const char *symbols[] = {"W", "U", "b"};
            for (std::size_t i = 0; i < 3; ++i) {
                const ParamSpec &p = specs[i];
                std::string what = owner + p.role + " " + tuple(p.kerasShape) + gated;
                if (p.id == WeightId::bh && p.rows == 2)
                    what += "; row 0 the input bias, row 1 the recurrent bias (reset_after)";
                const std::string name = symbols[i] + x.suffix(l, d);
                array(name, arrays[i].second, name + ": " + what);
                names.push_back(name);
            }
        }
    }
    if (x.K() > 0) {
        array("Wo", arrayFromMatrix(x.w.Wo, x.dtype()), "Wo: Dense kernel " + tuple({x.c.topWidth(), x.K()}));
        array("bo", arrayFromVector(x.w.bo, x.dtype()), "bo: Dense bias " + tuple({x.K()}));
        names.push_back("Wo");
        names.push_back("bo");
    }
    return names;
}

// The script's opening: its docstring, the imports, where the numbers come from, and X; the
// writer of the arrays that follow.
ArrayWriter openScript(std::ostringstream &out, const Context &x, const char *how, const char *imports, NamedArrays &data)
{
    writeHeader(out, x, how);
    out << "import sys\n\nimport numpy as np\n" << imports;
    writeLoad(out, x);
    const ArrayWriter array{x.dtype(), x.inline_, &data, &out};
    writeInput(array, x);
    return array;
}

// The activations the network computes with, each once: every cell's, its gates', the Dense's.
std::vector<Activation> usedActivations(const Context &x)
{
    std::vector<Activation> used;
    const auto use = [&](Activation a) {
        if (std::find(used.begin(), used.end(), a) == used.end())
            used.push_back(a);
    };
    for (const LayerSpec &l : x.c.layers) {
        use(l.cell.activation);
        if (l.cell.kind != CellKind::SimpleRNN)
            use(l.cell.recurrent);
    }
    if (x.K() > 0)
        use(x.c.dense);
    return used;
}

void writeOutput(std::ostringstream &out)
{
    out << "\nprint(\"Y\", Y.shape)\n"
        << "print(Y)\n"
        << "if len(sys.argv) > 1:\n"
        << "    np.save(sys.argv[1], Y)\n";
}

// What the network returns, as a comment: "(N, T, K)", "(N, M)" …
std::string outputComment(const Context &x)
{
    const std::string width = x.K() > 0 ? "K" : x.single() ? "M" : std::to_string(x.c.topWidth());
    return (x.c.top().returnSequences ? "(N, T, " : "(N, ") + width + ")";
}

// ---- NumPy ----------------------------------------------------------------------------------

// One step of a cell, lines indented by `indent`, reading x_t, h (and c), W, U, b, M.
std::string cellLoop(const CellSpec &cell, const std::string &indent)
{
    const std::string act = activationName(cell.activation), rec = activationName(cell.recurrent);
    std::vector<std::string> lines;
    switch (cell.kind) {
    case CellKind::SimpleRNN:
        lines = {"a = x_t @ W + h @ U + b                 # pre-activation a_t (N, M)",
                 "h = " + act + "(a)                          # h_t (N, M)"};
        break;
    case CellKind::LSTM:
        lines = {"z = x_t @ W + h @ U + b                 # the four gates' pre-activations (N, 4M)",
                 "i = " + rec + "(z[:, 0 * M:1 * M])        # input gate i_t (N, M)",
                 "f = " + rec + "(z[:, 1 * M:2 * M])        # forget gate f_t (N, M)",
                 "g = " + act + "(z[:, 2 * M:3 * M])           # candidate g_t (N, M) (Keras's block c)",
                 "o = " + rec + "(z[:, 3 * M:4 * M])        # output gate o_t (N, M)",
                 "c = f * c + i * g                       # cell state c_t (N, M)",
                 "h = o * " + act + "(c)                      # hidden state h_t (N, M)"};
        break;
    case CellKind::GRU:
        if (cell.resetAfter)
            lines = {"xw = x_t @ W + b[0]                     # input part with the input bias (N, 3M)",
                     "hu = h @ U + b[1]                       # recurrent part with the recurrent bias (N, 3M)",
                     "z = " + rec + "(xw[:, 0:M] + hu[:, 0:M])          # update gate z_t (N, M)",
                     "r = " + rec + "(xw[:, M:2 * M] + hu[:, M:2 * M])  # reset gate r_t (N, M)",
                     "hh = " + act + "(xw[:, 2 * M:] + r * hu[:, 2 * M:])  # candidate h~_t: r after U (reset_after)"};
        else
            lines = {"xw = x_t @ W + b                        # input part with the bias (N, 3M)",
                     "z = " + rec + "(xw[:, 0:M] + h @ U[:, 0:M])          # update gate z_t (N, M)",
                     "r = " + rec + "(xw[:, M:2 * M] + h @ U[:, M:2 * M])  # reset gate r_t (N, M)",
                     "hh = " + act + "(xw[:, 2 * M:] + (r * h) @ U[:, 2 * M:])  # candidate h~_t: r before U"};
        lines.push_back("h = z * h + (1 - z) * hh                # h_t (N, M)");
        break;
    }
    std::string out;
    for (const std::string &line : lines)
        out += indent + line + "\n";
    return out;
}

// The loop over the timesteps of X into H (every h_t), lines indented by `indent`.
std::string timeLoop(const CellSpec &cell, DType dtype, const std::string &indent)
{
    std::ostringstream out;
    out << indent << "N, T, D = X.shape\n"
        << indent << "M = U.shape[0]\n"
        << indent << "h = np.zeros((N, M), dtype=" << npDtype(dtype) << ")  # h_-1 = 0 (N, M)\n";
    if (cell.kind == CellKind::LSTM)
        out << indent << "c = np.zeros((N, M), dtype=" << npDtype(dtype) << ")  # c_-1 = 0 (N, M)\n";
    out << indent << "hs = []\n"
        << indent << "for t in range(T):\n"
        << indent << "    x_t = X[:, t, :]                        # (N, D)\n"
        << cellLoop(cell, indent + "    ")
        << indent << "    hs.append(h)\n";
    return out.str();
}

// How a Bidirectional layer merges F and B in NumPy.
std::string numpyMerge(Merge m, const std::string &f, const std::string &b)
{
    switch (m) {
    case Merge::Concat: return "np.concatenate([" + f + ", " + b + "], axis=-1)";
    case Merge::Sum: return f + " + " + b;
    case Merge::Mul: return f + " * " + b;
    case Merge::Ave: return "(" + f + " + " + b + ") / 2";
    }
    return f;
}

std::string numpyScript(const Context &x, NamedArrays &data)
{
    std::ostringstream out;
    writeKerasWeights(openScript(out, x, "the recurrence as a plain NumPy loop, every gate written out.", "", data), x);
    if (x.c.hasEmbedding())
        out << "\nX = E[ids]  # the Embedding: each token id becomes its row of E, (N, T, D)\n";
    for (Activation a : usedActivations(x))
        out << "\n\n" << numpyDefinition(a);
    const std::string dense = x.K() > 0 ? std::string(activationName(x.c.dense)) : "";
    if (x.single()) {
        const LayerSpec &layer = x.layer(0);
        out << "\n\n" << timeLoop(layer.cell, x.dtype(), "")
            << "H = np.stack(hs, axis=1)                    # every h_t: (N, T, M)\n";
        const std::string result = layer.returnSequences ? "H" : "h";
        const std::string shape = layer.returnSequences ? "(N, T, " : "(N, ";
        if (x.K() > 0)
            out << "Y = " << dense << "(" << result << " @ Wo + bo)  # Dense: " << shape << "K)\n";
        else
            out << "Y = " << result << "  # no Dense layer (K = 0): the recurrent layer's output " << shape << "M)\n";
        writeOutput(out);
        return out.str();
    }
    // A network: one function per layer (both directions of a Bidirectional layer share it).
    const std::vector<std::string> names = layerNames(x.c.layers);
    for (int l = 0; l < x.c.layerCount(); ++l) {
        out << "\n\ndef layer_" << l + 1 << "(X, W, U, b):\n"
            << "    \"\"\"" << names[static_cast<std::size_t>(l)] << ": " << describeCell(x.layer(l).cell, x.layer(l).units)
            << " over X (N, T, " << x.c.inputWidth(l) << "): every h_t, in the order it reads X.\"\"\"\n"
            << timeLoop(x.layer(l).cell, x.dtype(), "    ")
            << "    return np.stack(hs, axis=1)             # (N, T, M)\n";
    }
    out << "\n\n";
    std::string below = "X";
    for (int l = 0; l < x.c.layerCount(); ++l) {
        const LayerSpec &layer = x.layer(l);
        const std::string n = std::to_string(l + 1), M = std::to_string(layer.units), S = "S" + n;
        const auto read = [&](bool backwards) { return backwards ? below + "[:, ::-1]" : below; };
        out << "# layer " << n << ": " << describeLayer(layer) << "\n";
        if (!layer.bidirectional) {
            const std::string H = "H" + n, s = x.suffix(l, 0);
            out << H << " = layer_" << n << "(" << read(layer.goBackwards) << ", W" << s << ", U" << s << ", b" << s << ")  # (N, T, " << M << ")"
                << (layer.goBackwards ? ": it reads x_{T-1} … x_0 and keeps that order" : "") << "\n"
                << S << " = " << (layer.returnSequences ? H + "  # every h_t: (N, T, " + M + ")" : H + "[:, -1]  # its last state: (N, " + M + ")")
                << "\n";
        } else {
            const std::string F = "H" + n + "f", B = "H" + n + "b", w = std::to_string(layer.outputWidth());
            out << F << " = layer_" << n << "(" << read(layer.goBackwards) << ", W" << n << "f, U" << n << "f, b" << n
                << "f)  # the forward copy (N, T, " << M << ")\n"
                << B << " = layer_" << n << "(" << read(!layer.goBackwards) << ", W" << n << "b, U" << n << "b, b" << n
                << "b)  # the backward copy: reads x_{T-1} … x_0 (N, T, " << M << ")\n";
            if (layer.returnSequences)
                out << S << " = " << numpyMerge(layer.merge, F, B + "[:, ::-1]") << "  # backward flipped back to time order: (N, T, "
                    << w << ")\n";
            else
                out << S << " = " << numpyMerge(layer.merge, F + "[:, -1]", B + "[:, -1]")
                    << "  # forward h_{T-1} and the backward state after x_0: (N, " << w << ")\n";
        }
        below = S;
    }
    if (x.K() > 0)
        out << "Y = " << dense << "(" << below << " @ Wo + bo)  # Dense: " << outputComment(x) << "\n";
    else
        out << "Y = " << below << "  # no Dense layer (K = 0): the top layer's output " << outputComment(x) << "\n";
    writeOutput(out);
    return out.str();
}

// ---- Keras ----------------------------------------------------------------------------------

std::string kerasLayer(const LayerSpec &l)
{
    std::ostringstream out;
    out << "keras.layers." << cellClassName(l.cell.kind) << "(" << l.units << ", activation=" << kerasActivation(l.cell.activation);
    if (l.cell.kind != CellKind::SimpleRNN)
        out << ", recurrent_activation=" << kerasActivation(l.cell.recurrent);
    if (l.cell.kind == CellKind::GRU)
        out << ", reset_after=" << (l.cell.resetAfter ? "True" : "False");
    out << ", return_sequences=" << (l.returnSequences ? "True" : "False");
    if (l.goBackwards)
        out << ", go_backwards=True";
    out << ")";
    if (l.bidirectional)
        return "keras.layers.Bidirectional(" + out.str() + ", merge_mode=\"" + mergeName(l.merge) + "\")";
    return out.str();
}

std::string kerasScript(const Context &x, NamedArrays &data)
{
    std::ostringstream out;
    const std::vector<std::string> names =
        writeKerasWeights(openScript(out, x, "the same model built with Keras, its weights set, predict.", "import keras\n", data), x);
    const std::vector<Activation> used = usedActivations(x);
    if (std::find(used.begin(), used.end(), Activation::HardSigmoidKeras2) != used.end())
        out << "\n\ndef hard_sigmoid_keras2(x):  # Keras 1 and 2's hard_sigmoid (Keras 3's is x/6 + 0.5)\n"
            << "    return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)\n";
    out << "\n\nkeras.config.set_floatx(\"" << dtypeName(x.dtype()) << "\")\n"
        << "model = keras.Sequential([\n";
    if (x.c.hasEmbedding())
        out << "    keras.Input(shape=(" << x.c.T << ",), dtype=\"int64\"),  # (T,) token ids; the batch N is left open\n"
            << "    keras.layers.Embedding(" << x.c.vocabulary << ", " << x.c.D << "),  # (V, D): ids become X (N, T, D)\n";
    else
        out << "    keras.Input(shape=(" << x.c.T << ", " << x.c.D << ")),  # (T, D); the batch N is left open\n";
    for (const LayerSpec &l : x.c.layers)
        out << "    " << kerasLayer(l) << ",\n";
    if (x.K() > 0)
        out << "    keras.layers.Dense(" << x.K() << ", activation=" << kerasActivation(x.c.dense) << "),\n";
    std::string list;
    for (const std::string &n : names)
        list += (list.empty() ? "" : ", ") + n;
    out << "])\n"
        << "model.set_weights([" << list << "])  # get_weights() order\n"
        << "model.summary()\n"
        << "Y = model.predict(" << (x.c.hasEmbedding() ? "ids" : "X") << ", verbose=0)  # " << outputComment(x) << "\n";
    writeOutput(out);
    return out.str();
}

// ---- PyTorch --------------------------------------------------------------------------------

std::string pytorchScript(const Context &x, NamedArrays &data)
{
    if (const std::string why = pytorchRefusal(x.c); !why.empty())
        throw Error(ErrorKind::Unsupported, "export-code --to pytorch: " + why);
    std::ostringstream out;
    const ArrayWriter array = openScript(out, x, "the same model as PyTorch modules, its weights converted to a state_dict.",
                                         "import torch\nfrom torch import nn\n", data);
    const LayerSpec &layer = x.layer(0);
    const int M = layer.units, L = x.c.layerCount();
    const std::vector<std::string> torchGates = pytorchGateNames(layer.cell.kind);
    std::string blocks;
    for (const std::string &b : torchGates)
        blocks += (blocks.empty() ? "" : " | ") + b;
    const std::string rows = layer.cell.gates() > 1 ? ", gate rows " + blocks + " of M = " + std::to_string(M) : "";
    const NamedArrays state = networkWeightsToArrays(x.w, x.c, Layout::PyTorch);
    std::vector<std::string> names;
    for (const auto &[key, a] : state) {
        // rnn.weight_ih_l0 → weight_ih_l0, fc.weight → fc_weight
        std::string var = key.rfind("rnn.", 0) == 0 ? key.substr(4) : key;
        std::replace(var.begin(), var.end(), '.', '_');
        std::string what = key + " " + tuple(a.shape);
        if (key.find("_ih_") != std::string::npos || key.find("_hh_") != std::string::npos)
            what += rows;
        if (key.rfind("rnn.weight_ih_", 0) == 0)
            what += " (Keras's kernel transposed)";
        else if (key.rfind("rnn.weight_hh_", 0) == 0)
            what += " (Keras's recurrent_kernel transposed)";
        else if (key == "fc.weight")
            what += " (Keras's Dense kernel transposed)";
        array(var, a, what);
        names.push_back(var);
    }
    const char *module = layer.cell.kind == CellKind::LSTM ? "LSTM" : layer.cell.kind == CellKind::GRU ? "GRU" : "RNN";
    out << "\n\ntorch.set_default_dtype(torch." << dtypeName(x.dtype()) << ")\n\n\n"
        << "class Model(nn.Module):\n"
        << "    def __init__(self):\n"
        << "        super().__init__()\n"
        << (x.c.hasEmbedding() ? "        self.embedding = nn.Embedding(" + std::to_string(x.c.vocabulary) + ", " + std::to_string(x.c.D) + ")\n"
                                 : std::string())
        << "        self.rnn = nn." << module << "(input_size=" << x.c.D << ", hidden_size=" << M;
    if (L > 1)
        out << ", num_layers=" << L;
    if (layer.bidirectional)
        out << ", bidirectional=True";
    if (layer.cell.kind == CellKind::SimpleRNN)
        out << ", nonlinearity=\"" << activationName(layer.cell.activation) << "\"";
    out << ", batch_first=True)\n";
    if (x.K() > 0)
        out << "        self.fc = nn.Linear(" << x.c.topWidth() << ", " << x.K() << ")\n";
    const std::string width = layer.bidirectional ? "2M" : "M";
    out << (x.c.hasEmbedding() ? "\n    def forward(self, ids):  # ids (N, T)\n        x = self.embedding(ids)  # (N, T, D)\n"
                               : "\n    def forward(self, x):  # x (N, T, D)\n")
        << "        H, " << (layer.cell.kind == CellKind::LSTM ? "(h_n, _)" : "h_n") << " = self.rnn(x)  # the top layer's every h_t: (N, T, "
        << width << ")\n";
    if (x.c.top().returnSequences)
        out << "        out = H  # (N, T, " << width << ")\n";
    else if (layer.bidirectional)
        out << "        out = torch.cat([h_n[-2], h_n[-1]], dim=-1)  # the top layer's forward h_{T-1} and backward state after x_0: (N, 2M)\n";
    else
        out << "        out = H[:, -1, :]  # h_{T-1}: (N, M)\n";
    if (x.K() > 0)
        out << "        return " << torchActivation(x.c.dense, "self.fc(out)") << "\n";
    else
        out << "        return out  # no Dense layer (K = 0)\n";
    out << "\n\nmodel = Model()\n"
        << "model.load_state_dict({\n";
    for (std::size_t i = 0; i < state.size(); ++i)
        out << "    \"" << state[i].first << "\": torch.from_numpy(" << names[i] << "),\n";
    out << "})\n"
        << "with torch.no_grad():\n"
        << "    Y = model(torch.from_numpy(" << (x.c.hasEmbedding() ? "ids" : "X") << ")).numpy()  # " << outputComment(x) << "\n";
    writeOutput(out);
    return out.str();
}

} // namespace

namespace {

ExportedCode exportNetwork(const NetworkConfig &c, const NetworkWeights &w, const NdArray &X, const NdArray &ids, CodeTarget target,
                           const std::string &scriptName)
{
    const long long values = static_cast<long long>(c.N) * c.T * c.D + parameterCount(c);
    std::string text = c.hasEmbedding() ? "Embedding(" + std::to_string(c.vocabulary) + ", " + std::to_string(c.D) + ")" : "";
    for (const LayerSpec &l : c.layers)
        text += (text.empty() ? "" : " -> ") + describeLayer(l);
    if (c.K > 0)
        text += std::string(" -> Dense(") + std::to_string(c.K) + ", activation=" + activationName(c.dense) + ")";
    text += std::string(", ") + dtypeName(c.dtype);
    const Context x{c, w, X, ids, stemOf(scriptName), values <= kInlineValues, text};
    ExportedCode e;
    switch (target) {
    case CodeTarget::NumPy: e.script = numpyScript(x, e.data); break;
    case CodeTarget::Keras: e.script = kerasScript(x, e.data); break;
    case CodeTarget::PyTorch: e.script = pytorchScript(x, e.data); break;
    }
    if (!e.data.empty())
        e.dataFile = x.stem + ".npz";
    return e;
}

} // namespace

ExportedCode exportCode(const Model &model, CodeTarget target, const std::string &scriptName)
{
    return exportNetwork(networkConfigOf(model.config()), networkWeightsOf(model.weights()), model.inputArray(), NdArray{}, target,
                         scriptName);
}

ExportedCode exportCode(const Network &network, CodeTarget target, const std::string &scriptName)
{
    return exportNetwork(network.config(), network.weights(), network.inputArray(), network.tokenArray(), target, scriptName);
}

} // namespace rnnscope
