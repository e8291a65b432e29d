// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/kernels/gram.hpp>
#include <deepdot/util/memory.hpp>

#include <doctest/doctest.h>

#include "support/precision.hpp"

#include <cmath>
#include <sstream>
#include <type_traits>
#include <string>
#include <vector>

// Properties every map must have, checked through the factory for all of
// them; each map's own statistics are tested in its own file.

namespace {

arma::mat unit_columns(arma::uword d, arma::uword n, std::uint64_t seed) {
  arma::mat X = deepdot::Rng(seed).normal_matrix(d, n);
  deepdot::normalize_columns(X);
  return X;
}

struct Case {
  const char* map;
  const char* kernel;
  arma::uword D;
};

// d = 6 throughout; the Taylor map's natural dimension for degree <= 2 is 1 + 6 + 21 = 28.
const std::vector<Case> kCases = {
    {"taylor:2", "recursive:1", 28},   {"maclaurin", "recursive:2", 64},     {"maclaurin:kk", "recursive:2", 64},
    {"tensorsketch", "poly:3:1", 64},  {"srht", "recursive:1", 64},          {"fourier", "recursive:2", 64},
    {"layerwise", "recursive:2", 64},  {"nystrom", "gaussian:1", 20},        {"tensorsketch:opt", "recursive:1", 64},
};

std::unique_ptr<deepdot::FeatureMap> build(const Case& c, std::uint64_t seed, const arma::mat& sample) {
  auto map = deepdot::make_feature_map(c.map, deepdot::make_kernel(c.kernel), 6, c.D, seed);
  map->fit(sample);
  return map;
}

}  // namespace

TEST_CASE("every map: shapes, determinism, seeds, save/load bit-exact") {
  const arma::mat sample = unit_columns(6, 60, 1);
  const arma::mat X = unit_columns(6, 9, 2) * 0.9;
  for (const Case& c : kCases) {
    const std::string label = std::string(c.map) + " / " + c.kernel;
    INFO(label);
    auto map = build(c, 7, sample);
    CHECK(map->input_dim() == 6);
    CHECK(map->output_dim() == c.D);
    CHECK(map->is_fitted());
    const arma::mat Z = map->transform(X);
    REQUIRE(Z.n_rows == c.D);
    REQUIRE(Z.n_cols == 9);
    CHECK(Z.is_finite());
    // Same seed, same features; another seed, other features (Taylor has no randomness).
    CHECK(arma::approx_equal(build(c, 7, sample)->transform(X), Z, "absdiff", 0.0));
    if (std::string(c.map).rfind("taylor", 0) != 0)
      CHECK(arma::abs(build(c, 8, sample)->transform(X) - Z).max() > 1e-6);
    // Save and load: identical features, to the bit.
    std::stringstream buf;
    map->save(buf);
    const auto restored = deepdot::FeatureMap::load(buf);
    CHECK(restored->spec() == map->spec());
    CHECK(restored->kernel().spec() == map->kernel().spec());
    CHECK(arma::approx_equal(restored->transform(X), Z, "absdiff", 0.0));
    // The spec rebuilds the same map.
    auto again = deepdot::make_feature_map(map->spec(), map->kernel(), 6, c.D, 7);
    again->fit(sample);
    CHECK(arma::approx_equal(again->transform(X), Z, "absdiff", 0.0));
  }
}

