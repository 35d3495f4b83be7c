// Fuzzes the .keras archive layer of parseKerasFile (core/io/kerasfile.h): any bytes as a Keras file,
// as long as libhdf5 would only see a known-good file (kerasfuzz.h says why).
//
// An input goes to parseKerasFile when
//   - it starts with "PK" (core reads it as a zip) and its member model.weights.h5 cannot be read,
//     is not HDF5, or is byte for byte the weights member of one of the seeds of
//     fuzz/corpus/keras_archive/; or
//   - it is neither zip nor HDF5 (core refuses it as BadMagic).
// Others (mutated HDF5 bytes) are rejected: LLVMFuzzerTestOneInput returns -1, and libFuzzer
// keeps them out of its corpus. What is exercised: libzip's reading of a hostile archive through
// core (truncation, damaged entries, CRC errors, sizes that lie, zip bombs, encryption), the
// members core looks for, config.json and metadata.json as JSON, and the configured layers
// against the stored weights.

#include "io/kerasfile.h"
#include "kerasfuzz.h"

#include <algorithm>
#include <optional>

using namespace rnnscope;
using namespace fuzzsupport;

namespace {

std::vector<kerasfuzz::Bytes> &knownWeights()
{
    static std::vector<kerasfuzz::Bytes> weights;
    return weights;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    for (const auto &path : kerasfuzz::filesIn("corpus/keras_archive", ".keras")) {
        const kerasfuzz::Bytes archive = kerasfuzz::readFile(path);
        if (auto weights = kerasfuzz::zipMember(bytes(archive), archive.size(), "model.weights.h5"))
            knownWeights().push_back(std::move(*weights));
    }
    check(!knownWeights().empty(), "no seed of fuzz/corpus/keras_archive/ has a model.weights.h5");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
        const auto weights = kerasfuzz::zipMember(data, size, "model.weights.h5");
        if (weights && kerasfuzz::hasHdf5Signature(bytes(*weights), weights->size()) &&
            std::find(knownWeights().begin(), knownWeights().end(), *weights) == knownWeights().end())
            return -1;
    } else if (kerasfuzz::hasHdf5Signature(data, size)) {
        return -1;
    }

    if (const auto n = readOrRefusal("fuzz.keras", [&] { return parseKerasNetwork(data, size, "fuzz.keras"); }); n && *n)
        checkNetworkOpened(**n);
    const auto m = readOrRefusal("fuzz.keras", [&] { return parseKerasFile(data, size, "fuzz.keras"); });
    if (!m)
        return 0;
    kerasfuzz::checkOpened(*m);
    return 0;
}
