// The .npy / .npz reader and writer: every NumPy fixture does what its manifest says, the
// writer is byte-identical to np.save, files round-trip, writes are atomic, and no hostile
// input (hand-made headers, every truncation, every bit flip) crashes or reads out of bounds.

#include "common/error.h"
#include "io/file.h"
#include "io/npy.h"
#include "io/refusal.h"
#include "io/weightfile.h"
#include "run/model.h"
#include "testsupport.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <algorithm>
#include <random>

#include <csignal>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace rnnscope;
using namespace testsupport;
using json = testsupport::Json;

namespace {

std::vector<std::uint8_t> fileBytes(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// While it lives, files this process writes stop at `bytes` (RLIMIT_FSIZE, which root cannot
// write past either): a write beyond fails with EFBIG instead of raising SIGXFSZ.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        ::getrlimit(RLIMIT_FSIZE, &m_old);
        m_oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = m_old;
        limit.rlim_cur = bytes;
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0)
            qFatal("setrlimit(RLIMIT_FSIZE): %s", std::strerror(errno));
    }
    ~FileSizeLimit()
    {
        ::setrlimit(RLIMIT_FSIZE, &m_old);
        std::signal(SIGXFSZ, m_oldHandler);
    }
    FileSizeLimit(const FileSizeLimit &) = delete;
    FileSizeLimit &operator=(const FileSizeLimit &) = delete;

private:
    rlimit m_old{};
    void (*m_oldHandler)(int) = nullptr;
};

NdArray expectedArray(const std::string &role)
{
    const json &model = manifest()["model"];
    if (role == "X")
        return ndArrayOf(model["X_float32"]);
    if (role == "X_one_sample")
        return ndArrayOf(model["X_float32"][0]);
    return ndArrayOf(model["weights_float32"][role]);
}

void compareArrays(const NdArray &actual, const NdArray &expected, double tolerance)
{
    QCOMPARE(shapeString(actual.shape), shapeString(expected.shape));
    QCOMPARE(actual.values.size(), expected.values.size());
    for (std::size_t i = 0; i < expected.values.size(); ++i)
        if (std::abs(actual.values[i] - expected.values[i]) > tolerance)
            QFAIL(qPrintable(QStringLiteral("value %1: %2, expected %3").arg(i).arg(actual.values[i], 0, 'g', 17).arg(expected.values[i], 0, 'g', 17)));
}

bool sameBits(double a, double b)
{
    if (std::isnan(a) || std::isnan(b))
        return std::isnan(a) && std::isnan(b);
    return std::memcmp(&a, &b, sizeof a) == 0;
}

// An .npy file made by hand: magic, version, header_len, header, data.
std::string makeNpy(const std::string &header, const std::string &data, int major = 1, int minor = 0)
{
    std::string s = "\x93NUMPY";
    s += static_cast<char>(major);
    s += static_cast<char>(minor);
    const auto n = static_cast<std::uint32_t>(header.size());
    s += static_cast<char>(n & 0xff);
    s += static_cast<char>((n >> 8) & 0xff);
    if (major != 1) {
        s += static_cast<char>((n >> 16) & 0xff);
        s += static_cast<char>((n >> 24) & 0xff);
    }
    return s + header + data;
}

std::string floats(std::initializer_list<float> values)
{
    std::string s;
    for (float f : values)
        s.append(reinterpret_cast<const char *>(&f), 4);
    return s;
}

std::string zeros(std::size_t n)
{
    return std::string(n, '\0');
}

std::uint32_t crc32(std::string_view bytes)
{
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes) {
        c ^= b;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

// A stored zip with arbitrary member names and contents, for archives encodeNpz cannot make.
std::string rawZip(const std::vector<std::pair<std::string, std::string>> &members)
{
    auto le = [](std::string &s, std::uint32_t v, int bytes) {
        for (int i = 0; i < bytes; ++i)
            s += static_cast<char>((v >> (8 * i)) & 0xff);
    };
    std::string out, central;
    for (const auto &[name, data] : members) {
        const auto offset = static_cast<std::uint32_t>(out.size());
        const std::uint32_t crc = crc32(data);
        le(out, 0x04034b50, 4), le(out, 20, 2), le(out, 0, 2), le(out, 0, 2), le(out, 0, 2), le(out, 0x21, 2);
        le(out, crc, 4), le(out, static_cast<std::uint32_t>(data.size()), 4), le(out, static_cast<std::uint32_t>(data.size()), 4);
        le(out, static_cast<std::uint32_t>(name.size()), 2), le(out, 0, 2);
        out += name + data;
        le(central, 0x02014b50, 4), le(central, 20, 2), le(central, 20, 2), le(central, 0, 2), le(central, 0, 2);
        le(central, 0, 2), le(central, 0x21, 2), le(central, crc, 4);
        le(central, static_cast<std::uint32_t>(data.size()), 4), le(central, static_cast<std::uint32_t>(data.size()), 4);
        le(central, static_cast<std::uint32_t>(name.size()), 2), le(central, 0, 2), le(central, 0, 2), le(central, 0, 2);
        le(central, 0, 2), le(central, 0, 4), le(central, offset, 4);
        central += name;
    }
    const auto cdOffset = static_cast<std::uint32_t>(out.size());
    out += central;
    le(out, 0x06054b50, 4), le(out, 0, 2), le(out, 0, 2);
    le(out, static_cast<std::uint32_t>(members.size()), 2), le(out, static_cast<std::uint32_t>(members.size()), 2);
    le(out, static_cast<std::uint32_t>(central.size()), 4), le(out, cdOffset, 4), le(out, 0, 2);
    return out;
}

NdArray parseBytes(std::string_view bytes, const std::string &name = "test.npy")
{
    // A heap copy of exactly the bytes, so that a read past the end is caught by sanitizers.
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    return parseNpy(copy.data(), copy.size(), name);
}

NamedArrays parseZipBytes(std::string_view bytes, const std::string &name = "test.npz")
{
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    return parseNpz(copy.data(), copy.size(), name);
}

NdArray makeArray(std::vector<std::int64_t> shape, std::vector<double> values, DType dtype = DType::Float64)
{
    NdArray a;
    a.shape = std::move(shape);
    a.values = std::move(values);
    a.dtype = dtype;
    return a;
}

std::vector<std::string> goodFixtures(const std::string &kind)
{
    std::vector<std::string> files;
    for (const auto &f : manifest()["files"])
        if (f["kind"] == kind && f["expect"] != "refuse")
            files.push_back(f["file"].get<std::string>());
    return files;
}

} // namespace

