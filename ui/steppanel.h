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
// (core's workedStep, which the trace prints too). The last line gives the float32 − float64
// difference: the largest |h_t(float32) − h_t(float64)| of this step, of every step so far, and of
// y_t (Session::dtypeDifference), as the tutorial checks its NumPy loop against predict. Self-painted: plain text rendering is cheap on
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

    // The text lines on show (the tests read them), as built: one per equation, shape row or row
    // of numbers, however wide.
    QStringList lines() const { return m_lines; }
    // The lines as painted in `width` pixels: a line wider than that wraps — a row of numbers puts
    // its numbers under its label, an equation and its shapes break together between operands,
    // anything else at a space — with the continuation indented. Every line fits unless a single
    // word does not (presentation mode at 1280×720 shows an LSTM's step without clipping).
    QStringList visualLines(int width) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    // In a network: the layer and direction the step computes and its place in the schedule.
    QString whereInNetwork() const;
    void rebuild();
    void rebuildGated(int t);
    // The last line: the float32 − float64 difference of h_t, of the run so far and of y_t.
    void addDtypeLine(int t);
    static QString rowText(const Eigen::RowVectorXd &v);

    struct Visual {
        QString text;
        int kind;    // as m_lineKinds
        int logical; // the line of m_lines it shows (part of)
    };
    QList<Visual> layout(int width) const;
    int heightOf(const QList<Visual> &lines) const;
    QFont monoFont(bool bold = false) const;

    Session *m_session;
    QStringList m_lines;       // equation, shapes, then one line per quantity
    QList<int> m_lineKinds;    // 0 equation, 1 shapes, 2 numbers, 3 note, 4 shapes under a line of numbers
    QList<int> m_valuesAt;     // for a line of numbers, the column where its numbers start (else −1)
    QList<int> m_breaks;       // columns between the operands of the equation (kind 0) and its shapes (1)
};
