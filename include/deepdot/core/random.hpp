// SPDX-License-Identifier: MIT
/// @file random.hpp
/// A seeded random number generator whose output is the same on every platform.
#pragma once

#include <armadillo>

#include <cstdint>

namespace deepdot {

/// xoshiro256** (Blackman & Vigna) seeded through splitmix64, with our own
/// uniform, normal and exponential sampling. std:: distributions are avoided on
/// purpose: their output is implementation-defined, and models must be
/// reproducible across standard libraries. The only libm calls are log, sqrt,
/// cos and sin, which glibc and musl round correctly for these arguments in
/// practice.
///
/// Independent streams for the same seed (one per layer, per degree, ...) are
/// obtained by passing a different `stream` number.
class Rng {
 public:
  /// seed: any value; stream: selects an independent sequence for that seed.
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0);

  /// 64 uniformly distributed bits.
  std::uint64_t next_u64();
  /// Uniform on [0, 1) with 53 random bits.
  double uniform();
  /// Uniform on (0, 1): never returns 0, safe to take the logarithm of.
  double uniform_positive();
  /// Uniform integer in [0, n), without modulo bias. n must be positive.
  std::uint64_t below(std::uint64_t n);
  /// Standard normal N(0, 1) (Marsaglia's polar method).
  double normal();
  /// Exponential with the given mean.
  double exponential(double mean);
  /// +1 or -1 with probability 1/2 each.
  double rademacher();

  /// Matrix of rows x cols i.i.d. N(0, 1) entries, filled column by column.
  arma::mat normal_matrix(arma::uword rows, arma::uword cols);
  /// Matrix of rows x cols i.i.d. +-1 entries, filled column by column.
  arma::mat rademacher_matrix(arma::uword rows, arma::uword cols);
  /// A uniformly random permutation of 0..n-1 (Fisher-Yates).
  arma::uvec permutation(arma::uword n);

 private:
  std::uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace deepdot
