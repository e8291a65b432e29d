#include <deepdot/solvers/ridge_path.hpp>

#include "core/check.hpp"

#include <string>

namespace deepdot {

using detail::fail;

arma::vec default_lambda_grid(arma::uword count) {
  if (count < 2) fail("default_lambda_grid()", "count must be >= 2, got " + std::to_string(count));
  return arma::logspace(-8.0, 1.0, count);
}

}  // namespace deepdot
