#include "diagramwidget.h"

#include "palette.h"
#include "session.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

using namespace rnnscope;

QString DiagramWidget::shapeText(std::initializer_list<int> dims)
{
    QStringList parts;
    for (int d : dims)
        parts << QString::number(d);
    return QLatin1Char('(') + parts.join(QStringLiteral(", ")) + QLatin1Char(')');
}

void DiagramWidget::drawArrow(QPainter &p, QPointF from, QPointF to, qreal head)
{
    p.drawLine(from, to);
    const QPointF d = to - from;
    const qreal len = std::hypot(d.x(), d.y());
    if (len < 1)
        return;
    const QPointF u = d / len, n(-u.y(), u.x());
    QPainterPath tip;
    tip.moveTo(to);
    tip.lineTo(to - u * head + n * head * 0.5);
    tip.lineTo(to - u * head - n * head * 0.5);
    tip.closeSubpath();
    p.fillPath(tip, p.pen().color());
}

struct DiagramWidget::Geometry {
    QList<int> steps;       // timesteps per column, −1 = "…"
    qreal left = 0;         // x of the first column's centre
    qreal pitch = 0;        // distance between column centres
    qreal outX = 0;         // x of the output column's centre (wider than a step's: it holds
                            // h_{T−1}'s shape before the Dense box)
    qreal cellW = 0, cellH = 0;
    qreal rowCell = 0, rowX = 0, rowDense = 0, rowY = 0; // y centres of the rows
    qreal unit = 0;         // font height
};

DiagramWidget::DiagramWidget(Session *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    auto refresh = [this] { update(); };
    connect(session, &Session::structureChanged, this, refresh);
    connect(session, &Session::stepChanged, this, refresh);
    connect(session, &Session::networkChanged, this, [this] {
        updateGeometry(); // a network's grid is as tall as its layers need
        update();
    });
    setToolTip(tr("The recurrent layer unrolled in time. Click a timestep to go to it."));
}

QSize DiagramWidget::sizeHint() const
{
    const int u = fontMetrics().height();
    if (m_session->isNetwork()) { // a row per direction of every layer, the input, the Dense and y
        int rows = 0;
        for (const LayerSpec &l : m_session->networkConfig().layers)
            rows += l.directions();
        return {60 * u, int((5.5 + 3.0 * (rows + 0.8) + (m_session->brokenLayer() >= 0 ? 2.4 : 0)) * u)};
    }
    return {60 * u, 15 * u};
}

QSize DiagramWidget::minimumSizeHint() const
{
    const int u = fontMetrics().height();
    if (m_session->isNetwork()) {
        int rows = 0;
        for (const LayerSpec &l : m_session->networkConfig().layers)
            rows += l.directions();
        return {14 * u, int((5.5 + 1.8 * (rows + 0.8)) * u)};
    }
    return {14 * u, 8 * u}; // narrower, it folds; lower, its rows close up
}

QList<int> DiagramWidget::visibleTimesteps() const
{
    const int T = m_session->dims().T;
    const int cur = std::max(0, m_session->position());
    // Columns that fit: each needs about 3.3 font heights, more when "t=999999" needs it; h_{-1}
    // takes 0.85 more, the output column its own width.
    const qreal u = fontMetrics().height();
    const int fit = std::max(3, int((width() - u - outputColumnWidth()) / columnWidth() - 0.85));
    return foldedColumns(T, cur, fit);
}

QList<int> DiagramWidget::foldedColumns(int T, int cur, int fit)
{
    QList<int> cols;
    if (T <= fit) {
        for (int t = 0; t < T; ++t)
            cols << t;
        return cols;
    }
    // First two, the current one with a neighbour each side, the last one; "…" where folded.
    // Where even that does not fit: the first, the current and the last.
    const auto fold = [&](QList<int> keep) {
        QList<int> c;
        std::sort(keep.begin(), keep.end());
        int prev = -2;
        for (int t : keep) {
            if (t < 0 || t >= T || t == prev)
                continue;
            if (prev >= 0 && t > prev + 1)
                c << -1;
            c << t;
            prev = t;
        }
        return c;
    };
    cols = fold({0, 1, cur - 1, cur, cur + 1, T - 1});
    return cols.size() <= fit ? cols : fold({0, cur, T - 1});
}

