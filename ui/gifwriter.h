#pragma once
// GifWriter — an animated GIF (GIF89a, giflib): frames of one size in one palette, each shown for
// the same delay, looping forever (the NETSCAPE2.0 extension). Written atomically: the file
// appears at its path only at commit(); a writer destroyed before (cancelled, failed) leaves
// nothing behind.

#include <QSaveFile>
#include <QSize>
#include <QString>

#include <memory>

class GifPalette;
class QImage;
struct GifFileType;

class GifWriter {
public:
    explicit GifWriter(const QString &path);
    ~GifWriter();
    GifWriter(const GifWriter &) = delete;
    GifWriter &operator=(const GifWriter &) = delete;

    // Starts the file: the screen of `size`, the palette's colours as the global colour table,
    // the loop extension. `delayCentiseconds`: how long each frame shows (GIF counts 1/100 s).
    bool open(QSize size, const GifPalette &palette, int delayCentiseconds, QString *error);
    // One frame of `size`, its pixels mapped to the palette's nearest colours.
    bool addFrame(const QImage &frame, GifPalette &palette, QString *error);
    // Ends the file and puts it in place.
    bool commit(QString *error);

private:
    bool fail(const QString &why, QString *error);

    QString m_path;
    QSaveFile m_file;
    GifFileType *m_gif = nullptr;
    QSize m_size;
    int m_delay = 0;
};
