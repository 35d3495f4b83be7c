#pragma once
// rnnscope::NdArray — an n-dimensional array of real numbers as files hold them.
//
// Values are kept as double in C (row-major) order whatever the file stored: float32 widens to
// double exactly, so a float32 file read and written back is bit-identical. `dtype` remembers
// what the file held.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rnnscope {

enum class DType { Float32, Float64 };

const char *dtypeName(DType dtype); // "float32" / "float64"

struct NdArray {
    std::vector<std::int64_t> shape; // C order, slowest dimension first; {} is a scalar
    std::vector<double> values;      // product(shape) values, row-major
    DType dtype = DType::Float32;

    std::size_t size() const;        // product of shape (1 for a scalar)
    int rank() const { return static_cast<int>(shape.size()); }
};

// "(3, 5)", "(5,)", "()" — the way NumPy prints a shape.
std::string shapeString(const std::vector<std::int64_t> &shape);

// A named list of arrays, in file order (an .npz archive, an HDF5 layer's weights, ...).
using NamedArrays = std::vector<std::pair<std::string, NdArray>>;

} // namespace rnnscope

namespace rnnscope {

// The shortest text that reads back as exactly v, as C writes it: "0.1", "1e+39"; the float
// overload the shortest for the float ("3.4028235e+38", not its double's 17 digits).
std::string shortestText(double v);
std::string shortestText(float v);

// `v` as a model computing in `dtype` holds it: float32 rounds to the nearest float (values past
// float32's range become ±Inf, those below its smallest subnormal 0); float64 keeps v.
double heldAs(double v, DType dtype);

// What that rounding did to a value a person typed, when it changed its meaning: "1e+39 overflows
// float32 (largest 3.4028235e+38): the model holds +Inf", "1e-50 underflows float32: the model
// holds 0"; "" when v is held as typed or only rounded.
std::string heldAsNote(double v, DType dtype);

} // namespace rnnscope
