#pragma once
// rnnscope::Model — one recurrent layer (SimpleRNN, LSTM or GRU) -> Dense(K) with its weights,
// its input and its results.
//
// The model owns the master copy of the weights and of X (as double) and an Engine in the chosen
// dtype (float32 like Keras, float64 like NumPy). Results are computed lazily, one timestep at a
// time, so a stepper that shows t = 3 has computed t = 0 … 3 only. Every change validates first
// and, when it refuses, leaves the model exactly as it was (strong exception guarantee).
//
// Results are handed out in Keras's row convention: x_t (N,D), every recorded quantity of the
// cell (a_t, the gates, c_t, h_t) (N,M), y_t (N,K).

#include "common/activation.h"
#include "common/ndarray.h"
#include "common/valuesummary.h"
#include "nn/dims.h"
#include "nn/engine.h"
#include "nn/initializer.h"
#include "nn/param.h"
#include "nn/weights.h"

#include <Eigen/Core>

#include <atomic>
#include <cstdint>
#include <functional>
#include <variant>
#include <vector>

namespace rnnscope {

struct ModelConfig {
    Dims dims;
    bool returnSequences = false;
    Activation cell = Activation::Tanh; // the cell's activation
    Activation dense = Activation::Linear;
    CellKind kind = CellKind::SimpleRNN;
    Activation recurrent = Activation::Sigmoid; // LSTM and GRU
    bool resetAfter = true;                     // GRU
    CellSpec cellSpec() const { return CellSpec{kind, cell, recurrent, resetAfter}; }
    DType dtype = DType::Float32;
    std::uint64_t seed = 0;
    InitSpec init;
    std::uint64_t memoryBudget = kDefaultMemoryBudget;
};

// Everything that defines a model (results aside): what undo keeps and a session file saves.
struct ModelState {
    ModelConfig config;
    Weights weights;
    Eigen::MatrixXd X; // D × (T·N)
};

// The shape of what the model outputs (Keras's predict, and the shape its targets have): (N, T, K)
// with return_sequences, else (N, K) — the recurrent layer's M in place of K without a Dense layer.
std::vector<std::int64_t> outputShape(const ModelConfig &config);

// The input batch X from an array: (N, T, D) as is, (T, D) as one sample (1, T, D).
// expectedD = -1 accepts any D. Errors (ShapeMismatch):
//   "X has shape (2, 4, 4), but D=3 needs (N, T, 3)"
//   "X has shape (1, 2, 4, 3), but D=3 needs (N, T, 3) or (T, 3)"
//   "X has shape (0, 4, 3), but N, T and D must be at least 1"
NdArray inputFromArray(const NdArray &a, int expectedD);

// X (N, T, D) as the engine holds it, D × (T·n): column t·n + i is x_t of sample samples[i] (every
// sample in order when `samples` is null, n = N).
Eigen::MatrixXd inputColumns(const NdArray &X, const std::vector<int> *samples = nullptr);

// X (D × T·N) for other sizes: as it is when N, T and D stay, else drawn from `seed` with the values
// of the samples, timesteps and features both sizes have kept where they were.
Eigen::MatrixXd resizedInput(const Eigen::MatrixXd &X, const Dims &old, const Dims &dims, std::uint64_t seed);

class Model {
public:
    // Draws the weights and X from config.seed. Throws Error when the config is refused.
    explicit Model(const ModelConfig &config = {});
    // A model in a state taken from another (nothing drawn). Throws Error when it is refused.
    explicit Model(const ModelState &state);

    const ModelConfig &config() const { return m_config; }
    const Dims &dims() const { return m_config.dims; }
    const Weights &weights() const { return m_weights; }
    // X as D × (T·N): column t·N + n is x_t of sample n.
    const Eigen::MatrixXd &input() const { return m_X; }
    double inputValue(int n, int t, int d) const { return m_X(d, col(n, t)); }

    ModelState state() const { return {m_config, m_weights, m_X}; }
    // Back to a state taken from a model (results dropped).
    void restore(const ModelState &state);

    // --- changes (each refuses with Error and changes nothing, or applies and drops results) ---

    // New sizes. Weights are drawn again from the seed when D, M or K change; X keeps the values
    // it had where (n, t, d) still exists and draws the rest from the seed.
    void setDims(const Dims &dims);
    void setReturnSequences(bool on);
    void setActivations(Activation cell, Activation dense);
    // Another cell (its kind, activations, reset_after): D, M, K, N, T and X stay; the weights are
    // drawn again from the seed when their shapes change.
    void setCell(const CellSpec &cell);
    void setDtype(DType dtype);
    void setInitSpec(const InitSpec &spec);        // takes effect at the next randomizeWeights
    void setSeed(std::uint64_t seed);              // takes effect at the next randomize
    void randomizeWeights();                       // from config's seed and init
    void randomizeInput();                         // from config's seed
    // Weights of any consistent shape: the cell kind (and a GRU's reset_after), D, M, K follow
    // them, N and T stay.
    void setWeights(const Weights &w);
    // X as D × (T·N) with the given N and T; D must equal the model's D.
    void setInput(const Eigen::Ref<const Eigen::MatrixXd> &x, int N, int T);
    // X from an array of shape (N, T, D) or (T, D). D must equal the model's D.
    void setInput(const NdArray &x);
    // Element (row, col) of a parameter seen as its ParamSpec's matrix in Keras's layout (a bias
    // (1, gM), or a GRU's (2, gM); the Dense bias (1, K)). Throws Error(OutOfRange) outside it.
    void setWeightValue(WeightId id, int row, int col, double value);
    void setInputValue(int n, int t, int d, double value);

