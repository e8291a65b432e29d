// SPDX-License-Identifier: MIT
#include <deepdot/util/perf.hpp>

#include <doctest/doctest.h>

#include <cstring>
#include <stdexcept>
#include <vector>

TEST_CASE("perf: flop counts of the reference kernels") {
  CHECK(deepdot::gemm_flops(3, 4, 5) == 120.0);
  CHECK(deepdot::syrk_flops(4, 10) == 200.0);  // 4 * 5 * 10: the upper triangle with its diagonal
  CHECK(deepdot::cholesky_flops(30) == doctest::Approx(9000.0));
}

TEST_CASE("perf: timings are positive and grow with the work") {
  const double small = deepdot::sgemm_seconds(32, 32, 32, 3);
  const double large = deepdot::sgemm_seconds(512, 512, 512, 3);
  CHECK(small > 0.0);
  CHECK(large > small);  // 4096 times the flops cannot be faster
  CHECK(deepdot::dgemm_seconds(64, 64, 64, 1) > 0.0);
  CHECK(deepdot::syrk_seconds(64, 32, true, 1) > 0.0);
  CHECK(deepdot::syrk_seconds(64, 32, false, 1) > 0.0);
  CHECK(deepdot::cholesky_seconds(64, 1) > 0.0);
}

TEST_CASE("perf: zero sizes and repeats are rejected, naming the function") {
  CHECK_THROWS_WITH_AS(deepdot::sgemm_seconds(0, 4, 4), doctest::Contains("sgemm_seconds(): every size"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::dgemm_seconds(4, 4, 4, 0), doctest::Contains("repeats must be >= 1"),
                       std::invalid_argument);
  CHECK_THROWS_AS(deepdot::syrk_seconds(0, 4, true), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::cholesky_seconds(0), std::invalid_argument);
}

TEST_CASE("perf: the peak resident memory follows a large touched allocation") {
  const double before = deepdot::peak_rss_bytes();
  REQUIRE(before > 0.0);  // Linux: /proc/self/status exists
  const std::size_t bytes = std::size_t{96} << 20;
  std::vector<char> block(bytes);
  std::memset(block.data(), 1, bytes);  // touch every page so it is resident
  const double now = deepdot::current_rss_bytes();
  const double after = deepdot::peak_rss_bytes();
  CHECK(now >= 0.9 * static_cast<double>(bytes));
  CHECK(after >= before);
  CHECK(after >= now);
  CHECK(block[bytes - 1] == 1);
}

TEST_CASE("perf: best_seconds runs the body repeats times, plus one warm-up when asked") {
  int calls = 0;
  const double t = deepdot::best_seconds(3, [&] { ++calls; });
  CHECK(calls == 4);
  CHECK(t >= 0.0);
  calls = 0;
  deepdot::best_seconds(2, [&] { ++calls; }, false);
  CHECK(calls == 2);
  CHECK_THROWS_WITH_AS(deepdot::best_seconds(0, [] {}), doctest::Contains("best_seconds(): repeats must be >= 1"),
                       std::invalid_argument);
}
