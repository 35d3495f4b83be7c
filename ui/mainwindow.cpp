#include "mainwindow.h"

#include "animationexport.h"
#include "autosave.h"
#include "backgroundjob.h"
#include "diagramwidget.h"
#include "dimensionsbar.h"
#include "gradientview.h"
#include "lessonoverlay.h"
#include "lessonpanel.h"
#include "logchart.h"
#include "matrixview.h"
#include "palette.h"
#include "playbackbar.h"
#include "session.h"
#include "spectrumview.h"
#include "steppanel.h"
#include "summaryview.h"
#include "timeserieschart.h"
#include "trainingpanel.h"
#include "viewexport.h"
#include "weightspanel.h"

#include <QAction>
#include <QComboBox>
#include <QLocale>
#include <QProgressBar>
#include <QProgressDialog>
#include <QPushButton>
#include <QToolBar>
#include <QToolButton>
#include <QStackedWidget>
#include <QStyle>
#include <QTimer>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFile>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QUndoStack>
#include <QVBoxLayout>

using namespace rnnscope;
using Source = MatrixTableModel::Source;

namespace {

const QString kRecentFilesKey = QStringLiteral("file/recent");

// The local files a drag carries.
QStringList droppedFiles(const QMimeData *mime)
{
    QStringList files;
    if (mime && mime->hasUrls())
        for (const QUrl &url : mime->urls())
            if (url.isLocalFile())
                files << url.toLocalFile();
    return files;
}

} // namespace

