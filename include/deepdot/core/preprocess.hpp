// SPDX-License-Identifier: MIT
/// @file preprocess.hpp
/// Bringing data into the unit ball (Assumption A): the preprocessing every
/// kernel in deepdot expects.
#pragma once

#include <armadillo>

#include <string>

namespace deepdot {

/// How a Scaler maps data into the unit ball.
enum class Scaling {
  none,      ///< leave the data as it is (it must already satisfy ||x|| <= 1)
  unit_norm, ///< divide every column by its own norm (zero columns stay zero)
  max_norm,  ///< divide every column by the largest column norm seen in fit()
};

/// Parses "none", "unit" / "unit-norm" or "max" / "max-norm". Throws std::invalid_argument.
Scaling parse_scaling(const std::string& name);
/// The canonical name: "none", "unit-norm" or "max-norm".
std::string scaling_name(Scaling scaling);

/// Euclidean norm of every column of X (d x n); returns n values.
arma::vec column_norms(const arma::mat& X);

/// Divides every column of X by its l2 norm in place; zero columns stay zero.
void normalize_columns(arma::mat& X);
void normalize_columns(arma::fmat& X);

/// Divides all of X by its largest column norm in place (if that is positive)
/// and returns the factor used.
double scale_by_max_norm(arma::mat& X);

/// Stateful preprocessing that can be stored in a model: fit() learns the
/// factor on training data (for max_norm), transform() applies the same map
/// to any later data. Points of later data may still fall outside the ball
/// under max_norm; transform() then clips them onto the sphere, since the
/// kernel is only defined inside it.
class Scaler {
 public:
  explicit Scaler(Scaling scaling = Scaling::unit_norm);
  /// X: d x n training data.
  void fit(const arma::mat& X);
  /// Returns the scaled copy of X (d x n).
  arma::mat transform(const arma::mat& X) const;
  /// Scales X (d x n) in place: no copy of a large data set.
  void transform_inplace(arma::mat& X) const;
  /// Sparse X (d x n, one column per point): the same scaling on the stored
  /// values only, so sparsity is kept (nothing is centred). O(nnz).
  void fit(const arma::sp_mat& X);
  arma::sp_mat transform(const arma::sp_mat& X) const;
  Scaling scaling() const { return scaling_; }
  /// The divisor of max_norm mode (1 before fit()).
  double factor() const { return factor_; }
  void set_factor(double factor);

 private:
  Scaling scaling_;
  double factor_ = 1.0;
};

}  // namespace deepdot