class TestNpy : public QObject {
    Q_OBJECT

private slots:
    void manifestNpy_data();
    void manifestNpy();
    void manifestNpzMembers_data();
    void manifestNpzMembers();
    void encodeMatchesNumpy_data();
    void encodeMatchesNumpy();
    void encodeHeader_data();
    void encodeHeader();
    void encodeRefusesInconsistentArrays();
    void fortranOrder();
    void hostileHeaders_data();
    void hostileHeaders();
    void npyRoundTrip_data();
    void npyRoundTrip();
    void npzRoundTrip();
    void npzEdgeCases();
    void npzDeclaredSizeTooLarge();
    void atomicWrite();
    void readErrors();
    void tooLargeFile();
    void truncationsNeverCrash_data();
    void truncationsNeverCrash();
    void bitFlipsNeverCrash_data();
    void bitFlipsNeverCrash();
    void randomGarbageNeverCrashes();
    void printableTextEscapes();
};

// ---- the manifest ------------------------------------------------------------------------------

void TestNpy::manifestNpy_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expect");
    QTest::addColumn<QString>("role");
    QTest::addColumn<QString>("errorKind");
    QTest::addColumn<QString>("dtype");
    const int rows = addManifestRows("npy", {"file", "expect", "role", "error_kind", "dtype"});
    QVERIFY(rows >= 25);
}

void TestNpy::manifestNpy()
{
    QFETCH(QString, file);
    QFETCH(QString, expect);
    QFETCH(QString, role);
    QFETCH(QString, errorKind);
    QFETCH(QString, dtype);
    const std::string path = kFixtures + file.toStdString();
    NdArray a;
    const auto error = errorOf([&] { a = readNpy(path); });
    if (expect == QLatin1String("refuse")) {
        QVERIFY2(error, "the file was loaded");
        QCOMPARE(kindOf(error), errorKind);
        QVERIFY(oneLine(*error));
        QVERIFY2(std::string(error->what()).rfind(path + ": ", 0) == 0, error->what());
        // The same bytes through parseNpy give the same verdict.
        const std::vector<std::uint8_t> bytes = fileBytes(path);
        const auto again = errorOf([&] { parseBytes(std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), file.toStdString()); });
        QCOMPARE(kindOf(again), errorKind);
        return;
    }
    QVERIFY2(!error, error ? error->what() : "");
    QCOMPARE(QString::fromLatin1(dtypeName(a.dtype)), dtype.endsWith(QLatin1String("f8")) ? QStringLiteral("float64") : QStringLiteral("float32"));
    if (expect == QLatin1String("refuse_as_input")) {
        const auto refusal = errorOf([&] { inputFromArray(a, manifest()["model"]["D"].get<int>()); });
        QCOMPARE(kindOf(refusal), errorKind);
        QVERIFY(oneLine(*refusal));
        return;
    }
    compareArrays(a, expectedArray(role.toStdString()), 1e-7);
}

void TestNpy::manifestNpzMembers_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expect");
    QTest::addColumn<QString>("errorKind");
    addManifestRows("npz", {"file", "expect", "error_kind"});
}

void TestNpy::manifestNpzMembers()
{
    QFETCH(QString, file);
    QFETCH(QString, expect);
    QFETCH(QString, errorKind);
    const std::string path = kFixtures + file.toStdString();
    json entry;
    for (const auto &f : manifest()["files"])
        if (f["file"] == file.toStdString())
            entry = f;
    NamedArrays arrays;
    const auto error = errorOf([&] { arrays = readNpz(path); });
    // Archive-level problems are the reader's to find; shape and key problems are the model's.
    const bool archiveFine = expect == QLatin1String("load") || errorKind == QLatin1String("shape_mismatch") ||
                             errorKind == QLatin1String("missing_array");
    if (!archiveFine) {
        QVERIFY2(error, "the archive was read");
        QCOMPARE(kindOf(error), errorKind);
        QVERIFY(oneLine(*error));
        QVERIFY2(std::string(error->what()).rfind(path + ": ", 0) == 0, error->what());
        if (errorKind == QLatin1String("object_dtype") || errorKind == QLatin1String("unsupported_dtype"))
            QVERIFY2(std::string(error->what()).find(": member 'recurrent_kernel': ") != std::string::npos, error->what());
        return;
    }
    QVERIFY2(!error, error ? error->what() : "");
    if (!entry.contains("members"))
        return;
    // Keys without ".npy", shapes and dtypes as the manifest lists them; in archive order.
    std::vector<std::string> keys, expectedKeys;
    for (const auto &[k, a] : arrays)
        keys.push_back(k);
    for (const auto &[k, m] : entry["members"].items())
        expectedKeys.push_back(k);
    if (file == QLatin1String("model_and_input.npz")) // np.savez put X first; np.load lists it first
        QCOMPARE(keys, (std::vector<std::string>{"X", "kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias"}));
    std::sort(keys.begin(), keys.end());
    std::sort(expectedKeys.begin(), expectedKeys.end());
    QCOMPARE(keys, expectedKeys);
    for (const auto &[k, a] : arrays) {
        const json &m = entry["members"][k];
        std::vector<std::int64_t> shape = m["shape"].get<std::vector<std::int64_t>>();
        QCOMPARE(shapeString(a.shape), shapeString(shape));
        QCOMPARE(a.dtype, m["dtype"].get<std::string>().ends_with("f8") ? DType::Float64 : DType::Float32);
        if (expect == QLatin1String("load"))
            compareArrays(a, expectedArray(entry["key_to_role"][k].get<std::string>()), 1e-7);
    }
}

