// Tests of the matrix views: ColorMap, MatrixTableModel, HeatmapDelegate and MatrixView,
// against a real Session. Runs offscreen (QT_QPA_PLATFORM=offscreen).
//
// With RNNSCOPE_SCREENSHOT_DIR set, screenshots() also writes PNGs of a few views there.

#include "colormap.h"
#include "heatmapdelegate.h"
#include "matrixtablemodel.h"
#include "matrixview.h"
#include "session.h"
#include "valuetext.h"

#include <QApplication>
#include <QHeaderView>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QSet>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolTip>
#include <QUndoStack>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <memory>

using rnnscope::Dims;
using rnnscope::Layout;
using Source = MatrixTableModel::Source;

Q_DECLARE_METATYPE(MatrixTableModel::Source)
Q_DECLARE_METATYPE(rnnscope::Layout)

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

QString minus(const char *rest)
{
    return QString(QChar(0x2212)) + QLatin1String(rest);
}

// Y of the last timestep, all samples (forces the computation).
Eigen::MatrixXd lastOutput(const Session &s)
{
    return s.record(s.dims().T - 1).y;
}

// How many distinct colours an image holds (stops counting at `cap`).
int distinctColors(const QImage &image, int cap = 64)
{
    QSet<QRgb> seen;
    const QImage img = image.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < img.height(); ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(img.constScanLine(y));
        for (int x = 0; x < img.width(); ++x) {
            seen.insert(line[x]);
            if (seen.size() >= cap)
                return cap;
        }
    }
    return int(seen.size());
}

// T far above MatrixView::kMaxImageSide with small D and M: X[n] and H[n] are sampled, and the
// whole test stays fast and small (20,000 × 5 values).
const Dims kTall{1, 20000, 3, 5, 2};

// The number of pixels of `image` within `radius` of `centre` whose colour is one of `colors`.
int pixelsNear(const QImage &image, QPoint centre, int radius, std::initializer_list<QRgb> colors)
{
    int n = 0;
    for (int y = centre.y() - radius; y <= centre.y() + radius; ++y)
        for (int x = centre.x() - radius; x <= centre.x() + radius; ++x)
            if (image.valid(x, y) && std::find(colors.begin(), colors.end(), image.pixel(x, y) | 0xff000000u) != colors.end())
                ++n;
    return n;
}

} // namespace

class TestMatrixView : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    // ColorMap
    void colorMapEnds();
    void colorMapText();
    void colorMapFillImage();

    // MatrixTableModel
    void formatAndParse_data();
    void formatAndParse();
    void everyValueHasText_data();
    void everyValueHasText();
    void entryReading_data();
    void entryReading();
    void float32HoldsWhatItCan();
    void shapes_data();
    void shapes();
    void noDenseLayer();
    void titles();
    void headers();
    void valuesFollowLayout();
    void tooltips();
    void editWeightAndUndo();
    void editInPyTorchLayout();
    void editNaNAndInf();
    void garbageRefused();
    void editInput();
    void hiddenGrowsWithSteps();
    void hiddenScaleIsFixedForTanh();

    // HeatmapDelegate and MatrixView
    void delegateEditor();
    void tableModeSmall();
    void imageModeBig();
    void switchesModes();
    void imageIncrementalMatchesFresh_data();
    void imageIncrementalMatchesFresh();
    void fontFollows();
    void imageHoverAndStatus();
    void imageAxisSampling_data();
    void imageAxisSampling();
    void sampledImageIsBounded_data();
    void sampledImageIsBounded();
    void sampledCurrentRowMark_data();
    void sampledCurrentRowMark();
    void sampledNonFiniteIsMarked_data();
    void sampledNonFiniteIsMarked();
    void grabIsNotBlank_data();
    void grabIsNotBlank();
    void screenshots();

private:
    QTemporaryDir m_tmp;
};

void TestMatrixView::initTestCase()
{
    QVERIFY(m_tmp.isValid());
}

// ---------------------------------------------------------------- ColorMap

void TestMatrixView::colorMapEnds()
{
    const QColor zero = ColorMap::color(0, 1);
    QVERIFY(zero.lightness() > 235); // near-white
    const QColor neg = ColorMap::color(-1, 1), pos = ColorMap::color(1, 1);
    QVERIFY(neg.blue() > neg.red() + 60);   // blue
    QVERIFY(pos.red() > pos.blue() + 60);   // orange/brown
    QVERIFY(neg.lightness() < 120 && pos.lightness() < 120);
    // Symmetric around 0 and saturating beyond the scale.
    QCOMPARE(ColorMap::rgb(-5, 2.5), ColorMap::rgb(-2.5, 2.5));
    QCOMPARE(ColorMap::rgb(7, 2), ColorMap::positiveEnd().rgb());
    QCOMPARE(ColorMap::rgb(0.5, 1), ColorMap::rgb(1.0, 2.0));
    QVERIFY(ColorMap::color(-0.5, 1).lightness() > neg.lightness());
    // Non-finite values.
    QCOMPARE(ColorMap::rgb(kNaN, 1), ColorMap::nanColor().rgb());
    QCOMPARE(ColorMap::rgb(kInf, 1), ColorMap::positiveEnd().rgb());
    QCOMPARE(ColorMap::rgb(-kInf, 1), ColorMap::negativeEnd().rgb());
    // The NaN grey is no colour of the map.
    for (int i = -100; i <= 100; ++i) {
        const QColor c = ColorMap::color(i / 100.0, 1);
        QVERIFY(std::abs(c.red() - c.blue()) > 10 || c.lightness() > 200);
    }
    // A zero or broken scale does not divide by zero.
    QCOMPARE(ColorMap::rgb(0, 0), ColorMap::zeroColor().rgb());
    QCOMPARE(ColorMap::rgb(0.5, kNaN), ColorMap::rgb(0.5, 1));
}

void TestMatrixView::colorMapText()
{
    QCOMPARE(ColorMap::textColorFor(ColorMap::negativeEnd()), QColor(Qt::white));
    QCOMPARE(ColorMap::textColorFor(ColorMap::positiveEnd()), QColor(Qt::white));
    QCOMPARE(ColorMap::textColorFor(ColorMap::zeroColor()), QColor(Qt::black));
    QCOMPARE(ColorMap::textColorFor(ColorMap::nanColor()), QColor(Qt::black));
    QCOMPARE(ColorMap::textColorFor(QColor(Qt::yellow)), QColor(Qt::black));
}

void TestMatrixView::colorMapFillImage()
{
    Eigen::MatrixXd m = Eigen::MatrixXd::Random(256, 256);
    m(3, 4) = kNaN;
    m(5, 6) = kInf;
    m(7, 8) = -kInf;
    m(9, 10) = kInf;
    QImage image;
    const ColorMap::Stats s = ColorMap::fillImage(image, m, 1.0);
    QCOMPARE(image.size(), QSize(256, 256));
    QCOMPARE(s.nan, qsizetype(1));
    QCOMPARE(s.posInf, qsizetype(2));
    QCOMPARE(s.negInf, qsizetype(1));
    QVERIFY(s.maxAbs > 0.9 && s.maxAbs <= 1.0);
    QCOMPARE(image.pixel(4, 3), ColorMap::nanColor().rgb());
    QCOMPARE(image.pixel(6, 5), ColorMap::positiveEnd().rgb());
    QCOMPARE(image.pixel(1, 2), ColorMap::rgb(m(2, 1), 1.0)); // x = column, y = row

    const ColorMap::Stats whole = ColorMap::stats(m);
    QCOMPARE(whole.nonFinite(), qsizetype(4));
    QCOMPARE(whole.maxAbs, s.maxAbs);
}

// ---------------------------------------------------------------- MatrixTableModel

void TestMatrixView::formatAndParse_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("compact");
    QTest::addColumn<QString>("brief"); // the narrower cells of a wide gated kernel
    QTest::newRow("zero") << 0.0 << QStringLiteral("0") << QStringLiteral("0");
    QTest::newRow("small weight") << 0.212685 << QStringLiteral("0.213") << QStringLiteral("0.21");
    QTest::newRow("negative") << -0.0461 << minus("0.046") << minus("0.05");
    QTest::newRow("below a hundredth") << -0.0046 << minus("0.005") << minus("5e") + minus("3");
    QTest::newRow("units") << -1.5 << minus("1.50") << minus("1.50");
    QTest::newRow("just under ten") << 9.996 << QStringLiteral("10.0") << QStringLiteral("10.0");
    QTest::newRow("tens") << 21.347 << QStringLiteral("21.3") << QStringLiteral("21.3");
    QTest::newRow("thousands") << 2135.2 << QStringLiteral("2135") << QStringLiteral("2135");
    QTest::newRow("tiny") << 1.2e-5 << QStringLiteral("1.2e") + minus("5") << QStringLiteral("1e") + minus("5");
    QTest::newRow("huge") << 3.0e7 << QStringLiteral("3.0e7") << QStringLiteral("3e7");
    QTest::newRow("-1e10") << -1e10 << minus("1.0e10") << minus("1e10");
    QTest::newRow("-1e300") << -1e300 << minus("1.0e300") << minus("1e300");
    QTest::newRow("1e308") << 1e308 << QStringLiteral("1.0e308") << QStringLiteral("1e308");
    QTest::newRow("nan") << kNaN << QStringLiteral("NaN") << QStringLiteral("NaN");
    QTest::newRow("+inf") << kInf << QStringLiteral("+Inf") << QStringLiteral("+Inf");
    QTest::newRow("-inf") << -kInf << minus("Inf") << minus("Inf");
}

