// The zip layer of the Keras reader: the members of a .keras archive (see kerasarchive.h).

#include "io/kerasarchive.h"

#include "io/npy.h"
#include "io/refusal.h"

#include <zip.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

namespace rnnscope::kerasio {

namespace {

struct ZipDiscard {
    void operator()(zip_t *z) const { zip_discard(z); }
};
struct ZipFileClose {
    void operator()(zip_file_t *f) const { zip_fclose(f); }
};

ErrorKind zipErrorKind(int code)
{
    switch (code) {
    case ZIP_ER_EOF:
        return ErrorKind::Truncated;
    case ZIP_ER_MEMORY:
        return ErrorKind::TooLarge;
    case ZIP_ER_COMPNOTSUPP:
    case ZIP_ER_ENCRNOTSUPP:
    case ZIP_ER_NOPASSWD:
    case ZIP_ER_WRONGPASSWD:
    case ZIP_ER_MULTIDISK:
        return ErrorKind::Unsupported;
    default:
        return ErrorKind::NotZip;
    }
}

std::string zipErrorText(zip_error_t *error)
{
    return printableText(zip_error_strerror(error), 120);
}

// The member `name` of the archive, or nullopt when there is none. At most `limit` bytes.
std::optional<std::vector<std::uint8_t>> zipMember(zip_t *archive, const char *name, std::uint64_t limit,
                                                   const std::string &source)
{
    const zip_int64_t index = zip_name_locate(archive, name, 0);
    if (index < 0)
        return std::nullopt;
    const std::string label = "member " + quote(name);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(index), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
        fail(zipErrorKind(zip_error_code_zip(zip_get_error(archive))), source,
             "cannot read the " + label + " (" + zipErrorText(zip_get_error(archive)) + ")");
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
        fail(ErrorKind::Unsupported, source, "the " + label + " is encrypted");
    if (st.size > limit)
        fail(ErrorKind::TooLarge, source,
             "the " + label + " expands to " + std::to_string(st.size) + " bytes, more than the " + std::to_string(limit >> 20) +
                 " MiB rnnscope reads");
    std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0));
    if (!file)
        fail(zipErrorKind(zip_error_code_zip(zip_get_error(archive))), source,
             "cannot open the " + label + " (" + zipErrorText(zip_get_error(archive)) + ")");
    // Grows with what arrives (a damaged entry may announce more than there is), up to one byte
    // more than announced, to notice a member that expands beyond its declared size.
    std::vector<std::uint8_t> bytes;
    const std::size_t wanted = static_cast<std::size_t>(st.size) + 1;
    while (bytes.size() < wanted) {
        const std::size_t filled = bytes.size();
        bytes.resize(std::min(wanted, filled + std::max<std::size_t>(filled, std::size_t(1) << 16)));
        const zip_int64_t got = zip_fread(file.get(), bytes.data() + filled, bytes.size() - filled);
        if (got < 0)
            fail(zipErrorKind(zip_error_code_zip(zip_file_get_error(file.get()))), source,
                 "the " + label + " is damaged (" + zipErrorText(zip_file_get_error(file.get())) + ")");
        bytes.resize(filled + static_cast<std::size_t>(got));
        if (got == 0)
            break;
    }
    if (bytes.size() != st.size)
        fail(ErrorKind::MalformedHeader, source,
             "the " + label + " holds " + std::to_string(bytes.size()) + (bytes.size() > st.size ? "+" : "") +
                 " bytes, but its zip entry announces " + std::to_string(st.size));
    return bytes;
}

} // namespace

KerasArchive readKerasArchive(const std::uint8_t *data, std::size_t size, const std::string &source,
                              std::uint64_t maxJsonBytes)
{
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *zipSource = zip_source_buffer_create(data, size, 0, &error);
    std::unique_ptr<zip_t, ZipDiscard> archive(zipSource ? zip_open_from_source(zipSource, ZIP_RDONLY, &error) : nullptr);
    if (!archive) {
        if (zipSource)
            zip_source_free(zipSource);
        const int code = zip_error_code_zip(&error);
        const std::string text = zipErrorText(&error);
        zip_error_fini(&error);
        if (code == ZIP_ER_NOZIP && size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0)
            fail(ErrorKind::Truncated, source, "the zip archive ends before its central directory (a truncated .keras file)");
        fail(code == ZIP_ER_NOZIP ? ErrorKind::NotZip : zipErrorKind(code), source, "is a damaged zip archive (" + text + ")");
    }
    zip_error_fini(&error);

    auto config = zipMember(archive.get(), "config.json", maxJsonBytes, source);
    if (!config)
        fail(ErrorKind::MissingArray, source,
             "has no config.json: a .keras archive holds config.json, metadata.json and model.weights.h5");
    auto weights = zipMember(archive.get(), "model.weights.h5", kMaxArrayFileBytes, source);
    if (!weights)
        fail(ErrorKind::MissingArray, source,
             "has no model.weights.h5: a .keras archive holds config.json, metadata.json and model.weights.h5");
    return {std::move(*config), std::move(*weights), zipMember(archive.get(), "metadata.json", maxJsonBytes, source)};
}

} // namespace rnnscope::kerasio
