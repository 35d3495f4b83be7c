#include "timeserieschart.h"

#include "palette.h"
#include "session.h"

#include <QChart>
#include <QElapsedTimer>
#include <QFontMetrics>
#include <QTimer>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QValueAxis>

#include <cmath>
#include <limits>

using namespace rnnscope;

TimeSeriesChart::TimeSeriesChart(Session *session, Quantity quantity, QWidget *parent)
    : QChartView(new QChart, parent)
    , m_session(session)
    , m_quantity(quantity)
{
    chart()->legend()->setAlignment(Qt::AlignRight);
    chart()->setMargins(QMargins(4, 4, 4, 4));
    chart()->setBackgroundRoundness(0);
    chart()->setAnimationOptions(QChart::NoAnimation);
    m_axisX = new QValueAxis(this);
    m_axisY = new QValueAxis(this);
    m_axisX->setLabelFormat(QStringLiteral("%d"));
    m_axisX->setTitleText(QStringLiteral("t"));
    chart()->addAxis(m_axisX, Qt::AlignBottom);
    chart()->addAxis(m_axisY, Qt::AlignLeft);
    connect(session, &Session::structureChanged, this, &TimeSeriesChart::rebuildSeries);
    connect(session, &Session::stepChanged, this, &TimeSeriesChart::refresh);
    connect(session, &Session::sampleChanged, this, &TimeSeriesChart::refreshWithNewRange);
    connect(session, &Session::weightsChanged, this, &TimeSeriesChart::refreshWithNewRange);
    connect(session, &Session::inputChanged, this, &TimeSeriesChart::refreshWithNewRange);
    rebuildSeries();
}

void TimeSeriesChart::updateTicks()
{
    // Round intervals (1, 2, 5 × 10^k), labels at least 70 pixels apart and never closer than
    // the widest label ("999999") and two characters: a narrow chart of a long sequence gets
    // fewer labels instead of elided ones.
    const int T = m_session->dims().T;
    const QFontMetrics fm(m_axisX->labelsFont());
    const double label = fm.horizontalAdvance(QString::number(std::max(1, T - 1))) + 2 * fm.averageCharWidth();
    const double plot = chart()->plotArea().width() > 0 ? chart()->plotArea().width() : 0.6 * width();
    const double wanted = std::max(1.0, plot / std::max(70.0, label));
    m_tickPlotWidth = int(chart()->plotArea().width());
    const double raw = std::max(1.0, (T - 1) / wanted);
    const double base = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw <= base ? base : raw <= 2 * base ? 2 * base : raw <= 5 * base ? 5 * base : 10 * base;
    m_axisX->setTickType(QValueAxis::TicksDynamic);
    m_axisX->setTickAnchor(0);
    m_axisX->setTickInterval(step);
}

void TimeSeriesChart::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    // Squeezed (zoomed in on a small screen), the texts shrink rather than Qt Charts eliding them.
    if (const QFont text = textFont(); text.pointSizeF() != m_textSize
        || chart()->legend()->isVisible() != (height() >= 12 * QFontMetricsF(text).height()))
        applyStyle();
    updateTicks();
}

QFont TimeSeriesChart::textFont() const
{
    // About thirteen lines of text from top to bottom, seven columns of "−0.55" across.
    QFont f = font();
    const QFontMetricsF fm(f);
    const qreal fit = std::min({1.0, height() / (13.0 * fm.height()), width() / (7.0 * fm.horizontalAdvance(QStringLiteral("\u22120.55")))});
    if (fit < 1.0)
        f.setPointSizeF(std::max(6.0, std::floor(f.pointSizeF() * fit)));
    return f;
}

int TimeSeriesChart::unitCount() const
{
    return m_quantity == Quantity::Output ? m_session->dims().K : m_session->dims().M;
}

void TimeSeriesChart::setUnits(const QList<int> &units)
{
    m_autoUnits = units.isEmpty();
    m_units = units;
    rebuildSeries();
    emit unitsChanged(m_units);
}

double TimeSeriesChart::value(int n, int t, int unit) const
{
    switch (m_quantity) {
    case Quantity::Hidden: return m_session->hiddenValue(n, t, unit);
    case Quantity::Pre: return m_session->model().quantityAt(m_cellQuantity, n, t, unit);
    case Quantity::Output: return m_session->outputValue(n, t, unit);
    }
    return 0;
}

