#pragma once
// MainWindow — the rnnscope window (DESIGN §4): the dimensions bar on top, the unrolled diagram,
// the step panel and the live charts in the middle, the weight, input and summary docks on the
// right, playback at the bottom. Presentation mode enlarges fonts and lines for projectors;
// geometry, dock layout and view choices persist in QSettings.

#include <QMainWindow>

class DiagramWidget;
class DimensionsBar;
class MatrixView;
class PlaybackBar;
class QDockWidget;
class QGridLayout;
class QLineEdit;
class QTabWidget;
class Session;
class StepPanel;
class SummaryView;
class TimeSeriesChart;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    // `persistent`: restore and save settings (off for screenshots, benchmarks and tests).
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
    QList<MatrixView *> weightViews() const { return m_weightViews; }
    MatrixView *inputView() const { return m_inputView; }
    MatrixView *hiddenMap() const { return m_hiddenMap; }

    bool presentation() const { return m_presentation; }
    void setPresentation(bool on);
    // Font size steps (Ctrl+= / Ctrl+-): 0 is the desktop's size.
    void zoom(int steps);
    int zoomLevel() const { return m_zoom; }

    // The last message shown in the status bar (errors included).
    QString statusText() const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildMenus();
    void applyFont();
    void showError(const QString &message);
    void openWeightsDialog();
    void loadInputDialog();
    void saveWeightsDialog();
    void saveScreenshotDialog();
    void unitsEdited();
    void updateWeightStretch();
    void restoreSettings();
    void saveSettings() const;

    Session *m_session;
    bool m_persistent;
    bool m_presentation = false;
    int m_zoom = 0;
    qreal m_baseFontSize = 0;
    DimensionsBar *m_dimensions = nullptr;
    PlaybackBar *m_playback = nullptr;
    DiagramWidget *m_diagram = nullptr;
    StepPanel *m_step = nullptr;
    TimeSeriesChart *m_hiddenChart = nullptr;
    TimeSeriesChart *m_preChart = nullptr;
    TimeSeriesChart *m_outputChart = nullptr;
    QTabWidget *m_chartTabs = nullptr;
    QLineEdit *m_units = nullptr;
    SummaryView *m_summary = nullptr;
    QList<MatrixView *> m_weightViews;
    MatrixView *m_inputView = nullptr;
    MatrixView *m_hiddenMap = nullptr;
    QAction *m_presentationAction = nullptr;
    QGridLayout *m_weightGrid = nullptr;
    QDockWidget *m_weightsDock = nullptr;
    QDockWidget *m_inputDock = nullptr;
    QDockWidget *m_summaryDock = nullptr;
    QByteArray m_statePresentation; // the dock arrangement before presentation mode
};
