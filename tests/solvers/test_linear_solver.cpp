// SPDX-License-Identifier: MIT
#include <deepdot/solvers/linear_solver.hpp>

#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include "support/solver_test_support.hpp"

#include <cblas.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace {

// A small problem: Z (D x n float, columns of norm <= 1) and one-vs-all
// targets of c classes from a random linear teacher with label noise.
struct Problem {
  arma::fmat Z;
  arma::mat Zd;  // the same values in double, for the references
  arma::mat Y;   // c x n, +-1, one +1 per column
};

Problem make_problem(arma::uword D, arma::uword n, arma::uword c, std::uint64_t seed, double flip = 0.1) {
  deepdot::Rng rng(seed);
  Problem p;
  p.Zd = rng.normal_matrix(D, n) / std::sqrt(static_cast<double>(D));
  const arma::mat T = rng.normal_matrix(D, c);
  const arma::mat S = T.t() * p.Zd;
  p.Y.set_size(c, n);
  p.Y.fill(-1.0);
  for (arma::uword i = 0; i < n; ++i) {
    arma::uword k = S.col(i).index_max();
    if (rng.uniform() < flip) k = rng.below(c);
    p.Y(k, i) = 1.0;
  }
  p.Z = arma::conv_to<arma::fmat>::from(p.Zd);
  p.Zd = arma::conv_to<arma::mat>::from(p.Z);
  return p;
}

deepdot::SolverOptions tight(double tol = 1e-9, arma::uword iters = 100000) {
  deepdot::SolverOptions o;
  o.tolerance = tol;
  o.max_iterations = iters;
  return o;
}

// Primal objectives and gradients in double, independent of the library.
double objective(deepdot::Loss loss, const arma::mat& Z, const arma::mat& Y, const arma::mat& W, double lambda) {
  const arma::mat S = W.t() * Z;
  const double n = static_cast<double>(Z.n_cols);
  double v = 0.0;
  for (arma::uword i = 0; i < S.n_cols; ++i) {
    if (loss == deepdot::Loss::logistic && S.n_rows > 1) {
      const arma::uword k = Y.col(i).index_max();
      v += std::log(arma::accu(arma::exp(S.col(i)))) - S(k, i);
      continue;
    }
    for (arma::uword j = 0; j < S.n_rows; ++j) {
      const double m = 1.0 - Y(j, i) * S(j, i);
      if (loss == deepdot::Loss::hinge) v += std::max(m, 0.0);
      else if (loss == deepdot::Loss::squared_hinge) v += std::max(m, 0.0) * std::max(m, 0.0);
      else if (loss == deepdot::Loss::squared) v += (S(j, i) - Y(j, i)) * (S(j, i) - Y(j, i));
      else v += std::log1p(std::exp(-Y(j, i) * S(j, i)));
    }
  }
  return v / n + lambda * arma::accu(arma::square(W));
}

arma::mat gradient(deepdot::Loss loss, const arma::mat& Z, const arma::mat& Y, const arma::mat& W, double lambda) {
  const arma::mat S = W.t() * Z;
  const double n = static_cast<double>(Z.n_cols);
  arma::mat R(S.n_rows, S.n_cols);
  for (arma::uword i = 0; i < S.n_cols; ++i) {
    if (loss == deepdot::Loss::logistic && S.n_rows > 1) {
      const arma::vec p = arma::exp(S.col(i)) / arma::accu(arma::exp(S.col(i)));
      R.col(i) = p;
      R(Y.col(i).index_max(), i) -= 1.0;
      continue;
    }
    for (arma::uword j = 0; j < S.n_rows; ++j) {
      const double y = Y(j, i), s = S(j, i);
      if (loss == deepdot::Loss::squared_hinge) R(j, i) = -2.0 * y * std::max(1.0 - y * s, 0.0);
      else if (loss == deepdot::Loss::squared) R(j, i) = 2.0 * (s - y);
      else R(j, i) = -y / (1.0 + std::exp(y * s));
    }
  }
  return Z * R.t() / n + 2.0 * lambda * W;
}

