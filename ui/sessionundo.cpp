// Session: the undo history and its memory.
#include "session.h"
#include "sessioncommands.h"

#include "backgroundjob.h"

#include "common/error.h"
#include "io/modelrequest.h"
#include "io/npy.h"
#include "io/sessionfile.h"
#include "io/weightfile.h"
#include "nn/initializer.h"

#include <QEventLoop>
#include <QFileInfo>

#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>
#include <cmath>

#include <future>
#include <optional>
#include <utility>

#include <unistd.h>

using namespace rnnscope;

void Session::pushModelCommand(const QString &what, Change kind, ModelState before, ModelState after,
                               std::shared_ptr<const NetworkShown> networkBefore, std::shared_ptr<const NetworkShown> networkAfter)
{
    auto command = std::make_unique<ModelCommand>(this, what, static_cast<int>(kind), std::move(before), std::move(after),
                                                  std::move(networkBefore), std::move(networkAfter));
    std::set<const NetworkShown *> counted;
    const std::uint64_t held = undoBytes(&counted), added = command->bytes(&counted);
    if (held + added <= m_undoBytes) {
        m_undo->push(command.release());
        return;
    }
    // Over the undo memory: the older history goes (and with it the clean state: what is on
    // screen stays modified until it is saved). Its states are freed on another thread.
    setDroppedChanges(true); // first, so that the stack's clean state does not flash unmodified
    std::vector<std::unique_ptr<ModelState>> states;
    std::vector<std::shared_ptr<const NetworkShown>> networks;
    for (int i = 0; i < m_undo->count(); ++i)
        if (auto *c = dynamic_cast<ModelCommand *>(const_cast<QUndoCommand *>(m_undo->command(i)))) {
            c->releaseStates(states);
            c->releaseNetworks(networks);
        }
    m_undo->clear();
    if (command->bytes() <= m_undoBytes) { // alone, its networks counted too
        m_undo->push(command.release());
        emit notice(tr("The undo history before “%1” was dropped: it would hold %2, more than the %3 it may keep")
                        .arg(what, QString::fromStdString(formatBytes(held + added)),
                             QString::fromStdString(formatBytes(m_undoBytes))));
    } else {
        command->releaseStates(states);
        command->releaseNetworks(networks);
        emit notice(tr("“%1” cannot be undone: the model's states take %2, more than the %3 the undo history may keep")
                        .arg(what, QString::fromStdString(formatBytes(added)), QString::fromStdString(formatBytes(m_undoBytes))));
    }
    disposeLater(std::make_shared<std::pair<std::vector<std::unique_ptr<ModelState>>, std::vector<std::shared_ptr<const NetworkShown>>>>(
        std::move(states), std::move(networks)));
}

std::uint64_t Session::undoBytes() const
{
    return undoBytes(nullptr);
}

std::uint64_t Session::undoBytes(std::set<const NetworkShown *> *counted) const
{
    std::set<const NetworkShown *> own;
    std::uint64_t total = 0;
    // Commands above the index (undone) go with the next push. A network two commands share
    // (one's after, the next one's before) is counted once.
    for (int i = 0; i < m_undo->index(); ++i)
        if (const auto *c = dynamic_cast<const ModelCommand *>(m_undo->command(i)))
            total += c->bytes(counted ? counted : &own);
    return total;
}

std::uint64_t Session::defaultUndoBytes()
{
    constexpr std::uint64_t gib = std::uint64_t(1) << 30;
#ifdef _SC_PHYS_PAGES
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0)
        return std::min(gib, std::uint64_t(pages) * std::uint64_t(page) / 8);
#endif
    return gib;
}

void Session::restoreState(const ModelState &state, std::shared_ptr<const NetworkShown> network, Change kind)
{
    if (!settle())
        return;
    std::optional<Model> model;
    const bool heavy = std::max(estimateBytes(dims(), config().dtype), estimateBytes(state.config.dims, state.config.dtype))
        > kBackgroundBytes;
    // An undo cannot be refused: a state the model had always fits (a cancel waits for it instead).
    if (!buildInBackground(tr("Undo"), heavy, [&] { model.emplace(state); }, false) || !model) {
        resumeReturn();
        return;
    }
    showNetwork(std::move(network), std::move(*model), kind);
}
