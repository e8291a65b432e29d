// SPDX-License-Identifier: MIT
#include <deepdot/datasets/image.hpp>

#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>

#include "core/check.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace deepdot {
namespace {

using detail::fail;
using detail::format_double;

constexpr double kTwoPi = 6.283185307179586476925286766559;

/// Pixel counts far beyond any image we process; keeps h * w from overflowing.
constexpr arma::uword kMaxSide = 1u << 15;

void check_shape(const arma::mat& images, ImageShape shape, const std::string& where) {
  if (shape.height == 0 || shape.width == 0 || shape.height > kMaxSide || shape.width > kMaxSide)
    fail(where, "image shape " + std::to_string(shape.height) + " x " + std::to_string(shape.width) +
                    " is invalid (each side must be in 1.." + std::to_string(kMaxSide) + ")");
  if (images.n_rows != shape.pixels())
    fail(where, "images must have " + std::to_string(shape.pixels()) + " rows (" + std::to_string(shape.height) +
                    " x " + std::to_string(shape.width) + " pixels, one image per column), got " +
                    std::to_string(images.n_rows) + " rows");
  detail::require_finite(images, where, "images");
}

/// Moments need nonnegative weights: a negative pixel could put the centre of
/// mass anywhere (or make the mass zero with content present).
void check_nonnegative(const arma::mat& images, const std::string& where) {
  for (arma::uword j = 0; j < images.n_cols; ++j)
    for (arma::uword i = 0; i < images.n_rows; ++i)
      if (images(i, j) < 0.0)
        fail(where, "images must be nonnegative (intensities), got " + format_double(images(i, j)) +
                        " at row " + std::to_string(i) + ", column " + std::to_string(j));
}

double centre_row(ImageShape s) { return 0.5 * static_cast<double>(s.height - 1); }
double centre_col(ImageShape s) { return 0.5 * static_cast<double>(s.width - 1); }

/// Bilinear interpolation of one image at the real point (y, x); pixels
/// outside the image read as 0.
double sample(const double* img, ImageShape s, double y, double x) {
  const double h = static_cast<double>(s.height), w = static_cast<double>(s.width);
  // Also rejects far-away points before they are converted to integers.
  if (!(y > -1.0 && y < h && x > -1.0 && x < w)) return 0.0;
  const double fy = std::floor(y), fx = std::floor(x);
  const double ty = y - fy, tx = x - fx;
  const long r0 = static_cast<long>(fy), c0 = static_cast<long>(fx);
  const long H = static_cast<long>(s.height), W = static_cast<long>(s.width);
  double v = 0.0;
  const double wy[2] = {1.0 - ty, ty}, wx[2] = {1.0 - tx, tx};
  for (int dy = 0; dy < 2; ++dy) {
    const long r = r0 + dy;
    if (r < 0 || r >= H || wy[dy] == 0.0) continue;
    for (int dx = 0; dx < 2; ++dx) {
      const long c = c0 + dx;
      if (c < 0 || c >= W || wx[dx] == 0.0) continue;
      v += wy[dy] * wx[dx] * img[r * W + c];
    }
  }
  return v;
}

/// An affine resampling map: output pixel (r, c), with u = r - centre_row and
/// v = c - centre_col, reads the input at
///   row = a * u + b * v + row0,   col = c * u + d * v + col0.
struct Affine {
  double a = 1, b = 0, c = 0, d = 1, row0 = 0, col0 = 0;
};

void warp_into(const double* in, double* out, ImageShape s, const Affine& m) {
  const double cr = centre_row(s), cc = centre_col(s);
  for (arma::uword r = 0; r < s.height; ++r) {
    const double u = static_cast<double>(r) - cr;
    for (arma::uword col = 0; col < s.width; ++col) {
      const double v = static_cast<double>(col) - cc;
      out[r * s.width + col] = sample(in, s, m.a * u + m.b * v + m.row0, m.c * u + m.d * v + m.col0);
    }
  }
}

ImageMoments moments_of(const double* img, ImageShape s) {
  ImageMoments m;
  double sr = 0.0, sc = 0.0;
  for (arma::uword r = 0; r < s.height; ++r)
    for (arma::uword c = 0; c < s.width; ++c) {
      const double p = img[r * s.width + c];
      m.mass += p;
      sr += p * static_cast<double>(r);
      sc += p * static_cast<double>(c);
    }
  if (!(m.mass > 0.0)) {
    m.row = centre_row(s);
    m.col = centre_col(s);
    return m;
  }
  m.row = sr / m.mass;
  m.col = sc / m.mass;
  // Central moments in a second pass: the one-pass formula loses digits.
  for (arma::uword r = 0; r < s.height; ++r)
    for (arma::uword c = 0; c < s.width; ++c) {
      const double p = img[r * s.width + c];
      const double dr = static_cast<double>(r) - m.row, dc = static_cast<double>(c) - m.col;
      m.var_row += p * dr * dr;
      m.var_col += p * dc * dc;
      m.cov += p * dr * dc;
    }
  m.var_row /= m.mass;
  m.var_col /= m.mass;
  m.cov /= m.mass;
  return m;
}

/// Applies a per-image map (built from the image by make_map) to every column.
template <typename MakeMap>
arma::mat warp_each(const arma::mat& images, ImageShape s, MakeMap make_map) {
  arma::mat out(images.n_rows, images.n_cols);
  for (arma::uword j = 0; j < images.n_cols; ++j) {
    Affine m;
    if (make_map(j, images.colptr(j), m)) warp_into(images.colptr(j), out.colptr(j), s, m);
    else out.col(j) = images.col(j);
  }
  return out;
}

arma::vec draw_angles(arma::uword n, Rng& rng) {
  arma::vec angles(n);
  for (arma::uword j = 0; j < n; ++j) angles[j] = kTwoPi * rng.uniform();
  return angles;
}

void check_max_value(const arma::mat& images, double max_value, const std::string& where) {
  if (!std::isfinite(max_value) || !(max_value > 0.0))
    fail(where, "max_value must be a positive finite number, got " + format_double(max_value));
  for (arma::uword j = 0; j < images.n_cols; ++j)
    for (arma::uword i = 0; i < images.n_rows; ++i)
      if (images(i, j) < 0.0 || images(i, j) > max_value)
        fail(where, "pixel values must lie in [0, max_value = " + format_double(max_value) + "], got " +
                        format_double(images(i, j)) + " at row " + std::to_string(i) + ", column " +
                        std::to_string(j) + (images(i, j) > max_value && max_value <= 1.0
                                                 ? " (images in 0..255 need max_value = 255)"
                                                 : ""));
}

arma::mat noise_background(const arma::mat& images, Rng& rng, double max_value) {
  arma::mat out = images;
  for (arma::uword j = 0; j < out.n_cols; ++j)
    for (arma::uword i = 0; i < out.n_rows; ++i) {
      // Drawn for every pixel, so the noise does not depend on the content.
      const double noise = max_value * rng.uniform();
      if (out(i, j) == 0.0) out(i, j) = noise;
    }
  return out;
}

}  // namespace

