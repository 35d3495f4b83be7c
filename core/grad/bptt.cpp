#include "grad/bptt.h"

#include "common/activation.h"
#include "common/error.h"

#include <cmath>
#include <vector>

namespace rnnscope {

namespace {

template <typename S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <typename S>
using Row = Eigen::Matrix<S, 1, Eigen::Dynamic>;

// y = act(a) for a block whose rows are samples (softmax over each row).
template <typename S>
Mat<S> activated(Activation act, const Mat<S> &a)
{
    if (act == Activation::Softmax) {
        Mat<S> t = a.transpose(); // applyActivation's softmax runs over columns
        applyActivation(act, t);
        return t.transpose();
    }
    Mat<S> y = a;
    applyActivation(act, y);
    return y;
}

// dL/da from dL/dy for y = act(a), elementwise (softmax: over each row, s ⊙ (dy − Σ dy⊙s)).
template <typename S>
Mat<S> throughActivation(Activation act, const Mat<S> &a, const Mat<S> &y, const Mat<S> &dy)
{
    switch (act) {
    case Activation::Tanh: return (dy.array() * (S(1) - y.array().square())).matrix();
    case Activation::Sigmoid: return (dy.array() * y.array() * (S(1) - y.array())).matrix();
    case Activation::Relu: return (a.array() > S(0)).select(dy.array(), S(0)).matrix();
    case Activation::Linear: return dy;
    case Activation::HardSigmoid: return (a.array() > S(-3) && a.array() < S(3)).select(dy.array() / S(6), S(0)).matrix();
    case Activation::HardSigmoidKeras2:
        return (a.array() > S(-2.5) && a.array() < S(2.5)).select(dy.array() * S(0.2), S(0)).matrix();
    case Activation::Softmax: {
        const Eigen::Matrix<S, Eigen::Dynamic, 1> dots = (dy.array() * y.array()).rowwise().sum();
        return (y.array() * (dy.colwise() - dots).array()).matrix();
    }
    }
    return dy;
}

// What one timestep of the forward pass keeps for the backward pass.
template <typename S>
struct Step {
    Mat<S> x;      // x_t (N, D)
    Mat<S> hPrev;  // h_{t−1} (N, M)
    Mat<S> pre;    // pre-activations (N, gM): a; LSTM z; GRU a_z | a_r | a_h
    Mat<S> act;    // activated blocks (N, gM): h; LSTM i | f | g | o; GRU z | r | h̃
    Mat<S> hu;     // GRU with reset_after: h_{t−1}·U + b_rec (N, 3M)
    Mat<S> rh;     // GRU without reset_after: r ⊙ h_{t−1} (N, M)
    Mat<S> cPrev, c; // LSTM c_{t−1}, c_t
    Mat<S> h;      // h_t (N, M)
};

// The gradients of the loss of the output against `target`, or — `seed` given (N, M) — of
// Σ seed ⊙ h_{T−1} alone (no Dense, no loss: a vector–Jacobian product through time).
template <typename S>
Gradients run(const ModelConfig &cfg, const Weights &w, const Eigen::MatrixXd &X, const NdArray &target, Loss loss,
              const Eigen::MatrixXd *seed = nullptr)
{
    const CellSpec cell = cfg.cellSpec();
    const Dims &d = cfg.dims;
    const int N = d.N, T = d.T, D = d.D, M = d.M, K = d.K;
    const int g = cell.gates(), gM = g * M;
    const Mat<S> W = w.Wx.cast<S>(), U = w.Wh.cast<S>(), Wo = w.Wo.cast<S>();
    const Row<S> bo = w.bo.transpose().cast<S>();
    const bool resetAfter = cell.kind == CellKind::GRU && cell.resetAfter;
    const Row<S> bIn = w.bh.head(gM).transpose().cast<S>();
    const Row<S> bRec = resetAfter ? Row<S>(w.bh.tail(gM).transpose().cast<S>()) : Row<S>::Zero(gM);
    const Activation act = cell.activation, rec = cell.recurrent;

    // ---- forward, keeping every step ----
    // Kept from one call to the next on this thread (training calls this for every batch): freeing
    // these megabytes each time let the C library hand them back to the system and fault them in
    // again, which made a step up to nine times slower. Same sizes: Eigen reuses the storage.
    thread_local std::vector<Step<S>> steps;
    steps.resize(static_cast<std::size_t>(T));
    Mat<S> h = Mat<S>::Zero(N, M), c = Mat<S>::Zero(N, M);
    // X: D × (T·N), column t·N + n
    for (int t = 0; t < T; ++t) {
        Step<S> &s = steps[static_cast<std::size_t>(t)];
        s.x = X.block(0, static_cast<Eigen::Index>(t) * N, D, N).transpose().cast<S>();
        s.hPrev = h;
        switch (cell.kind) {
        case CellKind::SimpleRNN:
            s.pre = (s.x * W + h * U).rowwise() + bIn;
            s.act = activated<S>(act, s.pre);
            h = s.act;
            break;
        case CellKind::LSTM: {
            s.pre = (s.x * W + h * U).rowwise() + bIn;
            s.act.resize(N, gM);
            for (int k = 0; k < 4; ++k)
                s.act.middleCols(k * M, M) = activated<S>(k == 2 ? act : rec, Mat<S>(s.pre.middleCols(k * M, M)));
            s.cPrev = c;
            c = s.act.middleCols(M, M).cwiseProduct(c) + s.act.middleCols(0, M).cwiseProduct(s.act.middleCols(2 * M, M));
            s.c = c;
            h = s.act.middleCols(3 * M, M).cwiseProduct(activated<S>(act, c));
            break;
        }
        case CellKind::GRU: {
            const Mat<S> xw = (s.x * W).rowwise() + bIn;
            s.pre.resize(N, gM);
            s.act.resize(N, gM);
            if (resetAfter) {
                s.hu = (h * U).rowwise() + bRec;
                s.pre.leftCols(2 * M) = xw.leftCols(2 * M) + s.hu.leftCols(2 * M);
            } else {
                s.pre.leftCols(2 * M) = xw.leftCols(2 * M) + h * U.leftCols(2 * M);
            }
            s.act.leftCols(2 * M) = activated<S>(rec, Mat<S>(s.pre.leftCols(2 * M)));
            const auto r = s.act.middleCols(M, M);
            if (resetAfter) {
                s.pre.rightCols(M) = xw.rightCols(M) + r.cwiseProduct(s.hu.rightCols(M));
            } else {
                s.rh = r.cwiseProduct(h);
                s.pre.rightCols(M) = xw.rightCols(M) + s.rh * U.rightCols(M);
            }
            s.act.rightCols(M) = activated<S>(act, Mat<S>(s.pre.rightCols(M)));
            const auto z = s.act.leftCols(M);
            h = z.cwiseProduct(h) + (Mat<S>::Ones(N, M) - z).cwiseProduct(s.act.rightCols(M));
            break;
        }
        }
        s.h = h;
    }

    // ---- the output, the loss and dL/d(output) ----
    const bool seq = cfg.returnSequences;
    const int outSteps = seed ? 0 : seq ? T : 1;
    const int width = K > 0 ? K : M;
    const std::vector<std::int64_t> shape = outputShape(cfg);
    const LossSpec &spec = lossSpec(loss);
    const NdArray dense = seed ? NdArray() : lossTarget(loss, target, shape, std::string("the model outputs ") + (seq ? "(N, T, " : "(N, ")
                                                                               + (K > 0 ? "K" : "M") + ") = ");
    // The mean over samples and timesteps, and over the last axis for an elementwise loss.
    const double count = double(N) * outSteps * (spec.meanOverLastAxis ? width : 1);
    Gradients grads;
    grads.dW.Wx = Eigen::MatrixXd::Zero(D, gM);
    grads.dW.Wh = Eigen::MatrixXd::Zero(M, gM);
    grads.dW.bh = Eigen::VectorXd::Zero(w.bh.size());
    grads.dW.Wo = Eigen::MatrixXd::Zero(M, K);
    grads.dW.bo = Eigen::VectorXd::Zero(K);
    thread_local std::vector<Mat<S>> dhOut; // the Dense (or loss) term of each dL/dh_t
    dhOut.assign(static_cast<std::size_t>(T), Mat<S>());
    Mat<S> dWo = Mat<S>::Zero(M, K);
    Row<S> dbo = Row<S>::Zero(K);
    double total = 0;
    for (int o = 0; o < outSteps; ++o) {
        const int t = seq ? o : T - 1;
        const Mat<S> &out = steps[static_cast<std::size_t>(t)].h;
        Mat<S> zd, y;
        if (K > 0) {
            zd = (out * Wo).rowwise() + bo;
            y = activated<S>(cfg.dense, zd);
        } else {
            y = out;
        }
        Mat<S> dy(N, width);
        std::vector<double> yRow(static_cast<std::size_t>(width)), dyRow(static_cast<std::size_t>(width));
        for (int n = 0; n < N; ++n) {
            for (int k = 0; k < width; ++k)
                yRow[static_cast<std::size_t>(k)] = double(y(n, k));
            const double *want = dense.values.data() + (seq ? (std::int64_t(n) * T + t) : n) * width;
            total += spec.row(yRow.data(), want, width, dyRow.data());
            for (int k = 0; k < width; ++k)
                dy(n, k) = S(dyRow[static_cast<std::size_t>(k)] / count);
        }
        if (K > 0) {
            const Mat<S> dzd = throughActivation<S>(cfg.dense, zd, y, dy);
            dWo.noalias() += out.transpose() * dzd;
            dbo += dzd.colwise().sum();
            dhOut[static_cast<std::size_t>(t)] = dzd * Wo.transpose();
        } else {
            dhOut[static_cast<std::size_t>(t)] = dy;
        }
    }
    grads.loss = seed ? 0 : total / count;
    if (seed)
        dhOut[static_cast<std::size_t>(T - 1)] = seed->cast<S>();

    // ---- backward through time ----
    Mat<S> dW = Mat<S>::Zero(D, gM), dU = Mat<S>::Zero(M, gM);
    Row<S> db = Row<S>::Zero(gM), dbRec = Row<S>::Zero(gM);
    Mat<S> dhNext = Mat<S>::Zero(N, M), dcNext = Mat<S>::Zero(N, M);
    grads.dh.resize(static_cast<std::size_t>(T));
    if (cell.kind == CellKind::LSTM)
        grads.dc.resize(static_cast<std::size_t>(T));
    Mat<S> gpre(N, gM); // dL/d(pre-activations) of the step
    for (int t = T - 1; t >= 0; --t) {
        const Step<S> &s = steps[static_cast<std::size_t>(t)];
        Mat<S> dh = dhNext;
        if (dhOut[static_cast<std::size_t>(t)].size() > 0)
            dh += dhOut[static_cast<std::size_t>(t)];
        grads.dh[static_cast<std::size_t>(t)] = dh.template cast<double>();
        switch (cell.kind) {
        case CellKind::SimpleRNN:
            gpre = throughActivation<S>(act, s.pre, s.act, dh);
            dU.noalias() += s.hPrev.transpose() * gpre;
            dhNext.noalias() = gpre * U.transpose();
            break;
        case CellKind::LSTM: {
            const auto i = s.act.middleCols(0, M), f = s.act.middleCols(M, M), gg = s.act.middleCols(2 * M, M),
                       o = s.act.middleCols(3 * M, M);
            const Mat<S> actC = activated<S>(act, s.c);
            const Mat<S> dc = dcNext + throughActivation<S>(act, s.c, actC, Mat<S>(dh.cwiseProduct(o)));
            grads.dc[static_cast<std::size_t>(t)] = dc.template cast<double>();
            Mat<S> dgates(N, gM);
            dgates.middleCols(0, M) = dc.cwiseProduct(gg);
            dgates.middleCols(M, M) = dc.cwiseProduct(s.cPrev);
            dgates.middleCols(2 * M, M) = dc.cwiseProduct(i);
            dgates.middleCols(3 * M, M) = dh.cwiseProduct(actC);
            for (int k = 0; k < 4; ++k)
                gpre.middleCols(k * M, M) = throughActivation<S>(k == 2 ? act : rec, Mat<S>(s.pre.middleCols(k * M, M)),
                                                                 Mat<S>(s.act.middleCols(k * M, M)), Mat<S>(dgates.middleCols(k * M, M)));
            dcNext = dc.cwiseProduct(f);
            dU.noalias() += s.hPrev.transpose() * gpre;
            dhNext.noalias() = gpre * U.transpose();
            break;
        }
        case CellKind::GRU: {
            const auto z = s.act.leftCols(M), r = s.act.middleCols(M, M), hh = s.act.rightCols(M);
            const Mat<S> dz = dh.cwiseProduct(s.hPrev - hh);
            const Mat<S> dhh = dh.cwiseProduct(Mat<S>::Ones(N, M) - z);
            const Mat<S> dah = throughActivation<S>(act, Mat<S>(s.pre.rightCols(M)), Mat<S>(hh), dhh);
            Mat<S> dr;
            if (resetAfter) {
                dr = dah.cwiseProduct(s.hu.rightCols(M));
            } else {
                const Mat<S> drh = dah * U.rightCols(M).transpose(); // dL/d(r ⊙ h_{t−1})
                dr = drh.cwiseProduct(s.hPrev);
                dhNext = drh.cwiseProduct(r);
            }
            gpre.rightCols(M) = dah;
            gpre.leftCols(2 * M) = throughActivation<S>(rec, Mat<S>(s.pre.leftCols(2 * M)), Mat<S>(s.act.leftCols(2 * M)),
                                                        (Mat<S>(N, 2 * M) << dz, dr).finished());
            if (resetAfter) {
                // The recurrent part h·U + b_rec: z and r as their pre-activations, h̃'s through r.
                Mat<S> ghu = gpre;
                ghu.rightCols(M) = dah.cwiseProduct(r);
                dU.noalias() += s.hPrev.transpose() * ghu;
                dbRec += ghu.colwise().sum();
                dhNext.noalias() = dh.cwiseProduct(z) + ghu * U.transpose();
            } else {
                dU.leftCols(2 * M).noalias() += s.hPrev.transpose() * gpre.leftCols(2 * M);
                dU.rightCols(M).noalias() += s.rh.transpose() * dah;
                dhNext += dh.cwiseProduct(z) + gpre.leftCols(2 * M) * U.leftCols(2 * M).transpose();
            }
            break;
        }
        }
        dW.noalias() += s.x.transpose() * gpre;
        db += gpre.colwise().sum();
    }
    grads.dW.Wx = dW.template cast<double>();
    grads.dW.Wh = dU.template cast<double>();
    grads.dW.bh.head(gM) = db.transpose().template cast<double>();
    if (resetAfter)
        grads.dW.bh.tail(gM) = dbRec.transpose().template cast<double>();
    grads.dW.Wo = dWo.template cast<double>();
    grads.dW.bo = dbo.transpose().template cast<double>();
    return grads;
}

} // namespace

Gradients backprop(const ModelConfig &config, const Weights &w, const Eigen::MatrixXd &X, const NdArray &target, Loss loss)
{
    checkShapes(w, config.cellSpec());
    const Dims &d = config.dims;
    if (w.D() != d.D || w.M() != d.M || w.K() != d.K || X.rows() != d.D || X.cols() != Eigen::Index(d.N) * d.T)
        throw Error(ErrorKind::ShapeMismatch, "the weights or X do not fit " + dimsString(d));
    return config.dtype == DType::Float32 ? run<float>(config, w, X, target, loss) : run<double>(config, w, X, target, loss);
}

Gradients backpropFromLastState(const ModelConfig &config, const Weights &w, const Eigen::MatrixXd &X, const Eigen::MatrixXd &seed)
{
    checkShapes(w, config.cellSpec());
    const Dims &d = config.dims;
    if (w.D() != d.D || w.M() != d.M || X.rows() != d.D || X.cols() != Eigen::Index(d.N) * d.T || d.T < 1)
        throw Error(ErrorKind::ShapeMismatch, "the weights or X do not fit " + dimsString(d));
    if (seed.rows() != d.N || seed.cols() != d.M)
        throw Error(ErrorKind::ShapeMismatch, "the seed of dL/dh_{T-1} must be (N, M) = (" + std::to_string(d.N) + ", "
                                                  + std::to_string(d.M) + ")");
    const NdArray none;
    return config.dtype == DType::Float32 ? run<float>(config, w, X, none, Loss::MSE, &seed)
                                          : run<double>(config, w, X, none, Loss::MSE, &seed);
}

Gradients backprop(const Model &model, const NdArray &target, Loss loss)
{
    return backprop(model.config(), model.weights(), model.input(), target, loss);
}

NdArray dhArray(const Gradients &g)
{
    NdArray a;
    const std::int64_t T = static_cast<std::int64_t>(g.dh.size());
    const std::int64_t N = T > 0 ? g.dh[0].rows() : 0, M = T > 0 ? g.dh[0].cols() : 0;
    a.shape = {N, T, M};
    a.dtype = DType::Float64;
    a.values.resize(static_cast<std::size_t>(N * T * M));
    for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t m = 0; m < M; ++m)
                a.values[static_cast<std::size_t>((n * T + t) * M + m)] = g.dh[static_cast<std::size_t>(t)](n, m);
    return a;
}

} // namespace rnnscope
