// SPDX-License-Identifier: MIT
#include <deepdot/maps/feature_map.hpp>

#include <deepdot/kernels/gram.hpp>
#include <deepdot/util/memory.hpp>
#include <deepdot/core/sparse.hpp>

#include "maps/stateful_map.hpp"
#include "io/binary_io.hpp"
#include "maps/feature_map_io.hpp"
#include "core/check.hpp"
#include "maps/registry.hpp"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <iterator>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace deepdot {
namespace {

struct MapEntry {
  const char* name;
  detail::MapMaker make;
};

const MapEntry kMaps[] = {
    {"taylor", detail::make_taylor_map},
    {"maclaurin", detail::make_maclaurin_map},
    {"tensorsketch", detail::make_tensorsketch_map},
    {"srht", detail::make_srht_map},
    {"fourier", detail::make_fourier_map},
    {"layerwise", detail::make_layerwise_map},
    {"nystrom", detail::make_nystrom_map},
};

constexpr char kMagic[8] = {'D', 'D', 'F', 'M', 'A', 'P', '\0', '\1'};
// Version 2: TensorSketch stores its hash functions (two words per factor)
// instead of d x n tables of buckets and signs. Version 3: Nystroem may store
// sparse landmarks (compressed columns). Versions 1 and 2 are still read.
constexpr std::uint64_t kFormatVersion = 3;
constexpr std::uint64_t kOldestFormatVersion = 1;

}  // namespace

FeatureMap::FeatureMap(Kernel kernel, arma::uword input_dim, arma::uword output_dim, std::uint64_t seed)
    : kernel_(std::move(kernel)), input_dim_(input_dim), output_dim_(output_dim), seed_(seed) {}

void FeatureMap::fit(const arma::mat& sample) {
  if (sample.n_rows != input_dim_)
    detail::fail("FeatureMap::fit()", "the sample has " + std::to_string(sample.n_rows) +
                                          " rows but the map expects d = " + std::to_string(input_dim_));
  check_unit_ball(sample, "FeatureMap::fit()");
}

template <typename eT>
static void validate_input(const FeatureMap& map, const arma::Mat<eT>& X) {
  const std::string where = "FeatureMap::transform() [" + map.spec() + "]";
  if (X.n_rows != map.input_dim())
    detail::fail(where, "X has " + std::to_string(X.n_rows) + " rows but the map expects d = " +
                            std::to_string(map.input_dim()) + " (X must be d x n, one column per point)");
  check_unit_ball(X, where);
  if (!map.is_fitted())
    throw std::logic_error(where + ": this map is data-dependent; call fit() on a sample first");
}

/// The D x n result of a transform must fit in memory: checked before it is
/// allocated (cheaply skipped for results under 64 MiB, the common batch).
template <typename eT>
static void require_output_memory(const FeatureMap& map, arma::uword n) {
  const double bytes = static_cast<double>(sizeof(eT)) * static_cast<double>(map.output_dim()) * static_cast<double>(n);
  if (bytes > 64.0 * 1024 * 1024)
    require_memory(bytes, "FeatureMap::transform() [" + map.spec() + "]",
                   "the D x n = " + std::to_string(map.output_dim()) + " x " + std::to_string(n) + " features",
                   "transform fewer points at a time, or use fewer features");
}

arma::mat FeatureMap::transform(const arma::mat& X) const {
  validate_input(*this, X);
  require_output_memory<double>(*this, X.n_cols);
  if (X.n_cols == 0) return arma::mat(output_dim_, 0);  // an empty batch needs no map-specific code
  return transform_impl(X);
}

arma::fmat FeatureMap::transform(const arma::fmat& X) const {
  validate_input(*this, X);
  require_output_memory<float>(*this, X.n_cols);
  if (X.n_cols == 0) return arma::fmat(output_dim_, 0);
  return transform_impl(X);
}

arma::fmat FeatureMap::transform_impl(const arma::fmat& X) const {
  return arma::conv_to<arma::fmat>::from(transform_impl(arma::conv_to<arma::mat>::from(X)));
}

template <typename eT>
static void validate_output(const FeatureMap& map, const arma::Mat<eT>& X, const arma::Mat<eT>& Z) {
  if (Z.n_rows != map.output_dim() || Z.n_cols != X.n_cols)
    detail::fail("FeatureMap::transform() [" + map.spec() + "]",
                 "Z is " + std::to_string(Z.n_rows) + " x " + std::to_string(Z.n_cols) + " but must be D x n = " +
                     std::to_string(map.output_dim()) + " x " + std::to_string(X.n_cols));
}

