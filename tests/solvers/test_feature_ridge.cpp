// SPDX-License-Identifier: MIT
#include <deepdot/solvers/feature_ridge.hpp>

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/solvers/kernel_ridge.hpp>
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include "support/precision.hpp"

#include <cmath>
#include <stdexcept>

namespace {

struct Data {
  arma::mat Z, Y;  // D x n, c x n
};

/// Features with a decaying spectrum (so lambda matters) and noisy linear targets.
Data make_data(arma::uword D, arma::uword n, arma::uword c, std::uint64_t stream, double noise = 0.1) {
  deepdot::Rng rng(17, stream);
  arma::mat Z = rng.normal_matrix(D, n);
  for (arma::uword i = 0; i < D; ++i) Z.row(i) *= std::pow(0.8, static_cast<double>(i)) / std::sqrt(static_cast<double>(D));
  deepdot::Rng wrng(17, 999);  // the same teacher for every stream
  const arma::mat Wt = wrng.normal_matrix(D, c);
  const arma::mat Y = Wt.t() * Z * 5.0 + noise * rng.normal_matrix(c, n);
  return {Z, Y};
}

arma::mat direct_solve(const Data& d, double lambda) {
  const double n = static_cast<double>(d.Z.n_cols);
  return arma::solve(d.Z * d.Z.t() + n * lambda * arma::eye(d.Z.n_rows, d.Z.n_rows), d.Z * d.Y.t());
}

double rel(const arma::mat& A, const arma::mat& B) { return arma::abs(A - B).max() / (1e-300 + arma::abs(B).max()); }

}  // namespace

TEST_CASE("FeatureRidge: streaming in batches of different sizes equals the one-shot solve") {
  const Data d = make_data(30, 200, 3, 1);
  for (auto solver : {deepdot::RidgeSolver::eigen, deepdot::RidgeSolver::cholesky}) {
    deepdot::FeatureRidge one(30, 3, solver), many(30, 3, solver);
    one.accumulate(d.Z, d.Y);
    arma::uword start = 0;
    for (arma::uword b : {1u, 7u, 50u, 142u}) {
      many.accumulate(arma::mat(d.Z.cols(start, start + b - 1)), arma::mat(d.Y.cols(start, start + b - 1)));
      start += b;
    }
    REQUIRE(start == 200);
    CHECK(many.count() == 200);
    CHECK(rel(many.gram(), d.Z * d.Z.t()) < 1e-13);
    for (double lambda : {1e-6, 1e-3, 1e-1}) {
      one.set_lambda(lambda);
      many.set_lambda(lambda);
      const arma::mat W = direct_solve(d, lambda);
      CHECK(rel(one.weights(), W) < 1e-9);
      CHECK(rel(many.weights(), W) < 1e-9);
    }
  }
}

TEST_CASE_TEMPLATE("FeatureRidge: exact accumulation gives the double Gram of the features as given", eT, float, double) {
  const Data d = make_data(20, 64, 2, 2);
  const arma::Mat<eT> Z = deepdot::test::as<eT>(d.Z);
  deepdot::FeatureRidge r(20, 2, deepdot::RidgeSolver::automatic, deepdot::Accumulation::exact);
  r.accumulate(Z, d.Y);
  const arma::mat Zr = arma::conv_to<arma::mat>::from(Z);
  // Whatever eT the features come in, the sums are formed in double.
  CHECK(rel(r.gram(), Zr * Zr.t()) < 1e-14);
  CHECK(rel(r.cross(), Zr * d.Y.t()) < 1e-14);
}

TEST_CASE("FeatureRidge: eigen and Cholesky back ends agree; automatic picks by D") {
  const Data d = make_data(40, 150, 2, 3);
  deepdot::FeatureRidge e(40, 2, deepdot::RidgeSolver::eigen), c(40, 2, deepdot::RidgeSolver::cholesky);
  e.accumulate(d.Z, d.Y);
  c.accumulate(d.Z, d.Y);
  CHECK(e.effective_solver() == deepdot::RidgeSolver::eigen);
  CHECK(c.effective_solver() == deepdot::RidgeSolver::cholesky);
  for (double lambda : {1e-7, 1e-4, 1e-2, 1.0}) {
    e.set_lambda(lambda);
    c.set_lambda(lambda);
    CHECK(rel(e.weights(), c.weights()) < 1e-8);
  }
  // Different lambdas per output: one factorisation per distinct value.
  e.set_lambdas({1e-3, 1e-1});
  c.set_lambdas({1e-3, 1e-1});
  CHECK(rel(e.weights(), c.weights()) < 1e-9);
  CHECK(deepdot::FeatureRidge(deepdot::feature_ridge_eigen_limit, 1).effective_solver() == deepdot::RidgeSolver::eigen);
  CHECK(deepdot::FeatureRidge(deepdot::feature_ridge_eigen_limit + 1, 1).effective_solver() ==
        deepdot::RidgeSolver::cholesky);
}

