// SPDX-License-Identifier: MIT
// Private: a power-of-two complex FFT vectorised across W independent
// transforms ("lanes") instead of within one, for the TensorSketch map (which
// transforms the count sketches of many points with the same length).
//
// Layout: complex value q of all lanes is 2W contiguous T, the W real parts
// then the W imaginary parts: x[(2q + 0) W + lane], x[(2q + 1) W + lane].
// Every butterfly is then plain SIMD over the lanes with scalar twiddles, and
// no shuffles are needed whatever the length.
//
// forward(): decimation in frequency, natural order in, bit-reversed order out.
// inverse(): decimation in time, bit-reversed order in, natural order out,
// unscaled (inverse(forward(x)) = N x). A pointwise product of spectra does
// not care about their order, so no bit-reversal pass is ever made.
// Radix-4 passes (two radix-2 stages per pass over memory, 3 complex products
// instead of 4), plus one radix-2 pass when log2 N is odd; the stages whose
// blocks fit in the L1/L2 cache run block by block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace deepdot::detail {

class LaneFftPlan {
 public:
  /// A plan for a power-of-two length n >= 1 (throws std::invalid_argument
  /// otherwise). Immutable after construction: threads may share it.
  explicit LaneFftPlan(std::size_t n);

  struct Stage {
    std::size_t block;   // butterflies span blocks of this many complex values
    int radix;           // 2 or 4
    std::size_t offset;  // into the twiddle table: radix 2: (wr, wi) per k < block/2;
                         // radix 4: (w^k, w^2k, w^3k) as 6 values per k < block/4, w = exp(-2 pi i / block)
  };

  std::size_t size() const { return n_; }
  /// The stages in forward (decimation-in-frequency) order: decreasing blocks.
  const std::vector<Stage>& stages() const { return stages_; }
  const double* twiddles(double) const { return tw_.data(); }
  const float* twiddles(float) const { return twf_.data(); }
  /// The positions (q, r), q < r, of the bit-reversed spectrum that hold the
  /// frequencies f and -f (mod n): partner[q] = bitrev((n - bitrev(q)) mod n),
  /// flattened as q0, r0, q1, r1, ... (q increasing).
  const std::vector<std::uint32_t>& pairs() const { return pairs_; }
  /// The positions whose frequency is its own negative (f = 0 and f = n/2).
  const std::vector<std::uint32_t>& self_paired() const { return self_; }

 private:
  std::size_t n_;
  std::vector<Stage> stages_;
  std::vector<double> tw_;
  std::vector<float> twf_;
  std::vector<std::uint32_t> pairs_, self_;
};

/// The kernels, inline so that each translation unit can compile them for the
/// instruction set of its caller (see tensorsketch.cpp's dispatch).
template <typename T, int W>
struct LaneFft {
  static constexpr int S = 2 * W;  // T values per complex lane vector
  typedef T V __attribute__((vector_size(sizeof(T) * W)));

  // Vector values never cross a call: every caller is flattened into one
  // function per instruction set (so the ABI note -Wpsabi is moot here).
  __attribute__((always_inline)) static V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  __attribute__((always_inline)) static void store(T* p, V v) { std::memcpy(p, &v, sizeof v); }

  /// One radix-2 DIF butterfly: (a, b) <- (a + b, (a - b) w).
  static void dif2(const T* ia, const T* ib, T* oa, T* ob, const T* w) {
    const V ar = load(ia), ai = load(ia + W), br = load(ib), bi = load(ib + W);
    const V dr = ar - br, di = ai - bi;
    store(oa, ar + br);
    store(oa + W, ai + bi);
    store(ob, dr * w[0] - di * w[1]);
    store(ob + W, dr * w[1] + di * w[0]);
  }

  /// One radix-4 DIF butterfly (two radix-2 stages merged): with a = x0 + x2,
  /// b = x0 - x2, c = x1 + x3, e = x1 - x3: (a + c, (a - c) w^2k,
  /// (b - i e) w^k, (b + i e) w^3k).
  static void dif4(const T* i0, const T* i1, const T* i2, const T* i3, T* o0, T* o1, T* o2, T* o3, const T* w) {
    const V x0r = load(i0), x0i = load(i0 + W), x1r = load(i1), x1i = load(i1 + W);
    const V x2r = load(i2), x2i = load(i2 + W), x3r = load(i3), x3i = load(i3 + W);
    const V ar = x0r + x2r, ai = x0i + x2i, br = x0r - x2r, bi = x0i - x2i;
    const V cr = x1r + x3r, ci = x1i + x3i, er = x1r - x3r, ei = x1i - x3i;
    store(o0, ar + cr);
    store(o0 + W, ai + ci);
    const V ur = ar - cr, ui = ai - ci;  // times w^2k
    store(o1, ur * w[2] - ui * w[3]);
    store(o1 + W, ur * w[3] + ui * w[2]);
    const V sr = br + ei, si = bi - er;  // b - i e, times w^k
    store(o2, sr * w[0] - si * w[1]);
    store(o2 + W, sr * w[1] + si * w[0]);
    const V tr = br - ei, ti = bi + er;  // b + i e, times w^3k
    store(o3, tr * w[4] - ti * w[5]);
    store(o3 + W, tr * w[5] + ti * w[4]);
  }

  /// The inverse radix-2 DIT butterfly, conjugate twiddle: (a + conj(w) b, a - conj(w) b).
  static void dit2(T* a, T* b, const T* w) {
    const V br = load(b), bi = load(b + W);
    const V vr = br * w[0] + bi * w[1], vi = bi * w[0] - br * w[1];
    const V ar = load(a), ai = load(a + W);
    store(a, ar + vr);
    store(a + W, ai + vi);
    store(b, ar - vr);
    store(b + W, ai - vi);
  }

