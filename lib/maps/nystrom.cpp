// SPDX-License-Identifier: MIT
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
//
// For large D the O(D^3) eigen-decomposition, with its large constant,
// dominates the fit (docs/performance.md), so from kCholeskyFrom landmarks on, or with the option "chol", the
// whitening is W = L^-1 with L L' = K_mm + eps I, eps = rcond * trace(K_mm)
// (>= rcond * lambda_max): one D^3 / 3 factorisation, and the transform
// solves L z = k(x) (TRSM, as cheap as a triangular product). W differs from the symmetric K_mm^-1/2 by an orthogonal factor,
// so phi(x)'phi(y), and every rotation-invariant learner (l2-regularised linear
// models), see the same kernel; only the treatment of the tiny eigenvalues
// differs (a ridge eps instead of a cut). Option "eig" forces the cut.
//
// Fitted on a sparse sample (fit_sparse()), the landmarks stay sparse: their
// compressed columns, O(nnz) however large d is (hashed text: d = 2^18 and
// more). K_mm and K(L, x) then come from sparse products
// (maps/sparse_landmarks.hpp); the whitening is the same.
#include "maps/stateful_map.hpp"
#include "maps/registry.hpp"
#include "maps/sparse_landmarks.hpp"

#include <deepdot/core/sparse.hpp>

#include "io/binary_io.hpp"
#include "core/check.hpp"

#include <deepdot/kernels/gram.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/util/memory.hpp>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace deepdot::detail {
namespace {

constexpr const char* kWhere = "make_feature_map()";
constexpr double kDefaultRcond = 1e-10;
constexpr arma::uword kCholeskyFrom = 2048;  // landmarks; below, eig is cheap enough (docs/performance.md)

enum class Whitening { automatic, eig, chol };

// The state's first byte: not fitted, fitted with the eigen whitening W, or
// fitted with the Cholesky factor L (then W = L^-1 is applied by solving).
// The factor is written as its packed lower triangle (kCholeskyPacked: half
// the bytes, 1 GiB less at D = 16,384); files with the full square
// (kCholesky, written before) are still read. Sparse landmarks (encoding
// version 3 on) have their own two flags: the eigen whitening or the packed
// Cholesky factor after the landmarks' compressed columns.
constexpr std::uint8_t kUnfitted = 0, kEigen = 1, kCholesky = 2, kCholeskyPacked = 3, kSparseEigen = 4,
                       kSparseCholeskyPacked = 5;
constexpr std::uint64_t kSparseFromVersion = 3;

bool lower_triangular(const arma::mat& A) {
  for (arma::uword j = 1; j < A.n_cols; ++j)
    for (arma::uword i = 0; i < j; ++i)
      if (A(i, j) != 0.0) return false;
  return true;
}

class NystromMap final : public StatefulMap {
 public:
  NystromMap(const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed, double rcond, Whitening how)
      : StatefulMap(kernel, d, D, seed), rcond_(rcond), how_(how) {}

  std::string spec() const override {
    std::string s = "nystrom";
    if (how_ == Whitening::eig) s += ":eig";
    if (how_ == Whitening::chol) s += ":chol";
    if (rcond_ != kDefaultRcond) s += ":" + format_double(rcond_);
    return s;
  }

  /// sample: d x n with n >= D, unit ball. Picks D landmarks and whitens.
  void fit(const arma::mat& sample) override {
    FeatureMap::fit(sample);
    const arma::uword m = output_dim();
    require_points(sample.n_cols);
    // The landmarks in double and in float.
    require_memory(12.0 * static_cast<double>(input_dim()) * static_cast<double>(m), "FeatureMap::fit() [" + spec() + "]",
                   "the d x D = " + std::to_string(input_dim()) + " x " + std::to_string(m) + " dense landmarks",
                   "use fewer features, or fit on the sparse form (fit_sparse()), which keeps the landmarks sparse");
    arma::mat L = sample.cols(landmark_indices(sample.n_cols));
    arma::mat K = gram(kernel(), L);
    arma::mat F;
    const std::uint8_t state = whitening(K, F);
    set_state(std::move(L), std::move(F), state);
  }

  bool is_fitted() const override { return state_ != kUnfitted; }
  arma::uword min_fit_points() const override { return output_dim(); }

