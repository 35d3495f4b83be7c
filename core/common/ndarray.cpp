#include "common/ndarray.h"

#include "common/error.h"

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