void TestMatrixView::formatAndParse()
{
    QFETCH(double, value);
    QFETCH(QString, compact);
    QFETCH(QString, brief);
    QCOMPARE(ValueText::compact(value), compact);
    QCOMPARE(ValueText::brief(value), brief);
    // The brief form is never wider than "−0.00" (in characters).
    QVERIFY2(brief.size() <= 5 || !std::isfinite(value) || std::abs(value) >= 1e4 || std::abs(value) < 0.0095, qPrintable(brief));
    // Full precision reads back exactly.
    const auto back = ValueText::parse(ValueText::full(value));
    QVERIFY(back.has_value());
    if (std::isnan(value))
        QVERIFY(std::isnan(*back));
    else
        QCOMPARE(*back, value);
    // What is shown reads back as the value to its precision: three significant digits, or the
    // third decimal.
    for (const QString &shown : {compact, brief, ValueText::narrow(value)}) {
        const auto read = ValueText::parse(shown);
        QVERIFY2(read.has_value(), qPrintable(shown));
        if (std::isnan(value)) {
            QVERIFY(std::isnan(*read));
            continue;
        }
        if (std::isinf(value)) {
            QCOMPARE(*read, value);
            continue;
        }
        const double tolerance = shown == compact ? std::max(std::abs(value) * 0.01, 5e-4)
            : shown == brief && shown != ValueText::narrow(value) ? std::max(std::abs(value) * 0.01, 5e-3)
                                                                 : std::abs(value) * 0.5;
        QVERIFY2(std::abs(*read - value) <= tolerance, qPrintable(QStringLiteral("%1 shown as %2 reads %3").arg(value).arg(shown).arg(*read)));
    }
}

// Every finite value keeps a text in a cell of the size the views give it, however large or small
// (−1e10, −1e300 and 1e308 had a colour and no text), at the normal and the presentation font.
void TestMatrixView::everyValueHasText_data()
{
    QTest::addColumn<double>("value");
    for (double v : {-1e10, -1e300, 1e308, -1.7976931348623157e308, -1.2e-5, -1e-300, -4.9e-324, 2135.2, -0.0461})
        QTest::newRow(qPrintable(QString::number(v, 'g', 17))) << v;
}

void TestMatrixView::everyValueHasText()
{
    QFETCH(double, value);
    for (double scale : {1.0, 1.6}) {
        QFont font = QApplication::font();
        font.setPointSizeF(font.pointSizeF() * scale);
        const QSize cell = HeatmapDelegate::cellSizeFor(font);
        const HeatmapDelegate::CellText shown = HeatmapDelegate::cellText(value, font, cell);
        const QString &text = shown.text;
        QVERIFY2(!text.isEmpty(), qPrintable(ValueText::compact(value)));
        QVERIFY(QFontMetricsF(shown.font).horizontalAdvance(text) <= cell.width() - 4);
        QVERIFY(shown.font.pointSizeF() >= font.pointSizeF() * HeatmapDelegate::kSmallestTextScale);
        const auto read = ValueText::parse(text);
        QVERIFY(read.has_value());
        QVERIFY2(std::signbit(*read) == std::signbit(value) && std::abs(*read - value) <= std::abs(value) * 0.5,
                 qPrintable(text));
    }
    // A cell too small for any text shows none, rather than a clipped one.
    QVERIFY(HeatmapDelegate::cellText(value, QApplication::font(), QSize(4, 4)).text.isEmpty());
}

// What a person types into a cell: read as meant where that is unambiguous (saying so when the
// reading changed it), refused with the reason otherwise.
void TestMatrixView::entryReading_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("note"); // a part of the note ("" when there is none)
    const double x = 0;
    QTest::newRow("point") << "0.5" << true << 0.5 << "";
    QTest::newRow("leading point") << ".5" << true << 0.5 << "";
    QTest::newRow("unicode minus") << QStringLiteral("\u22122e-3") << true << -2e-3 << "";
    QTest::newRow("plus") << "+3" << true << 3.0 << "";
    QTest::newRow("spaces") << "  7  " << true << 7.0 << "";
    QTest::newRow("underflow") << "1e-400" << true << 0.0 << "0 after underflow";
    QTest::newRow("negative underflow") << "-1e-400" << true << -0.0 << "0 after underflow";
    QTest::newRow("hex") << "0x1p3" << true << 8.0 << "hexadecimal";
    QTest::newRow("comma") << "1,5" << false << x << "Decimals take a point: 1.5";
    QTest::newRow("overflow") << "1e309" << false << x << "beyond the largest number";
    QTest::newRow("far overflow") << "1e99999" << false << x << "type inf";
    QTest::newRow("letters") << "abc" << false << x << "\u201Cabc\u201D is not a number";
    QTest::newRow("empty") << "" << false << x << "nothing typed";
    QTest::newRow("blank") << "   " << false << x << "nothing typed";
    QTest::newRow("two signs") << "--1" << false << x << "is not a number";
    QTest::newRow("trailing") << "0.5x" << false << x << "is not a number";
    QTest::newRow("bad hex") << "0xg" << false << x << "hexadecimal";
    QTest::newRow("groups") << "1,2,3" << false << x << "";
}

void TestMatrixView::entryReading()
{
    QFETCH(QString, text);
    QFETCH(bool, accepted);
    QFETCH(double, value);
    QFETCH(QString, note);
    const ValueText::Entry e = ValueText::read(text);
    QCOMPARE(e.value.has_value(), accepted);
    if (accepted) {
        QCOMPARE(*e.value, value);
        QCOMPARE(std::signbit(*e.value), std::signbit(value));
    } else {
        QVERIFY2(!e.note.isEmpty(), qPrintable(text)); // a refusal always says why
    }
    if (!note.isEmpty())
        QVERIFY2(e.note.contains(note), qPrintable(e.note));
    else if (accepted)
        QVERIFY2(e.note.isEmpty(), qPrintable(e.note));
}

// A value the model's float32 cannot hold is shown as it holds it (+Inf), and the entry says so;
// float64 keeps it.
void TestMatrixView::float32HoldsWhatItCan()
{
    Session session; // float32
    QCOMPARE(session.config().dtype, rnnscope::DType::Float32);
    MatrixTableModel wh(&session, Source::Wh);
    QSignalSpy notices(&session, &Session::notice);
    QVERIFY(wh.setData(wh.index(0, 1), QStringLiteral("1e39")));
    QCOMPARE(wh.value(0, 1), kInf);
    QCOMPARE(wh.data(wh.index(0, 1)).toString(), QStringLiteral("+Inf"));
    QCOMPARE(wh.data(wh.index(0, 1), Qt::EditRole).toString(), QStringLiteral("inf"));
    // The engine computes with what is shown: h_0[0]·(+Inf) makes unit 1's pre-activation at t = 1
    // non-finite (NaN where the product meets a 0), in float32; float64 computes with 1e39.
    session.seek(1);
    QVERIFY(session.hiddenValue(0, 0, 0) != 0);
    QVERIFY(!std::isfinite(session.preValue(0, 1, 1)));
    QVERIFY(session.setDtype(rnnscope::DType::Float64));
    session.seek(1);
    QVERIFY(std::isfinite(session.preValue(0, 1, 1)));
    QCOMPARE(wh.value(0, 1), 1e39);
    QVERIFY(session.setDtype(rnnscope::DType::Float32));
    QCOMPARE(wh.stats().posInf, std::int64_t(1));
    QCOMPARE(notices.count(), 1);
    const QString said = notices.first().first().toString();
    QVERIFY2(said.startsWith(QStringLiteral("Wh[0, 1]: 1e+39 overflows float32")) && said.contains(QStringLiteral("+Inf")),
             qPrintable(said));
    // Below float32's smallest value: 0, and said.
    QVERIFY(wh.setData(wh.index(1, 1), QStringLiteral("-1e-50")));
    QCOMPARE(wh.value(1, 1), 0.0);
    QVERIFY(notices.last().first().toString().contains(QStringLiteral("underflows float32")));
    // A float32 value is written as the float: 0.1, not 0.10000000149011612.
    QVERIFY(wh.setData(wh.index(2, 1), QStringLiteral("0.1")));
    QCOMPARE(wh.data(wh.index(2, 1), Qt::EditRole).toString(), QStringLiteral("0.1"));
    // Typing back the text shown is no change at all.
    const int commands = session.undoStack()->count();
    QVERIFY(wh.setData(wh.index(2, 1), wh.data(wh.index(2, 1), Qt::EditRole)));
    QCOMPARE(session.undoStack()->count(), commands);

    // float64 holds 1e39 as typed, with nothing to say.
    QVERIFY(session.setDtype(rnnscope::DType::Float64));
    const int before = notices.count();
    QVERIFY(wh.setData(wh.index(3, 1), QStringLiteral("1e39")));
    QCOMPARE(wh.value(3, 1), 1e39);
    QCOMPARE(notices.count(), before);
    // An input value too.
    QVERIFY(session.setDtype(rnnscope::DType::Float32));
    MatrixTableModel in(&session, Source::Input);
    QVERIFY(in.setData(in.index(0, 0), QStringLiteral("-1e40")));
    QCOMPARE(in.value(0, 0), -kInf);
    QVERIFY(notices.last().first().toString().startsWith(QStringLiteral("X[0, 0, 0]: -1e+40 overflows float32")));
}