void FeatureMap::transform(const arma::mat& X, arma::mat& Z) const {
  validate_input(*this, X);
  validate_output(*this, X, Z);
  if (X.n_cols != 0) transform_into_impl(X, Z);
}

void FeatureMap::transform(const arma::fmat& X, arma::fmat& Z) const {
  validate_input(*this, X);
  validate_output(*this, X, Z);
  if (X.n_cols != 0) transform_into_impl(X, Z);
}

void FeatureMap::transform_into_impl(const arma::mat& X, arma::mat& Z) const { Z = transform_impl(X); }
void FeatureMap::transform_into_impl(const arma::fmat& X, arma::fmat& Z) const { Z = transform_impl(X); }

namespace {
void require_linear_tail(const FeatureMap& map, const char* method) {
  if (!map.has_linear_tail())
    throw std::logic_error(std::string("FeatureMap::") + method + " [" + map.spec() +
                           "]: this map has no linear tail (see has_linear_tail())");
}
}  // namespace

arma::mat FeatureMap::transform_raw(const arma::mat& X) const {
  validate_input(*this, X);
  require_linear_tail(*this, "transform_raw()");
  if (X.n_cols == 0) return arma::mat(output_dim_, 0);
  return transform_raw_impl(X);
}

arma::fmat FeatureMap::transform_raw(const arma::fmat& X) const {
  validate_input(*this, X);
  require_linear_tail(*this, "transform_raw()");
  if (X.n_cols == 0) return arma::fmat(output_dim_, 0);
  return transform_raw_impl(X);
}

arma::mat FeatureMap::fold_weights(const arma::mat& W) const {
  require_linear_tail(*this, "fold_weights()");
  if (W.n_rows != output_dim_)
    detail::fail("FeatureMap::fold_weights() [" + spec() + "]",
                 "W has " + std::to_string(W.n_rows) + " rows but the map has D = " + std::to_string(output_dim_) +
                     " features (W must be D x k)");
  return fold_weights_impl(W);
}

// Reached only through the public functions above, which check has_linear_tail().
arma::mat FeatureMap::transform_raw_impl(const arma::mat&) const {
  throw std::logic_error("FeatureMap::transform_raw_impl(): not overridden");
}
arma::fmat FeatureMap::transform_raw_impl(const arma::fmat&) const {
  throw std::logic_error("FeatureMap::transform_raw_impl(): not overridden");
}
arma::mat FeatureMap::fold_weights_impl(const arma::mat&) const {
  throw std::logic_error("FeatureMap::fold_weights_impl(): not overridden");
}

// ---- sparse input
template <typename eT>
static void validate_sparse(const FeatureMap& map, const arma::SpMat<eT>& X) {
  const std::string where = "FeatureMap::transform() [" + map.spec() + "]";
  if (X.n_rows != map.input_dim())
    detail::fail(where, "X has " + std::to_string(X.n_rows) + " rows but the map expects d = " +
                            std::to_string(map.input_dim()) + " (X must be d x n, one column per point)");
  check_unit_ball(X, where);
  if (!map.is_fitted())
    throw std::logic_error(where + ": this map is data-dependent; call fit() on a sample first");
}

arma::uword FeatureMap::sparse_block_columns() const {
  return std::max<arma::uword>(1, (arma::uword(1) << 22) / input_dim_);
}

arma::mat FeatureMap::transform(const arma::sp_mat& X) const {
  validate_sparse(*this, X);
  if (X.n_cols == 0) return arma::mat(output_dim_, 0);
  return transform_sparse_impl(X);
}

arma::fmat FeatureMap::transform(const arma::sp_fmat& X) const {
  validate_sparse(*this, X);
  if (X.n_cols == 0) return arma::fmat(output_dim_, 0);
  return transform_sparse_impl(X);
}

arma::mat FeatureMap::transform_raw(const arma::sp_mat& X) const {
  validate_sparse(*this, X);
  require_linear_tail(*this, "transform_raw()");
  if (X.n_cols == 0) return arma::mat(output_dim_, 0);
  return transform_raw_sparse_impl(X);
}

arma::fmat FeatureMap::transform_raw(const arma::sp_fmat& X) const {
  validate_sparse(*this, X);
  require_linear_tail(*this, "transform_raw()");
  if (X.n_cols == 0) return arma::fmat(output_dim_, 0);
  return transform_raw_sparse_impl(X);
}

void FeatureMap::fit_sparse(const arma::sp_mat& sample) {
  if (sample.n_rows != input_dim_)
    detail::fail("FeatureMap::fit()", "the sample has " + std::to_string(sample.n_rows) +
                                          " rows but the map expects d = " + std::to_string(input_dim_));
  check_unit_ball(sample, "FeatureMap::fit()");
  if (is_fitted()) return;  // data-independent (or already fitted): nothing to learn
  fit_sparse_impl(sample);
}