    // --- results ---

    // Timesteps 0 … computedSteps()−1 are ready.
    int computedSteps() const { return m_computed.load(); }
    // How far computeThrough got, and whether to go on: called between chunks of steps (every
    // few milliseconds of work) with the fraction of the asked-for steps done.
    using Progress = std::function<bool(double fraction)>;
    // Steps 0 … t and their outputs; x_t·Wx + bh is projected in chunks of timesteps as the steps
    // reach them. Returns false when `progress` said stop: the steps done so far stay computed.
    // While it runs on a worker thread, another thread may read computedSteps() and the values of
    // the timesteps below it (and the config, the weights and X), and nothing else.
    bool computeThrough(int t, const Progress &progress = {});
    void computeAll() { computeThrough(m_config.dims.T - 1); }
    // Multiply–adds that computeThrough(t) still has to do (0 when t is computed).
    double workThrough(int t) const;

    // Timestep t of all N samples (computes through t when needed).
    Eigen::MatrixXd x(int t) const;       // (N, D)
    Eigen::MatrixXd pre(int t);           // (N, gM): every gate's pre-activation
    Eigen::MatrixXd hidden(int t);        // (N, M)
    Eigen::MatrixXd cellState(int t);     // (N, M): an LSTM's c_t (empty for the other cells)
    Eigen::MatrixXd output(int t);        // (N, K): y_t = act_o(h_t·Wo + bo); empty when K = 0

    // Single values of computed timesteps (t < computedSteps()), without copies.
    // (Inline: the views read millions of them after a long jump.)
    // j in [0, gM): gate block j / M
    double preAt(int n, int t, int j) const { return valueAt(&Engine<float>::preData, &Engine<double>::preData, n, t, j, m_gM); }
    double cellAt(int n, int t, int j) const { return valueAt(&Engine<float>::cellData, &Engine<double>::cellData, n, t, j, m_config.dims.M); }
    // Unit j of a recorded quantity (Quantity::Pre is a SimpleRNN's a_t; a gate is its activated
    // value, computed from its pre-activation).
    double quantityAt(Quantity q, int n, int t, int j) const;
    double hiddenAt(int n, int t, int j) const { return valueAt(&Engine<float>::hiddenData, &Engine<double>::hiddenData, n, t, j, m_config.dims.M); }
    double outputAt(int n, int t, int k) const { return valueAt(&Engine<float>::outData, &Engine<double>::outData, n, t, k, m_config.dims.K); }

    // What the hidden states h_t of sample n hold for t = t0 … t1−1 (computed timesteps): the
    // largest |finite value| and the count of each non-finite kind. Kept per timestep as the steps
    // are computed, so that this costs T, not T·M (a heat map of H at T = 10⁶ asks for it).
    ValueSummary hiddenSummary(int n, int t0, int t1) const;

    // What Keras's model.predict returns: Y (N, K) or (N, T, K); without Dense the SimpleRNN's
    // output h_{T−1} (N, M) or H (N, T, M). Computes everything.
    NdArray prediction();
    // All hidden states H (N, T, M). Computes everything.
    NdArray hiddenStates();
    // An LSTM's cell states C (N, T, M). Computes everything.
    NdArray cellStates();
    // X as (N, T, D).
    NdArray inputArray() const;

    // The engine in the model's dtype (for the benchmark and the trace).
    const Engine<float> *engineF() const { return std::get_if<Engine<float>>(&m_engine); }
    const Engine<double> *engineD() const { return std::get_if<Engine<double>>(&m_engine); }

private:
    Eigen::Index col(int n, int t) const { return static_cast<Eigen::Index>(t) * m_config.dims.N + n; }
    NetworkSpec spec() const;
    // Row `r` of column t·N + n of a rows × (T·N) result matrix.
    double valueAt(const float *(Engine<float>::*f)() const, const double *(Engine<double>::*d)() const, int n, int t,
                   int r, int rows) const
    {
        const std::size_t i = (static_cast<std::size_t>(t) * m_config.dims.N + n) * rows + r;
        if (const auto *e = std::get_if<Engine<float>>(&m_engine))
            return (e->*f)()[i];
        return (std::get<Engine<double>>(m_engine).*d)()[i];
    }
    void rebuildEngine();  // spec, weights and X into a fresh engine; results dropped
    void invalidate();     // weights or X changed: results dropped, engine keeps its buffers
    template <typename F> auto withEngine(F &&f);
    template <typename F> auto withEngine(F &&f) const;

    ModelConfig m_config;
    Weights m_weights;
    Eigen::MatrixXd m_X;
    std::variant<Engine<float>, Engine<double>> m_engine;
    // Written by the computing thread, read by others.
    class Count {
    public:
        Count(int v = 0) : m_v(v) {}
        Count(const Count &o) : m_v(o.load()) {}
        Count &operator=(const Count &o) { store(o.load()); return *this; }
        Count &operator=(int v) { store(v); return *this; }
        int load() const { return m_v.load(std::memory_order_acquire); }
        void store(int v) { m_v.store(v, std::memory_order_release); }

    private:
        std::atomic<int> m_v;
    };
    Count m_computed;
    // Per timestep and sample (index t·N + n), written as the steps are computed.
    struct StepSummary {
        double maxAbs = 0;
        std::uint32_t nan = 0;
        std::uint16_t posInf = 0, negInf = 0; // M ≤ 16384 fits
    };
    std::vector<StepSummary> m_summaries;
    void summarize(int t);
    int m_projected = 0; // timesteps whose x_t·Wx + bh is in P
    int m_gM = 0;        // rows of P: gates · M
};

} // namespace rnnscope
