// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include <deepdot/maps/approximation.hpp>
#include <deepdot/kernels/gram.hpp>
#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include "support/map_test_support.hpp"

#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using deepdot::make_feature_map;
using deepdot::make_kernel;
using map_test::ball_points;
using map_test::loaded;
using map_test::saved;

TEST_CASE("layerwise: unbiased (in the wide-hidden-layer limit), including points inside the ball") {
  arma::mat P = ball_points(4, 3, 7);
  P.col(0) *= 0.6 / arma::norm(P.col(0));
  P.col(1) *= 0.85 / arma::norm(P.col(1));
  P.col(2) /= arma::norm(P.col(2));
  const std::pair<int, int> pairs[] = {{0, 1}, {0, 0}, {1, 2}, {0, 2}};
  const int seeds = 1000;
  // Depth 1 is exactly unbiased; deeper, the hidden width 256 leaves a bias of
  // order 1/256, well inside 4 standard errors of 1000 maps with D = 9.
  for (const char* kspec : {"recursive:1", "recursive:2", "recursive:3"}) {
    const auto kernel = make_kernel(kspec);
    const arma::mat K = deepdot::gram(kernel, P);
    arma::mat sum(3, 3, arma::fill::zeros), sum2(3, 3, arma::fill::zeros);
    for (int s = 0; s < seeds; ++s) {
      const auto map = make_feature_map("layerwise:256", kernel, 4, 9, 300 + s);
      const arma::mat Z = map->transform(P);
      const arma::mat G = Z.t() * Z;
      sum += G;
      sum2 += G % G;
    }
    const arma::mat mean = sum / seeds;
    const arma::mat se = arma::sqrt(arma::clamp(sum2 / seeds - mean % mean, 0.0, arma::datum::inf) / (seeds - 1));
    for (const auto& [i, j] : pairs) {
      INFO(std::string(kspec), " pair (", i, ",", j, ") K=", K(i, j), " mean=", mean(i, j), " se=", se(i, j));
      CHECK(se(i, j) > 1e-4);  // the estimate is random, so the check has power
      CHECK(std::abs(mean(i, j) - K(i, j)) <= 4.0 * se(i, j));
    }
  }
}

TEST_CASE("layerwise: the error falls like 1/sqrt(D)") {
  const arma::mat X = ball_points(16, 200, 11, 0.7);
  for (const char* kspec : {"recursive:1", "recursive:3"}) {
    const auto kernel = make_kernel(kspec);
    const arma::mat K = deepdot::gram(kernel, X);
    const double a0 = kernel.coefficients(1)[0];
    std::vector<double> Ds, errs;
    arma::vec lx, ly;
    for (arma::uword D = 64; D <= 2048; D *= 2) {
      double e = 0.0;
      for (std::uint64_t s = 0; s < 3; ++s) {
        const auto map = make_feature_map("layerwise", kernel, X.n_rows, D, 70 + s);  // hidden width = D
        const arma::mat Z = map->transform(X);
        e += arma::norm(K - Z.t() * Z, "fro") / arma::norm(K - a0, "fro") / 3;
      }
      lx.resize(lx.n_elem + 1);
      ly.resize(ly.n_elem + 1);
      lx.back() = std::log(double(D));
      ly.back() = std::log(e);
    }
    const arma::vec cx = lx - arma::mean(lx), cy = ly - arma::mean(ly);
    const double slope = arma::dot(cx, cy) / arma::dot(cx, cx);
    MESSAGE(std::string(kspec), ": slope ", slope, ", error at D = 64 ", std::exp(ly.front()), ", at D = 2048 ",
            std::exp(ly.back()));
    CHECK(slope >= -0.65);
    CHECK(slope <= -0.35);
  }
}

TEST_CASE("layerwise: shapes, determinism, float, save/load") {
  const arma::mat X = ball_points(6, 25, 2);
  const auto kernel = make_kernel("recursive:3");
  const auto a = make_feature_map("layerwise:40", kernel, 6, 17, 42);
  const auto b = make_feature_map("layerwise:40", kernel, 6, 17, 42);
  const auto c = make_feature_map("layerwise:40", kernel, 6, 17, 43);
  const arma::mat Z = a->transform(X);
  CHECK(Z.n_rows == 17);
  CHECK(Z.n_cols == 25);
  CHECK(arma::approx_equal(Z, b->transform(X), "absdiff", 0.0));
  CHECK(arma::abs(Z - c->transform(X)).max() > 1e-3);
  CHECK(a->spec() == "layerwise:40");
  CHECK(make_feature_map("layerwise", kernel, 6, 17, 1)->spec() == "layerwise");

  const arma::mat Zf = arma::conv_to<arma::mat>::from(a->transform(arma::conv_to<arma::fmat>::from(X)));
  CHECK(arma::abs(Zf - Z).max() <= 1e-5);

  const std::string bytes = saved(*a);
  const auto r = loaded(bytes);
  const arma::mat Zr = r->transform(X);
  CHECK(std::memcmp(Zr.memptr(), Z.memptr(), Z.n_elem * sizeof(double)) == 0);
  CHECK(saved(*r) == bytes);
  for (std::size_t cut : {bytes.size() - 1, bytes.size() - 500, bytes.size() / 3}) {
    CHECK_THROWS_AS(loaded(bytes.substr(0, cut)), std::invalid_argument);
  }
  // Corrupt the stored output width of layer 1: the header ends with the
  // kernel spec, d, D, seed and the fitted flag; the state starts with the
  // layer count and the first layer's input and output widths.
  std::string bad = bytes;
  const std::string kernel_spec = "recursive:3";
  const std::size_t pos = bad.find(kernel_spec) + kernel_spec.size() + 3 * 8 + 1 + 8 + 8;
  REQUIRE(pos + 8 <= bad.size());
  bad[pos] = static_cast<char>(41);  // the first layer's output width 40 -> 41
  CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("output width"), std::invalid_argument);
}

TEST_CASE("layerwise: bad parameters") {
  auto message = [](const std::string& spec, const std::string& kernel) -> std::string {
    try {
      make_feature_map(spec, make_kernel(kernel), 5, 16, 1);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  CHECK(message("layerwise", "poly:2").find("recursive kernel of depth k >= 1") != std::string::npos);
  CHECK(message("layerwise", "poly:2").find("maclaurin") != std::string::npos);
  CHECK(message("layerwise", "recursive:0").find("'recursive:0'") != std::string::npos);
  CHECK(message("layerwise:1", "recursive:2").find(">= 2") != std::string::npos);
  CHECK(message("layerwise:abc", "recursive:2").find("nonnegative integer") != std::string::npos);
  CHECK(message("layerwise:-4", "recursive:2").find("hidden width") != std::string::npos);
  CHECK(message("layerwise:8", "recursive:2").empty());
  CHECK(message("layerwise", "recursive:65").find("deep") != std::string::npos);
}
