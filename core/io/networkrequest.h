#pragma once
// rnnscope::NetworkRequest — what the user asked for when the model is a network of several
// recurrent layers or a Bidirectional one (--stack, or --dims with [M1,M2,…]), and how it becomes
// a Network.
//
// The layers come from --stack; without it, from the units of --dims, every layer of the cell the
// single-layer options give (--cell, --activation, --recurrent-activation, --no-reset-after), the
// lower layers returning sequences and the top one as --return-sequences says. With --stack, those
// options and --return-sequences must agree with every layer they concern, and the units of
// --dims with the layers' units: a contradiction is refused naming both values.

#include "io/modelrequest.h"
#include "io/networkfile.h"
#include "nn/layer.h"
#include "run/network.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

struct NetworkRequest {
    ModelRequest model;                          // the single-layer options, files, dtype, seed, init …
    std::optional<StackDims> dims;               // --dims (either form)
    std::optional<std::vector<LayerSpec>> stack; // --stack
    std::vector<LayerWords> stackWords;          // what --stack's layers say explicitly (act=, rec=, reset_after=); empty: unknown
    int vocabulary = 0;                          // --stack's "embedding V", 0 without
    // The network model.weightsPath holds, when the caller has read it already (else buildNetwork
    // reads it: the whole network, or with model.layer one layer alone).
    std::shared_ptr<const LoadedNetwork> file;
};

// The network's configuration (files aside). Throws Error naming the contradiction.
NetworkConfig networkConfig(const NetworkRequest &request);

// Builds the network, with X from --input when given. Throws Error on anything refused. A network
// with an Embedding (--stack "embedding V, …" or a file holding one) reads token ids from --input:
// an .npy of shape (N, T) or (T,) (one sample), integer dtype or floats of integral values.
//
// With a weights file (networkfile.h; a file of one layer is a network of one layer) the file fixes
// the layers, D and K, and gives T, the activations, return_sequences and X where it records them.
// --stack (with its act=, rec= and reset_after= words), --dims, --cell and --no-reset-after must say what the file holds (a contradiction is
// refused naming both values); --activation, --recurrent-activation and --dense-activation override
// the file's (noted), --return-sequences makes the top layer return every step. `weightsFile`
// receives what the file held, with a note for each override.
Network buildNetwork(const NetworkRequest &request, LoadedNetwork *weightsFile = nullptr);

// The network of a weights file: the whole network it holds, or the one layer `layer` names (a
// file of one layer as a network of one layer).
LoadedNetwork loadNetworkOrLayer(const std::string &path, const std::string &layer);

} // namespace rnnscope
