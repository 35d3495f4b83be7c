// Animated GIFs for slides: the stepping through t = 0 … T−1 of a view or of the whole window,
// read back with giflib — T frames of the view's size × scale, looping forever, each shown as long
// as the playback speed says, the highlighted step moving from frame to frame, and the palette's
// colours close to what the view painted. Cancelling leaves no file; too large an animation is
// refused with its numbers; `rnnscope animate` does the same headless.

#include "animationexport.h"
#include "diagramwidget.h"
#include "gifpalette.h"
#include "mainwindow.h"
#include "playbackbar.h"
#include "session.h"
#include "viewexport.h"

#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QStatusBar>
#include <QTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <gif_lib.h>

#include <cmath>
#include <cstring>
#include <memory>

using namespace rnnscope;

namespace {

// A GIF as giflib reads it back (DGifSlurp).
struct Gif {
    bool ok = false;
    QString error;
    QSize screen;
    QList<QImage> frames;
    QList<int> delays; // hundredths of a second
    bool loopsForever = false;
};

Gif readGif(const QString &path)
{
    Gif g;
    int code = 0;
    GifFileType *gif = DGifOpenFileName(QFile::encodeName(path).constData(), &code);
    if (!gif) {
        g.error = QString::fromLatin1(GifErrorString(code));
        return g;
    }
    if (DGifSlurp(gif) != GIF_OK) {
        g.error = QString::fromLatin1(GifErrorString(gif->Error));
        DGifCloseFile(gif, &code);
        return g;
    }
    g.screen = QSize(gif->SWidth, gif->SHeight);
    for (int i = 0; i < gif->ImageCount; ++i) {
        const SavedImage &s = gif->SavedImages[i];
        const ColorMapObject *map = s.ImageDesc.ColorMap ? s.ImageDesc.ColorMap : gif->SColorMap;
        QImage image(s.ImageDesc.Width, s.ImageDesc.Height, QImage::Format_RGB32);
        for (int y = 0; y < image.height(); ++y)
            for (int x = 0; x < image.width(); ++x) {
                const GifColorType c = map->Colors[s.RasterBits[y * image.width() + x]];
                image.setPixel(x, y, qRgb(c.Red, c.Green, c.Blue));
            }
        g.frames << image;
        GraphicsControlBlock gcb{};
        g.delays << (DGifSavedExtensionToGCB(gif, i, &gcb) == GIF_OK ? gcb.DelayTime : -1);
        for (int e = 0; e + 1 < s.ExtensionBlockCount; ++e) {
            const ExtensionBlock &b = s.ExtensionBlocks[e], &next = s.ExtensionBlocks[e + 1];
            if (b.Function == APPLICATION_EXT_FUNC_CODE && b.ByteCount == 11 && std::memcmp(b.Bytes, "NETSCAPE2.0", 11) == 0
                && next.ByteCount == 3 && next.Bytes[0] == 1 && next.Bytes[1] == 0 && next.Bytes[2] == 0)
                g.loopsForever = true;
        }
    }
    DGifCloseFile(gif, &code);
    g.ok = true;
    return g;
}

// The mean over pixels of the largest channel difference between two images of one size.
double meanError(const QImage &a, const QImage &b)
{
    const QImage x = a.convertToFormat(QImage::Format_RGB32), y = b.convertToFormat(QImage::Format_RGB32);
    double sum = 0;
    for (int r = 0; r < x.height(); ++r) {
        const auto *p = reinterpret_cast<const QRgb *>(x.constScanLine(r));
        const auto *q = reinterpret_cast<const QRgb *>(y.constScanLine(r));
        for (int c = 0; c < x.width(); ++c)
            sum += std::max({std::abs(qRed(p[c]) - qRed(q[c])), std::abs(qGreen(p[c]) - qGreen(q[c])), std::abs(qBlue(p[c]) - qBlue(q[c]))});
    }
    return sum / (double(x.width()) * x.height());
}

int differingPixels(const QImage &a, const QImage &b)
{
    int n = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x)
            n += a.pixel(x, y) != b.pixel(x, y);
    return n;
}

// Where the test keeps decoded frames to look at (RNNSCOPE_ANIMATION_FRAMES=dir), else nowhere.
void keepFrame(const QImage &frame, const QString &name)
{
    const QString dir = qEnvironmentVariable("RNNSCOPE_ANIMATION_FRAMES");
    if (!dir.isEmpty())
        frame.save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
}

} // namespace

