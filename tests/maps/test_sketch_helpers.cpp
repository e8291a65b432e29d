// SPDX-License-Identifier: MIT
#include "maps/numeric/fft.hpp"
#include "maps/numeric/fft_lanes.hpp"

#include "maps/degree_allocation.hpp"
#include "maps/numeric/hadamard.hpp"

#include <deepdot/kernels/kernel.hpp>
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <complex>
#include <vector>

using deepdot::detail::Fft;
using deepdot::detail::LaneFft;
using deepdot::detail::LaneFftPlan;
using cplx = std::complex<double>;

namespace {

std::vector<cplx> naive_dft(const std::vector<cplx>& x) {
  const std::size_t n = x.size();
  std::vector<cplx> y(n);
  for (std::size_t k = 0; k < n; ++k) {
    cplx s = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      const double angle = -2.0 * M_PI * double((j * k) % n) / double(n);
      s += x[j] * cplx(std::cos(angle), std::sin(angle));
    }
    y[k] = s;
  }
  return y;
}

std::vector<cplx> random_vector(std::size_t n, std::uint64_t seed) {
  deepdot::Rng rng(seed);
  std::vector<cplx> x(n);
  for (auto& v : x) v = cplx(rng.normal(), rng.normal());
  return x;
}

}  // namespace

TEST_CASE("fft: matches a naive DFT for powers of two and arbitrary lengths (Bluestein)") {
  std::vector<cplx> work;
  for (std::size_t n : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 12u, 17u, 64u, 100u, 127u, 255u, 256u, 1000u, 1031u}) {
    const std::vector<cplx> x = random_vector(n, n);
    const std::vector<cplx> expected = naive_dft(x);
    std::vector<cplx> y = x;
    Fft plan(n);
    CHECK(plan.size() == n);
    plan.forward(y.data(), work);
    double err = 0.0, scale = 0.0;
    for (std::size_t k = 0; k < n; ++k) {
      err = std::max(err, std::abs(y[k] - expected[k]));
      scale = std::max(scale, std::abs(expected[k]));
    }
    INFO("n = ", n, " max error ", err);
    CHECK(err <= 1e-12 * std::max(1.0, scale) * std::log2(double(n) + 1.0) * 4.0);
    plan.inverse(y.data(), work);
    double back = 0.0;
    for (std::size_t k = 0; k < n; ++k) back = std::max(back, std::abs(y[k] - x[k]));
    CHECK(back <= 1e-12 * std::log2(double(n) + 1.0) * 4.0);
  }
  CHECK_THROWS_AS(Fft(0), std::invalid_argument);
}

TEST_CASE("fft: circular convolution theorem for a length that is not a power of two") {
  const std::size_t n = 45;
  std::vector<cplx> a = random_vector(n, 1), b = random_vector(n, 2), work;
  std::vector<cplx> direct(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) direct[(i + j) % n] += a[i] * b[j];
  Fft plan(n);
  plan.forward(a.data(), work);
  plan.forward(b.data(), work);
  for (std::size_t k = 0; k < n; ++k) a[k] *= b[k];
  plan.inverse(a.data(), work);
  for (std::size_t k = 0; k < n; ++k) CHECK(std::abs(a[k] - direct[k]) <= 1e-11);
}

TEST_CASE("hadamard: fwht_rows equals multiplication by the Sylvester matrix and is its own inverse up to L") {
  using deepdot::detail::fwht_rows;
  CHECK(deepdot::detail::next_power_of_two(1) == 1);
  CHECK(deepdot::detail::next_power_of_two(5) == 8);
  CHECK(deepdot::detail::next_power_of_two(64) == 64);
  for (arma::uword L : {1u, 2u, 8u, 32u}) {
    arma::mat H(1, 1, arma::fill::ones);
    while (H.n_rows < L) H = arma::join_cols(arma::join_rows(H, H), arma::join_rows(H, -H));
    deepdot::Rng rng(L);
    const arma::mat A = rng.normal_matrix(7, L);
    arma::mat B = A;
    fwht_rows(B);
    CHECK(arma::approx_equal(B, A * H, "absdiff", 1e-12));
    fwht_rows(B);
    CHECK(arma::approx_equal(B, double(L) * A, "absdiff", 1e-11));
    arma::fmat F = arma::conv_to<arma::fmat>::from(A);
    fwht_rows(F);
    CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(F), A * H, "absdiff", 1e-4));
  }
  arma::mat bad(2, 6);
  CHECK_THROWS_AS(fwht_rows(bad), std::invalid_argument);
}

TEST_CASE("degree allocation: rounding is exact, proportional and gives every degree a feature") {
  using deepdot::detail::round_allocation;
  const arma::uvec c = round_allocation(arma::vec{0.5, 0.25, 0.125, 0.0}, 100);
  CHECK(arma::accu(c) == 100);
  CHECK(c.min() >= 1);
  CHECK(c[0] > c[1]);
  CHECK(c[1] > c[2]);
  CHECK(std::abs(double(c[0]) - 1 - 96.0 * 0.5 / 0.875) <= 1.0);
  CHECK(arma::accu(round_allocation(arma::vec{1.0, 1.0, 1.0}, 3)) == 3);
  CHECK_THROWS_AS(round_allocation(arma::vec{1.0, 1.0}, 1), std::logic_error);
}

