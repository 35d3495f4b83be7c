#include "colormap.h"

#include <QBrush>
#include <QPainter>
#include <QPainterPath>
#include <QPolygonF>
#include <QRect>
#include <QRectF>

#include <array>

namespace {

struct Stop {
    double u;
    int r, g, b;
};

// Blue ↔ near-white ↔ orange/brown. Lightness falls monotonically from the centre to both ends,
// so the map also reads in greyscale; the hues differ for every common colour-vision deficiency.
constexpr std::array<Stop, 9> kStops{{
    {-1.00, 26, 69, 140},
    {-0.75, 52, 112, 184},
    {-0.50, 112, 160, 213},
    {-0.25, 186, 212, 236},
    {0.00, 246, 246, 244},
    {0.25, 250, 214, 168},
    {0.50, 243, 167, 92},
    {0.75, 214, 114, 26},
    {1.00, 150, 70, 6},
}};

QRgb interpolate(double u)
{
    u = std::clamp(u, -1.0, 1.0);
    std::size_t i = 1;
    while (i + 1 < kStops.size() && u > kStops[i].u)
        ++i;
    const Stop &a = kStops[i - 1], &b = kStops[i];
    const double f = (u - a.u) / (b.u - a.u);
    auto mix = [f](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * f)); };
    return qRgb(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
}

double linear(int channel)
{
    const double c = channel / 255.0;
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

} // namespace

const QRgb *ColorMap::table()
{
    // Built once, on first use (thread-safe static initialisation).
    static const std::array<QRgb, kTableSize> lut = [] {
        std::array<QRgb, kTableSize> t{};
        for (int i = 0; i < kTableSize; ++i)
            t[i] = interpolate(-1.0 + 2.0 * i / (kTableSize - 1));
        return t;
    }();
    return lut.data();
}

QRgb ColorMap::rgbAt(double u)
{
    if (std::isnan(u))
        return nanColor().rgb();
    const double i = std::clamp((u + 1.0) * 0.5 * (kTableSize - 1), 0.0, double(kTableSize - 1));
    return table()[static_cast<int>(i + 0.5)];
}

QRgb ColorMap::rgb(double value, double scale)
{
    if (std::isnan(value))
        return nanColor().rgb();
    if (std::isinf(value))
        return value > 0 ? table()[kTableSize - 1] : table()[0];
    if (!(scale > 0) || !std::isfinite(scale))
        scale = 1;
    return rgbAt(value / scale);
}

QColor ColorMap::nanColor()
{
    return QColor(140, 140, 140);
}

QColor ColorMap::nanHatchColor()
{
    return QColor(88, 88, 88);
}

QColor ColorMap::negativeEnd()
{
    return QColor::fromRgb(table()[0]);
}

QColor ColorMap::positiveEnd()
{
    return QColor::fromRgb(table()[kTableSize - 1]);
}

QColor ColorMap::zeroColor()
{
    return QColor::fromRgb(rgbAt(0));
}

QColor ColorMap::textColorFor(const QColor &background)
{
    // WCAG contrast ratios against black and white; the larger one wins.
    const QRgb c = background.rgb();
    const double l = 0.2126 * linear(qRed(c)) + 0.7152 * linear(qGreen(c)) + 0.0722 * linear(qBlue(c));
    const double onBlack = (l + 0.05) / 0.05;
    const double onWhite = 1.05 / (l + 0.05);
    return onBlack >= onWhite ? QColor(Qt::black) : QColor(Qt::white);
}

ColorMap::Stats ColorMap::stats(const Eigen::Ref<const Eigen::MatrixXd> &m)
{
    Stats s;
    for (Eigen::Index c = 0; c < m.cols(); ++c)
        s.add(m.col(c).data(), m.rows());
    return s;
}

ColorMap::Stats ColorMap::fillImage(QImage &image, const Eigen::Ref<const Eigen::MatrixXd> &m, double scale)
{
    const int rows = static_cast<int>(m.rows()), cols = static_cast<int>(m.cols());
    if (image.width() != cols || image.height() != rows || image.format() != QImage::Format_ARGB32_Premultiplied)
        image = QImage(cols, rows, QImage::Format_ARGB32_Premultiplied);
    if (rows == 0 || cols == 0)
        return {};
    return fillRows(image, 0, rows - 1, scale, [&m](int r, int c) { return m(r, c); });
}

void ColorMap::paintNonFiniteMark(QPainter *painter, const QRectF &rect, double value, bool small)
{
    if (std::isfinite(value) || rect.width() < 3 || rect.height() < 3)
        return;
    painter->save();
    if (std::isnan(value)) {
        // Diagonal hatch in device pixels, clipped to the cell.
        painter->setClipRect(rect, Qt::IntersectClip);
        painter->setPen(QPen(nanHatchColor(), 1));
        const double step = 5;
        const double l = rect.left(), t = rect.top(), w = rect.width(), h = rect.height();
        for (double d = step * 0.5; d < w + h; d += step)
            painter->drawLine(QPointF(l + d, t), QPointF(l + d - h, t + h));
    } else {
        // A triangle in a corner: top right for +Inf, bottom left for −Inf.
        const double side = std::min(rect.width(), rect.height());
        const double a = std::clamp(side * (small ? 0.6 : 0.35), 3.0, 12.0);
        const QColor mark = textColorFor(rgb(value, 1));
        if (small && side >= 5) {
            painter->setPen(QPen(mark, 1));
            painter->setBrush(Qt::NoBrush);
            painter->drawRect(rect.adjusted(1.5, 1.5, -1.5, -1.5));
        }
        QPolygonF tri;
        if (value > 0)
            tri << rect.topRight() << rect.topRight() + QPointF(-a, 0) << rect.topRight() + QPointF(0, a);
        else
            tri << rect.bottomLeft() << rect.bottomLeft() + QPointF(a, 0) << rect.bottomLeft() + QPointF(0, -a);
        painter->setRenderHint(QPainter::Antialiasing, true);
        painter->setPen(Qt::NoPen);
        painter->setBrush(mark);
        painter->drawPolygon(tri);
    }
    painter->restore();
}

void ColorMap::paintCell(QPainter *painter, const QRectF &rect, double value, double scale)
{
    painter->fillRect(rect, QColor::fromRgb(rgb(value, scale)));
    paintNonFiniteMark(painter, rect, value);
}

void ColorMap::paintBar(QPainter *painter, const QRect &rect)
{
    if (rect.width() <= 0 || rect.height() <= 0)
        return;
    const QImage bar(reinterpret_cast<const uchar *>(table()), kTableSize, 1, kTableSize * int(sizeof(QRgb)),
                     QImage::Format_RGB32);
    painter->save();
    painter->setRenderHint(QPainter::SmoothPixmapTransform, true);
    painter->drawImage(rect, bar);
    painter->restore();
}
