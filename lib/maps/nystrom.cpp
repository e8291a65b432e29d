// "nystrom": landmark Nystroem features, the data-dependent baseline.
//
// fit() picks m = D landmarks L uniformly without replacement from the sample
// (seeded), computes K_mm = K(L, L) and its eigen-decomposition U diag(lambda) U',
// and keeps the whitening W = U diag(lambda^-1/2) U' over the eigenvalues above
// rcond * lambda_max (a pseudo-inverse square root: landmarks that are
// duplicates or span a finite-rank kernel's feature space make K_mm singular).
// Then phi(x) = W K(L, x), so phi(x)'phi(y) = K(x, L) K_mm^+ K(L, y), the
// projection of the kernel onto the span of the landmarks; it is exact when
// that span contains the feature images of x and y (e.g. landmarks = sample).
#include "registry.hpp"

#include "../binary_io.hpp"
#include "../check.hpp"

#include <deepdot/gram.hpp>
#include <deepdot/random.hpp>

#include <cmath>

namespace deepdot::detail {
namespace {

constexpr const char* kWhere = "make_feature_map()";
constexpr double kDefaultRcond = 1e-10;

class NystromMap final : public FeatureMap {
 public:
  NystromMap(const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed, double rcond)
      : FeatureMap(kernel, d, D, seed), rcond_(rcond) {}

  std::string spec() const override {
    return rcond_ == kDefaultRcond ? "nystrom" : "nystrom:" + format_double(rcond_);
  }

  /// sample: d x n with n >= D, unit ball. Picks D landmarks and whitens.
  void fit(const arma::mat& sample) override {
    FeatureMap::fit(sample);
    const arma::uword m = output_dim();
    if (sample.n_cols < m)
      fail("FeatureMap::fit() [" + spec() + "]",
           "the sample has " + std::to_string(sample.n_cols) + " points but Nystroem picks D = " +
               std::to_string(m) + " landmarks from it; fit on at least D points or lower D");
    Rng rng(seed(), 1);
    const arma::uvec perm = rng.permutation(sample.n_cols);
    arma::mat L = sample.cols(perm.head(m));
    arma::mat W = whitening(gram(kernel(), L), rcond_);
    landmarks_ = std::move(L);
    whitening_ = std::move(W);
    fitted_ = true;
  }

  bool is_fitted() const override { return fitted_; }

  // In double even for float input (see transform_impl below).
  std::vector<GemmShape> gemm_shapes() const override {
    if (!fitted_) return {};
    return {{output_dim(), input_dim(), false}, {output_dim(), output_dim(), false}};
  }

  void save_state(BinaryWriter& out) const override {
    out.u8(fitted_ ? 1 : 0);
    if (!fitted_) return;
    out.mat(landmarks_);
    out.mat(whitening_);
  }

  void load_state(BinaryReader& in) override {
    const std::uint8_t flag = in.u8("the Nystroem fitted flag");
    if (flag > 1) in.error("the Nystroem fitted flag is " + std::to_string(flag) + ", expected 0 or 1");
    if (flag == 0) {
      fitted_ = false;
      landmarks_.reset();
      whitening_.reset();
      return;
    }
    arma::mat L = in.mat<double>("the landmarks");
    if (L.n_rows != input_dim() || L.n_cols != output_dim())
      in.error("the landmarks are " + std::to_string(L.n_rows) + " x " + std::to_string(L.n_cols) + ", expected d x D = " +
               std::to_string(input_dim()) + " x " + std::to_string(output_dim()));
    if (!L.is_finite()) in.error("the landmarks have a non-finite entry");
    const double limit = unit_ball_tolerance<double>();
    for (arma::uword j = 0; j < L.n_cols; ++j)
      if (arma::norm(L.col(j)) > limit) in.error("landmark " + std::to_string(j) + " lies outside the unit ball");
    arma::mat W = in.mat<double>("the whitening matrix");
    if (W.n_rows != output_dim() || W.n_cols != output_dim())
      in.error("the whitening matrix is " + std::to_string(W.n_rows) + " x " + std::to_string(W.n_cols) +
               ", expected D x D = " + std::to_string(output_dim()) + " x " + std::to_string(output_dim()));
    if (!W.is_finite()) in.error("the whitening matrix has a non-finite entry");
    landmarks_ = std::move(L);
    whitening_ = std::move(W);
    fitted_ = true;
  }

 protected:
  /// X: d x n; returns D x n = W K(L, X). The float version is the default
  /// (through double): the whitening multiplies errors in K(L, X) by up to
  /// (rcond lambda_max)^-1/2, far beyond single precision.
  arma::mat transform_impl(const arma::mat& X) const override {
    // X was validated by transform(); gram() would check it again against the
    // double tolerance, which float input converted to double can exceed.
    arma::mat T = landmarks_.t() * X;
    kernel().apply_inplace(T);
    return whitening_ * T;
  }

 private:
  /// K: m x m symmetric PSD; returns U diag(lambda^-1/2) U' over lambda > rcond lambda_max.
  static arma::mat whitening(const arma::mat& K, double rcond) {
    arma::vec lambda;
    arma::mat U;
    if (!arma::eig_sym(lambda, U, 0.5 * (K + K.t())))
      throw std::runtime_error("nystrom map: the eigen-decomposition of K(L, L) failed");
    const double cut = rcond * std::max(lambda.max(), 0.0);
    arma::vec scale(lambda.n_elem, arma::fill::zeros);
    for (arma::uword i = 0; i < lambda.n_elem; ++i)
      if (lambda[i] > cut && lambda[i] > 0.0) scale[i] = 1.0 / std::sqrt(lambda[i]);
    return U * arma::diagmat(scale) * U.t();
  }

  double rcond_;
  bool fitted_ = false;
  arma::mat landmarks_;  // d x D
  arma::mat whitening_;  // D x D
};

}  // namespace

std::unique_ptr<FeatureMap> make_nystrom_map(const std::string& options, const Kernel& kernel, arma::uword d,
                                             arma::uword D, std::uint64_t seed) {
  double rcond = kDefaultRcond;
  if (!options.empty()) {
    const std::string spec = "'nystrom:" + options + "'";
    rcond = parse_double(options, kWhere, spec + ": the relative eigenvalue cut RCOND");
    if (!(rcond >= 0.0 && rcond < 1.0))
      fail(kWhere, spec + ": the relative eigenvalue cut RCOND must be in [0, 1), got " + format_double(rcond));
  }
  return std::make_unique<NystromMap>(kernel, d, D, seed, rcond);
}

}  // namespace deepdot::detail
