// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/core/sparse.hpp>
#include <deepdot/kernels/gram.hpp>
#include <deepdot/util/perf.hpp>

#include <doctest/doctest.h>

#include "support/map_test_support.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

// Nystroem fitted on the sparse form keeps its landmarks sparse: the same
// features as the dense fit, exact when the landmarks are the whole sample,
// its own file block, and memory that does not grow with d.

using map_test::loaded;
using map_test::saved;
using map_test::unit_sparse;

namespace {

double max_abs(const arma::mat& A) { return A.is_empty() ? 0.0 : arma::abs(A).max(); }

std::uint64_t get_u64(const std::string& bytes, std::size_t at) {
  std::uint64_t v;
  std::memcpy(&v, &bytes[at], 8);
  return v;
}
void put_u64(std::string& bytes, std::size_t at, std::uint64_t v) { std::memcpy(&bytes[at], &v, 8); }

}  // namespace

// First in this file (its own test process): the peak memory is this fit's.
TEST_CASE("nystrom sparse: d = 2^24 fits and transforms in memory independent of d") {
  // Dense landmarks would be d x D = 2^24 x 200 doubles, 25 GiB; the sparse
  // ones hold 600 nonzeros.
  const arma::uword d = arma::uword(1) << 24, n = 300, D = 200;
  const double before = deepdot::peak_rss_bytes();
  REQUIRE(before > 0.0);
  const arma::sp_mat X = unit_sparse(d, n, 2, 41);
  const auto kernel = deepdot::make_kernel("recursive:1");
  auto map = deepdot::make_feature_map("nystrom", kernel, d, D, 3);
  map->fit_sparse(X);
  REQUIRE(map->is_fitted());
  const arma::sp_mat Y = unit_sparse(d, 50, 2, 42);
  const arma::mat Z = map->transform(Y);
  REQUIRE(Z.n_rows == D);
  // The features represent the kernel exactly on the landmarks: K(x, x) =
  // f(1) for unit x. (gram() of X would transpose X: d + 1 column starts.)
  const arma::mat ZX = map->transform(X);
  const double f1 = deepdot::gram(kernel, arma::mat{1.0})(0, 0);
  arma::uword exact = 0;
  for (arma::uword j = 0; j < n; ++j)
    if (std::abs(arma::dot(ZX.col(j), ZX.col(j)) - f1) < 1e-9) ++exact;
  CHECK(exact >= D);  // at least the D landmarks
  // A round trip through the file (its probes are sparse at this d).
  const auto back = loaded(saved(*map));
  const arma::mat Zb = back->transform(Y);
  CHECK(std::memcmp(Zb.memptr(), Z.memptr(), Z.n_elem * sizeof(double)) == 0);
  const double grown = deepdot::peak_rss_bytes() - before;
  MESSAGE("peak memory grew by ", grown / 1048576.0, " MiB");
  CHECK(grown < 64.0 * 1048576.0);
}

