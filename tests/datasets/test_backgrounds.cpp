// SPDX-License-Identifier: MIT
#include <deepdot/datasets/backgrounds.hpp>

#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using deepdot::GreyPhoto;

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// A textured photograph: integer grey levels uniform on [lo, hi].
GreyPhoto photo(const std::string& name, arma::uword h, arma::uword w, int lo, int hi, std::uint64_t seed) {
  deepdot::Rng rng(seed);
  GreyPhoto p{name, arma::mat(h, w)};
  for (auto& v : p.pixels) v = lo + static_cast<double>(rng.below(static_cast<std::uint64_t>(hi - lo + 1)));
  return p;
}

/// The PGM bytes of one photograph with its deepdot-background comment.
std::string pgm(const std::string& split, const GreyPhoto& p) {
  std::string s = "P5\n# deepdot-background " + split + " " + p.name + "\n" + std::to_string(p.pixels.n_cols) +
                  " " + std::to_string(p.pixels.n_rows) + "\n255\n";
  for (arma::uword r = 0; r < p.pixels.n_rows; ++r)
    for (arma::uword c = 0; c < p.pixels.n_cols; ++c) s += static_cast<char>(static_cast<unsigned char>(p.pixels(r, c)));
  return s;
}

/// Whether image j of `out` (784 rows) is exactly a 28 x 28 patch of one of `photos`.
bool is_patch_of(const arma::mat& out, arma::uword j, const std::vector<GreyPhoto>& photos) {
  for (const GreyPhoto& p : photos)
    for (arma::uword r0 = 0; r0 + 28 <= p.pixels.n_rows; ++r0)
      for (arma::uword c0 = 0; c0 + 28 <= p.pixels.n_cols; ++c0) {
        bool same = true;
        for (arma::uword r = 0; r < 28 && same; ++r)
          for (arma::uword c = 0; c < 28 && same; ++c) same = out(r * 28 + c, j) == p.pixels(r0 + r, c0 + c);
        if (same) return true;
      }
  return false;
}

/// Digit-like images: a bright bar (255) with soft edges, at a place that depends on j.
arma::mat digits(arma::uword n) {
  arma::mat X(784, n, arma::fill::zeros);
  for (arma::uword j = 0; j < n; ++j)
    for (arma::uword r = 5; r < 23; ++r) {
      const arma::uword c = 8 + j % 10;
      X(r * 28 + c, j) = 255.0;
      X(r * 28 + c + 1, j) = 120.0;
      X(r * 28 + c + 2, j) = 30.0;
    }
  return X;
}

}  // namespace

TEST_CASE("parse_background_photos: reads the splits, the names and the pixels") {
  const GreyPhoto a = photo("a.png", 30, 40, 0, 255, 1), b = photo("b.png", 28, 28, 0, 255, 2),
                  c = photo("c.jpg", 50, 29, 0, 255, 3);
  const deepdot::BackgroundPhotos set =
      deepdot::parse_background_photos(pgm("train", a) + pgm("test", b) + "\n" + pgm("train", c), "mem.pgm");
  REQUIRE(set.train.size() == 2);
  REQUIRE(set.test.size() == 1);
  CHECK(set.train[0].name == "a.png");
  CHECK(set.train[1].name == "c.jpg");
  CHECK(set.test[0].name == "b.png");
  CHECK(arma::approx_equal(set.train[0].pixels, a.pixels, "absdiff", 0.0));
  CHECK(arma::approx_equal(set.train[1].pixels, c.pixels, "absdiff", 0.0));
  CHECK(arma::approx_equal(set.test[0].pixels, b.pixels, "absdiff", 0.0));
}

