// SPDX-License-Identifier: MIT
// deepdot-approx: how well each feature map approximates a kernel on real
// data, how long it takes, and how its speed compares with SGEMM.
#include <deepdot/deepdot.hpp>
#include <deepdot/maps/approximation.hpp>
#include <deepdot/io/idx.hpp>

#include "../common/cli.hpp"
#include "../common/util.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace {

const char* kUsage = R"(usage: deepdot-approx [options]

Measures the approximation error of feature maps against the exact kernel on
unit-norm Fashion-MNIST training images: for every kernel x map x D, averaged
over seeds, the relative Frobenius error ||K - Z'Z||_F / ||K||_F, the same for
the non-constant part ||K - Z'Z||_F / ||K - a_0||_F, the largest entry error and
the relative spectral error; the time of the transform (double and float),
and the float transform's speed relative to one SGEMM of the output's shape
(D x d times d x n) timed in the same run.

options (defaults in brackets):
  --kernels LIST     kernel specs [recursive:1,recursive:2,recursive:4]
  --maps LIST        map specs [maclaurin:kk,maclaurin,maclaurin:opt,tensorsketch,tensorsketch:opt,
                     srht,srht:opt,fourier,fourier:orf,layerwise,nystrom]
  --features LIST    feature counts D [1024,4096,16384]
  --seeds N          seeds per configuration [3]
  --n N              evaluation images (the first N training images) [2000]
  --fit N            images given to fit() of data-dependent maps, taken after
                     the evaluation images (Nystroem needs at least D) [4096]
  --data DIR         Fashion-MNIST directory [/usr/share/datasets/fashion-mnist]
  --csv FILE         also write every row as CSV
  --help             this text
Maps that cannot run a configuration (Nystroem with D above --fit) are skipped and said so.
)";

using Clock = std::chrono::steady_clock;
using deepdot::cli::seconds_since;

// Seconds of one float GEMM (D x d) * (d x n), best of three.
double sgemm_seconds(arma::uword D, arma::uword d, arma::uword n) {
  arma::fmat A(D, d, arma::fill::randu), B(d, n, arma::fill::randu), C;
  double best = 1e300;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = Clock::now();
    C = A * B;
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

struct Row {
  std::string kernel, map;
  arma::uword D = 0;
  double frob = 0, frob_nc = 0, max_abs = 0, spectral = 0, frob_nc_sd = 0;
  double seconds = 0, seconds_float = 0, sgemm_ratio = 0;
};

}  // namespace

