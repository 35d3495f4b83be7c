#pragma once
// The session's undo commands: a change of the whole model (the states before and after) and one
// edited value. Both act on the Session whose undo stack holds them, as its friends.

#include "session.h"

#include <QUndoCommand>

#include <memory>
#include <optional>
#include <set>
#include <vector>

// A change of the whole model, kept as the states before and after.
class ModelCommand : public QUndoCommand {
public:
    ModelCommand(Session *s, const QString &text, int kind, rnnscope::ModelState before, rnnscope::ModelState after,
                 std::shared_ptr<const NetworkShown> networkBefore = {}, std::shared_ptr<const NetworkShown> networkAfter = {})
        : QUndoCommand(text), m_session(s), m_kind(kind), m_before(std::move(before)), m_after(std::move(after))
        , m_networkBefore(std::move(networkBefore)), m_networkAfter(std::move(networkAfter))
    {
    }
    void undo() override { m_session->restoreState(m_before, m_networkBefore, static_cast<Session::Change>(m_kind)); }
    // Bytes of the two states (X and the weights as double), with their networks: a network that
    // `counted` holds already (the one the command before ended with) is not counted again.
    std::uint64_t bytes(std::set<const NetworkShown *> *counted = nullptr) const
    {
        std::uint64_t total = stateBytes(m_before) + stateBytes(m_after);
        std::set<const NetworkShown *> own;
        std::set<const NetworkShown *> &seen = counted ? *counted : own;
        for (const NetworkShown *n : {m_networkBefore.get(), m_networkAfter.get()})
            if (n && seen.insert(n).second)
                total += networkBytes(n);
        return total;
    }
    // Hands the networks over (to be freed elsewhere) before the command is deleted unused.
    void releaseNetworks(std::vector<std::shared_ptr<const NetworkShown>> &into)
    {
        into.push_back(std::move(m_networkBefore));
        into.push_back(std::move(m_networkAfter));
    }
    // Hands the states over (to be freed elsewhere) before the command is deleted unused.
    void releaseStates(std::vector<std::unique_ptr<rnnscope::ModelState>> &into)
    {
        into.push_back(std::make_unique<rnnscope::ModelState>(std::move(m_before)));
        into.push_back(std::make_unique<rnnscope::ModelState>(std::move(m_after)));
    }
    static std::uint64_t stateBytes(const rnnscope::ModelState &s)
    {
        const rnnscope::Weights &w = s.weights;
        return 8 * std::uint64_t(s.X.size() + w.Wx.size() + w.Wh.size() + w.bh.size() + w.Wo.size() + w.bo.size());
    }
    static std::uint64_t networkBytes(const NetworkShown *n)
    {
        if (!n)
            return 0;
        const rnnscope::NetworkWeights &w = n->state.weights;
        std::uint64_t values = n->state.X.size() + n->state.ids.size() + w.Wo.size() + w.bo.size() + w.embedding.size();
        for (const auto &layer : w.layers)
            for (const rnnscope::Weights &d : layer)
                values += d.Wx.size() + d.Wh.size() + d.bh.size();
        return 8 * values;
    }
    // A training run's command, pushed at its start: its name and the state at its end.
    void finish(const QString &text, rnnscope::ModelState after)
    {
        setText(text);
        m_after = std::move(after);
    }
    void redo() override
    {
        if (m_first) { // the change is already applied
            m_first = false;
            return;
        }
        m_session->restoreState(m_after, m_networkAfter, static_cast<Session::Change>(m_kind));
    }

private:
    Session *m_session;
    int m_kind;
    rnnscope::ModelState m_before, m_after;
    std::shared_ptr<const NetworkShown> m_networkBefore, m_networkAfter;
    bool m_first = true;
};

// A layer under another told not to return sequences (Session::setLayerReturnSequences): the
// stack Keras refuses, on show with its error until undone or fixed.
class BrokenStackCommand : public QUndoCommand {
public:
    BrokenStackCommand(Session *s, int layer, QString error)
        : QUndoCommand(QObject::tr("Layer %1 returns its last state").arg(layer + 1)), m_session(s), m_layer(layer), m_error(std::move(error))
        , m_beforeLayer(s->brokenLayer()), m_beforeError(s->stackError())
    {
    }
    // Back to the stack as it was shown before (mended, or broken at another layer).
    void undo() override { m_session->showBrokenStack(m_beforeLayer, m_beforeError); }
    void redo() override
    {
        if (m_first) { // already on show
            m_first = false;
            return;
        }
        m_session->showBrokenStack(m_layer, m_error);
    }
    int layer() const { return m_layer; }

private:
    Session *m_session;
    int m_layer;
    QString m_error;
    int m_beforeLayer;
    QString m_beforeError;
    bool m_first = true;
};

// One edited value of a weight (id set) or of the input X[n, t, d].
class ValueCommand : public QUndoCommand {
public:
    ValueCommand(Session *s, std::optional<rnnscope::WeightId> id, int a, int b, int c, double before, double after)
        : m_session(s), m_id(id), m_a(a), m_b(b), m_c(c), m_before(before), m_after(after)
    {
        setText(id ? QStringLiteral("Edit %1[%2, %3]").arg(QLatin1String(rnnscope::weightName(*id))).arg(a).arg(b)
                   : QStringLiteral("Edit X[%1, %2, %3]").arg(a).arg(b).arg(c));
    }
    void undo() override { set(m_before); }
    void redo() override { set(m_after); }

private:
    void set(double v)
    {
        if (!m_session->settle())
            return;
        if (m_id)
            m_session->m_model.setWeightValue(*m_id, m_a, m_b, v);
        else
            m_session->m_model.setInputValue(m_a, m_b, m_c, v);
        m_session->afterChange(m_id ? Session::Change::Weights : Session::Change::Input);
    }

    Session *m_session;
    std::optional<rnnscope::WeightId> m_id;
    int m_a, m_b, m_c;
    double m_before, m_after;
};
