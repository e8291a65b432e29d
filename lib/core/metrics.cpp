// SPDX-License-Identifier: MIT
#include <deepdot/core/metrics.hpp>

#include "core/check.hpp"

namespace deepdot {

double accuracy(const arma::ivec& truth, const arma::ivec& predicted) {
  if (truth.n_elem != predicted.n_elem || truth.n_elem == 0)
    detail::fail("accuracy()", "need two label vectors of the same positive length, got " +
                                   std::to_string(truth.n_elem) + " and " + std::to_string(predicted.n_elem));
  return static_cast<double>(arma::accu(truth == predicted)) / static_cast<double>(truth.n_elem);
}

double error_rate(const arma::ivec& truth, const arma::ivec& predicted) { return 1.0 - accuracy(truth, predicted); }

double mean_squared_error(const arma::mat& Y, const arma::mat& Yhat) {
  if (Y.n_rows != Yhat.n_rows || Y.n_cols != Yhat.n_cols || Y.n_elem == 0)
    detail::fail("mean_squared_error()", "need two non-empty matrices of the same shape, got " +
                                             std::to_string(Y.n_rows) + " x " + std::to_string(Y.n_cols) + " and " +
                                             std::to_string(Yhat.n_rows) + " x " + std::to_string(Yhat.n_cols));
  return arma::accu(arma::square(Y - Yhat)) / static_cast<double>(Y.n_elem);
}

arma::uvec predicted_index(const arma::mat& scores) {
  arma::uvec out(scores.n_cols);
  for (arma::uword i = 0; i < scores.n_cols; ++i)
    out[i] = scores.n_rows == 1 ? (scores(0, i) > 0.0 ? 1 : 0) : scores.col(i).index_max();
  return out;
}

PredictionScores score_predictions(const arma::mat& P, const arma::mat& Y) {
  PredictionScores s;
  s.mse = mean_squared_error(Y, P);  // checks the shapes
  s.error_rate = static_cast<double>(arma::accu(predicted_index(P) != predicted_index(Y))) / static_cast<double>(Y.n_cols);
  return s;
}

}  // namespace deepdot
