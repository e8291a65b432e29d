// SPDX-License-Identifier: MIT
/// @file sparse_dataset.hpp
/// Reading data sets into sparse form (deepdot/core/sparse.hpp): LIBSVM /
/// SVMlight files straight into compressed columns, in O(nnz) memory, so a
/// file with d = 2^20 columns never becomes a d x n dense matrix.
#pragma once

#include <deepdot/io/dataset.hpp>

#include <armadillo>

#include <string>
#include <string_view>

namespace deepdot {

/// A sparse data set: X d x n, one column per point (the compressed columns
/// of X are the CSR rows of the n x d file), and optionally one label per point.
struct SparseDataset {
  arma::sp_mat X;           ///< d x n, one column per point
  arma::vec y;              ///< n labels or targets; empty if !has_labels
  bool has_labels = false;
  std::string source;       ///< the path (or name) read
  std::string description;  ///< one line, e.g. "LIBSVM (sparse), 1000 points, 1048576 features, 99812 nonzeros"
};

/// Reads a data set into sparse form.
///  * LIBSVM / SVMlight (gzipped too; the format found as read_dataset()
///    finds it): parsed straight into compressed columns, memory O(nnz).
///    ReadOptions::libsvm_dimension declares d (the command line's --dim);
///    0 takes the largest index. Along a line indices must increase (the
///    LIBSVM rule): an unsorted or repeated index is refused, as is an index
///    beyond the declared d, with std::invalid_argument naming the file, the
///    line and the token. Explicit zeros are not stored. max_dense_bytes does
///    not apply (nothing dense is built).
///  * Other formats (CSV, .npy, IDX): read dense by read_dataset() (with its
///    limits), then compressed; memory d x n while reading.
SparseDataset read_sparse_dataset(const std::string& path, const ReadOptions& opts = {});
/// As read_sparse_dataset(), parsing `bytes` in memory; `name` is used in
/// messages and for the extension.
SparseDataset parse_sparse_dataset(std::string_view bytes, const std::string& name, const ReadOptions& opts = {});

/// Writes X (d x n) and y (n labels, or empty: label 0) as a LIBSVM file, one
/// line per point, indices from 1, values in the shortest form that reads back
/// exactly. Atomic as write_npy(). Throws std::invalid_argument if y has the
/// wrong length, std::runtime_error if the file cannot be written.
void write_libsvm(const std::string& path, const arma::sp_mat& X, const arma::vec& y = arma::vec());

}  // namespace deepdot
