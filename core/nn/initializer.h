#pragma once
// Keras's weight initializers and the random input, drawn from the seeded streams of
// common/random.h (each quantity from its own, so that loading X from a file or changing N or T
// leaves the weights as they were).
//
//   glorot_uniform (rows, cols):  U(−l, l),  l = sqrt(6 / (rows + cols))
//   orthogonal (M, gM):           Keras's: Q of A = QR, A (gM, M) standard normal, Q's columns ·
//                                 sign(diag R), transposed: the rows are orthonormal (g = 1: Q)
//   normal(σ):                    N(0, σ²)          uniform(a): U(−a, a)
//   identity (Wh only, IRNN):     I_M (the first M columns for a gated cell)     zeros: 0
//   LSTM bias:                    the forget block 1 (Keras's unit_forget_bias), unless zeros

#include "common/random.h"
#include "nn/weights.h"

#include <Eigen/Core>

#include <cstdint>
#include <optional>
#include <string>

namespace rnnscope {

// How the weights are drawn.
enum class InitScheme {
    KerasDefault, // glorot_uniform Wx and Wo, orthogonal Wh, zero biases
    Normal,       // every weight N(0, scale²), zero biases
    Uniform,      // every weight U(−scale, scale), zero biases
    Identity,     // IRNN: Wh = I, Wx and Wo glorot_uniform, zero biases
    Zeros,        // everything 0
};

struct InitSpec {
    InitScheme scheme = InitScheme::KerasDefault;
    double scale = 0.05; // σ for Normal, a for Uniform (Keras's RandomNormal/RandomUniform default)
};

const char *initSchemeName(InitScheme s); // "keras", "normal", "uniform", "identity", "zeros"
std::optional<InitScheme> parseInitScheme(const std::string &name);

Eigen::MatrixXd glorotUniform(int rows, int cols, Rng &rng);
Eigen::MatrixXd orthogonal(int n, Rng &rng);
Eigen::MatrixXd orthogonal(int rows, int cols, Rng &rng);
Eigen::MatrixXd normalMatrix(int rows, int cols, double sigma, Rng &rng);
Eigen::MatrixXd uniformMatrix(int rows, int cols, double a, Rng &rng);

// A kernel (rows, cols) that reads inputs (Wx, Wo): glorot_uniform for Keras's default and the
// identity scheme, else the scheme's normal, uniform or zeros.
Eigen::MatrixXd initialKernel(int rows, int cols, const InitSpec &spec, Rng &rng);

// Wx (D,gM), Wh (M,gM), bh, Wo (M,K), bo (K) of `cell` drawn from `seed` by `spec`.
Weights initialWeights(int D, int M, int K, const InitSpec &spec, std::uint64_t seed, const CellSpec &cell = {});
// What initialWeights costs, in the engine's multiply–adds (the unit of Model::workThrough): a
// few per value drawn, and for Keras's orthogonal recurrent kernel the QR of a (gM × M) normal
// matrix and forming its Q, about 0.65·big·small² (measured: M = 2000, or an LSTM of M = 1000,
// takes over a second). The window builds a model on its worker when this is long.
double initialWeightsWork(int D, int M, int K, const InitSpec &spec, const CellSpec &cell = {});

// X of shape (N, T, D), standard normal like np.random.randn(N, T, D), as a D × (T·N) matrix whose
// column t·N + n is x_t of sample n. Each sample draws from its own substream in (t, d) order, so a
// larger N keeps the samples a smaller one had and a larger T keeps their first timesteps.
Eigen::MatrixXd randomInput(int N, int T, int D, std::uint64_t seed);

} // namespace rnnscope
