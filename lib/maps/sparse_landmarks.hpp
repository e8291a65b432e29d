// SPDX-License-Identifier: MIT
// Private: products with sparse landmarks L (d x D, compressed columns) for
// the Nystroem map on sparse, high-dimensional input.
//
// The inner products L'x are accumulated feature by feature: for every
// nonzero x_i of a point, the landmarks that have feature i add v_il x_i to
// their entry. That needs L by rows, so the index keeps L "by feature": the r
// features that occur in some landmark (ascending) and, for each, its
// landmarks and values. Memory is O(nnz(L) + D), whatever d; a sparse point
// costs the sum over its features of their landmark counts, a dense point
// (column of d values) nnz(L) + r.
#pragma once

#include "core/threads.hpp"

#include <armadillo>

#include <algorithm>
#include <numeric>
#include <vector>

namespace deepdot::detail {

template <typename eT>
class LandmarksByFeature {
 public:
  LandmarksByFeature() = default;

  /// L: d x D, compressed columns with ascending row indices in each column.
  template <typename sT>
  explicit LandmarksByFeature(const arma::SpMat<sT>& L) : landmarks_(L.n_cols) {
    L.sync();
    const arma::uword nnz = L.n_nonzero;
    // Order the nonzeros by (feature, landmark): a stable sort by row of the
    // column-ordered entries.
    std::vector<arma::uword> order(nnz), column(nnz);
    for (arma::uword j = 0; j < L.n_cols; ++j)
      for (arma::uword k = L.col_ptrs[j]; k < L.col_ptrs[j + 1]; ++k) column[k] = j;
    std::iota(order.begin(), order.end(), arma::uword(0));
    std::stable_sort(order.begin(), order.end(),
                     [&](arma::uword a, arma::uword b) { return L.row_indices[a] < L.row_indices[b]; });
    landmark_.resize(nnz);
    value_.resize(nnz);
    start_.push_back(0);
    for (arma::uword p = 0; p < nnz; ++p) {
      const arma::uword k = order[p];
      if (feature_.empty() || feature_.back() != L.row_indices[k]) {
        if (!feature_.empty()) start_.push_back(p);
        feature_.push_back(L.row_indices[k]);
      }
      landmark_[p] = column[k];
      value_[p] = static_cast<eT>(L.values[k]);
    }
    if (!feature_.empty()) start_.push_back(nnz);
  }

  arma::uword landmarks() const { return landmarks_; }

  /// L'X for sparse X (d x n): D x n, columns in parallel.
  template <typename sT>
  arma::Mat<eT> times_sparse(const arma::SpMat<sT>& X) const {
    X.sync();
    arma::Mat<eT> T(landmarks_, X.n_cols, arma::fill::zeros);
    by_columns(X.n_cols, [&](arma::uword j) {
      eT* t = T.colptr(j);
      auto from = feature_.begin();
      for (arma::uword k = X.col_ptrs[j]; k < X.col_ptrs[j + 1]; ++k) {
        // Row indices ascend within a column, so the search moves forward only.
        from = std::lower_bound(from, feature_.end(), X.row_indices[k]);
        if (from == feature_.end()) break;
        if (*from != X.row_indices[k]) continue;
        add(t, static_cast<arma::uword>(from - feature_.begin()), static_cast<eT>(X.values[k]));
      }
    });
    return T;
  }

  /// L'X for dense X (d x n): D x n, columns in parallel.
  arma::Mat<eT> times_dense(const arma::Mat<eT>& X) const {
    arma::Mat<eT> T(landmarks_, X.n_cols, arma::fill::zeros);
    by_columns(X.n_cols, [&](arma::uword j) {
      eT* t = T.colptr(j);
      const eT* x = X.colptr(j);
      for (arma::uword f = 0; f < feature_.size(); ++f)
        if (x[feature_[f]] != eT(0)) add(t, f, x[feature_[f]]);
    });
    return T;
  }

 private:
  void add(eT* t, arma::uword f, eT x) const {
    for (arma::uword p = start_[f]; p < start_[f + 1]; ++p) t[landmark_[p]] += value_[p] * x;
  }

  /// fn(j) for j = 0..n-1, in blocks of columns on the BLAS thread budget.
  template <typename Fn>
  static void by_columns(arma::uword n, const Fn& fn) {
    constexpr arma::uword kBlock = 64;
    const arma::uword groups = (n + kBlock - 1) / kBlock;
    run_groups(groups, worker_threads(groups), [&](std::size_t g) {
      for (arma::uword j = g * kBlock; j < std::min(n, (g + 1) * kBlock); ++j) fn(j);
    });
  }

  arma::uword landmarks_ = 0;
  std::vector<arma::uword> feature_;   // r features that occur in a landmark, ascending
  std::vector<arma::uword> start_;     // r + 1: feature f's entries are [start_[f], start_[f + 1])
  std::vector<arma::uword> landmark_;  // nnz: the landmark (column of L) of each entry
  std::vector<eT> value_;              // nnz
};

}  // namespace deepdot::detail
