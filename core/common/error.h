#pragma once
// rnnscope::Error — the one exception type core throws for bad input.
//
// Every refusal carries a kind (so tests and callers can tell a truncated file from a shape
// mismatch) and a one-line message that names the offending value and what was expected,
// e.g. "Wh has shape (4, 5), but M=5 needs (5, 5)".

#include <stdexcept>
#include <string>

namespace rnnscope {

enum class ErrorKind {
    BadUsage,          // a malformed option or argument
    OutOfRange,        // a dimension or parameter outside its allowed range
    TooLarge,          // the memory estimate exceeds the budget
    Io,                // a file cannot be opened, read or written
    BadMagic,          // the file is not what its extension says
    Truncated,         // the file ends before what it announces
    UnsupportedVersion,
    MalformedHeader,
    ObjectDtype,       // pickled Python objects: never unpickled
    UnsupportedDtype,
    ShapeMismatch,
    MissingArray,
    NotZip,
    Unsupported,       // a well-formed file that holds something rnnscope does not model (an LSTM, ...)
};

// The manifest's name of a kind: "truncated", "bad_magic", "shape_mismatch", ...
const char *errorKindName(ErrorKind kind);

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string &message) : std::runtime_error(message), m_kind(kind) {}
    ErrorKind kind() const { return m_kind; }

private:
    ErrorKind m_kind;
};

} // namespace rnnscope
