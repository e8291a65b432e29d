// SPDX-License-Identifier: MIT
#include <deepdot/solvers/linear_solver.hpp>

#include <deepdot/solvers/feature_ridge.hpp>

#include "core/check.hpp"
#include "solvers/solver_ball.hpp"
#include "solvers/solver_checks.hpp"
#include "solvers/solver_dual_cd.hpp"
#include "solvers/solver_primal.hpp"
#include "core/threads.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <exception>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

// Choice of algorithms: squared loss through FeatureRidge (one Cholesky or
// eigen-decomposition of Z Z' accumulated in double); hinge and squared hinge
// by dual coordinate descent over all outputs at once; logistic by
// trust-region Newton (TRON). Dual CD needs an order of magnitude fewer passes
// over Z than the GEMM-based primal methods (TRON, L-BFGS) at the same
// objective, and a pass costs about as much as a CD epoch (measured:
// docs/performance.md, "Solvers for the losses on features").

namespace deepdot {

using detail::fail;
using detail::format_double;
using detail::run_groups;
using detail::worker_threads;

namespace detail {

void check_solver_options(const SolverOptions& options, const std::string& where) {
  if (!(options.tolerance > 0.0) || !std::isfinite(options.tolerance))
    fail(where, "options.tolerance must be finite and > 0, got " + format_double(options.tolerance));
  if (options.max_iterations == 0) fail(where, "options.max_iterations must be >= 1, got 0");
}

void check_targets(Loss loss, const arma::mat& Y, const std::string& where) {
  require_finite(Y, where, "Y");
  if (loss == Loss::squared) return;
  for (arma::uword i = 0; i < Y.n_cols; ++i) {
    for (arma::uword j = 0; j < Y.n_rows; ++j)
      if (Y(j, i) != 1.0 && Y(j, i) != -1.0)
        fail(where, "the " + loss_name(loss) + " loss needs targets +1 or -1 (one-vs-all), but Y has " +
                        format_double(Y(j, i)) + " at row " + std::to_string(j) + ", column " + std::to_string(i));
    if (loss == Loss::logistic && Y.n_rows > 1 && arma::accu(Y.col(i) > 0.0) != 1)
      fail(where, "the multinomial logistic loss needs exactly one +1 per column of Y (the class), column " +
                      std::to_string(i) + " has " + std::to_string(arma::accu(Y.col(i) > 0.0)));
  }
}

}  // namespace detail

namespace {

void check_problem(Loss loss, const arma::fmat& Z, const arma::mat& Y, const std::string& where,
                   const SolverOptions& options) {
  if (Z.n_rows == 0 || Z.n_cols == 0)
    fail(where, "Z is " + std::to_string(Z.n_rows) + " x " + std::to_string(Z.n_cols) +
                    "; need D x n features with D >= 1 and n >= 1 points (one column per point)");
  detail::check_same_points(Z, "Z", Y, "Y", where);
  if (Y.n_rows == 0) fail(where, "Y has no rows; need at least one output");
  if (!Z.is_finite()) detail::require_finite(Z, where, "Z");  // the fast check first, the message second
  detail::check_targets(loss, Y, where);
  detail::check_solver_options(options, where);
  if (static_cast<int>(loss) < 0 || static_cast<int>(loss) > 3) fail(where, "not a Loss value");
}

arma::vec column_norms(const arma::mat& W) {
  arma::vec v(W.n_cols);
  for (arma::uword j = 0; j < W.n_cols; ++j) v[j] = arma::norm(W.col(j));
  return v;
}

// ---------------------------------------------------------------- squared loss
// The one squared-loss solver on features is FeatureRidge; fit_linear() feeds
// it Z in blocks of float columns (SGEMM accumulation in float per block,
// summed in double, so rounding grows with the block length, not with n).
constexpr arma::uword kSquaredBlock = 4096;

FeatureRidge accumulate_squared(const arma::fmat& Z, const arma::mat& Y) {
  FeatureRidge ridge(Z.n_rows, Y.n_rows, RidgeSolver::automatic, Accumulation::single);
  for (arma::uword a = 0; a < Z.n_cols; a += kSquaredBlock) {
    const arma::uword m = std::min(kSquaredBlock, Z.n_cols - a);
    const arma::fmat Zb(const_cast<float*>(Z.colptr(a)), Z.n_rows, m, false, true);  // a view, no copy
    ridge.accumulate(Zb, Y.cols(a, a + m - 1));
  }
  return ridge;
}

/// ||(ZZ'/n + lambda I) W - ZY'/n||_F / ||ZY'/n||_F: the relative gradient norm.
double squared_optimality(const FeatureRidge& ridge, const arma::mat& W, const arma::vec& lambdas) {
  const double n = static_cast<double>(ridge.count());
  arma::mat r = ridge.gram() * W / n - ridge.cross() / n;
  for (arma::uword j = 0; j < W.n_cols; ++j) r.col(j) += lambdas[j] * W.col(j);
  const double b = arma::norm(ridge.cross(), "fro") / n;
  return b > 0.0 ? arma::norm(r, "fro") / b : arma::norm(r, "fro");
}

LinearFit squared_result(FeatureRidge& ridge) {
  LinearFit fit;
  fit.W = ridge.weights();
  fit.lambdas = ridge.lambdas();
  fit.norms = column_norms(fit.W);
  fit.iterations = 1;
  fit.solves = 1;
  fit.optimality = squared_optimality(ridge, fit.W, fit.lambdas);
  return fit;
}

LinearFit fit_squared(const arma::fmat& Z, const arma::mat& Y, double lambda) {
  FeatureRidge ridge = accumulate_squared(Z, Y);
  ridge.set_lambda(lambda);
  return squared_result(ridge);
}

LinearFit fit_squared_ball(const arma::fmat& Z, const arma::mat& Y, double B) {
  FeatureRidge ridge = accumulate_squared(Z, Y);
  ridge.set_norm_bound(B);
  return squared_result(ridge);
}

// ------------------------------------------------- hinge losses: dual CD
// Per coordinate: c dot products z_i'w_j (z_i stays in cache for all c) and
// one axpy per output whose alpha moved. T is the type of W:
// * float: the fast path. W sits next to Z in float and is rebuilt exactly from
//   alpha (one SGEMM) every few epochs, which bounds the drift of the
//   incremental float updates; float scores limit the reachable KKT violation
//   to about 1e-6, plenty for the default tolerance 1e-3.
// * double: for tolerances below kFloatFloor; slower per epoch (double
//   lanes; docs/performance.md), exact up to double rounding.
constexpr double kFloatFloor = 1e-5;

template <typename T>
struct LinearCdOps {
  static constexpr arma::uword refresh_every = std::is_same<T, float>::value ? 10 : 0;
  const arma::fmat& Z;
  arma::Mat<T> W;