  // In double even for float input (see transform_impl below).
  /// The kernel GEMM and the whitening. The Cholesky path (float) solves a
  /// triangular system: D^2 n flops, as many as a GEMM of inner size D / 2.
  /// With sparse landmarks the kernel product is not a GEMM: only the whitening.
  std::vector<GemmShape> gemm_shapes() const override {
    if (state_ == kUnfitted) return {};
    std::vector<GemmShape> shapes;
    if (state_ == kCholesky) {
      if (!sparse_) shapes.push_back({output_dim(), input_dim(), true});
      shapes.push_back({output_dim(), std::max<arma::uword>(1, output_dim() / 2), true});
      return shapes;
    }
    if (!sparse_) shapes.push_back({output_dim(), input_dim(), false});
    shapes.push_back({output_dim(), output_dim(), false});
    return shapes;
  }

  void save_state(BinaryWriter& out) const override {
    if (state_ == kUnfitted) {
      out.u8(kUnfitted);
      return;
    }
    if (sparse_) {
      out.u8(state_ == kCholesky ? kSparseCholeskyPacked : kSparseEigen);
      save_sparse_landmarks(out);
    } else {
      out.u8(state_ == kCholesky ? kCholeskyPacked : state_);
      out.mat(landmarks_);
    }
    if (state_ == kEigen) {
      out.mat(factor_);
      return;
    }
    // Column j of the lower triangle: rows j..D-1.
    const arma::uword D = factor_.n_rows;
    out.u64(D);
    for (arma::uword j = 0; j < D; ++j) out.f64s(factor_.colptr(j) + j, D - j);
  }

  void load_state(BinaryReader& in) override {
    const std::uint8_t flag = in.u8("the Nystroem fitted flag");
    const bool knows_sparse = encoding_version() >= kSparseFromVersion;
    if (flag > (knows_sparse ? kSparseCholeskyPacked : kCholeskyPacked))
      in.error("the Nystroem fitted flag is " + std::to_string(flag) +
               ", expected 0 (not fitted), 1 (eigen), 2 (Cholesky), 3 (Cholesky, packed)" +
               (knows_sparse ? std::string(", 4 (sparse landmarks, eigen) or 5 (sparse landmarks, Cholesky, packed)")
                             : " (encoding version " + std::to_string(encoding_version()) + " has no sparse landmarks)"));
    if (flag == kUnfitted) {
      state_ = kUnfitted;
      sparse_ = false;
      landmarks_.reset();
      factor_.reset();
      landmarks_f_.reset();
      factor_f_.reset();
      sparse_landmarks_.reset();
      by_feature_ = {};
      by_feature_f_ = {};
      return;
    }
    const bool sparse = flag == kSparseEigen || flag == kSparseCholeskyPacked;
    const bool eigen = flag == kEigen || flag == kSparseEigen;
    const bool packed = flag == kCholeskyPacked || flag == kSparseCholeskyPacked;
    arma::mat L;
    arma::sp_mat S;
    if (sparse) {
      S = load_sparse_landmarks(in);
    } else {
      L = in.mat<double>("the landmarks");
      if (L.n_rows != input_dim() || L.n_cols != output_dim())
        in.error("the landmarks are " + std::to_string(L.n_rows) + " x " + std::to_string(L.n_cols) +
                 ", expected d x D = " + std::to_string(input_dim()) + " x " + std::to_string(output_dim()));
      if (!L.is_finite()) in.error("the landmarks have a non-finite entry");
      const double limit = unit_ball_tolerance<double>();
      for (arma::uword j = 0; j < L.n_cols; ++j)
        if (arma::norm(L.col(j)) > limit) in.error("landmark " + std::to_string(j) + " lies outside the unit ball");
    }
    const std::string what = eigen ? "the whitening matrix" : "the Cholesky factor";
    arma::mat F;
    if (packed) {
      in.expect_u64(output_dim(), "the order of the packed Cholesky factor");
      const arma::uword D = output_dim();
      F.zeros(D, D);
      for (arma::uword j = 0; j < D; ++j) in.f64s(F.colptr(j) + j, D - j, "the packed Cholesky factor");
    } else {
      F = in.mat<double>(what.c_str());
    }
    if (F.n_rows != output_dim() || F.n_cols != output_dim())
      in.error(what + " is " + std::to_string(F.n_rows) + " x " + std::to_string(F.n_cols) + ", expected D x D = " +
               std::to_string(output_dim()) + " x " + std::to_string(output_dim()));
    if (!F.is_finite()) in.error(what + " has a non-finite entry");
    if (!eigen && (!lower_triangular(F) || !arma::all(F.diag() > 0.0)))
      in.error("the Cholesky factor is not lower triangular with a positive diagonal");
    if (sparse)
      set_sparse_state(std::move(S), std::move(F), eigen ? kEigen : kCholesky);
    else
      set_state(std::move(L), std::move(F), eigen ? kEigen : kCholesky);
  }

