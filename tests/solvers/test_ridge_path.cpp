// SPDX-License-Identifier: MIT
#include <deepdot/solvers/ridge_path.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

TEST_CASE("ridge_path: the lowest score wins; ties go to the more regularised candidate") {
  const arma::vec lambdas = {1e-4, 1e-3, 1e-2, 1e-1};
  CHECK(deepdot::best_lambda_index(arma::vec{0.3, 0.1, 0.2, 0.4}, lambdas) == 1);
  CHECK(deepdot::best_lambda_index(arma::vec{0.3, 0.1, 0.1, 0.4}, lambdas) == 2);  // tie: the larger lambda
  CHECK(deepdot::best_lambda_index(arma::vec{0.1, 0.1, 0.1, 0.1}, lambdas) == 3);
  // The grid's order does not matter, only the values.
  CHECK(deepdot::best_lambda_index(arma::vec{0.1, 0.1}, arma::vec{1.0, 0.5}) == 0);
  const arma::vec bounds = {1.0, 10.0, 100.0};
  CHECK(deepdot::best_bound_index(arma::vec{0.2, 0.1, 0.1}, bounds) == 1);  // tie: the smaller B
  CHECK(deepdot::best_bound_index(arma::vec{0.2, 0.3, 0.1}, bounds) == 2);
  CHECK(deepdot::best_lambda_index(arma::vec{0.5}, arma::vec{1.0}) == 0);
}

TEST_CASE("ridge_path: empty or mismatched grids are refused") {
  CHECK_THROWS_WITH_AS(deepdot::best_lambda_index(arma::vec(), arma::vec()), doctest::Contains("best_lambda_index()"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::best_bound_index(arma::vec{1.0}, arma::vec{1.0, 2.0}),
                       doctest::Contains("1 scores for 2 candidates"), std::invalid_argument);
}

TEST_CASE("ridge_path: the default grid is log-spaced over 1e-8 .. 10") {
  const arma::vec g = deepdot::default_lambda_grid(10);
  REQUIRE(g.n_elem == 10);
  CHECK(g[0] == doctest::Approx(1e-8));
  CHECK(g[9] == doctest::Approx(10.0));
  CHECK(g[1] / g[0] == doctest::Approx(g[9] / g[8]));
  CHECK_THROWS_AS(deepdot::default_lambda_grid(1), std::invalid_argument);
}
