#include "train/task.h"

#include "common/error.h"
#include "common/random.h"

#include <cmath>

namespace rnnscope {

const char *taskName(TaskKind k)
{
    switch (k) {
    case TaskKind::Sine: return "sine";
    case TaskKind::Echo: return "echo";
    case TaskKind::Parity: return "parity";
    case TaskKind::Adding: return "adding";
    case TaskKind::Copy: return "copy";
    }
    return "?";
}

std::vector<TaskKind> allTasks()
{
    return {TaskKind::Sine, TaskKind::Echo, TaskKind::Parity, TaskKind::Adding, TaskKind::Copy};
}

std::string taskNames()
{
    const std::vector<TaskKind> all = allTasks();
    std::string out;
    for (std::size_t i = 0; i < all.size(); ++i)
        out += (i == 0 ? "" : i + 1 == all.size() ? " or " : ", ") + std::string(taskName(all[i]));
    return out;
}

std::optional<TaskKind> parseTask(const std::string &name)
{
    for (TaskKind k : allTasks())
        if (name == taskName(k))
            return k;
    return std::nullopt;
}

TaskShape taskShape(TaskKind k)
{
    switch (k) {
    case TaskKind::Sine: return {1, 1, true, Activation::Linear, "sine next-step: x_t = sin(0.25t + φ), predict x_{t+1}"};
    case TaskKind::Echo: return {1, 1, true, Activation::Sigmoid, "echo: random bits, y_t = x_{t-3}"};
    case TaskKind::Parity: return {1, 1, true, Activation::Sigmoid, "running parity: random bits, y_t = x_0 xor ... xor x_t"};
    case TaskKind::Adding:
        return {2, 1, false, Activation::Linear, "adding problem: values U[0,1] and two markers, y = the sum of the marked values"};
    case TaskKind::Copy:
        return {kCopySymbols + 1, kCopySymbols + 1, true, Activation::Softmax,
                "copy after a delay: 3 of 8 symbols, a delay, a delimiter; y = the 3 symbols at the last 3 steps, blank before",
                Loss::CategoricalCrossentropy, 2 * kCopyLength + 1};
    }
    return {};
}

Batch drawBatch(TaskKind k, int N, int T, std::uint64_t seed)
{
    const TaskShape s = taskShape(k);
    if (T < s.minT)
        throw Error(ErrorKind::OutOfRange, std::string("the task ") + taskName(k) + " needs T ≥ " + std::to_string(s.minT) + ", but T = "
                                               + std::to_string(T));
    Batch b;
    b.X.shape = {N, T, s.D};
    b.X.dtype = DType::Float64;
    b.X.values.assign(std::size_t(N) * T * s.D, 0.0);
    b.Y.shape = s.returnSequences ? std::vector<std::int64_t>{N, T, s.K} : std::vector<std::int64_t>{N, s.K};
    b.Y.dtype = DType::Float64;
    b.Y.values.assign(std::size_t(N) * (s.returnSequences ? T : 1) * s.K, 0.0);
    const auto x = [&](int n, int t, int d) -> double & { return b.X.values[(std::size_t(n) * T + t) * s.D + d]; };
    const auto y = [&](int n, int t) -> double & { return b.Y.values[std::size_t(n) * T + t]; };
    for (int n = 0; n < N; ++n) {
        Rng rng(seed, Stream::Task, std::uint64_t(n)); // each sample from its own substream
        switch (k) {
        case TaskKind::Sine: {
            const double phase = rng.uniform(0, 2 * M_PI);
            for (int t = 0; t < T; ++t) {
                x(n, t, 0) = std::sin(0.25 * t + phase);
                y(n, t) = std::sin(0.25 * (t + 1) + phase);
            }
            break;
        }
        case TaskKind::Echo:
        case TaskKind::Parity: {
            int parity = 0;
            for (int t = 0; t < T; ++t) {
                const int bit = rng.uniform01() < 0.5 ? 0 : 1;
                x(n, t, 0) = bit;
                parity ^= bit;
                y(n, t) = k == TaskKind::Parity ? parity : (t >= 3 ? x(n, t - 3, 0) : 0.0);
            }
            break;
        }
        case TaskKind::Adding: {
            for (int t = 0; t < T; ++t)
                x(n, t, 0) = rng.uniform01();
            // One marker in each half (the same step twice when T = 1).
            const int half = std::max(1, T / 2);
            const int first = std::min(T - 1, int(rng.uniform01() * half));
            const int second = std::min(T - 1, half + int(rng.uniform01() * std::max(1, T - half)));
            x(n, first, 1) = 1;
            x(n, second, 1) = 1;
            b.Y.values[std::size_t(n)] = x(n, first, 0) + (second != first ? x(n, second, 0) : 0.0);
            break;
        }
        case TaskKind::Copy: {
            const int answer = T - kCopyLength, blank = kCopySymbols;
            const auto target = [&](int t, int cls) { b.Y.values[(std::size_t(n) * T + t) * s.K + cls] = 1; };
            for (int t = 0; t < answer; ++t)
                target(t, blank);
            for (int i = 0; i < kCopyLength; ++i) {
                const int symbol = std::min(kCopySymbols - 1, int(rng.uniform01() * kCopySymbols));
                x(n, i, symbol) = 1;
                target(answer + i, symbol);
            }
            x(n, answer - 1, blank) = 1; // the delimiter: answer now
            break;
        }
        }
    }
    return b;
}

} // namespace rnnscope
