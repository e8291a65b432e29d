// SPDX-License-Identifier: MIT
/// @file feature_ridge.hpp
/// Ridge regression on explicit features, accumulated batch by batch: the
/// squared loss of Algorithm 1 without ever holding the n x D feature matrix.
#pragma once

#include <deepdot/solvers/kernel_ridge.hpp>

#include <armadillo>

#include <functional>
#include <string>
#include <vector>

namespace deepdot {

/// How FeatureRidge solves (ZZ' + n lambda I) W = ZY'.
enum class RidgeSolver {
  automatic,  ///< one lambda: Cholesky; paths: eigen for D <= feature_ridge_eigen_limit, Cholesky above (docs/models.md)
  eigen,      ///< one eigen-decomposition of ZZ' serves every lambda (O(D^3), about 9 times the flops of a Cholesky)
  cholesky,   ///< one Cholesky factorisation per distinct lambda (O(D^3 / 3) each)
};

/// Parses "auto", "eigen" or "cholesky". Throws std::invalid_argument naming the value and the choices.
RidgeSolver parse_ridge_solver(const std::string& name);
/// The canonical name ("auto", "eigen", "cholesky").
std::string ridge_solver_name(RidgeSolver solver);

/// How accumulate() adds the Gram matrix of a float batch to the double accumulator.
enum class Accumulation {
  exact,   ///< the batch converted to double, DSYRK: the exact Gram of the float features
  single,  ///< SGEMMs on blocks of 512 columns into a float scratch, each added in double: faster
           ///< (docs/performance.md) and no double copy of the batch (D x b x 8 bytes less), but every
           ///< batch's sums are rounded in float (relative error about sqrt(b) x 6e-8 per entry)
};

/// The one default of FeatureRidge and TrainerConfig: single, the faster
/// path (docs/performance.md), whose float rounding (about sqrt(b) x 6e-8
/// relative per entry) is far below the random features' own error. Only
/// float batches are affected: double batches are always summed exactly. The
/// eigenvalues of a Gram matrix summed in float are trusted down to float
/// rounding only (the rest is the numerical null space). Ask for exact when
/// the float features' Gram must be exact to double rounding.
constexpr Accumulation default_accumulation = Accumulation::single;

/// Parses "exact" or "single". Throws std::invalid_argument naming the value and the choices.
Accumulation parse_accumulation(const std::string& name);
/// The canonical name ("exact", "single").
std::string accumulation_name(Accumulation accumulation);

/// The largest D for which RidgeSolver::automatic picks the eigen back end for
/// a path of lambdas: one eigen-decomposition costs as much as many Cholesky
/// factorisations, which a path repays only while D is moderate
/// (docs/performance.md, "FeatureRidge back ends").
constexpr arma::uword feature_ridge_eigen_limit = 4096;

/// Generalised cross-validation scores of a lambda grid (no validation set needed).
struct GcvPath {
  arma::vec lambdas;     ///< the grid, L values
  arma::vec gcv;         ///< GCV(lambda) = (RSS / n) / (1 - dof / n)^2, summed over outputs
  arma::vec dof;         ///< effective degrees of freedom tr(H) = sum_i s_i / (s_i + n lambda)
  arma::uword best = 0;  ///< index of the smallest GCV (ties: the larger lambda)
};

/// A source of validation batches: fills Z (D x b features) and Y (c x b
/// targets) and returns true, or returns false when there are no more.
using FeatureBatches = std::function<bool(arma::fmat& Z, arma::mat& Y)>;

/// Streaming ridge regression on features z in R^D with c outputs:
///
///   minimise over W (D x c):  (1/n) sum_i ||W' z_i - y_i||^2 + lambda_j ||w_j||^2 (per output j),
///   W = (ZZ' + n lambda I)^-1 ZY'.
///
/// accumulate() adds a batch to the sufficient statistics ZZ' (D x D, double),
/// ZY' (D x c), sum ||y||^2 per output and the count n, so memory is O(D^2 + bD)
/// whatever n is. Solving then offers the same forms as KernelRidge in the
/// kernel limit: a fixed lambda, the norm ball ||w_j|| = B (Algorithm 1 on
/// features), validation paths over a lambda grid, and GCV. With features
/// Z = phi(X) whose inner products equal the kernel (e.g. exact Taylor
/// features of a polynomial kernel), the predictions equal KernelRidge's.
///
/// @code
/// deepdot::FeatureRidge ridge(D, c);
/// for (auto& [Z, Y] : batches) ridge.accumulate(Z, Y);     // Z: D x b, Y: c x b
/// ridge.set_lambda(1e-4);                                  // or set_norm_bound(B), select_by_gcv(grid)
/// arma::mat scores = ridge.weights().t() * Ztest;          // c x m
/// @endcode
class FeatureRidge {
 public:
  /// dim = D >= 1 features, outputs = c >= 1 targets per point.
  FeatureRidge(arma::uword dim, arma::uword outputs, RidgeSolver solver = RidgeSolver::automatic,
               Accumulation accumulation = default_accumulation);

