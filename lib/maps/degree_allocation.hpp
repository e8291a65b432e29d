// SPDX-License-Identifier: MIT
// Private: how the randomised part of a Taylor-based feature map splits its
// features across the degrees of f(t) = sum_n a_n t^n. Shared by the
// "maclaurin", "tensorsketch" and "srht" maps so that one rule is documented.
#pragma once

#include <deepdot/kernels/kernel.hpp>

#include "io/binary_io.hpp"

#include <armadillo>

#include <string>

namespace deepdot::detail {

/// No random map goes beyond this degree: products of more than 64 factors
/// have a variance no budget can pay for, and every kernel shipped with the
/// library (except the arc-cosine ones, whose tails decay polynomially) has
/// a negligible tail long before.
constexpr arma::uword kMaxRandomDegree = 64;

/// The randomised part of a map: degree degrees[i] receives counts[i] >= 1
/// features. Degrees are strictly increasing; degrees without features are
/// truncated (their mass becomes bias).
struct DegreeAllocation {
  arma::uvec degrees;
  arma::uvec counts;

  arma::uword total() const { return counts.is_empty() ? 0 : arma::accu(counts); }
  bool empty() const { return degrees.is_empty(); }
  /// sum over allocated degrees of a_n t^n: what the random features estimate.
  double represented(const arma::vec& a, double t) const;

