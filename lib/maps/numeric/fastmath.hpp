// SPDX-License-Identifier: MIT
// Private: branch-free sin/cos and exp in double precision written so that
// the compiler vectorises loops over them (std::sin and std::exp are scalar
// library calls). They are accurate to 2e-9 (absolute, sin/cos with |x| <= 1e4)
// and 1e-14 (relative, exp), far below the single-precision rounding of
// the features they feed; the double-precision maps keep the std functions.
#pragma once

#include <cstdint>
#include <cmath>
#include <cstring>

namespace deepdot::detail {

/// sin(x) and cos(x) for |x| <= 1e4 (absolute error below 2e-9).
inline void fast_sincos(double x, double& s, double& c) {
  constexpr double kInvTwoPi = 0.15915494309189533577;
  constexpr double kTwoPiHi = 6.28318530717958623200;   // 2 pi rounded to double
  constexpr double kTwoPiLo = 2.44929359829470635445e-16;  // 2 pi - kTwoPiHi
  constexpr double kRound = 6755399441055744.0;          // 1.5 * 2^52: adding it rounds to an integer
  // x = 2 pi k + r with |r| <= pi (two-part constant: r exact to ~1e-16 |k|).
  const double k = (x * kInvTwoPi + kRound) - kRound;
  const double r = (x - k * kTwoPiHi) - k * kTwoPiLo;
  // sin and cos of h = r / 2 in [-pi/2, pi/2] by Taylor polynomials (error
  // below (pi/2)^15 / 15! ~ 7e-10), then the double-angle formulas.
  const double h = 0.5 * r, h2 = h * h;
  const double sh = h * (1.0 + h2 * (-1.0 / 6 + h2 * (1.0 / 120 + h2 * (-1.0 / 5040 + h2 * (1.0 / 362880 +
                    h2 * (-1.0 / 39916800 + h2 * (1.0 / 6227020800.0)))))));
  const double ch = 1.0 + h2 * (-0.5 + h2 * (1.0 / 24 + h2 * (-1.0 / 720 + h2 * (1.0 / 40320 +
                    h2 * (-1.0 / 3628800 + h2 * (1.0 / 479001600 + h2 * (-1.0 / 87178291200.0)))))));
  s = 2.0 * sh * ch;
  c = (ch - sh) * (ch + sh);
}

/// exp(-t) for 0 <= t <= 700 (relative error below 1e-14). Larger t would
/// leave the normal range of 2^k: the caller must keep t <= 700.
/// Single-precision sin and cos for |x| <= kFastSincosfLimit, absolute error
/// below 1e-6 (the float features it feeds are rounded to 6e-8 relative of
/// values up to 1 anyway): eight lanes per AVX2 instruction instead of four.
/// 2 pi is split as 6.28125 (8 significant bits, so k * 6.28125 is exact for
/// |k| < 2^16) plus a float remainder.
constexpr float kFastSincosfLimit = 1000.0f;

inline void fast_sincosf(float x, float& s, float& c) {
  constexpr float kInvTwoPi = 0.159154943091895335769f;
  constexpr float kTwoPiHi = 6.28125f;
  constexpr float kTwoPiLo = 1.93530717958647692528e-3f;  // 2 pi - 6.28125
  constexpr float kRound = 12582912.0f;                   // 1.5 * 2^23: adding it rounds to an integer
  const float k = (x * kInvTwoPi + kRound) - kRound;
  const float r = (x - k * kTwoPiHi) - k * kTwoPiLo;
  // sin and cos of h = r / 2 in [-pi/2, pi/2] (Taylor, degrees 11 and 12:
  // truncation below 6e-8), then the double-angle formulas.
  const float h = 0.5f * r, h2 = h * h;
  const float sh = h * (1.0f + h2 * (-1.0f / 6 + h2 * (1.0f / 120 + h2 * (-1.0f / 5040 + h2 * (1.0f / 362880 +
                   h2 * (-1.0f / 39916800))))));
  const float ch = 1.0f + h2 * (-0.5f + h2 * (1.0f / 24 + h2 * (-1.0f / 720 + h2 * (1.0f / 40320 +
                   h2 * (-1.0f / 3628800 + h2 * (1.0f / 479001600))))));
  s = 2.0f * sh * ch;
  c = (ch - sh) * (ch + sh);
}

inline double fast_exp_neg(double t) {
  constexpr double kLog2e = 1.4426950408889634074;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kRound = 6755399441055744.0;
  const double y = -t;  // callers keep t <= 700 (a clamp here would stop vectorisation)
  // y = k ln 2 + r, |r| <= ln 2 / 2; the integer k sits in the low bits of kr.
  const double kr = y * kLog2e + kRound;
  const double k = kr - kRound;
  const double r = (y - k * kLn2Hi) - k * kLn2Lo;
  const double p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 +
                   r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800 +
                   r * (1.0 / 39916800)))))))))));
  // 2^k: k in [-1010, 0] is the low 12 bits (two's complement) of kr's bits;
  // shifted into the exponent field and biased by 1023 it is a normal double.
  std::uint64_t bits;
  std::memcpy(&bits, &kr, sizeof bits);
  bits = (bits << 52) + (std::uint64_t{1023} << 52);
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

}  // namespace deepdot::detail
