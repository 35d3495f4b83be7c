#pragma once
// The command line of rnnscope (DESIGN §3): parsing the model options and running the headless
// commands (summary, trace, forward, save, export-code here; grad and train in learncommands.h,
// bench in benchcommand.h) against core.

#include "io/modelrequest.h"

#include <QCommandLineParser>
#include <QStringList>

#include <string>

namespace cli {

// Exit statuses of the contract.
enum Exit { Ok = 0, Internal = 1, BadInput = 2 };

// The commands that run without a window.
bool isHeadlessCommand(const QString &name);

// Adds every option rnnscope accepts (model options and the commands' own) to `parser`.
void addOptions(QCommandLineParser &parser);

// The model the options ask for. Throws rnnscope::Error on bad usage.
rnnscope::ModelRequest modelRequest(const QCommandLineParser &parser);

// Runs a headless command; positional[0] is the command's name. Returns the exit status.
int runHeadless(const QCommandLineParser &parser, const QStringList &positional);

// An integer option in [lo, hi] (`fallback` when not given); rnnscope::Error names the value otherwise.
long long integerOption(const QCommandLineParser &p, const QString &name, long long lo, long long hi, long long fallback);

// Prints "rnnscope: <message>" on stderr and returns `status`.
int fail(const QString &message, int status = BadInput);

// The headless commands' small helpers: a QString as std::string, and text written to stdout as is.
std::string str(const QString &s);
void print(const std::string &text);

} // namespace cli
