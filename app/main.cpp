// rnnscope: parses the command line, then either runs a headless command against core or opens
// the desktop app. Nothing else lives here.

#include "cli.h"
#include "networkcommands.h"

#if RNNSCOPE_WITH_GUI
#include "common/error.h"
#include "io/sessionfile.h"
#include "uientry.h"
#endif

#include <QCoreApplication>
#include <QFileInfo>

#include <cstdio>
#include <optional>

namespace {

QStringList arguments(int argc, char **argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    return args;
}

// Refuses a FILE argument that does not exist or cannot be read; `expected` says what it should be.
std::optional<int> refuseUnreadable(const QString &path, const QString &expected)
{
    const QFileInfo file(path);
    if (!file.exists())
        return cli::fail(QStringLiteral("'%1' does not exist: expected %2").arg(path, expected));
    if (!file.isFile() || !file.isReadable())
        return cli::fail(QStringLiteral("'%1' cannot be read: expected a readable weights, input or session file").arg(path));
    return std::nullopt;
}

#if RNNSCOPE_WITH_GUI
// Puts the FILE argument into `launch` by what it holds: a session (which fixes the whole model,
// so no model option applies), weights (as --weights) or an input X (as --input).
std::optional<int> takeFile(const QString &path, const QCommandLineParser &parser, ui::LaunchOptions &launch)
{
    if (const auto refused = refuseUnreadable(path, QStringLiteral("a weights, input or session file")))
        return refused;
    launch.file = path;
    switch (rnnscope::fileKind(path.toStdString())) {
    case rnnscope::FileKind::Session:
        for (const char *option : {"dims", "return-sequences", "activation", "dense-activation", "dtype", "seed", "init",
                                   "init-scale", "weights", "layer", "input"})
            if (parser.isSet(QLatin1String(option)))
                return cli::fail(QStringLiteral("--%1 does not apply to a session file: '%2' holds the whole model")
                                     .arg(QLatin1String(option), path));
        break;
    case rnnscope::FileKind::Weights:
        if (!launch.request.weightsPath.empty())
            return cli::fail(QStringLiteral("both --weights and '%1' name a file to open: give one").arg(path));
        launch.request.weightsPath = path.toStdString();
        break;
    case rnnscope::FileKind::Input:
        if (!launch.request.inputPath.empty())
            return cli::fail(QStringLiteral("both --input and '%1' name an input file: give one").arg(path));
        launch.request.inputPath = path.toStdString();
        break;
    }
    return std::nullopt;
}

// The training run of screenshot --task and bench --ui --train: --task (default adding),
// --steps (default `steps`), --batch-size (64), --optimizer (adam) and --lr (0.01).
std::optional<int> takeTraining(const QCommandLineParser &parser, ui::LaunchOptions &launch, long long steps)
{
    launch.trainTask = rnnscope::TaskKind::Adding;
    if (parser.isSet(QStringLiteral("task"))) {
        const auto task = rnnscope::parseTask(parser.value(QStringLiteral("task")).toStdString());
        if (!task)
            return cli::fail(QStringLiteral("--task '%1' is unknown: expected %2")
                                 .arg(parser.value(QStringLiteral("task")), QString::fromStdString(rnnscope::taskNames())));
        launch.trainTask = task;
    }
    launch.trainSteps = cli::integerOption(parser, QStringLiteral("steps"), 1, 1000000, steps);
    launch.trainBatch = int(cli::integerOption(parser, QStringLiteral("batch-size"), 1, 4096, 64));
    if (parser.isSet(QStringLiteral("optimizer"))) {
        const auto o = rnnscope::parseOptimizer(parser.value(QStringLiteral("optimizer")).toStdString());
        if (!o)
            return cli::fail(QStringLiteral("--optimizer '%1' is unknown: expected sgd, adam or rmsprop").arg(parser.value(QStringLiteral("optimizer"))));
        launch.trainOptimizer = *o;
    }
    bool ok = true;
    if (parser.isSet(QStringLiteral("lr")))
        launch.trainLr = parser.value(QStringLiteral("lr")).toDouble(&ok);
    if (!ok || !(launch.trainLr > 0))
        return cli::fail(QStringLiteral("--lr '%1' is not a positive number").arg(parser.value(QStringLiteral("lr"))));
    return std::nullopt;
}

// --scale of screenshot and animate: 1, 2 or 3 times the pixels.
std::optional<int> takeScale(const QCommandLineParser &parser, ui::LaunchOptions &launch)
{
    if (!parser.isSet(QStringLiteral("scale")))
        return std::nullopt;
    bool ok = false;
    launch.scale = parser.value(QStringLiteral("scale")).toInt(&ok);
    if (!ok || launch.scale < 1 || launch.scale > 3)
        return cli::fail(QStringLiteral("--scale '%1' is not offered: expected 1, 2 or 3").arg(parser.value(QStringLiteral("scale"))));
    return std::nullopt;
}
#endif

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("rnnscope"));
    QCoreApplication::setOrganizationName(QStringLiteral("rnnscope"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("rnnscope.org"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RNNSCOPE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "rnnscope: the shapes and the recurrence of SimpleRNN(M), LSTM(M) or GRU(M) -> Dense(K), step by step.\n\n"
        "Commands:\n"
        "  rnnscope [MODEL OPTIONS] [FILE]        open the desktop app\n"
        "  rnnscope summary [MODEL OPTIONS]       print the Keras-style model summary\n"
        "  rnnscope trace [MODEL OPTIONS] [--sample n]\n"
        "                                         print the recurrence step by step\n"
        "  rnnscope forward [MODEL OPTIONS] --out Y.npy [--hidden H.npy] [--cell-state C.npy]\n"
        "                                         run the forward pass, write Y, H (and an LSTM's C)\n"
        "  rnnscope save OUT.npz|OUT.json [MODEL OPTIONS] [--layout keras|pytorch]\n"
        "                                         write the weights (.npz) or the whole session (.json)\n"
        "  rnnscope grad [MODEL OPTIONS] --target Y.npy --out G.npz [--dh DH.npy] [--loss NAME] [--json]\n"
        "                                         the loss and its gradients through time\n"
        "  rnnscope train [MODEL OPTIONS] (--task NAME | --target Y.npy) --optimizer sgd|adam|rmsprop\n"
        "                 [--lr x] (--steps S | --epochs E) [--batch-size B] --out W.npz\n"
        "                 [--save-state STATE.npz] [--resume STATE.npz] [--json]\n"
        "                                         train the model (Keras's optimizers), write its weights\n"
        "  rnnscope export-code --to numpy|keras|pytorch OUT.py [MODEL OPTIONS]\n"
        "                                         a Python script that rebuilds and runs the model\n"
        "  rnnscope bench [MODEL OPTIONS] [--repeat R] [--train [--optimizer NAME]] [--json]\n"
        "                                         time the forward pass (--train: a training step)\n"
        "  rnnscope bench --ui [MODEL OPTIONS] [--long-work | --train [--task NAME] [--steps S]] [--json]\n"
        "                                         time each step of the window (offscreen), the long\n"
        "                                         work of a large model with the window live, or how\n"
        "                                         the window keeps up with a training run\n"
        "  rnnscope screenshot OUT.png|OUT.svg [FILE] [MODEL OPTIONS] [--step t] [--size WxH]\n"
        "                     [--view NAME] [--scale 1|2|3]\n"
        "                                         render the window (or one view, PNG or SVG)\n"
        "                                         offscreen\n"
        "  rnnscope animate OUT.gif [FILE] [MODEL OPTIONS] [--view NAME] [--size WxH] [--scale 1|2|3]\n"
        "                   [--fps f]\n"
        "                                         the stepping through t = 0 ... T-1 of the window (or\n"
        "                                         one view) as an animated GIF, offscreen\n\n"
        "Exit status: 0 done, 2 bad usage or bad input, 1 internal failure."));
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("summary, trace, forward, save, grad, train, export-code, bench, screenshot, animate, or a FILE to open."),
                                 QStringLiteral("[command|FILE]"));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    cli::addOptions(parser);

    const QStringList args = arguments(argc, argv);
    if (!parser.parse(args))
        return cli::fail(parser.errorText() + QStringLiteral(" (see rnnscope --help)"));
    if (parser.isSet(help)) {
        std::fputs(parser.helpText().toLocal8Bit().constData(), stdout);
        return cli::Ok;
    }
    if (parser.isSet(version)) {
        std::printf("rnnscope %s\n", RNNSCOPE_VERSION);
        return cli::Ok;
    }

    const QStringList positional = parser.positionalArguments();
    const QString first = positional.value(0);
    const bool bench = first == QLatin1String("bench");
    if (parser.isSet(QStringLiteral("long-work")) && !(bench && parser.isSet(QStringLiteral("ui"))))
        return cli::fail(QStringLiteral("--long-work belongs to bench --ui: rnnscope bench --ui --long-work [MODEL OPTIONS]"));
    if (cli::isHeadlessCommand(first) && !(bench && parser.isSet(QStringLiteral("ui"))))
        return cli::runHeadless(parser, positional);

    // Everything else needs the window: screenshot, bench --ui, or the app itself (with a FILE).
    const bool animate = first == QLatin1String("animate");
    if (!first.isEmpty() && first != QLatin1String("screenshot") && !animate && !bench) {
        if (const auto refused = refuseUnreadable(first, QStringLiteral("a command (summary, trace, forward, save, bench, "
                                                                        "screenshot) or a weights, input or session file to open")))
            return *refused;
        if (positional.size() > 1)
            return cli::fail(QStringLiteral("unexpected argument '%1': the app opens one file").arg(positional.at(1)));
    }