TEST_CASE("nystrom sparse: the sparse fit gives the dense fit's features, double and float") {
  const arma::uword d = 300, n = 160;
  const arma::sp_mat sample = unit_sparse(d, n, 8, 1);
  const arma::mat dense_sample(sample);
  const arma::sp_mat X = unit_sparse(d, 45, 8, 2);
  const arma::mat Xd(X);
  for (const char* spec : {"nystrom", "nystrom:chol", "nystrom:eig:1e-8"}) {
    for (const char* kspec : {"recursive:1", "recursive:2", "poly:2:1", "gaussian:1"}) {
      CAPTURE(spec);
      CAPTURE(kspec);
      const auto kernel = deepdot::make_kernel(kspec);
      auto sparse_fit = deepdot::make_feature_map(spec, kernel, d, 70, 5);
      auto dense_fit = deepdot::make_feature_map(spec, kernel, d, 70, 5);
      sparse_fit->fit_sparse(sample);
      dense_fit->fit(dense_sample);
      const arma::mat Z = dense_fit->transform(Xd);
      const double scale = std::max(1.0, max_abs(Z));
      // Sparse landmarks with sparse and with dense input.
      CHECK(max_abs(sparse_fit->transform(X) - Z) <= 1e-10 * scale);
      CHECK(max_abs(sparse_fit->transform(Xd) - Z) <= 1e-10 * scale);
      const arma::fmat Xf = arma::conv_to<arma::fmat>::from(Xd);
      const arma::mat Zf_sparse = arma::conv_to<arma::mat>::from(sparse_fit->transform(deepdot::to_float(X)));
      const arma::mat Zf_dense = arma::conv_to<arma::mat>::from(sparse_fit->transform(Xf));
      CHECK(max_abs(Zf_sparse - Z) <= 1e-4 * scale);
      CHECK(max_abs(Zf_dense - Z) <= 1e-4 * scale);
      REQUIRE(sparse_fit->has_linear_tail() == dense_fit->has_linear_tail());
      if (sparse_fit->has_linear_tail()) {
        const arma::mat R = dense_fit->transform_raw(Xd);
        CHECK(max_abs(sparse_fit->transform_raw(X) - R) <= 1e-12);
        CHECK(max_abs(sparse_fit->transform_raw(Xd) - R) <= 1e-12);
        CHECK(max_abs(arma::conv_to<arma::mat>::from(sparse_fit->transform_raw(Xf)) - R) <= 1e-5);
        CHECK(max_abs(arma::conv_to<arma::mat>::from(sparse_fit->transform_raw(deepdot::to_float(X))) - R) <= 1e-5);
      }
    }
  }
}

TEST_CASE("nystrom sparse: exact on the sample when the landmarks are the whole sample") {
  const arma::uword d = 5000, n = 90;
  const arma::sp_mat X = unit_sparse(d, n, 12, 3);
  for (const char* kspec : {"recursive:1", "recursive:4", "gaussian:1"}) {
    for (const char* spec : {"nystrom", "nystrom:chol"}) {
      CAPTURE(kspec);
      CAPTURE(spec);
      const auto kernel = deepdot::make_kernel(kspec);
      auto map = deepdot::make_feature_map(spec, kernel, d, n, 8);
      map->fit_sparse(X);
      const arma::mat Z = map->transform(X);
      const arma::mat K = deepdot::gram(kernel, X, X);
      // The Cholesky ridge eps = 1e-10 trace(K) leaves an error of order eps.
      CHECK(max_abs(Z.t() * Z - K) < 1e-7);
    }
  }
}

