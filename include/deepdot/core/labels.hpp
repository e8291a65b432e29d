// SPDX-License-Identifier: MIT
/// @file labels.hpp
/// Integer class labels <-> one-vs-all target matrices.
#pragma once

#include <armadillo>

namespace deepdot {

/// Maps arbitrary integer class labels to one-vs-all targets and back.
///
/// @code
/// deepdot::LabelEncoder enc;
/// enc.fit(labels);                         // labels: n integers, any values
/// arma::mat Y = enc.encode(labels);        // c x n, +1 for the class, -1 elsewhere
/// arma::ivec pred = enc.decode(scores);    // scores: c x n -> argmax class labels
/// @endcode
class LabelEncoder {
 public:
  /// Learns the sorted set of distinct labels (at least 2). Throws std::invalid_argument otherwise.
  void fit(const arma::ivec& labels);
  /// Builds one from a known sorted list of distinct classes.
  explicit LabelEncoder(arma::ivec classes = {});
  /// labels: n values, each one of classes(); returns c x n with +1 / -1 entries.
  arma::mat encode(const arma::ivec& labels) const;
  /// scores: c x n; returns the class with the largest score per column.
  arma::ivec decode(const arma::mat& scores) const;
  /// The classes, sorted ascending; row i of encode() belongs to classes()[i].
  const arma::ivec& classes() const { return classes_; }
  arma::uword num_classes() const { return classes_.n_elem; }

 private:
  arma::ivec classes_;
};

}  // namespace deepdot
