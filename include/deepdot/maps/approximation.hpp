// SPDX-License-Identifier: MIT
/// @file approximation.hpp
/// How well explicit features Z = phi(X) reproduce the exact Gram matrix K.
#pragma once

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/kernels/kernel.hpp>

#include <armadillo>

namespace deepdot {

/// Errors of the approximate Gram matrix Z' Z against the exact K (both n x n).
/// A ratio whose denominator is zero is 0 if its numerator is zero too and
/// +infinity otherwise.
struct ApproximationError {
  /// ||K - Z'Z||_F / ||K||_F.
  double relative_frobenius = 0.0;
  /// ||K - Z'Z||_F / ||K - a_0 1 1'||_F: the error relative to the
  /// non-constant part of the kernel, the fair measure for kernels with a
  /// large constant coefficient a_0 (deep recursive kernels), which every
  /// map represents exactly.
  double relative_frobenius_nonconstant = 0.0;
  /// max_ij |K_ij - (Z'Z)_ij|.
  double max_abs_error = 0.0;
  /// ||K - Z'Z||_2 / ||K||_2 (spectral norms, from a symmetric
  /// eigen-decomposition: O(n^3), fine for the few thousand points such
  /// comparisons use).
  double relative_spectral = 0.0;
};

/// K: the exact n x n Gram matrix (symmetric); Z: D x n features, one column
/// per point, so the approximation is Z.t() * Z; a0: the constant coefficient
/// subtracted in relative_frobenius_nonconstant. Throws std::invalid_argument
/// if K is not square, Z does not have n columns, or anything is not finite.
ApproximationError approximation_error(const arma::mat& K, const arma::mat& Z, double a0);

/// Measures `map` against `kernel` on `sample` (d x n, one column per point,
/// unit ball): K = gram(kernel, sample), Z = map.transform(sample), a0 =
/// kernel's constant coefficient. The map is usually built for `kernel`, but
/// need not be (e.g. to measure how far one kernel's features are from
/// another kernel). Throws std::invalid_argument if the sample does not have
/// map.input_dim() rows or leaves the unit ball; std::logic_error if a
/// data-dependent map has not been fitted.
ApproximationError approximation_error(const Kernel& kernel, const FeatureMap& map, const arma::mat& sample);

}  // namespace deepdot
