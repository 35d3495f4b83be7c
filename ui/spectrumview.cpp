#include "spectrumview.h"

#include "palette.h"
#include "session.h"

#include "grad/dynamics.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

#include <cmath>

using namespace rnnscope;

namespace {

// A block's name as the views write it: "U" for a SimpleRNN, "U_f" for an LSTM's forget block.
QString blockName(const BlockSpectrum &b)
{
    return b.gate.empty() ? QStringLiteral("Wh") : QStringLiteral("Wh_%1").arg(QString::fromStdString(b.gate));
}

QString number(double v)
{
    return std::isfinite(v) ? QString::number(v, 'f', 3) : QStringLiteral("nan");
}

} // namespace

SpectrumPlot::SpectrumPlot(Session *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
{
    setToolTip(tr("Eigenvalues of the recurrent kernel's blocks in the complex plane; the dashed circle is |λ| = 1"));
}

double SpectrumPlot::extent() const
{
    double r = 1.0;
    for (const BlockSpectrum &b : m_session->spectrum())
        if (std::isfinite(b.radius))
            r = std::max(r, b.radius);
    return 1.15 * r;
}

void SpectrumPlot::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const ViewPalette &pal = ViewPalette::current();
    const QFontMetrics fm(font());
    const int margin = fm.height() + 4;
    const int side = std::max(10, std::min(width(), height()) - 2 * margin);
    const QRectF square((width() - side) / 2.0, (height() - side) / 2.0, side, side);
    const double e = extent();
    const auto at = [&](double re, double im) {
        return QPointF(square.center().x() + re / e * side / 2, square.center().y() - im / e * side / 2);
    };
    const QColor axis = palette().color(QPalette::Mid), text = palette().color(QPalette::WindowText);
    p.setPen(QPen(axis, pal.lineWidth));
    p.drawLine(at(-e, 0), at(e, 0));
    p.drawLine(at(0, -e), at(0, e));
    // The unit circle
    p.setPen(QPen(text, 1.5 * pal.lineWidth, Qt::DashLine));
    p.setBrush(Qt::NoBrush);
    const QPointF c = at(0, 0);
    const double r1 = side / 2.0 / e;
    p.drawEllipse(c, r1, r1);
    p.setPen(text);
    p.drawText(at(1, 0) + QPointF(3, -3), QStringLiteral("1"));
    p.drawText(QRectF(square.right() - 40, square.center().y() + 2, 40, fm.height()), Qt::AlignRight, QStringLiteral("Re"));
    p.drawText(QRectF(square.center().x() + 4, square.top(), 40, fm.height()), Qt::AlignLeft, QStringLiteral("Im"));
    // The eigenvalues, one colour per block
    const std::vector<BlockSpectrum> &blocks = m_session->spectrum();
    const double dot = 3.0 + 1.5 * pal.lineWidth;
    for (std::size_t k = 0; k < blocks.size(); ++k) {
        p.setPen(QPen(Qt::black, 0.8));
        p.setBrush(pal.seriesColor(int(k)));
        for (const std::complex<double> &l : blocks[k].eigenvalues)
            if (std::isfinite(l.real()) && std::isfinite(l.imag()))
                p.drawEllipse(at(l.real(), l.imag()), dot, dot);
    }
    // The legend: a dot and the block's name
    int y = margin / 2;
    for (std::size_t k = 0; k < blocks.size(); ++k) {
        p.setBrush(pal.seriesColor(int(k)));
        p.drawEllipse(QPointF(6 + dot, y + fm.height() / 2.0), dot, dot);
        p.setPen(text);
        p.drawText(QPointF(12 + 2 * dot, y + fm.ascent()), blockName(blocks[k]));
        p.setPen(QPen(Qt::black, 0.8));
        y += fm.height() + 2;
    }
}

SpectrumView::SpectrumView(Session *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_plot = new SpectrumPlot(session, this);
    layout->addWidget(m_plot, 3);
    auto *side = new QVBoxLayout;
    m_summary = new QLabel;
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_summary->setWordWrap(true);
    auto *scroll = new QScrollArea(this); // a short tab scrolls the text, not the window
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(m_summary);
    side->addWidget(scroll, 1);
    auto *row = new QHBoxLayout;
    m_scale = new QPushButton(tr("Scale Wh by"), this);
    m_scale->setToolTip(tr("Multiply the recurrent kernel by this factor (undoable): ρ and σ_max scale with it"));
    m_factor = new QDoubleSpinBox(this);
    m_factor->setObjectName(QStringLiteral("scaleFactor"));
    m_factor->setDecimals(2);
    m_factor->setRange(0.05, 20);
    m_factor->setSingleStep(0.05);
    m_factor->setValue(1.25);
    m_factor->setPrefix(QStringLiteral("× "));
    row->addWidget(m_scale);
    row->addWidget(m_factor);
    row->addStretch();
    side->addLayout(row);
    layout->addLayout(side, 2);
    connect(m_scale, &QPushButton::clicked, this, [this] { m_session->scaleRecurrentKernel(m_factor->value()); });
    for (auto signal : {&Session::structureChanged, &Session::weightsChanged})
        connect(session, signal, this, &SpectrumView::changed);
}

void SpectrumView::changed()
{
    m_stale = true;
    if (isVisible())
        refresh();
}

void SpectrumView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale)
        refresh();
}

QString SpectrumView::summaryText() const
{
    QStringList lines;
    for (const BlockSpectrum &b : m_session->spectrum())
        lines << tr("%1: ρ = %2, σ_max = %3").arg(blockName(b), number(b.radius), number(b.singularValues.empty() ? 0 : b.singularValues.front()));
    return lines.join(QLatin1Char('\n'));
}

void SpectrumView::refresh()
{
    m_stale = false;
    const std::vector<BlockSpectrum> &blocks = m_session->spectrum();
    const int M = m_session->dims().M;
    // A small table: one row per gate block, its ρ and σ_max.
    QString html = tr("<b>Recurrent kernel</b><br>%1 × %2 block%3").arg(M).arg(M).arg(blocks.size() == 1 ? QString() : QStringLiteral("s"));
    html += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"2\"><tr><th></th><th>ρ</th><th>σ<sub>max</sub></th></tr>");
    for (const BlockSpectrum &b : blocks)
        html += QStringLiteral("<tr><td>%1</td><td align=\"right\">%2</td><td align=\"right\">%3</td></tr>")
                    .arg(blockName(b), number(b.radius), number(b.singularValues.empty() ? 0 : b.singularValues.front()));
    html += QStringLiteral("</table>") + tr("ρ &lt; 1: gradients vanish;<br>ρ &gt; 1: they can explode");
    m_summary->setText(html);
    m_summary->setToolTip(tr("ρ, the spectral radius, is the largest |λ|: below 1 a signal fades as it goes back through the "
                             "steps (vanishing gradients), above 1 it can grow (exploding). σ_max, the largest singular "
                             "value, below 1 makes a tanh SimpleRNN's gradient vanish for certain."));
    m_plot->update();
}