// ---- writing -----------------------------------------------------------------------------------

void TestNpy::encodeMatchesNumpy_data()
{
    QTest::addColumn<QString>("file");
    for (const auto &f : manifest()["files"]) {
        if (f["kind"] != "npy" || f["expect"] == "refuse" || f.value("fortran_order", true) ||
            f.value("npy_version", json()) != json::array({1, 0}))
            continue;
        const std::string dtype = f.value("dtype", "");
        if (dtype != "<f4" && dtype != "<f8")
            continue;
        QTest::newRow(f["file"].get<std::string>().c_str()) << QString::fromStdString(f["file"].get<std::string>());
    }
}

void TestNpy::encodeMatchesNumpy()
{
    QFETCH(QString, file);
    const std::string path = kFixtures + file.toStdString();
    const std::vector<std::uint8_t> original = fileBytes(path);
    const NdArray a = readNpy(path);
    const std::string encoded = encodeNpy(a, a.dtype);
    QCOMPARE(encoded.size(), original.size());
    QVERIFY2(std::memcmp(encoded.data(), original.data(), original.size()) == 0, "bytes differ from np.save");
}

void TestNpy::encodeHeader_data()
{
    QTest::addColumn<QString>("shape");
    QTest::addColumn<int>("dtypeIndex");
    QTest::addColumn<QString>("header");
    QTest::newRow("scalar f4") << "()" << 0 << "{'descr': '<f4', 'fortran_order': False, 'shape': (), }";
    QTest::newRow("vector f8") << "(7,)" << 1 << "{'descr': '<f8', 'fortran_order': False, 'shape': (7,), }";
    QTest::newRow("empty") << "(0, 5)" << 0 << "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }";
    QTest::newRow("matrix") << "(3, 5)" << 0 << "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }";
    QTest::newRow("rank 4") << "(1, 2, 4, 3)" << 1 << "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 4, 3), }";
    QTest::newRow("long axis") << "(1234567,)" << 0 << "{'descr': '<f4', 'fortran_order': False, 'shape': (1234567,), }";
}

void TestNpy::encodeHeader()
{
    QFETCH(QString, shape);
    QFETCH(int, dtypeIndex);
    QFETCH(QString, header);
    const DType dtype = dtypeIndex == 0 ? DType::Float32 : DType::Float64;
    NdArray a;
    for (const QString &d : shape.mid(1, shape.size() - 2).split(QLatin1Char(','), Qt::SkipEmptyParts))
        a.shape.push_back(d.trimmed().toLongLong());
    a.values.resize(a.size());
    for (std::size_t i = 0; i < a.values.size(); ++i)
        a.values[i] = 0.25 * static_cast<double>(i) - 3;
    const std::string bytes = encodeNpy(a, dtype);
    const std::size_t headerLength = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    QCOMPARE((10 + headerLength) % 64, std::size_t(0));
    const std::string text = bytes.substr(10, headerLength);
    QVERIFY(text.rfind(header.toStdString(), 0) == 0);
    QCOMPARE(text.back(), '\n');
    // NumPy's spare room: 21 - len(repr(shape[0])) spaces after the dict (none for a scalar).
    const std::size_t spare = a.shape.empty() ? 0 : 21 - std::to_string(a.shape[0]).size();
    QVERIFY(text.size() >= header.size() + spare + 1);
    QCOMPARE(text.find_first_not_of(' ', header.size()), text.size() - 1);
    QCOMPARE(bytes.size(), 10 + headerLength + a.values.size() * (dtype == DType::Float32 ? 4 : 8));
    const NdArray back = parseBytes(bytes);
    QCOMPARE(shapeString(back.shape), shape.toStdString());
    QCOMPARE(back.dtype, dtype);
    QVERIFY(back.values == a.values); // all exactly representable in float32
}

void TestNpy::encodeRefusesInconsistentArrays()
{
    QCOMPARE(kindOf(errorOf([] { encodeNpy(makeArray({3, 5}, std::vector<double>(14)), DType::Float32); })), QStringLiteral("shape_mismatch"));
    QCOMPARE(kindOf(errorOf([] { encodeNpy(makeArray({-1}, {}), DType::Float32); })), QStringLiteral("shape_mismatch"));
    NamedArrays twice = {{"a", makeArray({1}, {1})}, {"a", makeArray({1}, {2})}};
    QCOMPARE(kindOf(errorOf([&] { encodeNpz(twice, DType::Float32); })), QStringLiteral("bad_usage"));
    NamedArrays unnamed = {{"", makeArray({1}, {1})}};
    QCOMPARE(kindOf(errorOf([&] { encodeNpz(unnamed, DType::Float32); })), QStringLiteral("bad_usage"));
}