 protected:
  /// sample: d x n sparse with n >= D (checked: d rows, unit ball). The same
  /// landmarks as fit() of the densified sample, kept sparse.
  void fit_sparse_impl(const arma::sp_mat& sample) override {
    require_points(sample.n_cols);
    arma::sp_mat L = sparse_columns(sample, landmark_indices(sample.n_cols));
    // K_mm = L'L by the same accumulation as the transform: exactly symmetric.
    arma::mat K = LandmarksByFeature<double>(L).times_sparse(L);
    kernel().apply_inplace(K);
    arma::mat F;
    const std::uint8_t state = whitening(K, F);
    set_sparse_state(std::move(L), std::move(F), state);
  }

  /// X: d x n; returns D x n = W K(L, X). With the eigen whitening the float
  /// version goes through double: the cut can leave directions amplified by
  /// up to (rcond lambda_max)^-1/2, far beyond single precision.
  arma::mat transform_impl(const arma::mat& X) const override { return whiten(transform_raw_impl(X)); }
  // Sparse input: K(L, X) from the sparse x dense product (X'L)', O(nnz D),
  // or with sparse landmarks from the sparse x sparse accumulation.
  arma::mat transform_sparse_impl(const arma::sp_mat& X) const override { return whiten(transform_raw_sparse_impl(X)); }
  arma::fmat transform_sparse_impl(const arma::sp_fmat& X) const override {
    if (state_ != kCholesky) return arma::conv_to<arma::fmat>::from(transform_sparse_impl(to_double(X)));
    return whiten(transform_raw_sparse_impl(X));
  }
  arma::mat transform_raw_sparse_impl(const arma::sp_mat& X) const override {
    return sparse_ ? kernel_of(by_feature_.times_sparse(X)) : raw_sparse(X, landmarks_);
  }
  arma::fmat transform_raw_sparse_impl(const arma::sp_fmat& X) const override {
    return sparse_ ? kernel_of(by_feature_f_.times_sparse(X)) : raw_sparse(X, landmarks_f_);
  }

  /// W T for raw features T (D x n) in double.
  arma::mat whiten(arma::mat T) const {
    if (state_ == kEigen) return factor_ * T;
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, to_blas(T.n_rows),
                to_blas(T.n_cols), 1.0, factor_.memptr(), to_blas(factor_.n_rows), T.memptr(), to_blas(T.n_rows));
    return T;
  }

  /// The Cholesky path runs in single precision throughout (SGEMM, STRSM: the
  /// D^2 n solve dominates): its ridge eps bounds the amplification by eps^-1/2.
  arma::fmat transform_impl(const arma::fmat& X) const override {
    if (state_ != kCholesky) return FeatureMap::transform_impl(X);
    return whiten(transform_raw_impl(X));
  }

