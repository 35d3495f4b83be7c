#include "lessonpanel.h"

#include "lessonoverlay.h"
#include "session.h"

#include "common/error.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QShortcut>
#include <QVBoxLayout>

using namespace rnnscope;

namespace {

const QString kResourceDir = QStringLiteral(":/lessons/");

} // namespace

LessonPanel::LessonPanel(Session *session, QWidget *window, std::function<QWidget *(const QString &)> viewByName, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_viewByName(std::move(viewByName))
    , m_overlay(new LessonOverlay(window))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    m_title = new QLabel(this);
    m_title->setWordWrap(true);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_stepTitle = new QLabel(this);
    m_stepTitle->setWordWrap(true);
    m_stepTitle->setObjectName(QStringLiteral("lessonStepTitle"));
    m_body = new QLabel;
    m_body->setObjectName(QStringLiteral("lessonText"));
    m_body->setWordWrap(true);
    m_body->setTextFormat(Qt::RichText);
    m_body->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_body->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(m_body);
    m_problemLabel = new QLabel(this);
    m_problemLabel->setWordWrap(true);
    m_problemLabel->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_questionRow = new QWidget(this);
    auto *q = new QHBoxLayout(m_questionRow);
    q->setContentsMargins(0, 0, 0, 0);
    m_answer = new QLineEdit(m_questionRow);
    m_answer->setObjectName(QStringLiteral("lessonAnswer"));
    m_answer->setPlaceholderText(tr("your answer"));
    m_check = new QPushButton(tr("Check"), m_questionRow);
    m_reveal = new QPushButton(tr("Show answer"), m_questionRow);
    m_reveal->setToolTip(tr("Shows the answer and lets the lesson go on"));
    q->addWidget(m_answer, 1);
    q->addWidget(m_check);
    q->addWidget(m_reveal);
    m_feedback = new QLabel(this);
    m_feedback->setWordWrap(true);
    auto *nav = new QHBoxLayout;
    m_back = new QPushButton(tr("← Back"), this);
    m_next = new QPushButton(tr("Next →"), this);
    m_close = new QPushButton(tr("End lesson"), this);
    m_back->setToolTip(tr("The step before (Alt+←, Page Up)"));
    m_next->setToolTip(tr("The next step (Alt+→, Page Down)"));
    nav->addWidget(m_back);
    nav->addWidget(m_next);
    nav->addStretch();
    nav->addWidget(m_close);
    layout->addWidget(m_title);
    layout->addWidget(m_stepTitle);
    layout->addWidget(scroll, 1);
    layout->addWidget(m_problemLabel);
    layout->addWidget(m_questionRow);
    layout->addWidget(m_feedback);
    layout->addLayout(nav);

    connect(m_check, &QPushButton::clicked, this, [this] { answer(m_answer->text()); });
    connect(m_answer, &QLineEdit::returnPressed, this, [this] { answer(m_answer->text()); });
    connect(m_reveal, &QPushButton::clicked, this, [this] {
        m_answered = true;
        m_feedback->setText(tr("The answer: %1").arg(expectedAnswer()));
        updateButtons();
    });
    connect(m_back, &QPushButton::clicked, this, &LessonPanel::back);
    connect(m_next, &QPushButton::clicked, this, &LessonPanel::next);
    connect(m_close, &QPushButton::clicked, this, &LessonPanel::close);
    for (const QKeySequence &k : {QKeySequence(Qt::ALT | Qt::Key_Right), QKeySequence(Qt::Key_PageDown)})
        connect(new QShortcut(k, window, nullptr, nullptr, Qt::WindowShortcut), &QShortcut::activated, this, [this] {
            if (isOpen())
                next();
        });
    for (const QKeySequence &k : {QKeySequence(Qt::ALT | Qt::Key_Left), QKeySequence(Qt::Key_PageUp)})
        connect(new QShortcut(k, window, nullptr, nullptr, Qt::WindowShortcut), &QShortcut::activated, this, [this] {
            if (isOpen())
                back();
        });
    // Live values: the text follows the model, the timestep and the sample.
    for (auto signal : {&Session::structureChanged, &Session::weightsChanged, &Session::inputChanged})
        connect(session, signal, this, &LessonPanel::refreshText);
    connect(session, &Session::stepChanged, this, &LessonPanel::refreshText);
    connect(session, &Session::sampleChanged, this, &LessonPanel::refreshText);
    updateButtons();
}