// ---- reading: layouts and hostile headers ------------------------------------------------------

void TestNpy::fortranOrder()
{
    // shape (2, 3, 4): element [i][j][k] = 100 i + 10 j + k, stored with i fastest.
    std::string data;
    std::vector<double> expected;
    for (int k = 0; k < 4; ++k)
        for (int j = 0; j < 3; ++j)
            for (int i = 0; i < 2; ++i) {
                const double v = 100 * i + 10 * j + k;
                std::uint64_t bits;
                std::memcpy(&bits, &v, 8);
                for (int b = 7; b >= 0; --b) // big-endian float64
                    data += static_cast<char>((bits >> (8 * b)) & 0xff);
            }
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k)
                expected.push_back(100 * i + 10 * j + k);
    const NdArray a = parseBytes(makeNpy("{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3, 4), }\n", data));
    QCOMPARE(shapeString(a.shape), std::string("(2, 3, 4)"));
    QCOMPARE(a.dtype, DType::Float64);
    QVERIFY(a.values == expected);
    // Fortran order is irrelevant for rank 0 and 1, and for empty arrays.
    QCOMPARE(parseBytes(makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", floats({1, 2, 3}))).values, (std::vector<double>{1, 2, 3}));
    QCOMPARE(parseBytes(makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 4, 2), }", "")).values.size(), std::size_t(0));
}

void TestNpy::hostileHeaders_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("kind"); // "load" or an error kind
    QTest::addColumn<QString>("mention"); // a substring the message must contain

    auto row = [](const char *tag, const std::string &bytes, const char *kind, const char *mention = "") {
        QTest::newRow(tag) << QByteArray(bytes.data(), static_cast<qsizetype>(bytes.size())) << QString::fromLatin1(kind)
                           << QString::fromUtf8(mention);
    };
    const std::string f15 = zeros(60);
    auto hdr = [](const std::string &descr, const std::string &fortran, const std::string &shape) {
        return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
    };
    // Loadable variations NumPy itself accepts.
    row("plain", makeNpy(hdr("'<f4'", "False", "(3, 5)"), f15), "load");
    row("double quotes, no spaces", makeNpy("{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(3,5)}", f15), "load");
    row("python 2 longs", makeNpy(hdr("'<f4'", "False", "(3L, 5L)"), f15), "load");
    row("unicode literal", makeNpy(hdr("u'<f4'", "False", "(3, 5)"), f15), "load");
    row("native order", makeNpy(hdr("'=f8'", "False", "(3, 5)"), zeros(120)), "load");
    row("keys in any order", makeNpy("{'shape': (3, 5), 'descr': '<f4', 'fortran_order': False}", f15), "load");
    row("scalar", makeNpy(hdr("'<f4'", "False", "()"), floats({2.5f})), "load");
    row("empty array", makeNpy(hdr("'<f4'", "False", "(0, 5)"), ""), "load");
    row("version 2", makeNpy(hdr("'<f4'", "False", "(3, 5)"), f15, 2), "load");
    row("version 3", makeNpy(hdr("'<f4'", "False", "(3, 5)"), f15, 3), "load");
    // Preamble.
    row("magic prefix only", std::string("\x93NUM"), "truncated");
    row("magic only", std::string("\x93NUMPY"), "truncated");
    row("no header length", std::string("\x93NUMPY\x01\x00\x05"), "truncated");
    row("zip magic", std::string("PK\x03\x04") + zeros(40), "bad_magic", "not a NumPy .npy file");
    row("lower-case magic", "\x93numpy" + makeNpy(hdr("'<f4'", "False", "(3, 5)"), f15).substr(6), "bad_magic");
    row("version 1.1", makeNpy(hdr("'<f4'", "False", "(3, 5)"), f15, 1, 1), "unsupported_version", "1.1");
    row("version 0.0", makeNpy(hdr("'<f4'", "False", "(3, 5)"), f15, 0, 0), "unsupported_version", "0.0");
    row("version 255", makeNpy(hdr("'<f4'", "False", "(3, 5)"), f15, 255, 0), "unsupported_version", "255.0");
    row("header_len beyond file", std::string("\x93NUMPY\x01\x00\xff\xff{'descr'", 18), "truncated", "65535 bytes");
    row("v2 header_len 4 GiB", std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff{}", 14), "truncated", "4294967295 bytes");
    row("empty header", makeNpy("", f15), "malformed_header");
    row("blank header", makeNpy("          \n", f15), "malformed_header");
    // Malformed literals.
    row("not a dict", makeNpy("[1, 2, 3]\n", f15), "malformed_header", "a list");
    row("unclosed dict", makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5)    \n", f15), "malformed_header");
    row("unterminated string", makeNpy("{'descr': '<f4, 'fortran_order': False}", f15), "malformed_header");
    row("missing colon", makeNpy("{'descr' '<f4', 'fortran_order': False, 'shape': (3, 5)}", f15), "malformed_header");
    row("trailing garbage", makeNpy(hdr("'<f4'", "False", "(3, 5)") + "x", f15), "malformed_header");
    row("code", makeNpy("{'descr': __import__('os').system('true'), 'fortran_order': False, 'shape': (3, 5)}", f15), "malformed_header", "__import__");
    row("nul byte", makeNpy(std::string("{'descr': '<f4',\0 'fortran_order': False, 'shape': (3, 5)}", 58), f15), "malformed_header", "\\x00");
    row("deep nesting", makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': " + std::string(5000, '(') + std::string(5000, ')') + "}", f15), "malformed_header", "nest deeper");
    row("missing shape", makeNpy("{'descr': '<f4', 'fortran_order': False, }", f15), "malformed_header", "'shape'");
    row("missing descr", makeNpy("{'fortran_order': False, 'shape': (3, 5), }", f15), "malformed_header", "'descr'");
    row("extra key", makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), 'evil': 1}", f15), "malformed_header", "'evil'");
    row("duplicate key", makeNpy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3, 5)}", f15), "malformed_header", "twice");
    row("integer key", makeNpy("{1: '<f4', 'fortran_order': False, 'shape': (3, 5)}", f15), "malformed_header");
    row("fortran_order 1", makeNpy(hdr("'<f4'", "1", "(3, 5)"), f15), "malformed_header", "fortran_order");
    row("fortran_order None", makeNpy(hdr("'<f4'", "None", "(3, 5)"), f15), "malformed_header", "fortran_order");
    row("shape list", makeNpy(hdr("'<f4'", "False", "[3, 5]"), f15), "malformed_header", "'shape' is a list");
    row("shape int", makeNpy(hdr("'<f4'", "False", "(15)"), f15), "malformed_header", "'shape' is an integer");
    row("shape float", makeNpy(hdr("'<f4'", "False", "(3.0, 5)"), f15), "malformed_header", "3.0");
    row("shape string", makeNpy(hdr("'<f4'", "False", "('3', 5)"), f15), "malformed_header");
    row("shape leading zero", makeNpy(hdr("'<f4'", "False", "(03, 5)"), f15), "malformed_header");
    row("negative dimension", makeNpy(hdr("'<f4'", "False", "(3, -5)"), f15), "malformed_header", "-5");
    row("dimension beyond int64", makeNpy(hdr("'<f4'", "False", "(99999999999999999999, 1)"), f15), "malformed_header", "99999999999999999999");
    row("rank 65", makeNpy(hdr("'<f4'", "False", "(" + [] { std::string s; for (int i = 0; i < 65; ++i) s += "1, "; return s; }() + ")"), floats({1})), "malformed_header", "65 dimensions");
    row("descr not a string", makeNpy(hdr("4", "False", "(3, 5)"), f15), "malformed_header", "'descr'");
    // Shapes against data.
    row("product overflows", makeNpy(hdr("'<f8'", "False", "(4294967296, 4294967296, 16)"), f15), "truncated", "(4294967296, 4294967296, 16)");
    row("huge shape", makeNpy(hdr("'<f8'", "False", "(1000000000, 1000000000)"), f15), "truncated");
    row("int64 max dims", makeNpy(hdr("'<f4'", "False", "(9223372036854775807, 9223372036854775807)"), f15), "truncated");
    row("zero times huge", makeNpy(hdr("'<f4'", "False", "(0, 9223372036854775807)"), ""), "load");
    row("shape larger than data", makeNpy(hdr("'<f4'", "False", "(30, 5)"), f15), "truncated", "600 bytes");
    row("data larger than shape", makeNpy(hdr("'<f4'", "False", "(3, 4)"), f15), "shape_mismatch", "60 bytes follow");
    // Dtypes.
    row("int64", makeNpy(hdr("'<i8'", "False", "(3, 5)"), zeros(120)), "unsupported_dtype", "'<i8' (int64)");
    row("float16", makeNpy(hdr("'<f2'", "False", "(3, 5)"), zeros(30)), "unsupported_dtype", "float16");
    row("bool", makeNpy(hdr("'|b1'", "False", "(3, 5)"), zeros(15)), "unsupported_dtype", "bool");
    row("unicode", makeNpy(hdr("'<U5'", "False", "(3,)"), zeros(60)), "unsupported_dtype", "str");
    row("empty descr", makeNpy(hdr("''", "False", "(3, 5)"), f15), "unsupported_dtype");
    row("object", makeNpy(hdr("'|O'", "False", "(2,)"), "\x80\x04garbage"), "object_dtype", "never loads");
    row("object O8", makeNpy(hdr("'|O8'", "False", "(2,)"), "\x80\x04garbage"), "object_dtype");
    row("object no order", makeNpy(hdr("'O'", "False", "(2,)"), ""), "object_dtype");
    row("structured", makeNpy(hdr("[('a', '<f4'), ('b', '<f4')]", "False", "(3,)"), zeros(24)), "unsupported_dtype", "structured");
    row("structured with object", makeNpy(hdr("[('a', '<f4'), ('b', '|O')]", "False", "(3,)"), zeros(24)), "object_dtype");
    row("escape in descr", makeNpy(hdr("'<f\\x34'", "False", "(3, 5)"), f15), "load");
    row("control bytes in descr", makeNpy(hdr("'\\n\\x01'", "False", "(3, 5)"), f15), "unsupported_dtype", "\\x0a\\x01");
}

