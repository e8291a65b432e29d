// SPDX-License-Identifier: MIT
#include <deepdot/util/perf.hpp>

#include "core/check.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>

extern "C" void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t uplo_len);

namespace deepdot {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void require_sizes(const char* where, arma::uword a, arma::uword b, arma::uword c, int repeats) {
  if (a == 0 || b == 0 || c == 0)
    detail::fail(where, "every size must be >= 1, got " + std::to_string(a) + ", " + std::to_string(b) + ", " +
                            std::to_string(c));
  if (repeats < 1) detail::fail(where, "repeats must be >= 1, got " + std::to_string(repeats));
}

template <typename eT>
double gemm_seconds(arma::uword m, arma::uword k, arma::uword n, int repeats) {
  const arma::Mat<eT> A(m, k, arma::fill::randu), B(k, n, arma::fill::randu);
  arma::Mat<eT> C(m, n);
  return best_seconds(repeats, [&] { C = A * B; });
}

// "kB" figures of /proc/self/status, in bytes.
double status_bytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() && line[key.size()] == ':')
      return 1024.0 * std::stod(line.substr(key.size() + 1));
  return 0.0;
}

}  // namespace

double gemm_flops(double m, double k, double n) { return 2.0 * m * k * n; }
double syrk_flops(double n, double k) { return n * (n + 1.0) * k; }
double cholesky_flops(double n) { return n * n * n / 3.0; }

double sgemm_seconds(arma::uword m, arma::uword k, arma::uword n, int repeats) {
  require_sizes("sgemm_seconds()", m, k, n, repeats);
  return gemm_seconds<float>(m, k, n, repeats);
}

double dgemm_seconds(arma::uword m, arma::uword k, arma::uword n, int repeats) {
  require_sizes("dgemm_seconds()", m, k, n, repeats);
  return gemm_seconds<double>(m, k, n, repeats);
}

double syrk_seconds(arma::uword n, arma::uword k, bool single, int repeats) {
  require_sizes("syrk_seconds()", n, k, 1, repeats);
  const auto N = static_cast<blasint>(n), K = static_cast<blasint>(k);
  if (single) {
    const arma::fmat A(n, k, arma::fill::randu);
    arma::fmat C(n, n, arma::fill::zeros);
    return best_seconds(repeats, [&] {
      cblas_ssyrk(CblasColMajor, CblasUpper, CblasNoTrans, N, K, 1.0f, A.memptr(), N, 1.0f, C.memptr(), N);
    });
  }
  const arma::mat A(n, k, arma::fill::randu);
  arma::mat C(n, n, arma::fill::zeros);
  return best_seconds(repeats, [&] {
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, N, K, 1.0, A.memptr(), N, 1.0, C.memptr(), N);
  });
}

double cholesky_seconds(arma::uword n, int repeats) {
  require_sizes("cholesky_seconds()", n, 1, 1, repeats);
  // A well-conditioned SPD matrix: a random Gram matrix plus n on the diagonal.
  const arma::mat B(n, n, arma::fill::randu);
  arma::mat A = B.t() * B;
  A.diag() += static_cast<double>(n);
  // LAPACK's dpotrf in place on a fresh copy each time; only the factorisation is timed.
  const int N = static_cast<int>(n);
  arma::mat W;
  double best = 1e300;
  for (int r = 0; r <= repeats; ++r) {  // r = 0: warm-up
    W = A;
    int info = 0;
    const auto t0 = Clock::now();
    dpotrf_("U", &N, W.memptr(), &N, &info, 1);
    const double t = since(t0);
    if (info != 0) throw std::runtime_error("cholesky_seconds(): the factorisation failed");
    if (r > 0) best = std::min(best, t);
  }
  return best;
}

double best_seconds(int repeats, const std::function<void()>& body, bool warm_up) {
  if (repeats < 1) detail::fail("best_seconds()", "repeats must be >= 1, got " + std::to_string(repeats));
  if (warm_up) body();
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    body();
    best = std::min(best, since(t0));
  }
  return best;
}

double peak_rss_bytes() { return status_bytes("VmHWM"); }
double current_rss_bytes() { return status_bytes("VmRSS"); }

}  // namespace deepdot
