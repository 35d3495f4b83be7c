#include "summary.h"

#include "error.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace rnnscope {

Summary modelSummary(const ModelConfig &config)
{
    const Dims &d = config.dims;
    const auto seq = [&](int c) {
        return config.returnSequences ? "(None, " + std::to_string(d.T) + ", " + std::to_string(c) + ")"
                                      : "(None, " + std::to_string(c) + ")";
    };
    Summary s;
    const long long D = d.D, M = d.M, K = d.K;
    s.rows.push_back({"input", "InputLayer", "(None, " + std::to_string(d.T) + ", " + std::to_string(d.D) + ")", 0});
    s.rows.push_back({"simple_rnn", "SimpleRNN", seq(d.M), D * M + M * M + M});
    if (d.K > 0)
        s.rows.push_back({"dense", "Dense", seq(d.K), M * K + K});
    for (const auto &r : s.rows)
        s.totalParams += r.params;
    s.totalBytes = static_cast<std::uint64_t>(s.totalParams) * (config.dtype == DType::Float32 ? 4 : 8);
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
        w2 = std::max(w2, std::to_string(r.params).size());
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
            << pad(std::to_string(r.params), w2, true) << " │\n";
        out << (i + 1 < s.rows.size() ? line("├", "─", "┼", "┤") : line("└", "─", "┴", "┘"));
    }
    out << " Total params: " << s.totalParams << " (" << kerasBytes(s.totalBytes) << ")\n";
    out << " Trainable params: " << s.totalParams << " (" << kerasBytes(s.totalBytes) << ")\n";
    out << " Non-trainable params: 0 (" << kerasBytes(0) << ")\n";
    return out.str();
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
    b.hPrev = t == 0 ? Eigen::RowVectorXd::Zero(d.M) : Eigen::RowVectorXd(model.hidden(t - 1).row(sample));
    b.hWh = prod(b.hPrev, w.Wh);
    b.bh = w.bh.transpose();
    if (f32)
        b.bh = b.bh.cast<float>().cast<double>();
    b.pre = model.pre(t).row(sample);
    b.h = model.hidden(t).row(sample);
    if (d.K > 0)
        b.y = model.output(t).row(sample);
    return b;
}

std::string traceText(Model &model, int sample)
{
    const Dims &d = model.dims();
    const ModelConfig &c = model.config();
    if (sample < 0 || sample >= d.N)
        throw Error(ErrorKind::OutOfRange, "--sample " + std::to_string(sample) + " is out of range: expected 0 ≤ n ≤ "
                                               + std::to_string(d.N - 1));
    const char *act = activationName(c.cell);
    std::ostringstream out;
    out << "SimpleRNN(" << d.M << ", activation=" << act << ")";
    if (d.K > 0)
        out << " → Dense(" << d.K << ", activation=" << activationName(c.dense) << ")";
    out << ", " << dtypeName(c.dtype) << ", return_sequences=" << (c.returnSequences ? "True" : "False") << "\n";
    out << "N=" << d.N << " T=" << d.T << " D=" << d.D << " M=" << d.M << " K=" << d.K << "; sample n=" << sample
        << " of the batch: each product below is computed for all N rows; the numbers are row n's\n";
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
    out << "\noutput ";
    if (d.K > 0)
        out << "Y " << (c.returnSequences ? "(N, T, K) = (" + std::to_string(d.N) + ", " + std::to_string(d.T) + ", " + std::to_string(d.K) + ")"
                                          : "(N, K) = (" + std::to_string(d.N) + ", " + std::to_string(d.K) + ")");
    else
        out << (c.returnSequences ? "H (N, T, M) = (" + std::to_string(d.N) + ", " + std::to_string(d.T) + ", " + std::to_string(d.M) + ")"
                                  : "h_" + std::to_string(d.T - 1) + " (N, M) = (" + std::to_string(d.N) + ", " + std::to_string(d.M) + ")");
    out << "\n";
    return out.str();
}

} // namespace rnnscope
