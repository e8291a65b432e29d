// SPDX-License-Identifier: MIT
#include <deepdot/solvers/kernel_svm.hpp>

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/kernels/gram.hpp>
#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>

#include "maps/taylor.hpp"

#include <doctest/doctest.h>

#include "support/solver_test_support.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace {

struct Problem {
  arma::mat X, Y, Xt;  // d x n unit-norm inputs, c x n one-vs-all targets, d x m test inputs
};

// Classes from a quadratic teacher, so a degree-2 kernel has something to learn.
Problem make_problem(arma::uword d, arma::uword n, arma::uword c, std::uint64_t seed) {
  deepdot::Rng rng(seed);
  Problem p;
  p.X = rng.normal_matrix(d, n);
  deepdot::normalize_columns(p.X);
  p.Xt = rng.normal_matrix(d, 40);
  deepdot::normalize_columns(p.Xt);
  const arma::mat T = rng.normal_matrix(c, d);
  const arma::mat S = arma::square(T * p.X);
  p.Y.set_size(c, n);
  p.Y.fill(-1.0);
  for (arma::uword i = 0; i < n; ++i) p.Y(rng.uniform() < 0.1 ? rng.below(c) : S.col(i).index_max(), i) = 1.0;
  return p;
}

deepdot::SolverOptions tight(double tol) {
  deepdot::SolverOptions o;
  o.tolerance = tol;
  o.max_iterations = 100000;
  return o;
}

}  // namespace

using solver_test::check_throws_with;

TEST_CASE("KernelSVM: optimality, duality gap and RKHS norms on the exact Gram matrix") {
  const Problem p = make_problem(4, 70, 3, 1);
  const auto k = deepdot::make_kernel("recursive:2");
  const arma::mat K = deepdot::gram(k, p.X);
  const double lambda = 1e-2, n = 70.0;
  for (auto loss : {deepdot::Loss::hinge, deepdot::Loss::squared_hinge}) {
    CAPTURE(deepdot::loss_name(loss));
    deepdot::KernelSVM svm(k, loss, tight(1e-10));
    svm.fit(p.X, p.Y, lambda);
    CHECK(svm.optimality() <= 1e-10);
    const arma::mat& A = svm.dual_coefficients();  // n x c
    REQUIRE(A.n_rows == 70);
    REQUIRE(A.n_cols == 3);
    const arma::mat F = K * A;  // training scores, n x c
    for (arma::uword j = 0; j < 3; ++j) {
      const double norm2 = arma::as_scalar(A.col(j).t() * K * A.col(j));
      CHECK(svm.rkhs_norms()[j] == doctest::Approx(std::sqrt(norm2)).epsilon(1e-9));
      // Primal objective vs the dual one; beta_i = 2 lambda n a_i y_i is the loss derivative.
      double primal = lambda * norm2, dual = -lambda * norm2;  // the dual is (1/n) sum beta - lambda ||f||^2 [- sum beta^2/(4n)]
      for (arma::uword i = 0; i < 70; ++i) {
        const double m = std::max(1.0 - p.Y(j, i) * F(i, j), 0.0);
        const double beta = 2.0 * lambda * n * A(i, j) * p.Y(j, i);
        CHECK(beta >= -1e-12);
        if (loss == deepdot::Loss::hinge) {
          CHECK(beta <= 1.0 + 1e-9);
          primal += m / n;
          dual += beta / n;
        } else {
          primal += m * m / n;
          dual += beta / n - beta * beta / (4.0 * n);
        }
      }
      CHECK(primal - dual >= -1e-9);
      CHECK(primal - dual < 1e-7 * primal);
    }
    CHECK(arma::all(svm.lambdas() == lambda));
  }
}

