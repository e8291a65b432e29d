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

TEST_CASE("maclaurin: spec strings, shapes and the exact constant and linear part") {
  const auto k = make_kernel("recursive:2");
  CHECK(make_feature_map("maclaurin", k, 8, 64, 1)->spec() == "maclaurin:importance");
  CHECK(make_feature_map("maclaurin:importance", k, 8, 64, 1)->spec() == "maclaurin:importance");
  CHECK(make_feature_map("maclaurin:kk", k, 8, 64, 1)->spec() == "maclaurin:kk");
  CHECK(make_feature_map("maclaurin:opt", k, 8, 64, 1)->spec() == "maclaurin:opt");
  const arma::mat X = unit_columns(8, 10, 1);
  const arma::vec a = k.coefficients(2);
  auto map = make_feature_map("maclaurin", k, 8, 64, 1);
  const arma::mat Z = map->transform(X);
  REQUIRE(Z.n_rows == 64);
  REQUIRE(Z.n_cols == 10);
  // (1 + d) * 4 = 36 <= 64: constant and linear terms are exact.
  CHECK(arma::approx_equal(Z.row(0), arma::rowvec(10, arma::fill::value(std::sqrt(a[0]))), "absdiff", 1e-15));
  CHECK(arma::approx_equal(Z.rows(1, 8), std::sqrt(a[1]) * X, "absdiff", 1e-15));
  // A small budget keeps only the constant exact; every row is still used.
  auto small = make_feature_map("maclaurin", k, 8, 16, 1);
  const arma::mat Zs = small->transform(X);
  CHECK(Zs.n_rows == 16);
  CHECK(arma::all(arma::abs(Zs.row(1)) > 0.0));
  // D = 1: only the constant.
  CHECK(make_feature_map("maclaurin", k, 8, 1, 1)->transform(X).n_rows == 1);
}

TEST_CASE("maclaurin: unbiased for both degree laws (mean over 400 seeds within 4 standard errors)") {
  struct Case {
    const char* spec;
    const char* kernel;
    double t;
  };
  // |t| <= 0.5 off the diagonal keeps the variance of the products finite for
  // recursive:1; the polynomial kernel is also checked on the diagonal.
  const Case cases[] = {{"maclaurin:importance", "recursive:1", 0.5}, {"maclaurin:importance", "recursive:1", -0.3},
                        {"maclaurin:kk", "recursive:1", 0.5},         {"maclaurin:kk", "recursive:1", 0.0},
                        {"maclaurin:importance", "poly:3", 1.0},      {"maclaurin:kk", "poly:3", -0.6},
                        {"maclaurin:importance", "recursive:3", 0.4}};
  for (const Case& c : cases) {
    const auto k = make_kernel(c.kernel);
    // D = 20 with d = 6: the linear term is random too ((1 + 6) * 4 > 20).
    for (arma::uword D : {20u, 64u}) {
      const arma::mat P = pair_with_inner(6, c.t, 11);
      const MeanEstimate e = mean_inner_product(c.spec, k, P, D, 400);
      INFO(c.spec, " ", c.kernel, " t=", c.t, " D=", D, " mean=", e.mean, " se=", e.standard_error);
      CHECK(std::abs(e.mean - k(c.t)) <= 4.0 * e.standard_error + 1e-9);
      CHECK(e.standard_error > 0.0);
    }
  }
}

TEST_CASE("maclaurin: relative Frobenius error falls like D^-1/2") {
  const arma::mat X = unit_columns(32, 150, 7);
  const std::vector<double> dims{256, 512, 1024, 2048, 4096};
  for (const char* spec : {"maclaurin:importance", "maclaurin:kk", "maclaurin:opt"}) {
    std::vector<double> errs;
    const double slope = error_slope(spec, make_kernel("recursive:1"), X, dims, 3, &errs);
    INFO(std::string(spec), " slope ", slope, " errors ", errs[0], " .. ", errs.back());
    CHECK(slope >= -0.65);
    CHECK(slope <= -0.35);
  }
}

TEST_CASE("maclaurin: determinism, bit-exact save/load, float vs double") {
  for (const char* spec : {"maclaurin", "maclaurin:kk", "maclaurin:opt"}) {
    INFO(std::string(spec));
    check_common_contract(spec, make_kernel("recursive:2"), 12, 300);
    check_common_contract(spec, make_kernel("poly:4:0.5"), 5, 37);
  }
}

