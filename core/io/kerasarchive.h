#pragma once
// .keras archives (Keras 3's model.save("x.keras")): a zip of config.json, metadata.json and
// model.weights.h5, read from memory with libzip. Only the members are taken out here, each with a
// bound on its size; what they say is the Keras reader's (kerasfile.cpp). Private to io.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rnnscope::kerasio {

// The members of a .keras archive, their bytes as stored.
struct KerasArchive {
    std::vector<std::uint8_t> config;                  // config.json
    std::vector<std::uint8_t> weights;                 // model.weights.h5
    std::optional<std::vector<std::uint8_t>> metadata; // metadata.json, which may be absent
};

// The members of the .keras archive in `data`; `source` starts every message. config.json and
// metadata.json may hold up to `maxJsonBytes` bytes, model.weights.h5 up to kMaxArrayFileBytes.
// Refused: a damaged or truncated zip, a member that is encrypted, damaged or too large, and an
// archive without config.json or model.weights.h5 (MissingArray).
KerasArchive readKerasArchive(const std::uint8_t *data, std::size_t size, const std::string &source,
                              std::uint64_t maxJsonBytes);

} // namespace rnnscope::kerasio
