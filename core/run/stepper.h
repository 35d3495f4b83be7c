#pragma once
// rnnscope::Stepper — the recurrence one timestep at a time, for all N samples.
//
// The position is the timestep on show: −1 before the first step (only h_{−1} = 0 exists), then
// 0 … T−1. Stepping forward computes the next timestep from the stored h_{t−1} (once; stepping back
// and forward again reuses it), and every move reports the timestep now on show to the observers.
// Its numbers are the batched pass's: both run Engine::step.

#include "run/model.h"

#include <Eigen/Core>

#include <vector>

namespace rnnscope {

// Timestep t of all N samples, in Keras's row convention.
struct StepRecord {
    int t = -1;
    Eigen::MatrixXd x;   // x_t (N, D)
    Eigen::MatrixXd pre; // a_t = x_t·Wx + h_{t−1}·Wh + bh (N, M)
    Eigen::MatrixXd h;   // h_t = act(a_t) (N, M)
    Eigen::MatrixXd y;   // y_t = act_o(h_t·Wo + bo) (N, K); (N, 0) without Dense
};

class StepObserver {
public:
    virtual ~StepObserver() = default;
    // The step on show is now `record.t`.
    virtual void stepShown(const StepRecord &record) = 0;
    // Back before the first step (position −1).
    virtual void rewound() {}
};

class Stepper {
public:
    explicit Stepper(Model &model) : m_model(model) {}

    int position() const { return m_position; }
    bool atStart() const { return m_position < 0; }
    bool atEnd() const { return m_position >= m_model.dims().T - 1; }

    void stepForward();        // no-op at the end
    void stepBack();           // to −1 at most
    void seek(int t);          // clamped to −1 … T−1
    void reset() { seek(-1); }
    // After the model changed: keeps the position where it still exists (else the last step),
    // recomputes through it and reports it.
    void modelChanged();

    // The record of timestep t (computing through t when needed).
    StepRecord record(int t) const;

    void addObserver(StepObserver *o) { m_observers.push_back(o); }
    void removeObserver(StepObserver *o);

private:
    void show();

    Model &m_model;
    int m_position = -1;
    std::vector<StepObserver *> m_observers;
};

} // namespace rnnscope
