#pragma once
// SpectrumView — the spectrum of the recurrent kernel (DESIGN §4 Gradients): the eigenvalues of
// each of its M × M gate blocks in the complex plane with the unit circle, each block's spectral
// radius ρ and largest singular value σ_max written out, and "Scale Wh" — one undoable command that
// multiplies the recurrent kernel, so that a teacher moves ρ below 1 (gradients vanish) or above
// it (they can explode) in one move.

#include <QWidget>

#include <complex>
#include <vector>

class QDoubleSpinBox;
class QLabel;
class QPushButton;
class Session;

class SpectrumPlot : public QWidget {
    Q_OBJECT
public:
    explicit SpectrumPlot(Session *session, QWidget *parent = nullptr);
    QSize sizeHint() const override { return {360, 300}; }
    QSize minimumSizeHint() const override { return {160, 140}; }
    // The half-width of the plotted square (at least 1.2: the unit circle always shows).
    double extent() const;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    Session *m_session;
};

class SpectrumView : public QWidget {
    Q_OBJECT

public:
    explicit SpectrumView(Session *session, QWidget *parent = nullptr);
    SpectrumPlot *plot() const { return m_plot; }
    QDoubleSpinBox *factor() const { return m_factor; }
    QPushButton *scaleButton() const { return m_scale; }
    // The text of ρ and σ_max per block, as shown.
    QString summaryText() const;

protected:
    void showEvent(QShowEvent *event) override;

private:
    void changed();
    void refresh();

    Session *m_session;
    SpectrumPlot *m_plot;
    QLabel *m_summary;
    QDoubleSpinBox *m_factor;
    QPushButton *m_scale;
    bool m_stale = true;
};