TEST_CASE_TEMPLATE("every map: each precision agrees with double and fills caller memory bit for bit", eT, float, double) {
  const arma::mat sample = unit_columns(6, 60, 1);
  const arma::mat X = unit_columns(6, 9, 2) * 0.9;
  // Float maps compute in float where that is accurate enough: their features
  // agree with the double ones to about float rounding times the feature scale.
  const double bound = std::is_same_v<eT, double> ? 0.0 : 1e-4;
  for (const Case& c : kCases) {
    const std::string label = std::string(c.map) + " / " + c.kernel;
    INFO(label);
    auto map = build(c, 7, sample);
    const arma::mat Z = map->transform(X);
    const arma::Mat<eT> Ze = map->transform(deepdot::test::as<eT>(X));
    CHECK(deepdot::test::relative_gap(Ze, Z) <= bound);
    // Into memory the caller owns (here a foreign buffer, as a mapped file would be).
    std::vector<eT> mem(c.D * 9, eT(-7));
    arma::Mat<eT> Zin(mem.data(), c.D, 9, false, true);
    map->transform(deepdot::test::as<eT>(X), Zin);
    CHECK(arma::approx_equal(Zin, Ze, "absdiff", eT(0)));
    CHECK(Zin.memptr() == mem.data());
    arma::Mat<eT> wrong(c.D, 8);
    CHECK_THROWS_WITH_AS(map->transform(deepdot::test::as<eT>(X), wrong),
                         doctest::Contains(("but must be D x n = " + std::to_string(c.D) + " x 9").c_str()),
                         std::invalid_argument);
  }
}

TEST_CASE("every map: corrupt and truncated state is rejected with a message") {
  const arma::mat sample = unit_columns(6, 60, 1);
  for (const Case& c : kCases) {
    INFO(std::string(c.map));
    std::stringstream buf;
    build(c, 3, sample)->save(buf);
    const std::string bytes = buf.str();
    for (std::size_t cut : {std::size_t(0), std::size_t(5), bytes.size() / 2, bytes.size() - 1}) {
      std::stringstream truncated(bytes.substr(0, cut));
      CHECK_THROWS_WITH_AS(deepdot::FeatureMap::load(truncated), doctest::Contains("FeatureMap::load()"),
                           std::invalid_argument);
    }
    std::string extra = bytes + "x";
    std::stringstream longer(extra);
    CHECK_THROWS_WITH_AS(deepdot::FeatureMap::load(longer), doctest::Contains("unexpected bytes"),
                         std::invalid_argument);
  }
  std::stringstream foreign("PK\x03\x04 this is a zip file, not a feature map");
  CHECK_THROWS_WITH_AS(deepdot::FeatureMap::load(foreign), doctest::Contains("wrong magic"), std::invalid_argument);
}

