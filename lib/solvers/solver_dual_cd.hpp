// SPDX-License-Identifier: MIT
// Private: dual coordinate descent for the one-vs-all hinge and squared-hinge
// losses without bias (Hsieh, Chang, Lin, Keerthi & Sundararajan, ICML 2008),
// shared by the feature-space solver (fit_linear) and the kernel-limit learner
// (KernelSVM). Not installed.
#pragma once

#include <deepdot/core/random.hpp>

#include <armadillo>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

namespace deepdot::detail {

/// Per output j the primal  (1/n) sum_i l(w_j'z_i, y_ji) + lambda_j ||w_j||^2,
/// rescaled to LIBLINEAR's  1/2 ||w||^2 + C sum_i l  with C = 1/(2 lambda n).
/// Its dual in alpha (0 <= alpha_i <= U):
///   min 1/2 alpha' (Q + diag(d)) alpha - 1'alpha,  Q_ik = y_i y_k <z_i, z_k>,
/// with U = C, d = 0 for the hinge and U = inf, d = 1/(2C) for the squared
/// hinge; w = sum_i alpha_i y_i z_i.
///
/// The state is kept as beta = alpha / C (c x n), the loss
/// derivative in units independent of lambda: beta in [0, 1] for the hinge and
/// beta = 2 max(0, 1 - y s) >= 0 at the optimum of the squared hinge. That makes
/// warm starts across lambdas (the norm-ball search) always feasible.
struct DualCdResult {
  arma::uword epochs = 0;  ///< epochs run (largest over outputs)
  double violation = 0.0;  ///< max_i |projected gradient| of the dual at the end, largest over outputs
  arma::vec violations;    ///< the same per output (c values)
};

/// Level-1 kernels of the coordinate updates. Written out instead of calling
/// BLAS: OpenBLAS (pthreads) splits sdot/saxpy over threads above ~10^4
/// elements, and at one call per coordinate the thread hand-off dominated
/// (docs/performance.md). Independent
/// partial sums let the compiler vectorise the dot product without
/// -ffast-math; the partial sums are combined in double. Products are formed
/// in the wider of the two types (float features with double weights: double).
template <typename A, typename B>
inline double dot_kernel(const A* a, const B* b, arma::uword len) {
  using Acc = decltype(A() * B());
  constexpr arma::uword kLanes = 16;
  Acc acc[kLanes] = {};
  arma::uword k = 0;
  for (; k + kLanes <= len; k += kLanes)
    for (arma::uword l = 0; l < kLanes; ++l) acc[l] += a[k + l] * b[k + l];
  double s = 0.0;
  for (; k < len; ++k) s += static_cast<double>(a[k]) * static_cast<double>(b[k]);
  for (arma::uword l = 0; l < kLanes; ++l) s += static_cast<double>(acc[l]);
  return s;
}

/// y += a x.
template <typename X, typename Y>
inline void axpy_kernel(Y a, const X* x, Y* y, arma::uword len) {
  for (arma::uword k = 0; k < len; ++k) y[k] += a * static_cast<Y>(x[k]);
}

/// Ops that keep per-point scores may declare keep_scores(shrunk) (shrunk: c x n
/// flags): from then on they need to keep S(j, i) exact only where shrunk(j, i)
/// is 0 (LIBSVM's shrinking of the gradient, not only of the updates).
/// dual_cd calls it after every epoch and refreshes all scores before any
/// shrunk pair is checked again.
template <class T, class = void>
struct keeps_score_subsets : std::false_type {};
template <class T>
struct keeps_score_subsets<T, std::void_t<decltype(&T::keep_scores)>> : std::true_type {};

/// Projected gradient of the dual at coordinate value a with gradient G, box [0, U].
inline double projected_gradient(double G, double a, double U) {
  if (a <= 0.0) return std::min(G, 0.0);
  if (a >= U) return std::max(G, 0.0);
  return G;
}

/// The largest |projected gradient| per output, given all scores S (c x n, S(j,i) = w_j'z_i).
/// In these units the violation at alpha = 0 is exactly 1 for every point
/// (G_i = -1), so the value is already relative.
inline arma::vec dual_violation(const arma::mat& S, const arma::mat& Y, const arma::mat& beta, const arma::vec& C,
                                bool squared) {
  arma::vec v(S.n_rows, arma::fill::zeros);
  for (arma::uword i = 0; i < S.n_cols; ++i)
    for (arma::uword j = 0; j < S.n_rows; ++j) {
      const double a = beta(j, i) * C[j];
      const double U = squared ? std::numeric_limits<double>::infinity() : C[j];
      const double G = Y(j, i) * S(j, i) - 1.0 + (squared ? a / (2.0 * C[j]) : 0.0);
      v[j] = std::max(v[j], std::abs(projected_gradient(G, a, U)));
    }
  return v;
}

/// Runs dual CD on all outputs jointly: points are visited in one random order
/// per epoch (shared by the outputs, so each point's data is read once per
/// epoch for all c outputs), and an output stops being updated once an epoch
/// saw no projected gradient above `tolerance` for it.
///
/// Shrinking (as in LIBLINEAR): a pair (output j, point i) whose alpha sits at
/// a bound with a gradient pushing it further out than any projected gradient
/// of output j's previous epoch is skipped from then on; a point skipped by
/// every output of the group is not read at all, which is where the time
/// goes once most points are settled (alpha = 0: margin beyond 1). When an
/// output looks converged on its remaining pairs, its skipped pairs come back
/// and it must pass one more full epoch, so the stopping rule is unchanged.
///
/// Ops provides, with coef = alpha o Y (c x n):
///   void scores(arma::uword i, double* out, const char* active)   out[j] = w_j' z_i where active[j]
///   void update(arma::uword i, const double* delta)   w_j += delta_j z_i (delta_j may be 0)
///   void refresh(const arma::mat& coef)   w_j = sum_i coef(j,i) z_i exactly (drops accumulated rounding)
///   arma::mat all_scores()   c x n, S(j,i) = w_j' z_i
///   static constexpr arma::uword refresh_every   epochs between refreshes (0: never)
/// diag: n values <z_i, z_i>; lambdas: c values > 0; beta: c x n, the warm start (updated).
template <class Ops>
DualCdResult dual_cd(Ops& ops, const arma::vec& diag, const arma::mat& Y, const arma::vec& lambdas, bool squared,
                     arma::mat& beta, double tolerance, arma::uword max_epochs, std::uint64_t seed) {
  const arma::uword c = Y.n_rows, n = Y.n_cols;
  const double inf = std::numeric_limits<double>::infinity();
  arma::vec C(c), U(c), d(c);
  for (arma::uword j = 0; j < c; ++j) {
    C[j] = 1.0 / (2.0 * lambdas[j] * static_cast<double>(n));
    U[j] = squared ? inf : C[j];
    d[j] = squared ? 1.0 / (2.0 * C[j]) : 0.0;
  }
  // Work in alpha units inside the loop; beta is the interface.
  arma::mat alpha = beta;
  for (arma::uword j = 0; j < c; ++j) alpha.row(j) *= C[j];
  ops.refresh(alpha % Y);

  std::vector<char> active(c, 1), use(c);
  std::vector<double> score(c), delta(c);
  arma::Mat<char> shrunk(c, n, arma::fill::zeros);
  std::vector<arma::uword> shrunk_count(c, 0);
  // Shrinking thresholds from the previous epoch (LIBLINEAR's PGmax_old / PGmin_old).
  std::vector<double> pg_max_old(c, inf), pg_min_old(c, -inf), pg_max(c), pg_min(c);
  arma::vec worst(c);
  Rng rng(seed, 0x5eedcdULL);
  DualCdResult result;
  for (arma::uword epoch = 0; epoch < max_epochs; ++epoch) {
    const arma::uvec order = rng.permutation(n);
    worst.zeros();
    std::fill(pg_max.begin(), pg_max.end(), -inf);
    std::fill(pg_min.begin(), pg_min.end(), inf);
    for (arma::uword t = 0; t < n; ++t) {
      const arma::uword i = order[t];
      bool any = false;
      for (arma::uword j = 0; j < c; ++j) {
        use[j] = active[j] && !shrunk(j, i);
        any = any || use[j];
      }
      if (!any) continue;
      ops.scores(i, score.data(), use.data());
      bool moved = false;
      for (arma::uword j = 0; j < c; ++j) {
        delta[j] = 0.0;
        if (!use[j]) continue;
        const double y = Y(j, i), a = alpha(j, i);
        const double G = y * score[j] - 1.0 + d[j] * a;
        if ((a <= 0.0 && G > pg_max_old[j]) || (a >= U[j] && G < pg_min_old[j])) {
          shrunk(j, i) = 1;
          ++shrunk_count[j];
          continue;
        }
        const double PG = projected_gradient(G, a, U[j]);
        worst[j] = std::max(worst[j], std::abs(PG));
        pg_max[j] = std::max(pg_max[j], PG);
        pg_min[j] = std::min(pg_min[j], PG);
        if (PG == 0.0) continue;
        const double qii = diag[i] + d[j];
        if (!(qii > 0.0)) continue;  // a zero feature vector with the hinge: alpha_i has no effect on w
        const double next = std::min(std::max(a - G / qii, 0.0), U[j]);
        if (next != a) {
          delta[j] = (next - a) * y;
          alpha(j, i) = next;
          moved = true;
        }
      }
      if (moved) ops.update(i, delta.data());
    }
    result.epochs = epoch + 1;
    bool any = false, unshrunk = false;
    for (arma::uword j = 0; j < c; ++j) {
      if (!active[j]) continue;
      if (worst[j] <= tolerance) {
        if (shrunk_count[j] == 0) {
          active[j] = 0;
          continue;
        }
        unshrunk = true;
        shrunk.row(j).zeros();  // converged on the kept pairs: check all of them again
        shrunk_count[j] = 0;
        pg_max_old[j] = inf;
        pg_min_old[j] = -inf;
      } else {
        pg_max_old[j] = pg_max[j] <= 0.0 ? inf : pg_max[j];
        pg_min_old[j] = pg_min[j] >= 0.0 ? -inf : pg_min[j];
      }
      any = true;
    }
    if (!any) break;
    if constexpr (keeps_score_subsets<Ops>::value) {
      // The scores of the pairs shrunk so far went stale; they are read again from the next epoch.
      if (unshrunk) ops.refresh(alpha % Y);
      ops.keep_scores(shrunk);
    }
    if (Ops::refresh_every > 0 && (epoch + 1) % Ops::refresh_every == 0) ops.refresh(alpha % Y);
  }
  ops.refresh(alpha % Y);
  // The reported violation is recomputed at the final point, not taken from
  // the last epoch (where it was measured while the point was still moving).
  for (arma::uword j = 0; j < c; ++j) beta.row(j) = alpha.row(j) / C[j];
  result.violations = dual_violation(ops.all_scores(), Y, beta, C, squared);
  result.violation = result.violations.max();
  return result;
}

}  // namespace deepdot::detail
