#include "matrixview.h"

#include "colormap.h"
#include "heatmapdelegate.h"
#include "session.h"
#include "valuetext.h"

#include <QEvent>
#include <QHeaderView>
#include <QHelpEvent>
#include <QItemSelectionModel>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QTableView>
#include <QToolTip>
#include <QHBoxLayout>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

// A QTableView whose size hint is its whole content (headers and cells), so a small matrix takes
// just the room it needs. Cheap: the views that use it have at most a few dozen sections.
class ContentTable : public QTableView {
public:
    using QTableView::QTableView;

    // The width of a column with the compact text: the size hint asks for it even when the
    // columns were narrowed to fit the room (so that narrowing does not shrink the request).
    int naturalSection = 0;

    QSize sizeHint() const override
    {
        if (!model() || model()->rowCount() == 0)
            return QTableView::sizeHint();
        const int f = 2 * frameWidth();
        const int columns = std::max(horizontalHeader()->length(), naturalSection * horizontalHeader()->count());
        const int w = f + verticalHeader()->sizeHint().width() + columns;
        int h = f + horizontalHeader()->sizeHint().height() + verticalHeader()->length();
        // Scrolling sideways (narrower than its columns at the brief text): room for the scroll
        // bar, so that no row goes under it.
        if (horizontalScrollBar()->maximum() > 0)
            h += horizontalScrollBar()->sizeHint().height();
        return QSize(w, h);
    }
    // At least the header, one row and a horizontal scroll bar, so that a bias vector is never
    // cut in half.
    QSize minimumSizeHint() const override
    {
        const QFontMetrics fm(font());
        const int h = 2 * frameWidth() + horizontalHeader()->sizeHint().height()
            + verticalHeader()->defaultSectionSize() + horizontalScrollBar()->sizeHint().height();
        return QSize(fm.averageCharWidth() * 12, h);
    }
};

void setElided(QLabel *label, const QString &text)
{
    const int w = label->contentsRect().width();
    label->setText(w > 0 ? label->fontMetrics().elidedText(text, Qt::ElideRight, w) : text);
    label->setToolTip(label->text() == text ? QString() : text);
}

QString hoverHint()
{
    return QStringLiteral("Point at a cell to read its value.");
}

} // namespace

// ====================================================================== ImageAxis

MatrixView::ImageAxis MatrixView::ImageAxis::of(int cells)
{
    cells = std::max(cells, 0);
    return ImageAxis{cells, std::min(cells, kMaxImageSide)};
}

int MatrixView::ImageAxis::cellOf(int index) const
{
    // 64-bit products: index·(cells−1) reaches 2¹²·2²⁰.
    if (!sampled() || size < 2)
        return index;
    return int(std::int64_t(index) * (cells - 1) / (size - 1));
}

int MatrixView::ImageAxis::indexOf(int cell) const
{
    if (!sampled() || size < 2)
        return cell;
    const std::int64_t n = std::int64_t(cell + 1) * (size - 1), d = cells - 1;
    return std::min(size - 1, int((n + d - 1) / d) - 1);
}

// ====================================================================== ImageView
// The matrix as an image: one pixel per image cell, filled by ColorMap in one pass, scaled to the
// widget without smoothing. At most kMaxImageSide image rows and columns: a bigger matrix is
// sampled through m_rows / m_cols (ImageAxis), and every position below — cellAt, cellRect, ticks,
// the step marker, the hover frame, the editor, the non-finite marks — is a matrix cell mapped
// through them. Index ticks on the top and left, NaN/±Inf marks where cells are big enough (or
// enlarged, when there are few), the row of the step on show marked, the cell under the mouse framed.

class MatrixView::ImageView : public QWidget {
public:
    explicit ImageView(MatrixView *owner)
        : QWidget(owner)
        , m_owner(owner)
        , m_model(owner->model())
    {
        setMouseTracking(true);
        setAttribute(Qt::WA_OpaquePaintEvent, false);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }

    const ImageAxis &rows() const { return m_rows; }
    const ImageAxis &cols() const { return m_cols; }
    const QImage &image() const { return m_image; }

    // The whole image again (new shape, new scale, new values everywhere).
    void rebuild()
    {
        closeEditor();
        m_rows = ImageAxis::of(m_model->rowCount());
        m_cols = ImageAxis::of(m_model->columnCount());
        m_rowOf.resize(std::size_t(m_rows.size));
        m_colOf.resize(std::size_t(m_cols.size));
        for (int i = 0; i < m_rows.size; ++i)
            m_rowOf[std::size_t(i)] = m_rows.cellOf(i);
        for (int i = 0; i < m_cols.size; ++i)
            m_colOf[std::size_t(i)] = m_cols.cellOf(i);
        if (m_image.width() != m_cols.size || m_image.height() != m_rows.size)
            m_image = QImage(m_cols.size, m_rows.size, QImage::Format_ARGB32_Premultiplied);
        m_scale = m_model->colorScale();
        fill(0, m_rows.size - 1);
        collectNonFinite();
        stampNonFinite(0, m_rows.size - 1);
        if (m_hoverRow >= m_rows.cells || m_hoverCol >= m_cols.cells)
            m_hoverRow = m_hoverCol = -1;
        updateGeometry();
        update();
    }

