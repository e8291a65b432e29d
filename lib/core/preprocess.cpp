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
  if (name == "sphere-lift" || name == "lift") return Scaling::sphere_lift;
  if (name == "auto") return Scaling::automatic;
  detail::fail("parse_scaling()",
               "unknown scaling '" + name + "'; expected auto, none, unit-norm, max-norm or sphere-lift");
}

std::string scaling_name(Scaling scaling) {
  switch (scaling) {
    case Scaling::none: return "none";
    case Scaling::unit_norm: return "unit-norm";
    case Scaling::max_norm: return "max-norm";
    case Scaling::sphere_lift: return "sphere-lift";
    case Scaling::automatic: return "auto";
  }
  return "none";
}

arma::uword scaled_dim(Scaling scaling, arma::uword input_dim) {
  return scaling == Scaling::sphere_lift ? input_dim + 1 : input_dim;
}

FeatureScaling parse_feature_scaling(const std::string& name) {
  if (name == "none") return FeatureScaling::none;
  if (name == "standardize" || name == "zscore" || name == "standard") return FeatureScaling::standardize;
  if (name == "minmax" || name == "min-max") return FeatureScaling::minmax;
  if (name == "maxabs" || name == "max-abs") return FeatureScaling::maxabs;
  detail::fail("parse_feature_scaling()",
               "unknown feature scaling '" + name + "'; expected none, standardize, minmax or maxabs");
}

