#pragma once
// rnnscope bench (DESIGN §3, §6): the forward pass, or with --train one training step, timed
// headless on one batch. (bench --ui, the window's own timings, lives in ui/uientry.)

#include <QCommandLineParser>

namespace cli {

// Times what the options ask for and prints it (--json: one JSON object). Returns the exit
// status; throws rnnscope::Error on bad usage.
int bench(const QCommandLineParser &p);

} // namespace cli
