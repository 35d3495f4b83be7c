#include "io/kerasfile.h"

#include "common/error.h"
#include "io/file.h"
#include "io/npy.h"
#include "io/refusal.h"
#include "nn/dims.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <nlohmann/json.hpp>
#include <zip.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#define RNNSCOPE_KERAS_ISOLATED 1
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#else
#define RNNSCOPE_KERAS_ISOLATED 0
#endif

// Under sanitizers the child keeps the parent's address-space limit (they reserve terabytes).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RNNSCOPE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define RNNSCOPE_SANITIZED 1
#endif
#endif
#ifndef RNNSCOPE_SANITIZED
#define RNNSCOPE_SANITIZED 0
#endif

namespace rnnscope {

namespace {

using Json = nlohmann::json;

constexpr std::uint64_t kMaxWeightValues = std::uint64_t(1) << 28; // all weights of one file: 2 GiB as double
constexpr std::size_t kMaxStringBytes = std::size_t(64) << 20;     // one string attribute, one JSON member
constexpr std::size_t kMaxNames = 100000;                          // names in one list or one group
constexpr std::size_t kMaxWeightsPerLayer = 64;
constexpr std::size_t kMaxLinkName = 4096;

// "'a', 'b', 'c'" — at most `limit` names, then "… (n more)".
std::string quotedList(const std::vector<std::string> &names, std::size_t limit = 8)
{
    std::string s;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i == limit) {
            s += ", … (" + std::to_string(names.size() - limit) + " more)";
            break;
        }
        s += (i ? ", " : "") + quote(names[i]);
    }
    return s;
}

// "an LSTM", "a GRU", "a SimpleRNN", "an Embedding": the article as the class name is spoken.
std::string withArticle(const std::string &className)
{
    if (className.empty())
        return "a layer";
    const char c = className[0];
    const bool vowel = std::string_view("AEIOUaeiou").find(c) != std::string_view::npos;
    const bool spelledOut = className.size() > 1 && std::isupper(static_cast<unsigned char>(className[1])) &&
                            std::string_view("FHLMNRSX").find(c) != std::string_view::npos; // "an LSTM", "an RNN"
    return (vowel || spelledOut ? "an " : "a ") + className;
}

std::string joinPath(const std::string &a, const std::string &b)
{
    return a.empty() ? b : a + "/" + b;
}

// ---- HDF5 ----------------------------------------------------------------------------------

// Owns an HDF5 identifier and closes it with its own function.
class H5Handle {
public:
    using Closer = herr_t (*)(hid_t);
    H5Handle() = default;
    H5Handle(hid_t id, Closer close) : m_id(id), m_close(close) {}
    H5Handle(H5Handle &&other) noexcept : m_id(std::exchange(other.m_id, -1)), m_close(other.m_close) {}
    H5Handle &operator=(H5Handle &&other) noexcept
    {
        if (this != &other) {
            reset();
            m_id = std::exchange(other.m_id, -1);
            m_close = other.m_close;
        }
        return *this;
    }
    H5Handle(const H5Handle &) = delete;
    H5Handle &operator=(const H5Handle &) = delete;
    ~H5Handle() { reset(); }

    hid_t get() const { return m_id; }
    explicit operator bool() const { return m_id >= 0; }

private:
    void reset()
    {
        if (m_id >= 0 && m_close)
            m_close(m_id);
        m_id = -1;
    }
    hid_t m_id = -1;
    Closer m_close = nullptr;
};

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

constexpr std::string_view kHdf5Signature("\x89HDF\r\n\x1a\n", 8);

// Where the superblock starts: at 0 or after a user block of 512, 1024, 2048, … bytes.
std::optional<std::size_t> hdf5SuperblockOffset(const std::uint8_t *data, std::size_t size)
{
    for (std::size_t offset = 0; offset + kHdf5Signature.size() <= size; offset = offset ? offset * 2 : 512)
        if (std::memcmp(data + offset, kHdf5Signature.data(), kHdf5Signature.size()) == 0)
            return offset;
    return std::nullopt;
}

