// SPDX-License-Identifier: MIT
// "tensorsketch": TensorSketch features (Pham & Pagh, KDD 2013).
//
// Degree n with D_n features: n independent CountSketches C_k (hash
// h_k: [d] -> [D_n], sign s_k: [d] -> +-1); the sketch of x^(tensor n) is the
// circular convolution C_1 x * ... * C_n x, computed as
// IFFT(FFT(C_1 x) .* ... .* FFT(C_n x)), scaled by sqrt(a_n). Since
// E[<C x, C y>] = <x, y> for a CountSketch and the convolution is the
// CountSketch of the tensor power under the hash sum_k h_k mod D_n, the
// features are unbiased for a_n <x, y>^n. Options: none (default allocation)
// or "opt" (optimised allocation, fit() needed).
//
// The circular convolution modulo L = D_n is the linear one (length
// n (L - 1) + 1) folded modulo L, so it is computed with a power-of-two FFT of
// length N >= n (L - 1) + 1 (N = L when L is a power of two: no padding), and
// the total is exactly D whatever the D_n. The FFT (fft_lanes.hpp) works on
// 2W points at once: W SIMD lanes, and two real points per complex transform
// (point a in the real part, point b in the imaginary part; their spectra are
// separated with the Hermitian partner frequency, and since the product of
// Hermitian spectra is Hermitian, one inverse transform gives both results).
// Only very high degrees with a short sketch, where the padded length would be
// more than 8 times that of Bluestein's algorithm, keep the scalar
// one-pair-at-a-time path with the arbitrary-length FFT of fft.hpp.
//
// The buckets and signs are hash functions of the coordinate evaluated on the
// fly (count_hash.hpp), so the state is four words per factor and time and
// memory do not grow with d at fixed nnz. Maps read from encoding version 1
// carry the d x n tables they were saved with, and use them.
#include "maps/registry.hpp"

#include "maps/count_hash.hpp"

#include "maps/degree_sketch.hpp"
#include "maps/numeric/fft.hpp"
#include "maps/numeric/fft_lanes.hpp"

#include "core/check.hpp"
#include "core/threads.hpp"

#include <deepdot/core/random.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <memory>
#include <new>
#include <thread>
#include <type_traits>
#include <vector>

