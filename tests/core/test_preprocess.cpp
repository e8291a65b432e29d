// SPDX-License-Identifier: MIT
#include <deepdot/core/preprocess.hpp>

#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include "support/precision.hpp"

#include <cmath>

TEST_CASE_TEMPLATE("normalize_columns: unit norms, zero columns stay zero", eT, float, double) {
  arma::Mat<eT> X = deepdot::test::as<eT>(deepdot::Rng(1).normal_matrix(6, 10) * 3.0);
  X.col(4).zeros();
  deepdot::normalize_columns(X);
  for (arma::uword j = 0; j < 10; ++j) {
    const double n = arma::norm(arma::conv_to<arma::vec>::from(X.col(j)), 2);
    if (j == 4) CHECK(n == 0.0);
    else CHECK(std::abs(n - 1.0) <= deepdot::test::rounding_tolerance<eT>());
  }
}

TEST_CASE("scale_by_max_norm and Scaler keep relative sizes and fit in the ball") {
  arma::mat X = deepdot::Rng(3).normal_matrix(4, 20) * 5.0;
  const double largest = deepdot::column_norms(X).max();
  arma::mat Y = X;
  CHECK(deepdot::scale_by_max_norm(Y) == doctest::Approx(largest));
  CHECK(deepdot::column_norms(Y).max() == doctest::Approx(1.0));

  deepdot::Scaler s(deepdot::Scaling::max_norm);
  s.fit(X);
  CHECK(s.factor() == doctest::Approx(largest));
  const arma::mat Z = s.transform(X * 2.0);  // later data may be larger: clipped onto the sphere
  CHECK(deepdot::column_norms(Z).max() <= 1.0 + 1e-12);
  deepdot::Scaler u(deepdot::Scaling::unit_norm);
  u.fit(X);
  CHECK(deepdot::column_norms(u.transform(X)).min() == doctest::Approx(1.0));
  deepdot::Scaler none(deepdot::Scaling::none);
  CHECK(arma::approx_equal(none.transform(X), X, "absdiff", 0.0));
}

TEST_CASE("scaling names parse and bad values are rejected") {
  CHECK(deepdot::parse_scaling("unit") == deepdot::Scaling::unit_norm);
  CHECK(deepdot::parse_scaling("max-norm") == deepdot::Scaling::max_norm);
  CHECK(deepdot::scaling_name(deepdot::Scaling::none) == "none");
  CHECK_THROWS_WITH_AS(deepdot::parse_scaling("zscore"), doctest::Contains("parse_scaling(): unknown scaling"),
                       std::invalid_argument);
  deepdot::Scaler s;
  CHECK_THROWS_AS(s.set_factor(0.0), std::invalid_argument);
  arma::mat bad(2, 2, arma::fill::ones);
  bad(0, 1) = arma::datum::inf;
  CHECK_THROWS_WITH_AS(s.fit(bad), doctest::Contains("row 0, column 1"), std::invalid_argument);
}
