#include "run/summary.h"

#include "common/error.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace rnnscope {

Summary modelSummary(const ModelConfig &config)
{
    return networkSummary(networkConfigOf(config));
}

Summary networkSummary(const NetworkConfig &c)
{
    const auto shape = [&](bool sequence, int width) {
        return sequence ? "(None, " + std::to_string(c.T) + ", " + std::to_string(width) + ")" : "(None, " + std::to_string(width) + ")";
    };
    Summary s;
    if (c.hasEmbedding()) {
        s.rows.push_back({"input", "InputLayer", "(None, " + std::to_string(c.T) + ")", 0});
        s.rows.push_back({"embedding", "Embedding", shape(true, c.D), static_cast<long long>(c.vocabulary) * c.D});
    } else {
        s.rows.push_back({"input", "InputLayer", shape(true, c.D), 0});
    }
    const std::vector<std::string> names = layerNames(c.layers);
    for (int l = 0; l < c.layerCount(); ++l) {
        const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
        s.rows.push_back({names[static_cast<std::size_t>(l)], layer.bidirectional ? "Bidirectional" : cellClassName(layer.cell.kind),
                          shape(layer.returnSequences, layer.outputWidth()), layer.params(c.inputWidth(l))});
    }
    if (c.K > 0)
        s.rows.push_back({"dense", "Dense", shape(c.top().returnSequences, c.K), static_cast<long long>(c.topWidth()) * c.K + c.K});
    for (const auto &r : s.rows)
        s.totalParams += r.params;
    s.totalBytes = static_cast<std::uint64_t>(s.totalParams) * (c.dtype == DType::Float32 ? 4 : 8);
    return s;
}

std::string kerasBytes(std::uint64_t bytes)
{
    static const char *units[] = {"B", "KB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
    return buf;
}

namespace {

// Display width of UTF-8 text (every code point counts one column).
std::size_t width(const std::string &s)
{
    std::size_t w = 0;
    for (unsigned char c : s)
        w += (c & 0xC0) != 0x80;
    return w;
}

std::string pad(const std::string &s, std::size_t w, bool right = false)
{
    const std::string fill(w > width(s) ? w - width(s) : 0, ' ');
    return right ? fill + s : s + fill;
}

std::string repeat(const char *unit, std::size_t n)
{
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out += unit;
    return out;
}

} // namespace

std::string summaryText(const Summary &s)
{
    std::size_t w0 = 31, w1 = 22, w2 = 13;
    for (const auto &r : s.rows) {
        w0 = std::max(w0, width(r.name + " (" + r.type + ")"));
        w1 = std::max(w1, width(r.shape));
        w2 = std::max(w2, thousands(r.params).size());
    }
    const auto line = [&](const char *l, const char *h, const char *m, const char *r) {
        return std::string(l) + repeat(h, w0 + 2) + m + repeat(h, w1 + 2) + m + repeat(h, w2 + 2) + r + "\n";
    };
    std::ostringstream out;
    out << "Model: \"functional\"\n";
    out << line("┏", "━", "┳", "┓");
    out << "┃ " << pad("Layer (type)", w0) << " ┃ " << pad("Output Shape", w1) << " ┃ "
        << pad("Param #", w2, true) << " ┃\n";
    out << line("┡", "━", "╇", "┩");
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
        const auto &r = s.rows[i];
        out << "│ " << pad(r.name + " (" + r.type + ")", w0) << " │ " << pad(r.shape, w1) << " │ "
            << pad(thousands(r.params), w2, true) << " │\n";
        out << (i + 1 < s.rows.size() ? line("├", "─", "┼", "┤") : line("└", "─", "┴", "┘"));
    }
    out << " Total params: " << thousands(s.totalParams) << " (" << kerasBytes(s.totalBytes) << ")\n";
    out << " Trainable params: " << thousands(s.totalParams) << " (" << kerasBytes(s.totalBytes) << ")\n";
    out << " Non-trainable params: 0 (" << kerasBytes(0) << ")\n";
    return out.str();
}

