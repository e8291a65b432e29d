// SPDX-License-Identifier: MIT
/// @file solver_options.hpp
/// Stopping rules shared by the iterative solvers (linear and kernel limit).
#pragma once

#include <armadillo>

namespace deepdot {

/// Stopping rules of the iterative solvers.
struct SolverOptions {
  double tolerance = 1e-3;            ///< relative optimality (gradient norm or KKT violation) to stop at
  arma::uword max_iterations = 1000;  ///< outer iterations (epochs for coordinate descent)
};

}  // namespace deepdot
