// SPDX-License-Identifier: MIT
// "fourier": spectral features of the recursive kernel from its mixture
// representation (docs/theory.md, sections 2.3 and 5.7).
//
// With r = k/(k+1):  f_k(t) = (k-1)/k + 1/(k(k+1)) * 1/(1 - r t)  and
// 1/(1 - r t) = int_0^inf e^-s e^{s r t} ds. Drawing s from the density
// p(s) = e^{-s/(k+1)}/(k+1) (exponential, mean k+1) gives the importance weight
// e^-s / p(s) = (k+1) e^{-s r}, hence
//   1/(k(k+1)) * 1/(1 - r t) = E_s[ (1/k) e^{-s r} e^{s r <x,y>} ].
// For ||x||, ||y|| <= 1,
//   e^{-s r} e^{s r <x,y>} = e^{-s r (1-|x|^2)/2} e^{-s r (1-|y|^2)/2} e^{-s r |x-y|^2/2},
// and the last factor is the Gaussian kernel E_w[cos(w'(x-y))], w ~ N(0, s r I).
// Each of the M frequencies (s_j, w_j) therefore contributes the unbiased term
//   (1/(k M)) e_j(x) e_j(y) cos(w_j'(x-y)),   e_j(x) = exp(-s_j r (1-|x|^2)/2) <= 1,
// which is the inner product of the pair (cos w_j'x, sin w_j'x) scaled by
// sqrt(1/(kM)) e_j(x) ("pair" form), or, in expectation over a random phase
// b_j ~ U[0, 2 pi), of sqrt(2/(kM)) e_j(x) cos(w_j'x + b_j) ("phase" form).
// At t = 1 the weight matches p(s) exactly, so the s-part has no variance on
// the diagonal; every feature is bounded, so the error falls like 1/sqrt(D)
// at any depth.
//
// Variance reduction (options):
//  * pair (default) vs phase: the pair form removes the phase noise; at equal
//    D it uses half as many frequencies and still wins. Measured on the first
//    2,000 unit-norm Fashion-MNIST training images, D = 4,096, mean of 3 seeds,
//    ||K - Z'Z||_F / ||K - a_0||_F for k = 1, 2, 4:
//      pair+stratified (default) 0.036 0.040 0.050;  orf 0.024 0.030 0.044;
//      phase 0.055 0.050 0.055;  phase+mc (the plain Monte Carlo form) 0.064 0.050 0.059.
//  * stratified s (default) vs "mc": frequency j draws s_j from the j-th of M
//    equal-probability strata of the exponential distribution; each stratum
//    has probability 1/M, so the average stays unbiased.
//  * orf: directions in blocks of d orthonormal vectors (QR of a Gaussian
//    matrix, Haar distributed), norms from the chi_d distribution, so each w_j
//    keeps its N(0, s_j r I) marginal while the directions repel. Not the
//    default: the QR goes through LAPACK, so the same seed may give last-bit
//    different W on another machine (a saved map still restores bit-exactly),
//    and building costs O(d^2 D).
#include "maps/stateful_map.hpp"
#include "maps/registry.hpp"

#include "maps/numeric/fastmath.hpp"

#include "io/binary_io.hpp"
#include "core/check.hpp"
#include "core/threads.hpp"

#include <deepdot/core/random.hpp>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <thread>
#include <vector>