std::string thousands(long long n)
{
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

std::string formatRow(const double *values, long count, int precision)
{
    std::string out = "[";
    char buf[48];
    for (long i = 0; i < count; ++i) {
        const double v = values[i];
        if (std::isnan(v))
            std::snprintf(buf, sizeof buf, " %*s", precision + 3, "nan");
        else if (std::isinf(v))
            std::snprintf(buf, sizeof buf, " %*s", precision + 3, v > 0 ? "inf" : "-inf");
        else if (std::abs(v) >= 1e5) // compact scientific, as wide as the fixed form: "-1.00e+39"
            std::snprintf(buf, sizeof buf, " %*.*e", precision + 3, std::max(0, precision - 4), v);
        else
            std::snprintf(buf, sizeof buf, " %*.*f", precision + 3, precision, v);
        out += buf;
    }
    return out + " ]";
}

namespace {

std::string shape2(long long r, long long c)
{
    return "(" + std::to_string(r) + "×" + std::to_string(c) + ")";
}

std::string row(const Eigen::RowVectorXd &v)
{
    return formatRow(v.data(), v.size());
}

// x_t·Wx and h_{t−1}·Wh of one sample, in the model's dtype, so that the parts add up to the
// engine's pre-activation as Keras would compute them.
template <typename S>
Eigen::RowVectorXd product(const Eigen::RowVectorXd &v, const Eigen::MatrixXd &w)
{
    const Eigen::Matrix<S, 1, Eigen::Dynamic> p = v.cast<S>() * w.cast<S>();
    return p.template cast<double>();
}

} // namespace

StepBreakdown stepBreakdown(Model &model, int t, int sample)
{
    const Dims &d = model.dims();
    if (sample < 0 || sample >= d.N)
        throw Error(ErrorKind::OutOfRange, "sample " + std::to_string(sample) + " is out of range: expected 0 ≤ n ≤ "
                                               + std::to_string(d.N - 1));
    if (t < 0 || t >= d.T)
        throw Error(ErrorKind::OutOfRange, "timestep " + std::to_string(t) + " is out of range: expected 0 ≤ t ≤ "
                                               + std::to_string(d.T - 1));
    const Weights &w = model.weights();
    const bool f32 = model.config().dtype == DType::Float32;
    const auto prod = [f32](const Eigen::RowVectorXd &v, const Eigen::MatrixXd &m) {
        return f32 ? product<float>(v, m) : product<double>(v, m);
    };
    StepBreakdown b;
    b.x = model.x(t).row(sample);
    b.xWx = prod(b.x, w.Wx);
    b.hPrev = t == 0 ? Eigen::RowVectorXd(Eigen::RowVectorXd::Zero(d.M)) : Eigen::RowVectorXd(model.hidden(t - 1).row(sample));
    b.hWh = prod(b.hPrev, w.Wh);
    b.bh = w.bh.head(w.Wh.cols()).transpose();
    if (f32)
        b.bh = b.bh.cast<float>().cast<double>();
    b.pre = model.pre(t).row(sample);
    b.h = model.hidden(t).row(sample);
    if (d.K > 0)
        b.y = model.output(t).row(sample);
    return b;
}

namespace {

std::string sub(const char *symbol, int t)
{
    return std::string(symbol) + "_" + std::to_string(t);
}

// "σ" for the sigmoid, the name otherwise.
std::string gateFunction(Activation a)
{
    return a == Activation::Sigmoid ? "σ" : activationName(a);
}

} // namespace

std::vector<WorkedLine> workedStep(Model &model, int t, int sample)
{
    const Dims &d = model.dims();
    const ModelConfig &c = model.config();
    const StepBreakdown b = stepBreakdown(model, t, sample); // checks t and sample; the SimpleRNN's parts
    const long long N = d.N, D = d.D, M = d.M, K = d.K;
    const std::string hp = t == 0 ? "h_-1" : sub("h", t - 1), cp = t == 0 ? "c_-1" : sub("c", t - 1);
    const std::string nd = shape2(N, D), nm = shape2(N, M);
    std::vector<WorkedLine> lines;
    lines.push_back({sub("x", t), "", nd, b.x});
    if (c.kind == CellKind::SimpleRNN) {
        lines.push_back({sub("x", t) + "·Wx", "", nd + shape2(D, M), b.xWx, true});
        lines.push_back({hp + "·Wh", "", nm + shape2(M, M), b.hWh, true});
        lines.push_back({"bh", "", "(" + std::to_string(M) + ")", b.bh, true});
        lines.push_back({sub("a", t), sub("x", t) + "·Wx + " + hp + "·Wh + bh", nm, b.pre, true});
        lines.push_back({sub("h", t), std::string(activationName(c.cell)) + "(" + sub("a", t) + ")", nm, b.h});
    } else {
        lines.push_back({hp, "", nm, b.hPrev});
        if (c.kind == CellKind::LSTM)
            lines.push_back({cp, "", nm, t == 0 ? Eigen::RowVectorXd(Eigen::RowVectorXd::Zero(M))
                                                : Eigen::RowVectorXd(model.cellState(t - 1).row(sample))});
        const std::vector<std::string> blocks = gateBlockNames(c.kind);
        const std::vector<Quantity> gates = gateQuantities(c.kind);
        const std::string m = "(" + std::to_string(M) + ")";
        // A GRU with reset_after has two biases per gate: b (input) and b' (recurrent).
        const bool resetAfter = c.kind == CellKind::GRU && c.resetAfter;
        for (std::size_t k = 0; k < blocks.size(); ++k) {
            const std::string &g = blocks[k];
            const Eigen::Index j0 = static_cast<Eigen::Index>(k) * M;
            const std::string f = usesRecurrentActivation(gates[k]) ? gateFunction(c.recurrent) : activationName(c.cell);
            // The gate's expression and the shape of every operand in the same order.
            std::string inner = sub("x", t) + "·W_" + g + " + " + hp + "·U_" + g + " + b_" + g;
            std::string shapes = nd + shape2(D, M) + " + " + nm + shape2(M, M) + " + " + m;
            if (resetAfter && gates[k] != Quantity::Candidate) {
                inner += " + b'_" + g;
                shapes += " + " + m;
            }
            if (gates[k] == Quantity::Candidate && resetAfter) {
                inner = sub("x", t) + "·W_h + b_h + r⊙(" + hp + "·U_h + b'_h)";
                shapes = nd + shape2(D, M) + " + " + m + " + " + nm + "⊙(" + nm + shape2(M, M) + " + " + m + ")";
            } else if (gates[k] == Quantity::Candidate) {
                inner = sub("x", t) + "·W_h + (r⊙" + hp + ")·U_h + b_h";
                shapes = nd + shape2(D, M) + " + (" + nm + "⊙" + nm + ")" + shape2(M, M) + " + " + m;
            }
            lines.push_back({sub("x", t) + "·W_" + g, "", nd + shape2(D, M), b.xWx.segment(j0, M), true});
            lines.push_back({hp + "·U_" + g, "", nm + shape2(M, M), b.hWh.segment(j0, M), true});
            lines.push_back({"z_" + g, inner, nm, b.pre.segment(j0, M), true});
            Eigen::RowVectorXd v(M);
            for (Eigen::Index j = 0; j < M; ++j)
                v(j) = model.quantityAt(gates[k], sample, t, static_cast<int>(j));
            lines.push_back({sub(quantitySymbol(gates[k]), t), f + "(" + inner + ")", shapes, v});
        }
        if (c.kind == CellKind::LSTM) {
            lines.push_back({sub("c", t), sub("f", t) + "⊙" + cp + " + " + sub("i", t) + "⊙" + sub("g", t), nm,
                             model.cellState(t).row(sample)});
            lines.push_back({sub("h", t), sub("o", t) + "⊙" + activationName(c.cell) + "(" + sub("c", t) + ")", nm, b.h});
        } else {
            lines.push_back({sub("h", t), sub("z", t) + "⊙" + hp + " + (1−" + sub("z", t) + ")⊙" + sub("h̃", t), nm, b.h});
        }
    }
    if (K > 0)
        lines.push_back({sub("y", t),
                         (c.dense == Activation::Linear ? std::string() : std::string(activationName(c.dense)) + "(")
                             + sub("h", t) + "·Wo + bo" + (c.dense == Activation::Linear ? "" : ")"),
                         nm + shape2(M, K) + " + (" + std::to_string(K) + ")", b.y});
    return lines;
}

namespace {

// The trace's first lines: the model ("LSTM(5, …) → Dense(2, …), float32, …") and the batch.
void traceHead(std::ostringstream &out, const ModelConfig &c, int sample)
{
    const Dims &d = c.dims;
    out << describeCell(c.cellSpec(), d.M);
    if (d.K > 0)
        out << " → Dense(" << d.K << ", activation=" << activationName(c.dense) << ")";
    out << ", " << dtypeName(c.dtype) << ", return_sequences=" << (c.returnSequences ? "True" : "False") << "\n";
    out << "N=" << d.N << " T=" << d.T << " D=" << d.D << " M=" << d.M << " K=" << d.K << "; sample n=" << sample
        << " of the batch: each product below is computed for all N rows; the numbers are row n's\n";
}

// Its last: what the model returns, with its shape.
void traceTail(std::ostringstream &out, const ModelConfig &c)
{
    const Dims &d = c.dims;
    const auto tuple = [](std::initializer_list<int> v) {
        std::string s;
        for (int x : v)
            s += (s.empty() ? "(" : ", ") + std::to_string(x);
        return s + ")";
    };
    out << "\noutput ";
    if (d.K > 0)
        out << "Y " << (c.returnSequences ? "(N, T, K) = " + tuple({d.N, d.T, d.K}) : "(N, K) = " + tuple({d.N, d.K}));
    else
        out << (c.returnSequences ? "H (N, T, M) = " + tuple({d.N, d.T, d.M})
                                  : "h_" + std::to_string(d.T - 1) + " (N, M) = " + tuple({d.N, d.M}));
    out << "\n";
}

std::string gatedTrace(Model &model, int sample)
{
    const Dims &d = model.dims();
    const ModelConfig &c = model.config();
    std::ostringstream out;
    traceHead(out, c, sample);
    const std::string blocks = [&] {
        std::string s;
        for (const std::string &g : gateBlockNames(c.kind))
            s += (s.empty() ? "" : " | ") + g;
        return s;
    }();
    out << "kernel W " << shape2(d.D, c.cellSpec().gates() * d.M) << ", recurrent kernel U "
        << shape2(d.M, c.cellSpec().gates() * d.M) << ", bias b " << biasShapeString(model.weights())
        << ": gate blocks " << blocks << " of M=" << d.M << " columns each\n";
    for (int t = 0; t < d.T; ++t) {
        out << "\nt = " << t << "\n";
        for (const WorkedLine &l : workedStep(model, t, sample)) {
            if (l.symbol.rfind("y_", 0) == 0 && !(c.returnSequences || t == d.T - 1))
                continue;
            const std::string left = l.formula.empty() ? l.symbol : l.symbol + " = " + l.formula;
            out << "  " << left << "\n      " << pad(l.shapes, 44) << row(l.values) << "\n";
        }
    }
    traceTail(out, c);
    return out.str();
}

} // namespace

std::string traceText(Model &model, int sample)
{
    const Dims &d = model.dims();
    const ModelConfig &c = model.config();
    if (sample < 0 || sample >= d.N)
        throw Error(ErrorKind::OutOfRange, "--sample " + std::to_string(sample) + " is out of range: expected 0 ≤ n ≤ "
                                               + std::to_string(d.N - 1));
    if (c.kind != CellKind::SimpleRNN)
        return gatedTrace(model, sample);
    const char *act = activationName(c.cell);
    std::ostringstream out;
    traceHead(out, c, sample);
    out << "h_t = " << act << "(x_t · Wx + h_{t-1} · Wh + bh),  h_{-1} = 0 " << shape2(d.N, d.M) << "\n";
    const int width = 22;
    const auto label = [&](const std::string &s) { return pad(s, width); };
    for (int t = 0; t < d.T; ++t) {
        const StepBreakdown b = stepBreakdown(model, t, sample);
        const std::string ts = std::to_string(t), tp = t == 0 ? "-1" : std::to_string(t - 1);
        out << "\nt = " << t << "\n";
        out << "  " << label("x_" + ts) << pad(shape2(d.N, d.D), 30) << row(b.x) << "\n";
        out << "  " << label("x_" + ts + " · Wx") << pad(shape2(d.N, d.D) + "·" + shape2(d.D, d.M) + " → " + shape2(d.N, d.M), 30)
            << row(b.xWx) << "\n";
        out << "  " << label("h_" + tp + " · Wh") << pad(shape2(d.N, d.M) + "·" + shape2(d.M, d.M) + " → " + shape2(d.N, d.M), 30)
            << row(b.hWh) << "\n";
        out << "  " << label("+ bh") << pad("(" + std::to_string(d.M) + ")", 30) << row(b.bh) << "\n";
        out << "  " << label("a_" + ts + " (pre-activation)") << pad(shape2(d.N, d.M), 30) << row(b.pre) << "\n";
        out << "  " << label("h_" + ts + " = " + act + "(a_" + ts + ")") << pad(shape2(d.N, d.M), 30) << row(b.h) << "\n";
        if (d.K > 0 && (c.returnSequences || t == d.T - 1)) {
            out << "  " << label("y_" + ts + " = h_" + ts + "·Wo + bo")
                << pad(shape2(d.N, d.M) + "·" + shape2(d.M, d.K) + " → " + shape2(d.N, d.K), 30) << row(b.y);
            if (c.dense != Activation::Linear)
                out << "  (" << activationName(c.dense) << " applied)";
            out << "\n";
        }
    }
    traceTail(out, c);
    return out.str();
}

} // namespace rnnscope
