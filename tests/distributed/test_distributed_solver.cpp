// SPDX-License-Identifier: MIT
// The data-parallel trust-region Newton method against the single-process one.
#include "solvers/solver_primal.hpp"

#include <deepdot/core/random.hpp>
#include <deepdot/distributed/communicator.hpp>

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
    arma::mat W1(20, 3, arma::fill::zeros), W2(20, 3, arma::fill::zeros);
    const auto a = deepdot::detail::fit_primal(loss, Z, Y, lambdas, W1, 1e-6, 200, deepdot::detail::PrimalMethod::tron);
    const auto b = deepdot::detail::fit_primal_distributed(comm, loss, Z, Y, 150, lambdas, W2, 1e-6, 200);
    CHECK(a.iterations == b.iterations);
    CHECK(b.optimality <= 1e-6);
    CHECK(arma::approx_equal(W1, W2, "absdiff", 0.0));
    CHECK(arma::norm(W2, "fro") > 0.1);  // a real solution, not the start
  }
}