#if RNNSCOPE_WITH_GUI
    ui::LaunchOptions launch;
    try {
        launch.request = cli::modelRequest(parser);
        launch.presentation = parser.isSet(QStringLiteral("presentation"));
        launch.lesson = parser.value(QStringLiteral("lesson"));
        if (parser.isSet(QStringLiteral("lesson-step"))) {
            bool ok = false;
            launch.lessonStep = parser.value(QStringLiteral("lesson-step")).toInt(&ok);
            if (!ok || launch.lessonStep < 1 || launch.lesson.isEmpty())
                return cli::fail(QStringLiteral("--lesson-step '%1' is not a step of a --lesson: expected 1, 2, …")
                                     .arg(parser.value(QStringLiteral("lesson-step"))));
        }
        if (first == QLatin1String("screenshot")) {
            if (positional.size() != 2 && positional.size() != 3)
                return cli::fail(QStringLiteral("screenshot needs one file to write: rnnscope screenshot OUT.png [FILE] [MODEL OPTIONS]"));
            launch.mode = ui::LaunchOptions::Mode::Screenshot;
            launch.screenshotPath = positional.at(1);
            if (positional.size() == 3)
                if (const auto refused = takeFile(positional.at(2), parser, launch))
                    return *refused;
            launch.view = parser.value(QStringLiteral("view"));
            launch.show = parser.value(QStringLiteral("show"));
            if (parser.isSet(QStringLiteral("task")))
                if (const auto refused = takeTraining(parser, launch, 300))
                    return *refused;
            if (const auto refused = takeScale(parser, launch))
                return *refused;
            if (parser.isSet(QStringLiteral("step"))) {
                bool ok = false;
                launch.step = parser.value(QStringLiteral("step")).toInt(&ok);
                if (!ok || *launch.step < -1)
                    return cli::fail(QStringLiteral("--step '%1' is not a timestep: expected -1 (before the first step) … T-1")
                                         .arg(parser.value(QStringLiteral("step"))));
            }
        } else if (animate) {
            if (positional.size() != 2 && positional.size() != 3)
                return cli::fail(QStringLiteral("animate needs one file to write: rnnscope animate OUT.gif [FILE] [MODEL OPTIONS]"));
            if (!positional.at(1).endsWith(QLatin1String(".gif"), Qt::CaseInsensitive))
                return cli::fail(QStringLiteral("'%1': an animation is written as an animated GIF: expected OUT.gif").arg(positional.at(1)));
            launch.mode = ui::LaunchOptions::Mode::Animate;
            launch.screenshotPath = positional.at(1);
            if (positional.size() == 3)
                if (const auto refused = takeFile(positional.at(2), parser, launch))
                    return *refused;
            launch.view = parser.value(QStringLiteral("view"));
            if (const auto refused = takeScale(parser, launch))
                return *refused;
            if (parser.isSet(QStringLiteral("fps"))) {
                bool ok = false;
                launch.fps = parser.value(QStringLiteral("fps")).toDouble(&ok);
                if (!ok || !(launch.fps >= 0.5 && launch.fps <= 50))
                    return cli::fail(QStringLiteral("--fps '%1' is not offered: expected frames per second from 0.5 to 50")
                                         .arg(parser.value(QStringLiteral("fps"))));
            }
        } else if (bench) {
            if (positional.size() != 1)
                return cli::fail(QStringLiteral("'bench' takes no argument '%1'").arg(positional.at(1)));
            launch.mode = ui::LaunchOptions::Mode::BenchUi;
            launch.json = parser.isSet(QStringLiteral("json"));
            launch.longWork = parser.isSet(QStringLiteral("long-work"));
            launch.train = parser.isSet(QStringLiteral("train"));
            if (launch.longWork && launch.train)
                return cli::fail(QStringLiteral("--long-work and --train are two benchmarks of the window: give one"));
            if (launch.train)
                if (const auto refused = takeTraining(parser, launch, 1000))
                    return *refused;
        } else if (!first.isEmpty()) {
            if (const auto refused = takeFile(first, parser, launch))
                return *refused;
        }
        if (parser.isSet(QStringLiteral("size"))) {
            const QStringList wh = parser.value(QStringLiteral("size")).split(QLatin1Char('x'));
            bool okW = false, okH = false;
            const int w = wh.value(0).toInt(&okW), h = wh.value(1).toInt(&okH);
            if (wh.size() != 2 || !okW || !okH || w < 320 || h < 240 || w > 8192 || h > 8192)
                return cli::fail(QStringLiteral("--size '%1' is malformed: expected WxH with 320 ≤ W, H ≤ 8192, such as 1600x900")
                                     .arg(parser.value(QStringLiteral("size"))));
            launch.size = QSize(w, h);
        }
    } catch (const rnnscope::Error &e) {
        return cli::fail(QString::fromStdString(e.what()));
    }
    if (cli::wantsNetwork(parser)) {
        try {
            launch.network = cli::networkRequest(parser);
        } catch (const rnnscope::Error &e) {
            return cli::fail(QString::fromStdString(e.what()));
        }
        launch.network->model.weightsPath = launch.request.weightsPath; // a FILE argument too
        launch.network->model.inputPath = launch.request.inputPath;
    }
    return ui::run(argc, argv, launch);
#else
    return cli::fail(QStringLiteral("this rnnscope was built without the desktop app (RNNSCOPE_GUI=OFF): "
                                    "use summary, trace, forward, save or bench"));
#endif
}
