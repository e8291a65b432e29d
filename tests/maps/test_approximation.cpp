// SPDX-License-Identifier: MIT
#include <deepdot/maps/approximation.hpp>

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/kernels/gram.hpp>
#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

using deepdot::approximation_error;

namespace {

arma::mat unit_points(arma::uword d, arma::uword n, std::uint64_t seed) {
  deepdot::Rng rng(seed);
  arma::mat X = rng.normal_matrix(d, n);
  deepdot::normalize_columns(X);
  return X;
}

/// Z (n x n) with Z'Z = K, from the symmetric square root of K (PSD).
arma::mat exact_features(const arma::mat& K) {
  arma::vec ev;
  arma::mat U;
  REQUIRE(arma::eig_sym(ev, U, K));
  return arma::diagmat(arma::sqrt(arma::clamp(ev, 0.0, arma::datum::inf))) * U.t();
}

}  // namespace

TEST_CASE("approximation_error: exact features give zero error") {
  const arma::mat X = unit_points(5, 30, 1);
  const auto kernel = deepdot::make_kernel("recursive:2");
  const arma::mat K = deepdot::gram(kernel, X);
  const auto e = approximation_error(K, exact_features(K), 2.0 / 3.0);
  CHECK(e.relative_frobenius < 1e-12);
  CHECK(e.relative_frobenius_nonconstant < 1e-11);
  CHECK(e.max_abs_error < 1e-12);
  CHECK(e.relative_spectral < 1e-12);
}

TEST_CASE("approximation_error: a perturbation with known norms") {
  // K = I (n x n), Z = sqrt(1 + eps) e_1 e_1' + rest of I: Z'Z = K + eps e_1 e_1'.
  const arma::uword n = 8;
  const double eps = 0.3;
  const arma::mat K = arma::eye(n, n);
  arma::mat Z = arma::eye(n, n);
  Z(0, 0) = std::sqrt(1.0 + eps);
  auto e = approximation_error(K, Z, 0.0);
  CHECK(e.relative_frobenius == doctest::Approx(eps / std::sqrt(double(n))));
  CHECK(e.relative_frobenius_nonconstant == doctest::Approx(eps / std::sqrt(double(n))));
  CHECK(e.max_abs_error == doctest::Approx(eps));
  CHECK(e.relative_spectral == doctest::Approx(eps));

  // With a0 = 0.5: ||K - 0.5||_F^2 = n * 0.25 + (n^2 - n) * 0.25 = n^2 / 4.
  e = approximation_error(K, Z, 0.5);
  CHECK(e.relative_frobenius_nonconstant == doctest::Approx(eps / (n / 2.0)));

  // Off-diagonal perturbation: Z'Z = K + delta (e_1 e_2' + e_2 e_1'), from
  // Z = K^{1/2} of that PSD matrix; spectral norm of the error is delta.
  const double delta = 0.2;
  arma::mat K2 = K;
  K2(0, 1) = K2(1, 0) = delta;
  e = approximation_error(K, exact_features(K2), 0.0);
  CHECK(e.relative_frobenius == doctest::Approx(std::sqrt(2.0) * delta / std::sqrt(double(n))));
  CHECK(e.max_abs_error == doctest::Approx(delta));
  CHECK(e.relative_spectral == doctest::Approx(delta));

  // Fewer features than points (D < n) is fine: Z is D x n.
  const arma::mat Zlow = arma::ones(1, n) / std::sqrt(double(n));  // Z'Z = 1/n everywhere
  e = approximation_error(K, Zlow, 0.0);
  const double expected = std::sqrt(n * std::pow(1.0 - 1.0 / n, 2) + (n * n - n) / double(n * n)) / std::sqrt(double(n));
  CHECK(e.relative_frobenius == doctest::Approx(expected));
}

