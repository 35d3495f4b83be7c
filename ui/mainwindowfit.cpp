// How the main window shares its room (DESIGN §4: legible on a projector, nothing hidden):
//
// - The model's toolbars (sizes, ⟳, the cell's options, dtype · seed · initializer) sit side by
//   side and wrap onto further rows where the window is too narrow, so that no control goes into a
//   toolbar's » menu, at any zoom.
// - The weights dock takes a share of the window that grows with it (3/8 of the width, more when
//   its widest matrix asks), leaving the centre at least 700 px (2/5 of a wider window). The input
//   goes under the weights when both fit the height whole; else beside them, with the model
//   summary as a tab of it, when the weights stay readable there; else the three docks become tabs
//   of one, each with the whole height (an LSTM at 1600×900: its weights, 663 px, and X, 284 px,
//   are taller than the 783 px, and beside them the centre would lose its ten timesteps).
// - In presentation mode the three docks are tabs of one dock, as wide as its widest matrix asks
//   (within 45 % of the window).
// - Without a Dense layer (K = 0) the output chart gives its room to the others, and so it does to a
//   learning tab in front in a narrow centre.
// - A centre lower than 36 lines of text gives the charts what the diagram and the step panel
//   need least.
//
// A dock the user floated or moved to another side is left where it is.

#include "mainwindow.h"

#include "diagramwidget.h"
#include "dimensionsbar.h"
#include "gradientview.h"
#include "matrixview.h"
#include "session.h"
#include "summaryview.h"
#include "timeserieschart.h"
#include "weightspanel.h"

#include <QDockWidget>
#include <QHeaderView>
#include <QLayout>
#include <QResizeEvent>
#include <QScrollArea>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QTimer>
#include <QToolBar>

#include <algorithm>

void MainWindow::resizeEvent(QResizeEvent *event)
{
    QMainWindow::resizeEvent(event);
    scheduleFit();
}

void MainWindow::scheduleFit()
{
    if (!m_fitTimer) {
        m_fitTimer = new QTimer(this);
        m_fitTimer->setSingleShot(true);
        m_fitTimer->setInterval(0);
        connect(m_fitTimer, &QTimer::timeout, this, &MainWindow::fitWindow);
    }
    m_fitTimer->start();
}

void MainWindow::fitWindow()
{
    // The learning tabs (gradients, spectrum, training) do not need y_t beside them: in a narrow
    // centre (a projector) the output chart gives them its width.
    const bool learningTab = m_chartTabs->currentIndex() >= m_chartTabs->indexOf(m_gradientView);
    const bool narrow = centralWidget() && centralWidget()->width() < 80 * fontMetrics().averageCharWidth();
    m_outputChart->setVisible(m_session->dims().K > 0 && !(learningTab && narrow));
    wrapToolBars();
    fitDocks();
    // A centre too low for the diagram, the step panel and the charts at their usual heights (a
    // large font on a small screen): the diagram its least height, the step panel four lines (it
    // scrolls), the charts the rest, so that their axes keep their labels.
    if (auto *centre = qobject_cast<QSplitter *>(centralWidget())) {
        const int H = centre->height(), u = fontMetrics().height();
        if (H < 36 * u) {
            const int diagram = m_diagram->minimumSizeHint().height(), step = 4 * u;
            centre->setSizes({diagram, step, std::max(0, H - diagram - step)});
        } else {
            fitDiagram();
        }
    }
}

