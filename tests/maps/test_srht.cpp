// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include "support/sketch_test_support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>

using deepdot::make_feature_map;
using deepdot::make_kernel;
using namespace sketch_test;

TEST_CASE("srht: spec strings, shapes and the exact constant and linear part") {
  const auto k = make_kernel("recursive:2");
  CHECK(make_feature_map("srht", k, 8, 64, 1)->spec() == "srht");
  CHECK(make_feature_map("srht:opt", k, 8, 64, 1)->spec() == "srht:opt");
  const arma::mat X = unit_columns(7, 11, 1);  // d = 7 is padded to 8
  const arma::vec a = k.coefficients(2);
  for (arma::uword D : {1u, 2u, 17u, 64u, 1000u}) {
    const arma::mat Z = make_feature_map("srht", k, 7, D, 1)->transform(X);
    CHECK(Z.n_rows == D);
    CHECK(Z.n_cols == 11);
    CHECK(arma::approx_equal(Z.row(0), arma::rowvec(11, arma::fill::value(std::sqrt(a[0]))), "absdiff", 1e-15));
    if (D >= 32) CHECK(arma::approx_equal(Z.rows(1, 7), std::sqrt(a[1]) * X, "absdiff", 1e-15));
  }
}

TEST_CASE("srht: matches a naive TensorSRHT built from the stored signs and rows (D_n > padded d)") {
  // Kernel t^2 only, d = 3 (padded to 4), D = 5: degree 2 with 5 features, so
  // every factor has two blocks (4 + 1 rows) with their own signs.
  const auto k = make_kernel("poly:2:0");
  auto map = make_feature_map("srht", k, 3, 5, 8);
  const std::string bytes = saved(*map);
  std::size_t p = state_offset(*map) + 1;
  REQUIRE(get_u64(bytes, p) == 1);
  REQUIRE(get_u64(bytes, p + 8) == 2);
  REQUIRE(get_u64(bytes, p + 24) == 5);
  p += 32;
  const arma::mat H = {{1, 1, 1, 1}, {1, -1, 1, -1}, {1, 1, -1, -1}, {1, -1, -1, 1}};
  arma::mat signs[2];
  arma::uvec rows[2];
  for (int f = 0; f < 2; ++f) {
    const std::uint64_t bits = get_u64(bytes, p);  // 3 x 2 signs in one word
    signs[f].set_size(3, 2);
    for (arma::uword i = 0; i < 6; ++i) signs[f][i] = ((bits >> i) & 1) ? 1.0 : -1.0;
    REQUIRE(get_u64(bytes, p + 8) == 5);
    rows[f].set_size(5);
    for (arma::uword j = 0; j < 5; ++j) rows[f][j] = get_u64(bytes, p + 16 + 8 * j);
    p += 56;
  }
  CHECK(p == bytes.size());
  const arma::mat X = unit_columns(3, 6, 2);
  const arma::mat Z = map->transform(X);
  for (arma::uword c = 0; c < X.n_cols; ++c) {
    arma::vec expected(5, arma::fill::value(std::sqrt(1.0 / 5.0)));
    for (int f = 0; f < 2; ++f)
      for (arma::uword j = 0; j < 5; ++j) {
        arma::vec padded(4, arma::fill::zeros);
        padded.head(3) = signs[f].col(j / 4) % X.col(c);
        expected[j] *= arma::dot(H.row(rows[f][j]), padded);
      }
    CHECK(arma::approx_equal(Z.col(c), expected, "absdiff", 1e-13));
  }
}

TEST_CASE("srht: unbiased (mean over 300 seeds within 4 standard errors of the represented kernel)") {
  check_unbiased_default("srht", 300);
}

TEST_CASE("srht: relative Frobenius error falls like D^-1/2 (slower for heavy tails)") {
  check_error_rates("srht");
}

TEST_CASE("srht: determinism, bit-exact save/load, corrupt state, float vs double") {
  for (const char* spec : {"srht", "srht:opt"}) {
    INFO(std::string(spec));
    check_common_contract(spec, make_kernel("recursive:2"), 12, 300);
    check_common_contract(spec, make_kernel("poly:4:0.5"), 5, 37);
    const arma::mat X = unit_columns(6, 20, 1);
    auto map = make_feature_map(spec, make_kernel("recursive:2"), 6, 100, 9);
    if (!map->is_fitted()) map->fit(X);
    check_corrupt_allocation(*map);
    // The first factor of the first degree: its sign words (6 x blocks signs), then its rows.
    const std::string bytes = saved(*map);
    const std::size_t s = state_offset(*map);
    const std::uint64_t degrees = get_u64(bytes, s + 1);
    const std::uint64_t count = get_u64(bytes, s + 1 + 8 * (degrees + 2));
    const std::uint64_t bits = 6 * ((count + 7) / 8), words = (bits + 63) / 64;
    const std::size_t sign_word = s + 1 + 2 * 8 * (degrees + 1), rows = sign_word + 8 * words;
    REQUIRE(get_u64(bytes, rows) == count);
    std::string b = bytes;
    if (bits % 64 != 0) {
      b[sign_word + 8 * words - 1] = static_cast<char>(0x80);  // padding bit of the last word
      CHECK_THROWS_AS(loaded(b), std::invalid_argument);
    }
    b = bytes;
    put_u64(b, rows + 8, 8);  // row index outside the padded dimension 8
    CHECK_THROWS_AS(loaded(b), std::invalid_argument);
    b = bytes;
    put_u64(b, rows + 8, get_u64(bytes, rows + 16));  // repeated row in a block
    CHECK_THROWS_AS(loaded(b), std::invalid_argument);
  }
}

TEST_CASE("srht:opt needs fit() and beats or matches the default allocation on its sample") {
  check_optimised_allocation("srht");
}

TEST_CASE("srht: bad options are rejected with a message naming the spec and the rule") {
  check_bad_options("srht");
}
