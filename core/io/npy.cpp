#include "io/npy.h"

#include "common/error.h"
#include "io/file.h"
#include "io/refusal.h"

#include <zip.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <set>
#include <vector>

namespace rnnscope {

namespace {

constexpr std::uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kMagicLength = sizeof kMagic;
// NumPy refuses headers beyond 10000 bytes unless told otherwise; real headers are ~120 bytes.
// We are more generous (a rank-64 shape of huge dimensions still fits) but keep a bound.
constexpr std::size_t kMaxHeaderBytes = 1 << 20;
constexpr int kMaxHeaderDepth = 32;
constexpr std::size_t kMaxRank = 64;
const char *const kExpectedDtypes = "expected float32 or float64 ('<f4', '>f4', '<f8', '>f8')";

// ---- byte order ----------------------------------------------------------------------------

template <typename U>
U byteSwapped(U v)
{
    U r = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) {
        r = static_cast<U>((r << 8) | (v & 0xff));
        v = static_cast<U>(v >> 8);
    }
    return r;
}

std::uint32_t readLe32(const std::uint8_t *p)
{
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

// Converts n values of F (stored with bits U, in the file's byte order) to double.
template <typename F, typename U>
void widen(const std::uint8_t *src, std::size_t n, bool fileBigEndian, double *out)
{
    static_assert(sizeof(F) == sizeof(U));
    const bool swap = fileBigEndian != (std::endian::native == std::endian::big);
    for (std::size_t i = 0; i < n; ++i) {
        U bits;
        std::memcpy(&bits, src + i * sizeof(U), sizeof(U));
        if (swap)
            bits = byteSwapped(bits);
        F f;
        std::memcpy(&f, &bits, sizeof(F));
        out[i] = static_cast<double>(f);
    }
}

// ---- the Python-literal header -------------------------------------------------------------

struct PyValue {
    enum class Type { Str, Int, Number, Bool, None, Tuple, List, Dict };
    Type type = Type::None;
    std::string text;           // Str: the value; Int and Number: the literal as written
    std::int64_t integer = 0;   // Int
    bool intOverflow = false;   // Int beyond int64
    bool boolean = false;       // Bool
    std::vector<PyValue> items; // Tuple, List; Dict: key, value, key, value, …
};

std::string pyTypeName(const PyValue &v)
{
    switch (v.type) {
    case PyValue::Type::Str: return "a string";
    case PyValue::Type::Int: return "an integer";
    case PyValue::Type::Number: return "a number";
    case PyValue::Type::Bool: return "a bool";
    case PyValue::Type::None: return "None";
    case PyValue::Type::Tuple: return "a tuple";
    case PyValue::Type::List: return "a list";
    case PyValue::Type::Dict: return "a dict";
    }
    return "a value";
}

// A recursive-descent parser for the subset of Python literals NumPy headers use. It never
// evaluates anything; anything outside the grammar is a MalformedHeader error.
//
//   value  := string | number | True | False | None | tuple | list | dict
//   tuple  := '(' ')' | '(' value ',' [value (',' value)* [',']] ')'     ('(' value ')' = value)
//   list   := '[' [value (',' value)* [',']] ']'
//   dict   := '{' [string ':' value (',' string ':' value)* [',']] '}'
class LiteralParser {
public:
    LiteralParser(std::string_view text, const std::string &name) : m_text(text), m_name(name) {}

    PyValue parseDocument()
    {
        skipSpace();
        PyValue v = parseValue(0);
        skipSpace();
        if (m_pos != m_text.size())
            error("unexpected " + found() + " after the dict");
        return v;
    }

private:
    [[noreturn]] void error(const std::string &what) const
    {
        fail(ErrorKind::MalformedHeader, m_name,
             "header is not a Python dict literal: " + what + " at offset " + std::to_string(m_pos) + " in " +
                 quote(trimmedText(), 80));
    }

    std::string_view trimmedText() const
    {
        std::string_view t = m_text;
        while (!t.empty() && (t.back() == ' ' || t.back() == '\n'))
            t.remove_suffix(1);
        return t;
    }

    std::string found() const
    {
        if (m_pos >= m_text.size())
            return "end of header";
        return quote(m_text.substr(m_pos, 1));
    }

    static bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
    static bool isWordChar(char c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
    }

    void skipSpace()
    {
        while (m_pos < m_text.size() && isSpace(m_text[m_pos]))
            ++m_pos;
    }

    bool peek(char c) const { return m_pos < m_text.size() && m_text[m_pos] == c; }

    void expect(char c)
    {
        if (!peek(c))
            error(std::string("expected '") + c + "' but found " + found());
        ++m_pos;
    }

    PyValue parseValue(int depth)
    {
        if (depth > kMaxHeaderDepth)
            error("values nest deeper than " + std::to_string(kMaxHeaderDepth) + " levels");
        if (m_pos >= m_text.size())
            error("expected a value but found end of header");
        const char c = m_text[m_pos];
        if (c == '{')
            return parseDict(depth);
        if (c == '(' || c == '[')
            return parseSequence(depth);
        if (c == '\'' || c == '"')
            return parseString();
        if ((c == 'u' || c == 'U') && m_pos + 1 < m_text.size() && (m_text[m_pos + 1] == '\'' || m_text[m_pos + 1] == '"')) {
            ++m_pos; // Python 2 unicode literal u'...'
            return parseString();
        }
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.')
            return parseNumber();
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
            return parseName();
        error("unexpected " + found());
    }

    PyValue parseName()
    {
        const std::size_t start = m_pos;
        while (m_pos < m_text.size() && isWordChar(m_text[m_pos]))
            ++m_pos;
        const std::string_view word = m_text.substr(start, m_pos - start);
        PyValue v;
        if (word == "True" || word == "False") {
            v.type = PyValue::Type::Bool;
            v.boolean = word == "True";
        } else if (word == "None") {
            v.type = PyValue::Type::None;
        } else {
            m_pos = start;
            error("unexpected name " + quote(word));
        }
        return v;
    }

    PyValue parseNumber()
    {
        const std::size_t start = m_pos;
        bool negative = false;
        if (peek('-') || peek('+')) {
            negative = m_text[m_pos] == '-';
            ++m_pos;
        }
        const std::size_t digitsStart = m_pos;
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            const bool exponentSign = (c == '-' || c == '+') && m_pos > digitsStart &&
                                      (m_text[m_pos - 1] == 'e' || m_text[m_pos - 1] == 'E');
            if (!isWordChar(c) && !exponentSign)
                break;
            ++m_pos;
        }
        std::string_view body = m_text.substr(digitsStart, m_pos - digitsStart);
        PyValue v;
        v.text = std::string(m_text.substr(start, m_pos - start));
        if (body.empty()) {
            m_pos = start;
            error("expected a number but found " + found());
        }
        // Python 2 wrote long integers as 3L; NumPy still reads such headers.
        if (body.size() > 1 && (body.back() == 'L' || body.back() == 'l'))
            body.remove_suffix(1);
        const bool allDigits = std::all_of(body.begin(), body.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!allDigits) {
            v.type = PyValue::Type::Number; // a float, hex, … — valid Python, never a valid dimension
            return v;
        }
        if (body.size() > 1 && body.front() == '0') {
            m_pos = start;
            error("integer " + quote(v.text) + " has a leading zero");
        }
        v.type = PyValue::Type::Int;
        std::uint64_t magnitude = 0;
        for (char c : body) {
            const unsigned digit = static_cast<unsigned>(c - '0');
            if (magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
                v.intOverflow = true;
                break;
            }
            magnitude = magnitude * 10 + digit;
        }
        const std::uint64_t limit = std::uint64_t(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
        if (v.intOverflow || magnitude > limit)
            v.intOverflow = true;
        else if (negative)
            v.integer = magnitude == limit ? std::numeric_limits<std::int64_t>::min()
                                           : -static_cast<std::int64_t>(magnitude);
        else
            v.integer = static_cast<std::int64_t>(magnitude);
        return v;
    }

    PyValue parseString()
    {
        const char q = m_text[m_pos++];
        PyValue v;
        v.type = PyValue::Type::Str;
        while (true) {
            if (m_pos >= m_text.size())
                error("unterminated string");
            const char c = m_text[m_pos++];
            if (c == q)
                break;
            if (c == '\n' || c == '\r')
                error("line break inside a string");
            if (c != '\\') {
                v.text += c;
                continue;
            }
            if (m_pos >= m_text.size())
                error("unterminated string");
            const char e = m_text[m_pos++];
            switch (e) {
            case '\\': v.text += '\\'; break;
            case '\'': v.text += '\''; break;
            case '"': v.text += '"'; break;
            case 'n': v.text += '\n'; break;
            case 'r': v.text += '\r'; break;
            case 't': v.text += '\t'; break;
            case '0': v.text += '\0'; break;
            case '\n': break; // line continuation
            case 'x': {
                if (m_pos + 2 > m_text.size())
                    error("truncated \\x escape");
                int value = 0;
                for (int i = 0; i < 2; ++i) {
                    const char h = m_text[m_pos++];
                    int d = -1;
                    if (h >= '0' && h <= '9') d = h - '0';
                    else if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
                    else if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
                    if (d < 0)
                        error("bad \\x escape");
                    value = value * 16 + d;
                }
                v.text += static_cast<char>(value);
                break;
            }
            default: // Python keeps unknown escapes as written
                v.text += '\\';
                v.text += e;
            }
        }
        return v;
    }

    PyValue parseSequence(int depth)
    {
        const char open = m_text[m_pos++];
        const char close = open == '(' ? ')' : ']';
        PyValue v;
        v.type = open == '(' ? PyValue::Type::Tuple : PyValue::Type::List;
        bool sawComma = false;
        skipSpace();
        while (!peek(close)) {
            v.items.push_back(parseValue(depth + 1));
            skipSpace();
            if (peek(close))
                break;
            if (!peek(','))
                error(std::string("expected ',' or '") + close + "' but found " + found());
            ++m_pos;
            sawComma = true;
            skipSpace();
        }
        ++m_pos;
        if (open == '(' && v.items.size() == 1 && !sawComma)
            return std::move(v.items.front()); // (x) is x, not a tuple
        return v;
    }

    PyValue parseDict(int depth)
    {
        ++m_pos;
        PyValue v;
        v.type = PyValue::Type::Dict;
        skipSpace();
        while (!peek('}')) {
            PyValue key = parseValue(depth + 1);
            skipSpace();
            expect(':');
            skipSpace();
            PyValue value = parseValue(depth + 1);
            v.items.push_back(std::move(key));
            v.items.push_back(std::move(value));
            skipSpace();
            if (peek('}'))
                break;
            if (!peek(','))
                error("expected ',' or '}' but found " + found());
            ++m_pos;
            skipSpace();
        }
        ++m_pos;
        return v;
    }

    std::string_view m_text;
    const std::string &m_name;
    std::size_t m_pos = 0;
};

// ---- dtypes --------------------------------------------------------------------------------

struct DtypeInfo {
    DType dtype = DType::Float32;
    bool bigEndian = false;
    std::size_t itemSize = 4;
    char integer = 0; // 'i' or 'u' for the integer dtypes readNpyIntegers accepts, 0 for floats
};

bool describesObject(const PyValue &descr)
{
    if (descr.type == PyValue::Type::Str) {
        std::string_view d = descr.text;
        if (!d.empty() && (d.front() == '|' || d.front() == '<' || d.front() == '>' || d.front() == '='))
            d.remove_prefix(1);
        return !d.empty() && d.front() == 'O';
    }
    // Structured dtypes: [('name', 'descr'[, shape]), …], possibly nested.
    if (descr.type == PyValue::Type::List || descr.type == PyValue::Type::Tuple)
        return std::any_of(descr.items.begin(), descr.items.end(), describesObject);
    return false;
}

DtypeInfo decodeDescr(const PyValue &descr, const std::string &name, bool integers)
{
    if (describesObject(descr)) {
        const std::string shown = descr.type == PyValue::Type::Str ? "dtype " + quote(descr.text)
                                                                   : std::string("a structured dtype with an object field");
        fail(ErrorKind::ObjectDtype, name,
             shown + " holds pickled Python objects, which rnnscope never loads: " + kExpectedDtypes);
    }
    if (descr.type == PyValue::Type::List)
        fail(ErrorKind::UnsupportedDtype, name,
             "a structured dtype (record array) is not supported: " + std::string(kExpectedDtypes));
    if (descr.type != PyValue::Type::Str)
        fail(ErrorKind::MalformedHeader, name, "header 'descr' is " + pyTypeName(descr) + ", expected a string such as '<f4'");
    std::string_view d = descr.text;
    DtypeInfo info;
    char order = '=';
    if (!d.empty() && (d.front() == '<' || d.front() == '>' || d.front() == '|' || d.front() == '=')) {
        order = d.front();
        d.remove_prefix(1);
    }
    const bool nativeBig = std::endian::native == std::endian::big;
    if (d == "f4" || d == "f8") {
        info.dtype = d == "f4" ? DType::Float32 : DType::Float64;
        info.itemSize = d == "f4" ? 4 : 8;
        info.bigEndian = order == '>' || ((order == '=' || order == '|') && nativeBig);
        return info;
    }
    if (integers && d.size() == 2 && (d[0] == 'i' || d[0] == 'u') && (d[1] == '1' || d[1] == '2' || d[1] == '4' || d[1] == '8')) {
        info.dtype = DType::Float64;
        info.integer = d[0];
        info.itemSize = static_cast<std::size_t>(d[1] - '0');
        info.bigEndian = order == '>' || ((order == '=' || order == '|') && nativeBig);
        return info;
    }
    const std::string friendly = dtypeDescrName(descr.text);
    fail(ErrorKind::UnsupportedDtype, name,
         "dtype " + quote(descr.text) + (friendly.empty() ? "" : " (" + friendly + ")") + " is not supported: " +
             kExpectedDtypes);
}

// ---- .npy ----------------------------------------------------------------------------------

struct NpyHeader {
    DtypeInfo dtype;
    bool fortranOrder = false;
    std::vector<std::int64_t> shape;
};

NpyHeader interpretHeader(const PyValue &dict, const std::string &name, bool integers)
{
    if (dict.type != PyValue::Type::Dict)
        fail(ErrorKind::MalformedHeader, name, "header is " + pyTypeName(dict) + ", expected a dict with 'descr', 'fortran_order' and 'shape'");
    const PyValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
    for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
        const PyValue &key = dict.items[i];
        if (key.type != PyValue::Type::Str)
            fail(ErrorKind::MalformedHeader, name, "header has a key that is " + pyTypeName(key) + ", expected 'descr', 'fortran_order' and 'shape'");
        const PyValue **slot = key.text == "descr" ? &descr
                             : key.text == "fortran_order" ? &fortran
                             : key.text == "shape" ? &shape
                             : nullptr;
        if (!slot)
            fail(ErrorKind::MalformedHeader, name, "header has an unexpected key " + quote(key.text) + ": expected exactly 'descr', 'fortran_order' and 'shape'");
        if (*slot)
            fail(ErrorKind::MalformedHeader, name, "header has the key " + quote(key.text) + " twice");
        *slot = &dict.items[i + 1];
    }
    for (auto [value, key] : {std::pair{descr, "descr"}, std::pair{fortran, "fortran_order"}, std::pair{shape, "shape"}})
        if (!value)
            fail(ErrorKind::MalformedHeader, name, std::string("header has no '") + key + "' key: expected 'descr', 'fortran_order' and 'shape'");

    NpyHeader h;
    // Object dtypes first: they are refused whatever else the header says.
    h.dtype = decodeDescr(*descr, name, integers);
    if (fortran->type != PyValue::Type::Bool)
        fail(ErrorKind::MalformedHeader, name, "header 'fortran_order' is " + pyTypeName(*fortran) + ", expected True or False");
    h.fortranOrder = fortran->boolean;
    if (shape->type != PyValue::Type::Tuple)
        fail(ErrorKind::MalformedHeader, name, "header 'shape' is " + pyTypeName(*shape) + ", expected a tuple of integers such as (3, 5)");
    if (shape->items.size() > kMaxRank)
        fail(ErrorKind::MalformedHeader, name, "header 'shape' has " + std::to_string(shape->items.size()) + " dimensions, at most " + std::to_string(kMaxRank) + " are supported");
    for (const PyValue &dim : shape->items) {
        if (dim.type == PyValue::Type::Int && dim.intOverflow)
            fail(ErrorKind::MalformedHeader, name, "header 'shape' has the dimension " + printableText(dim.text) + ", which is too large");
        if (dim.type != PyValue::Type::Int)
            fail(ErrorKind::MalformedHeader, name, "header 'shape' holds " + (dim.type == PyValue::Type::Number ? printableText(dim.text) : pyTypeName(dim)) + ", expected a tuple of non-negative integers");
        if (dim.integer < 0)
            fail(ErrorKind::MalformedHeader, name, "header 'shape' has the negative dimension " + std::to_string(dim.integer));
        h.shape.push_back(dim.integer);
    }
    return h;
}

// The number of elements of `shape`, or false if it overflows `limit`.
bool elementCount(const std::vector<std::int64_t> &shape, std::uint64_t limit, std::uint64_t &count)
{
    count = 1;
    bool zero = false;
    bool overflow = false;
    for (auto d : shape) {
        const auto u = static_cast<std::uint64_t>(d);
        if (u == 0)
            zero = true;
        else if (!overflow && count > limit / u)
            overflow = true;
        else if (!overflow)
            count *= u;
    }
    if (zero) {
        count = 0;
        return true;
    }
    return !overflow;
}

// Reorders Fortran-ordered values of `shape` to C order.
std::vector<double> fortranToC(const std::vector<double> &f, const std::vector<std::int64_t> &shape)
{
    const std::size_t rank = shape.size();
    std::vector<double> c(f.size());
    if (f.empty())
        return c;
    std::vector<std::size_t> stride(rank), index(rank, 0);
    std::size_t s = 1;
    for (std::size_t k = 0; k < rank; ++k) {
        stride[k] = s;
        s *= static_cast<std::size_t>(shape[k]);
    }
    std::size_t offset = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        c[i] = f[offset];
        // Advance the C-order multi-index (last axis fastest), tracking the Fortran offset.
        for (std::size_t k = rank; k-- > 0;) {
            if (++index[k] < static_cast<std::size_t>(shape[k])) {
                offset += stride[k];
                break;
            }
            offset -= stride[k] * (index[k] - 1);
            index[k] = 0;
        }
    }
    return c;
}

