// SPDX-License-Identifier: MIT
#include <deepdot/maps/approximation.hpp>

#include <deepdot/kernels/gram.hpp>

#include "core/check.hpp"

#include <chrono>
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

namespace {

void check_sweep(const std::vector<std::string>& maps, const std::vector<arma::uword>& features, const arma::mat& X,
                 const arma::mat& fit_sample, const SweepOptions& options) {
  const std::string where = "approximation_sweep()";
  if (maps.empty()) detail::fail(where, "the list of maps is empty");
  if (features.empty()) detail::fail(where, "the list of feature counts D is empty");
  for (arma::uword D : features)
    if (D == 0) detail::fail(where, "every feature count D must be >= 1, got 0");
  if (options.repeats == 0) detail::fail(where, "repeats must be >= 1, got 0");
  if (X.n_cols < 2) detail::fail(where, "the sample X has " + std::to_string(X.n_cols) + " points; it needs >= 2");
  if (fit_sample.n_cols > 0 && fit_sample.n_rows != X.n_rows)
    detail::fail(where, "the fit sample has d = " + std::to_string(fit_sample.n_rows) + " but X has d = " +
                            std::to_string(X.n_rows));
}

// One (map, D) cell: `repeats` maps, errors and times averaged.
SweepRow measure_cell(const Kernel& kernel, const std::string& spec, arma::uword D, const arma::mat& X,
                      const arma::fmat& Xf, const arma::mat& K, double a0, const arma::mat& fit_sample,
                      const SweepOptions& options, std::size_t& done, std::size_t total) {
  SweepRow row;
  row.map = spec;
  row.features = D;
  arma::vec nonconstant(options.repeats);
  const double share = 1.0 / static_cast<double>(options.repeats);
  for (arma::uword r = 0; r < options.repeats; ++r) {
    auto map = make_feature_map(spec, kernel, X.n_rows, D, options.seed + r);
    row.data_dependent = map->min_fit_points() > 0;
    if (map->min_fit_points() > fit_sample.n_cols) {
      row.skipped = true;
      done += options.repeats - r;
      if (options.progress) options.progress(done, total);
      return row;
    }
    if (!map->is_fitted()) map->fit(fit_sample);
    const auto t0 = std::chrono::steady_clock::now();
    const arma::mat Z = options.single_precision ? arma::conv_to<arma::mat>::from(map->transform(Xf)) : map->transform(X);
    row.seconds += share * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const ApproximationError e = approximation_error(K, Z, a0);
    nonconstant[r] = e.relative_frobenius_nonconstant;
    row.error.relative_frobenius += share * e.relative_frobenius;
    row.error.max_abs_error += share * e.max_abs_error;
    row.error.relative_spectral += share * e.relative_spectral;
    if (options.progress) options.progress(++done, total);
  }
  row.error.relative_frobenius_nonconstant = arma::mean(nonconstant);
  row.nonconstant_sd = options.repeats > 1 ? arma::stddev(nonconstant) : 0.0;
  return row;
}

}  // namespace

std::vector<SweepRow> approximation_sweep(const Kernel& kernel, const std::vector<std::string>& maps,
                                          const std::vector<arma::uword>& features, const arma::mat& X,
                                          const arma::mat& fit_sample, const SweepOptions& options) {
  check_sweep(maps, features, X, fit_sample, options);
  for (const auto& spec : maps) make_feature_map(spec, kernel, X.n_rows, features.front(), options.seed);  // specs, now
  const arma::mat K = gram(kernel, X);
  const arma::fmat Xf = options.single_precision ? arma::conv_to<arma::fmat>::from(X) : arma::fmat();
  const double a0 = kernel.coefficients(1)[0];
  const std::size_t total = maps.size() * features.size() * options.repeats;
  std::size_t done = 0;
  std::vector<SweepRow> rows;
  for (const auto& spec : maps)
    for (arma::uword D : features)
      rows.push_back(measure_cell(kernel, spec, D, X, Xf, K, a0, fit_sample, options, done, total));
  return rows;
}

}  // namespace deepdot
