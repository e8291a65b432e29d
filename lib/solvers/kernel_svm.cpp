// SPDX-License-Identifier: MIT
#include <deepdot/solvers/kernel_svm.hpp>

#include <deepdot/kernels/gram.hpp>

#include "core/check.hpp"
#include "solvers/solver_ball.hpp"
#include "solvers/solver_checks.hpp"
#include "solvers/solver_dual_cd.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace deepdot {

using detail::fail;
using detail::format_double;

namespace {

// Scores are kept for all points: S = K (alpha o Y)' (n x c), so a coordinate
// update costs one column of K (read once for all outputs) per output moved.
struct KernelCdOps {
  static constexpr arma::uword refresh_every = 0;  // all in double: no drift to correct
  const arma::mat& K;
  arma::mat S;

  KernelCdOps(const arma::mat& k, arma::uword c) : K(k), S(k.n_rows, c, arma::fill::zeros) {}
  void scores(arma::uword i, double* out, const char* /*active*/) const {
    for (arma::uword j = 0; j < S.n_cols; ++j) out[j] = S(i, j);
  }
  void update(arma::uword i, const double* delta) {
    for (arma::uword j = 0; j < S.n_cols; ++j)
      if (delta[j] != 0.0) detail::axpy_kernel(delta[j], K.colptr(i), S.colptr(j), K.n_rows);  // K symmetric
  }
  void refresh(const arma::mat& coef) { S = K * coef.t(); }
  arma::mat all_scores() const { return S.t(); }
};

constexpr std::uint64_t kSeed = 20160619;  // fixed: fits are deterministic

}  // namespace

KernelSVM::KernelSVM(Kernel kernel, Loss loss, SolverOptions options)
    : kernel_(std::move(kernel)), loss_(loss), options_(options) {
  if (loss != Loss::hinge && loss != Loss::squared_hinge)
    fail("KernelSVM::KernelSVM()", "the loss must be hinge or squared-hinge, got " +
                                       (loss == Loss::squared || loss == Loss::logistic
                                            ? loss_name(loss)
                                            : "Loss(" + std::to_string(static_cast<int>(loss)) + ")") +
                                       " (KernelRidge is the kernel-limit learner for the squared loss)");
  detail::check_solver_options(options_, "KernelSVM::KernelSVM()");
}

void KernelSVM::require_fitted(const char* where) const {
  if (X_.n_cols == 0) throw std::logic_error(std::string(where) + ": call fit() or fit_ball() first");
}

arma::mat KernelSVM::prepare(const char* where, const arma::mat& X, const arma::mat& Y) {
  if (X.n_rows == 0 || X.n_cols == 0)
    fail(where, "X is " + std::to_string(X.n_rows) + " x " + std::to_string(X.n_cols) +
                    "; need d x n inputs with d >= 1 and n >= 1 points (one column per point)");
  detail::check_same_points(X, "X", Y, "Y", where);
  if (Y.n_rows == 0) fail(where, "Y has no rows; need at least one output");
  detail::check_targets(loss_, Y, where);
  require_memory(kernel_limit_memory_bytes(X.n_cols), where,
                 "the kernel limit with n = " + std::to_string(X.n_cols) + " points (the n x n Gram matrix)",
                 "use a feature map (make_feature_map) with fit_linear(), or fewer points");
  return gram(kernel_, X);  // validates X (finite, unit ball)
}

namespace {

// Runs dual CD on K at the given lambdas from the warm start beta; returns the
// per-output RKHS norms, sqrt(a_j' K a_j) with a_j = alpha_j o y_j.
struct KernelRun {
  const arma::mat& K;
  const arma::mat& Y;
  bool squared;
  const SolverOptions& options;
  KernelCdOps ops;
  arma::vec diag;
  arma::mat beta;
  arma::mat coef;  // c x n, alpha o Y at the last solve
  arma::uword epochs = 0;
  double violation = 0.0;

  KernelRun(const arma::mat& k, const arma::mat& y, bool sq, const SolverOptions& o)
      : K(k), Y(y), squared(sq), options(o), ops(k, y.n_rows), diag(k.diag()), beta(y.n_rows, y.n_cols, arma::fill::zeros) {}

  arma::vec solve(const arma::vec& lambdas) {
    const detail::DualCdResult r =
        detail::dual_cd(ops, diag, Y, lambdas, squared, beta, options.tolerance, options.max_iterations, kSeed);
    epochs += r.epochs;
    violation = r.violation;
    const double n = static_cast<double>(Y.n_cols);
    coef.set_size(Y.n_rows, Y.n_cols);
    for (arma::uword j = 0; j < Y.n_rows; ++j) coef.row(j) = beta.row(j) % Y.row(j) / (2.0 * lambdas[j] * n);
    arma::vec norms(Y.n_rows);
    for (arma::uword j = 0; j < Y.n_rows; ++j)
      norms[j] = std::sqrt(std::max(arma::dot(coef.row(j).t(), ops.S.col(j)), 0.0));
    return norms;
  }
};

}  // namespace

void KernelSVM::fit(const arma::mat& X, const arma::mat& Y, double lambda) {
  const char* where = "KernelSVM::fit()";
  detail::check_lambda(lambda, where, false);
  const arma::mat K = prepare(where, X, Y);
  KernelRun run(K, Y, loss_ == Loss::squared_hinge, options_);
  lambdas_ = arma::vec(Y.n_rows, arma::fill::value(lambda));
  norms_ = run.solve(lambdas_);
  alpha_ = run.coef.t();
  optimality_ = run.violation;
  iterations_ = run.epochs;
  X_ = X;
}

void KernelSVM::fit_ball(const arma::mat& X, const arma::mat& Y, double B) {
  const char* where = "KernelSVM::fit_ball()";
  detail::check_norm_bound(B, where);
  const arma::mat K = prepare(where, X, Y);
  KernelRun run(K, Y, loss_ == Loss::squared_hinge, options_);
  // Both hinge losses are 1 at f = 0, so lambda = 1/B^2 starts inside the ball.
  const detail::BallSearchResult search = detail::search_ball_lambdas(
      [&](const arma::vec& lam) { return run.solve(lam); }, arma::vec(Y.n_rows, arma::fill::ones), B);
  lambdas_ = search.lambdas;
  norms_ = search.norms;
  alpha_ = run.coef.t();
  // A norm above B by the search's rounding is pulled back onto the ball.
  for (arma::uword j = 0; j < norms_.n_elem; ++j)
    if (norms_[j] > B) {
      alpha_.col(j) *= B / norms_[j];
      norms_[j] = B;
    }
  optimality_ = run.violation;
  iterations_ = run.epochs;
  X_ = X;
}

arma::mat KernelSVM::predict(const arma::mat& X) const {
  require_fitted("KernelSVM::predict()");
  if (X.n_rows != X_.n_rows)
    fail("KernelSVM::predict()", "X has " + std::to_string(X.n_rows) + " rows but the model was trained with d = " +
                                     std::to_string(X_.n_rows));
  arma::mat out(alpha_.n_cols, X.n_cols);
  constexpr arma::uword kBlock = 4096;  // bounds the n x block cross-Gram held at once
  for (arma::uword j0 = 0; j0 < X.n_cols; j0 += kBlock) {
    const arma::uword j1 = std::min(X.n_cols, j0 + kBlock) - 1;
    out.cols(j0, j1) = alpha_.t() * gram(kernel_, X_, X.cols(j0, j1));
  }
  return out;
}

arma::vec KernelSVM::rkhs_norms() const {
  require_fitted("KernelSVM::rkhs_norms()");
  return norms_;
}

}  // namespace deepdot
