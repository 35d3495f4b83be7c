#include "gradientview.h"

#include "colormap.h"
#include "logchart.h"
#include "palette.h"
#include "session.h"

#include "grad/dynamics.h"

#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>

using namespace rnnscope;

GradientMap::GradientMap(QWidget *parent)
    : QWidget(parent)
{
    setToolTip(tr("log₁₀|dL/dh_t[j]|: unit j (rows) against t (columns); dark is large, white is %1 decades smaller or less")
                   .arg(kDecades));
}

void GradientMap::setValues(const Eigen::MatrixXd &values)
{
    double top = 0;
    bool any = false;
    for (Eigen::Index i = 0; i < values.size(); ++i)
        if (std::isfinite(values.data()[i]) && values.data()[i] > 0) {
            top = any ? std::max(top, values.data()[i]) : values.data()[i];
            any = true;
        }
    m_top = any ? std::log10(top) : 0;
    m_image = QImage(int(values.cols()), int(values.rows()), QImage::Format_RGB32);
    for (int j = 0; j < values.rows(); ++j) {
        auto *line = reinterpret_cast<QRgb *>(m_image.scanLine(j));
        for (int t = 0; t < values.cols(); ++t) {
            const double v = values(j, t);
            if (!std::isfinite(v)) {
                line[t] = ColorMap::nanColor().rgb();
                continue;
            }
            // 0 … kDecades below the top → 1 … 0 of the map's positive half
            const double u = v > 0 ? std::clamp(1.0 + (std::log10(v) - m_top) / kDecades, 0.0, 1.0) : 0.0;
            line[t] = ColorMap::rgbAt(u);
        }
    }
    update();
}

void GradientMap::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    if (m_image.isNull())
        return;
    p.drawImage(rect(), m_image);
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(rect().adjusted(0, 0, -1, -1));
}

GradientView::GradientView(Session *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    auto *top = new QHBoxLayout;
    m_title = new QLabel(this);
    m_title->setWordWrap(true);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // wraps to the tab's width
    m_compute = new QPushButton(tr("Compute"), this);
    m_compute->setToolTip(tr("At this size the gradients take a while: compute them now"));
    m_compute->hide();
    top->addWidget(m_title, 1);
    top->addWidget(m_compute);
    layout->addLayout(top);
    m_chart = new LogChart(tr("t"), tr("norm"), this);
    const ViewPalette &pal = ViewPalette::current();
    m_chart->addSeries(tr("‖dL/dh_t‖"), pal.seriesColor(0));
    m_chart->addSeries(tr("‖∂h_{T−1}/∂h_t‖_F"), pal.seriesColor(1));
    m_chart->addSeries(tr("√M·σ_max(Wh)^{T−1−t}"), pal.seriesColor(2), Qt::DashLine, false);
    layout->addWidget(m_chart, 3);
    m_mapTitle = new QLabel(this);
    m_mapTitle->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    layout->addWidget(m_mapTitle);
    m_map = new GradientMap(this);
    layout->addWidget(m_map, 1);
    connect(m_compute, &QPushButton::clicked, this, &GradientView::refresh);
    for (auto signal : {&Session::structureChanged, &Session::weightsChanged, &Session::inputChanged})
        connect(session, signal, this, &GradientView::changed);
    connect(session, &Session::sampleChanged, this, &GradientView::changed);
    connect(session, &Session::targetsChanged, this, &GradientView::changed);
}

void GradientView::changed()
{
    m_stale = true;
    const bool live = m_session->gradientWork() + m_session->jacobianWork() <= Session::kLiveLearningWork;
    m_compute->setVisible(!live);
    if (live && isVisible())
        refresh();
    else if (!live)
        m_title->setText(tr("At N=%1, T=%2, M=%3 the gradients are computed on request: press Compute.")
                             .arg(m_session->dims().N)
                             .arg(m_session->dims().T)
                             .arg(m_session->dims().M));
}

void GradientView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale)
        changed();
}

void GradientView::refresh()
{
    m_stale = false;
    m_compute->hide();
    const int n = m_session->sample(), T = m_session->dims().T, M = m_session->dims().M;
    const Gradients &g = m_session->gradients();
    const std::vector<double> &J = m_session->jacobianNorms();
    const double sigma = largestSingularValue(m_session->weights().Wh); // of the whole kernel (M, gM)
    QList<QPointF> dh, jac, bound;
    Eigen::MatrixXd map(M, T);
    for (int t = 0; t < T; ++t) {
        const auto row = g.dh[static_cast<std::size_t>(t)].row(n);
        dh << QPointF(t, row.norm());
        map.col(t) = row.transpose().cwiseAbs();
        jac << QPointF(t, J[static_cast<std::size_t>(t)]);
        bound << QPointF(t, std::sqrt(double(M)) * std::pow(sigma, double(T - 1 - t)));
    }
    m_chart->setXRange(0, std::max(1, T - 1));
    m_chart->setPoints(0, dh);
    m_chart->setPoints(1, jac);
    m_chart->setPoints(2, bound);
    m_chart->setSeriesName(2, tr("√M·σ_max(Wh)^{T−1−t}, σ_max = %1").arg(sigma, 0, 'g', 3));
    m_title->setText(tr("How far back the loss reaches — sample %1; %2 = %3").arg(n).arg(m_session->gradientLossText()).arg(g.loss, 0, 'g', 4));
    m_map->setValues(map);
    m_mapTitle->setText(tr("log₁₀|dL/dh_t[j]|: unit j = 0 … %1 (rows), t = 0 … %2 (columns); white: %3 decades below the largest")
                            .arg(M - 1)
                            .arg(T - 1)
                            .arg(GradientMap::kDecades));
}

void GradientView::restyle()
{
    m_chart->restyle();
}
