// SPDX-License-Identifier: MIT
// Shared helpers for the tests of the Taylor-based feature maps (taylor,
// maclaurin, tensorsketch, srht). Header-only; every test uses fixed seeds.
#pragma once

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/kernels/gram.hpp>
#include <deepdot/core/random.hpp>

#include <doctest/doctest.h>

#include "support/map_test_support.hpp"

#include <armadillo>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sketch_test {

/// d x n matrix of independent uniformly random unit vectors.
inline arma::mat unit_columns(arma::uword d, arma::uword n, std::uint64_t seed) {
  deepdot::Rng rng(seed, 77);
  arma::mat X = rng.normal_matrix(d, n);
  X.each_row() /= arma::sqrt(arma::sum(arma::square(X), 0));
  return X;
}

/// Two unit vectors (columns of a d x 2 matrix) with inner product exactly t.
inline arma::mat pair_with_inner(arma::uword d, double t, std::uint64_t seed) {
  const arma::mat U = unit_columns(d, 2, seed);
  const arma::vec x = U.col(0);
  arma::vec z = U.col(1) - arma::dot(U.col(1), x) * x;
  z /= arma::norm(z);
  arma::mat P(d, 2);
  P.col(0) = x;
  P.col(1) = t * x + std::sqrt(1.0 - t * t) * z;
  return P;
}

/// ||K - Z'Z||_F / ||K - a_0||_F: the relative error of the non-constant part.
inline double relative_error(const deepdot::Kernel& k, const arma::mat& X, const arma::mat& Z) {
  const arma::mat K = deepdot::gram(k, X);
  const double a0 = k.coefficients(1)[0];
  return arma::norm(K - Z.t() * Z, "fro") / arma::norm(K - a0, "fro");
}

/// Least-squares slope of log(err) against log(D).
inline double loglog_slope(const std::vector<double>& dims, const std::vector<double>& errs) {
  arma::vec x(dims.size()), y(errs.size());
  for (std::size_t i = 0; i < dims.size(); ++i) {
    x[i] = std::log(dims[i]);
    y[i] = std::log(errs[i]);
  }
  const arma::vec xc = x - arma::mean(x);
  return arma::dot(xc, y - arma::mean(y)) / arma::dot(xc, xc);
}

/// Mean relative error over `seeds` maps for each D, then the log-log slope.
inline double error_slope(const std::string& spec, const deepdot::Kernel& k, const arma::mat& X,
                          const std::vector<double>& dims, unsigned seeds, std::vector<double>* errs_out = nullptr) {
  std::vector<double> errs;
  for (double D : dims) {
    double sum = 0.0;
    for (unsigned s = 0; s < seeds; ++s) {
      auto map = deepdot::make_feature_map(spec, k, X.n_rows, arma::uword(D), 1000 + s);
      if (!map->is_fitted()) map->fit(X);
      sum += relative_error(k, X, map->transform(X));
    }
    errs.push_back(sum / seeds);
  }
  if (errs_out) *errs_out = errs;
  return loglog_slope(dims, errs);
}

/// Sample mean and standard error of <phi(x), phi(y)> over `seeds` maps.
struct MeanEstimate {
  double mean, standard_error;
};
inline MeanEstimate mean_inner_product(const std::string& spec, const deepdot::Kernel& k, const arma::mat& P,
                                       arma::uword D, unsigned seeds, const arma::mat* fit_sample = nullptr) {
  arma::vec v(seeds);
  for (unsigned s = 0; s < seeds; ++s) {
    auto map = deepdot::make_feature_map(spec, k, P.n_rows, D, 5000 + s);
    if (fit_sample) map->fit(*fit_sample);
    const arma::mat Z = map->transform(P);
    v[s] = arma::dot(Z.col(0), Z.col(1));
  }
  return {arma::mean(v), arma::stddev(v) / std::sqrt(double(seeds))};
}

using map_test::loaded;
using map_test::saved;

/// Byte offset where save_state() begins (after the common header).
inline std::size_t state_offset(const deepdot::FeatureMap& map) {
  return 8 + 8 + 8 + map.spec().size() + 8 + map.kernel().spec().size() + 3 * 8 + 1;
}

