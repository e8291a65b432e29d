// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include <deepdot/maps/approximation.hpp>
#include <deepdot/kernels/gram.hpp>
#include <deepdot/datasets/fashion_mnist.hpp>
#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include "support/map_test_support.hpp"
#include "maps/numeric/fastmath.hpp"

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

namespace {

std::string error_of(const std::string& spec, const std::string& kernel, arma::uword D = 64) {
  try {
    make_feature_map(spec, make_kernel(kernel), 5, D, 1);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

double slope(const std::vector<double>& x, const std::vector<double>& y) {
  arma::vec lx(x.size()), ly(y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    lx[i] = std::log(x[i]);
    ly[i] = std::log(y[i]);
  }
  const arma::vec cx = lx - arma::mean(lx), cy = ly - arma::mean(ly);
  return arma::dot(cx, cy) / arma::dot(cx, cx);
}

}  // namespace

TEST_CASE("fourier: unbiased for every form and depth, including points inside the ball") {
  // Three points: |x| = 0.6, |y| = 0.85, |z| = 1; pairs (x,y), (x,x), (y,z), (z,z).
  arma::mat P = ball_points(4, 3, 7);
  P.col(0) *= 0.6 / arma::norm(P.col(0));
  P.col(1) *= 0.85 / arma::norm(P.col(1));
  P.col(2) /= arma::norm(P.col(2));
  const std::pair<int, int> pairs[] = {{0, 1}, {0, 0}, {1, 2}, {2, 2}};
  const int seeds = 1500;
  for (const char* kspec : {"recursive:1", "recursive:2", "recursive:4"}) {
    const auto kernel = make_kernel(kspec);
    const arma::mat K = deepdot::gram(kernel, P);
    for (const char* spec : {"fourier", "fourier:phase", "fourier:orf", "fourier:mc", "fourier:orf,phase,mc"}) {
      arma::mat sum(3, 3, arma::fill::zeros), sum2(3, 3, arma::fill::zeros);
      for (int s = 0; s < seeds; ++s) {
        const auto map = make_feature_map(spec, kernel, 4, 9, 100 + s);  // odd D: pairs plus one single
        const arma::mat Z = map->transform(P);
        const arma::mat G = Z.t() * Z;
        sum += G;
        sum2 += G % G;
      }
      const arma::mat mean = sum / seeds;
      const arma::mat se = arma::sqrt(arma::clamp(sum2 / seeds - mean % mean, 0.0, arma::datum::inf) / (seeds - 1));
      for (const auto& [i, j] : pairs) {
        INFO(std::string(kspec), " ", std::string(spec), " pair (", i, ",", j, ") K=", K(i, j), " mean=", mean(i, j), " se=", se(i, j));
        CHECK(std::abs(mean(i, j) - K(i, j)) <= 4.0 * se(i, j) + 1e-12);
      }
    }
  }
}

TEST_CASE("fourier: the formula without the norm factor would be detectably biased") {
  // Guards the test above: at |x| = |y| = 0.6 the kernel differs from what
  // the features of the unit vectors give by far more than 4 standard errors.
  arma::mat P = ball_points(4, 2, 3);
  deepdot::normalize_columns(P);
  const auto kernel = make_kernel("recursive:2");
  const arma::mat Pin = 0.6 * P;
  double unit = 0.0, inside = 0.0;
  const int seeds = 1500;
  for (int s = 0; s < seeds; ++s) {
    const auto map = make_feature_map("fourier", kernel, 4, 9, 100 + s);
    const arma::mat Zu = map->transform(P), Zi = map->transform(Pin);
    unit += arma::dot(Zu.col(0), Zu.col(1)) / seeds;
    inside += arma::dot(Zi.col(0), Zi.col(1)) / seeds;
  }
  const double k_inside = kernel(0.36 * arma::dot(P.col(0), P.col(1)));
  CHECK(std::abs(inside - k_inside) < 0.01);
  CHECK(std::abs(unit - k_inside) > 0.02);
}

TEST_CASE("fourier: the error falls like 1/sqrt(D)") {
  const arma::mat X = ball_points(16, 300, 11, 0.7);
  for (const char* kspec : {"recursive:1", "recursive:3"}) {
    const auto kernel = make_kernel(kspec);
    const arma::mat K = deepdot::gram(kernel, X);
    const double a0 = kernel.coefficients(1)[0];
    for (const char* spec : {"fourier", "fourier:phase", "fourier:orf"}) {
      std::vector<double> Ds, errs;
      for (arma::uword D = 64; D <= 2048; D *= 2) {
        double e = 0.0;
        for (std::uint64_t s = 0; s < 4; ++s) {
          const auto map = make_feature_map(spec, kernel, X.n_rows, D, 50 + s);
          const arma::mat Z = map->transform(X);
          e += arma::norm(K - Z.t() * Z, "fro") / arma::norm(K - a0, "fro") / 4;
        }
        Ds.push_back(static_cast<double>(D));
        errs.push_back(e);
      }
      const double b = slope(Ds, errs);
      MESSAGE(std::string(kspec), " ", std::string(spec), " slope ", b, " errors ", errs[0], " .. ", errs.back());
      CHECK(b >= -0.65);
      CHECK(b <= -0.35);
    }
  }
}

TEST_CASE("fourier: shapes, constant feature and canonical spec") {
  const arma::mat X = ball_points(6, 10, 1);
  for (arma::uword D : {1u, 2u, 7u, 64u}) {
    const auto m1 = make_feature_map("fourier", make_kernel("recursive:1"), 6, D, 3);
    CHECK(m1->transform(X).n_rows == D);
    CHECK(m1->transform(X).n_cols == 10);
    if (D < 2) continue;
    const auto m3 = make_feature_map("fourier:orf,phase", make_kernel("recursive:3"), 6, D, 3);
    const arma::mat Z = m3->transform(X);
    CHECK(Z.n_rows == D);
    // The exact constant feature sqrt((k-1)/k) comes first for k >= 2.
    CHECK(arma::all(arma::abs(Z.row(0) - std::sqrt(2.0 / 3.0)) < 1e-15));
  }
  const auto k2 = make_kernel("recursive:2");
  CHECK(make_feature_map("fourier", k2, 6, 32, 1)->spec() == "fourier");
  CHECK(make_feature_map("fourier:pair,iid,stratified", k2, 6, 32, 1)->spec() == "fourier");
  CHECK(make_feature_map("fourier:mc,phase,orf", k2, 6, 32, 1)->spec() == "fourier:orf,phase,mc");
  // The canonical spec rebuilds the same map.
  const auto a = make_feature_map("fourier:phase,orf", k2, 6, 33, 9);
  const auto b = make_feature_map(a->spec(), k2, 6, 33, 9);
  CHECK(arma::approx_equal(a->transform(X), b->transform(X), "absdiff", 0.0));
}

TEST_CASE("fourier: determinism, save/load bit-exact, corrupt state rejected") {
  const arma::mat X = ball_points(6, 20, 2);
  const auto kernel = make_kernel("recursive:2");
  for (const char* spec : {"fourier", "fourier:orf", "fourier:phase,mc"}) {
    INFO(std::string(spec));
    const auto a = make_feature_map(spec, kernel, 6, 15, 42);
    const auto b = make_feature_map(spec, kernel, 6, 15, 42);
    const auto c = make_feature_map(spec, kernel, 6, 15, 43);
    const arma::mat Za = a->transform(X);
    CHECK(arma::approx_equal(Za, b->transform(X), "absdiff", 0.0));
    CHECK(arma::abs(Za - c->transform(X)).max() > 1e-3);

    const std::string bytes = saved(*a);
    std::istringstream in(bytes);
    const auto restored = deepdot::FeatureMap::load(in);
    CHECK(restored->spec() == a->spec());
    CHECK(std::memcmp(restored->transform(X).memptr(), Za.memptr(), Za.n_elem * sizeof(double)) == 0);
    CHECK(saved(*restored) == bytes);

    for (std::size_t cut : {bytes.size() - 1, bytes.size() - 8, bytes.size() / 2, std::size_t(70)}) {
      std::istringstream t(bytes.substr(0, cut));
      CHECK_THROWS_AS(deepdot::FeatureMap::load(t), std::invalid_argument);
    }
  }
  // Corrupt the first mixture variable s (it follows the u64 frequency count
  // and the 2 x u64 matrix shape at the start of the state).
  const auto a = make_feature_map("fourier", kernel, 6, 15, 42);
  std::string bytes = saved(*a);
  const std::size_t M = 7;  // D = 15, one constant, 7 pairs
  const std::size_t state = bytes.size() - (8 + (16 + 8 * M) + (16 + 8 * 6 * M) + (16 + 8 * M));
  const double bad = -1.0;
  std::memcpy(&bytes[state + 8 + 16], &bad, 8);
  std::istringstream in(bytes);
  CHECK_THROWS_WITH_AS(deepdot::FeatureMap::load(in), doctest::Contains("mixture variable"), std::invalid_argument);
  std::string wrong = saved(*a);
  wrong[state] = 8;  // frequency count 7 -> 8
  std::istringstream in2(wrong);
  CHECK_THROWS_WITH_AS(deepdot::FeatureMap::load(in2), doctest::Contains("frequencies"), std::invalid_argument);
}

TEST_CASE("fourier: float agrees with double") {
  const arma::mat X = ball_points(30, 50, 4);
  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  for (const char* spec : {"fourier", "fourier:orf,phase"}) {
    const auto map = make_feature_map(spec, make_kernel("recursive:3"), 30, 257, 5);
    const arma::mat Z = map->transform(X);
    const arma::mat Zf = arma::conv_to<arma::mat>::from(map->transform(Xf));
    CHECK(arma::abs(Z - Zf).max() <= 1e-5 * arma::abs(Z).max());
  }
}

TEST_CASE("fourier: the vectorised float path agrees with double on unit-norm and interior points, across threads") {
  // Unit-norm columns take the quartic exp branch, interior ones the general
  // exp; 300 points are split over the cores.
  arma::mat X = ball_points(40, 300, 6);
  deepdot::normalize_columns(X);
  X.cols(150, 299) *= 0.7;
  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  for (const char* kernel : {"recursive:1", "recursive:4"}) {
    const auto map = make_feature_map("fourier:orf", make_kernel(kernel), 40, 1000, 9);
    const arma::mat Z = map->transform(X);
    const arma::mat Zf = arma::conv_to<arma::mat>::from(map->transform(Xf));
    CHECK(arma::abs(Z - Zf).max() <= 1e-5 * arma::abs(Z).max());
  }
}

TEST_CASE("fourier: the float projection in blocks of frequencies agrees with double (several blocks, one point, d <= 4)") {
  // D = 1,500 at depth 2: the constant, 749 pairs and one single feature, so
  // M = 750 frequencies in blocks of 256, 256 and 238; the single feature's
  // projection is overwritten in place.
  arma::mat X = ball_points(50, 80, 12);
  deepdot::normalize_columns(X);
  X.cols(40, 79) *= 0.6;
  const auto map = make_feature_map("fourier:orf", make_kernel("recursive:2"), 50, 1500, 13);
  const arma::mat Z = map->transform(X);
  const arma::fmat Zf = map->transform(arma::conv_to<arma::fmat>::from(X));
  CHECK(arma::abs(Z - arma::conv_to<arma::mat>::from(Zf)).max() <= 1e-5 * arma::abs(Z).max());
  // One point (GEMV) gives its column of the batch to float rounding.
  const arma::fmat z7 = map->transform(arma::conv_to<arma::fmat>::from(X.col(7)));
  CHECK(arma::abs(z7 - Zf.col(7)).max() <= 1e-5f * arma::abs(Zf.col(7)).max());
  // d = 3 (Armadillo's own kernels for the small shapes).
  const arma::mat Xs = ball_points(3, 3, 14);
  const auto small = make_feature_map("fourier", make_kernel("recursive:1"), 3, 6, 15);
  const arma::mat Zs = small->transform(Xs);
  CHECK(arma::abs(Zs - arma::conv_to<arma::mat>::from(small->transform(arma::conv_to<arma::fmat>::from(Xs)))).max() <=
        1e-5 * arma::abs(Zs).max());
}

TEST_CASE("fourier: the branch-free sin, cos and exp match the std functions") {
  double worst_trig = 0.0, worst_exp = 0.0;
  for (int i = -20000; i <= 20000; ++i) {
    const double x = 0.5 * i + 0.123;  // |x| up to 1e4
    double s, c;
    deepdot::detail::fast_sincos(x, s, c);
    worst_trig = std::max({worst_trig, std::abs(s - std::sin(x)), std::abs(c - std::cos(x))});
    const double t = std::abs(x) * 0.035;  // 0 .. 350
    worst_exp = std::max(worst_exp, std::abs(deepdot::detail::fast_exp_neg(t) / std::exp(-t) - 1.0));
  }
  CHECK(worst_trig < 2e-9);
  CHECK(worst_exp < 1e-13);
  CHECK(deepdot::detail::fast_exp_neg(0.0) == 1.0);
  CHECK(deepdot::detail::fast_exp_neg(700.0) == doctest::Approx(std::exp(-700.0)).epsilon(1e-12));
}

TEST_CASE("fourier: the single-precision sin and cos are within 1e-6 of the std functions on their range") {
  double worst = 0.0;
  for (int i = -200000; i <= 200000; ++i) {
    const float x = 0.005f * static_cast<float>(i) + 0.0123f;  // |x| up to the limit, 1000
    float s, c;
    deepdot::detail::fast_sincosf(x, s, c);
    const double xd = x;  // the float argument itself, exactly
    worst = std::max({worst, std::abs(s - std::sin(xd)), std::abs(c - std::cos(xd))});
  }
  MESSAGE("worst absolute error ", worst);
  CHECK(worst < 1e-6);
}

TEST_CASE("fourier: bad parameters are rejected with clear messages") {
  CHECK(error_of("fourier", "poly:3").find("recursive kernel of depth k >= 1") != std::string::npos);
  CHECK(error_of("fourier", "poly:3").find("maclaurin") != std::string::npos);
  CHECK(error_of("fourier", "recursive:0").find("'recursive:0'") != std::string::npos);
  CHECK(error_of("fourier", "gaussian:1").find("make_feature_map()") == 0);
  CHECK(error_of("fourier:foo", "recursive:1").find("unknown option 'foo'") != std::string::npos);
  CHECK(error_of("fourier:orf,iid", "recursive:1").find("conflicts") != std::string::npos);
  CHECK(error_of("fourier:pair,phase", "recursive:1").find("conflicts") != std::string::npos);
  CHECK(error_of("fourier:orf,", "recursive:1").find("empty option") != std::string::npos);
  CHECK(error_of("fourier:", "recursive:1").empty());
  CHECK(error_of("fourier", "recursive:2", 1).find("D >= 2") != std::string::npos);
  CHECK(error_of("fourier", "recursive:1", 1).empty());
  const auto map = make_feature_map("fourier", make_kernel("recursive:1"), 5, 8, 1);
  CHECK_THROWS_AS(map->transform(arma::mat(4, 3, arma::fill::zeros)), std::invalid_argument);
  CHECK_THROWS_AS(map->transform(arma::mat(5, 3, arma::fill::ones)), std::invalid_argument);  // norm > 1
}

TEST_CASE("fourier: Fashion-MNIST target (docs/feature-maps.md), if the data is installed") {
  deepdot::LabelledImages data;
  try {
    data = deepdot::load_fashion_mnist("train", 2000);
  } catch (const std::invalid_argument& e) {
    MESSAGE("Fashion-MNIST not available, skipping: ", e.what());
    return;
  }
  arma::mat X = data.images;
  deepdot::normalize_columns(X);
  for (const char* kspec : {"recursive:1", "recursive:2", "recursive:4"}) {
    const auto kernel = make_kernel(kspec);
    const auto map = make_feature_map("fourier", kernel, 784, 4096, 1);
    // Frobenius only (approximation_error() would add two 2000 x 2000
    // eigen-decompositions for the spectral norms).
    const arma::mat K = deepdot::gram(kernel, X);
    const arma::mat Z = map->transform(X);
    const double e = arma::norm(K - Z.t() * Z, "fro") / arma::norm(K - kernel.coefficients(1)[0], "fro");
    MESSAGE(std::string(kspec), " relative Frobenius error of the non-constant part ", e);
    CHECK(e <= 0.06);
  }
}
