// Session's part for lessons: the model a step sets, and the live values a step's text names.

#include "session.h"

#include "io/modelrequest.h"
#include "io/networkrequest.h"
#include "run/lessonvalues.h"

using namespace rnnscope;

bool Session::showLessonModel(const ModelRequest &request, std::optional<TaskKind> task, const QString &what)
{
    std::optional<Model> model;
    if (!guarded(what, [&] { model.emplace(buildModel(request)); }))
        return false;
    if (!replaceModel(model->state(), what))
        return false;
    return !task || prepareForTask(*task);
}

bool Session::showLessonNetwork(const NetworkRequest &request, int layer, const QString &what)
{
    return applyNetwork(what, Change::Structure, [&](NetworkShown &n) {
        n = NetworkShown{buildNetwork(request).state(), layer, 0};
    });
}

QString Session::lessonText(const QString &text, QStringList *unknown) const
{
    std::vector<std::string> missing;
    // Values of later timesteps compute the model through them (the stepper's position stays).
    const std::string filled = fillLessonValues(const_cast<Model &>(m_model), position(), m_sample, text.toStdString(), &missing);
    if (unknown)
        for (const std::string &m : missing)
            *unknown << QString::fromStdString(m);
    return QString::fromStdString(filled);
}
