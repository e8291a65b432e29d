// SPDX-License-Identifier: MIT
// The data-parallel trust-region Newton method against the single-process one.
#include "solvers/solver_primal.hpp"

#include <deepdot/core/random.hpp>
#include <deepdot/distributed/communicator.hpp>
#include <deepdot/solvers/linear_solver.hpp>

#include <doctest/doctest.h>

TEST_CASE("fit_primal_distributed on one rank follows the single-process trust-region Newton iterates") {
  deepdot::Rng rng(5, 9);
  const arma::fmat Z = arma::conv_to<arma::fmat>::from(rng.normal_matrix(20, 150)) / 4.0f;
  arma::mat Y(3, 150);
  Y.fill(-1.0);
  for (arma::uword i = 0; i < 150; ++i) Y(static_cast<arma::uword>(std::abs(Z(0, i) * 7)) % 3, i) = 1.0;
  const deepdot::SerialCommunicator comm;
  for (auto loss : {deepdot::Loss::logistic, deepdot::Loss::squared_hinge}) {
    const arma::vec lambdas(3, arma::fill::value(1e-3));
    // The squared hinge stops on the dual KKT violation, whose float floor is about 1e-6.
    const double tol = loss == deepdot::Loss::logistic ? 1e-6 : 1e-4;
    arma::mat W1(20, 3, arma::fill::zeros), W2(20, 3, arma::fill::zeros);
    const auto a = deepdot::detail::fit_primal(loss, Z, Y, lambdas, W1, tol, 200, deepdot::detail::PrimalMethod::tron);
    const auto b = deepdot::detail::fit_primal_distributed(comm, loss, Z, Y, 150, lambdas, W2, tol, 200);
    CHECK(a.iterations == b.iterations);
    CHECK(b.optimality <= tol);
    CHECK(arma::approx_equal(W1, W2, "absdiff", 0.0));
    CHECK(arma::norm(W2, "fro") > 0.1);  // a real solution, not the start
  }
}

namespace {

// (1/n) sum_ij max(0, 1 - y s)^2 + lambda ||W||^2: the objective both solvers minimise.
double squared_hinge_objective(const arma::fmat& Z, const arma::mat& Y, const arma::mat& W, double lambda) {
  const arma::mat S = W.t() * arma::conv_to<arma::mat>::from(Z);
  const arma::mat m = arma::clamp(1.0 - Y % S, 0.0, arma::datum::inf);
  return arma::accu(arma::square(m)) / static_cast<double>(Z.n_cols) + lambda * arma::accu(arma::square(W));
}

/// max |projected gradient| of the squared hinge's dual at alpha = 2C max(0, 1 - y W'z), C = 1 / (2 lambda n).
double dual_violation(const arma::fmat& Z, const arma::mat& Y, const arma::mat& W, double lambda) {
  const arma::mat Zd = arma::conv_to<arma::mat>::from(Z);
  const double C = 1.0 / (2.0 * lambda * static_cast<double>(Z.n_cols));
  const arma::mat alpha = 2.0 * C * arma::clamp(1.0 - Y % (W.t() * Zd), 0.0, arma::datum::inf);
  const arma::mat S = (Zd * (alpha % Y).t()).t() * Zd;  // scores of w(alpha) = sum_i alpha_i y_i z_i
  const arma::mat G = Y % S - 1.0 + alpha / (2.0 * C);
  double worst = 0.0;
  for (arma::uword k = 0; k < G.n_elem; ++k) worst = std::max(worst, std::abs(alpha[k] > 0.0 ? G[k] : std::min(G[k], 0.0)));
  return worst;
}

}  // namespace

TEST_CASE("the distributed Newton method and dual coordinate descent stop at the same objective for the squared hinge") {
  // Small lambda with D < n: ill-conditioned, where a relative gradient norm
  // of 1e-2 stops Newton far from the minimiser; the shared KKT rule does not.
  deepdot::Rng rng(11, 3);
  const arma::uword D = 100, n = 400, c = 3;
  const arma::fmat Z = arma::conv_to<arma::fmat>::from(rng.normal_matrix(D, n)) / 8.0f;
  arma::mat Y(c, n);
  Y.fill(-1.0);
  for (arma::uword i = 0; i < n; ++i) Y(static_cast<arma::uword>(std::abs(Z(0, i) + Z(1, i)) * 20) % c, i) = 1.0;
  const deepdot::SerialCommunicator comm;
  for (double tol : {1e-2, 1e-3}) {
    const double lambda = 1e-5;
    deepdot::SolverOptions opts;
    opts.tolerance = tol;
    opts.max_iterations = 100000;
    const deepdot::LinearFit dual = deepdot::fit_linear(deepdot::Loss::squared_hinge, Z, Y, lambda, opts);
    arma::mat W(D, c, arma::fill::zeros);
    const auto newton = deepdot::detail::fit_primal_distributed(comm, deepdot::Loss::squared_hinge, Z, Y, n,
                                                                arma::vec(c, arma::fill::value(lambda)), W, tol, 1000);
    INFO("dual CD: " << dual.iterations << " epochs, violation " << dual.optimality);
    CHECK(dual.optimality <= 2.0 * tol);  // measured during its last epoch, recomputed at the end
    CHECK(newton.optimality <= tol);
    const double f_dual = squared_hinge_objective(Z, Y, dual.W, lambda);
    const double f_newton = squared_hinge_objective(Z, Y, W, lambda);
    INFO("tolerance " << tol << ": dual CD " << f_dual << ", Newton " << f_newton);
    CHECK(std::abs(f_dual - f_newton) <= tol * f_dual);
    const double apart = arma::norm(W - dual.W, "fro") / arma::norm(dual.W, "fro");
    INFO("weights apart by " << apart);
    CHECK(apart <= tol);
    // Newton's stopping measure is the dual method's: the KKT violation of
    // the dual point alpha = 2 C max(0, 1 - y s), from its definition.
    CHECK(dual_violation(Z, Y, W, lambda) <= tol);
  }
}
