#pragma once
// LessonOverlay — dims the window but for one view, which it outlines (a lesson's @point). It lets
// every mouse event through: the whole window stays usable during a step.

#include <QPointer>
#include <QWidget>

class LessonOverlay : public QWidget {
    Q_OBJECT

public:
    explicit LessonOverlay(QWidget *window);
    // The view to leave bright (nullptr: no overlay).
    void setTarget(QWidget *target);
    QWidget *target() const { return m_target; }
    // A widget never dimmed (the lesson's own panel).
    void setAlwaysBright(QWidget *w) { m_bright = w; }
    // The target's rectangle in the window's coordinates (empty when none or hidden).
    QRect targetRect() const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;

private:
    QPointer<QWidget> m_target;
    QPointer<QWidget> m_bright;
};