// Plain gradient descent with step 1/L, run long: the reference minimiser of a smooth loss.
arma::mat gradient_descent(deepdot::Loss loss, const arma::mat& Z, const arma::mat& Y, double lambda, int steps) {
  const double n = static_cast<double>(Z.n_cols);
  const double zz = arma::norm(Z, 2) * arma::norm(Z, 2) / n;
  const double L = (loss == deepdot::Loss::logistic ? 1.0 : 2.0) * zz + 2.0 * lambda;
  arma::mat W(Z.n_rows, Y.n_rows, arma::fill::zeros);
  for (int t = 0; t < steps; ++t) W -= gradient(loss, Z, Y, W, lambda) / L;
  return W;
}

// Dual objective of the hinge losses in beta units (see solver_dual_cd.hpp):
// (1/n) sum beta - ||sum beta_i y_i z_i||^2 / (4 lambda n^2) [- (1/(4n)) sum beta^2 for the squared hinge].
double dual_objective(bool squared, const arma::mat& Z, const arma::mat& Y, const arma::mat& beta, double lambda) {
  const double n = static_cast<double>(Z.n_cols);
  const arma::mat V = Z * (beta % Y).t();
  double v = arma::accu(beta) / n - arma::accu(arma::square(V)) / (4.0 * lambda * n * n);
  if (squared) v -= arma::accu(arma::square(beta)) / (4.0 * n);
  return v;
}

}  // namespace

using solver_test::check_throws_with;

TEST_CASE("parse_loss and loss_name round-trip; unknown names are rejected") {
  for (auto loss : {deepdot::Loss::squared, deepdot::Loss::logistic, deepdot::Loss::hinge, deepdot::Loss::squared_hinge})
    CHECK(deepdot::parse_loss(deepdot::loss_name(loss)) == loss);
  CHECK(deepdot::loss_name(deepdot::Loss::squared_hinge) == "squared-hinge");
  check_throws_with([] { deepdot::parse_loss("squared_hinge"); }, "squared_hinge");
  check_throws_with([] { deepdot::parse_loss(""); }, "unknown loss");
}

TEST_CASE("fit_linear squared: equals arma::solve of the normal equations, and the pseudo-inverse at lambda = 0") {
  const Problem p = make_problem(12, 200, 3, 1);
  for (double lambda : {1e-3, 0.1}) {
    const deepdot::LinearFit fit = deepdot::fit_linear(deepdot::Loss::squared, p.Z, p.Y, lambda);
    const double n = 200.0;
    const arma::mat ref = arma::solve(p.Zd * p.Zd.t() / n + lambda * arma::eye(12, 12), p.Zd * p.Y.t() / n);
    CHECK(arma::abs(fit.W - ref).max() < 1e-5 * (1.0 + arma::abs(ref).max()));
    CHECK(fit.optimality < 1e-6);
    CHECK(arma::norm(gradient(deepdot::Loss::squared, p.Zd, p.Y, fit.W, lambda)) < 1e-5);
    CHECK(arma::approx_equal(fit.lambdas, arma::vec(3, arma::fill::value(lambda)), "absdiff", 0.0));
    CHECK(fit.norms[1] == doctest::Approx(arma::norm(fit.W.col(1))));
  }
  // lambda = 0 with D > n: the minimum-norm least-squares solution.
  const Problem q = make_problem(30, 20, 2, 2);
  const deepdot::LinearFit fit0 = deepdot::fit_linear(deepdot::Loss::squared, q.Z, q.Y, 0.0);
  const arma::mat ref0 = arma::pinv(q.Zd.t()) * q.Y.t();
  CHECK(arma::abs(fit0.W - ref0).max() < 1e-4 * (1.0 + arma::abs(ref0).max()));
}

TEST_CASE("fit_linear squared hinge: dual CD reaches the primal optimum (gradient, gap, gradient descent)") {
  const Problem p = make_problem(6, 80, 3, 3);
  const double lambda = 1e-2;
  const deepdot::LinearFit fit = deepdot::fit_linear(deepdot::Loss::squared_hinge, p.Z, p.Y, lambda, tight());
  CHECK(fit.optimality <= 1e-9);
  const arma::mat g0 = gradient(deepdot::Loss::squared_hinge, p.Zd, p.Y, arma::zeros(6, 3), lambda);
  CHECK(arma::norm(gradient(deepdot::Loss::squared_hinge, p.Zd, p.Y, fit.W, lambda)) < 1e-5 * arma::norm(g0));
  const double primal = objective(deepdot::Loss::squared_hinge, p.Zd, p.Y, fit.W, lambda);
  const double dual = dual_objective(true, p.Zd, p.Y, fit.dual, lambda);
  CHECK(primal - dual >= -1e-9);
  CHECK(primal - dual < 1e-6 * primal);
  const arma::mat ref = gradient_descent(deepdot::Loss::squared_hinge, p.Zd, p.Y, lambda, 20000);
  CHECK(arma::abs(fit.W - ref).max() < 1e-4 * (1.0 + arma::abs(ref).max()));
}

