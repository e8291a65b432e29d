// SPDX-License-Identifier: MIT
/// @file sparse.hpp
/// Sparse inputs: the d x n data as a compressed-column matrix, one column per
/// point (arma::sp_mat / arma::sp_fmat). A CSC d x n matrix is the CSR form of
/// the n x d data, so a LIBSVM file row is one column here.
#pragma once

#include <armadillo>

#include <string>

namespace deepdot {

/// Euclidean norm of every column of X (d x n); returns n values. O(nnz).
arma::vec column_norms(const arma::sp_mat& X);
arma::vec column_norms(const arma::sp_fmat& X);

/// Checks Assumption A on the sparse form: every stored value finite and every
/// column of norm <= unit_ball_tolerance<eT>(). O(nnz). Throws
/// std::invalid_argument starting with `where`, naming the first bad column.
void check_unit_ball(const arma::sp_mat& X, const std::string& where);
void check_unit_ball(const arma::sp_fmat& X, const std::string& where);

/// Throws std::invalid_argument starting with `where` unless every stored value
/// of X is finite, naming the column (point) and row (feature) of the first bad one.
void require_finite(const arma::sp_mat& X, const std::string& where);

/// Columns idx of X (d x n; idx in any order, repeats allowed) as a new
/// d x |idx| matrix. O(nnz of the result + |idx|).
arma::sp_mat sparse_columns(const arma::sp_mat& X, const arma::uvec& idx);
arma::sp_fmat sparse_columns(const arma::sp_fmat& X, const arma::uvec& idx);

/// Columns [c0, c1) of X as a dense d x (c1 - c0) matrix: the cost of
/// densifying, d (c1 - c0) values.
arma::mat dense_columns(const arma::sp_mat& X, arma::uword c0, arma::uword c1);
arma::fmat dense_columns(const arma::sp_fmat& X, arma::uword c0, arma::uword c1);

/// Column j of X multiplied by factor[j] (n values), same sparsity pattern
/// (explicit zeros are not dropped). O(nnz).
arma::sp_mat scale_columns(const arma::sp_mat& X, const arma::vec& factor);
arma::sp_fmat scale_columns(const arma::sp_fmat& X, const arma::vec& factor);

/// Element-type conversions with the same sparsity pattern.
arma::sp_fmat to_float(const arma::sp_mat& X);
arma::sp_mat to_double(const arma::sp_fmat& X);

}  // namespace deepdot
