// SPDX-License-Identifier: MIT
#include <deepdot/kernels/gram.hpp>

#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include "support/precision.hpp"

#include <limits>

#include <string>

namespace {
arma::mat unit_columns(arma::uword d, arma::uword n, std::uint64_t seed) {
  arma::mat X = deepdot::Rng(seed).normal_matrix(d, n);
  deepdot::normalize_columns(X);
  return X;
}
}  // namespace

TEST_CASE("gram: entries are f(<x_i, y_j>) and the shapes are n x m") {
  const auto k = deepdot::make_kernel("recursive:2");
  const arma::mat X = unit_columns(5, 7, 1), Y = unit_columns(5, 3, 2);
  const arma::mat K = deepdot::gram(k, X, Y);
  REQUIRE(K.n_rows == 7);
  REQUIRE(K.n_cols == 3);
  for (arma::uword i = 0; i < 7; ++i)
    for (arma::uword j = 0; j < 3; ++j) CHECK(K(i, j) == doctest::Approx(k(arma::dot(X.col(i), Y.col(j)))));
}

TEST_CASE("gram: symmetric and positive semidefinite on random unit vectors, every family") {
  const arma::uword n = 300;
  const arma::mat X = unit_columns(10, n, 3);
  for (const char* spec : {"recursive:1", "recursive:4", "poly:3:1", "gaussian:0.8", "arccos:0", "arccos:1",
                           "coeffs:0.1,0,0.9"}) {
    INFO(std::string(spec));
    const arma::mat K = deepdot::gram(deepdot::make_kernel(spec), X);
    CHECK(arma::approx_equal(K, K.t(), "absdiff", 1e-14));
    const arma::vec ev = arma::eig_sym(arma::symmatu(K));
    CHECK(ev.min() >= -1e-10 * double(n));
    // The symmetric form agrees with the general one. SYRK and GEMM round
    // differently, and the arc-cosine kernels have an infinite slope at t = 1
    // (acos(1 - e) ~ sqrt(2e)), so 1e-16 in t becomes about 1e-8 there.
    CHECK(arma::approx_equal(K, deepdot::gram(deepdot::make_kernel(spec), X, X), "absdiff", 1e-7));
  }
}

TEST_CASE("gram: blocks beyond 1024 columns are assembled correctly") {
  const auto k = deepdot::make_kernel("recursive:1");
  const arma::mat X = unit_columns(4, 5, 4), Y = unit_columns(4, 2500, 5);
  const arma::mat K = deepdot::gram(k, X, Y);
  CHECK(K(3, 2400) == doctest::Approx(k(arma::dot(X.col(3), Y.col(2400)))));
  CHECK(K(0, 1024) == doctest::Approx(k(arma::dot(X.col(0), Y.col(1024)))));
}

TEST_CASE_TEMPLATE("gram: every precision agrees with f(<x, y>) evaluated in double", eT, float, double) {
  const auto k = deepdot::make_kernel("recursive:3");
  const arma::mat X = unit_columns(20, 50, 6);
  const arma::Mat<eT> Xe = deepdot::test::as<eT>(X);
  // The reference: the inputs as eT holds them, everything after in double.
  const arma::mat Xr = arma::conv_to<arma::mat>::from(Xe);
  arma::mat ref = arma::clamp(Xr.t() * Xr, -1.0, 1.0);
  ref.transform([&](double t) { return k(t); });
  // The inner products (20 terms) round to a few ulps, and f_3's slope (at most
  // f_3'(1) = 6) amplifies that: 32 ulps of eT bound it with room to spare.
  const double bound = 32.0 * static_cast<double>(std::numeric_limits<eT>::epsilon());
  CHECK(deepdot::test::relative_gap(deepdot::gram(k, Xe), ref) <= bound);
  CHECK(deepdot::test::relative_gap(deepdot::gram(k, Xe, Xe), ref) <= bound);
}

TEST_CASE("gram: inputs outside the unit ball, non-finite or mismatched are rejected") {
  const auto k = deepdot::make_kernel("recursive:1");
  arma::mat X = unit_columns(3, 4, 7);
  X.col(2) *= 1.5;
  try {
    deepdot::gram(k, X);
    FAIL("expected an exception");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(msg.find("gram()") == 0);
    CHECK(msg.find("column 2") != std::string::npos);
    CHECK(msg.find("norm 1.5") != std::string::npos);
  }
  arma::mat Z = unit_columns(3, 4, 8);
  Z(1, 1) = arma::datum::nan;
  CHECK_THROWS_WITH_AS(deepdot::gram(k, Z), doctest::Contains("non-finite value (nan) at row 1, column 1"),
                       std::invalid_argument);
  // Every column is checked, however long (the norm is summed in eight parts) and in float.
  arma::fmat W = arma::conv_to<arma::fmat>::from(unit_columns(37, 5, 11));
  W(36, 4) = -arma::datum::inf;
  CHECK_THROWS_WITH_AS(deepdot::gram(k, W), doctest::Contains("non-finite value (-inf) at row 36, column 4"),
                       std::invalid_argument);
  W(36, 4) = 0.0f;
  W(35, 3) = 1e30f;  // finite, but its square overflows a float (not the double sum)
  CHECK_THROWS_WITH_AS(deepdot::gram(k, W), doctest::Contains("column 3 has norm 1.00000001"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::gram(k, unit_columns(3, 2, 1), unit_columns(4, 2, 1)), doctest::Contains("rows"),
                       std::invalid_argument);
  // Rounding just above 1 is accepted.
  arma::mat U = unit_columns(3, 2, 9);
  U *= 1.0 + 1e-14;
  CHECK_NOTHROW(deepdot::gram(k, U));
  arma::fmat F = arma::conv_to<arma::fmat>::from(unit_columns(3, 2, 10));
  F *= 2.0f;
  CHECK_THROWS_AS(deepdot::gram(k, F), std::invalid_argument);
}

TEST_CASE("gram: a kernel matrix larger than the memory is refused before it is allocated") {
  const auto k = deepdot::make_kernel("recursive:1");
  // 2^22 one-dimensional points: 32 MiB of input, but a 128 TiB kernel matrix (double) or 64 TiB (float).
  const arma::mat X(1, arma::uword(1) << 22, arma::fill::value(0.5));
  CHECK_THROWS_WITH_AS(deepdot::gram(k, X), doctest::Contains("the 4194304 x 4194304 kernel matrix needs"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::gram(k, X, X), doctest::Contains("memory"), std::invalid_argument);
  const arma::fmat Xf(1, arma::uword(1) << 22, arma::fill::value(0.5f));
  CHECK_THROWS_WITH_AS(deepdot::gram(k, Xf), doctest::Contains("gram()"), std::invalid_argument);
}