namespace deepdot::detail {
namespace {

using cplx = std::complex<double>;

/// How much modelled variance the default allocation may give up for power-of-two FFTs.
constexpr double kFftVarianceTolerance = 0.05;

/// SIMD lanes per complex value: one AVX2 register of each type.
template <typename T>
constexpr int kLanes = 32 / sizeof(T);

/// What one batch of one degree needs (in the map's element type T).
template <typename T>
struct DegreeJob {
  arma::uword d, n, L;
  arma::uword conv_len;            // n (L - 1) + 1, or L when the transform is circular (N = L)
  const CountHash* hash;           // n factors; null: the stored tables below
  const arma::uword* hashes;       // d x n (maps read from encoding version 1)
  const T* signs;                  // d x n, +-1 (likewise)
  const LaneFftPlan* plan;         // null when n == 1 (a plain count sketch)
  T scale;                         // sqrt(a_n) / N (the inverse transform is unscaled)
};

/// A 64-byte aligned scratch array.
template <typename T>
struct Scratch {
  struct Free {
    void operator()(T* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  std::unique_ptr<T[], Free> data;
  explicit Scratch(std::size_t n)
      : data(static_cast<T*>(::operator new[](std::max<std::size_t>(1, n) * sizeof(T), std::align_val_t(64)))) {}
  T* get() const { return data.get(); }
};

// Vector values never cross a call here either (see fft_lanes.hpp).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

/// A dense batch: xb is d x 2W, the batch transposed (point l at offset l of
/// every row: points 0..W-1 are the real parts of the lanes, points W..2W-1
/// the imaginary parts). The count sketch costs O(d) per factor.
template <typename T>
struct DenseBatch {
  const T* xb;
};

/// A sparse batch: the nonzeros of point l are rows[l][0..len[l]) with values
/// vals[l][..]; the count sketch costs O(nnz) per factor, whatever d.
template <typename T>
struct SparseBatch {
  static constexpr int kMax = 2 * kLanes<T>;
  const arma::uword* rows[kMax];
  const T* vals[kMax];
  arma::uword len[kMax];
};

/// +1 or -1 for a hash word, without a branch.
template <typename T>
inline T sign_of(std::uint64_t w) {
  return T(1) - T(2) * static_cast<T>(CountHash::negative(w));
}

template <typename T, int W>
inline void count_sketch(const DegreeJob<T>& job, const DenseBatch<T>& in, T* out, arma::uword k) {
  using F = LaneFft<T, W>;
  constexpr int S = F::S;
  const arma::uword d = job.d;
  auto add = [&](arma::uword j, arma::uword bucket, T s) {
    T* o = out + bucket * S;
    const T* x = in.xb + j * S;
    F::store(o, F::load(o) + s * F::load(x));
    F::store(o + W, F::load(o + W) + s * F::load(x + W));
  };
  if (job.hash) {
    const CountHash c = job.hash[k];
    for (arma::uword j = 0; j < d; ++j) {
      const std::uint64_t w = c.word(j);
      add(j, CountHash::bucket(w, job.L), sign_of<T>(w));
    }
    return;
  }
  const arma::uword* h = job.hashes + k * d;
  const T* s = job.signs + k * d;
  for (arma::uword j = 0; j < d; ++j) add(j, h[j], s[j]);
}

template <typename T, int W>
inline void count_sketch(const DegreeJob<T>& job, const SparseBatch<T>& in, T* out, arma::uword k) {
  constexpr int S = LaneFft<T, W>::S;
  if (job.hash) {
    const CountHash c = job.hash[k];
    for (int l = 0; l < S; ++l) {
      const arma::uword* r = in.rows[l];
      const T* v = in.vals[l];
      for (arma::uword t = 0; t < in.len[l]; ++t) {
        const std::uint64_t w = c.word(r[t]);
        out[CountHash::bucket(w, job.L) * S + l] += sign_of<T>(w) * v[t];
      }
    }
    return;
  }
  const arma::uword d = job.d;
  const arma::uword* h = job.hashes + k * d;
  const T* s = job.signs + k * d;
  for (int l = 0; l < S; ++l) {
    const arma::uword* r = in.rows[l];
    const T* v = in.vals[l];
    for (arma::uword t = 0; t < in.len[l]; ++t) out[h[r[t]] * S + l] += s[r[t]] * v[t];
  }
}

/// The features of one degree for one batch of cnt <= 2W points (`in`, dense
/// or sparse; lanes beyond cnt hold zeros). acc and buf: N complex lane values
/// each. z: column 0 of the batch in Z, at the degree's first row; ldz: Z's
/// column stride.
template <typename T, int W, typename In>
inline void sketch_batch_body(const DegreeJob<T>& job, const In& in, T* acc, T* buf, T* z, arma::uword ldz,
                              arma::uword cnt) {
  using F = LaneFft<T, W>;
  using V = typename F::V;
  constexpr int S = F::S;
  const arma::uword L = job.L;
  auto sketch = [&](T* out, arma::uword k) {
    std::memset(out, 0, L * S * sizeof(T));
    count_sketch<T, W>(job, in, out, k);
  };
  sketch(acc, 0);
  if (job.n > 1) {
    const LaneFftPlan& plan = *job.plan;
    F::forward(plan, acc, L);
    const std::uint32_t* pairs = plan.pairs().data();
    const std::size_t npairs = plan.pairs().size() / 2;
    for (arma::uword k = 1; k < job.n; ++k) {
      sketch(buf, k);
      F::forward(plan, buf, L);
      // The spectra of the real and imaginary parts at f (position q) from
      // B_f and B_-f (position r): Sp = (B_f + conj B_-f)/2,
      // Sq = (B_f - conj B_-f)/(2i); at -f they are the conjugates. Between
      // factors acc holds the products P (at q) and Q (at r); after the last
      // one, the spectrum P + i Q of the two results (conj P + i conj Q at -f).
      const bool first = k == 1, last = k + 1 == job.n;
      for (std::size_t t = 0; t < npairs; ++t) {
        T* aq = acc + std::size_t(pairs[2 * t]) * S;
        T* ar = acc + std::size_t(pairs[2 * t + 1]) * S;
        const T* bq = buf + std::size_t(pairs[2 * t]) * S;
        const T* br = buf + std::size_t(pairs[2 * t + 1]) * S;
        const T half = T(0.5);
        auto split = [&](const T* q, const T* r, V& spr, V& spi, V& sqr, V& sqi) {
          const V qr = F::load(q), qi = F::load(q + W), rr = F::load(r), ri = F::load(r + W);
          spr = half * (qr + rr);
          spi = half * (qi - ri);
          sqr = half * (qi + ri);
          sqi = half * (rr - qr);
        };
        V spr, spi, sqr, sqi, pr, pi, qr, qi;
        split(bq, br, spr, spi, sqr, sqi);
        if (first) {
          split(aq, ar, pr, pi, qr, qi);
        } else {
          pr = F::load(aq);
          pi = F::load(aq + W);
          qr = F::load(ar);
          qi = F::load(ar + W);
        }
        const V npr = pr * spr - pi * spi, npi = pr * spi + pi * spr;
        const V nqr = qr * sqr - qi * sqi, nqi = qr * sqi + qi * sqr;
        if (last) {
          F::store(aq, npr - nqi);
          F::store(aq + W, npi + nqr);
          F::store(ar, npr + nqi);
          F::store(ar + W, nqr - npi);
        } else {
          F::store(aq, npr);
          F::store(aq + W, npi);
          F::store(ar, nqr);
          F::store(ar + W, nqi);
        }
      }
      // f = -f: both spectra are real, B_f = Sp + i Sq; acc keeps (P, Q) as one complex.
      for (std::uint32_t q : plan.self_paired()) {
        T* a = acc + std::size_t(q) * S;
        const T* b = buf + std::size_t(q) * S;
        F::store(a, F::load(a) * F::load(b));
        F::store(a + W, F::load(a + W) * F::load(b + W));
      }
    }
    F::inverse(plan, acc);
    // Fold the linear convolution modulo L (nothing to do when N = L).
    for (arma::uword f = L; f < job.conv_len; ++f) {
      T* o = acc + (f % L) * S;
      const T* v = acc + f * S;
      F::store(o, F::load(o) + F::load(v));
      F::store(o + W, F::load(o + W) + F::load(v + W));
    }
  }
  // Transpose out in blocks of rows whose lane vectors stay in L1: the output
  // of all 2W columns row by row (one pass per column over acc is slower;
  // docs/performance.md).
  constexpr arma::uword R = 32;
  for (arma::uword f0 = 0; f0 < L; f0 += R) {
    const arma::uword f1 = std::min(L, f0 + R);
    for (arma::uword l = 0; l < cnt; ++l) {
      T* col = z + l * ldz;
      for (arma::uword f = f0; f < f1; ++f) col[f] = job.scale * acc[f * S + l];
    }
  }
}

#pragma GCC diagnostic pop

// Compiled for AVX2 (twice the vector width of the x86-64 baseline) and for
// the baseline; the choice is made once at run time. flatten: the FFT kernels
// must be inlined to be compiled for the caller's instruction set. (The AVX2
// build contracts products and sums into FMAs, so its last bits differ from
// the baseline's; on one machine the results never depend on the threads.)
template <typename T, typename In>
using BatchFn = void (*)(const DegreeJob<T>&, const In&, T*, T*, T*, arma::uword, arma::uword);

template <typename T, typename In>
__attribute__((target("avx2,fma"), flatten)) void sketch_batch_avx2(const DegreeJob<T>& job, const In& in, T* acc,
                                                                     T* buf, T* z, arma::uword ldz, arma::uword cnt) {
  sketch_batch_body<T, kLanes<T>>(job, in, acc, buf, z, ldz, cnt);
}
template <typename T, typename In>
__attribute__((flatten)) void sketch_batch_base(const DegreeJob<T>& job, const In& in, T* acc, T* buf, T* z,
                                                arma::uword ldz, arma::uword cnt) {
  sketch_batch_body<T, kLanes<T>>(job, in, acc, buf, z, ldz, cnt);
}
template <typename T, typename In>
BatchFn<T, In> sketch_batch() {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2 ? sketch_batch_avx2<T, In> : sketch_batch_base<T, In>;
}

/// Dense input to the sketches: batches are transposed into lane order.
template <typename T>
struct DenseSource {
  using Batch = DenseBatch<T>;
  const arma::Mat<T>& X;
  arma::uword n_cols() const { return X.n_cols; }
  /// Scratch per worker thread: the transposed batch, d x 2W.
  struct Scratch_ {
    explicit Scratch_(arma::uword d) : xb(d * 2 * kLanes<T>) {}
    Scratch<T> xb;
  };
  Batch batch(Scratch_& sc, arma::uword c0, arma::uword cnt) const {
    constexpr arma::uword B = 2 * kLanes<T>;
    const arma::uword d = X.n_rows;
    T* t = sc.xb.get();
    for (arma::uword l = 0; l < cnt; ++l) {
      const T* x = X.colptr(c0 + l);
      for (arma::uword j = 0; j < d; ++j) t[j * B + l] = x[j];
    }
    for (arma::uword l = cnt; l < B; ++l)
      for (arma::uword j = 0; j < d; ++j) t[j * B + l] = T(0);
    return {t};
  }
  /// Calls f(j, x_j) for every coordinate of point p.
  template <typename Fn>
  void visit(arma::uword p, Fn&& f) const {
    const T* x = X.colptr(p);
    for (arma::uword j = 0; j < X.n_rows; ++j) f(j, x[j]);
  }
};

/// Sparse input: a batch is the lists of nonzeros of its points, no copy.
template <typename T>
struct SparseSource {
  using Batch = SparseBatch<T>;
  const arma::SpMat<T>& X;
  arma::uword n_cols() const { return X.n_cols; }
  struct Scratch_ {
    explicit Scratch_(arma::uword) {}
  };
  Batch batch(Scratch_&, arma::uword c0, arma::uword cnt) const {
    Batch b;
    for (int l = 0; l < Batch::kMax; ++l) {
      const arma::uword a = l < int(cnt) ? X.col_ptrs[c0 + l] : 0;
      b.rows[l] = X.row_indices + a;
      b.vals[l] = X.values + a;
      b.len[l] = l < int(cnt) ? X.col_ptrs[c0 + l + 1] - a : 0;
    }
    return b;
  }
  template <typename Fn>
  void visit(arma::uword p, Fn&& f) const {
    for (arma::uword k = X.col_ptrs[p]; k < X.col_ptrs[p + 1]; ++k) f(X.row_indices[k], X.values[k]);
  }
};

class TensorSketchMap final : public DegreeSketchMap {
 public:
  TensorSketchMap(const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed, bool optimised)
      : DegreeSketchMap("tensorsketch", kernel, d, D, seed, optimised) {
    initialise();
  }

