// SPDX-License-Identifier: MIT
#include <deepdot/util/memory.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

TEST_CASE("memory: the machine reports a positive, finite amount available") {
  const double have = deepdot::available_memory_bytes();
  CHECK(have > 0.0);
  CHECK(have < 1e18);  // /proc/meminfo was read: an unknown amount would be infinite
}

TEST_CASE("memory: require_memory passes what fits and names what does not") {
  CHECK_NOTHROW(deepdot::require_memory(1024.0, "f()", "a small buffer", "never"));
  CHECK_THROWS_WITH_AS(deepdot::require_memory(1e18, "Solver::fit()", "a 1e9 x 1e9 matrix", "use fewer points"),
                       doctest::Contains("Solver::fit(): a 1e9 x 1e9 matrix needs about 9.31e+08 GiB but only"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::require_memory(1e18, "f()", "x", "use fewer points"),
                       doctest::Contains("is available; use fewer points"), std::invalid_argument);
}

TEST_CASE("memory: gib_text gives three significant digits") {
  CHECK(deepdot::gib_text(1024.0 * 1024.0 * 1024.0 * 1.5) == "1.5 GiB");
  CHECK(deepdot::gib_text(0.0) == "0 GiB");
  CHECK(deepdot::gib_text(12345678901.0) == "11.5 GiB");
}

// glibc's allocator only: AddressSanitizer's replaces malloc, keeps freed
// blocks in quarantine and ignores mallopt and malloc_trim.
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#include <deepdot/util/perf.hpp>

#include <malloc.h>

#include <cstdlib>
#include <cstring>

TEST_CASE("memory: release_free_memory hands a freed block in the middle of the heap back") {
  // Keep a freed 64 MiB block resident: no mmap for it, no automatic trim, and
  // a small block allocated after it so that it is not the heap's top.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  constexpr std::size_t kBytes = std::size_t(64) << 20;
  char* big = static_cast<char*>(std::malloc(kBytes));
  REQUIRE(big != nullptr);
  std::memset(big, 1, kBytes);
  char* pin = static_cast<char*>(std::malloc(64));
  REQUIRE(pin != nullptr);
  pin[0] = 1;
  std::free(big);
  const double kept = deepdot::current_rss_bytes();
  deepdot::release_free_memory();
  const double released = deepdot::current_rss_bytes();
  std::free(pin);
  CHECK(kept - released > 0.75 * static_cast<double>(kBytes));
}
#endif