namespace deepdot::detail {
namespace {

// The float path's elementwise part, for one point: on entry zs[j] holds the
// projection p_j = w_j'x; on return z_cos[j] = scale e_j cos p_j and
// z_sin[j] = scale e_j sin p_j with e_j = exp(-c_j q), j < m. The projection
// is read and overwritten in place (it lives in the feature column itself,
// so no M x b projection matrix is held beside the features). The std
// functions do not vectorise and made this part cost more than the GEMM
// before it (docs/performance.md); written with the branch-free functions of
// fastmath.hpp the loop vectorises.
inline void pair_features_body(const float* __restrict c, double q, double scale, float* __restrict zc,
                               float* __restrict zs, std::size_t m, bool small) {
  if (small) {
    // Every c_j q <= 0.01 (unit-norm data: q is rounding noise): a quartic
    // gives exp(-t) to 1e-12, and is cheaper than the general exp. With every
    // |p_j| in range, everything runs in float (twice the lanes).
    float big = 0.0f;
    for (std::size_t j = 0; j < m; ++j) big = std::max(big, std::abs(zs[j]));
    if (big <= kFastSincosfLimit) {
      const float qf = static_cast<float>(q), sf = static_cast<float>(scale);
      for (std::size_t j = 0; j < m; ++j) {
        const float t = c[j] * qf;
        const float e = sf * (1.0f - t * (1.0f - t * (0.5f - t * (1.0f / 6 - t * (1.0f / 24)))));
        float sn, cs;
        fast_sincosf(zs[j], sn, cs);
        zc[j] = e * cs;
        zs[j] = e * sn;
      }
      return;
    }
    for (std::size_t j = 0; j < m; ++j) {
      const double t = c[j] * q;
      const double e = 1.0 - t * (1.0 - t * (0.5 - t * (1.0 / 6 - t * (1.0 / 24))));
      double sn, cs;
      fast_sincos(zs[j], sn, cs);
      zc[j] = static_cast<float>(scale * e * cs);
      zs[j] = static_cast<float>(scale * e * sn);
    }
    return;
  }
  for (std::size_t j = 0; j < m; ++j) {
    const double e = fast_exp_neg(c[j] * q);
    double sn, cs;
    fast_sincos(zs[j], sn, cs);
    zc[j] = static_cast<float>(scale * e * cs);
    zs[j] = static_cast<float>(scale * e * sn);
  }
}

// Compiled for AVX2 + FMA (twice the vector width of the x86-64 baseline) and
// for the baseline; pair_features() picks one at run time.
__attribute__((target("avx2,fma"))) void pair_features_avx2(const float* c, double q, double scale, float* zc,
                                                            float* zs, std::size_t m, bool small) {
  pair_features_body(c, q, scale, zc, zs, m, small);
}
void pair_features_base(const float* c, double q, double scale, float* zc, float* zs, std::size_t m, bool small) {
  pair_features_body(c, q, scale, zc, zs, m, small);
}
void pair_features(const float* c, double q, double scale, float* zc, float* zs, std::size_t m, bool small) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  (avx2 ? pair_features_avx2 : pair_features_base)(c, q, scale, zc, zs, m, small);
}

constexpr double kTwoPi = 6.283185307179586476925286766559;
constexpr const char* kWhere = "make_feature_map()";

struct FourierOptions {
  bool orf = false;        ///< orthogonal directions
  bool pair = true;        ///< cos/sin pairs instead of a random phase
  bool stratified = true;  ///< stratified draws of the mixture variable s
};

FourierOptions parse_options(const std::string& options) {
  FourierOptions o;
  bool seen_dir = false, seen_form = false, seen_s = false;
  std::stringstream ss(options);
  std::string tok;
  if (options.empty()) return o;
  while (std::getline(ss, tok, ',')) {
    auto once = [&](bool& seen) {
      if (seen) fail(kWhere, "'fourier:" + options + "': option '" + tok + "' conflicts with an earlier one");
      seen = true;
    };
    if (tok == "orf" || tok == "iid") {
      once(seen_dir);
      o.orf = tok == "orf";
    } else if (tok == "pair" || tok == "phase") {
      once(seen_form);
      o.pair = tok == "pair";
    } else if (tok == "stratified" || tok == "mc") {
      once(seen_s);
      o.stratified = tok == "stratified";
    } else {
      fail(kWhere, "'fourier:" + options + "': unknown option '" + tok +
                       "'; expected a comma-separated subset of orf|iid, pair|phase, stratified|mc");
    }
  }
  if (!options.empty() && options.back() == ',') fail(kWhere, "'fourier:" + options + "': empty option");
  return o;
}

class FourierMap final : public StatefulMap {
 public:
  FourierMap(const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed, FourierOptions opt)
      : StatefulMap(kernel, d, D, seed), opt_(opt) {
    const double k = static_cast<double>(kernel.integer_parameter());
    r_ = k / (k + 1.0);
    constant_ = kernel.integer_parameter() >= 2;
    const arma::uword random_dim = D - (constant_ ? 1 : 0);
    pairs_ = opt_.pair ? random_dim / 2 : 0;
    singles_ = random_dim - 2 * pairs_;
    frequencies_ = pairs_ + singles_;
    draw(seed);
    finish();
  }

