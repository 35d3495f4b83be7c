#include "uientry.h"

#include "animationexport.h"
#include "common/error.h"
#include "io/sessionfile.h"
#include "gradientview.h"
#include "lessonpanel.h"
#include "mainwindow.h"
#include "playbackbar.h"
#include "trainingpanel.h"
#include "terminationsignals.h"
#include "session.h"
#include "timeserieschart.h"
#include "viewexport.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEvent>
#include <QEventLoop>
#include <QImage>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace rnnscope;

namespace {

int fail(const QString &message, int status = 2)
{
    std::fprintf(stderr, "rnnscope: %s\n", message.toLocal8Bit().constData());
    return status;
}

// Notes when the window has painted for the first time.
class FirstPaint : public QObject {
public:
    qint64 at = -1;
    const QElapsedTimer *clock = nullptr;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Paint && at < 0)
            at = clock->nsecsElapsed();
        return QObject::eventFilter(watched, event);
    }
};

void settle()
{
    for (int i = 0; i < 3; ++i)
        QCoreApplication::processEvents();
}

// The view of the window whose command-line name is `key` (any case).
std::optional<MainWindow::ExportableView> exportableView(const MainWindow &window, const QString &key)
{
    for (const MainWindow::ExportableView &e : window.exportableViews())
        if (e.key.compare(key, Qt::CaseInsensitive) == 0)
            return e;
    return std::nullopt;
}

QString unknownView(const MainWindow &window, const QString &key)
{
    QStringList keys;
    for (const MainWindow::ExportableView &e : window.exportableViews())
        keys << e.key;
    return QStringLiteral("--view '%1' is unknown: expected one of %2").arg(key, keys.join(QStringLiteral(", ")));
}

int screenshot(MainWindow &window, Session &session, const ui::LaunchOptions &options, std::optional<int> sessionStep)
{
    window.resize(options.size);
    window.show();
    settle();
    const int T = session.dims().T;
    // (a lesson's step has put the timestep where it wants it)
    const int step = options.step.value_or(sessionStep.value_or(options.lesson.isEmpty() ? T - 1 : session.position()));
    if (step < -1 || step >= T)
        return fail(QStringLiteral("--step %1 is out of range: expected -1 … %2 (T=%3)").arg(step).arg(T - 1).arg(T));
    session.seek(step);
    session.finishWork(); // a long computation runs on the worker: its result is what to show
    settle();
    if (options.trainTask) {
        TrainingPanel *panel = window.trainingPanel();
        panel->setPlan(*options.trainTask, options.trainOptimizer, options.trainLr, options.trainBatch, options.trainSteps, 1.0);
        window.bringToFront(panel);
        if (!panel->controller()->train(panel->plan()))
            return fail(QStringLiteral("the training run was refused: %1").arg(window.statusText()));
        panel->controller()->finish();
        session.seek(step);
        session.finishWork();
        settle();
    }
    // Charts read a long history in slices: the picture waits for the last one.
    QElapsedTimer wait;
    wait.start();
    const QList<TimeSeriesChart *> charts = window.findChildren<TimeSeriesChart *>();
    while (wait.elapsed() < 30000
           && std::any_of(charts.begin(), charts.end(), [](const TimeSeriesChart *c) { return c->catchingUp(); }))
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    if (!options.view.isEmpty()) {
        // One view, as File ▸ Export view writes it: SVG by the name, else PNG at the scale.
        const auto it = exportableView(window, options.view);
        if (!it)
            return fail(unknownView(window, options.view));
        if (!window.bringToFront(it->view))
            return fail(QStringLiteral("--view %1 is not on show in this window").arg(it->key));
        settle();
        QString error;
        const bool svg = options.screenshotPath.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive);
        const bool ok = svg ? ViewExport::writeSvg(it->view, options.screenshotPath, it->name, &error)
                            : ViewExport::writePng(it->view, options.screenshotPath, options.scale, &error);
        return ok ? 0 : fail(error);
    }
    if (options.screenshotPath.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive))
        return fail(QStringLiteral("'%1': the whole window is written as PNG; an SVG needs --view").arg(options.screenshotPath));
    if (!options.show.isEmpty()) {
        const auto it = exportableView(window, options.show);
        if (!it || !window.bringToFront(it->view))
            return fail(QStringLiteral("--show '%1' is not a view of this window").arg(options.show));
        settle();
    }
    QImage image = window.grab().toImage();
    if (options.scale > 1) // (the window grabbed at the screen's pixels, then each view painted larger)
        image = ViewExport::image(&window, options.scale);
    if (image.isNull() || !image.save(options.screenshotPath, "PNG"))
        return fail(QStringLiteral("cannot write the screenshot to '%1'").arg(options.screenshotPath));
    return 0;
}

