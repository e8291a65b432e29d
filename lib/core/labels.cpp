// SPDX-License-Identifier: MIT
#include <deepdot/core/labels.hpp>

#include "core/check.hpp"

#include <algorithm>

namespace deepdot {

LabelEncoder::LabelEncoder(arma::ivec classes) : classes_(std::move(classes)) {
  for (arma::uword i = 1; i < classes_.n_elem; ++i)
    if (classes_[i] <= classes_[i - 1])
      detail::fail("LabelEncoder::LabelEncoder()", "classes must be sorted and distinct; entry " +
                                                       std::to_string(i) + " (" + std::to_string(classes_[i]) +
                                                       ") is not larger than the one before");
}

void LabelEncoder::fit(const arma::ivec& labels) {
  arma::ivec c = arma::unique(labels);
  if (c.n_elem < 2)
    detail::fail("LabelEncoder::fit()", "need at least 2 distinct classes, got " + std::to_string(c.n_elem));
  classes_ = c;
}

arma::mat LabelEncoder::encode(const arma::ivec& labels) const {
  if (classes_.n_elem < 2) detail::fail("LabelEncoder::encode()", "the encoder has no classes; call fit() first");
  arma::mat Y(classes_.n_elem, labels.n_elem);
  Y.fill(-1.0);
  for (arma::uword j = 0; j < labels.n_elem; ++j) {
    const auto it = std::lower_bound(classes_.begin(), classes_.end(), labels[j]);
    if (it == classes_.end() || *it != labels[j])
      detail::fail("LabelEncoder::encode()", "label " + std::to_string(labels[j]) + " at position " +
                                                 std::to_string(j) + " is not one of the " +
                                                 std::to_string(classes_.n_elem) + " known classes");
    Y(static_cast<arma::uword>(it - classes_.begin()), j) = 1.0;
  }
  return Y;
}

arma::ivec LabelEncoder::decode(const arma::mat& scores) const {
  if (scores.n_rows != classes_.n_elem)
    detail::fail("LabelEncoder::decode()", "scores have " + std::to_string(scores.n_rows) + " rows but there are " +
                                               std::to_string(classes_.n_elem) + " classes");
  arma::ivec out(scores.n_cols);
  for (arma::uword j = 0; j < scores.n_cols; ++j) out[j] = classes_[scores.col(j).index_max()];
  return out;
}

}  // namespace deepdot
