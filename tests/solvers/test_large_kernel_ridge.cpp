// SPDX-License-Identifier: MIT
#include <deepdot/solvers/large_kernel_ridge.hpp>

#include <deepdot/core/random.hpp>
#include <deepdot/solvers/kernel_ridge.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

namespace {

arma::mat unit_columns(arma::uword d, arma::uword n, std::uint64_t seed) {
  arma::mat X = deepdot::Rng(seed, 8).normal_matrix(d, n);
  X.each_col([](arma::vec& x) { x /= arma::norm(x); });
  return X;
}

}  // namespace

TEST_CASE("LargeKernelRidge equals KernelRidge at the same lambda (to float accuracy, worse as lambda falls)") {
  const arma::mat X = unit_columns(6, 500, 1), Xt = unit_columns(6, 120, 2);
  arma::mat Y = arma::join_cols(arma::sin(3.0 * X.row(0)) + X.row(1) % X.row(2), arma::sign(X.row(3)));
  const deepdot::Kernel k = deepdot::make_kernel("recursive:3");
  for (double lambda : {1e-3, 1e-5}) {
    deepdot::KernelRidge exact(k);
    exact.fit(X, Y, lambda);
    deepdot::LargeKernelRidge big(k, lambda, 50);  // a small block: several prediction blocks
    big.fit(arma::conv_to<arma::fmat>::from(X), Y);
    const arma::mat F = exact.predict(Xt);
    const arma::mat G = big.predict(arma::conv_to<arma::fmat>::from(Xt));
    const double rel = arma::norm(F - G, "fro") / arma::norm(F, "fro");
    MESSAGE("lambda " << lambda << ": relative prediction difference " << rel << ", residual "
                      << big.relative_residual());
    CHECK(rel < (lambda >= 1e-3 ? 1e-5 : 1e-3));
    CHECK(big.relative_residual() < (lambda >= 1e-3 ? 1e-5 : 1e-4));
    const double arel = arma::norm(exact.dual_coefficients() - big.dual_coefficients(), "fro") /
                        arma::norm(exact.dual_coefficients(), "fro");
    CHECK(arel < (lambda >= 1e-3 ? 1e-4 : 1e-2));
  }
}

TEST_CASE("LargeKernelRidge: bad input names the problem") {
  const deepdot::Kernel k = deepdot::make_kernel("recursive:1");
  CHECK_THROWS_WITH_AS(deepdot::LargeKernelRidge(k, 0.0), doctest::Contains("lambda must be finite and > 0"),
                       std::invalid_argument);
  deepdot::LargeKernelRidge big(k, 1e-3);
  const arma::fmat X = arma::conv_to<arma::fmat>::from(unit_columns(3, 10, 4));
  CHECK_THROWS_WITH_AS(big.predict(X), doctest::Contains("call fit() first"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(big.fit(X, arma::mat(2, 9)), doctest::Contains("Y must be c x n"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(big.fit(2.0f * X, arma::mat(2, 10, arma::fill::ones)), doctest::Contains("norm"),
                       std::invalid_argument);
  big.fit(X, arma::mat(2, 10, arma::fill::ones));
  CHECK_THROWS_WITH_AS(big.predict(X.rows(0, 1)), doctest::Contains("fitted on d = 3"), std::invalid_argument);
  CHECK(deepdot::large_kernel_ridge_memory_bytes(60000, 784, 10) > 14.4e9);
}