void TimeSeriesChart::setCellQuantity(rnnscope::Quantity q)
{
    m_cellQuantity = q;
    rebuildSeries();
}

void TimeSeriesChart::rebuildSeries()
{
    const int count = unitCount();
    if (m_quantity == Quantity::Pre) {
        const std::vector<rnnscope::Quantity> recorded = recordedQuantities(m_session->config().kind);
        if (std::find(recorded.begin(), recorded.end(), m_cellQuantity) == recorded.end())
            m_cellQuantity = recorded.front();
    }
    QList<int> units;
    for (int u : std::as_const(m_units))
        if (u < count && units.size() < kMaxSeries)
            units << u;
    if (m_autoUnits || units.isEmpty())
        for (units.clear(); units.size() < std::min(count, 8); )
            units << int(units.size());
    const bool changed = units != m_units;
    m_units = units;

    for (QLineSeries *s : std::as_const(m_series)) {
        chart()->removeSeries(s);
        delete s;
    }
    m_series.clear();
    if (!m_cursor) {
        m_cursor = new QLineSeries(this);
        m_cursor->setName(QStringLiteral("t"));
        m_markers = new QScatterSeries(this);
        m_markers->setName(tr("NaN / ±Inf"));
        m_markers->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
        chart()->addSeries(m_cursor);
        chart()->addSeries(m_markers);
        for (QAbstractSeries *s : {static_cast<QAbstractSeries *>(m_cursor), static_cast<QAbstractSeries *>(m_markers)}) {
            s->attachAxis(m_axisX);
            s->attachAxis(m_axisY);
        }
    }
    const QString prefix = m_quantity == Quantity::Hidden ? QStringLiteral("h[%1]")
        : m_quantity == Quantity::Pre ? QString::fromUtf8(quantitySymbol(m_cellQuantity)) + QStringLiteral("[%1]")
                                      : QStringLiteral("y[%1]");
    for (int u : std::as_const(m_units)) {
        auto *s = new QLineSeries(this);
        s->setName(prefix.arg(u));
        chart()->addSeries(s);
        s->attachAxis(m_axisX);
        s->attachAxis(m_axisY);
        m_series << s;
    }
    // The cursor and the markers stay on top and last in the legend.
    chart()->legend()->markers(m_cursor).value(0)->setVisible(false);
    chart()->legend()->markers(m_markers).value(0)->setVisible(false);
    const Dims &d = m_session->dims();
    updateTicks(); // the interval first: a range of 10⁶ with the old interval would make 10⁶ ticks
    m_axisX->setRange(0, std::max(1, d.T - 1));
    const QString title = m_quantity == Quantity::Hidden ? tr("hidden state h_t[j]")
        : m_quantity == Quantity::Pre ? QStringLiteral("%1 %2_t[j]").arg(QLatin1String(quantityName(m_cellQuantity)),
                                                                     QString::fromUtf8(quantitySymbol(m_cellQuantity)))
                                      : tr("output y_t[k]");
    chart()->setTitle(count == 0 ? tr("no Dense layer (K = 0): the output is h_t") : title);
    applyStyle();
    refreshWithNewRange();
    if (changed)
        emit unitsChanged(m_units);
}

void TimeSeriesChart::addBuckets(int n, int t0, int t1)
{
    // Timestep outer, series inner: the values of one timestep lie together in memory.
    const int count = int(m_series.size());
    QList<Bucket> next(count);
    for (int t = t0; t <= t1; ++t) {
        for (int i = 0; i < count; ++i) {
            Bucket &k = next[i];
            const double v = value(n, t, m_units[i]);
            if (!std::isfinite(v)) {
                int &edge = std::isinf(v) && v < 0 ? k.tBottom : k.tTop;
                if (edge < 0)
                    edge = t;
                continue;
            }
            if (k.tMin < 0 || v < k.vMin) {
                k.vMin = v;
                k.tMin = t;
            }
            if (k.tMax < 0 || v > k.vMax) {
                k.vMax = v;
                k.tMax = t;
            }
        }
    }
    for (int i = 0; i < count; ++i)
        m_buckets[i] << next[i];
}

