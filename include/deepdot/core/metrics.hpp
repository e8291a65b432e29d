// SPDX-License-Identifier: MIT
/// @file metrics.hpp
/// Scores of predictions.
#pragma once

#include <armadillo>

namespace deepdot {

/// Fraction of equal entries; both of length n >= 1.
double accuracy(const arma::ivec& truth, const arma::ivec& predicted);
/// 1 - accuracy.
double error_rate(const arma::ivec& truth, const arma::ivec& predicted);
/// Mean squared error over every entry: Y and Yhat are c x n.
double mean_squared_error(const arma::mat& Y, const arma::mat& Yhat);

/// The predicted index of every column of scores (c x n): the row of the
/// largest score, or for one output 1 when the score is positive and 0
/// otherwise. One-vs-all targets (+1 for the class, -1 elsewhere) give the
/// true class this way, so the same rule scores predictions and truth.
arma::uvec predicted_index(const arma::mat& scores);

/// Both scores of predictions P against targets Y (c x m each, m >= 1).
struct PredictionScores {
  double mse = 0.0;         ///< mean squared error over every entry
  double error_rate = 0.0;  ///< fraction of columns whose predicted_index() differs
};
/// Scores P against Y by mean_squared_error() and predicted_index(). Throws
/// std::invalid_argument on shapes that differ or are empty.
PredictionScores score_predictions(const arma::mat& P, const arma::mat& Y);

}  // namespace deepdot