  std::string spec() const override {
    std::string s;
    if (opt_.orf) s += ",orf";
    if (!opt_.pair) s += ",phase";
    if (!opt_.stratified) s += ",mc";
    return s.empty() ? "fourier" : "fourier:" + s.substr(1);
  }

  std::vector<GemmShape> gemm_shapes() const override { return {{frequencies_, input_dim(), true}}; }

  void save_state(BinaryWriter& out) const override {
    out.u64(frequencies_);
    out.mat(s_);
    out.mat(W_);
    out.mat(b_);
  }

  void load_state(BinaryReader& in) override {
    in.expect_u64(frequencies_, "the number of frequencies");
    arma::mat s = in.mat<double>("the mixture variables s");
    arma::mat W = in.mat<double>("the frequency matrix W");
    arma::mat b = in.mat<double>("the phases b");
    if (s.n_rows != frequencies_ || s.n_cols != 1)
      in.error("the mixture variables have shape " + shape(s) + ", expected " + std::to_string(frequencies_) + " x 1");
    if (W.n_rows != input_dim() || W.n_cols != frequencies_)
      in.error("the frequency matrix has shape " + shape(W) + ", expected " + std::to_string(input_dim()) + " x " +
               std::to_string(frequencies_));
    if (b.n_rows != frequencies_ || b.n_cols != 1)
      in.error("the phases have shape " + shape(b) + ", expected " + std::to_string(frequencies_) + " x 1");
    for (double v : s)
      if (!(v > 0.0) || !std::isfinite(v)) in.error("a mixture variable s is " + format_double(v) + ", not in (0, inf)");
    if (!W.is_finite()) in.error("the frequency matrix has a non-finite entry");
    for (double v : b)
      if (!(v >= 0.0 && v < kTwoPi)) in.error("a phase is " + format_double(v) + ", not in [0, 2 pi)");
    s_ = std::move(s);
    W_ = std::move(W);
    b_ = std::move(b);
    finish();
  }

 protected:
  arma::mat transform_impl(const arma::mat& X) const override { return features(X, W_, c_, b_); }
  arma::fmat transform_impl(const arma::fmat& X) const override {
    // The fast elementwise path needs every c_j q <= 700 (fast_exp_neg's range; q <= 1).
    if (!opt_.pair || cmax_ > 700.0) return features(X, float_frequencies(), cf_, bf_);
    return features_fast(X);
  }
  // Sparse input: the projection W'X is a sparse x dense product, (X'W)',
  // O(nnz M); the elementwise part needs only the column norms.
  arma::mat transform_sparse_impl(const arma::sp_mat& X) const override {
    return features_from(project(X, W_), sparse_squared_norms(X), c_, b_);
  }
  arma::fmat transform_sparse_impl(const arma::sp_fmat& X) const override {
    const arma::fmat P = project(X, float_frequencies());
    if (!opt_.pair || cmax_ > 700.0) return features_from(P, sparse_squared_norms(X), cf_, bf_);
    arma::fmat Z(output_dim(), X.n_cols);
    Z.rows(projection_row(), output_dim() - 1) = P;
    fill_fast(Z, sparse_squared_norms(X));
    return Z;
  }

 private:
  static std::string shape(const arma::mat& M) {
    return std::to_string(M.n_rows) + " x " + std::to_string(M.n_cols);
  }