void TestNpy::hostileHeaders()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, kind);
    QFETCH(QString, mention);
    NdArray a;
    const auto error = errorOf([&] { a = parseBytes(std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())), "hostile.npy"); });
    if (error)
        qDebug("%s", error->what());
    QCOMPARE(kindOf(error), kind);
    if (error) {
        QVERIFY(oneLine(*error));
        QVERIFY(std::string(error->what()).rfind("hostile.npy: ", 0) == 0);
        QVERIFY2(std::string(error->what()).find(mention.toStdString()) != std::string::npos, error->what());
    } else {
        QCOMPARE(a.values.size(), a.size());
    }
}

// ---- round trips -------------------------------------------------------------------------------

void TestNpy::npyRoundTrip_data()
{
    QTest::addColumn<int>("dtypeIndex");
    QTest::newRow("float32") << 0;
    QTest::newRow("float64") << 1;
}

void TestNpy::npyRoundTrip()
{
    QFETCH(int, dtypeIndex);
    const DType dtype = dtypeIndex == 0 ? DType::Float32 : DType::Float64;
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::mt19937_64 rng(42);
    std::normal_distribution<double> normal;
    NdArray a = makeArray({2, 7, 3}, {}, dtype);
    for (std::size_t i = 0; i < a.size(); ++i)
        a.values.push_back(normal(rng));
    const double specials[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                               -std::numeric_limits<double>::infinity(), -0.0, 1e-40, 3.4e38, 1e300, 5e-324};
    for (std::size_t i = 0; i < std::size(specials); ++i)
        a.values[i * 5] = specials[i];
    const std::string path = dir.filePath(QStringLiteral("X.npy")).toStdString();
    writeNpy(path, a, dtype);
    const NdArray b = readNpy(path);
    QCOMPARE(shapeString(b.shape), shapeString(a.shape));
    QCOMPARE(b.dtype, dtype);
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        const double expected = dtype == DType::Float32 ? static_cast<double>(static_cast<float>(a.values[i])) : a.values[i];
        QVERIFY2(sameBits(b.values[i], expected), qPrintable(QString::number(i)));
    }
    // Written once more from what was read, the file is byte-identical.
    const std::string again = dir.filePath(QStringLiteral("again.npy")).toStdString();
    writeNpy(again, b, dtype);
    QVERIFY(fileBytes(path) == fileBytes(again));
}

