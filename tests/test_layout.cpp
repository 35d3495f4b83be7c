// The window fits the room it is given, read from the widgets' geometry: at 1600×900 and
// 1920×1080 every weight and input matrix up to 12×12 is whole in its table (every cell inside the
// viewport, no scroll bar, no header elided); in presentation mode at 1280×720 and 1024×768 every
// control of the model's toolbars is on a bar (none in a » menu), the docks are tabs, each matrix
// whole, and three zoom-ins keep the window's minimum size within the screen and the charts' axis
// labels whole; at 3840×2160 the docks grow with the window; with K = 0 the Dense panels give their
// room away. RNNSCOPE_LAYOUT_SHOTS=<dir> saves each window looked at as a PNG.

#include "diagramwidget.h"
#include "dimensionsbar.h"
#include "mainwindow.h"
#include "matrixview.h"
#include "session.h"
#include "timeserieschart.h"

#include <QDockWidget>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QToolBar>

using namespace rnnscope;

namespace {

struct Example {
    const char *name;
    CellKind kind;
    Dims dims;
};

const Example kExamples[] = {
    {"classic", CellKind::SimpleRNN, Dims{1, 10, 3, 5, 2}},
    {"LSTM", CellKind::LSTM, Dims{1, 10, 3, 5, 2}},
    {"2,20,4,8,3", CellKind::SimpleRNN, Dims{2, 20, 4, 8, 3}},
};

// Where `w` is, in `window`'s coordinates.
QRect inWindow(const QWidget *w, const QWidget *window)
{
    return QRect(w->mapTo(window, QPoint(0, 0)), w->size());
}

// What keeps a small matrix from being read whole: not a table, a scroll bar, a cell outside the
// viewport, the view cut by what holds it (the weights dock's scroll area), an elided label.
QStringList unreadable(MatrixView *view)
{
    QStringList problems;
    const QString name = view->title();
    QTableView *table = view->tableView();
    if (view->mode() != MatrixView::Mode::Table)
        return {name + QStringLiteral(": not a table")};
    if (!view->isVisible())
        return {name + QStringLiteral(": hidden")};
    if (table->horizontalScrollBar()->maximum() > 0 || table->verticalScrollBar()->maximum() > 0)
        problems << QStringLiteral("%1: scrolls (%2 × %3 px more)")
                        .arg(name)
                        .arg(table->horizontalScrollBar()->maximum())
                        .arg(table->verticalScrollBar()->maximum());
    const QRect viewport = table->viewport()->rect();
    for (int r = 0; r < view->model()->rowCount(); ++r)
        for (int c = 0; c < view->model()->columnCount(); ++c)
            if (!viewport.contains(table->visualRect(view->model()->index(r, c))))
                problems << QStringLiteral("%1[%2, %3] outside the viewport").arg(name).arg(r).arg(c);
    // Seen whole where it is: inside every scroll area's viewport on the way up.
    for (QWidget *w = view->parentWidget(); w; w = w->parentWidget())
        if (auto *area = qobject_cast<QScrollArea *>(w)) {
            const QRect r(view->mapTo(area->viewport(), QPoint(0, 0)), view->size());
            if (r.right() > area->viewport()->width() || r.left() < 0)
                problems << QStringLiteral("%1: wider than its dock (%2 px of %3)").arg(name).arg(r.right()).arg(area->viewport()->width());
        }
    for (const QLabel *label : view->findChildren<QLabel *>())
        if (label->isVisible() && label->text().contains(QChar(0x2026)))
            problems << QStringLiteral("%1: \"%2\" elided").arg(name, label->text());
    return problems;
}

// Axis labels and titles a chart cut short ("..."), e.g. after zooming in.
QStringList elidedChartTexts(QChartView *chart)
{
    QStringList cut;
    for (QGraphicsItem *item : chart->scene()->items())
        if (auto *text = dynamic_cast<QGraphicsTextItem *>(item); text && text->isVisible()
            && (text->toPlainText().contains(QStringLiteral("...")) || text->toPlainText().contains(QChar(0x2026))))
            cut << text->toPlainText() + QStringLiteral(" at %1,%2 in a %3×%4 chart").arg(text->scenePos().x()).arg(text->scenePos().y()).arg(chart->width()).arg(chart->height());
    return cut;
}

} // namespace

class TestLayout : public QObject {
    Q_OBJECT

private slots:
    void cleanup();
    void matricesWhole_data();
    void matricesWhole();
    void presentationFits_data();
    void presentationFits();
    void panelsGrowAt3840x2160();
    void denseGivesItsRoomAway();
    void aWideMatrixKeepsEveryRow();
    void learningTabsTakeTheOutputChartsRoomOnAProjector();

private:
    void open(const ModelConfig &config, QSize size, bool presentation = false);
    void settle();
    void shot(const QString &name);
    Session *m_session = nullptr;
    MainWindow *m_window = nullptr;
};

void TestLayout::cleanup()
{
    delete m_window;
    delete m_session;
    m_window = nullptr;
    m_session = nullptr;
}

