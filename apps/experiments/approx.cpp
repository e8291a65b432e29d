// SPDX-License-Identifier: MIT
// deepdot experiment approx: how the feature maps approach the recursive
// kernel as D grows (Gram error), what that buys in test accuracy, and what it
// costs in time, on Fashion-MNIST.
#include "experiment.hpp"

#include <deepdot/deepdot.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <sstream>

namespace deepdot::experiment {
namespace {

const char* kUsage = R"(usage: deepdot experiment approx [options]

On Fashion-MNIST images scaled to unit norm (d = 784):
 1. approximation error: for every map x depth x D, ||K - Z'Z||_F / ||K - a_0||_F (and the other
    measures of approximation_error) on the first --n training images, against the exact Gram
    matrix of the recursive kernel; data-dependent maps (Nystroem, :opt) are fitted on the next
    --fit images; the time of the float transform of those n images;
 2. test accuracy against D: for --accuracy-maps x --accuracy-depths x D, the squared loss on the
    features of --train training images (lambda on a 10 % validation split, then refit), scored on
    --test images of the test split; the time of the whole fit.
Maps that cannot run a configuration (Nystroem with D above the points it is fitted on) are skipped.

options (defaults in brackets):
  --maps LIST            maps of part 1 [maclaurin:kk,maclaurin,maclaurin:opt,tensorsketch,
                         tensorsketch:opt,srht,srht:opt,fourier,fourier:orf,layerwise,nystrom]
  --depths LIST          recursive kernel depths of part 1 [1,2,4]
  --features LIST        D values [256,1024,4096,16384]
  --n N                  images of part 1 [1000]
  --fit N                images data-dependent maps are fitted on [4096]
  --accuracy-maps LIST   maps of part 2 [fourier:orf,srht,tensorsketch,maclaurin,nystrom]
  --accuracy-depths LIST depths of part 2 [1,4]
  --accuracy-features LIST D values of part 2 [256,1024,4096]
  --train N              training images of part 2 [10000]
  --test N               test images of part 2 [10000]
)";

bool is_nystrom(const std::string& spec) { return spec.rfind("nystrom", 0) == 0; }

// A fixed colour and point type per map, the same in every panel and plot.
std::string style_of(const std::vector<std::string>& all, const std::string& map) {
  const auto i = static_cast<int>(std::find(all.begin(), all.end(), map) - all.begin());
  return "lc " + std::to_string(i + 1) + " pt " + std::to_string(i % 13 + 1);
}

// One log-x panel per depth with a line per map, read from `csv` filtered on the depth and map columns.
std::string panels(const std::vector<unsigned long long>& depths, const std::vector<std::string>& maps,
                   const std::vector<std::string>& style_maps, const std::string& csv, std::size_t c_depth,
                   std::size_t c_map, std::size_t c_x, std::size_t c_y, const std::string& title) {
  std::string s;
  for (auto k : depths) {
    s += "set title '" + title + ", recursive:" + std::to_string(k) + "'\nplot ";
    for (std::size_t i = 0; i < maps.size(); ++i)
      s += std::string(i ? ", " : "") + "'" + csv + "' every ::1 using ($" + std::to_string(c_depth) +
           " == " + std::to_string(k) + " && strcol(" + std::to_string(c_map) + ") eq '" + maps[i] + "' ? $" +
           std::to_string(c_x) + " : 1/0):" + std::to_string(c_y) + " with linespoints " + style_of(style_maps, maps[i]) +
           " title '" + maps[i] + "'";
    s += "\n";
  }
  return s;
}

// A text grid of one column of `t`: a row per map, a column per (depth, D); n/a where no row exists.
std::string grid_text(const Table& t, const std::vector<std::string>& maps, const std::vector<unsigned long long>& depths,
                      const std::vector<unsigned long long>& Ds, const std::string& value) {
  std::ostringstream out;
  char cell[64];
  out << "  " << std::string(18, ' ');
  for (auto k : depths)
    for (auto D : Ds) {
      std::snprintf(cell, sizeof cell, " %9s", ("k" + std::to_string(k) + ":" + std::to_string(D)).c_str());
      out << cell;
    }
  out << "\n";
  for (const auto& m : maps) {
    std::snprintf(cell, sizeof cell, "  %-18s", m.c_str());
    out << cell;
    for (auto k : depths)
      for (auto D : Ds) {
        double v = std::numeric_limits<double>::quiet_NaN();
        for (std::size_t r = 0; r < t.rows.size(); ++r)
          if (t.number(r, "depth") == k && t.text(r, "map") == m && t.number(r, "D") == D) v = t.number(r, value);
        char num[32];
        std::snprintf(num, sizeof num, "%.4f", v);
        std::snprintf(cell, sizeof cell, " %9s", std::isfinite(v) ? num : "n/a");
        out << cell;
      }
    out << "\n";
  }
  return out.str();
}

}  // namespace

