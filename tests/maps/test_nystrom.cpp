// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include <deepdot/maps/approximation.hpp>
#include <deepdot/kernels/gram.hpp>
#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include "support/map_test_support.hpp"

#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>

using deepdot::make_feature_map;
using deepdot::make_kernel;
using map_test::ball_points;
using map_test::loaded;
using map_test::saved;

TEST_CASE("nystrom: exact on the sample when the landmarks are the whole sample") {
  const arma::mat X = ball_points(8, 60, 1, 0.5);
  for (const char* kspec : {"recursive:1", "recursive:4", "gaussian:1", "arccos:1"}) {
    INFO(std::string(kspec));
    const auto kernel = make_kernel(kspec);
    auto map = make_feature_map("nystrom", kernel, 8, 60, 3);
    map->fit(X);
    const auto e = deepdot::approximation_error(kernel, *map, X);
    CHECK(e.relative_frobenius < 1e-8);
    CHECK(e.max_abs_error < 1e-8);
  }
}

TEST_CASE("nystrom: exact everywhere for a finite-rank kernel once the landmarks span its features") {
  // poly:2 on d = 3 has a 10-dimensional feature space: 25 landmarks span it,
  // K_mm has rank 10 and the pseudo-inverse cut removes the 15 null directions.
  const auto kernel = make_kernel("poly:2:1");
  auto map = make_feature_map("nystrom", kernel, 3, 25, 7);
  map->fit(ball_points(3, 100, 2, 0.5));
  const arma::mat Y = ball_points(3, 40, 3, 0.5);  // new points, not in the sample
  const auto e = deepdot::approximation_error(kernel, *map, Y);
  CHECK(e.relative_frobenius < 1e-7);
  // The cut leaves exactly the 10 directions of the feature space.
  const arma::vec sv = arma::svd(map->transform(Y));
  CHECK(arma::accu(sv > 1e-6 * sv.max()) == 10);
}

TEST_CASE("nystrom: the error falls with D on held-out points") {
  const arma::mat X = ball_points(10, 600, 4, 0.5), Y = ball_points(10, 200, 5, 0.5);
  const auto kernel = make_kernel("recursive:2");
  double previous = 1e9;
  for (arma::uword D : {16u, 64u, 256u}) {
    auto map = make_feature_map("nystrom", kernel, 10, D, 1);
    map->fit(X);
    const double e = deepdot::approximation_error(kernel, *map, Y).relative_frobenius_nonconstant;
    MESSAGE("D = ", D, ": held-out nonconstant error ", e);
    CHECK(e < 0.7 * previous);
    previous = e;
  }
}

