#pragma once
// TimeSeriesChart — one quantity of the selected sample against t (Qt Charts), growing as the
// stepper advances, with a cursor at the current timestep:
//   Hidden  h_t[j] for the chosen hidden units j
//   Pre     a_t[j], the pre-activations
//   Output  y_t[k] for the outputs k
// At most kMaxSeries units are plotted (the user chooses which); a long history is decimated to
// one bucket per kPixelsPerBucket pixels of the plot (at most kMaxPoints buckets), each drawn as
// its minimum and maximum, so the envelope stays exact and a step costs the same at T = 10⁵ as
// at T = 100. NaN and ±Inf are not drawn as lines: they appear as markers on the
// chart's top (NaN, +Inf) or bottom (−Inf) edge.

#include <QChartView>
#include <QList>

class QLineSeries;
class QScatterSeries;
class QValueAxis;
class Session;

class TimeSeriesChart : public QChartView {
    Q_OBJECT

public:
    enum class Quantity { Hidden, Pre, Output };
    static constexpr int kMaxSeries = 16;
    static constexpr int kMaxPoints = 200;
    static constexpr int kPixelsPerBucket = 5;
    // Above this T the lines are drawn thin and aliased (see applyStyle).
    static constexpr int kDenseT = 100;

    TimeSeriesChart(Session *session, Quantity quantity, QWidget *parent = nullptr);

    Quantity quantity() const { return m_quantity; }
    // The plotted units (indices j or k); empty chooses the first min(count, 8).
    void setUnits(const QList<int> &units);
    QList<int> units() const { return m_units; }
    // Whether the units are the default choice (setUnits({})), which follows M.
    bool autoUnits() const { return m_autoUnits; }
    // How many units the quantity has (M or K).
    int unitCount() const;

    // For the tests: the points of series i, and the cursor's x.
    QList<QPointF> seriesPoints(int i) const;
    qreal cursorX() const;
    int markerCount() const;

    // Parses "0-7, 12" into unit indices in [0, count). Throws nothing: a bad entry sets `error`.
    static QList<int> parseUnits(const QString &text, int count, QString *error);
    static QString unitsText(const QList<int> &units);

signals:
    void unitsChanged(const QList<int> &units);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void rebuildSeries();   // structure or units changed
    void refresh();         // values or position changed
    void refreshWithNewRange(); // values changed: the y range may shrink again
    void applyStyle();
    void updateTicks();

public:
    // Re-reads the palette and fonts (presentation mode, zoom).
    void restyle() { applyStyle(); }

private:
    double value(int n, int t, int unit) const;

    Session *m_session;
    Quantity m_quantity;
    QList<int> m_units;
    bool m_autoUnits = true;
    bool m_stale = true; // values changed while hidden
    double m_rangeLo = 0, m_rangeHi = 0; // the y range of unbounded quantities, grown as needed
    QList<QLineSeries *> m_series;
    QLineSeries *m_cursor = nullptr;
    QScatterSeries *m_markers = nullptr;
    QValueAxis *m_axisX = nullptr;
    QValueAxis *m_axisY = nullptr;
};