 protected:
  arma::mat transform_impl(const arma::mat& X) const override {
    arma::mat Z(output_dim(), X.n_cols, arma::fill::none);  // every row is written
    features(X, Z);
    return Z;
  }
  arma::fmat transform_impl(const arma::fmat& X) const override {
    arma::fmat Z(output_dim(), X.n_cols, arma::fill::none);
    features(X, Z);
    return Z;
  }
  void transform_into_impl(const arma::mat& X, arma::mat& Z) const override { features(X, Z); }
  void transform_into_impl(const arma::fmat& X, arma::fmat& Z) const override { features(X, Z); }
  // Input-sparsity time: the count sketches visit the nonzeros only.
  arma::mat transform_sparse_impl(const arma::sp_mat& X) const override { return sparse_features(X); }
  arma::fmat transform_sparse_impl(const arma::sp_fmat& X) const override { return sparse_features(X); }

 private:
  struct Degree {
    std::vector<CountHash> hash;  // one per factor; empty: the tables below
    arma::umat hashes;            // d x n, bucket of coordinate j in factor k (encoding version 1 only)
    arma::mat signs;              // d x n, +-1 (likewise)
    arma::fmat signs_f;
    std::shared_ptr<const LaneFftPlan> lanes;  // the padded (or length-L) plan; null: scalar path or n == 1
    std::shared_ptr<const Fft> fft;            // the scalar path's plan of length L (Bluestein)
  };