  /// Draws s (M), W (d x M) and the phases of the single features.
  void draw(std::uint64_t seed) {
    const arma::uword d = input_dim(), M = frequencies_;
    const double mean = 1.0 / (1.0 - r_);  // k + 1
    Rng rng_s(seed, 1), rng_w(seed, 2), rng_b(seed, 3);
    s_.set_size(M, 1);
    if (opt_.stratified) {
      // Stratum j of Exp(mean): quantiles (j + u)/M; a random permutation
      // decouples strata from the position (pairs first, singles last, ORF
      // blocks), which keeps every partial structure unbiased too.
      const arma::uvec perm = rng_s.permutation(M);
      for (arma::uword j = 0; j < M; ++j) {
        const double u = (static_cast<double>(perm[j]) + rng_s.uniform_positive()) / static_cast<double>(M);
        s_[j] = -mean * std::log1p(-u);
        if (!(s_[j] > 0.0)) s_[j] = std::numeric_limits<double>::min();
      }
    } else {
      for (arma::uword j = 0; j < M; ++j) s_[j] = rng_s.exponential(mean);
    }
    W_.set_size(d, M);
    if (opt_.orf) {
      for (arma::uword j0 = 0; j0 < M; j0 += d) {
        const arma::uword cols = std::min(d, M - j0);
        // d x cols Gaussian: its Q factor is the first cols columns of a Haar
        // orthogonal matrix, so a partial last block costs only what it uses.
        const arma::mat G = rng_w.normal_matrix(d, cols);
        arma::mat Q, R;
        if (!arma::qr_econ(Q, R, G)) throw std::runtime_error("fourier map: QR of a Gaussian matrix failed");
        for (arma::uword j = 0; j < cols; ++j) {
          // Sign fix makes Q Haar distributed; the chi_d norm restores the
          // Gaussian length of each direction.
          const double sign = R(j, j) < 0.0 ? -1.0 : 1.0;
          double chi2 = 0.0;
          for (arma::uword i = 0; i < d; ++i) {
            const double g = rng_w.normal();
            chi2 += g * g;
          }
          W_.col(j0 + j) = (sign * std::sqrt(chi2 * s_[j0 + j] * r_)) * Q.col(j);
        }
      }
    } else {
      for (arma::uword j = 0; j < M; ++j) {
        const double scale = std::sqrt(s_[j] * r_);
        for (arma::uword i = 0; i < d; ++i) W_(i, j) = scale * rng_w.normal();
      }
    }
    b_.zeros(M, 1);
    for (arma::uword j = pairs_; j < M; ++j) b_[j] = kTwoPi * rng_b.uniform();
  }

  /// Derived quantities from (s, W, b): decay rates and float copies of the
  /// O(M) vectors. W itself is kept in double only (what is saved); the
  /// float paths convert it when they use it (project_into(): a block at a
  /// time), so a float run does not hold the d x M matrix twice.
  void finish() {
    const double k = static_cast<double>(kernel().integer_parameter());
    c_ = 0.5 * r_ * s_;
    cf_ = arma::conv_to<arma::fmat>::from(c_);
    cmax_ = c_.is_empty() ? 0.0 : static_cast<double>(cf_.max());
    bf_ = arma::conv_to<arma::fmat>::from(b_);
    const double M = static_cast<double>(frequencies_);
    pair_scale_ = std::sqrt(1.0 / (k * M));
    single_scale_ = std::sqrt(2.0 / (k * M));
    const0_ = std::sqrt((k - 1.0) / k);
  }

  /// W in float, whole (the paths other than the dense pair path).
  arma::fmat float_frequencies() const { return arma::conv_to<arma::fmat>::from(W_); }

  /// The first row of the projections in a feature column during the fast
  /// path: the sine half and the single features are its last M rows.
  arma::uword projection_row() const { return (constant_ ? 1 : 0) + pairs_; }

  /// Float path for cos/sin pairs: the projection W'X by SGEMM straight into
  /// the last M rows of Z, then the vectorised elementwise part in place,
  /// with the points split over the cores. Beside Z and X it holds one
  /// d x 256 float block of W.
  arma::fmat features_fast(const arma::fmat& X) const {
    arma::vec sq(X.n_cols);
    for (arma::uword i = 0; i < X.n_cols; ++i) {
      double v = 0.0;
      for (arma::uword l = 0; l < X.n_rows; ++l) v += static_cast<double>(X(l, i)) * X(l, i);
      sq[i] = v;
    }
    arma::fmat Z(output_dim(), X.n_cols);
    project_into(X, Z);
    fill_fast(Z, sq);
    return Z;
  }

