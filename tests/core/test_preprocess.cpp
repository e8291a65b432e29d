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

TEST_CASE("scaling is exact for finite data of any magnitude (double and float)") {
  const arma::mat base = deepdot::Rng(9).normal_matrix(5, 12);
  // Plain sums of squares overflow above ~1e154 and underflow below ~1e-154.
  for (const double scale : {1e200, 1e300, 1e-200, 1e-300, 1e-310, 1.7e308 / 10.0}) {
    INFO("scale ", scale);
    const arma::mat Xs = base * scale;
    REQUIRE(Xs.is_finite());
    // The reference: the same (already rounded) values brought near 1 by a
    // power of two, which is exact, then normalised the ordinary way.
    const int k = -std::ilogb(arma::abs(Xs).max());
    arma::mat near_one = Xs;
    near_one.transform([k](double v) { return std::ldexp(v, k); });
    arma::mat ref = near_one;
    deepdot::normalize_columns(ref);
    arma::mat X = Xs;
    deepdot::normalize_columns(X);
    CHECK(arma::abs(X - ref).max() < 4e-16);
    CHECK(arma::abs(deepdot::column_norms(Xs) / (deepdot::column_norms(near_one) * std::ldexp(1.0, -k)) - 1.0).max() <
          4e-16);
    deepdot::Scaler mx(deepdot::Scaling::max_norm);
    mx.fit(Xs);
    const arma::mat Z = mx.transform(Xs);
    const arma::mat Zref = near_one / deepdot::column_norms(near_one).max();
    // max-norm stores its divisor as a double: for subnormal data (1e-310) the
    // divisor itself carries only ~44 bits, which bounds the agreement.
    const double tol = scale < 2.3e-308 * 1e-2 ? 1e-12 : 4e-16;
    CHECK(arma::abs(Z - Zref).max() < tol);
    CHECK(deepdot::column_norms(Z).max() == doctest::Approx(1.0).epsilon(tol));
  }
  // float: the squares are summed in double, and tiny floats are rescaled too.
  const arma::fmat fbase = arma::conv_to<arma::fmat>::from(base);
  arma::fmat fref = fbase;
  deepdot::normalize_columns(fref);
  for (const float scale : {1e30f, 1e-30f, 1e-40f}) {
    INFO("float scale ", scale);
    arma::fmat F = fbase * scale;
    deepdot::normalize_columns(F);
    CHECK(arma::abs(F - fref).max() < 1e-5f);
  }
  // A single denormal entry: the column becomes the unit vector it points along.
  arma::mat one(3, 1, arma::fill::zeros);
  one(1, 0) = 5e-324;
  deepdot::normalize_columns(one);
  CHECK(one(1, 0) == 1.0);
}
