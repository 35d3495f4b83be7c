#pragma once
// The learning commands of the command line (DESIGN §3): grad (the loss, dL/dW, dL/dh_t and the
// state Jacobians' norms) and train (a task or your data, Keras's optimizers, --save-state and
// --resume), against core's backpropagation and trainer.

#include <QCommandLineParser>

namespace cli {

// rnnscope grad [MODEL OPTIONS] --target Y.npy --out G.npz …: returns the exit status; throws
// rnnscope::Error on bad usage or bad input.
int grad(const QCommandLineParser &p);

// rnnscope train [MODEL OPTIONS] (--task NAME | --target Y.npy) --optimizer NAME …: likewise.
int train(const QCommandLineParser &p);

} // namespace cli
