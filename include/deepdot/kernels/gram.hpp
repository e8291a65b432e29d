// SPDX-License-Identifier: MIT
/// @file gram.hpp
/// Exact Gram matrices of a dot-product kernel: the kernel limit that every
/// feature map is measured against.
#pragma once

#include <deepdot/kernels/kernel.hpp>

#include <armadillo>

#include <limits>
#include <string>

namespace deepdot {

/// The largest column norm accepted as "inside the unit ball": 1 plus a few
/// rounding errors of the element type, so unit-normalised data always passes.
template <typename eT>
constexpr double unit_ball_tolerance() {
  return 1.0 + 64.0 * static_cast<double>(std::numeric_limits<eT>::epsilon());
}

/// Checks Assumption A of Zhang, Lee & Jordan: every column of X is finite and
/// has ||x||_2 <= 1 (up to unit_ball_tolerance). Throws std::invalid_argument
/// starting with `where`, naming the first offending column and its norm.
void check_unit_ball(const arma::mat& X, const std::string& where);
void check_unit_ball(const arma::fmat& X, const std::string& where);

/// K(X, Y): X is d x n, Y is d x m, one column per point; returns n x m with
/// entry (i, j) = f(<x_i, y_j>). Computed as one GEMM per block of columns of
/// Y followed by the elementwise map, so nothing beyond the result is
/// allocated. Throws std::invalid_argument on mismatched dimensions, a
/// non-finite entry or a column outside the unit ball.
arma::mat gram(const Kernel& kernel, const arma::mat& X, const arma::mat& Y);
arma::fmat gram(const Kernel& kernel, const arma::fmat& X, const arma::fmat& Y);

/// K(X, X): X is d x n; returns the symmetric n x n Gram matrix (computed with
/// a symmetric rank-k update, so half the flops of gram(k, X, X)).
arma::mat gram(const Kernel& kernel, const arma::mat& X);
arma::fmat gram(const Kernel& kernel, const arma::fmat& X);

/// Exact Gram matrices of sparse inputs (deepdot/core/sparse.hpp): X is d x n
/// and Y d x m, sparse or dense, one column per point; returns the dense n x m
/// K(X, Y). The inner products are a sparse x sparse (O(sum of the products of
/// the nonzeros that share a row)) or sparse x dense (O(nnz(X) m)) product;
/// nothing of size d x n is densified. Same checks as gram() on the sparse form.
arma::mat gram(const Kernel& kernel, const arma::sp_mat& X, const arma::sp_mat& Y);
arma::mat gram(const Kernel& kernel, const arma::sp_mat& X, const arma::mat& Y);

}  // namespace deepdot
