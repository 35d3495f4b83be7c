#pragma once
// WeightsPanel — the weights dock's contents: Wx, Wh, bh, Wo, bo, each a MatrixView, laid out to
// fit the dock's width (FlowLayout: side by side while they fit, then on the next row, or the
// recurrent layer's in a column beside the Dense layer's, whichever is lower), each at the
// size that shows all its cells and its title, axes and legend whole. A matrix whose table is wider
// than its header text on one line (an LSTM's (3, 20) kernel) writes its title, axes and legend on
// one line, two lines fewer. Without a Dense layer (K = 0) Wo and bo are not shown: they give their
// room away.

#include <QList>
#include <QWidget>

class FlowLayout;
class MatrixView;
class Session;

class WeightsPanel : public QWidget {
    Q_OBJECT

public:
    explicit WeightsPanel(Session *session, QWidget *parent = nullptr);

    // Wx, Wh, bh, Wo, bo.
    QList<MatrixView *> views() const { return m_views; }
    // The width that shows the widest matrix whole (its table at full-text columns, its header),
    // and the height the matrices take at a width.
    int widestView() const;
    int heightAt(int width) const;
    // The narrowest width at which each matrix still shows every cell with its text.
    int readableWidth() const;

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void arrange();

    Session *m_session;
    FlowLayout *m_flow;
    QList<MatrixView *> m_views;
};
