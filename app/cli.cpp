// The command line: every option rnnscope accepts, the model options turned into a ModelRequest,
// the commands that look at or write a model (summary, trace, forward, save, export-code) and
// the dispatcher of the headless commands. grad and train live in learncommands.cpp, bench in
// benchcommand.cpp.

#include "cli.h"

#include "benchcommand.h"
#include "learncommands.h"
#include "networkcommands.h"

#include "common/error.h"
#include "common/gemm.h"
#include "export/codeexport.h"
#include "io/file.h"
#include "io/npy.h"
#include "io/sessionfile.h"
#include "run/summary.h"

#include <QDir>
#include <QFileInfo>

#include <cmath>
#include <cstdio>

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
        {QStringLiteral("dims"), QStringLiteral("Dimensions N,T,D,M,K (default 1,10,3,5,2; K=0: no Dense layer); a stack's "
                                                "units bottom up: N,T,D,[M1,M2,…],K."),
         QStringLiteral("N,T,D,M,K")},
        {QStringLiteral("stack"), QStringLiteral("The recurrent layers bottom up, separated by commas, each its cell, units and flags: "
                                                 "seq (return_sequences), back (go_backwards), bi or bi=sum|mul|ave|concat "
                                                 "(Bidirectional), act=NAME, rec=NAME, reset_after=false; "
                                                 "e.g. \"lstm 64 seq, bi gru 32\"."),
         QStringLiteral("LAYERS")},
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
                                                 "optimizer's update; --optimizer, default adam; mse against zeros). bench --ui --train: "
                                                 "a training run in the window (--task, default adding; --steps, default 1000), its "
                                                 "steps and refreshes per second and the longest wait of the window.")},
        {QStringLiteral("long-work"), QStringLiteral("bench --ui: time the long work of a large model (new input, End, an edit at the end) and how long the window waited.")},
        {QStringLiteral("step"), QStringLiteral("screenshot: the timestep on show (default: the last)."), QStringLiteral("t")},
        {QStringLiteral("size"), QStringLiteral("screenshot, animate: window size (default 1600x900)."), QStringLiteral("WxH")},
        {QStringLiteral("view"),
         QStringLiteral("screenshot: one view instead of the window: diagram, step-panel, Wx, Wh, bh, Wo, bo, input, "
                        "all-units, hidden-chart, gate-chart, output-chart, summary, gradients, spectrum, loss-curves (OUT.svg: vector); "
                        "with --task, --steps S: after a training run in the window. animate: the view to animate."),
         QStringLiteral("NAME")},
        {QStringLiteral("scale"), QStringLiteral("screenshot, animate: 1 (default), 2 or 3 times the pixels (PNG, GIF)."), QStringLiteral("n")},
        {QStringLiteral("fps"), QStringLiteral("animate: frames (timesteps) per second, 0.5 to 50 (default 4, the window's playback speed)."),
         QStringLiteral("f")},
        {QStringLiteral("show"), QStringLiteral("screenshot: the whole window with this view in front (a --view name: gradients, spectrum, loss-curves …)."),
         QStringLiteral("NAME")},
        {QStringLiteral("presentation"), QStringLiteral("Start in presentation mode (larger fonts and lines).")},
        {QStringLiteral("lesson"), QStringLiteral("Start a lesson: a built-in one by name (rnn-shapes, timesteps-vs-features, inside-lstm, "
                                                  "stacking-return-sequences, gru-reset-after, vanishing-gradients) or a .lesson file."),
         QStringLiteral("NAME|FILE")},
        {QStringLiteral("lesson-step"), QStringLiteral("screenshot: the lesson's step on show (1, 2, …)."), QStringLiteral("k")},
    });
}

int fail(const QString &message, int status)
{
    std::fprintf(stderr, "rnnscope: %s\n", message.toLocal8Bit().constData());
    return status;
}

std::string str(const QString &s)
{
    return s.toStdString();
}

void print(const std::string &text)
{
    std::fwrite(text.data(), 1, text.size(), stdout);
}

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
    if (p.isSet(QStringLiteral("dims")) && !p.value(QStringLiteral("dims")).contains(QLatin1Char('['))) {
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

int exportCodeCommand(const QCommandLineParser &p, const QStringList &positional, const NetworkFile &file)
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
    DType dtype = DType::Float32;
    ExportedCode code;
    if (wantsNetwork(p) || file) {
        const Network network = buildNetwork(networkRequest(p, file));
        dtype = network.config().dtype;
        code = exportCode(network, *target, str(out));
    } else {
        const Model model = buildModel(modelRequest(p));
        dtype = model.config().dtype;
        code = exportCode(model, *target, str(out));
    }
    // The numbers of a large model go beside the script first: a script never points to a file
    // that is not there.
    if (!code.dataFile.empty())
        writeNpz(str(QFileInfo(out).dir().filePath(QString::fromStdString(code.dataFile))), code.data, dtype);
    writeFileAtomically(str(out), code.script);
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
        if (wantsNetwork(p) && !computesNetworks(command))
            throw Error(ErrorKind::Unsupported, "'" + str(command) + "' works on one recurrent layer: rnnscope computes a stack "
                                                "of layers (--stack, --dims with [M1,M2,…]) in summary, trace, forward, save, bench and "
                                                "export-code, for now");
        // A --weights file that holds a network opens whole (without --layer).
        const NetworkFile file = wantsNetwork(p) ? nullptr : networkInFile(p, command);
        const bool network = wantsNetwork(p) || file;
        if (command == QLatin1String("summary")) {
            extra(1);
            return network ? networkSummary(p, file) : summary(p);
        }
        if (command == QLatin1String("trace")) {
            extra(1);
            return network ? networkTrace(p, file) : trace(p);
        }
        if (command == QLatin1String("forward")) {
            extra(1);
            return network ? networkForward(p, file) : forward(p);
        }
        if (command == QLatin1String("save")) {
            extra(2);
            if (network) {
                if (positional.size() < 2)
                    throw Error(ErrorKind::BadUsage, "save needs the file to write: rnnscope save OUT.npz [MODEL OPTIONS]");
                return networkSave(p, positional, file);
            }
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
            return exportCodeCommand(p, positional, file);
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