// SPDX-License-Identifier: MIT
#include <deepdot/kernels/gram.hpp>

#include <deepdot/util/memory.hpp>
#include <deepdot/core/sparse.hpp>

#include "core/check.hpp"

#include <algorithm>
#include <cmath>

namespace deepdot {
namespace {

template <typename eT>
void check_unit_ball_impl(const arma::Mat<eT>& X, const std::string& where) {
  const double limit = unit_ball_tolerance<eT>();
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    const double norm = std::sqrt(detail::squared_norm(X.colptr(j), X.n_rows));
    // A NaN or infinity makes the norm non-finite: name the value first.
    if (!std::isfinite(norm))
      for (arma::uword i = 0; i < X.n_rows; ++i)
        if (!std::isfinite(X(i, j)))
          detail::fail(where, "the data has a non-finite value (" + detail::format_double(static_cast<double>(X(i, j))) +
                                  ") at row " + std::to_string(i) + ", column " + std::to_string(j));
    if (!(norm <= limit))
      detail::fail(where, "column " + std::to_string(j) + " has norm " + detail::format_double(norm) +
                              " > 1; the kernel is defined on the unit ball (||x||_2 <= 1): normalise the data "
                              "first (normalize_columns() or scale_by_max_norm())");
  }
}

// Columns of Y per GEMM block: large enough that the GEMM runs near peak,
// small enough that the block is still in cache when f is applied.
constexpr arma::uword kBlockColumns = 1024;

template <typename eT>
arma::Mat<eT> gram_impl(const Kernel& kernel, const arma::Mat<eT>& X, const arma::Mat<eT>& Y) {
  const std::string where = "gram()";
  if (X.n_rows != Y.n_rows)
    detail::fail(where, "X has " + std::to_string(X.n_rows) + " rows but Y has " + std::to_string(Y.n_rows) +
                            "; both must be d x n with the same d");
  check_unit_ball_impl(X, where + ": X");
  check_unit_ball_impl(Y, where + ": Y");
  require_memory(static_cast<double>(sizeof(eT)) * static_cast<double>(X.n_cols) * static_cast<double>(Y.n_cols),
                 where, "the " + std::to_string(X.n_cols) + " x " + std::to_string(Y.n_cols) + " kernel matrix",
                 "use fewer points, or a feature map");
  arma::Mat<eT> K(X.n_cols, Y.n_cols);
  for (arma::uword j0 = 0; j0 < Y.n_cols; j0 += kBlockColumns) {
    const arma::uword j1 = std::min(Y.n_cols, j0 + kBlockColumns) - 1;
    arma::Mat<eT> block = X.t() * Y.cols(j0, j1);
    kernel.apply_inplace(block);
    K.cols(j0, j1) = block;
  }
  return K;
}

template <typename eT>
arma::Mat<eT> gram_sym_impl(const Kernel& kernel, const arma::Mat<eT>& X) {
  check_unit_ball_impl(X, "gram(): X");
  require_memory(static_cast<double>(sizeof(eT)) * static_cast<double>(X.n_cols) * static_cast<double>(X.n_cols),
                 "gram()", "the " + std::to_string(X.n_cols) + " x " + std::to_string(X.n_cols) + " kernel matrix",
                 "use fewer points, or a feature map");
  arma::Mat<eT> K = X.t() * X;  // Armadillo dispatches X' X to SYRK
  kernel.apply_inplace(K);
  return K;
}

}  // namespace

void check_unit_ball(const arma::mat& X, const std::string& where) { check_unit_ball_impl(X, where); }
void check_unit_ball(const arma::fmat& X, const std::string& where) { check_unit_ball_impl(X, where); }

arma::mat gram(const Kernel& kernel, const arma::mat& X, const arma::mat& Y) { return gram_impl(kernel, X, Y); }
arma::fmat gram(const Kernel& kernel, const arma::fmat& X, const arma::fmat& Y) { return gram_impl(kernel, X, Y); }
arma::mat gram(const Kernel& kernel, const arma::mat& X) { return gram_sym_impl(kernel, X); }
arma::fmat gram(const Kernel& kernel, const arma::fmat& X) { return gram_sym_impl(kernel, X); }

namespace {
void check_sparse_pair(arma::uword dx, arma::uword dy) {
  if (dx != dy)
    detail::fail("gram()", "X has " + std::to_string(dx) + " rows but Y has " + std::to_string(dy) +
                               "; both must be d x n with the same d");
}
}  // namespace

arma::mat gram(const Kernel& kernel, const arma::sp_mat& X, const arma::sp_mat& Y) {
  check_sparse_pair(X.n_rows, Y.n_rows);
  check_unit_ball(X, "gram(): X");
  check_unit_ball(Y, "gram(): Y");
  arma::mat K(X.n_cols, Y.n_cols);
  const arma::sp_mat Xt = X.t();
  for (arma::uword j0 = 0; j0 < Y.n_cols; j0 += kBlockColumns) {
    const arma::uword j1 = std::min(Y.n_cols, j0 + kBlockColumns) - 1;
    arma::mat block(Xt * Y.cols(j0, j1));
    kernel.apply_inplace(block);
    K.cols(j0, j1) = block;
  }
  return K;
}

arma::mat gram(const Kernel& kernel, const arma::sp_mat& X, const arma::mat& Y) {
  check_sparse_pair(X.n_rows, Y.n_rows);
  check_unit_ball(X, "gram(): X");
  check_unit_ball_impl(Y, "gram(): Y");
  arma::mat K(X.n_cols, Y.n_cols);
  const arma::sp_mat Xt = X.t();
  for (arma::uword j0 = 0; j0 < Y.n_cols; j0 += kBlockColumns) {
    const arma::uword j1 = std::min(Y.n_cols, j0 + kBlockColumns) - 1;
    arma::mat block = Xt * Y.cols(j0, j1);
    kernel.apply_inplace(block);
    K.cols(j0, j1) = block;
  }
  return K;
}

}  // namespace deepdot