TEST_CASE("approximation_error: zero denominators") {
  const arma::mat K(3, 3, arma::fill::value(0.25));
  const arma::mat Z(1, 3, arma::fill::value(0.5));
  auto e = approximation_error(K, Z, 0.25);  // K - a0 = 0 and the error is 0
  CHECK(e.relative_frobenius_nonconstant == 0.0);
  const arma::mat Zoff(1, 3, arma::fill::value(0.25));
  e = approximation_error(K, Zoff, 0.25);
  CHECK(std::isinf(e.relative_frobenius_nonconstant));
  CHECK(e.relative_frobenius == doctest::Approx(0.1875 / 0.25));
}

TEST_CASE("approximation_error: kernel + map form matches the matrix form") {
  const arma::mat X = unit_points(6, 40, 2);
  const auto kernel = deepdot::make_kernel("recursive:1");
  const auto map = deepdot::make_feature_map("fourier", kernel, 6, 256, 3);
  const auto a = approximation_error(kernel, *map, X);
  const auto b = approximation_error(deepdot::gram(kernel, X), map->transform(X), 0.5);
  CHECK(a.relative_frobenius == b.relative_frobenius);
  CHECK(a.relative_frobenius_nonconstant == b.relative_frobenius_nonconstant);
  CHECK(a.max_abs_error == b.max_abs_error);
  CHECK(a.relative_spectral == b.relative_spectral);
  CHECK(a.relative_frobenius > 0.0);
  CHECK(a.relative_frobenius < 1.0);
  // Nonconstant error is larger than the plain one: ||K - a0|| < ||K||.
  CHECK(a.relative_frobenius_nonconstant > a.relative_frobenius);
}

