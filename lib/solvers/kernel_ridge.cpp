// SPDX-License-Identifier: MIT
#include <deepdot/solvers/kernel_ridge.hpp>

#include <deepdot/kernels/gram.hpp>

#include "core/check.hpp"
#include "solvers/spectral_path.hpp"

#include <deepdot/core/metrics.hpp>
#include <deepdot/util/memory.hpp>


#include <algorithm>
#include <cmath>
#include <limits>

namespace deepdot {

using detail::fail;
using detail::format_double;
using detail::SpectralNorm;

KernelRidge::KernelRidge(Kernel kernel) : kernel_(std::move(kernel)) {}

void KernelRidge::require_fitted(const char* where) const {
  if (X_.n_cols == 0) throw std::logic_error(std::string(where) + ": call fit() first");
}

double kernel_ridge_memory_bytes(arma::uword n, bool path) {
  // The n x n Gram matrix plus, for a path, its n x n eigenvectors (the
  // eigen-decomposition's workspace is of the same order), or for one lambda
  // the float copy of the mixed-precision Cholesky; O(n) vectors besides.
  const double nd = static_cast<double>(n);
  return (path ? 16.0 : 12.0) * nd * nd + 8.0 * 64.0 * nd;
}

void KernelRidge::check_training_data(const char* where, const arma::mat& X, const arma::mat& Y, bool path) const {
  if (X.n_cols == 0) fail(where, "X has no columns; need at least one training point");
  detail::check_same_points(X, "X", Y, "Y", where);
  if (Y.n_rows == 0) fail(where, "Y has no rows; need at least one output");
  detail::require_finite(Y, where, "Y");
  // Refuse before allocating: an n x n kernel that cannot fit would otherwise
  // end in bad_alloc, or in swapping.
  require_memory(kernel_ridge_memory_bytes(X.n_cols, path), where,
                 "the kernel limit with n = " + std::to_string(X.n_cols) + " points (n x n matrices)",
                 "use a feature map (FeatureRidge, or Trainer with a map spec) or fewer points");
}

void KernelRidge::decompose(arma::mat K, const char* where) {
  detail::spectral_decompose(std::move(K), Y_.t(), std::numeric_limits<double>::epsilon(),
                             std::string(where) + " (Gram matrix)", eigval_, U_, Q_, cut_);
}

void KernelRidge::decompose_if_needed(const char* where) {
  if (!decomposed()) decompose(gram(kernel_, X_), where);
}

void KernelRidge::fit(const arma::mat& X, const arma::mat& Y) {
  const char* where = "KernelRidge::fit()";
  check_training_data(where, X, Y, true);
  arma::mat K = gram(kernel_, X);  // validates X (finite, unit ball)
  X_ = X;
  Y_ = Y;
  eigval_.reset();
  decompose(std::move(K), where);
  lambdas_.set_size(Y.n_rows);
  set_lambda(1e-3);
}

extern "C" void dsposv_(const char* uplo, const int* n, const int* nrhs, double* a, const int* lda, const double* b,
                        const int* ldb, double* x, const int* ldx, double* work, float* swork, int* iter, int* info,
                        std::size_t uplo_len);

void KernelRidge::fit(const arma::mat& X, const arma::mat& Y, double lambda) {
  const char* where = "KernelRidge::fit()";
  if (!(lambda > 0.0) || !std::isfinite(lambda))
    fail(where, "the single-lambda fit needs a finite lambda > 0, got " + format_double(lambda) +
                    " (use fit(X, Y) and set_lambda(0) for the minimum-norm interpolant)");
  check_training_data(where, X, Y, false);
  arma::mat K = gram(kernel_, X);
  X_ = X;
  Y_ = Y;
  eigval_.reset();
  U_.reset();
  Q_.reset();
  lambdas_ = arma::vec(Y.n_rows, arma::fill::value(lambda));
  const int n = static_cast<int>(X.n_cols), c = static_cast<int>(Y.n_rows);
  K.diag() += static_cast<double>(n) * lambda;
  const arma::mat B = Y.t();  // n x c
  alpha_.set_size(X.n_cols, Y.n_rows);
  // Mixed precision: the factorisation runs in float (twice the speed of
  // double on this hardware) and iterative refinement in double restores the
  // double-precision solution; K + n lambda I is well conditioned for any
  // useful lambda, so refinement converges in a few steps.
  arma::vec work(static_cast<arma::uword>(n) * c);
  arma::fvec swork(static_cast<arma::uword>(n) * (n + c));
  int iter = 0, info = 0;
  dsposv_("L", &n, &c, K.memptr(), &n, B.memptr(), &n, alpha_.memptr(), &n, work.memptr(), swork.memptr(), &iter,
          &info, 1);
  swork.reset();
  if (info != 0 || iter < 0) {
    // The float factorisation failed or refinement did not converge (iter < 0):
    // K + n lambda I is too ill-conditioned for this route (a lambda at
    // rounding level), and the eigen path copes by clipping the null space.
    K.reset();
    decompose(gram(kernel_, X_), where);
    update_coefficients();
  }
}

void KernelRidge::update_coefficients() {
  alpha_ = U_ * detail::SpectralView{eigval_, Q_, cut_}.shrunk(static_cast<double>(X_.n_cols) * lambdas_);
}

void KernelRidge::set_lambda(double lambda) {
  const char* where = "KernelRidge::set_lambda()";
  require_fitted(where);
  detail::check_lambda(lambda, where);
  // After a single-lambda fit the solution at that lambda is already there.
  if (!decomposed() && arma::all(lambdas_ == lambda)) return;
  decompose_if_needed(where);
  lambdas_.fill(lambda);
  update_coefficients();
}

arma::vec KernelRidge::rkhs_norms(double lambda) const {
  require_fitted("KernelRidge::rkhs_norms()");
  if (!decomposed()) {
    if (arma::all(lambdas_ == lambda)) return rkhs_norms();
    throw std::logic_error("KernelRidge::rkhs_norms(): the norm at lambda = " + format_double(lambda) +
                           " needs the eigen-decomposition; call set_lambda() first");
  }
  return detail::SpectralView{eigval_, Q_, cut_}.norms(static_cast<double>(X_.n_cols) * lambda, SpectralNorm::rkhs);
}

arma::vec KernelRidge::rkhs_norms() const {
  require_fitted("KernelRidge::rkhs_norms()");
  if (!decomposed()) {
    // (K + n lambda I) alpha = y gives alpha' K alpha = alpha' y - n lambda alpha' alpha.
    const double n = static_cast<double>(X_.n_cols);
    arma::vec norms(alpha_.n_cols);
    for (arma::uword j = 0; j < alpha_.n_cols; ++j) {
      const double sq = arma::dot(alpha_.col(j), Y_.row(j)) - n * lambdas_[j] * arma::dot(alpha_.col(j), alpha_.col(j));
      norms[j] = std::sqrt(std::max(sq, 0.0));
    }
    return norms;
  }
  return detail::SpectralView{eigval_, Q_, cut_}.norms(static_cast<double>(X_.n_cols) * lambdas_, SpectralNorm::rkhs);
}

void KernelRidge::set_norm_bound(double B) {
  require_fitted("KernelRidge::set_norm_bound()");
  decompose_if_needed("KernelRidge::set_norm_bound()");
  lambdas_ = lambdas_for_bound(B);
  update_coefficients();
}

arma::vec KernelRidge::lambdas_for_bound(double B) const {
  const char* where = "KernelRidge::set_norm_bound()";
  detail::check_norm_bound(B, where);
  return detail::SpectralView{eigval_, Q_, cut_}.mus_for_bound(B, SpectralNorm::rkhs) / static_cast<double>(X_.n_cols);
}

arma::mat KernelRidge::predict(const arma::mat& X) const {
  require_fitted("KernelRidge::predict()");
  detail::check_rows(X, "X", X_.n_rows, "the training dimension d", "KernelRidge::predict()");
  arma::mat out(alpha_.n_cols, X.n_cols);
  constexpr arma::uword kBlock = 4096;  // bounds the n x block cross-Gram held at once
  for (arma::uword j0 = 0; j0 < X.n_cols; j0 += kBlock) {
    const arma::uword j1 = std::min(X.n_cols, j0 + kBlock) - 1;
    const arma::mat Kx = gram(kernel_, X_, X.cols(j0, j1));  // n x block
    out.cols(j0, j1) = alpha_.t() * Kx;
  }
  return out;
}

void KernelRidge::check_validation_data(const char* where, const arma::mat& Xv, const arma::mat& Yv) const {
  if (Xv.n_rows != X_.n_rows || Xv.n_cols != Yv.n_cols || Yv.n_rows != Y_.n_rows || Xv.n_cols == 0)
    fail(where, "validation data must be d x m and c x m with d = " + std::to_string(X_.n_rows) + ", c = " +
                    std::to_string(Y_.n_rows) + ", m >= 1; got " + std::to_string(Xv.n_rows) + " x " +
                    std::to_string(Xv.n_cols) + " and " + std::to_string(Yv.n_rows) + " x " + std::to_string(Yv.n_cols));
  detail::require_finite(Yv, where, "Yv");
}

PredictionScores KernelRidge::validation_scores(const arma::mat& P, const arma::mat& Yv,
                                               const arma::vec& lambdas) const {
  const arma::mat scaled = detail::SpectralView{eigval_, Q_, cut_}.shrunk(static_cast<double>(X_.n_cols) * lambdas);
  return score_predictions((P * scaled).t(), Yv);  // predictions c x m
}

RidgePath KernelRidge::select_by_validation(const arma::vec& lambdas, const arma::mat& Xv, const arma::mat& Yv,
                                            Criterion criterion) {
  const char* where = "KernelRidge::select_by_validation()";
  require_fitted(where);
  detail::check_lambda_grid(lambdas, where);
  check_validation_data(where, Xv, Yv);
  decompose_if_needed(where);
  // P = K(Xv, X) U is computed once; each lambda then costs one m x n x c product.
  const arma::mat P = gram(kernel_, Xv, X_) * U_;
  RidgePath path;
  path.lambdas = lambdas;
  path.mse.set_size(lambdas.n_elem);
  path.error_rate.set_size(lambdas.n_elem);
  path.norms.set_size(Q_.n_cols, lambdas.n_elem);
  for (arma::uword l = 0; l < lambdas.n_elem; ++l) {
    const PredictionScores sc = validation_scores(P, Yv, arma::vec(Q_.n_cols, arma::fill::value(lambdas[l])));
    path.mse[l] = sc.mse;
    path.error_rate[l] = sc.error_rate;
    path.norms.col(l) = rkhs_norms(lambdas[l]);
  }
  path.best = best_lambda_index(criterion == Criterion::mse ? path.mse : path.error_rate, lambdas);
  set_lambda(lambdas[path.best]);
  return path;
}

NormBallPath KernelRidge::select_norm_bound_by_validation(const arma::vec& bounds, const arma::mat& Xv,
                                                          const arma::mat& Yv, Criterion criterion) {
  const char* where = "KernelRidge::select_norm_bound_by_validation()";
  require_fitted(where);
  if (bounds.is_empty()) fail(where, "the grid of norm bounds is empty");
  check_validation_data(where, Xv, Yv);
  decompose_if_needed(where);
  const arma::mat P = gram(kernel_, Xv, X_) * U_;
  NormBallPath path;
  path.bounds = bounds;
  path.mse.set_size(bounds.n_elem);
  path.error_rate.set_size(bounds.n_elem);
  path.lambdas.set_size(Q_.n_cols, bounds.n_elem);
  for (arma::uword l = 0; l < bounds.n_elem; ++l) {
    path.lambdas.col(l) = lambdas_for_bound(bounds[l]);
    const PredictionScores sc = validation_scores(P, Yv, path.lambdas.col(l));
    path.mse[l] = sc.mse;
    path.error_rate[l] = sc.error_rate;
  }
  path.best = best_bound_index(criterion == Criterion::mse ? path.mse : path.error_rate, bounds);
  lambdas_ = path.lambdas.col(path.best);
  update_coefficients();
  return path;
}

}  // namespace deepdot