MainWindow::MainWindow(Session *session, bool persistent, QWidget *parent)
    : QMainWindow(parent)
    , m_session(session)
    , m_persistent(persistent)
    , m_baseFontSize(QApplication::font().pointSizeF())
{
    setDockNestingEnabled(true);
    setAcceptDrops(true);

    m_dimensions = new DimensionsBar(session, this);
    // The model's toolbars side by side, wrapped onto further rows where they do not fit (wrapToolBars).
    m_randomizeBar = new QToolBar(tr("Randomize"), this);
    m_randomizeBar->setObjectName(QStringLiteral("randomizeBar"));
    m_topBars = {m_dimensions, m_dimensions->optionsBar(), m_dimensions->settingsBar(), m_dimensions->layersBar(), m_randomizeBar};
    for (QToolBar *bar : std::as_const(m_topBars))
        addToolBar(Qt::TopToolBarArea, bar);
    m_barOrder = m_topBars;
    m_playback = new PlaybackBar(session, this);
    addToolBar(Qt::BottomToolBarArea, m_playback);

    // Centre: diagram, step panel, charts.
    auto *centre = new QSplitter(Qt::Vertical, this);
    m_diagram = new DiagramWidget(session, centre);
    // A size typed and applied with Return: the playback keys drive the window again.
    connect(m_dimensions, &DimensionsBar::editingDone, this, [this] { m_diagram->setFocus(Qt::OtherFocusReason); });
    // The step panel scrolls when its lines do not fit (an LSTM's step has four gates).
    auto *stepScroll = new QScrollArea(centre);
    stepScroll->setObjectName(QStringLiteral("stepScroll"));
    stepScroll->setWidgetResizable(true);
    stepScroll->setFrameShape(QFrame::NoFrame);
    m_step = new StepPanel(session);
    stepScroll->setWidget(m_step);
    auto *charts = new QWidget(centre);
    auto *chartsLayout = new QVBoxLayout(charts);
    chartsLayout->setContentsMargins(0, 0, 0, 0);
    auto *unitsRow = new QHBoxLayout;
    auto *unitsLabel = new QLabel(tr("Hidden units plotted:"), charts);
    m_units = new QLineEdit(charts);
    m_units->setPlaceholderText(tr("e.g. 0-7, 12 (at most %1)").arg(TimeSeriesChart::kMaxSeries));
    m_units->setToolTip(tr("Which hidden units the charts plot. With many units, the H heat map shows them all."));
    m_units->setMaximumWidth(16 * fontMetrics().averageCharWidth() + 20);
    unitsLabel->setBuddy(m_units);
    unitsRow->addWidget(unitsLabel);
    unitsRow->addWidget(m_units);
    // What the second chart plots: the cell's recorded quantities (a SimpleRNN's a_t; an LSTM's
    // gates i, f, g, o and c_t; a GRU's z, r, h̃).
    auto *quantityLabel = new QLabel(tr("&plot:"), charts);
    m_quantity = new QComboBox(charts);
    m_quantity->setObjectName(QStringLiteral("quantityChooser"));
    m_quantity->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_quantity->setToolTip(tr("The quantity of the cell the second chart plots over t."));
    quantityLabel->setBuddy(m_quantity);
    unitsRow->addWidget(quantityLabel);
    unitsRow->addWidget(m_quantity);
    unitsRow->addStretch();
    chartsLayout->addLayout(unitsRow);
    auto *chartSplit = new QSplitter(Qt::Horizontal, charts);
    m_chartTabs = new QTabWidget(chartSplit);
    m_hiddenChart = new TimeSeriesChart(session, TimeSeriesChart::Quantity::Hidden);
    m_preChart = new TimeSeriesChart(session, TimeSeriesChart::Quantity::Pre);
    // Every unit at once, of h_t or of any quantity the cell records (show: f, c, …).
    auto *mapTab = new QWidget;
    auto *mapLayout = new QVBoxLayout(mapTab);
    mapLayout->setContentsMargins(0, 2, 0, 0);
    auto *mapRow = new QHBoxLayout;
    auto *mapLabel = new QLabel(tr("&show:"), mapTab);
    m_mapQuantity = new QComboBox(mapTab);
    m_mapQuantity->setObjectName(QStringLiteral("mapQuantityChooser"));
    m_mapQuantity->setSizeAdjustPolicy(QComboBox::AdjustToContents); // "h̃ (candidate)" in full
    m_mapQuantity->setToolTip(tr("The quantity the heat map shows for every unit and timestep: h_t or a gate, "
                                 "the candidate or the cell state."));
    mapLabel->setBuddy(m_mapQuantity);
    mapRow->addWidget(mapLabel);
    mapRow->addWidget(m_mapQuantity);
    mapRow->addStretch();
    mapLayout->addLayout(mapRow);
    m_hiddenMap = new MatrixView(session, Source::Hidden, mapTab);
    mapLayout->addWidget(m_hiddenMap, 1);
    m_chartTabs->addTab(m_hiddenChart, tr("h_t"));
    m_chartTabs->addTab(m_preChart, tr("a_t (pre-activation)"));
    m_chartTabs->addTab(mapTab, tr("H heat map (all units)"));
    // Learning: how far back the loss reaches, the recurrent kernel's spectrum, training.
    m_gradientView = new GradientView(session);
    m_spectrumView = new SpectrumView(session);
    m_trainingPanel = new TrainingPanel(session);
    m_chartTabs->addTab(m_gradientView, tr("Gradients"));
    m_chartTabs->addTab(m_spectrumView, tr("Spectrum"));
    m_chartTabs->addTab(m_trainingPanel, tr("Training"));
    connect(m_trainingPanel->controller(), &TrainingController::message, this, [this](const QString &text, bool error) {
        if (error)
            showError(text);
        else
            statusBar()->showMessage(text, 15000);
    });
    m_outputChart = new TimeSeriesChart(session, TimeSeriesChart::Quantity::Output, chartSplit);
    connect(m_chartTabs, &QTabWidget::currentChanged, this, &MainWindow::scheduleFit);
    chartsLayout->addWidget(chartSplit, 1);
    // The charts give way before the window grows past the screen (zoomed in on a projector):
    // their pages' controls and legends otherwise ask for more than a 1024×768 screen has.
    // (Each page's height as well: a page held taller than its tab would be cut. Their widths
    // stay: the training controls keep theirs.)
    m_outputChart->setMinimumSize(120, 100);
    QList<QWidget *> giving = {m_chartTabs, chartSplit};
    for (int i = 0; i < m_chartTabs->count(); ++i)
        giving << m_chartTabs->widget(i);
    for (QWidget *w : std::as_const(giving))
        w->setMinimumHeight(100);
    centre->setSizes({230, 215, 400});
    connect(session, &Session::networkChanged, this, &MainWindow::scheduleFit); // the Layers bar, the grid's height
    chartSplit->setSizes({600, 400});
    setCentralWidget(centre);
    connect(m_units, &QLineEdit::editingFinished, this, &MainWindow::unitsEdited);
    connect(session, &Session::structureChanged, this, &MainWindow::fillQuantities);
    connect(m_mapQuantity, &QComboBox::currentIndexChanged, this, [this] {
        if (m_mapQuantity->currentIndex() < 0)
            return;
        m_hiddenMap->model()->setQuantity(static_cast<rnnscope::Quantity>(m_mapQuantity->currentData().toInt()));
        updateMapTab();
    });
    connect(m_quantity, &QComboBox::currentIndexChanged, this, [this] {
        if (m_quantity->currentIndex() < 0)
            return;
        m_preChart->setCellQuantity(static_cast<rnnscope::Quantity>(m_quantity->currentData().toInt()));
        updateQuantityTab();
    });
    fillQuantities();
    connect(m_hiddenChart, &TimeSeriesChart::unitsChanged, this,
            [this](const QList<int> &units) { m_units->setText(TimeSeriesChart::unitsText(units)); });
    m_units->setText(TimeSeriesChart::unitsText(m_hiddenChart->units()));

    // Right: the weights, the input, the summary.
    m_weights = new WeightsPanel(session);
    m_weightViews = m_weights->views();
    auto *weightsDock = m_weightsDock = new QDockWidget(tr("Weights"), this);
    weightsDock->setObjectName(QStringLiteral("weightsDock"));
    // In a scroll area: where the dock is too small for the matrices (a projector), they scroll as
    // a whole instead of holding the window larger than the screen or cutting each table.
    auto *weightsScroll = new QScrollArea;
    weightsScroll->setObjectName(QStringLiteral("weightsScroll"));
    weightsScroll->setWidgetResizable(true);
    weightsScroll->setFrameShape(QFrame::NoFrame);
    weightsScroll->setWidget(m_weights);
    weightsDock->setWidget(weightsScroll);
    addDockWidget(Qt::RightDockWidgetArea, weightsDock);

    m_inputView = new MatrixView(session, Source::Input);
    m_inputView->model()->setLongRowHeaders(false);
    auto *inputDock = m_inputDock = new QDockWidget(tr("Input X[n]"), this);
    inputDock->setObjectName(QStringLiteral("inputDock"));
    // A network's Embedding: its table E beside X[n], whose rows are its rows looked up (x_t = E[id_t]).
    m_embeddingView = new MatrixView(session, Source::Embedding);
    m_embeddingView->model()->setLongRowHeaders(false);
    const auto showEmbedding = [this] { m_embeddingView->setVisible(m_embeddingView->model()->rowCount() > 0); };
    connect(m_embeddingView->model(), &QAbstractItemModel::modelReset, this, showEmbedding);
    showEmbedding();
    auto *inputs = new QWidget;
    auto *inputRow = new QHBoxLayout(inputs);
    inputRow->setContentsMargins(0, 0, 0, 0);
    inputRow->addWidget(m_embeddingView);
    inputRow->addWidget(m_inputView, 1); // (E at its size, X[n] the rest)
    inputDock->setWidget(inputs);
    addDockWidget(Qt::RightDockWidgetArea, inputDock);
    // A value typed and committed with Return: the playback keys drive the window again.
    for (MatrixView *view : std::as_const(m_weightViews) + QList<MatrixView *>{m_inputView})
        connect(view, &MatrixView::editCommitted, this, [this] { m_diagram->setFocus(Qt::OtherFocusReason); });

    m_summary = new SummaryView(session);
    auto *summaryDock = m_summaryDock = new QDockWidget(tr("Model summary"), this);
    summaryDock->setObjectName(QStringLiteral("summaryDock"));
    // In a scroll area: its table's columns would otherwise hold the window wider than a projector.
    auto *summaryScroll = new QScrollArea;
    summaryScroll->setWidgetResizable(true);
    summaryScroll->setFrameShape(QFrame::NoFrame);
    summaryScroll->setWidget(m_summary);
    summaryDock->setWidget(summaryScroll);
    splitDockWidget(weightsDock, inputDock, Qt::Vertical);
    splitDockWidget(inputDock, summaryDock, Qt::Horizontal);
    // (their sizes: fitDocks, once the window has its size)

    if (m_persistent) {
        m_autosave = new Autosave(session, [this] { return sessionView(); }, Autosave::defaultDirectory(), this);
        connect(m_autosave, &Autosave::failed, this, [this](const QString &message) { statusBar()->showMessage(message, 15000); });
        m_recent = QSettings().value(kRecentFilesKey).toStringList();
        session->setLayerChooser([this](const QString &file, const QStringList &layers) {
            bool ok = false;
            const QString layer = QInputDialog::getItem(this, tr("Open %1").arg(file),
                                                        tr("%1 holds several recurrent layers. Which one should open?").arg(file),
                                                        layers, 0, false, &ok);
            return ok ? layer : QString();
        });
    }
    // Every view exports itself as a figure (PNG, SVG, the clipboard) from its context menu and
    // from File ▸ Export view.
    m_exportableViews = {{m_diagram, tr("diagram"), QStringLiteral("diagram")},
                         {m_step, tr("step panel"), QStringLiteral("step-panel")}};
    const QStringList weightKeys = {QStringLiteral("Wx"), QStringLiteral("Wh"), QStringLiteral("bh"), QStringLiteral("Wo"), QStringLiteral("bo")};
    for (int i = 0; i < m_weightViews.size(); ++i)
        m_exportableViews.append({m_weightViews[i], tr("%1 heat map").arg(weightKeys.value(i)), weightKeys.value(i)});
    m_exportableViews.append({{m_inputView, tr("input X heat map"), QStringLiteral("input")},
                              {m_embeddingView, tr("embedding table heat map"), QStringLiteral("embedding")},
                              {m_hiddenMap, tr("all-units heat map"), QStringLiteral("all-units")},
                              {m_hiddenChart, tr("hidden-state chart"), QStringLiteral("hidden-chart")},
                              {m_preChart, tr("gate chart"), QStringLiteral("gate-chart")},
                              {m_outputChart, tr("output chart"), QStringLiteral("output-chart")},
                              {m_gradientView, tr("gradient view"), QStringLiteral("gradients")},
                              {m_spectrumView->plot(), tr("spectrum"), QStringLiteral("spectrum")},
                              {m_trainingPanel->chart(), tr("loss curves"), QStringLiteral("loss-curves")},
                              {m_summary, tr("model summary"), QStringLiteral("summary")}});
    // A lesson, in a dock on the left (hidden until one opens).
    m_lesson = new LessonPanel(session, this, [this](const QString &name) { return viewByName(name); });
    m_lessonDock = new QDockWidget(tr("Lesson"), this);
    m_lessonDock->setObjectName(QStringLiteral("lessonDock"));
    m_lessonDock->setWidget(m_lesson);
    addDockWidget(Qt::LeftDockWidgetArea, m_lessonDock);
    resizeDocks({m_lessonDock}, {340}, Qt::Horizontal);
    m_lessonDock->hide();
    m_lesson->overlay()->setAlwaysBright(m_lessonDock);
    connect(m_lesson, &LessonPanel::lessonClosed, m_lessonDock, &QDockWidget::hide);
    const auto report = [this](const QString &message) { statusBar()->showMessage(message, 8000); };
    for (const ExportableView &e : std::as_const(m_exportableViews))
        ViewExport::attach(e.view, e.name, report);
    buildMenus();
    updateTitle();
    connect(session, &Session::filePathChanged, this, &MainWindow::updateTitle);
    connect(session, &Session::modifiedChanged, this, &MainWindow::updateTitle);
    connect(session, &Session::sessionViewChanged, this, &MainWindow::applySessionView);
    statusBar()->showMessage(tr("Ready: press → (Right) to compute the first step."));
    connect(session, &Session::errorOccurred, this, &MainWindow::showError);
    connect(session, &Session::notice, this, [this](const QString &message) {
        m_lastNotice = message;
        statusBar()->showMessage(message, 15000);
    });
    connect(session, &Session::structureChanged, this, [this] {
        if (m_session->isNetwork()) { // the network's sizes, and the layer on show
            const rnnscope::NetworkConfig &c = m_session->networkConfig();
            const int l = m_session->selectedLayer();
            statusBar()->showMessage(tr("N=%1 T=%2 D=%3 K=%4 · layer %5 of %6: %7, M=%8, reads %9 features")
                                         .arg(c.N).arg(c.T).arg(c.D).arg(c.K).arg(l + 1).arg(c.layerCount())
                                         .arg(QString::fromStdString(rnnscope::layerNames(c.layers)[static_cast<std::size_t>(l)]))
                                         .arg(m_session->dims().M).arg(m_session->dims().D),
                                     4000);
            return;
        }
        statusBar()->showMessage(tr("N=%1 T=%2 D=%3 M=%4 K=%5")
                                     .arg(m_session->dims().N).arg(m_session->dims().T).arg(m_session->dims().D)
                                     .arg(m_session->dims().M).arg(m_session->dims().K), 4000);
    });
    buildProgress();
    for (auto signal : {&Session::structureChanged, &Session::layoutChanged})
        connect(session, signal, this, &MainWindow::scheduleFit);
    resize(1600, 900);
    if (m_persistent)
        restoreSettings();
    // Keyboard focus on the diagram: Space, Left, Right, Home and End step, not a spin box.
    m_diagram->setFocusPolicy(Qt::StrongFocus);
    m_diagram->setFocus();
    connect(session, &Session::stepChanged, this, [this] {
        if (statusBar()->currentMessage().startsWith(tr("Ready")))
            statusBar()->clearMessage();
    });
}