  static arma::uword pow2(arma::uword v) {
    arma::uword m = 1;
    while (m < v) m <<= 1;
    return m;
  }

  /// The FFT of degree n with sketch length L: length L when L is a power of
  /// two (the circular convolution directly), otherwise zero-padding to
  /// N = pow2(n (L - 1) + 1), which gives the linear convolution, folded
  /// modulo L afterwards. Bluestein's algorithm would need two power-of-two
  /// FFTs of length pow2(2L - 1) per transform, but only in the scalar
  /// complex<double> code, which does 2 points per operation against the
  /// lanes' 16 (float) or 8 (double), so the lanes win even on a much longer
  /// padded transform (docs/performance.md). Padding is used up to 8 times
  /// Bluestein's length; beyond (very high degrees with short sketches), the
  /// scalar Bluestein path.
  static void plan(Degree& deg, arma::uword n, arma::uword L) {
    if (n == 1) return;
    if (pow2(L) == L) {
      deg.lanes = std::make_shared<const LaneFftPlan>(L);
      return;
    }
    const arma::uword padded = pow2(n * (L - 1) + 1);
    if (padded <= 8 * pow2(2 * L - 1))
      deg.lanes = std::make_shared<const LaneFftPlan>(padded);
    else
      deg.fft = std::make_shared<const Fft>(L);
  }

