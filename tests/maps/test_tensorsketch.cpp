// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include "support/sketch_test_support.hpp"

#include "maps/budget.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>

using deepdot::make_feature_map;
using deepdot::make_kernel;
using namespace sketch_test;

TEST_CASE("tensorsketch: spec strings, shapes and the exact constant and linear part") {
  const auto k = make_kernel("recursive:2");
  CHECK(make_feature_map("tensorsketch", k, 8, 64, 1)->spec() == "tensorsketch");
  CHECK(make_feature_map("tensorsketch:opt", k, 8, 64, 1)->spec() == "tensorsketch:opt");
  const arma::mat X = unit_columns(8, 11, 1);  // odd: the last point has no FFT partner
  const arma::vec a = k.coefficients(2);
  for (arma::uword D : {1u, 2u, 17u, 64u, 1000u}) {
    const arma::mat Z = make_feature_map("tensorsketch", k, 8, D, 1)->transform(X);
    CHECK(Z.n_rows == D);
    CHECK(Z.n_cols == 11);
    CHECK(arma::approx_equal(Z.row(0), arma::rowvec(11, arma::fill::value(std::sqrt(a[0]))), "absdiff", 1e-15));
    if (D >= 36) CHECK(arma::approx_equal(Z.rows(1, 8), std::sqrt(a[1]) * X, "absdiff", 1e-15));
  }
}

TEST_CASE("tensorsketch: pairing two points per FFT gives the same features as one point at a time") {
  const auto k = make_kernel("recursive:3");
  const arma::mat X = unit_columns(9, 7, 4);
  auto map = make_feature_map("tensorsketch", k, 9, 300, 5);
  const arma::mat Z = map->transform(X);
  for (arma::uword j = 0; j < X.n_cols; ++j)
    CHECK(arma::approx_equal(map->transform(arma::mat(X.col(j))), arma::mat(Z.col(j)), "absdiff", 1e-13));
  // A batch large enough to be split over threads gives the same columns.
  const arma::mat B = unit_columns(9, 301, 6);
  const arma::mat ZB = map->transform(B);
  for (arma::uword j : {0u, 1u, 149u, 150u, 151u, 299u, 300u})
    CHECK(arma::approx_equal(map->transform(arma::mat(B.col(j))), arma::mat(ZB.col(j)), "absdiff", 1e-13));
}

TEST_CASE("tensorsketch: matches a naive TensorSketch built from the stored hashes (odd sketch length)") {
  // Kernel t^2 only (no exact part), d = 3, D = 5: one degree-2 sketch of length 5.
  // TS(x)[b] = sum_{i,j: h1(i) + h2(j) = b mod 5} s1(i) s2(j) x_i x_j.
  const auto k = make_kernel("poly:2:0");
  auto map = make_feature_map("tensorsketch", k, 3, 5, 8);
  const std::string bytes = saved(*map);
  std::size_t p = state_offset(*map) + 1;
  REQUIRE(get_u64(bytes, p) == 1);       // one degree
  REQUIRE(get_u64(bytes, p + 8) == 2);   // ... which is 2
  REQUIRE(get_u64(bytes, p + 24) == 5);  // with 5 features
  p += 32;
  REQUIRE(get_u64(bytes, p) == 6);  // d * n hashes
  arma::umat h(3, 2);
  for (arma::uword i = 0; i < 6; ++i) h[i] = get_u64(bytes, p + 8 + 8 * i);
  const std::uint64_t sign_bits = get_u64(bytes, p + 56);
  auto sign = [&](arma::uword j, arma::uword f) { return ((sign_bits >> (j + 3 * f)) & 1) ? 1.0 : -1.0; };
  const arma::mat X = unit_columns(3, 6, 2);
  const arma::mat Z = map->transform(X);
  for (arma::uword c = 0; c < X.n_cols; ++c) {
    arma::vec expected(5, arma::fill::zeros);
    for (arma::uword i = 0; i < 3; ++i)
      for (arma::uword j = 0; j < 3; ++j)
        expected[(h(i, 0) + h(j, 1)) % 5] += sign(i, 0) * sign(j, 1) * X(i, c) * X(j, c);
    CHECK(arma::approx_equal(Z.col(c), expected, "absdiff", 1e-13));
  }
}

