// SPDX-License-Identifier: MIT
#include <deepdot/core/metrics.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

TEST_CASE("metrics: predicted_index is argmax, or the sign for one output") {
  const arma::mat S = {{0.1, 0.9, -1.0}, {0.5, 0.2, -2.0}, {0.3, 0.1, -0.5}};
  CHECK(arma::all(deepdot::predicted_index(S) == arma::uvec({1, 0, 2})));
  const arma::mat one = {{0.2, -0.1, 0.0}};
  CHECK(arma::all(deepdot::predicted_index(one) == arma::uvec({1, 0, 0})));  // 0 is not positive
}

TEST_CASE("metrics: score_predictions gives the MSE and the error of the predicted index") {
  const arma::mat Y = {{1, -1, -1, 1}, {-1, 1, 1, -1}};  // one-vs-all targets of classes 0 1 1 0
  const arma::mat P = {{0.5, -0.2, 0.3, 0.9}, {-0.5, 0.4, 0.1, -1.0}};
  const deepdot::PredictionScores s = deepdot::score_predictions(P, Y);
  CHECK(s.error_rate == doctest::Approx(0.25));  // column 2 predicts class 0
  CHECK(s.mse == doctest::Approx(deepdot::mean_squared_error(Y, P)));
  CHECK(deepdot::score_predictions(Y, Y).error_rate == 0.0);
  CHECK_THROWS_AS(deepdot::score_predictions(P.cols(0, 2), Y), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::score_predictions(arma::mat(), arma::mat()), std::invalid_argument);
}

TEST_CASE("metrics: accuracy and error rate") {
  const arma::ivec a = {1, 2, 3, 4}, b = {1, 0, 3, 0};
  CHECK(deepdot::accuracy(a, b) == doctest::Approx(0.5));
  CHECK(deepdot::error_rate(a, b) == doctest::Approx(0.5));
  CHECK_THROWS_AS(deepdot::accuracy(a, b.head(3)), std::invalid_argument);
}
