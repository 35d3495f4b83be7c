#include "trainingpanel.h"

#include "logchart.h"
#include "palette.h"
#include "session.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QEvent>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QVBoxLayout>

using namespace rnnscope;

TrainingPanel::TrainingPanel(Session *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_controller(new TrainingController(session, this))
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    // The controls scroll when the tab is short (presentation mode on a 768-line projector).
    auto *controls = m_controls = new QWidget;
    auto *left = new QVBoxLayout(controls);
    left->setContentsMargins(0, 0, 0, 0);
    auto *form = m_form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    form->setVerticalSpacing(2);
    m_task = new QComboBox(this);
    m_task->setObjectName(QStringLiteral("trainingTask"));
    for (TaskKind k : allTasks())
        m_task->addItem(QString::fromLatin1(taskName(k)), int(k));
    m_task->addItem(tr("your data"), -1); // the X on show and targets Y from a file
    m_task->setItemData(m_task->count() - 1, tr("The X on show, and targets Y loaded from a .npy file"), Qt::ToolTipRole);
    m_task->setCurrentIndex(m_task->findData(int(TaskKind::Adding)));
    form->addRow(tr("&Task:"), m_task);
    m_targets = new QPushButton(tr("Targets…"), this);
    m_targets->setToolTip(tr("Load the targets Y of the X on show (.npy: the output's shape, or class ids)"));
    form->addRow(tr("Y:"), m_targets);
    m_shuffle = new QCheckBox(tr("shuffle"), this);
    m_shuffle->setChecked(true);
    m_shuffle->setToolTip(tr("A new order of the samples every epoch (seeded)"));
    m_holdOut = new QDoubleSpinBox(this);
    m_holdOut->setRange(0, 0.9);
    m_holdOut->setSingleStep(0.1);
    m_holdOut->setDecimals(2);
    m_holdOut->setToolTip(tr("The last fraction of the samples held out for the held-out loss (Keras's validation_split)"));
    auto *dataRow = new QHBoxLayout;
    dataRow->addWidget(m_shuffle);
    dataRow->addWidget(new QLabel(tr("held out:"), this));
    dataRow->addWidget(m_holdOut);
    form->addRow(QString(), dataRow);
    m_loss = new QComboBox(this);
    for (const LossSpec &l : lossSpecs())
        m_loss->addItem(QString::fromLatin1(l.name), int(l.id));
    // "sparse_categorical_crossentropy" in full only in the list: the box keeps the panel narrow.
    m_loss->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_loss->setMinimumContentsLength(12);
    form->addRow(tr("&Loss:"), m_loss);
    m_optimizer = new QComboBox(this);
    for (OptimizerKind k : {OptimizerKind::Adam, OptimizerKind::SGD, OptimizerKind::RMSprop})
        m_optimizer->addItem(QString::fromLatin1(optimizerName(k)), int(k));
    form->addRow(tr("&Optimizer:"), m_optimizer);
    m_lr = new QDoubleSpinBox(this);
    m_lr->setDecimals(4);
    m_lr->setRange(0.0001, 10);
    m_lr->setSingleStep(0.001);
    m_lr->setValue(0.01);
    m_lr->setToolTip(tr("The learning rate"));
    form->addRow(tr("&Rate:"), m_lr);
    m_batch = new QSpinBox(this);
    m_batch->setRange(1, 4096);
    m_batch->setValue(64);
    m_batch->setToolTip(tr("Samples of the task drawn for each step"));
    form->addRow(tr("&Batch:"), m_batch);
    m_steps = new QSpinBox(this);
    m_steps->setRange(1, 1000000);
    m_steps->setValue(300);
    m_steps->setToolTip(tr("Steps of one run of Train (each step draws a fresh batch of the task)"));
    form->addRow(tr("&Steps:"), m_steps);
    m_clip = new QDoubleSpinBox(this);
    m_clip->setDecimals(2);
    m_clip->setRange(0, 1000);
    m_clip->setValue(1);
    m_clip->setSpecialValueText(tr("off"));
    m_clip->setToolTip(tr("Clip all gradients together to this norm (Keras's global_clipnorm); 0: off"));
    form->addRow(tr("&Clip:"), m_clip);
    left->addLayout(form);
    auto *buttons = new QHBoxLayout;
    m_train = new QPushButton(tr("Train"), this);
    m_train->setObjectName(QStringLiteral("trainButton"));
    m_step = new QPushButton(tr("Step"), this);
    m_step->setToolTip(tr("One training step: one batch, its gradients, one update"));
    m_reset = new QPushButton(tr("Reset"), this);
    m_reset->setToolTip(tr("New random weights, and the curves and the optimizer's state forgotten"));
    buttons->addWidget(m_train);
    buttons->addWidget(m_step);
    buttons->addWidget(m_reset);
    left->addLayout(buttons);
    m_taskText = new QLabel(this);
    m_taskText->setWordWrap(true);
    left->addWidget(m_taskText);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    left->addWidget(m_status);
    left->addStretch();
    auto *scroll = m_controlsScroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("trainingControls"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(controls);
    fitControls();
    layout->addWidget(scroll);
    m_chart = new LogChart(tr("step"), tr("loss"), this);
    m_chart->setTitle(tr("Loss"));
    const ViewPalette &pal = ViewPalette::current();
    m_chart->addSeries(tr("batch"), pal.seriesColor(0));
    m_chart->addSeries(tr("held-out"), pal.seriesColor(1));
    layout->addWidget(m_chart, 1);

    taskChosen();
    connect(m_task, &QComboBox::currentIndexChanged, this, &TrainingPanel::taskChosen);
    connect(m_loss, &QComboBox::currentIndexChanged, this, [this] {
        if (m_task->currentData().toInt() < 0) // your data: the gradient views use this loss too
            m_session->setTargetsLoss(static_cast<Loss>(m_loss->currentData().toInt()));
    });
    connect(m_targets, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Targets Y of the X on show"), QString(), tr("NumPy arrays (*.npy)"));
        if (!path.isEmpty())
            useData(path, m_shuffle->isChecked(), m_holdOut->value());
    });
    connect(m_session, &Session::targetsChanged, this, &TrainingPanel::taskChosen);
    connect(m_session, &Session::inputChanged, this, &TrainingPanel::taskChosen);
    connect(m_optimizer, &QComboBox::currentIndexChanged, this, &TrainingPanel::optimizerChosen);
    connect(m_train, &QPushButton::clicked, this, [this] {
        if (m_controller->running())
            m_controller->pause();
        else
            m_controller->train(plan());
    });
    connect(m_step, &QPushButton::clicked, this, [this] {
        if (m_controller->train(plan(), 1))
            m_controller->finish();
    });
    connect(m_reset, &QPushButton::clicked, this, [this] {
        m_controller->resetHistory();
        m_session->randomizeWeights();
    });
    connect(m_controller, &TrainingController::progressed, this, &TrainingPanel::updateCurves);
    connect(m_controller, &TrainingController::runningChanged, this, &TrainingPanel::updateButtons);
    connect(m_controller, &TrainingController::message, this, [this](const QString &text, bool error) {
        m_status->setText(error ? QStringLiteral("<b>%1</b>").arg(text.toHtmlEscaped()) : text.toHtmlEscaped());
    });
    updateButtons();
}