void FeatureMap::fit_sparse_impl(const arma::sp_mat& sample) {
  // This map learns from a dense sample: refuse one that cannot be small.
  const double bytes = 8.0 * double(sample.n_rows) * double(sample.n_cols);
  if (bytes > double(std::uint64_t(4) << 30))
    detail::fail("FeatureMap::fit() [" + spec() + "]",
                 "this map is data-dependent and fits on the densified sample, d x m = " +
                     std::to_string(sample.n_rows) + " x " + std::to_string(sample.n_cols) +
                     " doubles, more than 4 GiB; use a data-independent map (tensorsketch), nystrom (which fits on "
                     "the sparse form) or a smaller sample");
  fit(dense_columns(sample, 0, sample.n_cols));
}

namespace {
/// Densifies blocks of columns of X and applies `dense` (d x b -> D x b) to each.
template <typename eT, typename Fn>
arma::Mat<eT> by_dense_blocks(const FeatureMap& map, const arma::SpMat<eT>& X, Fn&& dense) {
  arma::Mat<eT> Z(map.output_dim(), X.n_cols);
  const arma::uword block = map.sparse_block_columns();
  for (arma::uword c0 = 0; c0 < X.n_cols; c0 += block) {
    const arma::uword c1 = std::min(X.n_cols, c0 + block);
    Z.cols(c0, c1 - 1) = dense(dense_columns(X, c0, c1));
  }
  return Z;
}
}  // namespace

arma::mat FeatureMap::transform_sparse_impl(const arma::sp_mat& X) const {
  return by_dense_blocks(*this, X, [&](const arma::mat& B) { return transform_impl(B); });
}
arma::fmat FeatureMap::transform_sparse_impl(const arma::sp_fmat& X) const {
  return by_dense_blocks(*this, X, [&](const arma::fmat& B) { return transform_impl(B); });
}
arma::mat FeatureMap::transform_raw_sparse_impl(const arma::sp_mat& X) const {
  return by_dense_blocks(*this, X, [&](const arma::mat& B) { return transform_raw_impl(B); });
}
arma::fmat FeatureMap::transform_raw_sparse_impl(const arma::sp_fmat& X) const {
  return by_dense_blocks(*this, X, [&](const arma::fmat& B) { return transform_raw_impl(B); });
}

namespace detail {

void write_feature_map(const FeatureMap& map, BinaryWriter& w) {
  const StatefulMap& state = stateful(map, "FeatureMap::save()");
  const std::uint64_t older = state.saved_encoding_version();
  w.raw(kMagic, sizeof kMagic);
  w.u64(older != 0 ? older : kFormatVersion);
  w.str(map.spec());
  w.str(map.kernel().spec());
  w.u64(map.input_dim());
  w.u64(map.output_dim());
  w.u64(map.seed());
  w.u8(map.is_fitted() ? 1 : 0);
  state.save_state(w);
}

std::unique_ptr<FeatureMap> read_feature_map(const char* data, std::size_t size, std::uint64_t max_output_dim) {
  BinaryReader r(data, size, "FeatureMap::load()");
  char magic[sizeof kMagic];
  r.raw(magic, sizeof magic, "the magic bytes");
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) r.error("not a deepdot feature map (wrong magic bytes)");
  const std::uint64_t version = r.u64("the format version");
  if (version < kOldestFormatVersion || version > kFormatVersion)
    r.error("format version " + std::to_string(version) + " is not supported (this library reads versions " +
            std::to_string(kOldestFormatVersion) + " to " + std::to_string(kFormatVersion) + ")");
  const std::string spec = r.str("the map spec", 4096);
  const std::string kernel_spec = r.str("the kernel spec", 1 << 20);
  const std::uint64_t d = r.u64("the input dimension");
  const std::uint64_t D = r.u64("the output dimension");
  const std::uint64_t seed = r.u64("the seed");
  r.u8("the fitted flag");
  if (D > max_output_dim)
    r.error("the output dimension D = " + std::to_string(D) + " is more than the file can justify (its weights hold at most D = " +
            std::to_string(max_output_dim) + ")");
  std::unique_ptr<FeatureMap> map;
  try {
    map = make_feature_map(spec, make_kernel(kernel_spec), d, D, seed);
  } catch (const std::invalid_argument& e) {
    r.error(std::string("the stored header does not describe a valid map: ") + e.what());
  }
  StatefulMap& state = stateful(*map, "FeatureMap::load()");
  state.set_encoding_version(version);
  state.load_state(r);
  if (r.remaining() != 0) r.error(std::to_string(r.remaining()) + " unexpected bytes after the map state");
  // State that is finite but corrupt (a pivot near 0, a huge scale) shows as
  // non-finite features: probe a few unit vectors, in both precisions, so a
  // bad file is refused here rather than predicting NaN later.
  if (map->is_fitted()) {
    const arma::uword d0 = map->input_dim();
    // Over 2^16 inputs the probes are sparse (e_0 and spread +-1/sqrt(k) on k
    // coordinates): three dense columns of d = 2^24 would be 400 MB.
    bool finite = true;
    if (d0 <= (arma::uword(1) << 16)) {
      arma::mat probe(d0, 3, arma::fill::zeros);
      probe(0, 0) = 1.0;
      probe.col(1).fill(1.0 / std::sqrt(static_cast<double>(d0)));
      probe.col(2).fill(-1.0 / std::sqrt(static_cast<double>(d0)));
      finite = map->transform(probe).is_finite() && map->transform(arma::conv_to<arma::fmat>::from(probe)).is_finite();
    } else {
      const arma::uword k = 256, stride = d0 / k;
      arma::sp_mat probe(d0, 3);
      probe(0, 0) = 1.0;
      for (arma::uword i = 0; i < k; ++i) {
        probe(i * stride, 1) = 1.0 / std::sqrt(static_cast<double>(k));
        probe(i * stride + stride / 2, 2) = -1.0 / std::sqrt(static_cast<double>(k));
      }
      finite = map->transform(probe).is_finite() && map->transform(to_float(probe)).is_finite();
    }
    if (!finite) r.error("the map's state gives non-finite features for a unit vector: the state is corrupt");
  }
  return map;
}

}  // namespace detail

