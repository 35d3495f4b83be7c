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
// the layer names. encodeModel and decodeModel must agree on it, as encodeNetwork and
// decodeNetwork on a network's.
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

enum Reply : std::uint64_t { ReplyModel = 1, ReplyError = 2, ReplyInternal = 3, ReplyNetwork = 4, ReplyNoNetwork = 5 };

[[noreturn]] void damagedReply()
{
    throw std::runtime_error("the Keras file reader's reply is damaged");
}

DType dtypeFromNumber(std::uint64_t v)
{
    if (v > static_cast<std::uint64_t>(DType::Float64))
        damagedReply();
    return static_cast<DType>(v);
}

void writeInput(ReplyWriter &w, const std::optional<NdArray> &input)
{
    w.number(input ? 1 : 0);
    if (input) {
        w.number(input->shape.size());
        for (const std::int64_t n : input->shape)
            w.number(static_cast<std::uint64_t>(n));
        w.number(static_cast<std::uint64_t>(input->dtype));
        w.values(input->values.data(), input->values.size());
    }
}

std::optional<NdArray> readInput(ReplyReader &r)
{
    if (!r.number())
        return std::nullopt;
    NdArray x;
    const std::uint64_t rank = r.number();
    if (rank > 8)
        damagedReply();
    for (std::uint64_t i = 0; i < rank; ++i)
        x.shape.push_back(static_cast<std::int64_t>(r.number()));
    x.dtype = dtypeFromNumber(r.number());
    x.values = r.values();
    return x;
}

void writeTexts(ReplyWriter &w, const std::vector<std::string> &texts)
{
    w.number(texts.size());
    for (const std::string &t : texts)
        w.text(t);
}

std::vector<std::string> readTexts(ReplyReader &r)
{
    std::vector<std::string> texts;
    for (std::uint64_t n = r.number(), i = 0; i < n; ++i)
        texts.push_back(r.text());
    return texts;
}

// What a model and a network both carry, in this order: Wo, bo, X, the layout, the notes, the dtype.
void writeCommon(ReplyWriter &w, const Eigen::MatrixXd &Wo, const Eigen::VectorXd &bo, const std::optional<NdArray> &input,
                 const std::string &layout, const std::vector<std::string> &notes, DType dtype)
{
    w.matrix(Wo);
    w.vector(bo);
    writeInput(w, input);
    w.text(layout);
    writeTexts(w, notes);
    w.number(static_cast<std::uint64_t>(dtype));
}

void readCommon(ReplyReader &r, Eigen::MatrixXd &Wo, Eigen::VectorXd &bo, std::optional<NdArray> &input, std::string &layout,
                std::vector<std::string> &notes, DType &dtype)
{
    Wo = r.matrix();
    bo = r.vector();
    input = readInput(r);
    layout = r.text();
    notes = readTexts(r);
    dtype = dtypeFromNumber(r.number());
}

std::string encodeModel(const LoadedModel &m)
{
    ReplyWriter w;
    w.number(ReplyModel);
    w.matrix(m.weights.Wx);
    w.matrix(m.weights.Wh);
    w.vector(m.weights.bh);
    writeCommon(w, m.weights.Wo, m.weights.bo, m.input, m.layoutDescription, m.notes, m.dtype);
    w.activation(m.cell);
    w.activation(m.recurrent);
    w.activation(m.dense);
    w.number(m.returnSequences ? 1 + static_cast<std::uint64_t>(*m.returnSequences) : 0);
    w.number(m.T ? 1 + static_cast<std::uint64_t>(*m.T) : 0);
    w.text(m.layerName);
    w.text(m.denseLayerName);
    writeTexts(w, m.recurrentLayers);
    w.number(kTrailer);
    return w.take();
}

