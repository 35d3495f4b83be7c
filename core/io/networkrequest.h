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
#include "nn/layer.h"
#include "run/network.h"

#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

struct NetworkRequest {
    ModelRequest model;                          // the single-layer options, files, dtype, seed, init …
    std::optional<StackDims> dims;               // --dims (either form)
    std::optional<std::vector<LayerSpec>> stack; // --stack
};

// Whether the request needs a network: a --stack, or --dims with brackets or more than one layer.
bool needsNetwork(const NetworkRequest &request);

// The network's configuration (files aside). Throws Error naming the contradiction.
NetworkConfig networkConfig(const NetworkRequest &request);

// Builds the network, with X from --input when given. Throws Error on anything refused.
Network buildNetwork(const NetworkRequest &request);

} // namespace rnnscope