MainWindow::~MainWindow()
{
    // From here on the session tells this window nothing: its widgets, going, may still make the
    // session speak (an open cell editor commits on its way out, and its text may be refused).
    for (const QObject *source : {static_cast<const QObject *>(m_session), static_cast<const QObject *>(m_session->job()),
                                  static_cast<const QObject *>(m_session->undoStack())})
        disconnect(source, nullptr, this, nullptr);
    // Before the window's parts go: its last write may still report to the status bar.
    delete m_autosave;
    m_autosave = nullptr;
    if (m_persistent)
        m_session->setLayerChooser({}); // it asks with this window
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open…"), QKeySequence::Open, this, &MainWindow::openDialog)
        ->setStatusTip(tr("Open a session (.json), weights (.npz, .h5, .keras) or an input X (.npy, .csv)"));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    setRecentFiles(m_recent);
    file->addAction(tr("&Load input…"), QKeySequence(tr("Ctrl+I")), this, &MainWindow::loadInputDialog);
    file->addSeparator();
    file->addAction(tr("&Save"), QKeySequence::Save, this, &MainWindow::save)
        ->setStatusTip(tr("Save the session: model, weights, input, timestep and view"));
    file->addAction(tr("Save &As…"), QKeySequence::SaveAs, this, &MainWindow::saveAsDialog);
    file->addAction(tr("Save &weights as…"), this, &MainWindow::saveWeightsDialog);
    file->addAction(tr("Export as &code…"), this, &MainWindow::exportCodeDialog)
        ->setStatusTip(tr("A Python script (NumPy, Keras or PyTorch) that rebuilds this model with its weights and X and prints Y"));
    file->addSeparator();
    file->addAction(tr("Save sc&reenshot…"), this, &MainWindow::saveScreenshotDialog);
    QMenu *exportView = file->addMenu(tr("Export &view"));
    for (const ExportableView &e : std::as_const(m_exportableViews)) {
        QWidget *v = e.view;
        const QString n = e.name;
        QAction *a = exportView->addAction(tr("The %1…").arg(n), this, [this, v, n] {
            ViewExport::exportDialog(v, n, this, [this](const QString &m) { statusBar()->showMessage(m, 8000); });
        });
        // A view is exported as shown: one in a tab at the back (or a closed dock) is not offered.
        connect(exportView, &QMenu::aboutToShow, a, [a, v] {
            a->setEnabled(v->isVisible());
            a->setToolTip(v->isVisible() ? QString() : tr("Not on show: bring its tab or dock to the front first"));
        });
    }
    exportView->setToolTipsVisible(true);
    file->addAction(tr("Export &animation…"), this, [this] {
        AnimationExport::exportDialog(this, [this](const QString &m) { statusBar()->showMessage(m, 15000); });
    })->setStatusTip(tr("The stepping through t = 0 … T−1 of a view or of the whole window as an animated GIF"));
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QAction *undo = m_undoAction = m_session->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction *redo = m_redoAction = m_session->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    edit->addAction(tr("Randomize &weights"), QKeySequence(tr("Ctrl+R")), m_session, &Session::randomizeWeights);
    edit->addAction(tr("Randomize &input"), QKeySequence(tr("Ctrl+Shift+R")), m_session, &Session::randomizeInput);
    m_randomizeBar->addAction(tr("⟳ weights"), m_session, &Session::randomizeWeights)->setToolTip(tr("Draw new weights (Ctrl+R)"));
    m_randomizeBar->addAction(tr("⟳ input"), m_session, &Session::randomizeInput)->setToolTip(tr("Draw a new input X (Ctrl+Shift+R)"));

    QMenu *view = menuBar()->addMenu(tr("&View"));
    m_presentationAction = view->addAction(tr("&Presentation mode"), this, &MainWindow::setPresentation);
    m_presentationAction->setCheckable(true);
    m_presentationAction->setShortcut(QKeySequence(Qt::Key_F5));
    view->addAction(tr("Zoom &in"), QKeySequence(tr("Ctrl+=")), this, [this] { zoom(m_zoom + 1); });
    view->addAction(tr("Zoom &out"), QKeySequence(tr("Ctrl+-")), this, [this] { zoom(m_zoom - 1); });
    view->addAction(tr("&Normal size"), QKeySequence(tr("Ctrl+0")), this, [this] { zoom(0); });
    view->addSeparator();
    auto *layouts = new QActionGroup(this);
    QAction *keras = view->addAction(tr("Weights in &Keras layout (Wx: D×M)"));
    QAction *torch = view->addAction(tr("Weights in &PyTorch layout (weight_ih_l0: M×D)"));
    for (QAction *a : {keras, torch}) {
        a->setCheckable(true);
        layouts->addAction(a);
    }
    keras->setChecked(m_session->layout() == Layout::Keras);
    torch->setChecked(m_session->layout() == Layout::PyTorch);
    connect(keras, &QAction::triggered, this, [this] { m_session->setLayout(Layout::Keras); });
    connect(torch, &QAction::triggered, this, [this] { m_session->setLayout(Layout::PyTorch); });
    connect(m_session, &Session::layoutChanged, this, [this, keras, torch] {
        keras->setChecked(m_session->layout() == Layout::Keras);
        torch->setChecked(m_session->layout() == Layout::PyTorch);
    });
    // dL/dW in place of W: the gradient of the Gradients tab's loss, in the same heat maps.
    m_gradientAction = view->addAction(tr("Weights as their &gradient dL/dW"));
    m_gradientAction->setCheckable(true);
    m_gradientAction->setShortcut(QKeySequence(tr("Ctrl+G")));
    m_gradientAction->setToolTip(tr("Show dL/dW of every weight (read-only) instead of W"));
    connect(m_gradientAction, &QAction::toggled, this, &MainWindow::showWeightGradients);
    view->addSeparator();
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        view->addAction(dock->toggleViewAction());
    for (QToolBar *bar : std::as_const(m_topBars)) {
        if (bar != m_dimensions->layersBar()) // (it shows with a network, and only then)
            view->addAction(bar->toggleViewAction());
        connect(bar, &QToolBar::visibilityChanged, this, &MainWindow::scheduleFit); // rows again
    }
    view->addAction(m_playback->toggleViewAction());

    QMenu *play = menuBar()->addMenu(tr("&Playback"));
    for (QAction *a : {m_playback->playAction(), m_playback->forwardAction(), m_playback->backAction(),
                       m_playback->resetAction(), m_playback->endAction()})
        play->addAction(a);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QMenu *lessons = help->addMenu(tr("&Lessons"));
    for (const LessonPanel::BuiltIn &b : LessonPanel::builtInLessons())
        lessons->addAction(b.title, this, [this, name = b.name] { openLesson(name); });
    lessons->addSeparator();
    lessons->addAction(tr("Open a lesson &file…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a lesson"), QString(), tr("Lessons (*.lesson)"));
        if (!path.isEmpty())
            openLesson(path);
    });
    help->addAction(tr("&About rnnscope"), this, [this] {
        QMessageBox::about(this, tr("About rnnscope"),
                           tr("<h3>rnnscope %1</h3><p>The shapes and the recurrence of a recurrent neural network, "
                              "step by step:</p><p><code>h_t = tanh(x_t·Wx + h_{t−1}·Wh + bh)</code></p>"
                              "<p>Keras's SimpleRNN(M), LSTM(M) or GRU(M) → Dense(K), computed in float32 like Keras or float64 like NumPy.</p>")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::buildProgress()
{
    // Long work on the worker: what it does, how far it got, and a way to stop it (Esc). Shown
    // from its first progress report (100 ms), so that short work does not flash.
    BackgroundJob *job = m_session->job();
    m_progress = new QWidget(this);
    m_progress->setObjectName(QStringLiteral("progress"));
    auto *row = new QHBoxLayout(m_progress);
    row->setContentsMargins(0, 0, 0, 0);
    m_progressLabel = new QLabel(m_progress);
    m_progressBar = new QProgressBar(m_progress);
    m_progressBar->setRange(0, 1000);
    m_progressBar->setTextVisible(true);
    m_progressBar->setFormat(QStringLiteral("%p %"));
    m_progressBar->setFixedWidth(fontMetrics().averageCharWidth() * 24);
    auto *cancel = new QToolButton(m_progress);
    m_cancelAction = new QAction(tr("Cancel"), this);
    m_cancelAction->setShortcut(Qt::Key_Escape);
    m_cancelAction->setShortcutContext(Qt::WindowShortcut);
    m_cancelAction->setToolTip(tr("Stop computing (Esc): the timesteps done so far stay computed"));
    m_cancelAction->setEnabled(false);
    addAction(m_cancelAction);
    cancel->setDefaultAction(m_cancelAction);
    row->addWidget(m_progressLabel);
    row->addWidget(m_progressBar);
    row->addWidget(cancel);
    statusBar()->addPermanentWidget(m_progress);
    m_progress->hide();
    connect(m_cancelAction, &QAction::triggered, m_session, &Session::cancelWork);
    connect(job, &BackgroundJob::started, this, [this, job](const QString &what) {
        m_cancelAction->setEnabled(true);
        if (!m_session->changing())
            return;
        // The undo history must not move while the change it will hold is being built.
        m_undoAction->setEnabled(false);
        m_redoAction->setEnabled(false);
        // A change of a large model: the window keeps painting the old model, input waits behind
        // this dialog (after 300 ms), and Cancel drops the change when the worker returns.
        auto *dialog = new QProgressDialog(what + QStringLiteral("…"), tr("Cancel"), 0, 0, this);
        dialog->setObjectName(QStringLiteral("changeProgress"));
        dialog->setWindowTitle(tr("Working — rnnscope"));
        dialog->setWindowModality(Qt::WindowModal);
        dialog->setMinimumDuration(300);
        dialog->setAutoClose(false);
        dialog->setAutoReset(false);
        connect(dialog, &QProgressDialog::canceled, m_session, &Session::cancelWork);
        connect(job, &BackgroundJob::finished, dialog, &QObject::deleteLater);
    });
    connect(job, &BackgroundJob::progressed, this, [this, job](int permille) {
        if (!job->running() || m_session->changing())
            return;
        m_progressLabel->setText(job->what());
        m_progressBar->setValue(permille);
        m_progress->show();
    });
    connect(job, &BackgroundJob::finished, this, [this] {
        m_undoAction->setEnabled(m_session->undoStack()->canUndo());
        m_redoAction->setEnabled(m_session->undoStack()->canRedo());
        m_cancelAction->setEnabled(false);
        m_progress->hide();
    });
}

void MainWindow::setPresentation(bool on)
{
    // On a projector's small screen the three docks share one place, as tabs; the arrangement of
    // before comes back afterwards.
    if (on && !m_presentation) {
        m_statePresentation = saveState();
        tabifyDockWidget(m_weightsDock, m_inputDock);
        tabifyDockWidget(m_inputDock, m_summaryDock);
        m_weightsDock->raise();
    } else if (!on && m_presentation) {
        if (!m_statePresentation.isEmpty()) {
            restoreState(m_statePresentation);
            afterStateRestored();
        }
    }
    m_presentation = on;
    if (m_presentationAction && m_presentationAction->isChecked() != on)
        m_presentationAction->setChecked(on);
    ViewPalette::setPresentation(on);
    applyFont();
    if (m_autosave)
        m_autosave->schedule();
}

void MainWindow::zoom(int steps)
{
    m_zoom = std::clamp(steps, -4, 10);
    applyFont();
}

void MainWindow::applyFont()
{
    QFont f = QApplication::font();
    const qreal scale = (m_presentation ? 1.5 : 1.0) * std::pow(1.1, m_zoom);
    f.setPointSizeF(std::max<qreal>(6, m_baseFontSize * scale));
    setFont(f);
    for (TimeSeriesChart *c : {m_hiddenChart, m_preChart, m_outputChart})
        c->restyle();
    m_gradientView->restyle();
    m_trainingPanel->restyle();
    for (QWidget *w : findChildren<QWidget *>())
        w->update();
    scheduleFit();
}

QString MainWindow::statusText() const
{
    return statusBar()->currentMessage();
}

void MainWindow::showError(const QString &message)
{
    m_lastError = message;
    statusBar()->showMessage(tr("Refused: %1").arg(message), 15000);
}

void MainWindow::updateTitle()
{
    const QString path = m_session->filePath();
    setWindowTitle(tr("%1[*] — rnnscope").arg(path.isEmpty() ? tr("Untitled") : QFileInfo(path).fileName()));
    setWindowModified(m_session->isModified());
}

bool MainWindow::openFile(const QString &path)
{
    if (path.endsWith(QLatin1String(".lesson"), Qt::CaseInsensitive))
        return openLesson(path);
    return opened(path, [&] { return m_session->openFile(path); });
}

bool MainWindow::openLesson(const QString &nameOrPath)
{
    QString error;
    m_lessonDock->show(); // first: the lesson's views are placed with the dock in the window
    if (!m_lesson->open(nameOrPath, &error)) {
        if (!m_lesson->isOpen())
            m_lessonDock->hide();
        showError(error);
        return false;
    }
    m_lessonDock->raise();
    statusBar()->showMessage(tr("Lesson: %1 — Alt+→ or Page Down for the next step").arg(QString::fromStdString(m_lesson->lesson().title)),
                             15000);
    return true;
}

QWidget *MainWindow::viewByName(const QString &name) const
{
    for (const ExportableView &e : m_exportableViews)
        if (e.key.compare(name, Qt::CaseInsensitive) == 0) {
            const_cast<MainWindow *>(this)->bringToFront(e.view);
            return e.view;
        }
    const QList<std::pair<QString, QWidget *>> more = {{QStringLiteral("dimensions"), m_dimensions},
                                                       {QStringLiteral("playback"), m_playback},
                                                       {QStringLiteral("weights"), m_weightsDock},
                                                       {QStringLiteral("training"), m_trainingPanel}};
    for (const auto &[key, view] : more)
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            const_cast<MainWindow *>(this)->bringToFront(view);
            return view;
        }
    return nullptr;
}

bool MainWindow::opened(const QString &path, const std::function<bool()> &open)
{
    m_lastError.clear();
    m_lastNotice.clear();
    if (!open()) {
        if (!QFileInfo::exists(path) && m_recent.contains(QFileInfo(path).absoluteFilePath())) {
            QStringList recent = m_recent;
            recent.removeAll(QFileInfo(path).absoluteFilePath());
            setRecentFiles(recent);
        }
        if (m_persistent && !m_lastError.isEmpty())
            QMessageBox::warning(this, tr("Cannot open %1").arg(QFileInfo(path).fileName()), m_lastError);
        return false;
    }
    addRecentFile(path);
    const QString opened = tr("Opened %1").arg(QDir::toNativeSeparators(path));
    statusBar()->showMessage(m_lastNotice.isEmpty() ? opened : opened + QStringLiteral(" — ") + m_lastNotice, 15000);
    return true;
}

bool MainWindow::saveSession(const QString &path)
{
    m_lastError.clear();
    if (!m_session->saveSession(path, sessionView())) {
        if (m_persistent && !m_lastError.isEmpty())
            QMessageBox::warning(this, tr("Cannot save %1").arg(QFileInfo(path).fileName()), m_lastError);
        return false;
    }
    addRecentFile(path);
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)), 6000);
    return true;
}

