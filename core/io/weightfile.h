#pragma once
// Weight and input files: named arrays (an .npz) or a Keras model file (kerasfile.h) turned into
// the parameters of one recurrent layer (SimpleRNN, LSTM or GRU) -> Dense(K) and an input batch X,
// with every shape checked against the others. The cell is told from the shapes (nn/weights.h).
//
// Accepted weight layouts (see nn/weights.h for the maths):
//
//   (a) positional, as np.savez(*model.get_weights()) writes them:
//         arr_0 = Wx (D, gM), arr_1 = Wh (M, gM), arr_2 = bh (gM,) or a GRU's (2, 3M)
//                                                                    [, arr_3 = Wo (M, K), arr_4 = bo (K,)]
//       and the two Keras variants without a bias vector, told apart by rank:
//         SimpleRNN(use_bias=False):  arr_0 = Wx, arr_1 = Wh [, arr_2 = Wo (M, K), arr_3 = bo (K,)]   (bh = 0)
//         Dense(use_bias=False):      arr_0 = Wx, arr_1 = Wh, arr_2 = bh, arr_3 = Wo (M, K)           (bo = 0)
//   (b) named Keras keys:  kernel, recurrent_kernel, bias [, dense_kernel, dense_bias]
//       (the Dense pair is optional, but both or neither);
//   (c) a PyTorch state_dict of nn.RNN, nn.LSTM or nn.GRU (+ an optional nn.Linear), under any
//       module prefix, gate rows reordered into Keras's gate columns (nn/cell.h):
//         <p>weight_ih_l0 (gM, D) = Wxᵀ,  <p>weight_hh_l0 (gM, M) = Whᵀ,
//         <p>bias_ih_l0 (gM,) + <p>bias_hh_l0 (gM,) = bh        (both absent: bias=False, bh = 0)
//         nn.GRU: bias (2, 3M) = [bias_ih; bias_hh], a GRU with reset_after (exact)
//         <q>weight (K, M) = Woᵀ,  <q>bias (K,) = bo             (one Linear; bias=False: bo = 0)
//       An nn.Embedding's table before the RNN (pytorchEmbeddingKey) makes the file a network
//       (networkfile.h); read as one layer it is an ignored array.
//
// In every layout a key "X" holds the input batch. Shapes are checked against each other
// (ShapeMismatch: "Wh (recurrent_kernel) has shape (5, 4), but M=5 needs (5, 5)"); a missing
// member is MissingArray naming it and the keys found; stacked or bidirectional RNNs are
// Unsupported. Every message starts with the source's name.

#include "common/activation.h"
#include "common/ndarray.h"
#include "nn/weights.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rnnscope {

struct LoadedModel {
    Weights weights;
    std::optional<NdArray> input;   // X (N, T, D), when the file holds one
    std::string layoutDescription;  // "Keras get_weights() order (arr_0…arr_4)", "named Keras keys", "PyTorch state_dict",
                                    // "Keras 2.6.0 model.save() HDF5", …
    std::vector<std::string> notes; // what a user should know: biases summed, keys ignored, layers left out, …
    DType dtype = DType::Float32;   // Float64 when every weight array was stored as float64

    // What a model file's configuration records (Keras .h5 and .keras); nullopt where it does not
    // (.npz, save_weights files).
    std::optional<Activation> cell;       // the recurrent layer's activation
    std::optional<Activation> recurrent;  // an LSTM's or GRU's recurrent activation (hard_sigmoid by the file's Keras version;
                                          // without config, that version's default)
    std::optional<Activation> dense;      // the Dense layer's (a separate Softmax layer after it folded in)
    std::optional<bool> returnSequences;
    std::optional<int> T;                 // the input length of batch_input_shape / batch_shape, when a number

    // The layers of a file that holds a whole model (empty for .npz).
    std::string layerName;                    // the recurrent layer opened, e.g. "simple_rnn", "lstm_1"
    std::string denseLayerName;               // the Dense opened with it; empty when none
    std::vector<std::string> recurrentLayers; // every recurrent layer of the file, in model order
};

// Recognises the layout of `arrays` (see above), checks every shape and returns the model.
// `source` (a file name) starts every error message.
LoadedModel weightsFromArrays(const NamedArrays &arrays, const std::string &source);

