// SPDX-License-Identifier: MIT
/// @file preprocess.hpp
/// Bringing data into the unit ball (Assumption A): the preprocessing every
/// kernel in deepdot expects. Two steps, both fitted on training data and
/// stored in a model (docs/preprocessing.md):
///  1. per-feature scaling (FeatureScaling: z-score, min-max, max-abs), so
///     that columns in different units weigh alike;
///  2. a point-level map into the ball (Scaling: unit norm, max norm, or the
///     sphere lift, which keeps each point's magnitude).
#pragma once

#include <armadillo>

#include <string>

namespace deepdot {

/// How a Scaler maps data into the unit ball (the point-level step).
enum class Scaling {
  none,         ///< leave the data as it is (it must already satisfy ||x|| <= 1)
  unit_norm,    ///< divide every column by its own norm (zero columns stay zero)
  max_norm,     ///< divide every column by the largest column norm seen in fit()
  /// x -> (x / R, sqrt(1 - ||x||^2 / R^2)): onto the unit sphere of one
  /// dimension more (d + 1 outputs), keeping ||x|| in the last coordinate.
  /// R is the lift scale (Scaler's lift_scale; 0: the largest training norm);
  /// later points with ||x|| > R are clipped onto the sphere: (x / ||x||, 0).
  sphere_lift,
  /// Chosen by the Trainer on a validation sample (docs/defaults.md): unit
  /// norm, or standardised features with unit norm or the sphere lift. Only a
  /// TrainerConfig holds it; a Scaler or a model never does.
  automatic,
};

/// Parses "none", "unit" / "unit-norm", "max" / "max-norm" or "sphere-lift" /
/// "lift". Throws std::invalid_argument.
Scaling parse_scaling(const std::string& name);
/// The canonical name: "none", "unit-norm", "max-norm" or "sphere-lift".
std::string scaling_name(Scaling scaling);
/// The dimension after the point-level step: d + 1 for sphere_lift, else d.
arma::uword scaled_dim(Scaling scaling, arma::uword input_dim);

/// Per-feature scaling, learnt from the training data (one statistic per
/// row of the d x n data) and applied before the point-level Scaling.
/// Every mode has the form x_i -> (x_i - offset_i) * factor_i. A feature that
/// is constant on the training data (max = min) gets factor 0: it carries no
/// information, and it becomes 0 for every later point too (never a division
/// by zero, never NaN).
enum class FeatureScaling {
  none,         ///< features as they are
  /// z-score: (x_i - mean_i) / std_i with the population std (divided by n).
  /// On sparse data nothing is centred: x_i / std_i (the std still about the
  /// mean, implicit zeros counted), so zeros stay zeros.
  standardize,
  /// The training range [min_i, max_i] onto [-1, 1] (centred: the kernels are
  /// dot products, so a symmetric range uses both signs). Refused for sparse
  /// data, where the shift would fill every zero: use maxabs there.
  minmax,
  /// x_i / max |x_i|: into [-1, 1] without any shift, so zeros stay zeros
  /// (the sparse-friendly mode; for non-negative data it is min-max onto [0, 1]
  /// with min taken as 0).
  maxabs,
};

/// Parses "none", "standardize" (or "zscore", "standard"), "minmax" (or
/// "min-max") and "maxabs" (or "max-abs"). Throws std::invalid_argument.
FeatureScaling parse_feature_scaling(const std::string& name);
/// The canonical name: "none", "standardize", "minmax" or "maxabs".
std::string feature_scaling_name(FeatureScaling scaling);

/// Per-feature statistics of d x n data over its n points: each vector has d
/// values. Sparse data count their implicit zeros.
struct FeatureStatistics {
  arma::uword count = 0;  ///< n
  arma::vec mean;         ///< sum_j x_ij / n
  arma::vec variance;     ///< sum_j (x_ij - mean_i)^2 / n (population variance)
  arma::vec min, max;
};

/// The statistics of X (d x n, one column per point); two passes for the
/// variance (no cancellation of a one-pass sum of squares).
FeatureStatistics feature_statistics(const arma::mat& X);
/// The same on the stored values of sparse X (d x n), with the implicit zeros. O(nnz + d).
FeatureStatistics feature_statistics(const arma::sp_mat& X);

/// The per-feature step of the preprocessing: x_i -> (x_i - offset_i) * factor_i.
class FeatureScaler {
 public:
  explicit FeatureScaler(FeatureScaling scaling = FeatureScaling::none);
  /// X: d x n training data.
  void fit(const arma::mat& X);
  /// Sparse X (d x n): nothing is centred (offsets stay 0); minmax is refused
  /// (std::invalid_argument pointing to maxabs).
  void fit(const arma::sp_mat& X);
  /// From statistics computed elsewhere (e.g. summed over the ranks of a
  /// distributed fit); `centre` false: the sparse rule (no offsets).
  void fit(const FeatureStatistics& stats, bool centre = true);
  /// Restores a fitted scaler (a model's stored state): offset and factor d
  /// values each, finite. Throws std::invalid_argument.
  void set(const arma::vec& offset, const arma::vec& factor);

