// SPDX-License-Identifier: MIT
// "srht": TensorSRHT features (Ahle, Kapralov, Knudsen, Pagh, Velingker,
// Woodruff & Zandieh, SODA 2020).
//
// Degree n with D_n features: n independent structured projections. Factor k
// pads x with zeros to d' = next power of two >= d, multiplies by random signs
// and applies the unnormalised Walsh-Hadamard transform H (entries +-1); each
// row of H diag(signs) is then a Rademacher vector in distribution, so the
// sampled coordinate y_k[r] = <row_r, x> satisfies E[y_k[r](x) y_k[r](y)] = <x, y>.
// Feature j is sqrt(a_n / D_n) * prod_k y_k[r_k(j)], unbiased for a_n <x, y>^n.
// Rows are sampled without replacement within blocks of d' features (orthogonal
// rows lower the variance); when D_n > d' every further block has fresh signs.
// Cost O(n D_n log d') per point for degree n (plus d' log d' per block).
// Options: none (default allocation) or "opt" (optimised allocation, fit() needed).
#include "maps/registry.hpp"

#include "maps/degree_sketch.hpp"
#include "maps/numeric/hadamard.hpp"

#include "core/check.hpp"

#include <deepdot/core/random.hpp>

#include <cmath>
#include <vector>

namespace deepdot::detail {
namespace {

class SrhtMap final : public DegreeSketchMap {
 public:
  SrhtMap(const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed, bool optimised)
      : DegreeSketchMap("srht", kernel, d, D, seed, optimised),
        padded_(next_power_of_two(d)) {
    initialise();
  }

 protected:
  arma::mat transform_impl(const arma::mat& X) const override { return compute(X); }
  arma::fmat transform_impl(const arma::fmat& X) const override { return compute(X); }

 private:
  /// Factor k of one degree: signs(:, b) for block b of rows, and the sampled
  /// Hadamard rows of every feature (rows[j] for feature j, in block j / d').
  struct Factor {
    arma::mat signs;  // d x blocks, +-1
    arma::uvec rows;  // D_n entries < d', distinct within each block
  };

  arma::uword blocks(arma::uword features) const { return (features + padded_ - 1) / padded_; }

  void draw_parameters() override {
    factors_.clear();
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
      const arma::uword n = alloc_.degrees[i], c = alloc_.counts[i];
      std::vector<Factor> degree;
      for (arma::uword k = 0; k < n; ++k) {
        Rng rng(seed(), stream(n, k));
        Factor f;
        f.signs.set_size(input_dim(), blocks(c));
        f.rows.set_size(c);
        for (arma::uword b = 0; b < blocks(c); ++b) {
          for (arma::uword j = 0; j < input_dim(); ++j) f.signs(j, b) = rng.rademacher();
          const arma::uvec perm = rng.permutation(padded_);
          const arma::uword begin = b * padded_, end = std::min(c, begin + padded_);
          f.rows.subvec(begin, end - 1) = perm.head(end - begin);
        }
        degree.push_back(std::move(f));
      }
      factors_.push_back(std::move(degree));
    }
  }

  void save_parameters(BinaryWriter& out) const override {
    for (const auto& degree : factors_)
      for (const Factor& f : degree) {
        write_sign_bits(out, f.signs);
        out.uvec(f.rows);
      }
  }

  void load_parameters(BinaryReader& in) override {
    factors_.clear();
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
      const arma::uword n = alloc_.degrees[i], c = alloc_.counts[i];
      std::vector<Factor> degree;
      for (arma::uword k = 0; k < n; ++k) {
        Factor f;
        f.signs = read_sign_bits<double>(in, input_dim(), blocks(c), "the SRHT signs");
        f.rows = in.uvec("the SRHT rows");
        if (f.rows.n_elem != c)
          in.error("degree " + std::to_string(n) + " stores " + std::to_string(f.rows.n_elem) +
                   " sampled rows, expected " + std::to_string(c));
        for (arma::uword b = 0; b < blocks(c); ++b) {
          const arma::uword begin = b * padded_, end = std::min(c, begin + padded_);
          std::vector<bool> seen(padded_, false);
          for (arma::uword j = begin; j < end; ++j) {
            if (f.rows[j] >= padded_ || seen[f.rows[j]])
              in.error("sampled SRHT row " + std::to_string(f.rows[j]) + " is out of range or repeated");
            seen[f.rows[j]] = true;
          }
        }
        degree.push_back(std::move(f));
      }
      factors_.push_back(std::move(degree));
    }
  }

  template <typename eT>
  arma::Mat<eT> compute(const arma::Mat<eT>& X) const {
    arma::Mat<eT> Z(output_dim(), X.n_cols, arma::fill::zeros);
    exact_.fill(X, Z);
    const arma::uword d = input_dim();
    // Points in blocks, transposed (points x coordinates) so that every
    // Hadamard butterfly and every product runs over contiguous points.
    constexpr arma::uword kPoints = 256;
    arma::Mat<eT> Y, F;
    for (arma::uword c0 = 0; c0 < X.n_cols; c0 += kPoints) {
      const arma::uword c1 = std::min(X.n_cols, c0 + kPoints), m = c1 - c0;
      const arma::Mat<eT> Xt = X.cols(c0, c1 - 1).t();
      arma::uword row = exact_.exact_dim();
      for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
        const arma::uword n = alloc_.degrees[i], c = alloc_.counts[i];
        F.set_size(m, c);
        for (arma::uword k = 0; k < n; ++k) {
          const Factor& f = factors_[i][k];
          for (arma::uword b = 0; b < blocks(c); ++b) {
            Y.zeros(m, padded_);
            const arma::Col<eT> s = arma::conv_to<arma::Col<eT>>::from(f.signs.col(b));
            Y.cols(0, d - 1) = Xt.each_row() % s.t();
            fwht_rows(Y);
            const arma::uword begin = b * padded_, end = std::min(c, begin + padded_);
            for (arma::uword j = begin; j < end; ++j) {
              if (k == 0)
                F.col(j) = Y.col(f.rows[j]);
              else
                F.col(j) %= Y.col(f.rows[j]);
            }
          }
        }
        const eT scale = static_cast<eT>(std::sqrt(a_[n] / double(c)));
        Z.submat(row, c0, row + c - 1, c1 - 1) = scale * F.t();
        row += c;
      }
    }
    return Z;
  }

  arma::uword padded_;  // d' = next power of two >= d
  std::vector<std::vector<Factor>> factors_;  // [degree][factor]
};

}  // namespace

std::unique_ptr<FeatureMap> make_srht_map(const std::string& options, const Kernel& kernel, arma::uword d,
                                          arma::uword D, std::uint64_t seed) {
  const bool optimised = parse_allocation_option("srht", options);
  return std::make_unique<SrhtMap>(kernel, d, D, seed, optimised);
}

}  // namespace deepdot::detail
