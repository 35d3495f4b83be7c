#pragma once
// rnnscope::Task — the toy sequence tasks a course trains on, each fixing its shapes (D, K,
// return_sequences, the Dense activation), drawn from a seed so that a run can be repeated:
//
//   sine     x_t = sin(0.25·t + φ), φ ~ U[0, 2π)              y_t = x_{t+1}          D 1, K 1, every step
//   echo     x_t ~ bits                                        y_t = x_{t−3} (0 before) D 1, K 1 sigmoid, every step
//   parity   x_t ~ bits                                        y_t = x_0 ⊕ … ⊕ x_t   D 1, K 1 sigmoid, every step
//   adding   x_t = (v_t ~ U[0, 1], a marker: 1 at one step of each half, else 0)
//                                                              y = the sum of the two marked v   D 2, K 1, at the end
//
// (the adding problem of Hochreiter & Schmidhuber; predicting its mean, 1, has MSE Var = 1/6 ≈ 0.167:
// the loss a cell that does not carry information across T steps stays near).

#include "common/ndarray.h"
#include "common/activation.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

enum class TaskKind { Sine, Echo, Parity, Adding };
const char *taskName(TaskKind k); // "sine", "echo", "parity", "adding"
std::optional<TaskKind> parseTask(const std::string &name);
std::vector<TaskKind> allTasks();

struct TaskShape {
    int D = 1, K = 1;
    bool returnSequences = true;
    Activation dense = Activation::Linear;
    std::string description; // one line for help and messages
};
TaskShape taskShape(TaskKind k);

// N samples of T steps: X (N, T, D) and the targets (N, T, K) or (N, K), from `seed` (the same seed,
// the same batch).
struct Batch {
    NdArray X, Y;
};
Batch drawBatch(TaskKind k, int N, int T, std::uint64_t seed);

} // namespace rnnscope
