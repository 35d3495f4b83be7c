#pragma once
// rnnscope — the live values a lesson's text and answers name ({params.total}, {shape.h},
// {value.h[3][0]}), read from the model on show at timestep t for sample n:
//
//   dims.N dims.T dims.D dims.M dims.K    the sizes            t, sample   the step, the sample on show
//   cell (SimpleRNN, LSTM, GRU)  gates (1, 4, 3)  gM (g·M)     dtype (float32, float64)
//   params.total params.rnn params.dense  Keras's counts (the summary's)
//   params.Wx params.Wh params.bh params.Wo params.bo       each weight's element count
//   pytorch.params.rnn                    PyTorch's count for the same cell (two biases: g·M more)
//   shape.X (N, T, D)  shape.x (N, D)  shape.h (N, M)  shape.H (N, T, M)  shape.y the model's
//   output, as predict returns it ((N, K), (N, T, K); without Dense the recurrent layer's)
//   shape.Wx shape.Wh shape.bh shape.Wo shape.bo            Keras's get_weights() shapes
//   value.x[t][d] value.h[t][j] value.c[t][j] value.y[t][k] of sample n, and value.Wx[i][j],
//   value.Wh[i][j], value.bh[j] (a GRU's reset_after bias value.bh[r][j]), value.Wo[j][k], value.bo[k]
//
// Numbers are written with four decimals (values) or as integers (counts); shapes as Python's
// tuples, "(1, 10, 5)".

#include "run/model.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

// The value named `name` (without braces), or nullopt when there is no such value (an unknown
// name, an index outside its range, c of a cell without one). Computes the model through the
// timestep a value needs.
std::optional<std::string> lessonValue(Model &model, int t, int n, const std::string &name);

// `text` with every {name} replaced by its value; names without a value are left as they are and
// listed in `unknown` (when given).
std::string fillLessonValues(Model &model, int t, int n, const std::string &text, std::vector<std::string> *unknown = nullptr);

} // namespace rnnscope
