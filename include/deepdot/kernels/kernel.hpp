// SPDX-License-Identifier: MIT
/// @file kernel.hpp
/// Dot-product kernels K(x, y) = f(<x, y>) with nonnegative Maclaurin coefficients.
#pragma once

#include <armadillo>

#include <memory>
#include <string>

namespace deepdot {

/// The families a Kernel can belong to; see docs/kernels.md for the formulas.
enum class KernelFamily {
  recursive,     ///< "recursive:K": f_K, the K-fold iterate of g(t) = 1/(2 - t) applied to t
  polynomial,    ///< "poly:P:C": ((t + C) / (1 + C))^P
  gaussian,      ///< "gaussian:S": exp((t - 1) / S^2), the Gaussian kernel on the sphere
  arccos,        ///< "arccos:0" or "arccos:1": arc-cosine kernels of Cho & Saul (2009)
  coefficients,  ///< "coeffs:A0,A1,...": a user-given polynomial with nonnegative coefficients
};

/// A dot-product kernel K(x, y) = f(<x, y>) on the unit ball, where
/// f(t) = sum_n a_n t^n has nonnegative Maclaurin coefficients a_n (so K is
/// positive definite on the unit ball by Schoenberg's theorem).
///
/// A Kernel is a small immutable value; copies share their state. Build one
/// with make_kernel() from a spec string such as "recursive:3".
///
/// @code
/// deepdot::Kernel k = deepdot::make_kernel("recursive:2");
/// double v = k(0.5);                       // f_2(0.5) = 0.75
/// arma::vec a = k.coefficients(10);        // a_0 .. a_9
/// double err = k.tail(9);                  // sup_{|t|<=1} |f(t) - sum_{n<=9} a_n t^n|
/// @endcode
class Kernel {
 public:
  /// The linear kernel f(t) = t ("recursive:0").
  Kernel();

  /// f(t) for t in [-1, 1]. Throws std::invalid_argument for t outside
  /// [-1 - 1e-12, 1 + 1e-12] or not finite; values just outside are clamped.
  double operator()(double t) const;

  /// The Maclaurin coefficients a_0 .. a_{count-1} (count may be 0). Computed
  /// in a way that is accurate for large degrees and large depths (no
  /// overflow; values below the smallest double underflow to 0).
  arma::vec coefficients(arma::uword count) const;

  /// The tail after degree N: sum_{n > N} a_n. Since |t| <= 1, this bounds
  /// |f(t) - sum_{n <= N} a_n t^n| on the unit ball (and equals it at t = 1).
  double tail(arma::uword degree) const;

  /// f(1) = sum_n a_n, the kernel's value on the diagonal for unit vectors.
  double value_at_one() const;

  /// The largest degree with a nonzero coefficient, or -1 (as max uword) if
  /// the series is infinite.
  arma::uword degree() const;
  /// True when f is a polynomial (finitely many nonzero coefficients).
  bool is_polynomial() const;

  /// Applies f elementwise in place to a matrix of inner products. Entries are
  /// clamped to [-1, 1] first, since rounding can push the inner product of
  /// unit vectors slightly outside it.
  void apply_inplace(arma::mat& T) const;
  void apply_inplace(arma::fmat& T) const;

  /// The canonical spec string; make_kernel(spec()) gives an equal kernel.
  std::string spec() const;
  /// A one-line human-readable formula, e.g. "f(t) = (2 - t) / (3 - 2t)".
  std::string formula() const;
  KernelFamily family() const;

  /// Parameters: the depth of a recursive kernel, the degree of a polynomial
  /// kernel, the order of an arc-cosine kernel (0 otherwise).
  arma::uword integer_parameter() const;

  bool operator==(const Kernel& other) const { return spec() == other.spec(); }
  bool operator!=(const Kernel& other) const { return !(*this == other); }

 private:
  class Impl;  // the family's formulas, defined in the library (pimpl)
  explicit Kernel(std::shared_ptr<const Impl> impl);
  friend Kernel make_kernel(const std::string& spec);
  friend Kernel recursive_kernel(arma::uword depth);
  friend Kernel coefficient_kernel(const arma::vec& coefficients);

  std::shared_ptr<const Impl> impl_;
};

/// Builds a kernel from its spec string. Accepted specs (whitespace not allowed):
///   "recursive:K"        K >= 0, the recursive kernel of depth K (Zhang, Lee & Jordan 2016)
///   "linear"             same as "recursive:0", f(t) = t
///   "poly:P" "poly:P:C"  ((t + C)/(1 + C))^P with integer P >= 0 and C >= 0 (default 1)
///   "gaussian:S"         exp((t - 1)/S^2), S > 0
///   "arccos:0" "arccos:1" arc-cosine kernels of order 0 and 1, normalised so f(1) = 1
///   "coeffs:A0,A1,..."   f(t) = A0 + A1 t + ..., every A_n finite and >= 0, one positive,
///                        and f(1) = sum A_n <= kernel_value_limit
/// Throws std::invalid_argument naming the spec and the rule broken.
Kernel make_kernel(const std::string& spec);

/// The recursive kernel of the given depth; same as make_kernel("recursive:K").
Kernel recursive_kernel(arma::uword depth);

/// The largest f(1) (the largest kernel value on the unit ball) a kernel from
/// coefficients may have: beyond it kernel values, or their squares in
/// norms and Gram products, overflow.
constexpr double kernel_value_limit = 1e150;

/// Builds a kernel from explicit Maclaurin coefficients (validated as for "coeffs:").
Kernel coefficient_kernel(const arma::vec& coefficients);

}  // namespace deepdot
