#include "heatmapdelegate.h"

#include "colormap.h"
#include "matrixtablemodel.h"
#include "valuetext.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QLineEdit>
#include <QPainter>
#include <QKeyEvent>
#include <QPersistentModelIndex>

#include <cmath>
#include <optional>

namespace {

// The editor's cell, as a QPersistentModelIndex.
const char kIndexProperty[] = "rnnscopeIndex";

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

int HeatmapDelegate::briefCellWidthFor(const QFont &font)
{
    const QFontMetrics fm(font);
    return fm.horizontalAdvance(QStringLiteral("\u22120.00")) + std::max(4, fm.averageCharWidth() - 3);
}

HeatmapDelegate::CellText HeatmapDelegate::cellText(double value, const QFont &font, QSize cell)
{
    // The compact text; else the brief one ("−0.21"), down to 90 % of the font; else the narrow
    // one ("−1e300"), down to kSmallestTextScale (the widest, "−1e−300", fits at about 85 %): a
    // finite value never goes without its text in a cell that holds text at all.
    const QFontMetricsF fm(font);
    if (fm.height() > cell.height() + 2)
        return {};
    const qreal room = cell.width() - 4;
    if (const QString text = ValueText::compact(value); fm.horizontalAdvance(text) <= room)
        return {text, font};
    // Glyph widths do not scale exactly with the size (hinting): step down until it fits.
    const bool pixels = font.pixelSize() > 0;
    const qreal size = pixels ? font.pixelSize() : font.pointSizeF();
    const auto fitted = [&](const QString &text, qreal smallest) -> std::optional<CellText> {
        if (fm.horizontalAdvance(text) <= room)
            return CellText{text, font};
        QFont smaller = font;
        for (qreal scale = std::min(1.0, room / fm.horizontalAdvance(text)); scale >= smallest; scale -= 0.03) {
            if (pixels)
                smaller.setPixelSize(std::max(1, int(size * scale)));
            else
                smaller.setPointSizeF(size * scale);
            if (QFontMetricsF(smaller).horizontalAdvance(text) <= room)
                return CellText{text, smaller};
        }
        return std::nullopt;
    };
    if (auto brief = fitted(ValueText::brief(value), 0.9))
        return *brief;
    if (auto narrow = fitted(ValueText::narrow(value), kSmallestTextScale))
        return *narrow;
    return {};
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

        const CellText text = cellText(value, option.font, rect.size());
        if (!text.text.isEmpty()) {
            painter->setFont(text.font);
            painter->setPen(ColorMap::textColorFor(bg));
            painter->drawText(rect, Qt::AlignCenter, text.text);
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

QWidget *HeatmapDelegate::createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    auto *edit = new QLineEdit(parent);
    edit->setFrame(false);
    edit->setAlignment(Qt::AlignCenter);
    edit->setFont(option.font);
    edit->setAutoFillBackground(true);
    edit->setProperty(kIndexProperty, QVariant::fromValue(QPersistentModelIndex(index)));
    return edit;
}

bool HeatmapDelegate::eventFilter(QObject *object, QEvent *event)
{
    // Return commits here, so that a refused text keeps the editor open (the model says why).
    auto *edit = qobject_cast<QLineEdit *>(object);
    if (edit && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        const auto index = edit->property(kIndexProperty).value<QPersistentModelIndex>();
        if ((key == Qt::Key_Return || key == Qt::Key_Enter) && index.isValid()) {
            auto *model = const_cast<QAbstractItemModel *>(index.model());
            if (!model->setData(index, edit->text(), Qt::EditRole)) {
                edit->selectAll();
                return true;
            }
            emit closeEditor(edit, QAbstractItemDelegate::NoHint);
            emit committed();
            return true;
        }
    }
    return QStyledItemDelegate::eventFilter(object, event);
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