    // Matrix rows first … last changed: only the image rows covering them are filled again; the
    // rest of the image stays unless the shape or the colour scale moved.
    void updateRows(int first, int last)
    {
        if (m_rows.cells != m_model->rowCount() || m_cols.cells != m_model->columnCount()
            || m_model->colorScale() != m_scale) {
            rebuild();
            return;
        }
        first = std::max(first, 0);
        last = std::min(last, m_rows.cells - 1);
        if (first > last)
            return;
        const int firstImage = m_rows.indexOf(first), lastImage = m_rows.indexOf(last);
        fill(firstImage, lastImage);
        updateNonFinite(first, last);
        stampNonFinite(firstImage, lastImage);
        update();
    }

    QSize sizeHint() const override
    {
        const QFontMetrics fm(font());
        const int rows = std::max(1, m_rows.cells), cols = std::max(1, m_cols.cells);
        const QMargins m = margins();
        const int thin = 2 * fm.height();
        const int w = rows == 1 || cols > 1 ? std::clamp(cols * 2, 160, 420) : thin;
        const int h = cols == 1 || rows > 1 ? std::clamp(rows * 2, 120, 420) : thin;
        return QSize(w + m.left() + m.right(), h + m.top() + m.bottom());
    }
    QSize minimumSizeHint() const override
    {
        const QFontMetrics fm(font());
        const QMargins m = margins();
        return QSize(m.left() + m.right() + fm.height() * 2, m.top() + m.bottom() + fm.height());
    }

    // The matrix cell (row, column) under `pos`, or (−1, −1): the image cell at the point, then
    // the matrix cell that image cell shows.
    std::pair<int, int> cellAt(QPointF pos) const
    {
        const QRectF r = matrixRect();
        if (!r.contains(pos) || m_image.isNull())
            return {-1, -1};
        return {m_rows.cellOf(imageIndexAt(pos.y() - r.top(), r.height(), m_rows.size)),
                m_cols.cellOf(imageIndexAt(pos.x() - r.left(), r.width(), m_cols.size))};
    }

    // Where matrix cell (row, col) is drawn: the image cell covering it.
    QRectF cellRect(int row, int col) const { return imageCellRect(m_rows.indexOf(row), m_cols.indexOf(col)); }

    // Where the matrix is drawn (fills the area but for the margins; see the cap below).
    QRectF matrixRect() const
    {
        const QRect area = rect().marginsRemoved(margins());
        const int rows = std::max(1, m_rows.cells), cols = std::max(1, m_cols.cells);
        // Fill the area (cells need not be square), except that a cell is never much longer in
        // one direction than in the other beyond a couple of text lines: a single row becomes a
        // strip, and three columns of a tall X do not spread over the whole width. Matrix cells,
        // not image cells: the layout does not depend on sampling.
        const double cap = 2.0 * QFontMetrics(font()).height();
        const double cw = double(area.width()) / cols, ch = double(area.height()) / rows;
        const double w = std::min(cw, std::max(ch, cap)) * cols;
        const double h = std::min(ch, std::max(cw, cap)) * rows;
        return QRectF(area.left(), area.top(), std::max(1.0, w), std::max(1.0, h));
    }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter p(this);
        if (m_image.isNull())
            return;
        const QRectF mr = matrixRect();
        // The size of an image cell (a matrix cell unless sampled).
        const double cw = mr.width() / m_image.width(), ch = mr.height() / m_image.height();

        // Empty cells (hidden states not computed yet) are transparent and show the base colour.
        p.fillRect(mr, palette().base());
        p.drawImage(mr, m_image); // nearest neighbour: no smoothing across cells

        paintNonFiniteMarks(p, cw, ch);

        p.setPen(palette().color(QPalette::Mid));
        p.setBrush(Qt::NoBrush);
        p.drawRect(mr.adjusted(-0.5, -0.5, 0.5, 0.5));

        paintTicks(p, mr);

        const int current = m_model->currentRow();
        if (current >= 0 && current < m_rows.cells) {
            // The step on show: a triangle pointing at the image row covering it, and that row
            // framed when it has room.
            const QRectF row = cellRect(current, 0);
            const double y = row.center().y();
            const double a = std::max(4.0, fontMetrics().height() * 0.35);
            p.setRenderHint(QPainter::Antialiasing, true);
            p.setPen(Qt::NoPen);
            p.setBrush(palette().color(QPalette::WindowText));
            const QPointF tip(mr.left() - 2, y);
            p.drawPolygon(QPolygonF({tip, tip + QPointF(-a, -a * 0.7), tip + QPointF(-a, a * 0.7)}));
            p.setRenderHint(QPainter::Antialiasing, false);
            if (ch >= 3) {
                p.setPen(QPen(Qt::black, 1));
                p.setBrush(Qt::NoBrush);
                p.drawRect(QRectF(mr.left(), row.top(), mr.width(), ch).adjusted(0, 0, -1, -1));
            }
        }

