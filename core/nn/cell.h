#pragma once
// rnnscope::CellKind and CellSpec — which recurrent cell a layer computes, and what the cell says
// about itself: its gate blocks, the quantities it records per timestep, its parameter count.
//
// In Keras's row-vector convention (x_t (N,D), h_t (N,M)), with g gate blocks of M columns each,
// a cell's kernel W is (D, gM), its recurrent kernel U (M, gM) and its bias b (gM) — or (2, gM)
// for a GRU with reset_after (row 0 the input bias, row 1 the recurrent bias). act is the
// activation (default tanh), σ the recurrent activation (default sigmoid):
//
//   SimpleRNN  g = 1      h_t = act(x_t·W + h_{t−1}·U + b)
//   LSTM       g = 4      z = x_t·W + h_{t−1}·U + b, blocks i, f, c, o:
//                         i = σ(z_i), f = σ(z_f), g = act(z_c), o = σ(z_o)
//                         c_t = f⊙c_{t−1} + i⊙g,   h_t = o⊙act(c_t)
//   GRU        g = 3      blocks z, r, h:  z = σ(x·W_z + h_{t−1}·U_z + b_z), r likewise,
//                         reset_after:  h̃ = act(x·W_h + b_in,h + r⊙(h_{t−1}·U_h + b_rec,h))
//                         otherwise:    h̃ = act(x·W_h + (r⊙h_{t−1})·U_h + b_h)
//                         h_t = z⊙h_{t−1} + (1−z)⊙h̃
//
// Parameters: SimpleRNN M(D+M+1), LSTM 4M(D+M+1), GRU 3M(D+M+2) with reset_after, 3M(D+M+1)
// without. PyTorch writes the same gates as rows of weight_ih (gM, D): LSTM in the same order
// (i, f, g, o), GRU as r, z, n (a permutation of Keras's z, r, h).

#include "common/activation.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

enum class CellKind { SimpleRNN, LSTM, GRU };

const char *cellName(CellKind k);      // "simplernn", "lstm", "gru" (the command line's names)
const char *cellClassName(CellKind k); // "SimpleRNN", "LSTM", "GRU" (Keras's class names)
std::optional<CellKind> parseCellKind(const std::string &name); // either name, any case
int gateCount(CellKind k);                                      // 1, 4, 3

struct CellSpec {
    CellKind kind = CellKind::SimpleRNN;
    Activation activation = Activation::Tanh;  // act
    Activation recurrent = Activation::Sigmoid; // σ (LSTM and GRU only)
    bool resetAfter = true;                     // GRU only

    int gates() const { return gateCount(kind); }
    // Rows of the bias: 2 for a GRU with reset_after, else 1 (the bias holds biasRows·gM values).
    int biasRows() const { return kind == CellKind::GRU && resetAfter ? 2 : 1; }
    long long params(long long D, long long M) const;
    bool operator==(const CellSpec &) const = default;
};

// The names of a cell's gate blocks in Keras's column order: {"i", "f", "c", "o"}, {"z", "r", "h"},
// and {} for a SimpleRNN (one block, no gates).
std::vector<std::string> gateBlockNames(CellKind k);

// Where each of PyTorch's gate rows comes from: PyTorch block p holds Keras block pytorchGateOrder[p]
// (LSTM identity; GRU r, z, n ← blocks 1, 0, 2).
std::vector<int> pytorchGateOrder(CellKind k);
// PyTorch's names of its gate blocks, in its row order: {"i", "f", "g", "o"}, {"r", "z", "n"}.
std::vector<std::string> pytorchGateNames(CellKind k);

// The quantities a cell records at every timestep, each (N, M).
enum class Quantity {
    Pre,       // SimpleRNN: a_t = x_t·W + h_{t−1}·U + b
    GateI, GateF, GateG, GateO, // LSTM (activated)
    CellState, // LSTM c_t
    GateZ, GateR, Candidate,    // GRU z, r, h̃ (activated)
    Hidden,    // h_t
};
std::vector<Quantity> recordedQuantities(CellKind k);
// The activated gate blocks of a cell in Keras's block order (LSTM i, f, g, o; GRU z, r, h̃; none
// for a SimpleRNN).
std::vector<Quantity> gateQuantities(CellKind k);
// The gate block a quantity activates (i/z 0, f/r 1, g/h̃ 2, o 3), or −1 (a, c, h).
int gateBlock(Quantity q);
// Whether a gate block takes the recurrent activation σ (i, f, o, z, r) rather than the cell's
// activation (the candidates g and h̃).
bool usesRecurrentActivation(Quantity q);
const char *quantitySymbol(Quantity q); // "a", "i", "f", "g", "o", "c", "z", "r", "h̃", "h"
const char *quantityName(Quantity q);   // "pre-activation", "input gate", …

// Throws Error(BadUsage) when the cell's activation or recurrent activation is not one a
// recurrent cell computes (softmax).
void checkCell(const CellSpec &c);

// "LSTM(5, activation=tanh, recurrent_activation=sigmoid)" — for messages and notes.
std::string describeCell(const CellSpec &c, int M);

} // namespace rnnscope
