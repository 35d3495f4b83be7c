#include "run/lessonvalues.h"

#include "nn/param.h"
#include "run/summary.h"

#include <cstdio>
#include <map>

namespace rnnscope {

namespace {

std::string tuple(const std::vector<long long> &v)
{
    std::string s = "(";
    for (std::size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + std::to_string(v[i]);
    return s + (v.size() == 1 ? ",)" : ")");
}

std::string number(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
}

// "h[3][0]" → ("h", {3, 0}); nullopt when malformed.
std::optional<std::pair<std::string, std::vector<long long>>> indexed(const std::string &s)
{
    const std::size_t open = s.find('[');
    if (open == std::string::npos || open == 0)
        return std::nullopt;
    std::vector<long long> idx;
    std::size_t i = open;
    while (i < s.size()) {
        if (s[i] != '[')
            return std::nullopt;
        const std::size_t close = s.find(']', i);
        if (close == std::string::npos || close == i + 1)
            return std::nullopt;
        const std::string part = s.substr(i + 1, close - i - 1);
        if (part.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        idx.push_back(std::stoll(part));
        i = close + 1;
    }
    return std::make_pair(s.substr(0, open), idx);
}

} // namespace

std::optional<std::string> lessonValue(Model &model, int t, int n, const std::string &name)
{
    const ModelConfig &c = model.config();
    const Dims &d = c.dims;
    const CellSpec cell = c.cellSpec();
    const long long N = d.N, T = d.T, D = d.D, M = d.M, K = d.K, g = cell.gates();
    const Summary summary = modelSummary(c);
    const std::vector<ParamSpec> specs = paramSpecs(cell, d.D, d.M, d.K);
    const auto specOf = [&](const std::string &symbol) -> const ParamSpec * {
        for (const ParamSpec &p : specs)
            if (p.symbol == symbol)
                return &p;
        return nullptr;
    };
    static const std::map<std::string, char> sizes = {{"dims.N", 'N'}, {"dims.T", 'T'}, {"dims.D", 'D'}, {"dims.M", 'M'}, {"dims.K", 'K'}};
    if (const auto it = sizes.find(name); it != sizes.end()) {
        const char s = it->second;
        return std::to_string(s == 'N' ? N : s == 'T' ? T : s == 'D' ? D : s == 'M' ? M : K);
    }
    if (name == "t")
        return std::to_string(t);
    if (name == "sample")
        return std::to_string(n);
    if (name == "cell")
        return cellClassName(c.kind);
    if (name == "gates")
        return std::to_string(g);
    if (name == "gM")
        return std::to_string(g * M);
    if (name == "dtype")
        return dtypeName(c.dtype);
    if (name == "params.total")
        return std::to_string(summary.totalParams);
    if (name == "params.rnn")
        return std::to_string(summary.rows.size() > 1 ? summary.rows[1].params : 0);
    if (name == "params.dense")
        return std::to_string(K > 0 ? M * K + K : 0);
    if (name == "pytorch.params.rnn")
        return std::to_string(g * M * (D + M) + 2 * g * M);
    if (name.rfind("params.", 0) == 0)
        if (const ParamSpec *p = specOf(name.substr(7)))
            return std::to_string(p->size());
    if (name == "shape.X")
        return tuple({N, T, D});
    if (name == "shape.x")
        return tuple({N, D});
    if (name == "shape.h" || name == "shape.c")
        return tuple({N, M});
    if (name == "shape.H")
        return tuple({N, T, M});
    if (name == "shape.y") {
        const std::vector<std::int64_t> shape = outputShape(c);
        return tuple(std::vector<long long>(shape.begin(), shape.end()));
    }
    if (name.rfind("shape.", 0) == 0)
        if (const ParamSpec *p = specOf(name.substr(6)))
            return tuple(std::vector<long long>(p->kerasShape.begin(), p->kerasShape.end()));
    if (name.rfind("value.", 0) != 0)
        return std::nullopt;
    const auto ix = indexed(name.substr(6));
    if (!ix)
        return std::nullopt;
    const auto &[what, i] = *ix;
    if (i.size() == 2 && (what == "x" || what == "h" || what == "c" || what == "y")) {
        const long long s = i[0], j = i[1];
        if (s < 0 || s >= T || j < 0)
            return std::nullopt;
        if (what == "x")
            return j < D ? std::optional(number(model.inputValue(n, int(s), int(j)))) : std::nullopt;
        if (what == "h" && j < M)
            return number(model.hidden(int(s))(n, j));
        if (what == "c" && j < M && c.kind == CellKind::LSTM)
            return number(model.cellState(int(s))(n, j));
        if (what == "y" && j < K && (c.returnSequences || s == T - 1))
            return number(model.output(int(s))(n, j));
        return std::nullopt;
    }
    const std::map<std::string, WeightId> ids = {{"Wx", WeightId::Wx}, {"Wh", WeightId::Wh}, {"bh", WeightId::bh},
                                                  {"Wo", WeightId::Wo}, {"bo", WeightId::bo}};
    const auto id = ids.find(what);
    if (id == ids.end())
        return std::nullopt;
    const auto [rows, cols] = paramMatrixShape(model.weights(), id->second);
    const long long r = i.size() == 2 ? i[0] : 0, col = i.size() == 2 ? i[1] : i.size() == 1 ? i[0] : -1;
    if ((i.size() == 1 && rows != 1) || i.empty() || i.size() > 2 || r < 0 || r >= rows || col < 0 || col >= cols)
        return std::nullopt;
    return number(weightAt(model.weights(), id->second, r, col));
}

std::string fillLessonValues(Model &model, int t, int n, const std::string &text, std::vector<std::string> *unknown)
{
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t open = text.find('{', i);
        if (open == std::string::npos) {
            out += text.substr(i);
            break;
        }
        const std::size_t close = text.find('}', open);
        if (close == std::string::npos) {
            out += text.substr(i);
            break;
        }
        out += text.substr(i, open - i);
        const std::string name = text.substr(open + 1, close - open - 1);
        if (const auto v = lessonValue(model, t, n, name)) {
            out += *v;
        } else {
            out += text.substr(open, close - open + 1);
            if (unknown)
                unknown->push_back(name);
        }
        i = close + 1;
    }
    return out;
}

} // namespace rnnscope
