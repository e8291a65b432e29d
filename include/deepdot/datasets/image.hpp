// SPDX-License-Identifier: MIT
/// @file image.hpp
/// Image operations for the MNIST-variation protocol of the paper's Table 1:
/// deskewing, centring, rotation, random-noise backgrounds and the paper's
/// preprocessing (natural-image backgrounds: datasets/backgrounds.hpp).
///
/// Layout: a set of n grey-level images of height h and width w is a
/// (h * w) x n matrix, one column per image, pixels in row-major order as in
/// the MNIST and IDX files: pixel (row r, column c) is element r * w + c of
/// its column, row 0 at the top. Geometric operations treat a pixel as a
/// sample at the integer point (r, c), use bilinear interpolation and read
/// zero outside the image; the image centre is ((h - 1) / 2, (w - 1) / 2),
/// (13.5, 13.5) for 28 x 28. Every function validates its input (row count,
/// finite values, ...) and throws std::invalid_argument with a message that
/// names the function and the offending value.
///
/// Values may be on any scale (0..255 as the loaders return them, or 0..1);
/// only random_noise_background() and make_variation() need to know the
/// largest grey level (max_value).
#pragma once

#include <armadillo>

#include <cstdint>
#include <string>
#include <vector>

namespace deepdot {

/// Height and width of the images stored in the columns of a matrix.
struct ImageShape {
  arma::uword height = 28;
  arma::uword width = 28;
  /// Pixels per image: height * width, the row count of an image matrix.
  arma::uword pixels() const { return height * width; }
};

/// Intensity moments of one image, in pixel coordinates (row, column).
struct ImageMoments {
  double mass = 0.0;      ///< sum of the pixel values
  double row = 0.0;       ///< centre of mass, row coordinate (y, downwards)
  double col = 0.0;       ///< centre of mass, column coordinate (x)
  double var_row = 0.0;   ///< intensity-weighted variance of the row coordinate
  double var_col = 0.0;   ///< intensity-weighted variance of the column coordinate
  double cov = 0.0;       ///< intensity-weighted covariance of row and column
};

/// Moments of image j (column j of images, (h * w) x n). A zero image has
/// mass 0 and its centre of mass is reported at the image centre.
ImageMoments image_moments(const arma::mat& images, arma::uword j, ImageShape shape = {});

/// Shears every image horizontally about the image centre: the content at
/// (row r, column c) moves to column c + alpha * (r - centre_row). With
/// alpha > 0, the bottom of the image moves right. images: (h * w) x n;
/// returns (h * w) x n. Used to build skewed test images; deskew() undoes it.
arma::mat shear(const arma::mat& images, double alpha, ImageShape shape = {});

/// Translates every image so that its intensity centre of mass lands at the
/// image centre (bilinear, zero fill; zero images are left as they are).
/// images: (h * w) x n, nonnegative; returns (h * w) x n.
arma::mat centre(const arma::mat& images, ImageShape shape = {});

/// Moment-based deskewing (the classic MNIST preprocessing of LeCun et al.,
/// as used in the MNIST-variation benchmarks): per image, the intensity centre
/// of mass (y0, x0) and the second moments give the skew
/// alpha = cov(x, y) / var(y); the image is sheared along x by -alpha, so the
/// principal axis becomes vertical, and translated so that the centre of mass
/// lands at the image centre, in one bilinear resampling (zero outside).
/// Zero images are left unchanged; an image whose mass lies on one row
/// (var(y) = 0) is only centred. images: (h * w) x n, nonnegative; returns
/// (h * w) x n.
arma::mat deskew(const arma::mat& images, ImageShape shape = {});

/// Rotates image j about the image centre by angles[j] radians,
/// counter-clockwise as displayed (row 0 at the top); bilinear, zero fill.
/// images: (h * w) x n; angles: n finite values; returns (h * w) x n.
arma::mat rotate(const arma::mat& images, const arma::vec& angles, ImageShape shape = {});

/// n angles uniform on [0, 2 pi), drawn from deepdot::Rng(seed): the angles
/// random_rotations(images, seed) uses, in image order.
arma::vec random_angles(arma::uword n, std::uint64_t seed);

/// The mnist-rot recipe: every image rotated by its own angle, uniform on
/// [0, 2 pi) (random_angles(n, seed)). images: (h * w) x n; returns (h * w) x n.
arma::mat random_rotations(const arma::mat& images, std::uint64_t seed, ImageShape shape = {});

/// The mnist-back-rand recipe: every background pixel (a pixel whose value is
/// exactly 0) is replaced by a value uniform on [0, max_value); pixels of the
/// digit (nonzero) are kept. The noise is drawn for every pixel of every image
/// in order (h * w values per image, from deepdot::Rng(seed)) and used only
/// where the pixel is 0, so an image's noise does not depend on its content or
/// on the other images' content. images: (h * w) x n, values in
/// [0, max_value]; returns (h * w) x n.
arma::mat random_noise_background(const arma::mat& images, std::uint64_t seed, double max_value = 255.0,
                                  ImageShape shape = {});

/// The variation names make_variation() accepts: the four Table 1 columns
/// "basic", "rotation", "background", "rotation+background" (the last two with
/// natural-image backgrounds, made by the overload of make_variation() in
/// datasets/backgrounds.hpp), then the random-noise variants "noise" and
/// "rotation+noise".
const std::vector<std::string>& variation_names();

/// One entry point for the Table 1 data sets, generated from plain digits:
///  * "basic": the images unchanged (mnist-basic);
///  * "rotation": random_rotations(images, seed) (mnist-rot);
///  * "noise": random_noise_background(images, seed) (mnist-back-rand);
///  * "rotation+noise": rotation first, then the noise background on the
///    rotated image (the order of mnist-rot-back-image, here with noise).
/// "background" and "rotation+background" need photographs: this overload
/// refuses them and names the one in datasets/backgrounds.hpp.
/// Streams: the rotation angles come from Rng(seed, 0), so "rotation" equals
/// random_rotations(images, seed) and "rotation+noise" rotates by the
/// same angles; the noise of both noise variations comes from the
/// independent stream Rng(seed, 1), so "noise" and "rotation+noise"
/// draw the same noise values (and "noise" differs from
/// random_noise_background(images, seed), which uses stream 0).
/// images: (h * w) x n, values in [0, max_value]; returns (h * w) x n.
/// Throws std::invalid_argument on an unknown name (listing the known ones).
arma::mat make_variation(const std::string& name, const arma::mat& images, std::uint64_t seed,
                         double max_value = 255.0, ImageShape shape = {});

/// The paper's preprocessing: deskew(), centre() (which refines the centring
/// after the deskewing's resampling) and scaling of every column to unit l2
/// norm (normalize_columns(); zero images stay zero). images: (h * w) x n,
/// nonnegative; returns (h * w) x n.
arma::mat preprocess_like_paper(const arma::mat& images, ImageShape shape = {});

}  // namespace deepdot
