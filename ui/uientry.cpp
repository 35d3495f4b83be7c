#include "uientry.h"

#include "error.h"
#include "mainwindow.h"
#include "session.h"
#include "sessionfile.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEvent>
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

int screenshot(MainWindow &window, Session &session, const ui::LaunchOptions &options, std::optional<int> sessionStep)
{
    window.resize(options.size);
    window.show();
    settle();
    const int T = session.dims().T;
    const int step = options.step.value_or(sessionStep.value_or(T - 1));
    if (step < -1 || step >= T)
        return fail(QStringLiteral("--step %1 is out of range: expected -1 … %2 (T=%3)").arg(step).arg(T - 1).arg(T));
    session.seek(step);
    session.finishWork(); // a long computation runs on the worker: its result is what to show
    settle();
    const QImage image = window.grab().toImage();
    if (image.isNull() || !image.save(options.screenshotPath, "PNG"))
        return fail(QStringLiteral("cannot write the screenshot to '%1'").arg(options.screenshotPath));
    return 0;
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
    // the percentiles rest on enough samples; every pass starts from the reset.
    const int T = session.dims().T;
    const int passes = std::max(1, (200 + T - 1) / T);
    std::vector<double> ms;
    ms.reserve(std::size_t(T) * passes);
    QElapsedTimer step;
    for (int pass = 0; pass < passes; ++pass) {
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
    if (options.json)
        std::printf("{\"dims\":[%d,%d,%d,%d,%d],\"steps\":%d,\"passes\":%d,\"median_ms\":%.3f,\"p95_ms\":%.3f,"
                    "\"first_window_ms\":%.1f}\n",
                    d.N, d.T, d.D, d.M, d.K, T, passes, median, p95, firstMs);
    else
        std::printf("UI stepping, dims %s, window %dx%d: %d steps × %d passes, median %.3f ms, p95 %.3f ms, max %.3f ms; "
                    "first window painted after %.1f ms\n",
                    dimsString(d).c_str(), options.size.width(), options.size.height(), T, passes, median, p95,
                    *std::max_element(ms.begin(), ms.end()), firstMs);
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
    std::optional<SessionData> sessionFile;
    const std::string file = options.file.toStdString();
    try {
        if (!file.empty() && fileKind(file) == FileKind::Session) {
            sessionFile = loadSession(file);
            model.emplace(sessionFile->model.config);
            model->restore(sessionFile->model);
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
    Session session(std::move(*model));
    MainWindow window(&session, options.mode == LaunchOptions::Mode::Window);
    if (sessionFile)
        session.showSession(*sessionFile);
    if (!file.empty()) {
        if (fileKind(file) != FileKind::Input)
            session.setFilePath(options.file, bool(sessionFile));
        window.addRecentFile(options.file);
    }
    if (options.presentation)
        window.setPresentation(true);
    switch (options.mode) {
    case LaunchOptions::Mode::Screenshot:
        return screenshot(window, session, options, sessionFile ? std::optional<int>(sessionFile->timestep) : std::nullopt);
    case LaunchOptions::Mode::BenchUi:
        return benchUi(window, session, options, clock);
    case LaunchOptions::Mode::Window:
        break;
    }
    window.show();
    // Changes a killed or crashed rnnscope left unsaved: offered once the window is up.
    QTimer::singleShot(0, &window, [&window] { window.offerRecovery(); });
    return app.exec();
}

} // namespace ui
