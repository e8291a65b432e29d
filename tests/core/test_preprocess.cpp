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

// ---------------------------------------------------------------- per-feature scaling and the sphere lift

namespace {

/// 3 features x 4 points with known statistics; feature 2 is constant.
arma::mat known_data() {
  return arma::mat{{1.0, 2.0, 3.0, 6.0},       // mean 3, population variance 3.5, range [1, 6]
                   {-10.0, 0.0, 10.0, 20.0},   // mean 5, variance 125, range [-10, 20]
                   {7.0, 7.0, 7.0, 7.0}};      // constant
}

}  // namespace

TEST_CASE("feature_statistics: mean, population variance and range of every feature, dense and sparse") {
  const arma::mat X = known_data();
  const deepdot::FeatureStatistics st = deepdot::feature_statistics(X);
  CHECK(st.count == 4);
  CHECK(arma::approx_equal(st.mean, arma::vec{3.0, 5.0, 7.0}, "absdiff", 1e-14));
  CHECK(arma::approx_equal(st.variance, arma::vec{3.5, 125.0, 0.0}, "absdiff", 1e-12));
  CHECK(arma::approx_equal(st.min, arma::vec{1.0, -10.0, 7.0}, "absdiff", 0.0));
  CHECK(arma::approx_equal(st.max, arma::vec{6.0, 20.0, 7.0}, "absdiff", 0.0));
  // Sparse: the implicit zeros count (point 1 of feature 1 is a zero).
  const arma::sp_mat S(X);
  const deepdot::FeatureStatistics ss = deepdot::feature_statistics(S);
  CHECK(arma::approx_equal(ss.mean, st.mean, "absdiff", 1e-14));
  CHECK(arma::approx_equal(ss.variance, st.variance, "absdiff", 1e-12));
  CHECK(arma::approx_equal(ss.min, st.min, "absdiff", 0.0));
  CHECK(arma::approx_equal(ss.max, st.max, "absdiff", 0.0));
  // A sparse feature that is never stored has range [0, 0] and variance 0.
  arma::sp_mat Z(2, 3);
  Z(0, 1) = 4.0;
  const deepdot::FeatureStatistics zs = deepdot::feature_statistics(Z);
  CHECK(zs.min[0] == 0.0);
  CHECK(zs.max[0] == 4.0);
  CHECK(zs.max[1] == 0.0);
  CHECK(zs.variance[1] == 0.0);
  CHECK(std::abs(zs.variance[0] - (16.0 / 3 - 16.0 / 9)) < 1e-14);
}

TEST_CASE("FeatureScaler: standardize, minmax and maxabs on known data; a constant feature becomes 0") {
  const arma::mat X = known_data();
  SUBCASE("standardize: zero mean, unit population variance") {
    deepdot::FeatureScaler f(deepdot::FeatureScaling::standardize);
    f.fit(X);
    arma::mat Z = X;
    f.transform_inplace(Z);
    CHECK(arma::abs(arma::mean(Z.rows(0, 1), 1)).max() < 1e-14);
    CHECK(arma::approx_equal(arma::vec(arma::mean(arma::square(Z.rows(0, 1)), 1)), arma::vec{1.0, 1.0}, "absdiff",
                             1e-12));
    CHECK(std::abs(Z(0, 3) - 3.0 / std::sqrt(3.5)) < 1e-14);
    CHECK(arma::all(Z.row(2) == 0.0));
    CHECK(arma::approx_equal(f.constant_features(), arma::uvec{2}, "absdiff", 0));
  }
  SUBCASE("minmax: the training range onto [-1, 1]") {
    deepdot::FeatureScaler f(deepdot::FeatureScaling::minmax);
    f.fit(X);
    arma::mat Z = X;
    f.transform_inplace(Z);
    CHECK(arma::approx_equal(Z.row(0), arma::rowvec{-1.0, -0.6, -0.2, 1.0}, "absdiff", 1e-14));
    CHECK(arma::approx_equal(Z.row(1), arma::rowvec{-1.0, -1.0 / 3, 1.0 / 3, 1.0}, "absdiff", 1e-14));
    CHECK(arma::all(Z.row(2) == 0.0));
    // Later data outside the training range go beyond [-1, 1], the constant feature stays 0.
    arma::mat later(arma::vec{11.0, 50.0, -3.0});
    f.transform_inplace(later);
    CHECK(later(0, 0) == doctest::Approx(3.0));
    CHECK(later(2, 0) == 0.0);
  }
  SUBCASE("maxabs: divided by the largest magnitude, no shift") {
    deepdot::FeatureScaler f(deepdot::FeatureScaling::maxabs);
    f.fit(X);
    CHECK(arma::all(f.offset() == 0.0));
    CHECK(arma::approx_equal(f.factor(), arma::vec{1.0 / 6, 1.0 / 20, 0.0}, "absdiff", 1e-16));
  }
  SUBCASE("extreme magnitudes: no overflow, no NaN") {
    const arma::mat big{{1e308, -1e308, 5e307}, {1e-300, 3e-300, 2e-300}};
    for (auto mode : {deepdot::FeatureScaling::standardize, deepdot::FeatureScaling::minmax,
                      deepdot::FeatureScaling::maxabs}) {
      deepdot::FeatureScaler f(mode);
      f.fit(big);
      arma::mat Z = big;
      f.transform_inplace(Z);
      CHECK(Z.is_finite());
      CHECK(arma::abs(Z).max() > 0.1);
    }
  }
}

