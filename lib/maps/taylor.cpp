// SPDX-License-Identifier: MIT
// "taylor:P": exact truncated Taylor features. For every degree n <= P with
// a_n > 0 and every multi-index alpha with |alpha| = n, the feature
//   sqrt(a_n * n! / prod_i alpha_i!) * prod_i x_i^alpha_i,
// so that <phi(x), phi(y)> = sum_{n <= P} a_n <x, y>^n exactly (multinomial
// theorem). Nothing is random; the error is exactly the tail of the series.
#include "maps/stateful_map.hpp"
#include "maps/taylor.hpp"

#include "maps/registry.hpp"

#include "io/binary_io.hpp"
#include "core/check.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace deepdot::detail {
namespace {

/// C(d + n - 1, n) for every n <= P, saturating at the largest uword.
std::vector<arma::uword> monomial_counts(arma::uword d, arma::uword P) {
  constexpr arma::uword kMax = std::numeric_limits<arma::uword>::max();
  std::vector<arma::uword> counts(P + 1);
  counts[0] = 1;
  for (arma::uword n = 1; n <= P; ++n) {
    // C(d+n-1, n) = C(d+n-2, n-1) * (d+n-1) / n, exact in 128-bit arithmetic.
    const arma::uword prev = counts[n - 1];
    __extension__ typedef unsigned __int128 u128;
    const u128 next = prev == kMax ? u128(kMax) : u128(prev) * (d + n - 1) / n;
    counts[n] = next >= u128(kMax) ? kMax : static_cast<arma::uword>(next);
  }
  return counts;
}

arma::uword saturating_add(arma::uword a, arma::uword b) {
  return a > std::numeric_limits<arma::uword>::max() - b ? std::numeric_limits<arma::uword>::max() : a + b;
}

class TaylorMap final : public StatefulMap {
 public:
  TaylorMap(const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed, arma::uword P,
            arma::uword natural)
      : StatefulMap(kernel, d, D, seed), degree_(P), natural_(natural) {
    build_monomials();
  }

  std::string spec() const override { return "taylor:" + std::to_string(degree_); }

  void save_state(BinaryWriter& out) const override {
    // The map is deterministic; the dimensions guard against a mismatched build.
    out.u64(degree_);
    out.u64(natural_);
  }
  void load_state(BinaryReader& in) override {
    in.expect_u64(degree_, "the taylor degree P");
    in.expect_u64(natural_, "the taylor natural dimension");
  }

 protected:
  arma::mat transform_impl(const arma::mat& X) const override { return compute(X); }
  arma::fmat transform_impl(const arma::fmat& X) const override { return compute(X); }

 private:
  /// Enumerates the monomials degree by degree as non-decreasing index
  /// sequences i_1 <= ... <= i_n; monomial (parent, var) is the parent's
  /// monomial times x_var, with var >= the parent's last index.
  void build_monomials() {
    const arma::vec a = kernel().coefficients(degree_ + 1);
    top_ = 0;
    for (arma::uword n = 0; n <= degree_; ++n)
      if (a[n] > 0.0) top_ = n;
    std::vector<arma::uword> last{0}, run{0};
    std::vector<double> log_mult{0.0};
    level_start_.assign(1, 0);
    parent_.assign(1, 0);
    var_.assign(1, 0);
    log_weight_.assign(1, 0.5 * std::log(a[0]));
    for (arma::uword n = 1; n <= top_; ++n) {
      const arma::uword begin = level_start_.back(), end = parent_.size();
      level_start_.push_back(end);
      std::vector<arma::uword> new_last, new_run;
      std::vector<double> new_log_mult;
      for (arma::uword r = begin; r < end; ++r) {
        const arma::uword k = r - begin;
        for (arma::uword i = (n == 1 ? 0 : last[k]); i < input_dim(); ++i) {
          const arma::uword rn = (n > 1 && i == last[k]) ? run[k] + 1 : 1;
          // multinomial(n; alpha + e_i) = multinomial(n - 1; alpha) * n / (alpha_i + 1)
          const double lm = log_mult[k] + std::log(double(n)) - std::log(double(rn));
          parent_.push_back(r);
          var_.push_back(i);
          log_weight_.push_back(a[n] > 0.0 ? 0.5 * (std::log(a[n]) + lm) : -arma::datum::inf);
          new_last.push_back(i);
          new_run.push_back(rn);
          new_log_mult.push_back(lm);
        }
      }
      last.swap(new_last);
      run.swap(new_run);
      log_mult.swap(new_log_mult);
    }
    level_start_.push_back(parent_.size());
  }