TEST_CASE("degree allocation: the default split is exact, ordered, and deepens with the budget") {
  using namespace deepdot::detail;
  const auto k = deepdot::make_kernel("recursive:1");
  arma::uword previous_top = 0;
  for (arma::uword budget : {16u, 256u, 4096u, 65536u}) {
    const DegreeAllocation alloc = default_allocation(k, 2, budget);
    INFO("budget ", budget);
    CHECK(alloc.total() == budget);
    CHECK(alloc.degrees[0] == 2);
    CHECK(arma::all(arma::diff(alloc.degrees) > 0));
    CHECK(alloc.counts.min() >= 1);
    // Lower degrees carry more mass and get more features.
    CHECK(alloc.counts[0] >= alloc.counts.max());
    CHECK(alloc.degrees.max() >= previous_top);
    previous_top = alloc.degrees.max();
  }
  CHECK(previous_top > 4);
  CHECK(previous_top < kMaxRandomDegree);
  // Polynomial kernels stop at their degree; tiny budgets keep the lowest degrees.
  CHECK(default_allocation(deepdot::make_kernel("poly:3"), 1, 100).degrees.max() <= 3);
  CHECK(default_allocation(deepdot::make_kernel("poly:3"), 1, 100000).degrees.max() == 3);
  const DegreeAllocation tiny = default_allocation(k, 1, 1);
  CHECK(tiny.degrees.n_elem == 1);
  CHECK(tiny.degrees[0] == 1);
  CHECK(default_allocation(deepdot::make_kernel("coeffs:1,1"), 2, 100).empty());
  CHECK(default_allocation(k, 2, 0).empty());
}

TEST_CASE("degree allocation: TensorSketch's power-of-two adjustment keeps the total and bounds the variance") {
  using namespace deepdot::detail;
  auto pow2 = [](arma::uword v) { return v != 0 && (v & (v - 1)) == 0; };
  auto variance = [](const deepdot::Kernel& k, const DegreeAllocation& a) {
    const arma::vec coef = k.coefficients(kMaxRandomDegree + 1), t = arma::linspace(-1.0, 1.0, 41);
    double s = 0.0;
    for (arma::uword i = 0; i < a.degrees.n_elem; ++i) {
      const double n = double(a.degrees[i]);
      const double v = arma::mean(arma::pow(1.0 + 2.0 * arma::square(t), n) - arma::pow(arma::square(t), n));
      s += coef[a.degrees[i]] * coef[a.degrees[i]] * v / double(a.counts[i]);
    }
    return s;
  };
  // poly:3:1 at D = 2,048, d = 784 (no exact linear part): degrees 1..3.
  const auto poly = deepdot::make_kernel("poly:3:1");
  const DegreeAllocation base = default_allocation(poly, 1, 2047);
  REQUIRE(base.degrees.n_elem == 3);
  CHECK_FALSE(pow2(base.counts[1]));
  const DegreeAllocation snapped = fft_friendly_allocation(poly, base, 0.05);
  CHECK(arma::all(snapped.degrees == base.degrees));
  CHECK(snapped.total() == base.total());
  CHECK(pow2(snapped.counts[1]));
  CHECK(pow2(snapped.counts[2]));
  CHECK(snapped.counts[0] >= 1);
  CHECK(variance(poly, snapped) <= 1.05 * variance(poly, base));
  CHECK(variance(poly, snapped) > variance(poly, base));  // the default is the variance optimum
  // No tolerance: nothing that costs variance moves.
  const DegreeAllocation same = fft_friendly_allocation(poly, base, 0.0);
  CHECK(arma::all(same.counts == base.counts));
  // Without a sketched degree 1 (linear part exact) the total still holds, for every budget.
  const auto rec = deepdot::make_kernel("recursive:2");
  for (arma::uword budget : {3u, 40u, 300u, 1000u, 5000u}) {
    INFO("budget ", budget);
    const DegreeAllocation a = default_allocation(rec, 2, budget);
    const DegreeAllocation b = fft_friendly_allocation(rec, a, 0.05);
    CHECK(b.total() == budget);
    CHECK(b.counts.min() >= 1);
    CHECK(variance(rec, b) <= 1.05 * variance(rec, a) * (1.0 + 1e-12));
  }
  CHECK(fft_friendly_allocation(poly, DegreeAllocation(), 0.05).empty());
}

