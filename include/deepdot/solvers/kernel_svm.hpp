// SPDX-License-Identifier: MIT
/// @file kernel_svm.hpp
/// The kernel-limit learner for the hinge losses: Algorithm 1 of Zhang, Lee &
/// Jordan (2016) exactly as written, on the exact Gram matrix.
#pragma once

#include <deepdot/kernels/kernel.hpp>
#include <deepdot/solvers/linear_solver.hpp>
#include <deepdot/util/memory.hpp>

#include <armadillo>

namespace deepdot {


/// One-vs-all kernel machine with the hinge or squared-hinge loss (no bias:
/// the kernel's constant term plays that role):
///   minimise over f_j in H:  (1/n) sum_i loss(f_j(x_i), y_ji) + lambda ||f_j||_H^2,
/// or, in the norm-ball form, the average loss subject to ||f_j||_H <= B.
/// Solved by dual coordinate descent on the exact Gram matrix.
///
/// @code
/// deepdot::KernelSVM svm(deepdot::make_kernel("recursive:1"), deepdot::Loss::hinge);
/// svm.fit_ball(X, enc.encode(labels), 100.0);   // Algorithm 1 with B = 100
/// arma::ivec pred = enc.decode(svm.predict(Xtest));
/// @endcode
class KernelSVM {
 public:
  /// loss: Loss::hinge or Loss::squared_hinge (else std::invalid_argument).
  KernelSVM(Kernel kernel, Loss loss, SolverOptions options = SolverOptions());

  /// X: d x n (unit ball), Y: c x n with +-1 entries; lambda > 0. Throws
  /// std::invalid_argument on bad input, and before allocating anything when
  /// kernel_limit_memory_bytes(n) exceeds available_memory_bytes().
  void fit(const arma::mat& X, const arma::mat& Y, double lambda);
  /// The norm-ball form with radius B > 0 per output.
  void fit_ball(const arma::mat& X, const arma::mat& Y, double B);

  /// X: d x m; returns c x m scores f_j(x).
  arma::mat predict(const arma::mat& X) const;
  /// alpha: n x c with f_j = sum_i alpha_ij K(x_i, .).
  const arma::mat& dual_coefficients() const { return alpha_; }
  /// ||f_j||_H per output.
  arma::vec rkhs_norms() const;
  /// lambda per output (the one found for B in the norm-ball form).
  const arma::vec& lambdas() const { return lambdas_; }
  /// The largest KKT violation of the dual at the solution, relative.
  double optimality() const { return optimality_; }
  /// Epochs of coordinate descent used (summed over the norm-ball search's solves; the
  /// largest over the groups of outputs, which run side by side).
  arma::uword iterations() const { return iterations_; }
  const Kernel& kernel() const { return kernel_; }

 private:
  // Validates, checks memory, computes the n x n Gram matrix: into K (double)
  // for tolerances below 1e-5, else into Kf (float); the other stays empty.
  void prepare(const char* where, const arma::mat& X, const arma::mat& Y, arma::mat& K, arma::fmat& Kf);
  void require_fitted(const char* where) const;

  Kernel kernel_;
  Loss loss_;
  SolverOptions options_;
  arma::mat X_;        // d x n training inputs
  arma::mat alpha_;    // n x c dual coefficients
  arma::vec norms_;    // c RKHS norms
  arma::vec lambdas_;  // c
  double optimality_ = 0.0;
  arma::uword iterations_ = 0;
};

}  // namespace deepdot
