#pragma once
// HeatmapDelegate — paints the cells of a MatrixTableModel as a heat map with their values.
//
// Each cell is filled with ColorMap's colour for its value at the model's colour scale
// (MatrixTableModel::colorScale(), computed once per reset or change of values, not per cell);
// NaN cells are grey and hatched, ±Inf cells take the end colour of their sign and a corner
// marker. The compact value ("0.213", "NaN", "+Inf") is centred in black or white, whichever
// reads better on the colour, and left out when the cell is too small for it. Empty cells
// (hidden states not computed yet) show the view's background. The row of the timestep on show
// (Input, Hidden) is framed above and below; a selected cell gets a black-and-white frame that
// shows on every colour. The text follows the view's font.
//
// Editing uses a QLineEdit holding the value in full precision; it accepts what
// MatrixTableModel::parseValue accepts ("0.5", "-1e-3", "nan", "inf", "-inf") and hands the text
// to the model's setData, which refuses anything else.

#include <QStyledItemDelegate>

class HeatmapDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    explicit HeatmapDelegate(QObject *parent = nullptr);

    // The smallest cell that shows a value like "−0.000" in `font` with a little padding.
    static QSize cellSizeFor(const QFont &font);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    void setEditorData(QWidget *editor, const QModelIndex &index) const override;
    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override;
    void updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};
