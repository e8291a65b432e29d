// SPDX-License-Identifier: MIT
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include <cmath>

using deepdot::Rng;

TEST_CASE("Rng: the same seed and stream give the same sequence, others differ") {
  Rng a(42), b(42), c(43), d(42, 1);
  bool differs_c = false, differs_d = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    CHECK(x == b.next_u64());
    differs_c = differs_c || x != c.next_u64();
    differs_d = differs_d || x != d.next_u64();
  }
  CHECK(differs_c);
  CHECK(differs_d);
}

TEST_CASE("Rng: output is pinned across platforms (xoshiro256** with splitmix64 seeding)") {
  // These values are the definition of the generator: a change here silently
  // changes every seeded model, so it must be deliberate.
  Rng r(0);
  CHECK(r.next_u64() == 13067962708471041000ULL);
  CHECK(r.next_u64() == 17430900381417426510ULL);
  CHECK(r.next_u64() == 2109785982220094023ULL);
  Rng s(2026, 3);
  // The polar method goes through libm's log and sqrt, so allow the last bits to differ.
  CHECK(s.normal() == doctest::Approx(1.4939894667205831).epsilon(1e-14));
  CHECK(s.uniform() == 0.68647368745301707);
}

TEST_CASE("Rng: uniform, normal, exponential and rademacher have the right moments") {
  Rng r(123);
  const int n = 200000;
  double su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0, se = 0, sr = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    su += u;
    su2 += u * u;
    const double z = r.normal();
    sn += z;
    sn2 += z * z;
    sn4 += z * z * z * z;
    se += r.exponential(2.0);
    sr += r.rademacher();
  }
  // Bounds of about 5 standard errors.
  CHECK(std::abs(su / n - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
  CHECK(std::abs(su2 / n - 1.0 / 3) < 5 * std::sqrt(4.0 / 45 / n));
  CHECK(std::abs(sn / n) < 5 / std::sqrt(double(n)));
  CHECK(std::abs(sn2 / n - 1.0) < 5 * std::sqrt(2.0 / n));
  CHECK(std::abs(sn4 / n - 3.0) < 5 * std::sqrt(96.0 / n));
  CHECK(std::abs(se / n - 2.0) < 5 * 2.0 / std::sqrt(double(n)));
  CHECK(std::abs(sr / n) < 5 / std::sqrt(double(n)));
}

TEST_CASE("Rng: below() is uniform and in range; permutation() is a permutation") {
  Rng r(5);
  arma::uvec counts(7, arma::fill::zeros);
  const int n = 70000;
  for (int i = 0; i < n; ++i) {
    const auto v = r.below(7);
    REQUIRE(v < 7);
    ++counts[v];
  }
  // Chi-square with 6 degrees of freedom: 99.99% quantile is about 27.9.
  double chi2 = 0;
  for (auto c : counts) chi2 += std::pow(double(c) - n / 7.0, 2) / (n / 7.0);
  CHECK(chi2 < 27.9);
  CHECK_THROWS_AS(r.below(0), std::invalid_argument);
  const arma::uvec p = r.permutation(100);
  CHECK(arma::all(arma::sort(p) == arma::regspace<arma::uvec>(0, 99)));
  CHECK(r.uniform_positive() > 0.0);
}
