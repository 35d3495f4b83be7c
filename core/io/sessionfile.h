#pragma once
// The session file: everything on screen — the model or the network, its weights and input, the
// timestep, the selected sample and the view choices — as one versioned JSON document that reopens
// exactly.
//
// A one-layer model is written as version 2 (what rnnscope wrote before networks, so that an
// older rnnscope opens it):
//
//   {
//     "format": "rnnscope-session",
//     "version": 2,
//     "dims": {"N": 1, "T": 10, "D": 3, "M": 5, "K": 2},
//     "dtype": "float32",                      float32 | float64
//     "seed": 0,                               0 … 2⁶⁴−1
//     "initializer": {"scheme": "keras", "scale": 0.05},
//     "activation": "tanh",                    the cell's: tanh | relu | sigmoid | linear | hard_sigmoid…
//     "dense_activation": "linear",            linear | relu | sigmoid | tanh | softmax
//     "return_sequences": false,
//     "layers": [{"cell": "lstm", "recurrent_activation": "sigmoid", "reset_after": true}],
//     "timestep": -1,                          −1 (before the first step) … T−1
//     "sample": 0,                             0 … N−1
//     "view": {"layout": "keras", "units": [], "presentation": false},
//     "weights": {"Wx": (D, gM), "Wh": (M, gM), "bh": (gM,) or (2, gM), "Wo": (M, K), "bo": (K,)},
//     "X": (N, T, D)
//   }
//
// (Version 1, before LSTM and GRU, is the same without "layers": a SimpleRNN.) A network
// (SessionData::network) is written as version 3:
//
//   {
//     "format": "rnnscope-session",
//     "version": 3,
//     "dims": {"N": 1, "T": 10, "D": 3, "K": 2},
//     "dtype", "seed", "initializer", "dense_activation"   as in version 2
//     "vocabulary": 0,                         an Embedding's V, 0 … 2²⁴ (0: none)
//     "layers": [                              the stack bottom up, 1 … 64 layers, every field of
//                                              each (also those stackText leaves out as unused):
//       {"cell": "lstm", "units": 64, "activation": "tanh", "recurrent_activation": "sigmoid",
//        "reset_after": true, "return_sequences": true, "go_backwards": false,
//        "bidirectional": false, "merge": "concat"},               merge: concat | sum | mul | ave
//       …
//     ],
//     "timestep": -1, "sample": 0,             as in version 2
//     "layer": 0,                              the layer on show, 0 … L−1
//     "direction": 0,                          its direction on show: 0 forward, 1 backward (Bidirectional)
//     "view": {…},                             as in version 2; "units" are the shown layer's
//     "weights": {
//       "layers": [[{"Wx": (in_l, gM_l), "Wh": (M_l, gM_l), "bh": (gM_l,) or (2, gM_l)}, …], …],
//                                              [layer][direction], in_l the features layer l reads
//       "Wo": (top width, K), "bo": (K,),      the Dense (top width: 2M for a concatenating Bidirectional)
//       "embedding": (V, D)                    only with an Embedding: its table
//     },
//     "X": (N, T, D)                           without an Embedding; with one instead:
//     "ids": (N, T)                            the token ids, integers 0 … V−1
//   }
//
// Arrays are nested lists in C order (Wx[i][j] = Wx(i, j), X[n][t][d] = x_t of sample n, feature
// d), so that np.array(session["X"], dtype=float) is X. Numbers are written in their shortest form
// that reads back to the same double (std::to_chars), always with a '.' or an exponent so that
// −0.0 keeps its sign; NaN and ±Inf, which JSON has no numbers for, are the strings "nan", "inf"
// and "-inf" (NaN payloads are not kept). "units" lists the hidden units the charts plot, empty
// for the default choice.
//
// Reading is strict: every field is required, an unknown field is refused, and so are a wrong
// type, a shape that does not fit the dimensions and a value out of range, each with one line
// that starts with the source's name and names the field:
//
//   "lesson.json: weights.Wh has shape (4, 5), but M=5 needs (5, 5)"
//   "lesson.json: weights.layers[1][0].Wh has shape (4, 20), but layer 2 (lstm_1) with M=5 (LSTM) needs (5, 20)"
//   "lesson.json: field 'view.layout' is missing"
//   "lesson.json: session version 99 is newer than this rnnscope reads (3): open it with a newer rnnscope"
//
// Sizes are checked before anything is allocated: the file against kMaxSessionFileBytes, the
// count of JSON values against kMaxSessionValues (while scanning, before the document is built),
// the dimensions against the memory budget (before any array is read; a network's with
// checkNetwork, after its stack is checked as Keras checks it). Error kinds: Truncated (the JSON
// ends early), MalformedHeader (not JSON, nesting too deep, duplicate, unknown or mistyped
// fields), BadMagic (JSON, but not a rnnscope session), UnsupportedVersion, MissingArray (a
// missing field), OutOfRange, ShapeMismatch, TooLarge, Io.