bool hasHdf5Signature(const std::uint8_t *data, std::size_t size)
{
    return hdf5SuperblockOffset(data, size).has_value();
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

// A dataset found and checked (float32 or float64), its values not read yet.
struct Dataset {
    std::string path;                // from the root of the HDF5 file
    std::string label;               // for messages: "layer 'simple_rnn': 'simple_rnn/kernel:0'"
    std::vector<std::int64_t> shape; // C order
    DType dtype = DType::Float32;
};

// An HDF5 file opened from memory. Objects are reached through hard links only (an external
// link could make the library open other files); paths are relative to the root.
class Hdf5File {
public:
    // `what` says in messages which bytes these are: "the file", "its member model.weights.h5".
    Hdf5File(const std::uint8_t *data, std::size_t size, std::string source, const std::string &what)
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

    const std::string &source() const { return m_source; }

    bool isGroup(const std::string &path) const
    {
        const H5Handle object = open(path);
        return object && H5Iget_type(object.get()) == H5I_GROUP;
    }

    // The names of a group's members, in HDF5's name order (not the model's).
    std::vector<std::string> children(const std::string &path) const
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

    // A string attribute as a list: a scalar string is a list of one, a zero-element attribute of
    // any type (Keras writes empty name lists as float64 (0,)) an empty list. nullopt: absent.
    std::optional<std::vector<std::string>> strings(const std::string &path, const std::string &attribute) const
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

    // A name list that Keras may split into @name0, @name1, … when it outgrows 64 KiB.
    std::optional<std::vector<std::string>> nameList(const std::string &path, const std::string &attribute) const
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

    std::optional<std::string> stringAttribute(const std::string &path, const std::string &attribute) const
    {
        const auto list = strings(path, attribute);
        if (!list || list->size() != 1)
            return std::nullopt;
        return list->front();
    }

    // The dataset at `path`, its type (float32 or float64) and shape checked; `label` names it in
    // messages.
    Dataset dataset(const std::string &path, const std::string &label) const
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

    // The values of a dataset found by dataset(). All reads of one file together stay within
    // kMaxWeightValues values.
    NdArray read(const Dataset &d)
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

private:
    static const std::string &label(const Dataset &d) { return d.label; }

    // The object at `path` reached through hard links only; an invalid handle when there is none.
    H5Handle open(const std::string &path) const
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

    std::vector<std::string> readVariableStrings(hid_t attr, hid_t space, hid_t memory, std::size_t n,
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

    std::vector<std::string> readFixedStrings(hid_t attr, hid_t type, hid_t memory, std::size_t n, const std::string &where) const
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

    std::string m_source;
    H5Handle m_file;
    std::uint64_t m_valuesRead = 0;
};

// ---- JSON ----------------------------------------------------------------------------------

const Json *member(const Json *object, const char *key)
{
    if (!object || !object->is_object())
        return nullptr;
    const auto it = object->find(key);
    return it == object->end() ? nullptr : &*it;
}

std::optional<std::string> stringMember(const Json *object, const char *key)
{
    const Json *j = member(object, key);
    return j && j->is_string() ? std::optional<std::string>(j->get<std::string>()) : std::nullopt;
}

std::optional<bool> boolMember(const Json *object, const char *key)
{
    const Json *j = member(object, key);
    return j && j->is_boolean() ? std::optional<bool>(j->get<bool>()) : std::nullopt;
}

std::optional<std::int64_t> integerMember(const Json *object, const char *key)
{
    const Json *j = member(object, key);
    if (j && j->is_number_unsigned())
        return j->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                   ? std::nullopt
                   : std::optional<std::int64_t>(static_cast<std::int64_t>(j->get<std::uint64_t>()));
    if (j && j->is_number_integer())
        return j->get<std::int64_t>();
    return std::nullopt;
}

Json parseJson(const std::string &text, const std::string &source, const std::string &what)
{
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded())
        fail(ErrorKind::MalformedHeader, source, what + " is not valid JSON");
    if (!j.is_object())
        fail(ErrorKind::MalformedHeader, source, what + " is not a JSON object");
    return j;
}

// A shape such as batch_input_shape [null, 60, 10]: each entry a number or unknown (null).
using ConfigShape = std::vector<std::optional<std::int64_t>>;

std::optional<ConfigShape> shapeMember(const Json *object, const char *key)
{
    const Json *j = member(object, key);
    if (!j || !j->is_array() || j->size() > 8)
        return std::nullopt;
    ConfigShape shape;
    for (const Json &e : *j) {
        if (e.is_number_integer())
            shape.push_back(e.get<std::int64_t>());
        else if (e.is_null())
            shape.push_back(std::nullopt);
        else
            return std::nullopt;
    }
    return shape;
}

std::string configShapeString(const ConfigShape &shape)
{
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + (shape[i] ? std::to_string(*shape[i]) : std::string("None"));
    return s + (shape.size() == 1 ? ",)" : ")");
}

// ---- the model a file holds ------------------------------------------------------------------

// One layer, in model order.
struct Layer {
    std::string name;
    std::string className;          // Keras's class ("SimpleRNN", …); "" when unknown
    std::string wrapped;            // a wrapper's layer class ("LSTM" in a Bidirectional(LSTM)); "" when none or unknown
    bool guessed = false;           // className inferred from the weights (a file without config)
    const Json *entry = nullptr;    // the layer's entry in the model config
    const Json *config = nullptr;   // its "config"
    std::vector<Dataset> weights;   // in get_weights() order
    std::vector<std::string> roles; // per weight: "kernel", "recurrent_kernel", "bias", "embeddings", or ""
};

// The Keras version that wrote a file, as far as its defaults go: "2.2.4-tf" is {2, 2}.
struct KerasVersion {
    int major = 0, minor = 0;
    bool recorded = false; // false: the file does not say (the format's generation is assumed)

    bool atLeast(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
    std::string text() const { return std::to_string(major) + "." + std::to_string(minor); }
};

KerasVersion parseVersion(const std::optional<std::string> &text, int assumedMajor)
{
    KerasVersion v;
    v.major = assumedMajor;
    if (!text)
        return v;
    std::size_t at = 0;
    const auto number = [&] {
        int n = 0;
        for (const std::size_t start = at; at < text->size() && at - start < 4 && std::isdigit(static_cast<unsigned char>((*text)[at]));)
            n = n * 10 + ((*text)[at++] - '0');
        return n;
    };
    if (text->empty() || !std::isdigit(static_cast<unsigned char>(text->front())))
        return v; // not a version number: keep the assumption
    v.major = number();
    if (at < text->size() && (*text)[at] == '.') {
        ++at;
        v.minor = number();
    }
    v.recorded = true;
    return v;
}

struct KerasModel {
    std::string source;
    std::string format;        // "Keras 2.6.0 model.save() HDF5", …
    KerasVersion version;      // decides hard_sigmoid and the defaults of absent config keys
    Json config;               // the model config; null when the file has none
    std::vector<Layer> layers; // model order
    bool orderGuessed = false; // no config and no @layer_names: order from default names
    std::vector<std::string> notes;
};

bool isRecurrentClass(const std::string &c)
{
    static const char *const names[] = {"SimpleRNN",  "LSTM",       "GRU", "CuDNNLSTM",     "CuDNNGRU", "ConvLSTM1D",
                                        "ConvLSTM2D", "ConvLSTM3D", "RNN", "Bidirectional", "LSTMV1",   "GRUV1"};
    return std::find(std::begin(names), std::end(names), c) != std::end(names);
}

// The cell rnnscope computes for a Keras layer class; nullopt for the recurrent layers it does not
// compute (Bidirectional, CuDNNLSTM, ConvLSTM2D, RNN around a custom cell …) and for every other
// layer. tf.keras's LSTMV1 and GRUV1 compute the same cells as LSTM and GRU.
std::optional<CellKind> cellOfClass(const std::string &c)
{
    if (c == "SimpleRNN")
        return CellKind::SimpleRNN;
    if (c == "LSTM" || c == "LSTMV1")
        return CellKind::LSTM;
    if (c == "GRU" || c == "GRUV1")
        return CellKind::GRU;
    return std::nullopt;
}

// "Bidirectional(LSTM)" for a wrapper whose layer's class is known, else the class.
std::string classText(const Layer &l)
{
    return l.wrapped.empty() ? l.className : l.className + "(" + l.wrapped + ")";
}

// Keras 3's naming.to_snake_case: "SimpleRNN" → "simple_rnn", "InputLayer" → "input_layer",
// "LSTM" → "lstm". Its three regular expressions, written out: drop non-word characters; "_"
// before every capital that starts a capitalised word ("(.)([A-Z][a-z]+)"); "_" between a lower-
// case letter and a capital ("([a-z])([A-Z])"); lower case.
std::string toSnakeCase(const std::string &name)
{
    const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    std::string word;
    for (const char c : name)
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80)
            word += c;
    std::string words;
    for (std::size_t i = 0; i < word.size();) {
        if (i + 2 < word.size() && upper(word[i + 1]) && lower(word[i + 2])) {
            std::size_t end = i + 2;
            while (end < word.size() && lower(word[end]))
                ++end;
            words += word.substr(i, 1) + "_" + word.substr(i + 1, end - i - 1);
            i = end;
        } else {
            words += word[i++];
        }
    }
    std::string out;
    for (std::size_t i = 0; i < words.size();) {
        if (i + 1 < words.size() && lower(words[i]) && upper(words[i + 1])) {
            out += words.substr(i, 1) + "_" + words[i + 1];
            i += 2;
        } else {
            out += words[i++];
        }
    }
    std::transform(out.begin(), out.end(), out.begin(), [&](char c) { return upper(c) ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

// Layers that leave their input unchanged at inference.
bool isInferenceIdentity(const std::string &c)
{
    static const char *const names[] = {"Dropout",         "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                                        "GaussianDropout", "GaussianNoise",    "AlphaDropout",     "ActivityRegularization"};
    return std::find(std::begin(names), std::end(names), c) != std::end(names);
}

std::string describe(const Layer &l)
{
    if (!l.className.empty())
        return quote(l.name) + " (" + classText(l) + (l.guessed ? ", by its weights" : "") + ")";
    return quote(l.name) + (l.weights.empty() ? " (a layer without weights)" : " (a layer of unknown kind)");
}

// "'embedding' (Embedding), 'dropout' (Dropout)" — at most `limit` layers, then "… (n more)".
std::string describeList(const std::vector<const Layer *> &layers, std::size_t limit = 8)
{
    std::string s;
    for (std::size_t i = 0; i < layers.size() && i <= limit; ++i)
        s += (i ? ", " : "") + (i == limit ? "… (" + std::to_string(layers.size() - limit) + " more)" : describe(*layers[i]));
    return s;
}

// "kernel" for "simple_rnn/simple_rnn_cell/kernel:0" and Keras 1's "simplernn_1_W:0"; Keras 1's
// per-gate arrays of an LSTM or a GRU are "kernel_i", "recurrent_kernel_i", "bias_i" for
// "lstm_1_W_i:0", "lstm_1_U_i:0", "lstm_1_b_i:0" (gates i, c, f, o; z, r, h).
std::string roleFromName(const std::string &weightName, const std::string &layerName)
{
    std::string_view s = weightName;
    const auto colon = s.rfind(':');
    if (colon != std::string_view::npos && colon + 1 < s.size() &&
        std::all_of(s.begin() + static_cast<std::ptrdiff_t>(colon) + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        s = s.substr(0, colon);
    const auto slash = s.rfind('/');
    if (slash != std::string_view::npos)
        s = s.substr(slash + 1);
    if (s == layerName + "_W")
        return "kernel"; // Keras 1
    if (s == layerName + "_U")
        return "recurrent_kernel";
    if (s == layerName + "_b")
        return "bias";
    if (s.size() == layerName.size() + 4 && s.substr(0, layerName.size()) == layerName && s[layerName.size()] == '_' &&
        s[layerName.size() + 2] == '_' && std::islower(static_cast<unsigned char>(s.back()))) {
        const char matrix = s[layerName.size() + 1];
        const std::string gate(1, s.back());
        if (matrix == 'W')
            return "kernel_" + gate;
        if (matrix == 'U')
            return "recurrent_kernel_" + gate;
        if (matrix == 'b')
            return "bias_" + gate;
    }
    return std::string(s);
}

// "layer 'simple_rnn': 'layers/simple_rnn/cell/vars/1' (recurrent_kernel)"; the role is left
// out when the name ends with it.
std::string weightLabel(const std::string &layer, const std::string &name, const std::string &role)
{
    std::string_view n = name;
    if (const auto colon = n.rfind(':'); colon != std::string_view::npos)
        n = n.substr(0, colon);
    const bool named = !role.empty() && n.size() >= role.size() && n.substr(n.size() - role.size()) == role;
    return "layer " + quote(layer) + ": " + quote(name) + (named || role.empty() ? "" : " (" + role + ")");
}

// True when a component of `path` starts with `prefix`.
bool hasComponentStarting(const std::string &path, std::string_view prefix)
{
    for (std::size_t start = 0; start < path.size();) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        if (std::string_view(path).substr(start, end - start).substr(0, prefix.size()) == prefix)
            return true;
        start = end + 1;
    }
    return false;
}

// The class of a layer of a file without config, from its weights (and Keras's default names): a
// recurrent kernel (M, gM) tells SimpleRNN, GRU and LSTM apart (g = 1, 3, 4), as do Keras 1's
// per-gate arrays; weights under forward_… and backward_… are a Bidirectional's (Keras 1:
// forward_lstm_1_W_i, Keras 2: forward_lstm_1/kernel:0, Keras 3: forward_layer/cell/vars/0).
void guessClass(Layer &l)
{
    const Dataset *kernel = nullptr, *recurrent = nullptr;
    std::string gates;
    bool forward = false, backward = false;
    for (std::size_t i = 0; i < l.weights.size(); ++i) {
        const std::string &role = l.roles[i];
        if (role == "kernel" && !kernel)
            kernel = &l.weights[i];
        if (role == "recurrent_kernel" && !recurrent)
            recurrent = &l.weights[i];
        if (role.rfind("recurrent_kernel_", 0) == 0)
            gates += role.back();
        if (role == "embeddings")
            l.className = "Embedding";
        forward = forward || hasComponentStarting(l.weights[i].path, "forward_");
        backward = backward || hasComponentStarting(l.weights[i].path, "backward_");
    }
    std::sort(gates.begin(), gates.end());
    if (recurrent && recurrent->shape.size() == 2 && recurrent->shape[0] > 0) {
        const std::int64_t m = recurrent->shape[0], columns = recurrent->shape[1];
        l.className = columns == m ? "SimpleRNN" : columns == 3 * m ? "GRU" : columns == 4 * m ? "LSTM" : "RNN";
    } else if (gates == "cfio" || gates == "hrz") {
        l.className = gates == "cfio" ? "LSTM" : "GRU";
    } else if (kernel && kernel->shape.size() == 2 && l.weights.size() <= 2 && l.className.empty()) {
        l.className = "Dense";
    }
    if (forward && backward) {
        l.wrapped = l.className == "RNN" || l.className == "Dense" ? "" : l.className;
        l.className = "Bidirectional";
    }
    l.guessed = !l.className.empty();
}

// Reads @weight_names of each layer group below `root` (Keras 1, 2 and 3's legacy .h5).
void readLegacyLayers(const Hdf5File &h5, const std::string &root, const std::vector<std::string> &layerNames, KerasModel &km)
{
    const std::string &src = km.source;
    std::map<std::string, Layer> byName;
    for (const std::string &name : layerNames) {
        if (name.empty() || byName.count(name))
            fail(ErrorKind::MalformedHeader, src,
                 "@layer_names lists " + (name.empty() ? std::string("an empty name") : quote(name) + " twice"));
        const std::string group = joinPath(root, name);
        if (!h5.isGroup(group))
            fail(ErrorKind::MissingArray, src, "layer " + quote(name) + " of @layer_names has no group " + quote(group));
        const std::vector<std::string> weightNames = h5.nameList(group, "weight_names").value_or(std::vector<std::string>{});
        if (weightNames.size() > kMaxWeightsPerLayer)
            fail(ErrorKind::Unsupported, src,
                 "layer " + quote(name) + " lists " + std::to_string(weightNames.size()) + " weights");
        Layer l;
        l.name = name;
        for (const std::string &weightName : weightNames) {
            const std::string role = roleFromName(weightName, name);
            l.weights.push_back(h5.dataset(joinPath(group, weightName), weightLabel(name, weightName, role)));
            l.roles.push_back(role);
        }
        byName.emplace(name, std::move(l));
    }
    if (km.config.is_null()) {
        for (const std::string &name : layerNames) {
            km.layers.push_back(std::move(byName.at(name)));
            guessClass(km.layers.back());
        }
        return;
    }
    for (Layer &l : km.layers) {
        const auto it = byName.find(l.name);
        if (it == byName.end())
            continue; // InputLayer, and layers Keras lists nowhere
        l.weights = std::move(it->second.weights);
        l.roles = std::move(it->second.roles);
        byName.erase(it);
    }
    std::vector<std::string> unknown;
    for (const auto &[name, l] : byName)
        if (!l.weights.empty())
            unknown.push_back(name);
    if (!unknown.empty())
        km.notes.push_back("ignored weights of layers the model config does not list: " + quotedList(unknown));
}

// The layers of the model config, in model order, without weights yet.
void readConfigLayers(KerasModel &km, const std::string &what)
{
    const Json *config = member(&km.config, "config");
    const Json *list = config && config->is_array() ? config : member(config, "layers");
    if (!list || !list->is_array())
        fail(ErrorKind::MalformedHeader, km.source, what + " lists no layers (expected \"config\": {\"layers\": [...]})");
    if (list->size() > kMaxNames)
        fail(ErrorKind::TooLarge, km.source, what + " lists " + std::to_string(list->size()) + " layers");
    std::map<std::string, int> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const Json &entry = (*list)[i];
        Layer l;
        l.entry = &entry;
        l.config = member(&entry, "config");
        l.className = stringMember(&entry, "class_name").value_or("");
        l.name = stringMember(l.config, "name").value_or(stringMember(&entry, "name").value_or(""));
        l.wrapped = stringMember(member(l.config, "layer"), "class_name").value_or(""); // Bidirectional, TimeDistributed
        if (!entry.is_object() || l.className.empty() || l.name.empty())
            fail(ErrorKind::MalformedHeader, km.source,
                 "layer " + std::to_string(i) + " of " + what + " has no class_name or no name");
        if (seen[l.name]++)
            fail(ErrorKind::MalformedHeader, km.source, what + " has two layers named " + quote(l.name));
        km.layers.push_back(std::move(l));
    }
}

// Appends the variables <vars>/0, /1, … to the weights of `l`, in the order of their numbers, with
// `roles` (as far as they go).
void readVars(const Hdf5File &h5, const std::string &vars, const std::vector<std::string> &roles, Layer &l)
{
    std::vector<std::string> names = h5.children(vars);
    if (names.size() > kMaxWeightsPerLayer)
        fail(ErrorKind::Unsupported, h5.source(), quote(vars) + " holds " + std::to_string(names.size()) + " weights");
    std::vector<std::size_t> order(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string &n = names[i];
        std::size_t index = 0;
        const bool decimal = !n.empty() && n.size() <= 3 &&
                             std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                             (n.size() == 1 || n[0] != '0');
        if (decimal)
            index = static_cast<std::size_t>(std::stoul(n));
        if (!decimal || index >= names.size())
            fail(ErrorKind::MalformedHeader, h5.source(),
                 quote(vars) + " holds " + quote(n) + ": expected the variables 0, 1, … " + std::to_string(names.size() - 1));
        order[index] = i + 1;
    }
    if (std::find(order.begin(), order.end(), 0) != order.end())
        fail(ErrorKind::MalformedHeader, h5.source(),
             quote(vars) + " holds " + quotedList(names) + ": expected the variables 0, 1, …");
    for (std::size_t i = 0; i < order.size(); ++i) {
        const std::string role = i < roles.size() ? roles[i] : "";
        const std::string path = vars + "/" + std::to_string(i);
        l.weights.push_back(h5.dataset(path, weightLabel(l.name, path, role)));
        l.roles.push_back(role);
    }
}

// The weights of Keras 3 layer `l` stored in `group` (layers/lstm, …): a recurrent layer's at
// <group>/cell/vars/<i>, a Bidirectional's at <group>/forward_layer/cell/vars/<i> and then
// <group>/backward_layer/cell/vars/<i>, any other layer's at <group>/vars/<i>.
void readKeras3Weights(const Hdf5File &h5, Layer &l, const std::string &group)
{
    static const std::vector<std::string> cellRoles = {"kernel", "recurrent_kernel", "bias"};
    if (h5.isGroup(group + "/cell/vars")) {
        readVars(h5, group + "/cell/vars", cellRoles, l);
        return;
    }
    if (h5.isGroup(group + "/forward_layer/cell/vars")) {
        readVars(h5, group + "/forward_layer/cell/vars", cellRoles, l);
        readVars(h5, group + "/backward_layer/cell/vars", cellRoles, l);
        return;
    }
    const std::string vars = group + "/vars";
    const std::string base = group.substr(group.rfind('/') + 1); // a default name, as the group is named
    std::vector<std::string> roles;
    if (l.className == "Dense" || (l.className.empty() && (h5.children(vars).size() == 2 || base.rfind("dense", 0) == 0)))
        roles = {"kernel", "bias"};
    else if (l.className == "Embedding" || (l.className.empty() && base.rfind("embedding", 0) == 0))
        roles = {"embeddings"};
    readVars(h5, vars, roles, l);
}

// Keras's default names number layers of a class in creation order: simple_rnn, simple_rnn_1, …
std::pair<std::string, long> defaultNameOrder(const std::string &name)
{
    const auto underscore = name.rfind('_');
    if (underscore != std::string::npos && underscore + 1 < name.size() && name.size() - underscore <= 9 &&
        std::all_of(name.begin() + static_cast<std::ptrdiff_t>(underscore) + 1, name.end(),
                    [](char c) { return c >= '0' && c <= '9'; }))
        return {name.substr(0, underscore), std::stol(name.substr(underscore + 1))};
    return {name, 0};
}

// Keras 3's weights file (.keras member or .weights.h5). Its groups are named by class, never by
// the config's layer names: snake_case(class) and a counter per class in model order (lstm,
// lstm_1, …; Keras 3 saving_lib.py, "Do NOT address the saveable via saveable.name").
void readKeras3Layers(const Hdf5File &h5, KerasModel &km)
{
    if (!km.config.is_null()) {
        std::map<std::string, int> perClass;
        for (Layer &l : km.layers) {
            std::string group = toSnakeCase(l.className);
            if (const int n = perClass[group]++)
                group += "_" + std::to_string(n);
            if (!group.empty() && h5.isGroup("layers/" + group))
                readKeras3Weights(h5, l, "layers/" + group);
        }
        return;
    }
    const std::vector<std::string> names = h5.children("layers");
    for (const std::string &name : names) {
        Layer l;
        l.name = name;
        readKeras3Weights(h5, l, "layers/" + name);
        guessClass(l);
        km.layers.push_back(std::move(l));
    }
    // No order is recorded: recurrent layers first, then Dense layers, each in default-name order.
    const auto rank = [](const Layer &l) { return isRecurrentClass(l.className) ? 0 : l.className == "Dense" ? 1 : 2; };
    std::stable_sort(km.layers.begin(), km.layers.end(), [&](const Layer &a, const Layer &b) {
        return std::make_tuple(rank(a), defaultNameOrder(a.name).second, a.name) <
               std::make_tuple(rank(b), defaultNameOrder(b.name).second, b.name);
    });
    km.orderGuessed = true;
}

// ---- from the layers to one recurrent layer -> Dense ---------------------------------------------

[[noreturn]] void refuseWithoutRecurrentLayer(const KerasModel &km)
{
    std::vector<const Layer *> all;
    for (const Layer &l : km.layers)
        all.push_back(&l);
    fail(ErrorKind::Unsupported, km.source,
         "holds no recurrent layer (" + (all.empty() ? std::string("no layers at all") : "its layers: " + describeList(all)) +
             "): rnnscope computes SimpleRNN, LSTM and GRU layers");
}

// Refuses the chosen recurrent layer when rnnscope does not compute it: a Bidirectional and a layer
// that runs backwards in time (until rnnscope computes whole networks), a recurrent class other
// than SimpleRNN, LSTM and GRU. `others` are the layers --layer could open instead.
void refuseUncomputed(const KerasModel &km, const Layer &rnn, const std::vector<std::string> &others)
{
    const std::string hint =
        others.empty() ? std::string() : " (--layer NAME opens one of its other recurrent layers: " + quotedList(others) + ")";
    const std::string what = withArticle(classText(rnn)) + " layer " + quote(rnn.name);
    if (rnn.className == "Bidirectional")
        fail(ErrorKind::Unsupported, km.source, "holds " + what + ": rnnscope does not compute Bidirectional layers yet" + hint);
    if (rnn.className == "RNN" && rnn.guessed)
        fail(ErrorKind::Unsupported, km.source,
             "holds a recurrent layer " + quote(rnn.name) + " whose weights are neither a SimpleRNN's, a GRU's nor an LSTM's" + hint);
    if (!cellOfClass(rnn.className))
        fail(ErrorKind::Unsupported, km.source, "holds " + what + ": rnnscope computes SimpleRNN, LSTM and GRU layers" + hint);
    if (boolMember(rnn.config, "go_backwards").value_or(false))
        fail(ErrorKind::Unsupported, km.source,
             rnn.className + " " + quote(rnn.name) +
                 " has go_backwards=True: rnnscope does not compute layers that run backwards in time yet" + hint);
}

const Dataset *weightWithRole(const Layer &l, const std::string &role)
{
    for (std::size_t i = 0; i < l.weights.size(); ++i)
        if (l.roles[i] == role)
            return &l.weights[i];
    return nullptr;
}

// The weights of a layer by role: `roles` in get_weights() order, the last `optional` of them may
// be missing (use_bias=False). Falls back to the positions when the names say nothing.
std::vector<const Dataset *> weightsByRole(const Layer &l, const std::vector<std::string> &roles, std::size_t optional,
                                           const std::string &source)
{
    std::vector<const Dataset *> out;
    for (const std::string &role : roles)
        out.push_back(weightWithRole(l, role));
    std::size_t found = static_cast<std::size_t>(std::count_if(out.begin(), out.end(), [](const Dataset *d) { return d; }));
    if (found == 0 && l.weights.size() + optional >= roles.size() && l.weights.size() <= roles.size()) {
        for (std::size_t i = 0; i < roles.size(); ++i)
            out[i] = i < l.weights.size() ? &l.weights[i] : nullptr;
        found = l.weights.size();
    }
    std::string expected;
    for (std::size_t i = 0; i < roles.size(); ++i)
        expected += std::string(i ? ", " : "") + (i + optional >= roles.size() ? "[" : "") + roles[i] +
                    (i + optional >= roles.size() ? "]" : "");
    std::vector<std::string> names;
    for (const Dataset &d : l.weights)
        names.push_back(d.path);
    if (found != l.weights.size() ||
        std::any_of(out.begin(), out.end() - static_cast<std::ptrdiff_t>(optional), [](const Dataset *d) { return !d; }))
        fail(l.weights.size() < roles.size() - optional ? ErrorKind::MissingArray : ErrorKind::Unsupported, source,
             l.className + " " + quote(l.name) + " has the weights " +
                 (names.empty() ? std::string("(none)") : quotedList(names)) + ": expected " + expected);
    return out;
}

void requireShape(const Dataset &d, const std::vector<std::int64_t> &want, const std::string &because, const std::string &source)
{
    if (d.shape != want)
        fail(ErrorKind::ShapeMismatch, source,
             d.label + " has shape " + shapeString(d.shape) + ", but " + because + " needs " + shapeString(want));
}

// A Keras activation name as rnnscope computes it: "hard_sigmoid" is clip(0.2x + 0.5, 0, 1) up to
// Keras 2 and clip(x/6 + 0.5, 0, 1) from Keras 3 on, so the file's version decides.
std::optional<Activation> kerasActivation(const std::string &name, const KerasVersion &version)
{
    if (name == "hard_sigmoid")
        return version.major < 3 ? Activation::HardSigmoidKeras2 : Activation::HardSigmoid;
    if (name == activationName(Activation::HardSigmoidKeras2))
        return std::nullopt; // rnnscope's name for Keras 2's, never in a Keras file
    return parseActivation(name);
}

// The activation the config of `l` gives under `key` (or `oldKey`, Keras 1's name for it), or
// `absent` — Keras's default — when it gives none; nullopt without config.
std::optional<Activation> activationOf(const KerasModel &km, const Layer &l, const char *key, const char *oldKey,
                                       Activation absent, bool cell)
{
    if (!l.config)
        return std::nullopt;
    const Json *a = member(l.config, key);
    if (!a && oldKey && (a = member(l.config, oldKey)))
        key = oldKey;
    if (!a)
        return absent;
    const std::string name = a->is_string() ? a->get<std::string>() : a->is_null() ? "linear" : "";
    const auto parsed = kerasActivation(name, km.version);
    if (!parsed || (cell && !isCellActivation(*parsed)))
        fail(ErrorKind::Unsupported, km.source,
             classText(l) + " " + quote(l.name) + " uses the " + key + " " +
                 (name.empty() ? std::string("of a custom object") : quote(name)) +
                 (cell ? ": rnnscope's recurrent cells compute tanh, relu, sigmoid, hard_sigmoid or linear"
                       : ": rnnscope's Dense computes linear, relu, sigmoid, tanh, hard_sigmoid or softmax"));
    return parsed;
}

// What the config and the file's Keras version say about the chosen cell. Keras's defaults for
// keys a config leaves out: activation tanh; recurrent_activation hard_sigmoid up to Keras 2.2.5,
// sigmoid from 2.3.0; reset_after False up to Keras 2.3 (Keras 1 and 2.0–2.1.4 have no other
// GRU), True from tf.keras 2.4 and Keras 3 (RECURRENT-LAYERS.md §1.2).
struct CellConfig {
    CellKind kind = CellKind::SimpleRNN;
    std::optional<Activation> activation;  // nullopt: no config
    std::optional<Activation> recurrent;   // LSTM and GRU with a config
    std::optional<bool> resetAfter;        // GRU with a config
    std::string resetAfterText;            // for messages: "reset_after=True in the config"
};

bool defaultResetAfter(const KerasVersion &version)
{
    return version.atLeast(2, 4);
}

CellConfig cellConfigOf(const KerasModel &km, const Layer &rnn)
{
    CellConfig c;
    c.kind = cellOfClass(rnn.className).value_or(CellKind::SimpleRNN);
    c.activation = activationOf(km, rnn, "activation", nullptr, Activation::Tanh, true);
    if (c.kind != CellKind::SimpleRNN)
        c.recurrent = activationOf(km, rnn, "recurrent_activation", "inner_activation",
                                   km.version.atLeast(2, 3) ? Activation::Sigmoid : Activation::HardSigmoidKeras2, true);
    if (c.kind == CellKind::GRU && rnn.config) {
        if (const auto given = boolMember(rnn.config, "reset_after")) {
            c.resetAfter = *given;
            c.resetAfterText = std::string("reset_after=") + (*given ? "True" : "False") + " in the config";
        } else {
            c.resetAfter = defaultResetAfter(km.version) && rnn.className != "GRUV1";
            c.resetAfterText = std::string("reset_after=") + (*c.resetAfter ? "True" : "False") +
                               " (absent from the config: the default of Keras " + km.version.text() + ")";
        }
    }
    return c;
}

// The datasets of the chosen cell: its kernel, recurrent kernel and bias, one dataset each (the
// bias absent with use_bias=False); or, in Keras 1, one of each per gate (lstm_1_W_i, _U_i, _b_i,
// …), listed here in Keras 2's gate order (LSTM i, f, c, o; GRU z, r, h) whatever the file's order.
struct CellParts {
    std::vector<const Dataset *> kernel, recurrent, bias;
    bool perGate() const { return kernel.size() > 1; }
};

CellParts cellParts(const Layer &rnn, CellKind kind, const std::string &source)
{
    CellParts p;
    const std::vector<std::string> gates = gateBlockNames(kind);
    if (!gates.empty() && weightWithRole(rnn, "kernel_" + gates.front())) {
        std::vector<std::string> roles;
        for (const char *matrix : {"kernel_", "recurrent_kernel_", "bias_"})
            for (const std::string &gate : gates)
                roles.push_back(matrix + gate);
        const std::vector<const Dataset *> found = weightsByRole(rnn, roles, 0, source);
        const auto g = static_cast<std::ptrdiff_t>(gates.size());
        p.kernel.assign(found.begin(), found.begin() + g);
        p.recurrent.assign(found.begin() + g, found.begin() + 2 * g);
        p.bias.assign(found.begin() + 2 * g, found.end());
        return p;
    }
    const std::vector<const Dataset *> found = weightsByRole(rnn, {"kernel", "recurrent_kernel", "bias"}, 1, source);
    p.kernel = {found[0]};
    p.recurrent = {found[1]};
    if (found[2])
        p.bias = {found[2]};
    return p;
}

// Checks the shapes of the cell's datasets against each other and the config:
//   kernel (D, gM), recurrent kernel (M, gM), bias (gM,) — a GRU with reset_after (2, gM);
//   Keras 1's per-gate arrays (D, M), (M, M), (M,).
// Returns D and M; M is units (Keras 1: output_dim) when the config gives it.
std::pair<std::int64_t, std::int64_t> checkCellShapes(const CellParts &p, const Layer &rnn, const CellConfig &cell,
                                                      const std::string &source)
{
    const std::string className = cellClassName(cell.kind);
    for (const auto *list : {&p.kernel, &p.recurrent})
        for (const Dataset *d : *list)
            if (d->shape.size() != 2)
                fail(ErrorKind::ShapeMismatch, source,
                     d->label + " has shape " + shapeString(d->shape) + ", but " + withArticle(className) + " needs a matrix");
    std::int64_t M = p.recurrent.front()->shape[0];
    std::string mText = "M=" + std::to_string(M);
    for (const char *key : {"units", "output_dim"})
        if (const auto units = integerMember(rnn.config, key)) {
            M = *units;
            mText = std::string(key) + "=" + std::to_string(M) + " in the config";
        }
    if (M < 1 || static_cast<std::uint64_t>(M) > kMaxWeightValues)
        fail(ErrorKind::ShapeMismatch, source,
             classText(rnn) + " " + quote(rnn.name) + " has " + mText + ": expected a number of units from 1 to " +
                 std::to_string(kMaxWeightValues));
    const std::int64_t D = p.kernel.front()->shape[0];
    // Keras 1's per-gate arrays hold one gate block each.
    const std::int64_t gm = (p.perGate() ? 1 : gateCount(cell.kind)) * M;
    const std::string because = cell.kind == CellKind::SimpleRNN ? mText : withArticle(className) + " with " + mText;
    for (const Dataset *d : p.recurrent)
        requireShape(*d, {M, gm}, because, source);
    for (const Dataset *d : p.kernel)
        requireShape(*d, {D, gm}, because, source);
    if (p.bias.empty())
        return {D, M};
    if (p.perGate()) {
        for (const Dataset *d : p.bias)
            requireShape(*d, {gm}, because, source);
        if (cell.resetAfter.value_or(false))
            fail(ErrorKind::ShapeMismatch, source,
                 p.bias.front()->label + " is one of Keras 1's per-gate biases, which compute reset_after=False, but the GRU has " +
                     cell.resetAfterText);
        return {D, M};
    }
    const Dataset &bias = *p.bias.front();
    const std::vector<std::int64_t> oneRow{gm}, twoRows{2, gm};
    if (cell.kind != CellKind::GRU)
        requireShape(bias, oneRow, because, source);
    else if (cell.resetAfter)
        requireShape(bias, *cell.resetAfter ? twoRows : oneRow, because + " and " + cell.resetAfterText, source);
    else if (bias.shape != oneRow && bias.shape != twoRows) // no config: the bias tells reset_after
        fail(ErrorKind::ShapeMismatch, source,
             bias.label + " has shape " + shapeString(bias.shape) + ", but " + because + " needs " + shapeString(oneRow) +
                 " (reset_after=False) or " + shapeString(twoRows) + " (reset_after=True)");
    return {D, M};
}

// The values of one cell weight: its dataset; or Keras 1's per-gate datasets side by side, gate k
// at columns [k·M, (k+1)·M) of a matrix and at [k·M, (k+1)·M) of the bias (Keras 2's fused layout;
// Keras 2.2.4 saving.py converts Keras 1 files the same way).
NdArray readJoined(Hdf5File &h5, const std::vector<const Dataset *> &parts)
{
    if (parts.size() == 1)
        return h5.read(*parts.front());
    std::vector<NdArray> blocks;
    for (const Dataset *d : parts)
        blocks.push_back(h5.read(*d));
    const bool matrix = blocks.front().rank() == 2;
    const std::int64_t rows = matrix ? blocks.front().shape[0] : 1, width = blocks.front().shape.back();
    const auto columns = width * static_cast<std::int64_t>(blocks.size());
    NdArray out;
    out.shape = matrix ? std::vector<std::int64_t>{rows, columns} : std::vector<std::int64_t>{columns};
    out.dtype = std::all_of(blocks.begin(), blocks.end(), [](const NdArray &b) { return b.dtype == DType::Float64; })
                    ? DType::Float64
                    : DType::Float32;
    out.values.reserve(static_cast<std::size_t>(rows * columns));
    for (std::int64_t r = 0; r < rows; ++r)
        for (const NdArray &b : blocks)
            out.values.insert(out.values.end(), b.values.begin() + r * width, b.values.begin() + (r + 1) * width);
    return out;
}

// "lstm_1_W_i, _W_c, _W_f, _W_o" → "i, c, f, o": the gate order of Keras 1's arrays in the file.
std::string fileGateOrder(const Layer &rnn)
{
    std::string order;
    for (const std::string &role : rnn.roles)
        if (role.rfind("kernel_", 0) == 0)
            order += std::string(order.empty() ? "" : ", ") + role.back();
    return order;
}

std::string joined(const std::vector<std::string> &names)
{
    std::string s;
    for (const std::string &n : names)
        s += (s.empty() ? "" : ", ") + n;
    return s;
}

// Where the configuration says what shape the layer at `index` takes: its own build_config or
// batch_input_shape / batch_shape (Keras 1: input_length, input_dim) or, for the model's first
// layer, the InputLayer's and the model's.
std::optional<std::pair<ConfigShape, std::string>> inputShapeOf(const KerasModel &km, std::size_t index)
{
    const Layer &l = km.layers[index];
    if (auto s = shapeMember(member(l.entry, "build_config"), "input_shape"))
        return std::pair{*s, std::string("build_config")};
    for (const char *key : {"batch_input_shape", "batch_shape"})
        if (auto s = shapeMember(l.config, key))
            return std::pair{*s, std::string(key)};
    if (const auto dim = integerMember(l.config, "input_dim"))
        return std::pair{ConfigShape{std::nullopt, integerMember(l.config, "input_length"), dim}, std::string("input_dim")};
    for (std::size_t i = 0; i < index; ++i)
        if (km.layers[i].className != "InputLayer")
            return std::nullopt;
    for (std::size_t i = 0; i < index; ++i)
        for (const char *key : {"batch_input_shape", "batch_shape"})
            if (auto s = shapeMember(km.layers[i].config, key))
                return std::pair{*s, "the InputLayer's " + std::string(key)};
    const Json *modelConfig = member(&km.config, "config");
    if (auto s = shapeMember(modelConfig, "build_input_shape"))
        return std::pair{*s, std::string("the model's build_input_shape")};
    if (auto s = shapeMember(member(&km.config, "build_config"), "input_shape"))
        return std::pair{*s, std::string("the model's build_config")};
    return std::nullopt;
}

// The index of the first layer from `from` on that is not an identity at inference (Dropout …);
// the skipped layers are added to `skipped`. A layer without weights of a file without config
// counts as one (Keras lists Dropout layers there without saying what they are).
std::size_t skipIdentities(const KerasModel &km, std::size_t from, std::vector<const Layer *> &skipped)
{
    while (from < km.layers.size()) {
        const Layer &l = km.layers[from];
        if (!isInferenceIdentity(l.className) && !(l.className.empty() && l.weights.empty() && km.config.is_null()))
            break;
        skipped.push_back(&l);
        ++from;
    }
    return from;
}

LoadedModel assemble(KerasModel &km, Hdf5File &h5, const std::string &wanted)
{
    const std::string &src = km.source;
    std::vector<std::size_t> rnns;
    std::vector<std::string> rnnNames;
    for (std::size_t i = 0; i < km.layers.size(); ++i)
        if (isRecurrentClass(km.layers[i].className)) {
            rnns.push_back(i);
            rnnNames.push_back(km.layers[i].name);
        }
    if (rnns.empty())
        refuseWithoutRecurrentLayer(km);
    std::size_t chosen = rnns.front();
    if (!wanted.empty()) {
        const auto it = std::find_if(km.layers.begin(), km.layers.end(), [&](const Layer &l) { return l.name == wanted; });
        const std::string choices =
            (rnns.size() == 1 ? "its recurrent layer is " : "its recurrent layers are ") + quotedList(rnnNames, 100);
        if (it == km.layers.end())
            fail(ErrorKind::BadUsage, src, "--layer " + quote(wanted) + " names no layer of this file: " + choices);
        if (!isRecurrentClass(it->className))
            fail(ErrorKind::BadUsage, src,
                 "--layer " + quote(wanted) + " is " +
                     withArticle(it->className.empty() ? "layer of unknown kind" : classText(*it)) +
                     (it->className.empty() ? "" : " layer") + ", not a recurrent layer: " + choices);
        chosen = static_cast<std::size_t>(it - km.layers.begin());
    }
    const Layer &rnn = km.layers[chosen];
    std::vector<std::string> others;
    for (const std::size_t i : rnns)
        if (i != chosen && cellOfClass(km.layers[i].className) && !boolMember(km.layers[i].config, "go_backwards").value_or(false))
            others.push_back(km.layers[i].name);
    refuseUncomputed(km, rnn, others);
    const CellConfig cell = cellConfigOf(km, rnn);
    const std::string className = cellClassName(cell.kind);
    if (!km.version.recorded && cell.recurrent)
        km.notes.push_back("the file does not record its Keras version: its config is read as Keras " +
                           std::to_string(km.version.major) + "'s (hard_sigmoid, and the defaults of keys it leaves out)");

    LoadedModel out;
    out.layoutDescription = km.format;
    out.layerName = rnn.name;
    out.recurrentLayers = rnnNames;
    std::vector<std::string> notes = km.notes;
    if (rnns.size() > 1) {
        std::vector<const Layer *> all;
        for (const std::size_t i : rnns)
            all.push_back(&km.layers[i]);
        notes.push_back("the file holds " + std::to_string(rnns.size()) + " recurrent layers, " + describeList(all, 100) +
                        ": opened " + quote(rnn.name) + (wanted.empty() ? " (the first); choose another with --layer NAME" : ""));
    }

    // The cell: kernel (D, gM), recurrent_kernel (M, gM), bias (gM,) or a GRU's (2, gM).
    const CellParts parts = cellParts(rnn, cell.kind, src);
    const auto [D, M] = checkCellShapes(parts, rnn, cell, src);
    const Dataset &kernel = *parts.kernel.front();
    if (const auto shape = inputShapeOf(km, chosen); shape && shape->first.size() == 3) {
        const ConfigShape &s = shape->first;
        if (s[2] && *s[2] != D)
            fail(ErrorKind::ShapeMismatch, src,
                 kernel.label + " has shape " + shapeString(kernel.shape) + ", but the input shape " + configShapeString(s) +
                     " of the config (" + shape->second + ") needs D=" + std::to_string(*s[2]));
        if (s[1] && *s[1] >= 1 && *s[1] <= DimLimits::maxT)
            out.T = static_cast<int>(*s[1]);
    }

    // The Dense directly after it, with only identities at inference in between.
    std::vector<const Layer *> between, before, after;
    for (std::size_t i = 0; i < chosen; ++i)
        if (km.layers[i].className != "InputLayer")
            before.push_back(&km.layers[i]);
    std::size_t next = skipIdentities(km, chosen + 1, between);
    const Layer *dense = nullptr;
    std::vector<const Dataset *> denseParts;
    if (next < km.layers.size() && km.layers[next].className == "Dense") {
        const Layer &candidate = km.layers[next];
        denseParts = weightsByRole(candidate, {"kernel", "bias"}, 1, src);
        const Dataset &k = *denseParts[0];
        if (k.shape.size() == 2 && k.shape[0] != M && km.orderGuessed) {
            notes.push_back(quote(candidate.name) + " (Dense) does not take " + quote(rnn.name) + "'s output (its kernel is " +
                            shapeString(k.shape) + "): the " + className + " is opened without a Dense layer");
        } else {
            if (k.shape.size() != 2)
                fail(ErrorKind::ShapeMismatch, src,
                     k.label + " has shape " + shapeString(k.shape) + ", but a Dense layer needs (M, K)");
            std::int64_t K = k.shape[1];
            std::string kText = "M=" + std::to_string(M);
            for (const char *key : {"units", "output_dim"})
                if (const auto units = integerMember(candidate.config, key)) {
                    K = *units;
                    kText += " and " + std::string(key) + "=" + std::to_string(K) + " in the config";
                }
            requireShape(k, {M, K}, kText, src);
            if (denseParts[1])
                requireShape(*denseParts[1], {K}, "K=" + std::to_string(K), src);
            dense = &candidate;
            ++next;
        }
    }
    if (!between.empty())
        notes.push_back("left out " + describeList(between) + " between " + quote(rnn.name) + " and " +
                        (dense ? quote(dense->name) : std::string("the output")) +
                        (km.config.is_null()
                             ? ": taken as having no effect at inference (the file has no config to say what it is)"
                             : ": no effect at inference"));

    // Activations and return_sequences; a linear Dense followed by Softmax / Activation folds it in.
    out.cell = cell.activation;
    out.recurrent = cell.recurrent;
    if (!km.config.is_null())
        out.returnSequences = boolMember(rnn.config, "return_sequences").value_or(false);
    if (dense) {
        out.denseLayerName = dense->name;
        out.dense = activationOf(km, *dense, "activation", nullptr, Activation::Linear, false);
        std::vector<const Layer *> skipped;
        const std::size_t following = skipIdentities(km, next, skipped);
        if (following < km.layers.size() && (!out.dense || *out.dense == Activation::Linear)) {
            const Layer &f = km.layers[following];
            const auto axis = integerMember(f.config, "axis");
            std::optional<Activation> folded;
            if (f.className == "Softmax" && (!member(f.config, "axis") || axis == -1))
                folded = Activation::Softmax;
            else if (f.className == "Activation")
                folded = kerasActivation(stringMember(f.config, "activation").value_or(""), km.version);
            if (folded) {
                out.dense = folded;
                notes.push_back("the " + f.className + " layer " + quote(f.name) + " after " + quote(dense->name) +
                                " is applied as the Dense activation (" + activationName(*folded) + ")");
                next = following + 1;
            }
        }
    }
    if (boolMember(rnn.config, "stateful").value_or(false))
        notes.push_back(quote(rnn.name) + " is stateful in Keras: rnnscope starts every sequence from h = 0" +
                        (cell.kind == CellKind::LSTM ? std::string(" and c = 0") : std::string()));
    if (!before.empty())
        notes.push_back("not shown: " + describeList(before) + " before " + quote(rnn.name) + ": X stands for " +
                        (before.size() == 1 ? "its" : "their") + " output (N, T, " + std::to_string(D) + ")");
    for (std::size_t i = next; i < km.layers.size(); ++i)
        after.push_back(&km.layers[i]);
    if (!after.empty())
        notes.push_back("not shown: " + describeList(after) + " after " + quote(dense ? dense->name : rnn.name) +
                        ": Y is the output of " + quote(dense ? dense->name : rnn.name));
    if (km.config.is_null()) {
        notes.push_back("the file has no model config (save_weights): the activations, return_sequences and T are not recorded");
        if (cell.kind != CellKind::SimpleRNN)
            notes.push_back("nor is the " + className +
                            "'s recurrent activation: Keras's default has been sigmoid since Keras 2.3, hard_sigmoid before "
                            "(--recurrent-activation hard_sigmoid_keras2)");
    }
    if (parts.perGate()) {
        const std::string first = rnn.name + "_W_" + gateBlockNames(cell.kind).front();
        notes.push_back("Keras 1 stores the " + className + " as " + std::to_string(3 * gateCount(cell.kind)) +
                        " arrays, one kernel, recurrent kernel and bias per gate (" + printableText(first, 40) +
                        ", …), in the gate order " + fileGateOrder(rnn) +
                        ": joined into one kernel, recurrent_kernel and bias in Keras 2's gate order " +
                        joined(gateBlockNames(cell.kind)));
    }
    for (const auto &[what, a] : {std::pair{"activation", cell.activation}, std::pair{"recurrent activation", cell.recurrent}})
        if (a == Activation::HardSigmoidKeras2 || a == Activation::HardSigmoid)
            notes.push_back(quote(rnn.name) + ": its " + what + " hard_sigmoid is " +
                            (a == Activation::HardSigmoid
                                 ? "Keras 3's, clip(x/6 + 0.5, 0, 1) (Keras 1 and 2 computed clip(0.2x + 0.5, 0, 1))"
                                 : "clip(0.2x + 0.5, 0, 1) as Keras " + km.version.text() +
                                       " computed it (rnnscope's hard_sigmoid_keras2; Keras 3 changed it to clip(x/6 + 0.5, 0, 1))"));
    if (out.T)
        notes.push_back("T=" + std::to_string(*out.T) + " is the input length the model was built for");

    // The values, in get_weights() order, checked and assembled as an np.savez(*get_weights()) is.
    NamedArrays arrays;
    const auto add = [&](NdArray a) { arrays.emplace_back("arr_" + std::to_string(arrays.size()), std::move(a)); };
    add(readJoined(h5, parts.kernel));
    add(readJoined(h5, parts.recurrent));
    const std::int64_t gm = gateCount(cell.kind) * M;
    if (!parts.bias.empty()) {
        add(readJoined(h5, parts.bias));
    } else {
        // Written out (rather than left to weightsFromArrays) so that the positions stay unambiguous
        // and a GRU's reset_after shows in the bias's shape, as nn/weights.h's Weights carries it.
        const bool twoRows = cell.kind == CellKind::GRU && cell.resetAfter.value_or(defaultResetAfter(km.version));
        const std::vector<std::int64_t> shape = twoRows ? std::vector<std::int64_t>{2, gm} : std::vector<std::int64_t>{gm};
        add(NdArray{shape, std::vector<double>(static_cast<std::size_t>(twoRows ? 2 * gm : gm), 0.0), kernel.dtype});
        notes.push_back("the " + className + " has no bias (use_bias=False): bh = 0");
    }
    if (dense) {
        add(h5.read(*denseParts[0]));
        if (denseParts[1])
            add(h5.read(*denseParts[1]));
    }
    LoadedModel assembled = weightsFromArrays(arrays, src);
    out.weights = std::move(assembled.weights);
    out.dtype = assembled.dtype;
    notes.insert(notes.end(), assembled.notes.begin(), assembled.notes.end());
    out.notes = std::move(notes);
    return out;
}

std::string versionText(const std::optional<std::string> &version)
{
    return version && !version->empty() ? "Keras " + printableText(*version, 24) : std::string("Keras");
}

// An HDF5 file (a whole file, or the weights member of a .keras archive with its config).
LoadedModel readHdf5(const std::uint8_t *data, std::size_t size, KerasModel &km, const std::string &what,
                     const std::string &layer)
{
    Hdf5File h5(data, size, km.source, what);
    if (const auto names = h5.nameList("model_weights", "layer_names")) {
        const auto version = h5.stringAttribute("", "keras_version");
        const auto config = h5.stringAttribute("", "model_config");
        const bool keras1 = version && version->rfind("1.", 0) == 0;
        const bool keras3 = version && version->rfind("3.", 0) == 0;
        km.version = parseVersion(version, 2); // the legacy format is Keras 1 and 2's; Keras 3 records its version
        km.format = versionText(version) + " model.save() " + (keras3 ? "legacy HDF5" : "HDF5") +
                    (keras1 ? " (Keras 1 names W, U, b)" : "");
        if (config) {
            km.config = parseJson(*config, km.source, "@model_config");
            readConfigLayers(km, "@model_config");
        } else {
            km.format += ", without model config";
        }
        readLegacyLayers(h5, "model_weights", *names, km);
    } else if (const auto rootNames = h5.nameList("", "layer_names")) {
        const auto version = h5.stringAttribute("", "keras_version");
        km.version = parseVersion(version, 2);
        km.format = versionText(version) + " save_weights() HDF5";
        readLegacyLayers(h5, "", *rootNames, km);
    } else if (h5.isGroup("layers")) {
        if (km.format.empty()) {
            km.format = "Keras 3 save_weights() .weights.h5";
            km.version = parseVersion(std::nullopt, 3);
        }
        readKeras3Layers(h5, km);
    } else {
        const std::vector<std::string> top = h5.children("");
        fail(ErrorKind::Unsupported, km.source,
             what +
                 " is an HDF5 file but not a Keras model: no @layer_names (Keras 1 and 2, legacy .h5) and no layers/ group "
                 "(Keras 3); it holds " +
                 (top.empty() ? std::string("nothing") : quotedList(top)));
    }
    if (km.orderGuessed)
        km.notes.push_back(
            "the file records no layer order: recurrent layers taken in the order of their default names, the Dense after them");
    return assemble(km, h5, layer);
}

// ---- .keras archives -----------------------------------------------------------------------

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

LoadedModel readArchive(const std::uint8_t *data, std::size_t size, const std::string &source, const std::string &layer)
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

    const auto config = zipMember(archive.get(), "config.json", kMaxStringBytes, source);
    if (!config)
        fail(ErrorKind::MissingArray, source,
             "has no config.json: a .keras archive holds config.json, metadata.json and model.weights.h5");
    const auto weights = zipMember(archive.get(), "model.weights.h5", kMaxArrayFileBytes, source);
    if (!weights)
        fail(ErrorKind::MissingArray, source,
             "has no model.weights.h5: a .keras archive holds config.json, metadata.json and model.weights.h5");
    std::optional<std::string> version;
    if (const auto metadata = zipMember(archive.get(), "metadata.json", kMaxStringBytes, source)) {
        const Json j = Json::parse(metadata->begin(), metadata->end(), nullptr, false);
        version = stringMember(&j, "keras_version");
    }
    KerasModel km;
    km.source = source;
    km.format = versionText(version) + " .keras archive (config.json, model.weights.h5)";
    km.version = parseVersion(version, 3); // tf.keras 2.13–2.15 writes .keras archives too: the version decides
    km.config = parseJson(std::string(config->begin(), config->end()), source, "config.json");
    readConfigLayers(km, "config.json");
    if (!hasHdf5Signature(weights->data(), weights->size()))
        fail(ErrorKind::BadMagic, source, "its member model.weights.h5 is not an HDF5 file");
    return readHdf5(weights->data(), weights->size(), km, "its member model.weights.h5", layer);
}

// ---- a child process for the HDF5 library ------------------------------------------------------

// The model travels from the child as a flat byte string; it ends with kTrailer so that a reply
// cut short by a crash is never taken for a model. A model is, in this order: Wx, Wh (rows, then
// the values; gM columns for g gate blocks), bh (its values: gM, or 2gM for a GRU with
// reset_after), Wo, bo, X if any, the layout, the notes, the dtype, the activations of the cell,
// its recurrent activation and the Dense (0 for none, else 1 + the enum), return_sequences, T,
// the layer names. encodeModel and decodeReply must agree on it.
constexpr std::uint64_t kTrailer = 0x4b65726173456e64; // "KerasEnd"

class ReplyWriter {
public:
    void number(std::uint64_t v) { m_bytes.append(reinterpret_cast<const char *>(&v), sizeof v); }
    void text(const std::string &s)
    {
        number(s.size());
        m_bytes += s;
    }
    void values(const double *p, std::size_t n)
    {
        number(n);
        m_bytes.append(reinterpret_cast<const char *>(p), n * sizeof(double));
    }
    void matrix(const Eigen::MatrixXd &m)
    {
        number(static_cast<std::uint64_t>(m.rows()));
        values(m.data(), static_cast<std::size_t>(m.size()));
    }
    void vector(const Eigen::VectorXd &v) { values(v.data(), static_cast<std::size_t>(v.size())); }
    void activation(const std::optional<Activation> &a) { number(a ? 1 + static_cast<std::uint64_t>(*a) : 0); }
    std::string take() { return std::move(m_bytes); }

private:
    std::string m_bytes;
};

class ReplyReader {
public:
    explicit ReplyReader(const std::string &bytes) : m_bytes(bytes) {}
    std::uint64_t number()
    {
        std::uint64_t v = 0;
        need(sizeof v);
        std::memcpy(&v, m_bytes.data() + m_at, sizeof v);
        m_at += sizeof v;
        return v;
    }
    std::string text()
    {
        const std::uint64_t n = number();
        need(n);
        std::string s = m_bytes.substr(m_at, n);
        m_at += n;
        return s;
    }
    std::vector<double> values()
    {
        const std::uint64_t n = number();
        if (n > (m_bytes.size() - m_at) / sizeof(double))
            damaged();
        std::vector<double> v(n);
        if (n > 0) // an empty vector's data() may be null, and memcpy(nullptr, …, 0) is undefined
            std::memcpy(v.data(), m_bytes.data() + m_at, n * sizeof(double));
        m_at += n * sizeof(double);
        return v;
    }
    Eigen::MatrixXd matrix()
    {
        const std::uint64_t rows = number();
        const std::vector<double> v = values();
        if (rows == 0 ? !v.empty() : v.size() % rows != 0)
            damaged();
        return Eigen::Map<const Eigen::MatrixXd>(v.data(), static_cast<Eigen::Index>(rows),
                                                 rows ? static_cast<Eigen::Index>(v.size() / rows) : 0);
    }
    Eigen::VectorXd vector()
    {
        const std::vector<double> v = values();
        return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
    }
    std::optional<Activation> activation()
    {
        const std::uint64_t v = number();
        if (v > 1 + static_cast<std::uint64_t>(Activation::HardSigmoidKeras2))
            damaged();
        return v ? std::optional<Activation>(static_cast<Activation>(v - 1)) : std::nullopt;
    }
    bool atEnd() const { return m_at == m_bytes.size(); }

private:
    void need(std::uint64_t n) const
    {
        if (n > m_bytes.size() - m_at)
            damaged();
    }
    [[noreturn]] static void damaged() { throw std::runtime_error("the Keras file reader's reply is damaged"); }
    const std::string &m_bytes;
    std::size_t m_at = 0;
};

enum Reply : std::uint64_t { ReplyModel = 1, ReplyError = 2, ReplyInternal = 3 };

std::string encodeModel(const LoadedModel &m)
{
    ReplyWriter w;
    w.number(ReplyModel);
    w.matrix(m.weights.Wx);
    w.matrix(m.weights.Wh);
    w.vector(m.weights.bh);
    w.matrix(m.weights.Wo);
    w.vector(m.weights.bo);
    w.number(m.input ? 1 : 0);
    if (m.input) {
        w.number(m.input->shape.size());
        for (const std::int64_t n : m.input->shape)
            w.number(static_cast<std::uint64_t>(n));
        w.number(static_cast<std::uint64_t>(m.input->dtype));
        w.values(m.input->values.data(), m.input->values.size());
    }
    w.text(m.layoutDescription);
    w.number(m.notes.size());
    for (const std::string &note : m.notes)
        w.text(note);
    w.number(static_cast<std::uint64_t>(m.dtype));
    w.activation(m.cell);
    w.activation(m.recurrent);
    w.activation(m.dense);
    w.number(m.returnSequences ? 1 + static_cast<std::uint64_t>(*m.returnSequences) : 0);
    w.number(m.T ? 1 + static_cast<std::uint64_t>(*m.T) : 0);
    w.text(m.layerName);
    w.text(m.denseLayerName);
    w.number(m.recurrentLayers.size());
    for (const std::string &name : m.recurrentLayers)
        w.text(name);
    w.number(kTrailer);
    return w.take();
}

std::string encodeFailure(Reply kind, std::uint64_t errorKind, const std::string &message)
{
    ReplyWriter w;
    w.number(kind);
    w.number(errorKind);
    w.text(message);
    w.number(kTrailer);
    return w.take();
}

DType dtypeFromNumber(std::uint64_t v)
{
    if (v > static_cast<std::uint64_t>(DType::Float64))
        throw std::runtime_error("the Keras file reader's reply is damaged");
    return static_cast<DType>(v);
}

// The model (or the Error) of a complete reply; nullopt for one cut short.
std::optional<LoadedModel> decodeReply(const std::string &bytes)
{
    if (bytes.size() < 16)
        return std::nullopt;
    std::uint64_t trailer = 0;
    std::memcpy(&trailer, bytes.data() + bytes.size() - sizeof trailer, sizeof trailer);
    if (trailer != kTrailer)
        return std::nullopt;
    ReplyReader r(bytes);
    const std::uint64_t kind = r.number();
    if (kind == ReplyError || kind == ReplyInternal) {
        const std::uint64_t errorKind = r.number();
        const std::string message = r.text();
        if (kind == ReplyInternal)
            throw std::runtime_error(message);
        if (errorKind > static_cast<std::uint64_t>(ErrorKind::Unsupported))
            throw std::runtime_error("the Keras file reader's reply is damaged");
        throw Error(static_cast<ErrorKind>(errorKind), message);
    }
    if (kind != ReplyModel)
        throw std::runtime_error("the Keras file reader's reply is damaged");
    LoadedModel m;
    m.weights.Wx = r.matrix();
    m.weights.Wh = r.matrix();
    m.weights.bh = r.vector();
    m.weights.Wo = r.matrix();
    m.weights.bo = r.vector();
    if (r.number()) {
        NdArray x;
        const std::uint64_t rank = r.number();
        if (rank > 8)
            throw std::runtime_error("the Keras file reader's reply is damaged");
        for (std::uint64_t i = 0; i < rank; ++i)
            x.shape.push_back(static_cast<std::int64_t>(r.number()));
        x.dtype = dtypeFromNumber(r.number());
        x.values = r.values();
        m.input = std::move(x);
    }
    m.layoutDescription = r.text();
    for (std::uint64_t n = r.number(), i = 0; i < n; ++i)
        m.notes.push_back(r.text());
    m.dtype = dtypeFromNumber(r.number());
    m.cell = r.activation();
    m.recurrent = r.activation();
    m.dense = r.activation();
    if (const std::uint64_t v = r.number())
        m.returnSequences = v == 2;
    if (const std::uint64_t v = r.number())
        m.T = static_cast<int>(v - 1);
    m.layerName = r.text();
    m.denseLayerName = r.text();
    for (std::uint64_t n = r.number(), i = 0; i < n; ++i)
        m.recurrentLayers.push_back(r.text());
    if (r.number() != kTrailer || !r.atEnd())
        throw std::runtime_error("the Keras file reader's reply is damaged");
    return m;
}

#if RNNSCOPE_KERAS_ISOLATED

void writeAll(int fd, const std::string &bytes)
{
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        done += static_cast<std::size_t>(n);
    }
}

// The child: default signal handling (a crash ends it, no core file), limits on CPU time and
// memory, then the reader; its result or its Error goes to `fd`.
template <typename Read>
[[noreturn]] void childMain(int fd, Read &&read, const std::string &path, int seconds, std::uint64_t extraMemory)
{
    for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE, SIGXCPU, SIGTERM, SIGINT})
        std::signal(sig, SIG_DFL);
    const rlimit noCore{0, 0};
    setrlimit(RLIMIT_CORE, &noCore);
    const rlimit cpu{static_cast<rlim_t>(seconds), static_cast<rlim_t>(seconds) + 1};
    setrlimit(RLIMIT_CPU, &cpu);
    if (!RNNSCOPE_SANITIZED) {
        // The address space it inherited, plus what reading the file may take.
        unsigned long long pages = 0;
        if (FILE *statm = std::fopen("/proc/self/statm", "r")) {
            if (std::fscanf(statm, "%llu", &pages) != 1)
                pages = 0;
            std::fclose(statm);
        }
        if (pages > 0) {
            const rlim_t limit =
                static_cast<rlim_t>(pages * static_cast<unsigned long long>(sysconf(_SC_PAGESIZE)) + extraMemory);
            const rlimit memory{limit, limit};
            setrlimit(RLIMIT_AS, &memory);
        }
    }
    std::string reply;
    try {
        reply = encodeModel(read());
    } catch (const Error &e) {
        reply = encodeFailure(ReplyError, static_cast<std::uint64_t>(e.kind()), e.what());
    } catch (const std::bad_alloc &) {
        reply = encodeFailure(ReplyError, static_cast<std::uint64_t>(ErrorKind::TooLarge),
                              path + ": ran out of memory reading the file");
    } catch (const std::exception &e) {
        reply = encodeFailure(ReplyInternal, 0, e.what());
    } catch (...) {
        reply = encodeFailure(ReplyInternal, 0, "unknown exception reading " + path);
    }
    writeAll(fd, reply);
    ::_exit(0);
}

// Runs read() in a child process and returns its LoadedModel, or throws its Error. A child that
// dies or runs out of `seconds` is refused as a damaged file. Without a process to spare, reads
// here.
template <typename Read> LoadedModel runIsolated(Read &&read, const std::string &path, int seconds, std::uint64_t extraMemory)
{
    int fds[2];
    if (::pipe(fds) != 0)
        return read();
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return read();
    }
    if (pid == 0) {
        ::close(fds[0]);
        childMain(fds[1], read, path, seconds, extraMemory);
    }
    ::close(fds[1]);
    std::string reply;
    bool timedOut = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::array<char, 1 << 16> buffer;
    while (true) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            timedOut = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0)
            continue;
        const ssize_t got = ::read(fds[0], buffer.data(), buffer.size());
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0)
            break;
        reply.append(buffer.data(), static_cast<std::size_t>(got));
    }
    ::close(fds[0]);
    if (timedOut)
        ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (auto model = decodeReply(reply))
        return std::move(*model);
    if (timedOut)
        throw Error(ErrorKind::MalformedHeader, path + ": reading it took longer than " + std::to_string(seconds) +
                                                    " s: refused as damaged (a damaged HDF5 file can make the library loop)");
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        if (sig == SIGKILL || sig == SIGXCPU)
            throw Error(ErrorKind::TooLarge, path + ": reading it ran out of time or memory: refused as damaged");
        throw Error(ErrorKind::MalformedHeader, path + ": the HDF5 reader crashed on this file (signal " + std::to_string(sig) +
                                                    ", " + printableText(strsignal(sig), 40) + "): refused as damaged");
    }
    // The reader never exits with a status of its own (it answers, then _exit(0)): a library that
    // gave up with exit(), or — in a sanitizer build — AddressSanitizer, which reports a memory
    // error of the library and exits with status 1 where a release build would die of a signal.
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        throw Error(ErrorKind::MalformedHeader, path + ": the HDF5 reader crashed on this file (exit status " +
                                                    std::to_string(WEXITSTATUS(status)) + "): refused as damaged");
    throw std::runtime_error("the Keras file reader ended without an answer for " + path);
}

