#include "animationexport.h"

#include "gifpalette.h"
#include "gifwriter.h"
#include "mainwindow.h"
#include "playbackbar.h"
#include "session.h"
#include "timeserieschart.h"
#include "trainingcontroller.h"
#include "trainingpanel.h"
#include "viewexport.h"

#include <QAction>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QProgressDialog>
#include <QPushButton>

#include <algorithm>
#include <cmath>
#include <vector>

namespace AnimationExport {

namespace {

// Frames up to this many bytes (as rendered, 4 a pixel) are kept between counting their colours
// and encoding them; larger animations are rendered a second time instead.
constexpr std::uint64_t kKeptBytes = 96u << 20;

// Moves the window to timestep t and lets every view catch up: the long work done, the repaints
// and the charts' slices of a long history read.
void showStep(MainWindow &window, int t)
{
    Session *session = window.session();
    session->seek(t);
    session->finishWork();
    QCoreApplication::processEvents();
    const QList<TimeSeriesChart *> charts = window.findChildren<TimeSeriesChart *>();
    QElapsedTimer wait;
    wait.start();
    while (wait.elapsed() < 30000
           && std::any_of(charts.begin(), charts.end(), [](const TimeSeriesChart *c) { return c->catchingUp(); }))
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

// The frame of timestep t, opaque, of exactly `size` pixels (a view that changed its size on the
// way is drawn at the top left of the first frame's size).
QImage frame(MainWindow &window, QWidget *target, int scale, int t, QSize size)
{
    showStep(window, t);
    QImage image = ViewExport::image(target, scale).convertToFormat(QImage::Format_RGB32);
    image.setDevicePixelRatio(1);
    if (image.size() == size)
        return image;
    QImage fitted(size, QImage::Format_RGB32);
    fitted.fill(target->palette().color(QPalette::Window));
    QPainter p(&fitted);
    p.drawImage(0, 0, image);
    return fitted;
}

QString megabytes(std::uint64_t bytes)
{
    return QString::number(double(bytes) / 1e6, 'f', bytes < 10'000'000 ? 1 : 0);
}

} // namespace

int delayCentiseconds(double fps)
{
    if (!(fps > 0))
        return 100;
    return std::clamp(int(std::lround(100.0 / fps)), 2, 65535);
}

QString refusal(QSize size, int frames)
{
    const std::uint64_t frameBytes = std::uint64_t(std::max(size.width(), 0)) * std::uint64_t(std::max(size.height(), 0));
    const std::uint64_t bytes = frameBytes * std::uint64_t(std::max(frames, 0));
    if (frames > kMaxFrames)
        return QStringLiteral("an animation of T = %1 frames is more than the %2 an animated GIF may hold here: "
                              "choose a smaller T (at most %2)")
            .arg(frames).arg(kMaxFrames);
    if (bytes > kMaxFrameBytes) {
        const std::uint64_t fit = frameBytes ? kMaxFrameBytes / frameBytes : 0;
        return QStringLiteral("%1 frames of %2×%3 pixels hold %4 MB, more than the %5 MB an animated GIF may hold here: "
                              "choose a smaller T (at most %6 at this size), a single view or a smaller scale")
            .arg(frames).arg(size.width()).arg(size.height())
            .arg(megabytes(bytes), megabytes(kMaxFrameBytes)).arg(fit);
    }
    return {};
}

Outcome write(MainWindow &window, QWidget *view, const QString &path, int scale, double fps,
              const std::function<bool(int done, int total)> &progress, QString *message)
{
    const auto failed = [message](const QString &why) {
        if (message)
            *message = why;
        return Outcome::Failed;
    };
    Session *session = window.session();
    if (window.trainingPanel()->controller()->running())
        return failed(QStringLiteral("a training run is going on: pause it, then export the animation"));
    if (window.playbackBar()->isPlaying())
        window.playbackBar()->playAction()->setChecked(false);
    session->finishWork();
    QWidget *target = view ? view : &window;
    if (view && !window.bringToFront(view))
        return failed(QStringLiteral("this view is not on show in the window: open its dock first"));
    QCoreApplication::processEvents();
    const int T = session->dims().T;
    const QSize size = target->size() * scale;
    if (const QString refused = refusal(size, T); !refused.isEmpty())
        return failed(refused);

    // Back to the timestep on show however this ends.
    const int before = session->position();
    struct Restore {
        MainWindow &window;
        int t;
        ~Restore() { showStep(window, t); }
    } restore{window, before};

    // First every frame's colours, then the frames in the palette chosen from them all.
    const int total = 2 * T;
    const bool keep = std::uint64_t(size.width()) * std::uint64_t(size.height()) * 4u * std::uint64_t(T) <= kKeptBytes;
    std::vector<QImage> kept;
    GifPalette palette;
    for (int t = 0; t < T; ++t) {
        QImage image = frame(window, target, scale, t, size);
        palette.add(image);
        if (keep)
            kept.push_back(std::move(image));
        if (!progress(t + 1, total))
            return Outcome::Cancelled;
    }
    palette.choose();
    GifWriter gif(path);
    QString error;
    if (!gif.open(size, palette, delayCentiseconds(fps), &error))
        return failed(error);
    for (int t = 0; t < T; ++t) {
        const QImage image = keep ? std::exchange(kept[std::size_t(t)], QImage()) : frame(window, target, scale, t, size);
        if (!gif.addFrame(image, palette, &error))
            return failed(error);
        if (!progress(T + t + 1, total))
            return Outcome::Cancelled;
    }
    if (!gif.commit(&error))
        return failed(error);
    if (message)
        *message = QStringLiteral("%1 frames of %2×%3 pixels, %4 colours, %5 s each, to %6")
                       .arg(T).arg(size.width()).arg(size.height()).arg(palette.colours().size())
                       .arg(delayCentiseconds(fps) / 100.0).arg(path);
    return Outcome::Written;
}

void exportDialog(MainWindow *window, const std::function<void(const QString &)> &report)
{
    const QList<MainWindow::ExportableView> views = window->exportableViews();
    QDialog dialog(window);
    dialog.setWindowTitle(QObject::tr("Export animation"));
    auto *form = new QFormLayout(&dialog);
    auto *what = new QComboBox(&dialog);
    what->addItem(QObject::tr("The whole window"));
    for (const MainWindow::ExportableView &e : views)
        what->addItem(QObject::tr("The %1").arg(e.name));
    form->addRow(QObject::tr("&Animate:"), what);
    auto *scale = new QComboBox(&dialog);
    scale->addItems({QObject::tr("1× the screen's pixels"), QObject::tr("2×"), QObject::tr("3×")});
    form->addRow(QObject::tr("&Scale:"), scale);
    auto *fps = new QDoubleSpinBox(&dialog);
    fps->setRange(0.5, 50);
    fps->setDecimals(1);
    fps->setSuffix(QObject::tr(" steps per second"));
    fps->setValue(window->playbackBar()->speed());
    fps->setToolTip(QObject::tr("How long each frame shows: the playback speed by default"));
    form->addRow(QObject::tr("S&peed:"), fps);
    auto *file = new QLineEdit(QStringLiteral("rnnscope_animation.gif"), &dialog);
    auto *browse = new QPushButton(QObject::tr("&Browse…"), &dialog);
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(file);
    fileRow->addWidget(browse);
    form->addRow(QObject::tr("&File:"), fileRow);
    auto *info = new QLabel(&dialog);
    info->setWordWrap(true);
    form->addRow(info);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    buttons->button(QDialogButtonBox::Ok)->setText(QObject::tr("&Export"));
    form->addRow(buttons);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    QObject::connect(browse, &QPushButton::clicked, &dialog, [&] {
        const QString chosen = QFileDialog::getSaveFileName(&dialog, QObject::tr("Export animation"), file->text(),
                                                            QObject::tr("Animated GIF (*.gif)"));
        if (!chosen.isEmpty())
            file->setText(chosen);
    });
    // What the choice makes: its frames, their size and the loop's length, or why it is refused.
    const auto describe = [&] {
        QWidget *target = what->currentIndex() == 0 ? window : views.value(what->currentIndex() - 1).view;
        const int T = window->session()->dims().T;
        const QSize size = target->size() * (scale->currentIndex() + 1);
        const QString refused = refusal(size, T);
        QString text = target->isVisible()
            ? QObject::tr("%1 frames of %2×%3 pixels, %4 s a loop").arg(T).arg(size.width()).arg(size.height())
                  .arg(T * delayCentiseconds(fps->value()) / 100.0)
            : QObject::tr("%1 frames; the view is brought to the front first").arg(T);
        if (!refused.isEmpty() && target->isVisible())
            text = QObject::tr("Too large: %1.").arg(refused);
        info->setText(text);
        buttons->button(QDialogButtonBox::Ok)->setEnabled(refused.isEmpty() || !target->isVisible());
    };
    QObject::connect(what, &QComboBox::currentIndexChanged, &dialog, describe);
    QObject::connect(scale, &QComboBox::currentIndexChanged, &dialog, describe);
    QObject::connect(fps, &QDoubleSpinBox::valueChanged, &dialog, describe);
    describe();
    if (dialog.exec() != QDialog::Accepted || file->text().isEmpty())
        return;
    QString path = file->text();
    if (!path.endsWith(QLatin1String(".gif"), Qt::CaseInsensitive))
        path += QStringLiteral(".gif");
    QWidget *view = what->currentIndex() == 0 ? nullptr : views.value(what->currentIndex() - 1).view;
    const QString name = view ? views.value(what->currentIndex() - 1).name : QObject::tr("window");

    QProgressDialog busy(QObject::tr("Exporting the %1 as an animation…").arg(name), QObject::tr("Cancel"), 0, 1, window);
    busy.setWindowModality(Qt::WindowModal);
    busy.setMinimumDuration(0);
    QString message;
    const Outcome outcome = write(*window, view, path, scale->currentIndex() + 1, fps->value(), [&](int done, int total) {
        busy.setMaximum(total);
        busy.setValue(done);
        return !busy.wasCanceled();
    }, &message);
    busy.reset();
    switch (outcome) {
    case Outcome::Written:
        report(QObject::tr("Exported the %1 as an animation: %2").arg(name, message));
        break;
    case Outcome::Cancelled:
        report(QObject::tr("Export of the animation cancelled: no file written"));
        break;
    case Outcome::Failed:
        report(QObject::tr("The animation was not exported: %1").arg(message));
        break;
    }
}

} // namespace AnimationExport
