// DiagramWidget's grid of a network: layers as rows (the input at the bottom, the output on top),
// timesteps as columns.
//
//              y (N, K)                         ← or Y (N, T, K), a Dense at every timestep
//            [Dense]
//   lstm_1  [t=0]→[t=1]→ … →[t=9]               ← a row per direction; a backward one's arrows
//     ↑ (N, T, 16)                                 run right to left, and "⊕ concat" merges them
//   lstm    [t=0]→[t=1]→ … →[t=9]
//     ↑ (N, T, 3)
//            x_0   x_1  …   x_9
//
// Every arrow between layers carries the shape of the sequence it passes. A lower layer that does
// not return sequences (the stack as edited; Keras refuses it) draws, in place of that connection,
// Keras's error and a button that fixes it.
#include "diagramwidget.h"

#include "palette.h"
#include "session.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

using namespace rnnscope;


namespace {
// What goes up into layer l: "X (N, T, D)", or the layer under it's sequence, "(N, T, 16) concat".
QString upText(const NetworkConfig &c, int l)
{
    if (l == 0) // with an Embedding, X is the rows of its table E that the token ids pick
        return (c.hasEmbedding() ? QStringLiteral("E[ids] ") : QStringLiteral("X ")) + DiagramWidget::shapeText({c.N, c.T, c.D}) +
               QStringLiteral(" ↑");
    const LayerSpec &under = c.layers[static_cast<std::size_t>(l - 1)];
    // A Bidirectional layer's two directions merged: "concat(→, ←) (N, T, 2M)".
    const QString merged = under.bidirectional ? QLatin1String(mergeName(under.merge)) + QStringLiteral("(→, ←) ") : QString();
    return merged + DiagramWidget::shapeText({c.N, c.T, under.outputWidth()}) + QStringLiteral(" ↑");
}
} // namespace

struct DiagramWidget::Grid {
    QList<int> steps;             // timesteps per column (time order), −1 = "…"
    qreal labelW = 0;             // the layer names' column on the left
    qreal outW = 0;               // the column of shapes on the right
    qreal left = 0, pitch = 0;    // x of the first column's centre, distance between columns
    qreal cellW = 0, cellH = 0, unit = 0;
    qreal yRow = 0, denseRow = 0, xRow = 0;
    QList<qreal> rowY;            // y of each direction's row: layer l direction d at rowIndex(l, d)
    QList<QPair<int, int>> rows;  // (layer, direction) of each row, bottom up
    QRectF fix;                   // the broken stack's fix button (empty when the stack builds)
};

int DiagramWidget::gridColumn(int t) const
{
    return m_session->readsBackwards() && t >= 0 ? m_session->networkConfig().T - 1 - t : t;
}

DiagramWidget::Grid DiagramWidget::layoutGrid() const
{
    Grid g;
    const NetworkConfig &c = m_session->networkConfig();
    const qreal u = fontMetrics().height();
    g.unit = u;
    const std::vector<std::string> names = layerNames(c.layers);
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &s = c.layers[static_cast<std::size_t>(l)];
        g.labelW = std::max<qreal>(g.labelW, fontMetrics().horizontalAdvance(QString::fromStdString(names[static_cast<std::size_t>(l)])));
        g.labelW = std::max<qreal>(g.labelW, fontMetrics().horizontalAdvance(QStringLiteral("%1 %2").arg(QLatin1String(cellClassName(s.cell.kind))).arg(s.units)));
        for (int d = 0; d < s.directions(); ++d)
            g.rows << qMakePair(l, d);
    }
    g.labelW += 1.2 * u;
    // Columns: as the one-layer diagram folds them, around the step on show.
    const int T = c.T, cur = std::max(0, gridColumn(m_session->position()));
    const qreal colW = std::max(3.0 * u, fontMetrics().horizontalAdvance(QStringLiteral("t=%1").arg(T - 1)) / 0.7);
    // On the right: the shapes passed up between the layers, and the top layer's output.
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    const QFontMetricsF smallFm(small);
    qreal outW = 5.0 * u;
    for (int l = 0; l < c.layerCount(); ++l)
        outW = std::max(outW, smallFm.horizontalAdvance(upText(c, l)) + 1.2 * u);
    g.outW = outW;
    const int fit = std::max(3, int((width() - g.labelW - outW) / colW));
    // As the one-layer diagram folds them; a "…" (−1) takes a column as well.
    g.steps = foldedColumns(T, cur, fit);
    g.pitch = std::max(u, (width() - g.labelW - outW) / g.steps.size());
    g.left = g.labelW + g.pitch / 2;
    g.cellW = std::min(g.pitch * 0.7, 6.0 * u);
    g.cellH = 1.5 * u;
    // Rows, top down: y, the Dense, the layers (the top one first), x.
    const int layerRows = static_cast<int>(g.rows.size());
    const qreal top = 1.0 * u, dense = c.K > 0 ? 2.4 * u : 0;
    // A broken connection holds Keras's error on two lines and its button: 2.4 more font heights.
    const int broken = m_session->brokenLayer();
    const qreal errorRoom = broken >= 0 ? 2.4 * u : 0;
    const qreal pitch = std::clamp<qreal>((height() - top - dense - errorRoom - 2.0 * u) / (layerRows + 0.8), 1.8 * u, 3.2 * u);
    g.yRow = 0.6 * u;
    g.denseRow = top + 0.9 * u;
    qreal y = top + dense + 0.9 * u;
    g.rowY.resize(layerRows);
    for (int r = layerRows - 1; r >= 0; --r) { // bottom up like rows, placed top down
        g.rowY[r] = y;
        y += pitch;
        if (broken >= 0 && r > 0 && g.rows[r].first == broken + 1 && g.rows[r - 1].first == broken)
            y += errorRoom;
    }
    g.xRow = y - 0.2 * u;
    return g;
}

