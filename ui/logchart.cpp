#include "logchart.h"

#include "palette.h"

#include <QChart>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

LogChart::LogChart(const QString &xTitle, const QString &yTitle, QWidget *parent)
    : QChartView(new QChart, parent)
    , m_axisX(new QValueAxis(this))
    , m_axisY(new QLogValueAxis(this))
{
    setRenderHint(QPainter::Antialiasing);
    chart()->legend()->setAlignment(Qt::AlignTop);
    chart()->setMargins(QMargins(2, 2, 2, 2));
    m_axisX->setTitleText(xTitle);
    m_axisX->setLabelFormat(QStringLiteral("%g"));
    m_axisY->setTitleText(yTitle);
    m_axisY->setBase(10);
    m_axisY->setLabelFormat(QStringLiteral("%g")); // 0.01, 1, 1e+06: short where the values are
    m_axisY->setMinorTickCount(-1);
    chart()->addAxis(m_axisX, Qt::AlignBottom);
    chart()->addAxis(m_axisY, Qt::AlignLeft);
    m_axisX->setRange(0, 1);
    m_axisY->setRange(1e-3, 1);
    restyle();
}

int LogChart::addSeries(const QString &name, const QColor &color, Qt::PenStyle style, bool setsRange)
{
    auto *s = new QLineSeries(this);
    s->setName(name);
    chart()->addSeries(s);
    s->attachAxis(m_axisX);
    s->attachAxis(m_axisY);
    m_series << s;
    m_colors << color;
    m_styles << style;
    m_setsRange << setsRange;
    restyle();
    return int(m_series.size()) - 1;
}

void LogChart::setSeriesName(int i, const QString &name)
{
    m_series.at(i)->setName(name);
}

void LogChart::setPoints(int i, const QList<QPointF> &points)
{
    QList<QPointF> shown;
    shown.reserve(points.size());
    for (const QPointF &p : points)
        if (std::isfinite(p.y()) && p.y() > 0 && std::isfinite(p.x()))
            shown << p;
    m_series.at(i)->replace(shown);
    rescale();
}

QList<QPointF> LogChart::points(int i) const
{
    return m_series.at(i)->points();
}

void LogChart::setXRange(double lo, double hi)
{
    m_fixedX = true;
    m_axisX->setRange(lo, hi > lo ? hi : lo + 1);
    tickX();
}

void LogChart::tickX()
{
    // Ticks at 0 and every 1, 2 or 5 × 10ᵏ (integers: steps and timesteps), at most about 8.
    const double span = m_axisX->max() - m_axisX->min();
    // as many as labels of 5 digits fit side by side
    const double plot = chart()->plotArea().width() > 0 ? chart()->plotArea().width() : 0.8 * width();
    const double most = std::clamp(plot / (7.0 * fontMetrics().averageCharWidth()), 2.0, 8.0);
    double step = 1;
    for (int i = 0; span / step > most; ++i) // 2, 5, 10, 20, 50, 100, …
        step = (i % 3 == 0 ? 2 : i % 3 == 1 ? 5 : 10) * std::pow(10.0, i / 3);
    m_axisX->setTickType(QValueAxis::TicksDynamic);
    m_axisX->setTickAnchor(0);
    m_axisX->setTickInterval(step);
    m_axisX->setLabelFormat(QStringLiteral("%.0f"));
}

void LogChart::setTitle(const QString &title)
{
    chart()->setTitle(title);
}

std::pair<double, double> LogChart::yRange() const
{
    return {m_axisY->min(), m_axisY->max()};
}

void LogChart::rescale()
{
    double lo = std::numeric_limits<double>::infinity(), hi = 0, xlo = lo, xhi = -lo;
    for (int i = 0; i < m_series.size(); ++i)
        for (const QPointF &p : m_series[i]->points()) {
            xlo = std::min(xlo, p.x());
            xhi = std::max(xhi, p.x());
            if (!m_setsRange[i])
                continue;
            lo = std::min(lo, p.y());
            hi = std::max(hi, p.y());
        }
    if (!(hi > 0))
        return;
    // Whole decades around what is drawn; a span of many decades labels every k-th.
    const double a = std::pow(10.0, std::floor(std::log10(lo))), b = std::pow(10.0, std::ceil(std::log10(hi)));
    m_axisY->setRange(a, b > a ? b : a * 10);
    const int decades = int(std::lround(std::log10(m_axisY->max() / m_axisY->min())));
    m_axisY->setBase(decades > 8 ? std::pow(10.0, std::ceil(decades / 8.0)) : 10.0);
    // Minor ticks only between decades: Qt Charts draws base − 2 of them per major tick, and a base
    // of 10⁴ would ask for tens of thousands (the window froze drawing them).
    m_axisY->setMinorTickCount(decades > 8 ? 0 : -1);
    if (!m_fixedX) {
        m_axisX->setRange(xlo, xhi > xlo ? xhi : xlo + 1);
        tickX();
    }
}

void LogChart::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    tickX();
}

void LogChart::restyle()
{
    const ViewPalette &pal = ViewPalette::current();
    for (int i = 0; i < m_series.size(); ++i)
        m_series[i]->setPen(QPen(m_colors[i], 2.0 * pal.lineWidth, m_styles[i]));
    chart()->setTitleFont(font());
    chart()->legend()->setFont(font());
    m_axisX->setLabelsFont(font());
    m_axisY->setLabelsFont(font());
    m_axisX->setTitleFont(font());
    m_axisY->setTitleFont(font());
}
