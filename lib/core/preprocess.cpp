// SPDX-License-Identifier: MIT
#include <deepdot/core/preprocess.hpp>

#include <deepdot/core/sparse.hpp>

#include "core/check.hpp"

#include <algorithm>
#include <cmath>

namespace deepdot {

Scaling parse_scaling(const std::string& name) {
  if (name == "none") return Scaling::none;
  if (name == "unit" || name == "unit-norm") return Scaling::unit_norm;
  if (name == "max" || name == "max-norm") return Scaling::max_norm;
  detail::fail("parse_scaling()", "unknown scaling '" + name + "'; expected none, unit-norm or max-norm");
}

std::string scaling_name(Scaling scaling) {
  switch (scaling) {
    case Scaling::none: return "none";
    case Scaling::unit_norm: return "unit-norm";
    case Scaling::max_norm: return "max-norm";
  }
  return "none";
}

namespace {

/// The l2 norm of x[0..n), exact to rounding for finite data of any magnitude:
/// the plain sum of squares overflows above about 1e154 and underflows below
/// about 1e-154, so outside that range the column is first divided by its
/// largest magnitude (an exact rescaling in spirit: one rounding per entry).
template <typename eT>
double robust_norm(const eT* x, std::size_t n) {
  const double s = detail::squared_norm(x, n);
  if (std::isfinite(s) && s >= 1e-280 && s <= 1e280) return std::sqrt(s);
  double m = 0.0;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::abs(static_cast<double>(x[i])));
  if (m == 0.0 || !std::isfinite(m)) return m;
  double t = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]) / m;
    t += v * v;
  }
  return m * std::sqrt(t);
}

}  // namespace

arma::vec column_norms(const arma::mat& X) {
  arma::vec n(X.n_cols);
  for (arma::uword j = 0; j < X.n_cols; ++j) n[j] = robust_norm(X.colptr(j), X.n_rows);
  return n;
}

template <typename eT>
static void normalize_impl(arma::Mat<eT>& X) {
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    eT* x = X.colptr(j);
    const double s = detail::squared_norm(x, X.n_rows);
    if (std::isfinite(s) && s >= 1e-280 && s <= 1e280) {
      X.col(j) /= static_cast<eT>(std::sqrt(s));
      continue;
    }
    // Far from 1 in magnitude: divide by the largest entry first (now in
    // [-1, 1], one at +-1), then by the norm of that, which is in [1, sqrt(d)].
    double m = 0.0;
    for (arma::uword i = 0; i < X.n_rows; ++i) m = std::max(m, std::abs(static_cast<double>(x[i])));
    if (m == 0.0 || !std::isfinite(m)) continue;  // zero columns stay zero; non-finite data is refused earlier
    for (arma::uword i = 0; i < X.n_rows; ++i) x[i] = static_cast<eT>(static_cast<double>(x[i]) / m);
    X.col(j) /= static_cast<eT>(std::sqrt(detail::squared_norm(x, X.n_rows)));
  }
}

void normalize_columns(arma::mat& X) { normalize_impl(X); }
void normalize_columns(arma::fmat& X) { normalize_impl(X); }

double scale_by_max_norm(arma::mat& X) {
  const double m = X.n_cols ? column_norms(X).max() : 0.0;
  if (m > 0.0) X /= m;
  return m > 0.0 ? m : 1.0;
}

Scaler::Scaler(Scaling scaling) : scaling_(scaling) {}

void Scaler::fit(const arma::mat& X) {
  detail::require_finite(X, "Scaler::fit()", "the data");
  factor_ = 1.0;
  if (scaling_ == Scaling::max_norm && X.n_cols) {
    const double m = column_norms(X).max();
    if (m > 0.0) factor_ = m;
  }
}

void Scaler::set_factor(double factor) {
  if (!(factor > 0.0) || !std::isfinite(factor))
    detail::fail("Scaler::set_factor()", "factor must be finite and > 0, got " + detail::format_double(factor));
  factor_ = factor;
}

arma::mat Scaler::transform(const arma::mat& X) const {
  arma::mat Z = X;
  transform_inplace(Z);
  return Z;
}

void Scaler::transform_inplace(arma::mat& Z) const {
  detail::require_finite(Z, "Scaler::transform()", "the data");
  switch (scaling_) {
    case Scaling::none: break;
    case Scaling::unit_norm: normalize_columns(Z); break;
    case Scaling::max_norm:
      Z /= factor_;
      for (arma::uword j = 0; j < Z.n_cols; ++j) {
        const double n = robust_norm(Z.colptr(j), Z.n_rows);
        if (n > 1.0) Z.col(j) /= n;
      }
      break;
  }
}

void Scaler::fit(const arma::sp_mat& X) {
  require_finite(X, "Scaler::fit()");
  factor_ = 1.0;
  if (scaling_ == Scaling::max_norm && X.n_cols) {
    const double m = column_norms(X).max();
    if (m > 0.0) factor_ = m;
  }
}

arma::sp_mat Scaler::transform(const arma::sp_mat& X) const {
  require_finite(X, "Scaler::transform()");
  if (scaling_ == Scaling::none) return X;
  const arma::vec norms = column_norms(X);
  arma::vec factor(X.n_cols);
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    if (scaling_ == Scaling::unit_norm) {
      factor[j] = norms[j] > 0.0 ? 1.0 / norms[j] : 1.0;
    } else {
      // As the dense max_norm: divide by the factor, then clip onto the sphere.
      const double n = norms[j] / factor_;
      factor[j] = n > 1.0 ? 1.0 / norms[j] : 1.0 / factor_;
    }
  }
  return scale_columns(X, factor);
}

}  // namespace deepdot
