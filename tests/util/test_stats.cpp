// SPDX-License-Identifier: MIT
#include <deepdot/util/stats.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

TEST_CASE("fit_power_law recovers an exact power law") {
  const arma::vec x = {250, 500, 1000, 2000, 4000, 8000};
  const arma::vec y = 3.0 * arma::pow(x, -0.5);
  const deepdot::PowerLawFit f = deepdot::fit_power_law(x, y);
  CHECK(f.slope == doctest::Approx(-0.5).epsilon(1e-12));
  CHECK(f.intercept == doctest::Approx(std::log(3.0)).epsilon(1e-12));
  CHECK(f.r_squared == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(f.points == 6);
}

TEST_CASE("fit_power_law: noisy data give the least-squares line and r^2 < 1") {
  // log y = 1 - log x plus small perturbations; compare with the closed-form least-squares line.
  const arma::vec lx = {0.0, 1.0, 2.0, 3.0};
  const arma::vec ly = {1.1, -0.1, -0.9, -2.1};
  const double mx = arma::mean(lx), my = arma::mean(ly);
  const double slope = arma::dot(lx - mx, ly - my) / arma::dot(lx - mx, lx - mx);
  const deepdot::PowerLawFit f = deepdot::fit_power_law(arma::exp(lx), arma::exp(ly));
  CHECK(f.slope == doctest::Approx(slope).epsilon(1e-12));
  CHECK(f.intercept == doctest::Approx(my - slope * mx).epsilon(1e-12));
  CHECK(f.r_squared < 1.0);
  CHECK(f.r_squared > 0.95);
}

TEST_CASE("fit_power_law skips pairs without a logarithm, and a flat curve has slope 0") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const arma::vec x = {1, 2, 4, 8, -1, 16};
  const arma::vec y = {5, 5, 0, 5, 5, nan};
  const deepdot::PowerLawFit f = deepdot::fit_power_law(x, y);
  CHECK(f.points == 3);
  CHECK(f.slope == doctest::Approx(0.0));
  CHECK(f.r_squared == 1.0);
}

TEST_CASE("fit_power_law rejects mismatched or degenerate input") {
  CHECK_THROWS_AS(deepdot::fit_power_law(arma::vec{1, 2}, arma::vec{1}), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::fit_power_law(arma::vec{1, 2}, arma::vec{1, 0}), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::fit_power_law(arma::vec{3, 3, 3}, arma::vec{1, 2, 3}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::fit_power_law(arma::vec{1, 2, 3}, arma::vec{1, 2}),
                       doctest::Contains("fit_power_law()"), std::invalid_argument);
}

TEST_CASE("max_min_ratio") {
  CHECK(deepdot::max_min_ratio(arma::vec{2, 1, 4}) == doctest::Approx(4.0));
  CHECK(deepdot::max_min_ratio(arma::vec{0.5}) == 1.0);
  CHECK_THROWS_AS(deepdot::max_min_ratio(arma::vec()), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::max_min_ratio(arma::vec{1, 0}), std::invalid_argument);
}