        if (m_hoverRow >= 0 && cw >= 3 && ch >= 3) {
            const QRectF c = cellRect(m_hoverRow, m_hoverCol).adjusted(-1, -1, 1, 1);
            p.setBrush(Qt::NoBrush);
            p.setPen(QPen(Qt::black, 1));
            p.drawRect(c);
            p.setPen(QPen(Qt::white, 1));
            p.drawRect(c.adjusted(1, 1, -1, -1));
        }
    }

    void mouseMoveEvent(QMouseEvent *event) override
    {
        const auto [row, col] = cellAt(event->position());
        setHover(row, col);
    }

    void leaveEvent(QEvent *) override { setHover(-1, -1); }

    bool event(QEvent *event) override
    {
        if (event->type() == QEvent::ToolTip) {
            auto *help = static_cast<QHelpEvent *>(event);
            const auto [row, col] = cellAt(help->pos());
            if (row >= 0)
                QToolTip::showText(help->globalPos(), m_model->cellDescription(row, col), this,
                                   cellRect(row, col).toAlignedRect());
            else
                QToolTip::hideText();
            return true;
        }
        return QWidget::event(event);
    }

    void mouseDoubleClickEvent(QMouseEvent *event) override
    {
        const auto [row, col] = cellAt(event->position());
        if (row >= 0 && m_model->isEditable() && m_model->hasValue(row, col))
            openEditor(row, col);
    }

    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (watched == m_editor) {
            if (event->type() == QEvent::KeyPress && static_cast<QKeyEvent *>(event)->key() == Qt::Key_Escape) {
                closeEditor();
                return true;
            }
            if (event->type() == QEvent::FocusOut) {
                closeEditor();
                return false;
            }
        }
        return QWidget::eventFilter(watched, event);
    }

    void resizeEvent(QResizeEvent *) override { closeEditor(); }