TEST_CASE("parse_background_photos: each broken rule is named with the file and the image") {
  const GreyPhoto a = photo("a.png", 30, 30, 0, 255, 1);
  const std::string good = pgm("train", a) + pgm("test", a);
  std::string msg = deepdot::parse_background_photos(good, "x").train.size() == 1 ? "" : "bad";
  CHECK(msg.empty());
  msg = message_of([&] { deepdot::parse_background_photos("P6\n" + good.substr(3), "f.pgm"); });
  CHECK(contains(msg, "parse_background_photos()"));
  CHECK(contains(msg, "f.pgm"));
  CHECK(contains(msg, "image 0"));
  CHECK(contains(msg, "P5"));
  msg = message_of([&] { deepdot::parse_background_photos("P5\n30 30\n255\n" + std::string(900, 'x'), "f.pgm"); });
  CHECK(contains(msg, "# deepdot-background"));
  std::string s = good;
  s.replace(s.find("train"), 5, "valid");
  msg = message_of([&] { deepdot::parse_background_photos(s, "f.pgm"); });
  CHECK(contains(msg, "'valid'"));
  s = good;
  s.replace(s.find("255\n"), 4, "65535\n");
  msg = message_of([&] { deepdot::parse_background_photos(s, "f.pgm"); });
  CHECK(contains(msg, "maxval must be 255"));
  msg = message_of([&] { deepdot::parse_background_photos(good.substr(0, good.size() - 10), "f.pgm"); });
  CHECK(contains(msg, "image 1"));
  CHECK(contains(msg, "truncated"));
  msg = message_of([&] { deepdot::parse_background_photos(pgm("train", photo("t", 20, 40, 0, 255, 1)) + pgm("test", a), "f.pgm"); });
  CHECK(contains(msg, "at least 28 x 28"));
  msg = message_of([&] { deepdot::parse_background_photos(pgm("train", a) + pgm("train", a), "f.pgm"); });
  CHECK(contains(msg, "0 test"));
  msg = message_of([&] { deepdot::load_background_photos("/nonexistent/backgrounds.pgm"); });
  CHECK(contains(msg, "/nonexistent/backgrounds.pgm"));
  CHECK(contains(msg, "scripts/get-backgrounds.sh"));
}

TEST_CASE("natural_image_background: deterministic given the seed, one image's patch independent of the others") {
  const std::vector<GreyPhoto> photos = {photo("a", 60, 70, 0, 255, 1), photo("b", 40, 90, 0, 255, 2)};
  const arma::mat X = digits(20);
  const arma::mat A = deepdot::natural_image_background(X, photos, 7), B = deepdot::natural_image_background(X, photos, 7);
  CHECK(arma::approx_equal(A, B, "absdiff", 0.0));
  const arma::mat C = deepdot::natural_image_background(X, photos, 8);
  CHECK(arma::accu(arma::abs(A - C)) > 0.1 * arma::accu(arma::abs(A)));
  CHECK(arma::approx_equal(deepdot::natural_image_background(X.cols(0, 4), photos, 7), A.cols(0, 4), "absdiff", 0.0));
}

TEST_CASE("natural_image_background: the pixel-wise maximum of the digit and a patch of the given photographs") {
  const std::vector<GreyPhoto> train = {photo("a", 40, 50, 0, 200, 1), photo("b", 35, 45, 0, 200, 2)};
  const std::vector<GreyPhoto> test = {photo("c", 40, 50, 0, 200, 3)};
  const arma::uword n = 30;
  const arma::mat blank(784, n, arma::fill::zeros), X = digits(n);
  const arma::mat P = deepdot::natural_image_background(blank, train, 5);
  const arma::mat D = deepdot::natural_image_background(X, train, 5);
  for (arma::uword j = 0; j < n; ++j) {
    CAPTURE(j);
    CHECK(is_patch_of(P, j, train));
    CHECK_FALSE(is_patch_of(P, j, test));
  }
  // Patches do not depend on the digits: the digit images get the same patches, combined by max.
  CHECK(arma::approx_equal(D, arma::max(X, P), "absdiff", 0.0));
  // So the strokes' bright cores (255) are kept and the background pixels are the patch's.
  CHECK(arma::approx_equal(arma::mat(D % (X == 255.0)), arma::mat(X % (X == 255.0)), "absdiff", 0.0));
  CHECK(arma::approx_equal(arma::mat(D % (X == 0.0)), arma::mat(P % (X == 0.0)), "absdiff", 0.0));
  // On the 0..1 scale the patch is rescaled too.
  const arma::mat D1 = deepdot::natural_image_background(X / 255.0, train, 5, deepdot::kMinPatchSd, 1.0);
  CHECK(arma::approx_equal(D1, D / 255.0, "absdiff", 1e-12));
}

