// SPDX-License-Identifier: MIT
/// @file fashion_mnist.hpp
/// Fashion-MNIST from Debian's dataset-fashion-mnist package (or a copy).
#pragma once

#include <deepdot/datasets/labelled_images.hpp>
#include <deepdot/io/idx.hpp>

#include <armadillo>

#include <string>

namespace deepdot {

/// Loads the "train" (60,000 images) or "test" (10,000 images) split of
/// Fashion-MNIST: images 784 x n (28 x 28, values 0..255, not normalised) and
/// labels 0..9, at most max_count of each.
///
/// The files ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]) are looked up
/// in `directory` if it is not empty, else in $DEEPDOT_FASHION_MNIST_DIR if it
/// is set, else in /usr/share/datasets/fashion-mnist (where Debian's
/// dataset-fashion-mnist package puts them). Throws std::invalid_argument on a
/// bad split, missing files (saying how to install them), a corrupt file,
/// image and label counts that disagree, or a label outside 0..9.
LabelledImages load_fashion_mnist(const std::string& split, arma::uword max_count = idx_all,
                                  const std::string& directory = "");

/// The directory load_fashion_mnist() would read for directory = "".
std::string fashion_mnist_directory();

}  // namespace deepdot
