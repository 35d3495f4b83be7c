#include "grad/loss.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>

namespace rnnscope {

namespace {

// d clip(p)/dp: 1 inside [ε, 1 − ε], 0 where the clip holds p (as TensorFlow's and PyTorch's clip).
bool insideClip(double p)
{
    return p >= kLossEpsilon && p <= 1 - kLossEpsilon;
}

double clip(double p)
{
    return std::min(std::max(p, kLossEpsilon), 1 - kLossEpsilon);
}

double mseRow(const double *y, const double *t, int K, double *dy)
{
    double sum = 0;
    for (int k = 0; k < K; ++k) {
        const double diff = y[k] - t[k];
        sum += diff * diff;
        dy[k] = 2 * diff;
    }
    return sum;
}

double maeRow(const double *y, const double *t, int K, double *dy)
{
    double sum = 0;
    for (int k = 0; k < K; ++k) {
        const double diff = y[k] - t[k];
        sum += std::abs(diff);
        dy[k] = diff > 0 ? 1 : diff < 0 ? -1 : 0;
    }
    return sum;
}

double binaryCrossentropyRow(const double *y, const double *t, int K, double *dy)
{
    double sum = 0;
    for (int k = 0; k < K; ++k) {
        const double p = clip(y[k]);
        sum -= t[k] * std::log(p) + (1 - t[k]) * std::log(1 - p);
        dy[k] = insideClip(y[k]) ? -t[k] / p + (1 - t[k]) / (1 - p) : 0;
    }
    return sum;
}

// q = y / Σ y, p = clip(q), L = −Σ t·log p; with g = dL/dq (zero where clipped),
// dL/dy_j = (g_j − Σ_k g_k·q_k) / Σ y.
double categoricalCrossentropyRow(const double *y, const double *t, int K, double *dy)
{
    double s = 0;
    for (int k = 0; k < K; ++k)
        s += y[k];
    double sum = 0, gq = 0;
    for (int k = 0; k < K; ++k) {
        const double q = y[k] / s, p = clip(q);
        sum -= t[k] * std::log(p);
        dy[k] = insideClip(q) ? -t[k] / p : 0; // g_k for now
        gq += dy[k] * q;
    }
    for (int k = 0; k < K; ++k)
        dy[k] = (dy[k] - gq) / s;
    return sum;
}

} // namespace

const std::vector<LossSpec> &lossSpecs()
{
    static const std::vector<LossSpec> specs = {
        {Loss::MSE, "mse", {"mean_squared_error", "MSE"}, true, false, &mseRow},
        {Loss::MAE, "mae", {"mean_absolute_error", "MAE"}, true, false, &maeRow},
        {Loss::BinaryCrossentropy, "binary_crossentropy", {"bce", "BCE"}, true, false, &binaryCrossentropyRow},
        {Loss::CategoricalCrossentropy, "categorical_crossentropy", {"cce"}, false, false, &categoricalCrossentropyRow},
        {Loss::SparseCategoricalCrossentropy, "sparse_categorical_crossentropy", {"scce"}, false, true, &categoricalCrossentropyRow},
    };
    return specs;
}

const LossSpec &lossSpec(Loss l)
{
    for (const LossSpec &s : lossSpecs())
        if (s.id == l)
            return s;
    return lossSpecs().front();
}

const char *lossName(Loss l)
{
    return lossSpec(l).name;
}

std::optional<Loss> parseLoss(const std::string &name)
{
    for (const LossSpec &s : lossSpecs()) {
        if (name == s.name)
            return s.id;
        for (const char *alias : s.aliases)
            if (name == alias)
                return s.id;
    }
    return std::nullopt;
}

std::string lossNames()
{
    std::string out;
    const auto &specs = lossSpecs();
    for (std::size_t i = 0; i < specs.size(); ++i)
        out += (i == 0 ? "" : i + 1 == specs.size() ? " or " : ", ") + std::string(specs[i].name);
    return out;
}

bool targetShapeFits(Loss l, const std::vector<std::int64_t> &target, const std::vector<std::int64_t> &output)
{
    if (!lossSpec(l).classIds)
        return target == output;
    std::vector<std::int64_t> ids(output.begin(), output.end() - 1);
    if (target == ids)
        return true;
    ids.push_back(1);
    return target == ids;
}

NdArray lossTarget(Loss l, const NdArray &target, const std::vector<std::int64_t> &output, const std::string &what)
{
    const LossSpec &spec = lossSpec(l);
    if (!targetShapeFits(l, target.shape, output)) {
        std::string message = "the target has shape " + shapeString(target.shape) + ", but " + what + shapeString(output);
        if (spec.classIds) {
            const std::vector<std::int64_t> ids(output.begin(), output.end() - 1);
            message += std::string(", whose class ids ") + spec.name + " takes as shape " + shapeString(ids);
        }
        throw Error(ErrorKind::ShapeMismatch, message);
    }
    if (!spec.classIds)
        return target;
    const std::int64_t width = output.back();
    NdArray dense;
    dense.shape = output;
    dense.dtype = target.dtype;
    dense.values.assign(target.values.size() * std::size_t(width), 0.0);
    for (std::size_t i = 0; i < target.values.size(); ++i) {
        const double id = target.values[i];
        if (!(id >= 0 && id < double(width) && id == std::floor(id)))
            throw Error(ErrorKind::OutOfRange, "the target's class id " + shortestText(id) + " (value " + std::to_string(i)
                                                   + ") is not an integer in 0 … " + std::to_string(width - 1));
        dense.values[i * std::size_t(width) + std::size_t(id)] = 1;
    }
    return dense;
}

} // namespace rnnscope