// A network: the layers (cell kind, activations, reset_after, units, the flags, the merge), each
// direction's Wx, Wh, bh, then Wo, bo and what LoadedNetwork records besides, in its order.
std::string encodeNetwork(const std::optional<LoadedNetwork> &n)
{
    ReplyWriter w;
    if (!n) {
        w.number(ReplyNoNetwork);
        w.number(kTrailer);
        return w.take();
    }
    w.number(ReplyNetwork);
    w.number(n->layers.size());
    for (std::size_t l = 0; l < n->layers.size(); ++l) {
        const LayerSpec &s = n->layers[l];
        for (const std::uint64_t v : {static_cast<std::uint64_t>(s.cell.kind), static_cast<std::uint64_t>(s.cell.activation),
                                      static_cast<std::uint64_t>(s.cell.recurrent), std::uint64_t(s.cell.resetAfter),
                                      static_cast<std::uint64_t>(s.units), std::uint64_t(s.returnSequences),
                                      std::uint64_t(s.goBackwards), std::uint64_t(s.bidirectional),
                                      static_cast<std::uint64_t>(s.merge)})
            w.number(v);
        w.number(n->weights.layers[l].size());
        for (const Weights &d : n->weights.layers[l]) {
            w.matrix(d.Wx);
            w.matrix(d.Wh);
            w.vector(d.bh);
        }
    }
    writeCommon(w, n->weights.Wo, n->weights.bo, n->input, n->layoutDescription, n->notes, n->dtype);
    w.number(n->configured ? 1 : 0);
    w.activation(n->dense);
    w.number(n->T ? 1 + static_cast<std::uint64_t>(*n->T) : 0);
    writeTexts(w, n->layerNames);
    w.text(n->denseLayerName);
    w.matrix(n->weights.embedding);
    w.text(n->embeddingName);
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

// Whether a reply is complete (ends with the trailer): one cut short comes from a reader that died.
bool complete(const std::string &bytes)
{
    if (bytes.size() < 16)
        return false;
    std::uint64_t trailer = 0;
    std::memcpy(&trailer, bytes.data() + bytes.size() - sizeof trailer, sizeof trailer);
    return trailer == kTrailer;
}

// The kind of a complete reply; throws the Error it carries.
std::uint64_t replyKind(ReplyReader &r)
{
    const std::uint64_t kind = r.number();
    if (kind == ReplyError || kind == ReplyInternal) {
        const std::uint64_t errorKind = r.number();
        const std::string message = r.text();
        if (kind == ReplyInternal)
            throw std::runtime_error(message);
        if (errorKind > static_cast<std::uint64_t>(ErrorKind::Unsupported))
            damagedReply();
        throw Error(static_cast<ErrorKind>(errorKind), message);
    }
    return kind;
}

void expectEnd(ReplyReader &r)
{
    if (r.number() != kTrailer || !r.atEnd())
        damagedReply();
}

LoadedModel decodeModel(const std::string &bytes)
{
    ReplyReader r(bytes);
    if (replyKind(r) != ReplyModel)
        damagedReply();
    LoadedModel m;
    m.weights.Wx = r.matrix();
    m.weights.Wh = r.matrix();
    m.weights.bh = r.vector();
    readCommon(r, m.weights.Wo, m.weights.bo, m.input, m.layoutDescription, m.notes, m.dtype);
    m.cell = r.activation();
    m.recurrent = r.activation();
    m.dense = r.activation();
    if (const std::uint64_t v = r.number())
        m.returnSequences = v == 2;
    if (const std::uint64_t v = r.number())
        m.T = static_cast<int>(v - 1);
    m.layerName = r.text();
    m.denseLayerName = r.text();
    m.recurrentLayers = readTexts(r);
    expectEnd(r);
    return m;
}

std::optional<LoadedNetwork> decodeNetwork(const std::string &bytes)
{
    ReplyReader r(bytes);
    const std::uint64_t kind = replyKind(r);
    if (kind == ReplyNoNetwork) {
        expectEnd(r);
        return std::nullopt;
    }
    if (kind != ReplyNetwork)
        damagedReply();
    LoadedNetwork n;
    const std::uint64_t count = r.number();
    if (count < 1 || count > static_cast<std::uint64_t>(kMaxLayers))
        damagedReply();
    const auto bounded = [&](std::uint64_t limit) {
        const std::uint64_t v = r.number();
        if (v > limit)
            damagedReply();
        return v;
    };
    for (std::uint64_t l = 0; l < count; ++l) {
        LayerSpec s;
        s.cell.kind = static_cast<CellKind>(bounded(static_cast<std::uint64_t>(CellKind::GRU)));
        s.cell.activation = static_cast<Activation>(bounded(static_cast<std::uint64_t>(Activation::HardSigmoidKeras2)));
        s.cell.recurrent = static_cast<Activation>(bounded(static_cast<std::uint64_t>(Activation::HardSigmoidKeras2)));
        s.cell.resetAfter = bounded(1) == 1;
        s.units = static_cast<int>(bounded(1 << 30));
        s.returnSequences = bounded(1) == 1;
        s.goBackwards = bounded(1) == 1;
        s.bidirectional = bounded(1) == 1;
        s.merge = static_cast<Merge>(bounded(static_cast<std::uint64_t>(Merge::Ave)));
        n.layers.push_back(s);
        std::vector<Weights> directions(bounded(2));
        if (static_cast<int>(directions.size()) != s.directions())
            damagedReply();
        for (Weights &d : directions) {
            d.Wx = r.matrix();
            d.Wh = r.matrix();
            d.bh = r.vector();
            d.Wo = Eigen::MatrixXd(d.Wh.rows(), 0); // a layer's own Dense is empty: the network's is Wo, bo
            d.bo = Eigen::VectorXd(0);
        }
        n.weights.layers.push_back(std::move(directions));
    }
    readCommon(r, n.weights.Wo, n.weights.bo, n.input, n.layoutDescription, n.notes, n.dtype);
    n.configured = bounded(1) == 1;
    n.dense = r.activation();
    if (const std::uint64_t v = r.number())
        n.T = static_cast<int>(v - 1);
    n.layerNames = readTexts(r);
    n.denseLayerName = r.text();
    n.weights.embedding = r.matrix();
    n.embeddingName = r.text();
    expectEnd(r);
    // What the child read fits together, as a Network would take it, or the reply is damaged.
    if (!n.layerNames.empty() && n.layerNames.size() != n.layers.size())
        damagedReply();
    try {
        checkStack(n.layers);
    } catch (const Error &) {
        damagedReply();
    }
    return n;
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
[[noreturn]] void childMain(int fd, const std::function<std::string()> &readEncoded, const std::string &path, int seconds,
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
        reply = readEncoded();
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

namespace {

// The complete reply of a child that ran readEncoded(); nullopt when there is no process to spare.
// Throws when the child died, stalled or answered nothing.
std::optional<std::string> childReply(const std::function<std::string()> &readEncoded, const std::string &path, int seconds,
                                      std::uint64_t extraMemory)
{
    int fds[2];
    if (::pipe(fds) != 0)
        return std::nullopt;
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return std::nullopt;
    }
    if (pid == 0) {
        ::close(fds[0]);
        childMain(fds[1], readEncoded, path, seconds, extraMemory);
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
    if (complete(reply))
        return reply;
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

} // namespace

LoadedModel runIsolated(const std::function<LoadedModel()> &read, const std::string &path, int seconds,
                        std::uint64_t extraMemory)
{
    const auto reply = childReply([&] { return encodeModel(read()); }, path, seconds, extraMemory);
    return reply ? decodeModel(*reply) : read();
}

std::optional<LoadedNetwork> runIsolatedNetwork(const std::function<std::optional<LoadedNetwork>()> &read,
                                                const std::string &path, int seconds, std::uint64_t extraMemory)
{
    const auto reply = childReply([&] { return encodeNetwork(read()); }, path, seconds, extraMemory);
    return reply ? decodeNetwork(*reply) : read();
}

#endif

} // namespace rnnscope::kerasio
