// SPDX-License-Identifier: MIT
#include <deepdot/core/random.hpp>

#include <cmath>
#include <stdexcept>
#include <string>

namespace deepdot {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// __extension__ keeps -Wpedantic quiet about the GCC/Clang 128-bit type.
__extension__ typedef unsigned __int128 u128;

inline std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(std::uint64_t seed, std::uint64_t stream) {
  // Mix the stream into the seed through splitmix64 so that nearby seeds and
  // streams give unrelated states.
  std::uint64_t x = seed;
  std::uint64_t mixed = splitmix64(x);
  std::uint64_t y = stream ^ 0xD1B54A32D192ED03ULL;
  mixed ^= splitmix64(y);
  for (auto& s : s_) s = splitmix64(mixed);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::uniform_positive() {
  return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

std::uint64_t Rng::below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("Rng::below(): n must be positive, got 0");
  // Lemire's nearly divisionless method with rejection of the biased zone.
  u128 m = static_cast<u128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double factor = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * factor;
  has_spare_ = true;
  return u * factor;
}

double Rng::exponential(double mean) { return -mean * std::log(uniform_positive()); }

double Rng::rademacher() { return (next_u64() >> 63) ? 1.0 : -1.0; }

arma::mat Rng::normal_matrix(arma::uword rows, arma::uword cols) {
  arma::mat M(rows, cols);
  for (arma::uword i = 0; i < M.n_elem; ++i) M[i] = normal();
  return M;
}

arma::mat Rng::rademacher_matrix(arma::uword rows, arma::uword cols) {
  arma::mat M(rows, cols);
  for (arma::uword i = 0; i < M.n_elem; ++i) M[i] = rademacher();
  return M;
}

arma::uvec Rng::permutation(arma::uword n) {
  arma::uvec p(n);
  for (arma::uword i = 0; i < n; ++i) p[i] = i;
  for (arma::uword i = n; i > 1; --i) std::swap(p[i - 1], p[below(i)]);
  return p;
}

}  // namespace deepdot
