// SPDX-License-Identifier: MIT
/// @file data.hpp
/// Reading a data set in parts, one part per rank, so that no rank holds all
/// of it (docs/distributed.md).
#pragma once

#include <deepdot/distributed/communicator.hpp>
#include <deepdot/io/dataset.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace deepdot {

/// Thrown on the ranks that did not fail when another rank failed a
/// collective step (that rank throws its own error): every rank stops at the
/// same point, and only the failing rank has something to report.
class RemoteFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// This rank's share of a data set. One path: part rank() of size() of the
/// file (read_dataset_part(): a byte range of a text file aligned to line
/// starts, a row range of .npy/IDX). Several paths (shards): F files split
/// into contiguous blocks, rank r reading files [F r / P, F (r + 1) / P) whole
/// and in order (a rank may get none). The parts in rank order are the data
/// set in file order. Collective: d is agreed (the maximum over ranks, for
/// LIBSVM parts, whose rows are padded with zeros); every part must have
/// labels if one has. A failure on any rank makes every rank throw: the
/// failing rank std::invalid_argument "rank r: <reader's message>", the others
/// RemoteFailure. Returns the Dataset with X d x n_r (n_r may be 0).
Dataset read_distributed(const Communicator& comm, const std::vector<std::string>& paths,
                         const ReadOptions& opts = {});

/// Every rank's points gathered in rank order, d x n (n = sum n_r): for
/// small data (tests, the sample a data-dependent map is fitted on).
arma::mat gather_columns(const Communicator& comm, const arma::mat& local, arma::uword rows);

/// Expands a shard list "a.csv,b.csv" or globs "data/part-*.svm" (each item's
/// matches sorted) into paths; an item that matches nothing is an error.
std::vector<std::string> expand_shards(const std::string& spec);

}  // namespace deepdot