inline void put_u64(std::string& bytes, std::size_t offset, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes[offset + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
inline std::uint64_t get_u64(const std::string& bytes, std::size_t offset) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return v;
}

/// The message of the std::invalid_argument thrown by make_feature_map, or "".
inline std::string make_error(const std::string& spec, const deepdot::Kernel& k, arma::uword d, arma::uword D) {
  try {
    deepdot::make_feature_map(spec, k, d, D, 1);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

/// Checks shared by every random map: determinism, seeds, bit-exact
/// save/load, truncated streams, float vs double. `fit` for data-dependent maps.
inline void check_common_contract(const std::string& spec, const deepdot::Kernel& k, arma::uword d, arma::uword D) {
  const arma::mat X = unit_columns(d, 40, 3);
  auto a = deepdot::make_feature_map(spec, k, d, D, 42);
  auto b = deepdot::make_feature_map(spec, k, d, D, 42);
  auto c = deepdot::make_feature_map(spec, k, d, D, 43);
  for (auto* m : {a.get(), b.get(), c.get()})
    if (!m->is_fitted()) m->fit(X);
  const arma::mat Za = a->transform(X);
  CHECK(Za.n_rows == D);
  CHECK(Za.n_cols == X.n_cols);
  CHECK(Za.is_finite());
  CHECK(arma::approx_equal(Za, b->transform(X), "absdiff", 0.0));
  CHECK_FALSE(arma::approx_equal(Za, c->transform(X), "absdiff", 1e-9));
  // Single points and an empty batch.
  CHECK(arma::approx_equal(a->transform(arma::mat(X.col(5))), arma::mat(Za.col(5)), "absdiff", 1e-15));
  CHECK(a->transform(arma::mat(d, 0)).n_rows == D);

  // Save / load: bit-identical features; the spec survives.
  const std::string bytes = saved(*a);
  const auto restored = loaded(bytes);
  CHECK(restored->spec() == a->spec());
  CHECK(restored->is_fitted());
  CHECK(arma::approx_equal(restored->transform(X), Za, "absdiff", 0.0));
  CHECK(saved(*restored) == bytes);
  for (std::size_t cut : {bytes.size() - 1, bytes.size() - 9, state_offset(*a) + 3, state_offset(*a)}) {
    INFO("truncated to ", cut, " of ", bytes.size(), " bytes");
    CHECK_THROWS_AS(loaded(bytes.substr(0, cut)), std::invalid_argument);
  }
  CHECK_THROWS_AS(loaded(bytes + "x"), std::invalid_argument);

  // Float agrees with double.
  const arma::fmat Zf = a->transform(arma::conv_to<arma::fmat>::from(X));
  CHECK(arma::norm(arma::conv_to<arma::mat>::from(Zf) - Za, "fro") <= 1e-4 * arma::norm(Za, "fro"));
}

}  // namespace sketch_test

namespace sketch_test {

/// For maps whose state starts with (u8 fitted, degree allocation): corrupting
/// the flag, a degree, a count or a length must make load() throw.
inline void check_corrupt_allocation(const deepdot::FeatureMap& map) {
  const std::string bytes = saved(map);
  const std::size_t s = state_offset(map);
  const std::uint64_t degrees = get_u64(bytes, s + 1);
  REQUIRE(degrees >= 1);
  REQUIRE(degrees < 100);
  const std::size_t first_degree = s + 9, first_count = s + 17 + 8 * degrees;
  auto expect_throw = [](const std::string& b, const char* what) {
    INFO(what);
    CHECK_THROWS_AS(loaded(b), std::invalid_argument);
  };
  std::string b = bytes;
  b[s] = 7;
  expect_throw(b, "fitted flag 7");
  b = bytes;
  put_u64(b, first_degree, 1000);
  expect_throw(b, "degree 1000");
  b = bytes;
  put_u64(b, first_degree, 0);
  expect_throw(b, "degree 0");
  b = bytes;
  put_u64(b, first_count, get_u64(bytes, first_count) + 1);
  expect_throw(b, "counts not summing to the budget");
  b = bytes;
  put_u64(b, s + 1, std::uint64_t{1} << 60);
  expect_throw(b, "absurd number of degrees");
  b = bytes;
  put_u64(b, first_count - 8, degrees + 1);
  expect_throw(b, "count list longer than the degree list");
}

}  // namespace sketch_test

#include "maps/budget.hpp"
#include "maps/degree_allocation.hpp"

namespace sketch_test {

/// What a map with the default degree allocation estimates without bias:
/// the exact low degrees plus the allocated random degrees.
inline double default_target(const deepdot::Kernel& k, arma::uword d, arma::uword D, double t) {
  const deepdot::detail::ExactPart exact(k, d, D);
  const arma::vec a = k.coefficients(deepdot::detail::kMaxRandomDegree + 1);
  const auto alloc =
      deepdot::detail::default_allocation(k, exact.first_random_degree(), D - exact.exact_dim());
  double v = 0.0;
  for (arma::uword n = 0; n < exact.first_random_degree(); ++n) v += a[n] * std::pow(t, double(n));
  return v + alloc.represented(a, t);
}

/// The error of `family` and `family:opt` falls like D^-1/2 for light-tailed
/// kernels (every needed degree fits the budget: pure variance) and steadily
/// but more slowly for the heavy-tailed recursive:4, where each doubling of D
/// buys more degrees as well as less variance.
inline void check_error_rates(const std::string& family) {
  const arma::mat X = unit_columns(32, 150, 7);
  const std::vector<double> dims{256, 512, 1024, 2048, 4096};
  for (const char* kernel : {"recursive:1", "poly:3"}) {
    for (const std::string& spec : {family, family + ":opt"}) {
      std::vector<double> errs;
      const double slope = error_slope(spec, deepdot::make_kernel(kernel), X, dims, 2, &errs);
      INFO(spec, " ", std::string(kernel), " slope ", slope, " errors ", errs[0], " .. ", errs.back());
      CHECK(slope >= -0.65);
      CHECK(slope <= -0.35);
    }
  }
  for (const std::string& spec : {family, family + ":opt"}) {
    std::vector<double> errs;
    const double slope = error_slope(spec, deepdot::make_kernel("recursive:4"), X, dims, 2, &errs);
    INFO(spec, " recursive:4 slope ", slope, " errors ", errs[0], " .. ", errs.back());
    CHECK(slope >= -0.65);
    CHECK(slope <= -0.15);
    for (std::size_t i = 1; i < errs.size(); ++i) CHECK(errs[i] < errs[i - 1]);
  }
}

/// `family:opt` needs fit(), and its fitted degree allocation beats or matches
/// the default allocation on its own sample (mean over 4 seeds, 10% slack).
inline void check_optimised_allocation(const std::string& family) {
  const std::string opt_spec = family + ":opt";
  const arma::mat X = unit_columns(16, 200, 21);
  auto unfitted = deepdot::make_feature_map(opt_spec, deepdot::make_kernel("recursive:2"), 16, 512, 1);
  CHECK_FALSE(unfitted->is_fitted());
  CHECK_THROWS_AS(unfitted->transform(X), std::logic_error);
  CHECK_FALSE(loaded(saved(*unfitted))->is_fitted());
  for (const char* kernel : {"recursive:2", "recursive:4"}) {
    const auto k = deepdot::make_kernel(kernel);
    double opt = 0.0, plain = 0.0;
    for (unsigned s = 0; s < 4; ++s) {
      auto m = deepdot::make_feature_map(opt_spec, k, 16, 1024, 100 + s);
      m->fit(X);
      opt += relative_error(k, X, m->transform(X));
      plain += relative_error(k, X, deepdot::make_feature_map(family, k, 16, 1024, 100 + s)->transform(X));
    }
    INFO(std::string(kernel), " opt ", opt / 4, " default ", plain / 4);
    CHECK(opt <= 1.1 * plain);
  }
}

/// Bad options of `family` are rejected with a message naming the spec and the rule.
inline void check_bad_options(const std::string& family) {
  for (const std::string suffix : {":foo", ":opt:1", ":OPT"}) {
    const std::string spec = family + suffix;
    std::string msg;
    try {
      deepdot::make_feature_map(spec, deepdot::make_kernel("recursive:1"), 4, 16, 1);
    } catch (const std::invalid_argument& e) {
      msg = e.what();
    }
    INFO(spec, ": ", msg);
    CHECK(msg.rfind("make_feature_map(): ", 0) == 0);
    CHECK(msg.find(spec) != std::string::npos);
    CHECK(msg.find("'opt'") != std::string::npos);
  }
}

/// Unbiasedness of a map with the default allocation ("tensorsketch", "srht"):
/// the mean of <phi(x), phi(y)> over `seeds` maps is within 4 standard errors
/// of default_target() (the kernel minus the truncated degrees).
inline void check_unbiased_default(const std::string& spec, unsigned seeds) {
  const char* kernels[] = {"recursive:1", "poly:3", "recursive:3"};
  for (const char* kernel : kernels) {
    const auto k = deepdot::make_kernel(kernel);
    for (double t : {1.0, 0.5, 0.0, -0.4}) {
      for (arma::uword D : {20u, 64u}) {  // d = 6: linear term random at D = 20, exact at 64
        const arma::mat P = pair_with_inner(6, t, 13);
        const MeanEstimate e = mean_inner_product(spec, k, P, D, seeds);
        const double target = default_target(k, 6, D, t);
        INFO(spec, " ", std::string(kernel), " t=", t, " D=", D, " mean=", e.mean, " se=", e.standard_error, " target=", target,
             " K=", k(t));
        CHECK(std::abs(e.mean - target) <= 4.0 * e.standard_error + 1e-9);
      }
    }
  }
}

}  // namespace sketch_test
