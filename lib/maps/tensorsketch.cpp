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
// The FFT (fft.hpp) handles any D_n, so the total is exactly D. Two real
// points share each complex FFT: the spectra of x and y are separated from the
// transform of x + i y by Hermitian symmetry, and since the inverse of a
// product of Hermitian spectra is real, two inverse transforms are one.
#include "registry.hpp"

#include "degree_sketch.hpp"
#include "fft.hpp"

#include "../check.hpp"

#include <deepdot/random.hpp>

#include <cmath>
#include <complex>
#include <memory>
#include <thread>
#include <vector>

namespace deepdot::detail {
namespace {

using cplx = std::complex<double>;

class TensorSketchMap final : public DegreeSketchMap {
 public:
  TensorSketchMap(const Kernel& kernel, arma::uword d, arma::uword D, std::uint64_t seed, bool optimised)
      : DegreeSketchMap("tensorsketch", kernel, d, D, seed, optimised) {
    initialise();
  }

 protected:
  arma::mat transform_impl(const arma::mat& X) const override {
    arma::mat Z(output_dim(), X.n_cols, arma::fill::zeros);
    exact_.fill(X, Z);
    // Points are independent and write disjoint columns of Z: split them over
    // the cores (ranges of even length keep the two-points-per-FFT pairing).
    const arma::uword threads =
        std::max<arma::uword>(1, std::min<arma::uword>(std::thread::hardware_concurrency(), X.n_cols / 64));
    const arma::uword chunk = ((X.n_cols + threads - 1) / threads + 1) / 2 * 2;
    auto work = [&](arma::uword c0, arma::uword c1) {
      arma::uword row = exact_.exact_dim();
      for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
        sketch_degree(i, X, Z, row, c0, c1);
        row += alloc_.counts[i];
      }
    };
    std::vector<std::thread> pool;
    for (arma::uword c0 = chunk; c0 < X.n_cols; c0 += chunk)
      pool.emplace_back(work, c0, std::min(X.n_cols, c0 + chunk));
    work(0, std::min(X.n_cols, chunk));
    for (std::thread& t : pool) t.join();
    return Z;
  }

 private:
  struct Degree {
    arma::umat hashes;  // d x n, bucket of coordinate j in factor k
    arma::mat signs;    // d x n, +-1
    std::shared_ptr<const Fft> fft;  // length L, or the padded length (see plan())
  };

  /// The FFT of degree n with sketch length L. The circular convolution of n
  /// sketches of length L is the linear one (length n (L - 1) + 1) folded
  /// modulo L, so when L is not a power of two, zero-padding to a power of two
  /// m >= n (L - 1) + 1 replaces Bluestein's algorithm, whose every transform
  /// costs two power-of-two FFTs of length >= 2L - 1: for degree 2 the padded
  /// length is the same and the work halves. Otherwise Bluestein stays.
  static std::shared_ptr<const Fft> plan(arma::uword n, arma::uword L) {
    auto pow2 = [](arma::uword v) {
      arma::uword m = 1;
      while (m < v) m <<= 1;
      return m;
    };
    if (pow2(L) == L || n == 1) return std::make_shared<const Fft>(L);
    const arma::uword padded = pow2(n * (L - 1) + 1);
    return std::make_shared<const Fft>(padded <= pow2(2 * L - 1) ? padded : L);
  }

  void draw_parameters() override {
    degrees_.clear();
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
      const arma::uword n = alloc_.degrees[i], L = alloc_.counts[i];
      Degree deg;
      deg.hashes.set_size(input_dim(), n);
      deg.signs.set_size(input_dim(), n);
      for (arma::uword k = 0; k < n; ++k) {
        Rng rng(seed(), stream(n, k));
        for (arma::uword j = 0; j < input_dim(); ++j) deg.hashes(j, k) = rng.below(L);
        for (arma::uword j = 0; j < input_dim(); ++j) deg.signs(j, k) = rng.rademacher();
      }
      deg.fft = plan(n, L);
      degrees_.push_back(std::move(deg));
    }
  }