private:
    // Marks of non-finite cells are collected up to this many (past it, the colours alone tell);
    // up to kMaxEnlargedMarks of them are drawn larger than cells too small for a mark.
    static constexpr std::size_t kMaxMarks = 4096;
    static constexpr std::size_t kMaxEnlargedMarks = 64;

    QMargins margins() const
    {
        // Left: the widest row index and the step marker; top: one line of column indices.
        const QFontMetrics fm(font());
        const int rows = std::max(1, m_rows.cells);
        const int left = fm.horizontalAdvance(QString::number(rows - 1)) + fm.height() / 2 + 8;
        return QMargins(left, fm.height() + 5, 2, 2);
    }

    // The image row (column) at offset `at` into a matrix drawn `length` pixels long with `size`
    // image rows. Cells of a pixel or more: the cell under the point. Smaller ones: a pixel spans
    // several image rows, and pixel k of the P the matrix covers stands for image row
    // round(k·(size−1)/(P−1)), so that the first and the last pixel read the first and the last
    // rows (t = 0 and t = T−1) — as sampling shows them.
    static int imageIndexAt(double at, double length, int size)
    {
        if (size <= 0 || length <= 0)
            return 0;
        if (size <= length)
            return std::clamp(int(at / length * size), 0, size - 1);
        const int pixels = std::max(1, int(std::ceil(length)));
        const int k = std::clamp(int(at), 0, pixels - 1);
        if (pixels == 1)
            return 0;
        return int((std::int64_t(k) * (size - 1) * 2 + (pixels - 1)) / (std::int64_t(pixels - 1) * 2));
    }

    // Where image cell (row, col) is drawn.
    QRectF imageCellRect(int row, int col) const
    {
        const QRectF r = matrixRect();
        const double cw = r.width() / std::max(1, m_cols.size), ch = r.height() / std::max(1, m_rows.size);
        return QRectF(r.left() + col * cw, r.top() + row * ch, cw, ch);
    }

    // Index labels every `step` cells, with step 1, 2, 5, 10, 20, 50 … so that labels do not collide.
    static int tickStep(double cellSize, double labelSize)
    {
        const int steps[] = {1, 2, 5};
        for (int scale = 1; scale < 1000000; scale *= 10)
            for (int s : steps)
                if (s * scale * cellSize >= labelSize)
                    return s * scale;
        return 1000000;
    }

    void paintTicks(QPainter &p, const QRectF &mr)
    {
        // Matrix indices, spaced by the size of a matrix cell, each at the image cell covering it.
        const QFontMetrics fm(font());
        p.setPen(palette().color(QPalette::WindowText));
        const int cols = m_cols.cells, rows = m_rows.cells;
        const double labelW = fm.horizontalAdvance(QString::number(cols - 1)) + fm.averageCharWidth() * 2;
        const int cstep = tickStep(mr.width() / cols, labelW);
        for (int c = 0; c < cols; c += cstep) {
            const double x = cellRect(0, c).center().x();
            p.drawLine(QPointF(x, mr.top() - 3), QPointF(x, mr.top() - 1));
            p.drawText(QRectF(x - labelW / 2, mr.top() - 4 - fm.height(), labelW, fm.height()), Qt::AlignCenter,
                       QString::number(c));
        }
        if (rows == 1)
            return; // a strip needs no row index
        const int rstep = tickStep(mr.height() / rows, fm.height() * 1.2);
        const double markerRoom = fm.height() / 2 + 4;
        for (int r = 0; r < rows; r += rstep) {
            const double y = cellRect(r, 0).center().y();
            p.drawText(QRectF(0, y - fm.height() / 2.0, mr.left() - markerRoom, fm.height()),
                       Qt::AlignRight | Qt::AlignVCenter, QString::number(r));
        }
    }

    // Image rows first … last from the matrix rows they show; rows showing an empty matrix row
    // (Hidden past the step on show) become transparent.
    void fill(int first, int last)
    {
        if (m_image.isNull())
            return;
        first = std::max(first, 0);
        last = std::min(last, m_image.height() - 1);
        const int filled = m_model->filledRows();
        // Image row i shows a value when cellOf(i) < filled: rows up to the one covering the last filled row.
        const int lastFilled = filled > 0 ? m_rows.indexOf(std::min(filled, m_rows.cells) - 1) : -1;
        const MatrixTableModel *m = m_model;
        const int *rowOf = m_rowOf.data(), *colOf = m_colOf.data();
        ColorMap::fillRows(m_image, first, std::min(last, lastFilled), m_scale,
                           [m, rowOf, colOf](int r, int c) { return m->value(rowOf[r], colOf[c]); });
        for (int r = std::max(first, lastFilled + 1); r <= last; ++r)
            std::fill_n(reinterpret_cast<QRgb *>(m_image.scanLine(r)), m_image.width(), QRgb(0));
    }

    // Appends the non-finite cells of matrix rows first … last (filled rows only), up to the cap.
    void scanNonFinite(int first, int last)
    {
        last = std::min(last, m_model->filledRows() - 1);
        const int cols = m_cols.cells;
        for (int r = std::max(first, 0); r <= last && m_nonFinite.size() < kMaxMarks; ++r)
            for (int c = 0; c < cols && m_nonFinite.size() < kMaxMarks; ++c)
                if (!std::isfinite(m_model->value(r, c)))
                    m_nonFinite.emplace_back(c, r);
    }

    // Positions of NaN and ±Inf for their marks, from the whole matrix: every cell, sampled or
    // not, so that a NaN between sampled rows is still found.
    void collectNonFinite()
    {
        m_nonFinite.clear();
        if (m_model->stats().nonFinite() > 0)
            scanNonFinite(0, m_rows.cells - 1);
    }

    // Matrix rows first … last changed: their marks again, the others kept. A list cut at the cap
    // may miss cells anywhere, so it is collected again in full.
    void updateNonFinite(int first, int last)
    {
        if (m_model->stats().nonFinite() == 0) {
            m_nonFinite.clear();
            return;
        }
        if (m_nonFinite.size() >= kMaxMarks) {
            collectNonFinite();
            return;
        }
        std::erase_if(m_nonFinite, [first, last](const QPoint &cell) { return cell.y() >= first && cell.y() <= last; });
        scanNonFinite(first, last);
    }

    // Sampling may skip a non-finite cell: its colour (NaN grey, the ±Inf end colours) goes onto
    // the image cell covering it, in image rows first … last. Without sampling it is there already.
    void stampNonFinite(int first, int last)
    {
        if (!m_rows.sampled() && !m_cols.sampled())
            return;
        for (const QPoint &cell : m_nonFinite) {
            const int r = m_rows.indexOf(cell.y());
            if (r >= first && r <= last)
                m_image.setPixel(m_cols.indexOf(cell.x()), r, ColorMap::rgb(m_model->value(cell.y(), cell.x()), 1));
        }
    }

    void paintNonFiniteMarks(QPainter &p, double cw, double ch)
    {
        if (m_nonFinite.empty())
            return;
        if (cw >= 4 && ch >= 4) {
            for (const QPoint &cell : m_nonFinite)
                ColorMap::paintNonFiniteMark(&p, cellRect(cell.y(), cell.x()), m_model->value(cell.y(), cell.x()), true);
            return;
        }
        // Cells too small for a mark: a few isolated NaN/±Inf (all of them collected) would vanish
        // when the image is scaled down, so each gets a framed swatch a little larger than a text
        // line's half; many of them form areas of their colour that need no help.
        if (m_nonFinite.size() > kMaxEnlargedMarks || qsizetype(m_nonFinite.size()) != m_model->stats().nonFinite())
            return;
        const double side = std::max(7.0, fontMetrics().height() * 0.5);
        for (const QPoint &cell : m_nonFinite) {
            const double v = m_model->value(cell.y(), cell.x());
            const QRectF c = cellRect(cell.y(), cell.x());
            QRectF mark(0, 0, std::max(c.width(), side), std::max(c.height(), side));
            mark.moveCenter(c.center());
            p.fillRect(mark, ColorMap::color(v, 1));
            ColorMap::paintNonFiniteMark(&p, mark, v, true);
            p.setPen(QPen(Qt::black, 1));
            p.setBrush(Qt::NoBrush);
            p.drawRect(mark.adjusted(-0.5, -0.5, 0.5, 0.5));
        }
    }

    void setHover(int row, int col)
    {
        if (row == m_hoverRow && col == m_hoverCol)
            return;
        auto dirty = [this](int r, int c) {
            if (r >= 0)
                update(cellRect(r, c).toAlignedRect().adjusted(-3, -3, 3, 3));
        };
        dirty(m_hoverRow, m_hoverCol);
        m_hoverRow = row;
        m_hoverCol = col;
        dirty(row, col);
        m_owner->setHovered(row, col);
    }

    void openEditor(int row, int col)
    {
        closeEditor();
        m_editRow = row;
        m_editCol = col;
        m_editor = new QLineEdit(this);
        m_editor->setText(ValueText::full(m_model->value(row, col), m_model->session()->config().dtype));
        m_editor->selectAll();
        m_editor->setAlignment(Qt::AlignCenter);
        const QFontMetrics fm(m_editor->font());
        const QRectF cell = cellRect(row, col);
        const int w = std::max(int(cell.width()), fm.horizontalAdvance(m_editor->text()) + fm.averageCharWidth() * 4);
        const int h = fm.height() + 8;
        QRect r(0, 0, w, h);
        r.moveCenter(cell.center().toPoint());
        r.moveLeft(std::clamp(r.left(), 0, std::max(0, width() - w)));
        r.moveTop(std::clamp(r.top(), 0, std::max(0, height() - h)));
        m_editor->setGeometry(r);
        m_editor->installEventFilter(this);
        connect(m_editor, &QLineEdit::returnPressed, this, [this] {
            // Refused text keeps the editor open for a correction.
            if (m_model->setData(m_model->index(m_editRow, m_editCol), m_editor->text(), Qt::EditRole)) {
                closeEditor();
                emit m_owner->editCommitted();
            } else if (m_editor) { // the refusal's message may have closed it (a resize)
                m_editor->selectAll();
            }
        });
        m_editor->show();
        m_editor->setFocus();
    }

    void closeEditor()
    {
        if (!m_editor)
            return;
        QLineEdit *e = m_editor;
        m_editor = nullptr;
        e->removeEventFilter(this);
        e->hide();
        e->deleteLater();
    }

    MatrixView *m_owner;
    MatrixTableModel *m_model;
    ImageAxis m_rows, m_cols;        // image rows and columns ↔ matrix rows and columns
    std::vector<int> m_rowOf, m_colOf; // m_rows.cellOf(i), m_cols.cellOf(i) for each image index
    QImage m_image;                  // one pixel per image cell, at most kMaxImageSide on a side
    double m_scale = 1;              // the colour scale m_image was filled with
    std::vector<QPoint> m_nonFinite; // (column, row) of NaN / ±Inf matrix cells
    int m_hoverRow = -1, m_hoverCol = -1; // the matrix cell under the mouse
    QLineEdit *m_editor = nullptr;
    int m_editRow = -1, m_editCol = -1;
};

