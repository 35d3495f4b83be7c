#include "playbackbar.h"

#include "session.h"

#include <QAction>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QTimer>

PlaybackBar::PlaybackBar(Session *session, QWidget *parent)
    : QToolBar(tr("Playback"), parent)
    , m_session(session)
    , m_speed(new QSlider(Qt::Horizontal, this))
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_label(new QLabel(this))
    , m_sample(new QSpinBox(this))
    , m_timer(new QTimer(this))
{
    setObjectName(QStringLiteral("playbackBar"));
    const auto icon = [this](QStyle::StandardPixmap p) { return style()->standardIcon(p); };
    m_reset = addAction(icon(QStyle::SP_MediaSkipBackward), tr("Reset"), session, &Session::reset);
    m_reset->setShortcut(Qt::Key_Home);
    m_reset->setToolTip(tr("Back before the first step: h_-1 = 0 (Home)"));
    m_back = addAction(icon(QStyle::SP_MediaSeekBackward), tr("Step back"), session, &Session::stepBack);
    m_back->setShortcut(Qt::Key_Left);
    m_back->setToolTip(tr("Step back (Left)"));
    m_play = addAction(icon(QStyle::SP_MediaPlay), tr("Play"));
    m_play->setCheckable(true);
    m_play->setShortcut(Qt::Key_Space);
    m_play->setToolTip(tr("Play / pause (Space)"));
    connect(m_play, &QAction::toggled, this, &PlaybackBar::togglePlay);
    m_forward = addAction(icon(QStyle::SP_MediaSeekForward), tr("Step forward"), session, &Session::stepForward);
    m_forward->setShortcut(Qt::Key_Right);
    m_forward->setToolTip(tr("Step forward (Right)"));
    m_end = addAction(icon(QStyle::SP_MediaSkipForward), tr("Last step"), this,
                      [this] { m_session->seek(m_session->dims().T - 1); });
    m_end->setShortcut(Qt::Key_End);
    m_end->setToolTip(tr("Go to the last step (End)"));
    for (QAction *a : {m_reset, m_back, m_play, m_forward, m_end})
        a->setShortcutContext(Qt::WindowShortcut);

    addWidget(new QLabel(tr("  speed "), this));
    m_speed->setRange(1, 30);
    m_speed->setValue(kDefaultSpeed);
    m_speed->setMaximumWidth(120);
    m_speed->setToolTip(tr("Steps per second while playing"));
    addWidget(m_speed);
    connect(m_speed, &QSlider::valueChanged, this, [this](int v) { m_timer->setInterval(1000 / v); });
    m_timer->setInterval(1000 / m_speed->value());
    connect(m_timer, &QTimer::timeout, this, &PlaybackBar::tick);

    addWidget(new QLabel(tr("   t "), this));
    m_slider->setMinimum(-1);
    m_slider->setPageStep(1);
    m_slider->setToolTip(tr("The timestep on show (−1: before the first step)"));
    m_slider->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    m_slider->setFocusPolicy(Qt::NoFocus); // Left and Right stay the stepping keys
    addWidget(m_slider);
    connect(m_slider, &QSlider::valueChanged, session, &Session::seek);
    // A fixed width: a new text then repaints the label only, without laying out the toolbar again.
    m_label->setFixedWidth(m_label->fontMetrics().horizontalAdvance(QStringLiteral(" t = 0000000 / 0000000 ")));
    addWidget(m_label);

    addWidget(new QLabel(tr("   sample n "), this));
    m_sample->setToolTip(tr("The sample of the batch whose numbers the views show"));
    addWidget(m_sample);
    connect(m_sample, &QSpinBox::valueChanged, session, &Session::setSample);

    connect(session, &Session::stepChanged, this, &PlaybackBar::sync);
    connect(session, &Session::structureChanged, this, &PlaybackBar::sync);
    connect(session, &Session::sampleChanged, this, &PlaybackBar::sync);
    sync();
}

QString PlaybackBar::positionText() const
{
    return m_label->text();
}

bool PlaybackBar::isPlaying() const
{
    return m_timer->isActive();
}

void PlaybackBar::setSpeed(int stepsPerSecond)
{
    m_speed->setValue(stepsPerSecond);
}

int PlaybackBar::speed() const
{
    return m_speed->value();
}

void PlaybackBar::sync()
{
    const int T = m_session->dims().T, t = m_session->position();
    {
        const QSignalBlocker b(m_slider);
        m_slider->setMaximum(T - 1);
        m_slider->setValue(t);
    }
    m_label->setText(t < 0 ? tr(" t = – / %1 ").arg(T - 1) : tr(" t = %1 / %2 ").arg(t).arg(T - 1));
    // Only what changed: every step comes through here, and a touched spin box repaints.
    if (m_sample->maximum() != m_session->dims().N - 1 || m_sample->value() != m_session->sample()) {
        const QSignalBlocker b(m_sample);
        m_sample->setRange(0, m_session->dims().N - 1);
        m_sample->setValue(m_session->sample());
        m_sample->setEnabled(m_session->dims().N > 1);
    }
    m_back->setEnabled(t >= 0);
    m_reset->setEnabled(t >= 0);
    m_forward->setEnabled(t < T - 1);
    m_end->setEnabled(t < T - 1);
}

void PlaybackBar::togglePlay(bool on)
{
    m_play->setIcon(style()->standardIcon(on ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_play->setText(on ? tr("Pause") : tr("Play"));
    if (!on) {
        m_timer->stop();
        return;
    }
    if (m_session->position() >= m_session->dims().T - 1)
        m_session->reset(); // play again from the start
    m_timer->start();
}

void PlaybackBar::tick()
{
    if (m_session->position() >= m_session->dims().T - 1) {
        m_play->setChecked(false);
        return;
    }
    m_session->stepForward();
}
