#pragma once
// rnnscope::exportCode — the model on screen as a short, readable Python script that a student
// takes home: it rebuilds the model (cells, layers, activations, return_sequences, Dense) with its weights
// and the input X, runs it and prints Y; run with one argument it also saves Y there (np.save).
//
//   numpy    the loop of the recurrence written out, every gate on its own line, in the model's
//            dtype (float32 or float64), from x_t · W + h_{t−1} · U + b in Keras's layout
//   keras    keras.Sequential([Input((T, D)), LSTM(M, …), Dense(K, …)]), set_weights in
//            get_weights() order, predict
//   pytorch  nn.RNN / nn.LSTM / nn.GRU + nn.Linear, the converted state_dict (PyTorch's gate order),
//            batch_first; refused (Error Unsupported, saying why) for a cell with no exact
//            PyTorch form (a GRU without reset_after, activations PyTorch's modules lack)
//
// Every array is commented with its shape. Small models carry their numbers inline (each the
// shortest text that reads back as the value the model holds); larger ones load them from an .npz
// written beside the script (the caller writes ExportedCode::data to dataFile).

#include "common/ndarray.h"
#include "run/model.h"
#include "run/network.h"

#include <optional>
#include <string>

namespace rnnscope {

enum class CodeTarget { NumPy, Keras, PyTorch };
const char *codeTargetName(CodeTarget t); // "numpy", "keras", "pytorch"
std::optional<CodeTarget> parseCodeTarget(const std::string &name);

struct ExportedCode {
    std::string script;   // the .py text
    std::string dataFile; // the .npz the script loads from beside itself; "" when all is inline
    NamedArrays data;     // what that .npz must hold (X, then the weights), in the model's dtype
};

// Weights and X together up to this many values are written into the script.
inline constexpr long long kInlineValues = 2000;

// `scriptName` is the script's file name (its stem names the .npz: model.py → model.npz).
ExportedCode exportCode(const Model &model, CodeTarget target, const std::string &scriptName);
// The same for a network of several recurrent layers or a Bidirectional one: NumPy with one
// function per layer (both directions of a Bidirectional layer through it, the backward one on the
// reversed sequence, flipped back before the merge); keras.layers.Bidirectional(…, merge_mode=…);
// PyTorch's nn.LSTM(num_layers=L, bidirectional=…) where the network has that exact form
// (pytorchRefusal of run/network.h says why not).
ExportedCode exportCode(const Network &network, CodeTarget target, const std::string &scriptName);

} // namespace rnnscope