// ====================================================================== Legend
// −s ▕colour bar▏ +s, then the NaN and ±Inf counts when the matrix holds any.

class MatrixView::Legend : public QWidget {
public:
    explicit Legend(MatrixTableModel *model, QWidget *parent)
        : QWidget(parent)
        , m_model(model)
    {
        setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    }

    QSize sizeHint() const override
    {
        const QFontMetrics fm(font());
        return QSize(fm.averageCharWidth() * 40, fm.height() + 6);
    }
    QSize minimumSizeHint() const override { return QSize(10, sizeHint().height()); }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter p(this);
        const QFontMetrics fm(font());
        const int h = fm.height();
        const int y = (height() - h) / 2;
        const double s = m_model->colorScale();
        const QString lo = ValueText::compact(-s);
        const QString hi = QStringLiteral("+") + ValueText::compact(s);
        const int gap = fm.averageCharWidth();
        p.setPen(palette().color(QPalette::WindowText));

        int x = 0;
        const int loW = fm.horizontalAdvance(lo);
        p.drawText(QRect(x, y, loW, h), Qt::AlignVCenter | Qt::AlignLeft, lo);
        x += loW + gap;
        const int barW = std::clamp(width() / 4, fm.averageCharWidth() * 8, fm.averageCharWidth() * 24);
        const QRect bar(x, y + h / 5, barW, h - 2 * (h / 5));
        ColorMap::paintBar(&p, bar);
        p.setPen(palette().color(QPalette::Mid));
        p.drawRect(bar.adjusted(0, 0, -1, -1));
        // The zero tick in the middle of the bar.
        p.setPen(palette().color(QPalette::WindowText));
        p.drawLine(bar.center().x(), bar.bottom() + 1, bar.center().x(), bar.bottom() + 2);
        x += barW + gap;
        const int hiW = fm.horizontalAdvance(hi);
        p.drawText(QRect(x, y, hiW, h), Qt::AlignVCenter | Qt::AlignLeft, hi);
        x += hiW;
        if (m_model->hasFixedScale()) {
            const QString fixed = QStringLiteral(" (fixed)");
            p.drawText(QRect(x, y, fm.horizontalAdvance(fixed), h), Qt::AlignVCenter | Qt::AlignLeft, fixed);
            x += fm.horizontalAdvance(fixed);
        }
        x += gap * 3;

