// SPDX-License-Identifier: MIT
/// @file idx.hpp
/// Reading IDX files, the format of MNIST and Fashion-MNIST, plain or gzipped.
#pragma once

#include <armadillo>

#include <limits>
#include <string>

namespace deepdot {

/// "No limit" for the max_count arguments below.
constexpr arma::uword idx_all = std::numeric_limits<arma::uword>::max();

/// Reads an IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions
/// n x rows x cols, big-endian header), gzipped or not (gzip is recognised by
/// its magic bytes 1f 8b). Returns d x n with d = rows * cols: one column per
/// image, pixels in the file's row-major order, values 0..255 as double.
/// Only the first min(n, max_count) images are read.
///
/// Throws std::invalid_argument naming the file, the byte offset (in the
/// decompressed stream for gzip files) and the problem: a missing file, a
/// wrong magic number, a zero or absurd dimension, dimensions that claim more
/// data than the file can hold, a truncated file, or trailing bytes after the
/// data (checked when the whole file is read). Memory is never allocated for
/// more than the file can justify.
arma::mat read_idx_images(const std::string& path, arma::uword max_count = idx_all);

/// Reads an IDX label file (magic 0x00000801: unsigned bytes, 1 dimension n);
/// returns min(n, max_count) labels 0..255. Errors as for read_idx_images().
arma::ivec read_idx_labels(const std::string& path, arma::uword max_count = idx_all);



}  // namespace deepdot
