#pragma once
// MainWindow — the rnnscope window (DESIGN §4): the dimensions bar on top, the unrolled diagram,
// the step panel and the live charts in the middle, the weight, input and summary docks on the
// right, playback at the bottom. Presentation mode enlarges fonts and lines for projectors;
// geometry, dock layout, view choices and the recent files persist in QSettings.
//
// Files: File ▸ Open… (a session, weights or an input X), Open Recent, Save (back to the session
// file), Save As… (a session), Save weights as…, Load input…, and files dropped on the window.
// The title shows the file's name and a modified marker while the undo stack is not clean.

#include "autosave.h"
#include "io/sessionfile.h"

#include <QMainWindow>
#include <QStringList>

#include <functional>

class Autosave;
class DiagramWidget;
class DimensionsBar;
class MatrixView;
class PlaybackBar;
class QDockWidget;
class QLabel;
class QProgressBar;
class QAction;
class QMenu;
class QGridLayout;
class QLineEdit;
class QComboBox;
class QTabWidget;
class GradientView;
class LessonPanel;
class Session;
class SpectrumView;
class StepPanel;
class TrainingPanel;
class SummaryView;
class TimeSeriesChart;
class QTimer;
class QToolBar;
class WeightsPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    // `persistent`: the app itself — restores and saves settings and recent files, and asks with
    // dialogs (which layer of a model file, why a file was refused). Off for screenshots,
    // benchmarks and tests: no settings are touched and nothing modal opens.
    explicit MainWindow(Session *session, bool persistent = true, QWidget *parent = nullptr);
    ~MainWindow() override;

    Session *session() const { return m_session; }
    DimensionsBar *dimensionsBar() const { return m_dimensions; }
    PlaybackBar *playbackBar() const { return m_playback; }
    DiagramWidget *diagram() const { return m_diagram; }
    StepPanel *stepPanel() const { return m_step; }
    TimeSeriesChart *hiddenChart() const { return m_hiddenChart; }
    TimeSeriesChart *preChart() const { return m_preChart; }
    TimeSeriesChart *outputChart() const { return m_outputChart; }
    SummaryView *summaryView() const { return m_summary; }
    GradientView *gradientView() const { return m_gradientView; }
    SpectrumView *spectrumView() const { return m_spectrumView; }
    TrainingPanel *trainingPanel() const { return m_trainingPanel; }
    // Lessons: Help ▸ Lessons, File ▸ Open of a .lesson file, `rnnscope --lesson`. Opens a built-in
    // lesson by name or a lesson file in the Lesson dock; a refusal is in the status bar (and a
    // message box when persistent).
    bool openLesson(const QString &nameOrPath);
    LessonPanel *lessonPanel() const { return m_lesson; }
    // A view by the name lessons and `screenshot --view` use: the exportable views' keys, and
    // dimensions, playback, weights, training. nullptr when there is none.
    QWidget *viewByName(const QString &name) const;
    // View ▸ Weights as their gradient (Ctrl+G): the weight views show dL/dW.
    QAction *gradientAction() const { return m_gradientAction; }
    QList<MatrixView *> weightViews() const { return m_weightViews; }
    // The views that export themselves as figures: the view, the name its menus use ("step
    // panel") and the command line's (`screenshot --view step-panel`).
    struct ExportableView {
        QWidget *view;
        QString name;
        QString key;
    };
    QList<ExportableView> exportableViews() const { return m_exportableViews; }
    // Brings a view to the front (its tab, its dock); false when it cannot be shown.
    bool bringToFront(QWidget *view);
    MatrixView *inputView() const { return m_inputView; }
    // A network's Embedding table, beside X[n] in the input dock; hidden without an Embedding.
    MatrixView *embeddingView() const { return m_embeddingView; }
    MatrixView *hiddenMap() const { return m_hiddenMap; }
    // The status bar's progress of long work (label, bar, Cancel), visible while it runs.
    QWidget *progressWidget() const { return m_progress; }

    bool presentation() const { return m_presentation; }
    void setPresentation(bool on);
    // Font size steps (Ctrl+= / Ctrl+-): 0 is the desktop's size.
    void zoom(int steps);
    int zoomLevel() const { return m_zoom; }

    // The last message shown in the status bar (errors included).
    QString statusText() const;

    // Opens a session, weights or an input X (Session::openFile); on success the file heads the
    // recent files. A refusal is in the status bar (and, when persistent, in a message box).
    bool openFile(const QString &path);
    // Writes the session with this window's view choices; the file heads the recent files.
    bool saveSession(const QString &path);
    // The view choices a session file keeps: layout, plotted units (empty: the default), presentation.
    rnnscope::SessionView sessionView() const;

    // Most recent first, at most kMaxRecentFiles absolute paths.
    static constexpr int kMaxRecentFiles = 10;
    QStringList recentFiles() const { return m_recent; }
    QMenu *recentFilesMenu() const { return m_recentMenu; }
    void addRecentFile(const QString &path);
    void clearRecentFiles();

    // The copy of unsaved changes on disk (persistent windows only; nullptr otherwise).
    Autosave *autosave() const { return m_autosave; }
    // At start: offers to restore the newest session that a killed or crashed rnnscope left in the
    // autosave folder (Restore / Discard / Not now). Returns whether one was restored.
    bool offerRecovery();
    // Restores `orphan` (an autosaved copy), then removes it once this window's own copy is on
    // disk. A copy that does not read is kept aside as <id>.damaged and reported.
    bool recover(const Autosave::Orphan &orphan);
    // SIGTERM, SIGINT or SIGHUP (TerminationSignals): the window ends as at a close, without
    // asking — unsaved changes are written to the autosaved copy, which stays and is offered at
    // the next start; the settings are saved; then the application leaves its event loops.
    void endAtSignal();

