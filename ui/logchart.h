#pragma once
// LogChart — lines over a log-scaled y axis (Qt Charts): the loss curves of training and the
// gradient norms over t. Values that a log axis cannot show (≤ 0, NaN, ±Inf) are left out of the
// line; the y range spans whole decades around what is drawn.

#include <QChartView>
#include <QList>
#include <QPointF>

class QLineSeries;
class QLogValueAxis;
class QValueAxis;

class LogChart : public QChartView {
    Q_OBJECT

public:
    LogChart(const QString &xTitle, const QString &yTitle, QWidget *parent = nullptr);

    // A line named `name` (the legend's text); its index. A reference line (`sets range` false) is
    // drawn within the range the others span, and clipped there.
    int addSeries(const QString &name, const QColor &color, Qt::PenStyle style = Qt::SolidLine, bool setsRange = true);
    void setSeriesName(int i, const QString &name);
    void setPoints(int i, const QList<QPointF> &points);
    QList<QPointF> points(int i) const; // as drawn (non-positive and non-finite values left out)
    // The x range (default: what the points span).
    void setXRange(double lo, double hi);
    void setTitle(const QString &title);
    // The y axis's range now (for the tests).
    std::pair<double, double> yRange() const;
    // Re-reads the palette and fonts (presentation mode, zoom).
    void restyle();

protected:
    void resizeEvent(QResizeEvent *event) override; // the ticks that fit

private:
    void rescale();
    void tickX();

    QList<QLineSeries *> m_series;
    QList<QColor> m_colors;
    QList<Qt::PenStyle> m_styles;
    QList<bool> m_setsRange;
    QValueAxis *m_axisX;
    QLogValueAxis *m_axisY;
    bool m_fixedX = false;
};
