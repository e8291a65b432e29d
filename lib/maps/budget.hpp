// SPDX-License-Identifier: MIT
// Private: how a feature budget D is split between exactly represented low
// degrees and randomised features, shared by every Taylor-based map so the
// docs can state one rule.
#pragma once

#include <deepdot/kernels/kernel.hpp>

#include <armadillo>

namespace deepdot::detail {

/// The exact part of a feature map for f(t) = sum a_n t^n:
///  * the constant a_0 is one feature sqrt(a_0) when a_0 > 0 (it costs one
///    coordinate and removes the largest single term of most kernels);
///  * the linear term a_1 <x, y> is d features sqrt(a_1) x when a_1 > 0 and
///    they take at most a quarter of the budget (d + 1 <= D / 4), so that
///    enough features remain for the higher degrees.
/// The remaining D - exact_dim() features approximate sum_{n >= 2} a_n t^n
/// (or sum_{n >= 1} when the linear term is not exact).
struct ExactPart {
  bool constant = false;
  bool linear = false;
  double sqrt_a0 = 0.0;
  double sqrt_a1 = 0.0;
  arma::uword input_dim = 0;

  ExactPart(const Kernel& kernel, arma::uword d, arma::uword D) : input_dim(d) {
    const arma::vec a = kernel.coefficients(2);
    constant = a[0] > 0.0 && D >= 1;
    sqrt_a0 = std::sqrt(a[0]);
    const arma::uword used = constant ? 1 : 0;
    linear = a[1] > 0.0 && (used + d) * 4 <= D;
    sqrt_a1 = std::sqrt(a[1]);
  }
  /// Number of features used by the exact part.
  arma::uword exact_dim() const { return (constant ? 1 : 0) + (linear ? input_dim : 0); }
  /// The lowest degree left to the random features.
  arma::uword first_random_degree() const { return linear ? 2 : 1; }

  /// Writes the exact features of X (d x n) into rows [0, exact_dim()) of Z.
  template <typename eT>
  void fill(const arma::Mat<eT>& X, arma::Mat<eT>& Z) const {
    if (X.n_cols == 0) return;  // Armadillo's fill() on an empty row view binds a null reference
    arma::uword row = 0;
    if (constant) Z.row(row++).fill(static_cast<eT>(sqrt_a0));
    if (linear) Z.rows(row, row + input_dim - 1) = static_cast<eT>(sqrt_a1) * X;
  }
  /// The same for sparse X (the linear part is exact only for d + 1 <= D / 4,
  /// so its dense rows are no larger than the features).
  template <typename eT>
  void fill(const arma::SpMat<eT>& X, arma::Mat<eT>& Z) const {
    if (X.n_cols == 0) return;
    arma::uword row = 0;
    if (constant) Z.row(row++).fill(static_cast<eT>(sqrt_a0));
    if (linear) Z.rows(row, row + input_dim - 1) = static_cast<eT>(sqrt_a1) * arma::Mat<eT>(X);
  }
};

}  // namespace deepdot::detail
