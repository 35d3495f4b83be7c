#include "grad/dynamics.h"

#include "common/error.h"
#include "grad/bptt.h"

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>

#include <algorithm>
#include <cmath>
#include <limits>

namespace rnnscope {

std::vector<double> stateJacobianNorms(const ModelConfig &config, const Weights &w, const Eigen::MatrixXd &X, int n)
{
    const Dims &d = config.dims;
    if (n < 0 || n >= d.N)
        throw Error(ErrorKind::OutOfRange, "sample " + std::to_string(n) + " does not exist: expected 0 … " + std::to_string(d.N - 1));
    if (X.rows() != d.D || X.cols() != Eigen::Index(d.N) * d.T)
        throw Error(ErrorKind::ShapeMismatch, "X does not fit " + dimsString(d));
    // M copies of sample n, each seeded with one row of I: row j of dh[t] is ∂h_{T−1, j}/∂h_t.
    const int M = d.M, T = d.T;
    ModelConfig one = config;
    one.dims.N = M;
    one.dims.K = 0;
    one.returnSequences = false;
    Weights core = w;
    core.Wo.resize(M, 0);
    core.bo.resize(0);
    Eigen::MatrixXd Xn(d.D, Eigen::Index(T) * M);
    for (int t = 0; t < T; ++t)
        Xn.middleCols(Eigen::Index(t) * M, M) = X.col(Eigen::Index(t) * d.N + n).replicate(1, M);
    const Gradients g = backpropFromLastState(one, core, Xn, Eigen::MatrixXd::Identity(M, M));
    std::vector<double> norms(static_cast<std::size_t>(T));
    for (int t = 0; t < T; ++t)
        norms[static_cast<std::size_t>(t)] = g.dh[static_cast<std::size_t>(t)].norm();
    return norms;
}

std::vector<double> stateJacobianNorms(const Model &model, int n)
{
    return stateJacobianNorms(model.config(), model.weights(), model.input(), n);
}

double stateJacobianWork(const ModelConfig &config)
{
    const Dims &d = config.dims;
    const double gM = double(config.cellSpec().gates()) * d.M;
    // forward and backward of M samples: x·W, h·U, and back g·Uᵀ, hᵀ·g, xᵀ·g
    return double(d.T) * d.M * (2 * d.D * gM + 3 * d.M * gM);
}

std::vector<BlockSpectrum> recurrentSpectrum(CellKind cell, const Eigen::MatrixXd &Wh)
{
    const Eigen::Index M = Wh.rows();
    const int g = gateCount(cell);
    if (Wh.cols() != M * g)
        throw Error(ErrorKind::ShapeMismatch, "a recurrent kernel of " + std::string(cellClassName(cell)) + " with M = "
                                                  + std::to_string(M) + " is (M, " + std::to_string(g) + "M), not ("
                                                  + std::to_string(Wh.rows()) + ", " + std::to_string(Wh.cols()) + ")");
    const std::vector<std::string> names = gateBlockNames(cell);
    std::vector<BlockSpectrum> out;
    for (int k = 0; k < g; ++k) {
        BlockSpectrum b;
        b.gate = names.empty() ? std::string() : names[static_cast<std::size_t>(k)];
        const Eigen::MatrixXd U = Wh.middleCols(k * M, M);
        if (!U.allFinite()) {
            const double nan = std::numeric_limits<double>::quiet_NaN();
            b.eigenvalues.assign(static_cast<std::size_t>(M), {nan, nan});
            b.singularValues.assign(static_cast<std::size_t>(M), nan);
            b.radius = nan;
            out.push_back(std::move(b));
            continue;
        }
        if (M > 0) {
            Eigen::EigenSolver<Eigen::MatrixXd> es(U, false);
            const Eigen::VectorXcd ev = es.eigenvalues();
            b.eigenvalues.assign(ev.data(), ev.data() + ev.size());
            std::stable_sort(b.eigenvalues.begin(), b.eigenvalues.end(),
                             [](const std::complex<double> &a, const std::complex<double> &c) { return std::abs(a) > std::abs(c); });
            b.radius = std::abs(b.eigenvalues.front());
            Eigen::BDCSVD<Eigen::MatrixXd> svd(U);
            const Eigen::VectorXd s = svd.singularValues();
            b.singularValues.assign(s.data(), s.data() + s.size());
        }
        out.push_back(std::move(b));
    }
    return out;
}

double largestSingularValue(const Eigen::MatrixXd &A)
{
    if (A.size() == 0)
        return 0;
    if (!A.allFinite())
        return std::numeric_limits<double>::quiet_NaN();
    const Eigen::MatrixXd G = A.rows() <= A.cols() ? Eigen::MatrixXd(A * A.transpose()) : Eigen::MatrixXd(A.transpose() * A);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(G, Eigen::EigenvaluesOnly);
    return std::sqrt(std::max(0.0, es.eigenvalues().maxCoeff()));
}

} // namespace rnnscope
