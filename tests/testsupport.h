#pragma once

// What the core tests share: the JSON of the shared folder (the NumPy fixtures' manifest, the
// seed cases), errors caught as values, and nested JSON lists turned into Eigen matrices,
// vectors and NdArrays. Header-only; each test executable includes it once.
//
// Needs RNNSCOPE_SHARED_DIR, defined by tests/CMakeLists.txt for every core test.

#include "common/error.h"
#include "common/ndarray.h"
#include "nn/weights.h"

#include <QString>
#include <QTest>
#include <QtGlobal>

#include <Eigen/Core>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace testsupport {

// JSON whose objects iterate in the file's key order.
using Json = nlohmann::ordered_json;

// <shared>/fixtures/numpy/: the NumPy fixtures and their manifest.json.
inline const std::string kFixtures = std::string(RNNSCOPE_SHARED_DIR) + "/fixtures/numpy/";

// The JSON file <shared>/relative. A file that cannot be opened ends the test run (qFatal).
inline Json loadJson(const std::string &relative)
{
    const std::string path = std::string(RNNSCOPE_SHARED_DIR) + "/" + relative;
    std::ifstream in(path);
    if (!in)
        qFatal("cannot open %s", path.c_str());
    return Json::parse(in);
}

// fixtures/numpy/manifest.json, read on first use: "files" (one entry a fixture, with its
// kind, expectation and error kind), "model" (D, X_float32, weights_float32) and
// "forward_float64" (H, Y_last, Y_sequences).
inline const Json &manifest()
{
    static const Json m = loadJson("fixtures/numpy/manifest.json");
    return m;
}

// For a _data() function: one row per manifest file of this kind ("npy", "npz"), named after
// the file, holding the entry's `keys` as strings ("" for a key the entry lacks). The data
// function has declared one QString column per key, in that order. Returns the number of rows.
inline int addManifestRows(const char *kind, std::initializer_list<const char *> keys)
{
    int rows = 0;
    for (const auto &f : manifest()["files"]) {
        if (f["kind"] != kind)
            continue;
        QTestData &row = QTest::newRow(f["file"].get<std::string>().c_str());
        for (const char *key : keys)
            row << QString::fromStdString(f.value(key, ""));
        ++rows;
    }
    return rows;
}

// The case called `name` in reference/seed_cases.json (read on first use). An unknown name
// ends the test run (qFatal).
inline const Json &seedCase(const char *name)
{
    static const Json cases = loadJson("reference/seed_cases.json");
    for (const auto &c : cases["cases"])
        if (c["name"] == name)
            return c;
    qFatal("no seed case %s", name);
}

// The rnnscope::Error that f() throws, or nothing when it returns. Other exceptions pass through.
template <typename F>
std::optional<rnnscope::Error> errorOf(F &&f)
{
    try {
        f();
    } catch (const rnnscope::Error &e) {
        return e;
    }
    return std::nullopt;
}

// The manifest's name of an error's kind ("truncated", "shape_mismatch", ...), or "load" for none.
inline QString kindOf(const std::optional<rnnscope::Error> &e)
{
    return e ? QString::fromLatin1(rnnscope::errorKindName(e->kind())) : QStringLiteral("load");
}

// Whether the message is a single, non-empty line.
inline bool oneLine(const rnnscope::Error &e)
{
    const std::string m = e.what();
    return !m.empty() && m.find('\n') == std::string::npos;
}

// A (rows, cols) matrix from a list of rows: m(i, k) = j[i][k].
inline Eigen::MatrixXd matrixOf(const Json &j)
{
    Eigen::MatrixXd m(j.size(), j[0].size());
    for (std::size_t i = 0; i < j.size(); ++i)
        for (std::size_t k = 0; k < j[i].size(); ++k)
            m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = j[i][k].get<double>();
    return m;
}

// A vector from a flat list: v(i) = j[i].
inline Eigen::VectorXd vectorOf(const Json &j)
{
    Eigen::VectorXd v(j.size());
    for (std::size_t i = 0; i < j.size(); ++i)
        v(static_cast<Eigen::Index>(i)) = j[i].get<double>();
    return v;
}

// Nested JSON lists → (shape, values in C order), appended to shape and values. The shape is
// taken from the first list met at each depth; a plain number is a scalar.
inline void flatten(const Json &j, std::vector<std::int64_t> &shape, std::vector<double> &values, std::size_t depth = 0)
{
    if (j.is_array()) {
        if (shape.size() == depth)
            shape.push_back(static_cast<std::int64_t>(j.size()));
        for (const auto &e : j)
            flatten(e, shape, values, depth + 1);
    } else {
        values.push_back(j.get<double>());
    }
}

// Nested JSON lists as an NdArray of any rank (e.g. X (N, T, D)), with NdArray's default dtype.
inline rnnscope::NdArray ndArrayOf(const Json &j)
{
    rnnscope::NdArray a;
    flatten(j, a.shape, a.values);
    return a;
}

// The manifest model's weights_float32: kernel → Wx, recurrent_kernel → Wh, bias → bh,
// dense_kernel → Wo, dense_bias → bo.
inline rnnscope::Weights manifestWeights()
{
    const Json &w = manifest()["model"]["weights_float32"];
    rnnscope::Weights out;
    out.Wx = matrixOf(w["kernel"]);
    out.Wh = matrixOf(w["recurrent_kernel"]);
    out.bh = vectorOf(w["bias"]);
    out.Wo = matrixOf(w["dense_kernel"]);
    out.bo = vectorOf(w["dense_bias"]);
    return out;
}

// max |a - b| over all entries; +inf when the shapes differ, 0 when both are empty.
inline double maxDifference(const Eigen::Ref<const Eigen::MatrixXd> &a, const Eigen::Ref<const Eigen::MatrixXd> &b)
{
    if (a.rows() != b.rows() || a.cols() != b.cols())
        return std::numeric_limits<double>::infinity();
    return a.size() == 0 ? 0.0 : (a - b).cwiseAbs().maxCoeff();
}

} // namespace testsupport
