#pragma once
// The Keras-style model summary (Layer (type) | Output Shape | Param #) and the step-by-step
// trace of the recurrence, as data and as text.

#include "model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rnnscope {

struct SummaryRow {
    std::string name;   // "simple_rnn"
    std::string type;   // "SimpleRNN"
    std::string shape;  // "(None, 5)"
    long long params = 0;
};

struct Summary {
    std::vector<SummaryRow> rows;   // input, simple_rnn, dense (no dense when K = 0)
    long long totalParams = 0;      // D·M + M·M + M + M·K + K
    std::uint64_t totalBytes = 0;   // totalParams · sizeof(dtype)
};

Summary modelSummary(const ModelConfig &config);

// Keras 3's memory notation: "228.00 B", "1.50 KB", "2.00 MB" (powers of 1024).
std::string kerasBytes(std::uint64_t bytes);

// The table as Keras 3's model.summary() prints it (box-drawing characters).
std::string summaryText(const Summary &s);

// Timestep t of sample n taken apart, as the step panel and the trace show it, each part computed
// in the model's dtype so that they add up to the engine's pre-activation:
//   a_t = x_t·Wx + h_{t−1}·Wh + bh,  h_t = act(a_t),  y_t = act_o(h_t·Wo + bo)
struct StepBreakdown {
    Eigen::RowVectorXd x;     // x_t (D)
    Eigen::RowVectorXd xWx;   // x_t·Wx (M)
    Eigen::RowVectorXd hPrev; // h_{t−1} (M), zeros at t = 0
    Eigen::RowVectorXd hWh;   // h_{t−1}·Wh (M)
    Eigen::RowVectorXd bh;    // bh (M)
    Eigen::RowVectorXd pre;   // a_t (M)
    Eigen::RowVectorXd h;     // h_t (M)
    Eigen::RowVectorXd y;     // y_t (K); empty when K = 0
};
StepBreakdown stepBreakdown(Model &model, int t, int sample);

// The recurrence step by step for sample n: every timestep's x_t, x_t·Wx, h_{t−1}·Wh, bh, the
// pre-activation, h_t (and y), each with the shapes of its product, like a worked example.
std::string traceText(Model &model, int sample);

// One row vector as text: "[ 0.123457 -0.500000 ]" (nan, inf, -inf spelt out).
std::string formatRow(const double *values, long count, int precision = 6);

} // namespace rnnscope