TEST_CASE("tensorsketch: unbiased (mean over 300 seeds within 4 standard errors of the represented kernel)") {
  check_unbiased_default("tensorsketch", 300);
}

TEST_CASE("tensorsketch: relative Frobenius error falls like D^-1/2 (slower for heavy tails)") {
  check_error_rates("tensorsketch");
}

TEST_CASE("tensorsketch: determinism, bit-exact save/load, corrupt state, float vs double") {
  for (const char* spec : {"tensorsketch", "tensorsketch:opt"}) {
    INFO(std::string(spec));
    check_common_contract(spec, make_kernel("recursive:2"), 12, 300);
    check_common_contract(spec, make_kernel("poly:4:0.5"), 5, 37);
    const arma::mat X = unit_columns(6, 20, 1);
    auto map = make_feature_map(spec, make_kernel("recursive:2"), 6, 100, 9);
    if (!map->is_fitted()) map->fit(X);
    check_corrupt_allocation(*map);
    // A hash outside the sketch: the first hash of the first degree.
    std::string b = saved(*map);
    const std::size_t s = state_offset(*map);
    const std::uint64_t degrees = get_u64(b, s + 1);
    const std::size_t first_hash = s + 1 + 2 * 8 * (degrees + 1) + 8;
    put_u64(b, first_hash, 1u << 20);
    CHECK_THROWS_AS(loaded(b), std::invalid_argument);
    b = saved(*map);
    put_u64(b, first_hash - 8, 5);  // wrong number of hashes
    CHECK_THROWS_AS(loaded(b), std::invalid_argument);
  }
}

TEST_CASE("tensorsketch:opt needs fit() and beats or matches the default allocation on its sample") {
  check_optimised_allocation("tensorsketch");
}

TEST_CASE("tensorsketch: bad options are rejected with a message naming the spec and the rule") {
  check_bad_options("tensorsketch");
}

namespace {

/// The features of a TensorSketch map recomputed the straightforward way
/// from its saved state: the exact part, then for every degree n with length
/// L the n count sketches and their circular convolution modulo L, summed
/// directly in O(n L^2), times sqrt(a_n).
arma::mat reference_features(const deepdot::FeatureMap& map, const arma::mat& X) {
  const arma::uword d = map.input_dim(), D = map.output_dim();
  const deepdot::detail::ExactPart exact(map.kernel(), d, D);
  const arma::vec a = map.kernel().coefficients(65);
  const std::string bytes = saved(map);
  std::size_t p = state_offset(map);
  REQUIRE(bytes[p] == 1);  // fitted
  p += 1;
  auto u64 = [&] {
    const std::uint64_t v = get_u64(bytes, p);
    p += 8;
    return v;
  };
  const std::uint64_t degrees = u64();
  std::vector<arma::uword> deg(degrees), len(degrees);
  for (auto& v : deg) v = u64();
  REQUIRE(u64() == degrees);
  for (auto& v : len) v = u64();
  arma::mat Z(D, X.n_cols, arma::fill::zeros);
  arma::uword row = 0;
  if (exact.constant) Z.row(row++).fill(exact.sqrt_a0);
  if (exact.linear) {
    Z.rows(row, row + d - 1) = exact.sqrt_a1 * X;
    row += d;
  }
  for (std::uint64_t i = 0; i < degrees; ++i) {
    const arma::uword n = deg[i], L = len[i];
    REQUIRE(u64() == d * n);
    arma::umat h(d, n);
    for (arma::uword j = 0; j < d * n; ++j) h[j] = u64();
    arma::mat s(d, n);
    std::uint64_t word = 0;
    for (arma::uword j = 0; j < d * n; ++j) {
      if (j % 64 == 0) word = u64();
      s[j] = ((word >> (j % 64)) & 1) ? 1.0 : -1.0;
    }
    for (arma::uword c = 0; c < X.n_cols; ++c) {
      arma::vec conv;
      for (arma::uword k = 0; k < n; ++k) {
        arma::vec cs(L, arma::fill::zeros);
        for (arma::uword j = 0; j < d; ++j) cs[h(j, k)] += s(j, k) * X(j, c);
        if (k == 0) {
          conv = cs;
          continue;
        }
        arma::vec next(L, arma::fill::zeros);
        for (arma::uword u = 0; u < L; ++u)
          for (arma::uword v = 0; v < L; ++v) next[(u + v) % L] += conv[u] * cs[v];
        conv = next;
      }
      Z.submat(row, c, row + L - 1, c) = std::sqrt(a[n]) * conv;
    }
    row += L;
  }
  REQUIRE(p == bytes.size());
  return Z;
}

}  // namespace

