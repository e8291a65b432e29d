// SPDX-License-Identifier: MIT
#include <deepdot/kernels/kernel.hpp>

#include <doctest/doctest.h>

#include "support/precision.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

using deepdot::Kernel;
using deepdot::make_kernel;

namespace {

double literal_recursion(unsigned depth, double t) {
  double v = t;
  for (unsigned l = 0; l < depth; ++l) v = 1.0 / (2.0 - v);
  return v;
}

double partial_sum(const arma::vec& a, double t) {
  double v = 0.0;
  for (arma::uword n = a.n_elem; n-- > 0;) v = v * t + a[n];
  return v;
}

arma::vec t_grid() { return arma::linspace(-1.0, 1.0, 201); }

std::string message_of(const std::string& spec) {
  try {
    make_kernel(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("recursive kernel: closed form matches the literal recursion for depths 0..20") {
  for (unsigned k = 0; k <= 20; ++k) {
    const Kernel K = deepdot::recursive_kernel(k);
    for (double t : t_grid()) {
      INFO("depth ", k, " t ", t);
      CHECK(std::abs(K(t) - literal_recursion(k, t)) <= 1e-12);
    }
    CHECK(K(1.0) == doctest::Approx(1.0).epsilon(1e-15));
    if (k >= 1) CHECK(K(-1.0) == doctest::Approx((2.0 * k - 1) / (2.0 * k + 1)).epsilon(1e-14));
  }
}

TEST_CASE("recursive kernel: coefficients match docs/theory.md (section 2.2) and sum to f(1)") {
  const Kernel K = make_kernel("recursive:1");
  const arma::vec a = K.coefficients(6);
  for (arma::uword n = 0; n < 6; ++n) CHECK(a[n] == doctest::Approx(std::pow(2.0, -double(n + 1))));
  const Kernel K4 = make_kernel("recursive:4");
  const arma::vec b = K4.coefficients(4);
  CHECK(b[0] == doctest::Approx(0.8));
  CHECK(b[3] == doctest::Approx(std::pow(4.0, 2) / std::pow(5.0, 4)));
  CHECK(K4.tail(10) == doctest::Approx(std::pow(0.8, 10) / 5.0));
  // Large degrees and depths: no overflow, no NaN.
  const arma::vec big = make_kernel("recursive:1000").coefficients(100000);
  CHECK(big.is_finite());
  CHECK(big.min() >= 0.0);
  CHECK(arma::accu(big) + make_kernel("recursive:1000").tail(99999) == doctest::Approx(1.0).epsilon(1e-12));
}

TEST_CASE("every family: partial sums approach f(t) within the stated tail bound") {
  const char* specs[] = {"recursive:0", "recursive:1", "recursive:3", "recursive:7", "linear", "poly:3",
                         "poly:5:0.5", "poly:2:0", "gaussian:1", "gaussian:0.5", "arccos:0", "arccos:1",
                         "coeffs:0.5,0.25,0,0.25"};
  for (const char* spec : specs) {
    const Kernel K = make_kernel(spec);
    for (arma::uword N : {0u, 1u, 3u, 10u, 40u}) {
      const arma::vec a = K.coefficients(N + 1);
      CHECK(a.min() >= 0.0);
      const double tail = K.tail(N);
      CHECK(tail >= 0.0);
      for (double t : t_grid()) {
        INFO(spec, " N=", N, " t=", t);
        CHECK(std::abs(K(t) - partial_sum(a, t)) <= tail + 1e-12);
      }
      // At t = 1 the bound is attained: f(1) = partial sum + tail.
      CHECK(partial_sum(a, 1.0) + tail == doctest::Approx(K.value_at_one()).epsilon(1e-10));
    }
  }
}

TEST_CASE("closed forms of the other families") {
  CHECK(make_kernel("poly:3:1")(0.2) == doctest::Approx(std::pow(0.6, 3)));
  CHECK(make_kernel("gaussian:2")(0.0) == doctest::Approx(std::exp(-0.25)));
  CHECK(make_kernel("arccos:0")(0.0) == doctest::Approx(0.5));
  CHECK(make_kernel("arccos:1")(0.0) == doctest::Approx(1.0 / 3.14159265358979323846));
  CHECK(make_kernel("arccos:1")(1.0) == doctest::Approx(1.0));
  CHECK(make_kernel("coeffs:1,2,3")(0.5) == doctest::Approx(1 + 1 + 0.75));
  // Polynomial coefficients are binomial: (t+1)^2/4 = 1/4 + t/2 + t^2/4.
  const arma::vec a = make_kernel("poly:2:1").coefficients(4);
  CHECK(a[0] == doctest::Approx(0.25));
  CHECK(a[1] == doctest::Approx(0.5));
  CHECK(a[2] == doctest::Approx(0.25));
  CHECK(a[3] == 0.0);
  // Gaussian coefficients are Poisson(1/s^2) probabilities.
  const arma::vec g = make_kernel("gaussian:1").coefficients(3);
  CHECK(g[2] == doctest::Approx(std::exp(-1.0) / 2.0));
  CHECK(make_kernel("gaussian:0.05").tail(1000) < 1e-12);
  CHECK(make_kernel("gaussian:0.05").tail(10) == doctest::Approx(1.0).epsilon(1e-10));
}

TEST_CASE_TEMPLATE("apply_inplace: f on every element, clamped, for every family", eT, float, double) {
  // Values spread over [-1, 1] plus rounding-level overshoots, which are clamped.
  arma::mat T = arma::reshape(arma::linspace(-1.0, 1.0, 1001), 7, 143);
  T(0, 0) = -1.0 - 1e-13;
  T(6, 142) = 1.0 + 1e-13;
  // f is exact up to the rounding of its value in eT (one ulp of the result).
  const double bound = 2.0 * static_cast<double>(std::numeric_limits<eT>::epsilon());
  for (const char* spec : {"recursive:0", "recursive:1", "recursive:3", "recursive:1000", "poly:3:1", "poly:2:0", "poly:5:0.5", "poly:8:0.25", "gaussian:2",
                           "arccos:1", "coeffs:1,2,3"}) {
    const std::string name = spec;
    CAPTURE(name);
    const Kernel K = make_kernel(spec);
    arma::Mat<eT> A = deepdot::test::as<eT>(T);
    K.apply_inplace(A);
    double worst = 0.0;
    for (arma::uword i = 0; i < T.n_elem; ++i) {
      const double t = static_cast<double>(static_cast<eT>(T[i]));  // the input as eT holds it
      const double expected = K(std::clamp(t, -1.0, 1.0));
      worst = std::max(worst, std::abs(static_cast<double>(A[i]) - expected) / std::max(1.0, std::abs(expected)));
    }
    CHECK(worst <= bound);
  }
}

TEST_CASE("spec strings round-trip") {
  for (const char* spec : {"recursive:3", "poly:4:0.25", "gaussian:0.7", "arccos:1", "coeffs:0.5,0.125,0.375"}) {
    const Kernel K = make_kernel(spec);
    CHECK(K.spec() == spec);
    CHECK(make_kernel(K.spec()) == K);
  }
  CHECK(make_kernel("poly:3").spec() == "poly:3:1");
  CHECK(make_kernel("linear").spec() == "recursive:0");
  CHECK(make_kernel("coeffs:1,0,0").spec() == "coeffs:1");
}

TEST_CASE("invalid kernels are rejected with a message naming the rule") {
  CHECK(message_of("recursive:-1").find("must be >= 0") != std::string::npos);
  CHECK(message_of("recursive").find("takes 1 parameter") != std::string::npos);
  CHECK(message_of("recursive:two").find("nonnegative integer") != std::string::npos);
  CHECK(message_of("poly:3:-1").find("offset C must be >= 0") != std::string::npos);
  CHECK(message_of("gaussian:0").find("bandwidth S must be > 0") != std::string::npos);
  CHECK(message_of("gaussian:nan").find("finite number") != std::string::npos);
  CHECK(message_of("arccos:2").find("order must be 0 or 1") != std::string::npos);
  CHECK(message_of("coeffs:1,-0.5").find("a_1 = -0.5 is negative") != std::string::npos);
  CHECK(message_of("coeffs:1,inf").find("finite") != std::string::npos);
  CHECK(message_of("coeffs:0,0").find("at least one must be positive") != std::string::npos);
  CHECK(message_of("coeffs:1,,2").find("a_1") != std::string::npos);
  CHECK(message_of("tanh:1").find("unknown kernel") != std::string::npos);
  CHECK(message_of("").find("unknown kernel") != std::string::npos);
  for (const char* spec : {"recursive:-1", "poly:x", "gaussian:-2", "coeffs:"})
    CHECK(message_of(spec).rfind("make_kernel():", 0) == 0);
  const Kernel K = make_kernel("recursive:2");
  CHECK_THROWS_AS(K(1.5), std::invalid_argument);
  CHECK_THROWS_AS(K(std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::coefficient_kernel(arma::vec{-1.0}), std::invalid_argument);
  // Values that would overflow: f(1) = sum a_n is the largest kernel value on the ball.
  CHECK(message_of("coeffs:1e308,1e308").find("f(1) = sum of the coefficients = inf") != std::string::npos);
  CHECK(message_of("coeffs:1e200").find("exceeds 1e+150") != std::string::npos);
  CHECK_THROWS_AS(deepdot::coefficient_kernel(arma::vec(20, arma::fill::value(1e149))), std::invalid_argument);
  const Kernel at_limit = deepdot::coefficient_kernel(arma::vec{deepdot::kernel_value_limit});
  CHECK(at_limit(1.0) == deepdot::kernel_value_limit);
}