        const ColorMap::Stats &st = m_model->stats();
        const QChar times(0x00D7);
        auto item = [&](qsizetype count, double v, const QString &name) {
            if (count == 0)
                return;
            const QRect sw(x, y + 1, h - 2, h - 2);
            ColorMap::paintCell(&p, sw, v, 1);
            p.setPen(palette().color(QPalette::Mid));
            p.setBrush(Qt::NoBrush);
            p.drawRect(sw.adjusted(0, 0, -1, -1));
            x += sw.width() + gap / 2;
            const QString text = QStringLiteral("%1 %2%3").arg(name).arg(times).arg(count);
            p.setPen(palette().color(QPalette::WindowText));
            p.drawText(QRect(x, y, fm.horizontalAdvance(text) + 1, h), Qt::AlignVCenter | Qt::AlignLeft, text);
            x += fm.horizontalAdvance(text) + gap * 2;
        };
        item(st.nan, std::numeric_limits<double>::quiet_NaN(), QStringLiteral("NaN"));
        item(st.posInf, std::numeric_limits<double>::infinity(), QStringLiteral("+Inf"));
        item(st.negInf, -std::numeric_limits<double>::infinity(), QStringLiteral("\u2212Inf"));
    }

private:
    MatrixTableModel *m_model;
};

// ====================================================================== MatrixView

MatrixView::MatrixView(Session *session, MatrixTableModel::Source source, QWidget *parent)
    : QWidget(parent)
    , m_model(new MatrixTableModel(session, source, this))
{
    build();
}

MatrixView::MatrixView(MatrixTableModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
{
    Q_ASSERT(model);
    build();
}

MatrixView::~MatrixView()
{
    // Detach the table first: its selection model is ours to delete.
    if (m_table) {
        QItemSelectionModel *sel = m_table->selectionModel();
        m_table->setModel(nullptr);
        delete sel;
    }
}

void MatrixView::build()
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(3);

    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::PlainText);
    QFont bold; // only the weight: size and family follow this widget's font
    bold.setBold(true);
    m_title->setFont(bold);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    // The title's row, which in the compact header also holds the axes and the legend.
    m_headRow = new QHBoxLayout;
    m_headRow->setSpacing(12);
    m_headRow->addWidget(m_title, 3);
    layout->addLayout(m_headRow);

    m_axes = new QLabel(this);
    m_axes->setTextFormat(Qt::PlainText);
    m_axes->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_axes->setForegroundRole(QPalette::PlaceholderText);
    m_axesRow = new QHBoxLayout;
    m_axesRow->addWidget(m_axes);
    layout->addLayout(m_axesRow);

    m_table = new ContentTable(this);
    m_delegate = new HeatmapDelegate(m_table);
    m_table->setItemDelegate(m_delegate);
    connect(m_delegate, &HeatmapDelegate::committed, this, &MatrixView::editCommitted);
    m_table->setWordWrap(false);
    m_table->setCornerButtonEnabled(false);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_table->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_table->setMouseTracking(true);
    m_table->setEditTriggers(m_model->isEditable() ? QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed
                                                         | QAbstractItemView::AnyKeyPressed
                                                   : QAbstractItemView::NoEditTriggers);
    m_table->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    // Never ResizeToContents: it measures every cell (670 ms at 256×256).
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->horizontalHeader()->setHighlightSections(false);
    m_table->verticalHeader()->setHighlightSections(false);
    m_table->horizontalHeader()->setMinimumSectionSize(4);
    m_table->verticalHeader()->setMinimumSectionSize(4);
    // A widened column widens the table's size hint.
    connect(m_table->horizontalHeader(), &QHeaderView::sectionResized, m_table, [this] { m_table->updateGeometry(); });
    // A scroll bar that comes or goes changes the height the table asks for.
    connect(m_table->horizontalScrollBar(), &QScrollBar::rangeChanged, this, [this](int, int max) {
        if ((max > 0) != m_scrollsSideways) {
            m_scrollsSideways = max > 0;
            m_table->updateGeometry();
            updateGeometry();
        }
    });
    connect(m_table, &QAbstractItemView::entered, this,
            [this](const QModelIndex &index) { setHovered(index.row(), index.column()); });
    layout->addWidget(m_table, 0, Qt::AlignLeft | Qt::AlignTop);

    m_image = new ImageView(this);
    layout->addWidget(m_image, 1);

    m_empty = new QLabel(this);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    m_empty->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    layout->addWidget(m_empty);

    m_legend = new Legend(m_model, this);
    m_legendRow = new QHBoxLayout;
    m_legendRow->addWidget(m_legend);
    layout->addLayout(m_legendRow);

    m_status = new QLabel(this);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    layout->addWidget(m_status);

    // Takes the spare height below a table or a note; none in Image mode, where the image grows.
    layout->addStretch(1);
    m_spacerIndex = layout->count() - 1;

    connect(m_model, &QAbstractItemModel::modelReset, this, &MatrixView::onModelReset);
    connect(m_model, &MatrixTableModel::entryRefused, this, &MatrixView::showRefusal);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &MatrixView::onDataChanged);

    m_statusText = hoverHint();
    onModelReset();
}

void MatrixView::setImageThreshold(int cells)
{
    cells = std::max(1, cells);
    if (cells == m_threshold)
        return;
    m_threshold = cells;
    onModelReset();
}