void FeatureMap::save(std::ostream& out) const {
  detail::BinaryWriter w;
  detail::write_feature_map(*this, w);
  out.write(w.buffer().data(), static_cast<std::streamsize>(w.buffer().size()));
  if (!out) throw std::runtime_error("FeatureMap::save(): writing the stream failed");
}

std::unique_ptr<FeatureMap> FeatureMap::load(std::istream& in) {
  std::ostringstream all;
  if (in.peek() != std::char_traits<char>::eof()) all << in.rdbuf();  // bulk copy; `<<` of an empty rdbuf sets failbit
  const std::string data = all.str();
  return detail::read_feature_map(data.data(), data.size());
}

std::unique_ptr<FeatureMap> make_feature_map(const std::string& spec, const Kernel& kernel,
                                             arma::uword input_dim, arma::uword output_dim,
                                             std::uint64_t seed) {
  const std::string where = "make_feature_map()";
  if (input_dim == 0) detail::fail(where, "input_dim d must be >= 1, got 0");
  if (output_dim == 0) detail::fail(where, "output_dim D must be >= 1, got 0");
  if (output_dim > max_feature_map_output_dim)
    detail::fail(where, "output_dim D = " + std::to_string(output_dim) + " is more than the limit of " +
                            std::to_string(max_feature_map_output_dim) + " features");
  if (input_dim > max_feature_map_input_dim)
    detail::fail(where, "input_dim d = " + std::to_string(input_dim) + " is more than the limit of " +
                            std::to_string(max_feature_map_input_dim));
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  // Most maps hold O(D d) numbers of state (projections, padded signs):
  // refuse before generating it what memory cannot hold. TensorSketch holds
  // O(p) words (hash functions) and Taylor O(p d) per degree p, which the
  // input-dimension limit above bounds: sparse inputs with huge d need them.
  // Nystroem's landmarks come from the sample at fit(): dense d x D landmarks
  // are checked there, sparse ones take O(nnz).
  if (name != "tensorsketch" && name != "taylor" && name != "nystrom")
    require_memory(8.0 * static_cast<double>(output_dim) * static_cast<double>(input_dim), where,
                   "a map of d = " + std::to_string(input_dim) + " inputs to D = " + std::to_string(output_dim) +
                       " features (D x d doubles of random state)",
                   "use fewer features");
  const std::string options = colon == std::string::npos ? "" : spec.substr(colon + 1);
  for (const MapEntry& e : kMaps)
    if (name == e.name) return e.make(options, kernel, input_dim, output_dim, seed);
  detail::fail(where, "unknown feature map '" + spec + "'; expected one of " + feature_map_names());
}

std::string feature_map_names() {
  std::string s;
  for (const MapEntry& e : kMaps) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

}  // namespace deepdot
