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