std::string feature_scaling_name(FeatureScaling scaling) {
  switch (scaling) {
    case FeatureScaling::none: return "none";
    case FeatureScaling::standardize: return "standardize";
    case FeatureScaling::minmax: return "minmax";
    case FeatureScaling::maxabs: return "maxabs";
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

// --------------------------------------------------------------------------- per-feature statistics

FeatureStatistics feature_statistics(const arma::mat& X) {
  FeatureStatistics st;
  const arma::uword d = X.n_rows, n = X.n_cols;
  st.count = n;
  st.mean.zeros(d);
  st.variance.zeros(d);
  if (n == 0) {
    st.min.zeros(d);
    st.max.zeros(d);
    return st;
  }
  for (arma::uword j = 0; j < n; ++j) st.mean += X.col(j);
  st.mean /= static_cast<double>(n);
  // Second pass about the mean: a one-pass sum of squares cancels badly for
  // features with a large mean and a small spread.
  const double* mu = st.mean.memptr();
  double* var = st.variance.memptr();
  for (arma::uword j = 0; j < n; ++j) {
    const double* x = X.colptr(j);
    for (arma::uword i = 0; i < d; ++i) {
      const double e = x[i] - mu[i];
      var[i] += e * e;
    }
  }
  st.variance /= static_cast<double>(n);
  st.min = arma::min(X, 1);
  st.max = arma::max(X, 1);
  return st;
}

FeatureStatistics feature_statistics(const arma::sp_mat& X) {
  FeatureStatistics st;
  const arma::uword d = X.n_rows, n = X.n_cols;
  st.count = n;
  st.mean.zeros(d);
  st.variance.zeros(d);
  st.min.zeros(d);
  st.max.zeros(d);
  if (n == 0) return st;
  X.sync();
  arma::uvec stored(d, arma::fill::zeros);
  arma::vec lo(d), hi(d);
  lo.fill(arma::datum::inf);
  hi.fill(-arma::datum::inf);
  for (arma::uword k = 0; k < X.n_nonzero; ++k) {
    const arma::uword i = X.row_indices[k];
    const double v = X.values[k];
    st.mean[i] += v;
    ++stored[i];
    lo[i] = std::min(lo[i], v);
    hi[i] = std::max(hi[i], v);
  }
  st.mean /= static_cast<double>(n);
  for (arma::uword k = 0; k < X.n_nonzero; ++k) {
    const arma::uword i = X.row_indices[k];
    const double e = X.values[k] - st.mean[i];
    st.variance[i] += e * e;
  }
  for (arma::uword i = 0; i < d; ++i) {
    // The implicit zeros: (n - stored) deviations of -mean each, and 0 in the range.
    const double zeros = static_cast<double>(n - stored[i]);
    st.variance[i] = (st.variance[i] + zeros * st.mean[i] * st.mean[i]) / static_cast<double>(n);
    st.min[i] = stored[i] < n ? std::min(lo[i], 0.0) : lo[i];
    st.max[i] = stored[i] < n ? std::max(hi[i], 0.0) : hi[i];
  }
  return st;
}

// --------------------------------------------------------------------------- FeatureScaler

FeatureScaler::FeatureScaler(FeatureScaling scaling) : scaling_(scaling) {}

void FeatureScaler::fit(const arma::mat& X) {
  if (scaling_ == FeatureScaling::none) return;
  detail::require_finite(X, "FeatureScaler::fit()", "the data");
  if (X.n_cols == 0) detail::fail("FeatureScaler::fit()", "no training points to learn the feature scaling from");
  fit(feature_statistics(X), true);
}

void FeatureScaler::fit(const arma::sp_mat& X) {
  if (scaling_ == FeatureScaling::none) return;
  if (scaling_ == FeatureScaling::minmax)
    detail::fail("FeatureScaler::fit()",
                 "minmax scaling shifts every feature, which would fill in every zero of sparse data; use maxabs "
                 "(x / max |x|, zeros stay zeros) or standardize (sparse: divided by the std, not centred)");
  require_finite(X, "FeatureScaler::fit()");
  if (X.n_cols == 0) detail::fail("FeatureScaler::fit()", "no training points to learn the feature scaling from");
  fit(feature_statistics(X), false);
}

void FeatureScaler::fit(const FeatureStatistics& st, bool centre) {
  const char* where = "FeatureScaler::fit()";
  const arma::uword d = st.mean.n_elem;
  if (st.variance.n_elem != d || st.min.n_elem != d || st.max.n_elem != d)
    detail::fail(where, "the statistics must have one value per feature each, got " + std::to_string(d) + " means, " +
                            std::to_string(st.variance.n_elem) + " variances, " + std::to_string(st.min.n_elem) +
                            " minima and " + std::to_string(st.max.n_elem) + " maxima");
  if (scaling_ == FeatureScaling::none) {
    offset_.reset();
    factor_.reset();
    return;
  }
  if (!centre && scaling_ == FeatureScaling::minmax)
    detail::fail(where, "minmax scaling needs centring; without it (sparse data) use maxabs");
  offset_.zeros(d);
  factor_.zeros(d);
  for (arma::uword i = 0; i < d; ++i) {
    const double lo = st.min[i], hi = st.max[i];
    if (!(hi > lo)) continue;  // constant on the training data: factor 0, the feature becomes 0
    // The halves, so that a range of +-1e308 does not overflow.
    const double half_range = hi / 2 - lo / 2;
    double offset = 0.0, factor = 0.0;
    switch (scaling_) {
      case FeatureScaling::standardize:
        offset = centre ? st.mean[i] : 0.0;
        factor = 1.0 / std::sqrt(st.variance[i]);
        break;
      case FeatureScaling::minmax:
        offset = hi / 2 + lo / 2;
        factor = 1.0 / half_range;
        break;
      case FeatureScaling::maxabs:
        factor = 1.0 / std::max(std::abs(lo), std::abs(hi));
        break;
      case FeatureScaling::none: break;
    }
    // A variance that overflowed (values near 1e308) or underflowed (spreads
    // near 1e-160) falls back to the range; a range too small to invert is constant.
    if (!(factor > 0.0) || !std::isfinite(factor)) factor = 1.0 / half_range;
    if (!(factor > 0.0) || !std::isfinite(factor)) {
      offset = 0.0;
      factor = 0.0;
    }
    offset_[i] = offset;
    factor_[i] = factor;
  }
}

void FeatureScaler::set(const arma::vec& offset, const arma::vec& factor) {
  const char* where = "FeatureScaler::set()";
  if (scaling_ == FeatureScaling::none) {
    if (!offset.is_empty() || !factor.is_empty())
      detail::fail(where, "feature scaling none has no statistics, got " + std::to_string(offset.n_elem) + " offsets");
    return;
  }
  if (offset.n_elem != factor.n_elem || offset.is_empty())
    detail::fail(where, "need one offset and one factor per feature, got " + std::to_string(offset.n_elem) +
                            " offsets and " + std::to_string(factor.n_elem) + " factors");
  detail::require_finite(arma::mat(offset), where, "the offsets");
  detail::require_finite(arma::mat(factor), where, "the factors");
  for (double f : factor)
    if (f < 0.0) detail::fail(where, "a factor is negative (" + detail::format_double(f) + ")");
  offset_ = offset;
  factor_ = factor;
}

arma::uvec FeatureScaler::constant_features() const { return arma::find(factor_ == 0.0); }

void FeatureScaler::check_dim(arma::uword d, const char* where) const {
  if (!fitted()) detail::fail(where, "the feature scaling (" + feature_scaling_name(scaling_) + ") is not fitted");
  if (d != factor_.n_elem)
    detail::fail(where, "the data have d = " + std::to_string(d) + " features but the feature scaling was fitted on d = " +
                            std::to_string(factor_.n_elem));
}

void FeatureScaler::transform_inplace(arma::mat& X) const {
  if (scaling_ == FeatureScaling::none) return;
  const char* where = "FeatureScaler::transform()";
  check_dim(X.n_rows, where);
  const double* off = offset_.memptr();
  const double* fac = factor_.memptr();
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    double* x = X.colptr(j);
    for (arma::uword i = 0; i < X.n_rows; ++i) x[i] = (x[i] - off[i]) * fac[i];
  }
  // Later data far outside the training range can overflow: an error, never a silent infinity.
  detail::require_finite(X, where, "the scaled data (a value far outside the training range overflowed)");
}

arma::sp_mat FeatureScaler::transform(const arma::sp_mat& X) const {
  if (scaling_ == FeatureScaling::none) return X;
  const char* where = "FeatureScaler::transform()";
  check_dim(X.n_rows, where);
  if (arma::any(offset_ != 0.0))
    detail::fail(where, "this feature scaling (" + feature_scaling_name(scaling_) +
                            ") was fitted on dense data and centres the features, which would fill in every zero "
                            "of sparse data: give the data dense");
  X.sync();
  const arma::uvec rows(const_cast<arma::uword*>(X.row_indices), X.n_nonzero, false, true);
  const arma::uvec ptrs(const_cast<arma::uword*>(X.col_ptrs), X.n_cols + 1, false, true);
  arma::vec values(X.n_nonzero);
  for (arma::uword k = 0; k < X.n_nonzero; ++k) values[k] = X.values[k] * factor_[X.row_indices[k]];
  if (!values.is_finite())
    detail::fail(where, "a scaled value is not finite (a value far outside the training range overflowed)");
  return arma::sp_mat(rows, ptrs, values, X.n_rows, X.n_cols);  // drops the constant features' zeros
}

// --------------------------------------------------------------------------- the sphere lift

arma::mat sphere_lift(const arma::mat& X, double R) {
  if (!(R > 0.0) || !std::isfinite(R))
    detail::fail("sphere_lift()", "the lift scale R must be finite and > 0, got " + detail::format_double(R));
  const arma::uword d = X.n_rows;
  arma::mat out(d + 1, X.n_cols);
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    const double* x = X.colptr(j);
    double* z = out.colptr(j);
    const double norm = robust_norm(x, d);
    const double t = norm / R;
    if (t > 1.0) {  // beyond R: clipped onto the sphere's equator
      for (arma::uword i = 0; i < d; ++i) z[i] = x[i] / norm;
      z[d] = 0.0;
    } else {
      for (arma::uword i = 0; i < d; ++i) z[i] = x[i] / R;
      z[d] = std::sqrt((1.0 - t) * (1.0 + t));  // 1 - t^2 without cancelling near t = 1
    }
  }
  return out;
}

