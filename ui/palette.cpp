#include "palette.h"

namespace {

ViewPalette make(bool presentation)
{
    ViewPalette p;
    p.highlight = QColor(0xD5, 0x5E, 0x00);      // vermillion
    p.highlightFill = QColor(0xFF, 0xE8, 0xCC);
    p.computedFill = QColor(0xE3, 0xF0, 0xFA);   // light sky blue
    p.shapeText = QColor(0x00, 0x5A, 0x8C);      // dark blue
    p.cursor = QColor(0xD5, 0x5E, 0x00);
    p.lineWidth = presentation ? 2.0 : 1.0;
    // Okabe–Ito, black last.
    p.series = {QColor(0x00, 0x72, 0xB2), QColor(0xE6, 0x9F, 0x00), QColor(0x00, 0x9E, 0x73), QColor(0xCC, 0x79, 0xA7),
                QColor(0x56, 0xB4, 0xE9), QColor(0xD5, 0x5E, 0x00), QColor(0xF0, 0xE4, 0x42), QColor(0x00, 0x00, 0x00)};
    return p;
}

bool s_presentation = false;

} // namespace

const ViewPalette &ViewPalette::current()
{
    static const ViewPalette normal = make(false);
    static const ViewPalette big = make(true);
    return s_presentation ? big : normal;
}

bool ViewPalette::presentation()
{
    return s_presentation;
}

void ViewPalette::setPresentation(bool on)
{
    s_presentation = on;
}
