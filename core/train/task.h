#pragma once
// rnnscope::Task — the toy sequence tasks a course trains on, each fixing its shapes (D, K,
// return_sequences, the Dense activation) and its loss, drawn from a seed so that a run can be
// repeated:
//
//   sine     x_t = sin(0.25·t + φ), φ ~ U[0, 2π)              y_t = x_{t+1}          D 1, K 1, every step
//   echo     x_t ~ bits                                        y_t = x_{t−3} (0 before) D 1, K 1 sigmoid, every step
//   parity   x_t ~ bits                                        y_t = x_0 ⊕ … ⊕ x_t   D 1, K 1 sigmoid, every step
//   adding   x_t = (v_t ~ U[0, 1], a marker: 1 at one step of each half, else 0)
//                                                              y = the sum of the two marked v   D 2, K 1, at the end
//   copy     x_0 … x_{L−1} = L symbols of an alphabet of A, one-hot; then nothing (zeros) for the
//            delay; the delimiter (channel A) at T − L − 1; nothing while the answer is given
//                                                              y_t = blank (class A) before T − L,
//                                                              the symbols x_0 … x_{L−1} at T − L … T − 1
//                                                              D = K = A + 1, softmax, every step,
//                                                              categorical_crossentropy
//
// mse for the others. The adding problem is Hochreiter & Schmidhuber's; predicting its mean, 1,
// has MSE Var = 1/6 ≈ 0.167: the loss a cell that does not carry information across T steps stays
// near. The copy task ("copy after a delay", a memory test): A = 8 symbols, L = 3 of them, so a
// delay of T − 2L − 1 steps (T ≥ 7; T = 12: a delay of 5). Guessing gives log 8 ≈ 2.08 nats on each
// answer; a model that has learnt the blanks but not the symbols sits near 3·log 8 / T (0.52 at
// T = 12).

#include "common/ndarray.h"
#include "common/activation.h"
#include "grad/loss.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

enum class TaskKind { Sine, Echo, Parity, Adding, Copy };
const char *taskName(TaskKind k); // "sine", "echo", "parity", "adding", "copy"
std::optional<TaskKind> parseTask(const std::string &name);
std::vector<TaskKind> allTasks();
std::string taskNames(); // "sine, echo, parity, adding or copy", for messages

// The copy task's alphabet (A symbols), and how many of them a sample shows and asks back (L).
inline constexpr int kCopySymbols = 8;
inline constexpr int kCopyLength = 3;

struct TaskShape {
    int D = 1, K = 1;
    bool returnSequences = true;
    Activation dense = Activation::Linear;
    std::string description; // one line for help and messages
    Loss loss = Loss::MSE;   // the loss it trains with
    int minT = 1;            // the shortest sequence it takes
};
TaskShape taskShape(TaskKind k);

// N samples of T steps: X (N, T, D) and the targets (N, T, K) or (N, K), from `seed` (the same seed,
// the same batch). A T below the task's minT is refused (Error(OutOfRange)).
struct Batch {
    NdArray X, Y;
};
Batch drawBatch(TaskKind k, int N, int T, std::uint64_t seed);

} // namespace rnnscope
