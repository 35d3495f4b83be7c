// The HDF5 layer of the Keras reader: Hdf5File and the checks before the library sees a file
// (see hdf5reader.h).

#include "io/hdf5reader.h"

#include "io/refusal.h"

#include <hdf5_hl.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace rnnscope::kerasio {

namespace {

constexpr std::size_t kMaxLinkName = 4096; // one component of a path

// The descriptions on HDF5's error stack, from the API call down to where the error was found;
// the stack is cleared.
std::vector<std::string> hdf5Errors()
{
    std::vector<std::string> out;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_DOWNWARD,
        [](unsigned, const H5E_error2_t *e, void *data) -> herr_t {
            auto &list = *static_cast<std::vector<std::string> *>(data);
            if (e && e->desc && *e->desc && list.size() < 32)
                list.push_back(printableText(e->desc, 160));
            return 0;
        },
        &out);
    H5Eclear2(H5E_DEFAULT);
    return out;
}

// " (HDF5: <the innermost error>)", or "" when the stack is empty.
std::string hdf5Detail()
{
    const std::vector<std::string> errors = hdf5Errors();
    return errors.empty() ? std::string() : " (HDF5: " + errors.back() + ")";
}

// "float16", "int64", "string", … for a message about a dataset's type.
std::string typeName(hid_t type)
{
    const std::string bits = std::to_string(H5Tget_size(type) * 8);
    switch (H5Tget_class(type)) {
    case H5T_INTEGER:
        return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + bits;
    case H5T_FLOAT:
        return "float" + bits;
    case H5T_STRING:
        return "string";
    case H5T_ENUM:
        return "enum (h5py's bool)";
    case H5T_COMPOUND:
        return "compound";
    case H5T_BITFIELD:
        return "bitfield";
    case H5T_OPAQUE:
        return "opaque";
    case H5T_REFERENCE:
        return "reference";
    case H5T_VLEN:
        return "variable-length";
    case H5T_ARRAY:
        return "array";
    default:
        return "unknown-type";
    }
}

// Where the superblock starts: at 0 or after a user block of 512, 1024, 2048, … bytes.
std::optional<std::size_t> hdf5SuperblockOffset(const std::uint8_t *data, std::size_t size)
{
    for (std::size_t offset = 0; offset + kHdf5Signature.size() <= size; offset = offset ? offset * 2 : 512)
        if (std::memcmp(data + offset, kHdf5Signature.data(), kHdf5Signature.size()) == 0)
            return offset;
    return std::nullopt;
}

// Refuses an HDF5 file shorter than its superblock says. The superblock (format versions 0 and 1:
// 24 or 28 bytes of versions and sizes; 2 and 3: 12 bytes) is followed by the base address, one
// more address and the end-of-file address, each `sizeOfOffsets` bytes, little-endian. The
// library compares the end-of-file address with the file's size (user block included).
void refuseTruncatedHdf5(const std::uint8_t *data, std::size_t size, std::size_t superblock, const std::string &source,
                         const std::string &what)
{
    const std::uint8_t *sb = data + superblock;
    const std::size_t available = size - superblock;
    if (available < 14)
        fail(ErrorKind::Truncated, source, what + " is a truncated HDF5 file: it ends inside its superblock");
    const unsigned version = sb[8];
    const std::size_t sizeOfOffsets = version <= 1 ? sb[13] : sb[9];
    const std::size_t addresses = version == 0 ? 24 : version == 1 ? 28 : 12;
    if (version > 3 || (sizeOfOffsets != 2 && sizeOfOffsets != 4 && sizeOfOffsets != 8))
        return; // the library says what is wrong with it
    if (available < addresses + 3 * sizeOfOffsets)
        fail(ErrorKind::Truncated, source, what + " is a truncated HDF5 file: it ends inside its superblock");
    const auto address = [&](std::size_t index) {
        std::uint64_t v = 0;
        for (std::size_t i = sizeOfOffsets; i-- > 0;)
            v = (v << 8) | sb[addresses + index * sizeOfOffsets + i];
        return v;
    };
    const std::uint64_t undefined = sizeOfOffsets == 8 ? ~std::uint64_t(0) : (std::uint64_t(1) << (8 * sizeOfOffsets)) - 1;
    const std::uint64_t end = address(2);
    if (end != undefined && end > size)
        fail(ErrorKind::Truncated, source,
             what + " is a truncated HDF5 file: it has " + std::to_string(size) + " bytes, but its superblock announces " +
                 std::to_string(end));
}

} // namespace