void MainWindow::fitDiagram()
{
    // A network's grid is as tall as its layers need (at most half the centre); the step panel
    // gives the room, then the charts. Back to a single layer, the diagram its usual height.
    auto *centre = qobject_cast<QSplitter *>(centralWidget());
    if (!centre || centre->count() < 3)
        return;
    // When the grid's rows change, or the centre's height does while the splitter is where this
    // put it: a splitter the user dragged stays where it is.
    int rows = 0;
    if (m_session->isNetwork())
        for (const rnnscope::LayerSpec &l : m_session->networkConfig().layers)
            rows += l.directions();
    if (m_session->brokenLayer() >= 0)
        rows += rnnscope::kMaxLayers * 2 + 1; // Keras's error between two rows: another height
    const int H = centre->height();
    QList<int> sizes = centre->sizes();
    const bool dragged = m_diagramFitSize >= 0 && sizes[0] != m_diagramFitSize;
    if ((rows == m_diagramRows && (H == m_diagramFitHeight || dragged)) || H <= 0)
        return;
    m_diagramRows = rows;
    m_diagramFitHeight = H;
    const int want = std::min(m_diagram->sizeHint().height(), H / 2);
    const int usual = std::min(230, want);
    const int target = m_session->isNetwork() ? std::max(want, usual) : usual;
    const int delta = target - sizes[0];
    sizes[0] = target;
    sizes[2] = std::max(0, sizes[2] - delta);
    centre->setSizes(sizes);
    m_diagramFitSize = centre->sizes().value(0);
}

void MainWindow::afterStateRestored()
{
    m_barOrder.clear(); // placed again in the order wrapToolBars chooses
    m_dimensions->layersBar()->setVisible(m_session->isNetwork());
    scheduleFit();
}

void MainWindow::wrapToolBars()
{
    // As words on lines: a bar that does not fit beside the ones before starts a row. The sizes
    // come first; the others keep their order unless another order takes fewer rows (on a
    // projector, the Layers bar beside the cell's options rather than on a row of its own).
    const int room = width() - 8;
    QList<QToolBar *> shown; // (a bar the user hid, floated or moved to another edge stays as it is)
    for (QToolBar *bar : std::as_const(m_topBars))
        if (!bar->isHidden() && !bar->isFloating() && toolBarArea(bar) == Qt::TopToolBarArea)
            shown << bar;
    const auto rows = [room](const QList<QToolBar *> &order) {
        int count = 1, x = 0;
        for (QToolBar *bar : order) {
            const int w = bar->sizeHint().width();
            if (x > 0 && x + w > room) {
                ++count;
                x = 0;
            }
            x += w;
        }
        return count;
    };
    QList<QToolBar *> best = shown;
    if (shown.size() > 2) {
        const auto before = [this](QToolBar *a, QToolBar *b) { return m_topBars.indexOf(a) < m_topBars.indexOf(b); };
        QList<QToolBar *> rest = shown.mid(1);
        int fewest = rows(shown);
        while (std::next_permutation(rest.begin(), rest.end(), before)) {
            const QList<QToolBar *> order = QList<QToolBar *>{shown.front()} + rest;
            if (const int r = rows(order); r < fewest) {
                fewest = r;
                best = order;
            }
        }
    }
    if (best != m_barOrder) { // placed again in the new order
        for (QToolBar *bar : std::as_const(best))
            removeToolBar(bar);
        for (QToolBar *bar : std::as_const(best)) {
            addToolBar(Qt::TopToolBarArea, bar);
            bar->show();
        }
        m_barOrder = best;
    }
    int x = 0;
    for (QToolBar *bar : std::as_const(best)) {
        const int w = bar->sizeHint().width();
        const bool wrap = x > 0 && x + w > room;
        if (wrap != toolBarBreak(bar)) {
            if (wrap)
                insertToolBarBreak(bar);
            else
                removeToolBarBreak(bar);
        }
        x = (wrap ? 0 : x) + w;
    }
}

