#pragma once
// rnnscope::ModelRequest — what the user asked for (options, a weights file, an input file), and
// how it becomes a Model.
//
// Weights from a file fix the cell, D, M and K; X from a file fixes N, T and D. Explicit --dims,
// --cell or --no-reset-after that contradict a file are refused naming both; dimensions nobody fixed keep their defaults.
// A Keras model file also gives the default T (its batch_input_shape), the activations and
// return_sequences: what the user gave explicitly wins, then the file, then `config`.

#include "io/weightfile.h"
#include "run/model.h"

#include <optional>
#include <string>

namespace rnnscope {

struct ModelRequest {
    std::optional<Dims> dims;            // --dims; nullopt: config.dims (or what files fix)
    ModelConfig config;                  // everything else; config.dims are the defaults
    std::optional<Activation> cell;      // --activation given: overrides the weights file's
    std::optional<CellKind> kind;        // --cell given: must agree with a weights file
    std::optional<Activation> recurrent; // --recurrent-activation given: overrides the weights file's
    std::optional<bool> resetAfter;      // --no-reset-after given (false): must agree with a GRU file
    std::optional<Activation> dense;     // --dense-activation given: overrides the weights file's
    std::optional<bool> returnSequences; // --return-sequences given: overrides the weights file's
    std::string weightsPath;             // --weights (.npz, .h5, .keras …); empty: drawn from the seed
    std::string layer;                   // --layer, for files with several recurrent layers
    std::string inputPath;               // --input (.npy (N,T,D) or (T,D), .csv); empty: drawn
};

// Loads the files, reconciles the dimensions and builds the model. Throws Error on anything
// refused, with a one-line message naming the value and what was expected. When `weightsFile`
// is given and the request names a weights file, it receives what the file held (the layer
// opened, its format, its notes, and a note for each option that overrode the file).
Model buildModel(const ModelRequest &request, LoadedModel *weightsFile = nullptr);

} // namespace rnnscope
