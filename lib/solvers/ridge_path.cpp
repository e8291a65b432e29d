// SPDX-License-Identifier: MIT
#include <deepdot/solvers/ridge_path.hpp>

#include "core/check.hpp"

#include <string>

namespace deepdot {

using detail::fail;

arma::vec default_lambda_grid(arma::uword count) {
  if (count < 2) fail("default_lambda_grid()", "count must be >= 2, got " + std::to_string(count));
  return arma::logspace(-8.0, 1.0, count);
}

namespace {

// Lowest score; ties to the largest `strength` (how strongly a candidate regularises).
arma::uword best_index(const char* where, const arma::vec& scores, const arma::vec& strength) {
  if (scores.is_empty() || scores.n_elem != strength.n_elem)
    fail(where, "need one score per candidate and at least one candidate, got " + std::to_string(scores.n_elem) +
                    " scores for " + std::to_string(strength.n_elem) + " candidates");
  arma::uword best = 0;
  for (arma::uword l = 1; l < scores.n_elem; ++l)
    if (scores[l] < scores[best] || (scores[l] == scores[best] && strength[l] > strength[best])) best = l;
  return best;
}

}  // namespace

arma::uword best_lambda_index(const arma::vec& scores, const arma::vec& lambdas) {
  return best_index("best_lambda_index()", scores, lambdas);
}

arma::uword best_bound_index(const arma::vec& scores, const arma::vec& bounds) {
  return best_index("best_bound_index()", scores, -bounds);
}

}  // namespace deepdot
