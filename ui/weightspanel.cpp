#include "weightspanel.h"

#include "flowlayout.h"
#include "matrixview.h"
#include "session.h"

#include <QEvent>

#include <algorithm>

using Source = MatrixTableModel::Source;

WeightsPanel::WeightsPanel(Session *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_flow(new FlowLayout(this))
{
    m_flow->setContentsMargins(4, 4, 4, 4);
    m_flow->setSpacing(10);
    for (Source s : {Source::Wx, Source::Wh, Source::bh, Source::Wo, Source::bo}) {
        auto *view = new MatrixView(session, s, this);
        view->model()->setLongRowHeaders(false); // the full names are in the tooltips
        m_views << view;
        m_flow->addWidget(view);
    }
    // Each matrix on its own (an LSTM's wide kernels, one under the other), or the recurrent
    // layer's in one column and the Dense layer's in the next: whichever is lower.
    m_flow->setGroupings({{1, 1, 1, 1, 1}, {3, 2}});
    connect(session, &Session::structureChanged, this, &WeightsPanel::arrange);
    connect(session, &Session::layoutChanged, this, &WeightsPanel::arrange);
    arrange();
}

int WeightsPanel::widestView() const
{
    return m_flow->widestItem();
}

int WeightsPanel::readableWidth() const
{
    int widest = 0;
    for (const MatrixView *v : m_views)
        if (v->isVisibleTo(this))
            widest = std::max(widest, v->readableWidth());
    const QMargins m = m_flow->contentsMargins();
    return widest + m.left() + m.right();
}

int WeightsPanel::heightAt(int width) const
{
    return m_flow->heightForWidth(width);
}

void WeightsPanel::arrange()
{
    // No Dense layer: no Wo, no bo.
    const bool dense = m_session->dims().K > 0;
    bool changed = false;
    for (MatrixView *v : {m_views[3], m_views[4]})
        if (v->isVisibleTo(this) != dense) {
            v->setVisible(dense);
            changed = true;
        }
    // One-line headers where the table is wider than the header written on one line, and the
    // panel has that width.
    for (MatrixView *v : std::as_const(m_views)) {
        const bool compact = v->headerWidth(true) <= std::min(v->contentWidth(), width());
        changed = changed || compact != v->compactHeader();
        v->setCompactHeader(compact);
    }
    if (changed) {
        m_flow->invalidate();
        updateGeometry();
    }
}

void WeightsPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange)
        arrange();
    QWidget::changeEvent(event);
}

void WeightsPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    arrange();
    // In its scroll area: as tall as the rows are at this width (a scroll area does not ask).
    setMinimumHeight(heightAt(width()));
}
