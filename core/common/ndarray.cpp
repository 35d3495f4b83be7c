#include "common/ndarray.h"

#include "common/error.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace rnnscope {

const char *dtypeName(DType dtype)
{
    return dtype == DType::Float32 ? "float32" : "float64";
}

const char *errorKindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::BadUsage: return "bad_usage";
    case ErrorKind::OutOfRange: return "out_of_range";
    case ErrorKind::TooLarge: return "too_large";
    case ErrorKind::Io: return "io";
    case ErrorKind::BadMagic: return "bad_magic";
    case ErrorKind::Truncated: return "truncated";
    case ErrorKind::UnsupportedVersion: return "unsupported_version";
    case ErrorKind::MalformedHeader: return "malformed_header";
    case ErrorKind::ObjectDtype: return "object_dtype";
    case ErrorKind::UnsupportedDtype: return "unsupported_dtype";
    case ErrorKind::ShapeMismatch: return "shape_mismatch";
    case ErrorKind::MissingArray: return "missing_array";
    case ErrorKind::NotZip: return "not_zip";
    case ErrorKind::Unsupported: return "unsupported";
    }
    return "unknown";
}

std::size_t NdArray::size() const
{
    std::size_t n = 1;
    for (auto d : shape)
        n *= static_cast<std::size_t>(d);
    return n;
}

std::string shapeString(const std::vector<std::int64_t> &shape)
{
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0)
            s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1)
        s += ",";
    return s + ")";
}

} // namespace rnnscope

namespace rnnscope {

namespace {

// The smallest |v| that rounds to ±Inf in float32: FLT_MAX plus half its ulp, 2¹²⁸ − 2¹⁰³.
const double kFloat32Overflow = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);

template <typename F>
std::string shortest(F v)
{
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    return std::string(buf, end);
}

} // namespace

std::string shortestText(double v)
{
    return shortest(v);
}

std::string shortestText(float v)
{
    return shortest(v);
}

double heldAs(double v, DType dtype)
{
    if (dtype == DType::Float64 || !std::isfinite(v))
        return v;
    if (std::abs(v) >= kFloat32Overflow) // a conversion C++ leaves undefined: say what IEEE does
        return std::copysign(std::numeric_limits<double>::infinity(), v);
    return static_cast<double>(static_cast<float>(v));
}

std::string heldAsNote(double v, DType dtype)
{
    const double held = heldAs(v, dtype);
    if (!std::isfinite(v) || held == v || (std::isfinite(held) && held != 0))
        return {};
    if (std::isinf(held))
        return shortest(v) + " overflows " + dtypeName(dtype) + " (largest "
               + shortest(std::numeric_limits<float>::max()) + "): the model holds " + (held > 0 ? "+Inf" : "-Inf");
    return shortest(v) + " underflows " + dtypeName(dtype) + " (smallest "
           + shortest(std::numeric_limits<float>::denorm_min()) + "): the model holds 0";
}

} // namespace rnnscope
