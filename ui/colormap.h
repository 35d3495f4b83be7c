#pragma once
// ColorMap — the diverging, colour-blind-safe colour map of every heat map in rnnscope.
//
// Values map symmetrically around 0 with a scale s > 0:
//
//   v = −s  → dark blue        v = 0 → near-white        v = +s → dark orange/brown
//
// (blue ↔ orange, like matplotlib's PuOr/BrBG family: no red–green contrast, readable with every
// common colour-vision deficiency and in greyscale, since lightness falls monotonically with |v|).
// Values beyond ±s saturate at the end colours. Non-finite values are never hidden:
//
//   NaN   a mid grey (a colour the map never produces), hatched where there is room;
//   ±Inf  the saturated end colour of their sign, plus a marker (a corner triangle) where there is room.
//
// Everything here is stateless and cheap: colours come from a 1024-entry table built once.

#include "common/valuesummary.h"

#include <Eigen/Core>

#include <QColor>
#include <QImage>
#include <QRgb>

#include <algorithm>
#include <cmath>

class QPainter;
class QRect;
class QRectF;

class ColorMap {
public:
    // Non-finite values and the largest finite |value| of a matrix.
    using Stats = rnnscope::ValueSummary;

    // The colour of `value` for the scale s (s ≤ 0 or not finite is treated as 1).
    static QRgb rgb(double value, double scale);
    static QColor color(double value, double scale) { return QColor::fromRgb(rgb(value, scale)); }

    // The colour at position u ∈ [−1, 1] of the map (−1: negative end, +1: positive end).
    static QRgb rgbAt(double u);

    static QColor nanColor();          // mid grey
    static QColor nanHatchColor();     // the darker grey of NaN's hatch lines
    static QColor negativeEnd();       // −s and −Inf
    static QColor positiveEnd();       // +s and +Inf
    static QColor zeroColor();         // 0

    // Black on light backgrounds, white on dark ones (by relative luminance, WCAG).
    static QColor textColorFor(const QColor &background);
    static QColor textColorFor(QRgb background) { return textColorFor(QColor::fromRgb(background)); }

    // The scale a matrix is shown with: its max |finite value|, or 1 when that is 0.
    static double autoScale(const Stats &stats) { return stats.maxAbs > 0 ? stats.maxAbs : 1.0; }

    // Stats of a whole matrix in one pass.
    static Stats stats(const Eigen::Ref<const Eigen::MatrixXd> &m);

    // Fills `image` with one pixel per cell — pixel (x = column, y = row) — in one pass and
    // returns the stats of what it drew. The image becomes m.cols() × m.rows(), ARGB32 premultiplied.
    // 256×256 takes well under a millisecond.
    static Stats fillImage(QImage &image, const Eigen::Ref<const Eigen::MatrixXd> &m, double scale);

    // Fills rows [firstRow, lastRow] of an existing image (width = columns) with
    // valueAt(row, col) -> double. For matrices that are not Eigen matrices (a model's cells) and
    // for updating only the rows that changed.
    template <typename ValueAt>
    static Stats fillRows(QImage &image, int firstRow, int lastRow, double scale, ValueAt &&valueAt);

    // Paints one cell (background, NaN hatch, ±Inf marker) into `rect`.
    static void paintCell(QPainter *painter, const QRectF &rect, double value, double scale);
    // Paints only the NaN hatch / ±Inf marker of a cell already filled with its colour. `small`
    // (cells without text, as in a heat-map image) makes the ±Inf marker larger and frames the cell,
    // so that ±Inf stays apart from the largest finite values, which share its colour.
    static void paintNonFiniteMark(QPainter *painter, const QRectF &rect, double value, bool small = false);

    // A horizontal colour bar from −s (left) to +s (right) into `rect`.
    static void paintBar(QPainter *painter, const QRect &rect);

private:
    static const QRgb *table();        // kTableSize entries from −1 to +1
    static constexpr int kTableSize = 1024;
};

template <typename ValueAt>
ColorMap::Stats ColorMap::fillRows(QImage &image, int firstRow, int lastRow, double scale, ValueAt &&valueAt)
{
    // One multiply and one table look-up per finite cell; the branches for non-finite values are
    // almost never taken.
    Stats s;
    if (!(scale > 0) || !std::isfinite(scale))
        scale = 1;
    const QRgb *lut = table();
    const double k = (kTableSize - 1) * 0.5 / scale;
    const double mid = (kTableSize - 1) * 0.5;
    const int cols = image.width();
    const QRgb nanRgb = nanColor().rgb(), neg = lut[0], pos = lut[kTableSize - 1];
    lastRow = std::min(lastRow, image.height() - 1);
    for (int r = std::max(firstRow, 0); r <= lastRow; ++r) {
        auto *line = reinterpret_cast<QRgb *>(image.scanLine(r));
        for (int c = 0; c < cols; ++c) {
            const double v = valueAt(r, c);
            if (std::isfinite(v)) {
                s.maxAbs = std::max(s.maxAbs, std::abs(v));
                const double i = std::clamp(v * k + mid, 0.0, double(kTableSize - 1));
                line[c] = lut[static_cast<int>(i + 0.5)];
            } else if (std::isnan(v)) {
                ++s.nan;
                line[c] = nanRgb;
            } else if (v > 0) {
                ++s.posInf;
                line[c] = pos;
            } else {
                ++s.negInf;
                line[c] = neg;
            }
        }
    }
    return s;
}