void TimeSeriesChart::applyStyle()
{
    const ViewPalette &pal = ViewPalette::current();
    // Short sequences: smooth, thick lines. Long ones: hundreds of segments per unit, drawn with
    // thin aliased pens, which the raster engine draws without stroking (a step of T = 1000 then
    // costs about a third as much).
    const bool dense = m_session->dims().T > kDenseT;
    setRenderHint(QPainter::Antialiasing, !dense);
    for (int i = 0; i < m_series.size(); ++i) {
        QPen pen(pal.seriesColor(i), (dense ? 1.0 : 2.0) * pal.lineWidth);
        m_series[i]->setPen(pen);
    }
    QPen cursorPen(pal.cursor, 1.5 * pal.lineWidth, Qt::DashLine);
    m_cursor->setPen(cursorPen);
    m_markers->setColor(QColor(0x55, 0x55, 0x55));
    m_markers->setBorderColor(Qt::black);
    m_markers->setMarkerSize(6 + 4 * pal.lineWidth);
    const QFont text = textFont();
    m_textSize = text.pointSizeF();
    chart()->setTitleFont(text);
    chart()->legend()->setFont(text);
    // Too low for its legend beside the plot (the units are named by the units box) and its
    // margins: the plot keeps the room, and its axes their labels.
    const bool roomy = height() >= 12 * QFontMetricsF(text).height();
    chart()->legend()->setVisible(roomy);
    if (m_margins.isNull())
        m_margins = chart()->margins();
    chart()->setMargins(roomy ? m_margins : QMargins(2, 2, 2, 2));
    m_axisX->setLabelsFont(text);
    m_axisY->setLabelsFont(text);
}

void TimeSeriesChart::refreshWithNewRange()
{
    m_bucketStride = 0; // new values: the kept buckets go
    m_rangeLo = std::numeric_limits<double>::infinity();
    m_rangeHi = -std::numeric_limits<double>::infinity();
    refresh();
}

void TimeSeriesChart::showEvent(QShowEvent *event)
{
    QChartView::showEvent(event);
    if (m_stale)
        refresh();
}

void TimeSeriesChart::refresh()
{
    // A chart nobody sees (a hidden tab, a closed dock) catches up when it is shown.
    if (!isVisible()) {
        m_stale = true;
        return;
    }
    m_stale = false;
    if (int(chart()->plotArea().width()) != m_tickPlotWidth)
        updateTicks(); // the legend or the y labels took another width
    const int pos = m_session->position();
    const int n = m_session->sample();
    // The activation that bounds what is plotted: a gate's σ, the candidate's act; a_t and c_t
    // have none.
    const ModelConfig &config = m_session->config();
    const rnnscope::Quantity q = m_cellQuantity;
    const bool gate = rnnscope::usesRecurrentActivation(q);
    const bool candidate = rnnscope::gateBlock(q) >= 0 && !gate;
    const Activation act = m_quantity == Quantity::Output ? config.dense
        : m_quantity == Quantity::Hidden                  ? config.cell
        : gate                                            ? config.recurrent
                                                          : config.cell;
    const bool bounded = (m_quantity != Quantity::Pre || gate || candidate)
        && (act == Activation::Tanh || act == Activation::Sigmoid || act == Activation::Softmax
            || act == Activation::HardSigmoid || act == Activation::HardSigmoidKeras2);
    double lo = bounded ? (act == Activation::Tanh ? -1.0 : 0.0) : -1.0;
    double hi = 1.0;
    const int buckets = std::clamp(int(chart()->plotArea().width()) / kPixelsPerBucket, 20, int(kMaxPoints));
    const int T = m_session->dims().T;
    const int stride = std::max(1, (T + buckets - 1) / buckets);

    // The buckets: those before the one holding min(pos, last covered + 1) are kept.
    if (stride != m_bucketStride || n != m_bucketSample || m_buckets.size() != m_series.size()) {
        m_buckets = QList<QList<Bucket>>(m_series.size());
        m_bucketStride = stride;
        m_bucketSample = n;
        m_bucketUpTo = -1;
    }
    const int keep = pos < 0 ? 0 : std::min(pos, m_bucketUpTo + 1) / stride;
    for (QList<Bucket> &list : m_buckets)
        list.resize(std::min<qsizetype>(list.size(), keep));
    // A long jump (a million new timesteps) is read in slices of a few milliseconds, the event
    // loop running between them: the lines grow to the cursor within a few frames.
    QElapsedTimer slice;
    slice.start();
    int b = keep;
    while (b * stride <= pos && (b == keep || slice.elapsed() < m_sliceMs)) {
        addBuckets(n, b * stride, std::min(pos, b * stride + stride - 1));
        ++b;
    }
    const bool done = b * stride > pos;
    m_bucketUpTo = done ? pos : b * stride - 1;
    if (!done && !m_catchingUp) {
        m_catchingUp = true;
        QTimer::singleShot(0, this, [this] {
            m_catchingUp = false;
            refresh();
        });
    }

    // Per series, the points to draw (bucket extremes when decimated); bad values as markers.
    QList<QList<QPointF>> lines(m_series.size());
    QList<QPointF> bad;
    QList<int> badSign; // +1 top, −1 bottom
    for (int i = 0; i < m_series.size(); ++i) {
        QList<QPointF> &pts = lines[i];
        pts.reserve(2 * m_buckets[i].size());
        for (const Bucket &k : std::as_const(m_buckets[i])) {
            for (const auto &[t, sign] : {std::pair{k.tTop, 1}, std::pair{k.tBottom, -1}})
                if (t >= 0) {
                    bad << QPointF(t, 0);
                    badSign << sign;
                }
            if (k.tMin < 0)
                continue;
            if (!bounded) {
                lo = std::min(lo, k.vMin);
                hi = std::max(hi, k.vMax);
            }
            if (k.tMin == k.tMax)
                pts << QPointF(k.tMin, k.vMin);
            else if (k.tMin < k.tMax)
                pts << QPointF(k.tMin, k.vMin) << QPointF(k.tMax, k.vMax);
            else
                pts << QPointF(k.tMax, k.vMax) << QPointF(k.tMin, k.vMin);
        }
    }
    const double margin = 0.05 * (hi - lo);
    lo -= margin;
    hi += margin;
    if (!bounded) {
        // Round outwards and only ever grow (until the model changes): the axis, and the layout of
        // its labels, then change a few times per sequence instead of at every new extreme.
        const double step = std::pow(10.0, std::floor(std::log10(hi - lo))) / 2;
        lo = std::min(std::floor(lo / step) * step, m_rangeLo);
        hi = std::max(std::ceil(hi / step) * step, m_rangeHi);
        m_rangeLo = lo;
        m_rangeHi = hi;
    }
    if (m_axisY->min() != lo || m_axisY->max() != hi)
        m_axisY->setRange(lo, hi);
    for (int i = 0; i < m_series.size(); ++i)
        m_series[i]->replace(lines[i]);
    for (int i = 0; i < bad.size(); ++i)
        bad[i].setY(badSign[i] > 0 ? hi : lo);
    if (!bad.isEmpty() || m_markers->count() > 0)
        m_markers->replace(bad);
    if (pos >= 0)
        m_cursor->replace({QPointF(pos, lo), QPointF(pos, hi)});
    else
        m_cursor->clear();
}