class TestAnimation : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void framesFollowTheSteps_data();
    void framesFollowTheSteps();
    void cancelLeavesNoFile();
    void tooLargeIsRefused();
    void paletteKeepsFlatColoursExactly();
    void commandLine();
    void menuDialogExports();

private:
    std::unique_ptr<Session> m_session;
    std::unique_ptr<MainWindow> m_window;
    QTemporaryDir m_dir;
};

void TestAnimation::init()
{
    ModelConfig c;
    c.dims = Dims{1, 6, 3, 5, 2};
    m_session = std::make_unique<Session>(Model(c));
    m_window = std::make_unique<MainWindow>(m_session.get(), false);
    m_window->resize(1400, 850);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestAnimation::cleanup()
{
    m_window.reset();
    m_session.reset();
}

void TestAnimation::framesFollowTheSteps_data()
{
    QTest::addColumn<QString>("view"); // an exportable key; empty: the whole window
    QTest::addColumn<int>("scale");
    QTest::addColumn<int>("speed");
    QTest::newRow("diagram") << QStringLiteral("diagram") << 1 << 5;
    QTest::newRow("diagram 2x") << QStringLiteral("diagram") << 2 << 4;
    QTest::newRow("step panel") << QStringLiteral("step-panel") << 1 << 10;
    QTest::newRow("window") << QString() << 1 << 3;
}

void TestAnimation::framesFollowTheSteps()
{
    QFETCH(QString, view);
    QFETCH(int, scale);
    QFETCH(int, speed);
    QWidget *target = m_window.get();
    for (const MainWindow::ExportableView &e : m_window->exportableViews())
        if (e.key == view)
            target = e.view;
    QVERIFY(view.isEmpty() || target != m_window.get());
    m_window->playbackBar()->setSpeed(speed);
    m_session->seek(2);
    const QString path = m_dir.filePath(QStringLiteral("a.gif"));
    QString message;
    int calls = 0, lastTotal = 0;
    const auto outcome = AnimationExport::write(*m_window, view.isEmpty() ? nullptr : target, path, scale,
                                                m_window->playbackBar()->speed(), [&](int done, int total) {
                                                    ++calls;
                                                    lastTotal = total;
                                                    return done <= total;
                                                }, &message);
    QVERIFY2(outcome == AnimationExport::Outcome::Written, qPrintable(message));
    QCOMPARE(m_session->position(), 2); // the step on show is back
    QCOMPARE(calls, lastTotal);
    QVERIFY2(message.contains(QStringLiteral("6 frames")), qPrintable(message));

    const Gif gif = readGif(path);
    QVERIFY2(gif.ok, qPrintable(gif.error));
    const int T = m_session->dims().T;
    QCOMPARE(gif.frames.size(), T);
    const QSize size = target->size() * scale;
    QCOMPARE(gif.screen, size);
    for (const QImage &f : gif.frames)
        QCOMPARE(f.size(), size);
    QVERIFY(gif.loopsForever);
    for (int d : gif.delays)
        QCOMPARE(d, AnimationExport::delayCentiseconds(speed));
    QCOMPARE(AnimationExport::delayCentiseconds(speed), 100 / speed);
    // The highlighted step moves: every frame differs from the one before.
    for (int t = 1; t < T; ++t)
        QVERIFY2(differingPixels(gif.frames[t - 1], gif.frames[t]) > 0, qPrintable(QStringLiteral("frames %1 and %2 are alike").arg(t - 1).arg(t)));
    // Each frame's palette colours are what the view painted at that step.
    for (int t : {0, T - 1}) {
        m_session->seek(t);
        QCoreApplication::processEvents();
        const QImage painted = ViewExport::image(target, scale).convertToFormat(QImage::Format_RGB32);
        QCOMPARE(painted.size(), size);
        const double error = meanError(painted, gif.frames[t]);
        QVERIFY2(error < 1.5, qPrintable(QStringLiteral("frame %1: mean error %2").arg(t).arg(error)));
        keepFrame(gif.frames[t], QStringLiteral("%1_%2x_t%3").arg(view.isEmpty() ? QStringLiteral("window") : view).arg(scale).arg(t));
    }
}

void TestAnimation::cancelLeavesNoFile()
{
    const QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("kept.gif"));
    {
        QFile old(path);
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("the file before");
    }
    m_session->seek(4);
    for (int stopAt : {3, 9}) { // while rendering; while encoding
        QString message;
        const auto outcome = AnimationExport::write(*m_window, m_window->diagram(), path, 1, 4,
                                                    [&](int done, int) { return done < stopAt; }, &message);
        QVERIFY(outcome == AnimationExport::Outcome::Cancelled);
        QCOMPARE(m_session->position(), 4);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("the file before"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("kept.gif")}); // no temporary file left
    }
}