#endif

} // namespace

// ---- public ----------------------------------------------------------------------------------

LoadedModel parseKerasFile(const std::uint8_t *data, std::size_t size, const std::string &name, const std::string &layer)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); // errors become messages, never prints
    if (!data || size == 0)
        fail(ErrorKind::Truncated, name, "the file is empty (0 bytes), expected a Keras .h5 or .keras file");
    for (const std::string_view signature : {kHdf5Signature, std::string_view("PK\x03\x04")})
        if (size < signature.size() && std::memcmp(data, signature.data(), size) == 0)
            fail(ErrorKind::Truncated, name, "the file ends after " + std::to_string(size) + " bytes, inside its signature");
    if (size >= 2 && data[0] == 'P' && data[1] == 'K')
        return readArchive(data, size, name, layer);
    if (hasHdf5Signature(data, size)) {
        KerasModel km;
        km.source = name;
        return readHdf5(data, size, km, "the file", layer);
    }
    fail(ErrorKind::BadMagic, name,
         "is neither an HDF5 file (a Keras .h5 starts with \"\\x89HDF\\r\\n\\x1a\\n\") nor a zip archive (a .keras starts with "
         "\"PK\\x03\\x04\"): it starts with " +
             quote(std::string_view(reinterpret_cast<const char *>(data), std::min<std::size_t>(size, 8))));
}

LoadedModel loadKerasFile(const std::string &path, const std::string &layer)
{
    const auto read = [&] {
        const std::vector<std::uint8_t> bytes = readFileBytes(path, kMaxArrayFileBytes);
        return parseKerasFile(bytes.data(), bytes.size(), path, layer);
    };
#if RNNSCOPE_KERAS_ISOLATED
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    const std::uint64_t bytes = ec ? 0 : std::min<std::uint64_t>(size, kMaxArrayFileBytes);
    // Keras files of classroom size take milliseconds; allow 10 s, and 1 s more for every 8 MiB.
    const int seconds = 10 + static_cast<int>(bytes >> 23);
    return runIsolated(read, path, seconds, (std::uint64_t(8) << 30) + 4 * bytes);
#else
    return read();
#endif
}

} // namespace rnnscope
