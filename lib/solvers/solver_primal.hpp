// SPDX-License-Identifier: MIT
// Private: primal solvers (L-BFGS and trust-region Newton) for the smooth
// losses on explicit features: multinomial / binary logistic and the squared
// hinge. Not installed; exposed in detail:: so benchmarks can compare methods.
#pragma once

#include <deepdot/solvers/linear_solver.hpp>

#include <armadillo>

namespace deepdot {
class Communicator;
}

namespace deepdot::detail {

enum class PrimalMethod { lbfgs, tron };

struct PrimalResult {
  arma::uword iterations = 0;  ///< outer iterations (L-BFGS steps or Newton steps)
  arma::uword passes = 0;      ///< products with Z (each reads all of Z once): the cost measure
  double optimality = 0.0;     ///< the stopping measure at the end (see fit_primal())
};

/// minimise (1/n) sum_i loss(W'z_i, y_i) + sum_j lambda_j ||w_j||^2 over W (D x c)
/// for loss = logistic (c >= 2: softmax over the c rows, the class of column i
/// is the row of Y holding +1; c = 1: binary log(1 + exp(-y s))) or
/// squared_hinge (one-vs-all). Z: D x n float; Y: c x n; lambdas: c values > 0.
/// W is the warm start on entry and the solution on exit. Stops after
/// max_iterations or when the measure of the loss's single-process solver is
/// <= tolerance: logistic, ||grad|| / ||grad at W = 0||; squared hinge, the
/// largest KKT violation of the dual point W induces (that of dual_cd(), so a
/// tolerance stops Newton and dual coordinate descent at the same accuracy).
PrimalResult fit_primal(Loss loss, const arma::fmat& Z, const arma::mat& Y, const arma::vec& lambdas, arma::mat& W,
                        double tolerance, arma::uword max_iterations, PrimalMethod method);

/// The data-parallel trust-region Newton method (as in the MPI version of
/// LIBLINEAR): Z (D x n_r) and Y (c x n_r) are this rank's points and n the
/// count over all ranks. Every sum over points is completed by an allreduce:
/// one of D x c numbers per gradient and per conjugate-gradient step (Z R'),
/// one of 1 number per objective value; everything of size D x c is then the
/// same on every rank, so all ranks follow the same iterates and end with the
/// same W. Same objective and stopping rule as fit_primal().
PrimalResult fit_primal_distributed(const Communicator& comm, Loss loss, const arma::fmat& Z, const arma::mat& Y,
                                    arma::uword n, const arma::vec& lambdas, arma::mat& W, double tolerance,
                                    arma::uword max_iterations);

}  // namespace deepdot::detail
