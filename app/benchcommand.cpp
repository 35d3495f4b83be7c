// bench: the median of R timed forward passes (Engine) or training steps (Trainer) after two
// warm-up runs, with the GFLOP/s of the forward products.

#include "benchcommand.h"

#include "cli.h"

#include "common/error.h"
#include "common/gemm.h"
#include "io/modelrequest.h"
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
    Y.shape = outputShape(model.config());
    Y.values.assign(Y.size(), 0.0);
    TrainSpec spec;
    spec.optimizer.kind = optimizer;
    spec.batchSize = 0;
    Trainer trainer(model.config(), model.weights(), model.inputArray(), Y, spec);
    return timeRuns([&] { trainer.step(); }, warmup, repeat);
}

} // namespace

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

} // namespace cli
