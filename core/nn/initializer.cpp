#include "nn/initializer.h"

#include <Eigen/QR>

#include <algorithm>
#include <cmath>

namespace rnnscope {

const char *initSchemeName(InitScheme s)
{
    switch (s) {
    case InitScheme::KerasDefault: return "keras";
    case InitScheme::Normal: return "normal";
    case InitScheme::Uniform: return "uniform";
    case InitScheme::Identity: return "identity";
    case InitScheme::Zeros: return "zeros";
    }
    return "keras";
}

std::optional<InitScheme> parseInitScheme(const std::string &name)
{
    for (InitScheme s : {InitScheme::KerasDefault, InitScheme::Normal, InitScheme::Uniform, InitScheme::Identity,
                         InitScheme::Zeros})
        if (name == initSchemeName(s))
            return s;
    return std::nullopt;
}

// Draws row by row, as NumPy fills a C-ordered array.
static Eigen::MatrixXd drawMatrix(int rows, int cols, Rng &rng, double (*draw)(Rng &, double), double p)
{
    Eigen::MatrixXd m(rows, cols);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j)
            m(i, j) = draw(rng, p);
    return m;
}

Eigen::MatrixXd glorotUniform(int rows, int cols, Rng &rng)
{
    const double limit = std::sqrt(6.0 / (rows + cols));
    return uniformMatrix(rows, cols, limit, rng);
}

Eigen::MatrixXd normalMatrix(int rows, int cols, double sigma, Rng &rng)
{
    return drawMatrix(rows, cols, rng, [](Rng &r, double s) { return s * r.normal(); }, sigma);
}

Eigen::MatrixXd uniformMatrix(int rows, int cols, double a, Rng &rng)
{
    return drawMatrix(rows, cols, rng, [](Rng &r, double lim) { return r.uniform(-lim, lim); }, a);
}

Eigen::MatrixXd orthogonal(int n, Rng &rng)
{
    return orthogonal(n, n, rng);
}

Eigen::MatrixXd orthogonal(int rows, int cols, Rng &rng)
{
    // Keras's Orthogonal: a of shape (max, min) standard normal; q, r = qr(a); q *= sign(diag(r));
    // transposed when there are fewer rows than columns (then the rows are orthonormal).
    const int big = std::max(rows, cols), small = std::min(rows, cols);
    const Eigen::MatrixXd a = normalMatrix(big, small, 1.0, rng);
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
    Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(big, small);
    const Eigen::MatrixXd r = qr.matrixQR().topRows(small).triangularView<Eigen::Upper>();
    for (int j = 0; j < small; ++j)
        if (r(j, j) < 0)
            q.col(j) = -q.col(j);
    if (rows < cols)
        return q.transpose();
    return q;
}

Eigen::MatrixXd initialKernel(int rows, int cols, const InitSpec &spec, Rng &rng)
{
    switch (spec.scheme) {
    case InitScheme::KerasDefault:
    case InitScheme::Identity: return glorotUniform(rows, cols, rng);
    case InitScheme::Normal: return normalMatrix(rows, cols, spec.scale, rng);
    case InitScheme::Uniform: return uniformMatrix(rows, cols, spec.scale, rng);
    case InitScheme::Zeros: break;
    }
    return Eigen::MatrixXd::Zero(rows, cols);
}

double initialWeightsWork(int D, int M, int K, const InitSpec &spec, const CellSpec &cell)
{
    const double gM = double(cell.gates()) * M;
    const double values = D * gM + M * gM + double(cell.biasRows()) * gM + double(M) * K + K;
    const double big = std::max(gM, double(M)), small = std::min(gM, double(M));
    const double qr = spec.scheme == InitScheme::KerasDefault ? 0.65 * big * small * small : 0;
    return 4 * values + qr;
}

Weights initialWeights(int D, int M, int K, const InitSpec &spec, std::uint64_t seed, const CellSpec &cell)
{
    Rng rWx(seed, Stream::Wx), rWh(seed, Stream::Wh), rWo(seed, Stream::Wo);
    const int gM = cell.gates() * M;
    Weights w;
    w.bh = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(cell.biasRows()) * gM);
    w.bo = Eigen::VectorXd::Zero(K);
    w.Wx = initialKernel(D, gM, spec, rWx);
    w.Wo = initialKernel(M, K, spec, rWo);
    switch (spec.scheme) {
    case InitScheme::KerasDefault: w.Wh = orthogonal(M, gM, rWh); break;
    case InitScheme::Identity: w.Wh = Eigen::MatrixXd::Identity(M, gM); break;
    case InitScheme::Normal: w.Wh = normalMatrix(M, gM, spec.scale, rWh); break;
    case InitScheme::Uniform: w.Wh = uniformMatrix(M, gM, spec.scale, rWh); break;
    case InitScheme::Zeros: w.Wh = Eigen::MatrixXd::Zero(M, gM); return w;
    }
    // Keras's unit_forget_bias: the LSTM's forget block starts at 1.
    if (cell.kind == CellKind::LSTM)
        w.bh.segment(M, M).setOnes();
    return w;
}

Eigen::MatrixXd randomInput(int N, int T, int D, std::uint64_t seed)
{
    Eigen::MatrixXd x(D, static_cast<Eigen::Index>(T) * N);
    for (int n = 0; n < N; ++n) {
        Rng rng(seed, Stream::X, static_cast<std::uint64_t>(n));
        for (int t = 0; t < T; ++t)
            for (int d = 0; d < D; ++d)
                x(d, static_cast<Eigen::Index>(t) * N + n) = rng.normal();
    }
    return x;
}

} // namespace rnnscope