int run_approx(int argc, char** argv) {
  cli::Args args(argc, argv, {"quick", "json", "quiet"});
  Common common;
  if (!start(args, "approx", kUsage, common)) return 0;
  const bool q = common.quick;
  const auto maps = split_specs(args.str("maps", q ? "maclaurin,srht,fourier:orf,nystrom"
                                                  : "maclaurin:kk,maclaurin,maclaurin:opt,tensorsketch,tensorsketch:opt,"
                                                    "srht,srht:opt,fourier,fourier:orf,layerwise,nystrom"),
                               "maps");
  const auto depths = integer_list(args, "depths", q ? "1,2" : "1,2,4");
  const auto Ds = integer_list(args, "features", q ? "64,256" : "256,1024,4096,16384");
  const auto n = args.integer("n", q ? 200 : 1000);
  const auto n_fit = args.integer("fit", q ? 256 : 4096);
  const auto acc_maps = split_specs(args.str("accuracy-maps", q ? "fourier:orf,srht" : "fourier:orf,srht,tensorsketch,maclaurin,nystrom"),
                                   "accuracy-maps");
  const auto acc_depths = integer_list(args, "accuracy-depths", q ? "2" : "1,4");
  const auto acc_Ds = integer_list(args, "accuracy-features", q ? "64,256" : "256,1024,4096");
  const auto n_train = args.integer("train", q ? 500 : 10000);
  const auto n_test = args.integer("test", q ? 500 : 10000);
  args.reject_unknown();
  if (n < 2) throw std::invalid_argument("--n must be >= 2");
  if (n_train < 20 || n_test < 1) throw std::invalid_argument("--train must be >= 20 and --test >= 1");
  if (n + n_fit > 60000 || n_train > 60000 || n_test > 10000)
    throw std::invalid_argument("Fashion-MNIST has 60,000 training and 10,000 test images: --n + --fit and --train "
                                "must be <= 60,000, --test <= 10,000");
  for (auto k : depths)
    if (k < 1 || k > 50) throw std::invalid_argument("--depths must be in 1..50");
  for (auto k : acc_depths)
    if (k < 1 || k > 50) throw std::invalid_argument("--accuracy-depths must be in 1..50");
  for (const auto& m : maps) make_feature_map(m, recursive_kernel(1), 784, 64, 1);  // validates the specs now
  for (const auto& m : acc_maps) make_feature_map(m, recursive_kernel(1), 784, 64, 1);
  std::vector<std::string> all_maps = maps;  // one style per map across plots
  for (const auto& m : acc_maps)
    if (std::find(all_maps.begin(), all_maps.end(), m) == all_maps.end()) all_maps.push_back(m);

  cli::Progress progress(common.quiet);
  progress.stage("loading Fashion-MNIST");
  LabelledImages train, test;
  try {
    train = load_fashion_mnist("train", std::max<arma::uword>(n + n_fit, n_train));
    test = load_fashion_mnist("test", n_test);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("Fashion-MNIST not found (") + e.what() +
                                "); install it with: apt-get install dataset-fashion-mnist");
  }
  arma::mat X = train.images.cols(0, n - 1), F = train.images.cols(n, n + n_fit - 1);
  normalize_columns(X);
  normalize_columns(F);
  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  const auto t_all = std::chrono::steady_clock::now();

  // Part 1: approximation error and transform time.
  Table err;
  err.columns = {"depth", "map", "D", "n", "rel_frobenius_nonconstant", "rel_frobenius", "max_abs_error",
                 "rel_spectral", "transform_seconds", "seconds_per_1000_points"};
  std::size_t total = depths.size() * maps.size() * Ds.size(), done = 0;
  for (auto k : depths) {
    const Kernel kernel = recursive_kernel(k);
    const arma::mat K = gram(kernel, X);
    const double a0 = kernel.coefficients(1)[0];
    for (const auto& m : maps)
      for (auto D : Ds) {
        progress.bar("approximation error", ++done, total);
        if (is_nystrom(m) && D > n_fit) continue;  // needs at least D landmarks
        auto map = make_feature_map(m, kernel, X.n_rows, D, common.seed);
        if (!map->is_fitted() || is_nystrom(m)) map->fit(F);
        const auto t0 = std::chrono::steady_clock::now();
        const arma::fmat Zf = map->transform(Xf);
        const double secs = seconds_since(t0);
        const ApproximationError e = approximation_error(K, arma::conv_to<arma::mat>::from(Zf), a0);
        err.add({k, m, D, n, e.relative_frobenius_nonconstant, e.relative_frobenius, e.max_abs_error,
                 e.relative_spectral, secs, 1000.0 * secs / static_cast<double>(n)});
      }
  }
  err.write_csv(common.out + "/approx.csv");

  // Part 2: test accuracy against D.
  Table acc;
  acc.columns = {"depth", "map", "D", "train", "test", "test_accuracy", "lambda", "fit_seconds", "predict_seconds"};
  total = acc_depths.size() * acc_maps.size() * acc_Ds.size(), done = 0;
  const arma::mat Xtr = train.images.cols(0, n_train - 1);
  const arma::ivec ytr = train.labels.head(n_train);
  for (auto k : acc_depths)
    for (const auto& m : acc_maps)
      for (auto D : acc_Ds) {
        progress.bar("test accuracy", ++done, total);
        TrainerConfig cfg;
        cfg.kernel = "recursive:" + std::to_string(k);
        cfg.map = m;
        cfg.features = D;
        cfg.seed = common.seed;
        cfg.map_sample = n_fit;  // Nystroem: D landmarks out of the first n_fit training images
        if (is_nystrom(m) && D > std::min<arma::uword>(n_fit, n_train * 9 / 10)) continue;
        const auto t0 = std::chrono::steady_clock::now();
        const Model model = Trainer(cfg).fit(Xtr, ytr);
        const double fit_secs = seconds_since(t0);
        const auto t1 = std::chrono::steady_clock::now();
        const double a = accuracy(test.labels, model.predict_labels(test.images));
        acc.add({k, m, D, n_train, n_test, a, model.parts().lambdas.max(), fit_secs, seconds_since(t1)});
      }
  acc.write_csv(common.out + "/approx-accuracy.csv");
  const double total_seconds = seconds_since(t_all);

  // Plots.
  const std::string panel_setup = "set logscale x 2\nset grid\nset key outside right top font ',9'\nset xlabel 'features D'\n";
  const int w = 480 * static_cast<int>(depths.size());
  std::string s = svg_preamble("approx-error", w + 160, 440) + "set multiplot layout 1," + std::to_string(depths.size()) +
                  "\n" + panel_setup + "set logscale y\nset ylabel '||K - Z^TZ||_F / ||K - a_0||_F'\n" +
                  panels(depths, maps, all_maps, "approx.csv", 1, 2, 3, 5, "approximation error") + "unset multiplot\n";
  const std::string p_err = plot(common.out, "approx-error", s);
  s = svg_preamble("approx-time", w + 160, 440) + "set multiplot layout 1," + std::to_string(depths.size()) + "\n" +
      panel_setup + "set logscale y\nset ylabel 'float transform, seconds per 1000 points'\n" +
      panels(depths, maps, all_maps, "approx.csv", 1, 2, 3, 10, "transform time") + "unset multiplot\n";
  const std::string p_time = plot(common.out, "approx-time", s);
  s = svg_preamble("approx-accuracy", 480 * static_cast<int>(acc_depths.size()) + 160, 440) + "set multiplot layout 1," +
      std::to_string(acc_depths.size()) + "\n" + panel_setup + "set ylabel 'test accuracy (Fashion-MNIST)'\n" +
      panels(acc_depths, acc_maps, all_maps, "approx-accuracy.csv", 1, 2, 3, 6, "test accuracy") + "unset multiplot\n";
  const std::string p_acc = plot(common.out, "approx-accuracy", s);

  const std::string et = grid_text(err, maps, depths, Ds, "rel_frobenius_nonconstant");
  const std::string at = grid_text(acc, acc_maps, acc_depths, acc_Ds, "test_accuracy");

  cli::Report report;
  report.text("experiment", "approx");
  report.text("command", command_line(argc, argv));
  report.text("machine", machine_description());
  report.text("data", "Fashion-MNIST, unit-norm images: part 1 on the first " + std::to_string(n) +
                          " training images (data-dependent maps fitted on the next " + std::to_string(n_fit) +
                          "); part 2 trained on the first " + std::to_string(n_train) + " training images, tested on " +
                          std::to_string(n_test) + " test images");
  report.raw("approximation error ||K - Z'Z||_F / ||K - a_0||_F (rows: map; columns: depth:D)", err.json(), et);
  report.raw("test accuracy (squared loss, lambda on validation; columns: depth:D)", acc.json(), at);
  report.number("seconds", total_seconds, 4);
  report.text("csv", common.out + "/approx.csv, " + common.out + "/approx-accuracy.csv");
  report.text("plots", common.out + "/" + p_err + ", " + common.out + "/" + p_time + ", " + common.out + "/" + p_acc);
  progress.stage("done");
  finish(common, "approx", report);
  return 0;
}

}  // namespace deepdot::experiment