protected:
    void resizeEvent(QResizeEvent *event) override;
    // With unsaved changes (persistent windows) asks first: Save, Discard or Cancel.
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void buildMenus();
    void buildProgress();
    void updateTitle();
    void applySessionView(const rnnscope::SessionView &view);
    void setRecentFiles(const QStringList &files);
    // Runs `open` (a Session file call) for `path` and reports: the recent files and the status
    // bar on success; a message box (when persistent) on a refusal.
    bool opened(const QString &path, const std::function<bool()> &open);
    void openDialog();
    void save();
    void saveAsDialog();
    void applyFont();
    void showError(const QString &message);
    void loadInputDialog();
    void saveWeightsDialog();
    void exportCodeDialog();
    void saveScreenshotDialog();
    void unitsEdited();
    void fillQuantities();   // the quantity chooser: what the cell records
    void updateQuantityTab();
    void updateMapTab(); // the heat map's tab names what it shows
    // How the window shares its room (mainwindowfit.cpp): after a resize, a change of font
    // (presentation, zoom) or of the model, once the events of the change are through.
    void scheduleFit();
    void fitWindow();
    // The diagram's height: a network's grid takes the rows its layers need.
    void fitDiagram();
    // After restoreState (a restart, leaving presentation mode): the bars' order and the Layers
    // bar are the window's own again, not those the saved state had.
    void afterStateRestored();
    void wrapToolBars();
    void fitDocks();
    void showWeightGradients(bool on);
    void restoreSettings();
    void saveSettings() const;
    // Asks what to do with unsaved changes before closing; true when the window may close.
    bool confirmClose();

    QList<QToolBar *> m_barOrder; // the order wrapToolBars last placed the top bars in
    int m_diagramRows = -1; // the grid rows fitDiagram last made room for (0: one layer)
    int m_diagramFitHeight = -1; // and the centre's height then
    int m_diagramFitSize = -1;   // and the diagram's height it gave (a drag of the user's differs)
    Session *m_session;
    bool m_persistent;
    Autosave *m_autosave = nullptr;
    QWidget *m_progress = nullptr; // the status bar's progress of long work
    QLabel *m_progressLabel = nullptr;
    QProgressBar *m_progressBar = nullptr;
    QAction *m_cancelAction = nullptr;
    QAction *m_undoAction = nullptr;
    QAction *m_redoAction = nullptr;
    bool m_presentation = false;
    int m_zoom = 0;
    qreal m_baseFontSize = 0;
    DimensionsBar *m_dimensions = nullptr;
    PlaybackBar *m_playback = nullptr;
    DiagramWidget *m_diagram = nullptr;
    StepPanel *m_step = nullptr;
    TimeSeriesChart *m_hiddenChart = nullptr;
    TimeSeriesChart *m_preChart = nullptr;
    QComboBox *m_quantity = nullptr;
    QList<ExportableView> m_exportableViews;
    TimeSeriesChart *m_outputChart = nullptr;
    GradientView *m_gradientView = nullptr;
    SpectrumView *m_spectrumView = nullptr;
    TrainingPanel *m_trainingPanel = nullptr;
    LessonPanel *m_lesson = nullptr;
    QDockWidget *m_lessonDock = nullptr;
    QTabWidget *m_chartTabs = nullptr;
    QLineEdit *m_units = nullptr;
    SummaryView *m_summary = nullptr;
    QList<MatrixView *> m_weightViews;
    MatrixView *m_inputView = nullptr;
    MatrixView *m_embeddingView = nullptr;
    MatrixView *m_hiddenMap = nullptr;
    QComboBox *m_mapQuantity = nullptr; // what the heat map of all units shows
    QAction *m_presentationAction = nullptr;
    QAction *m_gradientAction = nullptr; // View ▸ Weights as their gradient
    QMenu *m_recentMenu = nullptr;
    QStringList m_recent;
    QString m_lastError;  // the last refusal shown, for a message box
    QString m_lastNotice; // the last notice shown, kept with "Opened …"
    WeightsPanel *m_weights = nullptr;
    QToolBar *m_randomizeBar = nullptr; // ⟳ weights, ⟳ input
    QList<QToolBar *> m_topBars;        // the model's toolbars, wrapped to the window's width
    QTimer *m_fitTimer = nullptr;
    // Where the input dock went: under the weights (the summary beside it), beside them (the
    // summary a tab of it), or the three docks as tabs of one.
    enum class Arrangement { Below, Beside, Tabs };
    Arrangement m_dockArrangement = Arrangement::Below;
    QDockWidget *m_weightsDock = nullptr;
    QDockWidget *m_inputDock = nullptr;
    QDockWidget *m_summaryDock = nullptr;
    QByteArray m_statePresentation; // the dock arrangement before presentation mode
};
