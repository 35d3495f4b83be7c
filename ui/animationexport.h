#pragma once
// AnimationExport — the stepping through t = 0 … T−1 of one view, or of the whole window, as an
// animated GIF for slide decks that cannot embed a live app (File ▸ Export animation and
// `rnnscope animate`).
//
// Each frame is the view painted as File ▸ Export view paints it (ViewExport::image) after the
// session moved to timestep t and the views caught up. The palette (≤ 256 colours) is chosen over
// all frames (GifPalette), every frame shows 1/fps s — the playback speed — and the GIF loops
// forever. The timestep on show is restored afterwards; a cancelled or failed export leaves no
// file. Animations of more than kMaxFrames frames or kMaxFrameBytes of frames (a byte per pixel,
// as the GIF's indexed pixels before compression) are refused before the first frame.

#include <QSize>
#include <QString>

#include <cstdint>
#include <functional>

class MainWindow;
class QWidget;

namespace AnimationExport {

constexpr int kMaxFrames = 2000;
constexpr std::uint64_t kMaxFrameBytes = 200'000'000;

// Frames per second as a GIF delay in hundredths of a second (at least 2: viewers show shorter
// delays as 1/10 s).
int delayCentiseconds(double fps);

// Why an animation of `frames` frames of `size` pixels is refused, with its numbers and what to
// do instead; empty when it may be made.
QString refusal(QSize size, int frames);

enum class Outcome { Written, Cancelled, Failed };

// Writes `view` (nullptr: the whole window) at `scale` (1, 2 or 3) for every timestep of the
// window's session to `path`. `progress(done, total)` follows each unit of work (rendering a
// frame, then encoding it) and returns false to cancel. `message`: what was written, or why not.
Outcome write(MainWindow &window, QWidget *view, const QString &path, int scale, double fps,
              const std::function<bool(int done, int total)> &progress, QString *message);

// File ▸ Export animation: a dialog choosing the view (or the whole window), the scale, the
// speed and the file, then the export under a progress dialog with Cancel. The outcome goes to
// `report` (the status bar).
void exportDialog(MainWindow *window, const std::function<void(const QString &)> &report);

} // namespace AnimationExport