ImageMoments image_moments(const arma::mat& images, arma::uword j, ImageShape shape) {
  const std::string where = "image_moments()";
  if (images.n_rows != shape.pixels())
    fail(where, "images must have " + std::to_string(shape.pixels()) + " rows, got " +
                    std::to_string(images.n_rows));
  if (j >= images.n_cols)
    fail(where, "image index " + std::to_string(j) + " is out of range (" + std::to_string(images.n_cols) +
                    " images)");
  return moments_of(images.colptr(j), shape);
}

arma::mat shear(const arma::mat& images, double alpha, ImageShape shape) {
  const std::string where = "shear()";
  check_shape(images, shape, where);
  if (!std::isfinite(alpha)) fail(where, "alpha must be finite, got " + format_double(alpha));
  Affine m;
  m.c = -alpha;  // output column c reads input column c - alpha * u
  m.row0 = centre_row(shape);
  m.col0 = centre_col(shape);
  return warp_each(images, shape, [&](arma::uword, const double*, Affine& out) {
    out = m;
    return true;
  });
}

arma::mat centre(const arma::mat& images, ImageShape shape) {
  const std::string where = "centre()";
  check_shape(images, shape, where);
  check_nonnegative(images, where);
  return warp_each(images, shape, [&](arma::uword, const double* img, Affine& m) {
    const ImageMoments mo = moments_of(img, shape);
    if (!(mo.mass > 0.0)) return false;
    m.row0 = mo.row;
    m.col0 = mo.col;
    return true;
  });
}

