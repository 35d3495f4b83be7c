#pragma once
// rnnscope::Network — Input((T, D)) → L recurrent layers (nn/network.h) → Dense(K), with its
// weights, its input and its results, in float32 or float64.
//
// Every direction of every layer is an Engine (nn/engine.h) of its own with K = 0: layer l reads
// X (l = 0) or the sequence the layer under it returns, its backward copies and go_backwards layers
// read it reversed. What a layer returns (N, T, width) or (N, width) follows Keras (nn/network.h);
// the Dense on a sequence applies at every timestep (Keras's Dense on rank 3, = TimeDistributed).
//
// The steps are computed lazily in a schedule true to the dependencies: layer by layer (a layer
// reads the whole sequence under it, which a Bidirectional layer finishes only with its backward
// pass), in each layer the forward direction's T steps, then the backward's. A network of one
// unidirectional layer draws the weights Model draws and computes its states with the same engine
// (bit for bit); its Dense on a sequence is one product over every timestep.

#include "common/ndarray.h"
#include "nn/dims.h"
#include "nn/engine.h"
#include "nn/initializer.h"
#include "nn/layer.h"
#include "nn/weights.h"

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <vector>

namespace rnnscope {

struct ModelConfig;
struct ModelState;

// The largest vocabulary of an Embedding.
constexpr int kMaxVocabulary = kMaxVocabularyWords;

struct NetworkConfig {
    int N = 1, T = 10, D = 3, K = 2;
    std::vector<LayerSpec> layers{LayerSpec{}};
    Activation dense = Activation::Linear;
    DType dtype = DType::Float32;
    std::uint64_t seed = 0;
    InitSpec init;
    std::uint64_t memoryBudget = kDefaultMemoryBudget;
    // Keras's Embedding(input_dim=V, output_dim=D) before the first recurrent layer: the network
    // reads token ids (N, T), 0 … V−1, and looks each up into a row of its table (V, D). 0: none.
    int vocabulary = 0;