void TestMatrixView::shapes_data()
{
    QTest::addColumn<Source>("source");
    QTest::addColumn<Layout>("layout");
    QTest::addColumn<QSize>("classic");  // (columns, rows) for dims 1,10,3,5,2
    QTest::addColumn<QSize>("reshaped"); // for dims 2,7,4,6,3

    const Layout K = Layout::Keras, P = Layout::PyTorch;
    // QSize(width = columns, height = rows)
    QTest::newRow("Wx keras") << Source::Wx << K << QSize(5, 3) << QSize(6, 4);
    QTest::newRow("Wh keras") << Source::Wh << K << QSize(5, 5) << QSize(6, 6);
    QTest::newRow("bh keras") << Source::bh << K << QSize(5, 1) << QSize(6, 1);
    QTest::newRow("Wo keras") << Source::Wo << K << QSize(2, 5) << QSize(3, 6);
    QTest::newRow("bo keras") << Source::bo << K << QSize(2, 1) << QSize(3, 1);
    QTest::newRow("X keras") << Source::Input << K << QSize(3, 10) << QSize(4, 7);
    QTest::newRow("H keras") << Source::Hidden << K << QSize(5, 10) << QSize(6, 7);
    QTest::newRow("Wx pytorch") << Source::Wx << P << QSize(3, 5) << QSize(4, 6);
    QTest::newRow("Wh pytorch") << Source::Wh << P << QSize(5, 5) << QSize(6, 6);
    QTest::newRow("bh pytorch") << Source::bh << P << QSize(1, 5) << QSize(1, 6);
    QTest::newRow("Wo pytorch") << Source::Wo << P << QSize(5, 2) << QSize(6, 3);
    QTest::newRow("bo pytorch") << Source::bo << P << QSize(1, 2) << QSize(1, 3);
    QTest::newRow("X pytorch") << Source::Input << P << QSize(3, 10) << QSize(4, 7);
    QTest::newRow("H pytorch") << Source::Hidden << P << QSize(5, 10) << QSize(6, 7);
}

void TestMatrixView::shapes()
{
    QFETCH(Source, source);
    QFETCH(Layout, layout);
    QFETCH(QSize, classic);
    QFETCH(QSize, reshaped);

    Session session;
    QCOMPARE(session.dims(), (Dims{1, 10, 3, 5, 2}));
    MatrixTableModel model(&session, source);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);

    session.setLayout(layout);
    const bool weight = source != Source::Input && source != Source::Hidden;
    QCOMPARE(resets.count(), weight && layout == Layout::PyTorch ? 1 : 0);
    QCOMPARE(model.rowCount(), classic.height());
    QCOMPARE(model.columnCount(), classic.width());

    resets.clear();
    QVERIFY(session.setDims(Dims{2, 7, 4, 6, 3}));
    QVERIFY(resets.count() >= 1);
    QCOMPARE(model.rowCount(), reshaped.height());
    QCOMPARE(model.columnCount(), reshaped.width());
    // Every cell of the new shape answers (Hidden: after stepping through it).
    session.seek(session.dims().T - 1);
    const QModelIndex last = model.index(model.rowCount() - 1, model.columnCount() - 1);
    QVERIFY(last.isValid());
    QVERIFY(model.data(last, MatrixTableModel::ValueRole).isValid());

    // Undo of the change of dims reshapes again.
    resets.clear();
    session.undoStack()->undo();
    QVERIFY(resets.count() >= 1);
    QCOMPARE(model.rowCount(), classic.height());
    QCOMPARE(model.columnCount(), classic.width());
}

void TestMatrixView::noDenseLayer()
{
    Session session;
    MatrixTableModel wo(&session, Source::Wo), bo(&session, Source::bo);
    QVERIFY(session.setDims(Dims{1, 10, 3, 5, 0}));
    QCOMPARE(wo.rowCount(), 0);
    QCOMPARE(wo.columnCount(), 0);
    QCOMPARE(bo.rowCount(), 0);
    QVERIFY(wo.title().contains(QStringLiteral("no Dense layer")));
    MatrixView view(&session, Source::Wo);
    QCOMPARE(view.mode(), MatrixView::Mode::Empty);
}

void TestMatrixView::titles()
{
    Session session;
    auto title = [&](Source s) { return MatrixTableModel(&session, s).title(); };
    auto shape = [](int r, int c) { return QStringLiteral("(%1\u00D7%2)").arg(r).arg(c); };
    QCOMPARE(title(Source::Wx), QStringLiteral("Wx \u00B7 kernel ") + shape(3, 5));
    QCOMPARE(title(Source::Wh), QStringLiteral("Wh \u00B7 recurrent_kernel ") + shape(5, 5));
    QCOMPARE(title(Source::bh), QStringLiteral("bh \u00B7 bias (5)"));
    QCOMPARE(title(Source::Wo), QStringLiteral("Wo \u00B7 Dense kernel ") + shape(5, 2));
    QCOMPARE(title(Source::bo), QStringLiteral("bo \u00B7 Dense bias (2)"));
    QCOMPARE(title(Source::Input), QStringLiteral("X[n=0] \u00B7 input ") + shape(10, 3));
    QVERIFY(title(Source::Hidden).endsWith(shape(10, 5)));
    session.setLayout(Layout::PyTorch);
    QCOMPARE(title(Source::Wx), QStringLiteral("weight_ih_l0 ") + shape(5, 3));
    QCOMPARE(title(Source::Wh), QStringLiteral("weight_hh_l0 ") + shape(5, 5));
    QCOMPARE(title(Source::bh), QStringLiteral("bias_ih_l0 + bias_hh_l0 (5)"));
    QCOMPARE(title(Source::Wo), QStringLiteral("fc.weight ") + shape(2, 5));
    QCOMPARE(title(Source::bo), QStringLiteral("fc.bias (2)"));
    // The shape follows the dims.
    QVERIFY(session.setDims(Dims{1, 10, 7, 4, 2}));
    QCOMPARE(title(Source::Wx), QStringLiteral("weight_ih_l0 ") + shape(4, 7));
}

void TestMatrixView::headers()
{
    Session session;
    MatrixTableModel wx(&session, Source::Wx), wh(&session, Source::Wh), wo(&session, Source::Wo),
        bh(&session, Source::bh), in(&session, Source::Input), hid(&session, Source::Hidden);
    auto head = [](const MatrixTableModel &m, Qt::Orientation o, int i, int role = Qt::DisplayRole) {
        return m.headerData(i, o, role).toString();
    };
    // Keras: x·Wx, rows are input features, columns hidden units.
    QCOMPARE(head(wx, Qt::Vertical, 1), QStringLiteral("x[1]"));
    QCOMPARE(head(wx, Qt::Horizontal, 4), QStringLiteral("h[4]"));
    QCOMPARE(head(wx, Qt::Vertical, 1, Qt::ToolTipRole), QStringLiteral("input feature 1 (x[1])"));
    QCOMPARE(head(wx, Qt::Horizontal, 4, Qt::ToolTipRole), QStringLiteral("hidden unit 4 (h[4])"));
    wx.setLongRowHeaders(true);
    QCOMPARE(head(wx, Qt::Vertical, 2), QStringLiteral("input feature 2"));
    QCOMPARE(head(wh, Qt::Vertical, 0), QStringLiteral("h\u209C\u208B\u2081[0]"));
    QCOMPARE(head(wh, Qt::Horizontal, 3), QStringLiteral("h\u209C[3]"));
    QVERIFY(head(wh, Qt::Vertical, 0, Qt::ToolTipRole).startsWith(QStringLiteral("hidden unit 0 at t\u22121")));
    QCOMPARE(head(wo, Qt::Vertical, 4), QStringLiteral("h[4]"));
    QCOMPARE(head(wo, Qt::Horizontal, 1), QStringLiteral("y[1]"));
    QCOMPARE(head(wo, Qt::Horizontal, 1, Qt::ToolTipRole), QStringLiteral("output 1 (y[1])"));
    QCOMPARE(head(bh, Qt::Vertical, 0), QStringLiteral("bh"));
    QCOMPARE(head(bh, Qt::Horizontal, 2), QStringLiteral("h[2]"));
    QCOMPARE(head(in, Qt::Vertical, 3), QStringLiteral("t = 3"));
    QCOMPARE(head(in, Qt::Horizontal, 2), QStringLiteral("x[2]"));
    QCOMPARE(head(hid, Qt::Horizontal, 4), QStringLiteral("h[4]"));
    QVERIFY(wx.axesDescription().contains(QStringLiteral("rows: input feature i")));
    QVERIFY(wx.axesDescription().contains(QStringLiteral("columns: hidden unit j")));
    QVERIFY(in.axesDescription().contains(QStringLiteral("input feature d")));
    QVERIFY(!wx.headerData(3, Qt::Vertical).isValid()); // out of range

    // PyTorch: W·x, the same matrices transposed.
    session.setLayout(Layout::PyTorch);
    QCOMPARE(head(wx, Qt::Vertical, 4), QStringLiteral("hidden unit 4")); // long row headers still on
    QCOMPARE(head(wx, Qt::Horizontal, 2), QStringLiteral("x[2]"));
    QCOMPARE(head(wh, Qt::Vertical, 1), QStringLiteral("h\u209C[1]"));
    QCOMPARE(head(wh, Qt::Horizontal, 1), QStringLiteral("h\u209C\u208B\u2081[1]"));
    QCOMPARE(head(wo, Qt::Vertical, 1), QStringLiteral("y[1]"));
    QCOMPARE(head(wo, Qt::Horizontal, 4), QStringLiteral("h[4]"));
    QCOMPARE(head(bh, Qt::Horizontal, 0), QStringLiteral("bias"));
    QCOMPARE(head(bh, Qt::Vertical, 3), QStringLiteral("h[3]"));
    QVERIFY(bh.axesDescription().contains(QStringLiteral("one column")));

    // The step on show is bold in the row headers of X and H.
    session.seek(2);
    QVERIFY(in.headerData(2, Qt::Vertical, Qt::FontRole).value<QFont>().bold());
    QVERIFY(!in.headerData(1, Qt::Vertical, Qt::FontRole).isValid());
    QVERIFY(in.data(in.index(2, 0), MatrixTableModel::CurrentRowRole).toBool());
}