  /// Rows [projection_row(), D) of Z = W'X in float, for blocks of 256
  /// frequencies (a remainder under 64 joins the last block). Each block is
  /// one SGEMM of that block of W (converted to float here) with ldc = D;
  /// every entry is the same dot product as in one whole SGEMM. The shapes
  /// for which Armadillo would not call SGEMM (one point: GEMV; d <= 4: its
  /// own small kernels) go through Armadillo as before.
  void project_into(const arma::fmat& X, arma::fmat& Z) const {
    constexpr arma::uword kBlock = 256;
    const arma::uword d = input_dim(), M = frequencies_, n = X.n_cols, r0 = projection_row();
    for (arma::uword j0 = 0; j0 < M;) {
      const arma::uword j1 = M - j0 < kBlock + 64 ? M : j0 + kBlock;
      const arma::fmat Wb = arma::conv_to<arma::fmat>::from(W_.cols(j0, j1 - 1));
      if (n == 1 || d <= 4 || j1 - j0 == 1) {
        Z.submat(r0 + j0, 0, r0 + j1 - 1, n - 1) = Wb.t() * X;
      } else {
        cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, static_cast<blasint>(j1 - j0), static_cast<blasint>(n),
                    static_cast<blasint>(d), 1.0f, Wb.memptr(), static_cast<blasint>(d), X.memptr(),
                    static_cast<blasint>(d), 0.0f, Z.memptr() + r0 + j0, static_cast<blasint>(Z.n_rows));
      }
      j0 = j1;
    }
  }

  /// P = W'X (M x n), computed as (X'W)' for sparse X: the transposed sparse
  /// matrix times the dense d x M frequencies.
  template <typename eT>
  static arma::Mat<eT> project(const arma::SpMat<eT>& X, const arma::Mat<eT>& W) {
    const arma::SpMat<eT> Xt = X.t();
    return arma::Mat<eT>(Xt * W).t();
  }

  /// |x_i|^2 of every column of sparse X, summed in the element type as features() does.
  template <typename eT>
  static arma::Col<eT> sparse_squared_norms(const arma::SpMat<eT>& X) {
    X.sync();
    arma::Col<eT> sq(X.n_cols);
    for (arma::uword i = 0; i < X.n_cols; ++i) {
      eT v = 0;
      for (arma::uword k = X.col_ptrs[i]; k < X.col_ptrs[i + 1]; ++k) v += X.values[k] * X.values[k];
      sq[i] = v;
    }
    return sq;
  }

  /// The fast float path's elementwise part: Z (D x n) holds the projections
  /// in its last M rows (projection_row()) and gets the features in place.
  template <typename SqVec>
  void fill_fast(arma::fmat& Z, const SqVec& sqv) const {
    const arma::uword n = Z.n_cols;
    const arma::uword off = constant_ ? 1 : 0;
    auto work = [&](arma::uword c0, arma::uword c1) {
      for (arma::uword i = c0; i < c1; ++i) {
        const double sq = static_cast<double>(sqv[i]);
        const double q = std::max(0.0, 1.0 - sq);
        float* z = Z.colptr(i);
        if (constant_) z[0] = static_cast<float>(const0_);
        pair_features(cf_.memptr(), q, pair_scale_, z + off, z + off + pairs_, pairs_, cmax_ * q <= 0.01);
        // The odd feature left over when D - constant is odd: a random phase
        // (its projection sits in the slot it overwrites).
        for (arma::uword j = pairs_; j < frequencies_; ++j) {
          float& slot = z[off + pairs_ + j];
          slot = static_cast<float>(single_scale_ * std::exp(-cf_[j] * q) * std::cos(slot + bf_[j]));
        }
      }
    };
    const arma::uword threads = worker_threads(n / 32);
    const arma::uword chunk = (n + threads - 1) / threads;
    std::vector<std::thread> pool;
    for (arma::uword c0 = chunk; c0 < n; c0 += chunk) pool.emplace_back(work, c0, std::min(n, c0 + chunk));
    work(0, std::min(n, chunk));
    for (std::thread& t : pool) t.join();
  }