QWidget *MatrixView::imageWidget() const
{
    return m_image;
}

MatrixView::ImageAxis MatrixView::imageRows() const
{
    return m_mode == Mode::Image ? m_image->rows() : ImageAxis{};
}

MatrixView::ImageAxis MatrixView::imageColumns() const
{
    return m_mode == Mode::Image ? m_image->cols() : ImageAxis{};
}

QImage MatrixView::image() const
{
    return m_mode == Mode::Image ? m_image->image() : QImage();
}

QRectF MatrixView::matrixRect() const
{
    return m_mode == Mode::Image ? m_image->matrixRect() : QRectF();
}

std::pair<int, int> MatrixView::cellAt(QPointF pos) const
{
    return m_mode == Mode::Image ? m_image->cellAt(pos) : std::pair{-1, -1};
}

QString MatrixView::statusText() const
{
    return m_statusText;
}

void MatrixView::onModelReset()
{
    m_staleFirst = m_staleLast = -1; // the whole image is made again
    const int rows = m_model->rowCount(), cols = m_model->columnCount();
    Mode mode = Mode::Table;
    if (rows == 0 || cols == 0)
        mode = Mode::Empty;
    else if (rows > m_threshold || cols > m_threshold)
        mode = Mode::Image;
    setMode(mode);
    if (m_mode == Mode::Image)
        m_image->rebuild();
    m_statusText = hoverHint();
    updateTexts();
    m_legend->update();
    updateGeometry();
}

void MatrixView::onDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight)
{
    // The table repaints itself; the image refills the rows that changed — when it is seen: a
    // hidden one (H behind the h_t tab) catches up when shown, so a jump over a million
    // timesteps costs nothing until then.
    if (m_mode == Mode::Image && topLeft.isValid() && bottomRight.isValid()) {
        if (!isVisible()) {
            m_staleFirst = m_staleFirst < 0 ? topLeft.row() : std::min(m_staleFirst, topLeft.row());
            m_staleLast = std::max(m_staleLast, bottomRight.row());
        } else {
            m_image->updateRows(topLeft.row(), bottomRight.row());
        }
    }
    m_legend->update();
}

void MatrixView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_staleFirst >= 0 && m_mode == Mode::Image)
        m_image->updateRows(m_staleFirst, m_staleLast);
    m_staleFirst = m_staleLast = -1;
}

void MatrixView::setMode(Mode mode)
{
    const bool changed = !m_modeSet || mode != m_mode;
    m_mode = mode;
    m_modeSet = true;

    // The table holds the model only in Table mode: a hidden 256×256 table would still follow
    // every reset and dataChanged.
    QAbstractItemModel *wanted = mode == Mode::Table ? m_model : nullptr;
    if (m_table->model() != wanted) {
        QItemSelectionModel *old = m_table->selectionModel();
        m_table->setModel(wanted);
        delete old;
    }
    m_model->setLongRowHeaders(mode == Mode::Table);
    if (mode == Mode::Table)
        updateCellSizes();

    m_table->setVisible(mode == Mode::Table);
    m_image->setVisible(mode == Mode::Image);
    m_empty->setVisible(mode == Mode::Empty);
    m_status->setVisible(mode == Mode::Image);
    m_legend->setVisible(mode != Mode::Empty);
    // An image takes the width it is given (in the weights dock, a row of its own).
    setSizePolicy(mode == Mode::Image ? QSizePolicy::Expanding : QSizePolicy::Preferred, QSizePolicy::Preferred);
    if (auto *box = qobject_cast<QVBoxLayout *>(layout()))
        box->setStretch(m_spacerIndex, mode == Mode::Image ? 0 : 1);
    if (changed)
        emit modeChanged(mode);
}

void MatrixView::updateCellSizes()
{
    // Compact, fixed cells sized for "−0.000" in the current font; headers follow the font too.
    // This widget's font: the table inherits it, but may not have received it yet.
    const QSize cell = HeatmapDelegate::cellSizeFor(font());
    static_cast<ContentTable *>(m_table)->naturalSection = cell.width();
    m_table->horizontalHeader()->setDefaultSectionSize(cell.width());
    m_table->verticalHeader()->setDefaultSectionSize(cell.height());
    fitColumns();
    m_table->updateGeometry();
}

int MatrixView::tableRoom() const
{
    const QMargins m = layout()->contentsMargins();
    return width() - m.left() - m.right() - 2 * m_table->frameWidth() - m_table->verticalHeader()->sizeHint().width();
}

void MatrixView::fitColumns()
{
    // Columns narrower than the compact text, down to the brief one ("−0.21"), rather than a
    // scroll bar: an LSTM's (3, 20) kernel is read whole in a dock a third narrower.
    if (m_mode != Mode::Table || m_model->columnCount() == 0)
        return;
    const int full = HeatmapDelegate::cellSizeFor(font()).width();
    const int least = std::min(full, HeatmapDelegate::briefCellWidthFor(font()));
    const int width = std::clamp(tableRoom() / m_model->columnCount(), least, full);
    if (width != m_table->horizontalHeader()->defaultSectionSize())
        m_table->horizontalHeader()->setDefaultSectionSize(width);
}

