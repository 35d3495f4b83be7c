#pragma once
// The Keras-style model summary (Layer (type) | Output Shape | Param #) and the step-by-step
// trace of the recurrence, as data and as text.

#include "run/model.h"
#include "run/network.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rnnscope {

struct SummaryRow {
    std::string name;   // "simple_rnn"
    std::string type;   // "SimpleRNN", "LSTM", "GRU"
    std::string shape;  // "(None, 5)"
    long long params = 0;
};

struct Summary {
    std::vector<SummaryRow> rows;   // input, simple_rnn, dense (no dense when K = 0)
    long long totalParams = 0;      // the cell's (nn/cell.h) + M·K + K
    std::uint64_t totalBytes = 0;   // totalParams · sizeof(dtype)
};

Summary modelSummary(const ModelConfig &config);
// Every layer of a network: the input, each recurrent layer ("bidirectional", "Bidirectional",
// "(None, 10, 16)"), the Dense.
Summary networkSummary(const NetworkConfig &config);

// Keras 3's memory notation: "228.00 B", "1.50 KB", "2.00 MB" (powers of 1024).
std::string kerasBytes(std::uint64_t bytes);

// The table as Keras 3's model.summary() prints it (box-drawing characters, counts with
// thousands separators: "105,280").
std::string summaryText(const Summary &s);

// Timestep t of sample n taken apart, as the step panel and the trace show it, each part computed
// in the model's dtype so that they add up to the engine's pre-activation:
//   a_t = x_t·Wx + h_{t−1}·Wh + bh,  h_t = act(a_t),  y_t = act_o(h_t·Wo + bo)
struct StepBreakdown {
    Eigen::RowVectorXd x;     // x_t (D)
    Eigen::RowVectorXd xWx;   // x_t·Wx (gM: every gate block)
    Eigen::RowVectorXd hPrev; // h_{t−1} (M), zeros at t = 0
    Eigen::RowVectorXd hWh;   // h_{t−1}·Wh (gM)
    Eigen::RowVectorXd bh;    // bh (gM; a GRU with reset_after: its input bias)
    Eigen::RowVectorXd pre;   // a_t (gM: every gate's pre-activation, as the engine holds it)
    Eigen::RowVectorXd h;     // h_t (M)
    Eigen::RowVectorXd y;     // y_t (K); empty when K = 0
};
StepBreakdown stepBreakdown(Model &model, int t, int sample);

// Timestep t of sample n of any cell taken apart, line by line, as the step panel and the trace
// show it: the operands, then for every gate its products and pre-activation (detail lines) and
// its activated value, then c_t, h_t and y_t. Products are computed in the model's dtype; the
// pre-activations, c_t, h_t and y_t are the engine's own.
struct WorkedLine {
    std::string symbol;  // what the values are: "x_3", "z_f", "f_3", "c_3", "h_3", "y_3"
    std::string formula; // how they are computed: "σ(x_3·W_f + h_2·U_f + b_f)"; "" for an operand
    std::string shapes;  // the shape of every operand: "(N×D)(D×M) + (N×M)(M×M) + (M)" with numbers
    Eigen::RowVectorXd values;
    bool detail = false; // a product or pre-activation (the trace prints it; the step panel may not)
};
std::vector<WorkedLine> workedStep(Model &model, int t, int sample);

// The recurrence step by step for sample n: every timestep's x_t, x_t·Wx, h_{t−1}·Wh, bh, the
// pre-activation, h_t (and y), each with the shapes of its product, like a worked example.
std::string traceText(Model &model, int sample);

// One row vector as text: "[ 0.123457 -0.500000 ]" (nan, inf, -inf spelt out; |v| ≥ 1e5 in the
// scientific form of the same width, "-1.00e+39", never 40 digits).
std::string formatRow(const double *values, long count, int precision = 6);

// 105280 → "105,280".
std::string thousands(long long n);

} // namespace rnnscope