  /// X: d x n; returns D x n. One GEMM W'X, then elementwise exp/cos/sin in eT.
  template <typename eT>
  arma::Mat<eT> features(const arma::Mat<eT>& X, const arma::Mat<eT>& W, const arma::Mat<eT>& c,
                         const arma::Mat<eT>& b) const {
    arma::Col<eT> sq(X.n_cols);
    for (arma::uword i = 0; i < X.n_cols; ++i) {
      eT v = 0;
      for (arma::uword l = 0; l < X.n_rows; ++l) v += X(l, i) * X(l, i);
      sq[i] = v;
    }
    return features_from(arma::Mat<eT>(W.t() * X), sq, c, b);
  }

  /// Features from the projection P = W'X (M x n) and the squared norms |x_i|^2.
  template <typename eT>
  arma::Mat<eT> features_from(const arma::Mat<eT>& P, const arma::Col<eT>& sqv, const arma::Mat<eT>& c,
                              const arma::Mat<eT>& b) const {
    const arma::uword n = P.n_cols;
    arma::Mat<eT> Z(output_dim(), n);
    const arma::uword off = constant_ ? 1 : 0;
    if (constant_) Z.row(0).fill(static_cast<eT>(const0_));
    const eT ps = static_cast<eT>(pair_scale_), ss = static_cast<eT>(single_scale_);
    std::vector<eT> e(frequencies_);
    for (arma::uword i = 0; i < n; ++i) {
      // 1 - |x|^2 >= 0 in exact arithmetic; clamp the rounding of unit vectors.
      const eT q = std::max(eT(0), eT(1) - sqv[i]);
      if (q == eT(0)) std::fill(e.begin(), e.end(), eT(1));
      else
        for (arma::uword j = 0; j < frequencies_; ++j) e[j] = std::exp(-c[j] * q);
      const eT* p = P.colptr(i);
      eT* z = Z.colptr(i) + off;
      for (arma::uword j = 0; j < pairs_; ++j) {
        const eT a = ps * e[j];
        z[j] = a * std::cos(p[j]);
        z[pairs_ + j] = a * std::sin(p[j]);
      }
      for (arma::uword j = pairs_; j < frequencies_; ++j) z[pairs_ + j] = ss * e[j] * std::cos(p[j] + b[j]);
    }
    return Z;
  }

  FourierOptions opt_;
  double r_ = 0.0;
  bool constant_ = false;
  arma::uword pairs_ = 0, singles_ = 0, frequencies_ = 0;
  arma::mat s_, W_, b_, c_;
  arma::fmat bf_, cf_;
  double pair_scale_ = 0.0, single_scale_ = 0.0, const0_ = 0.0;
  double cmax_ = 0.0;  // the largest c_j (float), bounds every exponent c_j q
};

}  // namespace

std::unique_ptr<FeatureMap> make_fourier_map(const std::string& options, const Kernel& kernel, arma::uword d,
                                             arma::uword D, std::uint64_t seed) {
  const std::string spec = options.empty() ? "fourier" : "fourier:" + options;
  if (kernel.family() != KernelFamily::recursive || kernel.integer_parameter() < 1)
    fail(kWhere, "'" + spec + "' needs a recursive kernel of depth k >= 1 (it samples the kernel's mixture "
                 "representation), got '" + kernel.spec() +
                     "'; use 'maclaurin', 'tensorsketch', 'srht' or 'nystrom' for this kernel");
  const FourierOptions opt = parse_options(options);
  const arma::uword exact = kernel.integer_parameter() >= 2 ? 1 : 0;
  if (D < exact + 1)
    fail(kWhere, "'" + spec + "' with kernel '" + kernel.spec() + "' needs D >= " + std::to_string(exact + 1) +
                     " (one exact constant feature plus at least one random feature), got D = " + std::to_string(D));
  return std::make_unique<FourierMap>(kernel, d, D, seed, opt);
}

}  // namespace deepdot::detail
