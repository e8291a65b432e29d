// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include "support/sketch_test_support.hpp"

#include "maps/budget.hpp"
#include "maps/count_hash.hpp"

#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
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

TEST_CASE("tensorsketch: matches a naive TensorSketch built from the stored hash functions (odd sketch length)") {
  // Kernel t^2 only (no exact part), d = 3, D = 5: one degree-2 sketch of length 5.
  // TS(x)[b] = sum_{i,j: h1(i) + h2(j) = b mod 5} s1(i) s2(j) x_i x_j.
  using deepdot::detail::CountHash;
  const auto k = make_kernel("poly:2:0");
  auto map = make_feature_map("tensorsketch", k, 3, 5, 8);
  const std::string bytes = saved(*map);
  std::size_t p = state_offset(*map) + 1;
  REQUIRE(get_u64(bytes, p) == 1);       // one degree
  REQUIRE(get_u64(bytes, p + 8) == 2);   // ... which is 2
  REQUIRE(get_u64(bytes, p + 24) == 5);  // with 5 features
  p += 32;
  REQUIRE(get_u64(bytes, p) == 2);  // two hash functions of 4 coefficients each
  REQUIRE(bytes.size() == p + 8 + 8 * 8);
  CountHash f[2];
  for (int i = 0; i < 2; ++i)
    for (int c = 0; c < 4; ++c) f[i].c[c] = get_u64(bytes, p + 8 + 32 * i + 8 * c);
  auto h = [&](arma::uword j, int i) { return CountHash::bucket(f[i].word(j), 5); };
  auto sign = [&](arma::uword j, int i) { return CountHash::negative(f[i].word(j)) ? -1.0 : 1.0; };
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

TEST_CASE("tensorsketch: the count-sketch hash is uniform and independent across coordinates (buckets and signs)") {
  // Over 20,000 random hash functions: for fixed coordinates, each bucket of
  // L = 7 has probability 1/7, a pair collides with probability 1/7, the signs
  // are fair, and the products of the signs of two and of four coordinates
  // have mean 0 (the count sketch's second and fourth moments). Bounds are 5
  // standard errors of each frequency.
  using deepdot::detail::CountHash;
  const arma::uword trials = 20000, L = 7;
  const std::uint64_t quads[][4] = {{0, 1, 2, 3}, {1, 2, 3, 4}, {5, 1u << 20, 7, 9},
                                     {(1u << 24) - 1, (1u << 24) - 2, (1u << 24) - 3, 1000}};
  deepdot::Rng rng(77);
  auto sgn = [](std::uint64_t w) { return CountHash::negative(w) ? -1.0 : 1.0; };
  for (const auto& pr : quads) {
    INFO("coordinates ", pr[0], ", ", pr[1], ", ", pr[2], ", ", pr[3]);
    arma::uvec counts(L, arma::fill::zeros);
    double collisions = 0, negative = 0, sign_product = 0, sign_product4 = 0;
    for (arma::uword t = 0; t < trials; ++t) {
      CountHash c;
      for (std::uint64_t& v : c.c) v = rng.below(CountHash::kPrime);
      const std::uint64_t wi = c.word(pr[0]), wj = c.word(pr[1]);
      sign_product4 += sgn(wi) * sgn(wj) * sgn(c.word(pr[2])) * sgn(c.word(pr[3]));
      const std::uint64_t bi = CountHash::bucket(wi, L), bj = CountHash::bucket(wj, L);
      REQUIRE(bi < L);
      ++counts[bi];
      collisions += bi == bj;
      negative += CountHash::negative(wi);
      sign_product += (CountHash::negative(wi) ? -1.0 : 1.0) * (CountHash::negative(wj) ? -1.0 : 1.0);
    }
    const double p = 1.0 / L, se = std::sqrt(p * (1 - p) / trials);
    for (arma::uword b = 0; b < L; ++b) CHECK(std::abs(double(counts[b]) / trials - p) < 5 * se);
    CHECK(std::abs(collisions / trials - p) < 5 * se);
    CHECK(std::abs(negative / trials - 0.5) < 5 * std::sqrt(0.25 / trials));
    CHECK(std::abs(sign_product / trials) < 5 / std::sqrt(double(trials)));
    CHECK(std::abs(sign_product4 / trials) < 5 / std::sqrt(double(trials)));
  }
}

TEST_CASE("tensorsketch: maps saved with stored hash tables (encoding version 1) still load and use them") {
  // The version 1 state of a degree: d x n buckets (a uvec), then the d x n signs as bits.
  const auto k = make_kernel("poly:3:1");
  const arma::uword d = 4, D = 40;
  auto current = make_feature_map("tensorsketch", k, d, D, 5);
  const std::string bytes = saved(*current);
  const std::size_t s = state_offset(*current);
  const std::uint64_t degrees = get_u64(bytes, s + 1);
  std::vector<arma::uword> deg(degrees), len(degrees);
  for (std::uint64_t i = 0; i < degrees; ++i) {
    deg[i] = get_u64(bytes, s + 9 + 8 * i);
    len[i] = get_u64(bytes, s + 17 + 8 * (degrees + i));
  }
  const std::size_t params = s + 1 + 2 * 8 * (degrees + 1);
  std::string legacy = bytes.substr(0, params);
  put_u64(legacy, 8, 1);  // the format version
  auto u64 = [&](std::uint64_t v) {
    legacy.resize(legacy.size() + 8);
    put_u64(legacy, legacy.size() - 8, v);
  };
  deepdot::Rng rng(11);
  std::vector<arma::umat> tables;
  std::vector<arma::mat> signs;
  for (std::uint64_t i = 0; i < degrees; ++i) {
    arma::umat h(d, deg[i]);
    arma::mat sg(d, deg[i]);
    for (arma::uword j = 0; j < h.n_elem; ++j) {
      h[j] = rng.below(len[i]);
      sg[j] = rng.rademacher();
    }
    u64(h.n_elem);
    for (arma::uword j = 0; j < h.n_elem; ++j) u64(h[j]);
    std::uint64_t word = 0;
    for (arma::uword j = 0; j < sg.n_elem; ++j)
      if (sg[j] > 0) word |= std::uint64_t{1} << j;
    REQUIRE(sg.n_elem <= 64);
    u64(word);
    tables.push_back(h);
    signs.push_back(sg);
  }
  const auto old_map = loaded(legacy);
  CHECK(saved(*old_map) == legacy);  // written back as it was read
  // Features from the stored tables, computed the straightforward way.
  const arma::mat X = unit_columns(d, 9, 3);
  const deepdot::detail::ExactPart exact(k, d, D);
  const arma::vec a = k.coefficients(4);
  arma::mat expected(D, X.n_cols, arma::fill::zeros);
  arma::uword row = 0;
  if (exact.constant) expected.row(row++).fill(exact.sqrt_a0);
  if (exact.linear) {
    expected.rows(row, row + d - 1) = exact.sqrt_a1 * X;
    row += d;
  }
  for (std::uint64_t i = 0; i < degrees; ++i) {
    const arma::uword n = deg[i], L = len[i];
    for (arma::uword c = 0; c < X.n_cols; ++c) {
      arma::vec conv;
      for (arma::uword f = 0; f < n; ++f) {
        arma::vec cs(L, arma::fill::zeros);
        for (arma::uword j = 0; j < d; ++j) cs[tables[i](j, f)] += signs[i](j, f) * X(j, c);
        if (f == 0) {
          conv = cs;
          continue;
        }
        arma::vec next(L, arma::fill::zeros);
        for (arma::uword u = 0; u < L; ++u)
          for (arma::uword v = 0; v < L; ++v) next[(u + v) % L] += conv[u] * cs[v];
        conv = next;
      }
      expected.submat(row, c, row + L - 1, c) = std::sqrt(a[n]) * conv;
    }
    row += L;
  }
  CHECK(arma::norm(old_map->transform(X) - expected, "fro") <= 1e-12 * arma::norm(expected, "fro"));
  const arma::fmat Zf = old_map->transform(arma::conv_to<arma::fmat>::from(X));
  CHECK(arma::norm(arma::conv_to<arma::mat>::from(Zf) - expected, "fro") <= 1e-5 * arma::norm(expected, "fro"));
  const arma::sp_mat Xs(X);
  CHECK(arma::norm(old_map->transform(Xs) - expected, "fro") <= 1e-12 * arma::norm(expected, "fro"));
  // A bucket outside its sketch is still refused in the old layout.
  std::string bad = legacy;
  put_u64(bad, params + 8, len[0]);
  CHECK_THROWS_AS(loaded(bad), std::invalid_argument);
  // A version this library does not know is refused.
  bad = bytes;
  put_u64(bad, 8, 4);  // version 3 added sparse Nystroem landmarks
  CHECK_THROWS_AS(loaded(bad), std::invalid_argument);
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
    // The wrong number of hash functions for the first degree.
    std::string b = saved(*map);
    const std::size_t s = state_offset(*map);
    const std::uint64_t degrees = get_u64(b, s + 1);
    const std::size_t first_factors = s + 1 + 2 * 8 * (degrees + 1);
    put_u64(b, first_factors, get_u64(b, first_factors) + 1);
    CHECK_THROWS_AS(loaded(b), std::invalid_argument);
    b = saved(*map);
    put_u64(b, first_factors, 1u << 30);
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
/// L the n count sketches (buckets and signs from the stored hash functions) and their circular convolution modulo L, summed
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
    REQUIRE(u64() == n);
    arma::umat h(d, n);
    arma::mat s(d, n);
    for (arma::uword f = 0; f < n; ++f) {
      deepdot::detail::CountHash c;
      for (std::uint64_t& coefficient : c.c) coefficient = u64();
      for (arma::uword j = 0; j < d; ++j) {
        h(j, f) = deepdot::detail::CountHash::bucket(c.word(j), L);
        s(j, f) = deepdot::detail::CountHash::negative(c.word(j)) ? -1.0 : 1.0;
      }
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
