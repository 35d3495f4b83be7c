#pragma once
// FlowLayout — widgets placed left to right in their order, each at its size hint (never wider
// than the row), and a new row where the next one does not fit, as words on a page:
//
//   ┌ Wx (3×5) ──┐ ┌ Wh (5×5) ──┐ ┌ Wo (5×2) ┐      a wide dock: one row
//   └────────────┘ │            │ │          │
//                  └────────────┘ └──────────┘
//   ┌ bh (5) ────┐ ┌ bo (2) ┐                       the next row starts under the tallest
//
// What flows can be groups of consecutive widgets stacked in a column (Wx, Wh, bh | Wo, bo);
// given several groupings, the layout uses the one that is lowest at its width. A widget that
// expands horizontally (a matrix drawn as an image) takes the whole width. Hidden widgets take no
// room (K = 0: no Wo, no bo). The height at a width (heightForWidth) tells a scroll area how far
// the rows reach.

#include <QLayout>
#include <QList>

class FlowLayout : public QLayout {
public:
    explicit FlowLayout(QWidget *parent = nullptr);
    ~FlowLayout() override;

    void addItem(QLayoutItem *item) override;
    int count() const override;
    QLayoutItem *itemAt(int index) const override;
    QLayoutItem *takeAt(int index) override;
    Qt::Orientations expandingDirections() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    // Wide enough for the widest widget; as tall as the rows are at that width.
    QSize sizeHint() const override;
    QSize minimumSize() const override;
    void setGeometry(const QRect &rect) override;

    // The groupings to choose from, each the sizes of its consecutive groups ({3, 2}: the first
    // three widgets in a column, the next two in another). Without any: each widget on its own.
    void setGroupings(const QList<QList<int>> &groupings);

    // The width the widest visible widget asks for, with the margins.
    int widestItem() const;
    // The width that puts every visible widget on one row, with the margins.
    int oneRowWidth() const;

private:
    // Places the visible items in `rect` by the lowest grouping (only measures unless `apply`);
    // returns the height used.
    int place(const QRect &rect, bool apply) const;
    int placeGroups(const QRect &rect, const QList<int> &groups, bool apply) const;

    QList<QLayoutItem *> m_items;
    QList<QList<int>> m_groupings;
};