TEST_CASE("approximation_error: mismatched shapes and bad values are rejected") {
  const arma::mat K = arma::eye(4, 4);
  CHECK_THROWS_WITH_AS(approximation_error(arma::mat(4, 3, arma::fill::zeros), arma::mat(2, 3, arma::fill::zeros), 0.0),
                       doctest::Contains("square"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(approximation_error(K, arma::mat(4, 5, arma::fill::zeros), 0.0),
                       doctest::Contains("D x n"), std::invalid_argument);
  // Z transposed (n x D) is a common mistake: caught unless D = n.
  CHECK_THROWS_AS(approximation_error(K, arma::mat(7, 4, arma::fill::zeros).t(), 0.0), std::invalid_argument);
  arma::mat Kn = K;
  Kn(1, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(approximation_error(Kn, arma::eye(4, 4), 0.0), doctest::Contains("non-finite"),
                       std::invalid_argument);
  CHECK_THROWS_AS(approximation_error(K, arma::eye(4, 4), std::numeric_limits<double>::infinity()),
                  std::invalid_argument);

  const auto kernel = deepdot::make_kernel("recursive:1");
  const auto map = deepdot::make_feature_map("fourier", kernel, 6, 16, 3);
  CHECK_THROWS_WITH_AS(approximation_error(kernel, *map, unit_points(5, 10, 1)), doctest::Contains("d = 6"),
                       std::invalid_argument);
  CHECK_THROWS_AS(approximation_error(kernel, *map, 2.0 * unit_points(6, 10, 1)), std::invalid_argument);
}

TEST_CASE("approximation_sweep: the error of a random map falls with D") {
  const deepdot::Kernel k = deepdot::make_kernel("recursive:2");
  const arma::mat X = unit_points(8, 120, 11);
  deepdot::SweepOptions opt;
  opt.repeats = 3;
  std::size_t calls = 0, last = 0;
  opt.progress = [&](std::size_t done, std::size_t total) {
    ++calls;
    last = done;
    CHECK(total == 2 * 2 * 3);
  };
  const auto rows = deepdot::approximation_sweep(k, {"srht", "fourier"}, {64, 1024}, X, X, opt);
  REQUIRE(rows.size() == 4);
  CHECK(calls == 12);
  CHECK(last == 12);
  for (std::size_t m = 0; m < 2; ++m) {
    const auto& small = rows[2 * m];
    const auto& large = rows[2 * m + 1];
    INFO(small.map);
    CHECK(small.features == 64);
    CHECK(large.features == 1024);
    CHECK_FALSE(small.data_dependent);
    CHECK_FALSE(small.skipped);
    // Monte Carlo error ~ 1/sqrt(D): 16x the features, about 4x less error; 2x is a safe bound.
    CHECK(large.error.relative_frobenius_nonconstant < 0.5 * small.error.relative_frobenius_nonconstant);
    CHECK(small.error.relative_frobenius_nonconstant > 0.0);
    CHECK(small.nonconstant_sd > 0.0);  // three different seeds
    CHECK(small.seconds >= 0.0);
  }
}

TEST_CASE("approximation_sweep: deterministic under the seed rule, independent of the other cells") {
  const deepdot::Kernel k = deepdot::make_kernel("recursive:1");
  const arma::mat X = unit_points(6, 50, 3);
  deepdot::SweepOptions opt;
  opt.repeats = 2;
  opt.seed = 7;
  const auto both = deepdot::approximation_sweep(k, {"maclaurin", "tensorsketch"}, {32, 128}, X, X, opt);
  const auto one = deepdot::approximation_sweep(k, {"tensorsketch"}, {128}, X, X, opt);
  REQUIRE(both.size() == 4);
  REQUIRE(one.size() == 1);
  CHECK(one[0].error.relative_frobenius == both[3].error.relative_frobenius);
  CHECK(one[0].error.max_abs_error == both[3].error.max_abs_error);
  // Repeat r uses seed + r: one repeat at seed 8 is the second map of the pair above.
  opt.repeats = 1;
  opt.seed = 8;
  const auto second = deepdot::approximation_sweep(k, {"tensorsketch"}, {128}, X, X, opt);
  auto map = deepdot::make_feature_map("tensorsketch", k, 6, 128, 8);
  CHECK(second[0].error.relative_frobenius == approximation_error(k, *map, X).relative_frobenius);
  opt.seed = 9;
  CHECK(deepdot::approximation_sweep(k, {"tensorsketch"}, {128}, X, X, opt)[0].error.relative_frobenius !=
        second[0].error.relative_frobenius);
}

TEST_CASE("approximation_sweep: data-dependent maps are fitted, skipped when the fit sample is too small") {
  const deepdot::Kernel k = deepdot::make_kernel("recursive:2");
  const arma::mat X = unit_points(6, 40, 5), F = unit_points(6, 30, 6);
  const auto rows = deepdot::approximation_sweep(k, {"nystrom", "maclaurin:opt"}, {20, 60}, X, F);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].data_dependent);
  CHECK_FALSE(rows[0].skipped);                            // D = 20 landmarks out of 30 points
  CHECK(rows[0].error.relative_frobenius_nonconstant < 1.0);
  CHECK(rows[1].skipped);                                  // D = 60 > 30 points
  CHECK(rows[1].error.relative_frobenius == 0.0);
  CHECK_FALSE(rows[3].skipped);                            // the allocation needs one point
  CHECK(rows[3].data_dependent);
}

TEST_CASE("approximation_sweep: the float path agrees with the double one; bad arguments are named") {
  const deepdot::Kernel k = deepdot::make_kernel("recursive:2");
  const arma::mat X = unit_points(6, 40, 8);
  deepdot::SweepOptions opt;
  const double d = deepdot::approximation_sweep(k, {"fourier"}, {256}, X, X, opt)[0].error.relative_frobenius;
  opt.single_precision = true;
  const double f = deepdot::approximation_sweep(k, {"fourier"}, {256}, X, X, opt)[0].error.relative_frobenius;
  CHECK(std::abs(f - d) < 1e-4 * d + 1e-6);
  CHECK_THROWS_WITH_AS(deepdot::approximation_sweep(k, {}, {64}, X, X), doctest::Contains("approximation_sweep(): the list of maps"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::approximation_sweep(k, {"srht"}, {0}, X, X), doctest::Contains(">= 1, got 0"),
                       std::invalid_argument);
  opt.repeats = 0;
  CHECK_THROWS_WITH_AS(deepdot::approximation_sweep(k, {"srht"}, {64}, X, X, opt), doctest::Contains("repeats"),
                       std::invalid_argument);
  CHECK_THROWS_AS(deepdot::approximation_sweep(k, {"nosuchmap"}, {64}, X, X), std::invalid_argument);
}