  /// X: d x n; scaled in place. The identity for none. Throws if d differs from the fitted d.
  void transform_inplace(arma::mat& X) const;
  /// Sparse X (d x n): the stored values scaled, same sparsity pattern (a
  /// constant feature's values are dropped). Throws std::invalid_argument if
  /// the scaler has non-zero offsets (fitted on dense data with centring):
  /// that would fill every zero.
  arma::sp_mat transform(const arma::sp_mat& X) const;

  FeatureScaling scaling() const { return scaling_; }
  /// True for none or once fitted.
  bool fitted() const { return scaling_ == FeatureScaling::none || factor_.n_elem > 0; }
  /// d values each once fitted; empty for none.
  const arma::vec& offset() const { return offset_; }
  const arma::vec& factor() const { return factor_; }
  /// The features found constant in fit() (factor 0), ascending 0-based indices.
  arma::uvec constant_features() const;

 private:
  void check_dim(arma::uword d, const char* where) const;
  FeatureScaling scaling_;
  arma::vec offset_, factor_;
};

/// Stateful preprocessing that can be stored in a model: fit() learns the
/// per-feature statistics and the point-level factor on training data,
/// transform() applies the same map to any later data. Points of later data
/// may still fall outside the ball under max_norm; transform() then clips them
/// onto the sphere, since the kernel is only defined inside it (sphere_lift
/// clips the same way: a point beyond R maps to (x / ||x||, 0)).
/// The output has scaled_dim(scaling, d) rows: d + 1 for sphere_lift.
class Scaler {
 public:
  /// lift_scale: R of sphere_lift; 0 (the default) lets fit() take the
  /// largest training norm after the feature scaling. Ignored by the other modes.
  explicit Scaler(Scaling scaling = Scaling::unit_norm, FeatureScaling features = FeatureScaling::none,
                  double lift_scale = 0.0);
  /// X: d x n training data.
  void fit(const arma::mat& X);
  /// Returns the scaled copy of X (scaled_dim x n).
  arma::mat transform(const arma::mat& X) const;
  /// Scales X (d x n) in place: no copy of a large data set, except that
  /// sphere_lift adds a row, so X is reallocated as (d + 1) x n.
  void transform_inplace(arma::mat& X) const;
  /// fit(X) then transform_inplace(X), in one pass over X's memory: no copy.
  void fit_transform_inplace(arma::mat& X);
  /// Sparse X (d x n, one column per point): the same scaling on the stored
  /// values only, so sparsity is kept (nothing is centred; sphere_lift adds
  /// one stored value per point, in the new last row). O(nnz).
  void fit(const arma::sp_mat& X);
  arma::sp_mat transform(const arma::sp_mat& X) const;
  /// Only the point-level step, on data that already went through features().
  void scale_points_inplace(arma::mat& X) const;
  arma::sp_mat scale_points(const arma::sp_mat& X) const;

  Scaling scaling() const { return scaling_; }
  /// The divisor of max_norm mode, or R of sphere_lift (1 before fit(), or lift_scale if set).
  double factor() const { return factor_; }
  void set_factor(double factor);
  /// The configured lift scale (0: chosen by fit()).
  double lift_scale() const { return lift_scale_; }
  const FeatureScaler& features() const { return features_; }
  void set_features(FeatureScaler features) { features_ = std::move(features); }
  /// The number of rows transform() gives for d-row input.
  arma::uword output_dim(arma::uword input_dim) const { return scaled_dim(scaling_, input_dim); }

 private:
  /// fit()'s point-level factor from feature-scaled training data (max norm over columns).
  void fit_factor(double largest_norm);
  Scaling scaling_;
  double lift_scale_ = 0.0;
  double factor_ = 1.0;
  FeatureScaler features_;
};

/// Euclidean norm of every column of X (d x n); returns n values.
arma::vec column_norms(const arma::mat& X);

/// Divides every column of X by its l2 norm in place; zero columns stay zero.
void normalize_columns(arma::mat& X);
void normalize_columns(arma::fmat& X);

/// Divides all of X by its largest column norm in place (if that is positive)
/// and returns the factor used.
double scale_by_max_norm(arma::mat& X);

/// The sphere lift of X (d x n) with scale R > 0: (d + 1) x n, column j =
/// (x_j / R, sqrt(1 - ||x_j||^2 / R^2)), or (x_j / ||x_j||, 0) if ||x_j|| > R.
/// Every output column has unit norm (to rounding). Throws for R <= 0.
arma::mat sphere_lift(const arma::mat& X, double R);
arma::sp_mat sphere_lift(const arma::sp_mat& X, double R);

}  // namespace deepdot