void TestMatrixView::valuesFollowLayout()
{
    Session session;
    const rnnscope::Weights &w = session.weights();
    MatrixTableModel wx(&session, Source::Wx), bh(&session, Source::bh), wo(&session, Source::Wo),
        in(&session, Source::Input);
    auto v = [](const MatrixTableModel &m, int r, int c) { return m.data(m.index(r, c), MatrixTableModel::ValueRole).toDouble(); };
    // The views show the values as the float32 model computes with them.
    auto held = [](double x) { return rnnscope::heldAs(x, rnnscope::DType::Float32); };
    QCOMPARE(v(wx, 1, 4), held(w.Wx(1, 4)));
    QCOMPARE(v(wo, 3, 1), held(w.Wo(3, 1)));
    QCOMPARE(v(in, 7, 2), held(session.model().inputValue(0, 7, 2)));
    // The full text is the float's shortest: it reads back as that float exactly.
    QCOMPARE(wx.data(wx.index(1, 4), Qt::EditRole).toString().toFloat(), static_cast<float>(w.Wx(1, 4)));
    QCOMPARE(wx.data(wx.index(1, 4)).toString(), ValueText::compact(w.Wx(1, 4)));
    session.setLayout(Layout::PyTorch);
    QCOMPARE(v(wx, 4, 1), held(w.Wx(1, 4)));
    QCOMPARE(v(wo, 1, 3), held(w.Wo(3, 1)));
    QCOMPARE(v(bh, 3, 0), held(w.bh(3)));
    QCOMPARE(v(in, 7, 2), held(session.model().inputValue(0, 7, 2)));
}

void TestMatrixView::tooltips()
{
    Session session;
    MatrixTableModel wx(&session, Source::Wx), wh(&session, Source::Wh), hid(&session, Source::Hidden);
    const QString tip = wx.data(wx.index(1, 4), Qt::ToolTipRole).toString();
    QVERIFY2(tip.startsWith(QStringLiteral("Wx[1, 4] = ")), qPrintable(tip));
    QVERIFY2(tip.endsWith(QStringLiteral("(input feature 1 \u2192 hidden unit 4)")), qPrintable(tip));
    QVERIFY(wh.data(wh.index(2, 3), Qt::ToolTipRole).toString().contains(
        QStringLiteral("hidden unit 2 at t\u22121 \u2192 hidden unit 3 at t")));
    QVERIFY(hid.data(hid.index(0, 0), Qt::ToolTipRole).toString().contains(QStringLiteral("not computed yet")));
    session.setLayout(Layout::PyTorch);
    const QString pt = wx.data(wx.index(4, 1), Qt::ToolTipRole).toString();
    QVERIFY2(pt.startsWith(QStringLiteral("weight_ih_l0[4, 1] = ")), qPrintable(pt));
    QVERIFY2(pt.contains(QStringLiteral("input feature 1 \u2192 hidden unit 4; Keras Wx[1, 4]")), qPrintable(pt));
}

void TestMatrixView::editWeightAndUndo()
{
    Session session;
    MatrixTableModel wx(&session, Source::Wx), wh(&session, Source::Wh);
    const double before = session.weights().Wx(1, 4);
    const Eigen::MatrixXd y0 = lastOutput(session);
    QSignalSpy changed(&wx, &QAbstractItemModel::dataChanged);
    QSignalSpy whChanged(&wh, &QAbstractItemModel::dataChanged);
    QSignalSpy resets(&wx, &QAbstractItemModel::modelReset);

    QVERIFY(wx.flags(wx.index(1, 4)) & Qt::ItemIsEditable);
    QVERIFY(wx.setData(wx.index(1, 4), QStringLiteral("2.5")));
    QCOMPARE(session.weights().Wx(1, 4), 2.5);
    QCOMPARE(wx.data(wx.index(1, 4)).toString(), QStringLiteral("2.50"));
    // One dataChanged over the whole matrix, no reset.
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>(), wx.index(0, 0));
    QCOMPARE(changed.at(0).at(1).value<QModelIndex>(), wx.index(2, 4));
    QCOMPARE(resets.count(), 0);
    QCOMPARE(whChanged.count(), 1); // every weight view repaints (the session's signal is coarse)
    // The colour scale follows the new max |value|.
    QCOMPARE(wx.colorScale(), 2.5);
    // The outputs recompute.
    const Eigen::MatrixXd y1 = lastOutput(session);
    QVERIFY((y1 - y0).cwiseAbs().maxCoeff() > 1e-6);

    // Undo goes through the session's stack.
    QCOMPARE(session.undoStack()->count(), 1);
    session.undoStack()->undo();
    QCOMPARE(session.weights().Wx(1, 4), before);
    QCOMPARE(changed.count(), 2);
    QCOMPARE(lastOutput(session), y0);
    session.undoStack()->redo();
    QCOMPARE(session.weights().Wx(1, 4), 2.5);
}

void TestMatrixView::editInPyTorchLayout()
{
    Session session;
    session.setLayout(Layout::PyTorch);
    MatrixTableModel wx(&session, Source::Wx), bh(&session, Source::bh), wo(&session, Source::Wo);
    QVERIFY(wx.setData(wx.index(4, 1), QStringLiteral("0.75"))); // weight_ih_l0[4, 1] = Wx[1, 4]
    QCOMPARE(session.weights().Wx(1, 4), 0.75);
    QVERIFY(bh.setData(bh.index(3, 0), QStringLiteral("-0.25")));
    QCOMPARE(session.weights().bh(3), -0.25);
    QVERIFY(wo.setData(wo.index(1, 2), QStringLiteral("1e-3"))); // fc.weight[1, 2] = Wo[2, 1]
    QCOMPARE(session.weights().Wo(2, 1), 1e-3);
    QCOMPARE(session.undoStack()->count(), 3);
}

void TestMatrixView::editNaNAndInf()
{
    Session session;
    MatrixTableModel wx(&session, Source::Wx), wh(&session, Source::Wh);
    QVERIFY(wx.setData(wx.index(0, 0), QStringLiteral("nan")));
    QVERIFY(std::isnan(session.weights().Wx(0, 0)));
    QCOMPARE(wx.data(wx.index(0, 0)).toString(), QStringLiteral("NaN"));
    QCOMPARE(wx.data(wx.index(0, 0), Qt::EditRole).toString(), QStringLiteral("nan"));
    QCOMPARE(wx.stats().nan, qsizetype(1));
    // NaN propagates to the outputs (as in Keras).
    QVERIFY(lastOutput(session).array().isNaN().any());
    QVERIFY(wx.colorScale() > 0 && std::isfinite(wx.colorScale())); // NaN does not break the scale

    QVERIFY(wh.setData(wh.index(1, 2), QStringLiteral("-inf")));
    QVERIFY(wh.setData(wh.index(2, 1), QString(QChar(0x2212)) + QStringLiteral("Inf")));
    QVERIFY(wh.setData(wh.index(3, 3), QStringLiteral("inf")));
    QCOMPARE(wh.data(wh.index(1, 2)).toString(), minus("Inf"));
    QCOMPARE(wh.data(wh.index(3, 3)).toString(), QStringLiteral("+Inf"));
    QCOMPARE(session.weights().Wh(3, 3), kInf);
    QCOMPARE(wh.stats().negInf, qsizetype(2));
    QCOMPARE(wh.stats().posInf, qsizetype(1));
    // A number typed with the minus the view shows.
    QVERIFY(wh.setData(wh.index(0, 0), minus("0.5")));
    QCOMPARE(session.weights().Wh(0, 0), -0.5);
    // Undo all the way back.
    while (session.undoStack()->canUndo())
        session.undoStack()->undo();
    QVERIFY(!std::isnan(session.weights().Wx(0, 0)));
    QCOMPARE(wh.stats().nonFinite(), qsizetype(0));
}

