#include "flowlayout.h"

#include <QWidget>

#include <algorithm>

FlowLayout::FlowLayout(QWidget *parent)
    : QLayout(parent)
{
}

FlowLayout::~FlowLayout()
{
    while (QLayoutItem *item = takeAt(0))
        delete item;
}

void FlowLayout::addItem(QLayoutItem *item)
{
    m_items.append(item);
}

int FlowLayout::count() const
{
    return int(m_items.size());
}

QLayoutItem *FlowLayout::itemAt(int index) const
{
    return m_items.value(index);
}

QLayoutItem *FlowLayout::takeAt(int index)
{
    return index >= 0 && index < m_items.size() ? m_items.takeAt(index) : nullptr;
}

Qt::Orientations FlowLayout::expandingDirections() const
{
    return {};
}

int FlowLayout::heightForWidth(int width) const
{
    return place(QRect(0, 0, width, 0), false);
}

QSize FlowLayout::sizeHint() const
{
    const int w = widestItem();
    return QSize(w, heightForWidth(w));
}

QSize FlowLayout::minimumSize() const
{
    // As narrow as the narrowest a widget can be; the rows then grow downwards.
    QSize least;
    for (const QLayoutItem *item : m_items)
        if (!item->isEmpty())
            least = least.expandedTo(item->minimumSize());
    const QMargins m = contentsMargins();
    return least.grownBy(m);
}

int FlowLayout::widestItem() const
{
    int widest = 0;
    for (const QLayoutItem *item : m_items)
        if (!item->isEmpty())
            widest = std::max(widest, item->sizeHint().width());
    const QMargins m = contentsMargins();
    return widest + m.left() + m.right();
}

int FlowLayout::oneRowWidth() const
{
    int sum = 0, n = 0;
    for (const QLayoutItem *item : m_items)
        if (!item->isEmpty()) {
            sum += item->sizeHint().width();
            ++n;
        }
    const QMargins m = contentsMargins();
    return sum + std::max(0, n - 1) * spacing() + m.left() + m.right();
}

void FlowLayout::setGeometry(const QRect &rect)
{
    QLayout::setGeometry(rect);
    place(rect, true);
}

void FlowLayout::setGroupings(const QList<QList<int>> &groupings)
{
    m_groupings = groupings;
    invalidate();
}

int FlowLayout::place(const QRect &rect, bool apply) const
{
    QList<QList<int>> groupings = m_groupings;
    if (groupings.isEmpty())
        groupings.append(QList<int>(m_items.size(), 1));
    int best = 0, lowest = -1;
    for (int g = 0; g < groupings.size(); ++g)
        if (const int h = placeGroups(rect, groupings[g], false); lowest < 0 || h < lowest) {
            lowest = h;
            best = g;
        }
    if (apply)
        placeGroups(rect, groupings[best], true);
    return lowest;
}

int FlowLayout::placeGroups(const QRect &rect, const QList<int> &groups, bool apply) const
{
    const QRect area = rect.marginsRemoved(contentsMargins());
    const int gap = std::max(0, spacing());
    const auto wholeRow = [](QLayoutItem *item) {
        return item->widget() && (item->widget()->sizePolicy().horizontalPolicy() & QSizePolicy::ExpandFlag);
    };
    const auto widthOf = [&](QLayoutItem *item) {
        return wholeRow(item) ? area.width() : std::min(item->sizeHint().width(), area.width());
    };
    const auto heightOf = [](QLayoutItem *item, int w) {
        // The widget's own heightForWidth (QWidgetItem asks the widget's layout instead).
        const QWidget *widget = item->widget();
        const int h = widget && widget->hasHeightForWidth() ? widget->heightForWidth(w)
            : item->hasHeightForWidth()                     ? item->heightForWidth(w)
                                                            : -1;
        return h >= 0 ? h : item->sizeHint().height();
    };
    int x = area.x(), y = area.y(), rowHeight = 0, bottom = area.y();
    int first = 0;
    for (int size : groups) {
        QList<QLayoutItem *> group;
        for (int i = first; i < std::min<int>(first + size, m_items.size()); ++i)
            if (!m_items[i]->isEmpty())
                group << m_items[i];
        first += size;
        if (group.isEmpty())
            continue;
        // A column: as wide as its widest widget, as tall as its widgets one under the other.
        int gw = 0, gh = -gap;
        for (QLayoutItem *item : group) {
            gw = std::max(gw, widthOf(item));
            gh += heightOf(item, widthOf(item)) + gap;
        }
        if (x > area.x() && x + gw > area.x() + area.width()) { // a new row under the tallest
            x = area.x();
            y += rowHeight + gap;
            rowHeight = 0;
        }
        int iy = y;
        for (QLayoutItem *item : group) {
            const int w = widthOf(item), h = heightOf(item, w);
            if (apply)
                item->setGeometry(QRect(x, iy, std::max(0, w), h));
            iy += h + gap;
        }
        x += gw + gap;
        rowHeight = std::max(rowHeight, gh);
        bottom = std::max(bottom, y + gh);
    }
    return bottom - rect.y() + contentsMargins().bottom();
}
