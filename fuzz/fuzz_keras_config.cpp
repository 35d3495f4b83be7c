// Fuzzes the model configuration of Keras files (core/kerasfile.h): the JSON that says which
// layers a model has, their classes, activations, return_sequences and input shape, and how it is
// matched with the weights stored beside it.
//
// An input is one selector byte and the JSON text. The target builds a real Keras file around it
// from known-good templates, so that libhdf5 only reads files it wrote or that Keras wrote
// (kerasfuzz.h):
//   selector bit 0 = 0: a Keras 3 .keras archive: config.json = the JSON, with the metadata.json
//                       and model.weights.h5 of the first seed of fuzz/corpus/keras_archive/;
//   selector bit 0 = 1: a Keras 1/2 model.save() .h5: the template fuzz/templates/*.h5 number
//                       (selector >> 2) with its root attribute @model_config = the JSON, as a
//                       variable-length (bit 1 = 0) or fixed-length (bit 1 = 1) string.
// Then parseKerasFile: it opens the model or refuses it with an Error (never another exception,
// such as a nlohmann::json type error), and what it opens fits together.

#include "kerasfile.h"
#include "kerasfuzz.h"

#include <optional>
#include <utility>

using namespace rnnscope;
using namespace fuzzsupport;

namespace {

struct Templates {
    kerasfuzz::Bytes metadata, weights;     // of a .keras archive
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
    const kerasfuzz::Bytes archive = kerasfuzz::readFile(kerasfuzz::filesIn("corpus/keras_archive", ".keras").front());
    auto metadata = kerasfuzz::zipMember(bytes(archive), archive.size(), "metadata.json");
    auto weights = kerasfuzz::zipMember(bytes(archive), archive.size(), "model.weights.h5");
    check(metadata && weights, "the first seed of fuzz/corpus/keras_archive/ is not a .keras archive");
    t.metadata = std::move(*metadata);
    t.weights = std::move(*weights);
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
        file = kerasfuzz::buildZip({{"metadata.json", t.metadata}, {"config.json", json}, {"model.weights.h5", t.weights}});
        name = "fuzz.keras";
    } else {
        file = kerasfuzz::withModelConfig(t.legacy[(selector >> 2) % t.legacy.size()], json, (selector & 2) == 0);
        name = "fuzz.h5";
        if (file.empty())
            return -1; // an attribute libhdf5 cannot store (too large for the object header)
    }

    const auto m = readOrRefusal(name, [&] { return parseKerasFile(bytes(file), file.size(), name); });
    if (!m)
        return 0;
    kerasfuzz::checkOpened(*m);
    check(!m->T || *m->T >= 1, "a Keras model opened with an input length T < 1");
    return 0;
}
