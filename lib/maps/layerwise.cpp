// SPDX-License-Identifier: MIT
// "layerwise": compositional random features that follow the kernel's own
// recursion K^(l) = g(K^(l-1)), g(t) = 1/(2 - t) (Daniely, Frostig, Gupta &
// Singer 2017): layer l maps the previous layer's features z_{l-1} through a
// random feature map of g, so that <z_l(x), z_l(y)> ~ g(<z_{l-1}(x), z_{l-1}(y)>).
//
// The map of g is the "fourier" map of recursive:1 (g = f_1): bounded
// features whose error falls like 1/sqrt(width), unlike products of random
// projections, whose variance grows with the degree and compounds across
// layers. Layer 0 is x itself (exact). Hidden layers are renormalised to the
// exact diagonal, ||z_l(x)||^2 = f_l(||x||^2), which keeps them in the unit
// ball (where the spectral features of g have bounded variance) and removes
// the diagonal error that would otherwise propagate. The last layer is not
// renormalised, so given the hidden features its output is unbiased; the
// whole map is unbiased in the limit of wide hidden layers (at finite width
// the nonlinearity of g leaves an O(1/width) bias).
#include "maps/stateful_map.hpp"
#include "maps/registry.hpp"

#include "io/binary_io.hpp"
#include "core/check.hpp"

#include <deepdot/core/random.hpp>

#include <cmath>
#include <limits>
#include <vector>

namespace deepdot::detail {
namespace {

constexpr const char* kWhere = "make_feature_map()";

class LayerwiseMap final : public StatefulMap {
 public:
  LayerwiseMap(const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed, arma::uword width,
               bool width_given)
      : StatefulMap(kernel, d, D, seed), width_(width), width_given_(width_given) {
    const arma::uword depth = kernel.integer_parameter();
    const Kernel g = recursive_kernel(1);
    arma::uword in = d;
    for (arma::uword l = 1; l <= depth; ++l) {
      const arma::uword out = l == depth ? D : width_;
      // One independent seed per layer, derived from the map's seed.
      const std::uint64_t layer_seed = Rng(seed, 1000 + l).next_u64();
      layers_.push_back(make_fourier_map("", g, in, out, layer_seed));
      diagonal_.push_back(recursive_kernel(l));
      in = out;
    }
  }

  std::string spec() const override {
    return width_given_ ? "layerwise:" + std::to_string(width_) : "layerwise";
  }

  void save_state(BinaryWriter& out) const override {
    out.u64(layers_.size());
    for (const auto& layer : layers_) {
      out.u64(layer->input_dim());
      out.u64(layer->output_dim());
      stateful(*layer, "FeatureMap::save()").save_state(out);
    }
  }

  void load_state(BinaryReader& in) override {
    in.expect_u64(layers_.size(), "the number of layers");
    for (const auto& layer : layers_) {
      in.expect_u64(layer->input_dim(), "a layer's input width");
      in.expect_u64(layer->output_dim(), "a layer's output width");
      stateful(*layer, "FeatureMap::load()").load_state(in);
    }
  }

 protected:
  std::vector<GemmShape> gemm_shapes() const override {
    std::vector<GemmShape> out;
    for (const auto& layer : layers_)
      for (const GemmShape& s : layer->gemm_shapes()) out.push_back(s);
    return out;
  }

  arma::mat transform_impl(const arma::mat& X) const override { return run(X); }
  arma::fmat transform_impl(const arma::fmat& X) const override { return run(X); }

 private:
  /// X: d x n; returns D x n. Each hidden layer is W x n.
  template <typename eT>
  arma::Mat<eT> run(const arma::Mat<eT>& X) const {
    // Squared input norms, in double: they give every layer's exact diagonal.
    std::vector<double> sq(X.n_cols);
    for (arma::uword i = 0; i < X.n_cols; ++i) {
      double s = 0.0;
      for (arma::uword l = 0; l < X.n_rows; ++l) s += static_cast<double>(X(l, i)) * X(l, i);
      sq[i] = std::min(s, 1.0);
    }
    arma::Mat<eT> Z = X;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      Z = layers_[l]->transform(Z);
      if (l + 1 == layers_.size()) break;
      for (arma::uword i = 0; i < Z.n_cols; ++i) {
        const double target = diagonal_[l](sq[i]);  // f_{l+1}(|x|^2) <= 1
        double norm2 = 0.0;
        for (arma::uword r = 0; r < Z.n_rows; ++r) norm2 += static_cast<double>(Z(r, i)) * Z(r, i);
        // A few ulps below the target norm, so rounding cannot push a column
        // out of the unit ball that the next layer checks.
        const double shrink = 1.0 - 16.0 * std::numeric_limits<eT>::epsilon();
        if (norm2 > 0.0) Z.col(i) *= static_cast<eT>(std::sqrt(target / norm2) * shrink);
      }
    }
    return Z;
  }

  arma::uword width_;
  bool width_given_;
  std::vector<std::unique_ptr<FeatureMap>> layers_;
  std::vector<Kernel> diagonal_;  // diagonal_[l] = f_{l+1}, the kernel after layer l + 1
};

}  // namespace

std::unique_ptr<FeatureMap> make_layerwise_map(const std::string& options, const Kernel& kernel, arma::uword d,
                                               arma::uword D, std::uint64_t seed) {
  const std::string spec = options.empty() ? "layerwise" : "layerwise:" + options;
  if (kernel.family() != KernelFamily::recursive || kernel.integer_parameter() < 1)
    fail(kWhere, "'" + spec + "' follows the recursion of a recursive kernel of depth k >= 1, got '" +
                     kernel.spec() + "'; use 'maclaurin', 'tensorsketch', 'srht' or 'nystrom' for this kernel");
  arma::uword width = D;
  if (!options.empty()) {
    width = parse_uword(options, kWhere, "'" + spec + "': the hidden width W");
    if (width < 2)
      fail(kWhere, "'" + spec + "': the hidden width W must be >= 2 (one cos/sin pair), got " + options);
  }
  if (kernel.integer_parameter() > 64)
    fail(kWhere, "'" + spec + "': depth " + std::to_string(kernel.integer_parameter()) +
                     " would build that many dense W x W layers; use 'fourier' for deep kernels");
  return std::make_unique<LayerwiseMap>(kernel, d, D, seed, width, !options.empty());
}

}  // namespace deepdot::detail
