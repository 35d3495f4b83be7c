#pragma once
// StepPanel — the current step's equation with the shape under every operand,
//
//   t = 3:   x_3 · Wx   +   h_2 · Wh   +   bh   →  tanh  →   h_3
//           (1×3)(3×5)     (1×5)(5×5)      (5)              (1×5)
//
// and the numbers of the selected sample: x_t, x_t·Wx, h_{t−1}·Wh, bh, the pre-activation a_t,
// h_t = tanh(a_t) and y_t, one aligned row each, like a worked example (vectors longer than
// kMaxNumbers show their first values and how many follow). An LSTM or a GRU shows one line per
// gate with its numbers and the shape of every operand under it:
//
//   f_3 = σ(x_3·W_f + h_2·U_f + b_f)          [ 0.5123 0.4875 … ]
//       (1×3)(3×5) + (1×5)(5×5) + (5)
//   c_3 = f_3⊙c_2 + i_3⊙g_3 …  h_3 = o_3⊙tanh(c_3)
//
// (core's workedStep, which the trace prints too). Self-painted: plain text rendering is cheap on
// every step.

#include "run/summary.h"

#include <QWidget>

class Session;

class StepPanel : public QWidget {
    Q_OBJECT

public:
    explicit StepPanel(Session *session, QWidget *parent = nullptr);

    // Vectors up to kMaxNumbers long are shown whole; longer ones by their first kShownNumbers.
    static constexpr int kMaxNumbers = 12;
    static constexpr int kShownNumbers = 8;

    // The text lines on show (the tests read them).
    QStringList lines() const { return m_lines; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    void rebuild();
    void rebuildGated(int t);
    int linesHeight() const;
    static QString rowText(const Eigen::RowVectorXd &v);

    Session *m_session;
    QStringList m_lines;       // equation, shapes, then one line per quantity
    QList<int> m_lineKinds;    // 0 equation, 1 shapes, 2 numbers, 3 note, 4 shapes under a line of numbers
};
