#pragma once
// HDF5 files for the Keras reader (kerasfile.cpp), read from memory with the HDF5 library: the
// groups, string attributes and float datasets of a Keras model, reached through hard links only,
// each with a bound on what it may cost, and the library's errors turned into one-line messages
// that start with the file's name. Private to io.
//
// The library is not safe against damaged files: loadKerasFile runs this in a child process
// (isolatedreader.h).

#include "common/ndarray.h"

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rnnscope::kerasio {

// Bounds on what one Keras file may make the reader hold.
inline constexpr std::uint64_t kMaxWeightValues = std::uint64_t(1) << 28; // all weights of one file: 2 GiB as double
inline constexpr std::size_t kMaxStringBytes = std::size_t(64) << 20;     // one string attribute, one JSON member
inline constexpr std::size_t kMaxNames = 100000;                          // names in one list or one group

// The path of `b` inside the group `a`: "a/b"; "b" when `a` is the root ("").
std::string joinPath(const std::string &a, const std::string &b);

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

// The bytes an HDF5 superblock starts with.
inline constexpr std::string_view kHdf5Signature("\x89HDF\r\n\x1a\n", 8);

// True when `data` holds an HDF5 signature where a superblock may start.
bool hasHdf5Signature(const std::uint8_t *data, std::size_t size);

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
    Hdf5File(const std::uint8_t *data, std::size_t size, std::string source, const std::string &what);

    const std::string &source() const { return m_source; }

    bool isGroup(const std::string &path) const;

    // The names of a group's members, in HDF5's name order (not the model's).
    std::vector<std::string> children(const std::string &path) const;

    // A string attribute as a list: a scalar string is a list of one, a zero-element attribute of
    // any type (Keras writes empty name lists as float64 (0,)) an empty list. nullopt: absent.
    std::optional<std::vector<std::string>> strings(const std::string &path, const std::string &attribute) const;

    // A name list that Keras may split into @name0, @name1, … when it outgrows 64 KiB.
    std::optional<std::vector<std::string>> nameList(const std::string &path, const std::string &attribute) const;

    std::optional<std::string> stringAttribute(const std::string &path, const std::string &attribute) const;

    // The dataset at `path`, its type (float32 or float64) and shape checked; `label` names it in
    // messages.
    Dataset dataset(const std::string &path, const std::string &label) const;

    // The values of a dataset found by dataset(). All reads of one file together stay within
    // kMaxWeightValues values.
    NdArray read(const Dataset &d);

private:
    static const std::string &label(const Dataset &d) { return d.label; }

    // The object at `path` reached through hard links only; an invalid handle when there is none.
    H5Handle open(const std::string &path) const;

    std::vector<std::string> readVariableStrings(hid_t attr, hid_t space, hid_t memory, std::size_t n,
                                                 const std::string &where) const;

    std::vector<std::string> readFixedStrings(hid_t attr, hid_t type, hid_t memory, std::size_t n, const std::string &where) const;

    std::string m_source;
    H5Handle m_file;
    std::uint64_t m_valuesRead = 0;
};

} // namespace rnnscope::kerasio
