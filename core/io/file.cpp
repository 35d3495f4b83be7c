#include "io/file.h"

#include "common/error.h"
#include "io/refusal.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>

#ifdef _WIN32
#include <process.h>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace rnnscope {

namespace {

namespace fs = std::filesystem;

std::string errnoText(int error)
{
    return std::strerror(error);
}

std::uint64_t randomToken()
{
    // A unique-enough suffix for temporary names: time, address, a counter, mixed (splitmix64).
    static std::uint64_t counter = 0;
    std::uint64_t x = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    x ^= reinterpret_cast<std::uintptr_t>(&counter) + 0x9E3779B97F4A7C15ull * ++counter;
#ifdef _WIN32
    x ^= static_cast<std::uint64_t>(_getpid()) << 32;
#else
    x ^= static_cast<std::uint64_t>(::getpid()) << 32;
#endif
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

std::string hex(std::uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4)
        s[static_cast<std::size_t>(i)] = digits[v & 0xf];
    return s;
}

// The file's status; Error(Io) when it does not exist or is a directory.
fs::file_status existingFile(const std::string &path)
{
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found)
        throw Error(ErrorKind::Io, "cannot open " + quote(path, 200) + ": no such file or directory");
    if (ec)
        throw Error(ErrorKind::Io, "cannot open " + quote(path, 200) + ": " + ec.message());
    if (fs::is_directory(status))
        throw Error(ErrorKind::Io, "cannot open " + quote(path, 200) + ": it is a directory, not a file");
    return status;
}

} // namespace

void checkReadable(const std::string &path)
{
    existingFile(path);
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::Io, "cannot open " + quote(path, 200) + ": " + (errno ? errnoText(errno) : "open failed"));
}

std::vector<std::uint8_t> readFileBytes(const std::string &path, std::uint64_t limit)
{
    const auto status = existingFile(path);
    std::error_code ec;
    std::uintmax_t knownSize = 0;
    if (fs::is_regular_file(status)) {
        const auto size = fs::file_size(path, ec);
        if (!ec && size > limit)
            throw Error(ErrorKind::TooLarge, path + ": the file has " + std::to_string(size) + " bytes, more than the " +
                                                 std::to_string(limit >> 20) + " MiB rnnscope reads");
        if (!ec)
            knownSize = size;
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::Io, "cannot open " + quote(path, 200) + ": " + (errno ? errnoText(errno) : "open failed"));
    std::vector<std::uint8_t> bytes;
    constexpr std::size_t chunk = 1 << 20;
    try {
        bytes.reserve(static_cast<std::size_t>(knownSize) + chunk);
    } catch (const std::bad_alloc &) {
        throw Error(ErrorKind::TooLarge, path + ": out of memory for its " + bytesText(knownSize));
    }
    while (true) {
        const std::size_t old = bytes.size();
        if (old > limit)
            throw Error(ErrorKind::TooLarge, path + ": the file is larger than the " + std::to_string(limit >> 20) + " MiB rnnscope reads");
        try {
            bytes.resize(old + chunk);
        } catch (const std::bad_alloc &) {
            throw Error(ErrorKind::TooLarge, path + ": out of memory after reading " + bytesText(old));
        }
        in.read(reinterpret_cast<char *>(bytes.data() + old), chunk);
        const auto got = static_cast<std::size_t>(in.gcount());
        bytes.resize(old + got);
        if (in.bad())
            throw Error(ErrorKind::Io, "cannot read " + quote(path, 200) + ": " + (errno ? errnoText(errno) : "read error"));
        if (got < chunk)
            break;
    }
    if (bytes.size() > limit)
        throw Error(ErrorKind::TooLarge, path + ": the file is larger than the " + std::to_string(limit >> 20) + " MiB rnnscope reads");
    return bytes;
}

void writeFileAtomically(const std::string &path, std::string_view bytes)
{
    auto failWrite = [&](const std::string &reason) -> void {
        throw Error(ErrorKind::Io, "cannot write " + quote(path, 200) + ": " + reason);
    };
    if (path.empty())
        failWrite("empty file name");
    std::error_code ec;
    fs::path target(path);
    if (fs::is_symlink(fs::symlink_status(target, ec))) {
        const fs::path resolved = fs::weakly_canonical(target, ec);
        if (!ec)
            target = resolved;
    }
    if (fs::is_directory(fs::status(target, ec)))
        failWrite("it is a directory");
    fs::path dir = target.parent_path();
    const std::string base = target.filename().string();
    if (base.empty())
        failWrite("no file name");
    if (dir.empty())
        dir = ".";

#ifdef _WIN32
    const fs::path temp = dir / ("." + base + ".tmp" + hex(randomToken()));
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out)
            failWrite("cannot create a temporary file in " + dir.string());
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            out.close();
            fs::remove(temp, ec);
            failWrite("write error");
        }
    }
    fs::rename(temp, target, ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(temp, ignored);
        failWrite(ec.message());
    }
#else
    std::string temp;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        temp = (dir / ("." + base + ".tmp-" + hex(randomToken()))).string();
        fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            failWrite(errnoText(errno));
    }
    if (fd < 0)
        failWrite("cannot create a temporary file in " + dir.string());
    auto abandon = [&](int error) {
        ::close(fd);
        ::unlink(temp.c_str());
        failWrite(errnoText(error));
    };
    struct stat existing;
    if (::stat(target.c_str(), &existing) == 0 && S_ISREG(existing.st_mode))
        ::fchmod(fd, existing.st_mode & 07777); // keep the old file's permissions (best effort)
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, std::min<std::size_t>(bytes.size() - written, 1 << 30));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            abandon(errno);
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0)
        abandon(errno);
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        failWrite(errnoText(error));
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        failWrite(errnoText(error));
    }
    // Make the rename itself durable (best effort: not every file system supports it).
    const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
#endif
}

} // namespace rnnscope
