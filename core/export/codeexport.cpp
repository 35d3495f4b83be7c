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

struct Context {
    const Model &model;
    const ModelConfig &c;
    const Dims &d;
    CellSpec cell;
    std::string stem;     // the script's file name without its extension
    bool inline_;
    std::string modelText; // "LSTM(5, …) → Dense(2, activation=linear), float32"
};

std::string stemOf(const std::string &scriptName)
{
    std::string base = scriptName.substr(scriptName.find_last_of("/\\") + 1);
    const auto dot = base.find_last_of('.');
    return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

void writeHeader(std::ostringstream &out, const Context &x, const char *how)
{
    out << "#!/usr/bin/env python3\n"
        << "\"\"\"" << x.modelText << ", return_sequences=" << (x.c.returnSequences ? "True" : "False") << ".\n\n"
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
    const Dims &d = x.d;
    array("X", x.model.inputArray(),
          "X: the input batch, (N, T, D) = " + tuple({d.N, d.T, d.D}) + ": N samples of T timesteps of D features");
}

// Keras's weights in get_weights() order: W, U, b (and Wo, bo).
void writeKerasWeights(const ArrayWriter &array, const Context &x)
{
    const Weights &w = x.model.weights();
    const NamedArrays arrays = weightsToArrays(w, Layout::Keras, x.c.dtype, x.cell);
    const std::vector<ParamSpec> specs = paramSpecs(x.cell, x.d.D, x.d.M, x.d.K);
    const int g = x.cell.gates();
    std::string blocks;
    for (const std::string &b : gateBlockNames(x.cell.kind))
        blocks += (blocks.empty() ? "" : " | ") + b;
    const std::string gated = g > 1 ? ", gate blocks " + blocks + " of M = " + std::to_string(x.d.M) + " columns each" : "";
    const char *names[] = {"W", "U", "b", "Wo", "bo"};
    for (std::size_t i = 0; i < arrays.size(); ++i) {
        const ParamSpec &p = specs[i];
        std::string what = p.role + " " + tuple(p.kerasShape);
        if (i < 3)
            what += gated;
        if (p.id == WeightId::bh && p.rows == 2)
            what += "; row 0 the input bias, row 1 the recurrent bias (reset_after)";
        array(names[i], arrays[i].second, std::string(names[i]) + ": " + what);
    }
}

// The script's opening: its docstring, the imports, where the numbers come from, and X; the
// writer of the arrays that follow.
ArrayWriter openScript(std::ostringstream &out, const Context &x, const char *how, const char *imports, NamedArrays &data)
{
    writeHeader(out, x, how);
    out << "import sys\n\nimport numpy as np\n" << imports;
    writeLoad(out, x);
    const ArrayWriter array{x.c.dtype, x.inline_, &data, &out};
    writeInput(array, x);
    return array;
}

// The activations the model computes with, each once: the cell's, its gates', the Dense's.
std::vector<Activation> usedActivations(const Context &x)
{
    std::vector<Activation> used;
    const auto use = [&](Activation a) {
        if (std::find(used.begin(), used.end(), a) == used.end())
            used.push_back(a);
    };
    use(x.cell.activation);
    if (x.cell.kind != CellKind::SimpleRNN)
        use(x.cell.recurrent);
    if (x.d.K > 0)
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

// ---- NumPy ----------------------------------------------------------------------------------

std::string cellLoop(const Context &x)
{
    const std::string act = activationName(x.cell.activation), rec = activationName(x.cell.recurrent);
    std::ostringstream out;
    switch (x.cell.kind) {
    case CellKind::SimpleRNN:
        out << "    a = x_t @ W + h @ U + b                 # pre-activation a_t (N, M)\n"
            << "    h = " << act << "(a)                          # h_t (N, M)\n";
        break;
    case CellKind::LSTM:
        out << "    z = x_t @ W + h @ U + b                 # the four gates' pre-activations (N, 4M)\n"
            << "    i = " << rec << "(z[:, 0 * M:1 * M])        # input gate i_t (N, M)\n"
            << "    f = " << rec << "(z[:, 1 * M:2 * M])        # forget gate f_t (N, M)\n"
            << "    g = " << act << "(z[:, 2 * M:3 * M])           # candidate g_t (N, M) (Keras's block c)\n"
            << "    o = " << rec << "(z[:, 3 * M:4 * M])        # output gate o_t (N, M)\n"
            << "    c = f * c + i * g                       # cell state c_t (N, M)\n"
            << "    h = o * " << act << "(c)                      # hidden state h_t (N, M)\n";
        break;
    case CellKind::GRU:
        if (x.cell.resetAfter)
            out << "    xw = x_t @ W + b[0]                     # input part with the input bias (N, 3M)\n"
                << "    hu = h @ U + b[1]                       # recurrent part with the recurrent bias (N, 3M)\n"
                << "    z = " << rec << "(xw[:, 0:M] + hu[:, 0:M])          # update gate z_t (N, M)\n"
                << "    r = " << rec << "(xw[:, M:2 * M] + hu[:, M:2 * M])  # reset gate r_t (N, M)\n"
                << "    hh = " << act << "(xw[:, 2 * M:] + r * hu[:, 2 * M:])  # candidate h~_t: r after U (reset_after)\n";
        else
            out << "    xw = x_t @ W + b                        # input part with the bias (N, 3M)\n"
                << "    z = " << rec << "(xw[:, 0:M] + h @ U[:, 0:M])          # update gate z_t (N, M)\n"
                << "    r = " << rec << "(xw[:, M:2 * M] + h @ U[:, M:2 * M])  # reset gate r_t (N, M)\n"
                << "    hh = " << act << "(xw[:, 2 * M:] + (r * h) @ U[:, 2 * M:])  # candidate h~_t: r before U\n";
        out << "    h = z * h + (1 - z) * hh                # h_t (N, M)\n";
        break;
    }
    return out.str();
}

std::string numpyScript(const Context &x, NamedArrays &data)
{
    std::ostringstream out;
    writeKerasWeights(openScript(out, x, "the recurrence as a plain NumPy loop, every gate written out.", "", data), x);
    for (Activation a : usedActivations(x))
        out << "\n\n" << numpyDefinition(a);

    out << "\n\nN, T, D = X.shape\n"
        << "M = U.shape[0]\n"
        << "h = np.zeros((N, M), dtype=" << npDtype(x.c.dtype) << ")  # h_-1 = 0 (N, M)\n";
    if (x.cell.kind == CellKind::LSTM)
        out << "c = np.zeros((N, M), dtype=" << npDtype(x.c.dtype) << ")  # c_-1 = 0 (N, M)\n";
    out << "hs = []\n"
        << "for t in range(T):\n"
        << "    x_t = X[:, t, :]                        # (N, D)\n"
        << cellLoop(x)
        << "    hs.append(h)\n"
        << "H = np.stack(hs, axis=1)                    # every h_t: (N, T, M)\n";
    const std::string out_ = x.c.returnSequences ? "H" : "h";
    const std::string outShape = x.c.returnSequences ? "(N, T, " : "(N, ";
    if (x.d.K > 0)
        out << "Y = " << activationName(x.c.dense) << "(" << out_ << " @ Wo + bo)  # Dense: " << outShape << "K)\n";
    else
        out << "Y = " << out_ << "  # no Dense layer (K = 0): the recurrent layer's output " << outShape << "M)\n";
    writeOutput(out);
    return out.str();
}

// ---- Keras ----------------------------------------------------------------------------------

std::string kerasScript(const Context &x, NamedArrays &data)
{
    std::ostringstream out;
    writeKerasWeights(openScript(out, x, "the same model built with Keras, its weights set, predict.", "import keras\n", data), x);
    const std::vector<Activation> used = usedActivations(x);
    if (std::find(used.begin(), used.end(), Activation::HardSigmoidKeras2) != used.end())
        out << "\n\ndef hard_sigmoid_keras2(x):  # Keras 1 and 2's hard_sigmoid (Keras 3's is x/6 + 0.5)\n"
            << "    return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)\n";
    const Dims &d = x.d;
    out << "\n\nkeras.config.set_floatx(\"" << dtypeName(x.c.dtype) << "\")\n"
        << "model = keras.Sequential([\n"
        << "    keras.Input(shape=(" << d.T << ", " << d.D << ")),  # (T, D); the batch N is left open\n"
        << "    keras.layers." << cellClassName(x.cell.kind) << "(" << d.M << ", activation=" << kerasActivation(x.cell.activation);
    if (x.cell.kind != CellKind::SimpleRNN)
        out << ", recurrent_activation=" << kerasActivation(x.cell.recurrent);
    if (x.cell.kind == CellKind::GRU)
        out << ", reset_after=" << (x.cell.resetAfter ? "True" : "False");
    out << ", return_sequences=" << (x.c.returnSequences ? "True" : "False") << "),\n";
    if (d.K > 0)
        out << "    keras.layers.Dense(" << d.K << ", activation=" << kerasActivation(x.c.dense) << "),\n";
    out << "])\n"
        << "model.set_weights([W, U, b" << (d.K > 0 ? ", Wo, bo" : "") << "])  # get_weights() order\n"
        << "model.summary()\n"
        << "Y = model.predict(X, verbose=0)  # " << (x.c.returnSequences ? "(N, T, " : "(N, ") << (d.K > 0 ? "K)" : "M)") << "\n";
    writeOutput(out);
    return out.str();
}

// ---- PyTorch --------------------------------------------------------------------------------

std::string pytorchScript(const Context &x, NamedArrays &data)
{
    if (const std::string why = pytorchRefusal(x.cell); !why.empty())
        throw Error(ErrorKind::Unsupported, "export-code --to pytorch: " + why);
    std::ostringstream out;
    const ArrayWriter array = openScript(out, x, "the same model as PyTorch modules, its weights converted to a state_dict.",
                                         "import torch\nfrom torch import nn\n", data);
    const Dims &d = x.d;
    const std::vector<std::string> torchGates = pytorchGateNames(x.cell.kind);
    std::string blocks;
    for (const std::string &b : torchGates)
        blocks += (blocks.empty() ? "" : " | ") + b;
    const std::string rows = x.cell.gates() > 1 ? ", gate rows " + blocks + " of M = " + std::to_string(d.M) : "";
    const NamedArrays state = weightsToArrays(x.model.weights(), Layout::PyTorch, x.c.dtype, x.cell);
    std::vector<std::string> names;
    for (const auto &[key, a] : state) {
        // rnn.weight_ih_l0 → weight_ih_l0, fc.weight → fc_weight
        std::string var = key.rfind("rnn.", 0) == 0 ? key.substr(4) : key;
        std::replace(var.begin(), var.end(), '.', '_');
        std::string what = key + " " + tuple(a.shape);
        if (key.find("_ih_") != std::string::npos || key.find("_hh_") != std::string::npos)
            what += rows;
        if (key == "rnn.weight_ih_l0")
            what += " (Keras's kernel transposed)";
        else if (key == "rnn.weight_hh_l0")
            what += " (Keras's recurrent_kernel transposed)";
        else if (key == "fc.weight")
            what += " (Keras's Dense kernel transposed)";
        array(var, a, what);
        names.push_back(var);
    }
    const char *module = x.cell.kind == CellKind::LSTM ? "LSTM" : x.cell.kind == CellKind::GRU ? "GRU" : "RNN";
    out << "\n\ntorch.set_default_dtype(torch." << dtypeName(x.c.dtype) << ")\n\n\n"
        << "class Model(nn.Module):\n"
        << "    def __init__(self):\n"
        << "        super().__init__()\n"
        << "        self.rnn = nn." << module << "(input_size=" << d.D << ", hidden_size=" << d.M;
    if (x.cell.kind == CellKind::SimpleRNN)
        out << ", nonlinearity=\"" << activationName(x.cell.activation) << "\"";
    out << ", batch_first=True)\n";
    if (d.K > 0)
        out << "        self.fc = nn.Linear(" << d.M << ", " << d.K << ")\n";
    out << "\n    def forward(self, x):  # x (N, T, D)\n"
        << "        H, _ = self.rnn(x)  # every h_t: (N, T, M)\n"
        << "        out = " << (x.c.returnSequences ? "H  # (N, T, M)" : "H[:, -1, :]  # h_{T-1}: (N, M)") << "\n";
    if (d.K > 0)
        out << "        return " << torchActivation(x.c.dense, "self.fc(out)") << "\n";
    else
        out << "        return out  # no Dense layer (K = 0)\n";
    out << "\n\nmodel = Model()\n"
        << "model.load_state_dict({\n";
    for (std::size_t i = 0; i < state.size(); ++i)
        out << "    \"" << state[i].first << "\": torch.from_numpy(" << names[i] << "),\n";
    out << "})\n"
        << "with torch.no_grad():\n"
        << "    Y = model(torch.from_numpy(X)).numpy()  # " << (x.c.returnSequences ? "(N, T, " : "(N, ")
        << (d.K > 0 ? "K)" : "M)") << "\n";
    writeOutput(out);
    return out.str();
}

} // namespace

ExportedCode exportCode(const Model &model, CodeTarget target, const std::string &scriptName)
{
    const ModelConfig &c = model.config();
    const Dims &d = model.dims();
    const long long values = static_cast<long long>(d.N) * d.T * d.D + model.weights().rnnParams() + model.weights().denseParams();
    std::string text = describeCell(c.cellSpec(), d.M);
    if (d.K > 0)
        text += std::string(" -> Dense(") + std::to_string(d.K) + ", activation=" + activationName(c.dense) + ")";
    text += std::string(", ") + dtypeName(c.dtype);
    const Context x{model, c, d, c.cellSpec(), stemOf(scriptName), values <= kInlineValues, text};
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

} // namespace rnnscope