SessionView MainWindow::sessionView() const
{
    SessionView view;
    view.layout = m_session->layout();
    if (!m_hiddenChart->autoUnits())
        for (int u : m_hiddenChart->units())
            view.units.push_back(u);
    view.presentation = m_presentation;
    return view;
}

void MainWindow::applySessionView(const SessionView &view)
{
    const QList<int> units(view.units.begin(), view.units.end());
    m_hiddenChart->setUnits(units);
    m_preChart->setUnits(units);
    setPresentation(view.presentation);
}

void MainWindow::addRecentFile(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList recent = m_recent;
    recent.removeAll(absolute);
    recent.prepend(absolute);
    setRecentFiles(recent.mid(0, kMaxRecentFiles));
}

void MainWindow::clearRecentFiles()
{
    setRecentFiles({});
}

void MainWindow::setRecentFiles(const QStringList &files)
{
    m_recent = files;
    if (m_persistent)
        QSettings().setValue(kRecentFilesKey, m_recent);
    // The old actions go later: one of them may be the action being triggered.
    for (QAction *a : m_recentMenu->actions()) {
        m_recentMenu->removeAction(a);
        a->deleteLater();
    }
    for (int i = 0; i < m_recent.size(); ++i) {
        const QString path = m_recent[i];
        QAction *a = m_recentMenu->addAction(QStringLiteral("&%1  %2").arg(i + 1).arg(QFileInfo(path).fileName()),
                                             this, [this, path] { openFile(path); });
        a->setStatusTip(QDir::toNativeSeparators(path));
        a->setToolTip(QDir::toNativeSeparators(path));
    }
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("&Clear"), this, &MainWindow::clearRecentFiles)->setEnabled(!m_recent.isEmpty());
    m_recentMenu->setEnabled(!m_recent.isEmpty());
}

