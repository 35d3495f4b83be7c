#include "viewexport.h"

#include <QAbstractScrollArea>
#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QFileDialog>
#include <QImage>
#include <QMenu>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWidget>

namespace ViewExport {

QImage image(QWidget *view, int scale)
{
    QImage img(view->size() * scale, QImage::Format_ARGB32_Premultiplied);
    img.setDevicePixelRatio(scale);
    img.fill(view->palette().color(QPalette::Window));
    QPainter p(&img);
    view->render(&p, QPoint(), QRegion(), QWidget::DrawWindowBackground | QWidget::DrawChildren);
    p.end();
    return img;
}

namespace {

bool fail(QString *error, const QString &path, const QString &why)
{
    if (error)
        *error = QStringLiteral("cannot write %1: %2").arg(path, why);
    return false;
}

} // namespace

bool writePng(QWidget *view, const QString &path, int scale, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error, path, file.errorString());
    if (!image(view, scale).save(&file, "PNG"))
        return fail(error, path, file.errorString().isEmpty() ? QStringLiteral("the PNG encoder failed") : file.errorString());
    if (!file.commit())
        return fail(error, path, file.errorString());
    return true;
}

bool writeSvg(QWidget *view, const QString &path, const QString &title, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error, path, file.errorString());
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(view->size());
    svg.setViewBox(QRect(QPoint(), view->size()));
    svg.setTitle(title);
    svg.setDescription(QStringLiteral("rnnscope: %1").arg(title));
    QPainter p;
    if (!p.begin(&svg))
        return fail(error, path, QStringLiteral("the SVG generator did not start"));
    view->render(&p, QPoint(), QRegion(), QWidget::DrawWindowBackground | QWidget::DrawChildren);
    p.end();
    if (!file.commit())
        return fail(error, path, file.errorString());
    return true;
}

void copyImage(QWidget *view)
{
    QApplication::clipboard()->setImage(image(view, 2));
}

void exportDialog(QWidget *view, const QString &name, QWidget *parent, const std::function<void(const QString &)> &report)
{
    // The filter chosen is the format: PNG at 2× first (sharp on a projector), SVG for editing.
    const QStringList filters = {
        QObject::tr("PNG image, 2× the screen's pixels (*.png)"),
        QObject::tr("PNG image, 1× (*.png)"),
        QObject::tr("PNG image, 3× (*.png)"),
        QObject::tr("SVG vector drawing (*.svg)"),
    };
    QString filter;
    QString base = name;
    base.replace(QLatin1Char(' '), QLatin1Char('_'));
    QString path = QFileDialog::getSaveFileName(parent, QObject::tr("Export %1").arg(name),
                                                QStringLiteral("rnnscope_%1.png").arg(base), filters.join(QStringLiteral(";;")), &filter);
    if (path.isEmpty())
        return;
    const bool svg = filter == filters[3];
    const QString ext = svg ? QStringLiteral(".svg") : QStringLiteral(".png");
    if (!path.endsWith(ext, Qt::CaseInsensitive))
        path += ext;
    const int scale = filter == filters[1] ? 1 : filter == filters[2] ? 3 : 2;
    QString error;
    const bool ok = svg ? writeSvg(view, path, name, &error) : writePng(view, path, scale, &error);
    report(ok ? QObject::tr("Exported the %1 to %2").arg(name, path) : error);
}

namespace {

// Opens the menu where the view (or its scroll area's viewport) is right-clicked.
class MenuFilter : public QObject {
public:
    MenuFilter(QWidget *view, QString name, std::function<void(const QString &)> report)
        : QObject(view)
        , m_view(view)
        , m_name(std::move(name))
        , m_report(std::move(report))
    {
    }

    bool eventFilter(QObject *, QEvent *event) override
    {
        if (event->type() != QEvent::ContextMenu)
            return false;
        auto *e = static_cast<QContextMenuEvent *>(event);
        QMenu menu(m_view);
        menu.addAction(QObject::tr("Export the %1…").arg(m_name), [this] {
            exportDialog(m_view, m_name, m_view->window(), m_report);
        });
        menu.addAction(QObject::tr("Copy image"), [this] {
            copyImage(m_view);
            m_report(QObject::tr("Copied the %1 to the clipboard").arg(m_name));
        });
        menu.exec(e->globalPos());
        return true;
    }

private:
    QWidget *m_view;
    QString m_name;
    std::function<void(const QString &)> m_report;
};

} // namespace

void attach(QWidget *view, const QString &name, const std::function<void(const QString &)> &report)
{
    auto *filter = new MenuFilter(view, name, report);
    view->installEventFilter(filter);
    if (auto *area = qobject_cast<QAbstractScrollArea *>(view))
        area->viewport()->installEventFilter(filter);
}

} // namespace ViewExport
