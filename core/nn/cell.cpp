#include "nn/cell.h"

#include "common/error.h"

#include <algorithm>
#include <cctype>

namespace rnnscope {

const char *cellName(CellKind k)
{
    switch (k) {
    case CellKind::SimpleRNN: return "simplernn";
    case CellKind::LSTM: return "lstm";
    case CellKind::GRU: return "gru";
    }
    return "simplernn";
}

const char *cellClassName(CellKind k)
{
    switch (k) {
    case CellKind::SimpleRNN: return "SimpleRNN";
    case CellKind::LSTM: return "LSTM";
    case CellKind::GRU: return "GRU";
    }
    return "SimpleRNN";
}

std::optional<CellKind> parseCellKind(const std::string &name)
{
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "simple_rnn")
        lower = "simplernn";
    for (CellKind k : {CellKind::SimpleRNN, CellKind::LSTM, CellKind::GRU})
        if (lower == cellName(k))
            return k;
    return std::nullopt;
}

int gateCount(CellKind k)
{
    switch (k) {
    case CellKind::SimpleRNN: return 1;
    case CellKind::LSTM: return 4;
    case CellKind::GRU: return 3;
    }
    return 1;
}

long long CellSpec::params(long long D, long long M) const
{
    return gates() * M * (D + M + biasRows());
}

std::vector<std::string> gateBlockNames(CellKind k)
{
    switch (k) {
    case CellKind::SimpleRNN: return {};
    case CellKind::LSTM: return {"i", "f", "c", "o"};
    case CellKind::GRU: return {"z", "r", "h"};
    }
    return {};
}

std::vector<int> pytorchGateOrder(CellKind k)
{
    switch (k) {
    case CellKind::SimpleRNN: return {0};
    case CellKind::LSTM: return {0, 1, 2, 3};
    case CellKind::GRU: return {1, 0, 2};
    }
    return {0};
}

std::vector<std::string> pytorchGateNames(CellKind k)
{
    switch (k) {
    case CellKind::SimpleRNN: return {};
    case CellKind::LSTM: return {"i", "f", "g", "o"};
    case CellKind::GRU: return {"r", "z", "n"};
    }
    return {};
}

std::vector<Quantity> recordedQuantities(CellKind k)
{
    switch (k) {
    case CellKind::SimpleRNN: return {Quantity::Pre, Quantity::Hidden};
    case CellKind::LSTM:
        return {Quantity::GateI, Quantity::GateF, Quantity::GateG, Quantity::GateO, Quantity::CellState, Quantity::Hidden};
    case CellKind::GRU: return {Quantity::GateZ, Quantity::GateR, Quantity::Candidate, Quantity::Hidden};
    }
    return {};
}

std::vector<Quantity> gateQuantities(CellKind k)
{
    std::vector<Quantity> gates;
    for (Quantity q : recordedQuantities(k))
        if (gateBlock(q) >= 0)
            gates.push_back(q);
    return gates;
}

int gateBlock(Quantity q)
{
    switch (q) {
    case Quantity::GateI:
    case Quantity::GateZ: return 0;
    case Quantity::GateF:
    case Quantity::GateR: return 1;
    case Quantity::GateG:
    case Quantity::Candidate: return 2;
    case Quantity::GateO: return 3;
    case Quantity::Pre:
    case Quantity::CellState:
    case Quantity::Hidden: break;
    }
    return -1;
}

bool usesRecurrentActivation(Quantity q)
{
    return gateBlock(q) >= 0 && q != Quantity::GateG && q != Quantity::Candidate;
}

const char *quantitySymbol(Quantity q)
{
    switch (q) {
    case Quantity::Pre: return "a";
    case Quantity::GateI: return "i";
    case Quantity::GateF: return "f";
    case Quantity::GateG: return "g";
    case Quantity::GateO: return "o";
    case Quantity::CellState: return "c";
    case Quantity::GateZ: return "z";
    case Quantity::GateR: return "r";
    case Quantity::Candidate: return "h̃";
    case Quantity::Hidden: return "h";
    }
    return "?";
}

const char *quantityName(Quantity q)
{
    switch (q) {
    case Quantity::Pre: return "pre-activation";
    case Quantity::GateI: return "input gate";
    case Quantity::GateF: return "forget gate";
    case Quantity::GateG: return "cell candidate";
    case Quantity::GateO: return "output gate";
    case Quantity::CellState: return "cell state";
    case Quantity::GateZ: return "update gate";
    case Quantity::GateR: return "reset gate";
    case Quantity::Candidate: return "candidate";
    case Quantity::Hidden: return "hidden state";
    }
    return "?";
}

std::string describeCell(const CellSpec &c, int M)
{
    std::string s = std::string(cellClassName(c.kind)) + "(" + std::to_string(M) + ", activation="
                    + activationName(c.activation);
    if (c.kind != CellKind::SimpleRNN)
        s += std::string(", recurrent_activation=") + activationName(c.recurrent);
    if (c.kind == CellKind::GRU)
        s += c.resetAfter ? ", reset_after=True" : ", reset_after=False";
    return s + ")";
}

void checkCell(const CellSpec &c)
{
    const auto check = [&](Activation a, const char *what) {
        if (!isCellActivation(a))
            throw Error(ErrorKind::BadUsage, std::string("the ") + cellClassName(c.kind) + " cell cannot use "
                                                 + activationName(a) + " as its " + what
                                                 + ": expected tanh, relu, sigmoid, linear, hard_sigmoid or "
                                                   "hard_sigmoid_keras2");
    };
    check(c.activation, "activation");
    check(c.recurrent, "recurrent activation");
}

} // namespace rnnscope