  LinearCdOps(const arma::fmat& z, arma::uword c) : Z(z), W(z.n_rows, c, arma::fill::zeros) {}
  void scores(arma::uword i, double* out, const char* active = nullptr) const {
    for (arma::uword j = 0; j < W.n_cols; ++j)
      if (!active || active[j]) out[j] = detail::dot_kernel(Z.colptr(i), W.colptr(j), Z.n_rows);
  }
  void update(arma::uword i, const double* delta) {
    for (arma::uword j = 0; j < W.n_cols; ++j)
      if (delta[j] != 0.0) detail::axpy_kernel(static_cast<T>(delta[j]), Z.colptr(i), W.colptr(j), Z.n_rows);
  }
  void refresh(const arma::mat& coef) {
    if constexpr (std::is_same<T, float>::value) {
      const arma::fmat cf = arma::conv_to<arma::fmat>::from(coef);
      W = Z * cf.t();
    } else {
      W.zeros();
      for (arma::uword i = 0; i < Z.n_cols; ++i) update(i, coef.colptr(i));
    }
  }
  arma::mat all_scores() const {
    if constexpr (std::is_same<T, float>::value) {
      return arma::conv_to<arma::mat>::from(W.t() * Z);
    } else {
      arma::mat S(W.n_cols, Z.n_cols);
      for (arma::uword i = 0; i < Z.n_cols; ++i) scores(i, S.colptr(i));
      return S;
    }
  }
};

arma::vec squared_norms_of_columns(const arma::fmat& Z) {
  arma::vec d(Z.n_cols);
  for (arma::uword i = 0; i < Z.n_cols; ++i) {
    const float* z = Z.colptr(i);
    double s = 0.0;
    for (arma::uword k = 0; k < Z.n_rows; ++k) s += static_cast<double>(z[k]) * z[k];
    d[i] = s;
  }
  return d;
}

constexpr std::uint64_t kCdSeed = 20080705;  // fixed: fits are deterministic

// One-vs-all outputs are independent problems. Dual CD runs them in fixed
// groups of at most kOutputsPerGroup, the groups on parallel threads: within a
// group a point's features are read once for all its outputs (the memory
// traffic that dominates an epoch), across groups the cores share the work.
// The grouping does not depend on the thread count, so neither do the results.
constexpr arma::uword kOutputsPerGroup = 5;

/// Threads for the output groups: the BLAS thread budget (which --threads and
/// OPENBLAS_NUM_THREADS set), at most one per group.
arma::uword group_threads(arma::uword groups) { return worker_threads(groups); }


// The state of the iterative solvers, kept between solves of the lambda search.
class IterativeSolver {
 public:
  IterativeSolver(Loss loss, const arma::fmat& Z, const arma::mat& Y, const SolverOptions& options)
      : loss_(loss), Z_(Z), Y_(Y), options_(options), W_(Z.n_rows, Y.n_rows, arma::fill::zeros) {
    if (uses_dual()) {
      diag_ = squared_norms_of_columns(Z);
      beta_.zeros(Y.n_rows, Y.n_cols);
    }
  }
  // Both hinge losses use dual CD: on a Fashion-sized problem it beat the
  // primal GEMM-based solvers for the squared hinge (see the lead's report).
  bool uses_dual() const { return loss_ != Loss::logistic; }
  bool joint() const { return loss_ == Loss::logistic && Y_.n_rows > 1; }

