#pragma once
// rnnscope::ModelRequest — what the user asked for (options, a weights file, an input file), and
// how it becomes a Model.
//
// Weights from a file fix D, M and K; X from a file fixes N, T and D. Explicit --dims that
// contradict a file are refused naming both shapes; dimensions nobody fixed keep their defaults.

#include "model.h"

#include <optional>
#include <string>

namespace rnnscope {

struct ModelRequest {
    std::optional<Dims> dims;            // --dims; nullopt: the defaults (or what files fix)
    ModelConfig config;                  // everything else (its dims are ignored)
    std::string weightsPath;             // --weights (.npz …); empty: drawn from the seed
    std::string layer;                   // --layer, for files with several recurrent layers
    std::string inputPath;               // --input (.npy (N,T,D) or (T,D), .csv); empty: drawn
};

// Loads the files, reconciles the dimensions and builds the model. Throws Error on anything
// refused, with a one-line message naming the value and what was expected.
Model buildModel(const ModelRequest &request);

} // namespace rnnscope
