#pragma once
// ValueText — how the window writes one number and reads one typed by a person.
//
//   compact   for a heat-map cell: about three significant digits, at most as wide as "−0.000":
//             "0.213", "−1.50", "21.3", "2135", "1.2e−5", "3.0e7", "NaN", "+Inf", "−Inf" (U+2212)
//   brief     two decimals, at most as wide as "−0.00", for the narrower cells of a wide gated kernel:
//             "0.21", "−1.50", "21.3", "2135", "5e−3", "3e7"
//   narrow    the narrowest text of a value, for a cell the compact one does not fit: the mantissa
//             without decimals, "−1e300", "1e308", "−1e−5" (every finite value keeps a text)
//   full      the shortest text that reads back as the value the model holds: float32 writes the
//             float ("0.1", not "0.10000000149011612"); "nan", "inf", "-inf"
//   sentence  for tooltips and messages: six significant digits, "−1e+300", "+Inf"
//
// read() takes what a person types into a cell: C decimals ("0.5", ".5", "-2e-3"), the system
// locale's decimals ("0,5" where a comma is the decimal sign), "nan", "inf", "+inf", "-inf", "∞",
// a Unicode minus, C's hexadecimal floats ("0x1p3"). It refuses, saying why, what is not a number
// or not one value: "abc", "", "1,5" where a comma is not the decimal sign (1.5 or 15?), "1e309"
// (beyond the largest double: type inf to mean it). What underflows ("1e-400") is read as 0, and
// the note says so.

#include "common/ndarray.h"

#include <QString>

#include <optional>

namespace ValueText {

QString compact(double v);
QString brief(double v);
QString narrow(double v);
QString full(double v, rnnscope::DType dtype = rnnscope::DType::Float64);
QString sentence(double v);

struct Entry {
    std::optional<double> value; // nullopt: refused
    QString note;                // why it was refused, or what reading it did ("" when nothing to say)
};
Entry read(const QString &text);

inline std::optional<double> parse(const QString &text) { return read(text).value; }

} // namespace ValueText
