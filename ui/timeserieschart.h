#pragma once
// TimeSeriesChart — one quantity of the selected sample against t (Qt Charts), growing as the
// stepper advances, with a cursor at the current timestep:
//   Hidden  h_t[j] for the chosen hidden units j
//   Pre     a_t[j], the pre-activations
//   Output  y_t[k] for the outputs k
// At most kMaxSeries units are plotted (the user chooses which); a long history is decimated to
// one bucket per kPixelsPerBucket pixels of the plot (at most kMaxPoints buckets over 0 … T−1),
// each drawn as its minimum and maximum, so the envelope stays exact; the buckets are kept, so a
// step reads one bucket at T = 10⁶ as at T = 100, and a jump to the end reads every value once. NaN and ±Inf are not drawn as lines: they appear as markers on the
// chart's top (NaN, +Inf) or bottom (−Inf) edge.

#include "nn/cell.h"

#include <QChartView>
#include <QList>

class QLineSeries;
class QScatterSeries;
class QValueAxis;
class Session;

class TimeSeriesChart : public QChartView {
    Q_OBJECT

public:
    // Hidden: h_t; Pre: any quantity the cell records (cellQuantity(): a SimpleRNN's a_t, an LSTM's
    // gates and c_t, a GRU's gates and h̃); Output: y_t.
    enum class Quantity { Hidden, Pre, Output };
    static constexpr int kMaxSeries = 16;
    static constexpr int kMaxPoints = 200;
    static constexpr int kPixelsPerBucket = 5;
    // Above this T the lines are drawn thin and aliased (see applyStyle).
    static constexpr int kDenseT = 100;

    TimeSeriesChart(Session *session, Quantity quantity, QWidget *parent = nullptr);

    Quantity quantity() const { return m_quantity; }
    // Which of the cell's recorded quantities a Pre chart plots (Pre: a SimpleRNN's a_t). A quantity
    // the cell does not record falls back to its first one.
    void setCellQuantity(rnnscope::Quantity q);
    rnnscope::Quantity cellQuantity() const { return m_cellQuantity; }
    // The plotted units (indices j or k); empty chooses the first min(count, 8).
    void setUnits(const QList<int> &units);
    QList<int> units() const { return m_units; }
    // Whether the units are the default choice (setUnits({})), which follows M.
    bool autoUnits() const { return m_autoUnits; }
    // How many units the quantity has (M or K).
    int unitCount() const;

    // Whether the lines still grow towards the cursor after a long jump (read in slices).
    bool catchingUp() const { return m_catchingUp; }
    // The longest a slice reads (default 12 ms; 0: one bucket per slice).
    void setSliceBudget(int ms) { m_sliceMs = ms; }

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
    QFont textFont() const; // the widget's font, smaller where the chart is too small for it
    void updateTicks();

public:
    // Re-reads the palette and fonts (presentation mode, zoom).
    void restyle() { applyStyle(); }

private:
    double value(int n, int t, int unit) const;

    // One bucket of `stride` timesteps of one series: its extremes, and its first non-finite
    // values (NaN or +Inf on the top edge, −Inf on the bottom). The buckets of the steps on show
    // are kept, so that a step reads only its own bucket and a step back none.
    struct Bucket {
        int tMin = -1, tMax = -1;
        double vMin = 0, vMax = 0;
        int tTop = -1, tBottom = -1;
    };
    // Appends to every series the bucket of timesteps t0 … t1.
    void addBuckets(int n, int t0, int t1);
    QList<QList<Bucket>> m_buckets; // per series, buckets 0 … (shown position) / stride
    int m_bucketStride = 0;          // 0: nothing kept
    int m_bucketSample = -1;
    int m_bucketUpTo = -1;           // the last timestep the buckets cover
    bool m_catchingUp = false;       // a slice of a long jump is still to read
    int m_tickPlotWidth = -1;        // the plot width the x ticks were laid out for
    int m_sliceMs = 12;

    Session *m_session;
    Quantity m_quantity;
    rnnscope::Quantity m_cellQuantity = rnnscope::Quantity::Pre;
    QList<int> m_units;
    bool m_autoUnits = true;
    bool m_stale = true; // values changed while hidden
    double m_rangeLo = 0, m_rangeHi = 0; // the y range of unbounded quantities, grown as needed
    QList<QLineSeries *> m_series;
    QLineSeries *m_cursor = nullptr;
    QScatterSeries *m_markers = nullptr;
    QValueAxis *m_axisX = nullptr;
    QValueAxis *m_axisY = nullptr;
    qreal m_textSize = 0; // the point size the texts have (textFont)
    QMargins m_margins;   // the chart's own, kept while it is too low for them
};