void TrainingPanel::taskChosen()
{
    const int task = m_task->currentData().toInt();
    const bool data = task < 0;
    m_form->setRowVisible(1, data); // Y: Targets…
    m_form->setRowVisible(2, data); // shuffle, held out
    if (data) {
        const Dims &d = m_session->dims();
        m_taskText->setText(m_session->targets()
                                ? tr("X (%1, %2, %3) on show, targets %4").arg(d.N).arg(d.T).arg(d.D).arg(m_session->targetsName())
                                : tr("X (%1, %2, %3) on show: load its targets Y").arg(d.N).arg(d.T).arg(d.D));
        return;
    }
    const TaskShape s = taskShape(static_cast<TaskKind>(task));
    {
        const QSignalBlocker block(m_loss);
        m_loss->setCurrentIndex(m_loss->findData(int(s.loss))); // the task's own loss (another may be chosen)
    }
    m_taskText->setText(tr("%1 — D=%2, K=%3%4").arg(QString::fromStdString(s.description)).arg(s.D).arg(s.K).arg(
        s.returnSequences ? tr(", every step") : tr(", at the end")));
}

bool TrainingPanel::useData(const QString &targetsPath, bool shuffle, double validationSplit)
{
    m_task->setCurrentIndex(m_task->findData(-1));
    m_shuffle->setChecked(shuffle);
    m_holdOut->setValue(validationSplit);
    if (!m_session->loadTargets(targetsPath))
        return false;
    if (m_session->targets()->shape.size() < (m_session->config().returnSequences ? 3u : 2u)) // class ids
        m_loss->setCurrentIndex(m_loss->findData(int(Loss::SparseCategoricalCrossentropy)));
    else if (m_loss->currentData().toInt() == int(Loss::SparseCategoricalCrossentropy))
        m_loss->setCurrentIndex(m_loss->findData(int(Loss::MSE)));
    m_session->setTargetsLoss(static_cast<Loss>(m_loss->currentData().toInt()));
    taskChosen();
    return true;
}

