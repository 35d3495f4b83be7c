#include "io/refusal.h"

namespace rnnscope {

Error refusal(ErrorKind kind, const std::string &source, const std::string &what)
{
    return Error(kind, source + ": " + what);
}

void fail(ErrorKind kind, const std::string &source, const std::string &what)
{
    throw refusal(kind, source, what);
}

std::string printableText(std::string_view text, std::size_t maxLength)
{
    static const char digits[] = "0123456789abcdef";
    auto escape = [&](std::string &out, unsigned char c) {
        out += "\\x";
        out += digits[c >> 4];
        out += digits[c & 0xf];
    };
    std::string out;
    std::size_t shown = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        if (shown >= maxLength) {
            out += "…";
            break;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) {
            escape(out, c);
            ++i;
        } else if (c < 0x80) {
            out += static_cast<char>(c);
            ++i;
        } else {
            // Keep a well-formed UTF-8 sequence as it is; escape any other byte.
            const std::size_t length = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
            bool valid = length > 0 && c < 0xf5 && i + length <= text.size();
            for (std::size_t k = 1; valid && k < length; ++k)
                valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
            if (valid && length == 3) {
                const auto c1 = static_cast<unsigned char>(text[i + 1]);
                valid = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0); // overlong, surrogates
            }
            if (valid && length == 4) {
                const auto c1 = static_cast<unsigned char>(text[i + 1]);
                valid = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
            }
            if (valid) {
                out.append(text.substr(i, length));
                i += length;
            } else {
                escape(out, c);
                ++i;
            }
        }
        ++shown;
    }
    return out;
}

std::string bytesText(std::uint64_t n)
{
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

std::string quote(std::string_view text, std::size_t maxLength)
{
    return "'" + printableText(text, maxLength) + "'";
}

} // namespace rnnscope
