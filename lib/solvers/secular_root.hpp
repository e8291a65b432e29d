// SPDX-License-Identifier: MIT
// Private: the Lagrange multiplier of the norm-ball form ||w|| <= B, shared by
// the feature-space ridge (FeatureRidge) and the kernel limit (KernelRidge),
// which both have the solution norm in an eigenbasis, ||w(mu)||^2 =
// sum_i a_i / (s_i + mu)^2.
#pragma once

#include <armadillo>

#include <cmath>

namespace deepdot::detail {

/// The mu >= 0 at which sum_i a_i / (s_i + mu)^2 = B^2 (a_i >= 0, s_i > 0 on
/// the entries that count), or 0 if the value at mu = 0 is already <= B^2.
/// The function is decreasing in mu; 1/sqrt of it is increasing and close to
/// linear, so Newton on h(mu) = 1/||w(mu)|| - 1/B converges in a few steps,
/// while the bracket [lo, hi] catches any step that would leave it.
inline double secular_root(const arma::vec& a, const arma::vec& s, double B) {
  auto value = [&](double mu, double* slope) {
    double v = 0.0, d = 0.0;
    for (arma::uword i = 0; i < a.n_elem; ++i) {
      const double inv = 1.0 / (s[i] + mu);
      v += a[i] * inv * inv;
      d += a[i] * inv * inv * inv;
    }
    if (slope) *slope = d;  // -1/2 of d/dmu of v
    return v;
  };
  if (value(0.0, nullptr) <= B * B) return 0.0;
  double lo = 0.0, hi = std::sqrt(arma::accu(a)) / B;  // at hi every term gives ||w|| <= B
  double mu = hi;
  for (int iter = 0; iter < 300 && hi - lo > 1e-15 * hi; ++iter) {
    double d = 0.0;
    const double v = value(mu, &d);
    const double norm = std::sqrt(v);
    if (std::abs(norm - B) <= 1e-14 * B) break;
    (norm > B ? lo : hi) = mu;
    // d/dmu (1/norm) = d / (v * norm)
    double next = mu - (1.0 / norm - 1.0 / B) * v * norm / d;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    mu = next;
  }
  return mu;
}

}  // namespace deepdot::detail
