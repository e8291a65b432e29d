// SPDX-License-Identifier: MIT
// deepdot experiment approx: how the feature maps approach the recursive
// kernel as D grows (Gram error), what that buys in test accuracy, and what it
// costs in time, on Fashion-MNIST.
#include "experiment.hpp"

#include "../common/process.hpp"

#include <deepdot/deepdot.hpp>
#include <deepdot/maps/approximation.hpp>

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
  --seeds N              maps drawn per (map, depth, D) in part 1, averaged; repeat r uses seed --seed + r
                         (deepdot::approximation_sweep) and the CSV gives the spread [1]
  --data DIR             Fashion-MNIST directory [$DEEPDOT_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist]
Lists of specs are separated by ';' or by ',' before a name.
)";

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
           " == " + std::to_string(k) + " && strcol(" + std::to_string(c_map) + ") eq " + cli::gnuplot_quote(maps[i], "--maps item") + " ? $" +
           std::to_string(c_x) + " : 1/0):" + std::to_string(c_y) + " with linespoints " + style_of(style_maps, maps[i]) +
           " title " + cli::gnuplot_quote(maps[i], "--maps item");
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

// The options of the experiment; --quick gives tiny sizes.
struct ApproxSetup {
  std::vector<std::string> maps, acc_maps, all_maps;
  std::vector<unsigned long long> depths, Ds, acc_depths, acc_Ds;
  arma::uword n, n_fit, n_train, n_test, seeds;
  std::string data;
};

ApproxSetup read_setup(cli::Args& args, bool q) {
  ApproxSetup s;
  s.maps = split_specs(args.str("maps", q ? "maclaurin,srht,fourier:orf,nystrom"
                                          : "maclaurin:kk,maclaurin,maclaurin:opt,tensorsketch,tensorsketch:opt,"
                                            "srht,srht:opt,fourier,fourier:orf,layerwise,nystrom"),
                       "maps");
  s.depths = integer_list(args, "depths", q ? "1,2" : "1,2,4");
  s.Ds = integer_list(args, "features", q ? "64,256" : "256,1024,4096,16384");
  s.n = args.integer("n", q ? 200 : 1000);
  s.n_fit = args.integer("fit", q ? 256 : 4096);
  s.acc_maps = split_specs(args.str("accuracy-maps", q ? "fourier:orf,srht" : "fourier:orf,srht,tensorsketch,maclaurin,nystrom"),
                           "accuracy-maps");
  s.acc_depths = integer_list(args, "accuracy-depths", q ? "2" : "1,4");
  s.acc_Ds = integer_list(args, "accuracy-features", q ? "64,256" : "256,1024,4096");
  s.n_train = args.integer("train", q ? 500 : 10000);
  s.n_test = args.integer("test", q ? 500 : 10000);
  s.seeds = args.integer("seeds", 1);
  s.data = args.str("data", "");
  args.reject_unknown();
  if (s.n < 2) throw std::invalid_argument("--n must be >= 2");
  if (s.seeds < 1) throw std::invalid_argument("--seeds must be >= 1");
  if (s.n_train < 20 || s.n_test < 1) throw std::invalid_argument("--train must be >= 20 and --test >= 1");
  if (s.n + s.n_fit > 60000 || s.n_train > 60000 || s.n_test > 10000)
    throw std::invalid_argument("Fashion-MNIST has 60,000 training and 10,000 test images: --n + --fit and --train "
                                "must be <= 60,000, --test <= 10,000");
  for (auto k : s.depths)
    if (k < 1 || k > 50) throw std::invalid_argument("--depths must be in 1..50");
  for (auto k : s.acc_depths)
    if (k < 1 || k > 50) throw std::invalid_argument("--accuracy-depths must be in 1..50");
  for (const auto& m : s.maps) make_feature_map(m, recursive_kernel(1), 784, 64, 1);  // validates the specs now
  for (const auto& m : s.acc_maps) make_feature_map(m, recursive_kernel(1), 784, 64, 1);
  s.all_maps = s.maps;  // one style per map across plots
  for (const auto& m : s.acc_maps)
    if (std::find(s.all_maps.begin(), s.all_maps.end(), m) == s.all_maps.end()) s.all_maps.push_back(m);
  return s;
}

