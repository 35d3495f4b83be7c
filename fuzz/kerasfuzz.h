#pragma once
// What the two Keras fuzz targets share: the known-good HDF5 files they build their inputs from,
// and the means to build them.
//
// Why templates: the HDF5 library is not safe against damaged files (core/io/kerasfile.h: the app
// reads Keras files in a child process for that reason), so a fuzzer that handed it mutated HDF5
// bytes would mostly find crashes inside libhdf5 — ours to contain, not to fix — and stop at the
// first. The Keras targets therefore fuzz rnnscope's own layers around HDF5 — the .keras zip,
// config.json and @model_config, the matching of configured layers with stored weights, every
// shape check — and let libhdf5 see only files that it reads without harm: the fixtures' files,
// or a fixture file with another @model_config written by libhdf5 itself.
//
// The templates are files of fuzz/corpus/keras_archive/ (*.keras) and fuzz/templates/ (*.h5), found
// through RNNSCOPE_FUZZ_DIR (fuzz/), which fuzz/CMakeLists.txt and tests/CMakeLists.txt define.

#include "fuzzsupport.h"
#include "io/weightfile.h"
#include "nn/weights.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kerasfuzz {

using Bytes = std::string;

inline Bytes readFile(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    fuzzsupport::check(bool(in), "cannot open a template file of fuzz/");
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

// The files of RNNSCOPE_FUZZ_DIR/<folder> whose names end with `extension`, in name order.
inline std::vector<std::filesystem::path> filesIn(const std::string &folder, const std::string &extension)
{
    std::vector<std::filesystem::path> paths;
    for (const auto &entry : std::filesystem::directory_iterator(std::filesystem::path(RNNSCOPE_FUZZ_DIR) / folder))
        if (entry.is_regular_file() && entry.path().extension() == extension)
            paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    fuzzsupport::check(!paths.empty(), "no template files in fuzz/");
    return paths;
}

// What core/io/kerasfile.cpp takes for HDF5: the signature at byte 0, 512, 1024, 2048, …
inline bool hasHdf5Signature(const std::uint8_t *data, std::size_t size)
{
    constexpr std::string_view signature("\x89HDF\r\n\x1a\n", 8);
    for (std::size_t offset = 0; offset + signature.size() <= size; offset = offset ? offset * 2 : 512)
        if (std::memcmp(data + offset, signature.data(), signature.size()) == 0)
            return true;
    return false;
}

// The member `name` of a zip archive in memory, read with the calls core makes (zip_name_locate,
// zip_stat_index, zip_fopen_index, zip_fread), so that the same bytes come out; nullopt when
// libzip cannot read it — then core cannot either.
inline std::optional<Bytes> zipMember(const std::uint8_t *data, std::size_t size, const char *name)
{
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *source = zip_source_buffer_create(data, size, 0, &error);
    zip_t *archive = source ? zip_open_from_source(source, ZIP_RDONLY, &error) : nullptr;
    zip_error_fini(&error);
    if (!archive) {
        if (source)
            zip_source_free(source);
        return std::nullopt;
    }
    std::optional<Bytes> member;
    const zip_int64_t index = zip_name_locate(archive, name, 0);
    zip_stat_t st;
    zip_stat_init(&st);
    if (index >= 0 && zip_stat_index(archive, static_cast<zip_uint64_t>(index), 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
        st.size <= (std::uint64_t(1) << 28)) {
        if (zip_file_t *file = zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0)) {
            Bytes bytes(static_cast<std::size_t>(st.size) + 1, '\0');
            std::size_t filled = 0;
            zip_int64_t got = 0;
            while (filled < bytes.size() && (got = zip_fread(file, bytes.data() + filled, bytes.size() - filled)) > 0)
                filled += static_cast<std::size_t>(got);
            if (got >= 0 && filled == st.size)
                member = bytes.substr(0, filled);
            zip_fclose(file);
        }
    }
    zip_discard(archive);
    return member;
}

// A zip archive of stored members, as Keras writes a .keras file.
inline Bytes buildZip(const std::vector<std::pair<std::string, Bytes>> &members)
{
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
    fuzzsupport::check(buffer != nullptr, "zip_source_buffer_create failed");
    zip_source_keep(buffer);
    zip_t *archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
    fuzzsupport::check(archive != nullptr, "zip_open_from_source failed");
    for (const auto &[name, bytes] : members) {
        zip_source_t *member = zip_source_buffer(archive, bytes.data(), bytes.size(), 0);
        const zip_int64_t index = member ? zip_file_add(archive, name.c_str(), member, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) : -1;
        fuzzsupport::check(index >= 0, "zip_file_add failed");
        zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
    }
    fuzzsupport::check(zip_close(archive) == 0, "zip_close failed");
    Bytes out;
    if (zip_source_open(buffer) == 0) {
        char chunk[1 << 14];
        zip_int64_t got = 0;
        while ((got = zip_source_read(buffer, chunk, sizeof chunk)) > 0)
            out.append(chunk, static_cast<std::size_t>(got));
        zip_source_close(buffer);
    }
    zip_source_free(buffer);
    zip_error_fini(&error);
    return out;
}

// `h5` (a known-good HDF5 file) with its root attribute @model_config replaced by `json`, as a
// variable-length string (h5py's way) or a fixed-length one (older files). libhdf5 writes the new
// file itself, in memory. Empty when it cannot (an attribute too large for the object header).
inline Bytes withModelConfig(const Bytes &h5, const std::string &json, bool variableLength)
{
    const hid_t file = H5LTopen_file_image(const_cast<char *>(h5.data()), h5.size(), H5LT_FILE_IMAGE_OPEN_RW);
    fuzzsupport::check(file >= 0, "a template HDF5 file does not open");
    Bytes out;
    if (H5Aexists(file, "model_config") > 0)
        H5Adelete(file, "model_config");
    const hid_t type = H5Tcopy(H5T_C_S1);
    const hid_t space = H5Screate(H5S_SCALAR);
    const std::string fixed = json.empty() ? std::string(1, '\0') : json;
    H5Tset_size(type, variableLength ? H5T_VARIABLE : fixed.size());
    H5Tset_cset(type, H5T_CSET_UTF8);
    const hid_t attr = H5Acreate2(file, "model_config", type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr >= 0) {
        const char *text = json.c_str();
        const herr_t written = variableLength ? H5Awrite(attr, type, &text) : H5Awrite(attr, type, fixed.data());
        H5Aclose(attr);
        if (written >= 0 && H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0) {
            const ssize_t size = H5Fget_file_image(file, nullptr, 0);
            if (size > 0) {
                out.resize(static_cast<std::size_t>(size));
                if (H5Fget_file_image(file, out.data(), out.size()) != size)
                    out.clear();
            }
        }
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(file);
    return out;
}

// What every opened model promises: weights whose shapes fit together, the SimpleRNN named.
inline void checkOpened(const rnnscope::LoadedModel &m)
{
    try {
        rnnscope::checkShapes(m.weights);
    } catch (const rnnscope::Error &) {
        fuzzsupport::check(false, "a Keras model was opened whose weights do not fit together");
    }
    fuzzsupport::check(!m.layerName.empty(), "a Keras model was opened without the name of its recurrent layer");
    fuzzsupport::check(!m.recurrent == (m.weights.kind() == rnnscope::CellKind::SimpleRNN || !m.cell),
                       "a Keras LSTM or GRU was opened from a config without its recurrent activation (or a SimpleRNN with one)");
}

} // namespace kerasfuzz
