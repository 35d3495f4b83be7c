#pragma once
// GradientView — how far back the loss reaches (DESIGN §4 Gradients), for the selected sample:
//
//   a log chart over t of ‖dL/dh_t‖ (the total derivative: the output's term at t plus what flows
//   back from later steps), ‖∂h_{T−1}/∂h_t‖_F, and the reference √M·σ_max(Wh)^{T−1−t} (for a tanh
//   SimpleRNN an upper bound of the Jacobian's norm: with σ_max < 1 the gradient must vanish);
//   a heat map of log₁₀|dL/dh_t[j]|, unit j against t.
//
// Live: a change of the weights, X or the sample recomputes it while the view is shown. Above
// Session::kLiveLearningWork it waits for its Compute button instead.

#include <Eigen/Core>

#include <QImage>
#include <QWidget>

class LogChart;
class QLabel;
class QPushButton;
class Session;

class GradientMap : public QWidget {
    Q_OBJECT
public:
    explicit GradientMap(QWidget *parent = nullptr);
    // values: M rows × T columns of |dL/dh_t[j]|.
    void setValues(const Eigen::MatrixXd &values);
    QSize sizeHint() const override { return {400, 90}; }
    QSize minimumSizeHint() const override { return {120, 48}; }
    // The decades shown: max|g| down to max|g|·10⁻ᵏ (darkest … white).
    static constexpr int kDecades = 6;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QImage m_image;
    double m_top = 0; // log₁₀ of the largest value
};

class GradientView : public QWidget {
    Q_OBJECT

public:
    explicit GradientView(Session *session, QWidget *parent = nullptr);
    LogChart *chart() const { return m_chart; }
    GradientMap *map() const { return m_map; }
    // Recomputes now (what the Compute button does).
    void refresh();
    bool stale() const { return m_stale; }
    void restyle();

protected:
    void showEvent(QShowEvent *event) override;

private:
    void changed();

    Session *m_session;
    QLabel *m_title;
    LogChart *m_chart;
    GradientMap *m_map;
    QLabel *m_mapTitle;
    QPushButton *m_compute;
    bool m_stale = true;
};