void TestMatrixView::garbageRefused()
{
    Session session;
    MatrixTableModel wx(&session, Source::Wx);
    const rnnscope::Weights before = session.weights();
    for (const QString &text : {QStringLiteral("abc"), QStringLiteral(""), QStringLiteral("1,2,3"),
                                QStringLiteral("0.5x"), QStringLiteral("1e999"), QStringLiteral("--1")})
        QVERIFY2(!wx.setData(wx.index(1, 1), text), qPrintable(text));
    QVERIFY(!wx.setData(wx.index(1, 1), QStringLiteral("0.5"), Qt::DisplayRole)); // wrong role
    QVERIFY(!wx.setData(QModelIndex(), QStringLiteral("0.5")));
    QCOMPARE(session.weights().Wx, before.Wx);
    QCOMPARE(session.undoStack()->count(), 0);
    // A number as a QVariant is fine.
    QVERIFY(wx.setData(wx.index(1, 1), 0.125));
    QCOMPARE(session.weights().Wx(1, 1), 0.125);
}

void TestMatrixView::editInput()
{
    Session session;
    QVERIFY(session.setDims(Dims{3, 10, 3, 5, 2}));
    session.undoStack()->clear();
    MatrixTableModel in(&session, Source::Input);
    QSignalSpy resets(&in, &QAbstractItemModel::modelReset);
    QSignalSpy changed(&in, &QAbstractItemModel::dataChanged);
    session.setSample(2);
    QCOMPARE(resets.count(), 1); // another sample: the model resets
    QVERIFY(in.title().startsWith(QStringLiteral("X[n=2]")));
    const Eigen::MatrixXd y0 = lastOutput(session);
    QVERIFY(in.setData(in.index(4, 1), QStringLiteral("3")));
    QCOMPARE(session.model().inputValue(2, 4, 1), 3.0);
    QCOMPARE(changed.count(), 1);
    const Eigen::MatrixXd y1 = lastOutput(session);
    QVERIFY(std::abs(y1(2, 0) - y0(2, 0)) + std::abs(y1(2, 1) - y0(2, 1)) > 1e-9); // sample 2 changed
    QCOMPARE(y1.row(0), y0.row(0));                                              // sample 0 did not
    session.undoStack()->undo();
    QCOMPARE(lastOutput(session), y0);
}

void TestMatrixView::hiddenGrowsWithSteps()
{
    Session session;
    MatrixTableModel h(&session, Source::Hidden);
    QSignalSpy changed(&h, &QAbstractItemModel::dataChanged);
    QCOMPARE(h.filledRows(), 0);
    QVERIFY(!h.data(h.index(0, 0)).isValid());
    QVERIFY(!(h.flags(h.index(0, 0)) & Qt::ItemIsEditable));

    session.stepForward();
    session.stepForward();
    session.stepForward();
    QCOMPARE(h.filledRows(), 3);
    QCOMPARE(changed.count(), 3); // one per step, over the new row (and the marker's)
    const QModelIndex tl = changed.last().at(0).value<QModelIndex>(), br = changed.last().at(1).value<QModelIndex>();
    QCOMPARE(tl.column(), 0);
    QCOMPARE(br.column(), 4);
    QVERIFY(tl.row() <= 2 && br.row() == 2);
    QCOMPARE(h.data(h.index(2, 3), MatrixTableModel::ValueRole).toDouble(), session.hiddenValue(0, 2, 3));
    QVERIFY(!h.data(h.index(3, 0)).isValid());
    QCOMPARE(h.currentRow(), 2);
    QVERIFY(!h.setData(h.index(1, 1), QStringLiteral("0.5"))); // read-only

    // A weight edit recomputes every shown row: one dataChanged over all of them.
    changed.clear();
    MatrixTableModel wx(&session, Source::Wx);
    QVERIFY(wx.setData(wx.index(0, 0), QStringLiteral("3")));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 0);
    QCOMPARE(h.data(h.index(2, 3), MatrixTableModel::ValueRole).toDouble(), session.hiddenValue(0, 2, 3));

    // Stepping back empties the row again.
    session.stepBack();
    QCOMPARE(h.filledRows(), 2);
    QVERIFY(!h.data(h.index(2, 0)).isValid());
    session.reset();
    QCOMPARE(h.filledRows(), 0);
    QCOMPARE(h.currentRow(), -1);
}

void TestMatrixView::hiddenScaleIsFixedForTanh()
{
    Session session;
    MatrixTableModel h(&session, Source::Hidden), wx(&session, Source::Wx);
    session.seek(5);
    QCOMPARE(h.colorScale(), 1.0);
    QVERIFY(h.hasFixedScale());
    QVERIFY(!wx.hasFixedScale());
    QVERIFY(session.setActivations(rnnscope::Activation::Relu, rnnscope::Activation::Linear));
    session.seek(5);
    QVERIFY(!h.hasFixedScale());
    QCOMPARE(h.colorScale(), ColorMap::autoScale(h.stats()));
    wx.setFixedScale(2);
    QCOMPARE(wx.colorScale(), 2.0);

    // With an automatic scale, a step that moves the scale repaints every shown row.
    session.reset();
    QSignalSpy changed(&h, &QAbstractItemModel::dataChanged);
    double scale = h.colorScale();
    for (int t = 0; t < session.dims().T; ++t) {
        changed.clear();
        session.stepForward();
        QCOMPARE(changed.count(), 1);
        const int first = changed.at(0).at(0).value<QModelIndex>().row();
        const double now = h.colorScale();
        if (now != scale)
            QCOMPARE(first, 0);
        else
            QVERIFY(first >= t - 1);
        scale = now;
        // The merged stats equal a fresh pass over the computed rows.
        double maxAbs = 0;
        for (int r = 0; r <= t; ++r)
            for (int j = 0; j < session.dims().M; ++j)
                maxAbs = std::max(maxAbs, std::abs(session.hiddenValue(0, r, j)));
        QCOMPARE(h.stats().maxAbs, maxAbs);
    }
}

// ---------------------------------------------------------------- delegate and view

