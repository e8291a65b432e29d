// SPDX-License-Identifier: MIT
#include <deepdot/solvers/kernel_ridge.hpp>

#include <deepdot/kernels/gram.hpp>
#include <deepdot/util/memory.hpp>
#include <deepdot/core/labels.hpp>
#include <deepdot/core/metrics.hpp>
#include <deepdot/datasets/teacher.hpp>

#include <doctest/doctest.h>

#include <cmath>

namespace {
struct Problem {
  deepdot::TeacherSample train, val, test;
};
Problem make_problem(arma::uword n, arma::uword outputs = 2) {
  deepdot::TeacherConfig c;
  c.input_dim = 6;
  c.width = 20;
  c.outputs = outputs;
  c.noise = 0.05;
  const deepdot::TeacherNetwork t(c, 3);
  return {deepdot::draw_teacher_sample(t, n, 3, 1), deepdot::draw_teacher_sample(t, 80, 3, 2),
          deepdot::draw_teacher_sample(t, 200, 3, 3)};
}
}  // namespace

TEST_CASE("KernelRidge: the eigen solution equals a direct solve of (K + n lambda I) alpha = Y") {
  const Problem p = make_problem(120);
  const auto k = deepdot::make_kernel("recursive:2");
  deepdot::KernelRidge ridge(k);
  ridge.fit(p.train.X, p.train.targets);
  const arma::mat K = deepdot::gram(k, p.train.X);
  for (double lambda : {1e-4, 1e-2, 1.0}) {
    ridge.set_lambda(lambda);
    const arma::mat direct = arma::solve(K + 120.0 * lambda * arma::eye(120, 120), p.train.targets.t());
    CHECK(arma::abs(ridge.dual_coefficients() - direct).max() < 1e-8 * (1.0 + arma::abs(direct).max()));
    // Predictions are K(X*, X) alpha.
    const arma::mat pred = ridge.predict(p.test.X);
    const arma::mat expect = direct.t() * deepdot::gram(k, p.train.X, p.test.X);
    CHECK(arma::abs(pred - expect).max() < 1e-8);
    // RKHS norms are sqrt(alpha' K alpha).
    const arma::vec norms = ridge.rkhs_norms();
    for (arma::uword j = 0; j < 2; ++j)
      CHECK(norms[j] == doctest::Approx(std::sqrt(arma::as_scalar(direct.col(j).t() * K * direct.col(j)))));
  }
}

TEST_CASE("KernelRidge: the validation path equals independent fits at each lambda") {
  const Problem p = make_problem(100);
  const auto k = deepdot::make_kernel("recursive:1");
  deepdot::KernelRidge ridge(k);
  ridge.fit(p.train.X, p.train.targets);
  const arma::vec grid = deepdot::default_lambda_grid(10);
  const deepdot::RidgePath path = ridge.select_by_validation(grid, p.val.X, p.val.targets, deepdot::Criterion::mse);
  REQUIRE(path.mse.n_elem == 10);
  for (arma::uword l = 0; l < grid.n_elem; ++l) {
    deepdot::KernelRidge fresh(k);
    fresh.fit(p.train.X, p.train.targets);
    fresh.set_lambda(grid[l]);
    const double mse = deepdot::mean_squared_error(p.val.targets, fresh.predict(p.val.X));
    CHECK(path.mse[l] == doctest::Approx(mse).epsilon(1e-8));
    CHECK(arma::approx_equal(path.norms.col(l), fresh.rkhs_norms(), "reldiff", 1e-8));
  }
  CHECK(path.mse[path.best] == doctest::Approx(path.mse.min()));
  CHECK(ridge.lambdas()[0] == grid[path.best]);
}

TEST_CASE("KernelRidge: the norm-ball form reaches ||f||_H = B when active, lambda = 0 inside") {
  const Problem p = make_problem(150);
  deepdot::KernelRidge ridge(deepdot::make_kernel("recursive:3"));
  ridge.fit(p.train.X, p.train.targets);
  const arma::vec interp = ridge.rkhs_norms(0.0);
  for (double B : {0.05, 0.3, 1.0}) {
    REQUIRE(B < interp.min());
    ridge.set_norm_bound(B);
    const arma::vec norms = ridge.rkhs_norms();
    for (arma::uword j = 0; j < norms.n_elem; ++j) CHECK(std::abs(norms[j] - B) <= 1e-8 * B);
    CHECK(ridge.lambdas().min() > 0.0);
  }
  // A ball larger than the interpolant's norm is inactive.
  ridge.set_norm_bound(2.0 * interp.max());
  CHECK(ridge.lambdas().max() == 0.0);
  CHECK(arma::approx_equal(ridge.rkhs_norms(), interp, "reldiff", 1e-10));
  // Radii on a grid: the path reports the lambdas and keeps the best.
  const deepdot::NormBallPath path = ridge.select_norm_bound_by_validation(
      arma::vec{0.1, 0.5, 1.0}, p.val.X, p.val.targets, deepdot::Criterion::mse);
  CHECK(path.mse[path.best] == doctest::Approx(path.mse.min()));
  CHECK(arma::all(path.lambdas.col(0) > path.lambdas.col(2)));  // a smaller ball needs a larger lambda
}