  /// The inverse radix-4 DIT butterfly (v = conj w): a = x0 + v^2k x1,
  /// b = x0 - v^2k x1, c = v^k x2 + v^3k x3, e = v^k x2 - v^3k x3;
  /// out = (a + c, b + i e, a - c, b - i e).
  static void dit4(T* p0, T* p1, T* p2, T* p3, const T* w) {
    const V x0r = load(p0), x0i = load(p0 + W);
    V xr = load(p1), xi = load(p1 + W);
    const V m1r = xr * w[2] + xi * w[3], m1i = xi * w[2] - xr * w[3];
    xr = load(p2);
    xi = load(p2 + W);
    const V m2r = xr * w[0] + xi * w[1], m2i = xi * w[0] - xr * w[1];
    xr = load(p3);
    xi = load(p3 + W);
    const V m3r = xr * w[4] + xi * w[5], m3i = xi * w[4] - xr * w[5];
    const V ar = x0r + m1r, ai = x0i + m1i, br = x0r - m1r, bi = x0i - m1i;
    const V cr = m2r + m3r, ci = m2i + m3i, er = m2r - m3r, ei = m2i - m3i;
    store(p0, ar + cr);
    store(p0 + W, ai + ci);
    store(p2, ar - cr);
    store(p2 + W, ai - ci);
    store(p1, br - ei);  // b + i e
    store(p1 + W, bi + er);
    store(p3, br + ei);  // b - i e
    store(p3 + W, bi - er);
  }

  /// One DIF stage over x[0, n) (n a multiple of the stage's block). Values at
  /// positions >= len are taken as zero without being read (len >= n: none).
  static void dif_stage(const LaneFftPlan::Stage& st, const T* tw, T* x, std::size_t n, std::size_t len) {
    alignas(64) static constexpr T zero[S] = {};
    auto in = [&](std::size_t q) -> const T* { return q < len ? x + q * S : zero; };
    if (st.radix == 2) {
      const std::size_t h = st.block / 2;
      for (std::size_t s = 0; s < n; s += st.block)
        for (std::size_t k = 0; k < h; ++k)
          dif2(in(s + k), in(s + k + h), x + (s + k) * S, x + (s + k + h) * S, tw + 2 * k);
      return;
    }
    const std::size_t m = st.block / 4;
    for (std::size_t s = 0; s < n; s += st.block)
      for (std::size_t k = 0; k < m; ++k) {
        const std::size_t q = s + k;
        T* o = x + q * S;
        if (len >= n)
          dif4(o, o + m * S, o + 2 * m * S, o + 3 * m * S, o, o + m * S, o + 2 * m * S, o + 3 * m * S, tw + 6 * k);
        else
          dif4(in(q), in(q + m), in(q + 2 * m), in(q + 3 * m), o, o + m * S, o + 2 * m * S, o + 3 * m * S, tw + 6 * k);
      }
  }

  static void dit_stage(const LaneFftPlan::Stage& st, const T* tw, T* x, std::size_t n) {
    if (st.radix == 2) {
      const std::size_t h = st.block / 2;
      for (std::size_t s = 0; s < n; s += st.block)
        for (std::size_t k = 0; k < h; ++k) dit2(x + (s + k) * S, x + (s + k + h) * S, tw + 2 * k);
      return;
    }
    const std::size_t m = st.block / 4;
    for (std::size_t s = 0; s < n; s += st.block)
      for (std::size_t k = 0; k < m; ++k) {
        T* o = x + (s + k) * S;
        dit4(o, o + m * S, o + 2 * m * S, o + 3 * m * S, tw + 6 * k);
      }
  }

  /// Stages whose blocks hold at most this many complex lane values run one
  /// block at a time through all of them (the block stays in cache).
  static constexpr std::size_t kCacheBlock = (std::size_t{64} << 10) / (S * sizeof(T));

  /// In place, x: n = plan.size() complex lane values in natural order, of
  /// which only [0, len) are read (the rest are taken as zero: the padded tail
  /// of a count sketch need not be cleared). Out: the DFT, bit-reversed.
  static void forward(const LaneFftPlan& plan, T* x, std::size_t len) {
    const auto& st = plan.stages();
    const T* tw = plan.twiddles(T());
    const std::size_t n = plan.size();
    std::size_t i = 0;
    for (; i < st.size() && (i == 0 || st[i].block > kCacheBlock); ++i)
      dif_stage(st[i], tw + st[i].offset, x, n, i == 0 ? len : n);
    if (i == st.size()) return;
    const std::size_t b = st[i].block;
    for (std::size_t s = 0; s < n; s += b)
      for (std::size_t j = i; j < st.size(); ++j) dif_stage(st[j], tw + st[j].offset, x + s * S, b, b);
  }

  /// In place: bit-reversed spectrum in, natural-order inverse DFT times n out.
  static void inverse(const LaneFftPlan& plan, T* x) {
    const auto& st = plan.stages();
    const T* tw = plan.twiddles(T());
    const std::size_t n = plan.size();
    std::size_t i = st.size();  // stages [i, size) fit a cache block
    while (i > 0 && st[i - 1].block <= kCacheBlock) --i;
    if (i < st.size()) {
      const std::size_t b = st[i].block;
      for (std::size_t s = 0; s < n; s += b)
        for (std::size_t j = st.size(); j-- > i;) dit_stage(st[j], tw + st[j].offset, x + s * S, b);
    }
    while (i-- > 0) dit_stage(st[i], tw + st[i].offset, x, n);
  }
};

}  // namespace deepdot::detail

#pragma GCC diagnostic pop
