// SPDX-License-Identifier: MIT
/// @file approximation.hpp
/// How well explicit features Z = phi(X) reproduce the exact Gram matrix K.
#pragma once

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/kernels/kernel.hpp>

#include <armadillo>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

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

/// Settings of approximation_sweep().
struct SweepOptions {
  /// Maps drawn per (map, D); their errors and times are averaged.
  arma::uword repeats = 1;
  /// The seeding rule: repeat r (0-based) of every (map, D) uses seed + r. The
  /// seeds do not depend on the map or D, so the rows of a sweep do not depend
  /// on which other maps or D values are in the lists (rerunning one cell
  /// gives the same numbers), and every map sees the same seeds.
  std::uint64_t seed = 1;
  /// Transform (and time) the float path, measuring the error of the float
  /// features; otherwise double.
  bool single_precision = false;
  /// Called after each measured map as progress(done, total), total = maps x D x repeats.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

/// One (map, D) cell of a sweep.
struct SweepRow {
  std::string map;                 ///< the map spec as given
  arma::uword features = 0;        ///< D
  bool data_dependent = false;     ///< the map needs fit() (min_fit_points() > 0)
  /// True when the fit sample has fewer points than the map needs
  /// (min_fit_points()); the row then holds no measurements.
  bool skipped = false;
  ApproximationError error;        ///< means over the repeats
  double nonconstant_sd = 0.0;     ///< standard deviation of relative_frobenius_nonconstant over the repeats (0 for one)
  double seconds = 0.0;            ///< mean seconds of one transform of X
};

/// For every map spec x D (in that order), `options.repeats` maps built for
/// `kernel` with the seeding rule of SweepOptions; data-dependent maps are
/// fitted on `fit_sample` (d x m, unit ball; X itself may be passed). Each is
/// measured against K = gram(kernel, X) with approximation_error(): X is
/// d x n, one column per point, unit ball, n >= 2. Returns maps x D rows.
/// Throws std::invalid_argument naming the problem for empty lists, D = 0,
/// repeats = 0, an unknown spec, or a fit sample whose d differs from X's.
std::vector<SweepRow> approximation_sweep(const Kernel& kernel, const std::vector<std::string>& maps,
                                          const std::vector<arma::uword>& features, const arma::mat& X,
                                          const arma::mat& fit_sample, const SweepOptions& options = SweepOptions());

}  // namespace deepdot