// The module prefixes of a PyTorch state_dict: each p for which p + "weight_ih_l0" is a key, p
// empty or ending in '.' ("rnn." for rnn.weight_ih_l0).
std::vector<std::string> pytorchPrefixes(const NamedArrays &arrays);

// One layer and direction of a PyTorch RNN module, whose keys are pytorchKey(prefix, …, layer,
// reverse) (nn/weights.h): Wx, Wh and bh in Keras's gate columns as layout (c) reads them, no Dense;
// every message names the file's keys. `used` receives the keys read, `notes` what a user should know.
Weights pytorchLayerWeights(const NamedArrays &arrays, const std::string &prefix, int layer, bool reverse,
                            const std::string &source, std::vector<std::string> &notes, std::set<std::string> &used);

// The key of the nn.Embedding table of a state_dict, empty when there is none. It is the rank-2
// "<q>weight" (q ending in '.') that
//   - is named so: the module's own name (q's last component) holds "embed", case aside
//     (embedding.weight, encoder.tok_embed.weight, word_embeddings.weight); several so named are
//     Unsupported, naming two;
//   - else is told by its shape: the one rank-2 weight without "<q>bias" that reads (V, D) with D
//     the first layer's input size, when it cannot be the Linear (another rank-2 weight is there,
//     or its columns are not the top layer's width), as nn.Embedding → RNN → nn.Linear(bias)
//     (word_language_model's encoder.weight, decoder.weight).
// A bare "weight" is never the table. D or width < 1 (not known): only the name tells.
std::string pytorchEmbeddingKey(const NamedArrays &arrays, std::int64_t D, std::int64_t width, const std::string &source);

// The one nn.Linear of a state_dict: the rank-2 "weight" or "<q>.weight", (K, width), and
// "<q>bias" (absent: bo = 0, noted); nullopt when there is none. `embeddingKey` (the table of
// pytorchEmbeddingKey, or empty) is not a Linear. Refuses several, and a weight that does not read
// `width` features, saying whose they are (`reader`: "M=5 (nn.RNN)").
struct PyTorchLinear {
    Eigen::MatrixXd Wo; // (width, K)
    Eigen::VectorXd bo; // (K)
    std::string weightKey, biasKey; // biasKey empty without bias
};
std::optional<PyTorchLinear> pytorchLinear(const NamedArrays &arrays, std::int64_t width, const std::string &reader,
                                           const std::string &source, std::vector<std::string> &notes,
                                           std::set<std::string> &used, const std::string &embeddingKey = {});

// Loads a weight file, dispatching on its extension (case-insensitive):
//   .npz          → readNpz + weightsFromArrays
//   .npy          → BadUsage: a single .npy is not a weight set (save all weights with np.savez)
//   .json         → BadUsage: a session file (sessionfile.h) is opened as a session, not as weights
//   .h5 .hdf5 .keras → loadKerasFile (kerasfile.h): the recurrent `layer` (empty: the first) and
//                    the Dense after it, with the activations, return_sequences and T of the config
//   anything else → Unsupported, naming the accepted extensions
// A file that does not exist or cannot be read is Io, whatever its extension. `layer` does not
// apply to an .npz (it holds one recurrent layer): a non-empty one only adds a note saying so.
LoadedModel loadWeightsFile(const std::string &path, const std::string &layer = "");

// Loads X from a file (errors name the file), through inputFromArray (run/model.h):
//   .npy  an array (N, T, D) or (T, D);
//   .npz  the member "X" (or the only array of a one-array archive);
//   .csv  one sample: T lines of D numbers separated by commas (or by white space, as
//         np.savetxt writes), '#' comment lines and blank lines skipped, an optional first
//         line of column names, nan / inf / -inf accepted. A line with a different number of
//         values than the first is ShapeMismatch naming both lines; a value that is not a
//         number is BadUsage naming line and column; no values at all is MissingArray.
// Other extensions are Unsupported.
NdArray loadInputFile(const std::string &path, int expectedD);

// Parses CSV text as loadInputFile does for .csv (values (T, D), Float64); `name` starts errors.
NdArray parseInputCsv(const std::string &text, const std::string &name);

// The extension of a path's file name, lower-case, with its dot: "W.NPZ" → ".npz"; "" when none.
std::string lowerExtension(const std::string &path);

} // namespace rnnscope
