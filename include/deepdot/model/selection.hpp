// SPDX-License-Identifier: MIT
/// @file selection.hpp
/// The automatic choices of a default Trainer run (docs/defaults.md): the
/// budget a fit must respect, the cost model the D rule uses, the rule itself,
/// and the report of what validation chose.
#pragma once

#include <deepdot/core/loss.hpp>

#include <armadillo>

#include <string>
#include <vector>

namespace deepdot {

/// What a fit may spend. The D rule (features_by_rule()) keeps the modelled
/// cost of the final fit (estimate_fit_cost()) within both limits.
struct FitBudget {
  /// Modelled seconds of the final fit (map fit, features, solve): 600 s, the
  /// time the Fashion-MNIST target allows for fit + prediction.
  double seconds = 600.0;
  /// Modelled peak bytes of the final fit's own state (map, features or
  /// statistics), besides the data: 8 GiB.
  double bytes = 8.0 * 1024.0 * 1024.0 * 1024.0;
};

/// The modelled cost of one fit.
struct FitCost {
  double flops = 0.0;    ///< floating-point operations (float and double counted alike)
  double seconds = 0.0;  ///< flops / kModelFlopsPerSecond
  double bytes = 0.0;    ///< peak bytes of the fit's state
};

/// The machine rate the cost model assumes: 1e11 flop/s, about what two
/// cores sustain in the float GEMMs that dominate a Nystroem fit (the
/// Fashion-MNIST main job: 4.1e13 modelled flops, 410 modelled seconds, against
/// about 270 s of fit + prediction measured on a quiet two-core machine, so the
/// model errs on the slow side).
inline constexpr double kModelFlopsPerSecond = 1e11;
/// The largest D the rule picks (the Fashion-MNIST benchmark's budget).
inline constexpr arma::uword kRuleMaxFeatures = 16384;
/// Modelled epochs of the squared-hinge / hinge / logistic solvers.
inline constexpr double kModelEpochs = 20.0;

/// The cost model of a Nystroem fit of n points in d dimensions with D
/// features and c outputs, `lambdas` values on the squared loss's path:
///  - map: D landmarks' kernel 2 D^2 d, its Cholesky factor and inverse 4/3 D^3;
///  - features: n (2 D d + 2 D^2) (the landmark kernel row and the whitening);
///  - squared loss: n D^2 (ZZ' by SYRK) + min(9 D^3 eigen path, lambdas x D^3/3 Cholesky);
///  - hinge, squared hinge, logistic: kModelEpochs x 4 n D c (coordinate or Newton steps);
///  - bytes: the map 8 (D d + 2 D^2); squared loss 8 x 2 D^2 (ZZ' and its factor)
///    + 4 x 2048 D (a batch of features); the other losses 4 n D (all features).
/// Throws std::invalid_argument for n, d, D or c = 0 or for Loss::automatic.
FitCost estimate_fit_cost(arma::uword n, arma::uword d, arma::uword D, arma::uword outputs, Loss loss,
                          arma::uword lambdas = 10);

/// The D rule: D = min(n_train, kRuleMaxFeatures), halved while
/// estimate_fit_cost(n_all, d, D, outputs, loss) exceeds the budget (never
/// below min(n_train, 64)). n_train: points the map can draw landmarks from;
/// n_all: points the final fit maps.
arma::uword features_by_rule(arma::uword n_train, arma::uword n_all, arma::uword d, arma::uword outputs, Loss loss,
                             const FitBudget& budget);

/// The kernels the automatic kernel choice scores: recursive:1 .. recursive:4.
std::vector<std::string> kernel_candidates();

/// One configuration scored on the validation subsample.
struct SelectionCandidate {
  std::string stage;       ///< "preprocessing", "kernel" (both scored with the squared loss) or "loss" (the squared hinge check)
  std::string preprocessing;  ///< stage "preprocessing": the candidate, e.g. "standardize + sphere-lift, R = 0.5 x max norm"
  std::string kernel;      ///< kernel spec
  Loss loss = Loss::squared;
  double lift_scale = 0.0; ///< the sphere lift's R (0: not part of the candidate)
  double lambda = 0.0;     ///< the best lambda of its path on the subsample
  double score = 0.0;      ///< the validation score at that lambda (error rate or MSE)
  bool chosen = false;
};

/// What a Trainer chose automatically, and how every candidate scored. Every
/// field a TrainerConfig left on "auto" is listed in `automatic`.
struct SelectionReport {
  std::vector<std::string> automatic;  ///< the fields chosen: "scaling", "kernel", "loss", "map", "features", "lambdas"
  std::vector<SelectionCandidate> candidates;
  std::string criterion;               ///< "validation error rate" or "validation mse"
  arma::uword sample_train = 0;        ///< training points of the search subsample (0: no search)
  arma::uword sample_validation = 0;   ///< validation points of the search subsample
  arma::uword sample_features = 0;     ///< Nystroem features of the search
  arma::uword sample_folds = 0;        ///< > 0: a small data set, cross-validated in this many folds of the sample
  // The final choice.
  std::string kernel, map;
  arma::uword features = 0;
  Loss loss = Loss::squared;
  double lift_scale = 0.0;
  std::string preprocessing;           ///< the chosen preprocessing, in words (empty: given, not chosen)
  FitCost final_cost;                  ///< modelled cost of the final fit
  std::string rule;                    ///< how map and D were decided, in words
};

}  // namespace deepdot
