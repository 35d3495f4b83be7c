#include "valuetext.h"

#include <QLocale>

#include <charconv>
#include <cmath>
#include <limits>

namespace ValueText {

namespace {

const QChar kMinus(0x2212);

QString nonFinite(double v)
{
    if (std::isnan(v))
        return QStringLiteral("NaN");
    return v > 0 ? QStringLiteral("+Inf") : kMinus + QStringLiteral("Inf");
}

// |v| in scientific form with `decimals` in the mantissa, the way a cell writes it: 1.2e−5, 3e300.
QString scientific(double a, int decimals)
{
    const QString e = QString::number(a, 'e', decimals);
    const qsizetype at = e.indexOf(QLatin1Char('e'));
    const int exponent = e.mid(at + 1).toInt();
    return e.left(at) + QLatin1Char('e') + (exponent < 0 ? QString(kMinus) : QString()) + QString::number(std::abs(exponent));
}

QString withSign(double v, const QString &magnitude)
{
    return v < 0 ? kMinus + magnitude : magnitude;
}

enum class Range { Fits, Over, Under, NotANumber };

// A C number (no sign: the caller took it off) read whole: "0.5", ".5", "2e-3", "1e309".
Range readC(const QByteArray &text, double &out)
{
    const char *begin = text.constData(), *end = begin + text.size();
    if (begin == end || *begin == '-' || *begin == '+') // one sign only, taken off before
        return Range::NotANumber;
    const auto r = std::from_chars(begin, end, out);
    if (r.ptr != end || r.ec == std::errc::invalid_argument)
        return Range::NotANumber;
    if (r.ec != std::errc::result_out_of_range)
        return Range::Fits;
    // Past double's range: a long double tells which end; past that too, the exponent's sign does.
    long double wide = 0;
    const auto w = std::from_chars(begin, end, wide);
    if (w.ec == std::errc())
        return std::abs(wide) > 1 ? Range::Over : Range::Under;
    return text.contains("e-") || text.contains("E-") ? Range::Under : Range::Over;
}

} // namespace

QString compact(double v)
{
    if (!std::isfinite(v))
        return nonFinite(v);
    if (v == 0)
        return QStringLiteral("0");
    const double a = std::abs(v);
    if (a >= 1e-3 && a < 9999.5) {
        // About three significant digits, at most five characters: 0.213 2.13 21.3 213 2135 (the
        // bounds as rounded: 9.996 is 10.0).
        const int decimals = a < 0.9995 ? 3 : a < 9.995 ? 2 : a < 99.95 ? 1 : 0;
        return withSign(v, QString::number(a, 'f', decimals));
    }
    return withSign(v, scientific(a, 1)); // 1.2e−5, 3.0e7
}

QString brief(double v)
{
    if (!std::isfinite(v) || v == 0)
        return compact(v);
    const double a = std::abs(v);
    if (a >= 0.0095 && a < 9999.5) {
        // At most four characters after the sign: 0.21 9.99 21.3 2135.
        const int decimals = a < 9.995 ? 2 : a < 99.95 ? 1 : 0;
        return withSign(v, QString::number(a, 'f', decimals));
    }
    return narrow(v);
}

QString narrow(double v)
{
    if (!std::isfinite(v) || v == 0)
        return compact(v);
    const double a = std::abs(v);
    // 1e300, 2e−5; near the largest double the mantissa is cut, not rounded up past it (1e308).
    const QString s = scientific(a, 0);
    return withSign(v, s.startsWith(QLatin1String("2e308")) ? QStringLiteral("1e308") : s);
}

QString full(double v, rnnscope::DType dtype)
{
    const double held = rnnscope::heldAs(v, dtype);
    if (std::isnan(held))
        return QStringLiteral("nan");
    if (std::isinf(held))
        return held > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    if (dtype == rnnscope::DType::Float32)
        return QString::fromStdString(rnnscope::shortestText(static_cast<float>(held)));
    return QString::number(held, 'g', QLocale::FloatingPointShortest);
}

QString sentence(double v)
{
    if (!std::isfinite(v))
        return nonFinite(v);
    QString s = QString::number(v, 'g', 6);
    if (s.startsWith(QLatin1Char('-')))
        s[0] = kMinus;
    return s;
}

Entry read(const QString &typed)
{
    const QString t = typed.trimmed().replace(kMinus, QLatin1Char('-'));
    if (t.isEmpty())
        return {std::nullopt, QStringLiteral("nothing typed: type a number (0.5, -2e-3, inf, nan), or Escape to keep the value")};
    const QString quoted = QStringLiteral("\u201C%1\u201D").arg(t);
    double sign = 1;
    QString body = t;
    if (body.startsWith(QLatin1Char('-')) || body.startsWith(QLatin1Char('+'))) {
        sign = body.startsWith(QLatin1Char('-')) ? -1 : 1;
        body = body.mid(1).trimmed();
    }
    const QString lower = body.toLower();
    if (lower == QLatin1String("nan"))
        return {std::numeric_limits<double>::quiet_NaN(), {}};
    if (lower == QLatin1String("inf") || lower == QLatin1String("infinity") || body == QString(QChar(0x221E)))
        return {sign * std::numeric_limits<double>::infinity(), {}};

    // C's hexadecimal floats: one value, whatever the locale.
    if (lower.startsWith(QLatin1String("0x"))) {
        double v = 0;
        const QByteArray hex = lower.mid(2).toLatin1();
        const auto r = std::from_chars(hex.constData(), hex.constData() + hex.size(), v, std::chars_format::hex);
        if (!hex.isEmpty() && r.ptr == hex.constData() + hex.size() && r.ec == std::errc() && std::isfinite(v))
            return {sign * v, QStringLiteral("%1 read as the hexadecimal number %2").arg(quoted, sentence(sign * v))};
        return {std::nullopt, QStringLiteral("%1 is not a number: a hexadecimal one is written like 0x1p3 (= 8)").arg(quoted)};
    }

    double v = 0;
    switch (readC(body.toLatin1(), v)) {
    case Range::Fits:
        return {sign * v, {}};
    case Range::Over:
        return {std::nullopt, QStringLiteral("%1 is beyond the largest number, %2: type inf to mean infinity")
                                  .arg(quoted, sentence(std::numeric_limits<double>::max()))};
    case Range::Under:
        return {sign * 0.0, QStringLiteral("%1 is below the smallest number, %2: it is 0 after underflow")
                                .arg(quoted, sentence(std::numeric_limits<double>::denorm_min()))};
    case Range::NotANumber: break;
    }

    // The system locale's decimals ("0,5" in German), never its group separators.
    QLocale system;
    system.setNumberOptions(QLocale::RejectGroupSeparator);
    bool ok = false;
    v = system.toDouble(t, &ok);
    if (ok && std::isfinite(v))
        return {v, {}};
    if (t.contains(QLatin1Char(','))) {
        QString point = t;
        point.replace(QLatin1Char(','), QLatin1Char('.'));
        if (readC(point.mid(t.startsWith(QLatin1Char('-')) || t.startsWith(QLatin1Char('+')) ? 1 : 0).toLatin1(), v) == Range::Fits)
            return {std::nullopt, QStringLiteral("%1: is the comma a decimal sign or a thousands separator? Decimals take a point: %2")
                                      .arg(quoted, point)};
    }
    return {std::nullopt, QStringLiteral("%1 is not a number: type one such as 0.5, -2e-3, inf or nan").arg(quoted)};
}

} // namespace ValueText
