#pragma once
// A network in a file: the recurrent layers of a stacked or Bidirectional model with their weights
// and the Dense after the top one, as the command line opens them (the window opens one layer of a
// file through weightfile.h's LoadedModel).
//
// A file is a network when it holds more than one recurrent layer, a Bidirectional one, one that
// runs backwards (go_backwards) or an Embedding before it; a file of one plain recurrent layer is
// not (loadNetworkFile gives nullopt, and loadWeightsFile opens it as a LoadedModel, as it always
// did). What is read:
//
//   Keras files (kerasfile.h)  every recurrent layer in model order with its config (cell, units,
//                              activations, return_sequences, go_backwards, Bidirectional and its
//                              merge_mode, reset_after) and weights; Dropout and other layers
//                              without effect at inference between them named in a note; the Dense
//                              (or TimeDistributed(Dense)) after the top one.
//   .npz, positional           np.savez(*model.get_weights()) of a stack: triples kernel (Din, gM),
//                              recurrent kernel (M, gM), bias (gM,) or (2, gM) whose Din is the
//                              M of the triple before, then an optional Dense (M, K), (K,). Every
//                              layer unidirectional, the lower ones returning sequences. A layout
//                              the shapes do not tell (a Bidirectional layer's six arrays read as
//                              two layers just as well) is refused with the reason.
//   .npz, PyTorch state_dict   <p>weight_ih_l{k}[_reverse], weight_hh_…, bias_ih_…, bias_hh_… of
//                              nn.RNN / nn.LSTM / nn.GRU(num_layers, bidirectional) [+ one
//                              nn.Linear]: every layer the same cell and units, Bidirectional
//                              layers concatenating, the lower layers returning sequences, the
//                              top one its last state (PyTorch's output[:, -1]; as Keras's
//                              Bidirectional without return_sequences, cat(h_n[-2], h_n[-1])).
//                              The layers and directions are those any key names (_l{k},
//                              _reverse): one missing a weight (a gap, a _reverse for only some)
//                              is MissingArray naming the key. The Linear and each layer are read
//                              by weightfile.h's readers, <p> empty or not. An nn.Embedding's
//                              table before the RNN (weightfile.h's pytorchEmbeddingKey:
//                              embedding.weight, or told by its shape) is the network's Embedding,
//                              (V, D) with D weight_ih_l0's columns; with one, a file of one
//                              layer is a network too (it reads token ids).
//
// Refusals are those of weightfile.h and kerasfile.h, one line starting with the file's name.

#include "io/weightfile.h"
#include "run/network.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

struct LoadedNetwork {
    std::vector<LayerSpec> layers; // bottom up
    NetworkWeights weights;        // every layer and direction; Wo (top width, K) and bo, K = 0 without Dense
    std::optional<NdArray> input;  // X (N, T, D), when the file holds one
    std::string layoutDescription;
    std::vector<std::string> notes;
    DType dtype = DType::Float32;
    bool configured = false;           // the file records the activations and return_sequences (a Keras model config)
    std::optional<Activation> dense;   // the Dense layer's activation, where recorded
    std::optional<int> T;              // the input length the model was built for, where recorded
    std::vector<std::string> layerNames; // the file's names of the recurrent layers (Keras), else empty
    std::string denseLayerName;
    std::string embeddingName; // the file's name of the Embedding (Keras), else empty

    int D() const { return static_cast<int>(weights.layers.front().front().Wx.rows()); }
    int K() const { return static_cast<int>(weights.Wo.cols()); }
    // The Embedding's vocabulary V when the file holds one before the first recurrent layer, else 0.
    int vocabulary() const { return static_cast<int>(weights.embedding.rows()); }
};

// One recurrent layer → Dense opened by loadWeightsFile, as a network of one layer (the activations
// and return_sequences its file records, else tanh, sigmoid and the last state).
LoadedNetwork networkOf(const LoadedModel &model);

// The network of named arrays (an .npz), or nullopt when they hold one plain recurrent layer (the
// single-layer layouts of weightfile.h). `source` starts every message.
std::optional<LoadedNetwork> networkFromArrays(const NamedArrays &arrays, const std::string &source);

// The network of a weight file (.npz, .h5, .hdf5, .keras), or nullopt when it holds one plain
// recurrent layer; other extensions as loadWeightsFile refuses them.
std::optional<LoadedNetwork> loadNetworkFile(const std::string &path);

} // namespace rnnscope
