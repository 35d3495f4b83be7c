// Fuzzes parseNpy (core/io/npy.h): any bytes as an .npy file.
//
// Beyond "refuse or return, never crash" (fuzzsupport.h): an array that is read has as many
// values as its shape says, encodeNpy writes it back and parseNpy reads that back to the same
// array, bit for bit; and inputFromArray (an X from an .npy, `--input X.npy`) takes it or refuses it.

#include "fuzzsupport.h"
#include "io/npy.h"
#include "io/weightfile.h"
#include "run/model.h"

using namespace rnnscope;
using namespace fuzzsupport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const auto read = readOrRefusal("fuzz.npy", [&] { return parseNpy(data, size, "fuzz.npy"); });
    if (!read)
        return 0;
    const NdArray &a = *read;
    checkArray(a);

    const std::string written = encodeNpy(a, a.dtype);
    const NdArray back = parseNpy(bytes(written), written.size(), "roundtrip.npy");
    check(sameArray(a, back), "an .npy read, written and read again is not the same array");

    try {
        const NdArray x = inputFromArray(a, -1);
        checkArray(x);
        check(x.rank() == 3 && sameValues(x.values, a.values), "an input X is not the (N, T, D) of its array");
    } catch (const Error &) {
    }
    return 0;
}
