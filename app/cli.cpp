#include "cli.h"

#include "common/error.h"
#include "common/gemm.h"
#include "export/codeexport.h"
#include "grad/bptt.h"
#include "grad/dynamics.h"
#include "train/trainer.h"
#include "io/file.h"
#include "io/npy.h"
#include "io/sessionfile.h"
#include "nn/engine.h"
#include "run/summary.h"

#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QTextStream>

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

using namespace rnnscope;

namespace cli {

bool isHeadlessCommand(const QString &name)
{
    static const QStringList names = {QStringLiteral("summary"), QStringLiteral("trace"), QStringLiteral("forward"),
                                      QStringLiteral("save"), QStringLiteral("grad"), QStringLiteral("train"), QStringLiteral("export-code"),
                                      QStringLiteral("bench")};
    return names.contains(name);
}

void addOptions(QCommandLineParser &p)
{
    p.addOptions({
        {QStringLiteral("dims"), QStringLiteral("Dimensions N,T,D,M,K (default 1,10,3,5,2; K=0: no Dense layer)."),
         QStringLiteral("N,T,D,M,K")},
        {QStringLiteral("cell"), QStringLiteral("Recurrent cell: simplernn (default), lstm or gru."), QStringLiteral("name")},
        {QStringLiteral("no-reset-after"),
         QStringLiteral("GRU with reset_after=False (bias (3M), Keras 1 and 2's default) instead of True.")},
        {QStringLiteral("return-sequences"), QStringLiteral("The recurrent layer returns every h_t (N,T,M).")},
        {QStringLiteral("activation"),
         QStringLiteral("Cell activation: tanh (default), relu, sigmoid, linear, hard_sigmoid, hard_sigmoid_keras2."),
         QStringLiteral("name")},
        {QStringLiteral("recurrent-activation"),
         QStringLiteral("LSTM/GRU gate activation: sigmoid (default), hard_sigmoid (Keras 3: x/6+0.5), "
                        "hard_sigmoid_keras2 (0.2x+0.5), tanh, relu, linear."),
         QStringLiteral("name")},
        {QStringLiteral("dense-activation"),
         QStringLiteral("Dense activation: linear, relu, sigmoid, tanh or softmax (default linear)."),
         QStringLiteral("name")},
        {QStringLiteral("dtype"), QStringLiteral("float32 (Keras, default) or float64 (NumPy)."), QStringLiteral("type")},
        {QStringLiteral("seed"), QStringLiteral("Seed of the random weights and input (default 0)."), QStringLiteral("S")},
        {QStringLiteral("init"),
         QStringLiteral("Initializer: keras (glorot/orthogonal/zeros, default), normal, uniform, identity, zeros."),
         QStringLiteral("name")},
        {QStringLiteral("init-scale"), QStringLiteral("σ of normal, a of uniform (default 0.05)."), QStringLiteral("x")},
        {QStringLiteral("weights"), QStringLiteral("Weights file (.npz of np.savez(*model.get_weights()), named or PyTorch keys)."),
         QStringLiteral("FILE")},
        {QStringLiteral("layer"), QStringLiteral("The recurrent layer to open, in a file that holds several."),
         QStringLiteral("NAME")},
        {QStringLiteral("input"), QStringLiteral("Input X: .npy of shape (N,T,D) or (T,D), or .csv of T rows of D values."),
         QStringLiteral("FILE")},
        {QStringLiteral("threads"), QStringLiteral("Threads of the large matrix products (default 1)."), QStringLiteral("n")},
        {QStringLiteral("sample"), QStringLiteral("trace: the sample n to show; grad: the sample of --jacobian (default 0)."), QStringLiteral("n")},
        {QStringLiteral("out"), QStringLiteral("forward: where to write Y (.npy); grad: the gradients (.npz)."), QStringLiteral("FILE")},
        {QStringLiteral("hidden"), QStringLiteral("forward: where to write H (N,T,M) (.npy)."), QStringLiteral("H.npy")},
        {QStringLiteral("cell-state"), QStringLiteral("forward: where to write an LSTM's C (N,T,M) (.npy)."),
         QStringLiteral("C.npy")},
        {QStringLiteral("layout"), QStringLiteral("save: keras (arr_0…, default) or pytorch (state_dict names); "
                                                  "in a session, the layout of the weight views."),
         QStringLiteral("keras|pytorch")},
        {QStringLiteral("target"), QStringLiteral("grad: the target Y of the loss (.npy, the output's shape)."), QStringLiteral("Y.npy")},
        {QStringLiteral("dh"), QStringLiteral("grad: where to write dL/dh_t (N,T,M) (.npy)."), QStringLiteral("DH.npy")},
        {QStringLiteral("jacobian"), QStringLiteral("grad: where to write ‖∂h_{T−1}/∂h_t‖_F (T,) of one sample (.npy)."), QStringLiteral("J.npy")},
        {QStringLiteral("loss"), QStringLiteral("grad, train: Keras's mse (default), mae, binary_crossentropy (bce), categorical_crossentropy (cce) "
                                                   "or sparse_categorical_crossentropy (scce: class ids (N) or (N,T) as targets)."),
         QStringLiteral("name")},
        {QStringLiteral("task"), QStringLiteral("train: a toy task that fixes D, K, return_sequences, the Dense activation and the loss: "
                                                   "sine, echo, parity, adding or copy."),
         QStringLiteral("name")},
        {QStringLiteral("optimizer"), QStringLiteral("train: sgd, adam or rmsprop (Keras 3's formulas and defaults)."), QStringLiteral("name")},
        {QStringLiteral("lr"), QStringLiteral("train: the learning rate (default Keras's: 0.01 sgd, 0.001 adam and rmsprop)."), QStringLiteral("x")},
        {QStringLiteral("momentum"), QStringLiteral("train: SGD's momentum (default 0)."), QStringLiteral("m")},
        {QStringLiteral("nesterov"), QStringLiteral("train: SGD with Nesterov momentum.")},
        {QStringLiteral("steps"), QStringLiteral("train: optimizer steps."), QStringLiteral("S")},
        {QStringLiteral("epochs"), QStringLiteral("train: epochs over your data (--target)."), QStringLiteral("E")},
        {QStringLiteral("batch-size"), QStringLiteral("train: samples per step (a task: 64; your data: all of them)."), QStringLiteral("B")},
        {QStringLiteral("shuffle"), QStringLiteral("train: your data in a new (seeded) order every epoch.")},
        {QStringLiteral("save-state"), QStringLiteral("train: also write what going on needs (float64 weights, the optimizer's step count "
                                                      "and slots) to this .npz."), QStringLiteral("STATE.npz")},
        {QStringLiteral("resume"), QStringLiteral("train: go on from a --save-state file, as if the run had not stopped (same model "
                                                  "options, task or data, optimizer and seed)."), QStringLiteral("STATE.npz")},
        {QStringLiteral("validation-split"), QStringLiteral("train: the last fraction of your samples held out (0 … <1)."), QStringLiteral("f")},
        {QStringLiteral("clipnorm"), QStringLiteral("train: clip each weight's gradient to this norm."), QStringLiteral("c")},
        {QStringLiteral("global-clipnorm"), QStringLiteral("train: clip all gradients together to this norm."), QStringLiteral("c")},
        {QStringLiteral("clipvalue"), QStringLiteral("train: clip every gradient value to [-c, c]."), QStringLiteral("c")},
        {QStringLiteral("to"), QStringLiteral("export-code: the script's library, numpy, keras or pytorch."),
         QStringLiteral("numpy|keras|pytorch")},
        {QStringLiteral("repeat"), QStringLiteral("bench: timed runs (default 20)."), QStringLiteral("R")},
        {QStringLiteral("json"), QStringLiteral("bench, grad: print one JSON object.")},
        {QStringLiteral("ui"), QStringLiteral("bench: step the window offscreen and time each step.")},
        {QStringLiteral("train"), QStringLiteral("bench: time one training step on the batch (forward, backward through time, the "
                                                 "optimizer's update; --optimizer, default adam; mse against zeros).")},
        {QStringLiteral("long-work"), QStringLiteral("bench --ui: time the long work of a large model (new input, End, an edit at the end) and how long the window waited.")},
        {QStringLiteral("step"), QStringLiteral("screenshot: the timestep on show (default: the last)."), QStringLiteral("t")},
        {QStringLiteral("size"), QStringLiteral("screenshot: window size (default 1600x900)."), QStringLiteral("WxH")},
        {QStringLiteral("view"),
         QStringLiteral("screenshot: one view instead of the window: diagram, step-panel, Wx, Wh, bh, Wo, bo, input, "
                        "all-units, hidden-chart, gate-chart, output-chart, summary, gradients, spectrum, loss-curves (OUT.svg: vector); "
                        "with --task, --steps S: after a training run in the window."),
         QStringLiteral("NAME")},
        {QStringLiteral("scale"), QStringLiteral("screenshot: 1 (default), 2 or 3 times the pixels (PNG)."), QStringLiteral("n")},
        {QStringLiteral("show"), QStringLiteral("screenshot: the whole window with this view in front (a --view name: gradients, spectrum, loss-curves …)."),
         QStringLiteral("NAME")},
        {QStringLiteral("presentation"), QStringLiteral("Start in presentation mode (larger fonts and lines).")},
    });
}

int fail(const QString &message, int status)
{
    std::fprintf(stderr, "rnnscope: %s\n", message.toLocal8Bit().constData());
    return status;
}

namespace {

std::string str(const QString &s)
{
    return s.toStdString();
}

} // namespace

long long integerOption(const QCommandLineParser &p, const QString &name, long long lo, long long hi,
                        long long fallback)
{
    if (!p.isSet(name))
        return fallback;
    bool ok = false;
    const QString text = p.value(name);
    const long long v = text.toLongLong(&ok);
    if (!ok)
        throw Error(ErrorKind::BadUsage, "--" + str(name) + " '" + str(text) + "' is not an integer");
    if (v < lo || v > hi)
        throw Error(ErrorKind::OutOfRange, "--" + str(name) + " " + str(text) + " is out of range: expected "
                                               + std::to_string(lo) + " … " + std::to_string(hi));
    return v;
}

namespace {


// The activation an option names (nullopt when the option is not given); a name it does not take
// is refused: "--activation 'softmax' <refusal>".
std::optional<Activation> activationOption(const QCommandLineParser &p, const QString &name, bool cell,
                                           const char *refusal)
{
    if (!p.isSet(name))
        return std::nullopt;
    const auto a = parseActivation(str(p.value(name)));
    if (!a || (cell && !isCellActivation(*a)))
        throw Error(ErrorKind::BadUsage, "--" + str(name) + " '" + str(p.value(name)) + "' " + refusal);
    return a;
}

} // namespace

ModelRequest modelRequest(const QCommandLineParser &p)
{
    ModelRequest r;
    if (p.isSet(QStringLiteral("dims"))) {
        r.dims = parseDims(str(p.value(QStringLiteral("dims"))));
        validateDims(*r.dims);
    }
    r.config.returnSequences = p.isSet(QStringLiteral("return-sequences"));
    if (r.config.returnSequences)
        r.returnSequences = true;
    if (const auto a = activationOption(p, QStringLiteral("activation"), true,
                                        "is not a cell activation: expected tanh, relu, sigmoid, linear, hard_sigmoid "
                                        "or hard_sigmoid_keras2")) {
        r.config.cell = *a;
        r.cell = *a;
    }
    if (const auto a = activationOption(p, QStringLiteral("recurrent-activation"), true,
                                        "is unknown: expected sigmoid, hard_sigmoid, hard_sigmoid_keras2, tanh, relu "
                                        "or linear")) {
        r.config.recurrent = *a;
        r.recurrent = *a;
    }
    if (p.isSet(QStringLiteral("cell"))) {
        const auto k = parseCellKind(str(p.value(QStringLiteral("cell"))));
        if (!k)
            throw Error(ErrorKind::BadUsage, "--cell '" + str(p.value(QStringLiteral("cell")))
                                                 + "' is unknown: expected simplernn, lstm or gru");
        r.config.kind = *k;
        r.kind = *k;
    }
    if (p.isSet(QStringLiteral("no-reset-after"))) {
        if (r.config.kind != CellKind::GRU && !p.isSet(QStringLiteral("weights")))
            throw Error(ErrorKind::BadUsage, std::string("--no-reset-after is a GRU's option, but the cell is ")
                                                 + cellName(r.config.kind) + ": add --cell gru");
        r.config.resetAfter = false;
        r.resetAfter = false;
    }
    if (const auto a = activationOption(p, QStringLiteral("dense-activation"), false,
                                        "is unknown: expected linear, relu, sigmoid, tanh or softmax")) {
        r.config.dense = *a;
        r.dense = *a;
    }
    if (p.isSet(QStringLiteral("dtype"))) {
        const QString d = p.value(QStringLiteral("dtype"));
        if (d == QLatin1String("float32"))
            r.config.dtype = DType::Float32;
        else if (d == QLatin1String("float64"))
            r.config.dtype = DType::Float64;
        else
            throw Error(ErrorKind::BadUsage, "--dtype '" + str(d) + "' is unknown: expected float32 or float64");
    }
    if (p.isSet(QStringLiteral("seed"))) {
        bool ok = false;
        const QString text = p.value(QStringLiteral("seed"));
        r.config.seed = text.toULongLong(&ok);
        if (!ok)
            throw Error(ErrorKind::BadUsage, "--seed '" + str(text) + "' is not a non-negative integer");
    }
    if (p.isSet(QStringLiteral("init"))) {
        const auto s = parseInitScheme(str(p.value(QStringLiteral("init"))));
        if (!s)
            throw Error(ErrorKind::BadUsage, "--init '" + str(p.value(QStringLiteral("init")))
                                                 + "' is unknown: expected keras, normal, uniform, identity or zeros");
        r.config.init.scheme = *s;
    }
    if (p.isSet(QStringLiteral("init-scale"))) {
        bool ok = false;
        const QString text = p.value(QStringLiteral("init-scale"));
        r.config.init.scale = text.toDouble(&ok);
        if (!ok || !(r.config.init.scale >= 0) || !std::isfinite(r.config.init.scale))
            throw Error(ErrorKind::BadUsage, "--init-scale '" + str(text) + "' is not a finite number ≥ 0");
    }
    r.weightsPath = str(p.value(QStringLiteral("weights")));
    r.layer = str(p.value(QStringLiteral("layer")));
    r.inputPath = str(p.value(QStringLiteral("input")));
    const int threads = static_cast<int>(integerOption(p, QStringLiteral("threads"), 1, 256, 1));
    setGemmThreads(threads);
    return r;
}

namespace {

void print(const std::string &text)
{
    std::fwrite(text.data(), 1, text.size(), stdout);
}

int summary(const QCommandLineParser &p)
{
    ModelRequest r = modelRequest(p);
    LoadedModel file;
    const Model model = buildModel(r, &file);
    const Dims &d = model.dims();
    print(summaryText(modelSummary(model.config())));
    print("Dims: N=" + std::to_string(d.N) + " T=" + std::to_string(d.T) + " D=" + std::to_string(d.D) + " M="
          + std::to_string(d.M) + " K=" + std::to_string(d.K) + ", " + dtypeName(model.config().dtype)
          + ", " + describeCell(model.config().cellSpec(), d.M)
          + (d.K > 0 ? std::string(", dense activation=") + activationName(model.config().dense) : std::string())
          + (r.weightsPath.empty() ? ", weights drawn from seed " + std::to_string(model.config().seed)
                                   : ", weights from " + r.weightsPath)
          + "\n");
    if (r.weightsPath.empty())
        return Ok;
    // What the weights file held: its format, the layers opened, and what was left out.
    print("Format: " + file.layoutDescription + "\n");
    if (!file.layerName.empty()) {
        std::string layers = std::string("Layers: ") + cellClassName(model.config().kind) + " '" + file.layerName
            + "' (activation " + activationName(model.config().cell) + ", return_sequences "
            + (model.config().returnSequences ? "true" : "false") + ")";
        if (!file.denseLayerName.empty())
            layers += " -> Dense '" + file.denseLayerName + "' (activation " + activationName(model.config().dense) + ")";
        print(layers + "\n");
    }
    for (const std::string &note : file.notes)
        print("Note: " + note + "\n");
    return Ok;
}

int trace(const QCommandLineParser &p)
{
    Model model = buildModel(modelRequest(p));
    const int n = static_cast<int>(integerOption(p, QStringLiteral("sample"), 0, DimLimits::maxN, 0));
    print(traceText(model, n));
    return Ok;
}

int forward(const QCommandLineParser &p)
{
    if (!p.isSet(QStringLiteral("out")))
        throw Error(ErrorKind::BadUsage, "forward needs --out Y.npy: where to write the output");
    Model model = buildModel(modelRequest(p));
    const DType dtype = model.config().dtype;
    const bool cellState = p.isSet(QStringLiteral("cell-state"));
    if (cellState && model.config().kind != CellKind::LSTM)
        throw Error(ErrorKind::BadUsage, std::string("--cell-state needs an LSTM (only an LSTM has a cell state c_t), "
                                                     "but the cell is ") + cellName(model.config().kind));
    writeNpy(str(p.value(QStringLiteral("out"))), model.prediction(), dtype);
    if (p.isSet(QStringLiteral("hidden")))
        writeNpy(str(p.value(QStringLiteral("hidden"))), model.hiddenStates(), dtype);
    if (cellState)
        writeNpy(str(p.value(QStringLiteral("cell-state"))), model.cellStates(), dtype);
    return Ok;
}

int save(const QCommandLineParser &p, const QStringList &positional)
{
    if (positional.size() < 2)
        throw Error(ErrorKind::BadUsage, "save needs the file to write: rnnscope save OUT.npz|OUT.json [MODEL OPTIONS]");
    const QString out = positional.at(1);
    Layout layout = Layout::Keras;
    if (p.isSet(QStringLiteral("layout"))) {
        const QString l = p.value(QStringLiteral("layout"));
        if (l == QLatin1String("pytorch"))
            layout = Layout::PyTorch;
        else if (l != QLatin1String("keras"))
            throw Error(ErrorKind::BadUsage, "--layout '" + str(l) + "' is unknown: expected keras or pytorch");
    }
    const bool session = out.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
    if (!session && !out.endsWith(QLatin1String(".npz"), Qt::CaseInsensitive))
        throw Error(ErrorKind::BadUsage, "save: '" + str(out) + "' has neither a .npz extension (the weights) "
                                             "nor .json (the whole session)");
    const Model model = buildModel(modelRequest(p));
    if (session) {
        // The model as the window would open on it: before the first step, sample 0.
        SessionData data;
        data.model = model.state();
        data.view.layout = layout;
        saveSession(str(out), data);
    } else {
        writeNpz(str(out), weightsToArrays(model.weights(), layout, model.config().dtype, model.config().cellSpec()),
                 model.config().dtype);
    }
    return Ok;
}

// --loss (mse when not given): "--loss 'hinge' is unknown: expected mse, mae, … or sparse_categorical_crossentropy".
Loss lossOption(const QCommandLineParser &p)
{
    if (!p.isSet(QStringLiteral("loss")))
        return Loss::MSE;
    const auto l = parseLoss(str(p.value(QStringLiteral("loss"))));
    if (!l)
        throw Error(ErrorKind::BadUsage, "--loss '" + str(p.value(QStringLiteral("loss"))) + "' is unknown: expected " + lossNames());
    return *l;
}

int grad(const QCommandLineParser &p)
{
    const char *usage = "rnnscope grad [MODEL OPTIONS] --target Y.npy --out G.npz [--dh DH.npy] [--jacobian J.npy --sample n] "
                        "[--loss NAME] [--json]";
    if (!p.isSet(QStringLiteral("target")) || !p.isSet(QStringLiteral("out")))
        throw Error(ErrorKind::BadUsage, std::string("grad needs --target and --out: ") + usage);
    const QString out = p.value(QStringLiteral("out"));
    if (!out.endsWith(QLatin1String(".npz"), Qt::CaseInsensitive))
        throw Error(ErrorKind::BadUsage, "grad: --out '" + str(out) + "' is not an .npz file (the gradients of every weight, as save writes them)");
    if (p.isSet(QStringLiteral("layout")) && p.value(QStringLiteral("layout")) != QLatin1String("keras"))
        throw Error(ErrorKind::BadUsage, "grad: --layout '" + str(p.value(QStringLiteral("layout")))
                                             + "' is not offered: the gradients are written in Keras's layout (arr_0…, as save writes them)");
    const Loss loss = lossOption(p);
    const Model model = buildModel(modelRequest(p));
    const NdArray target = readNpy(str(p.value(QStringLiteral("target"))));
    const Gradients g = backprop(model, target, loss);
    const DType dtype = model.config().dtype;
    writeNpz(str(out), weightsToArrays(g.dW, Layout::Keras, dtype, model.config().cellSpec()), dtype);
    if (p.isSet(QStringLiteral("dh")))
        writeNpy(str(p.value(QStringLiteral("dh"))), dhArray(g), dtype);
    if (p.isSet(QStringLiteral("jacobian"))) {
        const int n = static_cast<int>(integerOption(p, QStringLiteral("sample"), 0, model.dims().N - 1, 0));
        const std::vector<double> norms = stateJacobianNorms(model, n);
        NdArray J;
        J.shape = {static_cast<std::int64_t>(norms.size())};
        J.dtype = DType::Float64;
        J.values = norms;
        writeNpy(str(p.value(QStringLiteral("jacobian"))), J, dtype);
    } else if (p.isSet(QStringLiteral("sample"))) {
        throw Error(ErrorKind::BadUsage, std::string("--sample picks the sample of --jacobian, which is not given: ") + usage);
    }
    char buf[256];
    if (p.isSet(QStringLiteral("json")))
        std::snprintf(buf, sizeof buf, "{\"loss\":%.17g,\"loss_name\":\"%s\",\"cell\":\"%s\",\"dtype\":\"%s\"}\n", g.loss,
                      lossName(loss), cellName(model.config().kind), dtypeName(dtype));
    else
        std::snprintf(buf, sizeof buf, "loss (%s): %.9g\n", lossName(loss), g.loss);
    print(buf);
    return Ok;
}

// A positive number option (nullopt when not given): "--lr '-1' is not a positive number".
std::optional<double> positiveOption(const QCommandLineParser &p, const QString &name, bool zeroAllowed = false)
{
    if (!p.isSet(name))
        return std::nullopt;
    bool ok = false;
    const double v = p.value(name).toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < 0 || (v == 0 && !zeroAllowed))
        throw Error(ErrorKind::BadUsage, "--" + str(name) + " '" + str(p.value(name)) + "' is not " + (zeroAllowed ? "a number ≥ 0" : "a positive number"));
    return v;
}

int train(const QCommandLineParser &p)
{
    const char *usage = "rnnscope train [MODEL OPTIONS] (--task NAME | --target Y.npy) --optimizer sgd|adam|rmsprop (--steps S | --epochs E) "
                        "--out W.npz [--save-state STATE.npz] [--resume STATE.npz] [--json]";
    const bool task = p.isSet(QStringLiteral("task")), data = p.isSet(QStringLiteral("target"));
    if (task == data)
        throw Error(ErrorKind::BadUsage, std::string("train needs either --task or --target: ") + usage);
    if (!p.isSet(QStringLiteral("out")) || !p.value(QStringLiteral("out")).endsWith(QLatin1String(".npz"), Qt::CaseInsensitive))
        throw Error(ErrorKind::BadUsage, std::string("train needs --out W.npz (the trained weights, as save writes them): ") + usage);
    TrainSpec spec;
    if (!p.isSet(QStringLiteral("optimizer")))
        throw Error(ErrorKind::BadUsage, std::string("train needs --optimizer sgd, adam or rmsprop: ") + usage);
    const auto kind = parseOptimizer(str(p.value(QStringLiteral("optimizer"))));
    if (!kind)
        throw Error(ErrorKind::BadUsage, "--optimizer '" + str(p.value(QStringLiteral("optimizer"))) + "' is unknown: expected sgd, adam or rmsprop");
    spec.optimizer.kind = *kind;
    spec.optimizer.learningRate = positiveOption(p, QStringLiteral("lr"));
    spec.optimizer.momentum = positiveOption(p, QStringLiteral("momentum"), true).value_or(0);
    spec.optimizer.nesterov = p.isSet(QStringLiteral("nesterov"));
    if (*kind != OptimizerKind::SGD && (p.isSet(QStringLiteral("momentum")) || spec.optimizer.nesterov))
        throw Error(ErrorKind::BadUsage, std::string("--momentum and --nesterov are SGD's, but the optimizer is ") + optimizerName(*kind));
    spec.optimizer.clipnorm = positiveOption(p, QStringLiteral("clipnorm"));
    spec.optimizer.globalClipnorm = positiveOption(p, QStringLiteral("global-clipnorm"));
    spec.optimizer.clipvalue = positiveOption(p, QStringLiteral("clipvalue"));
    spec.loss = lossOption(p);
    spec.shuffle = p.isSet(QStringLiteral("shuffle"));
    spec.validationSplit = positiveOption(p, QStringLiteral("validation-split"), true).value_or(0);
    const bool steps = p.isSet(QStringLiteral("steps")), epochs = p.isSet(QStringLiteral("epochs"));
    if (steps == epochs)
        throw Error(ErrorKind::BadUsage, std::string("train needs either --steps or --epochs: ") + usage);
    if (task && epochs)
        throw Error(ErrorKind::BadUsage, "--epochs counts passes over your data, but a task draws fresh samples every step: give --steps");
    if (task && (spec.shuffle || p.isSet(QStringLiteral("validation-split"))))
        throw Error(ErrorKind::BadUsage, "--shuffle and --validation-split are for your data (--target); a task draws fresh samples and holds out 256 of its own");

    ModelRequest request = modelRequest(p);
    spec.seed = request.config.seed;
    std::optional<Trainer> trainer;
    if (task) {
        const auto t = parseTask(str(p.value(QStringLiteral("task"))));
        if (!t)
            throw Error(ErrorKind::BadUsage, "--task '" + str(p.value(QStringLiteral("task"))) + "' is unknown: expected " + taskNames());
        const TaskShape shape = taskShape(*t);
        if (!p.isSet(QStringLiteral("loss")))
            spec.loss = shape.loss;
        Dims d = request.dims.value_or(request.config.dims);
        if (request.dims && (d.D != shape.D || d.K != shape.K))
            throw Error(ErrorKind::BadUsage, "--dims gives D=" + std::to_string(d.D) + " and K=" + std::to_string(d.K) + ", but the task "
                                                 + taskName(*t) + " needs D=" + std::to_string(shape.D) + " and K=" + std::to_string(shape.K));
        if (request.returnSequences && !shape.returnSequences)
            throw Error(ErrorKind::BadUsage, std::string("--return-sequences contradicts the task ") + taskName(*t) + ", which answers at the last step");
        // A task's batch: --batch-size, else the N of --dims, else 64.
        spec.batchSize = int(integerOption(p, QStringLiteral("batch-size"), 1, 1 << 20, request.dims ? d.N : 64));
        d.D = shape.D;
        d.K = shape.K;
        d.N = spec.batchSize;
        request.dims = d;
        request.config.returnSequences = shape.returnSequences;
        request.returnSequences = shape.returnSequences;
        request.config.dense = shape.dense;
        request.dense = shape.dense;
        const Model model = buildModel(request);
        trainer.emplace(model.config(), model.weights(), *t, spec);
    } else {
        spec.batchSize = int(integerOption(p, QStringLiteral("batch-size"), 1, 1 << 30, 0));
        const Model model = buildModel(request);
        trainer.emplace(model.config(), model.weights(), model.inputArray(), readNpy(str(p.value(QStringLiteral("target")))), spec);
    }
    if (p.isSet(QStringLiteral("resume")))
        trainer->resume(readNpz(str(p.value(QStringLiteral("resume")))));
    const long long total = steps ? integerOption(p, QStringLiteral("steps"), 1, 100000000, 1)
                                  : integerOption(p, QStringLiteral("epochs"), 1, 1000000, 1) * trainer->stepsPerEpoch();
    // The trained weights as save writes them (also those of before a step that explodes).
    const auto writeWeights = [&] {
        writeNpz(str(p.value(QStringLiteral("out"))),
                 weightsToArrays(trainer->weights(), Layout::Keras, trainer->config().dtype, trainer->config().cellSpec()),
                 trainer->config().dtype);
        if (p.isSet(QStringLiteral("save-state")))
            writeNpz(str(p.value(QStringLiteral("save-state"))), trainer->state(), DType::Float64);
    };
    const bool json = p.isSet(QStringLiteral("json"));
    const auto started = std::chrono::steady_clock::now();
    char buf[512];
    double epochSum = 0;
    int epochSteps = 0;
    for (long long s = 0; s < total; ++s) {
        const StepResult r = trainer->step();
        if (trainer->exploded()) {
            writeWeights();
            char loss[32];
            std::snprintf(loss, sizeof loss, "%.4g", r.loss);
            const std::string what = std::isfinite(r.loss) ? std::string("its update overflows the weights (loss ") + loss + ")"
                                                           : std::string("the loss is ") + (std::isnan(r.loss) ? "nan" : "inf");
            throw Error(ErrorKind::OutOfRange, "training exploded at step " + std::to_string(r.step) + ": " + what
                                                   + "; --out holds the weights of before it (lower --lr, or clip with --clipnorm)");
        }
        epochSum += r.loss;
        ++epochSteps;
        if (json) {
            std::snprintf(buf, sizeof buf, "{\"step\":%lld,\"loss\":%.9g}\n", r.step, r.loss);
            print(buf);
        }
        const bool report = trainer->epochEnded() || (task && (r.step % 25 == 0 || s + 1 == total));
        if (!report)
            continue;
        const std::optional<double> val = trainer->validationLoss();
        const double mean = epochSum / epochSteps;
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (json && trainer->epochEnded())
            std::snprintf(buf, sizeof buf, val ? "{\"epoch\":%d,\"loss\":%.9g,\"val_loss\":%.9g}\n" : "{\"epoch\":%d,\"loss\":%.9g}\n",
                          trainer->epochs(), mean, val.value_or(0));
        else if (json)
            std::snprintf(buf, sizeof buf, "{\"step\":%lld,\"val_loss\":%.9g,\"seconds\":%.3f}\n", r.step, *val, seconds);
        else if (trainer->epochEnded())
            std::snprintf(buf, sizeof buf, val ? "epoch %d/%lld - loss: %.4g - val_loss: %.4g\n" : "epoch %d/%lld - loss: %.4g\n", trainer->epochs(),
                          total / std::max(1, trainer->stepsPerEpoch()), mean, val.value_or(0));
        else
            std::snprintf(buf, sizeof buf, "step %lld/%lld - loss: %.4g - val_loss: %.4g - %.1f s\n", r.step, total, mean, *val, seconds);
        print(buf);
        epochSum = 0;
        epochSteps = 0;
    }
    writeWeights();
    return Ok;
}

int exportCodeCommand(const QCommandLineParser &p, const QStringList &positional)
{
    const char *usage = "rnnscope export-code --to numpy|keras|pytorch OUT.py [MODEL OPTIONS]";
    if (positional.size() < 2)
        throw Error(ErrorKind::BadUsage, std::string("export-code needs the script to write: ") + usage);
    if (!p.isSet(QStringLiteral("to")))
        throw Error(ErrorKind::BadUsage, std::string("export-code needs --to numpy, keras or pytorch: ") + usage);
    const auto target = parseCodeTarget(str(p.value(QStringLiteral("to"))));
    if (!target)
        throw Error(ErrorKind::BadUsage, "--to '" + str(p.value(QStringLiteral("to"))) + "' is unknown: expected numpy, keras or pytorch");
    const QString out = positional.at(1);
    if (!out.endsWith(QLatin1String(".py")))
        throw Error(ErrorKind::BadUsage, "export-code: '" + str(out) + "' is not a Python file: expected a name ending in .py");
    const Model model = buildModel(modelRequest(p));
    const ExportedCode code = exportCode(model, *target, str(out));
    // The numbers of a large model go beside the script first: a script never points to a file
    // that is not there.
    if (!code.dataFile.empty())
        writeNpz(str(QFileInfo(out).dir().filePath(QString::fromStdString(code.dataFile))), code.data, model.config().dtype);
    writeFileAtomically(str(out), code.script);
    return Ok;
}

// 2·N·T·g·(D·M + M·M) + 2·N·M·K (·T with return_sequences), g the cell's gate blocks.
double flopCount(const Dims &d, bool sequences, int gates)
{
    const double N = d.N, T = d.T, D = d.D, M = d.M, K = d.K;
    return 2 * N * T * gates * (D * M + M * M) + 2 * N * M * K * (sequences ? T : 1);
}

// `step` run `warmup` times, then timed `repeat` times: the seconds of each timed run.
template <typename F>
std::vector<double> timeRuns(F &&step, int warmup, int repeat)
{
    for (int i = 0; i < warmup; ++i)
        step();
    std::vector<double> seconds;
    for (int i = 0; i < repeat; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        step();
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return seconds;
}

template <typename S>
std::vector<double> timeForward(const Model &model, int warmup, int repeat)
{
    Engine<S> e;
    e.setSpec(NetworkSpec{model.dims(), model.config().returnSequences, model.config().cellSpec(), model.config().dense});
    e.setWeights(model.weights());
    e.setInput(model.input());
    return timeRuns([&] { e.forward(); }, warmup, repeat);
}

// One training step of the whole batch (Trainer::step: forward, backward, update) timed `repeat`
// times after `warmup`; the target is zeros of the output's shape (the speed does not depend on it).
std::vector<double> timeTrainingStep(const Model &model, OptimizerKind optimizer, int warmup, int repeat)
{
    const Dims &d = model.dims();
    NdArray Y;
    Y.dtype = DType::Float64;
    Y.shape = model.config().returnSequences ? std::vector<std::int64_t>{d.N, d.T, d.K > 0 ? d.K : d.M}
                                             : std::vector<std::int64_t>{d.N, d.K > 0 ? d.K : d.M};
    Y.values.assign(Y.size(), 0.0);
    TrainSpec spec;
    spec.optimizer.kind = optimizer;
    spec.batchSize = 0;
    Trainer trainer(model.config(), model.weights(), model.inputArray(), Y, spec);
    return timeRuns([&] { trainer.step(); }, warmup, repeat);
}

int bench(const QCommandLineParser &p)
{
    const Model model = buildModel(modelRequest(p));
    const int repeat = static_cast<int>(integerOption(p, QStringLiteral("repeat"), 1, 1000000, 20));
    const bool f32 = model.config().dtype == DType::Float32;
    const bool train = p.isSet(QStringLiteral("train"));
    OptimizerKind optimizer = OptimizerKind::Adam;
    if (p.isSet(QStringLiteral("optimizer"))) {
        const auto k = parseOptimizer(str(p.value(QStringLiteral("optimizer"))));
        if (!k || !train)
            throw Error(ErrorKind::BadUsage, "--optimizer '" + str(p.value(QStringLiteral("optimizer")))
                                                 + (train ? "' is unknown: expected sgd, adam or rmsprop" : "' is for bench --train"));
        optimizer = *k;
    }
    std::vector<double> s = train ? timeTrainingStep(model, optimizer, 2, repeat)
                            : f32 ? timeForward<float>(model, 2, repeat)
                                  : timeForward<double>(model, 2, repeat);
    std::sort(s.begin(), s.end());
    const double median = s.size() % 2 ? s[s.size() / 2] : (s[s.size() / 2 - 1] + s[s.size() / 2]) / 2;
    const Dims &d = model.dims();
    const double gflops = flopCount(d, model.config().returnSequences, model.config().cellSpec().gates()) / median / 1e9;
    char buf[1024];
    if (p.isSet(QStringLiteral("json"))) {
        std::snprintf(buf, sizeof buf,
                      "{\"dims\":[%d,%d,%d,%d,%d],\"cell\":\"%s\",\"dtype\":\"%s\",\"repeat\":%d,\"seconds_median\":%.9g,"
                      "\"gflops\":%.6g,\"threads\":%d,\"backend\":\"%s\"%s%s%s}\n",
                      d.N, d.T, d.D, d.M, d.K, cellName(model.config().kind), dtypeName(model.config().dtype), repeat, median, gflops,
                      gemmThreads(), gemmBackend(), train ? ",\"train\":true,\"optimizer\":\"" : "", train ? optimizerName(optimizer) : "",
                      train ? "\"" : "");
    } else {
        std::snprintf(buf, sizeof buf,
                      "%s, %s, dims %s, %s, %d thread(s): median %.6g ms over %d runs (min %.6g ms), %.3f GFLOP/s\n"
                      "products: %s\n",
                      train ? (std::string("training step (") + optimizerName(optimizer) + ")").c_str() : "forward pass",
                      cellClassName(model.config().kind), dimsString(d).c_str(), dtypeName(model.config().dtype), gemmThreads(), median * 1e3,
                      repeat, s.front() * 1e3, gflops, gemmBackend());
    }
    print(buf);
    return Ok;
}

} // namespace

int runHeadless(const QCommandLineParser &p, const QStringList &positional)
{
    const QString command = positional.at(0);
    const auto extra = [&](int allowed) {
        if (positional.size() > allowed)
            throw Error(ErrorKind::BadUsage, "'" + str(command) + "' takes no argument '" + str(positional.at(allowed)) + "'");
    };
    try {
        if (command == QLatin1String("summary")) {
            extra(1);
            return summary(p);
        }
        if (command == QLatin1String("trace")) {
            extra(1);
            return trace(p);
        }
        if (command == QLatin1String("forward")) {
            extra(1);
            return forward(p);
        }
        if (command == QLatin1String("save")) {
            extra(2);
            return save(p, positional);
        }
        if (command == QLatin1String("grad")) {
            extra(1);
            return grad(p);
        }
        if (command == QLatin1String("train")) {
            extra(1);
            return train(p);
        }
        if (command == QLatin1String("export-code")) {
            extra(2);
            return exportCodeCommand(p, positional);
        }
        if (command == QLatin1String("bench")) {
            extra(1);
            return bench(p);
        }
        return fail(QStringLiteral("unknown command '%1'").arg(command));
    } catch (const Error &e) {
        return fail(QString::fromStdString(e.what()), BadInput);
    } catch (const std::bad_alloc &) {
        return fail(QStringLiteral("out of memory"), Internal);
    } catch (const std::exception &e) {
        return fail(QStringLiteral("internal error: %1").arg(QString::fromLocal8Bit(e.what())), Internal);
    }
}

} // namespace cli
