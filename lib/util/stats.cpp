// SPDX-License-Identifier: MIT
#include <deepdot/util/stats.hpp>

#include "core/check.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace deepdot {

PowerLawFit fit_power_law(const arma::vec& x, const arma::vec& y) {
  const char* where = "fit_power_law()";
  if (x.n_elem != y.n_elem)
    detail::fail(where, "x has " + std::to_string(x.n_elem) + " values but y has " + std::to_string(y.n_elem));
  std::vector<double> lx, ly;
  for (arma::uword i = 0; i < x.n_elem; ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i]) && x[i] > 0.0 && y[i] > 0.0) {
      lx.push_back(std::log(x[i]));
      ly.push_back(std::log(y[i]));
    }
  const arma::vec u(lx), v(ly);
  if (u.n_elem < 2 || u.max() == u.min())
    detail::fail(where, "need at least two pairs with x > 0, y > 0 and distinct x, got " + std::to_string(u.n_elem));
  // Centred least squares: stabler than the normal equations when log x is far from 0.
  const double mu = arma::mean(u), mv = arma::mean(v);
  const arma::vec du = u - mu, dv = v - mv;
  PowerLawFit f;
  f.slope = arma::dot(du, dv) / arma::dot(du, du);
  f.intercept = mv - f.slope * mu;
  const double ss_tot = arma::dot(dv, dv);
  const arma::vec res = dv - f.slope * du;
  f.r_squared = ss_tot > 0.0 ? 1.0 - arma::dot(res, res) / ss_tot : 1.0;
  f.points = u.n_elem;
  return f;
}

double max_min_ratio(const arma::vec& v) {
  const char* where = "max_min_ratio()";
  if (v.is_empty()) detail::fail(where, "the vector is empty");
  for (double e : v)
    if (!(e > 0.0) || !std::isfinite(e)) detail::fail(where, "every value must be finite and > 0, got " + detail::format_double(e));
  return v.max() / v.min();
}

}  // namespace deepdot
