#pragma once
// The session file: everything on screen — the model, its weights and input, the timestep, the
// selected sample and the view choices — as one versioned JSON document that reopens exactly.
//
//   {
//     "format": "rnnscope-session",
//     "version": 1,
//     "dims": {"N": 1, "T": 10, "D": 3, "M": 5, "K": 2},
//     "dtype": "float32",                      float32 | float64
//     "seed": 0,                               0 … 2⁶⁴−1
//     "initializer": {"scheme": "keras", "scale": 0.05},
//     "activation": "tanh",                    the cell's: tanh | relu | sigmoid | linear
//     "dense_activation": "linear",            linear | relu | sigmoid | tanh | softmax
//     "return_sequences": false,
//     "timestep": -1,                          −1 (before the first step) … T−1
//     "sample": 0,                             0 … N−1
//     "view": {"layout": "keras", "units": [], "presentation": false},
//     "weights": {"Wx": (D, M), "Wh": (M, M), "bh": (M,), "Wo": (M, K), "bo": (K,)},
//     "X": (N, T, D)
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
//   "lesson.json: field 'view.layout' is missing"
//   "lesson.json: session version 99 is newer than this rnnscope reads (1): open it with a newer rnnscope"
//
// Sizes are checked before anything is allocated: the file against kMaxSessionFileBytes, the
// count of JSON values against kMaxSessionValues (while scanning, before the document is built),
// the dimensions against the memory budget (before any array is read). Error kinds: Truncated
// (the JSON ends early), MalformedHeader (not JSON, nesting too deep, duplicate, unknown or
// mistyped fields), BadMagic (JSON, but not a rnnscope session), UnsupportedVersion,
// MissingArray (a missing field), OutOfRange, ShapeMismatch, TooLarge, Io.

#include "nn/weights.h"
#include "run/model.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rnnscope {

inline constexpr const char *kSessionFormat = "rnnscope-session";
inline constexpr int kSessionVersion = 2; // 2: "layers" holds the recurrent layer's cell (1: a SimpleRNN)
// The largest session file read, and the most JSON values (numbers, strings, …) it may hold.
inline constexpr std::uint64_t kMaxSessionFileBytes = std::uint64_t(2) << 30;
inline constexpr std::uint64_t kMaxSessionValues = std::uint64_t(1) << 26;

// The view choices a session keeps.
struct SessionView {
    Layout layout = Layout::Keras;
    std::vector<int> units;  // hidden units plotted, each in 0 … M−1, no repeats; empty: the default
    bool presentation = false;
};

struct SessionData {
    ModelState model;  // config (dims, dtype, seed, initializer, activations, return_sequences), weights, X
    int timestep = -1; // −1 … T−1
    int sample = 0;    // 0 … N−1
    SessionView view;
};

// The JSON text of a session (see above). Throws Error(TooLarge) beyond kMaxSessionValues / 2
// numbers (a file that could not be read back: a list of one number counts twice) and
// Error(ShapeMismatch) when the weights or X do not fit config.dims.
std::string encodeSession(const SessionData &data);

// Reads a session from its JSON text; `name` starts every error message. The model's
// config.memoryBudget is set to `memoryBudget`, which the dimensions must fit.
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