void MainWindow::openDialog()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open"), QString(),
        tr("Everything rnnscope opens (*.json *.npz *.h5 *.hdf5 *.keras *.npy *.csv);;Sessions (*.json);;"
           "Weights (*.npz *.h5 *.hdf5 *.keras);;Input X (*.npy *.csv);;All files (*)"));
    if (!path.isEmpty())
        openFile(path);
}

void MainWindow::save()
{
    if (m_session->isSessionFile())
        saveSession(m_session->filePath());
    else
        saveAsDialog();
}

void MainWindow::saveAsDialog()
{
    const QString current = m_session->filePath();
    const QString suggested = current.isEmpty() ? QStringLiteral("session.json")
                                                : QFileInfo(current).path() + QLatin1Char('/') + QFileInfo(current).completeBaseName()
                                                      + QStringLiteral(".json");
    QString path = QFileDialog::getSaveFileName(this, tr("Save session"), suggested, tr("rnnscope session (*.json)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
        path += QStringLiteral(".json");
    saveSession(path);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!droppedFiles(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList files = droppedFiles(event->mimeData());
    if (files.isEmpty())
        return;
    event->acceptProposedAction();
    // Sessions and weights first, so that an input dropped with them meets the model it fits.
    QStringList ordered;
    for (const QString &f : files)
        (fileKind(f.toStdString()) == FileKind::Input ? ordered.append(f) : ordered.prepend(f));
    for (const QString &f : std::as_const(ordered))
        if (!openFile(f))
            break;
}

void MainWindow::loadInputDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Load input X"), QString(),
                                                      tr("Input (*.npy *.csv);;All files (*)"));
    if (!path.isEmpty())
        opened(path, [&] { return m_session->loadInput(path); });
}

void MainWindow::saveWeightsDialog()
{
    QString filter;
    const QString keras = tr("Keras get_weights() order, arr_0… (*.npz)");
    const QString torch = tr("PyTorch state_dict names (*.npz)");
    QString path = QFileDialog::getSaveFileName(this, tr("Save weights"), QStringLiteral("weights.npz"),
                                                keras + QStringLiteral(";;") + torch, &filter);
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1String(".npz"), Qt::CaseInsensitive))
        path += QStringLiteral(".npz");
    if (m_session->saveWeights(path, filter == torch ? Layout::PyTorch : Layout::Keras))
        statusBar()->showMessage(tr("Saved %1").arg(path), 6000);
}

