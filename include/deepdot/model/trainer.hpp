// SPDX-License-Identifier: MIT
/// @file trainer.hpp
/// One entry point from data to a saved-able Model: scaling, feature map
/// (or the exact kernel limit), the loss, regularisation selection.
#pragma once

#include <deepdot/solvers/feature_ridge.hpp>
#include <deepdot/solvers/kernel_ridge.hpp>
#include <deepdot/solvers/linear_solver.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/selection.hpp>
#include <deepdot/core/preprocess.hpp>

#include <armadillo>

#include <cstdint>
#include <functional>
#include <string>

namespace deepdot {

class Communicator;

/// The largest TrainerConfig::certificate_sample: keeps the certificate's
/// m x m matrices and m x D features small whatever the data size.
constexpr arma::uword max_certificate_sample = 4000;

/// Everything a Trainer needs; every field has a working default, and
/// TrainerConfig{} is the default of every front end (deepdot train,
/// deepdot-mpi, deepdot-fashion, the Python estimators). Fields left on
/// "auto" are chosen per data set (docs/defaults.md); a value set explicitly
/// is used as given and never searched:
///  - kernel "auto": the depth of the recursive kernel, recursive:1..4
///    (kernel_candidates()), by the validation error of the squared loss's free
///    lambda path on a subsample (a few thousand points, Nystroem features);
///    recursive:3 unless another depth is better by one standard error;
///  - loss automatic (classification): squared or squared hinge, the second
///    checked on the same subsample at the best kernel; regression: squared;
///  - lambdas empty: squared loss, the default grid on the validation split
///    (free on the eigen path); a chosen squared hinge, the subsample's best
///    lambda scaled by (subsample size / n), so that C = 1/(2 lambda n) carries over;
///  - map "auto": Nystroem when D <= the training points, else fourier:orf;
///  - features 0: the D rule (features_by_rule(): min(n, 16384) within the budget).
/// Streaming, sparse and data-parallel fits do not search: they take the rule
/// values (recursive:3, squared loss, Nystroem and the D rule; fourier:orf and
/// D = 4096 when streaming). The choice and every candidate's score are in
/// the model's metadata ("auto ..." keys) and passed to on_selection.
struct TrainerConfig {
  /// Kernel spec (see make_kernel()), or "auto".
  std::string kernel = "auto";
  /// Feature map spec (see make_feature_map()), "exact" for the kernel limit
  /// (KernelRidge for the squared loss, KernelSVM for the hinge losses; n x n
  /// memory), or "auto" (Nystroem within the D rule: the most accurate
  /// features per D measured on Fashion-MNIST and the UCI sets, docs/defaults.md).
  std::string map = "auto";
  /// D, the number of features (ignored in the kernel limit); 0: the D rule.
  arma::uword features = 0;
  /// The loss; Loss::automatic: chosen (see above).
  Loss loss = Loss::automatic;
  /// Regularisation: one value = that lambda (no selection); several = a grid
  /// selected on a validation split (validation_fraction > 0) or, for the
  /// squared loss on features, by GCV (validation_fraction = 0); empty = automatic (see above).
  arma::vec lambdas;
  /// What the final fit may cost (the D rule respects it through the cost model).
  FitBudget budget;
  /// Fraction of the points held out for selection (a seeded permutation),
  /// in [0, 0.9]. Used only when there is something to select.
  double validation_fraction = 0.1;
  /// After selection, refit on all points (train + validation) at the chosen
  /// lambda. Free for the squared loss on features (the validation batches are
  /// simply accumulated too); a second solve otherwise.
  bool refit_on_all = true;
  /// B > 0: the norm-ball form of Algorithm 1, ||w_j|| <= B per output,
  /// instead of the lambda form (lambdas are then ignored).
  double norm_bound = 0.0;
  std::uint64_t seed = 1;
  /// Feature precision: float halves memory and uses SGEMM in the map.
  Precision precision = Precision::single_precision;
  /// Per-feature scaling fitted on the training points, applied before
  /// `scaling` (docs/preprocessing.md): none (the default), standardize,
  /// minmax or maxabs. For sparse input minmax is refused and standardize
  /// does not centre. A feature constant on the training points becomes 0.
  FeatureScaling feature_scaling = FeatureScaling::none;
  /// The point-level map into the unit ball (after the feature scaling):
  /// unit_norm discards each point's magnitude; sphere_lift keeps it in one
  /// extra coordinate (the feature map then sees d + 1 inputs). automatic (the
  /// default): chosen on the validation search sample among unit norm, and
  /// standardised features (or the feature_scaling given) with unit norm or
  /// the sphere lift at R = {1/4, 1/2, 1} x the largest training norm
  /// (detail::choose_preprocessing; docs/defaults.md). Sparse and streaming
  /// fits take unit_norm without a search.
  Scaling scaling = Scaling::automatic;
  /// R of Scaling::sphere_lift, x -> (x / R, sqrt(1 - ||x||^2 / R^2)): it acts
  /// like a bandwidth (small R: a more local kernel). 0 (the default): chosen
  /// like `scaling` automatic, among the lifts (dense fits), or R = the largest
  /// norm of a training point after the feature scaling (sparse fits). Later
  /// points beyond R are clipped onto the sphere. Ignored by the other scalings.
  double lift_scale = 0.0;
  /// Points per feature batch: memory is O(batch x D) for the features.
  arma::uword batch_size = 2048;
  /// Back end of the squared loss on features.
  RidgeSolver solver = RidgeSolver::automatic;
  /// How float feature batches are added to ZZ' (squared loss): single, SGEMMs
  /// in float per batch (about twice as fast; rounding about sqrt(batch) x 6e-8
  /// relative, far below the random features' own error), or exact, double
  /// SYRK. Double-precision features always accumulate exactly.
  Accumulation accumulation = default_accumulation;
  /// Stopping rules of the iterative solvers (logistic, hinge losses). The
  /// tolerance is 1e-2: on Fashion-MNIST 1e-3 reaches the same accuracy in
  /// more epochs (docs/models.md).
  SolverOptions solver_options{1e-2, 1000};
  /// Points used to fit a data-dependent map (Nystroem, ...): the
  /// first max(map_sample, features) training points (after the permutation
  /// when a validation split is drawn): Nystroem needs at least D of them.
  arma::uword map_sample = 10000;
  /// The error certificate (docs/models.md): after the fit, on a seeded
  /// sample of the training points (disjoint from a data-dependent map's fit
  /// points when enough remain), the map's kernel error ||K - Z'Z||_F / ||K||_F
  /// and the difference between exact and feature ridge models at the chosen
  /// lambdas (certify()); stored in the model's metadata. Not computed in the
  /// kernel limit (exact by definition), for streamed fits (no points kept)
  /// or data-parallel fits on P > 1 ranks.
  bool certificate = true;
  /// Points of the certificate sample, in [4, max_certificate_sample]; fewer
  /// when the data have fewer. Cost: one transform of them, m^2 (D + d) flops
  /// and two (m/2)^3 eigen-decompositions.
  arma::uword certificate_sample = 1000;
  /// Optional progress report, called from the training thread as
  /// progress(stage, done, total): stages "fitting the map" (0/1, 1/1),
  /// "features" (points mapped so far / points to map), "solving" and, in the
  /// kernel limit, "kernel limit" (0/1 when a solve starts, 1/1 when it ends).
  /// Apps draw bars from it; the library never prints.
  std::function<void(const std::string& stage, arma::uword done, arma::uword total)> progress;
  /// Optional: called once per fit with what was chosen automatically (also
  /// when nothing was: then `automatic` is empty). The library never prints.
  std::function<void(const SelectionReport& report)> on_selection;
};

/// TrainerConfig{} with every automatic field fixed to its rule-free value:
/// kernel recursive:3, map fourier:orf, D = 4096, the squared loss and the
/// default lambda grid. For tools that need a kernel or a map before any data
/// (deepdot gram, transform, the Python FeatureMap) and for streaming fits.
TrainerConfig fixed_defaults();

/// The default lambda grid of the automatic choice: default_lambda_grid(10), 1e-8 .. 10.
arma::vec automatic_lambda_grid();

/// The (unfitted) Scaler a TrainerConfig describes: feature_scaling, scaling, lift_scale.
Scaler make_scaler(const TrainerConfig& config);

/// A batch source for streaming fits: fills X (d x b raw inputs) and Y
/// (c x b targets) and returns true, or returns false when the data are exhausted.
using BatchSource = std::function<bool(arma::mat& X, arma::mat& Y)>;

/// Trains models from a TrainerConfig.
///
/// @code
/// deepdot::TrainerConfig cfg;            // everything automatic (docs/defaults.md)
/// cfg.budget.seconds = 120;              // the D rule keeps the modelled fit within 2 minutes
/// deepdot::Model m = deepdot::Trainer(cfg).fit(X, labels);   // X: d x n raw, labels: n
/// m.save("model.ddm");
/// @endcode
class Trainer {
 public:
  /// Validates the configuration; throws std::invalid_argument naming the field.
  explicit Trainer(TrainerConfig config = TrainerConfig());

