// SPDX-License-Identifier: MIT
#include <deepdot/core/sparse.hpp>

#include <deepdot/core/preprocess.hpp>
#include <deepdot/kernels/gram.hpp>
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

namespace {

/// A d x n random sparse matrix with about `per_col` nonzeros per column, N(0,1) values.
arma::sp_mat random_sparse(arma::uword d, arma::uword n, arma::uword per_col, std::uint64_t seed) {
  deepdot::Rng rng(seed);
  arma::sp_mat X(d, n);
  for (arma::uword j = 0; j < n; ++j)
    for (arma::uword k = 0; k < per_col; ++k) X(rng.below(d), j) = rng.normal();
  return X;
}

}  // namespace

TEST_CASE("column norms, dense copies and column gathers of a sparse matrix match the dense ones") {
  const arma::sp_mat X = random_sparse(50, 12, 5, 3);
  const arma::mat D(X);
  const arma::vec n = deepdot::column_norms(X);
  REQUIRE(n.n_elem == 12);
  for (arma::uword j = 0; j < 12; ++j) CHECK(n[j] == doctest::Approx(arma::norm(D.col(j))).epsilon(1e-14));
  CHECK(arma::approx_equal(deepdot::column_norms(deepdot::to_float(X)), n, "reldiff", 1e-6));
  CHECK(arma::approx_equal(deepdot::dense_columns(X, 3, 7), D.cols(3, 6), "absdiff", 0.0));
  const arma::uvec idx{7, 2, 2, 11};
  const arma::sp_mat G = deepdot::sparse_columns(X, idx);
  CHECK(G.n_cols == 4);
  CHECK(arma::approx_equal(arma::mat(G), D.cols(idx), "absdiff", 0.0));
  CHECK_THROWS_AS(deepdot::sparse_columns(X, arma::uvec{12}), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::dense_columns(X, 5, 13), std::invalid_argument);
  const arma::vec f = arma::linspace(1, 2, 12);
  CHECK(arma::approx_equal(arma::mat(deepdot::scale_columns(X, f)), D * arma::diagmat(f), "reldiff", 1e-15));
  CHECK(arma::approx_equal(arma::mat(deepdot::to_double(deepdot::to_float(X))), D, "reldiff", 1e-7));
}

TEST_CASE("the unit-ball check on the sparse form names the bad column") {
  arma::sp_mat X = random_sparse(30, 6, 4, 5);
  deepdot::Scaler unit(deepdot::Scaling::unit_norm);
  unit.fit(X);
  arma::sp_mat U = unit.transform(X);
  CHECK_NOTHROW(deepdot::check_unit_ball(U, "test"));
  U(0, 4) = 3.0;
  CHECK_THROWS_WITH_AS(deepdot::check_unit_ball(U, "test"), doctest::Contains("column 4"), std::invalid_argument);
  U(0, 4) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(deepdot::check_unit_ball(U, "test"), doctest::Contains("non-finite"), std::invalid_argument);
}

TEST_CASE("sparse scaling keeps the pattern and equals the dense Scaler") {
  const arma::sp_mat X = random_sparse(40, 10, 6, 7);
  const arma::mat D(X);
  for (deepdot::Scaling s : {deepdot::Scaling::unit_norm, deepdot::Scaling::max_norm, deepdot::Scaling::none}) {
    deepdot::Scaler a(s), b(s);
    a.fit(X);
    b.fit(D);
    CHECK(a.factor() == doctest::Approx(b.factor()).epsilon(1e-14));
    const arma::sp_mat Y = a.transform(X);
    CHECK(Y.n_nonzero == X.n_nonzero);  // no centring: sparsity is kept
    CHECK(arma::approx_equal(arma::mat(Y), b.transform(D), "absdiff", 1e-14));
  }
  // max-norm on later data clips onto the sphere like the dense Scaler.
  deepdot::Scaler m(deepdot::Scaling::max_norm);
  m.fit(X);
  const arma::sp_mat big = X * 5.0;
  CHECK(deepdot::column_norms(m.transform(big)).max() <= 1.0 + 1e-12);
}

TEST_CASE("exact Gram matrices from sparse inputs equal the dense ones") {
  deepdot::Scaler unit(deepdot::Scaling::unit_norm);
  const arma::sp_mat X = unit.transform(random_sparse(100, 9, 10, 11));
  const arma::sp_mat Y = unit.transform(random_sparse(100, 7, 30, 12));
  const deepdot::Kernel k = deepdot::make_kernel("recursive:2");
  const arma::mat ref = deepdot::gram(k, arma::mat(X), arma::mat(Y));
  CHECK(arma::approx_equal(deepdot::gram(k, X, Y), ref, "absdiff", 1e-13));
  CHECK(arma::approx_equal(deepdot::gram(k, X, arma::mat(Y)), ref, "absdiff", 1e-13));
  CHECK_THROWS_WITH_AS(deepdot::gram(k, X, arma::sp_mat(99, 2)), doctest::Contains("rows"), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::gram(k, arma::sp_mat(X * 2.0), Y), std::invalid_argument);
}
