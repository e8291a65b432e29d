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

}  // namespace deepdot
