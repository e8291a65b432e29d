// SPDX-License-Identifier: MIT
#include <deepdot/datasets/image.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

namespace {

using deepdot::ImageMoments;
using deepdot::ImageShape;

constexpr double kPi = 3.14159265358979323846;

/// A Gaussian blob (a stand-in for a pen stroke) of peak `amp` at (r0, c0),
/// standard deviations sr (rows) and sc (columns); values below 1% of the peak
/// are set to 0 so that the image has a true zero background.
arma::vec blob(ImageShape s, double r0, double c0, double sr, double sc, double amp = 255.0) {
  arma::vec img(s.pixels(), arma::fill::zeros);
  for (arma::uword r = 0; r < s.height; ++r)
    for (arma::uword c = 0; c < s.width; ++c) {
      const double dr = (double(r) - r0) / sr, dc = (double(c) - c0) / sc;
      const double v = amp * std::exp(-0.5 * (dr * dr + dc * dc));
      img[r * s.width + c] = v >= 0.01 * amp ? v : 0.0;
    }
  return img;
}

/// A digit-like test set: upright strokes at various places.
arma::mat strokes(arma::uword n, ImageShape s = {}) {
  arma::mat X(s.pixels(), n);
  for (arma::uword j = 0; j < n; ++j)
    X.col(j) = blob(s, 11.0 + double(j % 5), 12.0 + double(j % 3), 4.0 + 0.2 * double(j % 4), 1.5);
  return X;
}

double rel_diff(const arma::mat& A, const arma::mat& B) { return arma::norm(A - B, "fro") / arma::norm(B, "fro"); }

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("image_moments: centre, variances and covariance of known images") {
  const ImageShape s;
  arma::mat X(784, 2, arma::fill::zeros);
  X(3 * 28 + 4, 0) = 2.0;  // pixel (row 3, col 4)
  X(5 * 28 + 8, 0) = 2.0;  // pixel (row 5, col 8)
  const ImageMoments m = deepdot::image_moments(X, 0, s);
  CHECK(m.mass == doctest::Approx(4.0));
  CHECK(m.row == doctest::Approx(4.0));
  CHECK(m.col == doctest::Approx(6.0));
  CHECK(m.var_row == doctest::Approx(1.0));
  CHECK(m.var_col == doctest::Approx(4.0));
  CHECK(m.cov == doctest::Approx(2.0));
  const ImageMoments z = deepdot::image_moments(X, 1, s);  // empty image
  CHECK(z.mass == 0.0);
  CHECK(z.row == 13.5);
  CHECK(z.col == 13.5);
  CHECK_THROWS_AS(deepdot::image_moments(X, 2, s), std::invalid_argument);
}

TEST_CASE("rotate: pi/2 maps a known pixel pattern (row-major layout, counter-clockwise)") {
  const ImageShape s;
  arma::mat X(784, 1, arma::fill::zeros);
  X(0 * 28 + 0, 0) = 10.0;   // top-left corner
  X(2 * 28 + 5, 0) = 20.0;   // (row 2, col 5)
  X(13 * 28 + 27, 0) = 30.0; // right edge
  const arma::mat Y = deepdot::rotate(X, arma::vec{kPi / 2}, s);
  // Counter-clockwise as displayed: (r, c) -> (27 - c, r); top-left goes to bottom-left.
  CHECK(Y(27 * 28 + 0, 0) == doctest::Approx(10.0).epsilon(1e-9));
  CHECK(Y((27 - 5) * 28 + 2, 0) == doctest::Approx(20.0).epsilon(1e-9));
  CHECK(Y(0 * 28 + 13, 0) == doctest::Approx(30.0).epsilon(1e-9));
  CHECK(arma::accu(Y) == doctest::Approx(60.0).epsilon(1e-9));
}

TEST_CASE("rotate: 2 pi is the identity, pi twice is the identity, theta then -theta nearly so") {
  const ImageShape s;
  arma::mat X = strokes(6);
  X.col(5) = blob(s, 7.0, 19.0, 2.0, 3.0);  // off centre
  const arma::vec zero(6, arma::fill::zeros);
  CHECK(rel_diff(deepdot::rotate(X, zero + 2 * kPi, s), X) < 1e-9);
  CHECK(rel_diff(deepdot::rotate(X, zero, s), X) == 0.0);
  const arma::mat once = deepdot::rotate(X, zero + kPi, s);
  CHECK(rel_diff(once, X) > 0.5);  // it did move
  CHECK(rel_diff(deepdot::rotate(once, zero + kPi, s), X) < 1e-9);
  // A generic angle interpolates, so going back loses a little sharpness only.
  const arma::mat back = deepdot::rotate(deepdot::rotate(X, zero + 0.7, s), zero - 0.7, s);
  CHECK(rel_diff(back, X) < 0.1);
}

TEST_CASE("rotate: the centre of mass turns about the image centre, mass is preserved") {
  const ImageShape s;
  arma::mat X(784, 1);
  X.col(0) = blob(s, 8.0, 18.0, 2.0, 2.0);
  const double theta = 1.1;
  const arma::mat Y = deepdot::rotate(X, arma::vec{theta}, s);
  const ImageMoments a = deepdot::image_moments(X, 0, s), b = deepdot::image_moments(Y, 0, s);
  CHECK(b.mass == doctest::Approx(a.mass).epsilon(0.01));
  // Counter-clockwise as displayed: in (x = col, y = up) coordinates.
  const double x = a.col - 13.5, y = 13.5 - a.row;
  const double xr = std::cos(theta) * x - std::sin(theta) * y, yr = std::sin(theta) * x + std::cos(theta) * y;
  CHECK(b.col - 13.5 == doctest::Approx(xr).epsilon(0.02));
  CHECK(13.5 - b.row == doctest::Approx(yr).epsilon(0.02));
}

TEST_CASE("shear and deskew: a known skew is removed, the centre of mass ends at the centre") {
  const ImageShape s;
  const arma::mat X = strokes(10);
  for (const double alpha : {-0.5, -0.2, 0.3, 0.6}) {
    CAPTURE(alpha);
    const arma::mat S = deepdot::shear(X, alpha, s);
    const arma::mat D = deepdot::deskew(S, s);
    for (arma::uword j = 0; j < X.n_cols; ++j) {
      CAPTURE(j);
      const ImageMoments before = deepdot::image_moments(S, j, s);
      const ImageMoments orig = deepdot::image_moments(X, j, s);
      const ImageMoments after = deepdot::image_moments(D, j, s);
      // The shear gives cov / var_row = alpha (the stroke was upright).
      CHECK(before.cov / before.var_row == doctest::Approx(alpha).epsilon(0.02));
      CHECK(std::abs(after.cov / after.var_row) < 0.01);
      CHECK(after.row == doctest::Approx(13.5).epsilon(0.005));
      CHECK(after.col == doctest::Approx(13.5).epsilon(0.005));
      CHECK(after.mass == doctest::Approx(orig.mass).epsilon(0.01));
    }
  }
}

TEST_CASE("deskew: an upright centred image is (nearly) unchanged; zero images stay zero") {
  const ImageShape s;
  arma::mat X(784, 2, arma::fill::zeros);
  X.col(0) = blob(s, 13.5, 13.5, 5.0, 1.5);
  const arma::mat D = deepdot::deskew(X, s);
  CHECK(rel_diff(D.col(0), X.col(0)) < 1e-9);
  CHECK(arma::all(D.col(1) == 0.0));
}

TEST_CASE("centre: the centre of mass moves to the centre, mass and shape are kept") {
  const ImageShape s;
  arma::mat X(784, 2);
  X.col(0) = blob(s, 6.0, 20.0, 2.5, 1.5);
  X.col(1) = blob(s, 21.3, 5.6, 2.0, 2.0);
  const arma::mat C = deepdot::centre(X, s);
  for (arma::uword j = 0; j < 2; ++j) {
    const ImageMoments a = deepdot::image_moments(X, j, s), b = deepdot::image_moments(C, j, s);
    CHECK(b.row == doctest::Approx(13.5).epsilon(0.005));
    CHECK(b.col == doctest::Approx(13.5).epsilon(0.005));
    CHECK(b.mass == doctest::Approx(a.mass).epsilon(1e-9));  // translation: bilinear weights sum to 1
    CHECK(b.var_row == doctest::Approx(a.var_row).epsilon(0.1));
  }
}

TEST_CASE("image operations work on other shapes (h x w with h != w)") {
  const ImageShape s{12, 20};
  arma::mat X(240, 1);
  X.col(0) = blob(s, 5.0, 7.0, 1.8, 1.5);
  const arma::mat C = deepdot::deskew(deepdot::shear(X, 0.4, s), s);
  const ImageMoments m = deepdot::image_moments(C, 0, s);
  CHECK(m.row == doctest::Approx(5.5).epsilon(0.01));
  CHECK(m.col == doctest::Approx(9.5).epsilon(0.01));
  // A short stroke moved by half a pixel keeps a little skew from the bilinear
  // resampling (about 0.03 of the original 0.4, the same at 28 x 28).
  CHECK(std::abs(m.cov / m.var_row) < 0.04);
  CHECK(rel_diff(deepdot::rotate(deepdot::rotate(X, arma::vec{kPi}, s), arma::vec{kPi}, s), X) < 1e-9);
  CHECK_THROWS_AS(deepdot::deskew(X), std::invalid_argument);  // default 28 x 28 does not match
}

TEST_CASE("random_angles: uniform on [0, 2 pi) (mean and Kolmogorov-Smirnov bound)") {
  const arma::uword n = 20000;
  const arma::vec a = deepdot::random_angles(n, 7);
  REQUIRE(a.n_elem == n);
  CHECK(a.min() >= 0.0);
  CHECK(a.max() < 2 * kPi);
  // Standard error of the mean: 2 pi / sqrt(12 n) = 0.0128.
  CHECK(std::abs(arma::mean(a) - kPi) < 0.05);
  const arma::vec sorted = arma::sort(a / (2 * kPi));
  double ks = 0.0;
  for (arma::uword i = 0; i < n; ++i)
    ks = std::max({ks, double(i + 1) / double(n) - sorted[i], sorted[i] - double(i) / double(n)});
  CHECK(ks < 1.63 / std::sqrt(double(n)));  // 1% critical value
}

TEST_CASE("random_rotations and random_noise_background are deterministic given the seed") {
  const arma::mat X = strokes(8);
  const arma::mat R1 = deepdot::random_rotations(X, 11), R2 = deepdot::random_rotations(X, 11);
  CHECK(arma::approx_equal(R1, R2, "absdiff", 0.0));
  CHECK(rel_diff(deepdot::random_rotations(X, 12), R1) > 0.1);
  CHECK(arma::approx_equal(R1, deepdot::rotate(X, deepdot::random_angles(8, 11)), "absdiff", 0.0));
  const arma::mat B1 = deepdot::random_noise_background(X, 3), B2 = deepdot::random_noise_background(X, 3);
  CHECK(arma::approx_equal(B1, B2, "absdiff", 0.0));
  CHECK(rel_diff(deepdot::random_noise_background(X, 4), B1) > 0.1);
  // The noise of an image does not depend on the other images.
  const arma::mat first = deepdot::random_noise_background(X.cols(0, 3), 3);
  CHECK(arma::approx_equal(first, B1.cols(0, 3), "absdiff", 0.0));
}

TEST_CASE("random_noise_background: zero pixels become uniform noise, digit pixels are kept") {
  const arma::uword n = 200;
  const arma::mat X = strokes(n);
  for (const double max_value : {255.0, 1.0}) {
    CAPTURE(max_value);
    const arma::mat Xs = X * (max_value / 255.0);
    const arma::mat B = deepdot::random_noise_background(Xs, 99, max_value);
    arma::uvec counts(10, arma::fill::zeros);
    double sum = 0.0;
    arma::uword zeros = 0;
    bool kept = true;
    for (arma::uword k = 0; k < Xs.n_elem; ++k) {
      if (Xs[k] != 0.0) {
        kept = kept && B[k] == Xs[k];
        continue;
      }
      ++zeros;
      REQUIRE(B[k] >= 0.0);
      REQUIRE(B[k] < max_value);
      sum += B[k];
      ++counts[std::min<arma::uword>(9, static_cast<arma::uword>(10.0 * B[k] / max_value))];
    }
    CHECK(kept);
    REQUIRE(zeros > 50000);
    CHECK(sum / double(zeros) == doctest::Approx(max_value / 2).epsilon(0.01));
    // Chi-square with 9 degrees of freedom: 27.9 is the 0.1% critical value.
    const double expected = double(zeros) / 10.0;
    double chi2 = 0.0;
    for (arma::uword b = 0; b < 10; ++b) chi2 += std::pow(double(counts[b]) - expected, 2) / expected;
    CHECK(chi2 < 27.9);
  }
}

TEST_CASE("make_variation: basic, rotation and the random-noise variations") {
  const arma::mat X = strokes(12);
  CHECK(deepdot::variation_names().size() == 6);
  CHECK(arma::approx_equal(deepdot::make_variation("basic", X, 5), X, "absdiff", 0.0));
  const arma::mat R = deepdot::make_variation("rotation", X, 5);
  CHECK(arma::approx_equal(R, deepdot::random_rotations(X, 5), "absdiff", 1e-12));
  const arma::mat B = deepdot::make_variation("noise", X, 5);
  const arma::mat RB = deepdot::make_variation("rotation+noise", X, 5);
  CHECK(B.min() >= 0.0);
  CHECK(RB.max() <= 255.0);
  // Background: no zero left, the digit intact.
  CHECK(arma::all(arma::vectorise(B) != 0.0));
  CHECK(arma::approx_equal(arma::mat(B % (X != 0.0)), X, "absdiff", 0.0));
  // Rotation first, then background: the rotated digit is intact, the rest is the same noise as "noise".
  const arma::umat digit = R != 0.0;
  CHECK(arma::approx_equal(arma::mat(RB % digit), R, "absdiff", 0.0));
  CHECK(arma::approx_equal(arma::mat(RB % (1 - digit) % (X == 0.0)), arma::mat(B % (1 - digit) % (X == 0.0)),
                           "absdiff", 0.0));
  CHECK(arma::approx_equal(deepdot::make_variation("rotation+noise", X, 5), RB, "absdiff", 0.0));
  CHECK(rel_diff(deepdot::make_variation("rotation+noise", X, 6), RB) > 0.1);
  // Images on the 0..1 scale.
  const arma::mat B1 = deepdot::make_variation("noise", X / 255.0, 5, 1.0);
  CHECK(B1.max() <= 1.0);
  CHECK(arma::approx_equal(B1, B / 255.0, "absdiff", 1e-12));
  // The natural-image variations need photographs: this overload names the other one.
  const std::string msg = message_of([&] { deepdot::make_variation("background", X, 5); });
  CHECK(contains(msg, "make_variation()"));
  CHECK(contains(msg, "photos"));
  CHECK(contains(msg, "\"noise\""));
}

TEST_CASE("preprocess_like_paper: deskewed, centred, unit norm") {
  const ImageShape s;
  arma::mat X = deepdot::shear(strokes(5), 0.4, s);
  X.col(4).zeros();
  const arma::mat P = deepdot::preprocess_like_paper(X, s);
  for (arma::uword j = 0; j < 4; ++j) {
    CAPTURE(j);
    CHECK(arma::norm(P.col(j)) == doctest::Approx(1.0));
    const ImageMoments m = deepdot::image_moments(P, j, s);
    CHECK(m.row == doctest::Approx(13.5).epsilon(0.002));
    CHECK(m.col == doctest::Approx(13.5).epsilon(0.002));
    CHECK(std::abs(m.cov / m.var_row) < 0.01);
  }
  CHECK(arma::all(P.col(4) == 0.0));
}

TEST_CASE("bad input is rejected with messages naming the function and the value") {
  const arma::mat X = strokes(3);
  const arma::mat short_rows(783, 2, arma::fill::zeros);
  std::string msg = message_of([&] { deepdot::deskew(short_rows); });
  CHECK(contains(msg, "deskew()"));
  CHECK(contains(msg, "783"));
  CHECK(contains(msg, "784"));
  msg = message_of([&] { deepdot::rotate(short_rows, arma::vec{0.0, 0.0}); });
  CHECK(contains(msg, "rotate()"));
  CHECK(contains(msg, "783"));

  arma::mat bad = X;
  bad(100, 1) = std::numeric_limits<double>::quiet_NaN();
  msg = message_of([&] { deepdot::centre(bad); });
  CHECK(contains(msg, "centre()"));
  CHECK(contains(msg, "nan"));
  CHECK(contains(msg, "row 100, column 1"));
  msg = message_of([&] { deepdot::preprocess_like_paper(bad); });
  CHECK(contains(msg, "preprocess_like_paper()"));
  msg = message_of([&] { deepdot::make_variation("rotation", bad, 1); });
  CHECK(contains(msg, "make_variation()"));

  bad = X;
  bad(5, 2) = -1.5;
  msg = message_of([&] { deepdot::deskew(bad); });
  CHECK(contains(msg, "deskew()"));
  CHECK(contains(msg, "-1.5"));
  msg = message_of([&] { deepdot::random_noise_background(bad, 1); });
  CHECK(contains(msg, "random_noise_background()"));
  CHECK(contains(msg, "-1.5"));
  msg = message_of([&] { deepdot::random_noise_background(X, 1, 1.0); });  // 0..255 data, max_value 1
  CHECK(contains(msg, "max_value = 1"));
  msg = message_of([&] { deepdot::random_noise_background(X, 1, 0.0); });
  CHECK(contains(msg, "max_value"));

  msg = message_of([&] { deepdot::rotate(X, arma::vec{0.0, 1.0}); });
  CHECK(contains(msg, "3 images, 2 angles"));
  msg = message_of([&] { deepdot::rotate(X, arma::vec{0.0, std::numeric_limits<double>::infinity(), 1.0}); });
  CHECK(contains(msg, "angle 1"));
  msg = message_of([&] { deepdot::shear(X, std::numeric_limits<double>::quiet_NaN()); });
  CHECK(contains(msg, "shear()"));

  msg = message_of([&] { deepdot::make_variation("rotated", X, 1); });
  CHECK(contains(msg, "make_variation()"));
  CHECK(contains(msg, "\"rotated\""));
  CHECK(contains(msg, "\"rotation+background\""));
  msg = message_of([&] { deepdot::centre(X, ImageShape{0, 784}); });
  CHECK(contains(msg, "0 x 784"));
}
