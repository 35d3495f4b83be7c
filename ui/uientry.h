#pragma once
// The ways main() starts the window: the app itself, an offscreen screenshot, or the UI
// benchmarks (stepping, long work, a training run).

#include "train/optimizer.h"
#include "train/task.h"
#include "io/modelrequest.h"
#include "io/networkrequest.h"

#include <QSize>
#include <QString>

#include <optional>

namespace ui {

struct LaunchOptions {
    enum class Mode { Window, Screenshot, BenchUi, Animate };
    Mode mode = Mode::Window;
    rnnscope::ModelRequest request;  // the model to open (weights and input files already named in it)
    // A network (--stack, --dims with [M1,M2,…]) to open instead of `request`. A weights file that
    // holds a network (request.weightsPath, without request.layer) opens whole as well.
    std::optional<rnnscope::NetworkRequest> network;
    QString file;                    // the FILE argument, any kind (the title, the recent files); a
                                     // session file is read by run() instead of `request`
    QString screenshotPath;          // Screenshot: the PNG (or, with a view, SVG) to write; Animate: the GIF
    QString view;                    // Screenshot, Animate: one view (MainWindow's exportable key) instead of the window
    double fps = 0;                  // Animate: frames per second (0: the playback bar's default speed)
    QString show;                    // Screenshot: the whole window with this view brought to the front
    // Screenshot: a training run in the window before the picture; BenchUi with `train`: the run
    // timed (--task, --steps, --optimizer, --lr, --batch-size; global clipnorm 1), as the Training
    // panel runs it.
    std::optional<rnnscope::TaskKind> trainTask;
    long long trainSteps = 0;
    rnnscope::OptimizerKind trainOptimizer = rnnscope::OptimizerKind::Adam;
    double trainLr = 0.01;
    int trainBatch = 64;
    int scale = 1;                   // Screenshot, Animate: 1, 2 or 3 times the pixels
    std::optional<int> step;         // Screenshot: the timestep on show (default: a session's, else the last)
    QSize size{1600, 900};           // Screenshot, Animate and BenchUi: the window size
    bool json = false;               // BenchUi: one JSON object
    bool longWork = false;           // BenchUi: time the long work instead of single steps
    bool train = false;              // BenchUi: time a training run in the window instead
    bool presentation = false;       // start in presentation mode
    QString lesson;                  // a lesson to start (a built-in name or a .lesson file)
    int lessonStep = 0;              // Screenshot: the lesson's step on show (1-based; 0: the first)
};

// Builds the model, or reads the session file (a refusal prints one line on stderr and returns 2
// before any window opens), then runs the mode. Returns the process exit status.
int run(int argc, char **argv, const LaunchOptions &options);

} // namespace ui