void DiagramWidget::paintGrid(QPainter &p)
{
    Grid g = layoutGrid();
    // (The config and the selection, not shownNetwork(): a paint copies no weights.)
    const NetworkConfig &c = m_session->networkConfig();
    const struct {
        int layer, direction;
    } shown{m_session->selectedLayer(), m_session->selectedDirection()};
    const qreal u = g.unit;
    const ViewPalette &pal = ViewPalette::current();
    const QColor ink = palette().color(QPalette::WindowText);
    const qreal lw = pal.lineWidth;
    const int pos = m_session->position();
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    const QFontMetricsF smallFm(small);
    const std::vector<std::string> names = layerNames(c.layers);
    const int broken = m_session->brokenLayer();

    const auto rowOf = [&](int l, int d) { return static_cast<int>(g.rows.indexOf(qMakePair(l, d))); };
    // Whether the cell of layer l, direction d at time t is computed, and whether it is on show.
    const auto computed = [&](int l, int d, int t) {
        if (l != shown.layer || d != shown.direction)
            return l < shown.layer || (l == shown.layer && d < shown.direction);
        const bool back = c.layers[static_cast<std::size_t>(l)].readsBackwards(d);
        return pos >= 0 && (back ? c.T - 1 - t <= pos : t <= pos);
    };
    const int curCol = gridColumn(pos);
    const auto colX = [&](int i) { return g.left + i * g.pitch; };

    // Row labels: the layer's name and cell, the selected one highlighted.
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &s = c.layers[static_cast<std::size_t>(l)];
        const qreal y0 = g.rowY[rowOf(l, 0)], y1 = g.rowY[rowOf(l, s.directions() - 1)];
        // As tall as the layer's rows, at most up to the next layer's.
        const qreal half = g.rowY.size() > 1 ? std::min(0.9 * u, std::abs(g.rowY[0] - g.rowY[1]) / 2 - 0.05 * u) : 0.9 * u;
        const QRectF r(0.2 * u, std::min(y0, y1) - half, g.labelW - 0.6 * u, std::abs(y1 - y0) + 2 * half);
        p.setPen(l == shown.layer ? QPen(pal.highlight, 2 * lw) : Qt::NoPen);
        p.setBrush(l == shown.layer ? QBrush(pal.highlightFill) : QBrush(Qt::NoBrush));
        p.drawRoundedRect(r, 0.3 * u, 0.3 * u);
        p.setPen(ink);
        p.setFont(font());
        // The cell and its units under the name where the rows are far enough apart for two lines.
        const bool roomy = r.height() >= 2.2 * u && (g.rowY.size() < 2 || std::abs(g.rowY[0] - g.rowY[1]) >= 2.2 * u);
        QString text = QString::fromStdString(names[static_cast<std::size_t>(l)]);
        if (roomy)
            text += QLatin1Char('\n') + QStringLiteral("%1 %2").arg(QLatin1String(cellClassName(s.cell.kind))).arg(s.units);
        p.drawText(r, Qt::AlignCenter, text);
    }

    // The cells of every direction, with their recurrent arrows (right to left when it runs backwards).
    for (int r = 0; r < g.rows.size(); ++r) {
        const auto [l, d] = g.rows[r];
        const LayerSpec &s = c.layers[static_cast<std::size_t>(l)];
        const bool back = s.readsBackwards(d);
        const qreal y = g.rowY[r];
        qreal prevEdge = -1;
        for (int i = 0; i < g.steps.size(); ++i) {
            const int t = g.steps[i];
            const qreal cx = colX(i);
            p.setPen(QPen(ink, lw));
            if (t < 0) {
                p.setFont(font());
                p.drawText(QRectF(cx - u, y - u / 2, 2 * u, u), Qt::AlignCenter, QStringLiteral("…"));
                prevEdge = -1;
                continue;
            }
            const QRectF cell(cx - g.cellW / 2, y - g.cellH / 2, g.cellW, g.cellH);
            if (prevEdge >= 0) {
                if (back)
                    drawArrow(p, {cell.left() - 2, y}, {prevEdge, y}, 0.45 * u);
                else
                    drawArrow(p, {prevEdge, y}, {cell.left() - 2, y}, 0.45 * u);
            }
            const bool now = l == shown.layer && d == shown.direction && i == g.steps.indexOf(curCol);
            p.setPen(QPen(now ? pal.highlight : ink, now ? 2.5 * lw : lw));
            p.setBrush(now ? pal.highlightFill : computed(l, d, t) ? pal.computedFill : palette().color(QPalette::Base));
            p.drawRoundedRect(cell, 0.3 * u, 0.3 * u);
            p.setPen(ink);
            p.setFont(font());
            const QString name = s.bidirectional ? QStringLiteral("%1%2").arg(d == 0 ? QStringLiteral("→") : QStringLiteral("←")).arg(t)
                                                 : QStringLiteral("t=%1").arg(t);
            p.drawText(cell, Qt::AlignCenter, name);
            prevEdge = cell.right() + 2;
        }
    }

    // Between the layers: the sequence each returns, up to the one above (its shape on the left).
    const auto layerTop = [&](int l) { return g.rowY[rowOf(l, c.layers[static_cast<std::size_t>(l)].directions() - 1)] - g.cellH / 2; };
    const auto layerBottom = [&](int l) { return g.rowY[rowOf(l, 0)] + g.cellH / 2; };
    p.setFont(small);
    for (int l = 0; l <= c.layerCount(); ++l) {
        const qreal toY = l < c.layerCount() ? layerBottom(l) + 1 : 0;
        const qreal fromY = l == 0 ? g.xRow - 0.6 * u : layerTop(l - 1) - 1;
        if (l == c.layerCount())
            break;
        if (l > 0 && l - 1 == broken) {
            // Keras's error in place of the broken connection, and its fix.
            const QString error = m_session->stackError();
            const QRectF box(g.labelW, toY + 0.1 * u, width() - g.labelW - 0.4 * u, fromY - toY - 0.2 * u);
            p.setPen(QPen(QColor(0xc0, 0x20, 0x20), 1.5 * lw));
            p.setBrush(QColor(0xff, 0xee, 0xee));
            p.drawRect(box);
            const QString fixText = tr("Fix: return_sequences=True on %1").arg(QString::fromStdString(names[static_cast<std::size_t>(l - 1)]));
            const qreal fixW = smallFm.horizontalAdvance(fixText) + u;
            g.fix = QRectF(box.right() - fixW - 0.2 * u, box.center().y() - 0.6 * u, fixW, 1.2 * u);
            p.setPen(QColor(0x90, 0x10, 0x10));
            p.setFont(small);
            p.drawText(box.adjusted(0.3 * u, 0, -fixW - 0.5 * u, 0), Qt::AlignVCenter | Qt::AlignLeft | Qt::TextWordWrap, error);
            p.setPen(QPen(pal.highlight, lw));
            p.setBrush(palette().color(QPalette::Button));
            p.drawRoundedRect(g.fix, 0.3 * u, 0.3 * u);
            p.setPen(palette().color(QPalette::ButtonText));
            p.drawText(g.fix, Qt::AlignCenter, fixText);
            continue;
        }
        p.setPen(QPen(ink, lw));
        for (int i = 0; i < g.steps.size(); ++i)
            if (g.steps[i] >= 0)
                drawArrow(p, {colX(i), fromY}, {colX(i), toY}, 0.45 * u);
        p.setPen(pal.shapeText);
        p.drawText(QRectF(width() - g.outW + 0.2 * u, (fromY + toY) / 2 - smallFm.height() / 2, g.outW - 0.2 * u, smallFm.height()),
                   Qt::AlignLeft | Qt::AlignVCenter, upText(c, l));
    }

    // The input row.
    p.setFont(font());
    for (int i = 0; i < g.steps.size(); ++i) {
        p.setPen(ink);
        const QString text = g.steps[i] < 0           ? QStringLiteral("…")
                             : c.hasEmbedding() ? QStringLiteral("E[id_%1]").arg(g.steps[i])
                                                : QStringLiteral("x_%1").arg(g.steps[i]);
        p.drawText(QRectF(colX(i) - g.pitch / 2, g.xRow - 0.5 * u, g.pitch, u), Qt::AlignCenter, text);
    }

    // The top layer's output: through the Dense at every step, or its last state alone.
    const LayerSpec &top = c.top();
    const int topWidth = top.outputWidth();
    const qreal topY = layerTop(c.layerCount() - 1) - 1;
    p.setPen(QPen(ink, lw));
    const QString outName = c.K > 0 ? QStringLiteral("y") : QStringLiteral("h");
    const int outWidth = c.K > 0 ? c.K : topWidth;
    if (top.returnSequences) {
        for (int i = 0; i < g.steps.size(); ++i)
            if (g.steps[i] >= 0) {
                const qreal end = c.K > 0 ? g.denseRow + 0.6 * u : g.yRow + 0.5 * u;
                drawArrow(p, {colX(i), topY}, {colX(i), end}, 0.45 * u);
                if (c.K > 0) {
                    const QRectF dr(colX(i) - g.cellW / 2, g.denseRow - 0.6 * u, g.cellW, 1.2 * u);
                    p.setBrush(palette().color(QPalette::Base));
                    p.drawRoundedRect(dr, 0.3 * u, 0.3 * u);
                    p.drawText(dr, Qt::AlignCenter, QStringLiteral("Dense"));
                }
            }
        p.setPen(pal.shapeText);
        p.setFont(small);
        p.drawText(QRectF(0, g.yRow - smallFm.height() / 2, g.labelW + 0.5 * u, smallFm.height()), Qt::AlignRight | Qt::AlignVCenter,
                   (c.K > 0 ? QStringLiteral("Y ") : QStringLiteral("H ")) + shapeText({c.N, c.T, outWidth}));
    } else {
        // The last state of each direction into the Dense: a direction's last step is at t = T−1,
        // or at t = 0 when it runs backwards (a Bidirectional layer merges the two).
        const qreal ox = width() - 2.6 * u;
        const int L = c.layerCount();
        for (int d = 0; d < top.directions(); ++d) {
            const bool back = top.readsBackwards(d);
            const int col = back ? 0 : static_cast<int>(g.steps.size()) - 1;
            const QPointF from = back ? QPointF(colX(col), g.rowY[rowOf(L - 1, d)] - g.cellH / 2 - 1)
                                      : QPointF(colX(col) + g.cellW / 2 + 2, g.rowY[rowOf(L - 1, d)]);
            drawArrow(p, from, {ox - 1.2 * u, g.denseRow + 0.6 * u}, 0.45 * u);
        }
        const QRectF dr(ox - 2.2 * u, g.denseRow - 0.6 * u, 4.4 * u, 1.2 * u);
        if (c.K > 0) {
            p.setBrush(palette().color(QPalette::Base));
            p.drawRoundedRect(dr, 0.3 * u, 0.3 * u);
            p.drawText(dr, Qt::AlignCenter, QStringLiteral("Dense(%1)").arg(c.K));
            drawArrow(p, {ox, dr.top() - 1}, {ox, g.yRow + 0.5 * u}, 0.45 * u);
        }
        p.setPen(pal.shapeText);
        p.setFont(small);
        p.drawText(QRectF(ox - 8 * u, g.yRow - smallFm.height() / 2, 7.6 * u, smallFm.height()), Qt::AlignRight | Qt::AlignVCenter,
                   outName + QLatin1Char(' ') + shapeText({c.N, outWidth}));
    }
    m_fixRect = g.fix;
}