void MatrixView::setCompactHeader(bool on)
{
    // The title, the axes and the legend on one line: two lines fewer for each of an LSTM's
    // matrices, so that all five fit a 900 px window's height beside the input.
    if (on == m_compactHeader)
        return;
    m_compactHeader = on;
    if (on) {
        m_axesRow->removeWidget(m_axes);
        m_legendRow->removeWidget(m_legend);
        m_headRow->addWidget(m_axes, 5);
        m_headRow->addWidget(m_legend, 3);
    } else {
        m_headRow->removeWidget(m_axes);
        m_headRow->removeWidget(m_legend);
        m_axesRow->addWidget(m_axes);
        m_legendRow->addWidget(m_legend);
    }
    updateTexts();
    updateGeometry();
}

int MatrixView::headerWidth(bool compact) const
{
    const QMargins m = layout()->contentsMargins();
    const int title = titleWidth();
    const int axes = fontMetrics().horizontalAdvance(m_model->axesDescription()) + 4;
    const int text = compact ? title + axes + m_legend->sizeHint().width() + 2 * m_headRow->spacing() : std::max(title, axes);
    return text + m.left() + m.right();
}

int MatrixView::titleWidth() const
{
    return QFontMetrics(m_title->font()).horizontalAdvance(m_model->title()) + 4;
}

int MatrixView::contentWidth() const
{
    const QMargins m = layout()->contentsMargins();
    const QWidget *content = m_mode == Mode::Table ? static_cast<QWidget *>(m_table) : m_mode == Mode::Image ? static_cast<QWidget *>(m_image) : m_empty;
    return content->sizeHint().width() + m.left() + m.right();
}

int MatrixView::readableWidth() const
{
    // (The axes' description wraps.)
    const QMargins m = layout()->contentsMargins();
    const int brief = std::min(HeatmapDelegate::cellSizeFor(font()).width(), HeatmapDelegate::briefCellWidthFor(font()));
    const int table = m_mode != Mode::Table
        ? 0
        : 2 * m_table->frameWidth() + m_table->verticalHeader()->sizeHint().width() + brief * m_model->columnCount();
    return std::max(titleWidth(), table) + m.left() + m.right();
}

QSize MatrixView::sizeHint() const
{
    // The layout's hint leaves the labels out (they elide when narrow); here they count.
    const QSize s = QWidget::sizeHint();
    return QSize(std::max(s.width(), headerWidth(m_compactHeader)), s.height());
}

void MatrixView::updateTexts()
{
    if (m_compactHeader) {
        // The one-line header shares its width as its texts need it: the title whole first.
        const QFontMetrics bold(m_title->font());
        m_headRow->setStretchFactor(m_title, bold.horizontalAdvance(m_model->title()) + 8);
        m_headRow->setStretchFactor(m_axes, fontMetrics().horizontalAdvance(m_model->axesDescription()) + 8);
        m_headRow->setStretchFactor(m_legend, m_legend->sizeHint().width() * 3 / 4);
    }
    setElided(m_title, m_model->title());
    // On a line of its own the axes' description wraps rather than elides; beside the title, it elides.
    m_axes->setWordWrap(!m_compactHeader);
    if (m_compactHeader) {
        setElided(m_axes, m_model->axesDescription());
    } else {
        m_axes->setText(m_model->axesDescription());
        m_axes->setToolTip(QString());
    }
    setElided(m_status, m_statusText);
    if (m_mode == Mode::Empty) {
        const auto src = m_model->source();
        m_empty->setText(src == MatrixTableModel::Source::Wo || src == MatrixTableModel::Source::bo
                             ? QStringLiteral("K = 0: the model's output is the recurrent layer's")
                             : QStringLiteral("no cells"));
    }
}

void MatrixView::showRefusal(int row, int col, const QString &why)
{
    // At the cell, under its editor, for as long as it takes to read.
    QWidget *over = nullptr;
    QRect cell;
    if (m_mode == Mode::Table) {
        over = m_table->viewport();
        cell = m_table->visualRect(m_model->index(row, col));
    } else if (m_mode == Mode::Image) {
        over = m_image;
        cell = m_image->cellRect(row, col).toAlignedRect();
    }
    if (!over)
        return;
    const QPoint at = over->mapToGlobal(QPoint(cell.left(), cell.bottom() + 4));
    QToolTip::showText(at, why, over, QRect(), 10000);
}

void MatrixView::setHovered(int row, int col)
{
    const QString text = row >= 0 ? m_model->cellDescription(row, col) : QString();
    m_statusText = row >= 0 ? text : hoverHint();
    if (m_mode == Mode::Image)
        setElided(m_status, m_statusText);
    emit cellHovered(row, col, text);
}

void MatrixView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange) {
        // Presentation mode enlarges the application font: cells, headers and ticks follow.
        if (m_mode == Mode::Table)
            updateCellSizes();
        updateTexts();
        m_image->updateGeometry();
        updateGeometry();
    }
    QWidget::changeEvent(event);
}

void MatrixView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitColumns();
    updateTexts();
}
