// SPDX-License-Identifier: MIT
#include <deepdot/solvers/kernel_svm.hpp>

#include <deepdot/kernels/gram.hpp>

#include "core/check.hpp"
#include "solvers/solver_ball.hpp"
#include "solvers/solver_checks.hpp"
#include "solvers/solver_dual_cd.hpp"
#include "core/threads.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>
#include <exception>

namespace deepdot {

using detail::fail;
using detail::format_double;
using detail::run_groups;

namespace {

// K coef' (n x m) for coef m x n, in double. A float K is multiplied a block of
// its columns at a time, converted to double: the exact scores from the float
// kernel values, and no n x n double copy.
template <typename eT>
arma::mat kernel_times(const arma::Mat<eT>& K, const arma::mat& coef) {
  if constexpr (std::is_same<eT, double>::value) {
    return K * coef.t();
  } else {
    arma::mat S(K.n_rows, coef.n_rows, arma::fill::zeros);
    constexpr arma::uword kBlock = 1024;
    for (arma::uword i0 = 0; i0 < K.n_cols; i0 += kBlock) {
      const arma::uword i1 = std::min(K.n_cols, i0 + kBlock) - 1;
      S += arma::conv_to<arma::mat>::from(K.cols(i0, i1)) * coef.cols(i0, i1).t();
    }
    return S;
  }
}

// Scores are kept for all points: S = K (alpha o Y)' (n x c), so a coordinate
// update costs one column of K (read once for all outputs) per output moved.
// eT is the type K is stored in; the scores are double either way.
template <typename eT>
struct KernelCdOps {
  static constexpr arma::uword refresh_every = 0;  // scores in double: no drift to correct
  const arma::Mat<eT>& K;
  arma::mat S;

  // Per output, the points whose scores are kept exact (dual_cd's unshrunk
  // pairs); all points while `all_` is set. Once most points are shrunk (at
  // alpha = 0 with a margin beyond 1, or at the bound), an update costs their
  // number instead of n: that is most of an epoch's time near the hard margin.
  std::vector<std::vector<arma::uword>> kept_;
  std::vector<char> all_;