    bool hasEmbedding() const { return vocabulary > 0; }
    int layerCount() const { return static_cast<int>(layers.size()); }
    const LayerSpec &top() const { return layers.back(); }
    int inputWidth(int l) const { return layerInputWidth(layers, D, l); }
    // What the Dense reads, and without a Dense what the network returns: the top layer's width.
    int topWidth() const { return top().outputWidth(); }
};

// A one-layer model as a network (the same sizes, cell, flags, seed and draws).
NetworkConfig networkConfigOf(const ModelConfig &config);

// Keras's predict shape: (N, T, K) when the top layer returns sequences, else (N, K); the top
// layer's width in place of K without a Dense layer.
std::vector<std::int64_t> outputShape(const NetworkConfig &config);

// The weights: each direction of each layer (its Wx, Wh and bh; Wo and bo empty) and the Dense.
struct NetworkWeights {
    std::vector<std::vector<Weights>> layers; // [layer][direction: 0 forward, 1 backward]
    Eigen::MatrixXd Wo;                       // (top width, K)
    Eigen::VectorXd bo;                       // (K)
    Eigen::MatrixXd embedding;                // (V, D): the Embedding's table, empty without one
};

// A one-layer model's weights as a network's (its Wx, Wh, bh; its Dense).
NetworkWeights networkWeightsOf(const Weights &w);

// The Embedding's table drawn as Keras's default uniform(−0.05, 0.05), from a seed of its own.
Eigen::MatrixXd initialEmbedding(int V, int D, std::uint64_t seed);
// N·T token ids (index n·T + t) drawn uniformly from 0 … V−1 from the seed (a stream of their own).
std::vector<int> randomTokenIds(int N, int T, int V, std::uint64_t seed);
// Token ids (N, T) as N·T ints (index n·T + t). Throws Error(ShapeMismatch) for another rank and
// Error(OutOfRange) naming the first id that is not an integer in 0 … V−1: "token id 7 at X[0, 3]
// is outside the Embedding's vocabulary 0 … 4".
std::vector<int> checkTokenIds(const NdArray &ids, int V);
// X (D × T·N, column t·N + n) of rows of the table (V, D).
Eigen::MatrixXd embedTokens(const Eigen::MatrixXd &table, const std::vector<int> &ids, int N, int T);

// Keras's count: the Embedding (V·D), every layer (both directions) and the Dense.
long long parameterCount(const NetworkConfig &config);

// Bytes the network allocates: every direction's engine (estimateBytes of its layer with K = 0),
// every layer's returned sequence, the Dense's outputs and weights. Saturates.
std::uint64_t estimateBytes(const NetworkConfig &config);

// N, T, D, K in range (validateDim), the stack (checkStack) and the memory budget (TooLarge).
void checkNetwork(const NetworkConfig &config);

// Throws Error(ShapeMismatch) naming the first weight that does not fit the config:
// "layer 2 (lstm_1) backward: Wx has shape (3, 20), but it reads 10 features: expected (10, 20)".
void checkShapes(const NetworkWeights &w, const NetworkConfig &config);

// Drawn from config.seed and config.init: layer 0's forward direction from the seed itself (as
// Model draws), every other direction from a seed of its own, the Dense from the seed's Wo stream.
NetworkWeights initialNetworkWeights(const NetworkConfig &config);

// The weights as named arrays:
//   Keras:   arr_0, arr_1 … as Keras's get_weights() lists them (np.savez(*model.get_weights())):
//            the Embedding's table first, every layer bottom up (a Bidirectional layer's forward kernel, recurrent kernel and bias,
//            then its backward ones), the Dense's kernel and bias last
//   PyTorch: the state_dict of a module with `embedding` (nn.Embedding, when there is one: its weight
//            is the table (V, D)), `rnn` (nn.RNN, nn.LSTM or nn.GRU with num_layers = L,
//            bidirectional when the layers are) and `fc` (nn.Linear): rnn.weight_ih_l{k}[_reverse],
//            weight_hh_…, bias_ih_…, bias_hh_…, fc.weight, fc.bias. Throws Error(Unsupported) with
//            pytorchRefusal's reason for a network with no exact PyTorch form.
NamedArrays networkWeightsToArrays(const NetworkWeights &w, const NetworkConfig &config, Layout layout = Layout::Keras);

// Why the network has no exact PyTorch form ("" when it has one): PyTorch's nn.RNN/LSTM/GRU stacks
// layers of one cell and one size, all bidirectional (concatenated) or none, every lower layer
// returning sequences, none going backwards; and the cell itself must have a form (pytorchRefusal).
std::string pytorchRefusal(const NetworkConfig &config);

// Everything a network is made of, as a session, a file or an undo step keeps it: the config, the
// weights and the input — X (D × T·N, column t·N + n), or with an Embedding the N·T token ids
// (index n·T + t) and X empty.
struct NetworkState {
    NetworkConfig config;
    NetworkWeights weights;
    Eigen::MatrixXd X;
    std::vector<int> ids;
};

// `old` with another config (another size, another stack, a layer inserted or moved): new weights
// are drawn (initialNetworkWeights) and every weight of old's whose shape still fits is kept, the
// new layer l taking old layer from[l]'s (−1: a new layer; an empty `from` maps every layer to
// itself); a layer that changed its cell, or its Bidirectional copy, keeps none. X (or the token ids) keeps
// the samples, timesteps and features both sizes have (resizedInput), the rest drawn from the seed.
NetworkState refitNetwork(const NetworkState &old, const NetworkConfig &config, const std::vector<int> &from = {});

// The network after one direction of one of its layers, shown as a one-layer model
// (Network::layerState), was changed from `before` to `after` (a size, the cell, a flag, the dtype,
// weights or X edited in that model): the change goes into the network, whose other layers follow
// (refitNetwork: a layer above a wider one gets a new kernel). What the layer's view holds of the
// network goes back: N and T; D and X for the first layer (X in time order again when the
// direction runs backwards); the units and cell of the layer (both its directions); return_sequences
// of the top layer; K, the Dense's activation and weights where the view holds the Dense; the dtype,
// seed and initializer. Throws Error(BadUsage) for a change the network cannot take there: another
// D or X above the first layer (it is what the layer under it returns), another K without the
// Dense.
NetworkState absorbLayerModel(const NetworkState &net, int layer, int direction, const ModelState &before,
                              const ModelState &after);

class Network {
public:
    // Draws the weights and X from config.seed. Throws Error when the config is refused.
    explicit Network(const NetworkConfig &config);
    // Given weights and X (D × (T·N), column t·N + n is x_t of sample n). Throws Error when the
    // config or a shape is refused, and for a network with an Embedding (it reads token ids).
    Network(const NetworkConfig &config, NetworkWeights weights, Eigen::MatrixXd X);
    // A network with an Embedding, given its weights (the table among them) and N·T token ids
    // (index n·T + t, checked against the vocabulary): X is their rows of the table.
    Network(const NetworkConfig &config, NetworkWeights weights, std::vector<int> ids);
    // From a state: its token ids when the config has an Embedding, else its X.
    explicit Network(NetworkState state);
    ~Network();
    Network(Network &&) noexcept;
    Network &operator=(Network &&) noexcept;

