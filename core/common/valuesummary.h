#pragma once
// rnnscope::ValueSummary — what a run of values holds: the largest |finite value| and how many are
// NaN, +Inf and −Inf. The model keeps one per hidden state h_t; the window's heat maps build
// their colour scales and their NaN/±Inf counts from it.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace rnnscope {

struct ValueSummary {
    double maxAbs = 0; // max |v| over finite v; 0 when there is none
    std::int64_t nan = 0;
    std::int64_t posInf = 0;
    std::int64_t negInf = 0;

    std::int64_t nonFinite() const { return nan + posInf + negInf; }

    void merge(const ValueSummary &o)
    {
        maxAbs = std::max(maxAbs, o.maxAbs);
        nan += o.nan;
        posInf += o.posInf;
        negInf += o.negInf;
    }

    // Counts one value.
    void add(double v)
    {
        if (std::isfinite(v))
            maxAbs = std::max(maxAbs, std::abs(v));
        else if (std::isnan(v))
            ++nan;
        else if (v > 0)
            ++posInf;
        else
            ++negInf;
    }

    // Counts v[0] … v[count−1]: branch-free over the finite values (it vectorises); the rare run
    // holding NaN or ±Inf is counted again value by value.
    template <typename S>
    void add(const S *v, std::ptrdiff_t count)
    {
        double m = maxAbs;
        std::ptrdiff_t bad = 0;
        for (std::ptrdiff_t i = 0; i < count; ++i) {
            const double a = std::abs(static_cast<double>(v[i]));
            const bool finite = a <= std::numeric_limits<double>::max();
            m = finite && a > m ? a : m;
            bad += !finite;
        }
        maxAbs = m;
        if (bad > 0)
            for (std::ptrdiff_t i = 0; i < count; ++i)
                if (!std::isfinite(static_cast<double>(v[i])))
                    add(static_cast<double>(v[i]));
    }
};

} // namespace rnnscope