void TestNpy::npzRoundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    NamedArrays arrays = {
        {"kernel", makeArray({3, 5}, std::vector<double>(15, 0.5))},
        {"scalar", makeArray({}, {7.25})},
        {"empty", makeArray({0, 4}, {})},
        {"nan", makeArray({2}, {std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::infinity()})},
        {"a/b ü", makeArray({1}, {1})},
        {"arr_0", makeArray({2, 2}, {1, 2, 3, 4})},
    };
    for (DType dtype : {DType::Float32, DType::Float64}) {
        const std::string path = dir.filePath(QStringLiteral("w.npz")).toStdString();
        writeNpz(path, arrays, dtype);
        const NamedArrays back = readNpz(path);
        QCOMPARE(back.size(), arrays.size());
        for (std::size_t i = 0; i < arrays.size(); ++i) {
            QCOMPARE(back[i].first, arrays[i].first);
            QCOMPARE(shapeString(back[i].second.shape), shapeString(arrays[i].second.shape));
            QCOMPARE(back[i].second.dtype, dtype);
            for (std::size_t k = 0; k < arrays[i].second.values.size(); ++k)
                QVERIFY(sameBits(back[i].second.values[k], arrays[i].second.values[k]));
        }
        // Deterministic: the same arrays give the same bytes.
        QVERIFY(encodeNpz(arrays, dtype) == encodeNpz(arrays, dtype));
    }
    // An empty archive is a valid zip with no arrays.
    QVERIFY(parseZipBytes(encodeNpz({}, DType::Float32)).empty());
}

void TestNpy::npzEdgeCases()
{
    const std::string kernel = encodeNpy(makeArray({1, 2}, {1, 2}), DType::Float32);
    // Directories and non-array members are skipped; a member without ".npy" but with the magic is an array.
    NamedArrays a = parseZipBytes(rawZip({{"dir/", ""}, {"README.txt", "hello"}, {"noext", kernel}, {"k.npy", kernel}}));
    QCOMPARE(a.size(), std::size_t(2));
    QCOMPARE(a[0].first, std::string("noext"));
    QCOMPARE(a[1].first, std::string("k"));
    // Two members with the same key.
    auto twice = errorOf([&] { parseZipBytes(rawZip({{"k", kernel}, {"k.npy", kernel}})); });
    QCOMPARE(kindOf(twice), QStringLiteral("malformed_header"));
    // A .npy member that is not an .npy: the member's error, prefixed.
    auto bad = errorOf([&] { parseZipBytes(rawZip({{"k.npy", "not an array"}}), "w.npz"); });
    QCOMPARE(kindOf(bad), QStringLiteral("bad_magic"));
    QVERIFY2(std::string(bad->what()).rfind("w.npz: member 'k': ", 0) == 0, bad->what());
    // A damaged member (CRC mismatch).
    std::string zip = rawZip({{"k.npy", kernel}});
    zip[30 + 5 + kernel.size() - 1] ^= 0x40; // flip a data bit inside the member
    auto crc = errorOf([&] { parseZipBytes(zip, "w.npz"); });
    QVERIFY(crc);
    qDebug("%s", crc->what());
    // A single .npy named .npz, text, empty.
    QCOMPARE(kindOf(errorOf([&] { parseZipBytes(kernel); })), QStringLiteral("not_zip"));
    QCOMPARE(kindOf(errorOf([&] { parseZipBytes("hello, world, this is no zip at all"); })), QStringLiteral("not_zip"));
    QCOMPARE(kindOf(errorOf([&] { parseZipBytes(""); })), QStringLiteral("truncated"));
}

void TestNpy::npzDeclaredSizeTooLarge()
{
    // A central directory that claims a 3 GiB member: refused before anything is inflated.
    std::string zip = rawZip({{"k.npy", encodeNpy(makeArray({2}, {1, 2}), DType::Float32)}});
    const std::size_t cd = zip.rfind(std::string("PK\x01\x02", 4));
    QVERIFY(cd != std::string::npos);
    const std::uint32_t huge = 3u << 30;
    for (int i = 0; i < 4; ++i)
        zip[cd + 24 + static_cast<std::size_t>(i)] = static_cast<char>((huge >> (8 * i)) & 0xff); // uncompressed size
    const auto error = errorOf([&] { parseZipBytes(zip, "bomb.npz"); });
    QVERIFY(error);
    qDebug("%s", error->what());
    QCOMPARE(kindOf(error), QStringLiteral("too_large"));
}

