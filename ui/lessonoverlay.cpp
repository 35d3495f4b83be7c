#include "lessonoverlay.h"

#include "palette.h"

#include <QEvent>
#include <QPainter>

LessonOverlay::LessonOverlay(QWidget *window)
    : QWidget(window)
{
    setAttribute(Qt::WA_TransparentForMouseEvents);
    setAttribute(Qt::WA_NoSystemBackground);
    setFocusPolicy(Qt::NoFocus);
    window->installEventFilter(this);
    hide();
}

void LessonOverlay::setTarget(QWidget *target)
{
    if (m_target)
        m_target->removeEventFilter(this);
    m_target = target;
    if (target) {
        target->installEventFilter(this); // follows its moves and resizes
        setGeometry(parentWidget()->rect());
        raise();
        show();
    } else {
        hide();
    }
    update();
}

QRect LessonOverlay::targetRect() const
{
    if (!m_target || !m_target->isVisible())
        return QRect();
    return QRect(m_target->mapTo(parentWidget(), QPoint(0, 0)), m_target->size());
}

bool LessonOverlay::eventFilter(QObject *watched, QEvent *event)
{
    switch (event->type()) {
    case QEvent::Resize:
    case QEvent::Move:
    case QEvent::Show:
    case QEvent::Hide:
    case QEvent::LayoutRequest:
        if (watched == parentWidget())
            setGeometry(parentWidget()->rect());
        if (isVisible()) {
            raise();
            update();
        }
        break;
    default: break;
    }
    return QWidget::eventFilter(watched, event);
}

void LessonOverlay::paintEvent(QPaintEvent *)
{
    const QRect bright = targetRect();
    if (bright.isEmpty())
        return;
    QPainter p(this);
    // Everything but the view and the lesson's panel, dimmed (a region: exact at the edges).
    QRegion dim(rect());
    dim -= QRegion(bright.adjusted(-3, -3, 3, 3));
    if (m_bright && m_bright->isVisible())
        dim -= QRegion(QRect(m_bright->mapTo(parentWidget(), QPoint(0, 0)), m_bright->size()));
    p.setClipRegion(dim);
    p.fillRect(rect(), QColor(0, 0, 0, 110));
    p.setClipping(false);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(ViewPalette::current().highlight, 3 * ViewPalette::current().lineWidth));
    p.drawRoundedRect(QRectF(bright).adjusted(-2.5, -2.5, 2.5, 2.5), 4, 4);
}