// ---- zip -----------------------------------------------------------------------------------

struct ZipDiscard {
    void operator()(zip_t *z) const { zip_discard(z); }
};
struct ZipFileClose {
    void operator()(zip_file_t *f) const { zip_fclose(f); }
};
struct ZipSourceFree {
    void operator()(zip_source_t *s) const { zip_source_free(s); }
};

std::string zipErrorText(int code)
{
    zip_error_t e;
    zip_error_init_with_code(&e, code);
    std::string text = zip_error_strerror(&e);
    zip_error_fini(&e);
    return text;
}

// Maps a libzip error while reading a member to an Error.
[[noreturn]] void failMember(int code, const std::string &memberName)
{
    const std::string text = zipErrorText(code);
    switch (code) {
    case ZIP_ER_EOF:
        fail(ErrorKind::Truncated, memberName, "the archive ends inside this member's data");
    case ZIP_ER_COMPNOTSUPP:
        fail(ErrorKind::Unsupported, memberName, "its compression method is not supported (stored and deflate are)");
    case ZIP_ER_ENCRNOTSUPP:
    case ZIP_ER_NOPASSWD:
    case ZIP_ER_WRONGPASSWD:
        fail(ErrorKind::Unsupported, memberName, "the member is encrypted");
    case ZIP_ER_MEMORY:
        fail(ErrorKind::TooLarge, memberName, "out of memory");
    case ZIP_ER_CRC:
        fail(ErrorKind::NotZip, memberName, "the member's data is damaged (CRC-32 mismatch)");
    default:
        fail(ErrorKind::NotZip, memberName, "the zip archive is damaged (" + text + ")");
    }
}