  KernelCdOps(const arma::Mat<eT>& k, arma::uword c)
      : K(k), S(k.n_rows, c, arma::fill::zeros), kept_(c), all_(c, 1) {}
  void scores(arma::uword i, double* out, const char* /*active*/) const {
    for (arma::uword j = 0; j < S.n_cols; ++j) out[j] = S(i, j);
  }
  void update(arma::uword i, const double* delta) {
    const eT* column = K.colptr(i);  // K symmetric: column i is row i
    for (arma::uword j = 0; j < S.n_cols; ++j) {
      if (delta[j] == 0.0) continue;
      double* s = S.colptr(j);
      if (all_[j]) {
        detail::axpy_kernel(delta[j], column, s, K.n_rows);
      } else {
        const double d = delta[j];
        for (const arma::uword p : kept_[j]) s[p] += d * static_cast<double>(column[p]);
      }
    }
  }
  void keep_scores(const arma::Mat<char>& shrunk) {
    for (arma::uword j = 0; j < S.n_cols; ++j) {
      kept_[j].clear();
      for (arma::uword i = 0; i < shrunk.n_cols; ++i)
        if (!shrunk(j, i)) kept_[j].push_back(i);
      // A gather costs more per point than the contiguous loop: keep that one above half.
      all_[j] = 2 * kept_[j].size() > shrunk.n_cols;
    }
  }
  void refresh(const arma::mat& coef) {
    S = kernel_times(K, coef);
    std::fill(all_.begin(), all_.end(), 1);  // every score exact again (dual_cd narrows them after an epoch)
  }
  arma::mat all_scores() const { return S.t(); }
};

constexpr std::uint64_t kSeed = 20160619;  // fixed: fits are deterministic

// One-vs-all outputs are independent problems: they are solved in fixed groups
// of at most kOutputsPerGroup, the groups on parallel threads (the same
// grouping as fit_linear's dual CD). Within a group, a point's kernel column is
// read once for all its outputs. The grouping does not depend on the thread
// count, so neither do the results.
constexpr arma::uword kOutputsPerGroup = 5;

// The Gram matrix is stored in float when the tolerance allows it (as in
// fit_linear): half the memory and half the memory traffic of an epoch, which
// is what an epoch's time is made of at n = 10^4. Kernel values are computed
// in double and rounded once (relative error 6e-8), far below what a
// tolerance >= kFloatFloor can see.
constexpr double kFloatFloor = 1e-5;


}  // namespace

KernelSVM::KernelSVM(Kernel kernel, Loss loss, SolverOptions options)
    : kernel_(std::move(kernel)), loss_(loss), options_(options) {
  if (loss != Loss::hinge && loss != Loss::squared_hinge)
    fail("KernelSVM::KernelSVM()", "the loss must be hinge or squared-hinge, got " +
                                       (loss == Loss::squared || loss == Loss::logistic
                                            ? loss_name(loss)
                                            : "Loss(" + std::to_string(static_cast<int>(loss)) + ")") +
                                       " (KernelRidge is the kernel-limit learner for the squared loss)");
  detail::check_solver_options(options_, "KernelSVM::KernelSVM()");
}

void KernelSVM::require_fitted(const char* where) const {
  if (X_.n_cols == 0) throw std::logic_error(std::string(where) + ": call fit() or fit_ball() first");
}

void KernelSVM::prepare(const char* where, const arma::mat& X, const arma::mat& Y, arma::mat& K, arma::fmat& Kf) {
  if (X.n_rows == 0 || X.n_cols == 0)
    fail(where, "X is " + std::to_string(X.n_rows) + " x " + std::to_string(X.n_cols) +
                    "; need d x n inputs with d >= 1 and n >= 1 points (one column per point)");
  detail::check_same_points(X, "X", Y, "Y", where);
  if (Y.n_rows == 0) fail(where, "Y has no rows; need at least one output");
  detail::check_targets(loss_, Y, where);
  require_memory(kernel_limit_memory_bytes(X.n_cols), where,
                 "the kernel limit with n = " + std::to_string(X.n_cols) + " points (the n x n Gram matrix)",
                 "use a feature map (make_feature_map) with fit_linear(), or fewer points");
  if (options_.tolerance < kFloatFloor) {
    K = gram(kernel_, X);  // validates X (finite, unit ball)
    return;
  }
  // Column blocks in double (one GEMM each), rounded to float: no n x n double matrix is ever held.
  Kf.set_size(X.n_cols, X.n_cols);
  constexpr arma::uword kBlock = 2048;
  for (arma::uword j0 = 0; j0 < X.n_cols; j0 += kBlock) {
    const arma::uword j1 = std::min(X.n_cols, j0 + kBlock) - 1;
    Kf.cols(j0, j1) = arma::conv_to<arma::fmat>::from(gram(kernel_, X, X.cols(j0, j1)));  // validates X
  }
}

namespace {

// Runs dual CD on K for a group of outputs at the given lambdas, warm-started
// from the previous solves (see warm_start); returns the per-output RKHS
// norms, sqrt(a_j' K a_j) with a_j = alpha_j o y_j.
template <typename eT>
struct KernelRun {
  const arma::Mat<eT>& K;
  arma::mat Y;  // the group's rows of the targets
  bool squared;
  const SolverOptions& options;
  KernelCdOps<eT> ops;
  arma::vec diag;
  arma::mat beta;
  arma::mat coef;  // c x n, alpha o Y at the last solve
  arma::uword epochs = 0;
  double violation = 0.0;
  arma::vec violations;          // per output, at the last solve
  arma::vec last_lambdas;        // where beta was solved (empty before the first solve)

  KernelRun(const arma::Mat<eT>& k, const arma::mat& y, bool sq, const SolverOptions& o)
      : K(k), Y(y), squared(sq), options(o), ops(k, y.n_rows), diag(arma::conv_to<arma::vec>::from(k.diag())),
        beta(y.n_rows, y.n_cols, arma::fill::zeros) {}

  arma::vec solve(const arma::vec& lambdas) {
    if (!last_lambdas.is_empty()) warm_start(lambdas);
    const detail::DualCdResult r =
        detail::dual_cd(ops, diag, Y, lambdas, squared, beta, options.tolerance, options.max_iterations, kSeed);
    epochs += r.epochs;
    violation = r.violation;
    violations = r.violations;
    last_solution_ = beta;
    last_lambdas = lambdas;
    const double n = static_cast<double>(Y.n_cols);
    coef.set_size(Y.n_rows, Y.n_cols);
    for (arma::uword j = 0; j < Y.n_rows; ++j) coef.row(j) = beta.row(j) % Y.row(j) / (2.0 * lambdas[j] * n);
    arma::vec norms(Y.n_rows);
    for (arma::uword j = 0; j < Y.n_rows; ++j)
      norms[j] = std::sqrt(std::max(arma::dot(coef.row(j).t(), ops.S.col(j)), 0.0));
    return norms;
  }