  // Solves at per-output lambdas (warm start from the previous solve).
  void solve(const arma::vec& lambdas) {
    if (uses_dual()) {
      const arma::uword c = Y_.n_rows, groups = (c + kOutputsPerGroup - 1) / kOutputsPerGroup;
      std::vector<detail::DualCdResult> results(groups);
      run_groups(groups, group_threads(groups), [&](arma::uword g) {
        const arma::uword j0 = g * kOutputsPerGroup, j1 = std::min(c, j0 + kOutputsPerGroup) - 1;
        results[g] = options_.tolerance < kFloatFloor ? solve_group<double>(j0, j1, lambdas)
                                                      : solve_group<float>(j0, j1, lambdas);
      });
      arma::uword epochs = 0;
      double violation = 0.0;
      for (const auto& r : results) {
        epochs = std::max(epochs, r.epochs);
        violation = std::max(violation, r.violation);
      }
      iterations_ += epochs;
      optimality_ = violation;
    } else {
      const detail::PrimalResult r = detail::fit_primal(loss_, Z_, Y_, lambdas, W_, options_.tolerance,
                                                        options_.max_iterations, detail::PrimalMethod::tron);
      iterations_ += r.iterations;
      optimality_ = r.optimality;
    }
  }
  /// Dual CD on outputs j0..j1 (a disjoint slice of W_ and beta_ per group).
  template <typename T>
  detail::DualCdResult solve_group(arma::uword j0, arma::uword j1, const arma::vec& lambdas) {
    LinearCdOps<T> ops(Z_, j1 - j0 + 1);
    arma::mat beta = beta_.rows(j0, j1);
    const detail::DualCdResult r =
        detail::dual_cd(ops, diag_, Y_.rows(j0, j1), lambdas.subvec(j0, j1), loss_ == Loss::squared_hinge, beta,
                        options_.tolerance, options_.max_iterations, kCdSeed);
    beta_.rows(j0, j1) = beta;
    W_.cols(j0, j1) = arma::conv_to<arma::mat>::from(ops.W);
    return r;
  }