QPointF DiagramWidget::gridCell(int layer, int direction, int t) const
{
    const Grid g = layoutGrid();
    const int r = static_cast<int>(g.rows.indexOf(qMakePair(layer, direction))), i = static_cast<int>(g.steps.indexOf(t));
    if (r < 0 || i < 0)
        return {};
    return {g.left + i * g.pitch, g.rowY[r]};
}

bool DiagramWidget::gridClick(QPointF at)
{
    if (!m_fixRect.isEmpty() && m_fixRect.contains(at)) {
        m_session->fixStack();
        return true;
    }
    const Grid g = layoutGrid();
    const NetworkConfig &c = m_session->networkConfig();
    for (int r = 0; r < g.rows.size(); ++r) {
        if (std::abs(at.y() - g.rowY[r]) > g.cellH / 2 + 0.3 * g.unit)
            continue;
        const auto [l, d] = g.rows[r];
        if (at.x() < g.labelW) { // the layer's name
            m_session->selectLayer(l, d);
            return true;
        }
        for (int i = 0; i < g.steps.size(); ++i) {
            if (g.steps[i] < 0 || std::abs(at.x() - (g.left + i * g.pitch)) > g.pitch / 2)
                continue;
            const LayerSpec &s = c.layers[static_cast<std::size_t>(l)];
            const bool back = s.readsBackwards(d);
            const int step = back ? c.T - 1 - g.steps[i] : g.steps[i];
            if (m_session->selectLayer(l, d))
                m_session->seek(step);
            return true;
        }
    }
    return false;
}