  template <typename eT>
  arma::Mat<eT> compute(const arma::Mat<eT>& X) const {
    const arma::uword total = parent_.size();
    arma::Mat<eT> Z(output_dim(), X.n_cols, arma::fill::zeros);
    // Points are processed in blocks, transposed so that each monomial is a
    // contiguous column (vectorised over points); the scratch stays <= ~64 MB.
    const arma::uword block = std::max<arma::uword>(1, (arma::uword{8} << 20) / std::max<arma::uword>(total, 1));
    arma::Mat<eT> M;
    for (arma::uword c0 = 0; c0 < X.n_cols; c0 += block) {
      const arma::uword c1 = std::min(X.n_cols, c0 + block);
      const arma::Mat<eT> Xt = X.cols(c0, c1 - 1).t();
      M.set_size(c1 - c0, total);
      M.col(0).ones();
      for (arma::uword r = 1; r < total; ++r) M.col(r) = M.col(parent_[r]) % Xt.col(var_[r]);
      arma::uword row = 0;
      for (arma::uword r = 0; r < total; ++r) {
        if (!std::isfinite(log_weight_[r])) continue;
        const eT w = static_cast<eT>(std::exp(log_weight_[r]));
        Z.row(row++).cols(c0, c1 - 1) = w * M.col(r).t();
      }
    }
    return Z;
  }

  arma::uword degree_, natural_;
  arma::uword top_ = 0;                     // highest degree <= P with a_n > 0
  std::vector<arma::uword> level_start_;    // first monomial of each degree
  std::vector<arma::uword> parent_, var_;   // monomial r = monomial parent_[r] * x_{var_[r]}
  std::vector<double> log_weight_;          // log sqrt(a_n multinomial); -inf when a_n = 0
};

}  // namespace

arma::uword taylor_natural_dim(const Kernel& kernel, arma::uword d, arma::uword P) {
  const std::vector<arma::uword> counts = monomial_counts(d, P);
  const arma::vec a = kernel.coefficients(P + 1);
  arma::uword total = 0;
  for (arma::uword n = 0; n <= P; ++n)
    if (a[n] > 0.0) total = saturating_add(total, counts[n]);
  return total;
}

std::unique_ptr<FeatureMap> make_taylor_map(const std::string& options, const Kernel& kernel, arma::uword d,
                                            arma::uword D, std::uint64_t seed) {
  const std::string where = "make_feature_map()";
  const std::string spec = "taylor:" + options;
  if (options.empty())
    fail(where, "'taylor' needs the truncation degree, e.g. 'taylor:3' (P >= 0, at most " +
                    std::to_string(kTaylorMaxDegree) + ")");
  const arma::uword P = parse_uword(options, where, "the degree P in '" + spec + "'");
  if (P > kTaylorMaxDegree)
    fail(where, "the degree P = " + std::to_string(P) + " in '" + spec + "' is too large (at most " +
                    std::to_string(kTaylorMaxDegree) + ")");
  const arma::uword natural = taylor_natural_dim(kernel, d, P);
  if (natural == 0)
    fail(where, "'" + spec + "' has no features: the kernel " + kernel.spec() +
                    " has a_n = 0 for every degree n <= " + std::to_string(P));
  // Intermediate monomials of degrees with a_n = 0 below the top degree are
  // computed too, so the limit counts every degree up to the top one.
  const arma::vec a = kernel.coefficients(P + 1);
  arma::uword top = 0;
  for (arma::uword n = 0; n <= P; ++n)
    if (a[n] > 0.0) top = n;
  arma::uword work = 0;
  for (arma::uword c : monomial_counts(d, top)) work = saturating_add(work, c);
  if (work > kTaylorMaxFeatures)
    fail(where, "'" + spec + "' with d = " + std::to_string(d) + " needs " +
                    (work == std::numeric_limits<arma::uword>::max() ? std::string("more than 2^64")
                                                                     : std::to_string(work)) +
                    " monomials, more than the limit of " + std::to_string(kTaylorMaxFeatures) +
                    "; use a smaller P or a random map ('maclaurin', 'tensorsketch' or 'srht')");
  if (D < natural)
    fail(where, "'" + spec + "' with d = " + std::to_string(d) + " and kernel " + kernel.spec() + " needs D >= " +
                    std::to_string(natural) + " features (its natural dimension), got D = " + std::to_string(D) +
                    "; use a smaller P or a random map ('maclaurin', 'tensorsketch' or 'srht')");
  return std::make_unique<TaylorMap>(kernel, d, D, seed, P, natural);
}

}  // namespace deepdot::detail
