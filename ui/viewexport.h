#pragma once
// ViewExport — one view of the window as a figure for slides: a PNG at 1×, 2× or 3× the pixels
// on screen (sharp on a projector or in print), an SVG (vector: lines stay lines, every label and
// shape stays text a slide tool can edit), or an image on the clipboard.
//
// attach() gives a view a context menu with these; MainWindow's File ▸ Export view lists the same
// views. A view is exported as it is shown, at its current size and state (the timestep on show,
// the chosen quantity, presentation mode's fonts).

#include <QString>

#include <functional>

class QImage;
class QWidget;

namespace ViewExport {

// The view painted at `scale` times its pixels (1, 2 or 3), the device pixel ratio set so that it
// shows at the view's size.
QImage image(QWidget *view, int scale);

// Write the view as a PNG (at `scale`) or an SVG, atomically; false with `error` set ("cannot
// write /x/y.png: …") when the file cannot be written.
bool writePng(QWidget *view, const QString &path, int scale, QString *error);
bool writeSvg(QWidget *view, const QString &path, const QString &title, QString *error);

// The view at 2× on the clipboard.
void copyImage(QWidget *view);

// Asks for a file (PNG 1×/2×/3× or SVG by the filter chosen) and writes the view; what happened
// goes to `report` (a status bar's showMessage) — "Exported diagram to …" or the error.
void exportDialog(QWidget *view, const QString &name, QWidget *parent, const std::function<void(const QString &)> &report);

// A context menu on `view`: Export “name”… (the dialog above) and Copy image.
void attach(QWidget *view, const QString &name, const std::function<void(const QString &)> &report);

} // namespace ViewExport