std::string joinPath(const std::string &a, const std::string &b)
{
    return a.empty() ? b : a + "/" + b;
}

bool hasHdf5Signature(const std::uint8_t *data, std::size_t size)
{
    return hdf5SuperblockOffset(data, size).has_value();
}

Hdf5File::Hdf5File(const std::uint8_t *data, std::size_t size, std::string source, const std::string &what)
    : m_source(std::move(source))
{
    // H5LT_FILE_IMAGE_DONT_COPY | DONT_RELEASE: read-only, straight from `data`, which outlives us.
    if (const auto superblock = hdf5SuperblockOffset(data, size))
        refuseTruncatedHdf5(data, size, *superblock, m_source, what);
    m_file = H5Handle(
        H5LTopen_file_image(const_cast<std::uint8_t *>(data), size, H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE),
        H5Fclose);
    if (!m_file)
        fail(ErrorKind::MalformedHeader, m_source,
             what + " is a damaged HDF5 file: the library cannot open it" + hdf5Detail());
}

bool Hdf5File::isGroup(const std::string &path) const
{
    const H5Handle object = open(path);
    return object && H5Iget_type(object.get()) == H5I_GROUP;
}

std::vector<std::string> Hdf5File::children(const std::string &path) const
{
    const H5Handle group = open(path);
    if (!group || H5Iget_type(group.get()) != H5I_GROUP)
        return {};
    H5G_info_t info;
    if (H5Gget_info(group.get(), &info) < 0)
        fail(ErrorKind::MalformedHeader, m_source, "cannot list the group " + quote(path) + hdf5Detail());
    if (info.nlinks > kMaxNames)
        fail(ErrorKind::TooLarge, m_source,
             "the group " + quote(path) + " holds " + std::to_string(info.nlinks) + " objects");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t length = H5Lget_name_by_idx(group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (length < 0 || static_cast<std::size_t>(length) > kMaxLinkName)
            fail(ErrorKind::MalformedHeader, m_source,
                 "cannot read the name of member " + std::to_string(i) + " of " + quote(path) + hdf5Detail());
        std::string name(static_cast<std::size_t>(length) + 1, '\0');
        if (H5Lget_name_by_idx(group.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
            fail(ErrorKind::MalformedHeader, m_source,
                 "cannot read the name of member " + std::to_string(i) + " of " + quote(path) + hdf5Detail());
        name.resize(std::strlen(name.c_str()));
        names.push_back(std::move(name));
    }
    return names;
}

std::optional<std::vector<std::string>> Hdf5File::strings(const std::string &path, const std::string &attribute) const
{
    const H5Handle object = open(path);
    if (!object)
        return std::nullopt;
    const std::string where = "@" + attribute + " of " + quote(path.empty() ? "/" : path);
    const htri_t exists = H5Aexists(object.get(), attribute.c_str());
    if (exists < 0)
        fail(ErrorKind::MalformedHeader, m_source,
             "cannot read the attributes of " + quote(path.empty() ? "/" : path) + hdf5Detail());
    if (exists == 0)
        return std::nullopt;
    const H5Handle attr(H5Aopen(object.get(), attribute.c_str(), H5P_DEFAULT), H5Aclose);
    const H5Handle space(attr ? H5Aget_space(attr.get()) : -1, H5Sclose);
    const H5Handle type(attr ? H5Aget_type(attr.get()) : -1, H5Tclose);
    if (!attr || !space || !type)
        fail(ErrorKind::MalformedHeader, m_source, "cannot open " + where + hdf5Detail());
    const H5S_class_t spaceClass = H5Sget_simple_extent_type(space.get());
    const hssize_t count = spaceClass == H5S_NULL ? 0 : H5Sget_simple_extent_npoints(space.get());
    if (spaceClass == H5S_NO_CLASS || count < 0 || (spaceClass == H5S_SIMPLE && H5Sget_simple_extent_ndims(space.get()) > 1))
        fail(ErrorKind::MalformedHeader, m_source, where + " is not a string or a list of strings" + hdf5Detail());
    if (count == 0)
        return std::vector<std::string>{};
    if (static_cast<std::uint64_t>(count) > kMaxNames)
        fail(ErrorKind::TooLarge, m_source, where + " holds " + std::to_string(count) + " values");
    if (H5Tget_class(type.get()) != H5T_STRING)
        fail(ErrorKind::MalformedHeader, m_source, where + " holds " + typeName(type.get()) + " values, expected strings");
    const htri_t variable = H5Tis_variable_str(type.get());
    const H5T_cset_t cset = H5Tget_cset(type.get());
    const H5Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
    if (variable < 0 || cset < 0 || !memory || H5Tset_cset(memory.get(), cset) < 0)
        fail(ErrorKind::MalformedHeader, m_source, "cannot read " + where + hdf5Detail());
    const auto n = static_cast<std::size_t>(count);
    return variable ? readVariableStrings(attr.get(), space.get(), memory.get(), n, where)
                    : readFixedStrings(attr.get(), type.get(), memory.get(), n, where);
}

std::optional<std::vector<std::string>> Hdf5File::nameList(const std::string &path, const std::string &attribute) const
{
    if (auto whole = strings(path, attribute))
        return whole;
    std::optional<std::vector<std::string>> all;
    for (std::size_t part = 0; part < kMaxNames; ++part) {
        const auto chunk = strings(path, attribute + std::to_string(part));
        if (!chunk)
            break;
        if (!all)
            all.emplace();
        if (chunk->size() > kMaxNames - all->size())
            fail(ErrorKind::TooLarge, m_source,
                 "@" + attribute + " of " + quote(path) + " holds more than " + std::to_string(kMaxNames) + " names");
        all->insert(all->end(), chunk->begin(), chunk->end());
    }
    return all;
}

std::optional<std::string> Hdf5File::stringAttribute(const std::string &path, const std::string &attribute) const
{
    const auto list = strings(path, attribute);
    if (!list || list->size() != 1)
        return std::nullopt;
    return list->front();
}

Dataset Hdf5File::dataset(const std::string &path, const std::string &label) const
{
    const H5Handle object = open(path);
    if (!object)
        fail(ErrorKind::MissingArray, m_source, label + " is missing: the file has no dataset " + quote(path));
    if (H5Iget_type(object.get()) != H5I_DATASET)
        fail(ErrorKind::MalformedHeader, m_source, label + ": " + quote(path) + " is not a dataset");
    Dataset d{path, label, {}, DType::Float32};
    const H5Handle type(H5Dget_type(object.get()), H5Tclose);
    const H5Handle space(H5Dget_space(object.get()), H5Sclose);
    if (!type || !space)
        fail(ErrorKind::MalformedHeader, m_source, "cannot read the type and shape of " + label + hdf5Detail());
    const std::size_t size = H5Tget_size(type.get());
    if (H5Tget_class(type.get()) != H5T_FLOAT || (size != 4 && size != 8))
        fail(ErrorKind::UnsupportedDtype, m_source,
             label + " holds " + typeName(type.get()) + " values: expected float32 or float64");
    d.dtype = size == 8 ? DType::Float64 : DType::Float32;
    const H5S_class_t spaceClass = H5Sget_simple_extent_type(space.get());
    if (spaceClass == H5S_SIMPLE) {
        const int rank = H5Sget_simple_extent_ndims(space.get());
        std::array<hsize_t, H5S_MAX_RANK> dims{};
        if (rank < 0 || rank > H5S_MAX_RANK || H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
            fail(ErrorKind::MalformedHeader, m_source, "cannot read the shape of " + label + hdf5Detail());
        for (int i = 0; i < rank; ++i) {
            if (dims[static_cast<std::size_t>(i)] > kMaxWeightValues)
                fail(ErrorKind::TooLarge, m_source,
                     label + " has a dimension of " + std::to_string(dims[static_cast<std::size_t>(i)]) + ", more than the " +
                         std::to_string(kMaxWeightValues) + " weights rnnscope reads");
            d.shape.push_back(static_cast<std::int64_t>(dims[static_cast<std::size_t>(i)]));
        }
    } else if (spaceClass != H5S_SCALAR) {
        fail(ErrorKind::MalformedHeader, m_source, label + " has no data (an empty dataspace)");
    }
    return d;
}

NdArray Hdf5File::read(const Dataset &d)
{
    std::uint64_t count = 1;
    for (const std::int64_t n : d.shape) {
        if (n != 0 && count > kMaxWeightValues / static_cast<std::uint64_t>(n))
            count = kMaxWeightValues + 1;
        else
            count *= static_cast<std::uint64_t>(n);
    }
    if (count > kMaxWeightValues - m_valuesRead)
        fail(ErrorKind::TooLarge, m_source,
             label(d) + " has shape " + shapeString(d.shape) + ": more than the " + std::to_string(kMaxWeightValues) +
                 " weights rnnscope reads");
    m_valuesRead += count;
    const H5Handle object = open(d.path);
    if (!object || H5Iget_type(object.get()) != H5I_DATASET)
        fail(ErrorKind::MissingArray, m_source, label(d) + " is missing");
    NdArray a;
    a.shape = d.shape;
    a.dtype = d.dtype;
    a.values.resize(count);
    if (count > 0 && H5Dread(object.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()) < 0)
        fail(ErrorKind::MalformedHeader, m_source, "cannot read the values of " + d.label + hdf5Detail());
    return a;
}

H5Handle Hdf5File::open(const std::string &path) const
{
    std::string prefix;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        const std::string component = path.substr(start, slash - start);
        start = slash + 1;
        if (component.empty())
            continue;
        if (component == "." || component == ".." || component.size() > kMaxLinkName)
            return {};
        prefix = joinPath(prefix, component);
        if (H5Lexists(m_file.get(), prefix.c_str(), H5P_DEFAULT) <= 0) {
            hdf5Errors();
            return {};
        }
        H5L_info_t info;
        if (H5Lget_info(m_file.get(), prefix.c_str(), &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_HARD) {
            hdf5Errors();
            return {};
        }
    }
    H5Handle object(H5Oopen(m_file.get(), prefix.empty() ? "/" : prefix.c_str(), H5P_DEFAULT), H5Oclose);
    if (!object)
        hdf5Errors();
    return object;
}

std::vector<std::string> Hdf5File::readVariableStrings(hid_t attr, hid_t space, hid_t memory, std::size_t n,
                                                       const std::string &where) const
{
    if (H5Tset_size(memory, H5T_VARIABLE) < 0)
        fail(ErrorKind::MalformedHeader, m_source, "cannot read " + where + hdf5Detail());
    std::vector<char *> pointers(n, nullptr);
    if (H5Aread(attr, memory, pointers.data()) < 0)
        fail(ErrorKind::MalformedHeader, m_source, "cannot read " + where + hdf5Detail());
    std::vector<std::string> out;
    std::size_t total = 0;
    bool tooLong = false;
    for (const char *p : pointers) {
        const std::size_t length = p ? strnlen(p, kMaxStringBytes + 1) : 0;
        if (length > kMaxStringBytes - total) {
            tooLong = true;
            break;
        }
        total += length;
        out.emplace_back(p ? p : "", length);
    }
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(memory, space, H5P_DEFAULT, pointers.data());
#else
    H5Dvlen_reclaim(memory, space, H5P_DEFAULT, pointers.data());
#endif
    if (tooLong)
        fail(ErrorKind::TooLarge, m_source, where + " is longer than " + std::to_string(kMaxStringBytes >> 20) + " MiB");
    return out;
}

std::vector<std::string> Hdf5File::readFixedStrings(hid_t attr, hid_t type, hid_t memory, std::size_t n,
                                                    const std::string &where) const
{
    const std::size_t size = H5Tget_size(type);
    if (size == 0 || size > kMaxStringBytes || n > kMaxStringBytes / size)
        fail(ErrorKind::TooLarge, m_source,
             where + " holds " + std::to_string(n) + " strings of " + std::to_string(size) + " bytes");
    std::vector<char> buffer(n * size);
    if (H5Tset_size(memory, size) < 0 || H5Tset_strpad(memory, H5T_STR_NULLPAD) < 0 ||
        H5Aread(attr, memory, buffer.data()) < 0)
        fail(ErrorKind::MalformedHeader, m_source, "cannot read " + where + hdf5Detail());
    const bool spacePadded = H5Tget_strpad(type) == H5T_STR_SPACEPAD;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) {
        std::string_view s(buffer.data() + i * size, size);
        s = s.substr(0, s.find('\0'));
        while (spacePadded && !s.empty() && s.back() == ' ')
            s.remove_suffix(1);
        out.emplace_back(s);
    }
    return out;
}

} // namespace rnnscope::kerasio
