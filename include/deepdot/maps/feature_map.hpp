// SPDX-License-Identifier: MIT
/// @file feature_map.hpp
/// Explicit feature maps phi: R^d -> R^D with <phi(x), phi(y)> ~ K(x, y).
#pragma once

#include <deepdot/kernels/kernel.hpp>
#include <deepdot/util/gemm_shape.hpp>

#include <armadillo>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace deepdot {

/// A feature map for a dot-product kernel, in the spirit of faiss's
/// VectorTransform: built from (kernel, input dimension d, output dimension D,
/// seed, options) by make_feature_map(), it maps a d x n batch (one column per
/// point, every column in the unit ball) to a D x n batch of features.
///
/// How maps are made: make_feature_map() builds one of the library's
/// families from a spec string; the CLI, the Trainer, model files and the
/// docs all speak those specs. Users may derive their own map from
/// FeatureMap (implement spec() and transform_impl()) and use it wherever a
/// FeatureMap is taken (transform, approximation_error(), FeatureRidge on its
/// features); there is deliberately no registration of new families into
/// make_feature_map(): a model file must be readable by every deepdot build,
/// so only the library's own families have a file encoding, and save() of a
/// user-derived map throws.
///
/// Given the seed the map is deterministic on every platform. Data-dependent
/// maps (Nystroem, optimised degree allocation) must see a sample through fit()
/// before transform(); for the others fit() does nothing.
///
/// @code
/// auto k   = deepdot::make_kernel("recursive:2");
/// auto phi = deepdot::make_feature_map("tensorsketch", k, 784, 4096, 42);
/// arma::mat Z = phi->transform(X);   // X: 784 x n, unit-norm columns -> Z: 4096 x n
/// @endcode
class FeatureMap {
 public:
  virtual ~FeatureMap() = default;
  FeatureMap(const FeatureMap&) = delete;
  FeatureMap& operator=(const FeatureMap&) = delete;

  /// d, the dimension of the input points.
  arma::uword input_dim() const { return input_dim_; }
  /// D, the number of features produced per point.
  arma::uword output_dim() const { return output_dim_; }
  std::uint64_t seed() const { return seed_; }
  const Kernel& kernel() const { return kernel_; }

  /// The canonical spec of the map (without kernel), e.g. "maclaurin:kk";
  /// make_feature_map(spec(), kernel(), input_dim(), output_dim(), seed())
  /// rebuilds the same map (before fit()).
  virtual std::string spec() const = 0;

  /// Learns data-dependent state from a sample (d x m, unit ball). No-op for
  /// data-independent maps.
  virtual void fit(const arma::mat& sample);
  /// False until fit() for data-dependent maps.
  virtual bool is_fitted() const { return true; }
  /// The fewest sample points fit() accepts: 0 for data-independent maps, D
  /// for Nystroem (it picks D landmarks from the sample), 1 for the optimised
  /// degree allocations (":opt", which use up to 256 points). Callers size
  /// their fit sample by asking the map instead of testing its name.
  virtual arma::uword min_fit_points() const { return 0; }

  /// X: d x n, every column in the unit ball; returns D x n.
  /// Throws std::invalid_argument on a wrong d, non-finite data or a column
  /// outside the unit ball, and std::logic_error if the map needs fit() first.
  arma::mat transform(const arma::mat& X) const;
  /// Single-precision version; computes in float where that is accurate
  /// enough and in double otherwise.
  arma::fmat transform(const arma::fmat& X) const;
  /// As transform(X), written into Z, which must already be D x n: memory the
  /// caller owns, e.g. a memory-mapped output file (write_npy_mapped()), so a
  /// large result is not copied. Same values as transform(X).
  void transform(const arma::mat& X, arma::mat& Z) const;
  void transform(const arma::fmat& X, arma::fmat& Z) const;

  /// Sparse input (deepdot/core/sparse.hpp): X is d x n in compressed
  /// columns, one column per point, every column in the unit ball; returns the
  /// dense D x n features, equal to transform() of the densified X up to
  /// rounding. Validation is O(nnz). "tensorsketch" (count sketches over the
  /// nonzeros: O(nnz p + p D log D) per point for degree p), "maclaurin",
  /// "fourier" and "nystrom" (sparse x dense projections: O(nnz x rows of
  /// the projection)) never densify X; the other maps densify blocks of
  /// sparse_block_columns() columns, d x block values each (see docs/sparse.md).
  arma::mat transform(const arma::sp_mat& X) const;
  arma::fmat transform(const arma::sp_fmat& X) const;
  /// transform_raw() of sparse X (maps with a linear tail), as transform().
  arma::mat transform_raw(const arma::sp_mat& X) const;
  arma::fmat transform_raw(const arma::sp_fmat& X) const;
  /// fit() on a sparse sample (d x m, unit ball). Nystroem keeps its D
  /// landmarks sparse (compressed columns, O(nnz of the landmarks) whatever
  /// d) and gives the same features as fit() of the densified sample, to
  /// rounding; the other data-dependent maps keep dense state, so the sample
  /// is densified (d x m values; refused above 4 GiB); data-independent maps
  /// only check it, in O(nnz).
  void fit_sparse(const arma::sp_mat& sample);
  /// Columns per densified block of the default sparse transform: about 2^22
  /// values (32 MB in double) whatever d, at least 1.
  arma::uword sparse_block_columns() const;