TEST_CASE("nystrom: fitting is required, validated and deterministic") {
  const auto kernel = make_kernel("recursive:1");
  const arma::mat X = ball_points(5, 50, 6, 0.5);
  auto map = make_feature_map("nystrom", kernel, 5, 20, 9);
  CHECK_FALSE(map->is_fitted());
  CHECK_THROWS_AS(map->transform(X), std::logic_error);
  CHECK_THROWS_WITH_AS(map->fit(X.cols(0, 18)), doctest::Contains("at least D points"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(map->fit(ball_points(4, 50, 6, 0.5)), doctest::Contains("d = 5"), std::invalid_argument);
  CHECK_THROWS_AS(map->fit(2.0 * X), std::invalid_argument);  // outside the unit ball
  CHECK_FALSE(map->is_fitted());
  map->fit(X);
  CHECK(map->is_fitted());
  const arma::mat Z = map->transform(X);
  CHECK(Z.n_rows == 20);
  CHECK(Z.n_cols == 50);

  auto same = make_feature_map("nystrom", kernel, 5, 20, 9);
  same->fit(X);
  CHECK(arma::approx_equal(same->transform(X), Z, "absdiff", 0.0));
  auto other = make_feature_map("nystrom", kernel, 5, 20, 10);
  other->fit(X);
  CHECK(arma::abs(other->transform(X) - Z).max() > 1e-3);

  // Float input goes through double and agrees.
  const arma::mat Zf = arma::conv_to<arma::mat>::from(map->transform(arma::conv_to<arma::fmat>::from(X)));
  CHECK(arma::abs(Zf - Z).max() < 1e-4);
}

TEST_CASE("nystrom: save/load bit-exact, fitted or not; corrupt state rejected") {
  const auto kernel = make_kernel("gaussian:0.7");
  const arma::mat X = ball_points(4, 30, 8, 0.5);
  auto map = make_feature_map("nystrom:1e-8", kernel, 4, 12, 2);
  CHECK(map->spec() == "nystrom:1e-08");

  const auto unfitted = loaded(saved(*map));
  CHECK_FALSE(unfitted->is_fitted());
  CHECK(unfitted->spec() == map->spec());

  map->fit(X);
  const std::string bytes = saved(*map);
  const auto back = loaded(bytes);
  CHECK(back->is_fitted());
  const arma::mat Z = map->transform(X), Zb = back->transform(X);
  CHECK(std::memcmp(Z.memptr(), Zb.memptr(), Z.n_elem * sizeof(double)) == 0);
  CHECK(saved(*back) == bytes);

  for (std::size_t cut : {bytes.size() - 1, bytes.size() - 100, bytes.size() / 2}) {
    CHECK_THROWS_AS(loaded(bytes.substr(0, cut)), std::invalid_argument);
  }
  // The whitening matrix is the last D x D doubles: make one NaN.
  std::string bad = bytes;
  const double nan = std::nan("");
  std::memcpy(&bad[bad.size() - 8], &nan, 8);
  CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("whitening matrix has a non-finite"), std::invalid_argument);
  // A landmark pushed outside the unit ball (first landmark entry, right
  // after the fitted flag and the 16-byte shape).
  bad = bytes;
  const std::size_t landmarks = bytes.size() - (16 + 8 * 12 * 12) - (16 + 8 * 4 * 12);
  const double big = 5.0;
  std::memcpy(&bad[landmarks + 16], &big, 8);
  CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("outside the unit ball"), std::invalid_argument);
  bad = bytes;
  bad[landmarks - 1] = 7;  // the fitted flag
  CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("fitted flag"), std::invalid_argument);
}