  /// Classification: X d x n raw inputs, labels n integers (>= 2 distinct);
  /// one-vs-all +-1 targets (LabelEncoder); selection by error rate on a
  /// seeded random validation split (validation_fraction of the points).
  Model fit(const arma::mat& X, const arma::ivec& labels) const;
  /// The same with an explicit validation set instead of a random split:
  /// X_val d x m raw inputs (scaled like X), labels_val m labels, each one of
  /// the training classes. The lambda grid is scored on it; with
  /// refit_on_all the final model is fitted on training and validation
  /// points together (training points first).
  Model fit(const arma::mat& X, const arma::ivec& labels, const arma::mat& X_val, const arma::ivec& labels_val) const;
  /// As fit(), but scales X in place and leaves it scaled: no second copy of
  /// a large data set (125 MB for Fashion-MNIST's 20,000 x 784 in double).
  /// With Scaling::sphere_lift X is left (d + 1) x n (reallocated once for the extra row).
  Model fit_inplace(arma::mat& X, const arma::ivec& labels) const;
  /// Regression: X d x n, Y c x n real targets; selection by MSE. Only the
  /// squared loss makes sense here.
  Model fit_regression(const arma::mat& X, const arma::mat& Y) const;
  /// The same with an explicit validation set: X_val d x m, Y_val c x m.
  Model fit_regression(const arma::mat& X, const arma::mat& Y, const arma::mat& X_val, const arma::mat& Y_val) const;
  /// Sparse inputs (deepdot/core/sparse.hpp): X d x n raw inputs in
  /// compressed columns, one column per point. Scaling keeps sparsity (no
  /// centring); every batch is mapped from its sparse form
  /// (FeatureMap::transform(const arma::sp_mat&): input-sparsity time for
  /// tensorsketch, maclaurin, fourier and nystrom). Selection as fit(). The
  /// kernel limit (map "exact") is refused: its model stores dense inputs.
  /// The model records the metadata {"input", "sparse"}.
  Model fit(const arma::sp_mat& X, const arma::ivec& labels) const;
  Model fit_regression(const arma::sp_mat& X, const arma::mat& Y) const;
  /// Streaming regression with the squared loss on features: batches of
  /// (X d x b, Y c x b) are mapped and accumulated; nothing of size n x D or
  /// n x d is held. input_dim = d. With several lambdas, selection is by GCV.
  /// Scaling must be none, unit_norm or sphere_lift with lift_scale > 0, and
  /// feature_scaling none (the others need a pass over all data first).
  Model fit_stream(const BatchSource& source, arma::uword input_dim) const;
  /// The same for classification: batch targets are labels (one row, 1 x b),
  /// `classes` the sorted class list.
  Model fit_stream_classes(const BatchSource& source, arma::uword input_dim, const arma::ivec& classes) const;