void TestAnimation::tooLargeIsRefused()
{
    QVERIFY(AnimationExport::refusal(QSize(800, 400), 10).isEmpty());
    const QString frames = AnimationExport::refusal(QSize(100, 100), 2500);
    QVERIFY2(frames.contains(QStringLiteral("2500")) && frames.contains(QStringLiteral("2000")), qPrintable(frames));
    const QString bytes = AnimationExport::refusal(QSize(1600, 900), 300);
    for (const char *part : {"300 frames", "1600×900", "432 MB", "200 MB", "at most 138", "smaller T", "single view"})
        QVERIFY2(bytes.contains(QString::fromUtf8(part)), qPrintable(bytes));

    // A model of T = 2500: refused before the first frame, nothing written, the step kept.
    ModelConfig c;
    c.dims = Dims{1, 2500, 3, 5, 2};
    m_window.reset();
    m_session = std::make_unique<Session>(Model(c));
    m_window = std::make_unique<MainWindow>(m_session.get(), false);
    m_window->show();
    m_session->seek(7);
    const QString path = m_dir.filePath(QStringLiteral("long.gif"));
    QString message;
    int calls = 0;
    const auto outcome = AnimationExport::write(*m_window, m_window->diagram(), path, 1, 4, [&](int, int) { return ++calls, true; }, &message);
    QVERIFY(outcome == AnimationExport::Outcome::Failed);
    QVERIFY2(message.contains(QStringLiteral("2500")), qPrintable(message));
    QCOMPARE(calls, 0);
    QVERIFY(!QFile::exists(path));
    QCOMPARE(m_session->position(), 7);
}

void TestAnimation::paletteKeepsFlatColoursExactly()
{
    // Few colours: exactly those.
    QImage flat(40, 30, QImage::Format_RGB32);
    flat.fill(qRgb(250, 250, 250));
    for (int x = 0; x < 20; ++x)
        flat.setPixel(x, 3, qRgb(200, 30, 40));
    GifPalette exact;
    exact.add(flat);
    exact.choose();
    QVERIFY(exact.exact());
    QCOMPARE(int(exact.colours().size()), 2);
    QCOMPARE(exact.colours()[exact.index(qRgb(200, 30, 40))], qRgb(200, 30, 40));

    // A smooth ramp of 32768 colours beside a large flat background and a small red mark: 256
    // colours, the flat ones exact, the ramp close.
    QImage many(512, 128, QImage::Format_RGB32);
    many.fill(qRgb(239, 239, 239));
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 512; ++x)
            many.setPixel(x, y, qRgb((x * 255) / 511, (y * 255) / 63, ((x + y) * 255) / 574));
    for (int x = 0; x < 4; ++x)
        many.setPixel(x, 100, qRgb(213, 94, 0));
    GifPalette reduced;
    reduced.add(many);
    reduced.choose();
    QVERIFY(!reduced.exact());
    QCOMPARE(int(reduced.colours().size()), GifPalette::kMaxColours);
    QCOMPARE(reduced.colours()[reduced.index(qRgb(239, 239, 239))], qRgb(239, 239, 239));
    QImage mapped(many.size(), QImage::Format_RGB32);
    for (int y = 0; y < many.height(); ++y)
        for (int x = 0; x < many.width(); ++x)
            mapped.setPixel(x, y, reduced.colours()[reduced.index(many.pixel(x, y))]);
    const double error = meanError(many, mapped);
    QVERIFY2(error < 4, qPrintable(QString::number(error)));
    const QRgb mark = mapped.pixel(0, 100);
    QVERIFY2(std::abs(qRed(mark) - 213) + std::abs(qGreen(mark) - 94) + std::abs(qBlue(mark) - 0) < 40, qPrintable(QString::number(mark, 16)));
}

