// SPDX-License-Identifier: MIT
/// @file large_kernel_ridge.hpp
/// Exact kernel ridge regression at one lambda for n in the tens of
/// thousands: one float n x n kernel, factorised in place.
#pragma once

#include <deepdot/kernels/kernel.hpp>

#include <armadillo>

namespace deepdot {

/// Bytes LargeKernelRidge::fit() holds for n points of dimension d with c
/// outputs: the float n x n kernel (4 n^2: 14.4 GB at n = 60,000), the float
/// training inputs (4 d n) and the coefficients (about 16 n c).
double large_kernel_ridge_memory_bytes(arma::uword n, arma::uword d, arma::uword c);

/// The same objective as KernelRidge at one lambda,
///
///   minimise (1/n) sum_i (f_j(x_i) - y_ji)^2 + lambda ||f_j||_H^2,
///   alpha_j = (K + n lambda I)^-1 y_j,
///
/// for n too large for KernelRidge's double matrices. The kernel is built in
/// float by one symmetric rank-k update (SSYRK, n^2 d flops) and the kernel
/// function applied in place; its lower triangle is overwritten by the float
/// Cholesky factor (SPOTRF, n^3 / 3 flops) while the strict upper triangle
/// and a saved diagonal keep K, so the residual of the solution is measured
/// (SSYMM on the kept K) without a second n x n matrix. Float Cholesky needs
/// K + n lambda I to be well conditioned in float: n lambda should exceed
/// about 1e-6 ||K||_2; fit() throws when the factorisation fails, and
/// relative_residual() shows how far the float solve is from exact (about
/// 1e-5 at lambda = 1e-3 and 1e-4 at 1e-5 on unit-norm data, growing as
/// 1 / lambda). Predictions use blocked kernel rows (n x block floats).
///
/// @code
/// deepdot::LargeKernelRidge big(deepdot::make_kernel("recursive:3"), 1e-6);
/// big.fit(X, Y);                       // X: d x n float, unit ball; Y: c x n
/// arma::mat F = big.predict(Xt);       // c x m
/// @endcode
class LargeKernelRidge {
 public:
  /// lambda > 0 (finite); block: test points per kernel block of predict() (>= 1).
  LargeKernelRidge(Kernel kernel, double lambda, arma::uword block = 2048);

  /// X: d x n float inputs (unit ball, n >= 2), Y: c x n targets. Throws
  /// std::invalid_argument on bad shapes, non-finite values, norms > 1, when
  /// large_kernel_ridge_memory_bytes() exceeds available_memory_bytes(), or
  /// when K + n lambda I is not positive definite in float (naming lambda).
  void fit(const arma::fmat& X, const arma::mat& Y);
  /// Xt: d x m float inputs; returns c x m predictions.
  arma::mat predict(const arma::fmat& Xt) const;

  /// ||(K + n lambda I) alpha - Y'||_F / ||Y||_F, with K the float kernel
  /// and the products in float.
  double relative_residual() const { return residual_; }
  /// Wall seconds of fit()'s stages: the kernel (SSYRK and f), the float
  /// Cholesky factorisation and solve, the residual.
  struct Seconds {
    double kernel = 0.0, factorisation = 0.0, residual = 0.0;
  };
  const Seconds& seconds() const { return seconds_; }
  /// alpha: n x c dual coefficients.
  const arma::mat& dual_coefficients() const { return alpha_; }
  double lambda() const { return lambda_; }
  arma::uword training_size() const { return X_.n_cols; }

 private:
  Kernel kernel_;
  double lambda_;
  arma::uword block_;
  arma::fmat X_;
  arma::mat alpha_;
  double residual_ = 0.0;
  Seconds seconds_;
};

}  // namespace deepdot
