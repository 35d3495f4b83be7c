#pragma once
// LessonPanel — a lesson on screen (DESIGN §4 Lessons): the lesson's title, the step's title and
// text with its live values filled in, its question (a line to answer and Check; Show answer for
// the teacher), Back and Next. A step sets its model, goes to its timestep and points at its view
// (LessonOverlay dims the rest) when it is shown; the window stays fully usable meanwhile, and the
// text follows the model (step through time and the values change). Next waits for a question's
// right answer. Alt+→ / Alt+← and Page Down / Page Up (a presenter's clicker) move between steps.
//
// A step that names a view or a value that does not exist says so in the panel, and the lesson goes
// on; a malformed lesson file is refused whole with its line (rnnscope::parseLesson).

#include "io/lessonfile.h"

#include <QStringList>
#include <QWidget>

#include <functional>

class LessonOverlay;
class QLabel;
class QLineEdit;
class QPushButton;
class Session;

class LessonPanel : public QWidget {
    Q_OBJECT

public:
    // `viewByName` finds a view of the window by the name a lesson's @point gives.
    LessonPanel(Session *session, QWidget *window, std::function<QWidget *(const QString &)> viewByName, QWidget *parent = nullptr);

    // The lessons built into rnnscope (resources/lessons): their names and titles.
    struct BuiltIn {
        QString name;  // "rnn-shapes"
        QString title; // "RNN shapes: N, T, D, M, K"
    };
    static QList<BuiltIn> builtInLessons();
    // Opens a built-in lesson by its name, or a lesson file; shows its first step. False (and
    // `error` says why: the file, the line, the problem) when refused; the lesson on show stays.
    bool open(const QString &nameOrPath, QString *error = nullptr);
    void close();
    bool isOpen() const { return !m_lesson.steps.empty(); }
    const rnnscope::Lesson &lesson() const { return m_lesson; }

    int stepIndex() const { return m_index; }
    int stepCount() const { return int(m_lesson.steps.size()); }
    // Shows step i (0-based): its model, timestep and view, then its text.
    void showStep(int i);
    bool next(); // false at the end, or while the question waits for its answer
    bool back();
    // The step's text as shown (values filled in), and what it could not show ("the view 'foo'
    // does not exist", "no value {bar}").
    QString stepText() const { return m_text; }
    QStringList problems() const;
    // The question: whether it is answered (or there is none), and checking an answer.
    bool answered() const { return m_answered; }
    bool answer(const QString &given);
    QString feedback() const;
    // The answer the model gives now (values filled in).
    QString expectedAnswer() const;
    LessonOverlay *overlay() const { return m_overlay; }

signals:
    void stepShown(int index);
    void lessonClosed();

protected:
    // The window is dimmed only while the lesson is on show (its dock closed: undimmed).
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void refreshText();
    void updateButtons();
    static QString html(const QString &text);

    Session *m_session;
    std::function<QWidget *(const QString &)> m_viewByName;
    LessonOverlay *m_overlay;
    rnnscope::Lesson m_lesson;
    int m_index = -1;
    bool m_answered = true;
    bool m_showing = false; // a step is being set up: its own changes do not refresh the text
    QString m_text;
    QStringList m_problems;     // of setting the step up (its model, timestep, view)
    QStringList m_unknownShown; // values the text names that the model has not
    QLabel *m_title, *m_stepTitle, *m_body, *m_feedback, *m_problemLabel;
    QWidget *m_questionRow;
    QLineEdit *m_answer;
    QPushButton *m_check, *m_reveal, *m_back, *m_next, *m_close;
};