    const NetworkConfig &config() const { return m_config; }
    const NetworkWeights &weights() const { return m_weights; }
    const Eigen::MatrixXd &input() const { return m_X; }
    // X as (N, T, D) (with an Embedding: the looked-up rows).
    NdArray inputArray() const;
    // The token ids (index n·T + t) of a network with an Embedding, else empty; as (N, T).
    const std::vector<int> &tokenIds() const { return m_ids; }
    NdArray tokenArray() const;
    // The config, weights and input (X empty with an Embedding: the token ids stand for it).
    NetworkState state() const;

    // --- the schedule: step k computes timestep `step` of one direction of one layer ---
    struct Step {
        int layer = 0;
        int direction = 0; // 0 forward, 1 the backward copy of a Bidirectional layer
        int step = 0;      // in the direction's processing order
        int t = 0;         // the timestep of the input it reads: step, or T−1−step when it runs backwards
    };
    int stepCount() const; // T · (directions of every layer)
    // Throws Error(OutOfRange) outside 0 … stepCount()−1 (and the calls below taking a layer, outside
    // its layers).
    Step stepAt(int k) const;
    // Whether a direction reads its input reversed (a go_backwards layer, or a backward copy).
    bool runsBackwards(int layer, int direction) const;

    // Steps 0 … k of the schedule (and, after the last, the Dense).
    void computeThrough(int k);
    void computeAll() { computeThrough(stepCount() - 1); }
    int computedSteps() const;
    // Drops the results: the next computeThrough starts again from step 0 (the buffers stay).
    void recompute();

    // --- results (each computes everything it needs) ---

    // Keras's predict: Y (outputShape), without a Dense the top layer's output.
    NdArray prediction();
    // What layer l returns as if it returned sequences: (N, T, width) — a Bidirectional layer's
    // merged outputs in time order, a go_backwards layer's states in processing order.
    NdArray layerSequence(int layer);
    // What layer l returns: layerSequence, or (N, width) without return_sequences.
    NdArray layerOutput(int layer);
    // The hidden states of one direction, (N, T, M) in its processing order.
    NdArray hiddenStates(int layer, int direction);

    // One direction of one layer as a one-layer model, for the views and the trace that show one
    // layer: its cell and weights; X the sequence it reads in the order it reads it (the network's X
    // for layer 0, else what the layer under it returns; reversed when the direction runs
    // backwards); the Dense when it is the top layer and not Bidirectional (K = 0 otherwise: a
    // Bidirectional layer's Dense reads the merge); return_sequences as the layer's, true under
    // another layer. Its hidden states are hiddenStates(layer, direction), bit for bit.
    ModelState layerState(int layer, int direction);

private:
    void checkLayer(int l) const; // Error(OutOfRange) naming the layer and the layers there are
    void build(); // the engines of every direction, in the config's dtype
    struct Impl;
    NetworkConfig m_config;
    NetworkWeights m_weights;
    Eigen::MatrixXd m_X;
    std::vector<int> m_ids;
    std::unique_ptr<Impl> m_impl;
};

} // namespace rnnscope
