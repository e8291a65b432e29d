// SPDX-License-Identifier: MIT
// Private: exact truncated Taylor features, "taylor:P".
#pragma once

#include <deepdot/kernels/kernel.hpp>

#include <armadillo>

namespace deepdot::detail {

/// The largest number of features (natural dimension) a "taylor" map may have.
constexpr arma::uword kTaylorMaxFeatures = 50'000'000;
/// The largest accepted truncation degree P.
constexpr arma::uword kTaylorMaxDegree = 1024;

/// The natural dimension of "taylor:P" for d inputs: the number of symmetric
/// monomials of the degrees n <= P with a_n > 0, sum_n C(d + n - 1, n).
/// Saturates at the largest uword instead of overflowing.
arma::uword taylor_natural_dim(const Kernel& kernel, arma::uword d, arma::uword P);

}  // namespace deepdot::detail
