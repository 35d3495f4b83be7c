#pragma once
// PlaybackBar — ⏮ ◀ ▶ ⏯, the speed, the timestep slider "t = 3 / 9" and the sample selector.
// Playing steps forward on a timer and stops at the end.

#include <QToolBar>

class QAction;
class QLabel;
class QSlider;
class QSpinBox;
class QTimer;
class Session;

class PlaybackBar : public QToolBar {
    Q_OBJECT

public:
    explicit PlaybackBar(Session *session, QWidget *parent = nullptr);

    QAction *resetAction() const { return m_reset; }
    QAction *backAction() const { return m_back; }
    QAction *forwardAction() const { return m_forward; }
    QAction *playAction() const { return m_play; }
    QAction *endAction() const { return m_end; }
    QSlider *timestepSlider() const { return m_slider; }
    QSpinBox *sampleBox() const { return m_sample; }
    QString positionText() const;
    bool isPlaying() const;

    // Steps per second while playing (1 … 30; kDefaultSpeed at start); an exported animation
    // shows its frames at this rate.
    static constexpr int kDefaultSpeed = 4;
    void setSpeed(int stepsPerSecond);
    int speed() const;

private:
    void sync();
    void togglePlay(bool on);
    void tick();

    Session *m_session;
    QAction *m_reset, *m_back, *m_forward, *m_play, *m_end;
    QSlider *m_speed;
    QSlider *m_slider;
    QLabel *m_label;
    QSpinBox *m_sample;
    QTimer *m_timer;
};
