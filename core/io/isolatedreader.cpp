// The child process of the Keras reader: the reply's wire format, and runIsolated (see
// isolatedreader.h).

#include "io/isolatedreader.h"

#include "common/error.h"
#include "io/refusal.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>

#if RNNSCOPE_KERAS_ISOLATED
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
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

namespace rnnscope::kerasio {

namespace {

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

} // namespace

#if RNNSCOPE_KERAS_ISOLATED

namespace {

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
[[noreturn]] void childMain(int fd, const std::function<LoadedModel()> &read, const std::string &path, int seconds,
                            std::uint64_t extraMemory)
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

} // namespace

LoadedModel runIsolated(const std::function<LoadedModel()> &read, const std::string &path, int seconds,
                        std::uint64_t extraMemory)
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

} // namespace rnnscope::kerasio