  /// Counts moved to powers of two where the FFTs get much shorter for at most
  /// 5% more modelled variance (e.g. poly:3:1 at D = 2,048, d = 784: degrees
  /// 1..3 get 511, 1024, 512 features instead of 637, 945, 465; FFTs of 1024
  /// and 512 points instead of 2048 and 2048; 2% more variance).
  DegreeAllocation shape_allocation(DegreeAllocation alloc) const override {
    return fft_friendly_allocation(kernel(), alloc, kFftVarianceTolerance);
  }

  void draw_parameters() override {
    degrees_.clear();
    legacy_tables_ = false;
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
      const arma::uword n = alloc_.degrees[i], L = alloc_.counts[i];
      Degree deg;
      deg.hash.resize(n);
      for (arma::uword k = 0; k < n; ++k) {
        Rng rng(seed(), stream(n, k));
        for (std::uint64_t& c : deg.hash[k].c) c = rng.below(CountHash::kPrime);
      }
      finish(deg, n, L);
      degrees_.push_back(std::move(deg));
    }
  }

  void finish(Degree& deg, arma::uword n, arma::uword L) const {
    if (deg.hash.empty()) deg.signs_f = arma::conv_to<arma::fmat>::from(deg.signs);
    plan(deg, n, L);
  }

  std::uint64_t saved_encoding_version() const override { return legacy_tables_ ? 1 : 0; }

  /// Per degree: the number of factors n, then the 4 coefficients of each factor's hash. A map
  /// loaded with tables (encoding version 1) writes them as it read them.
  void save_parameters(BinaryWriter& out) const override {
    if (legacy_tables_) {
      for (const Degree& deg : degrees_) {
        out.uvec(arma::vectorise(deg.hashes));
        write_sign_bits(out, deg.signs);
      }
      return;
    }
    for (const Degree& deg : degrees_) {
      out.u64(deg.hash.size());
      for (const CountHash& h : deg.hash)
        for (std::uint64_t c : h.c) out.u64(c);
    }
  }

  void load_parameters(BinaryReader& in) override {
    degrees_.clear();
    legacy_tables_ = encoding_version() < 2;
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
      const arma::uword n = alloc_.degrees[i], L = alloc_.counts[i];
      Degree deg;
      if (!legacy_tables_) {
        const std::uint64_t factors = in.u64("the number of hash functions");
        if (factors != n)
          in.error("degree " + std::to_string(n) + " has " + std::to_string(factors) + " hash functions, expected " +
                   std::to_string(n));
        deg.hash.resize(n);
        for (CountHash& h : deg.hash)
          for (std::uint64_t& c : h.c) {
            c = in.u64("a hash coefficient");
            if (c >= CountHash::kPrime) in.error("a hash coefficient of degree " + std::to_string(n) + " is >= 2^61 - 1");
          }
        finish(deg, n, L);
        degrees_.push_back(std::move(deg));
        continue;
      }
      const arma::uvec hashes = in.uvec("the TensorSketch hashes");
      if (hashes.n_elem != input_dim() * n)
        in.error("degree " + std::to_string(n) + " has " + std::to_string(hashes.n_elem) + " hashes, expected " +
                 std::to_string(input_dim() * n));
      if (hashes.max() >= L)
        in.error("a hash of degree " + std::to_string(n) + " is >= its sketch dimension " + std::to_string(L));
      deg.hashes = arma::reshape(hashes, input_dim(), n);
      deg.signs = read_sign_bits<double>(in, input_dim(), n, "the TensorSketch signs");
      finish(deg, n, L);
      degrees_.push_back(std::move(deg));
    }
  }

