#pragma once
// The headless commands for a network of several recurrent layers or a Bidirectional one
// (--stack, or --dims N,T,D,[M1,M2,…],K, or a --weights file that holds one): summary, trace,
// forward and save (export-code and bench take a network in their own files).

#include "io/networkrequest.h"

#include <QCommandLineParser>
#include <QStringList>

#include <memory>

namespace cli {

// Whether the options describe a network rather than one recurrent layer.
bool wantsNetwork(const QCommandLineParser &parser);

// Whether `command` computes a whole network: summary, trace, forward, save, export-code, bench;
// grad and train work on one recurrent layer.
bool computesNetworks(const QString &command);

// The network a --weights file holds (several recurrent layers, a Bidirectional one, one running
// backwards), read once for `command`; null without --weights, with --layer, for a file of one
// plain layer (the single-layer commands open it) and for the commands that do not read weights
// files (bench). Throws rnnscope::Error for a command that computes one layer only (trace, grad …).
std::shared_ptr<const rnnscope::LoadedNetwork> networkInFile(const QCommandLineParser &parser, const QString &command);

// The network the options ask for, with the network `file` read from --weights already (may be
// null). Throws rnnscope::Error on bad usage.
rnnscope::NetworkRequest networkRequest(const QCommandLineParser &parser,
                                        std::shared_ptr<const rnnscope::LoadedNetwork> file = nullptr);

using NetworkFile = std::shared_ptr<const rnnscope::LoadedNetwork>;
int networkSummary(const QCommandLineParser &parser, const NetworkFile &file = nullptr);
int networkForward(const QCommandLineParser &parser, const NetworkFile &file = nullptr);
int networkSave(const QCommandLineParser &parser, const QStringList &positional, const NetworkFile &file = nullptr);
// Every direction of every layer step by step (the single layer's trace of each, on the sequence
// it reads), in the order the network computes them.
int networkTrace(const QCommandLineParser &parser, const NetworkFile &file = nullptr);

} // namespace cli