  /// Z: D x b features, Y: c x b targets (b >= 1). Adds ZZ' with a symmetric
  /// rank-b update (dsyrk) into the double accumulator. Throws
  /// std::invalid_argument on wrong shapes or non-finite values. Invalidates
  /// any previous solution (call a solve method again).
  void accumulate(const arma::mat& Z, const arma::mat& Y);
  /// Single-precision features. Accumulation::exact converts them to double
  /// per batch, so the Gram matrix is the exact (double-rounded) Gram of the
  /// float features; Accumulation::single multiplies in float (see there).
  void accumulate(const arma::fmat& Z, const arma::mat& Y);
  Accumulation accumulation() const { return accumulation_; }

  /// n, the number of points accumulated so far.
  arma::uword count() const { return count_; }
  arma::uword dim() const { return G_.n_rows; }
  arma::uword outputs() const { return C_.n_cols; }
  RidgeSolver solver() const { return solver_; }
  /// The back end of lambda paths (path_weights(), select_by_validation()):
  /// eigen or cholesky. A single lambda (set_lambda()) is solved by Cholesky
  /// under RidgeSolver::automatic unless the decomposition is already held.
  /// A Cholesky factorisation that fails (ZZ' + n lambda I singular to working
  /// precision: a tiny lambda with D > n) falls back to the eigen back end.
  RidgeSolver effective_solver() const;
  /// The back end of the last solve (eigen or cholesky); automatic before any.
  RidgeSolver solved_with() const { return solved_with_; }

  /// The same lambda >= 0 for every output (0: the minimum-norm least-squares
  /// solution, computed through the eigen back end).
  void set_lambda(double lambda);
  /// Per-output lambdas (c values, each >= 0).
  void set_lambdas(const arma::vec& lambdas);
  /// Norm-ball form: for each output the lambda with ||w_j|| = B (to 1e-12
  /// relative), or 0 when the minimum-norm solution is already inside. Needs
  /// the eigen-decomposition (computed on first use whatever solver() says).
  void set_norm_bound(double B);

  /// Scores every lambda of the grid on validation features, selects the best
  /// (ties: the larger lambda) and keeps it. Zv: D x m, Yv: c x m.
  RidgePath select_by_validation(const arma::vec& lambdas, const arma::fmat& Zv, const arma::mat& Yv,
                                 Criterion criterion);
  /// The same, streaming the validation set batch by batch (never holding it whole).
  RidgePath select_by_validation(const arma::vec& lambdas, const FeatureBatches& validation, Criterion criterion);
  /// Norm-ball form over a grid of radii B (ties: the smaller B). Eigen back end.
  NormBallPath select_norm_bound_by_validation(const arma::vec& bounds, const FeatureBatches& validation,
                                               Criterion criterion);
  /// Generalised cross-validation over the grid (one lambda shared by every
  /// output, chosen by the summed GCV); keeps the best. Eigen back end.
  GcvPath select_by_gcv(const arma::vec& lambdas);

  /// D x c weights at the selected lambdas.
  const arma::mat& weights() const;
  /// The selected lambda per output.
  const arma::vec& lambdas() const { return lambdas_; }
  /// ||w_j|| per output at the selected lambdas.
  arma::vec norms() const;
  /// ||w_j|| per output if lambda were used (eigen back end).
  arma::vec norms(double lambda);
  /// D x c weights for each lambda of the grid (eigen: one decomposition for
  /// all; cholesky: one factorisation each).
  std::vector<arma::mat> path_weights(const arma::vec& lambdas);