TEST_CASE("factory and transform reject bad input with the rule named") {
  const auto k = deepdot::make_kernel("recursive:1");
  CHECK_THROWS_WITH_AS(deepdot::make_feature_map("sparkle", k, 4, 16, 1), doctest::Contains("unknown feature map"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::make_feature_map("maclaurin", k, 0, 16, 1), doctest::Contains("input_dim d"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::make_feature_map("maclaurin", k, 4, 0, 1), doctest::Contains("output_dim D"),
                       std::invalid_argument);
  CHECK(deepdot::feature_map_names().find("tensorsketch") != std::string::npos);
  auto map = deepdot::make_feature_map("maclaurin", k, 4, 16, 1);
  CHECK_THROWS_WITH_AS(map->transform(unit_columns(5, 3, 1)), doctest::Contains("rows but the map expects d = 4"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(map->transform(arma::mat(unit_columns(4, 3, 1) * 2.0)), doctest::Contains("column 0 has norm"),
                       std::invalid_argument);
  auto nystrom = deepdot::make_feature_map("nystrom", k, 4, 8, 1);
  CHECK_FALSE(nystrom->is_fitted());
  CHECK_THROWS_AS(nystrom->transform(unit_columns(4, 3, 1)), std::logic_error);
}

namespace {

/// A map a user might write: the exact features (x, 1) / sqrt(2) of the kernel (t + 1) / 2.
class UserMap final : public deepdot::FeatureMap {
 public:
  UserMap(arma::uword d) : FeatureMap(deepdot::make_kernel("poly:1:1"), d, d + 1, 0) {}
  std::string spec() const override { return "user:affine"; }

 protected:
  arma::mat transform_impl(const arma::mat& X) const override {
    return arma::join_cols(X, arma::ones<arma::rowvec>(X.n_cols)) / std::sqrt(2.0);
  }
};

}  // namespace

TEST_CASE("a map derived by a user transforms like the library's maps but has no file encoding") {
  const UserMap map(3);
  arma::mat X = deepdot::Rng(4).normal_matrix(3, 6);
  deepdot::normalize_columns(X);
  const arma::mat Z = map.transform(X);
  REQUIRE(Z.n_rows == 4);
  // Its inner products are the kernel (t + 1) / 2 exactly.
  const arma::mat K = deepdot::gram(map.kernel(), X);
  CHECK(arma::abs(Z.t() * Z - K).max() < 1e-14);
  // The public transform() validates for it as for any map.
  CHECK_THROWS_AS(map.transform(arma::mat(2, 2, arma::fill::zeros)), std::invalid_argument);
  std::ostringstream out;
  CHECK_THROWS_WITH_AS(map.save(out), doctest::Contains("'user:affine' is not one of deepdot's map families"),
                       std::invalid_argument);
}

TEST_CASE("min_fit_points: 0 for data-independent maps, D for Nystroem, 1 for optimised allocations") {
  const deepdot::Kernel k = deepdot::make_kernel("recursive:2");
  for (const char* spec : {"maclaurin", "maclaurin:kk", "tensorsketch", "srht", "fourier", "layerwise", "taylor:2"}) {
    INFO(spec);
    auto map = deepdot::make_feature_map(spec, k, 6, std::string(spec) == "taylor:2" ? 28 : 32, 1);
    CHECK(map->min_fit_points() == 0);
    CHECK(map->is_fitted());  // usable without a sample
  }
  for (const char* spec : {"maclaurin:opt", "tensorsketch:opt", "srht:opt"}) {
    INFO(spec);
    auto map = deepdot::make_feature_map(spec, k, 6, 32, 1);
    CHECK(map->min_fit_points() == 1);
    CHECK_FALSE(map->is_fitted());
    map->fit(unit_columns(6, 1, 3));  // one point is enough
    CHECK(map->is_fitted());
  }
  auto nys = deepdot::make_feature_map("nystrom", k, 6, 20, 1);
  CHECK(nys->min_fit_points() == 20);
  // The number it reports is the boundary fit() enforces.
  CHECK_THROWS_AS(nys->fit(unit_columns(6, 19, 3)), std::invalid_argument);
  nys->fit(unit_columns(6, 20, 3));
  CHECK(nys->is_fitted());
}

TEST_CASE("make_feature_map: absurd dimensions are refused before any state is generated") {
  const deepdot::Kernel k = deepdot::make_kernel("recursive:2");
  auto msg = [&](const char* spec, arma::uword d, arma::uword D) {
    try {
      deepdot::make_feature_map(spec, k, d, D, 1);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  for (const char* spec : {"srht", "fourier:orf", "tensorsketch", "maclaurin", "nystrom"}) {
    INFO(spec);
    CHECK(msg(spec, 3, arma::uword(1) << 40).find("output_dim D = 1099511627776 is more than the limit of 16777216") !=
          std::string::npos);
    CHECK(msg(spec, arma::uword(1) << 30, 16).find("input_dim d = 1073741824 is more than the limit") != std::string::npos);
  }
  // Within both limits but not within memory: D x d doubles of state at D = d = 2^24 is 2 PiB.
  const std::string m = msg("srht", arma::uword(1) << 24, arma::uword(1) << 24);
  CHECK(m.find("make_feature_map()") == 0);
  CHECK(m.find("needs") != std::string::npos);
  CHECK(m.find("memory") != std::string::npos);
  CHECK(deepdot::max_feature_map_output_dim == (arma::uword(1) << 24));
}

TEST_CASE("require_memory: a clear message naming the need and what is available") {
  CHECK_NOTHROW(deepdot::require_memory(1024.0, "f()", "a small buffer", "advice"));
  try {
    deepdot::require_memory(1e30, "f()", "a huge buffer", "use less");
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    const std::string s = e.what();
    CHECK(s.find("f(): a huge buffer needs about ") == 0);
    CHECK(s.find("GiB of memory is available; use less") != std::string::npos);
  }
  CHECK_THROWS_AS(deepdot::require_memory(std::nan(""), "f()", "NaN bytes", "advice"), std::invalid_argument);
}