TEST_CASE("KernelSVM agrees with fit_linear on exact Taylor features of a polynomial kernel") {
  const Problem p = make_problem(3, 60, 2, 2);
  const auto k = deepdot::make_kernel("poly:2:1");
  const arma::uword D = deepdot::detail::taylor_natural_dim(k, 3, 2);
  const auto phi = deepdot::make_feature_map("taylor:2", k, 3, D, 5);
  const arma::fmat Z = arma::conv_to<arma::fmat>::from(phi->transform(p.X));
  const arma::fmat Zt = arma::conv_to<arma::fmat>::from(phi->transform(p.Xt));
  for (auto loss : {deepdot::Loss::hinge, deepdot::Loss::squared_hinge}) {
    CAPTURE(deepdot::loss_name(loss));
    deepdot::KernelSVM svm(k, loss, tight(1e-9));
    svm.fit(p.X, p.Y, 1e-3);
    const deepdot::LinearFit lin = deepdot::fit_linear(loss, Z, p.Y, 1e-3, tight(1e-9));
    const arma::mat pk = svm.predict(p.Xt);
    const arma::mat pl = lin.W.t() * arma::conv_to<arma::mat>::from(Zt);
    CHECK(arma::abs(pk - pl).max() < 1e-4);
    for (arma::uword j = 0; j < 2; ++j) CHECK(svm.rkhs_norms()[j] == doctest::Approx(lin.norms[j]).epsilon(1e-4));

    // The norm-ball form (Algorithm 1) in both modes.
    svm.fit_ball(p.X, p.Y, 2.0);
    const deepdot::LinearFit linb = deepdot::fit_linear_ball(loss, Z, p.Y, 2.0, tight(1e-9));
    for (arma::uword j = 0; j < 2; ++j) {
      CHECK(svm.rkhs_norms()[j] == doctest::Approx(2.0).epsilon(1e-6));
      CHECK(svm.lambdas()[j] == doctest::Approx(linb.lambdas[j]).epsilon(1e-3));
    }
    CHECK(arma::abs(svm.predict(p.Xt) - linb.W.t() * arma::conv_to<arma::mat>::from(Zt)).max() < 1e-4);
  }
}

TEST_CASE("KernelSVM::fit_ball: active and inactive norm ball") {
  const Problem p = make_problem(4, 60, 2, 3);
  const auto k = deepdot::make_kernel("recursive:1");
  deepdot::KernelSVM svm(k, deepdot::Loss::hinge, tight(1e-9));
  svm.fit_ball(p.X, p.Y, 1.5);
  for (arma::uword j = 0; j < 2; ++j) CHECK(svm.rkhs_norms()[j] == doctest::Approx(1.5).epsilon(1e-6));
  // The lambda form at the found lambdas gives the same functions.
  const arma::mat pb = svm.predict(p.Xt);
  const arma::vec lam = svm.lambdas();
  for (arma::uword j = 0; j < 2; ++j) {
    deepdot::KernelSVM again(k, deepdot::Loss::hinge, tight(1e-9));
    again.fit(p.X, p.Y, lam[j]);
    CHECK(arma::abs(again.predict(p.Xt).row(j) - pb.row(j)).max() < 1e-4);
  }
  // Inactive: separable labels (a linear rule) and a huge B give the hard-margin solution at the floor lambda.
  arma::mat Ysep(1, 60);
  for (arma::uword i = 0; i < 60; ++i) Ysep(0, i) = p.X(0, i) - 0.2 * p.X(2, i) > 0 ? 1.0 : -1.0;
  deepdot::KernelSVM hard(deepdot::make_kernel("linear"), deepdot::Loss::hinge, tight(1e-7));
  hard.fit_ball(p.X, Ysep, 1e5);
  CHECK(hard.lambdas()[0] == doctest::Approx(1e-10));
  CHECK(hard.rkhs_norms()[0] < 1e5);
  CHECK(arma::mat(hard.predict(p.X) % Ysep).min() > 1.0 - 1e-3);
}

TEST_CASE("KernelSVM: the memory check refuses an impossible Gram matrix before allocating it") {
  const arma::uword n = 10'000'000;
  CHECK(deepdot::kernel_limit_memory_bytes(n) >= 8.0 * 1e14);
  CHECK(deepdot::available_memory_bytes() > 0.0);
  REQUIRE(deepdot::kernel_limit_memory_bytes(n) > deepdot::available_memory_bytes());
  const arma::mat X(1, n, arma::fill::zeros);  // valid inputs: 80 MB, the Gram matrix would be 800 TB
  const arma::mat Y(1, n, arma::fill::ones);
  deepdot::KernelSVM svm(deepdot::make_kernel("recursive:1"), deepdot::Loss::hinge);
  check_throws_with([&] { svm.fit(X, Y, 1e-3); }, "GiB");
  check_throws_with([&] { svm.fit_ball(X, Y, 10.0); }, "feature map");
}

