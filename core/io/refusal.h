#pragma once
// How io refuses what it reads, in one place: every message starts with the source's name (a
// file, or a member of an archive) and quotes what it found in printable form.
//
//   fail(ShapeMismatch, "w.npz", "kernel has shape (4, 5), …")  throws Error(ShapeMismatch, "w.npz: kernel has shape (4, 5), …")
//   quote("kernel")  = "'kernel'"
//   printableText("a\nb\x01") = "a\\x0ab\\x01"

#include "common/error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rnnscope {

// Error(kind, source + ": " + what), and the same thrown.
Error refusal(ErrorKind kind, const std::string &source, const std::string &what);
[[noreturn]] void fail(ErrorKind kind, const std::string &source, const std::string &what);

// `text` made safe for a one-line message: control bytes, DEL and bytes that are not part of
// well-formed UTF-8 become \xHH (so the result is valid UTF-8), and text longer than
// maxLength characters is cut with "…".
std::string printableText(std::string_view text, std::size_t maxLength = 60);

// printableText(text, maxLength) in single quotes: "'kernel'".
std::string quote(std::string_view text, std::size_t maxLength = 60);

// "1 byte", "228 bytes".
std::string bytesText(std::uint64_t n);

} // namespace rnnscope
