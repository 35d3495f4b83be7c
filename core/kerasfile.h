#pragma once
// Keras model files: the SimpleRNN(M) -> Dense(K) inside a model Keras saved, with what its
// configuration says about it.
//
// Read (see ../shared/fixtures/keras/LAYOUT.md for the layouts):
//
//   Keras 1 and 2 model.save("x.h5")      /model_weights/@layer_names, each layer's @weight_names
//                                         (kernel, recurrent_kernel, bias, with or without the cell
//                                         group; Keras 1's <layer>_W, _U, _b), /@model_config
//   Keras 2 save_weights("x.h5")          the same layer groups at the root, no configuration
//   Keras 3 model.save("x.h5") (legacy)   as Keras 2, weight names without ":0"
//   Keras 3 model.save("x.keras")         a zip: config.json + model.weights.h5 with
//                                         layers/<name>/cell/vars/0…2 and layers/<name>/vars/0…1
//   Keras 3 save_weights("x.weights.h5")  that model.weights.h5 alone, no configuration
//
// The file's content decides, not its extension: an HDF5 signature ("\x89HDF\r\n\x1a\n" at byte
// 0, 512, 1024, …) or a zip ("PK\x03\x04").
//
// What is opened: the SimpleRNN called `layer` (empty: the first SimpleRNN in model order; the
// others are named in a note and in LoadedModel::recurrentLayers) as
//
//   Wx = kernel (D, M),  Wh = recurrent_kernel (M, M),  bh = bias (M,)   (no bias: bh = 0)
//
// and the Dense directly after it, if any (layers without effect at inference — Dropout and its
// kin — may stand between them):
//
//   Wo = kernel (M, K),  bo = bias (K,)                                  (no bias: bo = 0)
//
// From the configuration, where the file has one: the cell's and the Dense's activation (a
// linear Dense followed by a Softmax layer, or by Activation("softmax"), counts as a softmax
// Dense), return_sequences, and T when batch_input_shape / batch_shape / build_config gives it
// as a number. Every layer left out (an Embedding before, a second SimpleRNN, a Softmax after …)
// is named in a note.
//
// Refused, with one line that starts with the file's name:
//   Unsupported      the recurrent layer is an LSTM, a GRU, a Bidirectional …, not a SimpleRNN
//                    ("x.h5 holds an LSTM layer 'lstm_1', not a SimpleRNN: rnnscope shows
//                    SimpleRNN cells only"); an HDF5 file that is not a Keras model; an
//                    activation rnnscope does not compute; go_backwards
//   BadUsage         `layer` names no SimpleRNN of the file (the message lists those it has)
//   BadMagic         neither HDF5 nor zip
//   Truncated        the file ends before what its superblock or zip directory announces
//   MalformedHeader  damaged HDF5 structures, configuration that is not valid JSON, attributes
//                    of the wrong type or size
//   MissingArray     a weight the layer lists is not in the file; no config.json in a .keras
//   UnsupportedDtype a weight that is not float32 or float64
//   ShapeMismatch    a weight whose shape does not fit the others or the configuration
//   TooLarge         weights beyond what rnnscope reads (2^28 values) or a file beyond 2 GiB
//
// The HDF5 library is not safe against damaged files (some crash it or make it loop), so on
// POSIX systems loadKerasFile reads in a child process with a time and memory limit and takes
// the model back through a pipe: a file that kills or stalls the reader is refused as
// MalformedHeader, and the caller's process is never at risk.

#include "weightfile.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace rnnscope {

// Reads the Keras file at `path` (see above), in a child process where the platform has fork().
LoadedModel loadKerasFile(const std::string &path, const std::string &layer = "");

// Reads a Keras file from memory, in this process; `name` starts every message. For trusted data
// and for fuzzers (a damaged file may crash the HDF5 library: prefer loadKerasFile).
LoadedModel parseKerasFile(const std::uint8_t *data, std::size_t size, const std::string &name, const std::string &layer = "");

} // namespace rnnscope