bool startsWith(const std::uint8_t *data, std::size_t size, std::string_view prefix)
{
    return size >= prefix.size() && std::memcmp(data, prefix.data(), prefix.size()) == 0;
}

// ---- writing -------------------------------------------------------------------------------

std::string pythonTupleRepr(const std::vector<std::int64_t> &shape)
{
    // Python's repr of a tuple of ints: (), (3,), (3, 5)
    return shapeString(shape);
}

void appendLe16(std::string &out, std::uint32_t v)
{
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>((v >> 8) & 0xff);
}

void appendLe32(std::string &out, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        out += static_cast<char>((v >> (8 * i)) & 0xff);
}

} // namespace

// ---- public: helpers -------------------------------------------------------------------------

std::string dtypeDescrName(std::string_view descr)
{
    if (!descr.empty() && (descr.front() == '<' || descr.front() == '>' || descr.front() == '|' || descr.front() == '='))
        descr.remove_prefix(1);
    if (descr.empty())
        return {};
    const char kind = descr.front();
    const std::string_view size = descr.substr(1);
    const std::string sz(size);
    auto bits = [&]() -> std::string {
        if (size.empty() || size.size() > 3 || !std::all_of(size.begin(), size.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return {};
        return std::to_string(std::stoi(sz) * 8);
    };
    switch (kind) {
    case 'b': return size == "1" ? "bool" : "";
    case 'i': return bits().empty() ? "" : "int" + bits();
    case 'u': return bits().empty() ? "" : "uint" + bits();
    case 'f': return bits().empty() ? "" : "float" + bits();
    case 'c': return bits().empty() ? "" : "complex" + bits();
    case 'O': return "object";
    case 'S': return "bytes";
    case 'a': return "bytes";
    case 'U': return "str";
    case 'V': return "void";
    case 'M': return "datetime64";
    case 'm': return "timedelta64";
    default: return {};
    }
}

// ---- public: reading -------------------------------------------------------------------------

namespace {

NdArray parseNpyOf(const std::uint8_t *data, std::size_t size, const std::string &name, bool integers);

} // namespace

NdArray parseNpy(const std::uint8_t *data, std::size_t size, const std::string &name)
{
    return parseNpyOf(data, size, name, false);
}

NdArray readNpyIntegers(const std::string &path)
{
    const std::vector<std::uint8_t> bytes = readFileBytes(path, kMaxArrayFileBytes);
    return parseNpyOf(bytes.data(), bytes.size(), path, true);
}

namespace {

NdArray parseNpyOf(const std::uint8_t *data, std::size_t size, const std::string &name, bool integers)
{
    if (size == 0 || data == nullptr)
        fail(ErrorKind::Truncated, name, "the file is empty (0 bytes), expected an .npy array");
    // Magic: a prefix of it is a truncated file, anything else is not an .npy at all.
    const std::size_t magicPart = std::min(size, kMagicLength);
    if (std::memcmp(data, kMagic, magicPart) != 0)
        fail(ErrorKind::BadMagic, name,
             "does not start with the .npy magic \"\\x93NUMPY\" (found " +
                 quote(std::string_view(reinterpret_cast<const char *>(data), magicPart)) + "): not a NumPy .npy file");
    if (size < kMagicLength + 2)
        fail(ErrorKind::Truncated, name, "the file ends after " + bytesText(size) + ", inside the .npy preamble");
    const int major = data[6], minor = data[7];
    if (!((major == 1 || major == 2 || major == 3) && minor == 0))
        fail(ErrorKind::UnsupportedVersion, name,
             "npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                 " is not supported: expected 1.0, 2.0 or 3.0");
    const std::size_t lengthBytes = major == 1 ? 2 : 4;
    const std::size_t preamble = kMagicLength + 2 + lengthBytes;
    if (size < preamble)
        fail(ErrorKind::Truncated, name, "the file ends after " + bytesText(size) + ", inside the .npy preamble");
    const std::uint64_t headerLength = major == 1 ? std::uint64_t(data[8]) | std::uint64_t(data[9]) << 8 : readLe32(data + 8);
    if (headerLength > size - preamble)
        fail(ErrorKind::Truncated, name,
             "the header announces " + bytesText(headerLength) + ", but only " + bytesText(size - preamble) +
                 " follow the preamble");
    if (headerLength > kMaxHeaderBytes)
        fail(ErrorKind::MalformedHeader, name,
             "the header has " + bytesText(headerLength) + ", more than the " + std::to_string(kMaxHeaderBytes) + " rnnscope accepts");
    const std::string_view headerText(reinterpret_cast<const char *>(data + preamble), static_cast<std::size_t>(headerLength));
    const PyValue dict = LiteralParser(headerText, name).parseDocument();
    const NpyHeader header = interpretHeader(dict, name, integers);

    const std::uint64_t available = size - preamble - headerLength;
    std::uint64_t count = 0;
    const std::uint64_t maxCount = std::numeric_limits<std::uint64_t>::max() / header.dtype.itemSize;
    const std::string shapeText = shapeString(header.shape);
    const std::string descrText = quote(std::string(header.dtype.bigEndian ? ">" : "<") +
                                        (header.dtype.integer ? std::string(1, header.dtype.integer) + std::to_string(header.dtype.itemSize)
                                                              : header.dtype.itemSize == 4 ? "f4" : "f8"));
    if (!elementCount(header.shape, maxCount, count))
        fail(ErrorKind::Truncated, name,
             "shape " + shapeText + " announces more data than any file holds, but only " + bytesText(available) + " follow the header");
    const std::uint64_t needed = count * header.dtype.itemSize;
    if (needed > available)
        fail(ErrorKind::Truncated, name,
             "shape " + shapeText + " of " + descrText + " needs " + bytesText(needed) + " of data, but the file ends after " +
                 bytesText(available));
    if (needed < available)
        fail(ErrorKind::ShapeMismatch, name,
             "shape " + shapeText + " of " + descrText + " accounts for " + bytesText(needed) + " of data, but " +
                 bytesText(available) + " follow the header");

    NdArray a;
    a.shape = header.shape;
    a.dtype = header.dtype.dtype;
    try {
        a.values.resize(static_cast<std::size_t>(count));
    } catch (const std::bad_alloc &) {
        fail(ErrorKind::TooLarge, name, "shape " + shapeText + " needs " + std::to_string((count * 8) >> 20) + " MiB of memory");
    }
    const std::uint8_t *payload = data + preamble + headerLength;
    const std::size_t n = a.values.size();
    const bool big = header.dtype.bigEndian;
    if (header.dtype.integer == 'i') {
        switch (header.dtype.itemSize) {
        case 1: widen<std::int8_t, std::uint8_t>(payload, n, big, a.values.data()); break;
        case 2: widen<std::int16_t, std::uint16_t>(payload, n, big, a.values.data()); break;
        case 4: widen<std::int32_t, std::uint32_t>(payload, n, big, a.values.data()); break;
        default: widen<std::int64_t, std::uint64_t>(payload, n, big, a.values.data()); break;
        }
    } else if (header.dtype.integer == 'u') {
        switch (header.dtype.itemSize) {
        case 1: widen<std::uint8_t, std::uint8_t>(payload, n, big, a.values.data()); break;
        case 2: widen<std::uint16_t, std::uint16_t>(payload, n, big, a.values.data()); break;
        case 4: widen<std::uint32_t, std::uint32_t>(payload, n, big, a.values.data()); break;
        default: widen<std::uint64_t, std::uint64_t>(payload, n, big, a.values.data()); break;
        }
    } else if (header.dtype.itemSize == 4)
        widen<float, std::uint32_t>(payload, a.values.size(), header.dtype.bigEndian, a.values.data());
    else
        widen<double, std::uint64_t>(payload, a.values.size(), header.dtype.bigEndian, a.values.data());
    if (header.fortranOrder && a.shape.size() > 1) {
        try {
            a.values = fortranToC(a.values, a.shape);
        } catch (const std::bad_alloc &) {
            fail(ErrorKind::TooLarge, name, "shape " + shapeText + " needs " + std::to_string((count * 16) >> 20) + " MiB of memory to reorder");
        }
    }
    return a;
}

} // namespace

NdArray readNpy(const std::string &path)
{
    const std::vector<std::uint8_t> bytes = readFileBytes(path, kMaxArrayFileBytes);
    return parseNpy(bytes.data(), bytes.size(), path);
}

NamedArrays parseNpz(const std::uint8_t *data, std::size_t size, const std::string &name)
{
    if (size == 0 || data == nullptr)
        fail(ErrorKind::Truncated, name, "the file is empty (0 bytes), expected an .npz (zip) archive");
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *source = zip_source_buffer_create(data, size, 0, &error);
    if (!source) {
        zip_error_fini(&error);
        fail(ErrorKind::TooLarge, name, "out of memory");
    }
    std::unique_ptr<zip_t, ZipDiscard> archive(zip_open_from_source(source, ZIP_RDONLY, &error));
    if (!archive) {
        zip_source_free(source);
        const int code = zip_error_code_zip(&error);
        zip_error_fini(&error);
        const bool localHeader = startsWith(data, size, "PK\x03\x04");
        switch (code) {
        case ZIP_ER_NOZIP:
            if (startsWith(data, size, std::string_view(reinterpret_cast<const char *>(kMagic), kMagicLength)))
                fail(ErrorKind::NotZip, name, "is a single .npy array, not an .npz (zip) archive of arrays");
            if (localHeader)
                fail(ErrorKind::Truncated, name, "the zip archive ends before its central directory (a truncated .npz)");
            fail(ErrorKind::NotZip, name,
                 "is not a zip archive (found " + quote(std::string_view(reinterpret_cast<const char *>(data), std::min<std::size_t>(size, 4))) +
                     ", expected \"PK\\x03\\x04\"): an .npz is a zip of .npy files");
        case ZIP_ER_EOF:
            fail(ErrorKind::Truncated, name, "the zip archive ends before the data it announces");
        case ZIP_ER_MULTIDISK:
            fail(ErrorKind::Unsupported, name, "multi-disk zip archives are not supported");
        case ZIP_ER_MEMORY:
            fail(ErrorKind::TooLarge, name, "out of memory");
        default:
            fail(ErrorKind::NotZip, name, "is a damaged zip archive (" + zipErrorText(code) + ")");
        }
    }
    zip_error_fini(&error);

    const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
    NamedArrays arrays;
    std::set<std::string> keys;
    std::uint64_t total = 0;
    std::vector<std::uint8_t> buffer;
    for (zip_int64_t i = 0; i < entries; ++i) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0)
            failMember(zip_error_code_zip(zip_get_error(archive.get())), name + ": member " + std::to_string(i));
        const std::string memberName = (st.valid & ZIP_STAT_NAME) && st.name ? st.name : "";
        if (!memberName.empty() && memberName.back() == '/')
            continue; // a directory
        const bool npyName = memberName.size() >= 4 && memberName.compare(memberName.size() - 4, 4, ".npy") == 0;
        const std::string key = npyName ? memberName.substr(0, memberName.size() - 4) : memberName;
        const std::string label = name + ": member " + quote(key);
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
            fail(ErrorKind::Unsupported, label, "the member is encrypted");
        if ((st.valid & ZIP_STAT_SIZE) && st.size > kMaxArrayFileBytes - total)
            fail(ErrorKind::TooLarge, label,
                 "expands to " + bytesText(st.size) + ", beyond the " + std::to_string(kMaxArrayFileBytes >> 20) +
                     " MiB rnnscope reads (a zip bomb?)");

        std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(i), 0));
        if (!file)
            failMember(zip_error_code_zip(zip_get_error(archive.get())), label);
        buffer.clear();
        constexpr std::size_t chunk = 1 << 16;
        while (true) {
            const std::size_t old = buffer.size();
            if (old > kMaxArrayFileBytes - total)
                fail(ErrorKind::TooLarge, label,
                     "expands beyond the " + std::to_string(kMaxArrayFileBytes >> 20) + " MiB rnnscope reads (a zip bomb?)");
            try {
                buffer.resize(old + chunk);
            } catch (const std::bad_alloc &) {
                fail(ErrorKind::TooLarge, label, "out of memory after " + bytesText(old));
            }
            const zip_int64_t got = zip_fread(file.get(), buffer.data() + old, chunk);
            if (got < 0)
                failMember(zip_error_code_zip(zip_file_get_error(file.get())), label);
            buffer.resize(old + static_cast<std::size_t>(got));
            if (got == 0)
                break;
        }
        const int closeError = zip_fclose(file.release());
        if (closeError != 0)
            failMember(closeError, label);
        if (buffer.size() > kMaxArrayFileBytes - total)
            fail(ErrorKind::TooLarge, label, "expands beyond the " + std::to_string(kMaxArrayFileBytes >> 20) + " MiB rnnscope reads");
        total += buffer.size();

        const bool npyMagic = startsWith(buffer.data(), buffer.size(), std::string_view(reinterpret_cast<const char *>(kMagic), kMagicLength));
        if (!npyName && !npyMagic)
            continue; // not an array (NumPy would hand back raw bytes)
        if (!keys.insert(key).second)
            fail(ErrorKind::MalformedHeader, name, "holds two members named " + quote(key));
        arrays.emplace_back(key, parseNpy(buffer.data(), buffer.size(), label));
    }
    return arrays;
}