TEST_CASE("FeatureRidge: the validation path equals independent solves") {
  const Data d = make_data(25, 120, 2, 4), v = make_data(25, 60, 2, 5);
  const arma::vec grid = deepdot::default_lambda_grid(8);
  for (auto solver : {deepdot::RidgeSolver::eigen, deepdot::RidgeSolver::cholesky}) {
    deepdot::FeatureRidge r(25, 2, solver);
    r.accumulate(d.Z, d.Y);
    const deepdot::RidgePath path =
        r.select_by_validation(grid, arma::conv_to<arma::fmat>::from(v.Z), v.Y, deepdot::Criterion::mse);
    REQUIRE(path.mse.n_elem == grid.n_elem);
    const arma::mat Zv = arma::conv_to<arma::mat>::from(arma::conv_to<arma::fmat>::from(v.Z));
    for (arma::uword l = 0; l < grid.n_elem; ++l) {
      const arma::mat W = direct_solve(d, grid[l]);
      const double mse = arma::accu(arma::square(W.t() * Zv - v.Y)) / static_cast<double>(v.Y.n_elem);
      CHECK(path.mse[l] == doctest::Approx(mse).epsilon(1e-8));
      CHECK(path.norms(0, l) == doctest::Approx(arma::norm(W.col(0))).epsilon(1e-8));
      CHECK(path.mse[path.best] <= path.mse[l]);
    }
    CHECK(r.lambdas()[0] == grid[path.best]);
    CHECK(rel(r.weights(), direct_solve(d, grid[path.best])) < 1e-8);
  }
}

TEST_CASE("FeatureRidge: the norm ball reaches B when active and is the least-squares solution inside") {
  const Data d = make_data(30, 200, 3, 6);
  deepdot::FeatureRidge r(30, 3);
  r.accumulate(d.Z, d.Y);
  const arma::vec free = r.norms(0.0);
  const double B = 0.5 * free.min();
  r.set_norm_bound(B);
  for (arma::uword j = 0; j < 3; ++j) {
    CHECK(std::abs(r.norms()[j] - B) <= 1e-8 * B);
    CHECK(r.lambdas()[j] > 0.0);
  }
  // The weights are the ridge solution at the lambdas found.
  for (arma::uword j = 0; j < 3; ++j) CHECK(rel(r.weights().col(j), direct_solve(d, r.lambdas()[j]).col(j)) < 1e-8);
  // Larger than every free norm: lambda = 0, the least-squares solution (Z has full row rank here).
  r.set_norm_bound(2.0 * free.max());
  CHECK(arma::all(r.lambdas() == 0.0));
  CHECK(rel(r.weights(), arma::solve(d.Z * d.Z.t(), d.Z * d.Y.t())) < 1e-8);
}

TEST_CASE("FeatureRidge: norm-ball validation path picks among radii and keeps the best") {
  const Data d = make_data(20, 150, 2, 7), v = make_data(20, 80, 2, 8);
  deepdot::FeatureRidge r(20, 2);
  r.accumulate(d.Z, d.Y);
  bool given = false;
  const arma::fmat Zv = arma::conv_to<arma::fmat>::from(v.Z);
  const deepdot::NormBallPath path = r.select_norm_bound_by_validation(
      {0.1, 1.0, 10.0, 100.0},
      [&](arma::fmat& Z, arma::mat& Y) {
        if (given) return false;
        Z = Zv;
        Y = v.Y;
        given = true;
        return true;
      },
      deepdot::Criterion::mse);
  CHECK(path.mse.n_elem == 4);
  for (arma::uword l = 0; l < 4; ++l) CHECK(path.mse[path.best] <= path.mse[l]);
  CHECK(arma::approx_equal(r.lambdas(), arma::vec(path.lambdas.col(path.best)), "absdiff", 0.0));
}