// animate: the stepping through t = 0 … T−1 of the window, or of one view, as an animated GIF.
int animate(MainWindow &window, const ui::LaunchOptions &options)
{
    window.resize(options.size);
    window.show();
    settle();
    QWidget *view = nullptr;
    if (!options.view.isEmpty()) {
        const auto it = exportableView(window, options.view);
        if (!it)
            return fail(unknownView(window, options.view));
        view = it->view;
    }
    const double fps = options.fps > 0 ? options.fps : window.playbackBar()->speed();
    QString message;
    const auto outcome = AnimationExport::write(window, view, options.screenshotPath, options.scale, fps,
                                                [](int, int) { return true; }, &message);
    return outcome == AnimationExport::Outcome::Written ? 0 : fail(message);
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    const double pos = p * (v.size() - 1);
    const std::size_t i = static_cast<std::size_t>(pos);
    const double frac = pos - i;
    return i + 1 < v.size() ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
}

int benchUi(MainWindow &window, Session &session, const ui::LaunchOptions &options, const QElapsedTimer &clock)
{
    FirstPaint first;
    first.clock = &clock;
    window.installEventFilter(&first);
    window.resize(options.size);
    window.show();
    QElapsedTimer wait;
    wait.start();
    while (first.at < 0 && wait.elapsed() < 10000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    settle();
    const double firstMs = first.at / 1e6;
    window.removeEventFilter(&first);

    // Short sequences are stepped through several times (at least 200 steps measured), so that
    // the percentiles rest on enough samples; every pass starts from the reset. A network is
    // stepped through its whole schedule: every direction of every layer, bottom up (the step
    // after a direction's last shows the next one, computing the layers under it first).
    const int T = session.scheduleLength();
    const int passes = std::max(1, (200 + T - 1) / T);
    std::vector<double> ms;
    ms.reserve(std::size_t(T) * passes);
    QElapsedTimer step;
    for (int pass = 0; pass < passes; ++pass) {
        session.selectLayer(0, 0);
        session.reset();
        settle();
        for (int t = 0; t < T; ++t) {
            step.start();
            session.stepForward();
            QCoreApplication::processEvents(); // every view that changed updates and paints
            ms.push_back(step.nsecsElapsed() / 1e6);
        }
    }
    const Dims &d = session.dims();
    const double median = percentile(ms, 0.5), p95 = percentile(ms, 0.95);
    const NetworkConfig &net = session.networkConfig();
    StackDims sizes{net.N, net.T, net.D, net.K, {}};
    for (const LayerSpec &l : net.layers)
        sizes.units.push_back(l.units);
    const std::string model = session.isNetwork() ? stackText(net.layers, net.vocabulary) : cellClassName(session.config().kind);
    const std::string dims = session.isNetwork() ? stackDimsText(sizes) : dimsString(d); // "8,1000,32,[256,256,256],10"
    if (options.json)
        std::printf("{\"dims\":[%s],\"model\":\"%s\",\"cell\":\"%s\",\"steps\":%d,\"passes\":%d,\"median_ms\":%.3f,"
                    "\"p95_ms\":%.3f,\"max_ms\":%.3f,\"first_window_ms\":%.1f}\n",
                    dims.c_str(), model.c_str(), cellName(session.config().kind), T, passes, median, p95,
                    *std::max_element(ms.begin(), ms.end()), firstMs);
    else
        std::printf("UI stepping, %s, dims %s, window %dx%d: %d steps × %d passes, median %.3f ms, p95 %.3f ms, max %.3f ms; "
                    "first window painted after %.1f ms\n",
                    model.c_str(), dims.c_str(), options.size.width(), options.size.height(), T, passes, median, p95,
                    *std::max_element(ms.begin(), ms.end()), firstMs);
    return 0;
}

// How long `start` takes to finish its work (until the session is idle again), and the longest
// the event loop went without running meanwhile: a 10 ms timer repaints the whole window, as a
// user's clicks and the progress display would need.
struct Responsiveness {
    double seconds = 0;
    double maxGapMs = 0;
    int repaints = 0;
};

template <typename Start>
Responsiveness timeLongWork(MainWindow &window, Session &session, Start &&start)
{
    Responsiveness r;
    QElapsedTimer total, gap;
    QTimer ticker;
    ticker.setInterval(10);
    QObject::connect(&ticker, &QTimer::timeout, &window, [&] {
        r.maxGapMs = std::max(r.maxGapMs, gap.nsecsElapsed() / 1e6);
        gap.restart();
        window.repaint();
        ++r.repaints;
    });
    total.start();
    gap.start();
    ticker.start();
    start();
    while (session.busy())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    ticker.stop();
    r.maxGapMs = std::max(r.maxGapMs, gap.nsecsElapsed() / 1e6);
    r.seconds = total.nsecsElapsed() / 1e9;
    return r;
}

// The long work of a large model, timed with the window live: new input X (built on the worker),
// End (every timestep computed on the worker), and a weight edit at the end (the worker computes
// everything again and comes back to the last step).
int benchLongWork(MainWindow &window, Session &session, const ui::LaunchOptions &options)
{
    window.resize(options.size);
    window.show();
    settle();
    const Dims d = session.dims();
    const Responsiveness input = timeLongWork(window, session, [&] { session.randomizeInput(); });
    const Responsiveness end = timeLongWork(window, session, [&] { session.seek(d.T - 1); });
    const Responsiveness edit = timeLongWork(window, session, [&] {
        session.setWeightValue(WeightId::Wh, 0, 0, session.weights().Wh(0, 0) + 0.25);
    });
    if (session.position() != d.T - 1)
        return fail(QStringLiteral("the long work did not come back to t = %1").arg(d.T - 1), 1);
    // New weights: Keras's orthogonal recurrent kernel is a QR of (gM × M), a second at M = 2000.
    const Responsiveness redraw = timeLongWork(window, session, [&] { session.randomizeWeights(); });
    if (options.json) {
        std::printf("{\"dims\":[%d,%d,%d,%d,%d],\"cell\":\"%s\",\"randomize_input_s\":%.3f,\"randomize_input_max_gap_ms\":%.1f,"
                    "\"end_s\":%.3f,\"end_max_gap_ms\":%.1f,\"edit_s\":%.3f,\"edit_max_gap_ms\":%.1f,"
                    "\"randomize_weights_s\":%.3f,\"randomize_weights_max_gap_ms\":%.1f}\n",
                    d.N, d.T, d.D, d.M, d.K, cellName(session.config().kind), input.seconds, input.maxGapMs,
                    end.seconds, end.maxGapMs, edit.seconds, edit.maxGapMs, redraw.seconds, redraw.maxGapMs);
    } else {
        const auto line = [](const char *what, const Responsiveness &r) {
            std::printf("  %-32s %8.3f s, the window repainted %d times, longest wait %.1f ms\n", what, r.seconds,
                        r.repaints, r.maxGapMs);
        };
        std::printf("Long work, %s, dims %s, window %dx%d:\n", cellClassName(session.config().kind), dimsString(d).c_str(), options.size.width(),
                    options.size.height());
        line("new input X (⟳ input)", input);
        line("End (every timestep)", end);
        line("edit Wh[0, 0] at the end", edit);
        line("new weights (⟳ weights)", redraw);
    }
    return 0;
}

// A training run in the window as the Training panel runs it, with `front` in front: its time,
// its steps, how often the weights on show were refreshed (Session::weightsChanged), and the
// longest the event loop waited — a 5 ms timer's largest interval between two firings, less its
// 5 ms (from the click on Train, which sets the run up in the window's thread, to the run's end).
struct TrainingRun {
    double seconds = 0;
    long long steps = 0;
    int refreshes = 0;
    double maxWaitMs = 0;
    double stepsPerSecond() const { return steps / seconds; }
    double refreshesPerSecond() const { return refreshes / seconds; }
};

std::optional<TrainingRun> timeTrainingRun(MainWindow &window, Session &session, QWidget *front, long long steps)
{
    TrainingPanel *panel = window.trainingPanel();
    TrainingController *controller = panel->controller();
    window.bringToFront(front);
    settle();
    TrainingRun r;
    QEventLoop loop;
    QElapsedTimer total, gap;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    ticker.setInterval(5);
    QObject::connect(&ticker, &QTimer::timeout, &loop, [&] {
        r.maxWaitMs = std::max(r.maxWaitMs, gap.nsecsElapsed() / 1e6 - 5);
        gap.restart();
    });
    QObject::connect(controller, &TrainingController::runningChanged, &loop, [&](bool on) {
        if (!on)
            loop.quit();
    });
    const long long before = controller->stepsDone();
    total.start();
    gap.start();
    ticker.start();
    if (!controller->train(panel->plan(), steps))
        return std::nullopt;
    // Counted from here: setting the model up for the task (its D and K) is no snapshot.
    QObject::connect(&session, &Session::weightsChanged, &loop, [&] { ++r.refreshes; });
    loop.exec();
    ticker.stop();
    r.maxWaitMs = std::max(r.maxWaitMs, gap.nsecsElapsed() / 1e6 - 5);
    r.seconds = total.nsecsElapsed() / 1e9;
    r.steps = controller->stepsDone() - before;
    return r;
}

// bench --ui --train: a run of S steps with the Training tab in front (its loss curves grow, the
// weight views follow every snapshot), then S more with the Gradients tab in front (it
// recomputes ‖dL/dh_t‖ and the Jacobians at every snapshot).
int benchTraining(MainWindow &window, Session &session, const ui::LaunchOptions &options)
{
    window.resize(options.size);
    window.show();
    settle();
    TrainingPanel *panel = window.trainingPanel();
    panel->setPlan(*options.trainTask, options.trainOptimizer, options.trainLr, options.trainBatch, options.trainSteps, 1.0);
    const auto training = timeTrainingRun(window, session, panel, options.trainSteps);
    const auto gradients = training ? timeTrainingRun(window, session, window.gradientView(), options.trainSteps) : std::nullopt;
    if (!training || !gradients)
        return fail(QStringLiteral("the training run was refused: %1").arg(window.statusText()));
    const Dims &d = session.dims();
    const char *task = taskName(*options.trainTask);
    if (options.json) {
        std::printf("{\"dims\":[%d,%d,%d,%d,%d],\"cell\":\"%s\",\"task\":\"%s\",\"optimizer\":\"%s\",\"batch\":%d,\"steps\":%lld,"
                    "\"seconds\":%.3f,\"steps_per_second\":%.1f,\"refreshes_per_second\":%.2f,\"max_event_wait_ms\":%.1f,"
                    "\"seconds_gradients\":%.3f,\"steps_per_second_gradients\":%.1f,\"refreshes_per_second_gradients\":%.2f,"
                    "\"max_event_wait_ms_gradients\":%.1f}\n",
                    d.N, d.T, d.D, d.M, d.K, cellName(session.config().kind), task, optimizerName(options.trainOptimizer),
                    options.trainBatch, training->steps, training->seconds, training->stepsPerSecond(), training->refreshesPerSecond(),
                    training->maxWaitMs, gradients->seconds, gradients->stepsPerSecond(), gradients->refreshesPerSecond(),
                    gradients->maxWaitMs);
    } else {
        std::printf("Training in the window, %s, dims %s, task %s, %s lr %g, batch %d, window %dx%d:\n", cellClassName(session.config().kind),
                    dimsString(d).c_str(), task, optimizerName(options.trainOptimizer), options.trainLr, options.trainBatch,
                    options.size.width(), options.size.height());
        const auto line = [](const char *front, const TrainingRun &r) {
            std::printf("  %-15s %lld steps in %.2f s: %.1f steps/s, the weights on show refreshed %.1f times/s, longest wait %.1f ms\n",
                        front, r.steps, r.seconds, r.stepsPerSecond(), r.refreshesPerSecond(), r.maxWaitMs);
        };
        line("Training tab", *training);
        line("Gradients tab", *gradients);
    }
    return 0;
}

} // namespace