TEST_CASE("fit_linear hinge: KKT violation below tolerance, tiny duality gap, not worse than subgradient descent") {
  const Problem p = make_problem(6, 80, 3, 4);
  const double lambda = 1e-2;
  const deepdot::LinearFit fit = deepdot::fit_linear(deepdot::Loss::hinge, p.Z, p.Y, lambda, tight(1e-8));
  CHECK(fit.optimality <= 1e-8);
  REQUIRE(fit.dual.n_rows == 3);
  REQUIRE(fit.dual.n_cols == 80);
  CHECK(fit.dual.min() >= 0.0);
  CHECK(fit.dual.max() <= 1.0 + 1e-12);
  // Independent KKT check in the primal: beta = 1 where the margin is < 1, 0 where > 1.
  const arma::mat S = fit.W.t() * p.Zd;
  double worst = 0.0;
  for (arma::uword i = 0; i < 80; ++i)
    for (arma::uword j = 0; j < 3; ++j) {
      const double m = p.Y(j, i) * S(j, i);
      if (m < 1.0 - 1e-6) worst = std::max(worst, 1.0 - fit.dual(j, i));
      if (m > 1.0 + 1e-6) worst = std::max(worst, fit.dual(j, i));
    }
  CHECK(worst < 1e-6);
  const double primal = objective(deepdot::Loss::hinge, p.Zd, p.Y, fit.W, lambda);
  const double dual = dual_objective(false, p.Zd, p.Y, fit.dual, lambda);
  CHECK(primal - dual >= -1e-9);
  CHECK(primal - dual < 1e-6 * primal);
  // Subgradient descent with steps 1/(2 lambda t) (strongly convex): its best objective is never below ours.
  arma::mat W(6, 3, arma::fill::zeros);
  double best = objective(deepdot::Loss::hinge, p.Zd, p.Y, W, lambda);
  for (int t = 1; t <= 20000; ++t) {
    const arma::mat St = W.t() * p.Zd;
    arma::mat R(3, 80, arma::fill::zeros);
    for (arma::uword k = 0; k < R.n_elem; ++k) R[k] = p.Y[k] * St[k] < 1.0 ? -p.Y[k] : 0.0;
    W -= (p.Zd * R.t() / 80.0 + 2.0 * lambda * W) / (2.0 * lambda * t);
    best = std::min(best, objective(deepdot::Loss::hinge, p.Zd, p.Y, W, lambda));
  }
  CHECK(primal <= best + 1e-9);
  CHECK(primal >= best - 1e-2);  // and the subgradient method does come close
}

TEST_CASE("fit_linear logistic: multinomial and binary reach a zero gradient and match gradient descent") {
  const Problem p = make_problem(5, 90, 3, 5);
  const double lambda = 1e-2;
  const deepdot::LinearFit fit = deepdot::fit_linear(deepdot::Loss::logistic, p.Z, p.Y, lambda, tight(1e-6));
  CHECK(fit.optimality <= 1e-6);
  const arma::mat g0 = gradient(deepdot::Loss::logistic, p.Zd, p.Y, arma::zeros(5, 3), lambda);
  CHECK(arma::norm(gradient(deepdot::Loss::logistic, p.Zd, p.Y, fit.W, lambda)) < 1e-5 * arma::norm(g0));
  const arma::mat ref = gradient_descent(deepdot::Loss::logistic, p.Zd, p.Y, lambda, 20000);
  CHECK(arma::abs(fit.W - ref).max() < 1e-4 * (1.0 + arma::abs(ref).max()));
  CHECK(fit.norms[0] == doctest::Approx(arma::norm(fit.W, "fro")));
  CHECK(fit.norms[2] == doctest::Approx(arma::norm(fit.W, "fro")));
  CHECK(fit.dual.is_empty());

  const arma::mat Y1 = p.Y.row(0);
  const deepdot::LinearFit bin = deepdot::fit_linear(deepdot::Loss::logistic, p.Z, Y1, lambda, tight(1e-6));
  const arma::mat g1 = gradient(deepdot::Loss::logistic, p.Zd, Y1, arma::zeros(5, 1), lambda);
  CHECK(arma::norm(gradient(deepdot::Loss::logistic, p.Zd, Y1, bin.W, lambda)) < 1e-5 * arma::norm(g1));
}