TEST_CASE("KernelSVM rejects bad input with clear messages") {
  const Problem p = make_problem(3, 10, 2, 4);
  const auto k = deepdot::make_kernel("recursive:1");
  check_throws_with([&] { deepdot::KernelSVM(k, deepdot::Loss::squared); }, "KernelRidge");
  check_throws_with([&] { deepdot::KernelSVM(k, deepdot::Loss::logistic); }, "got logistic");
  deepdot::SolverOptions bad;
  bad.max_iterations = 0;
  check_throws_with([&] { deepdot::KernelSVM(k, deepdot::Loss::hinge, bad); }, "max_iterations");
  deepdot::KernelSVM svm(k, deepdot::Loss::squared_hinge);
  CHECK_THROWS_AS(svm.predict(p.Xt), std::logic_error);
  check_throws_with([&] { svm.fit(p.X, p.Y, 0.0); }, "lambda must be finite and > 0");
  check_throws_with([&] { svm.fit(p.X, p.Y, std::nan("")); }, "lambda");
  check_throws_with([&] { svm.fit_ball(p.X, p.Y, -1.0); }, "got -1");
  check_throws_with([&] { svm.fit(p.X, p.Y.cols(0, 8), 1e-2); }, "Y has 9");
  check_throws_with([&] { svm.fit(arma::mat(3, 0), arma::mat(2, 0), 1e-2); }, "n >= 1");
  arma::mat Y2 = p.Y;
  Y2(1, 2) = 0.0;
  check_throws_with([&] { svm.fit(p.X, Y2, 1e-2); }, "+1 or -1");
  Y2(1, 2) = std::numeric_limits<double>::quiet_NaN();
  check_throws_with([&] { svm.fit_ball(p.X, Y2, 1.0); }, "non-finite");
  arma::mat X2 = p.X;
  X2.col(3) *= 2.0;
  check_throws_with([&] { svm.fit(X2, p.Y, 1e-2); }, "column 3");
  svm.fit(p.X, p.Y, 1e-2);
  check_throws_with([&] { svm.predict(arma::mat(4, 2, arma::fill::zeros)); }, "d = 3");
}

namespace {

// The primal objective (1/n) sum loss + lambda ||f_j||^2 of output j, and the largest |projected gradient| of
// its dual, both from the dual coefficients and the exact (double) Gram matrix.
struct Check {
  double primal, kkt;
};
Check check_output(const arma::mat& K, const arma::mat& A, const arma::mat& Y, arma::uword j, double lambda,
                   bool squared) {
  const double n = static_cast<double>(Y.n_cols), C = 1.0 / (2.0 * lambda * n);
  const arma::vec f = K * A.col(j);
  Check r{lambda * arma::dot(A.col(j), f), 0.0};
  for (arma::uword i = 0; i < Y.n_cols; ++i) {
    const double m = std::max(1.0 - Y(j, i) * f[i], 0.0);
    r.primal += (squared ? m * m : m) / n;
    const double a = 2.0 * lambda * n * A(i, j) * Y(j, i) * C;  // the dual variable alpha_i in [0, C]
    const double G = Y(j, i) * f[i] - 1.0 + (squared ? a / (2.0 * C) : 0.0);
    // At the bound up to the rounding of a = 2 lambda n A y C (a at C comes back as C (1 - 1e-16)).
    const double pg = a <= 0.0 ? std::min(G, 0.0) : (!squared && a >= C * (1.0 - 1e-12)) ? std::max(G, 0.0) : G;
    r.kkt = std::max(r.kkt, std::abs(pg));
  }
  return r;
}

}  // namespace