void TestNpy::atomicWrite()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    namespace fs = std::filesystem;
    const std::string path = dir.filePath(QStringLiteral("out.npy")).toStdString();
    const NdArray a = makeArray({2}, {1, 2});
    writeNpy(path, a, DType::Float32);
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    writeNpy(path, makeArray({3}, {1, 2, 3}), DType::Float64); // replaces it
    QCOMPARE(readNpy(path).values.size(), std::size_t(3));
    QCOMPARE(fs::status(path).permissions() & fs::perms::all,
             fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    // A symlink is followed: its target is replaced, the link stays.
    const std::string link = dir.filePath(QStringLiteral("link.npy")).toStdString();
    fs::create_symlink(path, link);
    writeNpy(link, makeArray({4}, {1, 2, 3, 4}), DType::Float32);
    QVERIFY(fs::is_symlink(link));
    QCOMPARE(readNpy(path).values.size(), std::size_t(4));
    // No temporary files are left behind.
    int files = 0;
    for (const auto &e : fs::directory_iterator(dir.path().toStdString())) {
        ++files;
        QVERIFY2(e.path().filename().string().find(".tmp") == std::string::npos, e.path().c_str());
    }
    QCOMPARE(files, 2);
    // Failures: a missing directory, a directory as target. The old file stays intact.
    const std::string missing = dir.filePath(QStringLiteral("no/such/dir/x.npy")).toStdString();
    auto e1 = errorOf([&] { writeNpy(missing, a, DType::Float32); });
    QCOMPARE(kindOf(e1), QStringLiteral("io"));
    QVERIFY2(std::string(e1->what()).find(missing) != std::string::npos, e1->what());
    auto e2 = errorOf([&] { writeNpz(dir.path().toStdString(), {{"a", a}}, DType::Float32); });
    QCOMPARE(kindOf(e2), QStringLiteral("io"));
    auto e3 = errorOf([&] { writeFileAtomically("", "x"); });
    QCOMPARE(kindOf(e3), QStringLiteral("io"));
    // A write that fails half-way: the file size limit (RLIMIT_FSIZE binds root too) stops the
    // temporary file at 4 KiB with EFBIG. The old file keeps every byte, no temporary file is left.
    const std::string old = dir.filePath(QStringLiteral("old.npy")).toStdString();
    writeNpy(old, a, DType::Float32);
    const std::vector<std::uint8_t> before = fileBytes(old);
    const NdArray big = makeArray({4096}, std::vector<double>(4096, 0.5)); // 16 KiB of float32
    std::optional<Error> e4;
    {
        const FileSizeLimit limit(4096);
        e4 = errorOf([&] { writeNpy(old, big, DType::Float32); });
    }
    QVERIFY2(e4, "the write beyond the file size limit succeeded");
    qDebug("%s", e4->what());
    QCOMPARE(e4->kind(), ErrorKind::Io);
    QVERIFY2(std::string(e4->what()).find(old) != std::string::npos, e4->what());
    QVERIFY2(std::string(e4->what()).find(std::strerror(EFBIG)) != std::string::npos, e4->what());
    QVERIFY(fileBytes(old) == before);
    // A file where a directory is expected: the temporary file cannot be created under it (ENOTDIR
    // binds root too), and the file in the way stays as it was.
    const std::string under = old + "/x.npy";
    const auto e5 = errorOf([&] { writeNpy(under, big, DType::Float32); });
    QVERIFY2(e5, "wrote under a regular file");
    QCOMPARE(e5->kind(), ErrorKind::Io);
    QVERIFY2(std::string(e5->what()).find(under) != std::string::npos, e5->what());
    QVERIFY(fileBytes(old) == before);
    QVERIFY(fs::is_regular_file(old));
    QCOMPARE(readNpy(old).values, a.values);
    QStringList left = QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
    left.sort();
    QCOMPARE(left, (QStringList{QStringLiteral("link.npy"), QStringLiteral("old.npy"), QStringLiteral("out.npy")}));
}

void TestNpy::readErrors()
{
    QTemporaryDir dir;
    const std::string missing = dir.filePath(QStringLiteral("missing.npy")).toStdString();
    auto e1 = errorOf([&] { readNpy(missing); });
    QCOMPARE(kindOf(e1), QStringLiteral("io"));
    QVERIFY2(std::string(e1->what()).find(missing) != std::string::npos, e1->what());
    QCOMPARE(kindOf(errorOf([&] { readNpz(missing); })), QStringLiteral("io"));
    QCOMPARE(kindOf(errorOf([&] { readNpy(dir.path().toStdString()); })), QStringLiteral("io"));
    QCOMPARE(kindOf(errorOf([&] { readNpz(dir.path().toStdString()); })), QStringLiteral("io"));
    // A name that exists and is no directory, but cannot be opened for reading by anyone, root
    // included: a Unix socket (open() gives ENXIO). It stays where it was.
    const std::string socketPath = dir.filePath(QStringLiteral("socket.npy")).toStdString();
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    QVERIFY(fd >= 0);
    const std::unique_ptr<const int, void (*)(const int *)> closed(&fd, [](const int *s) { ::close(*s); });
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    QVERIFY(socketPath.size() < sizeof address.sun_path);
    std::memcpy(address.sun_path, socketPath.c_str(), socketPath.size() + 1);
    QCOMPARE(::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address), 0);
    for (const auto &read : std::initializer_list<std::function<void()>>{[&] { readNpy(socketPath); }, [&] { readNpz(socketPath); }}) {
        const auto e = errorOf(read);
        QVERIFY2(e, "read a socket");
        QCOMPARE(e->kind(), ErrorKind::Io);
        QVERIFY2(std::string(e->what()).find(socketPath) != std::string::npos, e->what());
        QVERIFY2(std::string(e->what()).find(std::strerror(ENXIO)) != std::string::npos, e->what());
    }
    QCOMPARE(std::filesystem::status(socketPath).type(), std::filesystem::file_type::socket);
}

