// What the views promise, read from what they draw: every arrow of the unrolled diagram carries the
// shape of what flows along it and long sequences fold their middle (the current timestep kept,
// highlighted and clickable); presentation mode fits the window into 1024×768 with every part of it
// on screen; NaN and ±Inf are marked on the chart's edge at their timesteps; a Keras file that
// crashes the HDF5 reader is refused in the window, which keeps its model.

#include "diagramwidget.h"
#include "dimensionsbar.h"
#include "heatmapdelegate.h"
#include "matrixview.h"
#include "mainwindow.h"
#include "playbackbar.h"
#include "session.h"
#include "timeserieschart.h"
#include "valuetext.h"
#include "viewexport.h"

#include <QAbstractButton>
#include <QChart>
#include <QClipboard>
#include <QGuiApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QMap>
#include <QPaintEngine>
#include <QPainterPath>
#include <QRegularExpression>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QScrollBar>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QUndoStack>
#include <QXmlStreamReader>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace rnnscope;

namespace {

// What a widget painted, as the paint engine received it (in the widget's coordinates).
struct Painted {
    struct Text {
        QString text;
        QRectF box; // its advance × (ascent + descent), on its baseline
    };
    struct Shape {
        QPainterPath path;
        qreal penWidth = 0;
        bool stroked = false;
    };
    QList<Text> texts;
    QList<QLineF> lines;
    QList<Shape> shapes; // paths, rectangles and polygons

    QList<Text> textsMatching(const QRegularExpression &re) const
    {
        QList<Text> found;
        for (const Text &t : texts)
            if (re.match(t.text).hasMatch())
                found << t;
        return found;
    }
    const Text *text(const QString &exact) const
    {
        for (const Text &t : texts)
            if (t.text == exact)
                return &t;
        return nullptr;
    }
};

// A paint engine that records instead of drawing; the device below hands it to QPainter.
class RecordingEngine : public QPaintEngine {
public:
    RecordingEngine() : QPaintEngine(QPaintEngine::AllFeatures) {}
    Painted painted;

    bool begin(QPaintDevice *) override { return true; }
    bool end() override { return true; }
    Type type() const override { return QPaintEngine::User; }
    void updateState(const QPaintEngineState &state) override
    {
        if (state.state() & QPaintEngine::DirtyTransform)
            m_transform = state.transform();
        if (state.state() & QPaintEngine::DirtyPen)
            m_pen = state.pen();
    }
    void drawPixmap(const QRectF &, const QPixmap &, const QRectF &) override {}
    void drawTextItem(const QPointF &p, const QTextItem &item) override
    {
        const QRectF box(p.x(), p.y() - item.ascent(), item.width(), item.ascent() + item.descent());
        painted.texts << Painted::Text{item.text(), m_transform.mapRect(box)};
    }
    void drawLines(const QLineF *lines, int count) override
    {
        for (int i = 0; i < count; ++i)
            painted.lines << m_transform.map(lines[i]);
    }
    void drawLines(const QLine *lines, int count) override
    {
        for (int i = 0; i < count; ++i)
            painted.lines << m_transform.map(QLineF(lines[i]));
    }
    void drawPath(const QPainterPath &path) override { addShape(path); }
    void drawRects(const QRectF *rects, int count) override
    {
        for (int i = 0; i < count; ++i) {
            QPainterPath path;
            path.addRect(rects[i]);
            addShape(path);
        }
    }
    void drawPolygon(const QPointF *points, int count, PolygonDrawMode) override
    {
        QPainterPath path;
        path.addPolygon(QPolygonF(QList<QPointF>(points, points + count)));
        addShape(path);
    }

private:
    void addShape(const QPainterPath &path)
    {
        painted.shapes << Painted::Shape{m_transform.map(path), m_pen.widthF(), m_pen.style() != Qt::NoPen};
    }
    QTransform m_transform;
    QPen m_pen;
};

class RecordingDevice : public QPaintDevice {
public:
    explicit RecordingDevice(const QWidget *like) : m_size(like->size()), m_dpi(like->logicalDpiX()) {}
    QPaintEngine *paintEngine() const override { return &m_engine; }
    const Painted &painted() const { return m_engine.painted; }

protected:
    int metric(PaintDeviceMetric m) const override
    {
        switch (m) {
        case PdmWidth: return m_size.width();
        case PdmHeight: return m_size.height();
        case PdmWidthMM: return int(m_size.width() * 25.4 / m_dpi);
        case PdmHeightMM: return int(m_size.height() * 25.4 / m_dpi);
        case PdmNumColors: return std::numeric_limits<int>::max();
        case PdmDepth: return 32;
        case PdmDpiX: case PdmDpiY: case PdmPhysicalDpiX: case PdmPhysicalDpiY: return m_dpi;
        case PdmDevicePixelRatio: return 1;
        case PdmDevicePixelRatioScaled: return int(devicePixelRatioFScale());
        default: return 0;
        }
    }

private:
    QSize m_size;
    int m_dpi;
    mutable RecordingEngine m_engine;
};

// What `widget` paints (itself only, not its children).
Painted paintedBy(QWidget *widget)
{
    RecordingDevice device(widget);
    widget->render(&device, QPoint(), QRegion(), QWidget::RenderFlags());
    return device.painted();
}

// The arrows: lines whose end is the tip of a filled triangle.
QList<QLineF> arrowsIn(const Painted &p)
{
    QList<QLineF> arrows;
    for (const QLineF &line : p.lines)
        for (const Painted::Shape &s : p.shapes) {
            if (s.path.elementCount() < 3 || s.path.elementCount() > 5 || s.stroked)
                continue;
            const QPointF tip = s.path.elementAt(0);
            if (QLineF(tip, line.p2()).length() < 0.5) {
                arrows << line;
                break;
            }
        }
    return arrows;
}

qreal distance(const QPointF &p, const QLineF &segment)
{
    const QPointF d = segment.p2() - segment.p1();
    const qreal len2 = QPointF::dotProduct(d, d);
    const qreal s = len2 > 0 ? std::clamp(QPointF::dotProduct(p - segment.p1(), d) / len2, 0.0, 1.0) : 0.0;
    return QLineF(p, segment.p1() + s * d).length();
}

// How far the text's box is from the segment (0 when it touches it).
qreal distance(const QRectF &box, const QLineF &segment)
{
    qreal best = std::numeric_limits<qreal>::max();
    for (const QPointF &corner : {box.topLeft(), box.topRight(), box.bottomLeft(), box.bottomRight(), box.center()})
        best = std::min(best, distance(corner, segment));
    return best;
}

QString shapeText(std::initializer_list<int> dims)
{
    QStringList parts;
    for (int d : dims)
        parts << QString::number(d);
    return QLatin1Char('(') + parts.join(QStringLiteral(", ")) + QLatin1Char(')');
}

const QRegularExpression kShapeLabel(QStringLiteral("^\\((\\d+)(, \\d+)*\\)"));

// The shape label nearest to `arrow` (its text, or "" when none is within `reach`).
QString shapeOf(const Painted &p, const QLineF &arrow, qreal reach)
{
    QString best;
    qreal bestDistance = reach;
    for (const Painted::Text &t : p.textsMatching(kShapeLabel)) {
        const qreal d = distance(t.box, arrow);
        if (d <= bestDistance) {
            bestDistance = d;
            best = t.text;
        }
    }
    return best;
}

// The text of the box (a stroked shape: a cell, an x_t, a Dense) that `point` touches, or null: what
// an arrow starts from or ends at.
const Painted::Text *boxAt(const Painted &p, const QPointF &point)
{
    for (const Painted::Shape &s : p.shapes) {
        const QRectF box = s.path.boundingRect();
        if (!s.stroked || !box.adjusted(-3, -3, 3, 3).contains(point))
            continue;
        for (const Painted::Text &t : p.texts)
            if (box.contains(t.box.center()))
                return &t;
    }
    return nullptr;
}

QString describe(const QLineF &a)
{
    return QStringLiteral("arrow (%1, %2) → (%3, %4)")
        .arg(a.p1().x(), 0, 'f', 0).arg(a.p1().y(), 0, 'f', 0).arg(a.p2().x(), 0, 'f', 0).arg(a.p2().y(), 0, 'f', 0);
}

Session *sessionWith(const ModelConfig &config)
{
    return new Session(Model(config));
}

} // namespace