void TestMatrixView::delegateEditor()
{
    Session session;
    MatrixView view(&session, Source::Wx);
    view.resize(500, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTableView *table = view.tableView();
    QVERIFY(table->model() == view.model());
    auto *delegate = qobject_cast<HeatmapDelegate *>(table->itemDelegate());
    QVERIFY(delegate);

    const QModelIndex idx = view.model()->index(2, 3);
    QStyleOptionViewItem option;
    option.initFrom(table);
    option.rect = table->visualRect(idx);
    std::unique_ptr<QWidget> editor(delegate->createEditor(table->viewport(), option, idx));
    auto *edit = qobject_cast<QLineEdit *>(editor.get());
    QVERIFY(edit);
    delegate->setEditorData(edit, idx);
    QCOMPARE(edit->text().toFloat(), static_cast<float>(session.weights().Wx(2, 3)));
    // Anything can be typed; the model refuses what is not a number, and says why.
    QSignalSpy refused(&session, &Session::errorOccurred);
    edit->setText(QStringLiteral("abc"));
    delegate->setModelData(edit, view.model(), idx);
    QCOMPARE(session.undoStack()->count(), 0);
    QCOMPARE(refused.count(), 1);
    QVERIFY2(refused.first().first().toString().startsWith(QStringLiteral("Wx[2, 3]: \u201Cabc\u201D is not a number")),
             qPrintable(refused.first().first().toString()));
    edit->setText(QStringLiteral("-inf"));
    delegate->setModelData(edit, view.model(), idx);
    QCOMPARE(session.weights().Wx(2, 3), -kInf);

    // Editing through the view: select the cell, type, Enter.
    table->setCurrentIndex(view.model()->index(0, 1));
    view.activateWindow();
    table->setFocus();
    QTest::keyClick(table, '0'); // typing starts the editor (AnyKeyPressed) and goes into it
    auto *open = qobject_cast<QLineEdit *>(QApplication::focusWidget());
    QVERIFY(open);
    QCOMPARE(open->text(), QStringLiteral("0"));
    QTest::keyClicks(open, QStringLiteral(".25"));
    QSignalSpy committed(&view, &MatrixView::editCommitted);
    QTest::keyClick(open, Qt::Key_Return);
    QTRY_COMPARE(session.weights().Wx(0, 1), 0.25);
    QCOMPARE(committed.count(), 1);
    QTRY_VERIFY(!qobject_cast<QLineEdit *>(QApplication::focusWidget()));

    // F2 on cell (1, 2), then `typed` in place of its text: the editor.
    const auto typeInto = [&](const QString &typed) -> QLineEdit * {
        table->setCurrentIndex(view.model()->index(1, 2));
        table->setFocus();
        QTest::keyClick(table, Qt::Key_F2);
        auto *editing = qobject_cast<QLineEdit *>(QApplication::focusWidget());
        if (editing) {
            editing->selectAll();
            QTest::keyClicks(editing, typed);
        }
        return editing;
    };
    // A text that is not a number, with Return: the editor stays open with the reason at the cell.
    const double kept = session.weights().Wx(1, 2);
    for (const QString &typed : {QStringLiteral("1,5"), QStringLiteral("1e309"), QStringLiteral("abc")}) {
        QLineEdit *editing = typeInto(typed);
        QVERIFY(editing);
        const int errors = refused.count();
        QTest::keyClick(editing, Qt::Key_Return);
        QCOMPARE(refused.count(), errors + 1);
        QCOMPARE(QApplication::focusWidget(), editing); // still open, its text selected for a correction
        QCOMPARE(editing->selectedText(), typed);
        QVERIFY2(QToolTip::isVisible() && QToolTip::text().contains(typed), qPrintable(QToolTip::text()));
        QCOMPARE(committed.count(), 1);
        // Escape leaves the editor, the value as it was.
        QTest::keyClick(editing, Qt::Key_Escape);
        QTRY_VERIFY(!qobject_cast<QLineEdit *>(QApplication::focusWidget()));
    }
    QCOMPARE(session.weights().Wx(1, 2), kept);
    // What a person means is taken, and the reading is said: 1e-400 is 0.
    QSignalSpy notices(&session, &Session::notice);
    QLineEdit *editing = typeInto(QStringLiteral("1e-400"));
    QVERIFY(editing);
    QTest::keyClick(editing, Qt::Key_Return);
    QCOMPARE(session.weights().Wx(1, 2), 0.0);
    QCOMPARE(notices.count(), 1);
    QVERIFY(notices.first().first().toString().contains(QStringLiteral("0 after underflow")));
}

void TestMatrixView::tableModeSmall()
{
    Session session;
    for (Source s : {Source::Wx, Source::Wh, Source::bh, Source::Wo, Source::bo, Source::Input, Source::Hidden}) {
        MatrixView view(&session, s);
        QCOMPARE(view.mode(), MatrixView::Mode::Table);
        QCOMPARE(view.tableView()->model(), view.model());
        QCOMPARE(view.tableView()->horizontalHeader()->sectionResizeMode(0), QHeaderView::Interactive);
        QCOMPARE(view.tableView()->verticalHeader()->sectionResizeMode(0), QHeaderView::Fixed);
        const bool editable = s != Source::Hidden;
        QCOMPARE(view.tableView()->editTriggers() != QAbstractItemView::NoEditTriggers, editable);
        QCOMPARE(view.title(), view.model()->title());
    }
}

void TestMatrixView::imageModeBig()
{
    Session session;
    QVERIFY(session.setDims(Dims{1, 10, 3, 256, 2}));
    MatrixView wh(&session, Source::Wh);
    QCOMPARE(wh.model()->rowCount(), 256);
    QCOMPARE(wh.model()->columnCount(), 256);
    QCOMPARE(wh.mode(), MatrixView::Mode::Image);
    QVERIFY(wh.tableView()->model() == nullptr); // the hidden table does not follow 65,536 cells
    MatrixView wx(&session, Source::Wx);         // 3×256: too wide for a table
    QCOMPARE(wx.mode(), MatrixView::Mode::Image);
    MatrixView x(&session, Source::Input);       // 10×3 stays a table
    QCOMPARE(x.mode(), MatrixView::Mode::Table);

    wh.resize(600, 600);
    wh.show();
    QVERIFY(QTest::qWaitForWindowExposed(&wh));
    // Edits reach the image without a reset.
    QSignalSpy modes(&wh, &MatrixView::modeChanged);
    QVERIFY(wh.model()->setData(wh.model()->index(10, 20), QStringLiteral("nan")));
    QCOMPARE(wh.model()->stats().nan, qsizetype(1));
    QCOMPARE(modes.count(), 0);
    const QImage shot = wh.grab().toImage();
    QVERIFY(distinctColors(shot) > 20);
}

void TestMatrixView::switchesModes()
{
    Session session;
    MatrixView wh(&session, Source::Wh);
    QSignalSpy modes(&wh, &MatrixView::modeChanged);
    QCOMPARE(wh.mode(), MatrixView::Mode::Table);
    QVERIFY(session.setDims(Dims{1, 10, 3, 64, 2}));
    QCOMPARE(wh.mode(), MatrixView::Mode::Image);
    QCOMPARE(modes.count(), 1);
    QVERIFY(session.setDims(Dims{1, 10, 3, 40, 2})); // the threshold itself is still a table
    QCOMPARE(wh.mode(), MatrixView::Mode::Table);
    QCOMPARE(wh.tableView()->model(), wh.model());
    QCOMPARE(wh.tableView()->model()->rowCount(), 40);
    wh.setImageThreshold(20);
    QCOMPARE(wh.mode(), MatrixView::Mode::Image);
    session.undoStack()->undo();
    session.undoStack()->undo(); // back to M = 5
    QCOMPARE(wh.mode(), MatrixView::Mode::Table);
    QCOMPARE(wh.title(), QStringLiteral("Wh \u00B7 recurrent_kernel (5\u00D75)"));
}

void TestMatrixView::imageIncrementalMatchesFresh_data()
{
    QTest::addColumn<bool>("relu");
    QTest::addColumn<int>("T");
    QTest::newRow("tanh (fixed scale)") << false << 60;
    QTest::newRow("relu (automatic scale)") << true << 60;
    // More timesteps than image rows: a step refills the image rows covering its matrix rows.
    QTest::newRow("tanh, sampled rows") << false << 9000;
    QTest::newRow("relu, sampled rows") << true << 9000;
}

void TestMatrixView::imageIncrementalMatchesFresh()
{
    // The image mode refills only the rows a step changed; the result must equal a full redraw.
    QFETCH(bool, relu);
    QFETCH(int, T);
    Session session;
    QVERIFY(session.setDims(Dims{1, T, 3, 50, 2}));
    if (relu)
        QVERIFY(session.setActivations(rnnscope::Activation::Relu, rnnscope::Activation::Linear));
    MatrixView live(&session, Source::Hidden);
    live.resize(400, 500);
    live.show();
    QVERIFY(QTest::qWaitForWindowExposed(&live));
    QCOMPARE(live.mode(), MatrixView::Mode::Image);
    for (int i = 0; i < 30; ++i) {
        session.stepForward();
        QCoreApplication::processEvents();
    }
    session.stepBack();
    session.stepBack();
    MatrixTableModel wh(&session, Source::Wh);
    QVERIFY(wh.setData(wh.index(1, 1), QStringLiteral("0.9"))); // values of every row change
    session.stepForward();

    MatrixView fresh(&session, Source::Hidden);
    fresh.resize(live.size());
    fresh.show();
    QVERIFY(QTest::qWaitForWindowExposed(&fresh));
    QCOMPARE(live.image(), fresh.image());
    QCOMPARE(live.grab().toImage(), fresh.grab().toImage());
}

void TestMatrixView::fontFollows()
{
    Session session;
    MatrixView view(&session, Source::Wx);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const int w0 = view.tableView()->horizontalHeader()->defaultSectionSize();
    const int h0 = view.tableView()->verticalHeader()->defaultSectionSize();
    const QSize hint0 = view.sizeHint();
    const QFont normal = QApplication::font();
    QFont big = normal;
    big.setPointSizeF(big.pointSizeF() * 2);
    QApplication::setFont(big); // what presentation mode does
    QCoreApplication::processEvents();
    const int w1 = view.tableView()->horizontalHeader()->defaultSectionSize();
    const int h1 = view.tableView()->verticalHeader()->defaultSectionSize();
    QVERIFY2(w1 > w0 * 1.5 && h1 > h0 * 1.5, qPrintable(QStringLiteral("%1→%2, %3→%4").arg(w0).arg(w1).arg(h0).arg(h1)));
    QVERIFY(view.sizeHint().width() > hint0.width());
    // The title stays bold at the new size.
    const QLabel *title = view.findChild<QLabel *>();
    QVERIFY(title && title->font().bold());
    QCOMPARE(title->font().pointSizeF(), big.pointSizeF());
    QApplication::setFont(normal);
}

void TestMatrixView::imageHoverAndStatus()
{
    Session session;
    QVERIFY(session.setDims(Dims{1, 10, 3, 100, 2}));
    MatrixView view(&session, Source::Wh);
    view.resize(500, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCOMPARE(view.mode(), MatrixView::Mode::Image);
    QWidget *image = view.imageWidget();
    QVERIFY(image->isVisible());
    QSignalSpy hovered(&view, &MatrixView::cellHovered);
    QTest::mouseMove(image, QPoint(image->width() - 10, image->height() - 10));
    QTRY_VERIFY(hovered.count() >= 1);
    const int row = hovered.last().at(0).toInt(), col = hovered.last().at(1).toInt();
    QVERIFY(row > 80 && col > 80);
    QVERIFY2(view.statusText().startsWith(QStringLiteral("Wh[%1, %2] = ").arg(row).arg(col)),
             qPrintable(view.statusText()));

    // Double-click opens an editor over the cell; Enter commits through the session.
    const QPoint at(image->width() - 10, image->height() - 10);
    QTest::mouseDClick(image, Qt::LeftButton, Qt::NoModifier, at);
    auto *edit = image->findChild<QLineEdit *>();
    QVERIFY(edit && edit->isVisible());
    edit->setText(QStringLiteral("garbage"));
    QTest::keyClick(edit, Qt::Key_Return);
    QCOMPARE(session.undoStack()->count(), 1); // only the setDims: refused text changes nothing
    QVERIFY(edit->isVisible());                // and keeps the editor open
    edit->setText(QStringLiteral("nan"));
    QTest::keyClick(edit, Qt::Key_Return);
    QVERIFY(std::isnan(session.weights().Wh(row, col)));
    QCOMPARE(view.model()->stats().nan, qsizetype(1));
    QCOMPARE(view.mode(), MatrixView::Mode::Image);
}

void TestMatrixView::imageAxisSampling_data()
{
    QTest::addColumn<int>("cells");
    QTest::newRow("1") << 1;
    QTest::newRow("41 (just an image)") << 41;
    QTest::newRow("4096 (the largest unsampled)") << MatrixView::kMaxImageSide;
    QTest::newRow("4097 (the smallest sampled)") << MatrixView::kMaxImageSide + 1;
    QTest::newRow("8191") << 2 * MatrixView::kMaxImageSide - 1;
    QTest::newRow("20000") << 20000;
    QTest::newRow("1000000") << 1000000;
    QTest::newRow("2^20 (max T)") << rnnscope::DimLimits::maxT;
}

void TestMatrixView::imageAxisSampling()
{
    QFETCH(int, cells);
    const MatrixView::ImageAxis a = MatrixView::ImageAxis::of(cells);
    QCOMPARE(a.cells, cells);
    QCOMPARE(a.size, std::min(cells, MatrixView::kMaxImageSide));
    QCOMPARE(a.sampled(), cells > MatrixView::kMaxImageSide);
    // The first and the last matrix rows are shown; every image row shows a row of its own.
    QCOMPARE(a.cellOf(0), 0);
    QCOMPARE(a.cellOf(a.size - 1), cells - 1);
    for (int i = 0; i < a.size; ++i) {
        QCOMPARE(a.indexOf(a.cellOf(i)), i);
        if (i > 0)
            QVERIFY(a.cellOf(i) > a.cellOf(i - 1));
    }
    // Every matrix row lies in exactly one image row: the one whose range cellOf(i) … cellOf(i+1)−1 holds it.
    for (int c = 0; c < cells; ++c) {
        const int i = a.indexOf(c);
        QVERIFY(i >= 0 && i < a.size);
        QVERIFY2(a.cellOf(i) <= c && (i + 1 == a.size || a.cellOf(i + 1) > c), qPrintable(QString::number(c)));
    }
    QCOMPARE(a.indexOf(cells - 1), a.size - 1);
}

void TestMatrixView::sampledImageIsBounded_data()
{
    QTest::addColumn<Source>("source");
    QTest::newRow("X[n] (T×D)") << Source::Input;
    QTest::newRow("H[n] (T×M)") << Source::Hidden;
}

void TestMatrixView::sampledImageIsBounded()
{
    QFETCH(Source, source);
    Session session;
    QVERIFY(session.setDims(kTall));
    const int T = kTall.T;
    session.seek(T - 1);
    MatrixView view(&session, source);
    view.resize(420, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCOMPARE(view.mode(), MatrixView::Mode::Image);
    const MatrixTableModel *m = view.model();
    const int cols = m->columnCount();

    // At most kMaxImageSide image rows, however many timesteps; the columns are all there.
    const QImage image = view.image();
    QCOMPARE(image.height(), MatrixView::kMaxImageSide);
    QCOMPARE(image.width(), cols);
    QCOMPARE(view.imageRows().cells, T);
    QCOMPARE(view.imageRows().size, MatrixView::kMaxImageSide);
    QVERIFY(!view.imageColumns().sampled());
    // Each image row holds exactly the colours of the matrix row it shows.
    const MatrixView::ImageAxis rows = view.imageRows();
    for (int i : {0, 1, 2, 1000, 2047, 4094, 4095})
        for (int c = 0; c < cols; ++c)
            QCOMPARE(image.pixel(c, i) | 0xff000000u, ColorMap::rgb(m->value(rows.cellOf(i), c), m->colorScale()));

    // The corners of the drawn matrix are the first and the last matrix cells.
    const QRectF mr = view.matrixRect();
    QVERIFY(!mr.isEmpty());
    QCOMPARE(view.cellAt(mr.topLeft() + QPointF(0.5, 0.5)), std::pair(0, 0));
    QCOMPARE(view.cellAt(QPointF(mr.right() - 0.5, mr.bottom() - 0.5)), std::pair(T - 1, cols - 1));
    QCOMPARE(view.cellAt(mr.bottomRight() + QPointF(1, 1)), std::pair(-1, -1));

    // The mouse on the last pixel row reads the last timestep, with its real index and value.
    QWidget *widget = view.imageWidget();
    QSignalSpy hovered(&view, &MatrixView::cellHovered);
    const QPoint last(int(mr.left()) + 1, int(std::ceil(mr.bottom())) - 1);
    // Sent to the widget directly: synthesized window-system moves depend on the tests before.
    QMouseEvent move(QEvent::MouseMove, QPointF(last), widget->mapToGlobal(QPointF(last)), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(widget, &move);
    QCOMPARE(hovered.count(), 1);
    QCOMPARE(hovered.last().at(0).toInt(), T - 1);
    QCOMPARE(hovered.last().at(1).toInt(), 0);
    const QString name = source == Source::Input ? QStringLiteral("X") : QStringLiteral("H");
    QVERIFY2(view.statusText().startsWith(QStringLiteral("%1[0, %2, 0] = ").arg(name).arg(T - 1)), qPrintable(view.statusText()));
    QCOMPARE(view.statusText(), m->cellDescription(T - 1, 0));
}

void TestMatrixView::sampledCurrentRowMark_data()
{
    QTest::addColumn<Source>("source");
    QTest::addColumn<int>("t");
    for (int t : {0, 7777, 12345, kTall.T - 1}) {
        QTest::addRow("X[n], t = %d", t) << Source::Input << t;
        QTest::addRow("H[n], t = %d", t) << Source::Hidden << t;
    }
}

void TestMatrixView::sampledCurrentRowMark()
{
    // The triangle of the step on show points at the image row covering t, whichever row that
    // image row samples; for H, the image is filled up to that row and no further.
    QFETCH(Source, source);
    QFETCH(int, t);
    Session session;
    QVERIFY(session.setDims(kTall));
    MatrixView view(&session, source);
    view.resize(420, 900);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    session.seek(t);
    QCoreApplication::processEvents();
    QCOMPARE(view.model()->currentRow(), t);

    const MatrixView::ImageAxis rows = view.imageRows();
    const int at = rows.indexOf(t);
    if (source == Source::Hidden) {
        const QImage image = view.image();
        QVERIFY(qAlpha(image.pixel(0, at)) == 255);           // the row of t is drawn…
        if (at + 1 < rows.size)
            QCOMPARE(qAlpha(image.pixel(0, at + 1)), 0);       // … and the next one is still empty
    }

    // Find the triangle in the left margin: dark pixels a few pixels left of the matrix.
    const QRectF mr = view.matrixRect();
    const QImage shot = view.imageWidget()->grab().toImage();
    const int x = int(std::floor(mr.left())) - 5;
    double sum = 0;
    int count = 0;
    for (int y = 0; y < shot.height(); ++y)
        if (qGray(shot.pixel(x, y)) < 100) {
            sum += y + 0.5;
            ++count;
        }
    QVERIFY2(count > 0 && count < 12, qPrintable(QString::number(count)));
    const double y = sum / count;
    const int shown = view.cellAt(QPointF(mr.left() + 1, std::clamp(y, mr.top(), mr.bottom() - 0.01))).first;
    // Within the rows of two pixels: the triangle's position is read from whole pixels.
    const double rowsPerPixel = rows.cells / mr.height();
    QVERIFY2(std::abs(shown - t) <= 2 * rowsPerPixel + 1,
             qPrintable(QStringLiteral("t = %1, triangle at y = %2 → row %3").arg(t).arg(y).arg(shown)));
}

void TestMatrixView::sampledNonFiniteIsMarked_data()
{
    QTest::addColumn<double>("value");
    QTest::newRow("NaN") << kNaN;
    QTest::newRow("+Inf") << kInf;
    QTest::newRow("-Inf") << -kInf;
}

void TestMatrixView::sampledNonFiniteIsMarked()
{
    // A NaN or ±Inf in a row that no image row samples still shows: its colour goes onto the image
    // row covering it, and the widget marks it larger than its sub-pixel cell.
    QFETCH(double, value);
    Session session;
    QVERIFY(session.setDims(kTall));
    MatrixView view(&session, Source::Input);
    view.resize(420, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const MatrixView::ImageAxis rows = view.imageRows();
    int r = 10001;
    while (rows.cellOf(rows.indexOf(r)) == r)
        ++r;
    const int d = 1;
    QVERIFY(session.setInputValue(0, r, d, value));
    QCoreApplication::processEvents();
    QCOMPARE(view.model()->stats().nonFinite(), qsizetype(1));
    const QRgb color = ColorMap::rgb(value, 1);
    QCOMPARE(view.image().pixel(d, rows.indexOf(r)) | 0xff000000u, color);

    // On screen, around the cell's place.
    const QRectF mr = view.matrixRect();
    const QPoint centre = QPointF(mr.left() + (d + 0.5) * mr.width() / view.imageColumns().size,
                                  mr.top() + (rows.indexOf(r) + 0.5) * mr.height() / rows.size)
                              .toPoint();
    QImage shot = view.imageWidget()->grab().toImage();
    QVERIFY2(pixelsNear(shot, centre, 4, {color}) >= 4, qPrintable(QString::number(pixelsNear(shot, centre, 4, {color}))));

    // Steps onto and away from that row refill its image row from the sampled cell: the mark stays.
    for (int t : {r, 15000}) {
        session.seek(t);
        QCoreApplication::processEvents();
        QCOMPARE(view.image().pixel(d, rows.indexOf(r)) | 0xff000000u, color);
        shot = view.imageWidget()->grab().toImage();
        QVERIFY(pixelsNear(shot, centre, 4, {color}) >= 4);
    }

    // Undone, the value and its mark are gone.
    session.undoStack()->undo();
    QCoreApplication::processEvents();
    QCOMPARE(view.model()->stats().nonFinite(), qsizetype(0));
    QVERIFY(view.image().pixel(d, rows.indexOf(r)) != color);
}

void TestMatrixView::grabIsNotBlank_data()
{
    QTest::addColumn<Source>("source");
    QTest::addColumn<int>("M");
    QTest::newRow("Wx table") << Source::Wx << 5;
    QTest::newRow("Hidden table") << Source::Hidden << 5;
    QTest::newRow("Wh image") << Source::Wh << 256;
}

void TestMatrixView::grabIsNotBlank()
{
    QFETCH(Source, source);
    QFETCH(int, M);
    Session session;
    QVERIFY(session.setDims(Dims{1, 10, 3, M, 2}));
    session.seek(4);
    MatrixView view(&session, source);
    view.resize(520, 420);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QString path = m_tmp.filePath(QStringLiteral("%1.png").arg(QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_'))));
    QVERIFY(view.grab().save(path));
    QImage image(path);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), view.size() * view.devicePixelRatioF());
    QVERIFY(distinctColors(image) > 10);
    // Text was drawn: the title region holds dark pixels.
    bool dark = false;
    for (int y = 0; y < 30 && !dark; ++y)
        for (int x = 0; x < image.width() && !dark; ++x)
            dark = qGray(image.pixel(x, y)) < 60;
    QVERIFY(dark);
}

void TestMatrixView::screenshots()
{
    // Into RNNSCOPE_SCREENSHOT_DIR to look at them, else into a temporary folder: the shots are
    // taken and checked either way.
    QTemporaryDir temporary;
    QString dir = qEnvironmentVariable("RNNSCOPE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        dir = temporary.path();
    QDir().mkpath(dir);
    auto shoot = [&](QWidget &w, QSize size, const QString &name) {
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QString path = QDir(dir).filePath(name);
        QVERIFY(w.grab().save(path));
        // What was written reads back as a picture of the view, not a blank.
        const QImage shot(path);
        QCOMPARE(shot.size(), w.size() * w.devicePixelRatio());
        QSet<QRgb> colours;
        for (int y = 0; y < shot.height() && colours.size() < 16; y += 3)
            for (int x = 0; x < shot.width() && colours.size() < 16; x += 3)
                colours.insert(shot.pixel(x, y));
        QVERIFY2(colours.size() >= 16, qPrintable(name));
    };
    {
        Session session;
        MatrixView wx(&session, Source::Wx);
        shoot(wx, wx.sizeHint().expandedTo(QSize(420, 0)), QStringLiteral("matrix_wx.png"));
        session.setLayout(Layout::PyTorch);
        MatrixView pt(&session, Source::Wx);
        shoot(pt, pt.sizeHint().expandedTo(QSize(420, 0)), QStringLiteral("matrix_wx_pytorch.png"));
    }
    {
        Session session;
        QVERIFY(session.setDims(Dims{1, 10, 3, 256, 2}));
        MatrixView wh(&session, Source::Wh);
        shoot(wh, QSize(640, 640), QStringLiteral("matrix_wh256.png"));
    }
    {
        Session session;
        MatrixView wh(&session, Source::Wh);
        MatrixTableModel *m = wh.model();
        QVERIFY(m->setData(m->index(0, 1), QStringLiteral("nan")));
        QVERIFY(m->setData(m->index(2, 2), QStringLiteral("inf")));
        QVERIFY(m->setData(m->index(3, 0), QStringLiteral("-inf")));
        QVERIFY(m->setData(m->index(4, 4), QStringLiteral("1.5")));
        shoot(wh, wh.sizeHint().expandedTo(QSize(480, 0)), QStringLiteral("matrix_nan_inf.png"));

        Session big;
        QVERIFY(big.setDims(Dims{1, 10, 3, 48, 2}));
        MatrixView image(&big, Source::Wh);
        MatrixTableModel *bm = image.model();
        QVERIFY(bm->setData(bm->index(3, 5), QStringLiteral("nan")));
        QVERIFY(bm->setData(bm->index(10, 10), QStringLiteral("inf")));
        QVERIFY(bm->setData(bm->index(20, 30), QStringLiteral("-inf")));
        shoot(image, QSize(560, 560), QStringLiteral("matrix_nan_inf_image.png"));
    }
    {
        Session session;
        session.seek(5);
        MatrixView h(&session, Source::Hidden);
        shoot(h, h.sizeHint().expandedTo(QSize(420, 0)), QStringLiteral("matrix_hidden.png"));
        MatrixView x(&session, Source::Input);
        shoot(x, x.sizeHint().expandedTo(QSize(420, 0)), QStringLiteral("matrix_input.png"));
        MatrixView bh(&session, Source::bh);
        shoot(bh, bh.sizeHint().expandedTo(QSize(420, 0)), QStringLiteral("matrix_bh.png"));
    }
    {
        Session session;
        QVERIFY(session.setDims(Dims{1, 1000, 3, 256, 2}));
        session.seek(600);
        MatrixView h(&session, Source::Hidden);
        shoot(h, QSize(640, 480), QStringLiteral("matrix_hidden_big.png"));
        MatrixView x(&session, Source::Input);
        shoot(x, QSize(420, 480), QStringLiteral("matrix_input_tall.png"));
        MatrixView bh(&session, Source::bh);
        shoot(bh, bh.sizeHint().expandedTo(QSize(640, 0)), QStringLiteral("matrix_bh_wide.png"));
    }
    {
        // More timesteps than image rows: sampled, with a NaN and a +Inf between sampled rows
        // (after the step on show, so that H keeps its colours). Small enough to compute at once.
        Session session;
        QVERIFY(session.setDims(Dims{1, 100000, 4, 6, 2}));
        QVERIFY(session.setInputValue(0, 60001, 1, kNaN));
        QVERIFY(session.setInputValue(0, 80001, 2, kInf));
        session.seek(50000);
        MatrixView h(&session, Source::Hidden);
        shoot(h, QSize(640, 480), QStringLiteral("matrix_hidden_sampled.png"));
        MatrixView x(&session, Source::Input);
        shoot(x, QSize(420, 480), QStringLiteral("matrix_input_sampled.png"));
    }
    {
        // Extreme values keep a text in float64: −1e10, −1e300, 1e308, −1e−300, the largest double.
        Session session;
        QVERIFY(session.setDtype(rnnscope::DType::Float64));
        MatrixView wh(&session, Source::Wh);
        MatrixTableModel *m = wh.model();
        const char *extremes[] = {"-1e10", "-1e300", "1e308", "-1e-300", "1e39", "-1.7976931348623157e308"};
        for (int i = 0; i < 6; ++i)
            QVERIFY(m->setData(m->index(i % 5, i / 5 * 2 + i % 2 * 2), QString::fromLatin1(extremes[i])));
        shoot(wh, wh.sizeHint().expandedTo(QSize(480, 0)), QStringLiteral("matrix_extremes.png"));
    }
    {
        const QFont normal = QApplication::font();
        QFont big = normal;
        big.setPointSizeF(normal.pointSizeF() * 1.6);
        QApplication::setFont(big);
        Session session;
        MatrixView wx(&session, Source::Wx);
        shoot(wx, wx.sizeHint().expandedTo(QSize(420, 0)), QStringLiteral("matrix_wx_presentation.png"));
        QApplication::setFont(normal);
    }
}

QTEST_MAIN(TestMatrixView)
#include "test_matrixview.moc"