bool MainWindow::bringToFront(QWidget *view)
{
    // Every tab page and dock on the way up to the window, brought forward.
    for (QWidget *w = view; w && w != this; w = w->parentWidget()) {
        if (auto *stack = qobject_cast<QStackedWidget *>(w->parentWidget())) {
            // A QTabWidget's page through the tab widget, so that its tab bar follows.
            if (auto *tabs = qobject_cast<QTabWidget *>(stack->parentWidget()))
                tabs->setCurrentWidget(w);
            else
                stack->setCurrentWidget(w);
        }
        if (auto *dock = qobject_cast<QDockWidget *>(w)) {
            dock->show();
            dock->raise();
        }
    }
    QCoreApplication::processEvents();
    return view->isVisible();
}

void MainWindow::showWeightGradients(bool on)
{
    // Above a hundred times the live budget the gradient takes seconds: say so and stay with W.
    if (on && m_session->gradientWork() > 100 * Session::kLiveLearningWork) {
        statusBar()->showMessage(tr("dL/dW at N=%1, T=%2, M=%3 takes seconds to compute: show it at a smaller size")
                                     .arg(m_session->dims().N)
                                     .arg(m_session->dims().T)
                                     .arg(m_session->dims().M),
                                 15000);
        QSignalBlocker block(m_gradientAction);
        m_gradientAction->setChecked(false);
        return;
    }
    for (MatrixView *v : std::as_const(m_weightViews))
        v->model()->setGradient(on);
    m_weightsDock->setWindowTitle(on ? tr("Weights: their gradient dL/dW (the loss of the Gradients tab)") : tr("Weights"));
}

