#include "io/modelrequest.h"

#include "common/error.h"
#include "io/weightfile.h"

namespace rnnscope {

namespace {

void agree(const char *name, int asked, int fixed, const std::string &byWhat)
{
    if (asked != fixed)
        throw Error(ErrorKind::ShapeMismatch, std::string("--dims gives ") + name + "=" + std::to_string(asked)
                                                  + ", but " + byWhat + " (" + name + "=" + std::to_string(fixed)
                                                  + ")");
}

std::string valueText(Activation a)
{
    return activationName(a);
}

std::string valueText(bool on)
{
    return on ? "on" : "off";
}

// What the user gave, else what the file says, else the default; notes in `loaded` when the
// user's value overrides a different one of the file.
template <typename T>
T chosen(const std::optional<T> &given, const std::optional<T> &fromFile, const T &fallback, const char *option,
         std::optional<LoadedModel> &loaded)
{
    if (given && fromFile && *given != *fromFile)
        loaded->notes.push_back(std::string(option) + " " + valueText(*given) + " overrides the file's " + valueText(*fromFile));
    return given ? *given : fromFile ? *fromFile : fallback;
}

} // namespace

Model buildModel(const ModelRequest &request, LoadedModel *weightsFile)
{
    Dims dims = request.dims.value_or(request.config.dims);
    std::optional<LoadedModel> loaded;
    if (!request.weightsPath.empty()) {
        loaded = loadWeightsFile(request.weightsPath, request.layer);
        const Weights &w = loaded->weights;
        const std::string what = request.weightsPath + " holds Wx of shape " + shapeOf(w.Wx)
            + (w.hasDense() ? " and Wo of shape " + shapeOf(w.Wo) : std::string(" and no Dense layer"));
        const int K = w.hasDense() ? w.K() : 0;
        if (request.dims) {
            agree("D", dims.D, w.D(), what);
            agree("M", dims.M, w.M(), what);
            agree("K", dims.K, K, what);
        }
        if (request.kind && *request.kind != w.kind())
            throw Error(ErrorKind::ShapeMismatch, std::string("--cell ") + cellName(*request.kind) + " contradicts "
                                                      + request.weightsPath + ", which holds " + cellClassName(w.kind())
                                                      + " weights (recurrent kernel " + shapeOf(w.Wh) + ")");
        if (request.resetAfter && w.kind() == CellKind::GRU && *request.resetAfter != w.resetAfter())
            throw Error(ErrorKind::ShapeMismatch, std::string("--no-reset-after contradicts ") + request.weightsPath
                                                      + ", whose GRU bias " + biasShapeString(w)
                                                      + " is reset_after=True's");
        dims.D = w.D();
        dims.M = w.M();
        dims.K = K;
        if (!request.dims && loaded->T)
            dims.T = *loaded->T;
    }
    std::optional<NdArray> x;
    if (!request.inputPath.empty())
        x = loadInputFile(request.inputPath, loaded ? dims.D : (request.dims ? dims.D : -1));
    else if (loaded && loaded->input)
        x = inputFromArray(*loaded->input, dims.D);
    if (x) {
        const std::string what = (request.inputPath.empty() ? request.weightsPath : request.inputPath)
            + " holds X of shape " + shapeString(x->shape);
        const int N = static_cast<int>(x->shape[0]), T = static_cast<int>(x->shape[1]),
                  D = static_cast<int>(x->shape[2]);
        if (request.dims) {
            agree("N", dims.N, N, what);
            agree("T", dims.T, T, what);
            agree("D", dims.D, D, what);
        }
        dims.N = N;
        dims.T = T;
        dims.D = D;
    }
    ModelConfig config = request.config;
    config.dims = dims;
    config.cell = chosen(request.cell, loaded ? loaded->cell : std::nullopt, config.cell, "--activation", loaded);
    config.recurrent = chosen(request.recurrent, loaded ? loaded->recurrent : std::nullopt, config.recurrent,
                              "--recurrent-activation", loaded);
    if (loaded) {
        config.kind = loaded->weights.kind();
        config.resetAfter = loaded->weights.resetAfter() || config.kind != CellKind::GRU;
    }
    config.dense = chosen(request.dense, loaded ? loaded->dense : std::nullopt, config.dense, "--dense-activation", loaded);
    config.returnSequences = chosen(request.returnSequences, loaded ? loaded->returnSequences : std::nullopt,
                                    config.returnSequences, "--return-sequences", loaded);
    Model model(config);
    if (loaded)
        model.setWeights(loaded->weights);
    if (x)
        model.setInput(*x);
    if (weightsFile && loaded)
        *weightsFile = std::move(*loaded);
    return model;
}

} // namespace rnnscope
