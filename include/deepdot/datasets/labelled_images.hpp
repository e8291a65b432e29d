// SPDX-License-Identifier: MIT
/// @file labelled_images.hpp
/// Images with their labels: what the image data sets load.
#pragma once

#include <armadillo>

namespace deepdot {

/// Images and labels of one split of a labelled image data set.
struct LabelledImages {
  arma::mat images;   ///< d x n, one column per image, values 0..255
  arma::ivec labels;  ///< n labels
};

}  // namespace deepdot
