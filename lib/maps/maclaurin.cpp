// SPDX-License-Identifier: MIT
// "maclaurin": Random Maclaurin features (Kar & Karnick, AISTATS 2012).
//
// The constant and (budget allowing) linear terms are exact (budget.hpp). Each of
// the m = D - exact_dim() random features has a degree N >= first_random_degree()
// and is  w_N * prod_{k<=N} <r_k, x>  with independent Rademacher vectors r_k,
// so E[<r, x><r, y>] = <x, y> and every feature is unbiased for a_N <x, y>^N
// once weighted. Options:
//   "maclaurin:importance" (also plain "maclaurin"): N ~ p(n) proportional to a_n;
//   "maclaurin:kk": N ~ p(n) proportional to 2^-(n+1), Kar & Karnick's choice;
//   "maclaurin:opt": deterministic counts per degree from optimised_allocation()
//                    on a sample (fit() required), weights sqrt(a_n / c_n).
// The sampled modes draw the m degrees i.i.d. from p restricted to the degrees
// with a_n > 0 in [first_random_degree(), N_max], where N_max is the first degree
// whose tail is below 1e-12 of the random mass (at most kMaxRandomDegree);
// weight sqrt(a_n / (p(n) m)).
//
// Features are grouped by degree so the projections of all factors of one
// degree are a single GEMM (float GEMM for float input), followed by
// elementwise products: the cost is that of a (sum_n n c_n) x d x batch GEMM.
#include "maps/stateful_map.hpp"
#include "maps/registry.hpp"

#include "maps/budget.hpp"
#include "maps/degree_allocation.hpp"

#include "io/binary_io.hpp"
#include "core/check.hpp"

#include <deepdot/core/random.hpp>

#include <cmath>
#include <type_traits>
#include <vector>

namespace deepdot::detail {
namespace {

enum class DegreeLaw { importance, kar_karnick, optimised };

/// Streams of deepdot::Rng used by this map (independent parts, independent streams).
constexpr std::uint64_t kDegreeStream = 1;
constexpr std::uint64_t kSignStreamBase = 1000;  // + degree

class MaclaurinMap final : public StatefulMap {
 public:
  MaclaurinMap(const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed, DegreeLaw law)
      : StatefulMap(kernel, d, D, seed), law_(law), exact_(kernel, d, D), budget_(D - exact_.exact_dim()) {
    a_ = kernel.coefficients(kMaxRandomDegree + 1);
    if (law_ != DegreeLaw::optimised) sample_degrees();
  }

  std::string spec() const override {
    switch (law_) {
      case DegreeLaw::importance: return "maclaurin:importance";
      case DegreeLaw::kar_karnick: return "maclaurin:kk";
      case DegreeLaw::optimised: return "maclaurin:opt";
    }
    return "maclaurin";
  }

  bool is_fitted() const override { return fitted_; }
  arma::uword min_fit_points() const override { return law_ == DegreeLaw::optimised ? 1 : 0; }

  void fit(const arma::mat& sample) override {
    FeatureMap::fit(sample);
    if (law_ != DegreeLaw::optimised) return;
    const DegreeAllocation alloc = optimised_allocation(kernel(), exact_.first_random_degree(), budget_, sample);
    arma::vec scales(alloc.degrees.n_elem);
    for (arma::uword i = 0; i < alloc.degrees.n_elem; ++i)
      scales[i] = std::sqrt(a_[alloc.degrees[i]] / double(alloc.counts[i]));
    set_allocation(alloc, scales);
    draw_signs();
    fitted_ = true;
  }

  void save_state(BinaryWriter& out) const override {
    out.u8(fitted_ ? 1 : 0);
    if (!fitted_) return;
    alloc_.save(out);
    for (double s : scales_) out.f64(s);
    write_sign_bits(out, signs_);
  }

