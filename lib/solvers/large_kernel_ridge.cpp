// SPDX-License-Identifier: MIT
#include <deepdot/solvers/large_kernel_ridge.hpp>

#include <deepdot/kernels/gram.hpp>
#include <deepdot/util/memory.hpp>

#include "core/check.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

extern "C" {
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, std::size_t uplo_len);
void spotrs_(const char* uplo, const int* n, const int* nrhs, const float* a, const int* lda, float* b, const int* ldb,
             int* info, std::size_t uplo_len);
void ssymm_(const char* side, const char* uplo, const int* m, const int* n, const float* alpha, const float* a,
            const int* lda, const float* b, const int* ldb, const float* beta, float* c, const int* ldc,
            std::size_t side_len, std::size_t uplo_len);
}

namespace deepdot {

using detail::fail;
using detail::format_double;

double large_kernel_ridge_memory_bytes(arma::uword n, arma::uword d, arma::uword c) {
  const double nn = static_cast<double>(n);
  return 4.0 * nn * nn + 4.0 * static_cast<double>(d) * nn + 16.0 * nn * static_cast<double>(c) + 8.0 * nn;
}

LargeKernelRidge::LargeKernelRidge(Kernel kernel, double lambda, arma::uword block)
    : kernel_(std::move(kernel)), lambda_(lambda), block_(block) {
  const char* where = "LargeKernelRidge::LargeKernelRidge()";
  if (!(lambda > 0.0) || !std::isfinite(lambda))
    fail(where, "lambda must be finite and > 0 (float Cholesky needs K + n lambda I well conditioned), got " +
                    format_double(lambda));
  if (block == 0) fail(where, "block must be >= 1");
}

void LargeKernelRidge::fit(const arma::fmat& X, const arma::mat& Y) {
  const char* where = "LargeKernelRidge::fit()";
  if (X.n_rows == 0 || X.n_cols < 2)
    fail(where, "X must be d x n with d >= 1 and n >= 2, got " + detail::shape_text(X.n_rows, X.n_cols));
  if (Y.n_cols != X.n_cols || Y.n_rows == 0)
    fail(where, "Y must be c x n with c >= 1 and n = " + std::to_string(X.n_cols) + ", got " +
                    detail::shape_text(Y.n_rows, Y.n_cols));
  if (X.n_cols > static_cast<arma::uword>(std::numeric_limits<int>::max() / 2))
    fail(where, "n = " + std::to_string(X.n_cols) + " is beyond the LAPACK integer range");
  detail::require_finite(Y, where, "Y");
  check_unit_ball(X, where);
  require_memory(large_kernel_ridge_memory_bytes(X.n_cols, X.n_rows, Y.n_rows), where,
                 "the float " + std::to_string(X.n_cols) + " x " + std::to_string(X.n_cols) + " kernel",
                 "use fewer points, or a feature map");
  X_ = X;
  const int n = static_cast<int>(X.n_cols), c = static_cast<int>(Y.n_rows);
  const double shift = static_cast<double>(n) * lambda_;
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  auto t0 = Clock::now();
  arma::fmat A = gram(kernel_, X_);  // SSYRK, then f in place: the one n x n allocation
  const arma::vec diag_a = arma::conv_to<arma::vec>::from(A.diag()) + shift;  // the diagonal of K + n lambda I
  A.diag() += static_cast<float>(shift);
  seconds_.kernel = since(t0);
  t0 = Clock::now();
  int info = 0;
  spotrf_("L", &n, A.memptr(), &n, &info, 1);
  if (info != 0)
    fail(where, "K + n lambda I is not positive definite in float (SPOTRF failed at column " + std::to_string(info) +
                    ") at lambda = " + format_double(lambda_) + "; use a larger lambda (n lambda >= 1e-6 ||K||)");
  // A: lower triangle L (with diagonal), strict upper triangle K.
  const arma::vec diag_l = arma::conv_to<arma::vec>::from(A.diag());
  const arma::mat B = Y.t();  // n x c
  const double b_norm = arma::norm(B, "fro");
  auto solve = [&](const arma::mat& R) {  // (K + n lambda I)^-1 R through the float factor (SPOTRS)
    arma::fmat S = arma::conv_to<arma::fmat>::from(R);
    int inf = 0;
    spotrs_("L", &n, &c, A.memptr(), &n, S.memptr(), &n, &inf, 1);
    return arma::conv_to<arma::mat>::from(S);
  };
  // (K + n lambda I) V from the kept upper triangle: SSYMM reads the diagonal
  // of L there, replaced by the saved diagonal.
  auto apply = [&](const arma::mat& V) {
    const arma::fmat Vf = arma::conv_to<arma::fmat>::from(V);
    arma::fmat P(n, c);
    const float one = 1.0f, zero = 0.0f;
    ssymm_("L", "U", &n, &c, &one, A.memptr(), &n, Vf.memptr(), &n, &zero, P.memptr(), &n, 1, 1);
    arma::mat out = arma::conv_to<arma::mat>::from(P);
    for (int j = 0; j < c; ++j)
      out.col(j) += (diag_a - diag_l) % arma::conv_to<arma::vec>::from(Vf.col(j));
    return out;
  };
  alpha_ = solve(B);
  seconds_.factorisation = since(t0);
  t0 = Clock::now();
  // The residual in float products: its floor is their rounding (about
  // sqrt(n) 6e-8 ||K|| ||alpha|| / ||Y||), so refining against it gains
  // nothing measurable; it is reported so that a too-small lambda shows.
  const arma::mat R = B - apply(alpha_);
  residual_ = b_norm > 0.0 ? arma::norm(R, "fro") / b_norm : 0.0;
  seconds_.residual = since(t0);
  if (!alpha_.is_finite()) fail(where, "the solution is not finite at lambda = " + format_double(lambda_));
}

arma::mat LargeKernelRidge::predict(const arma::fmat& Xt) const {
  const char* where = "LargeKernelRidge::predict()";
  if (alpha_.is_empty()) fail(where, "call fit() first");
  if (Xt.n_rows != X_.n_rows)
    fail(where, "Xt has " + std::to_string(Xt.n_rows) + " rows but the model was fitted on d = " +
                    std::to_string(X_.n_rows));
  const arma::fmat alpha_f = arma::conv_to<arma::fmat>::from(alpha_);
  arma::mat F(alpha_.n_cols, Xt.n_cols);
  for (arma::uword j0 = 0; j0 < Xt.n_cols; j0 += block_) {
    const arma::uword j1 = std::min(Xt.n_cols, j0 + block_) - 1;
    const arma::fmat Kt = gram(kernel_, X_, Xt.cols(j0, j1));  // n x b kernel rows
    F.cols(j0, j1) = arma::conv_to<arma::mat>::from(arma::fmat(alpha_f.t() * Kt));
  }
  return F;
}

}  // namespace deepdot
