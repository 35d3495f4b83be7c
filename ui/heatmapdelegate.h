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
// Editing uses a QLineEdit holding the value in full precision. Return hands the text to the
// model's setData: a text it refuses keeps the editor open (the model says why, entryRefused), an
// accepted one closes it and emits committed().

#include <QFont>
#include <QStyledItemDelegate>

class HeatmapDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    explicit HeatmapDelegate(QObject *parent = nullptr);

    // The smallest cell that shows a value like "−0.000" in `font` with a little padding.
    static QSize cellSizeFor(const QFont &font);
    // The narrowest column that still shows ValueText's brief form ("−0.00") in `font`: what a
    // wide matrix (an LSTM's kernel of 4M columns) shrinks its columns to before it scrolls.
    static int briefCellWidthFor(const QFont &font);
    // The text a cell of `cell` pixels shows for `value`, and its font: ValueText's compact form in
    // `font`; when that is too wide the brief one, then the narrow one, in `font` or down to kSmallestTextScale of it;
    // no text when the cell is too small for any.
    struct CellText {
        QString text;
        QFont font;
    };
    static constexpr qreal kSmallestTextScale = 0.75;
    static CellText cellText(double value, const QFont &font, QSize cell);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    void setEditorData(QWidget *editor, const QModelIndex &index) const override;
    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override;
    void updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option, const QModelIndex &index) const override;

signals:
    // An edit was committed with Return.
    void committed();

protected:
    bool eventFilter(QObject *object, QEvent *event) override;
};
