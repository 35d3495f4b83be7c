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

#include <QWidget>

class Session;

class DiagramWidget : public QWidget {
    Q_OBJECT

public:
    explicit DiagramWidget(Session *session, QWidget *parent = nullptr);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    // The timesteps drawn as columns (−1 marks the folded "…" column).
    QList<int> visibleTimesteps() const;

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    struct Geometry;
    Geometry layoutColumns() const;
    // The width one timestep's column needs (its cell holds "t=<the last timestep>").
    qreal columnWidth() const;
    qreal outputColumnWidth() const; // from the last step's cell to the right edge
    qreal outputWidth() const;       // the Dense box (or the sequence's labels)

    Session *m_session;
};