TEST_CASE("nystrom sparse: save/load bit-identical, the sparse block validated") {
  const arma::uword d = 1000, n = 40, D = 40;  // D = n: the landmarks are the sample, nnz known
  const arma::sp_mat sample = unit_sparse(d, n, 6, 4);
  const arma::uword nnz = sample.n_nonzero;
  const arma::sp_mat X = unit_sparse(d, 25, 6, 5);
  for (const char* spec : {"nystrom:eig", "nystrom:chol"}) {
    CAPTURE(spec);
    const bool chol = std::string(spec) == "nystrom:chol";
    auto map = deepdot::make_feature_map(spec, deepdot::make_kernel("recursive:2"), d, D, 6);
    map->fit_sparse(sample);
    const std::string bytes = saved(*map);
    const auto back = loaded(bytes);
    REQUIRE(back->is_fitted());
    CHECK(saved(*back) == bytes);
    const arma::mat Z = map->transform(X), Zb = back->transform(X);
    CHECK(std::memcmp(Z.memptr(), Zb.memptr(), Z.n_elem * sizeof(double)) == 0);
    const arma::mat Xd(X);
    const arma::mat Zd = map->transform(Xd), Zdb = back->transform(Xd);
    CHECK(std::memcmp(Zd.memptr(), Zdb.memptr(), Zd.n_elem * sizeof(double)) == 0);
    const arma::fmat Zf = map->transform(deepdot::to_float(X)), Zfb = back->transform(deepdot::to_float(X));
    CHECK(std::memcmp(Zf.memptr(), Zfb.memptr(), Zf.n_elem * sizeof(float)) == 0);

    // The layout: flag, d, D, nnz, D + 1 column starts, nnz rows, nnz values, then the factor.
    const std::size_t factor = chol ? 8 + 8 * D * (D + 1) / 2 : 16 + 8 * D * D;
    const std::size_t values = bytes.size() - factor - 8 * nnz, rows = values - 8 * nnz, ptrs = rows - 8 * (D + 1);
    const std::size_t flag = ptrs - 25;
    REQUIRE(bytes[flag] == (chol ? 5 : 4));
    REQUIRE(get_u64(bytes, flag + 1) == d);
    REQUIRE(get_u64(bytes, flag + 9) == D);
    REQUIRE(get_u64(bytes, flag + 17) == nnz);
    REQUIRE(get_u64(bytes, ptrs) == 0);
    REQUIRE(get_u64(bytes, rows - 8) == nnz);
    // A landmark with two entries: the first column has at least 2 (6 draws out of 1000 rarely collide).
    const std::uint64_t first = get_u64(bytes, ptrs), second = get_u64(bytes, ptrs + 8);
    REQUIRE(second >= first + 2);

    std::string bad = bytes;  // unsorted row indices
    const std::uint64_t r0 = get_u64(bytes, rows), r1 = get_u64(bytes, rows + 8);
    put_u64(bad, rows, r1);
    put_u64(bad, rows + 8, r0);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("not strictly ascending"), std::invalid_argument);
    bad = bytes;  // a repeated row index
    put_u64(bad, rows + 8, r0);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("not strictly ascending"), std::invalid_argument);
    bad = bytes;  // a row index >= d
    put_u64(bad, rows + 8 * (nnz - 1), d);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("row index 1000, not below d = 1000"), std::invalid_argument);
    for (const double v : {std::nan(""), HUGE_VAL}) {
      bad = bytes;  // a non-finite value
      std::memcpy(&bad[values + 8], &v, 8);
      CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("landmark 0 has a non-finite value"), std::invalid_argument);
    }
    bad = bytes;  // a landmark outside the unit ball
    const double big = 3.0;
    std::memcpy(&bad[values], &big, 8);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("landmark 0 lies outside the unit ball"), std::invalid_argument);
    bad = bytes;  // a stored zero
    const double zero = 0.0;
    std::memcpy(&bad[values], &zero, 8);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("stores a zero"), std::invalid_argument);
    bad = bytes;  // column starts that do not end at nnz
    put_u64(bad, rows - 8, nnz - 1);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("column starts run from 0 to"), std::invalid_argument);
    bad = bytes;  // decreasing column starts
    put_u64(bad, ptrs + 8, get_u64(bytes, ptrs + 16) + 1);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("column starts decrease"), std::invalid_argument);
    bad = bytes;  // the wrong shape
    put_u64(bad, flag + 1, d + 1);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("row count (d) is 1001, expected 1000"), std::invalid_argument);
    bad = bytes;  // a nonzero count larger than the file
    put_u64(bad, flag + 17, std::uint64_t(1) << 60);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("more than the"), std::invalid_argument);
    for (std::size_t cut : {bytes.size() - 1, values + 4, rows + 4, ptrs + 4}) {
      CHECK_THROWS_AS(loaded(bytes.substr(0, cut)), std::invalid_argument);
    }
    // The sparse flags need encoding version 3 (the map's version field
    // follows its 8 magic bytes at the start of the stream).
    bad = bytes;
    REQUIRE(get_u64(bytes, 8) == 3);
    put_u64(bad, 8, 2);
    CHECK_THROWS_WITH_AS(loaded(bad), doctest::Contains("encoding version 2 has no sparse landmarks"),
                         std::invalid_argument);
  }
}

TEST_CASE("nystrom sparse: the other data-dependent maps still densify, or refuse with a clear message") {
  auto opt = deepdot::make_feature_map("tensorsketch:opt", deepdot::make_kernel("poly:2:1"), arma::uword(1) << 24, 64,
                                       1);
  CHECK_THROWS_WITH_AS(opt->fit_sparse(arma::sp_mat(arma::uword(1) << 24, 40)),
                       doctest::Contains("nystrom (which fits on the sparse form)"), std::invalid_argument);
  // With a small sample it densifies, as before.
  auto small = deepdot::make_feature_map("tensorsketch:opt", deepdot::make_kernel("poly:2:1"), 50, 64, 1);
  CHECK_FALSE(small->is_fitted());
  small->fit_sparse(unit_sparse(50, 30, 4, 9));
  CHECK(small->is_fitted());
}
