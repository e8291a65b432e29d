// SPDX-License-Identifier: MIT
// Private: the lambda search behind the norm-ball form of Algorithm 1, shared
// by fit_linear_ball() and KernelSVM::fit_ball(). Not installed.
#pragma once

#include <armadillo>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace deepdot::detail {

/// The smallest lambda the iterative solvers are asked for: below it the
/// solution is reported as "the least-regularised one" (already in the ball).
constexpr double kLambdaFloor = 1e-10;

struct BallSearchResult {
  arma::vec lambdas;  ///< per group
  arma::vec norms;    ///< the norms of the last solve, at `lambdas`
  arma::uword solves = 0;
};

/// Finds, for each of k independent groups (outputs), the lambda whose
/// solution has norm B. solve(lambdas) solves all groups at the given lambdas
/// (warm-starting from its previous solution) and returns the k norms.
///
/// ||w(lambda)|| decreases with lambda, and for every convex loss
/// lambda ||w||^2 <= L(0) - L(w) <= L(0), so lambda = L(0)/B^2 is always inside
/// the ball: the search starts there and moves down. In the log-log plane the
/// norm is close to a line of slope in [-1, 0] (slope -1 while the loss
/// term is nearly linear in w), so a secant step on log ||w|| - log B,
/// safeguarded by the bracket [lo, hi] (norm > B at lo, <= B at hi) and
/// falling back to bisection in log lambda, converges in a few warm-started
/// solves. A group whose norm at kLambdaFloor is still <= B is inside: its
/// lambda is kLambdaFloor.
///
/// flat(j), optional, says that group j's last solution is also the solution
/// at every smaller lambda (the hinge loss once no point is at the upper bound
/// of the dual box: the lambda form then has the hard-margin solution). A
/// group inside the ball with a flat solution goes straight to kLambdaFloor,
/// where one more solve confirms it, instead of stepping down to it.
struct NeverFlat {
  bool operator()(arma::uword) const { return false; }
};

template <class Solve, class Flat = NeverFlat>
BallSearchResult search_ball_lambdas(Solve&& solve, const arma::vec& loss_at_zero, double B,
                                     double rtol = 1e-8, arma::uword max_solves = 80, Flat&& flat = Flat()) {
  const arma::uword k = loss_at_zero.n_elem;
  const double inf = std::numeric_limits<double>::infinity();
  arma::vec lam(k), lo(k, arma::fill::zeros), hi(k), prev_t(k), prev_n(k);
  hi.fill(inf);
  prev_t.fill(std::numeric_limits<double>::quiet_NaN());
  std::vector<char> done(k, 0);
  for (arma::uword j = 0; j < k; ++j) lam[j] = std::max(loss_at_zero[j] / (B * B), kLambdaFloor);

  BallSearchResult r;
  arma::vec solved_at = lam;
  while (true) {
    r.norms = solve(lam);
    solved_at = lam;
    ++r.solves;
    bool all_done = true;
    for (arma::uword j = 0; j < k; ++j) {
      if (done[j]) continue;
      const double nrm = r.norms[j];
      if (std::abs(nrm - B) <= rtol * B) { done[j] = 1; continue; }
      if (nrm > B) lo[j] = lam[j]; else hi[j] = lam[j];
      if (nrm <= B && lam[j] <= kLambdaFloor) { done[j] = 1; continue; }
      if (nrm <= B && flat(j)) {
        lam[j] = kLambdaFloor;
        all_done = false;
        continue;
      }
      if (lo[j] > 0.0 && hi[j] < inf && hi[j] <= lo[j] * (1.0 + 1e-12)) {  // bracket collapsed
        lam[j] = hi[j];
        done[j] = 1;
        continue;
      }
      const double t = std::log(lam[j]);
      const double f = std::log(std::max(nrm, 1e-300)) - std::log(B);
      double slope = -1.0;
      if (std::isfinite(prev_t[j]) && prev_t[j] != t) {
        const double s = (f - (std::log(std::max(prev_n[j], 1e-300)) - std::log(B))) / (t - prev_t[j]);
        if (std::isfinite(s) && s < 0.0) slope = s;
      }
      slope = std::min(std::max(slope, -4.0), -0.05);
      double next = t - f / slope;
      if (lo[j] > 0.0 && hi[j] < inf) {
        // Inside the bracket with a margin, else bisect (in log lambda).
        const double a = std::log(lo[j]), b = std::log(hi[j]), margin = 0.01 * (b - a);
        if (!(next > a + margin && next < b - margin)) next = 0.5 * (a + b);
      } else {
        next = std::min(std::max(next, t - std::log(1e4)), t + std::log(1e4));  // at most 4 decades a step
      }
      prev_t[j] = t;
      prev_n[j] = nrm;
      lam[j] = std::max(std::exp(next), kLambdaFloor);
      all_done = false;
    }
    if (all_done || r.solves >= max_solves) break;
  }
  // Out of solves: settle on the feasible side of the bracket.
  for (arma::uword j = 0; j < k; ++j)
    if (!done[j]) lam[j] = hi[j] < inf ? hi[j] : lam[j];
  if (arma::any(lam != solved_at)) {
    r.norms = solve(lam);
    ++r.solves;
  }
  r.lambdas = lam;
  return r;
}

}  // namespace deepdot::detail