void TestLayout::settle()
{
    // The fit runs once the events of a change are through (a 0 ms timer), then the docks settle.
    for (int i = 0; i < 4; ++i)
        QCoreApplication::processEvents();
}

void TestLayout::open(const ModelConfig &config, QSize size, bool presentation)
{
    m_session = new Session(Model(config));
    m_window = new MainWindow(m_session, false);
    if (presentation)
        m_window->setPresentation(true);
    m_window->resize(size);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
    settle();
    QCOMPARE(m_window->size(), size); // not held larger by what it shows
}

void TestLayout::shot(const QString &name)
{
    if (const QString dir = qEnvironmentVariable("RNNSCOPE_LAYOUT_SHOTS"); !dir.isEmpty())
        m_window->grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
}

void TestLayout::matricesWhole_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QList<int>>("dims");
    QTest::addColumn<QSize>("size");
    for (QSize size : {QSize(1600, 900), QSize(1920, 1080)})
        for (const Example &e : kExamples)
            QTest::addRow("%s at %dx%d", e.name, size.width(), size.height()) << int(e.kind) << QList<int>{e.dims.N, e.dims.T, e.dims.D, e.dims.M, e.dims.K} << size;
}

// Every weight matrix, and the input up to 12 timesteps, whole in its table, its dock brought
// to the front (the docks are tabs where they do not fit together).
void TestLayout::matricesWhole()
{
    QFETCH(int, kind);
    QFETCH(QList<int>, dims);
    QFETCH(QSize, size);
    ModelConfig c;
    c.kind = CellKind(kind);
    c.dims = Dims{dims[0], dims[1], dims[2], dims[3], dims[4]};
    open(c, size);
    shot(QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_')));
    QStringList problems;
    QList<MatrixView *> views = m_window->weightViews();
    if (c.dims.T <= 12)
        views << m_window->inputView();
    for (MatrixView *view : std::as_const(views)) {
        QVERIFY(m_window->bringToFront(view));
        problems << unreadable(view);
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
}

void TestLayout::presentationFits_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QSize>("screen");
    for (QSize size : {QSize(1280, 720), QSize(1024, 768)})
        for (CellKind k : {CellKind::SimpleRNN, CellKind::LSTM, CellKind::GRU})
            QTest::addRow("%s at %dx%d", cellClassName(k), size.width(), size.height()) << int(k) << size;
}

// Presentation mode on a projector: the toolbars wrap (every control on a bar, on the screen), the
// docks are tabs, each matrix whole; three zoom-ins later the window still fits the screen, the
// controls are still on their bars and the charts' labels are whole.
void TestLayout::presentationFits()
{
    QFETCH(int, kind);
    QFETCH(QSize, screen);
    ModelConfig c;
    c.kind = CellKind(kind);
    open(c, screen, true);
    for (int zoom = 0; zoom <= 3; zoom += 3) {
        if (zoom > 0) {
            for (int i = 0; i < 3; ++i)
                m_window->zoom(m_window->zoomLevel() + 1); // Ctrl+= three times
            settle();
            const QSize least = m_window->minimumSizeHint().expandedTo(m_window->minimumSize());
            QVERIFY2(least.width() <= screen.width() && least.height() <= screen.height(),
                     qPrintable(QStringLiteral("the window needs at least %1×%2").arg(least.width()).arg(least.height())));
            m_window->resize(screen);
            settle();
            QCOMPARE(m_window->size(), screen);
        }
        shot(QStringLiteral("%1_zoom%2").arg(QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_'))).arg(zoom));
        QStringList problems;
        const QRect onScreen(QPoint(0, 0), screen);
        for (QToolBar *bar : m_window->findChildren<QToolBar *>())
            for (QAction *a : bar->isHidden() ? QList<QAction *>{} : bar->actions()) // (a network's Layers bar)
                if (QWidget *w = bar->widgetForAction(a); w && a->isVisible()
                    && (!w->isVisible() || !onScreen.contains(inWindow(w, m_window)) || !bar->rect().contains(QRect(w->mapTo(bar, QPoint(0, 0)), w->size()))))
                    problems << QStringLiteral("%1: \"%2\" not on the bar").arg(bar->windowTitle(), a->text().isEmpty() ? QLatin1String(w->metaObject()->className()) : a->text());
        // The three docks: tabs of one.
        const QList<QDockWidget *> docks = {m_window->findChild<QDockWidget *>(QStringLiteral("weightsDock")),
                                            m_window->findChild<QDockWidget *>(QStringLiteral("inputDock")),
                                            m_window->findChild<QDockWidget *>(QStringLiteral("summaryDock"))};
        QCOMPARE(m_window->tabifiedDockWidgets(docks[0]).size(), 2);
        for (MatrixView *view : m_window->weightViews() + QList<MatrixView *>{m_window->inputView()}) {
            if (zoom > 0 || !view->isVisibleTo(view->parentWidget()) || view->model()->columnCount() > 12)
                continue;
            QVERIFY(m_window->bringToFront(view));
            problems << unreadable(view);
        }
        if (zoom > 0)
            for (QChartView *chart : std::initializer_list<QChartView *>{m_window->hiddenChart(), m_window->outputChart()})
                for (const QString &t : elidedChartTexts(chart))
                    problems << QStringLiteral("chart label \"%1\" elided").arg(t);
        QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("zoom %1: ").arg(zoom) + problems.join(QStringLiteral("; "))));
        // The centre keeps the diagram, the step panel and the charts.
        for (QWidget *part : QList<QWidget *>{m_window->diagram(), m_window->hiddenChart()})
            QVERIFY(part->isVisible() && part->width() > screen.width() / 4 && part->height() > 60);
    }
}

// At 3840×2160 the docks take their share of the width (they stayed ~600 px beside 3,000 px of
// charts), every matrix is still whole, and the centre grows too.
void TestLayout::panelsGrowAt3840x2160()
{
    open(ModelConfig{}, QSize(1600, 900));
    auto *weights = m_window->findChild<QDockWidget *>(QStringLiteral("weightsDock"));
    const int dockAt1600 = weights->width(), centreAt1600 = m_window->centralWidget()->width();
    m_window->resize(3840, 2160);
    settle();
    shot(QStringLiteral("3840x2160"));
    QVERIFY2(weights->width() >= 3840 * 3 / 8 - 20, qPrintable(QString::number(weights->width())));
    QVERIFY2(weights->width() > 2 * dockAt1600, qPrintable(QStringLiteral("%1 at 3840, %2 at 1600").arg(weights->width()).arg(dockAt1600)));
    QVERIFY(m_window->centralWidget()->width() > 2 * centreAt1600);
    QStringList problems;
    for (MatrixView *view : m_window->weightViews() + QList<MatrixView *>{m_window->inputView()})
        problems << unreadable(view);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
}

// K = 0: no Wo, no bo, no output chart: the hidden state's charts take the row.
void TestLayout::denseGivesItsRoomAway()
{
    ModelConfig c;
    c.dims = Dims{1, 10, 3, 5, 0};
    open(c, QSize(1600, 900));
    shot(QStringLiteral("K0"));
    const QList<MatrixView *> w = m_window->weightViews();
    QVERIFY(!w[3]->isVisible());
    QVERIFY(!w[4]->isVisible());
    QVERIFY(!m_window->outputChart()->isVisible());
    auto *row = qobject_cast<QSplitter *>(m_window->outputChart()->parentWidget());
    QVERIFY(row);
    QCOMPARE(row->widget(0)->width(), row->width());
    // And back: K = 2 shows them again, with their room.
    QVERIFY(m_session->setDimension('K', 2));
    settle();
    QVERIFY(w[3]->isVisible() && w[4]->isVisible() && m_window->outputChart()->isVisible());
    QVERIFY(m_window->outputChart()->width() > 200);
    QVERIFY(unreadable(w[3]).isEmpty());
}

// A matrix wider than its dock (Wx of D = 8, M = 32: 32 columns) scrolls sideways, and the table
// is that scroll bar taller: every row stays in the viewport.
void TestLayout::aWideMatrixKeepsEveryRow()
{
    ModelConfig c;
    c.dims = Dims{4, 50, 8, 32, 3};
    open(c, QSize(1600, 900));
    MatrixView *wx = m_window->weightViews()[0];
    QVERIFY(m_window->bringToFront(wx));
    QTableView *table = wx->tableView();
    QVERIFY(table->horizontalScrollBar()->maximum() > 0); // (it does scroll sideways)
    QCOMPARE(table->verticalScrollBar()->maximum(), 0);
    const QModelIndex last = wx->model()->index(wx->model()->rowCount() - 1, 0);
    QVERIFY(table->viewport()->rect().contains(table->visualRect(last)));
}

// On a 1024×768 projector the learning tabs (gradients, spectrum, training) get the output chart's
// width: it is hidden while one of them is in front, and back with the charts.
void TestLayout::learningTabsTakeTheOutputChartsRoomOnAProjector()
{
    open(ModelConfig{}, QSize(1024, 768), true);
    auto *row = qobject_cast<QSplitter *>(m_window->outputChart()->parentWidget());
    QVERIFY(row);
    auto *tabs = qobject_cast<QTabWidget *>(row->widget(0));
    QVERIFY(tabs);
    QVERIFY(m_window->outputChart()->isVisible());
    const int before = tabs->width();
    tabs->setCurrentIndex(tabs->count() - 1); // Training
    settle();
    shot(QStringLiteral("training1024"));
    QVERIFY(!m_window->outputChart()->isVisible());
    QCOMPARE(tabs->width(), row->width());
    QVERIFY(tabs->width() > before + 80);
    tabs->setCurrentIndex(0); // h_t
    settle();
    QVERIFY(m_window->outputChart()->isVisible());
    // A wide window keeps y_t beside the training panel.
    cleanup();
    open(ModelConfig{}, QSize(1600, 900));
    auto *wide = qobject_cast<QTabWidget *>(qobject_cast<QSplitter *>(m_window->outputChart()->parentWidget())->widget(0));
    wide->setCurrentIndex(wide->count() - 1);
    settle();
    QVERIFY(m_window->outputChart()->isVisible());
}

QTEST_MAIN(TestLayout)
#include "test_layout.moc"