  template <typename T>
  const T* signs_of(const Degree& deg) const {
    if constexpr (std::is_same_v<T, float>)
      return deg.signs_f.memptr();
    else
      return deg.signs.memptr();
  }

  template <typename T>
  arma::Mat<T> sparse_features(const arma::SpMat<T>& X) const {
    X.sync();
    arma::Mat<T> Z(output_dim(), X.n_cols, arma::fill::none);
    exact_.fill(X, Z);
    sketch_all(SparseSource<T>{X}, Z);
    return Z;
  }

  /// X: d x n; writes every row of Z (D x n, given), computed in T throughout.
  template <typename T>
  void features(const arma::Mat<T>& X, arma::Mat<T>& Z) const {
    exact_.fill(X, Z);
    sketch_all(DenseSource<T>{X}, Z);
  }

  /// The rows after the exact part, for every point of `src` (dense or sparse).
  template <typename Source, typename T>
  void sketch_all(const Source& src, arma::Mat<T>& Z) const {
    constexpr arma::uword B = 2 * kLanes<T>;  // points per batch
    const arma::uword d = input_dim(), cols = src.n_cols();
    const arma::uword covered = exact_.exact_dim() + arma::accu(alloc_.counts);
    if (covered < output_dim()) Z.rows(covered, output_dim() - 1).zeros();

    std::vector<DegreeJob<T>> jobs(degrees_.size());
    std::vector<arma::uword> rows(degrees_.size());
    arma::uword row = exact_.exact_dim(), max_n = 1;
    for (std::size_t i = 0; i < degrees_.size(); ++i) {
      const Degree& deg = degrees_[i];
      const arma::uword n = alloc_.degrees[i], L = alloc_.counts[i];
      const arma::uword N = deg.lanes ? deg.lanes->size() : 1;
      jobs[i] = {d, n, L, N == L ? L : n * (L - 1) + 1, deg.hash.empty() ? nullptr : deg.hash.data(),
                 deg.hashes.memptr(), signs_of<T>(deg), deg.lanes.get(),
                 static_cast<T>(std::sqrt(a_[n]) / static_cast<double>(N))};
      rows[i] = row;
      row += L;
      max_n = std::max(max_n, std::max(N, L));
    }
    const BatchFn<T, typename Source::Batch> batch = sketch_batch<T, typename Source::Batch>();
    const arma::uword batches = (cols + B - 1) / B;

    // A dense batch visits all d coordinates of every factor: with two batches
    // or more, the buckets and signs are tabulated once per call (d words per
    // factor) instead of evaluating the hash polynomial in every batch, which
    // cost as much as the FFTs. The tables hold the same values, so the
    // features are bit-identical.
    std::vector<arma::umat> bucket_tables(degrees_.size());
    std::vector<arma::Mat<T>> sign_tables(degrees_.size());
    if constexpr (std::is_same_v<Source, DenseSource<T>>) {
      if (batches >= 2)
        for (std::size_t i = 0; i < degrees_.size(); ++i) {
          const Degree& deg = degrees_[i];
          if (deg.hash.empty() || deg.fft) continue;
          const arma::uword n = alloc_.degrees[i], L = alloc_.counts[i];
          bucket_tables[i].set_size(d, n);
          sign_tables[i].set_size(d, n);
          for (arma::uword k = 0; k < n; ++k)
            for (arma::uword j = 0; j < d; ++j) {
              const std::uint64_t w = deg.hash[k].word(j);
              bucket_tables[i](j, k) = CountHash::bucket(w, L);
              sign_tables[i](j, k) = sign_of<T>(w);
            }
          jobs[i].hash = nullptr;
          jobs[i].hashes = bucket_tables[i].memptr();
          jobs[i].signs = sign_tables[i].memptr();
        }
    }

    // Batches of B points are independent and write disjoint columns of Z:
    // whole batches are split over the cores, so every point is computed in
    // the same batch, with the same partner, whatever the number of threads.
    const arma::uword threads = worker_threads(cols / 64);
    const arma::uword per_thread = (batches + threads - 1) / threads;
    auto work = [&](arma::uword b0, arma::uword b1) {
      typename Source::Scratch_ scratch(d);
      Scratch<T> acc(max_n * B), buf(max_n * B);
      for (arma::uword b = b0; b < b1; ++b) {
        const arma::uword c0 = b * B, cnt = std::min(B, cols - c0);
        const typename Source::Batch in = src.batch(scratch, c0, cnt);
        for (std::size_t i = 0; i < degrees_.size(); ++i) {
          if (degrees_[i].fft)
            sketch_degree_scalar(i, src, Z, rows[i], c0, c0 + cnt);
          else
            batch(jobs[i], in, acc.get(), buf.get(), Z.colptr(c0) + rows[i], Z.n_rows, cnt);
        }
      }
    };
    std::vector<std::thread> pool;
    for (arma::uword b0 = per_thread; b0 < batches; b0 += per_thread)
      pool.emplace_back(work, b0, std::min(batches, b0 + per_thread));
    work(0, std::min(batches, per_thread));
    for (std::thread& t : pool) t.join();
  }