  void load_state(BinaryReader& in) override {
    const std::uint8_t fitted = in.u8("the fitted flag");
    if (fitted > 1 || (fitted == 0 && law_ != DegreeLaw::optimised))
      in.error("invalid fitted flag " + std::to_string(fitted) + " for " + spec());
    fitted_ = fitted == 1;
    if (!fitted_) return;
    const DegreeAllocation alloc = DegreeAllocation::load(in, a_, exact_.first_random_degree(), budget_);
    arma::vec scales(alloc.degrees.n_elem);
    for (arma::uword i = 0; i < scales.n_elem; ++i) {
      scales[i] = in.f64("a feature scale");
      if (!std::isfinite(scales[i]) || !(scales[i] > 0.0)) in.error("a feature scale is not finite and positive");
    }
    set_allocation(alloc, scales);
    signs_ = read_sign_bits<float>(in, signs_.n_rows, input_dim(), "the Rademacher signs");
  }

 protected:
  std::vector<GemmShape> gemm_shapes() const override {
    std::vector<GemmShape> out;
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i)
      out.push_back({alloc_.degrees[i] * alloc_.counts[i], input_dim(), true});
    return out;
  }

  arma::mat transform_impl(const arma::mat& X) const override { return compute(X); }
  arma::fmat transform_impl(const arma::fmat& X) const override { return compute(X); }
  // Sparse input: W X is a dense x sparse product, O(nnz x rows of W).
  arma::mat transform_sparse_impl(const arma::sp_mat& X) const override { return compute(X); }
  arma::fmat transform_sparse_impl(const arma::sp_fmat& X) const override { return compute(X); }

 private:
  /// The law p over the random degrees for the sampled modes, then m i.i.d. draws.
  void sample_degrees() {
    const arma::uword first = exact_.first_random_degree();
    const double mass = kernel().tail(first - 1);
    DegreeAllocation alloc;
    if (budget_ > 0 && mass > 0.0) {
      const arma::uword top = truncation_degree(kernel(), first, 1e-12 * mass);
      const arma::uvec support = positive_degrees(a_, first, top);
      arma::vec p(support.n_elem);
      for (arma::uword i = 0; i < support.n_elem; ++i)
        p[i] = law_ == DegreeLaw::importance ? a_[support[i]] : std::ldexp(1.0, -int(support[i]) - 1);
      // Degrees whose probability underflows to 0 cannot be sampled: a kernel
      // whose mass lies only at very high degrees (poly:100000) has nothing here.
      const double total = arma::accu(p);
      if (support.is_empty() || !(total > 0.0) || !std::isfinite(total))
        fail("make_feature_map()", "'" + spec() + "' cannot sample the degrees of " + kernel().spec() +
                                       ": its degree distribution is zero in floating point (the mass lies at "
                                       "degrees too high to sample); use another map (srht, tensorsketch) or a "
                                       "kernel of lower degree");
      p /= total;
      const arma::vec cdf = arma::cumsum(p);
      arma::uvec counts(support.n_elem, arma::fill::zeros);
      Rng rng(seed(), kDegreeStream);
      for (arma::uword j = 0; j < budget_; ++j) {
        const double u = rng.uniform();
        arma::uword i = 0;
        while (i + 1 < support.n_elem && cdf[i] <= u) ++i;
        ++counts[i];
      }
      const arma::uvec used = arma::find(counts > 0);
      alloc.degrees = support.elem(used);
      alloc.counts = counts.elem(used);
      p = p.elem(used);
      arma::vec scales(used.n_elem);
      for (arma::uword i = 0; i < used.n_elem; ++i)
        scales[i] = std::sqrt(a_[alloc.degrees[i]] / (p[i] * double(budget_)));
      set_allocation(alloc, scales);
    } else {
      set_allocation(alloc, arma::vec());
    }
    draw_signs();
  }

