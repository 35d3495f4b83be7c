#pragma once
// rnnscope::LayerSpec and the stack — what the network Input((T, D)) → L recurrent layers → Dense(K)
// is made of, with Keras's shape rules. (The weights and the computation are run/network.h.)
//
// Each recurrent layer has its cell (nn/cell.h), its units M_l, and Keras's flags:
//   return_sequences  the layer returns every h_t, (N, T, width), else its last state (N, width)
//   go_backwards      the layer reads x_{T−1} … x_0 and returns its states in that (processing)
//                     order: output t is the state after x_{T−1−t}
//   Bidirectional     a forward copy and a backward copy (go_backwards flipped) with their own
//                     weights; with return_sequences the backward outputs are flipped back to time
//                     order before they merge, so output t combines the forward h_t with the
//                     backward state that has read x_{T−1} … x_t; without it the merge takes the
//                     forward h_{T−1} and the backward state after x_0. Merge modes: concat (the
//                     default, width 2M: forward first), sum, mul, ave (width M).
//
// A recurrent layer reads a sequence, so every layer under another recurrent layer must return
// sequences: Keras refuses otherwise, and so does checkStack, with Keras's words.
//
// The command line's text for a stack (parseStack, stackText) lists the layers bottom up,
// separated by commas; each layer is words separated by spaces, in any order:
//
//   simplernn | lstm | gru       the cell (required)
//   32                           its units (required unless the sizes give them)
//   seq                          return_sequences=True            (also: return_sequences)
//   back                         go_backwards=True                (also: go_backwards)
//   bi, bi=sum|mul|ave|concat    Bidirectional with its merge mode (also: bidirectional, merge=…)
//   act=relu                     the activation                   (also: activation=…)
//   rec=hard_sigmoid             the recurrent activation         (also: recurrent_activation=…)
//   reset_after=false            a GRU computing Keras 2's reset-before candidate
//
// and, for a network, an optional first group "embedding V" (parseNetworkStack).
//
// e.g. "lstm 64 seq, lstm 32" (a stack of two), "bi gru 16 seq, bi=sum simplernn 8".

#include "common/activation.h"
#include "nn/cell.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

// The most recurrent layers a network has (a stack of 64 is far past what any course shows).
inline constexpr int kMaxLayers = 64;

enum class Merge { Concat, Sum, Mul, Ave };
const char *mergeName(Merge m); // "concat", "sum", "mul", "ave" (Keras's merge_mode)
std::optional<Merge> parseMerge(const std::string &name);

struct LayerSpec {
    CellSpec cell;
    int units = 5;
    bool returnSequences = false;
    bool goBackwards = false;
    bool bidirectional = false;
    Merge merge = Merge::Concat;

    int directions() const { return bidirectional ? 2 : 1; }
    // Whether direction d (0 forward, 1 a Bidirectional layer's backward copy) reads the sequence
    // reversed: x_{T−1} … x_0 (go_backwards, or the backward copy of a forward layer).
    bool readsBackwards(int direction) const { return goBackwards != (direction == 1); }
    // The features of each output step: 2M for a concatenating Bidirectional, else M.
    int outputWidth() const { return bidirectional && merge == Merge::Concat ? 2 * units : units; }
    // Keras's count for this layer on `inputWidth` features (both directions).
    long long params(long long inputWidth) const { return directions() * cell.params(inputWidth, units); }
    bool operator==(const LayerSpec &) const = default;
};

// The features layer l reads: D for the first, the output width of the layer under it otherwise.
int layerInputWidth(const std::vector<LayerSpec> &layers, int D, int l);

// Keras's names of the layers, in model order, as Sequential numbers them per class: "simple_rnn",
// "lstm", "lstm_1", "bidirectional", "gru" …
std::vector<std::string> layerNames(const std::vector<LayerSpec> &layers);
// "LSTM", or "Bidirectional(LSTM)" — the class a summary or a message names.
std::string layerClassName(const LayerSpec &layer);

// Throws Error(BadUsage) for an empty stack, Error(OutOfRange) for more than kMaxLayers layers or
// units out of 1 … 16384, and
// Error(ShapeMismatch) with Keras's message where a layer under another recurrent layer does not
// return sequences: 'Input 0 of layer "lstm_1" is incompatible with the layer: expected ndim=3,
// found ndim=2. Full shape received: (None, 32)'.
void checkStack(const std::vector<LayerSpec> &layers);
// Keras's message for layer l (above a layer that does not return sequences), or "" when it fits.
std::string ndimMismatch(const std::vector<LayerSpec> &layers, int l);

// The text described above. parseStack throws Error(BadUsage) naming the layer and the word it
// does not understand, or two words that contradict each other ("lstm gru", "bi=sum bi=mul");
// units it does not find stay 0 (the sizes give them). stackText writes the short form back.
// A rec= on a simplernn (which has no recurrent activation) and a reset_after= on an lstm or a
// simplernn (a gru's alone) are refused naming the word. `words`, when given, receives what each
// layer's text set explicitly (the rest of its LayerSpec are defaults).
struct LayerWords {
    bool activation = false, recurrent = false, resetAfter = false; // act=, rec=, reset_after=
    bool operator==(const LayerWords &) const = default;
};
std::vector<LayerSpec> parseStack(const std::string &text, std::vector<LayerWords> *words = nullptr);
std::string stackText(const std::vector<LayerSpec> &layers);

// A network's stack text may open with Keras's Embedding as a group of its own, "embedding V"
// (its vocabulary; its output width is D): "embedding 50, lstm 8 seq, gru 4". vocabulary 0: none.
constexpr int kMaxVocabularyWords = 1 << 24;
struct NetworkStack {
    int vocabulary = 0;
    std::vector<LayerSpec> layers;
    std::vector<LayerWords> words; // one per layer
};
NetworkStack parseNetworkStack(const std::string &text);
std::string stackText(const std::vector<LayerSpec> &layers, int vocabulary);

// The sizes of a network: "N,T,D,M,K" (one layer) or "N,T,D,[M1,M2,…],K" (units bottom up).
struct StackDims {
    int N = 1, T = 10, D = 3, K = 2;
    std::vector<int> units{5};
    bool operator==(const StackDims &) const = default;
};
// Throws Error(BadUsage) naming the text, or Error(OutOfRange) naming the first size out of range.
StackDims parseStackDims(const std::string &text);
// "1,10,3,5,2" or "8,1000,32,[256,256,256],10".
std::string stackDimsText(const StackDims &d);

} // namespace rnnscope
