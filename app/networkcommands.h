#pragma once
// The headless commands for a network of several recurrent layers or a Bidirectional one
// (--stack, or --dims N,T,D,[M1,M2,…],K): summary, forward and save.

#include "io/networkrequest.h"

#include <QCommandLineParser>
#include <QStringList>

namespace cli {

// Whether the options describe a network rather than one recurrent layer.
bool wantsNetwork(const QCommandLineParser &parser);

// The network the options ask for. Throws rnnscope::Error on bad usage.
rnnscope::NetworkRequest networkRequest(const QCommandLineParser &parser);

int networkSummary(const QCommandLineParser &parser);
int networkForward(const QCommandLineParser &parser);
int networkSave(const QCommandLineParser &parser, const QStringList &positional);

} // namespace cli
