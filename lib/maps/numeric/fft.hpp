// SPDX-License-Identifier: MIT
// Private: a small complex FFT for any length (iterative radix-2 for powers of
// two, Bluestein's chirp-z algorithm otherwise), used by the TensorSketch map
// for circular convolutions of count sketches of arbitrary length.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <vector>

namespace deepdot::detail {

class Fft {
 public:
  using cplx = std::complex<double>;

  /// A plan for length n >= 1 (precomputes twiddles; immutable afterwards, so
  /// one plan can be shared by several threads).
  explicit Fft(std::size_t n);
  ~Fft();
  Fft(const Fft&) = delete;
  Fft& operator=(const Fft&) = delete;

  std::size_t size() const { return n_; }

  /// In place: data[k] <- sum_j data[j] exp(-2 pi i j k / n). `work` is scratch
  /// space, resized as needed (reuse it across calls to avoid allocations).
  void forward(cplx* data, std::vector<cplx>& work) const;
  /// In place inverse including the 1/n factor, so inverse(forward(x)) = x.
  void inverse(cplx* data, std::vector<cplx>& work) const;

 private:
  void radix2(cplx* data, bool inverse) const;
  void bluestein(cplx* data, std::vector<cplx>& work) const;

  std::size_t n_;
  bool power_of_two_;
  // radix-2
  std::vector<cplx> twiddles_;        // exp(-2 pi i k / n), k < n/2
  std::vector<double> stage_;         // per stage of half-length h: (re, im) of exp(-pi i k / h), k < h, contiguous
  std::vector<std::size_t> bitrev_;   // bit-reversal permutation
  // Bluestein
  std::vector<cplx> chirp_;           // exp(-pi i k^2 / n), k < n
  std::vector<cplx> kernel_fft_;      // FFT of the conjugate chirp, length m_
  std::unique_ptr<Fft> inner_;        // power-of-two plan of length m_ >= 2n - 1
};

}  // namespace deepdot::detail