TEST_CASE("degree allocation: the optimised split trades truncation bias for variance") {
  using namespace deepdot::detail;
  deepdot::Rng rng(3);
  arma::mat X = rng.normal_matrix(20, 100);
  X.each_row() /= arma::sqrt(arma::sum(arma::square(X), 0));
  const auto k = deepdot::make_kernel("recursive:2");
  {
    const DegreeAllocation small = optimised_allocation(k, 2, 64, X);
    const DegreeAllocation large = optimised_allocation(k, 2, 65536, X);
    CHECK(small.total() == 64);
    CHECK(large.total() == 65536);
    // More features make the variance cheaper, so more degrees are kept.
    CHECK(large.degrees.max() > small.degrees.max());
    CHECK(arma::all(arma::diff(large.degrees) > 0));
  }
  // Identical points (t = 1 everywhere) have a larger Rademacher variance at high
  // degrees, so fewer features go to them than for nearly orthogonal points.
  const arma::mat same = arma::repmat(X.col(0), 1, 50);
  const DegreeAllocation diag = optimised_allocation(k, 2, 4096, same);
  const DegreeAllocation spread = optimised_allocation(k, 2, 4096, X);
  REQUIRE(diag.degrees.n_elem >= 2);
  CHECK(double(diag.counts[1]) / diag.counts[0] > double(spread.counts[1]) / spread.counts[0]);
}

namespace {

std::size_t bit_reverse(std::size_t q, std::size_t n) {
  std::size_t r = 0;
  for (std::size_t b = 1; b < n; b <<= 1, q >>= 1) r = (r << 1) | (q & 1);
  return r;
}

/// Every lane of the lane FFT against the scalar FFT (itself checked against
/// the naive DFT above; the naive DFT is too slow for the long lengths):
/// forward (only the first
/// len values are read, the rest are taken as zero: they hold garbage here),
/// the bit-reversed output order, and inverse(forward(x)) = n x.
template <typename T, int W>
void check_lane_fft(double tol) {
  using F = LaneFft<T, W>;
  constexpr int S = F::S;
  for (std::size_t n : {1u, 2u, 4u, 8u, 16u, 32u, 128u, 512u, 2048u, 8192u}) {
    const LaneFftPlan plan(n);
    REQUIRE(plan.size() == n);
    for (std::size_t len : {n, n / 2 + 1, n / 4 + 1, std::size_t{1}}) {
      if (len > n) continue;
      deepdot::Rng rng(n * 31 + len);
      std::vector<std::vector<cplx>> lanes(W, std::vector<cplx>(n, 0.0));
      std::vector<T> x(n * S);
      for (std::size_t q = 0; q < n; ++q)
        for (int l = 0; l < W; ++l) {
          const cplx v(rng.normal(), rng.normal());
          if (q < len) lanes[l][q] = cplx(T(v.real()), T(v.imag()));
          x[q * S + l] = q < len ? T(v.real()) : T(1e30);
          x[q * S + W + l] = q < len ? T(v.imag()) : T(-1e30);
        }
      std::vector<T> y = x;
      F::forward(plan, y.data(), len);
      double err = 0.0, scale = 0.0, back = 0.0;
      const Fft reference(n);
      std::vector<cplx> work;
      for (int l = 0; l < W; ++l) {
        std::vector<cplx> expected = lanes[l];
        if (n <= 128)
          expected = naive_dft(expected);
        else
          reference.forward(expected.data(), work);
        for (std::size_t q = 0; q < n; ++q) {
          const cplx got(y[q * S + l], y[q * S + W + l]);
          err = std::max(err, std::abs(got - expected[bit_reverse(q, n)]));
          scale = std::max(scale, std::abs(expected[q]));
        }
      }
      F::inverse(plan, y.data());
      for (int l = 0; l < W; ++l)
        for (std::size_t q = 0; q < n; ++q) {
          const cplx got(y[q * S + l], y[q * S + W + l]);
          back = std::max(back, std::abs(got / double(n) - lanes[l][q]));
        }
      INFO("n = ", n, " len = ", len, " forward error ", err, " round trip ", back);
      const double log_n = std::log2(double(n)) + 1.0;
      CHECK(err <= tol * std::max(1.0, scale) * log_n);
      CHECK(back <= tol * log_n);
    }
  }
}

}  // namespace

TEST_CASE("lane fft: every lane matches the DFT (bit-reversed out), round trip, double and float") {
  check_lane_fft<double, 4>(1e-14);
  check_lane_fft<double, 8>(1e-14);
  check_lane_fft<float, 8>(1e-6);
  check_lane_fft<float, 4>(1e-6);
  CHECK_THROWS_AS(LaneFftPlan(0), std::invalid_argument);
  CHECK_THROWS_AS(LaneFftPlan(12), std::invalid_argument);
}

TEST_CASE("lane fft: the Hermitian partner table of the bit-reversed spectrum") {
  for (std::size_t n : {1u, 2u, 4u, 64u, 1024u}) {
    const LaneFftPlan plan(n);
    std::vector<int> seen(n, 0);
    for (std::size_t t = 0; t < plan.pairs().size(); t += 2) {
      const std::size_t q = plan.pairs()[t], r = plan.pairs()[t + 1];
      CHECK(q < r);
      CHECK((bit_reverse(q, n) + bit_reverse(r, n)) % n == 0);
      ++seen[q];
      ++seen[r];
    }
    for (std::uint32_t q : plan.self_paired()) {
      CHECK((2 * bit_reverse(q, n)) % n == 0);
      ++seen[q];
    }
    for (std::size_t q = 0; q < n; ++q) CHECK(seen[q] == 1);
    CHECK(plan.self_paired().size() == (n == 1 ? 1u : 2u));
  }
}
