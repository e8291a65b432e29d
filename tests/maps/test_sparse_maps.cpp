// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/core/sparse.hpp>
#include <deepdot/kernels/gram.hpp>

#include <doctest/doctest.h>

#include "support/map_test_support.hpp"

#include <string>
#include <vector>

// Every map's sparse transform against its dense transform of the same
// points, in double and float; then TensorSketch's input-sparsity path at a
// dimension where a dense copy would not be cheap.

using map_test::unit_sparse;

namespace {

struct Case {
  const char* map;
  const char* kernel;
  arma::uword D;
};

// d = 40: small enough for the dense path, with ~6 nonzeros per point. D = 200
// gives some maps (tensorsketch, srht) an exact linear part; 64 does not.
const std::vector<Case> kCases = {
    {"taylor:2", "recursive:1", 900},   {"maclaurin", "recursive:2", 64}, {"maclaurin:kk", "poly:3:1", 200},
    {"tensorsketch", "poly:3:1", 64},   {"tensorsketch", "recursive:2", 200}, {"tensorsketch", "coeffs:0,0,0,1", 96},
    {"srht", "recursive:1", 64},        {"fourier", "recursive:2", 64},   {"fourier:orf", "recursive:3", 65},
    {"layerwise", "recursive:2", 64},   {"nystrom", "gaussian:1", 20},    {"tensorsketch:opt", "recursive:1", 64},
};

}  // namespace

TEST_CASE("every map: the sparse transform equals the dense one to rounding, double and float") {
  const arma::uword d = 40;
  const arma::sp_mat X = unit_sparse(d, 37, 6, 21);  // 37: batches of 32 / 16 points with a remainder
  const arma::mat Xd(X);
  const arma::sp_mat sample = unit_sparse(d, 60, 6, 22);
  for (const Case& c : kCases) {
    CAPTURE(c.map);
    CAPTURE(c.kernel);
    auto map = deepdot::make_feature_map(c.map, deepdot::make_kernel(c.kernel), d, c.D, 5);
    map->fit_sparse(sample);
    REQUIRE(map->is_fitted());
    const arma::mat Zd = map->transform(Xd);
    const arma::mat Zs = map->transform(X);
    REQUIRE(Zs.n_rows == c.D);
    REQUIRE(Zs.n_cols == X.n_cols);
    const double scale = std::max(1.0, arma::abs(Zd).max());
    CHECK(arma::abs(Zs - Zd).max() <= 1e-12 * scale);
    const arma::fmat Zf = map->transform(deepdot::to_float(X));
    const arma::fmat Zfd = map->transform(arma::conv_to<arma::fmat>::from(Xd));
    CHECK(arma::abs(arma::conv_to<arma::mat>::from(Zf - Zfd)).max() <= 2e-5 * scale);
    if (map->has_linear_tail()) {
      CHECK(arma::abs(map->transform_raw(X) - map->transform_raw(Xd)).max() <= 1e-12 * scale);
      CHECK(arma::abs(arma::conv_to<arma::mat>::from(map->transform_raw(deepdot::to_float(X)) -
                                                     map->transform_raw(arma::conv_to<arma::fmat>::from(Xd))))
                .max() <= 2e-5 * scale);
    }
  }
}

TEST_CASE("the sparse transform validates on the sparse form") {
  auto map = deepdot::make_feature_map("tensorsketch", deepdot::make_kernel("poly:2:1"), 30, 64, 1);
  CHECK_THROWS_WITH_AS(map->transform(arma::sp_mat(31, 3)), doctest::Contains("d = 30"), std::invalid_argument);
  arma::sp_mat X = unit_sparse(30, 4, 3, 2);
  X(5, 2) = 4.0;
  CHECK_THROWS_WITH_AS(map->transform(X), doctest::Contains("column 2"), std::invalid_argument);
  CHECK(map->transform(arma::sp_mat(30, 0)).n_cols == 0);
  auto nystrom = deepdot::make_feature_map("nystrom", deepdot::make_kernel("gaussian:1"), 30, 8, 1);
  CHECK_THROWS_AS(nystrom->transform(unit_sparse(30, 4, 3, 2)), std::logic_error);
  // A data-dependent map refuses to densify a huge sample: d = 2^24 (the
  // largest d a map takes), m = 40 is 5 GiB dense.
  auto opt = deepdot::make_feature_map("tensorsketch:opt", deepdot::make_kernel("poly:2:1"), arma::uword(1) << 24,
                                       64, 1);
  CHECK_THROWS_WITH_AS(opt->fit_sparse(arma::sp_mat(arma::uword(1) << 24, 40)), doctest::Contains("4 GiB"),
                       std::invalid_argument);
  // An all-zero point maps to the features of the zero vector.
  const arma::mat Z0 = map->transform(arma::sp_mat(30, 1));
  CHECK(arma::approx_equal(Z0, map->transform(arma::mat(30, 1, arma::fill::zeros)), "absdiff", 1e-15));
}

TEST_CASE("tensorsketch on d = 2^20 sparse points: unbiased for the degree-3 kernel, no dense copy") {
  // At d = 2^20 a dense batch of 2W points would be tens of MB per call; the
  // sparse path touches only the nonzeros. Statistics: the mean over many
  // pairs of <phi(x), phi(y)> - K(x, y) is near 0 and the mean squared error
  // is near the TensorSketch variance bound (about 3^p / D for unit vectors).
  const arma::uword d = arma::uword(1) << 20, n = 40, D = 2048;
  arma::sp_mat X = unit_sparse(d, n, 100, 31);
  // Pairs with sizeable inner products: every point shares 50 coordinates with the first.
  for (arma::uword j = 1; j < n; ++j)
    for (arma::uword k = 0; k < 50; ++k) X(k, j) = X(k, 0) + 0.01 * double(j);
  deepdot::Scaler unit(deepdot::Scaling::unit_norm);
  X = unit.transform(arma::sp_mat(X + arma::sp_mat(d, n)));  // re-normalise
  const deepdot::Kernel k = deepdot::make_kernel("coeffs:0,0,0,1");
  auto map = deepdot::make_feature_map("tensorsketch", k, d, D, 9);
  const arma::mat Z = map->transform(X);
  const arma::mat K = deepdot::gram(k, X, X);
  const arma::mat E = Z.t() * Z - K;
  const double bias = arma::mean(arma::vectorise(E));
  const double rmse = std::sqrt(arma::mean(arma::vectorise(arma::square(E))));
  CHECK(std::abs(bias) < 0.02);
  CHECK(rmse < 3.0 * std::sqrt(27.0 / double(D)));
  CHECK(arma::mean(K.diag() - arma::sum(arma::square(Z), 0).t()) == doctest::Approx(0.0).epsilon(0.1).scale(1.0));
}