void MainWindow::exportCodeDialog()
{
    const QList<std::pair<QString, rnnscope::CodeTarget>> kinds = {
        {tr("NumPy: the loop, every gate written out (*.py)"), rnnscope::CodeTarget::NumPy},
        {tr("Keras: Sequential, set_weights, predict (*.py)"), rnnscope::CodeTarget::Keras},
        {tr("PyTorch: nn.%1 + nn.Linear, the state_dict (*.py)")
             .arg(QLatin1String(m_session->config().kind == rnnscope::CellKind::SimpleRNN ? "RNN"
                                                                                       : rnnscope::cellClassName(m_session->config().kind))),
         rnnscope::CodeTarget::PyTorch},
    };
    QStringList filters;
    for (const auto &k : kinds)
        filters << k.first;
    QString filter;
    QString path = QFileDialog::getSaveFileName(this, tr("Export as code"), QStringLiteral("rnnscope_model.py"),
                                                filters.join(QStringLiteral(";;")), &filter);
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1String(".py")))
        path += QStringLiteral(".py");
    const auto chosen = std::find_if(kinds.begin(), kinds.end(), [&](const auto &k) { return k.first == filter; });
    QString data;
    if (m_session->exportCode(path, chosen == kinds.end() ? rnnscope::CodeTarget::NumPy : chosen->second, &data))
        statusBar()->showMessage(data.isEmpty() ? tr("Exported %1: run it with python3").arg(path)
                                                : tr("Exported %1 and its numbers, %2: run it with python3").arg(path, data),
                                 8000);
}

void MainWindow::saveScreenshotDialog()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Save screenshot"), QStringLiteral("rnnscope.png"),
                                                tr("PNG image (*.png)"));
    if (path.isEmpty())
        return;
    if (!grab().save(path, "PNG"))
        showError(tr("cannot write %1").arg(path));
}

namespace {

// The quantities `kind` records as choices ("f (forget gate)"), h first when `withHidden`; the
// choice stays on `keep` when the cell records it. Returns whether it did.
bool fillQuantityChooser(QComboBox *box, rnnscope::CellKind kind, bool withHidden, rnnscope::Quantity keep)
{
    const QSignalBlocker block(box);
    box->clear();
    const auto add = [box](rnnscope::Quantity q) {
        box->addItem(QStringLiteral("%1 (%2)").arg(QString::fromUtf8(rnnscope::quantitySymbol(q)),
                                                   QLatin1String(rnnscope::quantityName(q))),
                     static_cast<int>(q));
    };
    if (withHidden)
        add(rnnscope::Quantity::Hidden);
    for (rnnscope::Quantity q : rnnscope::recordedQuantities(kind))
        if (q != rnnscope::Quantity::Hidden)
            add(q);
    const int i = box->findData(static_cast<int>(keep));
    box->setCurrentIndex(i >= 0 ? i : 0);
    return i >= 0;
}

} // namespace

void MainWindow::fillQuantities()
{
    const rnnscope::CellKind kind = m_session->config().kind;
    if (!fillQuantityChooser(m_quantity, kind, false, m_preChart->cellQuantity()))
        m_preChart->setCellQuantity(static_cast<rnnscope::Quantity>(m_quantity->currentData().toInt()));
    updateQuantityTab();
    if (!fillQuantityChooser(m_mapQuantity, kind, true, m_hiddenMap->model()->quantity()))
        m_hiddenMap->model()->setQuantity(rnnscope::Quantity::Hidden);
    updateMapTab();
}

void MainWindow::updateMapTab()
{
    const rnnscope::Quantity q = m_hiddenMap->model()->quantity();
    QWidget *tab = m_mapQuantity->parentWidget();
    m_chartTabs->setTabText(m_chartTabs->indexOf(tab),
                            q == rnnscope::Quantity::Hidden
                                ? tr("H heat map (all units)")
                                : tr("%1_t heat map (all units)").arg(QString::fromUtf8(rnnscope::quantitySymbol(q))));
}

void MainWindow::updateQuantityTab()
{
    const rnnscope::Quantity q = m_preChart->cellQuantity();
    m_chartTabs->setTabText(m_chartTabs->indexOf(m_preChart),
                            QStringLiteral("%1_t (%2)").arg(QString::fromUtf8(rnnscope::quantitySymbol(q)),
                                                            QLatin1String(rnnscope::quantityName(q))));
}

