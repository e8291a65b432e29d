// SPDX-License-Identifier: MIT
#include "maps/degree_allocation.hpp"

#include "core/check.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace deepdot::detail {

double DegreeAllocation::represented(const arma::vec& a, double t) const {
  double sum = 0.0;
  for (arma::uword i = 0; i < degrees.n_elem; ++i) sum += a[degrees[i]] * std::pow(t, double(degrees[i]));
  return sum;
}

void DegreeAllocation::save(BinaryWriter& out) const {
  out.uvec(degrees);
  out.uvec(counts);
}

DegreeAllocation DegreeAllocation::load(BinaryReader& in, const arma::vec& a, arma::uword first_degree,
                                        arma::uword budget) {
  DegreeAllocation alloc;
  alloc.degrees = in.uvec("the allocated degrees");
  alloc.counts = in.uvec("the features per degree");
  if (alloc.degrees.n_elem != alloc.counts.n_elem)
    in.error("the allocation lists " + std::to_string(alloc.degrees.n_elem) + " degrees but " +
             std::to_string(alloc.counts.n_elem) + " counts");
  arma::uword total = 0;
  for (arma::uword i = 0; i < alloc.degrees.n_elem; ++i) {
    const arma::uword n = alloc.degrees[i];
    if (n < first_degree || n > kMaxRandomDegree || (i > 0 && n <= alloc.degrees[i - 1]) || !(a[n] > 0.0))
      in.error("allocated degree " + std::to_string(n) + " is not a valid random degree (increasing, in [" +
               std::to_string(first_degree) + ", " + std::to_string(kMaxRandomDegree) + "], a_n > 0)");
    if (alloc.counts[i] == 0 || alloc.counts[i] > budget)
      in.error("degree " + std::to_string(n) + " has " + std::to_string(alloc.counts[i]) + " features");
    total += alloc.counts[i];
  }
  if (!alloc.degrees.is_empty() && total != budget)
    in.error("the allocation has " + std::to_string(total) + " features, expected " + std::to_string(budget));
  return alloc;
}

arma::uvec positive_degrees(const arma::vec& a, arma::uword first, arma::uword last) {
  std::vector<arma::uword> kept;
  for (arma::uword n = first; n <= last && n < a.n_elem; ++n)
    if (a[n] > 0.0) kept.push_back(n);
  return arma::uvec(kept);
}

arma::uword truncation_degree(const Kernel& kernel, arma::uword first, double tolerance) {
  arma::uword cap = kMaxRandomDegree;
  if (kernel.is_polynomial()) cap = std::min(cap, kernel.degree());
  arma::uword N = first;
  while (N < cap && kernel.tail(N) > tolerance) ++N;
  return std::max(N, first);
}

arma::uvec round_allocation(const arma::vec& weights, arma::uword budget) {
  const arma::uword k = weights.n_elem;
  if (k == 0 || k > budget) throw std::logic_error("round_allocation(): need 1 <= entries <= budget");
  arma::vec w = weights;
  if (!(arma::accu(w) > 0.0) || !w.is_finite()) w.ones();
  // Every entry gets one feature; the rest is split proportionally with
  // largest-remainder rounding so that the total is exact.
  const arma::uword spare = budget - k;
  const arma::vec share = double(spare) * w / arma::accu(w);
  arma::uvec counts(k);
  arma::uword used = 0;
  for (arma::uword i = 0; i < k; ++i) {
    counts[i] = 1 + static_cast<arma::uword>(std::floor(share[i]));
    used += counts[i];
  }
  std::vector<arma::uword> order(k);
  std::iota(order.begin(), order.end(), arma::uword{0});
  // Stable tie-break by index keeps the result platform independent.
  std::stable_sort(order.begin(), order.end(), [&](arma::uword i, arma::uword j) {
    return share[i] - std::floor(share[i]) > share[j] - std::floor(share[j]);
  });
  for (arma::uword r = 0; used < budget; ++r, ++used) ++counts[order[r % k]];
  // Floating-point rounding could leave used > budget in pathological cases.
  for (arma::uword r = 0; used > budget; r = (r + 1) % k)
    if (counts[r] > 1) --counts[r], --used;
  return counts;
}

