// SPDX-License-Identifier: MIT
// Per-type tolerances for tests that run in float and in double through
// doctest's TEST_CASE_TEMPLATE: one bound per precision, stated once, so a
// float path is held to float rounding and a double path to double rounding.
#pragma once

#include <armadillo>

#include <limits>

namespace deepdot::test {

/// Relative error a short computation in eT may reach: a few hundred units in
/// the last place (sums of hundreds of products, a kernel function after them).
template <typename eT>
constexpr double rounding_tolerance() {
  return 256.0 * static_cast<double>(std::numeric_limits<eT>::epsilon());
}

/// X (double) in the precision under test.
template <typename eT>
arma::Mat<eT> as(const arma::mat& X) {
  return arma::conv_to<arma::Mat<eT>>::from(X);
}

/// Largest |A - B| (both converted to double) relative to 1 + max |B|.
template <typename A, typename B>
double relative_gap(const A& a, const B& b) {
  const arma::mat da = arma::conv_to<arma::mat>::from(a), db = arma::conv_to<arma::mat>::from(b);
  return arma::abs(da - db).max() / (1.0 + arma::abs(db).max());
}

}  // namespace deepdot::test