// Part 1: approximation error and float transform time, one sweep per depth.
Table error_table(const ApproxSetup& s, const arma::mat& X, const arma::mat& F, std::uint64_t seed,
                  cli::Progress& progress) {
  Table err;
  err.columns = {"depth", "map", "D", "n", "seeds", "rel_frobenius_nonconstant", "rel_frobenius_nonconstant_sd",
                 "rel_frobenius", "max_abs_error", "rel_spectral", "transform_seconds", "seconds_per_1000_points"};
  const std::vector<arma::uword> Ds(s.Ds.begin(), s.Ds.end());
  for (std::size_t i = 0; i < s.depths.size(); ++i) {
    SweepOptions opt;
    opt.repeats = s.seeds;
    opt.seed = seed;
    opt.single_precision = true;
    opt.progress = [&](std::size_t done, std::size_t total) {
      progress.bar("approximation error", i * total + done, s.depths.size() * total);
    };
    const auto k = s.depths[i];
    for (const SweepRow& r : approximation_sweep(recursive_kernel(k), s.maps, Ds, X, F, opt)) {
      if (r.skipped) continue;  // the map needs more fit points than --fit
      err.add({k, r.map, r.features, s.n, s.seeds, r.error.relative_frobenius_nonconstant, r.nonconstant_sd,
               r.error.relative_frobenius, r.error.max_abs_error, r.error.relative_spectral, r.seconds,
               1000.0 * r.seconds / static_cast<double>(s.n)});
    }
  }
  return err;
}

// Part 2: test accuracy against D with the squared loss.
Table accuracy_table(const ApproxSetup& s, const LabelledImages& train, const LabelledImages& test, std::uint64_t seed,
                     cli::Progress& progress) {
  Table acc;
  acc.columns = {"depth", "map", "D", "train", "test", "test_accuracy", "lambda", "fit_seconds", "predict_seconds"};
  const std::size_t total = s.acc_depths.size() * s.acc_maps.size() * s.acc_Ds.size();
  std::size_t done = 0;
  const arma::mat Xtr = train.images.cols(0, s.n_train - 1);
  const arma::ivec ytr = train.labels.head(s.n_train);
  for (auto k : s.acc_depths)
    for (const auto& m : s.acc_maps)
      for (auto D : s.acc_Ds) {
        progress.bar("test accuracy", ++done, total);
        TrainerConfig cfg = fixed_defaults();  // squared loss, the default lambda grid
        cfg.kernel = "recursive:" + std::to_string(k);
        cfg.map = m;
        cfg.features = D;
        cfg.seed = seed;
        cfg.map_sample = s.n_fit;  // a data-dependent map is fitted on the first n_fit training images
        const arma::uword needed = make_feature_map(m, recursive_kernel(k), 784, D, seed)->min_fit_points();
        if (needed > std::min<arma::uword>(s.n_fit, s.n_train * 9 / 10)) continue;
        const auto t0 = std::chrono::steady_clock::now();
        const Model model = Trainer(cfg).fit(Xtr, ytr);
        const double fit_secs = seconds_since(t0);
        const auto t1 = std::chrono::steady_clock::now();
        const double a = accuracy(test.labels, model.predict_labels(test.images));
        acc.add({k, m, D, s.n_train, s.n_test, a, model.parts().lambdas.max(), fit_secs, seconds_since(t1)});
      }
  return acc;
}

// The best data-independent map per depth and D (by rel.F(nc)): data-dependent maps see the data.
std::vector<std::string> best_maps(const ApproxSetup& s, const Table& err) {
  std::vector<std::string> out;
  for (auto k : s.depths)
    for (auto D : s.Ds) {
      std::size_t best = err.rows.size();
      for (std::size_t r = 0; r < err.rows.size(); ++r) {
        if (err.number(r, "depth") != k || err.number(r, "D") != D) continue;
        if (make_feature_map(err.text(r, "map"), recursive_kernel(k), 784, D, 1)->min_fit_points() > 0) continue;
        if (best == err.rows.size() ||
            err.number(r, "rel_frobenius_nonconstant") < err.number(best, "rel_frobenius_nonconstant"))
          best = r;
      }
      if (best == err.rows.size()) continue;
      char line[160];
      std::snprintf(line, sizeof line, "recursive:%llu D=%llu: %s %.4f", k, D, err.text(best, "map").c_str(),
                    err.number(best, "rel_frobenius_nonconstant"));
      out.push_back(line);
    }
  return out;
}

