#pragma once
// Whole files: read into memory with a bound on their size, and replaced atomically. Every
// reader and writer of io goes through these; errors are Error(Io) (or TooLarge) naming the path.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rnnscope {

// Error(Io) naming the path if it does not exist, is a directory or cannot be opened for reading.
void checkReadable(const std::string &path);

// The bytes of a file (a regular file, or a pipe read to its end). Error(Io) naming the path
// if it does not exist, is a directory or cannot be read; Error(TooLarge) beyond maxBytes.
std::vector<std::uint8_t> readFileBytes(const std::string &path, std::uint64_t maxBytes);

// Replaces the file at `path` with `bytes` atomically: writes a temporary file in the same
// directory, flushes and fsyncs it, then renames it over `path`, so readers see either the old
// file or the complete new one. A symlink is followed (its target is replaced); an existing
// file keeps its permissions. On failure the temporary file is removed, the old file is left
// as it was, and Error(Io) names the path and the reason.
void writeFileAtomically(const std::string &path, std::string_view bytes);

} // namespace rnnscope
