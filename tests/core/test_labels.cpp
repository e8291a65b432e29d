// SPDX-License-Identifier: MIT
#include <deepdot/core/labels.hpp>

#include <deepdot/core/metrics.hpp>

#include <doctest/doctest.h>

TEST_CASE("LabelEncoder: any integers, one-vs-all +-1, argmax decoding") {
  const arma::ivec labels = {7, -3, 7, 12, -3};
  deepdot::LabelEncoder enc;
  enc.fit(labels);
  CHECK(enc.num_classes() == 3);
  CHECK(enc.classes()[0] == -3);
  const arma::mat Y = enc.encode(labels);
  REQUIRE(Y.n_rows == 3);
  CHECK(Y(1, 0) == 1.0);
  CHECK(Y(0, 0) == -1.0);
  CHECK(arma::accu(Y == 1.0) == 5);
  CHECK(arma::all(enc.decode(Y) == labels));
  CHECK_THROWS_WITH_AS(enc.encode(arma::ivec{5}), doctest::Contains("label 5 at position 0"), std::invalid_argument);
  CHECK_THROWS_AS(enc.fit(arma::ivec{1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(enc.decode(arma::mat(2, 1)), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::LabelEncoder(arma::ivec{3, 1}), std::invalid_argument);
}

TEST_CASE("metrics: accuracy, error rate and MSE") {
  CHECK(deepdot::accuracy(arma::ivec{1, 2, 3, 4}, arma::ivec{1, 2, 0, 4}) == doctest::Approx(0.75));
  CHECK(deepdot::error_rate(arma::ivec{1, 2}, arma::ivec{1, 1}) == doctest::Approx(0.5));
  CHECK(deepdot::mean_squared_error(arma::mat{{1, 2}}, arma::mat{{0, 4}}) == doctest::Approx(2.5));
  CHECK_THROWS_AS(deepdot::accuracy(arma::ivec{1}, arma::ivec{1, 2}), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::mean_squared_error(arma::mat(1, 2), arma::mat(2, 1)), std::invalid_argument);
}
