// SPDX-License-Identifier: MIT
// Private: scipy.sparse.save_npz files (lib/io/sparse_npz.cpp).
#pragma once

#include <deepdot/io/dataset.hpp>
#include <deepdot/io/sparse_dataset.hpp>

#include <string>

namespace deepdot::detail {

/// True if `head` (the first bytes of a file) starts a zip archive.
bool is_npz(const std::string& head);
/// The n x d matrix of a save_npz file as d x n compressed columns (no labels);
/// std::invalid_argument naming the file and the array for anything malformed.
/// opts.libsvm_dimension, if set, is the d the matrix must have.
SparseDataset read_npz(const std::string& path, const ReadOptions& opts);

}  // namespace deepdot::detail