  void set_allocation(const DegreeAllocation& alloc, const arma::vec& scales) {
    alloc_ = alloc;
    scales_ = scales;
    offsets_.assign(1, 0);
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i)
      offsets_.push_back(offsets_.back() + alloc_.degrees[i] * alloc_.counts[i]);
    signs_.set_size(offsets_.back(), input_dim());
  }

  /// One stream per degree, so the signs of a degree do not depend on the others.
  void draw_signs() {
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
      Rng rng(seed(), kSignStreamBase + alloc_.degrees[i]);
      for (arma::uword col = 0; col < input_dim(); ++col)
        for (arma::uword r = offsets_[i]; r < offsets_[i + 1]; ++r) signs_(r, col) = float(rng.rademacher());
    }
  }

  /// X: d x n, dense or sparse (arma::Mat or arma::SpMat of eT).
  template <template <typename> class M, typename eT>
  arma::Mat<eT> compute(const M<eT>& X) const {
    arma::Mat<eT> Z(output_dim(), X.n_cols, arma::fill::zeros);
    exact_.fill(X, Z);
    constexpr arma::uword kBlock = 2048;  // points per GEMM: bounds the projection scratch
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
      const arma::uword n = alloc_.degrees[i], c = alloc_.counts[i];
      const arma::uword row0 = exact_.exact_dim() + (i == 0 ? 0 : arma::accu(alloc_.counts.head(i)));
      const arma::Mat<eT> W = arma::conv_to<arma::Mat<eT>>::from(signs_.rows(offsets_[i], offsets_[i + 1] - 1));
      const eT scale = static_cast<eT>(scales_[i]);
      for (arma::uword c0 = 0; c0 < X.n_cols; c0 += kBlock) {
        const arma::uword c1 = std::min(X.n_cols, c0 + kBlock);
        arma::Mat<eT> P;  // (n c) x batch: all factors at once
        if constexpr (std::is_same_v<M<eT>, arma::Mat<eT>>)
          P = W * X.cols(c0, c1 - 1);
        else
          P = W * arma::SpMat<eT>(X.cols(c0, c1 - 1));
        arma::Mat<eT> prod = scale * P.rows(0, c - 1);
        for (arma::uword k = 1; k < n; ++k) prod %= P.rows(k * c, (k + 1) * c - 1);
        Z.submat(row0, c0, row0 + c - 1, c1 - 1) = prod;
      }
    }
    return Z;
  }

  DegreeLaw law_;
  ExactPart exact_;
  arma::uword budget_;            // m = D - exact_dim() random features
  arma::vec a_;                   // a_0 .. a_kMaxRandomDegree
  bool fitted_ = law_ != DegreeLaw::optimised;
  DegreeAllocation alloc_;        // features per degree (sampled or optimised)
  arma::vec scales_;              // weight of the features of each allocated degree
  std::vector<arma::uword> offsets_;  // first row in signs_ of each degree (n c_n rows per degree)
  arma::fmat signs_;              // (sum n c_n) x d Rademacher entries, +-1 exactly in float
};

}  // namespace

std::unique_ptr<FeatureMap> make_maclaurin_map(const std::string& options, const Kernel& kernel, arma::uword d,
                                               arma::uword D, std::uint64_t seed) {
  DegreeLaw law;
  if (options.empty() || options == "importance")
    law = DegreeLaw::importance;
  else if (options == "kk")
    law = DegreeLaw::kar_karnick;
  else if (options == "opt")
    law = DegreeLaw::optimised;
  else
    fail("make_feature_map()", "unknown option '" + options + "' in 'maclaurin:" + options +
                                   "'; expected 'maclaurin', 'maclaurin:importance' (degree probability ~ a_n), "
                                   "'maclaurin:kk' (Kar & Karnick, 2^-(n+1)) or 'maclaurin:opt' (optimised "
                                   "allocation, needs fit())");
  return std::make_unique<MaclaurinMap>(kernel, d, D, seed, law);
}

}  // namespace deepdot::detail