  /// True when the features are a fixed linear transform of cheaper "raw"
  /// features, phi(x) = A r(x) (Nystroem with the Cholesky whitening:
  /// r(x) = K(landmarks, x), A = L^-1). A linear function W' phi(x) is then
  /// (A' W)' r(x), which skips the D^2 n whitening: Model::predict() uses it.
  virtual bool has_linear_tail() const { return false; }
  /// r(X) for a map with a linear tail: X: d x n as for transform(); returns
  /// D x n. Throws std::logic_error if has_linear_tail() is false.
  arma::mat transform_raw(const arma::mat& X) const;
  /// Single-precision version, as accurate as the float transform().
  arma::fmat transform_raw(const arma::fmat& X) const;
  /// A' W for a map with a linear tail: W: D x k; returns D x k, so that
  /// W' transform(X) = fold_weights(W)' transform_raw(X) up to rounding.
  /// Throws std::invalid_argument if W does not have D rows and
  /// std::logic_error if has_linear_tail() is false.
  arma::mat fold_weights(const arma::mat& W) const;

  /// The matrix products the float transform performs for a batch of n points,
  /// C (rows x n) = A (rows x inner) * B (inner x n) each; empty for maps that
  /// are not GEMM-shaped (sketches, FFTs). Benchmarks time GEMMs of these
  /// shapes in the same run to say how close the map runs to the machine's rate.
  virtual std::vector<GemmShape> gemm_shapes() const { return {}; }

  /// Writes the complete state (every random parameter, not just the seed)
  /// so that a restored map gives bit-identical features on any machine.
  /// Throws std::invalid_argument for a map derived outside the library.
  void save(std::ostream& out) const;
  /// Reads a map written by save(). Throws std::invalid_argument on a corrupt,
  /// truncated or foreign stream.
  static std::unique_ptr<FeatureMap> load(std::istream& in);

 protected:
  FeatureMap(Kernel kernel, arma::uword input_dim, arma::uword output_dim, std::uint64_t seed);

  /// X has been validated (d rows, finite, unit ball). Returns D x n.
  virtual arma::mat transform_impl(const arma::mat& X) const = 0;
  /// Default: convert to double, transform, convert back.
  virtual arma::fmat transform_impl(const arma::fmat& X) const;
  /// Default: Z = transform_impl(X), a copy; maps that fill a given matrix
  /// anyway override these (X validated, Z D x n).
  virtual void transform_into_impl(const arma::mat& X, arma::mat& Z) const;
  virtual void transform_into_impl(const arma::fmat& X, arma::fmat& Z) const;
  /// Sparse input (X validated: d rows, finite, unit ball). Default: densify
  /// sparse_block_columns() columns at a time and call transform_impl().
  virtual arma::mat transform_sparse_impl(const arma::sp_mat& X) const;
  virtual arma::fmat transform_sparse_impl(const arma::sp_fmat& X) const;
  /// The same for transform_raw() (default: densify blocks, transform_raw_impl()).
  virtual arma::mat transform_raw_sparse_impl(const arma::sp_mat& X) const;
  virtual arma::fmat transform_raw_sparse_impl(const arma::sp_fmat& X) const;
  /// fit_sparse() of an unfitted map (sample validated: d rows, finite, unit
  /// ball). Default: densify the sample (refused above 4 GiB) and call fit().
  virtual void fit_sparse_impl(const arma::sp_mat& sample);
  /// Maps with a linear tail override these three (X validated, W D x k).
  virtual arma::mat transform_raw_impl(const arma::mat& X) const;
  virtual arma::fmat transform_raw_impl(const arma::fmat& X) const;
  virtual arma::mat fold_weights_impl(const arma::mat& W) const;

 private:
  Kernel kernel_;
  arma::uword input_dim_, output_dim_;
  std::uint64_t seed_;
};

/// The largest output dimension D make_feature_map() accepts (2^24): one
/// point's features then take 128 MiB in double already.
constexpr arma::uword max_feature_map_output_dim = arma::uword(1) << 24;
/// The largest input dimension d make_feature_map() accepts (2^24).
constexpr arma::uword max_feature_map_input_dim = arma::uword(1) << 24;

/// Builds a feature map from its spec string; see docs/feature-maps.md.
///   "taylor:P", "maclaurin", "maclaurin:kk", "maclaurin:importance", "tensorsketch",
///   "srht", "fourier", "layerwise", "nystrom", ... (options after ':')
/// input_dim = d, output_dim = D >= 1. Throws std::invalid_argument naming the
/// spec and the rule broken, for d or D above the limits above, and when the
/// D x d doubles most maps' random state takes exceed the available memory
/// (checked before anything is generated).
std::unique_ptr<FeatureMap> make_feature_map(const std::string& spec, const Kernel& kernel,
                                             arma::uword input_dim, arma::uword output_dim,
                                             std::uint64_t seed);

/// The names accepted by make_feature_map(), for help texts.
std::string feature_map_names();

}  // namespace deepdot
