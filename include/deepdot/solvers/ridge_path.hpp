// SPDX-License-Identifier: MIT
/// @file ridge_path.hpp
/// The vocabulary of regularisation paths shared by the ridge solvers and the
/// Trainer: what a path is scored by, the scores, the default lambda grid.
#pragma once

#include <armadillo>

namespace deepdot {

/// Scores of a whole regularisation path on a validation set.
struct RidgePath {
  arma::vec lambdas;     ///< the grid, L values
  arma::vec mse;         ///< validation mean squared error per lambda (over all outputs)
  arma::vec error_rate;  ///< validation classification error per lambda (argmax, or sign for one output)
  arma::mat norms;       ///< c x L: ||f_j||_H of each output at each lambda
  arma::uword best = 0;  ///< index of the selected lambda
};

/// Scores of the norm-ball form (Algorithm 1) for a grid of radii B.
struct NormBallPath {
  arma::vec bounds;      ///< the radii B, L values
  arma::vec mse;         ///< validation mean squared error per B
  arma::vec error_rate;  ///< validation classification error per B
  arma::mat lambdas;     ///< c x L: the lambda each output needs for ||f_j||_H = B (0 if inside)
  arma::uword best = 0;  ///< index of the selected radius
};

/// What a validation path is minimised for.
enum class Criterion {
  mse,         ///< regression: mean squared error
  error_rate,  ///< classification with one-vs-all targets: argmax (or sign) error
};

/// The one selection rule of every regularisation path in deepdot (validation
/// paths, GCV, the Trainer, the apps): the candidate with the lowest score;
/// among equal scores the most regularised one, i.e. the larger lambda, so a
/// tie never buys a less smooth model. scores and lambdas: L >= 1 values each.
/// Throws std::invalid_argument on empty or mismatched grids.
arma::uword best_lambda_index(const arma::vec& scores, const arma::vec& lambdas);
/// The same rule for a grid of norm-ball radii: ties go to the smaller B.
arma::uword best_bound_index(const arma::vec& scores, const arma::vec& bounds);

/// A lambda grid that suits unit-ball data: 10^-8 .. 10^1, `count` points, log-spaced.
arma::vec default_lambda_grid(arma::uword count = 28);

}  // namespace deepdot
