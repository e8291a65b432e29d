// SPDX-License-Identifier: MIT
/// @file stats.hpp
/// Small summaries of experimental curves: power-law fits of error against
/// sample size or feature count, and the spread of a set of values.
#pragma once

#include <armadillo>

namespace deepdot {

/// y ~ C x^slope fitted by least squares in the log-log plane.
struct PowerLawFit {
  double slope = 0.0;      ///< the exponent: d log y / d log x
  double intercept = 0.0;  ///< log C (natural log)
  double r_squared = 0.0;  ///< coefficient of determination of the log-log fit (1 if every log y is equal)
  arma::uword points = 0;  ///< pairs used
};

/// Fits log y = intercept + slope log x over the m pairs (x_i, y_i); x and y
/// are vectors of the same length m. Pairs with x <= 0 or y <= 0 (no
/// logarithm) or non-finite values are skipped, since an error of exactly 0
/// carries no information about the rate. Throws std::invalid_argument if the
/// lengths differ or fewer than two usable pairs with distinct x remain.
PowerLawFit fit_power_law(const arma::vec& x, const arma::vec& y);

/// max(v) / min(v) over the m >= 1 values of v, all > 0 and finite: how far
/// apart curves that should coincide are (1 = identical). Throws
/// std::invalid_argument on an empty vector or a value that is not > 0.
double max_min_ratio(const arma::vec& v);

}  // namespace deepdot
