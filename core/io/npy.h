#pragma once
// NumPy's array files: .npy (one array, np.save) and .npz (a zip of .npy members, np.savez /
// np.savez_compressed), read and written without Python and without executing anything.
//
// An .npy file is
//
//   "\x93NUMPY"  major minor  header_len  header  data
//
// with header_len a little-endian uint16 (version 1.0) or uint32 (2.0 and 3.0), and header a
// Python-literal dict such as  {'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }
// padded with spaces and a final '\n' so that data starts at a multiple of 64 bytes.
// data holds product(shape) values of the dtype `descr`, in C order (last index fastest) or,
// when fortran_order is True, in Fortran order (first index fastest):
//
//   C:        offset(i_0, …, i_{n-1}) = Σ_k i_k · Π_{j>k} shape_j
//   Fortran:  offset(i_0, …, i_{n-1}) = Σ_k i_k · Π_{j<k} shape_j
//
// rnnscope reads float32 and float64 in either byte order ('<f4' '>f4' '<f8' '>f8'), every
// shape including scalars () and empty arrays, and returns the values in C order. Everything
// else is refused with an Error whose kind says why (bad_magic, truncated,
// unsupported_version, malformed_header, object_dtype, unsupported_dtype, shape_mismatch,
// not_zip, too_large, io, unsupported) and whose one-line message starts with the file's name
// and names the offending value and what was expected, e.g.
//
//   "kernel.npy: dtype '<i4' (int32) is not supported: expected float32 or float64
//    ('<f4', '>f4', '<f8', '>f8')"
//
// The header is parsed by a small strict parser of Python literals (strings, integers,
// True/False/None, tuples, lists, dicts); object arrays ('|O', pickles) are refused before any
// of their data is looked at. No input, however hostile, makes a reader read out of bounds,
// allocate without bound or crash.

#include "common/ndarray.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rnnscope {

// The largest file (or sum of uncompressed .npz members) a reader accepts: 2 GiB.
// Larger inputs are refused with ErrorKind::TooLarge before they are read.
inline constexpr std::uint64_t kMaxArrayFileBytes = std::uint64_t(2) << 30;

// ---- reading ---------------------------------------------------------------------------------

// Parses the bytes of one .npy file. `name` starts every error message ("kernel.npy: …").
// The result's dtype is the file's (Float32 or Float64), its values in C order.
NdArray parseNpy(const std::uint8_t *data, std::size_t size, const std::string &name);

// Reads and parses an .npy file. Errors: Io (cannot be read, names the path), TooLarge (file
// larger than kMaxArrayFileBytes), and those of parseNpy.
NdArray readNpy(const std::string &path);
// readNpy that also reads integer dtypes (i1 … i8, u1 … u8), as exact doubles up to 2⁵³ (an
// Embedding's token ids); the result's dtype is Float64 for them.
NdArray readNpyIntegers(const std::string &path);

// Parses the bytes of an .npz archive: stored or deflated members "<key>.npy" (NumPy's zip64
// local extra fields included). Returns the arrays in archive order, keyed without ".npy".
// Members that are neither named *.npy nor start with the .npy magic (directories, README
// files) are skipped. Errors: NotZip (no zip archive, or a damaged one), Truncated (the archive
// ends before its central directory or a member's data), TooLarge (uncompressed members sum to
// more than kMaxArrayFileBytes: zip bombs), Unsupported (encrypted or multi-disk archives,
// unknown compression methods), and those of parseNpy for a member, as
// "weights.npz: member 'recurrent_kernel': dtype '<i8' (int64) is not supported: …".
NamedArrays parseNpz(const std::uint8_t *data, std::size_t size, const std::string &name);

// Reads and parses an .npz file (errors: Io, TooLarge, and those of parseNpz).
NamedArrays readNpz(const std::string &path);

// ---- writing ---------------------------------------------------------------------------------

// The bytes np.save writes for `a` stored as `dtype` (little-endian '<f4' or '<f8'): format
// 1.0 (2.0 only when the header outgrows 65535 bytes), the header dict with sorted keys, NumPy's
// spare room for growing the first axis, space padding and '\n' so that the data is 64-byte
// aligned, then the values in C order. Byte-identical to NumPy 1.24's np.save.
// Throws ShapeMismatch if a.values does not hold product(a.shape) values.
std::string encodeNpy(const NdArray &a, DType dtype);

// The bytes of an .npz archive like np.savez(**arrays), written by libzip: one stored
// (uncompressed) member "<key>.npy" per array, in order, dated 1980-01-01 00:00 like NumPy's, so
// the output is deterministic (zip64 records only where a member or the archive passes 4 GiB).
// Throws BadUsage for an empty, duplicate or too long key.
std::string encodeNpz(const NamedArrays &arrays, DType dtype);

// Writes encodeNpy / encodeNpz output to `path` atomically (writeFileAtomically, io/file.h).
void writeNpy(const std::string &path, const NdArray &a, DType dtype);
void writeNpz(const std::string &path, const NamedArrays &arrays, DType dtype);

// ---- helpers ---------------------------------------------------------------------------------

// NumPy's name of a dtype descr, for messages: '<i4' → "int32", '<c8' → "complex64",
// '|b1' → "bool"; "" when unknown.
std::string dtypeDescrName(std::string_view descr);

} // namespace rnnscope