class TestViews : public QObject {
    Q_OBJECT

private slots:
    void cleanup();
    void everyArrowCarriesItsShape_data();
    void everyArrowCarriesItsShape();
    void longSequencesFoldTheirMiddle();
    void diagramLabelsDoNotOverlap_data();
    void diagramLabelsDoNotOverlap();
    void gatedWeightsReadWholeAt1600x900_data();
    void gatedWeightsReadWholeAt1600x900();
    void presentationFits1024x768_data();
    void presentationFits1024x768();
    void nonFiniteValuesAreMarkedOnTheEdge();
    void aFileThatCrashesTheHdf5ReaderIsRefused();
    void viewsExportAsFigures();
    void embeddingTableBesideTheInput();

private:
    // A window of `session` at 1600×900 (the default), shown.
    void open(Session *session);
    Session *m_session = nullptr;
    MainWindow *m_window = nullptr;
};

void TestViews::cleanup()
{
    delete m_window;
    delete m_session;
    m_window = nullptr;
    m_session = nullptr;
}

void TestViews::open(Session *session)
{
    m_session = session;
    m_window = new MainWindow(m_session, false);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
}

void TestViews::everyArrowCarriesItsShape_data()
{
    QTest::addColumn<int>("cell");
    QTest::addColumn<bool>("sequences");
    QTest::addColumn<int>("K");
    QTest::newRow("SimpleRNN") << int(CellKind::SimpleRNN) << false << 4;
    QTest::newRow("SimpleRNN, return_sequences") << int(CellKind::SimpleRNN) << true << 4;
    QTest::newRow("SimpleRNN, K = 0, return_sequences") << int(CellKind::SimpleRNN) << true << 0;
    QTest::newRow("LSTM") << int(CellKind::LSTM) << false << 4;
    QTest::newRow("GRU, return_sequences") << int(CellKind::GRU) << true << 4;
}