namespace {

/// The scan shared by the default and the optimised allocation. Pairs (x, y)
/// are described by t = <x, y>, base = ||x||^2 ||y||^2 + 2 t^2 - 2 sum_i x_i^2 y_i^2
/// and a weight; the objective for the degrees first..N is
///   (sum_n a_n sqrt(V_n))^2 / budget + sum_pairs w (f(t) - sum_{n <= N} a_n t^n)^2,
/// V_n = sum_pairs w (base^n - t^(2n)), the optimum over c_n for that N.
DegreeAllocation scan_allocation(const Kernel& kernel, arma::uword first, arma::uword budget, const arma::vec& t,
                                 const arma::vec& base, const arma::vec& weight) {
  DegreeAllocation alloc;
  if (budget == 0 || t.is_empty()) return alloc;
  const arma::vec a = kernel.coefficients(kMaxRandomDegree + 1);
  arma::uword cap = kMaxRandomDegree;
  if (kernel.is_polynomial()) cap = std::min(cap, kernel.degree());
  const arma::uvec candidates = positive_degrees(a, first, cap);
  if (candidates.is_empty()) return alloc;
  const arma::vec w = weight / arma::accu(weight);

  // Residual f(t) minus the exact low degrees: the bias if nothing is sampled.
  arma::vec residual = t;
  for (arma::uword i = 0; i < t.n_elem; ++i) residual[i] = kernel(std::clamp(t[i], -1.0, 1.0));
  arma::vec power_t(t.n_elem, arma::fill::ones);
  arma::uword power = 0;
  for (; power < first; ++power) {
    residual -= a[power] * power_t;
    power_t %= t;
  }
  arma::vec power_base = arma::pow(base, double(first)), power_t2 = arma::square(power_t);
  const arma::vec t2 = arma::square(t);

  double weight_sum = 0.0, best = arma::datum::inf;
  arma::uword best_count = 0;
  arma::vec weights(candidates.n_elem, arma::fill::zeros);
  for (arma::uword i = 0; i < candidates.n_elem && i < budget; ++i) {
    const arma::uword n = candidates[i];
    for (; power < n; ++power) {
      power_t %= t;
      power_base %= base;
      power_t2 %= t2;
    }
    const double variance = std::max(arma::dot(w, power_base - power_t2), 0.0);
    // A floor keeps degrees with (numerically) zero variance in the allocation.
    weights[i] = a[n] * std::max(std::sqrt(variance), 1e-8);
    weight_sum += weights[i];
    residual -= a[n] * power_t;
    const double bias = arma::dot(w, arma::square(residual));
    const double objective = weight_sum * weight_sum / double(budget) + bias;
    if (objective < best * (1.0 - 1e-12)) {
      best = objective;
      best_count = i + 1;
    }
  }
  alloc.degrees = candidates.head(best_count);
  alloc.counts = round_allocation(weights.head(best_count), budget);
  return alloc;
}

}  // namespace

DegreeAllocation default_allocation(const Kernel& kernel, arma::uword first, arma::uword budget) {
  // A model set of pairs of unit vectors with spread-out coordinates
  // (sum_i x_i^2 y_i^2 ~ 0) and inner products t evenly spread over [-1, 1].
  const arma::vec t = arma::linspace(-1.0, 1.0, 41);
  return scan_allocation(kernel, first, budget, t, 1.0 + 2.0 * arma::square(t), arma::vec(t.n_elem, arma::fill::ones));
}

DegreeAllocation optimised_allocation(const Kernel& kernel, arma::uword first, arma::uword budget,
                                      const arma::mat& sample) {
  if (sample.n_cols == 0) return DegreeAllocation();
  // Evenly spaced subsample: deterministic and spread over the whole sample.
  const arma::uword m = std::min<arma::uword>(sample.n_cols, 256);
  arma::mat S(sample.n_rows, m);
  for (arma::uword j = 0; j < m; ++j) S.col(j) = sample.col(j * sample.n_cols / m);
  const arma::mat T = arma::clamp(S.t() * S, -1.0, 1.0);
  const arma::mat S2 = arma::square(S);
  const arma::rowvec sq = arma::sum(S2, 0);
  const arma::mat base = sq.t() * sq + 2.0 * arma::square(T) - 2.0 * (S2.t() * S2);
  return scan_allocation(kernel, first, budget, arma::vectorise(T), arma::vectorise(base),
                         arma::vec(m * m, arma::fill::ones));
}

namespace {

arma::uword next_pow2(arma::uword v) {
  arma::uword m = 1;
  while (m < v) m <<= 1;
  return m;
}

/// The modelled FFT work of one point for degree n >= 2 with L features (see plan() in tensorsketch.cpp).
double fft_work(arma::uword n, arma::uword L) {
  const arma::uword N = next_pow2(L) == L ? L : next_pow2(n * (L - 1) + 1);
  const double len = double(N);
  return double(n + 1) * len * std::log2(std::max(len, 2.0)) + double(n) * len;
}

}  // namespace

