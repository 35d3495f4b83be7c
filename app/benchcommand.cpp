// bench: the median of R timed forward passes (Engine) or training steps (Trainer) after two
// warm-up runs, with the GFLOP/s of the forward products.

#include "benchcommand.h"

#include "cli.h"

#include "common/error.h"
#include "common/gemm.h"
#include "io/modelrequest.h"
#include "networkcommands.h"
#include "nn/engine.h"
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace rnnscope;

namespace cli {

namespace {

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
    NdArray Y;
    Y.dtype = DType::Float64;
    Y.shape = outputShape(model.config());
    Y.values.assign(Y.size(), 0.0);
    TrainSpec spec;
    spec.optimizer.kind = optimizer;
    spec.batchSize = 0;
    Trainer trainer(model.config(), model.weights(), model.inputArray(), Y, spec);
    return timeRuns([&] { trainer.step(); }, warmup, repeat);
}

// 2·N·T·g·(D_l·M_l + M_l·M_l) for every direction of every layer, + the Dense's 2·N·W·K (·T on a
// sequence), W the top layer's width.
double flopCount(const NetworkConfig &c)
{
    const double N = c.N, T = c.T, K = c.K;
    double flops = 2 * N * c.topWidth() * K * (c.top().returnSequences ? T : 1);
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
        const double D = c.inputWidth(l), M = layer.units;
        flops += layer.directions() * 2 * N * T * layer.cell.gates() * (D * M + M * M);
    }
    return flops;
}

double median(std::vector<double> s)
{
    std::sort(s.begin(), s.end());
    return s.size() % 2 ? s[s.size() / 2] : (s[s.size() / 2 - 1] + s[s.size() / 2]) / 2;
}

// bench of a stack: the network's forward pass (every layer, the Dense).
int benchNetwork(const QCommandLineParser &p)
{
    if (p.isSet(QStringLiteral("train")) || p.isSet(QStringLiteral("ui")))
        throw Error(ErrorKind::Unsupported, "bench --train and --ui work on one recurrent layer: a stack is timed forward only");
    Network net = buildNetwork(networkRequest(p));
    const int repeat = static_cast<int>(integerOption(p, QStringLiteral("repeat"), 1, 1000000, 20));
    const std::vector<double> s = timeRuns([&] { net.recompute(); net.computeAll(); }, 2, repeat);
    const double med = median(s);
    const NetworkConfig &c = net.config();
    const double gflops = flopCount(c) / med / 1e9;
    std::vector<int> units;
    for (const LayerSpec &l : c.layers)
        units.push_back(l.units);
    const std::string dims = stackDimsText(StackDims{c.N, c.T, c.D, c.K, units});
    // Printed with a format per number, the stack's text as it is (any length).
    char numbers[512];
    if (p.isSet(QStringLiteral("json"))) {
        std::snprintf(numbers, sizeof numbers, "\"repeat\":%d,\"seconds_median\":%.9g,\"gflops\":%.6g,\"threads\":%d,", repeat, med,
                      gflops, gemmThreads());
        print("{\"dims\":\"" + dims + "\",\"stack\":\"" + stackText(c.layers, c.vocabulary) + "\",\"dtype\":\"" + dtypeName(c.dtype) + "\"," +
              numbers + "\"backend\":\"" + gemmBackend() + "\"}\n");
        return Ok;
    }
    std::snprintf(numbers, sizeof numbers, "%d thread(s): median %.6g ms over %d runs (min %.6g ms), %.3f GFLOP/s", gemmThreads(),
                  med * 1e3, repeat, *std::min_element(s.begin(), s.end()) * 1e3, gflops);
    print("forward pass, " + stackText(c.layers, c.vocabulary) + ", dims " + dims + ", " + dtypeName(c.dtype) + ", " + numbers + "\nproducts: " +
          gemmBackend() + "\n");
    return Ok;
}

} // namespace

int bench(const QCommandLineParser &p)
{
    if (wantsNetwork(p))
        return benchNetwork(p);
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
    const double median = cli::median(s);
    const Dims &d = model.dims();
    const double gflops = flopCount(networkConfigOf(model.config())) / median / 1e9;
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

} // namespace cli