qreal DiagramWidget::columnWidth() const
{
    // A cell takes 0.62 of its column (0.7 at the narrowest) and must hold "t=<the last timestep>". At 3.3 font heights
    // ten timesteps fit in the 700 px a 1600 px window leaves beside an LSTM's weights.
    const qreal u = fontMetrics().height();
    const qreal text = fontMetrics().horizontalAdvance(QStringLiteral("t=%1").arg(m_session->dims().T - 1));
    return std::max(3.3 * u, (text + 0.6 * u) / 0.7);
}

qreal DiagramWidget::outputColumnWidth() const
{
    // From the last step's cell: h_{T−1} and its shape over and under the arrow, then the Dense
    // box and the margin after it.
    const auto &d = m_session->dims();
    const QFontMetricsF fm(font());
    const qreal u = fm.height();
    const qreal labelW = std::max(fm.horizontalAdvance(shapeText({d.N, d.M})), fm.horizontalAdvance(QStringLiteral("h_%1").arg(d.T - 1)));
    return std::max(columnWidth(), labelW + 1.4 * u + outputWidth() + u);
}

qreal DiagramWidget::outputWidth() const
{
    // The Dense box, or the stacked sequence's "(every timestep)".
    const auto &d = m_session->dims();
    const QFontMetricsF fm(font());
    const qreal u = fm.height();
    const qreal dense = fm.horizontalAdvance(QStringLiteral("Dense(%1)").arg(d.K)) + 0.8 * u;
    return m_session->config().returnSequences ? std::max(dense, fm.horizontalAdvance(tr("(every timestep)"))) : dense;
}

DiagramWidget::Geometry DiagramWidget::layoutColumns() const
{
    Geometry g;
    g.steps = visibleTimesteps();
    g.unit = fontMetrics().height();
    const qreal u = g.unit;
    // h_{-1}'s column (1.5 pitches), the steps, and the output column of its own width.
    const qreal out = outputColumnWidth();
    g.pitch = std::max(u, (width() - u - out) / (g.steps.size() + 0.85));
    g.left = u + g.pitch * 1.5;
    g.outX = width() - u - outputWidth() / 2;
    const qreal text = fontMetrics().horizontalAdvance(QStringLiteral("t=%1").arg(m_session->dims().T - 1)) + 0.6 * u;
    g.cellW = std::min(std::max(std::min(g.pitch * 0.62, 7.0 * u), text), g.pitch * 0.9);
    g.cellH = 2.0 * u;
    // Rows at fixed multiples of the font height, squeezed when the widget is shorter than that.
    // (and so that the input row stays under the cells: 8.4u·squeeze + 2.6u ≤ height − 0.8u)
    const qreal squeeze = std::clamp<qreal>(std::min(height() / (13.0 * u), (height() - 3.4 * u) / (8.4 * u)), 0.3, 1.0);
    g.rowY = 1.1 * u + 0.5 * u * squeeze;
    g.rowDense = 4.6 * u * squeeze;
    g.rowCell = 8.4 * u * squeeze;
    g.rowX = std::min(height() - 0.8 * u, std::max(g.rowCell + 2.6 * u, 12.0 * u * squeeze));
    return g;
}

void DiagramWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    if (m_session->isNetwork()) {
        paintGrid(p);
        return;
    }
    m_fixRect = {};
    const Geometry g = layoutColumns();
    const Dims &d = m_session->dims();
    const bool seq = m_session->config().returnSequences;
    const int cur = m_session->position();
    const qreal u = g.unit;
    const ViewPalette &pal = ViewPalette::current();
    const QColor ink = palette().color(QPalette::WindowText);
    const qreal lw = pal.lineWidth;
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    const QFontMetricsF smallFm(small);

    // The texts and boxes drawn so far: a shape label that would cross one is left out (the same
    // shape is written at the next column), so that no two texts overlap, whatever N or M.
    QList<QRectF> taken;
    struct Label {
        QRectF rect;
        QString text;
    };
    QList<Label> labels; // written last, over the boxes and arrows, where they are free
    const auto box = [&](QRectF r, const QString &text, bool highlight, const QColor &fill) {
        taken << r;
        p.setPen(QPen(highlight ? pal.highlight : ink, highlight ? 2.5 * lw : lw));
        p.setBrush(highlight ? pal.highlightFill : fill);
        p.drawRoundedRect(r, 0.4 * u, 0.4 * u);
        p.setPen(ink);
        p.setFont(font());
        p.drawText(r, Qt::AlignCenter, text);
    };
    const auto label = [&](QPointF at, const QString &text, Qt::Alignment align = Qt::AlignHCenter) {
        const qreal w = smallFm.horizontalAdvance(text) + 4;
        QRectF r(at.x() - (align & Qt::AlignLeft ? 0 : w / 2), at.y() - smallFm.height() / 2, w, smallFm.height());
        if (align & Qt::AlignRight)
            r.moveRight(at.x());
        labels.append({r, text});
    };
    const auto mathText = [&](QPointF at, const QString &text) {
        p.setPen(ink);
        p.setFont(font());
        const qreal w = p.fontMetrics().horizontalAdvance(text) + 4;
        const QRectF r(at.x() - w / 2, at.y() - u / 2, w, u);
        taken << r.adjusted(2, 0, -2, 0);
        p.drawText(r, Qt::AlignCenter, text);
    };

    // h_{-1} = 0 on the left, clear of the first cell where the columns are narrow.
    const qreal initialW = QFontMetricsF(font()).horizontalAdvance(QStringLiteral("h₋₁ = 0")) + 4;
    const qreal x0 = std::max(initialW / 2, std::min(g.left - g.pitch, g.left - g.cellW / 2 - 0.8 * u - initialW / 2));
    // An LSTM carries its cell state c beside h: both (N, M).
    const rnnscope::CellKind kind = m_session->config().kind;
    const bool lstm = kind == rnnscope::CellKind::LSTM;
    const QString cellClass = QLatin1String(rnnscope::cellClassName(kind));
    QString gates;
    for (const std::string &gname : rnnscope::gateBlockNames(kind))
        gates += (gates.isEmpty() ? QString() : QStringLiteral(" ")) + QString::fromStdString(gname);
    const auto carried = [&](const QString &t) {
        return lstm ? QStringLiteral("h%1, c%1").arg(t) : QStringLiteral("h%1").arg(t);
    };
    const QString carriedShape = lstm ? shapeText({d.N, d.M}) + QStringLiteral(" ×2") : shapeText({d.N, d.M});
    mathText({x0, g.rowCell - 0.6 * u}, QStringLiteral("h₋₁ = 0"));
    if (lstm)
        mathText({x0, g.rowCell - 1.7 * u}, QStringLiteral("c₋₁ = 0"));
    label({x0, g.rowCell + 0.6 * u}, carriedShape);

    qreal prevRight = x0 + 2.0 * u;
    QString prevName = carried(QStringLiteral("₋₁"));
    for (int i = 0; i < g.steps.size(); ++i) {
        const int t = g.steps[i];
        const qreal cx = g.left + i * g.pitch;
        if (t < 0) { // folded timesteps
            mathText({cx, g.rowCell}, QStringLiteral("…"));
            mathText({cx, g.rowX}, QStringLiteral("…"));
            p.setPen(QPen(ink, lw));
            drawArrow(p, {prevRight, g.rowCell}, {cx - 1.0 * u, g.rowCell}, 0.5 * u);
            prevRight = cx + 1.0 * u;
            continue;
        }
        const bool now = t == cur;
        const QRectF cell(cx - g.cellW / 2, g.rowCell - g.cellH / 2, g.cellW, g.cellH);
        // Recurrent arrow from the previous column, labelled with h's shape.
        p.setPen(QPen(ink, lw));
        drawArrow(p, {prevRight, g.rowCell}, {cell.left() - 2, g.rowCell}, 0.5 * u);
        // Shapes on the recurrent arrows where there is room for them (the initial state's shape
        // is written on the left as well, under "h₋₁ = 0").
        const qreal room = cell.left() - prevRight;
        const qreal need = std::max(smallFm.horizontalAdvance(prevName), smallFm.horizontalAdvance(carriedShape));
        // (An LSTM's first arrow is named on the left already: "h₋₁ = c₋₁ = 0".)
        if (((i == 0 && !lstm) || (i > 0 && g.steps[i - 1] >= 0 && g.pitch >= 5.0 * u)) && need <= room) {
            label({(prevRight + cell.left()) / 2, g.rowCell - 0.75 * u}, prevName);
            label({(prevRight + cell.left()) / 2, g.rowCell + 0.75 * u}, carriedShape);
        }
        // The cell names its class and, where there is room, its gates: "LSTM t=3 / i f c o".
        const QString name = kind == rnnscope::CellKind::SimpleRNN ? QStringLiteral("RNN t=%1").arg(t)
                                                                   : QStringLiteral("%1 t=%2").arg(cellClass).arg(t);
        const bool roomy = p.fontMetrics().horizontalAdvance(name) + 0.6 * u < g.cellW;
        const bool gatesFit = !gates.isEmpty() && roomy && 2.2 * p.fontMetrics().height() < g.cellH;
        box(cell, roomy ? (gatesFit ? name + QLatin1Char('\n') + gates : name) : QStringLiteral("t=%1").arg(t), now,
            t <= cur ? pal.computedFill : palette().color(QPalette::Base));
        // x_t below, with its shape.
        const qreal xw = std::min(std::max(g.cellW / 1.3, p.fontMetrics().horizontalAdvance(QStringLiteral("x_%1").arg(t)) + 0.6 * u),
                                  g.pitch * 0.9);
        const QRectF xr(cx - xw / 2, g.rowX - 0.7 * u, xw, 1.4 * u);
        box(xr, QStringLiteral("x_%1").arg(t), now, palette().color(QPalette::Base));
        p.setPen(QPen(ink, lw));
        drawArrow(p, {cx, xr.top() - 1}, {cx, cell.bottom() + 2}, 0.5 * u);
        label({cx + 0.35 * u, (xr.top() + cell.bottom()) / 2}, shapeText({d.N, d.D}), Qt::AlignLeft);
        // With return_sequences every h_t goes up through Dense.
        if (seq) {
            p.setPen(QPen(ink, lw));
            if (d.K > 0) {
                const QRectF dr(cx - g.cellW / 2.6, g.rowDense - 0.7 * u, g.cellW / 1.3, 1.4 * u);
                drawArrow(p, {cx, cell.top() - 2}, {cx, dr.bottom() + 2}, 0.5 * u);
                label({cx + 0.35 * u, (cell.top() + dr.bottom()) / 2}, shapeText({d.N, d.M}), Qt::AlignLeft);
                box(dr, QStringLiteral("Dense"), now, palette().color(QPalette::Base));
                p.setPen(QPen(ink, lw));
                drawArrow(p, {cx, dr.top() - 2}, {cx, g.rowY + 0.6 * u}, 0.5 * u);
                mathText({cx - 0.9 * u, g.rowY}, QStringLiteral("y_%1").arg(t));
                label({cx + 1.4 * u, g.rowY}, shapeText({d.N, d.K}));
            } else {
                drawArrow(p, {cx, cell.top() - 2}, {cx, g.rowY + 0.6 * u}, 0.5 * u);
                mathText({cx - 0.9 * u, g.rowY}, QStringLiteral("h_%1").arg(t));
                label({cx + 1.4 * u, g.rowY}, shapeText({d.N, d.M}));
            }
        }
        prevRight = cell.right() + 2;
        prevName = carried(QStringLiteral("_%1").arg(t));
    }

    // The output column: h_{T-1} → Dense → y, or the stacked sequence.
    const qreal cx = g.outX;
    p.setPen(QPen(ink, lw));
    const qreal outW = std::max(g.cellW, p.fontMetrics().horizontalAdvance(QStringLiteral("Dense(%1)").arg(d.K)) + 0.8 * u);
    const QRectF out(cx - outW / 2, g.rowCell - g.cellH / 2, outW, g.cellH);
    if (!seq) {
        drawArrow(p, {prevRight, g.rowCell}, {out.left() - 2, g.rowCell}, 0.5 * u);
        label({(prevRight + out.left()) / 2, g.rowCell - 0.75 * u}, QStringLiteral("h_%1").arg(d.T - 1));
        label({(prevRight + out.left()) / 2, g.rowCell + 0.75 * u}, shapeText({d.N, d.M}));
        if (d.K > 0) {
            box(out, QStringLiteral("Dense(%1)").arg(d.K), cur == d.T - 1, palette().color(QPalette::Base));
            p.setPen(QPen(ink, lw));
            drawArrow(p, {cx, out.top() - 2}, {cx, g.rowY + 0.6 * u}, 0.5 * u);
            mathText({cx - 0.6 * u, g.rowY}, QStringLiteral("y"));
            // Beside y, however wide: on its right, or on its left where the right edge is too near.
            const QString yShape = shapeText({d.N, d.K});
            if (cx + 0.3 * u + smallFm.horizontalAdvance(yShape) + 4 <= width())
                label({cx + 0.3 * u, g.rowY}, yShape, Qt::AlignLeft);
            else
                label({cx - 1.0 * u, g.rowY}, yShape, Qt::AlignRight);
        } else {
            mathText({cx, g.rowCell}, QStringLiteral("output"));
        }
    } else {
        // Y stacks every y_t (or h_t).
        const int c = d.K > 0 ? d.K : d.M;
        mathText({cx, g.rowY}, d.K > 0 ? QStringLiteral("Y") : QStringLiteral("H"));
        label({cx, g.rowY + 0.9 * u}, shapeText({d.N, d.T, c}));
        label({cx, g.rowY + 1.7 * u}, tr("(every timestep)"));
    }
    // X's shape under the input row.
    label({g.left - g.pitch, g.rowX}, QStringLiteral("X ") + shapeText({d.N, d.T, d.D}));

    // The shapes, in the order written (the initial state's first), each where it is free.
    p.setFont(small);
    p.setPen(pal.shapeText);
    for (const Label &l : std::as_const(labels)) {
        const QRectF ink = l.rect.adjusted(2, 1, -2, -1); // the text, without its padding
        if (!rect().contains(ink.toAlignedRect())
            || std::any_of(taken.begin(), taken.end(), [&](const QRectF &r) { return r.intersects(ink); }))
            continue;
        taken << ink;
        p.drawText(l.rect, Qt::AlignCenter, l.text);
    }
}

void DiagramWidget::mousePressEvent(QMouseEvent *event)
{
    if (m_session->isNetwork()) {
        if (!gridClick(event->position()))
            QWidget::mousePressEvent(event);
        return;
    }
    const Geometry g = layoutColumns();
    const qreal x = event->position().x();
    for (int i = 0; i < g.steps.size(); ++i) {
        const qreal cx = g.left + i * g.pitch;
        if (g.steps[i] >= 0 && std::abs(x - cx) < g.pitch / 2) {
            m_session->seek(g.steps[i]);
            return;
        }
    }
    QWidget::mousePressEvent(event);
}
