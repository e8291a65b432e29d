// SPDX-License-Identifier: MIT
// Private: the fast Walsh-Hadamard transform used by the TensorSRHT map.
#pragma once

#include <armadillo>

namespace deepdot::detail {

/// The smallest power of two >= n (n >= 1).
inline arma::uword next_power_of_two(arma::uword n) {
  arma::uword p = 1;
  while (p < n) p <<= 1;
  return p;
}

/// A <- A H in place, where A is n x L with L a power of two and H is the
/// unnormalised L x L Sylvester-Hadamard matrix (entries +-1, H H = L I),
/// i.e. every ROW of A is transformed. Rows are points here: with Armadillo's
/// column-major storage each butterfly then combines two contiguous columns,
/// which vectorises over the points. O(n L log L).
template <typename eT>
void fwht_rows(arma::Mat<eT>& A) {
  const arma::uword L = A.n_cols, n = A.n_rows;
  if (L & (L - 1)) throw std::invalid_argument("fwht_rows(): the number of columns must be a power of two");
  for (arma::uword half = 1; half < L; half <<= 1) {
    for (arma::uword start = 0; start < L; start += 2 * half) {
      for (arma::uword k = start; k < start + half; ++k) {
        eT* u = A.colptr(k);
        eT* v = A.colptr(k + half);
        for (arma::uword i = 0; i < n; ++i) {
          const eT a = u[i], b = v[i];
          u[i] = a + b;
          v[i] = a - b;
        }
      }
    }
  }
}

}  // namespace deepdot::detail