TEST_CASE("FeatureScaler on sparse data keeps sparsity; minmax is refused, centred scalers too") {
  arma::sp_mat S = arma::sprandu<arma::sp_mat>(30, 50, 0.1);
  S *= 7.0;
  for (auto mode : {deepdot::FeatureScaling::standardize, deepdot::FeatureScaling::maxabs}) {
    deepdot::FeatureScaler f(mode);
    f.fit(S);
    CHECK(arma::all(f.offset() == 0.0));
    const arma::sp_mat Z = f.transform(S);
    CHECK(Z.n_nonzero == S.n_nonzero);  // no stored feature is constant over 50 points at density 0.1
    // The dense result of the same rule: x_i * factor_i.
    CHECK(arma::approx_equal(arma::mat(Z), arma::diagmat(f.factor()) * arma::mat(S), "absdiff", 1e-14));
  }
  // standardize on sparse data divides by the std about the mean (not centred).
  deepdot::FeatureScaler f(deepdot::FeatureScaling::standardize);
  f.fit(S);
  const deepdot::FeatureStatistics st = deepdot::feature_statistics(arma::mat(S));
  for (arma::uword i = 0; i < S.n_rows; ++i)
    if (st.max[i] > st.min[i]) CHECK(std::abs(f.factor()[i] * std::sqrt(st.variance[i]) - 1.0) < 1e-12);
  deepdot::FeatureScaler mm(deepdot::FeatureScaling::minmax);
  CHECK_THROWS_WITH_AS(mm.fit(S), doctest::Contains("use maxabs"), std::invalid_argument);
  deepdot::FeatureScaler dense(deepdot::FeatureScaling::standardize);
  dense.fit(arma::mat(S));
  CHECK_THROWS_WITH_AS(dense.transform(S), doctest::Contains("give the data dense"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(dense.transform(arma::sp_mat(5, 3)), doctest::Contains("d = 5"), std::invalid_argument);
}

TEST_CASE("feature scaling names parse; bad values are rejected") {
  CHECK(deepdot::parse_feature_scaling("standardize") == deepdot::FeatureScaling::standardize);
  CHECK(deepdot::parse_feature_scaling("zscore") == deepdot::FeatureScaling::standardize);
  CHECK(deepdot::parse_feature_scaling("min-max") == deepdot::FeatureScaling::minmax);
  CHECK(deepdot::parse_feature_scaling("maxabs") == deepdot::FeatureScaling::maxabs);
  for (auto m : {deepdot::FeatureScaling::none, deepdot::FeatureScaling::standardize, deepdot::FeatureScaling::minmax,
                 deepdot::FeatureScaling::maxabs})
    CHECK(deepdot::parse_feature_scaling(deepdot::feature_scaling_name(m)) == m);
  CHECK_THROWS_WITH_AS(deepdot::parse_feature_scaling("robust"), doctest::Contains("unknown feature scaling 'robust'"),
                       std::invalid_argument);
  CHECK(deepdot::parse_scaling("sphere-lift") == deepdot::Scaling::sphere_lift);
  CHECK(deepdot::scaling_name(deepdot::Scaling::sphere_lift) == "sphere-lift");
}

TEST_CASE("sphere lift: unit-norm outputs in d + 1 dimensions, magnitude kept, points beyond R clipped") {
  const arma::mat X = deepdot::Rng(5).normal_matrix(4, 30) * 2.0;
  const double R = 6.0;
  const arma::mat Z = deepdot::sphere_lift(X, R);
  REQUIRE(Z.n_rows == 5);
  const arma::vec norms = deepdot::column_norms(Z);
  CHECK(arma::abs(norms - 1.0).max() < 1e-14);
  const arma::vec in = deepdot::column_norms(X);
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    if (in[j] <= R) {
      CHECK(arma::approx_equal(Z.col(j).head(4), X.col(j) / R, "absdiff", 1e-15));
      CHECK(std::abs(Z(4, j) - std::sqrt(1 - in[j] * in[j] / (R * R))) < 1e-14);
    }
  }
  // Clipping: a point beyond R lands on the equator.
  const arma::mat far = deepdot::sphere_lift(arma::mat(arma::vec{30.0, 40.0}), 10.0);
  CHECK(arma::approx_equal(far, arma::mat(arma::vec{0.6, 0.8, 0.0}), "absdiff", 1e-15));
  // The origin goes to the pole.
  CHECK(arma::approx_equal(deepdot::sphere_lift(arma::mat(3, 1, arma::fill::zeros), 2.0),
                           arma::mat(arma::vec{0.0, 0.0, 0.0, 1.0}), "absdiff", 0.0));
  CHECK_THROWS_AS(deepdot::sphere_lift(X, 0.0), std::invalid_argument);
}

TEST_CASE("sphere lift distinguishes points of the same direction and different norms; unit-norm does not") {
  const arma::vec u = arma::normalise(arma::vec{1.0, -2.0, 0.5});
  const double R = 4.0;
  const arma::mat X = arma::join_rows(0.5 * R * u, R * u);  // ||x|| = R/2 and ||x|| = R, same direction
  deepdot::Scaler unit(deepdot::Scaling::unit_norm);
  unit.fit(X);
  const arma::mat U = unit.transform(X);
  CHECK(arma::norm(U.col(0) - U.col(1)) < 1e-15);  // the magnitude is lost
  deepdot::Scaler lift(deepdot::Scaling::sphere_lift, deepdot::FeatureScaling::none, R);
  lift.fit(X);
  const arma::mat L = lift.transform(X);
  REQUIRE(L.n_rows == 4);
  // Lifted: (u/2, sqrt(3)/2) and (u, 0), whose dot product is 1/2 (and each has norm 1).
  CHECK(std::abs(arma::dot(L.col(0), L.col(1)) - 0.5) < 1e-14);
  CHECK(std::abs(arma::dot(L.col(0), L.col(0)) - 1.0) < 1e-14);
  // <x', y'> = <x, y>/R^2 + sqrt(1 - |x|^2/R^2) sqrt(1 - |y|^2/R^2) for random points inside the ball.
  const arma::mat P = deepdot::Rng(9).normal_matrix(3, 2);
  const arma::mat Q = deepdot::sphere_lift(P, 5.0);
  const double a = arma::norm(P.col(0)) / 5.0, b = arma::norm(P.col(1)) / 5.0;
  CHECK(std::abs(arma::dot(Q.col(0), Q.col(1)) -
                 (arma::dot(P.col(0), P.col(1)) / 25.0 + std::sqrt(1 - a * a) * std::sqrt(1 - b * b))) < 1e-14);
}

TEST_CASE("Scaler with feature scaling and the sphere lift: lift scale 0 takes the largest norm; sparse adds one value per point") {
  const arma::mat X = known_data();
  deepdot::Scaler s(deepdot::Scaling::sphere_lift, deepdot::FeatureScaling::standardize);
  s.fit(X);
  deepdot::FeatureScaler f(deepdot::FeatureScaling::standardize);
  f.fit(X);
  arma::mat F = X;
  f.transform_inplace(F);
  CHECK(s.factor() == doctest::Approx(deepdot::column_norms(F).max()).epsilon(1e-15));
  const arma::mat Z = s.transform(X);
  CHECK(Z.n_rows == 4);
  CHECK(s.output_dim(3) == 4);
  CHECK(arma::abs(deepdot::column_norms(Z) - 1.0).max() < 1e-14);
  CHECK(arma::min(Z.row(3)) < 1e-7);  // the point of the largest norm sits on the equator
  arma::mat W = X;
  deepdot::Scaler t(deepdot::Scaling::sphere_lift, deepdot::FeatureScaling::standardize);
  t.fit_transform_inplace(W);
  CHECK(arma::approx_equal(W, Z, "absdiff", 0.0));
  CHECK(t.factor() == s.factor());
  // Sparse: the stored values scaled, plus the lifted coordinate of every point.
  arma::sp_mat S = arma::sprandu<arma::sp_mat>(20, 40, 0.15) * 3.0;
  deepdot::Scaler sl(deepdot::Scaling::sphere_lift, deepdot::FeatureScaling::maxabs);
  sl.fit(S);
  const arma::sp_mat T = sl.transform(S);
  CHECK(T.n_rows == 21);
  const arma::vec lifted(arma::mat(T.row(20)).t());
  CHECK(T.n_nonzero == S.n_nonzero + arma::accu(lifted != 0.0));
  CHECK(arma::accu(lifted != 0.0) >= 39);  // at most the largest point lies on the equator
  deepdot::Scaler sd(deepdot::Scaling::sphere_lift, deepdot::FeatureScaling::maxabs);
  sd.fit(arma::mat(S));
  CHECK(sd.factor() == doctest::Approx(sl.factor()).epsilon(1e-14));
  CHECK(arma::approx_equal(arma::mat(T), sd.transform(arma::mat(S)), "absdiff", 1e-14));
  CHECK_THROWS_AS(deepdot::Scaler(deepdot::Scaling::sphere_lift, deepdot::FeatureScaling::none, -1.0),
                  std::invalid_argument);
}