  void save_parameters(BinaryWriter& out) const override {
    for (const Degree& deg : degrees_) {
      out.uvec(arma::vectorise(deg.hashes));
      write_sign_bits(out, deg.signs);
    }
  }

  void load_parameters(BinaryReader& in) override {
    degrees_.clear();
    for (arma::uword i = 0; i < alloc_.degrees.n_elem; ++i) {
      const arma::uword n = alloc_.degrees[i], L = alloc_.counts[i];
      Degree deg;
      const arma::uvec hashes = in.uvec("the TensorSketch hashes");
      if (hashes.n_elem != input_dim() * n)
        in.error("degree " + std::to_string(n) + " has " + std::to_string(hashes.n_elem) + " hashes, expected " +
                 std::to_string(input_dim() * n));
      if (hashes.max() >= L)
        in.error("a hash of degree " + std::to_string(n) + " is >= its sketch dimension " + std::to_string(L));
      deg.hashes = arma::reshape(hashes, input_dim(), n);
      deg.signs = read_sign_bits<double>(in, input_dim(), n, "the TensorSketch signs");
      deg.fft = plan(n, L);
      degrees_.push_back(std::move(deg));
    }
  }

  /// Writes the D_n features of degree alloc_.degrees[i] of columns [c0, c1)
  /// of X into rows [row, row + D_n) of the same columns of Z.
  void sketch_degree(arma::uword i, const arma::mat& X, arma::mat& Z, arma::uword row, arma::uword c0,
                     arma::uword c1) const {
    const Degree& deg = degrees_[i];
    const arma::uword n = alloc_.degrees[i], L = alloc_.counts[i], d = input_dim();
    const double scale = std::sqrt(a_[n]);
    const arma::uword N = deg.fft->size();  // L, or a padded length > L (linear convolution, folded below)
    std::vector<cplx> buf(N), prod_p(N), prod_q(N), work;
    for (arma::uword p = c0; p < c1; p += 2) {
      const bool pair = p + 1 < c1;
      const double* xp = X.colptr(p);
      const double* xq = pair ? X.colptr(p + 1) : nullptr;
      for (arma::uword k = 0; k < n; ++k) {
        // Count sketch of both points: real part p, imaginary part q.
        std::fill(buf.begin(), buf.end(), cplx(0.0, 0.0));
        const arma::uword* h = deg.hashes.colptr(k);
        const double* s = deg.signs.colptr(k);
        for (arma::uword j = 0; j < d; ++j) buf[h[j]] += cplx(s[j] * xp[j], pair ? s[j] * xq[j] : 0.0);
        if (n == 1) {
          std::copy(buf.begin(), buf.end(), prod_p.begin());
          break;
        }
        deg.fft->forward(buf.data(), work);
        for (arma::uword f = 0; f < N; ++f) {
          // Spectra of the real and imaginary parts: (B_f + conj B_-f)/2 and (B_f - conj B_-f)/(2i).
          const cplx b = buf[f], c = std::conj(buf[(N - f) % N]);
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
      if (n > 1) {
        // Both products are spectra of real sequences: one inverse gives both.
        for (arma::uword f = 0; f < N; ++f) prod_p[f] += cplx(0.0, 1.0) * prod_q[f];
        deg.fft->inverse(prod_p.data(), work);
        // Padded: fold the linear convolution modulo L.
        for (arma::uword f = L; f < N; ++f) prod_p[f % L] += prod_p[f];
      }
      for (arma::uword f = 0; f < L; ++f) {
        Z(row + f, p) = scale * prod_p[f].real();
        if (pair) Z(row + f, p + 1) = scale * prod_p[f].imag();
      }
    }
  }

  std::vector<Degree> degrees_;
};

}  // namespace

std::unique_ptr<FeatureMap> make_tensorsketch_map(const std::string& options, const Kernel& kernel, arma::uword d,
                                                  arma::uword D, std::uint64_t seed) {
  const bool optimised = parse_allocation_option("tensorsketch", options);
  return std::make_unique<TensorSketchMap>(kernel, d, D, seed, optimised);
}

}  // namespace deepdot::detail