void TestAnimation::commandLine()
{
    const auto run = [](const QStringList &args) {
        QProcess p;
        p.start(QStringLiteral(RNNSCOPE_BINARY), args);
        p.waitForFinished(120000);
        return std::make_pair(p.exitCode(), QString::fromLocal8Bit(p.readAllStandardError()));
    };
    const QString view = m_dir.filePath(QStringLiteral("diagram.gif"));
    auto [code, err] = run({QStringLiteral("animate"), view, QStringLiteral("--view"), QStringLiteral("diagram"),
                            QStringLiteral("--dims"), QStringLiteral("1,6,3,5,2"), QStringLiteral("--fps"), QStringLiteral("5")});
    QVERIFY2(code == 0, qPrintable(err));
    Gif gif = readGif(view);
    QVERIFY2(gif.ok, qPrintable(gif.error));
    QCOMPARE(gif.frames.size(), 6);
    QCOMPARE(gif.delays.value(0), 20);
    QVERIFY(gif.loopsForever);

    const QString window = m_dir.filePath(QStringLiteral("window.gif"));
    std::tie(code, err) = run({QStringLiteral("animate"), window, QStringLiteral("--cell"), QStringLiteral("lstm"),
                               QStringLiteral("--dims"), QStringLiteral("1,4,3,5,2"), QStringLiteral("--size"), QStringLiteral("1024x700")});
    QVERIFY2(code == 0, qPrintable(err));
    gif = readGif(window);
    QVERIFY2(gif.ok, qPrintable(gif.error));
    QCOMPARE(gif.frames.size(), 4);
    QCOMPARE(gif.screen, QSize(1024, 700));
    QCOMPARE(gif.delays.value(0), AnimationExport::delayCentiseconds(PlaybackBar::kDefaultSpeed)); // the window's speed
    keepFrame(gif.frames.first(), QStringLiteral("cli_window_lstm_t0"));
    keepFrame(gif.frames.last(), QStringLiteral("cli_window_lstm_t3"));

    const QString bad = m_dir.filePath(QStringLiteral("bad.gif"));
    std::tie(code, err) = run({QStringLiteral("animate"), bad, QStringLiteral("--view"), QStringLiteral("teapot")});
    QCOMPARE(code, 2);
    for (const char *part : {"'teapot' is unknown", "diagram", "step-panel", "Wx", "hidden-chart", "gradients"})
        QVERIFY2(err.contains(QLatin1String(part)), qPrintable(err));
    QVERIFY(!QFile::exists(bad));
    std::tie(code, err) = run({QStringLiteral("animate"), m_dir.filePath(QStringLiteral("x.png"))});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(QStringLiteral("expected OUT.gif")), qPrintable(err));
    std::tie(code, err) = run({QStringLiteral("animate"), bad, QStringLiteral("--fps"), QStringLiteral("0")});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(QStringLiteral("--fps '0'")), qPrintable(err));
    std::tie(code, err) = run({QStringLiteral("animate"), bad, QStringLiteral("--dims"), QStringLiteral("1,2500,3,5,2")});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(QStringLiteral("2500")) && err.contains(QStringLiteral("smaller T")), qPrintable(err));
    QVERIFY(!QFile::exists(bad));
}

void TestAnimation::menuDialogExports()
{
    QAction *action = nullptr;
    for (QAction *a : m_window->findChildren<QAction *>())
        if (a->text() == QStringLiteral("Export &animation…"))
            action = a;
    QVERIFY(action);
    const QString path = m_dir.filePath(QStringLiteral("menu"));
    bool filled = false;
    QTimer::singleShot(0, this, [&] {
        auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget());
        if (!dialog)
            return;
        const QList<QComboBox *> combos = dialog->findChildren<QComboBox *>();
        const int i = combos.value(0)->findText(QStringLiteral("The diagram"));
        combos.value(0)->setCurrentIndex(i);
        dialog->findChild<QLineEdit *>()->setText(path);
        filled = i > 0;
        dialog->accept();
    });
    action->trigger();
    QVERIFY(filled);
    const Gif gif = readGif(path + QStringLiteral(".gif")); // the extension added
    QVERIFY2(gif.ok, qPrintable(gif.error));
    QCOMPARE(gif.frames.size(), 6);
    QCOMPARE(gif.screen, m_window->diagram()->size());
    QCOMPARE(gif.delays.value(0), AnimationExport::delayCentiseconds(m_window->playbackBar()->speed()));
    QVERIFY2(m_window->statusBar()->currentMessage().contains(QStringLiteral("6 frames")), qPrintable(m_window->statusBar()->currentMessage()));
}

QTEST_MAIN(TestAnimation)
#include "test_animation.moc"
