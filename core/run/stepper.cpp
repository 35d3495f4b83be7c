#include "run/stepper.h"

#include <algorithm>

namespace rnnscope {

void Stepper::stepForward()
{
    if (!atEnd())
        seek(m_position + 1);
}

void Stepper::stepBack()
{
    if (!atStart())
        seek(m_position - 1);
}

void Stepper::seek(int t)
{
    m_position = std::clamp(t, -1, m_model.dims().T - 1);
    show();
}

void Stepper::modelChanged()
{
    seek(m_position);
}

StepRecord Stepper::record(int t) const
{
    StepRecord r;
    r.t = t;
    r.x = m_model.x(t);
    r.pre = m_model.pre(t);
    r.h = m_model.hidden(t);
    r.y = m_model.output(t);
    return r;
}

void Stepper::removeObserver(StepObserver *o)
{
    m_observers.erase(std::remove(m_observers.begin(), m_observers.end(), o), m_observers.end());
}

void Stepper::show()
{
    if (m_position < 0) {
        for (StepObserver *o : m_observers)
            o->rewound();
        return;
    }
    const StepRecord r = record(m_position);
    for (StepObserver *o : m_observers)
        o->stepShown(r);
}

} // namespace rnnscope