QList<LessonPanel::BuiltIn> LessonPanel::builtInLessons()
{
    // In the order a course meets them.
    const QStringList order = {QStringLiteral("rnn-shapes"), QStringLiteral("timesteps-vs-features"), QStringLiteral("inside-lstm"),
                               QStringLiteral("stacking-return-sequences"), QStringLiteral("gru-reset-after"),
                               QStringLiteral("vanishing-gradients")};
    QList<BuiltIn> out;
    for (const QString &name : order) {
        QFile f(kResourceDir + name + QStringLiteral(".lesson"));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QString first = QString::fromUtf8(f.readLine()).trimmed();
        out.append({name, first.startsWith(QLatin1String("# ")) ? first.mid(2) : name});
    }
    return out;
}

bool LessonPanel::open(const QString &nameOrPath, QString *error)
{
    const QString resource = kResourceDir + nameOrPath + QStringLiteral(".lesson");
    const bool builtIn = !nameOrPath.contains(QLatin1Char('/')) && !nameOrPath.endsWith(QLatin1String(".lesson")) && QFile::exists(resource);
    try {
        Lesson lesson;
        if (builtIn) {
            QFile f(resource);
            f.open(QIODevice::ReadOnly);
            lesson = parseLesson(f.readAll().toStdString(), nameOrPath.toStdString() + ".lesson");
        } else {
            if (!QFileInfo(nameOrPath).isFile()) {
                QStringList names;
                for (const BuiltIn &b : builtInLessons())
                    names << b.name;
                throw Error(ErrorKind::Io, "no lesson '" + nameOrPath.toStdString() + "': expected a lesson file or one of "
                                               + names.join(QStringLiteral(", ")).toStdString());
            }
            lesson = readLesson(QFileInfo(nameOrPath).absoluteFilePath().toStdString());
        }
        m_lesson = std::move(lesson);
    } catch (const Error &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
    m_title->setText(QString::fromStdString(m_lesson.title));
    m_title->setToolTip(QString::fromStdString(m_lesson.intro));
    showStep(0);
    return true;
}

void LessonPanel::close()
{
    m_lesson = Lesson();
    m_index = -1;
    m_overlay->setTarget(nullptr);
    emit lessonClosed();
}

void LessonPanel::showStep(int i)
{
    if (i < 0 || i >= stepCount())
        return;
    m_index = i;
    const LessonStep &s = m_lesson.steps[std::size_t(i)];
    m_problems.clear();
    m_showing = true;
    if (!s.model.empty()) {
        try {
            const QString what = tr("Lesson: %1").arg(QString::fromStdString(s.title));
            bool shown = false;
            if (const std::optional<NetworkRequest> network = lessonNetworkRequest(m_lesson, s))
                shown = m_session->showLessonNetwork(*network, lessonLayer(m_lesson, s), what);
            else
                shown = m_session->showLessonModel(lessonModelRequest(m_lesson, s), lessonTask(m_lesson, s), what);
            if (!shown)
                m_problems << tr("line %1: the step's model was refused (the status bar says why)").arg(s.modelLine);
        } catch (const Error &e) {
            m_problems << QString::fromStdString(e.what());
        }
    }
    if (s.breakLayer > 0) {
        // Layer l stops returning sequences under the layer above it: the stack Keras refuses.
        const int L = m_session->networkConfig().layerCount();
        if (s.breakLayer >= L)
            m_problems << tr("line %1: @break %2, but the network has no layer above layer %2 (it has %3)")
                              .arg(s.breakLine).arg(s.breakLayer).arg(L);
        else
            m_session->setLayerReturnSequences(s.breakLayer - 1, false);
    }
    if (s.step) {
        const int T = m_session->dims().T;
        const int t = *s.step == "end" ? T - 1 : std::stoi(*s.step);
        if (t >= T)
            m_problems << tr("line %1: @step %2, but the model has T = %3 (timesteps −1 … %4)").arg(s.stepLine).arg(t).arg(T).arg(T - 1);
        else {
            m_session->seek(t);
            m_session->finishWork();
        }
    }
    QWidget *view = nullptr;
    if (!s.point.empty()) {
        view = m_viewByName(QString::fromStdString(s.point));
        if (!view)
            m_problems << tr("line %1: @point %2 is not a view of this window").arg(s.pointLine).arg(QString::fromStdString(s.point));
    }
    m_overlay->setTarget(view);
    m_showing = false;
    m_answered = !s.question;
    m_answer->clear();
    m_feedback->clear();
    m_questionRow->setVisible(bool(s.question));
    if (s.question && s.question->kind == QuestionKind::Choice)
        m_answer->setPlaceholderText(QString::fromStdString([&] {
            std::string all;
            for (const std::string &c : s.question->choices)
                all += (all.empty() ? "" : " / ") + c;
            return all;
        }()));
    else if (s.question)
        m_answer->setPlaceholderText(s.question->kind == QuestionKind::Shape ? tr("a shape, e.g. (2, 3)") : tr("a number"));
    m_stepTitle->setText(tr("Step %1 of %2: %3").arg(i + 1).arg(stepCount()).arg(QString::fromStdString(s.title)));
    refreshText();
    updateButtons();
    emit stepShown(i);
}

void LessonPanel::refreshText()
{
    if (m_index < 0 || m_showing)
        return;
    const LessonStep &s = m_lesson.steps[std::size_t(m_index)];
    QStringList unknown;
    m_text = m_session->lessonText(QString::fromStdString(s.text), &unknown);
    if (s.question)
        m_session->lessonText(QString::fromStdString(s.question->answer), &unknown);
    QStringList problems = m_problems;
    for (const QString &u : std::as_const(unknown))
        problems << tr("no value {%1} for this model (lesson line %2 on)").arg(u).arg(s.line);
    m_body->setText(html(m_text));
    m_problemLabel->setText(problems.join(QLatin1Char('\n')));
    m_problemLabel->setVisible(!problems.isEmpty());
    m_unknownShown = unknown;
}

void LessonPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_overlay->target())
        m_overlay->setTarget(m_overlay->target());
}