void TrainingPanel::fitControls()
{
    m_controlsScroll->setMinimumWidth(m_controls->minimumSizeHint().width() + m_controlsScroll->verticalScrollBar()->sizeHint().width());
}

void TrainingPanel::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange)
        fitControls();
}

void TrainingPanel::optimizerChosen()
{
    // Keras's defaults: SGD 0.01, Adam and RMSprop 0.001 (the panel starts Adam at 0.01, which
    // learns the toy tasks in seconds).
    const auto k = static_cast<OptimizerKind>(m_optimizer->currentData().toInt());
    OptimizerSpec o;
    o.kind = k;
    m_lr->setValue(k == OptimizerKind::SGD ? 0.1 : o.lr() * 10);
}

TrainingController::Plan TrainingPanel::plan() const
{
    TrainingController::Plan p;
    p.data = m_task->currentData().toInt() < 0;
    p.task = p.data ? TaskKind::Sine : static_cast<TaskKind>(m_task->currentData().toInt());
    p.spec.shuffle = p.data && m_shuffle->isChecked();
    p.spec.validationSplit = p.data ? m_holdOut->value() : 0;
    p.spec.loss = static_cast<Loss>(m_loss->currentData().toInt());
    p.spec.optimizer.kind = static_cast<OptimizerKind>(m_optimizer->currentData().toInt());
    p.spec.optimizer.learningRate = m_lr->value();
    if (m_clip->value() > 0)
        p.spec.optimizer.globalClipnorm = m_clip->value();
    p.spec.batchSize = m_batch->value();
    p.steps = m_steps->value();
    return p;
}

void TrainingPanel::setPlan(std::optional<TaskKind> task, OptimizerKind optimizer, double lr, int batch, long long steps,
                            double globalClipnorm)
{
    m_task->setCurrentIndex(m_task->findData(task ? int(*task) : -1));
    m_optimizer->setCurrentIndex(m_optimizer->findData(int(optimizer)));
    m_lr->setValue(lr);
    m_batch->setValue(batch);
    m_steps->setValue(int(steps));
    m_clip->setValue(globalClipnorm);
}

QString TrainingPanel::statusText() const
{
    return m_status->text();
}

void TrainingPanel::updateButtons()
{
    const bool running = m_controller->running();
    m_train->setText(running ? tr("Pause") : tr("Train"));
    m_step->setEnabled(!running);
    for (QWidget *w : std::initializer_list<QWidget *>{m_task, m_loss, m_optimizer, m_lr, m_batch, m_steps, m_clip, m_targets, m_shuffle, m_holdOut})
        w->setEnabled(!running);
    if (running)
        m_status->setText(tr("Training…"));
}

void TrainingPanel::updateCurves()
{
    m_chart->setPoints(0, m_controller->trainLosses());
    m_chart->setPoints(1, m_controller->validationLosses());
    if (m_controller->running() && !m_controller->trainLosses().isEmpty()) {
        const QPointF last = m_controller->trainLosses().last();
        m_status->setText(tr("Training… step %1, loss %2%3")
                              .arg(qlonglong(last.x()))
                              .arg(last.y(), 0, 'g', 4)
                              .arg(m_controller->validationLosses().isEmpty()
                                       ? QString()
                                       : tr(", held-out %1").arg(m_controller->validationLosses().last().y(), 0, 'g', 4)));
    }
}

void TrainingPanel::restyle()
{
    m_chart->restyle();
}