TEST_CASE("FeatureRidge: GCV picks a sensible lambda on a toy problem") {
  const Data d = make_data(40, 300, 1, 9, 0.5), t = make_data(40, 2000, 1, 10, 0.0);
  deepdot::FeatureRidge r(40, 1);
  r.accumulate(d.Z, d.Y);
  const arma::vec grid = arma::logspace(-10.0, 2.0, 25);
  const deepdot::GcvPath g = r.select_by_gcv(grid);
  CHECK(g.best > 0);
  CHECK(g.best + 1 < grid.n_elem);
  CHECK(g.dof[0] > g.dof[grid.n_elem - 1]);
  // Its test error against the noise-free targets is close to the best on the grid.
  double best = 1e300, chosen = 0.0;
  for (arma::uword l = 0; l < grid.n_elem; ++l) {
    const double e = arma::accu(arma::square(direct_solve(d, grid[l]).t() * t.Z - t.Y));
    best = std::min(best, e);
    if (l == g.best) chosen = e;
  }
  CHECK(chosen <= 1.5 * best);
  // GCV equals its definition computed directly.
  const double lam = grid[g.best], n = 300.0;
  const arma::mat W = direct_solve(d, lam);
  const double rss = arma::accu(arma::square(W.t() * d.Z - d.Y));
  const arma::mat H = d.Z.t() * arma::solve(d.Z * d.Z.t() + n * lam * arma::eye(40, 40), d.Z);
  const double expect = (rss / n) / std::pow(1.0 - arma::trace(H) / n, 2);
  CHECK(g.gcv[g.best] == doctest::Approx(expect).epsilon(1e-7));
}

TEST_CASE("FeatureRidge: exact Taylor features agree with the kernel-limit learner") {
  const auto k = deepdot::make_kernel("poly:2:1");
  deepdot::Rng rng(5, 1);
  arma::mat X = rng.normal_matrix(3, 40), Xt = rng.normal_matrix(3, 25);
  X.each_col([](arma::vec& x) { x /= arma::norm(x); });
  Xt.each_col([](arma::vec& x) { x /= 1.5 * arma::norm(x); });
  const arma::mat Y = arma::sin(2.0 * X.rows(0, 1)) + X.rows(1, 2);
  const auto map = deepdot::make_feature_map("taylor:2", k, 3, 10, 0);  // 1 + 3 + 6 monomials
  deepdot::FeatureRidge fr(10, 2);
  fr.accumulate(map->transform(X), Y);
  deepdot::KernelRidge kr(k);
  kr.fit(X, Y);
  for (double lambda : {1e-5, 1e-2}) {
    fr.set_lambda(lambda);
    kr.set_lambda(lambda);
    const arma::mat pf = fr.weights().t() * map->transform(Xt);
    CHECK(arma::abs(pf - kr.predict(Xt)).max() < 1e-8);
    CHECK(arma::abs(fr.norms() - kr.rkhs_norms()).max() < 1e-8);
  }
  fr.set_norm_bound(0.5);
  kr.set_norm_bound(0.5);
  CHECK(arma::abs(fr.weights().t() * map->transform(Xt) - kr.predict(Xt)).max() < 1e-8);
}

