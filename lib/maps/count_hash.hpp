// SPDX-License-Identifier: MIT
// Private: the bucket and sign of a count sketch as a function of the
// coordinate, evaluated on the fly, so a sketch's state is four 64-bit words
// per factor instead of a table over the d coordinates (which grew to a
// gigabyte at d = 2^24 for a few degrees).
//
// A random polynomial of degree 3 over the Mersenne prime p = 2^61 - 1,
// v(j) = c0 + c1 j + c2 j^2 + c3 j^3 mod p (Carter-Wegman), is 4-wise
// independent and uniform on [0, p) for coordinates j < p. The sign is the
// lowest bit of v and the bucket the rest scaled to [0, L). Four-wise
// independent signs make the sketch unbiased (E[s_i s_j] = 0) and keep the
// variance of <C x, C y> what the fully random analysis gives (its fourth
// moments involve four coordinates at a time; a pairwise-independent
// multiply-shift hash does not control them); the buckets are 4-wise
// independent too, each within L / 2^32 of probability 1 / L.
#pragma once

#include <cstdint>

namespace deepdot::detail {

// GCC and Clang's 128-bit integer (__extension__: not ISO C++, so -Wpedantic stays quiet).
__extension__ typedef unsigned __int128 uint128;

struct CountHash {
  static constexpr std::uint64_t kPrime = (std::uint64_t(1) << 61) - 1;
  std::uint64_t c[4] = {0, 0, 0, 0};  // coefficients in [0, p)

  static std::uint64_t mul_mod(std::uint64_t x, std::uint64_t y) {
    const uint128 z = static_cast<uint128>(x) * y;
    const std::uint64_t lo = static_cast<std::uint64_t>(z) & kPrime;
    const std::uint64_t hi = static_cast<std::uint64_t>(z >> 61);
    const std::uint64_t s = lo + hi;  // < 2^62: one conditional subtraction
    return s >= kPrime ? s - kPrime : s;
  }
  static std::uint64_t add_mod(std::uint64_t x, std::uint64_t y) {
    const std::uint64_t s = x + y;
    return s >= kPrime ? s - kPrime : s;
  }

  /// The hash value of coordinate j (j < p), uniform on [0, p).
  std::uint64_t word(std::uint64_t j) const {
    std::uint64_t v = c[3];
    v = add_mod(mul_mod(v, j), c[2]);
    v = add_mod(mul_mod(v, j), c[1]);
    return add_mod(mul_mod(v, j), c[0]);
  }
  /// Bucket in [0, L) (L <= 2^32): the top 32 of the 60 bits above the sign, scaled.
  static std::uint64_t bucket(std::uint64_t w, std::uint64_t L) { return ((w >> 29) * L) >> 32; }
  /// true: sign -1.
  static bool negative(std::uint64_t w) { return w & 1; }
};

}  // namespace deepdot::detail
