// SPDX-License-Identifier: MIT
// Private: the parsers behind read_dataset(), each reading a ByteSource (not
// installed). The fuzz targets call them on memory buffers.
#pragma once

#include <deepdot/io/dataset.hpp>

#include "io/data_source.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace deepdot::detail {

/// The largest number of features any reader accepts: far beyond real data
/// sets, small enough that a typo cannot ask for terabytes.
constexpr std::uint64_t kMaxDimension = 100000000;

/// The largest dimension a LIBSVM file may imply by its indices alone
/// (2^20 = 1,048,576, 8 MiB per dense point); a wider file needs the
/// dimension set (ReadOptions::libsvm_dimension, the apps' --dim), so that a
/// 13-byte line "1 99999999:1" cannot cost 800 MB.
constexpr std::uint64_t kMaxImpliedLibsvmDimension = std::uint64_t(1) << 20;

Dataset parse_libsvm(ByteSource& src, const ReadOptions& opts);
/// True if read_dataset() would parse `src` as LIBSVM (opts.format, content, extension).
bool is_libsvm_source(ByteSource& src, const ReadOptions& opts);
/// With labels_only, every field of a one-column file is a label (X stays empty).
Dataset parse_csv(ByteSource& src, const ReadOptions& opts, bool labels_only = false);
/// An array of 2 or more dimensions: shape[0] points of prod(shape[1:]) features.
Dataset parse_npy(ByteSource& src, const ReadOptions& opts);
/// The number of points (rows) a .npy header declares (validates the header only).
std::uint64_t npy_point_count(ByteSource& src);
/// The number of images an IDX image header declares.
std::uint64_t idx_point_count(ByteSource& src);
/// A 1-D array, or n x 1. `kind` names the source in messages.
arma::vec parse_npy_labels(ByteSource& src, const ReadOptions& opts, const char* kind = "NPY labels file");
/// IDX images (magic 0x803), d = rows * cols; IDX labels (magic 0x801).
/// skip: images read past first (a row range).
arma::mat parse_idx_images(ByteSource& src, std::uint64_t max_count, std::uint64_t skip = 0);
arma::ivec parse_idx_labels(ByteSource& src, std::uint64_t max_count, std::uint64_t skip = 0);

/// Throws (via `fail`) unless a dense d x n matrix of doubles fits max_dense_bytes.
template <typename Fail>
void check_dense(std::uint64_t d, std::uint64_t n, const ReadOptions& opts, Fail&& fail) {
  std::uint64_t elems = 0, bytes = 0;
  if (__builtin_mul_overflow(d, n, &elems) || __builtin_mul_overflow(elems, std::uint64_t(8), &bytes) ||
      bytes > opts.max_dense_bytes)
    fail("the data would make a dense " + std::to_string(d) + " x " + std::to_string(n) +
         " matrix of doubles, more than the limit of " + std::to_string(opts.max_dense_bytes) +
         " bytes (ReadOptions::max_dense_bytes)");
}

/// Throws (via `fail`) if a dense d x n matrix of doubles would not fit in the
/// memory available now; called once, right before the allocation.
void check_dense_memory(std::uint64_t d, std::uint64_t n, const std::function<void(const std::string&)>& fail);

}  // namespace deepdot::detail