QList<QPointF> TimeSeriesChart::seriesPoints(int i) const
{
    return m_series.value(i) ? m_series[i]->points() : QList<QPointF>();
}

qreal TimeSeriesChart::cursorX() const
{
    return m_cursor->count() ? m_cursor->at(0).x() : -1;
}

int TimeSeriesChart::markerCount() const
{
    return m_markers->count();
}

QList<int> TimeSeriesChart::parseUnits(const QString &text, int count, QString *error)
{
    QList<int> units;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QStringList range = part.trimmed().split(QLatin1Char('-'));
        bool ok1 = false, ok2 = true;
        const int a = range.value(0).trimmed().toInt(&ok1);
        const int b = range.size() == 2 ? range.value(1).trimmed().toInt(&ok2) : a;
        if (range.size() > 2 || !ok1 || !ok2 || a < 0 || b < a || b >= count) {
            if (error)
                *error = tr("'%1' is not a unit or range of units in 0 … %2").arg(part.trimmed()).arg(count - 1);
            return {};
        }
        for (int u = a; u <= b && units.size() < kMaxSeries; ++u)
            if (!units.contains(u))
                units << u;
    }
    if (units.isEmpty() && error)
        *error = tr("no unit given: expected indices or ranges such as 0-7, 12");
    return units;
}

QString TimeSeriesChart::unitsText(const QList<int> &units)
{
    QStringList parts;
    for (int i = 0; i < units.size();) {
        int j = i;
        while (j + 1 < units.size() && units[j + 1] == units[j] + 1)
            ++j;
        parts << (j > i ? QStringLiteral("%1-%2").arg(units[i]).arg(units[j]) : QString::number(units[i]));
        i = j + 1;
    }
    return parts.join(QStringLiteral(", "));
}
