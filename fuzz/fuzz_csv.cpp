// Fuzzes parseInputCsv (core/io/weightfile.h): any bytes as the text of an input X in CSV
// (`--input X.csv`).
//
// Beyond "refuse or return, never crash" (fuzzsupport.h): an accepted CSV is a (T, D) float64
// array with T, D ≥ 1 and T·D values, which inputFromArray takes as one sample (1, T, D).

#include "fuzzsupport.h"
#include "io/weightfile.h"
#include "run/model.h"

using namespace rnnscope;
using namespace fuzzsupport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char *>(data), size);
    const auto read = readOrRefusal("fuzz.csv", [&] { return parseInputCsv(text, "fuzz.csv"); });
    if (!read)
        return 0;
    const NdArray &a = *read;
    checkArray(a);
    check(a.rank() == 2 && a.shape[0] >= 1 && a.shape[1] >= 1, "an accepted CSV is not (T, D) with T, D >= 1");
    check(a.dtype == DType::Float64, "a CSV is not read as float64");
    const NdArray x = inputFromArray(a, static_cast<int>(a.shape[1]));
    check(x.rank() == 3 && x.shape[0] == 1 && sameValues(x.values, a.values), "a CSV sample is not X of shape (1, T, D)");
    return 0;
}