void MainWindow::unitsEdited()
{
    QString error;
    const QList<int> units = TimeSeriesChart::parseUnits(m_units->text(), m_session->dims().M, &error);
    if (units.isEmpty()) {
        showError(error);
        m_units->setText(TimeSeriesChart::unitsText(m_hiddenChart->units()));
        return;
    }
    m_hiddenChart->setUnits(units);
    m_preChart->setUnits(units);
    if (m_autosave)
        m_autosave->schedule();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_persistent && m_session->isModified() && !confirmClose()) {
        event->ignore();
        return;
    }
    if (m_autosave)
        m_autosave->discard();
    if (m_persistent)
        saveSettings();
    event->accept();
}

void MainWindow::endAtSignal()
{
    if (m_autosave) {
        if (m_session->isModified())
            m_autosave->flush(); // waits for a write in progress, then writes what is on screen
        else
            m_autosave->discard();
    }
    if (m_persistent)
        saveSettings();
    QCoreApplication::exit(0); // every event loop, a dialog's too
}

bool MainWindow::confirmClose()
{
    const QString path = m_session->filePath();
    const QString name = path.isEmpty() ? tr("this session") : QFileInfo(path).fileName();
    QMessageBox box(QMessageBox::Warning, tr("Unsaved changes — rnnscope"),
                    tr("Save the changes to %1 before closing?").arg(name), QMessageBox::NoButton, this);
    const QUndoStack *undo = m_session->undoStack();
    box.setInformativeText(tr("The last change: %1. Without saving, the changes are lost.").arg(undo->undoText()));
    QPushButton *saveButton = box.addButton(m_session->isSessionFile() ? tr("&Save") : tr("&Save as…"), QMessageBox::AcceptRole);
    QPushButton *discard = box.addButton(tr("&Discard changes"), QMessageBox::DestructiveRole);
    QPushButton *cancel = box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(saveButton);
    box.setEscapeButton(cancel);
    box.exec();
    if (box.clickedButton() == saveButton) {
        save();
        return !m_session->isModified(); // a cancelled or refused save keeps the window open
    }
    return box.clickedButton() == discard;
}

bool MainWindow::offerRecovery()
{
    if (!m_autosave)
        return false;
    Autosave::removeLeftovers(m_autosave->directory());
    const QList<Autosave::Orphan> orphans = Autosave::orphans(m_autosave->directory());
    if (orphans.isEmpty())
        return false;
    const Autosave::Orphan &newest = orphans.first();
    const QString origin = newest.origin.isEmpty() ? tr("an untitled session") : QFileInfo(newest.origin).fileName();
    QMessageBox box(QMessageBox::Question, tr("Restore unsaved changes — rnnscope"),
                    tr("rnnscope closed without saving the changes to %1 (%2).")
                        .arg(origin, QLocale().toString(newest.saved, QLocale::ShortFormat)),
                    QMessageBox::NoButton, this);
    QString details = newest.change.isEmpty() ? QString() : tr("The last change: %1. ").arg(newest.change);
    if (orphans.size() > 1)
        details += tr("%n older copy(ies) stay for a later start. ", nullptr, int(orphans.size() - 1));
    box.setInformativeText(details + tr("Restore them?"));
    QPushButton *restore = box.addButton(tr("&Restore"), QMessageBox::AcceptRole);
    QPushButton *discard = box.addButton(tr("&Discard"), QMessageBox::DestructiveRole);
    QPushButton *later = box.addButton(tr("&Not now"), QMessageBox::RejectRole);
    box.setDefaultButton(restore);
    box.setEscapeButton(later);
    box.exec();
    if (box.clickedButton() == discard) {
        Autosave::remove(newest);
        return false;
    }
    return box.clickedButton() == restore && recover(newest);
}

bool MainWindow::recover(const Autosave::Orphan &orphan)
{
    m_lastError.clear();
    const Session::Recovery result = m_session->recover(orphan.sessionPath, orphan.origin, orphan.originIsSession);
    if (result == Session::Recovery::NotRestored) {
        // Cancelled, interrupted or refused: the copy stays exactly as it was, offered again at the
        // next start (its lock goes with the orphan).
        statusBar()->showMessage(tr("The unsaved changes were not restored; they are offered again at the next start."), 15000);
        return false;
    }
    if (result == Session::Recovery::Unreadable) {
        // Kept for whoever wants to look at it, out of the way of the next start.
        const QString aside = QFileInfo(orphan.sessionPath).path() + QLatin1Char('/') + orphan.id + QStringLiteral(".damaged");
        QFile::remove(aside);
        QFile::rename(orphan.sessionPath, aside);
        Autosave::remove(orphan);
        if (m_persistent)
            QMessageBox::warning(this, tr("Cannot restore"), tr("%1\nThe copy is kept as %2.").arg(m_lastError, QDir::toNativeSeparators(aside)));
        return false;
    }
    // This window's own copy first: a kill now still finds the changes.
    if (m_autosave && !m_autosave->flush())
        return true; // the orphan stays until a copy of ours is on disk
    Autosave::remove(orphan);
    statusBar()->showMessage(tr("Restored the unsaved changes (%1)").arg(orphan.change), 15000);
    return true;
}

void MainWindow::restoreSettings()
{
    QSettings s;
    // The first start fills the screen it opens on; later starts restore the window as it was left.
    if (!s.contains(QStringLiteral("window/geometry")))
        setWindowState(windowState() | Qt::WindowMaximized);
    restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("window/state")).toByteArray());
    afterStateRestored();
    m_zoom = s.value(QStringLiteral("view/zoom"), 0).toInt();
    setPresentation(s.value(QStringLiteral("view/presentation"), false).toBool());
    m_session->setLayout(s.value(QStringLiteral("view/layout")).toString() == QLatin1String("pytorch") ? Layout::PyTorch
                                                                                                      : Layout::Keras);
}

void MainWindow::saveSettings() const
{
    QSettings s;
    s.setValue(QStringLiteral("window/geometry"), saveGeometry());
    s.setValue(QStringLiteral("window/state"), saveState());
    s.setValue(QStringLiteral("view/zoom"), m_zoom);
    s.setValue(QStringLiteral("view/presentation"), m_presentation);
    s.setValue(QStringLiteral("view/layout"),
               m_session->layout() == Layout::PyTorch ? QStringLiteral("pytorch") : QStringLiteral("keras"));
}