TEST_CASE("KernelSVM: the float Gram path and the output groups reach the double path's solution") {
  // 7 outputs: two groups of outputs (5 + 2), solved side by side.
  const Problem p = make_problem(6, 300, 7, 4);
  const auto k = deepdot::make_kernel("recursive:2");
  const arma::mat K = deepdot::gram(k, p.X);
  const double lambda = 1e-3;
  for (auto loss : {deepdot::Loss::hinge, deepdot::Loss::squared_hinge}) {
    CAPTURE(deepdot::loss_name(loss));
    const bool sq = loss == deepdot::Loss::squared_hinge;
    deepdot::KernelSVM exact(k, loss, tight(1e-10));  // double Gram: below the float floor
    exact.fit(p.X, p.Y, lambda);
    REQUIRE(exact.optimality() <= 1e-9);  // measured at the end, a little above the last epoch's
    for (const double tol : {1e-3, 1e-2}) {
      CAPTURE(tol);
      deepdot::KernelSVM fast(k, loss, tight(tol));  // float Gram
      fast.fit(p.X, p.Y, lambda);
      // The stopping rule is measured along the last epoch, the reported violation after it.
      CHECK(fast.optimality() <= 1.5 * tol);
      for (arma::uword j = 0; j < 7; ++j) {
        CAPTURE(j);
        const Check e = check_output(K, exact.dual_coefficients(), p.Y, j, lambda, sq);
        const Check f = check_output(K, fast.dual_coefficients(), p.Y, j, lambda, sq);
        CHECK(e.kkt <= 1e-8);
        CHECK(f.kkt <= 1.5 * tol);  // KKT holds with the exact kernel too
        CHECK(f.primal >= e.primal * (1.0 - 1e-9));         // the exact solution is the minimum
        CHECK(f.primal - e.primal <= 2.0 * tol * e.primal);  // and the fast one is close to it
      }
      // The same predictions (labels) on almost every test point.
      const arma::urowvec le = arma::index_max(exact.predict(p.Xt), 0), lf = arma::index_max(fast.predict(p.Xt), 0);
      CHECK(arma::accu(le != lf) <= 2);
    }
    // Norm-ball form: the same lambdas to the search's accuracy.
    deepdot::KernelSVM eb(k, loss, tight(1e-8)), fb(k, loss, tight(1e-3));
    eb.fit_ball(p.X, p.Y, 3.0);
    fb.fit_ball(p.X, p.Y, 3.0);
    for (arma::uword j = 0; j < 7; ++j) {
      // Inexact solves at tolerance 1e-3 end the search on the feasible side of a collapsed bracket.
      CHECK(fb.rkhs_norms()[j] <= 3.0);
      CHECK(fb.rkhs_norms()[j] >= 3.0 * (1.0 - 1e-3));
      CHECK(fb.lambdas()[j] == doctest::Approx(eb.lambdas()[j]).epsilon(0.05));
    }
  }
}

TEST_CASE("KernelSVM: shrinking with kept score subsets leaves the exact optimum (most points settled)") {
  // Many points, little regularisation: most alphas end at 0 (or at the bound), so the
  // coordinate updates keep only the unshrunk points' scores; the KKT conditions are
  // checked against scores recomputed here from the exact Gram matrix.
  const Problem p = make_problem(5, 400, 3, 11);
  const auto k = deepdot::make_kernel("recursive:2");
  const arma::mat K = deepdot::gram(k, p.X);
  for (auto loss : {deepdot::Loss::hinge, deepdot::Loss::squared_hinge}) {
    CAPTURE(deepdot::loss_name(loss));
    const bool sq = loss == deepdot::Loss::squared_hinge;
    const double lambda = sq ? 1e-6 : 1e-4;
    deepdot::KernelSVM svm(k, loss, tight(1e-9));  // double Gram
    svm.fit(p.X, p.Y, lambda);
    const arma::mat& A = svm.dual_coefficients();
    for (arma::uword j = 0; j < 3; ++j) {
      CAPTURE(j);
      // More than half the points end at a bound (0, or C for the hinge): shrinkable.
      const arma::vec a = 2.0 * lambda * 400.0 * (A.col(j) % p.Y.row(j).t());  // beta, in [0, 1] for the hinge
      arma::uword settled = 0;
      for (const double b : a) settled += b == 0.0 || (!sq && b >= 1.0 - 1e-12);
      REQUIRE(settled > 200);
      CHECK(check_output(K, A, p.Y, j, lambda, sq).kkt <= 1e-8);
    }
    deepdot::KernelSVM fast(k, loss, tight(1e-2));  // float Gram, the table's tolerance
    fast.fit(p.X, p.Y, lambda);
    for (arma::uword j = 0; j < 3; ++j) {
      CAPTURE(j);
      const Check e = check_output(K, A, p.Y, j, lambda, sq), f = check_output(K, fast.dual_coefficients(), p.Y, j, lambda, sq);
      // The violation it reports (from its float scores) is the one the exact Gram matrix sees.
      CHECK(f.kkt <= fast.optimality() + 1e-4);
      CHECK(fast.optimality() <= 2e-2);
      CHECK(f.primal >= e.primal * (1.0 - 1e-9));
      CHECK(f.primal - e.primal <= 2e-2 * e.primal);
    }
  }
}

