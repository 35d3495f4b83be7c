#pragma once
// Keras model files: one recurrent layer (SimpleRNN, LSTM or GRU) -> Dense(K) inside a model Keras
// saved, with what its configuration says about it.
//
// Read (see ../shared/fixtures/keras/LAYOUT.md and ../shared/reference/RECURRENT-LAYERS.md §1):
//
//   Keras 1 and 2 model.save("x.h5")      /model_weights/@layer_names, each layer's @weight_names
//                                         (kernel, recurrent_kernel, bias, with or without the
//                                         lstm_cell / gru_cell … group), /@model_config
//   Keras 1 names                         <layer>_W, _U, _b; an LSTM's or GRU's gates one by one,
//                                         <layer>_W_i, _U_i, _b_i, _W_c, … (LSTM i, c, f, o; GRU
//                                         z, r, h), joined in Keras 2's gate order (consume_less=
//                                         'gpu' files hold _W, _U, _b fused already)
//   Keras 2 save_weights("x.h5")          the same layer groups at the root, no configuration
//   Keras 3 model.save("x.h5") (legacy)   as Keras 2, weight names without ":0"
//   Keras 3 model.save("x.keras")         a zip: config.json + model.weights.h5 with
//                                         layers/<group>/cell/vars/0…2 and layers/<group>/vars/0…1,
//                                         where <group> is snake_case(class) and a counter per class
//                                         in model order (lstm, lstm_1, gru, dense …), never the
//                                         config's layer name
//   Keras 3 save_weights("x.weights.h5")  that model.weights.h5 alone, no configuration
//
// The file's content decides, not its extension: an HDF5 signature ("\x89HDF\r\n\x1a\n" at byte
// 0, 512, 1024, …) or a zip ("PK\x03\x04").
//
// What is opened: the recurrent layer called `layer` (empty: the first in model order; the
// others are named in a note and in LoadedModel::recurrentLayers), g gate blocks in Keras's
// column order (SimpleRNN 1; LSTM 4: i, f, c, o; GRU 3: z, r, h), as
//
//   Wx = kernel (D, gM),  Wh = recurrent_kernel (M, gM),
//   bh = bias (gM,), a GRU with reset_after (2, gM) flat, row 0 first   (no bias: bh = 0)
//
// and the Dense directly after it, if any (layers without effect at inference — Dropout and its
// kin — may stand between them):
//
//   Wo = kernel (M, K),  bo = bias (K,)                                  (no bias: bo = 0)
//
// The class comes from the configuration; a file without one tells it from the shapes (a
// recurrent kernel (M, gM): g = 1, 4, 3) and a GRU's reset_after from its bias ((2, 3M) or (3M,)).
// From the configuration, where the file has one: the cell's activation and recurrent_activation
// (Keras 1: inner_activation), reset_after, the Dense's activation (a linear Dense followed by a
// Softmax layer, or by Activation("softmax"), counts as a softmax Dense), return_sequences, and T
// when batch_input_shape / batch_shape / build_config gives it as a number. The file's Keras
// version decides what its config means: "hard_sigmoid" is clip(0.2x + 0.5, 0, 1) up to Keras 2
// (Activation::HardSigmoidKeras2) and clip(x/6 + 0.5, 0, 1) from Keras 3 on; a key the config
// leaves out takes that version's default (recurrent_activation hard_sigmoid before Keras 2.3,
// sigmoid after; reset_after False before tf.keras 2.4, True after); a file without a config
// (save_weights) takes that default recurrent activation too, for one layer as for a network. Every
// layer left out (an
// Embedding before, a second recurrent layer, a Softmax after …) is named in a note.
//
// Refused, with one line that starts with the file's name:
//   Unsupported      the chosen recurrent layer is a Bidirectional ("x.h5: holds a Bidirectional(LSTM)
//                    layer 'bidirectional_1': rnnscope does not compute Bidirectional layers yet"),
//                    runs backwards (go_backwards), or is of a class rnnscope does not compute
//                    (CuDNNLSTM, ConvLSTM2D, RNN around a custom cell …); a file without recurrent
//                    layers; an HDF5 file that is not a Keras model; an activation rnnscope does
//                    not compute
//   BadUsage         `layer` names no recurrent layer of the file (the message lists those it has)
//   BadMagic         neither HDF5 nor zip
//   Truncated        the file ends before what its superblock or zip directory announces
//   MalformedHeader  damaged HDF5 structures, configuration that is not valid JSON, attributes
//                    of the wrong type or size
//   MissingArray     a weight the layer lists is not in the file; no config.json in a .keras
//   UnsupportedDtype a weight that is not float32 or float64
//   ShapeMismatch    a weight whose shape does not fit the others or the configuration (units,
//                    the gate count of the class, a GRU bias that disagrees with reset_after)
//   TooLarge         weights beyond what rnnscope reads (2^28 values) or a file beyond 2 GiB
//
// The HDF5 library is not safe against damaged files (some crash it or make it loop), so on
// POSIX systems loadKerasFile reads in a child process with a time and memory limit and takes
// the model back through a pipe: a file that kills or stalls the reader is refused as
// MalformedHeader, and the caller's process is never at risk.

#include "io/networkfile.h"
#include "io/weightfile.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace rnnscope {

// Reads the Keras file at `path` (see above), in a child process where the platform has fork().
LoadedModel loadKerasFile(const std::string &path, const std::string &layer = "");

// Reads a Keras file from memory, in this process; `name` starts every message. For trusted data
// and for fuzzers (a damaged file may crash the HDF5 library: prefer loadKerasFile).
LoadedModel parseKerasFile(const std::uint8_t *data, std::size_t size, const std::string &name, const std::string &layer = "");

// The whole network of a Keras file (networkfile.h): every recurrent layer in model order with its
// config and weights, the Dense after the top one; nullopt when the file holds one plain recurrent
// layer (loadKerasFile opens it). Bidirectional layers and layers running backwards are computed
// here (a Bidirectional's stored backward_layer config is read: one computing another cell, units
// or activations than its forward layer is Unsupported, a layer having one cell for both); refusals otherwise as above (a layer other than Dropout and its kin between two recurrent
// layers is Unsupported, naming it). In a child process as loadKerasFile reads.
std::optional<LoadedNetwork> loadKerasNetwork(const std::string &path);
std::optional<LoadedNetwork> parseKerasNetwork(const std::uint8_t *data, std::size_t size, const std::string &name);

} // namespace rnnscope