TEST_CASE("fit_linear is deterministic") {
  const Problem p = make_problem(6, 50, 2, 6);
  for (auto loss : {deepdot::Loss::hinge, deepdot::Loss::squared_hinge, deepdot::Loss::logistic}) {
    const deepdot::LinearFit a = deepdot::fit_linear(loss, p.Z, p.Y, 1e-2);
    const deepdot::LinearFit b = deepdot::fit_linear(loss, p.Z, p.Y, 1e-2);
    CHECK(arma::approx_equal(a.W, b.W, "absdiff", 0.0));
  }
}

TEST_CASE("fit_linear: one-vs-all outputs solved in parallel groups give the same fit on any thread count") {
  // 12 outputs: three groups of at most 5, on 1 thread and on 3.
  const Problem p = make_problem(20, 300, 12, 7);
  const int before = openblas_get_num_threads();
  for (auto loss : {deepdot::Loss::hinge, deepdot::Loss::squared_hinge}) {
    openblas_set_num_threads(1);
    const deepdot::LinearFit one = deepdot::fit_linear(loss, p.Z, p.Y, 1e-3);
    openblas_set_num_threads(3);
    const deepdot::LinearFit three = deepdot::fit_linear(loss, p.Z, p.Y, 1e-3);
    CHECK(arma::approx_equal(one.W, three.W, "absdiff", 0.0));
    CHECK(arma::approx_equal(one.dual, three.dual, "absdiff", 0.0));
    CHECK(one.iterations == three.iterations);
    // Each output is its own problem: solving it alone gives the same weights
    // up to float rounding in the periodic refresh of W.
    for (arma::uword j : {0u, 7u, 11u}) {
      const deepdot::LinearFit alone = deepdot::fit_linear(loss, p.Z, p.Y.row(j), 1e-3);
      CHECK(arma::norm(alone.W.col(0) - one.W.col(j)) < 1e-3 * arma::norm(one.W.col(j)));
    }
  }
  openblas_set_num_threads(before);
}

TEST_CASE("fit_linear_ball: norm equals B when the constraint is active, and the lambda form agrees") {
  const Problem p = make_problem(6, 80, 3, 7);
  for (auto loss : {deepdot::Loss::squared, deepdot::Loss::hinge, deepdot::Loss::squared_hinge,
                    deepdot::Loss::logistic}) {
    CAPTURE(deepdot::loss_name(loss));
    const double B = 0.8;
    const deepdot::LinearFit fit = deepdot::fit_linear_ball(loss, p.Z, p.Y, B, tight(1e-10, 20000));
    if (loss == deepdot::Loss::logistic) {
      CHECK(arma::norm(fit.W, "fro") == doctest::Approx(B).epsilon(1e-6));
    } else {
      for (arma::uword j = 0; j < 3; ++j) CHECK(arma::norm(fit.W.col(j)) == doctest::Approx(B).epsilon(1e-6));
    }
    CHECK(fit.lambdas.min() > 0.0);
    CHECK(arma::norm(fit.W, "fro") <= (loss == deepdot::Loss::logistic ? B : std::sqrt(3.0) * B) * (1 + 1e-12));
    // The lambda form at the reported lambda gives the same solution.
    for (arma::uword j = 0; j < 3; ++j) {
      const double lam = fit.lambdas[j];
      const deepdot::LinearFit again = deepdot::fit_linear(loss, p.Z, p.Y, lam, tight(1e-10, 20000));
      CHECK(arma::abs(again.W.col(j) - fit.W.col(j)).max() < 1e-4);
    }
  }
}

