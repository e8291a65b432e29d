// SPDX-License-Identifier: MIT
/// @file backgrounds.hpp
/// Natural-image backgrounds for the MNIST-variation protocol of Table 1 (the
/// mnist-back-image recipe of Larochelle, Erhan, Courville, Bergstra & Bengio,
/// ICML 2007): every digit is combined with a random 28 x 28 patch of a grey
/// photograph.
///
/// The photographs come from one background file (scripts/get-backgrounds.sh
/// writes it from the photographs scikit-image ships): a stream of binary PGM
/// images ("P5", maxval 255) one after the other, the first header comment of
/// each reading `# deepdot-background <train|test> <name>`. Train photographs
/// give the backgrounds of training and validation images, test photographs
/// those of test images.
#pragma once

#include <deepdot/datasets/image.hpp>

#include <armadillo>

#include <cstdint>
#include <string>
#include <vector>

namespace deepdot {

/// One grey photograph: height x width grey levels 0..255, pixel (row r,
/// column c) at element (r, c) (row 0 at the top).
struct GreyPhoto {
  std::string name;   ///< its source, e.g. "camera.png"
  arma::mat pixels;   ///< height x width, values 0..255
};

/// The photographs of a background file, by split.
struct BackgroundPhotos {
  std::vector<GreyPhoto> train;  ///< for training (and validation) images
  std::vector<GreyPhoto> test;   ///< for test images; disjoint from train
};

/// Parses the bytes of a background file (see the file comment). `name` is
/// used in error messages only. Throws std::invalid_argument naming the file,
/// the image (its index and byte offset) and the rule broken: a header that is
/// not "P5", a missing or malformed `# deepdot-background` comment, a maxval
/// other than 255, a truncated pixel block, a photograph smaller than 28 x 28,
/// or a file with no train or no test photograph.
BackgroundPhotos parse_background_photos(const std::string& bytes, const std::string& name);

/// The file load_background_photos("") reads: $DEEPDOT_BACKGROUNDS if set;
/// otherwise third_party/backgrounds/natural-images.pgm (where
/// scripts/get-backgrounds.sh writes it) in the current directory or its
/// nearest parent that has it. Returns "" if none exists.
std::string background_photos_file();

/// Reads a background file (path "" means background_photos_file()). Throws
/// std::invalid_argument when it is missing (saying how to make it: `bash
/// scripts/get-backgrounds.sh`) or malformed.
BackgroundPhotos load_background_photos(const std::string& path = "");

/// Default of natural_image_background()'s min_patch_sd, in grey levels
/// (0..255): the recipe drops patches of low variance (little texture) without
/// giving a threshold; this one drops flat sky and blank regions.
constexpr double kMinPatchSd = 10.0;

/// The mnist-back-image recipe. For every image j (in order, from
/// deepdot::Rng(seed)): a photograph chosen uniformly among `photos`, then a
/// patch of the image's size at a uniform position inside it; a patch whose
/// standard deviation is below min_patch_sd (on 0..255) is drawn again (up to
/// 1,000 times, else std::invalid_argument: the photographs are too flat).
/// The result is the pixel-wise maximum of the digit and the patch rescaled
/// to [0, max_value] (patch * max_value / 255): background pixels (0) take the
/// patch's value, the digit's strokes stay at least as bright as they were,
/// so the strokes' bright cores are kept exactly.
/// images: (h * w) x n, values in [0, max_value]; photos: at least one, each
/// at least h x w; returns (h * w) x n.
arma::mat natural_image_background(const arma::mat& images, const std::vector<GreyPhoto>& photos,
                                   std::uint64_t seed, double min_patch_sd = kMinPatchSd,
                                   double max_value = 255.0, ImageShape shape = {});

/// make_variation() with natural-image backgrounds for "background" and
/// "rotation+background" (natural_image_background() with the patches from
/// the independent stream Rng(seed, 2), after the rotation for the latter);
/// every other name is as in make_variation(name, images, seed, max_value,
/// shape). photos: the photographs to cut from (the train or the test set of
/// a background file). Returns (h * w) x n.
arma::mat make_variation(const std::string& name, const arma::mat& images, std::uint64_t seed,
                         const std::vector<GreyPhoto>& photos, double max_value = 255.0, ImageShape shape = {});

}  // namespace deepdot