// N, T, D, M, K all different, so that a label of the wrong quantity is told apart.
void TestViews::everyArrowCarriesItsShape()
{
    QFETCH(int, cell);
    QFETCH(bool, sequences);
    QFETCH(int, K);
    ModelConfig c;
    c.dims = Dims{2, 6, 3, 5, K};
    c.kind = CellKind(cell);
    c.returnSequences = sequences;
    open(sessionWith(c));
    m_session->seek(2);
    DiagramWidget *diagram = m_window->diagram();
    QCOMPARE(diagram->visibleTimesteps(), (QList<int>{0, 1, 2, 3, 4, 5})); // nothing folded at this width
    const Painted p = paintedBy(diagram);
    const QList<QLineF> arrows = arrowsIn(p);
    const qreal u = diagram->fontMetrics().height();
    const Dims d = m_session->dims();
    const QString h = shapeText({d.N, d.M}), x = shapeText({d.N, d.D}), y = shapeText({d.N, d.K});
    // Recurrent arrows: h_{-1} → cell 0 → … → cell T−1 (→ Dense without return_sequences); up from
    // every x_t; with return_sequences up from every cell (through Dense to y_t when K > 0), else
    // Dense → y.
    const int T = d.T;
    const int horizontalExpected = sequences ? T : T + 1;
    QCOMPARE(arrows.size(), horizontalExpected + T + (sequences ? (K > 0 ? 2 * T : T) : (K > 0 ? 1 : 0)));
    int horizontal = 0, fromX = 0, toY = 0;
    QStringList unlabelled;
    for (const QLineF &a : arrows) {
        const QString label = shapeOf(p, a, 1.5 * u);
        if (label.isEmpty())
            unlabelled << describe(a);
        const Painted::Text *from = boxAt(p, a.p1()), *to = boxAt(p, a.p2());
        if (std::abs(a.dy()) < 0.5) { // along the recurrence: h, and an LSTM's c with it into the next cell
            ++horizontal;
            QVERIFY2(to, qPrintable(describe(a) + QStringLiteral(" ends at no box")));
            const bool intoCell = !to->text.startsWith(QLatin1String("Dense"));
            const QString carried = c.kind == CellKind::LSTM && intoCell ? h + QStringLiteral(" ×2") : h;
            QVERIFY2(label.isEmpty() || label == carried, qPrintable(describe(a) + QStringLiteral(": ") + label));
            continue;
        }
        QVERIFY(a.dy() < 0); // every other arrow goes up, from an x_t box, a cell (h_t) or a Dense box (y)
        QVERIFY2(from, qPrintable(describe(a) + QStringLiteral(" starts from no box")));
        if (from->text.startsWith(QLatin1String("x_"))) {
            ++fromX;
            QCOMPARE(label, x);
        } else if (from->text.startsWith(QLatin1String("Dense"))) {
            ++toY;
            QCOMPARE(label, y);
        } else {
            QCOMPARE(label, h); // h_t up to Dense, or out as the sequence itself (K = 0)
        }
    }
    QCOMPARE(horizontal, horizontalExpected);
    QCOMPARE(fromX, T);
    QCOMPARE(toY, K == 0 ? 0 : sequences ? T : 1);
    QVERIFY2(unlabelled.isEmpty(), qPrintable(unlabelled.join(QStringLiteral("; ")) + QStringLiteral(": no shape beside it")));
}

namespace {

// The timesteps whose cells the diagram drew.
QList<int> drawnCells(const Painted &p)
{
    static const QRegularExpression cell(QStringLiteral("^(RNN )?t=(\\d+)$"));
    QList<int> steps;
    for (const Painted::Text &t : p.textsMatching(cell))
        steps << cell.match(t.text).captured(2).toInt();
    return steps;
}

// The name of timestep t's cell ("RNN t=5", or "t=5" where the name does not fit).
const Painted::Text *cellOf(const Painted &p, int t)
{
    const Painted::Text *named = p.text(QStringLiteral("RNN t=%1").arg(t));
    return named ? named : p.text(QStringLiteral("t=%1").arg(t));
}

// The pen of the box drawn around timestep t's cell.
qreal cellPen(const Painted &p, int step)
{
    const Painted::Text *t = cellOf(p, step);
    if (!t)
        return -1;
    for (const Painted::Shape &s : p.shapes)
        if (s.stroked && s.path.boundingRect().contains(t->box.center()))
            return s.penWidth;
    return -1;
}

// What a folded diagram must show of the timesteps it drew (in order): the first, the current and
// the last among them, fewer than all, every one with its input, each gap marked "…" in the row of
// the cells and in the row of the inputs, between the cells beside it, and all of it inside the widget.
void checkFolded(const Painted &p, const QList<int> &drawn, const DiagramWidget *diagram, int current, int T)
{
    QVERIFY2(drawn.size() < T && drawn.contains(0) && drawn.contains(current) && drawn.contains(T - 1),
             qPrintable(QStringLiteral("drawn: %1").arg(TimeSeriesChart::unitsText(drawn))));
    QVERIFY(std::is_sorted(drawn.begin(), drawn.end()));
    const QList<Painted::Text> dots = p.textsMatching(QRegularExpression(QStringLiteral("^…$")));
    QList<int> columns; // what visibleTimesteps() should say: the drawn steps, −1 at each gap
    for (int i = 0; i < drawn.size(); ++i) {
        QVERIFY(p.text(QStringLiteral("x_%1").arg(drawn[i])));
        if (i > 0 && drawn[i] > drawn[i - 1] + 1) {
            columns << -1;
            const qreal left = cellOf(p, drawn[i - 1])->box.right(), right = cellOf(p, drawn[i])->box.left();
            const auto between = [&](const Painted::Text &d) { return d.box.left() > left && d.box.right() < right; };
            QCOMPARE(std::count_if(dots.begin(), dots.end(), between), 2);
        }
        columns << drawn[i];
    }
    QCOMPARE(dots.size(), 2 * int(columns.count(-1)));
    QCOMPARE(diagram->visibleTimesteps(), columns);
    for (const Painted::Text &t : p.texts)
        QVERIFY2(diagram->rect().contains(t.box.toAlignedRect()), qPrintable(t.text));
    // The current timestep is highlighted: its box drawn with a heavier pen than the others'.
    for (int t : drawn)
        QVERIFY2(t == current || cellPen(p, current) > cellPen(p, t), qPrintable(QString::number(t)));
}

} // namespace