  // Output j's last solution solves the lambda form at every smaller lambda too:
  // hinge loss, solved to the tolerance, no alpha at the upper bound C (beta < 1).
  // Then the box constraints alpha <= C' > C are inactive and the KKT
  // conditions (which do not involve C otherwise) hold unchanged.
  // The search only uses this to try kLambdaFloor next, where a solve checks it,
  // so a violation a little above the tolerance (as measured after the last epoch) is accepted.
  bool flat(arma::uword j) const {
    return !squared && !last_lambdas.is_empty() && violations[j] <= 2.0 * options.tolerance &&
           last_solution_.row(j).max() < 1.0;
  }

 private:
  arma::mat last_solution_;  // beta of the last solve, at last_lambdas

  // The starting point at new lambdas, per output the better by dual objective
  // of two feasible candidates (beta = alpha / C is the loss derivative):
  //   beta kept: right for the points at the upper bound, and when most are;
  //   alpha kept (clipped to the new box): right near the hard margin, where
  //     the solution stops moving with lambda; exactly right once it is flat.
  // Both cost one product with K together (about one epoch), against the
  // hundreds of epochs a poor start costs near the hard margin.
  void warm_start(const arma::vec& lambdas) {
    const arma::uword c = Y.n_rows, n = Y.n_cols;
    const double upper = squared ? std::numeric_limits<double>::infinity() : 1.0;
    std::vector<arma::mat> candidates;
    candidates.push_back(last_solution_);
    arma::mat kept = last_solution_;
    for (arma::uword j = 0; j < c; ++j)
      kept.row(j) = arma::clamp(kept.row(j) * (lambdas[j] / last_lambdas[j]), 0.0, upper);  // C_old / C_new
    candidates.push_back(std::move(kept));
    // Every candidate's alpha o y, stacked: one pass over K for all.
    const arma::uword m = candidates.size();
    arma::vec C(c);
    for (arma::uword j = 0; j < c; ++j) C[j] = 1.0 / (2.0 * lambdas[j] * static_cast<double>(n));
    arma::mat coefs(m * c, n);
    for (arma::uword k = 0; k < m; ++k)
      for (arma::uword j = 0; j < c; ++j) coefs.row(k * c + j) = candidates[k].row(j) % Y.row(j) * C[j];
    const arma::mat S = kernel_times(K, coefs);
    for (arma::uword j = 0; j < c; ++j) {
      double best = std::numeric_limits<double>::infinity();
      arma::uword pick = 0;
      for (arma::uword k = 0; k < m; ++k) {
        // The dual objective 1/2 a'(Q + diag(d)) a - 1'a at C_j (d = 1 / (2 C_j) for the squared hinge).
        const arma::rowvec a = candidates[k].row(j) * C[j];
        double value = 0.5 * arma::dot(coefs.row(k * c + j).t(), S.col(k * c + j)) - arma::accu(a);
        if (squared) value += 0.25 / C[j] * arma::dot(a, a);
        if (value < best) {
          best = value;
          pick = k;
        }
      }
      beta.row(j) = candidates[pick].row(j);
    }
  }
};

// The result of one group of outputs.
struct GroupFit {
  arma::mat coef;  // group outputs x n
  arma::vec lambdas, norms;
  arma::uword epochs = 0;
  double violation = 0.0;
};

// Solves every output, group by group on parallel threads; solve_group(run,
// group) fills the group's fit from a fresh KernelRun.
template <typename eT, class SolveGroup>
std::vector<GroupFit> fit_groups(const arma::Mat<eT>& K, const arma::mat& Y, bool squared, const SolverOptions& o,
                                 const SolveGroup& solve_group) {
  const arma::uword c = Y.n_rows, groups = (c + kOutputsPerGroup - 1) / kOutputsPerGroup;
  std::vector<GroupFit> fits(groups);
  run_groups(groups, detail::worker_threads(groups), [&](arma::uword g) {
    const arma::uword j0 = g * kOutputsPerGroup, j1 = std::min(c, j0 + kOutputsPerGroup) - 1;
    KernelRun<eT> run(K, Y.rows(j0, j1), squared, o);
    solve_group(run, fits[g]);
    fits[g].coef = run.coef;
    fits[g].epochs = run.epochs;
    fits[g].violation = run.violation;
  });
  return fits;
}

}  // namespace

namespace {

// Assembles the per-group fits of the one-vs-all outputs.
void gather(const std::vector<GroupFit>& fits, arma::mat& alpha, arma::vec& lambdas, arma::vec& norms,
            double& optimality, arma::uword& iterations) {
  arma::uword c = 0;
  for (const auto& f : fits) c += f.lambdas.n_elem;
  alpha.set_size(fits.empty() ? 0 : fits[0].coef.n_cols, c);
  lambdas.set_size(c);
  norms.set_size(c);
  optimality = 0.0;
  iterations = 0;
  arma::uword j = 0;
  for (const auto& f : fits) {
    const arma::uword m = f.lambdas.n_elem;
    alpha.cols(j, j + m - 1) = f.coef.t();
    lambdas.subvec(j, j + m - 1) = f.lambdas;
    norms.subvec(j, j + m - 1) = f.norms;
    j += m;
    optimality = std::max(optimality, f.violation);
    iterations = std::max(iterations, f.epochs);  // the groups run side by side
  }
}

}  // namespace

void KernelSVM::fit(const arma::mat& X, const arma::mat& Y, double lambda) {
  const char* where = "KernelSVM::fit()";
  detail::check_lambda(lambda, where, false);
  arma::mat K;
  arma::fmat Kf;
  prepare(where, X, Y, K, Kf);
  auto solve = [&](auto& run, GroupFit& f) {
    f.lambdas = arma::vec(run.Y.n_rows, arma::fill::value(lambda));
    f.norms = run.solve(f.lambdas);
  };
  const bool sq = loss_ == Loss::squared_hinge;
  gather(Kf.is_empty() ? fit_groups(K, Y, sq, options_, solve) : fit_groups(Kf, Y, sq, options_, solve), alpha_,
         lambdas_, norms_, optimality_, iterations_);
  X_ = X;
}

void KernelSVM::fit_ball(const arma::mat& X, const arma::mat& Y, double B) {
  const char* where = "KernelSVM::fit_ball()";
  detail::check_norm_bound(B, where);
  arma::mat K;
  arma::fmat Kf;
  prepare(where, X, Y, K, Kf);
  auto solve = [&](auto& run, GroupFit& f) {
    // Both hinge losses are 1 at f = 0, so lambda = 1/B^2 starts inside the ball.
    // The norm is matched to B within a tenth of the solver's relative tolerance, or 1e-8
    // if that is smaller: solves stopped at the tolerance determine the norm no better
    // (near B it drifts by ~1e-4 from one warm-started solve to the next at 0.01).
    const double rtol = std::max(1e-8, 0.1 * options_.tolerance);
    const detail::BallSearchResult search = detail::search_ball_lambdas(
        [&](const arma::vec& lam) { return run.solve(lam); }, arma::vec(run.Y.n_rows, arma::fill::ones), B, rtol,
        80, [&](arma::uword j) { return run.flat(j); });
    f.lambdas = search.lambdas;
    f.norms = search.norms;
  };
  const bool sq = loss_ == Loss::squared_hinge;
  gather(Kf.is_empty() ? fit_groups(K, Y, sq, options_, solve) : fit_groups(Kf, Y, sq, options_, solve), alpha_,
         lambdas_, norms_, optimality_, iterations_);
  // A norm above B by the search's rounding is pulled back onto the ball.
  for (arma::uword j = 0; j < norms_.n_elem; ++j)
    if (norms_[j] > B) {
      alpha_.col(j) *= B / norms_[j];
      norms_[j] = B;
    }
  X_ = X;
}

arma::mat KernelSVM::predict(const arma::mat& X) const {
  require_fitted("KernelSVM::predict()");
  if (X.n_rows != X_.n_rows)
    fail("KernelSVM::predict()", "X has " + std::to_string(X.n_rows) + " rows but the model was trained with d = " +
                                     std::to_string(X_.n_rows));
  arma::mat out(alpha_.n_cols, X.n_cols);
  constexpr arma::uword kBlock = 4096;  // bounds the n x block cross-Gram held at once
  for (arma::uword j0 = 0; j0 < X.n_cols; j0 += kBlock) {
    const arma::uword j1 = std::min(X.n_cols, j0 + kBlock) - 1;
    out.cols(j0, j1) = alpha_.t() * gram(kernel_, X_, X.cols(j0, j1));
  }
  return out;
}

arma::vec KernelSVM::rkhs_norms() const {
  require_fitted("KernelSVM::rkhs_norms()");
  return norms_;
}

}  // namespace deepdot
