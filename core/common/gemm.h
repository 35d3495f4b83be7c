#pragma once
// The matrix products of the engine: C = A·B or C += A·B, column-major.
//
// Large products go to OpenBLAS's sgemm/dgemm when rnnscope was built with it (its Zen/Haswell
// kernels are 10–40 % faster than Eigen's here); small ones, where a library call costs more
// than it saves, stay with Eigen. Both give the same products up to the order of the sums.

#include <Eigen/Core>

namespace rnnscope {

// C = A·B (accumulate = false) or C += A·B (accumulate = true). A is m×k, B k×n, C m×n; each may be
// a block of a larger matrix (unit inner stride).
void gemm(const Eigen::Ref<const Eigen::MatrixXf> &A, const Eigen::Ref<const Eigen::MatrixXf> &B,
          Eigen::Ref<Eigen::MatrixXf> C, bool accumulate);
void gemm(const Eigen::Ref<const Eigen::MatrixXd> &A, const Eigen::Ref<const Eigen::MatrixXd> &B,
          Eigen::Ref<Eigen::MatrixXd> C, bool accumulate);

// What computes the products: "OpenBLAS 0.3.21 … (core Haswell, large products) + Eigen 3.4.0 (small
// products)" when built with OpenBLAS, "Eigen 3.4.0 (every product)" without it.
const char *gemmBackend();

// Threads for the products (Eigen's and OpenBLAS's); 1 by default.
void setGemmThreads(int threads);
int gemmThreads();

} // namespace rnnscope
