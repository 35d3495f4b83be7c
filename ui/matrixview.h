#pragma once
// MatrixView — one matrix of the session with its title, as a table or as a heat-map image.
//
//   ┌──────────────────────────────────────────┐
//   │ Wx · kernel (3×5)                  bold  │  title: name and shape in the current dims
//   │ rows: input feature i · columns: hidden… │  what an index means
//   │        h[0]   h[1]   h[2] …              │
//   │ input feature 0 │ 0.213│−0.046│ …        │  Table mode: a QTableView with HeatmapDelegate
//   │ …                                        │  (small matrices, ≤ imageThreshold() rows and columns)
//   │ −0.84 ▕██████████████▏ +0.84  ▨ NaN ×1   │  colour legend, with counts of NaN / ±Inf
//   └──────────────────────────────────────────┘
//
// Image mode (more than imageThreshold() rows or columns, default 40): the matrix as an image,
// one pixel per cell scaled to the widget, with index ticks, the value and indices of the cell
// under the mouse in a status line (and a tooltip), and the same legend; 256×256 repaints in about
// a millisecond. Double-clicking an editable cell opens an editor over it. Empty mode: a matrix
// with no cells (Wo and bo without a Dense layer) shows a short note.
//
// The image is bounded: at most kMaxImageSide rows and columns, whatever the matrix (H of
// T = 10⁶ timesteps would otherwise be a 10⁶-row image, 1 GB at M = 256, for a widget a few hundred
// pixels tall). A taller or wider matrix is sampled, one matrix row (column) per image row
// (column), as ImageAxis says; every position — ticks, hover, tooltip, editor, the row of the step
// on show, NaN/±Inf marks — goes through that one mapping and names real matrix indices. A
// non-finite cell in a row or column that is not sampled still shows: its colour is stamped onto
// the image cell that covers it, and a few isolated ones are marked larger than their cells.
//
// The view follows its model: a reset (new dims, layout, sample) updates the title and picks the
// mode again; dataChanged repaints (in image mode only the rows that changed, unless the colour
// scale moved). Cell sizes, headers and ticks follow the widget font, so enlarging the application
// font (presentation mode) enlarges everything. Hidden is read-only.

#include "matrixtablemodel.h"

#include "nn/dims.h"

#include <QImage>
#include <QWidget>

#include <utility>

class HeatmapDelegate;
class QHBoxLayout;
class QLabel;
class QStackedWidget;
class QTableView;
class Session;

class MatrixView : public QWidget {
    Q_OBJECT

public:
    enum class Mode { Table, Image, Empty };

    // The image of Image mode has at most this many rows and columns.
    static constexpr int kMaxImageSide = rnnscope::kMaxImageSide;

    // How one axis of the image shows the same axis of the matrix: `cells` matrix rows (or
    // columns) in size = min(cells, kMaxImageSide) image rows. Without sampling (size = cells)
    // both maps are the identity; with it, for 0 ≤ i < size and 0 ≤ c < cells,
    //
    //   cellOf(i)  = ⌊i·(cells−1) / (size−1)⌋      the matrix row image row i shows
    //   indexOf(c) = ⌈(c+1)·(size−1) / (cells−1)⌉ − 1   the image row covering matrix row c: the
    //                                               last i with cellOf(i) ≤ c
    //
    // so image row i covers matrix rows cellOf(i) … cellOf(i+1)−1, the first and the last matrix
    // rows (t = 0 and t = T−1) are always shown, and indexOf(cellOf(i)) = i.
    struct ImageAxis {
        int cells = 0;
        int size = 0;

        static ImageAxis of(int cells);
        bool sampled() const { return size < cells; }
        int cellOf(int index) const;
        int indexOf(int cell) const;
    };

    // A view with its own model of `source` over `session` (the session must outlive the view).
    MatrixView(Session *session, MatrixTableModel::Source source, QWidget *parent = nullptr);
    // A view of an existing model (not owned; it must outlive the view).
    explicit MatrixView(MatrixTableModel *model, QWidget *parent = nullptr);
    ~MatrixView() override;

    MatrixTableModel *model() const { return m_model; }
    Mode mode() const { return m_mode; }
    // The table of Table mode (it has no model in the other modes).
    QTableView *tableView() const { return m_table; }
    // The widget that paints the image in Image mode (hidden in the other modes).
    QWidget *imageWidget() const;

    // Image mode: how image rows and columns map to the matrix's (sizes 0 in the other modes),
    // the image as filled (one pixel per image cell), where the matrix is drawn in imageWidget()
    // coordinates, and the matrix cell (row, column) under a point of imageWidget(), or (−1, −1).
    ImageAxis imageRows() const;
    ImageAxis imageColumns() const;
    QImage image() const;
    QRectF matrixRect() const;
    std::pair<int, int> cellAt(QPointF pos) const;

    // Above this many rows or columns the matrix is drawn as an image (default 40).
    int imageThreshold() const { return m_threshold; }
    void setImageThreshold(int cells);

    // The title, the axes and the legend on one line (false: three lines, the legend under the
    // table).
    void setCompactHeader(bool on);
    bool compactHeader() const { return m_compactHeader; }
    // The width that writes the title and the axes whole: on two lines, or on one line with the
    // legend when `compact`; and the width of the matrix itself (the table with its columns at
    // their full text, or the image). The size hint is wide enough for both.
    int headerWidth(bool compact) const;
    int contentWidth() const;
    // The narrowest width that still shows every cell with its text (the table's columns at the
    // brief text, "−0.21") and the header whole on two lines.
    int readableWidth() const;
    QSize sizeHint() const override;

    // The text of the status line: the description of the cell under the mouse, or a hint.
    QString statusText() const;
    // The title as shown in full (the label elides it when narrow).
    QString title() const { return m_model->title(); }

signals:
    // Table, Image or Empty mode was entered after a change of shape.
    void modeChanged(MatrixView::Mode mode);
    // The mouse is over cell (row, col), described as in the tooltip; row = col = −1 when it left.
    void cellHovered(int row, int col, const QString &description);
    // A value typed into a cell was committed with Return (the keyboard can go back to playback).
    void editCommitted();

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    class ImageView;
    class Legend;

    void build();
    void onModelReset();
    void onDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight);
    void setMode(Mode mode);
    void updateCellSizes();
    void fitColumns();
    int tableRoom() const;
    void updateTexts();
    int titleWidth() const; // the bold title written whole
    void setHovered(int row, int col);
    // A refused entry: why, in a tooltip at the cell.
    void showRefusal(int row, int col, const QString &why);

    MatrixTableModel *m_model = nullptr;
    Mode m_mode = Mode::Empty;
    bool m_modeSet = false;
    int m_threshold = 40;
    int m_spacerIndex = -1;

    QLabel *m_title = nullptr;
    QLabel *m_axes = nullptr;
    QHBoxLayout *m_headRow = nullptr, *m_axesRow = nullptr, *m_legendRow = nullptr;
    bool m_compactHeader = false;
    QStackedWidget *m_stack = nullptr;
    QTableView *m_table = nullptr;
    HeatmapDelegate *m_delegate = nullptr;
    ImageView *m_image = nullptr;
    QLabel *m_empty = nullptr;
    Legend *m_legend = nullptr;
    QLabel *m_status = nullptr;
    QString m_statusText;
    // Image rows that changed while the view was hidden (a tab behind another): filled when shown.
    int m_staleFirst = -1, m_staleLast = -1;
    bool m_scrollsSideways = false; // the table's horizontal scroll bar is on
};