arma::sp_mat sphere_lift(const arma::sp_mat& X, double R) {
  if (!(R > 0.0) || !std::isfinite(R))
    detail::fail("sphere_lift()", "the lift scale R must be finite and > 0, got " + detail::format_double(R));
  const arma::uword d = X.n_rows, n = X.n_cols;
  X.sync();
  const arma::vec norms = column_norms(X);
  arma::uvec rows(X.n_nonzero + n), ptrs(n + 1);
  arma::vec values(X.n_nonzero + n);
  arma::uword k = 0;
  ptrs[0] = 0;
  for (arma::uword j = 0; j < n; ++j) {
    const double t = norms[j] / R;
    const double divisor = t > 1.0 ? norms[j] : R;
    for (arma::uword s = X.col_ptrs[j]; s < X.col_ptrs[j + 1]; ++s, ++k) {
      rows[k] = X.row_indices[s];
      values[k] = X.values[s] / divisor;
    }
    rows[k] = d;  // the lifted coordinate: one more stored value per point (0 on the equator, then dropped)
    values[k] = t > 1.0 ? 0.0 : std::sqrt((1.0 - t) * (1.0 + t));
    ++k;
    ptrs[j + 1] = k;
  }
  return arma::sp_mat(rows, ptrs, values, d + 1, n);
}

