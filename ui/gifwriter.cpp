#include "gifwriter.h"

#include "gifpalette.h"

#include <QImage>

#include <gif_lib.h>

#include <vector>

namespace {

// giflib writes through this into the QSaveFile (its temporary file).
int writeToFile(GifFileType *gif, const GifByteType *data, int length)
{
    auto *file = static_cast<QSaveFile *>(gif->UserData);
    return int(file->write(reinterpret_cast<const char *>(data), length));
}

QString gifError(int code)
{
    const char *text = GifErrorString(code);
    return text ? QString::fromLatin1(text) : QStringLiteral("GIF error %1").arg(code);
}

} // namespace

GifWriter::GifWriter(const QString &path)
    : m_path(path)
    , m_file(path)
{
}

GifWriter::~GifWriter()
{
    if (m_gif) {
        int ignored = 0;
        EGifCloseFile(m_gif, &ignored);
    }
    // m_file is not committed: QSaveFile removes its temporary file.
}

bool GifWriter::fail(const QString &why, QString *error)
{
    if (error)
        *error = QStringLiteral("cannot write %1: %2").arg(m_path, why);
    return false;
}

bool GifWriter::open(QSize size, const GifPalette &palette, int delayCentiseconds, QString *error)
{
    if (!m_file.open(QIODevice::WriteOnly))
        return fail(m_file.errorString(), error);
    int code = 0;
    m_gif = EGifOpen(&m_file, &writeToFile, &code);
    if (!m_gif)
        return fail(gifError(code), error);
    m_size = size;
    m_delay = delayCentiseconds;
    // The colour table holds a power of two of entries (2 … 256); the rest repeat the first.
    const std::vector<QRgb> &colours = palette.colours();
    int bits = 1;
    while ((1 << bits) < int(colours.size()))
        ++bits;
    std::vector<GifColorType> table(std::size_t(1) << bits);
    for (std::size_t i = 0; i < table.size(); ++i) {
        const QRgb c = colours[i < colours.size() ? i : 0];
        table[i] = {GifByteType(qRed(c)), GifByteType(qGreen(c)), GifByteType(qBlue(c))};
    }
    ColorMapObject *map = GifMakeMapObject(int(table.size()), table.data());
    if (!map)
        return fail(QStringLiteral("no memory for the colour table"), error);
    EGifSetGifVersion(m_gif, true);
    const bool screen = EGifPutScreenDesc(m_gif, size.width(), size.height(), 8, 0, map) == GIF_OK;
    GifFreeMapObject(map);
    if (!screen)
        return fail(gifError(m_gif->Error), error);
    // Loop forever: NETSCAPE2.0, sub-block 1, loop count 0.
    static const GifByteType loop[3] = {1, 0, 0};
    if (EGifPutExtensionLeader(m_gif, APPLICATION_EXT_FUNC_CODE) != GIF_OK
        || EGifPutExtensionBlock(m_gif, 11, "NETSCAPE2.0") != GIF_OK
        || EGifPutExtensionBlock(m_gif, 3, loop) != GIF_OK
        || EGifPutExtensionTrailer(m_gif) != GIF_OK)
        return fail(gifError(m_gif->Error), error);
    return true;
}

bool GifWriter::addFrame(const QImage &frame, GifPalette &palette, QString *error)
{
    if (!m_gif)
        return fail(QStringLiteral("the file is not open"), error);
    const QImage rgb = frame.convertToFormat(QImage::Format_RGB32);
    if (rgb.size() != m_size)
        return fail(QStringLiteral("a frame of %1×%2 pixels in an animation of %3×%4")
                        .arg(rgb.width()).arg(rgb.height()).arg(m_size.width()).arg(m_size.height()),
                    error);
    GraphicsControlBlock control{};
    control.DisposalMode = DISPOSE_DO_NOT;
    control.UserInputFlag = false;
    control.DelayTime = m_delay;
    control.TransparentColor = NO_TRANSPARENT_COLOR;
    GifByteType extension[4];
    const std::size_t length = EGifGCBToExtension(&control, extension);
    if (EGifPutExtension(m_gif, GRAPHICS_EXT_FUNC_CODE, int(length), extension) != GIF_OK
        || EGifPutImageDesc(m_gif, 0, 0, m_size.width(), m_size.height(), false, nullptr) != GIF_OK)
        return fail(gifError(m_gif->Error), error);
    std::vector<GifPixelType> line(std::size_t(m_size.width()));
    for (int y = 0; y < m_size.height(); ++y) {
        palette.mapRow(reinterpret_cast<const QRgb *>(rgb.constScanLine(y)), m_size.width(), line.data());
        if (EGifPutLine(m_gif, line.data(), m_size.width()) != GIF_OK)
            return fail(gifError(m_gif->Error), error);
    }
    return true;
}

bool GifWriter::commit(QString *error)
{
    if (!m_gif)
        return fail(QStringLiteral("the file is not open"), error);
    int code = 0;
    const int closed = EGifCloseFile(m_gif, &code);
    m_gif = nullptr; // closed either way
    if (closed != GIF_OK)
        return fail(gifError(code), error);
    if (!m_file.commit())
        return fail(m_file.errorString(), error);
    return true;
}