TEST_CASE("nystrom: the Cholesky whitening gives the eigen whitening's kernel, up to a rotation") {
  const auto kernel = make_kernel("recursive:2");
  const arma::mat X = ball_points(10, 300, 11, 0.5), Y = ball_points(10, 80, 12, 0.5);
  auto eig = make_feature_map("nystrom:eig", kernel, 10, 100, 4);
  auto chol = make_feature_map("nystrom:chol", kernel, 10, 100, 4);
  CHECK(eig->spec() == "nystrom:eig");
  CHECK(chol->spec() == "nystrom:chol");
  eig->fit(X);
  chol->fit(X);
  const arma::mat Ze = eig->transform(Y), Zc = chol->transform(Y);
  // Same landmarks, so the same projected kernel Z'Z; the features themselves differ.
  CHECK(arma::abs(Zc.t() * Zc - Ze.t() * Ze).max() < 1e-6);
  CHECK(arma::abs(Zc - Ze).max() > 1e-2);
  // The ridge eps = rcond trace(K) stays far below the kernel's own scale.
  const double e = deepdot::approximation_error(kernel, *chol, Y).relative_frobenius;
  CHECK(e == doctest::Approx(deepdot::approximation_error(kernel, *eig, Y).relative_frobenius).epsilon(1e-4));

  // The Cholesky path transforms in single precision (STRMM) and agrees with double.
  const arma::fmat Zf = chol->transform(arma::conv_to<arma::fmat>::from(Y));
  CHECK(arma::norm(arma::conv_to<arma::mat>::from(Zf) - Zc, "fro") < 1e-4 * arma::norm(Zc, "fro"));

  // Bit-exact round trip of the triangular state, in double and in float.
  const auto back = loaded(saved(*chol));
  CHECK(back->spec() == "nystrom:chol");
  const arma::mat Zb = back->transform(Y);
  CHECK(std::memcmp(Zb.memptr(), Zc.memptr(), Zc.n_elem * sizeof(double)) == 0);
  const arma::fmat Zfb = back->transform(arma::conv_to<arma::fmat>::from(Y));
  CHECK(std::memcmp(Zfb.memptr(), Zf.memptr(), Zf.n_elem * sizeof(float)) == 0);

  // The factor is stored as its packed lower triangle, after the landmarks
  // (16-byte shape + 10 x 100 doubles) and its order D (8 bytes): 5,050
  // doubles, column j starting with its diagonal entry.
  const std::string bytes = saved(*chol);
  const std::size_t packed = bytes.size() - 8 * 5050, order = packed - 8, landmarks = order - (16 + 8 * 10 * 100);
  const std::size_t flag = landmarks - 1;
  REQUIRE(bytes[flag] == 3);
  std::string bad = bytes;
  const double minus = -1.0;
  std::memcpy(&bad[packed + 8 * 100], &minus, 8);  // entry (1, 1): column 1 starts after the 100 of column 0
  CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("positive diagonal"), std::invalid_argument);
  bad = bytes;
  bad[order] = 99;  // the stored order must be D
  CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("the order of the packed Cholesky factor is 99, expected 100"),
                       std::invalid_argument);
  bad = bytes;
  bad[flag] = 6;
  CHECK_THROWS_WITH_AS(loaded(bad),
                       doctest::Contains("expected 0 (not fitted), 1 (eigen), 2 (Cholesky), 3 (Cholesky, packed), 4 "
                                         "(sparse landmarks, eigen) or 5"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(loaded(bytes.substr(0, bytes.size() - 8)), doctest::Contains("packed Cholesky factor"),
                       std::invalid_argument);

  // Files written before the packing (flag 2, the full square) still load, to the same features.
  arma::mat full(100, 100, arma::fill::zeros);
  for (arma::uword j = 0, at = packed; j < 100; at += 8 * (100 - j), ++j)
    std::memcpy(full.colptr(j) + j, &bytes[at], 8 * (100 - j));
  auto legacy = [&](const arma::mat& F) {
    std::string out = bytes.substr(0, order);  // everything up to the landmarks' end
    out[flag] = 2;
    const std::uint64_t shape[2] = {100, 100};
    out.append(reinterpret_cast<const char*>(shape), 16);
    out.append(reinterpret_cast<const char*>(F.memptr()), 8 * F.n_elem);
    return out;
  };
  const auto old = loaded(legacy(full));
  CHECK(arma::approx_equal(old->transform(Y), Zc, "absdiff", 0.0));
  CHECK(saved(*old) == bytes);  // and it is written back packed
  arma::mat upper = full;
  upper(0, 1) = 1.0;
  CHECK_THROWS_WITH_AS(loaded(legacy(upper)), doctest::Contains("not lower triangular"), std::invalid_argument);
}

TEST_CASE("nystrom: the Cholesky map's linear tail folds into the weights") {
  const auto kernel = make_kernel("recursive:3");
  const arma::mat X = ball_points(12, 400, 21, 0.5), Y = ball_points(12, 90, 22, 0.5);
  auto chol = make_feature_map("nystrom:chol", kernel, 12, 150, 5);
  CHECK_FALSE(chol->has_linear_tail());  // not fitted yet
  chol->fit(X);
  REQUIRE(chol->has_linear_tail());
  deepdot::Rng rng(9, 0);
  arma::mat W(150, 4);
  for (double& w : W) w = rng.normal();
  // W' phi(Y) = (L^-T W)' K(L, Y): in double to rounding, in float to the float transform's accuracy.
  const arma::mat direct = W.t() * chol->transform(Y);
  const arma::mat V = chol->fold_weights(W);
  // The raw features are kernel values K(l, y) between the landmarks (points of X) and Y.
  const arma::mat R = chol->transform_raw(Y), KXY = deepdot::gram(kernel, X, Y);
  REQUIRE(R.n_rows == 150);
  REQUIRE(R.n_cols == Y.n_cols);
  arma::uword matched = 0;
  for (arma::uword r = 0; r < R.n_rows; ++r)
    for (arma::uword i = 0; i < KXY.n_rows; ++i)
      if (arma::abs(KXY.row(i) - R.row(r)).max() < 1e-12) {
        ++matched;
        break;
      }
  CHECK(matched == 150);
  const arma::mat folded = V.t() * R;
  CHECK(arma::norm(folded - direct, "fro") < 1e-9 * arma::norm(direct, "fro"));
  const arma::fmat Yf = arma::conv_to<arma::fmat>::from(Y);
  const arma::mat direct_f = W.t() * arma::conv_to<arma::mat>::from(chol->transform(Yf));
  const arma::mat folded_f = V.t() * arma::conv_to<arma::mat>::from(chol->transform_raw(Yf));
  CHECK(arma::norm(folded_f - direct, "fro") < 1e-4 * arma::norm(direct, "fro"));
  CHECK(arma::norm(direct_f - direct, "fro") < 1e-4 * arma::norm(direct, "fro"));
  CHECK_THROWS_WITH_AS(chol->fold_weights(arma::mat(149, 2)), doctest::Contains("W has 149 rows but the map has D = 150"),
                       std::invalid_argument);

  // The eigen cut and the data-independent maps have no tail.
  auto eig = make_feature_map("nystrom:eig", kernel, 12, 150, 5);
  eig->fit(X);
  auto fourier = make_feature_map("fourier", kernel, 12, 150, 5);
  for (const auto* map : {eig.get(), fourier.get()}) {
    CHECK_FALSE(map->has_linear_tail());
    CHECK_THROWS_WITH_AS(map->transform_raw(Y), doctest::Contains("has no linear tail"), std::logic_error);
    CHECK_THROWS_WITH_AS(map->fold_weights(W), doctest::Contains("FeatureMap::fold_weights()"), std::logic_error);
  }
}

TEST_CASE("nystrom: large D picks the Cholesky whitening by itself") {
  // From 2048 landmarks on, the default spec is bit-identical to
  // "nystrom:chol"; below it, it uses the eigen cut (which rotates the features).
  const auto kernel = make_kernel("recursive:1");
  const arma::mat X = ball_points(6, 2048, 13, 0.5);
  auto map = make_feature_map("nystrom", kernel, 6, 2048, 1);
  map->fit(X);
  const arma::mat Z = map->transform(X.cols(0, 9));
  auto forced = make_feature_map("nystrom:chol", kernel, 6, 2048, 1);
  forced->fit(X);
  CHECK(arma::approx_equal(forced->transform(X.cols(0, 9)), Z, "absdiff", 0.0));
  auto small = make_feature_map("nystrom", kernel, 6, 2047, 1);
  small->fit(X);
  auto small_chol = make_feature_map("nystrom:chol", kernel, 6, 2047, 1);
  small_chol->fit(X);
  CHECK(arma::abs(small->transform(X.cols(0, 9)) - small_chol->transform(X.cols(0, 9))).max() > 1e-3);
}

TEST_CASE("nystrom: bad parameters") {
  const auto kernel = make_kernel("recursive:1");
  for (const char* spec : {"nystrom:abc", "nystrom:1", "nystrom:-0.1", "nystrom:nan", "nystrom:1e-3x", "nystrom:chol:",
                           "nystrom:eig:x", "nystrom:chol:eig", "nystrom:cholesky"}) {
    INFO(std::string(spec));
    CHECK_THROWS_WITH_AS(make_feature_map(spec, kernel, 3, 4, 1), doctest::Contains("make_feature_map()"),
                         std::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(make_feature_map("nystrom:2", kernel, 3, 4, 1), doctest::Contains("[0, 1)"),
                       std::invalid_argument);
  CHECK(make_feature_map("nystrom:0", kernel, 3, 4, 1)->spec() == "nystrom:0");
  CHECK(make_feature_map("nystrom:1e-10", kernel, 3, 4, 1)->spec() == "nystrom");
  CHECK(make_feature_map("nystrom:eig:1e-8", kernel, 3, 4, 1)->spec() == "nystrom:eig:1e-08");
}