int main(int argc, char** argv) {
  return deepdot::cli::run_app("deepdot-approx", [&]() {
    deepdot::cli::Args args(argc, argv, {});
    if (args.help()) {
      std::cout << kUsage;
      return 0;
    }
    const auto kernels = deepdot::cli::split_specs(args.str("kernels", "recursive:1,recursive:2,recursive:4"), "kernels");
    const auto maps = deepdot::cli::split_specs(args.str("maps",
        "maclaurin:kk,maclaurin,maclaurin:opt,tensorsketch,tensorsketch:opt,srht,srht:opt,fourier,fourier:orf,"
        "layerwise,nystrom"), "maps");
    std::vector<arma::uword> features;
    for (double v : args.reals("features", "1024,4096,16384")) {
      if (!(v >= 1) || v != static_cast<double>(static_cast<arma::uword>(v)))
        throw std::invalid_argument("--features must list positive integers");
      features.push_back(static_cast<arma::uword>(v));
    }
    const auto seeds = args.integer("seeds", 3);
    const auto n = args.integer("n", 2000);
    const auto n_fit = args.integer("fit", 4096);
    const std::string dir = args.str("data", "");
    const std::string csv = args.str("csv", "");
    args.reject_unknown();
    if (seeds < 1 || n < 2) throw std::invalid_argument("--seeds must be >= 1 and --n >= 2");

    deepdot::LabelledImages data = deepdot::load_fashion_mnist("train", n + n_fit, dir);
    if (data.images.n_cols < n + n_fit)
      throw std::invalid_argument("the training set has only " + std::to_string(data.images.n_cols) +
                                  " images, fewer than --n + --fit");
    arma::mat X = data.images.cols(0, n - 1);
    arma::mat F = n_fit ? arma::mat(data.images.cols(n, n + n_fit - 1)) : arma::mat();
    deepdot::normalize_columns(X);
    deepdot::normalize_columns(F);
    const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
    const arma::uword d = X.n_rows;

    std::printf("deepdot %s: feature-map approximation on %llu unit-norm Fashion-MNIST training images (d = %llu),"
                " %llu seed(s)\n\n", deepdot::version, static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(d), static_cast<unsigned long long>(seeds));
    std::printf("%-13s %-17s %6s | %9s %9s %9s %9s | %8s %8s %7s\n", "kernel", "map", "D", "rel.F(nc)", "rel.F",
                "max|err|", "rel.spec", "t double", "t float", "SGEMM%");
    std::map<arma::uword, double> gemm_time;
    std::vector<Row> rows;
    for (const auto& kspec : kernels) {
      const deepdot::Kernel kernel = deepdot::make_kernel(kspec);
      const arma::mat K = deepdot::gram(kernel, X);
      const double a0 = kernel.coefficients(1)[0];
      for (const auto& mspec : maps) {
        for (arma::uword D : features) {
          if (mspec.rfind("nystrom", 0) == 0 && D > n_fit) {
            std::printf("%-13s %-17s %6llu | skipped: Nystroem needs --fit >= D\n", kspec.c_str(), mspec.c_str(),
                        static_cast<unsigned long long>(D));
            continue;
          }
          Row r;
          r.kernel = kspec;
          r.map = mspec;
          r.D = D;
          arma::vec nc(seeds);
          for (arma::uword s = 0; s < seeds; ++s) {
            auto map = deepdot::make_feature_map(mspec, kernel, d, D, 1000 + s);
            if (!map->is_fitted() || mspec.rfind("nystrom", 0) == 0) map->fit(F);
            auto t0 = Clock::now();
            const arma::mat Z = map->transform(X);
            r.seconds += seconds_since(t0) / static_cast<double>(seeds);
            if (s == 0) {
              t0 = Clock::now();
              const arma::fmat Zf = map->transform(Xf);
              r.seconds_float = seconds_since(t0);
            }
            const deepdot::ApproximationError e = deepdot::approximation_error(K, Z, a0);
            nc[s] = e.relative_frobenius_nonconstant;
            r.frob += e.relative_frobenius / static_cast<double>(seeds);
            r.max_abs += e.max_abs_error / static_cast<double>(seeds);
            r.spectral += e.relative_spectral / static_cast<double>(seeds);
          }
          r.frob_nc = arma::mean(nc);
          r.frob_nc_sd = seeds > 1 ? arma::stddev(nc) : 0.0;
          if (!gemm_time.count(D)) gemm_time[D] = sgemm_seconds(D, d, n);
          r.sgemm_ratio = gemm_time[D] / r.seconds_float;
          std::printf("%-13s %-17s %6llu | %9.4f %9.4f %9.4f %9.4f | %7.3fs %7.3fs %6.1f%%\n", kspec.c_str(),
                      mspec.c_str(), static_cast<unsigned long long>(D), r.frob_nc, r.frob, r.max_abs, r.spectral,
                      r.seconds, r.seconds_float, 100.0 * r.sgemm_ratio);
          std::fflush(stdout);
          rows.push_back(r);
        }
      }
    }
    std::printf("\nrel.F(nc): ||K - Z'Z||_F / ||K - a_0||_F, mean over seeds; SGEMM%%: time of one float GEMM\n"
                "(D x %llu) * (%llu x %llu) on this machine, measured in this run, over the float transform's time.\n",
                static_cast<unsigned long long>(d), static_cast<unsigned long long>(d),
                static_cast<unsigned long long>(n));
    // Best data-independent map per kernel and D (Nystroem and the :opt maps see data).
    std::printf("\nbest data-independent map per kernel and D (by rel.F(nc)):\n");
    for (const auto& kspec : kernels)
      for (arma::uword D : features) {
        const Row* best = nullptr;
        const Row* kk = nullptr;
        for (const Row& r : rows) {
          if (r.kernel != kspec || r.D != D) continue;
          if (r.map == "maclaurin:kk") kk = &r;
          if (r.map.rfind("nystrom", 0) == 0 || r.map.find(":opt") != std::string::npos) continue;
          if (!best || r.frob_nc < best->frob_nc) best = &r;
        }
        if (!best) continue;
        std::printf("  %-13s D=%-6llu %-14s %.4f", kspec.c_str(), static_cast<unsigned long long>(D),
                    best->map.c_str(), best->frob_nc);
        if (kk) std::printf("   (maclaurin:kk %.4f, %.1fx lower)", kk->frob_nc, kk->frob_nc / best->frob_nc);
        std::printf("\n");
      }
    if (!csv.empty()) {
      const std::string tmp = csv + ".tmp";
      {
        std::ofstream out(tmp);
        out << "kernel,map,D,seeds,rel_frobenius_nonconstant,rel_frobenius_nonconstant_sd,rel_frobenius,max_abs_error,"
               "rel_spectral,seconds_double,seconds_float,sgemm_fraction\n";
        for (const Row& r : rows)
          out << r.kernel << "," << r.map << "," << r.D << "," << seeds << "," << r.frob_nc << "," << r.frob_nc_sd
              << "," << r.frob << "," << r.max_abs << "," << r.spectral << "," << r.seconds << "," << r.seconds_float
              << "," << r.sgemm_ratio << "\n";
        if (!out) throw std::runtime_error("writing " + tmp + " failed");
      }
      if (std::rename(tmp.c_str(), csv.c_str()) != 0) throw std::runtime_error("renaming " + tmp + " failed");
      std::printf("\nwrote %s\n", csv.c_str());
    }
    return 0;
  });
}