  /// The sufficient statistics as one flat vector of statistics_size()
  /// numbers: the upper triangle of ZZ' column by column (D(D+1)/2), ZY'
  /// (D x c, column-major), the sum of squared targets per output (c), a flag
  /// (1 when some batch was summed in float, which sets the spectrum's rounding
  /// threshold; summed over parts it stays > 0) and the count n. Partial accumulations over disjoint parts of the data sum to the
  /// statistics of the whole, so P parts are merged by one elementwise sum (an
  /// allreduce in a data-parallel fit) and add_statistics().
  arma::vec statistics() const;
  /// D(D+1)/2 + Dc + c + 2.
  arma::uword statistics_size() const;
  /// Adds statistics (statistics() of a FeatureRidge with the same D and c)
  /// to this one, as if its batches had been accumulated here. Throws
  /// std::invalid_argument on a wrong length, a count that is not a
  /// non-negative integer, or non-finite values. Invalidates any solution.
  void add_statistics(const arma::vec& s);

  /// Replaces the statistics by their sum over parts, in place: for a
  /// data-parallel fit, where every part (rank) holds its own accumulation.
  /// The statistics() vector is visited in consecutive pieces of at most
  /// `piece` numbers (>= 1), in the same order on every part; sum(v) must turn
  /// each piece into its elementwise sum over the parts (an allreduce), and
  /// the result is written back. So ZZ' is never held twice: the memory
  /// beyond the accumulation is one piece. Afterwards the statistics are
  /// checked as add_statistics() checks them (throws std::invalid_argument,
  /// leaving the statistics undefined). Invalidates any solution.
  void reduce_statistics(const std::function<void(arma::vec& v)>& sum, arma::uword piece = arma::uword(1) << 20);

  /// ZZ' (D x D, symmetric; only meaningful between accumulate() calls).
  arma::mat gram() const;
  /// ZY' (D x c).
  const arma::mat& cross() const { return C_; }
  /// Eigenvalues of ZZ' ascending (computes the decomposition on first use).
  const arma::vec& eigenvalues();

 private:
  void require_data(const char* where) const;
  void decompose();
  arma::mat solve_eigen(const arma::vec& mus) const;     // mus = n lambda per output
  arma::mat solve_cholesky(const arma::vec& mus);        // in place in G_'s lower triangle; empty if not PD
  void mirror_upper();                                   // G_'s lower triangle <- its upper one
  arma::mat solve_for(const arma::vec& lambdas, bool path);  // path: one of several lambdas
  arma::vec lambdas_for_bound(double B, const char* where);
  void score_path(const std::vector<arma::mat>& weights, const FeatureBatches& validation, arma::vec& mse,
                  arma::vec& error_rate, const char* where) const;

  void check_batch(const char* where, arma::uword rows, arma::uword cols, const arma::mat& Y) const;
  void count_batch(const arma::mat& Y);
  void accumulate_single(const arma::fmat& Z);  // G_ upper += Z Z' by float blocks

  RidgeSolver solver_;
  Accumulation accumulation_;
  RidgeSolver solved_with_ = RidgeSolver::automatic;
  arma::mat G_;        // D x D, upper triangle accumulated (dsyrk)
  arma::mat C_;        // D x c, ZY'
  arma::vec yy_;       // c, sum of squared targets per output (for GCV residuals)
  arma::uword count_ = 0;
  bool decomposed_ = false;
  bool float_sums_ = false;  // some batch was summed in float (Accumulation::single)
  arma::mat U_;        // D x D eigenvectors of ZZ'
  arma::vec s_;        // D eigenvalues (negative rounding clipped to 0)
  arma::mat Q_;        // D x c, U' ZY'
  double cut_ = 0.0;   // eigenvalues at or below this count as zero
  arma::vec lambdas_;  // c selected lambdas (empty: nothing solved)
  arma::mat W_;        // D x c
};

}  // namespace deepdot
