#pragma once
// TrainingPanel — training you can watch (DESIGN §4 Training): the task, the loss, the optimizer,
// its learning rate, the batch size, the steps of a run and gradient clipping; Train / Pause, one
// Step, Reset; the loss curves (each step's batch loss and the held-out loss, log scale). The run
// itself is a TrainingController's; the rest of the window follows the weights as they learn.

#include "trainingcontroller.h"

#include <QWidget>

class LogChart;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class Session;

class TrainingPanel : public QWidget {
    Q_OBJECT

public:
    explicit TrainingPanel(Session *session, QWidget *parent = nullptr);

    TrainingController *controller() const { return m_controller; }
    LogChart *chart() const { return m_chart; }
    // The settings as the controls show them.
    TrainingController::Plan plan() const;
    // Sets the controls (tests, screenshots): a task (nullopt: your data), the optimizer, … .
    void setPlan(std::optional<rnnscope::TaskKind> task, rnnscope::OptimizerKind optimizer, double lr, int batch, long long steps,
                 double globalClipnorm);
    QPushButton *trainButton() const { return m_train; }
    QPushButton *stepButton() const { return m_step; }
    QPushButton *resetButton() const { return m_reset; }
    // Your data: chooses it in the task list and loads its targets (false: refused, the reason in
    // the status bar).
    bool useData(const QString &targetsPath, bool shuffle = true, double validationSplit = 0);
    QString statusText() const;
    void restyle();

protected:
    void changeEvent(QEvent *event) override; // a new font (presentation, zoom): the controls' width

private:
    void fitControls();
    void updateButtons();
    void updateCurves();
    void optimizerChosen();

    Session *m_session;
    TrainingController *m_controller;
    void taskChosen();

    QComboBox *m_task, *m_loss, *m_optimizer;
    QDoubleSpinBox *m_lr, *m_clip, *m_holdOut;
    QPushButton *m_targets;
    class QCheckBox *m_shuffle;
    class QFormLayout *m_form;
    QSpinBox *m_batch, *m_steps;
    QPushButton *m_train, *m_step, *m_reset;
    QLabel *m_status, *m_taskText;
    LogChart *m_chart;
    QWidget *m_controls;
    class QScrollArea *m_controlsScroll;
};