NamedArrays readNpz(const std::string &path)
{
    const std::vector<std::uint8_t> bytes = readFileBytes(path, kMaxArrayFileBytes);
    return parseNpz(bytes.data(), bytes.size(), path);
}

// ---- public: writing -------------------------------------------------------------------------

std::string encodeNpy(const NdArray &a, DType dtype)
{
    std::uint64_t count = 0;
    for (auto d : a.shape)
        if (d < 0)
            throw Error(ErrorKind::ShapeMismatch, "cannot write an array of shape " + shapeString(a.shape) + ": negative dimension");
    if (!elementCount(a.shape, std::numeric_limits<std::uint64_t>::max() / 8, count) || count != a.values.size())
        throw Error(ErrorKind::ShapeMismatch, "cannot write an array of shape " + shapeString(a.shape) + " holding " +
                                                  std::to_string(a.values.size()) + " values");
    const bool f4 = dtype == DType::Float32;
    std::string header = std::string("{'descr': '<") + (f4 ? "f4" : "f8") +
                         "', 'fortran_order': False, 'shape': " + pythonTupleRepr(a.shape) + ", }";
    // NumPy's spare room so the first axis can grow in place: 21 - len(repr(shape[0])) spaces.
    if (!a.shape.empty()) {
        const std::size_t digits = std::to_string(a.shape.front()).size();
        if (digits < 21)
            header.append(21 - digits, ' ');
    }
    const std::size_t hlen = header.size() + 1; // + '\n'
    std::size_t lengthBytes = 2;
    std::size_t padding = 64 - ((kMagicLength + 2 + lengthBytes + hlen) % 64);
    int major = 1;
    if (hlen + padding > 0xFFFF) {
        major = 2;
        lengthBytes = 4;
        padding = 64 - ((kMagicLength + 2 + lengthBytes + hlen) % 64);
    }
    const std::size_t itemSize = f4 ? 4 : 8;
    std::string out;
    out.reserve(kMagicLength + 2 + lengthBytes + hlen + padding + a.values.size() * itemSize);
    out.append(reinterpret_cast<const char *>(kMagic), kMagicLength);
    out += static_cast<char>(major);
    out += '\0';
    if (lengthBytes == 2)
        appendLe16(out, static_cast<std::uint32_t>(hlen + padding));
    else
        appendLe32(out, static_cast<std::uint32_t>(hlen + padding));
    out += header;
    out.append(padding, ' ');
    out += '\n';
    const bool swap = std::endian::native == std::endian::big;
    const std::size_t start = out.size();
    out.resize(start + a.values.size() * itemSize);
    char *dst = out.data() + start;
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        if (f4) {
            const float f = static_cast<float>(a.values[i]);
            std::uint32_t bits;
            std::memcpy(&bits, &f, 4);
            if (swap)
                bits = byteSwapped(bits);
            std::memcpy(dst + i * 4, &bits, 4);
        } else {
            std::uint64_t bits;
            std::memcpy(&bits, &a.values[i], 8);
            if (swap)
                bits = byteSwapped(bits);
            std::memcpy(dst + i * 8, &bits, 8);
        }
    }
    return out;
}