void LessonPanel::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_overlay->hide();
}

QStringList LessonPanel::problems() const
{
    QStringList all = m_problems;
    for (const QString &u : m_unknownShown)
        all << tr("no value {%1}").arg(u);
    return all;
}

QString LessonPanel::expectedAnswer() const
{
    if (m_index < 0 || !m_lesson.steps[std::size_t(m_index)].question)
        return QString();
    return m_session->lessonText(QString::fromStdString(m_lesson.steps[std::size_t(m_index)].question->answer));
}

bool LessonPanel::answer(const QString &given)
{
    if (m_index < 0 || !m_lesson.steps[std::size_t(m_index)].question)
        return false;
    const LessonQuestion &q = *m_lesson.steps[std::size_t(m_index)].question;
    const bool right = answerIsRight(q, expectedAnswer().toStdString(), given.trimmed().toStdString());
    if (right) {
        m_answered = true;
        m_feedback->setText(tr("✓ Right: %1").arg(given.trimmed()));
    } else {
        m_feedback->setText(given.trimmed().isEmpty() ? tr("Type an answer, then Check.")
                                                      : tr("✗ Not %1 — look again (or Show answer).").arg(given.trimmed()));
    }
    updateButtons();
    return right;
}

QString LessonPanel::feedback() const
{
    return m_feedback->text();
}

bool LessonPanel::next()
{
    if (!m_answered || m_index + 1 >= stepCount())
        return false;
    showStep(m_index + 1);
    return true;
}

bool LessonPanel::back()
{
    if (m_index <= 0)
        return false;
    showStep(m_index - 1);
    return true;
}

void LessonPanel::updateButtons()
{
    m_back->setEnabled(m_index > 0);
    m_next->setEnabled(m_answered && m_index + 1 < stepCount());
    m_next->setText(m_index + 1 >= stepCount() && stepCount() > 0 ? tr("(last step)") : tr("Next →"));
}

QString LessonPanel::html(const QString &text)
{
    // Paragraphs (blank lines), **bold** and `code`, the rest as plain text.
    QStringList paragraphs;
    for (const QString &p : text.split(QStringLiteral("\n\n"))) {
        QString h = p.toHtmlEscaped();
        h.replace(QRegularExpression(QStringLiteral("\\*\\*(.+?)\\*\\*")), QStringLiteral("<b>\\1</b>"));
        h.replace(QRegularExpression(QStringLiteral("`(.+?)`")), QStringLiteral("<code>\\1</code>"));
        h.replace(QLatin1Char('\n'), QLatin1Char(' '));
        paragraphs << QStringLiteral("<p>%1</p>").arg(h);
    }
    return paragraphs.join(QString());
}
