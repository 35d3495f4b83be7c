// Fuzzes parseNpz (core/io/npy.h) and what `--weights x.npz` does with its arrays
// (weightsFromArrays, core/io/weightfile.h): any bytes as an .npz archive, in memory.
//
// Beyond "refuse or return, never crash" (fuzzsupport.h): every array read has as many values as
// its shape says; the archive written back with encodeNpz (float64, so nothing is rounded) reads
// back to the same arrays; a weight set that is accepted has shapes that fit each other
// (checkShapes) and an input X of rank 3 with the weights' D.

#include "fuzzsupport.h"
#include "io/networkfile.h"
#include "io/npy.h"
#include "io/weightfile.h"
#include "nn/weights.h"

#include <optional>

using namespace rnnscope;
using namespace fuzzsupport;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const auto read = readOrRefusal("fuzz.npz", [&] { return parseNpz(data, size, "fuzz.npz"); });
    if (!read)
        return 0;
    const NamedArrays &arrays = *read;
    for (const auto &[key, a] : arrays)
        checkArray(a);

    std::string written;
    try {
        written = encodeNpz(arrays, DType::Float64);
    } catch (const Error &e) {
        check(e.kind() == ErrorKind::BadUsage || e.kind() == ErrorKind::TooLarge,
              "encodeNpz refused arrays that were read for another reason than their keys or number");
    }
    if (!written.empty()) { // encodeNpz refuses empty or duplicate keys, which a zip may hold
        const NamedArrays back = parseNpz(bytes(written), written.size(), "roundtrip.npz");
        check(back.size() == arrays.size(), "an .npz written back has a different number of arrays");
        for (std::size_t i = 0; i < arrays.size(); ++i)
            check(back[i].first == arrays[i].first && sameArray(back[i].second, arrays[i].second, false),
                  "an .npz read, written and read again holds different arrays");
    }

    // A stack (positional, or a PyTorch state_dict with _l1 … and _reverse) as the command line opens it.
    if (const auto n = readOrRefusal("fuzz.npz", [&] { return networkFromArrays(arrays, "fuzz.npz"); }); n && *n)
        checkNetworkOpened(**n);
    const auto m = readOrRefusal("fuzz.npz", [&] { return weightsFromArrays(arrays, "fuzz.npz"); });
    if (!m)
        return 0;
    try {
        checkShapes(m->weights);
    } catch (const Error &) {
        check(false, "a weight set was accepted whose shapes do not fit together");
    }
    if (m->input) {
        checkArray(*m->input);
        check(m->input->rank() == 3 && m->input->shape[2] == m->weights.D(), "an accepted X does not have the weights' D");
    }
    return 0;
}