TEST_CASE("fit_linear_ball: an inactive constraint returns the least-regularised solution") {
  // Squared loss: the minimum-norm least-squares solution, lambda = 0.
  const Problem p = make_problem(5, 60, 2, 8);
  const deepdot::LinearFit sq = deepdot::fit_linear_ball(deepdot::Loss::squared, p.Z, p.Y, 1e6);
  CHECK(arma::all(sq.lambdas == 0.0));
  const arma::mat ref = arma::solve(p.Zd.t(), p.Y.t());
  CHECK(arma::abs(sq.W - ref).max() < 1e-4 * (1.0 + arma::abs(ref).max()));
  // Hinge on separable data: the hard-margin solution has a finite norm, so a large B is inactive.
  arma::mat Ysep(1, 60);
  for (arma::uword i = 0; i < 60; ++i) Ysep(0, i) = p.Zd(0, i) + 0.3 * p.Zd(1, i) > 0 ? 1.0 : -1.0;
  const deepdot::LinearFit h = deepdot::fit_linear_ball(deepdot::Loss::hinge, p.Z, Ysep, 1e5, tight(1e-6, 20000));
  CHECK(h.lambdas[0] == doctest::Approx(1e-10));
  CHECK(h.norms[0] < 1e5);
  const arma::mat S = h.W.t() * p.Zd;
  CHECK((S % Ysep).min() > 1.0 - 1e-3);  // separates with margin 1
}

TEST_CASE("fit_linear and fit_linear_ball reject bad input with clear messages") {
  const Problem p = make_problem(4, 10, 2, 9);
  using deepdot::Loss;
  check_throws_with([&] { deepdot::fit_linear(Loss::squared, arma::fmat(), p.Y, 1.0); }, "Z is 0 x 0");
  check_throws_with([&] { deepdot::fit_linear(Loss::squared, p.Z, p.Y.cols(0, 8), 1.0); }, "Y has 9");
  check_throws_with([&] { deepdot::fit_linear(Loss::squared, p.Z, arma::mat(0, 10), 1.0); }, "Y has no rows");
  arma::fmat Zn = p.Z;
  Zn(2, 3) = std::numeric_limits<float>::quiet_NaN();
  check_throws_with([&] { deepdot::fit_linear(Loss::hinge, Zn, p.Y, 1.0); }, "row 2, column 3");
  arma::mat Yn = p.Y;
  Yn(1, 4) = std::numeric_limits<double>::infinity();
  check_throws_with([&] { deepdot::fit_linear(Loss::squared, p.Z, Yn, 1.0); }, "column 4");
  check_throws_with([&] { deepdot::fit_linear(Loss::squared, p.Z, p.Y, -1.0); }, "got -1");
  check_throws_with([&] { deepdot::fit_linear(Loss::squared, p.Z, p.Y, std::nan("")); }, "lambda must be finite");
  check_throws_with([&] { deepdot::fit_linear(Loss::hinge, p.Z, p.Y, 0.0); }, "lambda must be > 0");
  arma::mat Y2 = p.Y;
  Y2(0, 5) = 0.5;
  check_throws_with([&] { deepdot::fit_linear(Loss::hinge, p.Z, Y2, 1.0); }, "+1 or -1");
  check_throws_with([&] { deepdot::fit_linear(Loss::squared_hinge, p.Z, Y2, 1.0); }, "0.5 at row 0, column 5");
  arma::mat Y3 = p.Y;
  Y3.col(6).fill(1.0);
  check_throws_with([&] { deepdot::fit_linear(Loss::logistic, p.Z, Y3, 1.0); }, "exactly one +1");
  CHECK_NOTHROW(deepdot::fit_linear(Loss::squared, p.Z, Y2, 1.0));  // any real targets for the squared loss
  deepdot::SolverOptions bad;
  bad.tolerance = 0.0;
  check_throws_with([&] { deepdot::fit_linear(Loss::hinge, p.Z, p.Y, 1.0, bad); }, "options.tolerance");
  bad.tolerance = 1e-3;
  bad.max_iterations = 0;
  check_throws_with([&] { deepdot::fit_linear(Loss::hinge, p.Z, p.Y, 1.0, bad); }, "options.max_iterations");
  check_throws_with([&] { deepdot::fit_linear_ball(Loss::hinge, p.Z, p.Y, 0.0); }, "B must be finite and > 0");
  check_throws_with([&] { deepdot::fit_linear_ball(Loss::squared, p.Z, p.Y, -2.0); }, "got -2");
  check_throws_with([&] { deepdot::fit_linear_ball(Loss::logistic, p.Z, p.Y, std::nan("")); }, "B must be");
  check_throws_with([&] { deepdot::fit_linear_ball(Loss::hinge, p.Z, Y2, 1.0); }, "+1 or -1");
  check_throws_with([&] { deepdot::fit_linear_ball(Loss::hinge, p.Z, p.Y.cols(0, 3), 1.0); }, "Y has 4");
}