void TestViews::longSequencesFoldTheirMiddle()
{
    ModelConfig c;
    c.dims = Dims{1, 1000, 3, 5, 2};
    open(sessionWith(c));
    m_session->seek(500);
    m_session->finishWork();
    DiagramWidget *diagram = m_window->diagram();
    Painted p = paintedBy(diagram);
    QList<int> drawn = drawnCells(p);
    checkFolded(p, drawn, diagram, 500, 1000);
    QVERIFY(drawn.contains(499) && drawn.contains(501)); // the current step's neighbours are kept
    // Every arrow that is drawn says its shape, the ones into and out of a fold too.
    QStringList unlabelled;
    for (const QLineF &a : arrowsIn(p))
        if (shapeOf(p, a, 1.5 * diagram->fontMetrics().height()).isEmpty())
            unlabelled << describe(a);
    QEXPECT_FAIL("", "the arrows into and out of a fold carry h but no shape: the diagram labels a recurrent arrow only "
                     "between two drawn cells", Continue);
    QVERIFY2(unlabelled.isEmpty(), qPrintable(unlabelled.join(QStringLiteral("; ")) + QStringLiteral(": no shape beside it")));

    // A click on the last cell goes there; the fold follows.
    QTest::mouseClick(diagram, Qt::LeftButton, {}, cellOf(p, 999)->box.center().toPoint());
    m_session->finishWork();
    QCOMPARE(m_session->position(), 999);
    p = paintedBy(diagram);
    drawn = drawnCells(p);
    checkFolded(p, drawn, diagram, 999, 1000);
    QVERIFY(!drawn.contains(500));
    // And a click on a cell inside the sequence goes there too.
    QTest::mouseClick(diagram, Qt::LeftButton, {}, cellOf(p, 1)->box.center().toPoint());
    m_session->finishWork();
    QCOMPARE(m_session->position(), 1);
}

namespace {

// A widget's rectangle in the window's coordinates.
QRect inWindow(const QWidget *w, const QWidget *window)
{
    return QRect(w->mapTo(window, QPoint(0, 0)), w->size());
}

// What keeps `w` from being seen whole on `screen` (the window's top left at the screen's): hidden,
// empty, off the screen, or cut by `within`. Empty when it is seen whole.
QString unseen(const QWidget *w, const QWidget *window, const QRect &screen, const QWidget *within = nullptr)
{
    const QRect r = inWindow(w, window);
    QString why;
    if (!w->isVisible())
        why = QStringLiteral("hidden");
    else if (w->width() <= 0 || w->height() <= 0)
        why = QStringLiteral("empty");
    else if (!screen.contains(r))
        why = QStringLiteral("off the %1×%2 screen").arg(screen.width()).arg(screen.height());
    else if (within && !inWindow(within, window).contains(r))
        why = QStringLiteral("cut off by %1").arg(QLatin1String(within->metaObject()->className()));
    if (why.isEmpty())
        return why;
    QString name = QLatin1String(w->metaObject()->className());
    if (const auto *b = qobject_cast<const QAbstractButton *>(w); b && !b->text().isEmpty())
        name += QStringLiteral(" \"%1\"").arg(b->text());
    else if (const auto *l = qobject_cast<const QLabel *>(w))
        name += QStringLiteral(" \"%1\"").arg(l->text().trimmed());
    else if (const auto *c = qobject_cast<const QComboBox *>(w))
        name += QStringLiteral(" \"%1\"").arg(c->currentText());
    return QStringLiteral("%1 at %2,%3 %4×%5: %6").arg(name).arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height()).arg(why);
}

// Every widget of a tool bar's actions on the bar and on the screen: none sent to the bar's » menu.
QStringList unseenInToolBar(QToolBar *bar, const QWidget *window, const QRect &screen)
{
    QStringList problems;
    for (QAction *a : bar->actions())
        if (a->isVisible()) // (σ and reset_after are offered to an LSTM or a GRU only)
            if (const QString why = unseen(bar->widgetForAction(a), window, screen, bar); !why.isEmpty())
                problems << why;
    return problems;
}

} // namespace

void TestViews::diagramLabelsDoNotOverlap_data()
{
    QTest::addColumn<int>("cell");
    QTest::addColumn<QList<int>>("dims");
    QTest::addColumn<QSize>("size");
    QTest::addColumn<qreal>("fontScale"); // 1.5: presentation mode; 2: and three zoom-ins
    const QList<int> classic = {1, 10, 3, 5, 2};
    QTest::newRow("classic") << int(CellKind::SimpleRNN) << classic << QSize(900, 230) << 1.0;
    QTest::newRow("LSTM") << int(CellKind::LSTM) << classic << QSize(700, 230) << 1.0;
    QTest::newRow("M = 2000") << int(CellKind::SimpleRNN) << QList<int>{1, 10, 3, 2000, 2} << QSize(900, 230) << 1.0;
    QTest::newRow("N = 123456") << int(CellKind::SimpleRNN) << QList<int>{123456, 10, 3, 5, 2} << QSize(900, 230) << 1.0;
    QTest::newRow("LSTM, N = 123456") << int(CellKind::LSTM) << QList<int>{123456, 10, 3, 5, 2} << QSize(900, 230) << 1.0;
    QTest::newRow("presentation at 1024") << int(CellKind::SimpleRNN) << classic << QSize(620, 200) << 1.5;
    QTest::newRow("LSTM, presentation at 1280") << int(CellKind::LSTM) << classic << QSize(700, 200) << 1.5;
    QTest::newRow("LSTM, zoomed in at 1280") << int(CellKind::LSTM) << classic << QSize(680, 196) << 2.0;
    QTest::newRow("zoomed in, at its least height") << int(CellKind::SimpleRNN) << classic << QSize(560, 0) << 2.0;
}