  /// L^-1 T in float (Cholesky whitening only).
  arma::fmat whiten(arma::fmat T) const {
    cblas_strsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, to_blas(T.n_rows),
                to_blas(T.n_cols), 1.0f, factor_f_.memptr(), to_blas(factor_f_.n_rows), T.memptr(), to_blas(T.n_rows));
    return T;
  }

 public:
  /// With the Cholesky whitening phi(x) = L^-1 K(L, x): W' phi(x) = (L^-T W)' K(L, x).
  /// The eigen whitening is not offered: its cut may amplify rounding in
  /// K(L, x) by (rcond lambda_max)^-1/2, which only a double W K(L, x) keeps small.
  bool has_linear_tail() const override { return state_ == kCholesky; }

 protected:
  /// K(L, X): D x n. X was validated by transform(); gram() would check it
  /// again against the double tolerance, which float input converted to
  /// double can exceed.
  arma::mat transform_raw_impl(const arma::mat& X) const override {
    if (sparse_) return kernel_of(by_feature_.times_dense(X));
    arma::mat T = landmarks_.t() * X;
    kernel().apply_inplace(T);
    return T;
  }

  arma::fmat transform_raw_impl(const arma::fmat& X) const override {
    if (sparse_) return kernel_of(by_feature_f_.times_dense(X));
    arma::fmat T = landmarks_f_.t() * X;
    kernel().apply_inplace(T);
    return T;
  }

  template <typename eT>
  arma::Mat<eT> raw_sparse(const arma::SpMat<eT>& X, const arma::Mat<eT>& L) const {
    const arma::SpMat<eT> Xt = X.t();
    arma::Mat<eT> T = arma::Mat<eT>(Xt * L).t();
    kernel().apply_inplace(T);
    return T;
  }

  template <typename eT>
  arma::Mat<eT> kernel_of(arma::Mat<eT> T) const {
    kernel().apply_inplace(T);
    return T;
  }

  /// L^-T W by one triangular solve in double (D^2 k flops).
  arma::mat fold_weights_impl(const arma::mat& W) const override {
    arma::mat V = W;
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, to_blas(V.n_rows), to_blas(V.n_cols),
                1.0, factor_.memptr(), to_blas(factor_.n_rows), V.memptr(), to_blas(V.n_rows));
    return V;
  }

 private:
  static blasint to_blas(arma::uword v) { return static_cast<blasint>(v); }

  void require_points(arma::uword n) const {
    if (n < output_dim())
      fail("FeatureMap::fit() [" + spec() + "]",
           "the sample has " + std::to_string(n) + " points but Nystroem picks D = " + std::to_string(output_dim()) +
               " landmarks from it; fit on at least D points or lower D");
  }

  /// The D sample columns that become the landmarks (seeded): the same for
  /// the dense and the sparse fit.
  arma::uvec landmark_indices(arma::uword n) const {
    Rng rng(seed(), 1);
    return rng.permutation(n).head(output_dim());
  }

  /// F and the state for K = K(L, L) (which it may change; D x D).
  std::uint8_t whitening(arma::mat& K, arma::mat& F) const {
    const bool chol = how_ == Whitening::chol || (how_ == Whitening::automatic && output_dim() >= kCholeskyFrom);
    if (chol && cholesky_factor(K, rcond_, F)) return kCholesky;
    F = eig_whitening(K, rcond_);
    return kEigen;
  }

  void set_state(arma::mat L, arma::mat F, std::uint8_t state) {
    landmarks_f_ = arma::conv_to<arma::fmat>::from(L);
    factor_f_ = state == kCholesky ? arma::conv_to<arma::fmat>::from(F) : arma::fmat();
    landmarks_ = std::move(L);
    factor_ = std::move(F);
    sparse_landmarks_.reset();
    by_feature_ = {};
    by_feature_f_ = {};
    sparse_ = false;
    state_ = state;
  }

  void set_sparse_state(arma::sp_mat L, arma::mat F, std::uint8_t state) {
    by_feature_ = LandmarksByFeature<double>(L);
    by_feature_f_ = LandmarksByFeature<float>(L);
    factor_f_ = state == kCholesky ? arma::conv_to<arma::fmat>::from(F) : arma::fmat();
    sparse_landmarks_ = std::move(L);
    factor_ = std::move(F);
    landmarks_.reset();
    landmarks_f_.reset();
    sparse_ = true;
    state_ = state;
  }

  /// d, D, nnz, then the compressed columns: D + 1 column starts, nnz row
  /// indices (ascending in each column), nnz values.
  void save_sparse_landmarks(BinaryWriter& out) const {
    const arma::sp_mat& L = sparse_landmarks_;
    L.sync();
    out.u64(L.n_rows);
    out.u64(L.n_cols);
    out.u64(L.n_nonzero);
    for (arma::uword j = 0; j <= L.n_cols; ++j) out.u64(L.col_ptrs[j]);
    for (arma::uword k = 0; k < L.n_nonzero; ++k) out.u64(L.row_indices[k]);
    out.f64s(L.values, L.n_nonzero);
  }

  arma::sp_mat load_sparse_landmarks(BinaryReader& in) const {
    in.expect_u64(input_dim(), "the sparse landmarks' row count (d)");
    in.expect_u64(output_dim(), "the sparse landmarks' column count (D)");
    const std::uint64_t nnz = in.u64("the sparse landmarks' nonzero count");
    // Every entry takes 16 bytes (index, value) and the column starts 8 (D + 1).
    if (nnz > in.remaining() / 16)
      in.error("the sparse landmarks claim " + std::to_string(nnz) + " nonzeros, more than the " +
               std::to_string(in.remaining()) + " bytes left hold");
    const arma::uword D = output_dim(), d = input_dim();
    arma::uvec ptrs(D + 1), rows(nnz);
    arma::vec values(nnz);
    for (arma::uword j = 0; j <= D; ++j) ptrs[j] = in.u64("the sparse landmarks' column starts");
    if (ptrs[0] != 0 || ptrs[D] != nnz)
      in.error("the sparse landmarks' column starts run from " + std::to_string(ptrs[0]) + " to " +
               std::to_string(ptrs[D]) + ", expected 0 to nnz = " + std::to_string(nnz));
    for (arma::uword j = 0; j < D; ++j)
      if (ptrs[j + 1] < ptrs[j])
        in.error("the sparse landmarks' column starts decrease at landmark " + std::to_string(j));
    for (arma::uword k = 0; k < nnz; ++k) rows[k] = in.u64("the sparse landmarks' row indices");
    in.f64s(values.memptr(), nnz, "the sparse landmarks' values");
    const double limit = unit_ball_tolerance<double>();
    for (arma::uword j = 0; j < D; ++j) {
      double norm2 = 0.0;
      for (arma::uword k = ptrs[j]; k < ptrs[j + 1]; ++k) {
        if (rows[k] >= d)
          in.error("landmark " + std::to_string(j) + " has row index " + std::to_string(rows[k]) + ", not below d = " +
                   std::to_string(d));
        if (k > ptrs[j] && rows[k] <= rows[k - 1])
          in.error("landmark " + std::to_string(j) + "'s row indices are not strictly ascending (" +
                   std::to_string(rows[k - 1]) + " then " + std::to_string(rows[k]) + ")");
        if (!std::isfinite(values[k]))
          in.error("landmark " + std::to_string(j) + " has a non-finite value at row " + std::to_string(rows[k]));
        if (values[k] == 0.0)
          in.error("landmark " + std::to_string(j) + " stores a zero at row " + std::to_string(rows[k]));
        norm2 += values[k] * values[k];
      }
      if (std::sqrt(norm2) > limit) in.error("landmark " + std::to_string(j) + " lies outside the unit ball");
    }
    return arma::sp_mat(rows, ptrs, values, d, D);  // no stored zeros (refused above), so nothing is dropped
  }

  /// C lower with C C' = K + eps I, eps = rcond trace(K) (with a floor that
  /// keeps the pivots away from rounding level). False if the factorisation
  /// fails anyway; the caller then falls back to the eigen cut.
  static bool cholesky_factor(arma::mat& K, double rcond, arma::mat& C) {
    // The ridge goes onto K in place (at D = 16,384 a D x D copy is 2 GiB)
    // and comes off again if the factorisation fails (chol() leaves K as it was).
    const double eps = std::max(rcond, 1e-12) * arma::trace(K);
    K.diag() += eps;
    if (!arma::chol(C, K, "lower") || !C.is_finite()) {
      K.diag() -= eps;
      return false;
    }
    for (arma::uword j = 1; j < C.n_cols; ++j)  // exact zeros above the diagonal, as the loader checks
      std::fill(C.colptr(j), C.colptr(j) + j, 0.0);
    return true;
  }

  /// K: m x m symmetric PSD; returns U diag(lambda^-1/2) U' over lambda > rcond lambda_max.
  static arma::mat eig_whitening(const arma::mat& K, double rcond) {
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
  Whitening how_;
  std::uint8_t state_ = kUnfitted;  // kUnfitted, kEigen or kCholesky (the file's packing and sparsity aside)
  bool sparse_ = false;             // the landmarks are sparse_landmarks_ (fit_sparse()) rather than landmarks_
  arma::mat landmarks_;  // d x D (dense landmarks)
  arma::mat factor_;     // D x D: the whitening W (eigen) or the Cholesky factor (lower)
  arma::fmat landmarks_f_, factor_f_;  // float copies for the float transform (Cholesky path)
  arma::sp_mat sparse_landmarks_;      // d x D compressed columns (sparse landmarks), as written to files
  LandmarksByFeature<double> by_feature_;  // the same by feature, for the products
  LandmarksByFeature<float> by_feature_f_;
};

}  // namespace

std::unique_ptr<FeatureMap> make_nystrom_map(const std::string& options, const Kernel& kernel, arma::uword d,
                                             arma::uword D, std::uint64_t seed) {
  double rcond = kDefaultRcond;
  Whitening how = Whitening::automatic;
  std::string rest = options;
  const std::string spec = "'nystrom:" + options + "'";
  for (const char* word : {"eig", "chol"})
    if (rest == word || rest.rfind(std::string(word) + ":", 0) == 0) {
      how = rest[0] == 'e' ? Whitening::eig : Whitening::chol;
      rest = rest.size() > std::strlen(word) ? rest.substr(std::strlen(word) + 1) : "";
      if (rest.empty() && options.size() > std::strlen(word)) fail(kWhere, spec + ": RCOND is empty");
      break;
    }
  if (!rest.empty()) {
    rcond = parse_double(rest, kWhere, spec + ": the relative eigenvalue cut RCOND");
    if (!(rcond >= 0.0 && rcond < 1.0))
      fail(kWhere, spec + ": the relative eigenvalue cut RCOND must be in [0, 1), got " + format_double(rcond));
  }
  return std::make_unique<NystromMap>(kernel, d, D, seed, rcond, how);
}

}  // namespace deepdot::detail