// --------------------------------------------------------------------------- Scaler

Scaler::Scaler(Scaling scaling, FeatureScaling features, double lift_scale)
    : scaling_(scaling), lift_scale_(lift_scale), features_(features) {
  if (scaling == Scaling::automatic)
    detail::fail("Scaler::Scaler()", "scaling 'auto' is a Trainer setting (the Trainer chooses a concrete scaling on "
                                     "validation data); a Scaler needs none, unit-norm, max-norm or sphere-lift");
  if (!(lift_scale >= 0.0) || !std::isfinite(lift_scale))
    detail::fail("Scaler::Scaler()",
                 "the lift scale R must be finite and >= 0 (0: the largest training norm), got " +
                     detail::format_double(lift_scale));
  if (scaling_ == Scaling::sphere_lift && lift_scale_ > 0.0) factor_ = lift_scale_;
}

void Scaler::fit_factor(double largest_norm) {
  factor_ = 1.0;
  if (scaling_ == Scaling::max_norm && largest_norm > 0.0) factor_ = largest_norm;
  if (scaling_ == Scaling::sphere_lift) factor_ = lift_scale_ > 0.0 ? lift_scale_ : largest_norm > 0.0 ? largest_norm : 1.0;
}

namespace {

/// Whether fit() needs the norms of the feature-scaled training points.
bool needs_norms(Scaling s, double lift_scale) {
  return s == Scaling::max_norm || (s == Scaling::sphere_lift && lift_scale == 0.0);
}

}  // namespace

void Scaler::fit(const arma::mat& X) {
  detail::require_finite(X, "Scaler::fit()", "the data");
  features_.fit(X);
  double largest = 0.0;
  if (needs_norms(scaling_, lift_scale_) && X.n_cols) {
    if (features_.scaling() == FeatureScaling::none) {
      largest = column_norms(X).max();
    } else {
      arma::mat Xf = X;
      features_.transform_inplace(Xf);
      largest = column_norms(Xf).max();
    }
  }
  fit_factor(largest);
}

void Scaler::fit_transform_inplace(arma::mat& X) {
  detail::require_finite(X, "Scaler::fit()", "the data");
  features_.fit(X);
  features_.transform_inplace(X);
  fit_factor(needs_norms(scaling_, lift_scale_) && X.n_cols ? column_norms(X).max() : 0.0);
  scale_points_inplace(X);
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
  features_.transform_inplace(Z);
  scale_points_inplace(Z);
}

void Scaler::scale_points_inplace(arma::mat& Z) const {
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
    case Scaling::sphere_lift: Z = sphere_lift(Z, factor_); break;
    case Scaling::automatic: break;  // refused by the constructor
  }
}

void Scaler::fit(const arma::sp_mat& X) {
  require_finite(X, "Scaler::fit()");
  features_.fit(X);
  double largest = 0.0;
  if (needs_norms(scaling_, lift_scale_) && X.n_cols)
    largest = column_norms(features_.scaling() == FeatureScaling::none ? X : features_.transform(X)).max();
  fit_factor(largest);
}

arma::sp_mat Scaler::transform(const arma::sp_mat& X) const {
  require_finite(X, "Scaler::transform()");
  if (features_.scaling() == FeatureScaling::none) return scale_points(X);
  return scale_points(features_.transform(X));
}

arma::sp_mat Scaler::scale_points(const arma::sp_mat& X) const {
  if (scaling_ == Scaling::none) return X;
  if (scaling_ == Scaling::sphere_lift) return sphere_lift(X, factor_);
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