  arma::vec norms() const {
    return joint() ? arma::vec(W_.n_cols, arma::fill::value(arma::norm(W_, "fro"))) : column_norms(W_);
  }

  LinearFit result(const arma::vec& lambdas) const {
    LinearFit fit;
    fit.W = W_;
    fit.lambdas = lambdas;
    fit.norms = norms();
    fit.iterations = iterations_;
    fit.optimality = optimality_;
    if (uses_dual()) fit.dual = beta_;
    return fit;
  }

 private:
  Loss loss_;
  const arma::fmat& Z_;
  const arma::mat& Y_;
  SolverOptions options_;
  arma::mat W_;
  arma::vec diag_;
  arma::mat beta_;
  arma::uword iterations_ = 0;
  double optimality_ = 0.0;
};

}  // namespace

LinearFit fit_linear(Loss loss, const arma::fmat& Z, const arma::mat& Y, double lambda, const SolverOptions& options) {
  const std::string where = "fit_linear()";
  check_problem(loss, Z, Y, where, options);
  detail::check_lambda(lambda, where);
  if (loss != Loss::squared && lambda == 0.0)
    fail(where, "lambda must be > 0 for the " + loss_name(loss) +
                    " loss (its unregularised minimiser may not exist); got 0");
  if (loss == Loss::squared) return fit_squared(Z, Y, lambda);
  IterativeSolver solver(loss, Z, Y, options);
  const arma::vec lambdas(Y.n_rows, arma::fill::value(lambda));
  solver.solve(lambdas);
  LinearFit fit = solver.result(lambdas);
  fit.solves = 1;
  return fit;
}

LinearFit fit_linear_ball(Loss loss, const arma::fmat& Z, const arma::mat& Y, double B, const SolverOptions& options) {
  const std::string where = "fit_linear_ball()";
  check_problem(loss, Z, Y, where, options);
  detail::check_norm_bound(B, where);
  if (loss == Loss::squared) return fit_squared_ball(Z, Y, B);

  IterativeSolver solver(loss, Z, Y, options);
  const arma::uword c = Y.n_rows;
  // The search runs over independent groups: one per output, or a single one
  // (||W||_F) for the multinomial loss. L(0) bounds lambda ||w||^2, which places
  // the first lambda inside the ball.
  const bool joint = solver.joint();
  const arma::uword groups = joint ? 1 : c;
  const double loss_at_zero = loss == Loss::logistic ? (c > 1 ? std::log(static_cast<double>(c)) : std::log(2.0)) : 1.0;
  auto solve = [&](const arma::vec& lam) {
    solver.solve(joint ? arma::vec(c, arma::fill::value(lam[0])) : lam);
    const arma::vec norms = solver.norms();
    return joint ? arma::vec{norms[0]} : norms;
  };
  const detail::BallSearchResult search =
      detail::search_ball_lambdas(solve, arma::vec(groups, arma::fill::value(loss_at_zero)), B);
  const arma::vec lambdas = joint ? arma::vec(c, arma::fill::value(search.lambdas[0])) : search.lambdas;
  LinearFit fit = solver.result(lambdas);
  fit.solves = search.solves;
  // The solution at the found lambda has norm B up to the search tolerance;
  // a norm above B by rounding is pulled back so the constraint holds exactly.
  if (joint) {
    if (fit.norms[0] > B) { fit.W *= B / fit.norms[0]; fit.norms.fill(B); }
  } else {
    for (arma::uword j = 0; j < c; ++j)
      if (fit.norms[j] > B) { fit.W.col(j) *= B / fit.norms[j]; fit.norms[j] = B; }
  }
  return fit;
}

}  // namespace deepdot