TEST_CASE("maclaurin: corrupt state is rejected") {
  const arma::mat X = unit_columns(6, 20, 1);
  for (const char* spec : {"maclaurin", "maclaurin:opt"}) {
    auto map = make_feature_map(spec, make_kernel("recursive:2"), 6, 100, 9);
    if (!map->is_fitted()) map->fit(X);
    INFO(std::string(spec));
    check_corrupt_allocation(*map);
    // A scale that is not finite and positive.
    std::string b = saved(*map);
    const std::size_t s = state_offset(*map);
    const std::uint64_t degrees = get_u64(b, s + 1);
    const std::size_t first_scale = s + 1 + 2 * 8 * (degrees + 1);
    put_u64(b, first_scale, 0xFFF0000000000000ULL);  // -inf
    CHECK_THROWS_AS(loaded(b), std::invalid_argument);
    // Nonzero padding bits in the last sign word (6 columns * rows is not a multiple of 64 here).
    b = saved(*map);
    b[b.size() - 1] = static_cast<char>(0xFF);
    CHECK_THROWS_AS(loaded(b), std::invalid_argument);
  }
}

TEST_CASE("maclaurin:opt needs fit(), and then saves, loads and refits") {
  const auto k = make_kernel("recursive:2");
  const arma::mat X = unit_columns(10, 60, 5);
  auto map = make_feature_map("maclaurin:opt", k, 10, 256, 3);
  CHECK_FALSE(map->is_fitted());
  CHECK_THROWS_AS(map->transform(X), std::logic_error);
  // An unfitted map round-trips as unfitted.
  const auto unfitted = loaded(saved(*map));
  CHECK_FALSE(unfitted->is_fitted());
  CHECK_THROWS_AS(map->fit(arma::mat(9, 5, arma::fill::zeros)), std::invalid_argument);
  CHECK_THROWS_AS(map->fit(2.0 * X), std::invalid_argument);
  map->fit(X);
  CHECK(map->is_fitted());
  const arma::mat Z = map->transform(X);
  CHECK(Z.n_rows == 256);
  CHECK(relative_error(k, X, Z) < 0.5);
  // The data-independent maps ignore fit().
  auto plain = make_feature_map("maclaurin", k, 10, 256, 3);
  const arma::mat before = plain->transform(X);
  plain->fit(X);
  CHECK(arma::approx_equal(plain->transform(X), before, "absdiff", 0.0));
}

TEST_CASE("maclaurin:opt is at least as accurate as importance sampling on its own sample") {
  const arma::mat X = unit_columns(16, 200, 21);
  for (const char* kernel : {"recursive:2", "recursive:4"}) {
    const auto k = make_kernel(kernel);
    double opt = 0.0, importance = 0.0;
    for (unsigned s = 0; s < 4; ++s) {
      auto m = make_feature_map("maclaurin:opt", k, 16, 1024, 100 + s);
      m->fit(X);
      opt += relative_error(k, X, m->transform(X));
      importance += relative_error(k, X, make_feature_map("maclaurin", k, 16, 1024, 100 + s)->transform(X));
    }
    INFO(std::string(kernel), " opt ", opt / 4, " importance ", importance / 4);
    CHECK(opt <= 1.1 * importance);
  }
}

TEST_CASE("maclaurin: bad options are rejected with a message naming the spec and the rule") {
  const auto k = make_kernel("recursive:1");
  for (const char* spec : {"maclaurin:foo", "maclaurin:opt:2", "maclaurin:KK"}) {
    const std::string msg = make_error(spec, k, 4, 16);
    INFO(spec, ": ", msg);
    CHECK(msg.rfind("make_feature_map(): ", 0) == 0);
    CHECK(msg.find("maclaurin") != std::string::npos);
    CHECK(msg.find("'maclaurin:kk'") != std::string::npos);
  }
}

TEST_CASE("maclaurin: kernels whose mass is all exact give zero random features") {
  const arma::mat X = unit_columns(4, 5, 2);
  const auto k = make_kernel("coeffs:0.3,0.7");
  auto map = make_feature_map("maclaurin", k, 4, 40, 1);
  const arma::mat Z = map->transform(X);
  CHECK(arma::approx_equal(Z.t() * Z, deepdot::gram(k, X), "absdiff", 1e-12));
  CHECK(arma::all(arma::vectorise(Z.rows(5, 39)) == 0.0));
  check_corrupt_allocation(*make_feature_map("maclaurin", make_kernel("recursive:1"), 4, 40, 1));
}

TEST_CASE("maclaurin: a kernel whose degrees cannot be sampled is refused, not a crash") {
  // poly:100000 puts its mass near degree 50,000, where every probability underflows.
  for (const char* spec : {"maclaurin", "maclaurin:kk"}) {
    INFO(spec);
    CHECK_THROWS_WITH_AS(deepdot::make_feature_map(spec, deepdot::make_kernel("poly:100000"), 3, 64, 1),
                         doctest::Contains("cannot sample the degrees of poly:100000"), std::invalid_argument);
  }
}