TEST_CASE("KernelRidge: classification one-vs-all beats chance and the linear kernel is weaker on a nonlinear teacher") {
  deepdot::TeacherConfig c;
  c.input_dim = 10;
  c.intrinsic_dim = 4;
  c.width = 50;
  c.noise = 0.0;
  const deepdot::TeacherNetwork t(c, 9);
  const auto tr = deepdot::draw_teacher_sample(t, 600, 9, 1), va = deepdot::draw_teacher_sample(t, 200, 9, 2),
             te = deepdot::draw_teacher_sample(t, 400, 9, 3);
  deepdot::LabelEncoder enc;
  enc.fit(tr.labels);
  auto test_error = [&](const char* spec) {
    deepdot::KernelRidge r(deepdot::make_kernel(spec));
    r.fit(tr.X, enc.encode(tr.labels));
    r.select_by_validation(deepdot::default_lambda_grid(), va.X, enc.encode(va.labels), deepdot::Criterion::error_rate);
    return deepdot::error_rate(te.labels, enc.decode(r.predict(te.X)));
  };
  const double kernel_err = test_error("recursive:1");
  const double linear_err = test_error("poly:1:1");
  CHECK(kernel_err < 0.15);
  CHECK(kernel_err < linear_err);
}

TEST_CASE("KernelRidge: every validation branch") {
  deepdot::KernelRidge ridge(deepdot::make_kernel("recursive:1"));
  CHECK_THROWS_AS(ridge.set_lambda(0.1), std::logic_error);
  CHECK_THROWS_AS(ridge.predict(arma::mat(2, 2)), std::logic_error);
  const Problem p = make_problem(30);
  CHECK_THROWS_WITH_AS(ridge.fit(p.train.X, p.train.targets.cols(0, 9)), doctest::Contains("KernelRidge::fit()"),
                       std::invalid_argument);
  CHECK_THROWS_AS(ridge.fit(p.train.X * 2.0, p.train.targets), std::invalid_argument);
  arma::mat bad = p.train.targets;
  bad(0, 0) = arma::datum::nan;
  CHECK_THROWS_WITH_AS(ridge.fit(p.train.X, bad), doctest::Contains("non-finite"), std::invalid_argument);
  ridge.fit(p.train.X, p.train.targets);
  CHECK_THROWS_WITH_AS(ridge.set_lambda(-1.0), doctest::Contains("lambda must be finite and >= 0"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ridge.set_norm_bound(0.0), doctest::Contains("B must be finite and > 0"),
                       std::invalid_argument);
  CHECK_THROWS_AS(ridge.predict(arma::mat(3, 2, arma::fill::zeros)), std::invalid_argument);
  CHECK_THROWS_AS(ridge.select_by_validation(arma::vec(), p.val.X, p.val.targets, deepdot::Criterion::mse),
                  std::invalid_argument);
  CHECK_THROWS_AS(ridge.select_by_validation(arma::vec{0.1}, p.val.X, p.val.targets.rows(0, 0),
                                             deepdot::Criterion::mse),
                  std::invalid_argument);
  CHECK_THROWS_AS(deepdot::default_lambda_grid(1), std::invalid_argument);
}

TEST_CASE("KernelRidge: the single-lambda Cholesky fit agrees with the eigen path") {
  const Problem p = make_problem(300);
  const auto k = deepdot::make_kernel("recursive:3");
  for (double lambda : {1e-6, 1e-3, 0.5}) {
    CAPTURE(lambda);
    deepdot::KernelRidge eig(k), chol(k);
    eig.fit(p.train.X, p.train.targets);
    eig.set_lambda(lambda);
    chol.fit(p.train.X, p.train.targets, lambda);
    CHECK_FALSE(chol.decomposed());
    CHECK(chol.eigenvalues().is_empty());
    const double scale = 1.0 + arma::abs(eig.dual_coefficients()).max();
    // Refinement restores double accuracy: far below single precision's 1e-7.
    CHECK(arma::abs(chol.dual_coefficients() - eig.dual_coefficients()).max() < 1e-9 * scale);
    CHECK(arma::abs(chol.predict(p.test.X) - eig.predict(p.test.X)).max() < 1e-9);
    CHECK(arma::approx_equal(chol.rkhs_norms(), eig.rkhs_norms(), "reldiff", 1e-8));
    CHECK(arma::approx_equal(chol.rkhs_norms(lambda), eig.rkhs_norms(lambda), "reldiff", 1e-8));
    CHECK(arma::all(chol.lambdas() == lambda));
  }
}

TEST_CASE("KernelRidge: after a Cholesky fit, other lambdas and the norm ball decompose on demand") {
  const Problem p = make_problem(150);
  const auto k = deepdot::make_kernel("recursive:2");
  deepdot::KernelRidge eig(k), chol(k);
  eig.fit(p.train.X, p.train.targets);
  chol.fit(p.train.X, p.train.targets, 1e-2);
  CHECK_THROWS_AS(chol.rkhs_norms(1e-4), std::logic_error);
  chol.set_lambda(1e-2);  // the fitted lambda: nothing to decompose
  CHECK_FALSE(chol.decomposed());
  chol.set_lambda(1e-4);
  CHECK(chol.decomposed());
  eig.set_lambda(1e-4);
  CHECK(arma::abs(chol.dual_coefficients() - eig.dual_coefficients()).max() <
        1e-10 * (1.0 + arma::abs(eig.dual_coefficients()).max()));
  deepdot::KernelRidge ball(k);
  ball.fit(p.train.X, p.train.targets, 1e-2);
  ball.set_norm_bound(0.5);
  eig.set_norm_bound(0.5);
  CHECK(arma::approx_equal(ball.lambdas(), eig.lambdas(), "reldiff", 1e-8));
}

TEST_CASE("KernelRidge: a rank-deficient Gram matrix at a rounding-level lambda falls back to the eigen path") {
  // Every training point repeated: K is singular, and at lambda = 1e-17 the
  // Cholesky factorisation of K + n lambda I breaks down or cannot be refined.
  Problem p = make_problem(40);
  const arma::mat X = arma::join_rows(p.train.X, p.train.X);
  const arma::mat Y = arma::join_rows(p.train.targets, p.train.targets);
  const auto k = deepdot::make_kernel("poly:2");
  deepdot::KernelRidge eig(k), chol(k);
  eig.fit(X, Y);
  eig.set_lambda(1e-17);
  chol.fit(X, Y, 1e-17);
  const arma::mat a = chol.predict(p.test.X), b = eig.predict(p.test.X);
  CHECK(a.is_finite());
  CHECK(arma::abs(a - b).max() < 1e-4 * (1.0 + arma::abs(b).max()));
}

TEST_CASE("KernelRidge: the single-lambda fit rejects a lambda that is not > 0") {
  const Problem p = make_problem(20);
  deepdot::KernelRidge ridge(deepdot::make_kernel("recursive:1"));
  for (double bad : {0.0, -1.0, std::nan(""), HUGE_VAL})
    CHECK_THROWS_WITH_AS(ridge.fit(p.train.X, p.train.targets, bad),
                         doctest::Contains("KernelRidge::fit(): the single-lambda fit needs a finite lambda > 0"),
                         std::invalid_argument);
  CHECK_THROWS_WITH_AS(ridge.fit(p.train.X, arma::mat(2, 19, arma::fill::zeros), 1e-3),
                       doctest::Contains("KernelRidge::fit(): X has 20 columns"), std::invalid_argument);
}

TEST_CASE("KernelRidge: an n x n kernel that cannot fit in memory is refused before anything is allocated") {
  // 200,000 points: the path needs 16 n^2 bytes (640 GB), far above any machine this runs on.
  const arma::uword n = 200000;
  const arma::mat X(1, n, arma::fill::value(0.5));
  const arma::mat Y(1, n, arma::fill::ones);
  CHECK(deepdot::kernel_ridge_memory_bytes(n, true) > deepdot::available_memory_bytes());
  deepdot::KernelRidge ridge(deepdot::make_kernel("recursive:1"));
  CHECK_THROWS_WITH_AS(ridge.fit(X, Y), doctest::Contains("KernelRidge::fit(): the kernel limit with n = 200000 points (n x n matrices) needs about"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ridge.fit(X, Y, 1e-3), doctest::Contains("is available; use a feature map"), std::invalid_argument);
  // The estimate: two n x n doubles for a path, one and a half for one lambda.
  CHECK(deepdot::kernel_ridge_memory_bytes(1000, true) == doctest::Approx(16.0e6 + 512.0e3));
  CHECK(deepdot::kernel_ridge_memory_bytes(1000, false) == doctest::Approx(12.0e6 + 512.0e3));
}
