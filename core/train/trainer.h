#pragma once
// rnnscope::Trainer — training a model: batches (a task's fresh samples each step, or the epochs of
// your data, shuffled by a seed if asked), the loss and its gradients through time (grad/bptt.h),
// the optimizer's update (train/optimizer.h). Deterministic for a seed: the same run gives the same
// weights to the last bit. A step whose loss is not finite, or whose update overflows a weight, is
// not applied: the weights stay those of before it, and exploded() says so (the caller reports
// which step exploded).

#include "grad/bptt.h"
#include "run/model.h"
#include "train/optimizer.h"
#include "train/task.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace rnnscope {

struct TrainSpec {
    OptimizerSpec optimizer;
    Loss loss = Loss::MSE;
    int batchSize = 64;          // a task: samples drawn for each step; data: 0 takes the whole set
    bool shuffle = false;        // data: a new order of the samples every epoch (seeded)
    double validationSplit = 0;  // data: the last fraction of the samples held out, as Keras does
    std::uint64_t seed = 0;
};

struct StepResult {
    long long step = 0; // 1-based
    double loss = 0;    // the batch's loss before the update (what Keras logs)
};

class Trainer {
public:
    // A task: D, K, return_sequences and the Dense activation come from it (the config's are
    // replaced); N is the batch size. A fixed validation set of 256 samples is drawn apart.
    Trainer(const ModelConfig &config, const Weights &start, TaskKind task, const TrainSpec &spec);
    // Your data: X (N, T, D) and targets of the model's output shape for N samples.
    Trainer(const ModelConfig &config, const Weights &start, const NdArray &X, const NdArray &Y, const TrainSpec &spec);

    StepResult step();
    bool exploded() const { return m_exploded; }
    // Data: whether the last step ended an epoch, and the epochs done; a task counts no epochs.
    bool epochEnded() const { return m_epochEnded; }
    int epochs() const { return m_epoch; }
    int stepsPerEpoch() const;
    std::optional<double> validationLoss() const; // none for data without a validation split

    // Stopping and going on: state() holds the weights in float64 ("weight_i", flat, in
    // get_weights() order) and the optimizer's state (Optimizer::state(): the step count and the
    // slots). A trainer built as the first was (same model, task or data, spec and seed) that
    // resumes from it takes the same steps, to the last bit, as the first would have: the step
    // count also picks a task's next batch and the place in your data's epochs.
    NamedArrays state() const;
    void resume(const NamedArrays &state);

    const Weights &weights() const { return m_weights; }
    const ModelConfig &config() const { return m_config; }
    long long steps() const { return m_optimizer.iterations(); }

private:
    void shapeData(const NdArray &X, const NdArray &Y);
    void orderEpoch(); // m_order: the training samples in epoch m_epoch's order
    static NdArray targetsOf(const NdArray &Y, const std::vector<int> &samples);

    ModelConfig m_config;
    Weights m_weights;
    TrainSpec m_spec;
    Optimizer m_optimizer;
    std::optional<TaskKind> m_task;
    NdArray m_X, m_Y;            // data
    std::vector<int> m_train, m_validation; // sample indices
    std::vector<int> m_order;    // this epoch's order of m_train
    std::size_t m_next = 0;      // the next position in m_order
    int m_epoch = 0;
    bool m_epochEnded = false, m_exploded = false;
    Batch m_validationBatch;     // a task's held-out samples
};

} // namespace rnnscope
