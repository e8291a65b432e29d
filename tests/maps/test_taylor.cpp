// SPDX-License-Identifier: MIT
#include "maps/taylor.hpp"

#include "support/sketch_test_support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>

using deepdot::make_feature_map;
using deepdot::make_kernel;
using deepdot::detail::taylor_natural_dim;
using namespace sketch_test;

namespace {

double truncated(const deepdot::Kernel& k, arma::uword P, double t) {
  const arma::vec a = k.coefficients(P + 1);
  double v = 0.0;
  for (arma::uword n = P + 1; n-- > 0;) v = v * t + a[n];
  return v;
}

}  // namespace

TEST_CASE("taylor: natural dimension counts the monomials of the degrees with a_n > 0") {
  CHECK(taylor_natural_dim(make_kernel("recursive:1"), 3, 2) == 1 + 3 + 6);
  CHECK(taylor_natural_dim(make_kernel("poly:2:0"), 3, 2) == 6);
  CHECK(taylor_natural_dim(make_kernel("coeffs:1,0,1"), 3, 5) == 1 + 6);
  CHECK(taylor_natural_dim(make_kernel("recursive:1"), 10, 0) == 1);
  CHECK(taylor_natural_dim(make_kernel("recursive:1"), 1, 100) == 101);
  CHECK(taylor_natural_dim(make_kernel("recursive:1"), 784, 3) == 1 + 784 + 307720 + 80622640);
  // Saturates instead of overflowing.
  CHECK(taylor_natural_dim(make_kernel("recursive:1"), 100000, 1000) == std::numeric_limits<arma::uword>::max());
}

TEST_CASE("taylor: <phi(x), phi(y)> is the truncated series to 1e-12 (including points inside the ball)") {
  const char* kernels[] = {"recursive:1", "recursive:4", "poly:3", "gaussian:0.7", "coeffs:0,0.5,0,0.5", "arccos:1"};
  arma::mat X = unit_columns(4, 12, 3);
  X.col(3) *= 0.5;
  X.col(7) *= 0.0;
  for (const char* spec : kernels) {
    const auto k = make_kernel(spec);
    for (arma::uword P : {0u, 1u, 2u, 5u}) {
      const arma::uword natural = taylor_natural_dim(k, 4, P);
      if (natural == 0) continue;
      auto map = make_feature_map("taylor:" + std::to_string(P), k, 4, natural, 0);
      CHECK(map->spec() == "taylor:" + std::to_string(P));
      const arma::mat Z = map->transform(X);
      REQUIRE(Z.n_rows == natural);
      const arma::mat G = Z.t() * Z, T = X.t() * X;
      double worst = 0.0, worst_kernel = 0.0;
      for (arma::uword i = 0; i < X.n_cols; ++i)
        for (arma::uword j = 0; j < X.n_cols; ++j) {
          worst = std::max(worst, std::abs(G(i, j) - truncated(k, P, T(i, j))));
          worst_kernel = std::max(worst_kernel, std::abs(G(i, j) - k(T(i, j))));
        }
      INFO(spec, " P=", P);
      CHECK(worst <= 1e-12);
      // Its error against the kernel is the tail, bounded by tail(P).
      CHECK(worst_kernel <= k.tail(P) + 1e-12);
    }
  }
}

TEST_CASE("taylor: a larger D pads with zero features; a smaller D is refused with the needed D") {
  const auto k = make_kernel("recursive:2");
  const arma::mat X = unit_columns(3, 5, 1);
  auto exact = make_feature_map("taylor:2", k, 3, 10, 0);
  auto padded = make_feature_map("taylor:2", k, 3, 16, 0);
  const arma::mat Z = padded->transform(X);
  CHECK(Z.n_rows == 16);
  CHECK(arma::approx_equal(Z.rows(0, 9), exact->transform(X), "absdiff", 0.0));
  CHECK(arma::all(arma::vectorise(Z.rows(10, 15)) == 0.0));
  const std::string msg = make_error("taylor:2", k, 3, 9);
  INFO(msg);
  CHECK(msg.rfind("make_feature_map(): ", 0) == 0);
  CHECK(msg.find("D >= 10") != std::string::npos);
  CHECK(msg.find("got D = 9") != std::string::npos);
  CHECK(msg.find("tensorsketch") != std::string::npos);
}

TEST_CASE("taylor: bad degrees and oversized maps are rejected with a clear message") {
  const auto k = make_kernel("recursive:1");
  struct Bad {
    const char* spec;
    const char* needle;
  };
  const Bad bad[] = {{"taylor", "needs the truncation degree"},
                     {"taylor:-1", "nonnegative integer"},
                     {"taylor:x", "nonnegative integer"},
                     {"taylor:1.5", "nonnegative integer"},
                     {"taylor:2:3", "nonnegative integer"},
                     {"taylor:1025", "too large"}};
  for (const Bad& b : bad) {
    const std::string msg = make_error(b.spec, k, 3, 1000);
    INFO(b.spec, ": ", msg);
    CHECK(msg.rfind("make_feature_map(): ", 0) == 0);
    CHECK(msg.find(b.needle) != std::string::npos);
    CHECK(msg.find("taylor") != std::string::npos);
  }
  // The monomial count alone decides, whatever D is.
  const std::string big = make_error("taylor:4", k, 784, 1000);
  INFO(big);
  CHECK(big.find("50000000") != std::string::npos);
  CHECK(big.find("maclaurin") != std::string::npos);
  // No degree <= P has a positive coefficient.
  CHECK(make_error("taylor:2", make_kernel("poly:3:0"), 3, 100).find("no features") != std::string::npos);
  // A map far below the limit but with a large P is fine (d = 1).
  CHECK(make_feature_map("taylor:1000", make_kernel("recursive:3"), 1, 1001, 0)->output_dim() == 1001);
}

TEST_CASE("taylor: save/load is bit-exact, corrupt state is rejected, float agrees with double") {
  const auto k = make_kernel("gaussian:1");
  const arma::mat X = unit_columns(5, 30, 2);
  auto map = make_feature_map("taylor:3", k, 5, 60, 7);
  const arma::mat Z = map->transform(X);
  const std::string bytes = saved(*map);
  CHECK(arma::approx_equal(loaded(bytes)->transform(X), Z, "absdiff", 0.0));
  CHECK_THROWS_AS(loaded(bytes.substr(0, bytes.size() - 1)), std::invalid_argument);
  std::string corrupt = bytes;
  put_u64(corrupt, state_offset(*map) + 8, 55);  // the natural dimension
  CHECK_THROWS_AS(loaded(corrupt), std::invalid_argument);
  const arma::fmat Zf = map->transform(arma::conv_to<arma::fmat>::from(X));
  CHECK(arma::norm(arma::conv_to<arma::mat>::from(Zf) - Z, "fro") <= 1e-6 * arma::norm(Z, "fro"));
  // Deterministic: the seed does not matter.
  CHECK(arma::approx_equal(make_feature_map("taylor:3", k, 5, 60, 8)->transform(X), Z, "absdiff", 0.0));
}
