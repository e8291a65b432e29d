// SPDX-License-Identifier: MIT
/// @file perf.hpp
/// What this machine can do: timings of the BLAS/LAPACK kernels that bound
/// deepdot's hot paths (GEMM for the feature maps, SYRK for Gram matrices,
/// Cholesky for the solvers), and the process's memory use. The benchmark
/// app prints every figure next to the limit measured here, in the same run.
#pragma once

#include <deepdot/util/gemm_shape.hpp>

#include <armadillo>

#include <cstddef>
#include <functional>

namespace deepdot {


/// Flops of a GEMM m x k times k x n (2 m k n).
double gemm_flops(double m, double k, double n);
/// Flops of a rank-k update of the upper triangle of an n x n matrix (n (n + 1) k).
double syrk_flops(double n, double k);
/// Flops of the Cholesky factorisation of an n x n matrix (n^3 / 3).
double cholesky_flops(double n);

/// Seconds of the fastest of `repeats` single-precision GEMMs (m x k) * (k x n)
/// on random matrices; the first call is a warm-up and is not counted.
/// Throws std::invalid_argument when a size or `repeats` is 0.
double sgemm_seconds(arma::uword m, arma::uword k, arma::uword n, int repeats = 3);
/// The same in double precision.
double dgemm_seconds(arma::uword m, arma::uword k, arma::uword n, int repeats = 3);

/// Seconds of the fastest of `repeats` symmetric rank-k updates C += A A'
/// (A: n x k, upper triangle of C only), in single (`single` = true) or double precision.
double syrk_seconds(arma::uword n, arma::uword k, bool single, int repeats = 3);

/// Seconds of the fastest of `repeats` double Cholesky factorisations of an
/// n x n symmetric positive definite matrix.
double cholesky_seconds(arma::uword n, int repeats = 2);

/// Seconds of the fastest of `repeats` calls of `body`, after one untimed
/// warm-up call when `warm_up` is set (thread start-up, first-touch page
/// faults: what a long-running loop does not see). Throws
/// std::invalid_argument when repeats < 1.
double best_seconds(int repeats, const std::function<void()>& body, bool warm_up = true);

/// Peak resident memory of this process so far (VmHWM in /proc/self/status),
/// in bytes; 0 where the file does not exist.
double peak_rss_bytes();
/// Current resident memory (VmRSS), in bytes; 0 where unavailable.
double current_rss_bytes();

}  // namespace deepdot