TEST_CASE("KernelSVM::fit_ball: the warm-started search ends at the cold-start solution of its lambdas") {
  const Problem p = make_problem(6, 400, 4, 12);
  const auto k = deepdot::make_kernel("recursive:1");
  const arma::mat K = deepdot::gram(k, p.X);
  const double B = 6.0;
  for (const double tol : {1e-2, 1e-4}) {
    CAPTURE(tol);
    deepdot::KernelSVM ball(k, deepdot::Loss::hinge, tight(tol));
    ball.fit_ball(p.X, p.Y, B);
    const arma::vec lam = ball.lambdas();
    for (arma::uword j = 0; j < 4; ++j) {
      CAPTURE(j);
      REQUIRE(lam[j] > 1e-10);  // the ball binds: the search had to find lambda
      CHECK(ball.rkhs_norms()[j] <= B);
      CHECK(ball.rkhs_norms()[j] >= B * (1.0 - 1.5 * std::max(1e-8, 0.1 * tol)));
      deepdot::KernelSVM cold(k, deepdot::Loss::hinge, tight(tol));
      cold.fit(p.X, p.Y, lam[j]);  // from alpha = 0
      deepdot::KernelSVM exact(k, deepdot::Loss::hinge, tight(1e-10));
      exact.fit(p.X, p.Y, lam[j]);
      const Check w = check_output(K, ball.dual_coefficients(), p.Y, j, lam[j], false);
      const Check c = check_output(K, cold.dual_coefficients(), p.Y, j, lam[j], false);
      const Check e = check_output(K, exact.dual_coefficients(), p.Y, j, lam[j], false);
      CHECK(w.primal >= e.primal * (1.0 - 1e-9));
      CHECK(w.primal - e.primal <= 2.0 * tol * e.primal);  // as close to the optimum as a cold start must be
      CHECK(c.primal - e.primal <= 2.0 * tol * e.primal);
    }
  }
}

TEST_CASE("KernelSVM::fit_ball: a flat (hard-margin) solution inside the ball is the floor lambda's solution") {
  const Problem p = make_problem(4, 200, 1, 13);
  arma::mat Ysep(1, 200);
  for (arma::uword i = 0; i < 200; ++i) Ysep(0, i) = p.X(0, i) + 0.3 * p.X(1, i) > 0 ? 1.0 : -1.0;
  const auto k = deepdot::make_kernel("recursive:1");
  const arma::mat K = deepdot::gram(k, p.X);
  for (const double tol : {1e-2, 1e-5}) {
    CAPTURE(tol);
    deepdot::KernelSVM ball(k, deepdot::Loss::hinge, tight(tol));
    ball.fit_ball(p.X, Ysep, 1e4);
    CHECK(ball.lambdas()[0] == doctest::Approx(1e-10));
    // The KKT conditions hold at the floor lambda itself, and the functions agree with a cold solve there.
    CHECK(check_output(K, ball.dual_coefficients(), Ysep, 0, 1e-10, false).kkt <= 1.5 * tol);
    deepdot::KernelSVM cold(k, deepdot::Loss::hinge, tight(1e-7));
    cold.fit(p.X, Ysep, 1e-10);
    const arma::rowvec fb = ball.predict(p.Xt), fc = cold.predict(p.Xt);
    CHECK(arma::abs(fb - fc).max() <= 20.0 * tol * arma::abs(fc).max());
    CHECK(arma::accu(arma::sign(fb) != arma::sign(fc)) <= 1);
  }
}
