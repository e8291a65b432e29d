// SPDX-License-Identifier: MIT
/// @file kernel_ridge.hpp
/// The kernel-limit learner with the squared loss: exact kernel ridge
/// regression and the norm-ball form of Algorithm 1 (Zhang, Lee & Jordan 2016).
#pragma once

#include <deepdot/core/metrics.hpp>
#include <deepdot/kernels/kernel.hpp>
#include <deepdot/solvers/ridge_path.hpp>

#include <armadillo>

namespace deepdot {


/// Bytes KernelRidge needs for n training points: the n x n Gram matrix and,
/// for a regularisation path (`path`: the eigen-decomposition), its n x n
/// eigenvectors; for one lambda the float copy of the mixed-precision Cholesky.
/// fit() compares it with available_memory_bytes() before allocating.
double kernel_ridge_memory_bytes(arma::uword n, bool path);

/// Exact kernel ridge regression, one output per row of Y:
///
///   minimise over f_j in H:  (1/n) sum_i (f_j(x_i) - y_ji)^2 + lambda_j ||f_j||_H^2,
///
/// whose solution is f_j = sum_i alpha_ij K(x_i, .) with
/// alpha_j = (K + n lambda_j I)^-1 y_j. fit() eigen-decomposes K once
/// (O(n^3) time, two n x n matrices of memory); afterwards every lambda,
/// the norm-ball form and whole validation paths cost O(n^2 c) or less.
///
/// The norm-ball form is Algorithm 1 with the squared loss: minimise the
/// average loss subject to ||f_j||_H <= B. Its solution is the ridge solution
/// at the lambda_j where ||f_j||_H = B, or the minimum-norm interpolant
/// (lambda_j = 0) when that is already inside the ball.
///
/// @code
/// deepdot::KernelRidge ridge(deepdot::make_kernel("recursive:1"));
/// ridge.fit(X, Y);                                 // X: d x n unit ball, Y: c x n
/// ridge.select_by_validation(deepdot::default_lambda_grid(), Xv, Yv, deepdot::Criterion::mse);
/// arma::mat P = ridge.predict(Xt);                 // c x m
/// ridge.set_norm_bound(10.0);                      // or: the norm-ball form, ||f_j|| <= 10
/// @endcode
class KernelRidge {
 public:
  explicit KernelRidge(Kernel kernel);

  /// X: d x n (unit ball), Y: c x n targets (one-vs-all +-1 for classes).
  /// Selects lambda = 1e-3 until set_lambda() / set_norm_bound() is called.
  /// Throws std::invalid_argument on bad shapes, non-finite values, norms > 1,
  /// or when kernel_ridge_memory_bytes(n, true) exceeds available_memory_bytes().
  void fit(const arma::mat& X, const arma::mat& Y);

  /// The same for one lambda > 0, without the eigen-decomposition: K + n lambda I
  /// is factorised by Cholesky in single precision and the solution refined
  /// to double accuracy (LAPACK dsposv, which falls back to a double Cholesky
  /// when refinement does not converge; a matrix that is not numerically
  /// positive definite falls back to the eigen path). n^3/3 flops at SGEMM
  /// speed instead of the eigen path's ~9 n^3 / 3, and K + one float copy
  /// (1.5 n^2 x 8 bytes) instead of two double n x n matrices. Use it when no
  /// path is needed; a later call that needs other lambdas (set_lambda() with
  /// another value, set_norm_bound(), the select_* methods) recomputes K and
  /// decomposes it then. Throws std::invalid_argument as fit(X, Y) and for
  /// lambda <= 0 or not finite.
  void fit(const arma::mat& X, const arma::mat& Y, double lambda);

  /// The same lambda >= 0 for every output (0: minimum-norm interpolant).
  void set_lambda(double lambda);
  /// Norm-ball form: for each output the lambda with ||f_j||_H = B (to 1e-10
  /// relative), or 0 when the interpolant has ||f_j||_H <= B. B must be > 0.
  void set_norm_bound(double B);
  /// Evaluates every lambda of the grid on (Xv, Yv), selects the best one by
  /// `criterion` (ties: the larger lambda) and returns the whole path.
  RidgePath select_by_validation(const arma::vec& lambdas, const arma::mat& Xv, const arma::mat& Yv,
                                 Criterion criterion);

  /// The same for the norm-ball form: evaluates every radius B of the grid,
  /// selects the best by `criterion` (ties: the smaller B) and returns the path.
  NormBallPath select_norm_bound_by_validation(const arma::vec& bounds, const arma::mat& Xv, const arma::mat& Yv,
                                               Criterion criterion);

  /// X: d x m; returns c x m predictions f_j(x).
  arma::mat predict(const arma::mat& X) const;

  /// ||f_j||_H for every output at the selected lambdas.
  arma::vec rkhs_norms() const;
  /// ||f_j||_H for every output if lambda were used. Needs the eigen-decomposition
  /// unless lambda is the one of a single-lambda fit (else std::logic_error).
  arma::vec rkhs_norms(double lambda) const;
  /// The selected lambda of each output.
  const arma::vec& lambdas() const { return lambdas_; }
  /// alpha: n x c, the dual coefficients at the selected lambdas.
  const arma::mat& dual_coefficients() const { return alpha_; }
  /// Eigenvalues of the training Gram matrix, ascending (negative rounding noise
  /// clipped to 0); empty after the single-lambda fit(X, Y, lambda) until a
  /// method that needs them has run.
  const arma::vec& eigenvalues() const { return eigval_; }
  /// True when the eigen-decomposition is held (every lambda is then cheap).
  bool decomposed() const { return !eigval_.is_empty(); }
  const Kernel& kernel() const { return kernel_; }
  arma::uword training_size() const { return X_.n_cols; }

 private:
  void require_fitted(const char* where) const;
  void check_training_data(const char* where, const arma::mat& X, const arma::mat& Y, bool path) const;
  void decompose(arma::mat K, const char* where);  // eigen-decomposes K, sets U_, eigval_, Q_
  void decompose_if_needed(const char* where);     // after a single-lambda fit: rebuild K, decompose
  void update_coefficients();
  arma::vec lambdas_for_bound(double B) const;
  // P = K(Xv, X) U; scores of the solution with per-output lambdas.
  PredictionScores validation_scores(const arma::mat& P, const arma::mat& Yv, const arma::vec& lambdas) const;
  void check_validation_data(const char* where, const arma::mat& Xv, const arma::mat& Yv) const;

  Kernel kernel_;
  arma::mat X_;       // d x n training inputs
  arma::mat Y_;       // c x n training targets (kept for a later decomposition after a Cholesky fit)
  arma::mat U_;       // n x n eigenvectors of K
  arma::vec eigval_;  // n eigenvalues
  arma::mat Q_;       // n x c, U' Y'
  arma::vec lambdas_; // c selected lambdas
  arma::mat alpha_;   // n x c
  double cut_ = 0.0;  // eigenvalues at or below this are treated as zero
};

}  // namespace deepdot