arma::mat deskew(const arma::mat& images, ImageShape shape) {
  const std::string where = "deskew()";
  check_shape(images, shape, where);
  check_nonnegative(images, where);
  return warp_each(images, shape, [&](arma::uword, const double* img, Affine& m) {
    const ImageMoments mo = moments_of(img, shape);
    if (!(mo.mass > 0.0)) return false;
    // The principal axis runs col - x0 = alpha (row - y0); reading the input
    // at col = x0 + v + alpha u maps it onto the centre column v = 0.
    const double alpha = mo.var_row > 0.0 ? mo.cov / mo.var_row : 0.0;
    m.c = alpha;
    m.row0 = mo.row;
    m.col0 = mo.col;
    return true;
  });
}

arma::mat rotate(const arma::mat& images, const arma::vec& angles, ImageShape shape) {
  const std::string where = "rotate()";
  check_shape(images, shape, where);
  if (angles.n_elem != images.n_cols)
    fail(where, "one angle per image is needed: " + std::to_string(images.n_cols) + " images, " +
                    std::to_string(angles.n_elem) + " angles");
  for (arma::uword j = 0; j < angles.n_elem; ++j)
    if (!std::isfinite(angles[j]))
      fail(where, "angle " + std::to_string(j) + " is not finite (" + format_double(angles[j]) + ")");
  return warp_each(images, shape, [&](arma::uword j, const double*, Affine& m) {
    // Counter-clockwise as displayed means clockwise in (row, col) with rows
    // pointing down; the output reads the input rotated back by -angle.
    const double cs = std::cos(angles[j]), sn = std::sin(angles[j]);
    m.a = cs;
    m.b = sn;
    m.c = -sn;
    m.d = cs;
    m.row0 = centre_row(shape);
    m.col0 = centre_col(shape);
    return true;
  });
}

arma::vec random_angles(arma::uword n, std::uint64_t seed) {
  Rng rng(seed);
  return draw_angles(n, rng);
}

arma::mat random_rotations(const arma::mat& images, std::uint64_t seed, ImageShape shape) {
  check_shape(images, shape, "random_rotations()");
  return rotate(images, random_angles(images.n_cols, seed), shape);
}

arma::mat random_noise_background(const arma::mat& images, std::uint64_t seed, double max_value,
                                  ImageShape shape) {
  const std::string where = "random_noise_background()";
  check_shape(images, shape, where);
  check_max_value(images, max_value, where);
  Rng rng(seed);
  return noise_background(images, rng, max_value);
}

const std::vector<std::string>& variation_names() {
  static const std::vector<std::string> names = {"basic", "rotation", "background", "rotation+background",
                                                 "noise", "rotation+noise"};
  return names;
}

arma::mat make_variation(const std::string& name, const arma::mat& images, std::uint64_t seed, double max_value,
                         ImageShape shape) {
  const std::string where = "make_variation()";
  if (name == "background" || name == "rotation+background")
    fail(where, "variation \"" + name + "\" pastes the digits on natural-image patches: call "
                "make_variation(name, images, seed, photos) of datasets/backgrounds.hpp with the photographs "
                "(load_background_photos()), or use \"noise\" / \"rotation+noise\" for random-noise backgrounds");
  const bool rot = name == "rotation" || name == "rotation+noise";
  const bool back = name == "noise" || name == "rotation+noise";
  if (!rot && !back && name != "basic") {
    std::string known;
    for (const auto& n : variation_names()) known += (known.empty() ? "" : ", ") + ("\"" + n + "\"");
    fail(where, "unknown variation \"" + name + "\"; expected one of " + known);
  }
  check_shape(images, shape, where);
  check_max_value(images, max_value, where);
  arma::mat out = images;
  if (rot) {
    Rng angle_rng(seed, 0);
    out = rotate(out, draw_angles(out.n_cols, angle_rng), shape);
    // Bilinear weights sum to 1, but rounding may nudge a value past the range.
    out.clamp(0.0, max_value);
  }
  if (back) {
    Rng noise_rng(seed, 1);
    out = noise_background(out, noise_rng, max_value);
  }
  return out;
}

arma::mat preprocess_like_paper(const arma::mat& images, ImageShape shape) {
  const std::string where = "preprocess_like_paper()";
  check_shape(images, shape, where);
  check_nonnegative(images, where);
  arma::mat out = centre(deskew(images, shape), shape);
  normalize_columns(out);
  return out;
}

}  // namespace deepdot
