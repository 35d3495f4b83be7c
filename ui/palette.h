#pragma once
// ViewPalette — the colours and line widths every view draws with.
//
// Series colours are the Okabe–Ito palette (distinguishable with the common colour-vision
// deficiencies); presentation mode (for projectors) thickens every line.

#include <QColor>
#include <QList>

struct ViewPalette {
    QColor highlight;      // the current timestep's outline
    QColor highlightFill;  // the current timestep's fill
    QColor computedFill;   // timesteps already computed
    QColor shapeText;      // shape labels
    QColor cursor;         // the chart cursor at the current t
    qreal lineWidth = 1.0; // base line width; charts and the diagram scale it
    QList<QColor> series;  // one colour per plotted unit, cycling

    QColor seriesColor(int i) const { return series.at(i % series.size()); }

    static const ViewPalette &current();
    static bool presentation();
    // Switches every view to presentation mode (thicker lines); views repaint on their next update.
    static void setPresentation(bool on);
};
