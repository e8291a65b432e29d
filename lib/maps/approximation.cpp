// SPDX-License-Identifier: MIT
#include <deepdot/maps/approximation.hpp>

#include <deepdot/kernels/gram.hpp>

#include "core/check.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace deepdot {
namespace {

double ratio(double num, double den) {
  if (den > 0.0) return num / den;
  return num == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
}

/// Largest |eigenvalue| of a symmetric matrix.
double spectral_norm_sym(const arma::mat& A) {
  if (A.n_elem == 0) return 0.0;
  arma::vec ev;
  if (!arma::eig_sym(ev, A))
    throw std::runtime_error("approximation_error(): the symmetric eigen-decomposition failed");
  return std::max(std::abs(ev.front()), std::abs(ev.back()));
}

}  // namespace

ApproximationError approximation_error(const arma::mat& K, const arma::mat& Z, double a0) {
  const std::string where = "approximation_error()";
  if (K.n_rows != K.n_cols)
    detail::fail(where, "K must be a square n x n Gram matrix, got " + std::to_string(K.n_rows) + " x " +
                            std::to_string(K.n_cols));
  if (Z.n_cols != K.n_rows)
    detail::fail(where, "Z has " + std::to_string(Z.n_cols) + " columns but K is " + std::to_string(K.n_rows) +
                            " x " + std::to_string(K.n_cols) +
                            "; Z must be D x n (one column of features per point) so that Z' Z is n x n");
  if (!std::isfinite(a0)) detail::fail(where, "a0 must be finite, got " + detail::format_double(a0));
  detail::require_finite(K, where, "K");
  detail::require_finite(Z, where, "Z");

  arma::mat E = Z.t() * Z;  // SYRK
  E = K - E;
  // Symmetrise: K may carry rounding asymmetry; the spectral norm needs a
  // symmetric matrix and the Frobenius norm is unchanged to rounding.
  E = 0.5 * (E + E.t());

  ApproximationError out;
  const double err_f = arma::norm(E, "fro");
  out.relative_frobenius = ratio(err_f, arma::norm(K, "fro"));
  out.relative_frobenius_nonconstant = ratio(err_f, arma::norm(K - a0, "fro"));
  out.max_abs_error = E.n_elem == 0 ? 0.0 : arma::abs(E).max();
  out.relative_spectral = ratio(spectral_norm_sym(E), spectral_norm_sym(0.5 * (K + K.t())));
  return out;
}

ApproximationError approximation_error(const Kernel& kernel, const FeatureMap& map, const arma::mat& sample) {
  if (sample.n_rows != map.input_dim())
    detail::fail("approximation_error()", "the sample has " + std::to_string(sample.n_rows) +
                                              " rows but the map expects d = " + std::to_string(map.input_dim()) +
                                              " (the sample must be d x n, one column per point)");
  const arma::mat K = gram(kernel, sample);
  const arma::mat Z = map.transform(sample);
  return approximation_error(K, Z, kernel.coefficients(1)[0]);
}

}  // namespace deepdot