TEST_CASE("FeatureRidge: every validation branch") {
  CHECK_THROWS_AS(deepdot::FeatureRidge(0, 1), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::FeatureRidge(3, 0), std::invalid_argument);
  deepdot::FeatureRidge r(3, 2);
  CHECK_THROWS_AS(r.set_lambda(1e-3), std::logic_error);
  CHECK_THROWS_AS(r.weights(), std::logic_error);
  CHECK_THROWS_AS(r.select_by_gcv({1e-3, 1e-2}), std::logic_error);
  CHECK_THROWS_WITH_AS(r.accumulate(arma::mat(4, 5, arma::fill::ones), arma::mat(2, 5)), doctest::Contains("D x b"),
                       std::invalid_argument);
  CHECK_THROWS_AS(r.accumulate(arma::mat(3, 5, arma::fill::ones), arma::mat(2, 4)), std::invalid_argument);
  CHECK_THROWS_AS(r.accumulate(arma::mat(3, 0), arma::mat(2, 0)), std::invalid_argument);
  arma::mat bad(3, 5, arma::fill::ones);
  bad(1, 2) = arma::datum::nan;
  CHECK_THROWS_WITH_AS(r.accumulate(bad, arma::mat(2, 5, arma::fill::zeros)), doctest::Contains("non-finite"),
                       std::invalid_argument);
  deepdot::Rng rng(3, 3);
  r.accumulate(rng.normal_matrix(3, 10), rng.normal_matrix(2, 10));
  CHECK_THROWS_AS(r.set_lambda(-1.0), std::invalid_argument);
  CHECK_THROWS_AS(r.set_lambda(arma::datum::inf), std::invalid_argument);
  CHECK_THROWS_AS(r.set_lambdas({1e-3}), std::invalid_argument);
  CHECK_THROWS_AS(r.set_norm_bound(0.0), std::invalid_argument);
  CHECK_THROWS_AS(r.set_norm_bound(arma::datum::nan), std::invalid_argument);
  CHECK_THROWS_AS(r.select_by_gcv(arma::vec()), std::invalid_argument);
  CHECK_THROWS_AS(r.select_by_gcv({-1.0}), std::invalid_argument);
  CHECK_THROWS_AS(r.path_weights(arma::vec()), std::invalid_argument);
  CHECK_THROWS_AS(r.norms(-1.0), std::invalid_argument);
  const arma::fmat Zv(3, 4, arma::fill::ones);
  CHECK_THROWS_AS(r.select_by_validation({1e-3, 1e-2}, arma::fmat(2, 4), arma::mat(2, 4), deepdot::Criterion::mse),
                  std::invalid_argument);
  CHECK_THROWS_AS(r.select_by_validation({1e-3, 1e-2}, Zv, arma::mat(1, 4), deepdot::Criterion::mse),
                  std::invalid_argument);
  CHECK_THROWS_WITH_AS(r.select_by_validation(
                           {1e-3}, [](arma::fmat&, arma::mat&) { return false; }, deepdot::Criterion::mse),
                       doctest::Contains("empty"), std::invalid_argument);
  CHECK_THROWS_AS(r.select_norm_bound_by_validation(
                      arma::vec(), [](arma::fmat&, arma::mat&) { return false; }, deepdot::Criterion::mse),
                  std::invalid_argument);
  // lambda = 0 on a rank-deficient Gram gives the minimum-norm solution even with Cholesky asked for.
  deepdot::FeatureRidge c(5, 1, deepdot::RidgeSolver::cholesky);
  const arma::mat Z = rng.normal_matrix(5, 3), y = rng.normal_matrix(1, 3);
  c.accumulate(Z, y);
  c.set_lambda(0.0);
  CHECK(rel(c.weights(), arma::pinv(Z * Z.t()) * Z * y.t()) < 1e-8);
}

TEST_CASE("FeatureRidge: the in-place Cholesky solve leaves the accumulated ZZ' intact") {
  const Data a = make_data(60, 150, 3, 21), b = make_data(60, 90, 3, 22);
  deepdot::FeatureRidge r(60, 3, deepdot::RidgeSolver::cholesky), all(60, 3, deepdot::RidgeSolver::eigen);
  r.accumulate(a.Z, a.Y);
  const arma::mat before = r.gram();
  r.set_lambdas(arma::vec{1e-3, 1e-2, 1e-3});  // two distinct lambdas: two factorisations in G's lower triangle
  CHECK(arma::approx_equal(r.gram(), before, "absdiff", 0.0));
  // Accumulating after a solve continues from the same statistics.
  r.accumulate(b.Z, b.Y);
  const Data ab{arma::join_rows(a.Z, b.Z), arma::join_rows(a.Y, b.Y)};
  all.accumulate(ab.Z, ab.Y);
  CHECK(rel(r.gram(), all.gram()) < 1e-13);
  r.set_lambda(1e-3);
  all.set_lambda(1e-3);
  CHECK(rel(r.weights(), all.weights()) < 1e-8);
  CHECK(rel(r.weights(), direct_solve(ab, 1e-3)) < 1e-8);
}