namespace ui {

int run(int argc, char **argv, const LaunchOptions &options)
{
    QElapsedTimer clock;
    clock.start();
    if (options.mode != LaunchOptions::Mode::Window && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // The model first: a refused file or size is reported before any window opens.
    std::optional<Model> model;
    std::optional<NetworkState> network;
    std::optional<SessionData> sessionFile;
    const std::string file = options.file.toStdString();
    try {
        if (!file.empty() && fileKind(file) == FileKind::Session) {
            sessionFile = loadSession(file);
            if (sessionFile->network) {
                network = std::move(*sessionFile->network);
                sessionFile->network.reset();
            } else {
                model.emplace(sessionFile->model.config);
                model->restore(sessionFile->model);
            }
        } else if (options.network) {
            network = buildNetwork(*options.network).state();
        } else if (auto loaded = options.request.layer.empty() && !options.request.weightsPath.empty()
                                     ? loadNetworkFile(options.request.weightsPath)
                                     : std::nullopt) {
            // A file of a network opens whole (--layer NAME opens one of its layers alone).
            NetworkRequest r;
            r.model = options.request;
            r.model.dims.reset();
            r.file = std::make_shared<const LoadedNetwork>(std::move(*loaded));
            network = buildNetwork(r).state();
        } else {
            model.emplace(buildModel(options.request));
        }
    } catch (const Error &e) {
        return fail(QString::fromStdString(e.what()));
    } catch (const std::bad_alloc &) {
        return fail(QStringLiteral("not enough memory for this model"), 1);
    }
    // The application id: desktops match the window with resources/org.rnnscope.rnnscope.desktop
    // (its name and icon in task bars; the app_id under Wayland).
    QGuiApplication::setDesktopFileName(QStringLiteral("org.rnnscope.rnnscope"));
    QApplication app(argc, argv);
    std::optional<Session> shown;
    if (network)
        shown.emplace(std::move(*network));
    else
        shown.emplace(std::move(*model));
    Session &session = *shown;
    MainWindow window(&session, options.mode == LaunchOptions::Mode::Window);
    if (sessionFile) {
        session.selectLayer(sessionFile->layer, sessionFile->direction);
        session.showSession(*sessionFile);
    }
    if (!file.empty()) {
        if (fileKind(file) != FileKind::Input)
            session.setFilePath(options.file, bool(sessionFile));
        window.addRecentFile(options.file);
    }
    if (options.presentation)
        window.setPresentation(true);
    if (!options.lesson.isEmpty()) {
        if (options.mode != LaunchOptions::Mode::Window)
            window.resize(options.size), window.show(); // the lesson's views are placed in a shown window
        if (!window.openLesson(options.lesson) && options.mode != LaunchOptions::Mode::Window)
            return fail(window.statusText());
        if (options.lessonStep > 0) {
            if (options.lessonStep > window.lessonPanel()->stepCount())
                return fail(QStringLiteral("--lesson-step %1: the lesson has %2 steps").arg(options.lessonStep).arg(window.lessonPanel()->stepCount()));
            window.lessonPanel()->showStep(options.lessonStep - 1);
        }
    }
    switch (options.mode) {
    case LaunchOptions::Mode::Screenshot:
        return screenshot(window, session, options, sessionFile ? std::optional<int>(sessionFile->timestep) : std::nullopt);
    case LaunchOptions::Mode::Animate:
        return animate(window, options);
    case LaunchOptions::Mode::BenchUi:
        if (options.train)
            return benchTraining(window, session, options);
        return options.longWork ? benchLongWork(window, session, options) : benchUi(window, session, options, clock);
    case LaunchOptions::Mode::Window:
        break;
    }
    // Ended by a signal (logout, kill, Ctrl+C, the terminal closed): as a close, nothing left behind.
    TerminationSignals termination;
    QObject::connect(&termination, &TerminationSignals::received, &window, &MainWindow::endAtSignal);
    window.show();
    // Changes a killed or crashed rnnscope left unsaved: offered once the window is up.
    QTimer::singleShot(0, &window, [&window] { window.offerRecovery(); });
    return app.exec();
}

} // namespace ui
