// SPDX-License-Identifier: MIT
/// @file linear_solver.hpp
/// Regularised ERM with a linear model on explicit features: squared,
/// logistic (multinomial), hinge and squared hinge (one-vs-all), in the lambda
/// form and in the norm-ball form of Algorithm 1.
#pragma once

#include <deepdot/core/loss.hpp>
#include <deepdot/solvers/solver_options.hpp>

#include <armadillo>

namespace deepdot {



/// A linear model on features: scores = W' z.
struct LinearFit {
  arma::mat W;                 ///< D x c weights
  arma::vec lambdas;           ///< per output (all equal for multinomial logistic)
  arma::vec norms;             ///< ||w_j||_2 per output (multinomial: ||W||_F in every entry)
  arma::uword iterations = 0;  ///< outer iterations used (the largest over outputs; summed over the norm-ball search's solves)
  double optimality = 0.0;     ///< final relative gradient norm / KKT violation (the largest over outputs)
  arma::mat dual;              ///< hinge losses: c x n dual variables beta = d loss / d margin (alpha / C in
                               ///< LIBLINEAR's scaling; hinge: in [0, 1]); empty for the other losses
  arma::uword solves = 0;      ///< solves made (the norm-ball form's lambda search; 1 for the lambda form)
};

/// minimise over W:  (1/n) sum_i loss(W' z_i, y_i) + lambda ||W||_F^2     (lambda > 0; squared allows 0)
/// Z: D x n features (float, one column per point); Y: c x n targets, +-1
/// one-vs-all for the classification losses (for logistic, the class of
/// column i is the row holding +1; with c = 1 it is the binary logistic loss
/// log(1 + exp(-y s))). Throws std::invalid_argument on bad shapes,
/// non-finite values, lambda < 0 (or 0 for the iterative losses), or targets
/// that do not fit the loss.
///
/// Algorithms: squared: Cholesky of Z Z'/n + lambda I (D x D, double; Z Z' from
/// float SYRKs per block of 4,096 points), pseudo-inverse via eigen-decomposition
/// at lambda = 0; hinge, squared hinge: dual coordinate descent (Hsieh et al.
/// 2008, no bias, one fixed-seed random order per epoch), optimality = largest
/// |projected gradient| of the dual (1 at W = 0); logistic: trust-region Newton
/// (Lin, Weng & Keerthi 2008), optimality = ||grad|| / ||grad at W = 0||.
/// Tolerances below 1e-5 make dual CD keep W in double (slower per epoch;
/// docs/performance.md).
LinearFit fit_linear(Loss loss, const arma::fmat& Z, const arma::mat& Y, double lambda,
                     const SolverOptions& options = SolverOptions());

/// The norm-ball form (Algorithm 1 on features):
///   minimise (1/n) sum_i loss(W' z_i, y_i)  subject to ||w_j||_2 <= B for every output j
///   (||W||_F <= B for multinomial logistic),
/// solved as the lambda form at the lambda whose solution has norm B (found by
/// a monotone search with warm starts), or the least-regularised solution the
/// solver reaches when that is already inside the ball. B > 0.
LinearFit fit_linear_ball(Loss loss, const arma::fmat& Z, const arma::mat& Y, double B,
                          const SolverOptions& options = SolverOptions());

}  // namespace deepdot