#include "nn/weights.h"
#include "run/model.h"
#include "run/network.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnscope {

inline constexpr const char *kSessionFormat = "rnnscope-session";
// Versions: 1 a SimpleRNN; 2 "layers" holds the recurrent layer's cell; 3 a network.
inline constexpr int kSessionVersion = 3;        // the newest this rnnscope reads
inline constexpr int kSessionModelVersion = 2;   // a one-layer model's
inline constexpr int kSessionNetworkVersion = 3; // a network's
// The largest session file read, and the most JSON values (numbers, strings, …) it may hold.
inline constexpr std::uint64_t kMaxSessionFileBytes = std::uint64_t(2) << 30;
inline constexpr std::uint64_t kMaxSessionValues = std::uint64_t(1) << 26;

// The view choices a session keeps.
struct SessionView {
    Layout layout = Layout::Keras;
    std::vector<int> units;  // hidden units plotted (of the layer on show), each in 0 … M−1, no repeats; empty: the default
    bool presentation = false;
};

struct SessionData {
    // Versions 1 and 2: config (dims, dtype, seed, initializer, activations, return_sequences),
    // weights, X. Left default when `network` is set (the window derives the layer's view itself).
    ModelState model;
    // Version 3: the network (written instead of `model` when set).
    std::optional<NetworkState> network;
    int timestep = -1; // −1 … T−1
    int sample = 0;    // 0 … N−1
    int layer = 0, direction = 0; // the network's layer and direction on show (0 for a model)
    SessionView view;
};

// The JSON text of a session (see above): version 3 when data.network is set, else version 2.
// Throws Error(TooLarge) beyond kMaxSessionValues / 2 numbers (a file that could not be read back:
// a list of one number counts twice), Error(ShapeMismatch) when the weights or X (or the token ids)
// do not fit the config, and Error(OutOfRange) for a layer or direction on show the network does
// not have or a token id outside the vocabulary.
std::string encodeSession(const SessionData &data);

// Reads a session from its JSON text; `name` starts every error message. The model's (or the
// network's) config.memoryBudget is set to `memoryBudget`, which the dimensions must fit.
SessionData decodeSession(std::string_view bytes, const std::string &name,
                          std::uint64_t memoryBudget = kDefaultMemoryBudget);

// encodeSession written to `path` atomically (writeFileAtomically).
void saveSession(const std::string &path, const SessionData &data);

// Reads and decodes the session file at `path` (errors name the path).
SessionData loadSession(const std::string &path, std::uint64_t memoryBudget = kDefaultMemoryBudget);

// What a file holds, for opening any of them (a window's File ▸ Open, a drop, `rnnscope FILE`):
// by its extension (case-insensitive) — .json a session; .npz .h5 .hdf5 .keras weights; .npy .csv
// .txt an input X — and otherwise by its first bytes: '{' a session, "\x93NUMPY" an input, anything
// else weights (whose loader then names the extensions it reads).
enum class FileKind { Session, Weights, Input };
FileKind fileKind(const std::string &path);

} // namespace rnnscope