std::string encodeNpz(const NamedArrays &arrays, DType dtype)
{
    std::set<std::string> seen;
    std::vector<std::string> payloads;
    payloads.reserve(arrays.size());
    for (const auto &[key, array] : arrays) {
        if (key.empty())
            throw Error(ErrorKind::BadUsage, "cannot write an .npz member with an empty name");
        if (!seen.insert(key).second)
            throw Error(ErrorKind::BadUsage, "cannot write two .npz members named " + quote(key));
        if (key.size() + 4 > 0xFFFF)
            throw Error(ErrorKind::BadUsage, "the .npz member name " + quote(key) + " is too long");
        payloads.push_back(encodeNpy(array, dtype));
    }
    if (arrays.empty())
        return std::string("PK\x05\x06", 4) + std::string(18, '\0'); // the end of an empty central directory, as zipfile writes it

    // The archive is built in a libzip buffer source that outlives the archive (zip_source_keep).
    zip_error_t error;
    zip_error_init(&error);
    std::unique_ptr<zip_source_t, ZipSourceFree> buffer(zip_source_buffer_create(nullptr, 0, 0, &error));
    if (!buffer) {
        zip_error_fini(&error);
        throw Error(ErrorKind::TooLarge, "cannot write the .npz: out of memory");
    }
    zip_t *archive = zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error);
    if (!archive) {
        const std::string text = zip_error_strerror(&error);
        zip_error_fini(&error);
        throw Error(ErrorKind::Io, "cannot write the .npz: " + text);
    }
    zip_error_fini(&error);
    zip_source_keep(buffer.get()); // the archive frees its reference when it closes; this one stays ours
    const auto refuse = [&](const std::string &what) {
        const std::string text = zip_error_strerror(zip_get_error(archive));
        zip_discard(archive);
        throw Error(ErrorKind::Io, "cannot write the .npz: " + what + ": " + text);
    };
    constexpr zip_uint16_t dosTime = 0;                          // 00:00:00
    constexpr zip_uint16_t dosDate = (0u << 9) | (1u << 5) | 1u; // 1980-01-01
    for (std::size_t i = 0; i < arrays.size(); ++i) {
        const std::string memberName = arrays[i].first + ".npy";
        zip_source_t *member = zip_source_buffer(archive, payloads[i].data(), payloads[i].size(), 0);
        if (!member)
            refuse("member " + quote(arrays[i].first));
        const zip_int64_t index = zip_file_add(archive, memberName.c_str(), member, ZIP_FL_ENC_UTF_8);
        if (index < 0) {
            zip_source_free(member);
            refuse("member " + quote(arrays[i].first));
        }
        const auto at = static_cast<zip_uint64_t>(index);
        if (zip_set_file_compression(archive, at, ZIP_CM_STORE, 0) != 0 || zip_file_set_dostime(archive, at, dosTime, dosDate, 0) != 0 ||
            zip_file_set_external_attributes(archive, at, 0, ZIP_OPSYS_UNIX, 0100644u << 16) != 0) // a regular file, rw-r--r--
            refuse("member " + quote(arrays[i].first));
    }
    if (zip_close(archive) != 0)
        refuse("closing the archive");

    zip_stat_t st;
    if (zip_source_open(buffer.get()) != 0)
        throw Error(ErrorKind::Io, "cannot write the .npz: " + std::string(zip_error_strerror(zip_source_error(buffer.get()))));
    std::string out;
    if (zip_source_stat(buffer.get(), &st) == 0 && (st.valid & ZIP_STAT_SIZE))
        out.resize(static_cast<std::size_t>(st.size));
    const zip_int64_t got = zip_source_read(buffer.get(), out.data(), out.size());
    zip_source_close(buffer.get());
    if (got < 0 || static_cast<std::uint64_t>(got) != out.size())
        throw Error(ErrorKind::Io, "cannot write the .npz: the archive could not be read back from memory");
    return out;
}

void writeNpy(const std::string &path, const NdArray &a, DType dtype)
{
    writeFileAtomically(path, encodeNpy(a, dtype));
}

void writeNpz(const std::string &path, const NamedArrays &arrays, DType dtype)
{
    writeFileAtomically(path, encodeNpz(arrays, dtype));
}

} // namespace rnnscope
