#pragma once
// DiagramWidget — the network unrolled in time:
//
//   h_{-1}=0 → [cell] → [cell] → … → [cell] → h_{T-1} → [Dense] → y
//                ↑        ↑              ↑
//               x_0      x_1     …     x_{T-1}
//
// Every arrow carries its shape in the current N, T, D, M, K; the current timestep is highlighted;
// with return_sequences every h_t goes up through the Dense layer to y_t (N,T,K overall), without
// it only h_{T-1} does (N,K). Long sequences fold their middle timesteps into "…", always keeping
// the current one. Clicking a timestep seeks to it.
//
// A network (Session::isNetwork) is drawn as the grid of its layers × time instead
// (networkdiagram.cpp): clicking a cell shows that layer and direction at that step.

#include <QWidget>

class QPainter;

class Session;

class DiagramWidget : public QWidget {
    Q_OBJECT

public:
    explicit DiagramWidget(Session *session, QWidget *parent = nullptr);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    // "(2, 10, 3)", and an arrow with its head at `to`: what every arrow of the diagrams is drawn with.
    static QString shapeText(std::initializer_list<int> dims);
    static void drawArrow(QPainter &p, QPointF from, QPointF to, qreal head);

    // The columns of T timesteps in `fit` columns around `cur`: all of them, or the first two, cur
    // with a neighbour each side and the last (else the first, cur and the last), −1 for "…".
    static QList<int> foldedColumns(int T, int cur, int fit);

    // The timesteps drawn as columns (−1 marks the folded "…" column).
    QList<int> visibleTimesteps() const;
    // A network's grid: where the broken stack's fix button is (empty when the stack builds).
    QRectF fixButton() const { return m_fixRect; }
    // The centre of the grid's cell of layer l, direction d at time t (for tests; null when folded).
    QPointF gridCell(int layer, int direction, int t) const;

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    struct Grid;
    Grid layoutGrid() const;
    void paintGrid(QPainter &p);
    bool gridClick(QPointF at);
    // The grid's column of the step on show (a backward direction's step s is at time T−1−s).
    int gridColumn(int t) const;
    QRectF m_fixRect;
    struct Geometry;
    Geometry layoutColumns() const;
    // The width one timestep's column needs (its cell holds "t=<the last timestep>").
    qreal columnWidth() const;
    qreal outputColumnWidth() const; // from the last step's cell to the right edge
    qreal outputWidth() const;       // the Dense box (or the sequence's labels)

    Session *m_session;
};
