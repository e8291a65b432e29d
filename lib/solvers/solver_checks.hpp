// SPDX-License-Identifier: MIT
// Private: argument checks shared by fit_linear() and KernelSVM. Not installed.
#pragma once

#include <deepdot/solvers/linear_solver.hpp>

#include <armadillo>

#include <string>

namespace deepdot::detail {

/// tolerance finite and > 0, max_iterations >= 1; messages start with `where`.
void check_solver_options(const SolverOptions& options, const std::string& where);
/// Y finite; +-1 entries for the classification losses; exactly one +1 per
/// column for the multinomial logistic loss (c >= 2).
void check_targets(Loss loss, const arma::mat& Y, const std::string& where);

}  // namespace deepdot::detail