TEST_CASE("FeatureRidge: automatic solves one lambda by Cholesky and paths by eigen, with the same answers") {
  const Data d = make_data(50, 200, 2, 23);
  deepdot::FeatureRidge autom(50, 2), eig(50, 2, deepdot::RidgeSolver::eigen);
  autom.accumulate(d.Z, d.Y);
  eig.accumulate(d.Z, d.Y);
  REQUIRE(autom.effective_solver() == deepdot::RidgeSolver::eigen);  // D <= the limit: paths use eigen
  CHECK(autom.solved_with() == deepdot::RidgeSolver::automatic);  // nothing solved yet
  autom.set_lambda(1e-2);
  eig.set_lambda(1e-2);
  CHECK(autom.solved_with() == deepdot::RidgeSolver::cholesky);
  CHECK(eig.solved_with() == deepdot::RidgeSolver::eigen);
  CHECK(rel(autom.weights(), eig.weights()) < 1e-9);
  CHECK(rel(autom.weights(), direct_solve(d, 1e-2)) < 1e-9);
  const auto path = autom.path_weights(arma::vec{1e-4, 1e-1});
  CHECK(autom.solved_with() == deepdot::RidgeSolver::eigen);
  CHECK(rel(path[0], direct_solve(d, 1e-4)) < 1e-7);
  CHECK(rel(path[1], direct_solve(d, 1e-1)) < 1e-9);
}

TEST_CASE("FeatureRidge: single-precision accumulation agrees with the exact one to float rounding") {
  // D = 600 spans two column blocks of 512, one of them partial.
  const Data d = make_data(600, 700, 2, 31);
  const arma::fmat Zf = arma::conv_to<arma::fmat>::from(d.Z);
  deepdot::FeatureRidge exact(600, 2, deepdot::RidgeSolver::cholesky, deepdot::Accumulation::exact),
      single(600, 2, deepdot::RidgeSolver::cholesky, deepdot::Accumulation::single);
  CHECK(single.accumulation() == deepdot::Accumulation::single);
  for (arma::uword j0 = 0; j0 < 700; j0 += 350) {
    exact.accumulate(arma::fmat(Zf.cols(j0, j0 + 349)), d.Y.cols(j0, j0 + 349));
    single.accumulate(arma::fmat(Zf.cols(j0, j0 + 349)), d.Y.cols(j0, j0 + 349));
  }
  const double gerr = rel(single.gram(), exact.gram());
  CHECK(gerr < 1e-5);
  CHECK(gerr > 0.0);  // it really multiplied in float
  CHECK(rel(single.cross(), exact.cross()) < 1e-14);  // ZY' stays in double
  CHECK(single.count() == 700);
  exact.set_lambda(1e-2);
  single.set_lambda(1e-2);
  CHECK(rel(single.weights(), exact.weights()) < 1e-3);
  CHECK_THROWS_WITH_AS(single.accumulate(arma::fmat(599, 3, arma::fill::zeros), arma::mat(2, 3)),
                       doctest::Contains("FeatureRidge::accumulate(): Z is 599 x 3"), std::invalid_argument);
  arma::fmat bad(600, 2, arma::fill::zeros);
  bad(5, 1) = std::nanf("");
  CHECK_THROWS_WITH_AS(single.accumulate(bad, arma::mat(2, 2, arma::fill::zeros)), doctest::Contains("non-finite"),
                       std::invalid_argument);
}

TEST_CASE("FeatureRidge: a Cholesky failure (D > n, lambda at rounding level) falls back to the eigen back end") {
  const Data d = make_data(40, 10, 2, 31);  // rank 10 in 40 dimensions
  deepdot::FeatureRidge ridge(40, 2, deepdot::RidgeSolver::cholesky);
  ridge.accumulate(d.Z, d.Y);
  const double tiny = 1e-300;  // n lambda vanishes next to ZZ's entries: numerically singular
  REQUIRE_NOTHROW(ridge.set_lambda(tiny));
  CHECK(ridge.solved_with() == deepdot::RidgeSolver::eigen);
  CHECK(ridge.weights().is_finite());
  // The fallback is the minimum-norm least-squares solution, as at lambda = 0.
  deepdot::FeatureRidge exact(40, 2, deepdot::RidgeSolver::eigen);
  exact.accumulate(d.Z, d.Y);
  exact.set_lambda(0.0);
  CHECK(rel(ridge.weights(), exact.weights()) < 1e-6);
  // The residual of the training targets is at rounding level (n < D: interpolation).
  CHECK(rel(ridge.weights().t() * d.Z, d.Y) < 1e-6);
}

