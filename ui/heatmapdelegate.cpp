#include "heatmapdelegate.h"

#include "colormap.h"
#include "matrixtablemodel.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QLineEdit>
#include <QPainter>
#include <QValidator>

#include <cmath>

namespace {

// Accepts what the model parses; never blocks typing (everything else is "intermediate"), so
// Enter on garbage keeps the editor open and focus-out drops it without a commit.
class NumberValidator : public QValidator {
public:
    using QValidator::QValidator;
    State validate(QString &input, int &) const override
    {
        return MatrixTableModel::parseValue(input) ? Acceptable : Intermediate;
    }
};

void drawFrame(QPainter *painter, const QRect &rect)
{
    // Black outside, white inside: visible on the darkest and the lightest colour alike.
    painter->save();
    painter->setBrush(Qt::NoBrush);
    painter->setPen(QPen(Qt::black, 1));
    painter->drawRect(rect.adjusted(0, 0, -1, -1));
    painter->setPen(QPen(Qt::white, 1));
    painter->drawRect(rect.adjusted(1, 1, -2, -2));
    painter->restore();
}

} // namespace

HeatmapDelegate::HeatmapDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

QSize HeatmapDelegate::cellSizeFor(const QFont &font)
{
    const QFontMetrics fm(font);
    // The widest compact values: "−0.000", "−2135", "−1.2e−5" (rare; elided by the text test).
    const int text = fm.horizontalAdvance(QStringLiteral("\u22120.000"));
    const int pad = std::max(6, fm.averageCharWidth());
    return QSize(text + pad, fm.height() + std::max(4, fm.height() / 3));
}

QSize HeatmapDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    return cellSizeFor(option.font);
}

void HeatmapDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const QRect rect = option.rect;
    const auto *model = qobject_cast<const MatrixTableModel *>(index.model());

    bool has = false;
    double value = 0, scale = 1;
    if (model) {
        has = model->hasValue(index.row(), index.column());
        if (has) {
            value = model->value(index.row(), index.column());
            scale = model->colorScale();
        }
    } else {
        const QVariant v = index.data(MatrixTableModel::ValueRole);
        has = v.isValid();
        value = v.toDouble();
    }

    painter->save();
    if (!has) {
        painter->fillRect(rect, option.palette.base());
    } else {
        const QRgb bg = ColorMap::rgb(value, scale);
        ColorMap::paintCell(painter, rect, value, scale);

        const QString text = MatrixTableModel::formatCompact(value);
        const QFontMetrics &fm = option.fontMetrics;
        if (fm.horizontalAdvance(text) + 4 <= rect.width() && fm.height() <= rect.height() + 2) {
            painter->setFont(option.font);
            painter->setPen(ColorMap::textColorFor(bg));
            painter->drawText(rect, Qt::AlignCenter, text);
        }
    }

    if (index.data(MatrixTableModel::CurrentRowRole).toBool()) {
        // The row of the step on show: a bar above and below.
        const int w = std::max(2, rect.height() / 12);
        painter->fillRect(QRect(rect.left(), rect.top(), rect.width(), w), Qt::black);
        painter->fillRect(QRect(rect.left(), rect.bottom() - w + 1, rect.width(), w), Qt::black);
    }
    if (model) {
        // Where a gate block starts (LSTM i | f | c | o, GRU z | r | h): a dark separator.
        const int w = std::max(2, std::min(rect.width(), rect.height()) / 10);
        if (model->gateBoundary(Qt::Horizontal, index.column()))
            painter->fillRect(QRect(rect.left(), rect.top(), w, rect.height()), QColor(40, 40, 40));
        if (model->gateBoundary(Qt::Vertical, index.row()))
            painter->fillRect(QRect(rect.left(), rect.top(), rect.width(), w), QColor(40, 40, 40));
    }
    if (option.state & QStyle::State_Selected)
        drawFrame(painter, rect);
    painter->restore();
}

QWidget *HeatmapDelegate::createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &) const
{
    auto *edit = new QLineEdit(parent);
    edit->setFrame(false);
    edit->setAlignment(Qt::AlignCenter);
    edit->setFont(option.font);
    edit->setValidator(new NumberValidator(edit));
    edit->setAutoFillBackground(true);
    return edit;
}

void HeatmapDelegate::setEditorData(QWidget *editor, const QModelIndex &index) const
{
    auto *edit = qobject_cast<QLineEdit *>(editor);
    if (!edit)
        return;
    // An edit started by typing a character keeps that character (the view sends it after).
    edit->setText(index.data(Qt::EditRole).toString());
    edit->selectAll();
}

void HeatmapDelegate::setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const
{
    auto *edit = qobject_cast<QLineEdit *>(editor);
    if (!edit)
        return;
    // The model parses and refuses; the session makes it an undoable command.
    model->setData(index, edit->text(), Qt::EditRole);
}

void HeatmapDelegate::updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    // Wide enough for the full-precision text, centred on the cell, inside the viewport.
    QRect r = option.rect;
    const QString text = index.data(Qt::EditRole).toString();
    const int want = option.fontMetrics.horizontalAdvance(text) + option.fontMetrics.averageCharWidth() * 2;
    if (want > r.width()) {
        r.setLeft(r.center().x() - want / 2);
        r.setWidth(want);
        if (const QWidget *viewport = editor->parentWidget()) {
            if (r.right() > viewport->width() - 1)
                r.moveRight(viewport->width() - 1);
            if (r.left() < 0)
                r.moveLeft(0);
        }
    }
    editor->setGeometry(r);
}