// The three plots; returns their file names (or how to draw them).
std::vector<std::string> draw_plots(const ApproxSetup& s, const std::string& out) {
  const std::string panel_setup = "set logscale x 2\nset grid\nset key outside right top font ',9'\nset xlabel 'features D'\n";
  const int w = 480 * static_cast<int>(s.depths.size());
  std::string g = svg_preamble("approx-error", w + 160, 440) + "set multiplot layout 1," + std::to_string(s.depths.size()) +
                  "\n" + panel_setup + "set logscale y\nset ylabel '||K - Z^TZ||_F / ||K - a_0||_F'\n" +
                  panels(s.depths, s.maps, s.all_maps, "approx.csv", 1, 2, 3, 6, "approximation error") + "unset multiplot\n";
  const std::string p_err = plot(out, "approx-error", g);
  g = svg_preamble("approx-time", w + 160, 440) + "set multiplot layout 1," + std::to_string(s.depths.size()) + "\n" +
      panel_setup + "set logscale y\nset ylabel 'float transform, seconds per 1000 points'\n" +
      panels(s.depths, s.maps, s.all_maps, "approx.csv", 1, 2, 3, 12, "transform time") + "unset multiplot\n";
  const std::string p_time = plot(out, "approx-time", g);
  g = svg_preamble("approx-accuracy", 480 * static_cast<int>(s.acc_depths.size()) + 160, 440) + "set multiplot layout 1," +
      std::to_string(s.acc_depths.size()) + "\n" + panel_setup + "set ylabel 'test accuracy (Fashion-MNIST)'\n" +
      panels(s.acc_depths, s.acc_maps, s.all_maps, "approx-accuracy.csv", 1, 2, 3, 6, "test accuracy") + "unset multiplot\n";
  const std::string p_acc = plot(out, "approx-accuracy", g);
  return {p_err, p_time, p_acc};
}

}  // namespace

int run_approx(int argc, char** argv) {
  cli::Args args(argc, argv, {"quick", "json", "quiet"});
  Common common;
  if (!start(args, "approx", kUsage, common)) return 0;
  const ApproxSetup s = read_setup(args, common.quick);
  cli::Progress progress(common.quiet);
  progress.stage("loading Fashion-MNIST");
  LabelledImages train, test;
  try {
    train = load_fashion_mnist("train", std::max<arma::uword>(s.n + s.n_fit, s.n_train), s.data);
    test = load_fashion_mnist("test", s.n_test, s.data);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("Fashion-MNIST not found (") + e.what() +
                                "); install it with: apt-get install dataset-fashion-mnist");
  }
  arma::mat X = train.images.cols(0, s.n - 1), F = train.images.cols(s.n, s.n + s.n_fit - 1);
  normalize_columns(X);
  normalize_columns(F);
  const auto t_all = std::chrono::steady_clock::now();
  const Table err = error_table(s, X, F, common.seed, progress);
  err.write_csv(common.out + "/approx.csv");
  const Table acc = accuracy_table(s, train, test, common.seed, progress);
  acc.write_csv(common.out + "/approx-accuracy.csv");
  const double total_seconds = seconds_since(t_all);
  const auto plots = draw_plots(s, common.out);

  cli::Report report;
  report.text("experiment", "approx");
  report.text("command", command_line(argc, argv));
  report.text("machine", machine_description());
  report.text("data", "Fashion-MNIST, unit-norm images: part 1 on the first " + std::to_string(s.n) +
                          " training images (data-dependent maps fitted on the next " + std::to_string(s.n_fit) +
                          "); part 2 trained on the first " + std::to_string(s.n_train) + " training images, tested on " +
                          std::to_string(s.n_test) + " test images");
  report.raw("approximation error ||K - Z'Z||_F / ||K - a_0||_F (rows: map; columns: depth:D)", err.json(),
             grid_text(err, s.maps, s.depths, s.Ds, "rel_frobenius_nonconstant"));
  add_list(report, "best data-independent map per depth and D", best_maps(s, err), "  ");
  report.raw("test accuracy (squared loss, lambda on validation; columns: depth:D)", acc.json(),
             grid_text(acc, s.acc_maps, s.acc_depths, s.acc_Ds, "test_accuracy"));
  report.number("seconds", total_seconds, 4);
  report.text("csv", common.out + "/approx.csv, " + common.out + "/approx-accuracy.csv");
  report.text("plots", common.out + "/" + plots[0] + ", " + common.out + "/" + plots[1] + ", " + common.out + "/" + plots[2]);
  progress.stage("done");
  finish(common, "approx", report);
  return 0;
}

}  // namespace deepdot::experiment