TEST_CASE("tensorsketch: matches the straightforward computation, double and float, any batch size") {
  struct Case {
    const char* spec;
    const char* kernel;
    arma::uword d, D;
    const char* what;
  };
  const Case cases[] = {
      {"tensorsketch", "poly:2:1", 7, 61, "degree 2, L = 53: padded to 128"},
      {"tensorsketch", "poly:3:1", 6, 90, "degrees 2 and 3, padded"},
      {"tensorsketch", "poly:2:0", 5, 64, "L = 64: a power of two, no padding"},
      {"tensorsketch", "poly:1:0", 10, 20, "degree 1 (the linear term is random): a plain count sketch"},
      {"tensorsketch", "poly:20:0", 4, 37, "degree 20, L = 37: padded to 1024 (8 times Bluestein's 128)"},
      {"tensorsketch", "poly:20:0", 4, 31, "degree 20, L = 31: the scalar Bluestein path"},
      {"tensorsketch", "recursive:3", 9, 300, "several degrees"},
      {"tensorsketch:opt", "recursive:3", 9, 300, "optimised allocation"},
      {"tensorsketch:opt", "poly:4:0.5", 5, 40, "optimised allocation"},
  };
  for (const Case& c : cases) {
    INFO(c.spec, " ", c.kernel, " d = ", c.d, " D = ", c.D, ": ", c.what);
    auto map = make_feature_map(c.spec, make_kernel(c.kernel), c.d, c.D, 3);
    if (!map->is_fitted()) map->fit(unit_columns(c.d, 50, 9));
    for (arma::uword count : {1u, 2u, 7u, 17u, 33u}) {
      INFO(count, " points");
      const arma::mat X = unit_columns(c.d, count, count);
      const arma::mat expected = reference_features(*map, X);
      const double norm = arma::norm(expected, "fro");
      const arma::mat Z = map->transform(X);
      CHECK(arma::norm(Z - expected, "fro") <= 1e-12 * norm);
      const arma::fmat Zf = map->transform(arma::conv_to<arma::fmat>::from(X));
      CHECK(arma::norm(arma::conv_to<arma::mat>::from(Zf) - expected, "fro") <= 1e-5 * norm);
    }
  }
}

TEST_CASE("tensorsketch: every batch of points gets bit-identical features whatever the threads and chunks") {
  // 301 points are split over the threads (when there are several cores);
  // each aligned group of 16 points (one float batch, two double batches) is
  // also transformed on its own, on one thread.
  const auto k = make_kernel("recursive:3");
  auto map = make_feature_map("tensorsketch", k, 9, 300, 5);
  const arma::mat X = unit_columns(9, 301, 6);
  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  const arma::mat Z = map->transform(X);
  const arma::fmat Zf = map->transform(Xf);
  for (arma::uword c0 = 0; c0 < X.n_cols; c0 += 16) {
    const arma::uword c1 = std::min<arma::uword>(X.n_cols, c0 + 16) - 1;
    INFO("columns ", c0, " to ", c1);
    CHECK(arma::approx_equal(map->transform(arma::mat(X.cols(c0, c1))), Z.cols(c0, c1), "absdiff", 0.0));
    CHECK(arma::approx_equal(map->transform(arma::fmat(Xf.cols(c0, c1))), Zf.cols(c0, c1), "absdiff", 0.0f));
  }
}
