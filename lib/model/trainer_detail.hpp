// SPDX-License-Identifier: MIT
// Private: the steps of Trainer::fit that the data-parallel fit
// (trainer_distributed.cpp) shares with the single-process one, so that both
// make the same decisions (split, map sample, regularisation, metadata).
#pragma once

#include <deepdot/model/trainer.hpp>

#include "model/learners.hpp"

namespace deepdot::detail {

/// Global point indices 0..n-1 of the training and validation points, both ascending.
struct ValidationSplit {
  arma::uvec train, validation;
};
/// The seeded random split of n >= 2 points: round(fraction n) validation
/// points (at least 1, at most n - 1) from one permutation of all n. It
/// depends on n and the seed only, so P ranks each holding a range of the
/// points find the same split.
ValidationSplit validation_split(arma::uword n, std::uint64_t seed, double fraction);

/// Points a data-dependent map is fitted on: max(map_sample, features), at most `available`.
arma::uword map_sample_size(const TrainerConfig& c, arma::uword available);
/// Fits a data-dependent map (if not yet fitted) on the first map_sample_size() training points.
void fit_map(const TrainerConfig& c, FeatureMap& map, const DataPart& train);
/// What every model records, whichever back end fitted it.
ModelParts base_parts(const TrainerConfig& c, const Kernel& kernel, const Scaler& scaler, const arma::ivec& classes,
                      arma::uword input_dim);
/// The regularisation decision (norm ball, fixed lambda, validation path, GCV), made once.
void regularise(const TrainerConfig& c, Learner& learner, bool has_validation, Criterion criterion, ModelParts& parts);

/// The post-fit step: appends the error certificate of `map` (null in the
/// kernel limit) to parts.metadata, or {"certificate", why not}. The sample is
/// certificate_sample points drawn with the seed from the training and
/// validation points, leaving out the points a data-dependent map was fitted
/// on when enough others remain; the lambdas are parts.lambdas, the targets
/// the split's. Defined in trainer_certificate.cpp.
void attach_certificate(const TrainerConfig& c, const Kernel& kernel, const FeatureMap* map, const DataSplit& split,
                        ModelParts& parts);
/// True when some field of `c` is left on "auto" (kernel, map, features, loss, lambdas).
bool has_automatic(const TrainerConfig& c);
/// The automatic choices by rule alone (sparse, data-parallel and streaming
/// fits): recursive:3, the squared loss, the default lambda grid, the map and
/// D rule for n_train training and n_all final points (streaming: fourier:orf, D = 4096).
TrainerConfig choose_by_rule(const TrainerConfig& c, arma::uword n_train, arma::uword n_all, arma::uword d,
                             arma::uword outputs, bool streaming, SelectionReport& report);
/// The automatic choices of a dense fit, by validation on a subsample: X d x n
/// raw inputs and Y c x n targets, `scaler` fitted on X, train_idx the training
/// columns of X, and the validation columns val_idx of Xv (X itself for a
/// random split, or an explicit validation set) with targets Yv. Never reads
/// anything else.
TrainerConfig choose_dense(const TrainerConfig& c, const Scaler& scaler, const arma::mat& X, const arma::mat& Y,
                           const arma::uvec& train_idx, const arma::mat& Xv, const arma::mat& Yv,
                           const arma::uvec& val_idx, bool classify, SelectionReport& report);
/// True when the search on a subsample runs (kernel or loss automatic).
bool needs_search(const TrainerConfig& c);
/// The global indices of the search subsample: a seeded choice of at most
/// 3000 of the training and 1500 of the validation indices (both ascending).
struct SearchIndices {
  arma::uvec train, validation;
};
SearchIndices search_indices(const arma::uvec& train_idx, const arma::uvec& val_idx, std::uint64_t seed);
/// The choices from the scaled search sample (Xt d x m_t, Yt; Xv d x m_v, Yv;
/// empty when !needs_search()), for a final fit of n_train training and n_all
/// points in d dimensions with `outputs` outputs. Deterministic: every rank of
/// a data-parallel fit calls it on the same gathered sample and agrees.
TrainerConfig choose_on_sample(const TrainerConfig& c, const arma::mat& Xt, const arma::mat& Yt, const arma::mat& Xv,
                               const arma::mat& Yv, arma::uword n_train, arma::uword n_all, arma::uword d,
                               arma::uword outputs, bool classify, SelectionReport& report, bool folds = true);
/// True when the preprocessing is chosen: scaling automatic, or the sphere
/// lift with lift_scale 0 (R chosen).
bool needs_preprocessing_search(const TrainerConfig& c);
/// The chosen preprocessing: scaling and feature scaling, and for the sphere
/// lift R as a multiple of the largest (feature-scaled) training norm, which
/// the caller takes over all its training points.
struct PreprocessingChoice {
  Scaling scaling = Scaling::unit_norm;
  FeatureScaling features = FeatureScaling::none;
  double lift_multiple = 0.0;  ///< R / (largest training norm); 0 unless sphere_lift
  std::string kernel;          ///< a Gaussian kernel chosen with the lift ("gaussian:S"); empty: not chosen here
  double gaussian_width = 0.0;     ///< S of `kernel` (0: none)
  double sample_lift_scale = 0.0;  ///< R on the search sample (with `kernel`)
  std::string text;            ///< in words, for the report
  std::vector<SelectionCandidate> candidates;
};
/// `folds`: false when the validation points are an explicit validation set,
/// which is then the only one scored on (no cross-validation of small sets).
/// Scores the preprocessing candidates on the raw search sample (Xt d x m_t
/// with targets Yt, Xv d x m_v with Yv; the sample of search_indices()): each
/// candidate's scaler is fitted on Xt alone, so every rank of a data-parallel
/// fit, given the same gathered sample, makes the same choice. Candidates
/// (scaling automatic): unit norm; F + unit norm; F + sphere lift with R =
/// {1/4, 1/2, 1} x the largest norm, where F is the configured feature scaling,
/// or standardize when that is none. With the sphere lift and lift_scale 0:
/// the lifts only. When the kernel is automatic, also F + sphere lift with R =
/// the largest norm and a Gaussian kernel of width {0.71, 0.5, 0.35, 0.25} x
/// the median distance between the lifted sample points (kernel and
/// preprocessing chosen together). Scored like the kernel stage (squared loss, free lambda
/// path, Nystroem features of recursive:3 or the given kernel); the first
/// candidate is kept unless another is better by more than one standard error
/// of its validation error rate (classification) or has a lower MSE.
PreprocessingChoice choose_preprocessing(const TrainerConfig& c, const arma::mat& Xt, const arma::mat& Yt,
                                         const arma::mat& Xv, const arma::mat& Yv, bool classify, bool folds = true);
/// c with the chosen preprocessing (lift_scale stays 0 for the caller to set).
TrainerConfig with_preprocessing(const TrainerConfig& c, const PreprocessingChoice& p);
/// With a Gaussian chosen here: its width rescaled from the sample's R to the
/// final R (the largest norm of all training points, often a little larger),
/// so that the width in the feature-scaled space is the one validated.
void finish_preprocessing(const PreprocessingChoice& p, double lift_scale, TrainerConfig& c);
/// Puts the preprocessing stage in front of `report` (after the other stages filled it).
void add_preprocessing_report(const PreprocessingChoice& p, double lift_scale, SelectionReport& report);
/// The report as "auto ..." metadata of the model.
void record_selection(const SelectionReport& report, ModelParts& parts);

}  // namespace deepdot::detail
