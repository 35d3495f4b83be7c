// grad and train: the options of the loss and the optimizer, the gradients written as save writes
// the weights, and the training loop with its Keras-style or JSON progress.

#include "learncommands.h"

#include "cli.h"

#include "common/error.h"
#include "grad/bptt.h"
#include "grad/dynamics.h"
#include "io/modelrequest.h"
#include "io/npy.h"
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

using namespace rnnscope;

namespace cli {

namespace {

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

} // namespace

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

namespace {

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

} // namespace

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

} // namespace cli