// No two texts the diagram writes overlap (a shape under "h₋₁ = 0", an x_t's shape beside the next
// column's, "(123456, 2000)" beside its arrow), nor does a text cross a box it is not written in.
void TestViews::diagramLabelsDoNotOverlap()
{
    QFETCH(int, cell);
    QFETCH(QList<int>, dims);
    QFETCH(QSize, size);
    QFETCH(qreal, fontScale);
    ModelConfig c;
    c.kind = CellKind(cell);
    c.dims = Dims{dims[0], dims[1], dims[2], dims[3], dims[4]};
    c.returnSequences = false;
    Session session{Model(c)};
    session.seek(c.dims.T - 1);
    DiagramWidget diagram(&session);
    QFont f = diagram.font();
    f.setPointSizeF(f.pointSizeF() * fontScale);
    diagram.setFont(f);
    diagram.resize(size.width(), size.height() > 0 ? size.height() : diagram.minimumSizeHint().height());
    const Painted p = paintedBy(&diagram);
    QStringList problems;
    const auto box = [](const Painted::Text &t) { return t.box.adjusted(0.5, 0.5, -0.5, -0.5); };
    for (qsizetype i = 0; i < p.texts.size(); ++i)
        for (qsizetype j = i + 1; j < p.texts.size(); ++j)
            if (box(p.texts[i]).intersects(box(p.texts[j])))
                problems << QStringLiteral("\"%1\" and \"%2\"").arg(p.texts[i].text, p.texts[j].text);
    // The boxes: stroked rounded rectangles (cells, x_t, Dense).
    for (const Painted::Shape &s : p.shapes) {
        const QRectF r = s.path.boundingRect();
        if (!s.stroked || r.width() < 10 || r.height() < 10)
            continue;
        for (const Painted::Text &t : p.texts)
            if (!r.contains(t.box.center()) && box(t).intersects(r.adjusted(1, 1, -1, -1)))
                problems << QStringLiteral("\"%1\" crosses a box at %2,%3").arg(t.text).arg(r.x()).arg(r.y());
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
    QVERIFY(!p.texts.isEmpty());
}

void TestViews::gatedWeightsReadWholeAt1600x900_data()
{
    QTest::addColumn<int>("cell");
    QTest::newRow("LSTM") << int(CellKind::LSTM); // kernels of 20 columns
    QTest::newRow("GRU") << int(CellKind::GRU);   // 15 columns, a bias of two rows
}

// At the classic sizes on a 1600×900 window every weight matrix of a gated cell is seen whole:
// every row and column in its table, no scroll bar, every value with its text (at least the brief
// "−0.21"); and the diagram keeps all ten timesteps beside them.
void TestViews::gatedWeightsReadWholeAt1600x900()
{
    QFETCH(int, cell);
    ModelConfig c;
    c.kind = CellKind(cell);
    open(sessionWith(c));
    QCOMPARE(m_window->size(), QSize(1600, 900));
    for (int i = 0; i < 3; ++i) // the docks settle (they are sized once the window has its size)
        QCoreApplication::processEvents();
    QStringList problems;
    for (MatrixView *view : m_window->weightViews()) {
        const QString name = view->title();
        QTableView *table = view->tableView();
        if (view->mode() != MatrixView::Mode::Table) {
            problems << name + QStringLiteral(": not a table");
            continue;
        }
        if (!view->visibleRegion().boundingRect().contains(view->rect()))
            problems << name + QStringLiteral(": not all seen in the dock");
        if (table->horizontalScrollBar()->maximum() > 0 || table->verticalScrollBar()->maximum() > 0)
            problems << name + QStringLiteral(": scrolls (%1 × %2 px more)")
                                   .arg(table->horizontalScrollBar()->maximum())
                                   .arg(table->verticalScrollBar()->maximum());
        const QSize size(table->horizontalHeader()->defaultSectionSize(), table->verticalHeader()->defaultSectionSize());
        for (int r = 0; r < view->model()->rowCount(); ++r)
            for (int col = 0; col < view->model()->columnCount(); ++col) {
                const double v = view->model()->value(r, col);
                const QString text = HeatmapDelegate::cellText(v, table->font(), size).text;
                if (text != ValueText::compact(v) && text != ValueText::brief(v))
                    problems << QStringLiteral("%1[%2, %3] = %4 shows \"%5\"").arg(name).arg(r).arg(col).arg(v).arg(text);
            }
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
    QCOMPARE(m_window->diagram()->visibleTimesteps(), (QList<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

void TestViews::presentationFits1024x768_data()
{
    QTest::addColumn<int>("cell");
    QTest::newRow("SimpleRNN") << int(CellKind::SimpleRNN);
    QTest::newRow("LSTM") << int(CellKind::LSTM); // σ in the dimensions bar; four rows of weights
    QTest::newRow("GRU") << int(CellKind::GRU);   // σ and reset_after in the dimensions bar
}

void TestViews::presentationFits1024x768()
{
    QFETCH(int, cell);
    ModelConfig c;
    c.kind = CellKind(cell);
    open(sessionWith(c));
    m_window->setPresentation(true);
    const QRect screen(0, 0, 1024, 768);
    m_window->resize(screen.size());
    for (int i = 0; i < 3; ++i) // the layouts settle
        QCoreApplication::processEvents();
    // (An LSTM's four rows of weights held the window at 1024×848 before they scrolled.)
    QCOMPARE(m_window->size(), screen.size()); // not held larger by what it shows

    // The dimensions bar, its options bar (on a row of its own) and the playback bar: every
    // control on its bar, on the screen (at 1024 px one bar sent the options to its » menu).
    QStringList bars;
    for (QToolBar *bar : m_window->findChildren<QToolBar *>())
        if (!bar->isHidden()) // (the Layers bar shows for a network only)
            bars << unseenInToolBar(bar, m_window, screen);
    QVERIFY2(bars.isEmpty(), qPrintable(bars.join(QStringLiteral("; "))));

    // The centre (the diagram, the step panel, the charts: none squeezed away), the docks — as tabs:
    // each, brought to the front, with its contents — and the status bar.
    QStringList parts;
    QWidget *centre = m_window->centralWidget();
    parts << unseen(centre, m_window, screen);
    for (QWidget *part : centre->findChildren<QWidget *>(Qt::FindDirectChildrenOnly))
        if (!part->isWindow() && part->isVisibleTo(centre))
            parts << unseen(part, m_window, screen, centre);
    for (QWidget *view : std::initializer_list<QWidget *>{m_window->diagram(), m_window->hiddenChart(), m_window->outputChart()})
        parts << unseen(view, m_window, screen, centre);
    QList<QDockWidget *> docks = m_window->findChildren<QDockWidget *>();
    docks.removeIf([](const QDockWidget *d) { return d->objectName() == QLatin1String("lessonDock"); }); // hidden until a lesson opens
    QCOMPARE(docks.size(), 3);
    for (QDockWidget *dock : docks) {
        dock->raise();
        QCoreApplication::processEvents();
        parts << unseen(dock, m_window, screen) << unseen(dock->widget(), m_window, screen, dock);
        QVERIFY(!inWindow(dock, m_window).intersects(inWindow(centre, m_window)));
    }
    parts << unseen(m_window->statusBar(), m_window, screen);
    parts.removeAll(QString());
    QVERIFY2(parts.isEmpty(), qPrintable(parts.join(QStringLiteral("; "))));
}

namespace {

// The chart's NaN/±Inf markers: the scatter series among its series.
QScatterSeries *markersOf(TimeSeriesChart *chart)
{
    for (QAbstractSeries *s : chart->chart()->series())
        if (auto *scatter = qobject_cast<QScatterSeries *>(s))
            return scatter;
    return nullptr;
}

// Where the chart must mark sample n's unit 0 through the current step, read from the engine: t → +1
// (NaN or +Inf: the top edge) or −1 (−Inf: the bottom edge).
QMap<int, int> expectedMarks(const Session &s, int n)
{
    QMap<int, int> marks;
    for (int t = 0; t <= s.position(); ++t)
        if (const double v = s.hiddenValue(n, t, 0); !std::isfinite(v))
            marks[t] = std::isinf(v) && v < 0 ? -1 : 1;
    return marks;
}

// The marks the chart shows (t → +1 on the top edge, −1 on the bottom), each checked to sit on the
// edge of the plot area where it is drawn; and the t of every point of its lines.
QMap<int, int> shownMarks(TimeSeriesChart *chart, QList<int> *lineSteps)
{
    QChart *c = chart->chart();
    QScatterSeries *markers = markersOf(chart);
    const QRectF plot = c->plotArea();
    QMap<int, int> marks;
    for (const QPointF &m : markers->points()) {
        const qreal y = c->mapToPosition(m, markers).y();
        marks[int(m.x())] = std::abs(y - plot.top()) < 1 ? 1 : std::abs(y - plot.bottom()) < 1 ? -1 : 0; // 0: off the edges
    }
    for (int i = 0; !chart->seriesPoints(i).isEmpty(); ++i)
        for (const QPointF &pt : chart->seriesPoints(i))
            *lineSteps << int(pt.x());
    return marks;
}

} // namespace

// h_t = x_t + h_{t−1} (a linear cell of one unit, Wx = Wh = 1): an infinite x_t stays in h from t on,
// and an infinity of the other sign after it makes NaN.
namespace {

// The text elements of an SVG document (all of them, joined), or an error when it does not parse.
QStringList svgTexts(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = f.errorString();
        return {};
    }
    QXmlStreamReader xml(&f);
    QStringList texts;
    bool root = false;
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        root = root || xml.name() == QLatin1String("svg");
        if (xml.name() == QLatin1String("text"))
            texts << xml.readElementText(QXmlStreamReader::IncludeChildElements).simplified();
    }
    if (xml.hasError())
        *error = xml.errorString();
    else if (!root)
        *error = QStringLiteral("no <svg> element");
    return texts;
}

} // namespace

// Every view the window shows exports as a figure: a PNG at 1×, 2× and 3× its pixels with its
// content, an SVG that parses and keeps its labels as text (the diagram's shapes, a heat map's
// title and values, a chart's title), an image on the clipboard; an unwritable path is refused
// naming it.
void TestViews::viewsExportAsFigures()
{
    ModelConfig c;
    c.kind = CellKind::LSTM;
    open(sessionWith(c));
    m_session->seek(3);
    QCoreApplication::processEvents();
    QTemporaryDir dir;
    int shown = 0;
    const QMap<QString, QStringList> expected = {
        {QStringLiteral("diagram"), {QStringLiteral("(1, 3)"), QStringLiteral("Dense(2)"), QStringLiteral("(1, 5) ×2")}},
        {QStringLiteral("step panel"), {QStringLiteral("(1×3)(3×5) + (1×5)(5×5) + (5)")}},
        {QStringLiteral("Wx heat map"), {QStringLiteral("Wx · kernel (3×20)"), QStringLiteral("f[2]")}},
        {QStringLiteral("hidden-state chart"), {QStringLiteral("hidden state h_t[j]")}},
        {QStringLiteral("model summary"), {QStringLiteral("lstm (LSTM)"), QStringLiteral("180")}},
    };
    const QList<MainWindow::ExportableView> views = m_window->exportableViews();
    QCOMPARE(views.size(), 17);
    for (const auto &[view, name, key] : views) {
        if (!view->isVisible())
            continue; // (a tab at the back: File ▸ Export view does not offer it)
        ++shown;
        QString error;
        const QString png = dir.filePath(name + QStringLiteral(".png"));
        for (int scale : {1, 2, 3}) {
            QVERIFY2(ViewExport::writePng(view, png, scale, &error), qPrintable(error));
            const QImage img(png);
            QCOMPARE(img.size(), view->size() * scale);
            QSet<QRgb> colours;
            for (int y = 0; y < img.height(); y += 3)
                for (int x = 0; x < img.width(); x += 3)
                    colours.insert(img.pixel(x, y));
            QVERIFY2(colours.size() > 3, qPrintable(name + QStringLiteral(": an empty picture")));
        }
        const QString svg = dir.filePath(name + QStringLiteral(".svg"));
        QVERIFY2(ViewExport::writeSvg(view, svg, name, &error), qPrintable(error));
        const QStringList texts = svgTexts(svg, &error);
        QVERIFY2(error.isEmpty(), qPrintable(name + QStringLiteral(": ") + error));
        QVERIFY2(!texts.isEmpty(), qPrintable(name + QStringLiteral(": no text in the SVG")));
        for (const QString &want : expected.value(name))
            QVERIFY2(texts.join(QLatin1Char('\n')).contains(want),
                     qPrintable(QStringLiteral("%1: '%2' not among the SVG's texts: %3").arg(name, want, texts.join(QStringLiteral(" | ")).left(600))));
    }
    QVERIFY2(shown >= 9, qPrintable(QString::number(shown)));
    ViewExport::copyImage(m_window->diagram());
    QCOMPARE(QGuiApplication::clipboard()->image().size(), m_window->diagram()->size() * 2);
    QString error;
    QVERIFY(!ViewExport::writeSvg(m_window->diagram(), dir.filePath(QStringLiteral("no/such/dir/d.svg")), QStringLiteral("diagram"), &error));
    QVERIFY2(error.contains(QStringLiteral("no/such/dir/d.svg")), qPrintable(error));
}

void TestViews::nonFiniteValuesAreMarkedOnTheEdge()
{
    ModelConfig c;
    c.dims = Dims{2, 10, 1, 1, 1};
    c.cell = Activation::Linear;
    open(sessionWith(c));
    QVERIFY(m_session->setWeightValue(WeightId::Wx, 0, 0, 1.0));
    QVERIFY(m_session->setWeightValue(WeightId::Wh, 0, 0, 1.0));
    QVERIFY(m_session->setWeightValue(WeightId::bh, 0, 0, 0.0));
    const double inf = std::numeric_limits<double>::infinity();
    for (int t = 0; t < 10; ++t)
        for (int n = 0; n < 2; ++n)
            QVERIFY(m_session->setInputValue(n, t, 0, 0.25));
    QVERIFY(m_session->setInputValue(0, 3, 0, inf));  // sample 0: +Inf from t = 3, NaN from t = 6
    QVERIFY(m_session->setInputValue(0, 6, 0, -inf));
    QVERIFY(m_session->setInputValue(1, 2, 0, -inf)); // sample 1: −Inf from t = 2
    TimeSeriesChart *chart = m_window->hiddenChart();
    QVERIFY(chart->isVisible());
    QVERIFY(markersOf(chart));

    // As the steps go: the marks grow with them, never ahead of the cursor.
    for (int t : {2, 4, 9}) {
        m_session->seek(t);
        m_session->finishWork();
        QTRY_VERIFY(!chart->catchingUp());
        QList<int> lines;
        const QMap<int, int> expected = expectedMarks(*m_session, 0);
        QCOMPARE(shownMarks(chart, &lines), expected);
        for (int step : lines)
            QVERIFY2(!expected.contains(step) && step <= t, qPrintable(QString::number(step))); // no line through them
    }
    // The engine made what the marks are for: +Inf at 3 … 5 (top), NaN from 6 (top).
    QVERIFY(std::isinf(m_session->hiddenValue(0, 3, 0)) && m_session->hiddenValue(0, 3, 0) > 0);
    QVERIFY(std::isnan(m_session->hiddenValue(0, 6, 0)));
    QCOMPARE(expectedMarks(*m_session, 0).keys(), (QList<int>{3, 4, 5, 6, 7, 8, 9}));

    // The other sample: −Inf from t = 2 on the bottom edge.
    m_session->setSample(1);
    QList<int> lines;
    const QMap<int, int> expected = expectedMarks(*m_session, 1);
    QCOMPARE(expected.keys(), (QList<int>{2, 3, 4, 5, 6, 7, 8, 9}));
    QCOMPARE(expected.first(), -1);
    QCOMPARE(shownMarks(chart, &lines), expected);
    QCOMPARE(lines, (QList<int>{0, 1}));

    // An infinite weight: Wx = +Inf makes every h_t of sample 1 non-finite, all marked.
    QVERIFY(m_session->setWeightValue(WeightId::Wx, 0, 0, inf));
    m_session->finishWork();
    QTRY_VERIFY(!chart->catchingUp());
    lines.clear();
    QCOMPARE(expectedMarks(*m_session, 1).size(), 10);
    QCOMPARE(shownMarks(chart, &lines), expectedMarks(*m_session, 1));
    QVERIFY(lines.isEmpty());
}

// tests/fixtures/hdf5_reader_crash.h5 makes libhdf5 die of SIGSEGV: read in a child process, it is
// refused with a line that says so, and the window lives on with its model as it was.
void TestViews::aFileThatCrashesTheHdf5ReaderIsRefused()
{
    ModelConfig c;
    c.dims = Dims{2, 7, 4, 3, 2};
    c.seed = 11;
    open(sessionWith(c));
    QVERIFY(m_session->setWeightValue(WeightId::Wh, 1, 2, 0.5)); // unsaved, on the undo stack
    m_session->seek(4);
    const ModelState before = m_session->model().state();
    const int commands = m_session->undoStack()->count();
    const QString file = QStringLiteral(RNNSCOPE_TEST_FIXTURES "/hdf5_reader_crash.h5");
    QVERIFY(QFile::exists(file));
    QSignalSpy errors(m_session, &Session::errorOccurred);

    QVERIFY(!m_session->openFile(file));
    QCOMPARE(errors.count(), 1);
    const QString message = errors.first().first().toString();
    QVERIFY2(message.startsWith(file + QStringLiteral(": the HDF5 reader crashed on this file (")) && message.endsWith(QStringLiteral("): refused as damaged")),
             qPrintable(message));
    QVERIFY(!message.contains(QLatin1Char('\n')));
    // The model on show is the one before: sizes, weights, input, the step, the undo history.
    const ModelState after = m_session->model().state();
    QCOMPARE(m_session->dims(), c.dims);
    QVERIFY(after.weights.Wx == before.weights.Wx && after.weights.Wh == before.weights.Wh && after.weights.bh == before.weights.bh
            && after.weights.Wo == before.weights.Wo && after.weights.bo == before.weights.bo);
    QVERIFY(after.X == before.X);
    QCOMPARE(m_session->position(), 4);
    QCOMPARE(m_session->undoStack()->count(), commands);
    QVERIFY(m_session->filePath().isEmpty());
    // Through the window (File ▸ Open, a drop): refused in the status bar, and the window still works.
    QVERIFY(!m_window->openFile(file));
    QCOMPARE(errors.count(), 2);
    QVERIFY2(m_window->statusText().contains(QStringLiteral("the HDF5 reader crashed")), qPrintable(m_window->statusText()));
    m_session->stepForward();
    QCOMPARE(m_session->position(), 5);
}

QTEST_MAIN(TestViews)
// A network that opens with a Keras Embedding shows its table E (V × D) beside X[n]: the network's
// values, read-only, the row of the token that the selected sample reads at the step on show
// marked. Without an Embedding (a network, or a one-layer model) the view is hidden and X[n] takes
// the whole dock.
void TestViews::embeddingTableBesideTheInput()
{
    NetworkConfig c;
    c.N = 2;
    c.T = 6;
    c.D = 3;
    c.K = 2;
    const NetworkStack stack = parseNetworkStack("embedding 7, lstm 4 seq, gru 3");
    c.vocabulary = stack.vocabulary;
    c.layers = stack.layers;
    QCOMPARE(c.vocabulary, 7);
    const NetworkState state = Network(c).state();
    open(new Session(state));
    MatrixView *view = m_window->embeddingView();
    MatrixTableModel *E = view->model();
    QVERIFY(view->isVisible());
    QCOMPARE(E->source(), MatrixTableModel::Source::Embedding);
    QCOMPARE(E->rowCount(), 7);
    QCOMPARE(E->columnCount(), c.D);
    QCOMPARE(E->title(), QStringLiteral("E \u00B7 embeddings (7\u00D73)"));
    QCOMPARE(E->headerData(3, Qt::Vertical).toString(), QStringLiteral("id 3"));
    QCOMPARE(E->headerData(1, Qt::Horizontal).toString(), QStringLiteral("x[1]"));
    for (const auto &[v, d] : {std::pair{0, 0}, std::pair{3, 1}, std::pair{6, 2}}) {
        const double want = heldAs(state.weights.embedding(v, d), c.dtype);
        QCOMPARE(E->value(v, d), want);
        QCOMPARE(E->data(E->index(v, d), MatrixTableModel::ValueRole).toDouble(), want);
        QVERIFY(!(E->flags(E->index(v, d)) & Qt::ItemIsEditable));
    }
    QVERIFY2(E->cellDescription(3, 1).startsWith(QStringLiteral("E[3, 1] = ")), qPrintable(E->cellDescription(3, 1)));
    QVERIFY(E->cellDescription(3, 1).contains(QStringLiteral("(token 3, feature 1): x\u209C = E[id\u209C]")));
    // The token of sample n at the step on show, as the steps and the sample move.
    QCOMPARE(E->currentRow(), -1); // before the first step
    for (const auto &[n, t] : {std::pair{0, 2}, std::pair{0, 5}, std::pair{1, 5}, std::pair{1, 0}}) {
        m_session->setSample(n);
        m_session->seek(t);
        const int id = state.ids[static_cast<std::size_t>(n * c.T + t)];
        QCOMPARE(E->currentRow(), id);
        QVERIFY(E->data(E->index(id, 0), MatrixTableModel::CurrentRowRole).toBool());
        QCOMPARE(E->data(E->index((id + 1) % 7, 0), MatrixTableModel::CurrentRowRole).toBool(), false);
    }
    cleanup();

    // A network without an Embedding, and a one-layer model: no table, no room taken.
    NetworkConfig plain = c;
    plain.vocabulary = 0;
    plain.layers = parseNetworkStack("lstm 4 seq, gru 3").layers;
    for (Session *session : {new Session(Network(plain).state()), sessionWith(ModelConfig{})}) {
        open(session);
        QCOMPARE(m_window->embeddingView()->model()->rowCount(), 0);
        QVERIFY(!m_window->embeddingView()->isVisibleTo(m_window));
        QCOMPARE(m_window->inputView()->width(), m_window->inputView()->parentWidget()->width());
        cleanup();
    }
}

#include "test_views.moc"