TEST_CASE("parse_ridge_solver / parse_accumulation round-trip; bad names name the value and the choices") {
  for (auto s : {deepdot::RidgeSolver::automatic, deepdot::RidgeSolver::eigen, deepdot::RidgeSolver::cholesky})
    CHECK(deepdot::parse_ridge_solver(deepdot::ridge_solver_name(s)) == s);
  CHECK(deepdot::ridge_solver_name(deepdot::RidgeSolver::automatic) == "auto");
  for (auto a : {deepdot::Accumulation::exact, deepdot::Accumulation::single})
    CHECK(deepdot::parse_accumulation(deepdot::accumulation_name(a)) == a);
  CHECK_THROWS_WITH_AS(deepdot::parse_ridge_solver("lu"),
                       doctest::Contains("parse_ridge_solver(): unknown ridge solver 'lu'; expected auto, eigen or cholesky"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::parse_accumulation("Single"),
                       doctest::Contains("parse_accumulation(): unknown accumulation 'Single'; expected exact or single"),
                       std::invalid_argument);
}

TEST_CASE("FeatureRidge's default accumulation is the named default, shared with TrainerConfig") {
  CHECK(deepdot::FeatureRidge(3, 1).accumulation() == deepdot::default_accumulation);
  CHECK(deepdot::default_accumulation == deepdot::Accumulation::single);
  // The default sums float batches in float, to float rounding of the exact Gram ...
  const Data d = make_data(40, 64, 1, 5);
  const arma::fmat Zf = arma::conv_to<arma::fmat>::from(d.Z);
  deepdot::FeatureRidge byDefault(40, 1), exact(40, 1, deepdot::RidgeSolver::automatic, deepdot::Accumulation::exact);
  byDefault.accumulate(Zf, d.Y);
  exact.accumulate(Zf, d.Y);
  const arma::mat Zr = arma::conv_to<arma::mat>::from(Zf);
  CHECK(rel(exact.gram(), Zr * Zr.t()) < 1e-14);
  const double gap = rel(byDefault.gram(), exact.gram());
  CHECK(gap < 1e-5);
  CHECK(gap > 0.0);  // ... and really in float: not the exact path under another name
  // Double batches are summed exactly under either setting, so their full
  // spectrum is kept: the minimum-norm solutions agree to double rounding.
  deepdot::FeatureRidge dbl(40, 1);
  dbl.accumulate(d.Z, d.Y);
  deepdot::FeatureRidge dbl_exact(40, 1, deepdot::RidgeSolver::eigen, deepdot::Accumulation::exact);
  dbl_exact.accumulate(d.Z, d.Y);
  CHECK(rel(dbl.gram(), dbl_exact.gram()) == 0.0);
  dbl.set_lambda(0.0);
  dbl_exact.set_lambda(0.0);
  CHECK(rel(dbl.weights(), dbl_exact.weights()) < 1e-8);
}

TEST_CASE("FeatureRidge: a D x D matrix larger than the memory is refused before it is allocated") {
  // D = 2^22: a 128 TiB Gram matrix.
  CHECK_THROWS_WITH_AS(deepdot::FeatureRidge(arma::uword(1) << 22, 1),
                       doctest::Contains("D = 4194304 features (a D x D matrix of doubles) needs"),
                       std::invalid_argument);
}

TEST_CASE("FeatureRidge: statistics of disjoint parts sum to the statistics of the whole (float and double)") {
  const Data d = make_data(20, 150, 2, 5);
  for (auto acc : {deepdot::Accumulation::exact, deepdot::Accumulation::single}) {
    deepdot::FeatureRidge whole(20, 2, deepdot::RidgeSolver::eigen, acc), merged(20, 2, deepdot::RidgeSolver::eigen, acc);
    whole.accumulate(arma::conv_to<arma::fmat>::from(d.Z), d.Y);
    // Three parts of unequal sizes, as three ranks would hold them.
    const arma::uword cuts[] = {0, 37, 101, 150};
    arma::vec sum;
    for (int p = 0; p < 3; ++p) {
      deepdot::FeatureRidge part(20, 2, deepdot::RidgeSolver::eigen, acc);
      part.accumulate(arma::conv_to<arma::fmat>::from(d.Z.cols(cuts[p], cuts[p + 1] - 1)),
                      d.Y.cols(cuts[p], cuts[p + 1] - 1));
      const arma::vec s = part.statistics();
      REQUIRE(s.n_elem == part.statistics_size());
      CHECK(s[s.n_elem - 1] == double(cuts[p + 1] - cuts[p]));
      sum = p == 0 ? s : arma::vec(sum + s);
    }
    merged.add_statistics(sum);
    CHECK(merged.count() == 150);
    CHECK(rel(merged.gram(), whole.gram()) < 1e-6);
    CHECK(rel(merged.cross(), whole.cross()) < 1e-12);
    merged.set_lambda(1e-3);
    whole.set_lambda(1e-3);
    CHECK(rel(merged.weights(), whole.weights()) < 1e-5);
    // GCV uses the sum of squared targets: it must agree too.
    // (RSS is a difference of large sums: float batch sums round it more.)
    const double tol = acc == deepdot::Accumulation::exact ? 1e-8 : 1e-4;
    const arma::vec g_merged = merged.select_by_gcv(arma::vec{1e-4, 1e-2}).gcv;
    const arma::vec g_whole = whole.select_by_gcv(arma::vec{1e-4, 1e-2}).gcv;
    CHECK(arma::approx_equal(g_merged, g_whole, "reldiff", tol));
  }
}

TEST_CASE("FeatureRidge: add_statistics() rejects a wrong length, a bad count and non-finite values") {
  deepdot::FeatureRidge r(4, 1);
  arma::vec s(r.statistics_size(), arma::fill::zeros);
  CHECK_THROWS_AS(r.add_statistics(arma::vec(3, arma::fill::zeros)), std::invalid_argument);
  s[s.n_elem - 1] = 2.5;
  CHECK_THROWS_AS(r.add_statistics(s), std::invalid_argument);
  s[s.n_elem - 1] = -1;
  CHECK_THROWS_AS(r.add_statistics(s), std::invalid_argument);
  s[s.n_elem - 1] = 1;
  s[0] = arma::datum::nan;
  CHECK_THROWS_AS(r.add_statistics(s), std::invalid_argument);
  s[0] = 1;
  r.add_statistics(s);
  CHECK(r.count() == 1);
  CHECK(r.gram()(0, 0) == 1.0);
}

TEST_CASE("FeatureRidge: reduce_statistics() sums the parts' statistics in place, piece by piece") {
  const Data d = make_data(20, 150, 2, 6);
  const arma::uword cut = 61;
  deepdot::FeatureRidge whole(20, 2), mine(20, 2), other(20, 2);
  whole.accumulate(arma::conv_to<arma::fmat>::from(d.Z), d.Y);
  mine.accumulate(arma::conv_to<arma::fmat>::from(d.Z.cols(0, cut - 1)), d.Y.cols(0, cut - 1));
  other.accumulate(arma::conv_to<arma::fmat>::from(d.Z.cols(cut, 149)), d.Y.cols(cut, 149));
  // A two-rank allreduce seen from `mine`: each piece gets the other part's same piece added.
  const arma::vec theirs = other.statistics();
  arma::uword at = 0, pieces = 0;
  const arma::vec before = mine.statistics();
  mine.reduce_statistics(
      [&](arma::vec& v) {
        CHECK(v.n_elem <= 37);
        CHECK(arma::approx_equal(v, before.subvec(at, at + v.n_elem - 1), "absdiff", 0.0));  // the packed order
        v += theirs.subvec(at, at + v.n_elem - 1);
        at += v.n_elem;
        ++pieces;
      },
      37);
  CHECK(at == whole.statistics_size());
  CHECK(pieces == (whole.statistics_size() + 36) / 37);
  CHECK(mine.count() == 150);
  CHECK(rel(mine.gram(), whole.gram()) < 1e-6);
  CHECK(rel(mine.cross(), whole.cross()) < 1e-12);
  mine.set_lambda(1e-3);
  whole.set_lambda(1e-3);
  CHECK(rel(mine.weights(), whole.weights()) < 1e-5);
  // A sum that breaks the count is refused.
  CHECK_THROWS_AS(other.reduce_statistics([](arma::vec& v) { v.fill(0.5); }), std::invalid_argument);
  CHECK_THROWS_AS(other.reduce_statistics([](arma::vec&) {}, 0), std::invalid_argument);
}