TEST_CASE("natural_image_background: the patches have the statistics of the photographs") {
  // A photograph whose top half is textured and bottom half flat (grey 90), and a uniform one.
  GreyPhoto half = photo("half", 80, 60, 100, 250, 11);
  half.pixels.rows(40, 79).fill(90.0);
  const std::vector<GreyPhoto> photos = {half, photo("u", 50, 50, 0, 100, 12)};
  const arma::uword n = 3000;
  const arma::mat blank(784, n, arma::fill::zeros);
  // Without the texture filter: the mean and variance of the pixels match those of all patch positions.
  double expect_mean = 0.0, expect_sq = 0.0, patch_mean_var = 0.0;
  for (const GreyPhoto& p : photos) {
    const arma::uword rows = p.pixels.n_rows - 27, cols = p.pixels.n_cols - 27;
    arma::vec means(rows * cols);
    double sq = 0.0;
    for (arma::uword r0 = 0; r0 < rows; ++r0)
      for (arma::uword c0 = 0; c0 < cols; ++c0) {
        const arma::mat patch = p.pixels.submat(r0, c0, r0 + 27, c0 + 27);
        means[r0 * cols + c0] = arma::mean(arma::vectorise(patch));
        sq += arma::mean(arma::vectorise(arma::square(patch)));
      }
    expect_mean += 0.5 * arma::mean(means);
    expect_sq += 0.5 * sq / static_cast<double>(means.n_elem);
    patch_mean_var += 0.5 * (arma::var(means, 1) + std::pow(arma::mean(means), 2));
  }
  patch_mean_var -= expect_mean * expect_mean;  // the variance of one image's mean across draws
  const arma::mat P0 = deepdot::natural_image_background(blank, photos, 3, 0.0);
  const double mean = arma::mean(arma::vectorise(P0));
  const double var = arma::mean(arma::vectorise(arma::square(P0))) - mean * mean;
  const double expect_var = expect_sq - expect_mean * expect_mean;
  CHECK(std::abs(mean - expect_mean) < 4.0 * std::sqrt(patch_mean_var / static_cast<double>(n)));
  CHECK(var == doctest::Approx(expect_var).epsilon(0.05));
  // With the filter, no patch is flat: the flat half of "half" never shows up on its own.
  const arma::mat P = deepdot::natural_image_background(blank, photos, 3, 20.0);
  arma::uword from_flat_only = 0;
  for (arma::uword j = 0; j < n; ++j) {
    CHECK(arma::stddev(P.col(j), 1) >= 20.0);
    from_flat_only += arma::all(P.col(j) == 90.0) ? 1 : 0;
  }
  CHECK(from_flat_only == 0);
  // Without it, about a quarter of the patches are all 90: half of the draws are on "half",
  // whose positions are flat for 13 of its 53 rows of patch positions.
  arma::uword flat = 0;
  for (arma::uword j = 0; j < n; ++j) flat += arma::all(P0.col(j) == 90.0) ? 1 : 0;
  const double p_flat = 0.5 * 13.0 / 53.0;
  CHECK(std::abs(static_cast<double>(flat) / n - p_flat) < 4.0 * std::sqrt(p_flat * (1 - p_flat) / n));
}

TEST_CASE("make_variation with photographs: natural backgrounds after the same rotation as \"rotation\"") {
  const std::vector<GreyPhoto> photos = {photo("a", 60, 70, 0, 255, 1)};
  const arma::uword n = 12;
  const arma::mat X = digits(n), blank(784, n, arma::fill::zeros);
  const arma::mat P = deepdot::make_variation("background", blank, 9, photos);  // the patches alone
  const arma::mat B = deepdot::make_variation("background", X, 9, photos);
  const arma::mat RB = deepdot::make_variation("rotation+background", X, 9, photos);
  const arma::mat R = deepdot::make_variation("rotation", X, 9);
  CHECK(arma::approx_equal(B, arma::max(X, P), "absdiff", 0.0));
  CHECK(arma::approx_equal(RB, arma::max(R, P), "absdiff", 0.0));
  CHECK(arma::approx_equal(deepdot::make_variation("rotation", X, 9, photos), R, "absdiff", 0.0));
  CHECK(arma::approx_equal(deepdot::make_variation("noise", X, 9, photos), deepdot::make_variation("noise", X, 9),
                           "absdiff", 0.0));
  const std::string msg = message_of([&] { deepdot::make_variation("background", X, 9, std::vector<GreyPhoto>{}); });
  CHECK(contains(msg, "no photographs"));
  const std::string small = message_of([&] { deepdot::make_variation("background", X, 9, {photo("s", 20, 90, 0, 255, 1)}); });
  CHECK(contains(small, "'s'"));
  CHECK(contains(small, "smaller"));
  const std::string flat = message_of([&] { deepdot::natural_image_background(X, {photo("f", 40, 40, 7, 7, 1)}, 1); });
  CHECK(contains(flat, "too flat"));
}
