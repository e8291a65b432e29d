// SPDX-License-Identifier: MIT
// Private: the spectral core shared by the two ridge solvers. FeatureRidge
// (A = ZZ', R = ZY', D x D) and KernelRidge (A = K, R = Y', n x n) both solve
// (A + mu I) w_j = r_j for many mu from one eigen-decomposition A = U S U':
// w_j(mu) = U diag(1 / (s + mu)) q_j with Q = U' R. Only the norm differs:
// the Euclidean norm of w for features, the RKHS norm sqrt(w' A w) in the
// kernel limit. Everything a path needs (solutions, norms, the multiplier of
// the norm ball) lives here once.
#pragma once

#include "solvers/secular_root.hpp"

#include <armadillo>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace deepdot::detail {

/// Which norm the norm ball bounds.
enum class SpectralNorm {
  euclidean,  ///< ||w||^2 = sum_i q_i^2 / (s_i + mu)^2 (features)
  rkhs,       ///< ||f||^2 = w' A w = sum_i s_i q_i^2 / (s_i + mu)^2 (kernel limit)
};

/// Eigen-decomposes the symmetric positive semidefinite A (m x m; consumed):
/// s ascending with negative rounding clipped to 0, U its eigenvectors, Q = U' R
/// for the right-hand sides R (m x c), and the cut at or below which an
/// eigenvalue is the numerical null space: m * eps * s_max, eps the precision A
/// was formed in. Throws std::runtime_error naming `where` if LAPACK fails.
inline void spectral_decompose(arma::mat A, const arma::mat& R, double eps, const std::string& where, arma::vec& s,
                               arma::mat& U, arma::mat& Q, double& cut) {
  if (!arma::eig_sym(s, U, A, "dc")) throw std::runtime_error(where + ": the eigen-decomposition failed");
  A.reset();
  cut = std::max(s.max(), 0.0) * static_cast<double>(s.n_elem) * eps;
  s.transform([](double v) { return std::max(v, 0.0); });
  Q = U.t() * R;
}

/// The path of solutions held by a decomposition (a view: the solver owns the
/// arrays). U is not needed here: callers rotate back with their own U.
struct SpectralView {
  const arma::vec& s;  // eigenvalues
  const arma::mat& Q;  // U' R, m x c
  double cut;

  /// 1 / (s_i + mu), 0 on the null space.
  arma::vec shrinkage(double mu) const {
    arma::vec w(s.n_elem);
    for (arma::uword i = 0; i < w.n_elem; ++i) w[i] = s[i] > cut ? 1.0 / (s[i] + mu) : 0.0;
    return w;
  }
  /// Q with column j scaled by shrinkage(mus[j]): the solutions in the eigenbasis.
  arma::mat shrunk(const arma::vec& mus) const {
    arma::mat scaled = Q;
    for (arma::uword j = 0; j < scaled.n_cols; ++j) scaled.col(j) %= shrinkage(mus[j]);
    return scaled;
  }
  /// The norm of every solution at the same mu.
  arma::vec norms(double mu, SpectralNorm norm) const {
    const arma::vec w = shrinkage(mu);
    arma::vec out(Q.n_cols);
    for (arma::uword j = 0; j < Q.n_cols; ++j) out[j] = norm_of(j, w, norm);
    return out;
  }
  /// The norm of every solution at its own mu (c values).
  arma::vec norms(const arma::vec& mus, SpectralNorm norm) const {
    arma::vec out(Q.n_cols);
    for (arma::uword j = 0; j < Q.n_cols; ++j) out[j] = norm_of(j, shrinkage(mus[j]), norm);
    return out;
  }
  /// Per output the mu with norm B (the norm ball's multiplier), 0 when the
  /// least-regularised solution is already inside. B > 0 (checked by callers).
  arma::vec mus_for_bound(double B, SpectralNorm norm) const {
    const arma::uvec live = arma::find(s > cut);
    const arma::vec sl = s.elem(live);
    arma::vec mus(Q.n_cols);
    for (arma::uword j = 0; j < Q.n_cols; ++j) {
      const arma::vec q = Q.col(j);
      arma::vec a = arma::square(q.elem(live));
      if (norm == SpectralNorm::rkhs) a %= sl;
      mus[j] = secular_root(a, sl, B);
    }
    return mus;
  }

 private:
  double norm_of(arma::uword j, const arma::vec& w, SpectralNorm norm) const {
    const arma::vec q2 = arma::square(Q.col(j) % w);
    return std::sqrt(norm == SpectralNorm::rkhs ? arma::dot(s, q2) : arma::accu(q2));
  }
};

}  // namespace deepdot::detail
