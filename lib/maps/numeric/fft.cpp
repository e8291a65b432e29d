// SPDX-License-Identifier: MIT
#include "maps/numeric/fft.hpp"

#include <cmath>
#include <stdexcept>

namespace deepdot::detail {

namespace {
constexpr double kPi = 3.141592653589793238462643383279502884;
}

Fft::~Fft() = default;

Fft::Fft(std::size_t n) : n_(n), power_of_two_(n != 0 && (n & (n - 1)) == 0) {
  if (n == 0) throw std::invalid_argument("Fft: the length must be >= 1");
  if (power_of_two_) {
    twiddles_.resize(n / 2);
    for (std::size_t k = 0; k < n / 2; ++k) {
      const double angle = -2.0 * kPi * double(k) / double(n);
      twiddles_[k] = cplx(std::cos(angle), std::sin(angle));
    }
    // The twiddles of each butterfly stage side by side (n - 1 in all), so the
    // inner loop reads them with unit stride.
    stage_.reserve(2 * n);
    for (std::size_t half = 1; half < n; half <<= 1)
      for (std::size_t k = 0; k < half; ++k) {
        stage_.push_back(twiddles_[k * (n / (2 * half))].real());
        stage_.push_back(twiddles_[k * (n / (2 * half))].imag());
      }
    bitrev_.resize(n);
    std::size_t bits = 0;
    while ((std::size_t{1} << bits) < n) ++bits;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t r = 0;
      for (std::size_t b = 0; b < bits; ++b)
        if (i & (std::size_t{1} << b)) r |= std::size_t{1} << (bits - 1 - b);
      bitrev_[i] = r;
    }
    return;
  }
  // Bluestein: jk = (j^2 + k^2 - (k - j)^2) / 2 turns the DFT into a
  // convolution with the chirp exp(pi i m^2 / n), done with a power-of-two FFT.
  std::size_t m = 1;
  while (m < 2 * n - 1) m <<= 1;
  inner_ = std::make_unique<Fft>(m);
  chirp_.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    // k^2 mod 2n keeps the angle small, so it stays accurate for large k.
    const std::size_t k2 = static_cast<std::size_t>((static_cast<unsigned long long>(k) * k) % (2 * n));
    const double angle = -kPi * double(k2) / double(n);
    chirp_[k] = cplx(std::cos(angle), std::sin(angle));
  }
  kernel_fft_.assign(m, cplx(0.0, 0.0));
  kernel_fft_[0] = std::conj(chirp_[0]);
  for (std::size_t k = 1; k < n; ++k) kernel_fft_[k] = kernel_fft_[m - k] = std::conj(chirp_[k]);
  inner_->radix2(kernel_fft_.data(), false);
}

void Fft::radix2(cplx* data, bool inverse) const {
  const std::size_t n = n_;
  for (std::size_t i = 0; i < n; ++i)
    if (i < bitrev_[i]) std::swap(data[i], data[bitrev_[i]]);
  // Real arithmetic on the (re, im) pairs (std::complex guarantees that
  // layout): the complex operator* checks for NaN/inf after each product,
  // which kept this loop from being vectorised and made it the map's hot spot.
  double* z = reinterpret_cast<double*>(data);
  const double sign = inverse ? -1.0 : 1.0;
  const double* tw = stage_.data();
  for (std::size_t half = 1; half < n; half <<= 1, tw += 2 * (half / 2)) {
    for (std::size_t start = 0; start < n; start += 2 * half) {
      double* a = z + 2 * start;
      double* b = z + 2 * (start + half);
      for (std::size_t k = 0; k < half; ++k) {
        const double wr = tw[2 * k], wi = sign * tw[2 * k + 1];
        const double vr = b[2 * k] * wr - b[2 * k + 1] * wi;
        const double vi = b[2 * k] * wi + b[2 * k + 1] * wr;
        const double ur = a[2 * k], ui = a[2 * k + 1];
        a[2 * k] = ur + vr;
        a[2 * k + 1] = ui + vi;
        b[2 * k] = ur - vr;
        b[2 * k + 1] = ui - vi;
      }
    }
  }
}

void Fft::bluestein(cplx* data, std::vector<cplx>& work) const {
  const std::size_t m = inner_->size();
  work.assign(m, cplx(0.0, 0.0));
  for (std::size_t k = 0; k < n_; ++k) work[k] = data[k] * chirp_[k];
  inner_->radix2(work.data(), false);
  for (std::size_t k = 0; k < m; ++k) work[k] *= kernel_fft_[k];
  inner_->radix2(work.data(), true);
  const double scale = 1.0 / double(m);
  for (std::size_t k = 0; k < n_; ++k) data[k] = work[k] * chirp_[k] * scale;
}

void Fft::forward(cplx* data, std::vector<cplx>& work) const {
  if (power_of_two_)
    radix2(data, false);
  else
    bluestein(data, work);
}

void Fft::inverse(cplx* data, std::vector<cplx>& work) const {
  // ifft(x) = conj(fft(conj(x))) / n.
  for (std::size_t k = 0; k < n_; ++k) data[k] = std::conj(data[k]);
  forward(data, work);
  const double scale = 1.0 / double(n_);
  for (std::size_t k = 0; k < n_; ++k) data[k] = std::conj(data[k]) * scale;
}

}  // namespace deepdot::detail
