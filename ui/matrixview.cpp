#include "matrixview.h"

#include "colormap.h"
#include "heatmapdelegate.h"
#include "session.h"

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
#include <QVBoxLayout>

#include <cmath>
#include <limits>
#include <vector>

namespace {

// A QTableView whose size hint is its whole content (headers and cells), so a small matrix takes
// just the room it needs. Cheap: the views that use it have at most a few dozen sections.
class ContentTable : public QTableView {
public:
    using QTableView::QTableView;

    QSize sizeHint() const override
    {
        if (!model() || model()->rowCount() == 0)
            return QTableView::sizeHint();
        const int f = 2 * frameWidth();
        const int w = f + verticalHeader()->sizeHint().width() + horizontalHeader()->length();
        const int h = f + horizontalHeader()->sizeHint().height() + verticalHeader()->length();
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

// ====================================================================== ImageView
// The matrix as an image: one pixel per cell, filled by ColorMap in one pass, scaled to the
// widget without smoothing. Index ticks on the top and left, NaN/±Inf marks where cells are big
// enough, the row of the step on show marked, the cell under the mouse framed.

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

    // The whole image again (new shape, new scale, new values everywhere).
    void rebuild()
    {
        closeEditor();
        const int rows = m_model->rowCount(), cols = m_model->columnCount();
        if (m_image.width() != cols || m_image.height() != rows)
            m_image = QImage(cols, rows, QImage::Format_ARGB32_Premultiplied);
        m_scale = m_model->colorScale();
        fill(0, rows - 1);
        collectNonFinite();
        if (m_hoverRow >= rows || m_hoverCol >= cols)
            m_hoverRow = m_hoverCol = -1;
        updateGeometry();
        update();
    }

    // Rows first … last changed; the rest of the image stays unless the colour scale moved.
    void updateRows(int first, int last)
    {
        if (m_image.width() != m_model->columnCount() || m_image.height() != m_model->rowCount()
            || m_model->colorScale() != m_scale) {
            rebuild();
            return;
        }
        fill(first, last);
        if (m_model->stats().nonFinite() > 0 || !m_nonFinite.empty())
            collectNonFinite();
        update();
    }

    QSize sizeHint() const override
    {
        const QFontMetrics fm(font());
        const int rows = std::max(1, m_image.height()), cols = std::max(1, m_image.width());
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

    // The cell under `pos`, or (−1, −1).
    std::pair<int, int> cellAt(QPointF pos) const
    {
        const QRectF r = matrixRect();
        if (!r.contains(pos) || m_image.isNull())
            return {-1, -1};
        const int col = std::min(m_image.width() - 1, int((pos.x() - r.left()) / r.width() * m_image.width()));
        const int row = std::min(m_image.height() - 1, int((pos.y() - r.top()) / r.height() * m_image.height()));
        return {row, col};
    }

    QRectF cellRect(int row, int col) const
    {
        const QRectF r = matrixRect();
        const double cw = r.width() / std::max(1, m_image.width()), ch = r.height() / std::max(1, m_image.height());
        return QRectF(r.left() + col * cw, r.top() + row * ch, cw, ch);
    }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter p(this);
        if (m_image.isNull())
            return;
        const QRectF mr = matrixRect();
        const double cw = mr.width() / m_image.width(), ch = mr.height() / m_image.height();

        // Empty cells (hidden states not computed yet) are transparent and show the base colour.
        p.fillRect(mr, palette().base());
        p.drawImage(mr, m_image); // nearest neighbour: no smoothing across cells

        if (cw >= 4 && ch >= 4) {
            for (const QPoint &cell : m_nonFinite)
                ColorMap::paintNonFiniteMark(&p, cellRect(cell.y(), cell.x()), m_model->value(cell.y(), cell.x()), true);
        }

        p.setPen(palette().color(QPalette::Mid));
        p.setBrush(Qt::NoBrush);
        p.drawRect(mr.adjusted(-0.5, -0.5, 0.5, 0.5));

        paintTicks(p, mr, cw, ch);

        const int current = m_model->currentRow();
        if (current >= 0 && current < m_image.height()) {
            // The step on show: a triangle pointing at its row, and the row framed when it has room.
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
    QMargins margins() const
    {
        // Left: the widest row index and the step marker; top: one line of column indices.
        const QFontMetrics fm(font());
        const int rows = std::max(1, m_image.height());
        const int left = fm.horizontalAdvance(QString::number(rows - 1)) + fm.height() / 2 + 8;
        return QMargins(left, fm.height() + 5, 2, 2);
    }

    QRectF matrixRect() const
    {
        const QRect area = rect().marginsRemoved(margins());
        const int rows = std::max(1, m_image.height()), cols = std::max(1, m_image.width());
        // Fill the area (cells need not be square), except that a cell is never much longer in
        // one direction than in the other beyond a couple of text lines: a single row becomes a
        // strip, and three columns of a tall X do not spread over the whole width.
        const double cap = 2.0 * QFontMetrics(font()).height();
        const double cw = double(area.width()) / cols, ch = double(area.height()) / rows;
        const double w = std::min(cw, std::max(ch, cap)) * cols;
        const double h = std::min(ch, std::max(cw, cap)) * rows;
        return QRectF(area.left(), area.top(), std::max(1.0, w), std::max(1.0, h));
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

    void paintTicks(QPainter &p, const QRectF &mr, double cw, double ch)
    {
        const QFontMetrics fm(font());
        p.setPen(palette().color(QPalette::WindowText));
        const int cols = m_image.width(), rows = m_image.height();
        const double labelW = fm.horizontalAdvance(QString::number(cols - 1)) + fm.averageCharWidth() * 2;
        const int cstep = tickStep(cw, labelW);
        for (int c = 0; c < cols; c += cstep) {
            const double x = mr.left() + (c + 0.5) * cw;
            p.drawLine(QPointF(x, mr.top() - 3), QPointF(x, mr.top() - 1));
            p.drawText(QRectF(x - labelW / 2, mr.top() - 4 - fm.height(), labelW, fm.height()), Qt::AlignCenter,
                       QString::number(c));
        }
        if (rows == 1)
            return; // a strip needs no row index
        const int rstep = tickStep(ch, fm.height() * 1.2);
        const double markerRoom = fm.height() / 2 + 4;
        for (int r = 0; r < rows; r += rstep) {
            const double y = mr.top() + (r + 0.5) * ch;
            p.drawText(QRectF(0, y - fm.height() / 2.0, mr.left() - markerRoom, fm.height()),
                       Qt::AlignRight | Qt::AlignVCenter, QString::number(r));
        }
    }

    void fill(int first, int last)
    {
        if (m_image.isNull())
            return;
        last = std::min(last, m_image.height() - 1);
        const int filled = m_model->filledRows();
        const MatrixTableModel *m = m_model;
        ColorMap::fillRows(m_image, first, std::min(last, filled - 1), m_scale,
                           [m](int r, int c) { return m->value(r, c); });
        for (int r = std::max(first, filled); r <= last; ++r)
            std::fill_n(reinterpret_cast<QRgb *>(m_image.scanLine(r)), m_image.width(), QRgb(0));
    }

    void collectNonFinite()
    {
        // Positions of NaN and ±Inf for their marks, up to a cap (past it, the colours alone tell).
        constexpr std::size_t kMaxMarks = 4096;
        m_nonFinite.clear();
        if (m_model->stats().nonFinite() == 0)
            return;
        const int rows = m_model->filledRows(), cols = m_model->columnCount();
        for (int r = 0; r < rows && m_nonFinite.size() < kMaxMarks; ++r)
            for (int c = 0; c < cols && m_nonFinite.size() < kMaxMarks; ++c)
                if (!std::isfinite(m_model->value(r, c)))
                    m_nonFinite.emplace_back(c, r);
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
        m_editor->setText(MatrixTableModel::formatFull(m_model->value(row, col)));
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
            if (m_model->setData(m_model->index(m_editRow, m_editCol), m_editor->text(), Qt::EditRole))
                closeEditor();
            else
                m_editor->selectAll();
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
    QImage m_image;             // one pixel per cell
    double m_scale = 1;         // the colour scale m_image was filled with
    std::vector<QPoint> m_nonFinite; // (column, row) of NaN / ±Inf cells
    int m_hoverRow = -1, m_hoverCol = -1;
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
        const QString lo = MatrixTableModel::formatCompact(-s);
        const QString hi = QStringLiteral("+") + MatrixTableModel::formatCompact(s);
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
    layout->addWidget(m_title);

    m_axes = new QLabel(this);
    m_axes->setTextFormat(Qt::PlainText);
    m_axes->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_axes->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_axes);

    m_table = new ContentTable(this);
    m_delegate = new HeatmapDelegate(m_table);
    m_table->setItemDelegate(m_delegate);
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
    layout->addWidget(m_legend);

    m_status = new QLabel(this);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    layout->addWidget(m_status);

    // Takes the spare height below a table or a note; none in Image mode, where the image grows.
    layout->addStretch(1);
    m_spacerIndex = layout->count() - 1;

    connect(m_model, &QAbstractItemModel::modelReset, this, &MatrixView::onModelReset);
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

QString MatrixView::statusText() const
{
    return m_statusText;
}

void MatrixView::onModelReset()
{
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
    // The table repaints itself; the image refills the rows that changed.
    if (m_mode == Mode::Image && topLeft.isValid() && bottomRight.isValid())
        m_image->updateRows(topLeft.row(), bottomRight.row());
    m_legend->update();
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
    m_table->horizontalHeader()->setDefaultSectionSize(cell.width());
    m_table->verticalHeader()->setDefaultSectionSize(cell.height());
    m_table->updateGeometry();
}

void MatrixView::updateTexts()
{
    setElided(m_title, m_model->title());
    setElided(m_axes, m_model->axesDescription());
    setElided(m_status, m_statusText);
    if (m_mode == Mode::Empty) {
        const auto src = m_model->source();
        m_empty->setText(src == MatrixTableModel::Source::Wo || src == MatrixTableModel::Source::bo
                             ? QStringLiteral("K = 0: the model's output is the SimpleRNN's")
                             : QStringLiteral("no cells"));
    }
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
    updateTexts();
}
