// SPDX-License-Identifier: MIT
#include <deepdot/core/sparse.hpp>

#include <deepdot/kernels/gram.hpp>

#include "core/check.hpp"

#include <cmath>

namespace deepdot {

namespace {

template <typename eT>
arma::vec norms_impl(const arma::SpMat<eT>& X) {
  X.sync();
  arma::vec out(X.n_cols);
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    const arma::uword a = X.col_ptrs[j], b = X.col_ptrs[j + 1];
    out[j] = std::sqrt(detail::squared_norm(X.values + a, b - a));
  }
  return out;
}

template <typename eT>
void finite_impl(const arma::SpMat<eT>& X, const std::string& where) {
  X.sync();
  if (detail::all_finite(X.values, X.n_nonzero)) return;
  for (arma::uword j = 0; j < X.n_cols; ++j)
    for (arma::uword k = X.col_ptrs[j]; k < X.col_ptrs[j + 1]; ++k)
      if (!std::isfinite(X.values[k]))
        detail::fail(where, "X has a non-finite value (" + detail::format_double(double(X.values[k])) +
                                ") at column (point) " + std::to_string(j) + ", row (feature) " +
                                std::to_string(X.row_indices[k]));
}

template <typename eT>
void unit_ball_impl(const arma::SpMat<eT>& X, const std::string& where) {
  finite_impl(X, where);
  const arma::vec n = norms_impl(X);
  for (arma::uword j = 0; j < n.n_elem; ++j)
    if (n[j] > unit_ball_tolerance<eT>())
      detail::fail(where, "column " + std::to_string(j) + " has norm " + detail::format_double(n[j]) +
                              " > 1; the kernels need every point in the unit ball (scale the data, e.g. "
                              "Scaling::unit_norm)");
}

/// A matrix from its CSC arrays (the constructor copies them and drops stored zeros).
template <typename eT>
arma::SpMat<eT> from_csc(const arma::uvec& rows, const arma::uvec& ptrs, const arma::Col<eT>& values, arma::uword d,
                         arma::uword n) {
  return arma::SpMat<eT>(rows, ptrs, values, d, n);
}

template <typename eT>
arma::SpMat<eT> columns_impl(const arma::SpMat<eT>& X, const arma::uvec& idx) {
  X.sync();
  arma::uvec ptrs(idx.n_elem + 1);
  ptrs[0] = 0;
  for (arma::uword i = 0; i < idx.n_elem; ++i) {
    if (idx[i] >= X.n_cols)
      detail::fail("sparse_columns()", "index " + std::to_string(idx[i]) + " is beyond the " +
                                           std::to_string(X.n_cols) + " columns");
    ptrs[i + 1] = ptrs[i] + X.col_ptrs[idx[i] + 1] - X.col_ptrs[idx[i]];
  }
  arma::uvec rows(ptrs[idx.n_elem]);
  arma::Col<eT> values(ptrs[idx.n_elem]);
  for (arma::uword i = 0; i < idx.n_elem; ++i) {
    const arma::uword a = X.col_ptrs[idx[i]], len = X.col_ptrs[idx[i] + 1] - a;
    std::copy(X.row_indices + a, X.row_indices + a + len, rows.memptr() + ptrs[i]);
    std::copy(X.values + a, X.values + a + len, values.memptr() + ptrs[i]);
  }
  return from_csc(rows, ptrs, values, X.n_rows, idx.n_elem);
}

template <typename eT>
arma::Mat<eT> dense_impl(const arma::SpMat<eT>& X, arma::uword c0, arma::uword c1) {
  if (c0 > c1 || c1 > X.n_cols)
    detail::fail("dense_columns()", "columns [" + std::to_string(c0) + ", " + std::to_string(c1) +
                                        ") are not inside the " + std::to_string(X.n_cols) + " columns");
  X.sync();
  arma::Mat<eT> out(X.n_rows, c1 - c0, arma::fill::zeros);
  for (arma::uword j = c0; j < c1; ++j) {
    eT* o = out.colptr(j - c0);
    for (arma::uword k = X.col_ptrs[j]; k < X.col_ptrs[j + 1]; ++k) o[X.row_indices[k]] = X.values[k];
  }
  return out;
}

template <typename eT>
arma::SpMat<eT> scale_impl(const arma::SpMat<eT>& X, const arma::vec& factor) {
  if (factor.n_elem != X.n_cols)
    detail::fail("scale_columns()", "got " + std::to_string(factor.n_elem) + " factors for " +
                                        std::to_string(X.n_cols) + " columns");
  X.sync();
  const arma::uvec rows(const_cast<arma::uword*>(X.row_indices), X.n_nonzero, false, true);
  const arma::uvec ptrs(const_cast<arma::uword*>(X.col_ptrs), X.n_cols + 1, false, true);
  arma::Col<eT> values(X.n_nonzero);
  for (arma::uword j = 0; j < X.n_cols; ++j)
    for (arma::uword k = X.col_ptrs[j]; k < X.col_ptrs[j + 1]; ++k)
      values[k] = static_cast<eT>(double(X.values[k]) * factor[j]);
  return from_csc(rows, ptrs, values, X.n_rows, X.n_cols);
}

template <typename To, typename From>
arma::SpMat<To> convert(const arma::SpMat<From>& X) {
  X.sync();
  const arma::uvec rows(const_cast<arma::uword*>(X.row_indices), X.n_nonzero, false, true);
  const arma::uvec ptrs(const_cast<arma::uword*>(X.col_ptrs), X.n_cols + 1, false, true);
  arma::Col<To> values(X.n_nonzero);
  for (arma::uword k = 0; k < X.n_nonzero; ++k) values[k] = static_cast<To>(X.values[k]);
  return from_csc(rows, ptrs, values, X.n_rows, X.n_cols);
}

}  // namespace

arma::vec column_norms(const arma::sp_mat& X) { return norms_impl(X); }
arma::vec column_norms(const arma::sp_fmat& X) { return norms_impl(X); }
void check_unit_ball(const arma::sp_mat& X, const std::string& where) { unit_ball_impl(X, where); }
void check_unit_ball(const arma::sp_fmat& X, const std::string& where) { unit_ball_impl(X, where); }
void require_finite(const arma::sp_mat& X, const std::string& where) { finite_impl(X, where); }
arma::sp_mat sparse_columns(const arma::sp_mat& X, const arma::uvec& idx) { return columns_impl(X, idx); }
arma::sp_fmat sparse_columns(const arma::sp_fmat& X, const arma::uvec& idx) { return columns_impl(X, idx); }
arma::mat dense_columns(const arma::sp_mat& X, arma::uword c0, arma::uword c1) { return dense_impl(X, c0, c1); }
arma::fmat dense_columns(const arma::sp_fmat& X, arma::uword c0, arma::uword c1) { return dense_impl(X, c0, c1); }
arma::sp_mat scale_columns(const arma::sp_mat& X, const arma::vec& factor) { return scale_impl(X, factor); }
arma::sp_fmat scale_columns(const arma::sp_fmat& X, const arma::vec& factor) { return scale_impl(X, factor); }
arma::sp_fmat to_float(const arma::sp_mat& X) { return convert<float>(X); }
arma::sp_mat to_double(const arma::sp_fmat& X) { return convert<double>(X); }

}  // namespace deepdot
