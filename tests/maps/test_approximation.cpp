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
