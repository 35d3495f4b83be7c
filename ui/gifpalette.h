#pragma once
// GifPalette — the ≤ 256 colours of an animated GIF, chosen once over all its frames.
//
// rnnscope's frames are flat UI colours (backgrounds, heat-map cells, lines) with antialiased
// edges and text. When all the frames hold 256 colours or fewer, the palette is exactly those
// colours and the GIF is lossless. Otherwise the colours, counted by how many pixels show them,
// are split greedily: the group of colours with the largest squared error (Σ count·|c − mean|²)
// is cut in two along its widest channel where the two halves' errors sum to the least, until
// there are 256 groups; each group's colour is its pixel-weighted mean. Large flat areas thus keep
// their exact colour, and pixels map to the nearest palette colour (Euclidean in RGB).

#include <QImage>
#include <QRgb>

#include <cstdint>
#include <unordered_map>
#include <vector>

class GifPalette {
public:
    static constexpr int kMaxColours = 256;

    // Counts the colours of a frame (alpha ignored: frames are opaque).
    void add(const QImage &frame);
    // Chooses the palette from every frame added; colours() and index() use it afterwards.
    void choose();
    const std::vector<QRgb> &colours() const { return m_colours; }
    // Whether the palette holds every colour counted (the frames are reproduced exactly).
    bool exact() const { return m_exact; }

    // The index of the palette colour nearest `rgb`.
    std::uint8_t index(QRgb rgb);
    // One row of a frame (Format_RGB32 or ARGB32) as palette indices.
    void mapRow(const QRgb *row, int width, std::uint8_t *out);

private:
    std::unordered_map<QRgb, std::uint64_t> m_counts; // opaque colour → pixels showing it
    std::vector<QRgb> m_colours;
    std::unordered_map<QRgb, std::uint8_t> m_nearest; // colours already mapped
    bool m_exact = false;
};