  /// The scalar path (Bluestein, see plan()): the D_n features of degree
  /// alloc_.degrees[i] of points [c0, c1) of src into rows [row, row + D_n) of
  /// the same columns of Z, two points per complex<double> FFT.
  template <typename Source, typename T>
  void sketch_degree_scalar(arma::uword i, const Source& src, arma::Mat<T>& Z, arma::uword row, arma::uword c0,
                            arma::uword c1) const {
    const Degree& deg = degrees_[i];
    const arma::uword n = alloc_.degrees[i], L = alloc_.counts[i];
    const double scale = std::sqrt(a_[n]);
    std::vector<cplx> buf(L), prod_p(L), prod_q(L), work;
    for (arma::uword p = c0; p < c1; p += 2) {
      const bool pair = p + 1 < c1;
      for (arma::uword k = 0; k < n; ++k) {
        // Count sketch of both points: real part p, imaginary part q.
        std::fill(buf.begin(), buf.end(), cplx(0.0, 0.0));
        auto bucket_sign = [&](arma::uword j, arma::uword& b, double& s) {
          if (!deg.hash.empty()) {
            const std::uint64_t w = deg.hash[k].word(j);
            b = CountHash::bucket(w, L);
            s = sign_of<double>(w);
          } else {
            b = deg.hashes(j, k);
            s = deg.signs(j, k);
          }
        };
        src.visit(p, [&](arma::uword j, T v) {
          arma::uword b;
          double s;
          bucket_sign(j, b, s);
          buf[b] += cplx(s * double(v), 0.0);
        });
        if (pair)
          src.visit(p + 1, [&](arma::uword j, T v) {
            arma::uword b;
            double s;
            bucket_sign(j, b, s);
            buf[b] += cplx(0.0, s * double(v));
          });
        deg.fft->forward(buf.data(), work);
        for (arma::uword f = 0; f < L; ++f) {
          // Spectra of the real and imaginary parts: (B_f + conj B_-f)/2 and (B_f - conj B_-f)/(2i).
          const cplx b = buf[f], c = std::conj(buf[(L - f) % L]);
          const cplx sp = 0.5 * (b + c), sq = cplx(0.0, -0.5) * (b - c);
          if (k == 0) {
            prod_p[f] = sp;
            prod_q[f] = sq;
          } else {
            prod_p[f] *= sp;
            prod_q[f] *= sq;
          }
        }
      }
      // Both products are spectra of real sequences: one inverse gives both.
      for (arma::uword f = 0; f < L; ++f) prod_p[f] += cplx(0.0, 1.0) * prod_q[f];
      deg.fft->inverse(prod_p.data(), work);
      for (arma::uword f = 0; f < L; ++f) {
        Z(row + f, p) = static_cast<T>(scale * prod_p[f].real());
        if (pair) Z(row + f, p + 1) = static_cast<T>(scale * prod_p[f].imag());
      }
    }
  }

  std::vector<Degree> degrees_;
  bool legacy_tables_ = false;  // read from encoding version 1: the stored tables are used
};

}  // namespace

std::unique_ptr<FeatureMap> make_tensorsketch_map(const std::string& options, const Kernel& kernel, arma::uword d,
                                                  arma::uword D, std::uint64_t seed) {
  const bool optimised = parse_allocation_option("tensorsketch", options);
  return std::make_unique<TensorSketchMap>(kernel, d, D, seed, optimised);
}

}  // namespace deepdot::detail
