#include "gifpalette.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace {

// Colours near each other (the top 5 bits of each channel alike) counted together: at most
// 32768 groups to split however many distinct colours antialiasing made.
struct Bin {
    double count = 0;
    std::array<double, 3> sum{}; // Σ count·channel
    double squares = 0;          // Σ count·|c|²
    double mean(int axis) const { return sum[axis] / count; }
};

// The pixel-weighted squared error of a set of bins about its mean: Σ|c|² − |Σc|²/n.
struct Total {
    double count = 0;
    std::array<double, 3> sum{};
    double squares = 0;
    void add(const Bin &b)
    {
        count += b.count;
        for (int a = 0; a < 3; ++a)
            sum[a] += b.sum[a];
        squares += b.squares;
    }
    double error() const
    {
        if (count <= 0)
            return 0;
        const double s = sum[0] * sum[0] + sum[1] * sum[1] + sum[2] * sum[2];
        return std::max(0.0, squares - s / count);
    }
};

struct Box {
    std::size_t begin, end; // bins [begin, end)
    double error;
};

double errorOf(const std::vector<Bin> &bins, std::size_t begin, std::size_t end)
{
    Total t;
    for (std::size_t i = begin; i < end; ++i)
        t.add(bins[i]);
    return t.error();
}

// Cuts `box` in two where the halves' errors sum to the least, along the channel whose means
// spread most; returns the first index of the second half (bins sorted along that channel).
std::size_t cut(std::vector<Bin> &bins, const Box &box)
{
    int axis = 0;
    double widest = -1;
    for (int a = 0; a < 3; ++a) {
        double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
        for (std::size_t i = box.begin; i < box.end; ++i) {
            lo = std::min(lo, bins[i].mean(a));
            hi = std::max(hi, bins[i].mean(a));
        }
        if (hi - lo > widest) {
            widest = hi - lo;
            axis = a;
        }
    }
    std::sort(bins.begin() + std::ptrdiff_t(box.begin), bins.begin() + std::ptrdiff_t(box.end),
              [axis](const Bin &x, const Bin &y) { return x.mean(axis) < y.mean(axis); });
    Total all;
    for (std::size_t i = box.begin; i < box.end; ++i)
        all.add(bins[i]);
    Total left;
    std::size_t best = box.begin + 1;
    double bestError = std::numeric_limits<double>::max();
    for (std::size_t i = box.begin; i + 1 < box.end; ++i) {
        left.add(bins[i]);
        Total right;
        right.count = all.count - left.count;
        for (int a = 0; a < 3; ++a)
            right.sum[a] = all.sum[a] - left.sum[a];
        right.squares = all.squares - left.squares;
        const double e = left.error() + right.error();
        if (e < bestError) {
            bestError = e;
            best = i + 1;
        }
    }
    return best;
}

} // namespace

void GifPalette::add(const QImage &frame)
{
    const QImage rgb = frame.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < rgb.height(); ++y) {
        const auto *row = reinterpret_cast<const QRgb *>(rgb.constScanLine(y));
        // Flat UI: long runs of one colour are counted with one look-up.
        int x = 0;
        while (x < rgb.width()) {
            const QRgb c = row[x] | 0xff000000u;
            int run = 1;
            while (x + run < rgb.width() && (row[x + run] | 0xff000000u) == c)
                ++run;
            m_counts[c] += std::uint64_t(run);
            x += run;
        }
    }
}

void GifPalette::choose()
{
    m_colours.clear();
    m_nearest.clear();
    m_exact = m_counts.size() <= std::size_t(kMaxColours);
    if (m_exact) {
        for (const auto &[c, n] : m_counts)
            m_colours.push_back(c);
        std::sort(m_colours.begin(), m_colours.end());
        if (m_colours.empty())
            m_colours.push_back(qRgb(0, 0, 0));
        return;
    }
    std::vector<Bin> byKey(1 << 15);
    for (const auto &[c, n] : m_counts) {
        Bin &b = byKey[std::size_t(((qRed(c) >> 3) << 10) | ((qGreen(c) >> 3) << 5) | (qBlue(c) >> 3))];
        const double w = double(n);
        const std::array<double, 3> ch = {double(qRed(c)), double(qGreen(c)), double(qBlue(c))};
        b.count += w;
        for (int a = 0; a < 3; ++a)
            b.sum[a] += w * ch[a];
        b.squares += w * (ch[0] * ch[0] + ch[1] * ch[1] + ch[2] * ch[2]);
    }
    std::vector<Bin> bins;
    for (const Bin &b : byKey)
        if (b.count > 0)
            bins.push_back(b);
    std::vector<Box> boxes = {{0, bins.size(), errorOf(bins, 0, bins.size())}};
    while (boxes.size() < std::size_t(kMaxColours)) {
        // (A box of one bin cannot be cut: its colours share their top bits.)
        const auto cuttable = [](const Box &b) { return b.end - b.begin >= 2 ? b.error : -1.0; };
        const auto worst = std::max_element(boxes.begin(), boxes.end(), [&](const Box &a, const Box &b) { return cuttable(a) < cuttable(b); });
        if (cuttable(*worst) <= 0)
            break;
        const Box box = *worst;
        const std::size_t mid = cut(bins, box);
        *worst = {box.begin, mid, errorOf(bins, box.begin, mid)};
        boxes.push_back({mid, box.end, errorOf(bins, mid, box.end)});
    }
    for (const Box &box : boxes) {
        Total t;
        for (std::size_t i = box.begin; i < box.end; ++i)
            t.add(bins[i]);
        const auto channel = [&](int a) { return std::clamp(int(std::lround(t.sum[a] / t.count)), 0, 255); };
        m_colours.push_back(qRgb(channel(0), channel(1), channel(2)));
    }
}

std::uint8_t GifPalette::index(QRgb rgb)
{
    rgb |= 0xff000000u;
    if (const auto it = m_nearest.find(rgb); it != m_nearest.end())
        return it->second;
    int best = 0;
    int bestDistance = std::numeric_limits<int>::max();
    for (std::size_t i = 0; i < m_colours.size(); ++i) {
        const int dr = qRed(rgb) - qRed(m_colours[i]), dg = qGreen(rgb) - qGreen(m_colours[i]), db = qBlue(rgb) - qBlue(m_colours[i]);
        const int d = dr * dr + dg * dg + db * db;
        if (d < bestDistance) {
            bestDistance = d;
            best = int(i);
        }
    }
    m_nearest.emplace(rgb, std::uint8_t(best));
    return std::uint8_t(best);
}

void GifPalette::mapRow(const QRgb *row, int width, std::uint8_t *out)
{
    for (int x = 0; x < width; ++x)
        out[x] = x > 0 && row[x] == row[x - 1] ? out[x - 1] : index(row[x]);
}
