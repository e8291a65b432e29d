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

}  // namespace deepdot