void TestNpy::tooLargeFile()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("huge.npy")).toStdString();
    { std::ofstream(path, std::ios::binary) << "\x93NUMPY"; }
    std::filesystem::resize_file(path, kMaxArrayFileBytes + 1); // sparse: no disk space used
    const auto error = errorOf([&] { readNpy(path); });
    QCOMPARE(kindOf(error), QStringLiteral("too_large"));
    qDebug("%s", error->what());
    QCOMPARE(kindOf(errorOf([&] { readNpz(path); })), QStringLiteral("too_large"));
}

// ---- robustness --------------------------------------------------------------------------------

void TestNpy::truncationsNeverCrash_data()
{
    QTest::addColumn<QString>("file");
    for (const char *kind : {"npy", "npz"})
        for (const std::string &f : goodFixtures(kind))
            QTest::newRow(f.c_str()) << QString::fromStdString(f);
}

void TestNpy::truncationsNeverCrash()
{
    QFETCH(QString, file);
    const std::vector<std::uint8_t> bytes = fileBytes(kFixtures + file.toStdString());
    const bool npz = file.endsWith(QLatin1String(".npz"));
    QVERIFY(!bytes.empty());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        const std::string_view prefix(reinterpret_cast<const char *>(bytes.data()), n);
        const auto error = npz ? errorOf([&] { parseZipBytes(prefix); }) : errorOf([&] { parseBytes(prefix); });
        QVERIFY2(error, qPrintable(QStringLiteral("a %1-byte prefix was accepted").arg(n)));
        QVERIFY(oneLine(*error));
        if (!npz) // every strict prefix of an .npy ends before what it announces
            QVERIFY2(error->kind() == ErrorKind::Truncated, error->what());
    }
}

void TestNpy::bitFlipsNeverCrash_data()
{
    truncationsNeverCrash_data();
}

void TestNpy::bitFlipsNeverCrash()
{
    QFETCH(QString, file);
    std::vector<std::uint8_t> bytes = fileBytes(kFixtures + file.toStdString());
    const bool npz = file.endsWith(QLatin1String(".npz"));
    int loaded = 0, refused = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            bytes[i] ^= static_cast<std::uint8_t>(1u << bit);
            const std::string_view view(reinterpret_cast<const char *>(bytes.data()), bytes.size());
            std::optional<Error> error;
            if (npz) {
                NamedArrays arrays;
                error = errorOf([&] { arrays = parseZipBytes(view); });
                for (const auto &[k, a] : arrays)
                    QCOMPARE(a.values.size(), a.size());
            } else {
                NdArray a;
                error = errorOf([&] { a = parseBytes(view); });
                if (!error)
                    QCOMPARE(a.values.size(), a.size());
            }
            if (error) {
                QVERIFY(oneLine(*error));
                ++refused;
            } else {
                ++loaded;
            }
            bytes[i] ^= static_cast<std::uint8_t>(1u << bit);
        }
    }
    QVERIFY(loaded > 0 && refused > 0);
}

void TestNpy::randomGarbageNeverCrashes()
{
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int> byte(0, 255), length(0, 300);
    const std::string kernel = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }\n", zeros(60));
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        if (round % 2 == 0) {
            s = kernel; // a valid file with random bytes overwritten in its header
            const int changes = 1 + round % 7;
            for (int c = 0; c < changes; ++c)
                s[static_cast<std::size_t>(byte(rng)) % 80] = static_cast<char>(byte(rng));
        } else {
            s = "\x93NUMPY";
            s += static_cast<char>(1 + round % 3);
            s += '\0';
            const int n = length(rng);
            for (int k = 0; k < n; ++k)
                s += static_cast<char>(byte(rng));
        }
        NdArray a;
        const auto error = errorOf([&] { a = parseBytes(s); });
        if (!error)
            QCOMPARE(a.values.size(), a.size());
    }
}

void TestNpy::printableTextEscapes()
{
    QCOMPARE(printableText("a\nb\x01"), std::string("a\\x0ab\\x01"));
    QCOMPARE(printableText("abcdef", 3), std::string("abc…"));
    QCOMPARE(printableText("gewicht_\xc3\xa4"), std::string("gewicht_\xc3\xa4")); // UTF-8 stays
    QCOMPARE(printableText("\x93NUMPY"), std::string("\\x93NUMPY"));               // stray bytes do not
    QCOMPARE(printableText("\xed\xa0\x80"), std::string("\\xed\\xa0\\x80"));
    QCOMPARE(dtypeDescrName("<i4"), std::string("int32"));
    QCOMPARE(dtypeDescrName(">c16"), std::string("complex128"));
    QCOMPARE(dtypeDescrName("|b1"), std::string("bool"));
    QCOMPARE(dtypeDescrName("?"), std::string());
}

QTEST_APPLESS_MAIN(TestNpy)
#include "test_npy.moc"