  /// Data-parallel classification (docs/distributed.md). Collective: every
  /// rank of `comm` calls it with the same configuration and its own points,
  /// X d x n_r raw inputs and n_r labels (n_r may be 0), the ranks' points in
  /// rank order forming the data set. Classes are the union over ranks, the
  /// scaling statistics, the validation split (validation_split() of the
  /// global count) and a data-dependent map's sample are global, so the model
  /// is the single-process fit() of the concatenated data to rounding, and the
  /// same on every rank. Squared loss on features: each rank accumulates its
  /// ZZ' and ZY' and one allreduce of D(D+1)/2 + Dc + c + 2 numbers sums them
  /// (a second one adds the validation points for the final fit). With P = 1
  /// every loss and the kernel limit work (by fit()); with P > 1 the iterative
  /// losses and the kernel limit are refused (std::invalid_argument).
  /// A bad input on one rank makes every rank throw (RemoteFailure on the others).
  Model fit_distributed(const Communicator& comm, const arma::mat& X, const arma::ivec& labels) const;
  /// As fit_distributed(), but scales X in place and leaves it scaled: no
  /// second copy of the rank's points (as fit_inplace() for one process; the
  /// sphere lift leaves X (d + 1) x n_r). The per-feature statistics are
  /// computed collectively (sums, then sums of squared deviations, minima and
  /// maxima over the ranks), as is the lift's automatic R.
  Model fit_distributed_inplace(const Communicator& comm, arma::mat& X, const arma::ivec& labels) const;
  /// Data-parallel regression: X d x n_r, Y c x n_r targets on this rank.
  Model fit_regression_distributed(const Communicator& comm, const arma::mat& X, const arma::mat& Y) const;

  const TrainerConfig& config() const { return config_; }

 private:
  // X: the raw training inputs; in_place: X itself, to be scaled in place;
  // X_val/Y_val: an explicit validation set (empty: a random split or none).
  Model fit_any(const arma::mat& X, const arma::mat& Y, const arma::ivec& classes, arma::mat* in_place,
                const arma::mat* X_val, const arma::mat* Y_val) const;
  Model fit_sparse_any(const arma::sp_mat& X, const arma::mat& Y, const arma::ivec& classes) const;
  Model distributed_impl(const Communicator& comm, const arma::mat& X, const arma::mat& Y, const arma::ivec& classes,
                         arma::mat* in_place) const;
  Model stream_impl(const BatchSource& source, arma::uword input_dim, const arma::ivec& classes) const;

  TrainerConfig config_;
};

}  // namespace deepdot