void MainWindow::fitDocks()
{
    for (QDockWidget *d : {m_weightsDock, m_inputDock, m_summaryDock})
        if (d->isFloating() || dockWidgetArea(d) != Qt::RightDockWidgetArea || !d->isVisible())
            return; // the user's own arrangement
    layout()->activate(); // the toolbars' rows settled: the docks' height is the centre's
    const int W = width(), H = centralWidget()->height();
    const int sep = style()->pixelMetric(QStyle::PM_DockWidgetSeparatorExtent, nullptr, this);
    // A dock's width beyond its contents (its scroll bar shows only where they do not fit).
    const int frame = 6;
    const auto chrome = [](QDockWidget *d) { return std::max(0, d->sizeHint().height() - d->widget()->sizeHint().height()); };
    const int widest = m_weights->widestView() + frame, readable = m_weights->readableWidth() + frame;
    const auto weightsHeight = [&](int w) { return m_weights->heightAt(w - frame) + chrome(m_weightsDock); };

    if (m_presentation) { // one dock of tabs (setPresentation, which restores the arrangement after)
        // (the matrices scroll down in their tab: the scroll bar's width as well)
        const int most = W * 9 / 20, bar = style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, this);
        resizeDocks({m_weightsDock}, {std::min(most, std::max({W * 3 / 8, widest + bar}))}, Qt::Horizontal);
        return;
    }
    const int most = W - std::max(700, W * 2 / 5) - sep; // the docks' room beside the centre
    const int share = std::min(most, std::max(W * 3 / 8, widest));
    // The input whole up to 12 timesteps (a longer X scrolls in any case), and a network's
    // Embedding table beside it up to 12 token ids.
    const QSize input = m_inputDock->widget()->sizeHint();
    const int rows = std::max(m_inputView->model()->rowCount(),
                              m_embeddingView->isVisibleTo(m_inputDock) ? m_embeddingView->model()->rowCount() : 0);
    const int rowsOver = std::max(0, rows - 12);
    const int inputW = input.width() + frame
        + (rowsOver > 0 ? style()->pixelMetric(QStyle::PM_ScrollBarExtent, nullptr, this) : 0);
    const int inputH = input.height() - rowsOver * m_inputView->tableView()->verticalHeader()->defaultSectionSize()
        + chrome(m_inputDock);
    // The narrowest width from `from` to `to` at which the weights are at most `height` tall, or 0.
    const auto narrowest = [&](int from, int to, int height) {
        for (int w = from; w <= to; w += 20)
            if (weightsHeight(w) <= height)
                return w;
        return 0;
    };

    const auto arrange = [&](Arrangement a) {
        if (a == m_dockArrangement)
            return;
        switch (a) {
        case Arrangement::Below:
            splitDockWidget(m_weightsDock, m_inputDock, Qt::Vertical);
            splitDockWidget(m_inputDock, m_summaryDock, Qt::Horizontal);
            break;
        case Arrangement::Beside:
            splitDockWidget(m_weightsDock, m_inputDock, Qt::Horizontal);
            tabifyDockWidget(m_inputDock, m_summaryDock);
            m_inputDock->raise();
            break;
        case Arrangement::Tabs:
            tabifyDockWidget(m_weightsDock, m_inputDock);
            tabifyDockWidget(m_inputDock, m_summaryDock);
            m_weightsDock->raise();
            break;
        }
        m_dockArrangement = a;
    };
    // Under the weights, whole: at their share, or wider (fewer rows) if that is what it takes.
    if (const int w = narrowest(share, most, H - inputH - sep)) {
        const int top = weightsHeight(w);
        arrange(Arrangement::Below);
        resizeDocks({m_weightsDock}, {w}, Qt::Horizontal);
        resizeDocks({m_weightsDock, m_inputDock}, {top, H - top - sep}, Qt::Vertical);
        // (with an Embedding's table beside X[n], up to two thirds: the summary scrolls first)
        const int in = std::min(inputW, m_embeddingView->isVisibleTo(m_inputDock) ? w * 2 / 3 : w / 2);
        resizeDocks({m_inputDock, m_summaryDock}, {in, w - in - sep}, Qt::Horizontal);
        return;
    }
    // Beside them, the summary a tab behind the input.
    if (const int w = inputH <= H ? narrowest(std::max(readable, share - inputW - sep), most - inputW - sep, H) : 0) {
        arrange(Arrangement::Beside);
        resizeDocks({m_weightsDock, m_inputDock}, {w, inputW}, Qt::Horizontal);
        return;
    }
    // Tabs of one dock, each with the whole height.
    arrange(Arrangement::Tabs);
    const int w = narrowest(share, most, H);
    resizeDocks({m_weightsDock}, {w > 0 ? w : most}, Qt::Horizontal);
}