DegreeAllocation fft_friendly_allocation(const Kernel& kernel, const DegreeAllocation& alloc, double tolerance) {
  const arma::uword k = alloc.degrees.n_elem;
  if (k == 0) return alloc;
  const arma::uword budget = alloc.total();
  const arma::vec a = kernel.coefficients(kMaxRandomDegree + 1);
  const arma::vec t = arma::linspace(-1.0, 1.0, 41);
  arma::vec weight(k);
  for (arma::uword i = 0; i < k; ++i) {
    const double n = double(alloc.degrees[i]);
    const double v = arma::mean(arma::pow(1.0 + 2.0 * arma::square(t), n) - arma::pow(arma::square(t), n));
    weight[i] = a[alloc.degrees[i]] * a[alloc.degrees[i]] * std::max(v, 0.0);
  }
  auto variance = [&](const arma::uvec& c) {
    double s = 0.0;
    for (arma::uword i = 0; i < k; ++i) s += weight[i] / double(c[i]);
    return s;
  };
  auto work = [&](const arma::uvec& c) {
    double s = 0.0;
    for (arma::uword i = 0; i < k; ++i)
      if (alloc.degrees[i] >= 2) s += fft_work(alloc.degrees[i], c[i]);
    return s;
  };
  const double limit = (1.0 + tolerance) * variance(alloc.counts);

  // The degrees that may move: n >= 2, the ten costliest.
  std::vector<arma::uword> movable;
  for (arma::uword i = 0; i < k; ++i)
    if (alloc.degrees[i] >= 2) movable.push_back(i);
  std::stable_sort(movable.begin(), movable.end(), [&](arma::uword i, arma::uword j) {
    return fft_work(alloc.degrees[i], alloc.counts[i]) > fft_work(alloc.degrees[j], alloc.counts[j]);
  });
  if (movable.size() > 10) movable.resize(10);
  const bool absorber = alloc.degrees[0] == 1;

  DegreeAllocation best = alloc;
  double best_work = work(alloc.counts), best_var = variance(alloc.counts);
  std::vector<int> choice(movable.size(), 0);  // 0: as it is, 1: floor power of two, 2: ceiling
  arma::uvec c(k);
  for (;;) {
    c = alloc.counts;
    bool valid = true;
    for (std::size_t m = 0; m < movable.size() && valid; ++m) {
      const arma::uword i = movable[m], ceil2 = next_pow2(alloc.counts[i]);
      const arma::uword floor2 = ceil2 == alloc.counts[i] ? ceil2 : ceil2 / 2;
      if (choice[m] == 1) c[i] = floor2;
      if (choice[m] == 2) c[i] = ceil2;
      // A count already a power of two has one candidate.
      if (choice[m] != 0 && ceil2 == alloc.counts[i]) valid = false;
    }
    if (valid) {
      const long long excess = static_cast<long long>(arma::accu(c)) - static_cast<long long>(budget);
      // Who pays the difference: the count sketch of degree 1, or else the first degree left as it was.
      arma::uword payer = k;
      if (absorber) {
        payer = 0;
      } else {
        for (std::size_t m = 0; m < movable.size(); ++m)
          if (choice[m] == 0) {
            payer = movable[m];
            break;
          }
      }
      if (excess != 0) {
        if (payer == k || static_cast<long long>(c[payer]) - excess < 1)
          valid = false;
        else
          c[payer] = static_cast<arma::uword>(static_cast<long long>(c[payer]) - excess);
      }
    }
    if (valid) {
      const double v = variance(c), w = work(c);
      if (v <= limit && (w < best_work || (w == best_work && v < best_var))) {
        best.counts = c;
        best_work = w;
        best_var = v;
      }
    }
    std::size_t m = 0;
    while (m < choice.size() && ++choice[m] == 3) choice[m++] = 0;
    if (m == choice.size()) break;
  }
  return best;
}

bool parse_allocation_option(const std::string& name, const std::string& options) {
  if (options.empty()) return false;
  if (options == "opt") return true;
  fail("make_feature_map()", "unknown option '" + options + "' in '" + name + ":" + options + "'; '" + name +
                                 "' accepts no option or 'opt' (optimised degree allocation, needs fit())");
}

}  // namespace deepdot::detail
