// SPDX-License-Identifier: MIT
#include "maps/numeric/fft_lanes.hpp"

#include <cmath>
#include <stdexcept>

namespace deepdot::detail {

namespace {
constexpr double kPi = 3.141592653589793238462643383279502884;

/// exp(-2 pi i j / n) with j reduced mod n first (accurate for large j).
void twiddle(std::size_t j, std::size_t n, std::vector<double>& out) {
  const double angle = -2.0 * kPi * double(j % n) / double(n);
  out.push_back(std::cos(angle));
  out.push_back(std::sin(angle));
}
}  // namespace

LaneFftPlan::LaneFftPlan(std::size_t n) : n_(n) {
  if (n == 0 || (n & (n - 1)) != 0) throw std::invalid_argument("LaneFftPlan: the length must be a power of two");
  if (n > (std::size_t{1} << 31)) throw std::invalid_argument("LaneFftPlan: the length must be <= 2^31");
  std::size_t bits = 0;
  while ((std::size_t{1} << bits) < n) ++bits;
  // Forward order: one radix-2 stage first when log2 n is odd (it takes the
  // zero-padded input), then radix-4 stages down to blocks of 4.
  std::size_t block = n;
  if (bits % 2 == 1) {
    stages_.push_back({block, 2, tw_.size()});
    for (std::size_t k = 0; k < block / 2; ++k) twiddle(k, block, tw_);
    block /= 2;
  }
  for (; block >= 4; block /= 4) {
    stages_.push_back({block, 4, tw_.size()});
    for (std::size_t k = 0; k < block / 4; ++k) {
      twiddle(k, block, tw_);
      twiddle(2 * k, block, tw_);
      twiddle(3 * k, block, tw_);
    }
  }
  twf_.assign(tw_.begin(), tw_.end());

  std::vector<std::size_t> rev(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t b = 0; b < bits; ++b)
      if (i & (std::size_t{1} << b)) rev[i] |= std::size_t{1} << (bits - 1 - b);
  // rev is an involution: the position of frequency f is rev[f].
  for (std::size_t q = 0; q < n; ++q) {
    const std::size_t r = rev[(n - rev[q]) % n];
    if (q == r) self_.push_back(static_cast<std::uint32_t>(q));
    if (q < r) {
      pairs_.push_back(static_cast<std::uint32_t>(q));
      pairs_.push_back(static_cast<std::uint32_t>(r));
    }
  }
}

}  // namespace deepdot::detail
