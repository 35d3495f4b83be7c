// Fuzzes the model configuration of Keras files (core/io/kerasfile.h): the JSON that says which
// layers a model has, their classes, activations, return_sequences and input shape, and how it is
// matched with the weights stored beside it.
//
// An input is one selector byte and the JSON text. The target builds a real Keras file around it
// from known-good templates, so that libhdf5 only reads files it wrote or that Keras wrote
// (kerasfuzz.h):
//   selector bit 0 = 0: a Keras 3 .keras archive: config.json = the JSON, with the metadata.json
//                       (if any) and model.weights.h5 of the seed number (selector >> 2) of
//                       fuzz/corpus/keras_archive/ among those with an HDF5 model.weights.h5, in name
//                       order (SimpleRNN, LSTM, GRU, stacked and Bidirectional weights);
//   selector bit 0 = 1: a Keras 1/2 model.save() .h5: the template fuzz/templates/*.h5 number
//                       (selector >> 2) with its root attribute @model_config = the JSON, as a
//                       variable-length (bit 1 = 0) or fixed-length (bit 1 = 1) string.
// Then parseKerasFile: it opens the model or refuses it with an Error (never another exception,
// such as a nlohmann::json type error), and what it opens fits together.

#include "io/kerasfile.h"
#include "kerasfuzz.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace rnnscope;
using namespace fuzzsupport;

namespace {

struct Archive {
    std::optional<kerasfuzz::Bytes> metadata;
    kerasfuzz::Bytes weights;
};

struct Templates {
    std::vector<Archive> archives;          // the members of .keras archives
    std::vector<kerasfuzz::Bytes> legacy;   // Keras 1/2 model.save() files with @model_config
};

Templates &templates()
{
    static Templates t;
    return t;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    Templates &t = templates();
    for (const auto &path : kerasfuzz::filesIn("corpus/keras_archive", ".keras")) {
        const kerasfuzz::Bytes archive = kerasfuzz::readFile(path);
        auto weights = kerasfuzz::zipMember(bytes(archive), archive.size(), "model.weights.h5");
        if (weights && kerasfuzz::hasHdf5Signature(bytes(*weights), weights->size()))
            t.archives.push_back({kerasfuzz::zipMember(bytes(archive), archive.size(), "metadata.json"), std::move(*weights)});
    }
    check(!t.archives.empty(), "no seed of fuzz/corpus/keras_archive/ has an HDF5 model.weights.h5");
    for (const auto &path : kerasfuzz::filesIn("templates", ".h5"))
        t.legacy.push_back(kerasfuzz::readFile(path));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return -1;
    const Templates &t = templates();
    const unsigned selector = data[0];
    const std::string json(reinterpret_cast<const char *>(data) + 1, size - 1);
    kerasfuzz::Bytes file;
    std::string name;
    if ((selector & 1) == 0) {
        const Archive &a = t.archives[(selector >> 2) % t.archives.size()];
        std::vector<std::pair<std::string, kerasfuzz::Bytes>> members = {{"config.json", json}, {"model.weights.h5", a.weights}};
        if (a.metadata)
            members.insert(members.begin(), {"metadata.json", *a.metadata});
        file = kerasfuzz::buildZip(members);
        name = "fuzz.keras";
    } else {
        file = kerasfuzz::withModelConfig(t.legacy[(selector >> 2) % t.legacy.size()], json, (selector & 2) == 0);
        name = "fuzz.h5";
        if (file.empty())
            return -1; // an attribute libhdf5 cannot store (too large for the object header)
    }

    // The whole network, as the command line opens a file of several recurrent layers.
    if (const auto n = readOrRefusal(name, [&] { return parseKerasNetwork(bytes(file), file.size(), name); }); n && *n)
        checkNetworkOpened(**n);
    const auto m = readOrRefusal(name, [&] { return parseKerasFile(bytes(file), file.size(), name); });
    if (!m)
        return 0;
    kerasfuzz::checkOpened(*m);
    check(!m->T || *m->T >= 1, "a Keras model opened with an input length T < 1");
    return 0;
}
