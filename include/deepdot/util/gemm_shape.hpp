// SPDX-License-Identifier: MIT
/// @file gemm_shape.hpp
/// The shape of a matrix product, as feature maps report them to benchmarks.
#pragma once

#include <armadillo>

namespace deepdot {

/// The shape of one matrix product C (rows x n) = A (rows x inner) * B (inner x n)
/// that a feature map performs for a batch of n points (n is left out: it is the batch).
struct GemmShape {
  arma::uword rows = 0;
  arma::uword inner = 0;
  bool single = true;  ///< SGEMM (true) or DGEMM (false)
};

}  // namespace deepdot
