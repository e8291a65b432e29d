// deepdot-fashion: the recursive kernel on Fashion-MNIST through explicit
// features and the streaming trainer; prints accuracy, times and peak memory.
#include <deepdot/deepdot.hpp>

#include "cli.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

namespace {

const char* kUsage = R"(usage: deepdot-fashion [options]

Trains a one-vs-all classifier on Fashion-MNIST (unit-norm images, recursive
kernel) with deepdot's Trainer and reports test accuracy, fit time, prediction
time and peak resident memory (VmHWM).

options (defaults in brackets):
  --n N              training images, the first N of the 60,000 [60000]
  --test N           test images, the first N of the 10,000 [10000]
  --kernel SPEC      kernel [recursive:3]
  --map SPEC         feature map, or "exact" for the kernel limit [fourier:orf]
  --features D       number of features [16384]
  --loss L           squared | hinge | squared-hinge | logistic [squared]
  --lambdas LIST     one lambda, or a grid selected on a held-out split [1e-5]
  --validation F     fraction held out when a grid is given (0 with the
                     squared loss: GCV) [0.1]
  --norm-bound B     norm-ball form (Algorithm 1) instead of lambda [off]
  --solver S         auto | eigen | cholesky (squared loss) [auto]
  --precision P      float | double features [float]
  --batch N          points per feature batch [2048]
  --seed N           seed of the map and the split [1]
  --save PATH        save the model, reload it and check the predictions are identical
  --data DIR         Fashion-MNIST directory [$DEEPDOT_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist]
  --help             this text
)";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Peak resident set size in MiB from /proc/self/status (-1 if unavailable).
double peak_memory_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1.0;
}

}  // namespace

int main(int argc, char** argv) {
  return deepdot::cli::run_app("deepdot-fashion", [&]() {
    deepdot::cli::Args args(argc, argv, {});
    if (args.help()) {
      std::cout << kUsage;
      return 0;
    }
    const auto n = args.integer("n", 60000);
    const auto n_test = args.integer("test", 10000);
    deepdot::TrainerConfig cfg;
    cfg.kernel = args.str("kernel", "recursive:3");
    cfg.map = args.str("map", "fourier:orf");
    cfg.features = args.integer("features", 16384);
    cfg.loss = deepdot::parse_loss(args.str("loss", "squared"));
    cfg.lambdas = arma::vec(args.reals("lambdas", "1e-5"));
    cfg.validation_fraction = args.real("validation", 0.1);
    cfg.norm_bound = args.real("norm-bound", 0.0);
    const std::string solver = args.str("solver", "auto");
    if (solver != "auto" && solver != "eigen" && solver != "cholesky")
      throw std::invalid_argument("--solver must be auto, eigen or cholesky, got '" + solver + "'");
    cfg.solver = solver == "eigen" ? deepdot::RidgeSolver::eigen
                 : solver == "cholesky" ? deepdot::RidgeSolver::cholesky
                                        : deepdot::RidgeSolver::automatic;
    const std::string precision = args.str("precision", "float");
    if (precision != "float" && precision != "double")
      throw std::invalid_argument("--precision must be float or double, got '" + precision + "'");
    cfg.precision = precision == "float" ? deepdot::Precision::single_precision : deepdot::Precision::double_precision;
    cfg.batch_size = args.integer("batch", 2048);
    cfg.seed = args.integer("seed", 1);
    const std::string save = args.str("save", "");
    const std::string data = args.str("data", "");
    args.reject_unknown();
    if (cfg.features > 16384) throw std::invalid_argument("--features must be <= 16384 (the benchmark's budget)");
    if (n < 2 || n_test < 1) throw std::invalid_argument("--n must be >= 2 and --test >= 1");

    const auto t_load = std::chrono::steady_clock::now();
    const deepdot::LabelledImages train = deepdot::load_fashion_mnist("train", n, data);
    const deepdot::LabelledImages test = deepdot::load_fashion_mnist("test", n_test, data);
    const double load_s = seconds_since(t_load);

    const deepdot::Trainer trainer(cfg);
    const auto t_fit = std::chrono::steady_clock::now();
    const deepdot::Model model = trainer.fit(train.images, train.labels);
    const double fit_s = seconds_since(t_fit);

    const auto t_pred = std::chrono::steady_clock::now();
    const arma::ivec predicted = model.predict_labels(test.images);
    const double pred_s = seconds_since(t_pred);
    const double acc = deepdot::accuracy(test.labels, predicted);

    std::printf("deepdot-fashion: %s, map %s, D = %llu, loss %s, %s features\n", cfg.kernel.c_str(), cfg.map.c_str(),
                static_cast<unsigned long long>(cfg.features), deepdot::loss_name(cfg.loss).c_str(), precision.c_str());
    std::printf("  train %llu, test %llu images (loaded in %.1f s)\n", static_cast<unsigned long long>(train.images.n_cols),
                static_cast<unsigned long long>(test.images.n_cols), load_s);
    for (const auto& kv : model.parts().metadata) std::printf("  %s: %s\n", kv.first.c_str(), kv.second.c_str());
    std::printf("  lambda (output 0): %.3g\n", model.parts().lambdas[0]);
    std::printf("  test accuracy     %.4f\n", acc);
    std::printf("  fit time          %.1f s\n", fit_s);
    std::printf("  prediction time   %.1f s\n", pred_s);
    std::printf("  fit + prediction  %.1f s\n", fit_s + pred_s);
    std::printf("  peak memory       %.0f MiB (VmHWM)\n", peak_memory_mib());
    if (!save.empty()) {
      model.save(save);
      const deepdot::Model back = deepdot::Model::load(save);
      const bool same = arma::approx_equal(back.predict(test.images), model.predict(test.images), "absdiff", 0.0);
      std::printf("  saved to %s; reloaded predictions %s\n", save.c_str(), same ? "bit-identical" : "DIFFER");
      if (!same) return 1;
    }
    return 0;
  });
}