  void save(BinaryWriter& out) const;
  /// Reads what save() wrote and checks it: degrees strictly increasing in
  /// [first_degree, kMaxRandomDegree] with a_n > 0, counts >= 1 summing to
  /// `budget`. Calls in.error() otherwise.
  static DegreeAllocation load(BinaryReader& in, const arma::vec& a, arma::uword first_degree,
                               arma::uword budget);
};

/// The degrees n in [first, last] with a_n > 0 (a must hold a_0..a_last).
arma::uvec positive_degrees(const arma::vec& a, arma::uword first, arma::uword last);

/// The smallest N >= first with tail(N) <= tolerance, capped at kMaxRandomDegree
/// (and at the kernel's degree when f is a polynomial).
arma::uword truncation_degree(const Kernel& kernel, arma::uword first, double tolerance);

/// Integers c_i >= 1 with sum c_i = budget and c_i close to budget * w_i / sum w
/// (largest-remainder rounding after giving every entry one feature).
/// Requires 1 <= w.n_elem <= budget and w_i >= 0.
arma::uvec round_allocation(const arma::vec& weights, arma::uword budget);

/// How the variance of the features is modelled: one unit-weight feature of
/// degree n behaves like prod_{k<=n} <r_k, x><r_k, y> with Rademacher r_k, whose
/// variance is v_n = (s + 2 t^2 - 2 q)^n - t^(2n) with s = ||x||^2 ||y||^2,
/// t = <x, y>, q = sum_i x_i^2 y_i^2. This is exact for Random Maclaurin and
/// for each TensorSRHT feature (every row of H diag(signs) is a Rademacher
/// vector in distribution; sampling rows without replacement only lowers it).
/// For TensorSketch it is a model: measured here (d = 32, degrees 2..8), its
/// variance on the diagonal grows like that of Random Maclaurin, far beyond the
/// s^n + t^(2n) of a CountSketch with fully independent hashes, and off the
/// diagonal it is close to 1 as for the others.
///
/// The optimised allocation of Wacker, Kanagawa & Filippone (2022): choose the
/// maximal degree N and the counts c_n to minimise, averaged over all pairs of
/// columns of `sample` (d x m, at most 256 columns used, evenly spaced),
///   sum_{n <= N} a_n^2 v_n(x, y) / c_n  +  (f(t) - sum_{n <= N} a_n t^n)^2,
/// the estimated variance of the random part plus its squared truncation bias.
/// For a fixed N the continuous optimum is c_n ~ a_n sqrt(mean v_n), with total
/// variance (sum_n a_n sqrt(mean v_n))^2 / budget; N is scanned from `first` to
/// kMaxRandomDegree (or the kernel's degree), degrees with a_n = 0 are skipped,
/// and every kept degree gets at least one feature.
DegreeAllocation optimised_allocation(const Kernel& kernel, arma::uword first, arma::uword budget,
                                      const arma::mat& sample);

/// The data-independent default for `budget` random features on degrees >= first:
/// the same optimisation on a model set of pairs of unit vectors with spread-out
/// coordinates (q = 0) and inner products t evenly spread over [-1, 1]
/// (one-feature variance (1 + 2 t^2)^n - t^(2n)). Why: proportional-to-a_n
/// counts are optimal for orthogonal pairs alone (v_n = 1), but the variance of
/// near-parallel pairs (the diagonal of every Gram matrix, and most pairs of
/// real data such as images) grows like 3^n, so a deep truncation with few
/// features at high degrees makes their error stall as D grows; pairs with
/// large |t| also carry all of the truncation bias. The model weighs both, so
/// the scan stops where one more degree costs more variance than the bias it
/// removes, and the allocation deepens as the budget grows.
DegreeAllocation default_allocation(const Kernel& kernel, arma::uword first, arma::uword budget);

/// The FFT lengths of TensorSketch: degree n >= 2 with L features convolves
/// n count sketches modulo L, by FFTs of length L when L is a power of two and
/// otherwise of the padded length pow2(n (L - 1) + 1), up to 2n times longer.
/// Returns `alloc` with the counts of the degrees n >= 2 moved to a nearby power
/// of two (floor or ceiling, or left as they are) where that lowers the
/// modelled FFT work sum_n ((n + 1) N log2 N + n N) most, while the modelled
/// variance sum_n a_n^2 mean(v_n) / c_n (the default allocation's model pairs)
/// stays within (1 + tolerance) of alloc's. The features freed or taken go to
/// degree 1 when it is sketched (a count sketch has no FFT), otherwise to a
/// degree left as it was; the total stays `alloc.total()`. At most the ten
/// costliest degrees are moved (3^10 candidates).
DegreeAllocation fft_friendly_allocation(const Kernel& kernel, const DegreeAllocation& alloc, double tolerance);

/// Parses the allocation part of a random map's options ("", "opt"): returns true
/// for "opt". Anything else throws naming the spec.
bool parse_allocation_option(const std::string& name, const std::string& options);

/// Stores a matrix of +-1 entries as packed bits (1 = +1), 64 per word.
template <typename eT>
void write_sign_bits(BinaryWriter& out, const arma::Mat<eT>& signs) {
  std::uint64_t word = 0;
  arma::uword filled = 0;
  for (arma::uword i = 0; i < signs.n_elem; ++i) {
    if (signs[i] > 0) word |= std::uint64_t{1} << filled;
    if (++filled == 64) {
      out.u64(word);
      word = 0;
      filled = 0;
    }
  }
  if (filled != 0) out.u64(word);
}

/// Reads rows x cols signs written by write_sign_bits; unused bits of the last
/// word must be zero.
template <typename eT>
arma::Mat<eT> read_sign_bits(BinaryReader& in, arma::uword rows, arma::uword cols, const char* field) {
  const arma::uword count = rows * cols;
  const arma::uword words = (count + 63) / 64;
  if (words > in.remaining() / 8)
    in.error(std::string(field) + ": " + std::to_string(count) + " signs do not fit in the " +
             std::to_string(in.remaining()) + " bytes left");
  arma::Mat<eT> signs(rows, cols);
  arma::uword i = 0;
  for (arma::uword w = 0; w < words; ++w) {
    const std::uint64_t word = in.u64(field);
    const arma::uword used = std::min<arma::uword>(64, count - i);
    if (used < 64 && (word >> used) != 0) in.error(std::string(field) + ": nonzero padding bits");
    for (arma::uword b = 0; b < used; ++b, ++i) signs[i] = ((word >> b) & 1) ? eT(1) : eT(-1);
  }
  return signs;
}

}  // namespace deepdot::detail
