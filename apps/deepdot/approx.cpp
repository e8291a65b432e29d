// SPDX-License-Identifier: MIT
// deepdot approx: approximation errors of feature maps against D; CSV and a plot.
#include "commands.hpp"

#include <deepdot/deepdot.hpp>
#include <deepdot/io/dataset.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>
#include <deepdot/maps/approximation.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace deepdot::commands {

namespace {

const char* kApproxUsage = R"(usage: deepdot approx --data FILE [options]

For a kernel, a list of feature maps, a list of feature counts and seeds, measures on a sample of
the data (scaled into the unit ball) how well <phi(x), phi(y)> approximates K(x, y): relative
Frobenius error ||K - Z'Z||_F / ||K||_F, the same for the non-constant part ||K - Z'Z||_F /
||K - a_0||_F, the largest entry error, the relative spectral error, and the transform time.
Writes a CSV (--out) and a log-log plot of the error against D, one line per map (--plot, needs
gnuplot; without it the CSV is written and the command to draw it is printed).

options:
)"
                           "%s"
                           R"(  --kernel SPEC      [recursive:2]
  --maps LIST        comma-separated map specs [maclaurin:kk,srht,tensorsketch,fourier]
  --features LIST    comma-separated D values [256,1024,4096]
  --seeds N          seeds per point, averaged [3]
  --n N              points of the sample (the first N) [1000]
  --fit N            points after the sample given to fit() of data-dependent maps [2000]
  --scaling S        [unit-norm]
  --out FILE         CSV of every measurement [approx.csv]
  --plot FILE        .svg or .png plot [approx.svg]
  --json, --quiet, --threads N
)";

}  // namespace

int approx(Args& args) {
  if (args.help()) {
    std::printf(kApproxUsage, kDataHelp);
    return 0;
  }
  const CommonOptions common = common_options(args);
  const deepdot::Kernel kernel = deepdot::make_kernel(args.str("kernel", "recursive:2"));
  const std::vector<std::string> maps = cli::split_specs(args.str("maps", "maclaurin:kk,srht,tensorsketch,fourier"), "maps");
  std::vector<arma::uword> features;
  for (double v : args.reals("features", "256,1024,4096")) {
    if (!(v >= 1) || v != std::floor(v)) throw std::invalid_argument("--features must list positive integers");
    features.push_back(static_cast<arma::uword>(v));
  }
  const auto seeds = args.integer("seeds", 3);
  const auto n = args.integer("n", 1000);
  const auto n_fit = args.integer("fit", 2000);
  const deepdot::Scaling scaling = deepdot::parse_scaling(args.str("scaling", "unit-norm"));
  const std::string out = args.str("out", "approx.csv");
  const std::string plot = args.str("plot", "approx.svg");
  Progress progress(common.quiet);
  progress.stage("reading data");
  deepdot::Dataset data = read_data(args);
  args.reject_unknown();
  if (seeds < 1 || n < 2) throw std::invalid_argument("--seeds must be >= 1 and --n >= 2");
  deepdot::Scaler scaler(scaling);
  scaler.fit(data.X);
  const arma::mat all = scaler.transform(data.X);
  const arma::uword n_sample = std::min<arma::uword>(n, all.n_cols);
  const arma::mat X = all.cols(0, n_sample - 1);
  const arma::mat F = all.n_cols > n_sample ? arma::mat(all.cols(n_sample, std::min<arma::uword>(all.n_cols, n_sample + n_fit) - 1))
                                            : X;
  const arma::mat K = deepdot::gram(kernel, X);
  const double a0 = kernel.coefficients(1)[0];

  struct Row {
    std::string map;
    arma::uword D;
    double frob, frob_nc, max_abs, spectral, seconds;
  };
  std::vector<Row> rows;
  const std::size_t total = maps.size() * features.size() * seeds;
  std::size_t done = 0;
  for (const auto& m : maps)
    for (arma::uword D : features) {
      Row r{m, D, 0, 0, 0, 0, 0};
      for (arma::uword s = 0; s < seeds; ++s) {
        auto map = deepdot::make_feature_map(m, kernel, X.n_rows, D, 1 + s);
        if (!map->is_fitted() || m.rfind("nystrom", 0) == 0) map->fit(F);
        const auto t0 = Clock::now();
        const arma::mat Z = map->transform(X);
        r.seconds += seconds_since(t0) / static_cast<double>(seeds);
        const deepdot::ApproximationError e = deepdot::approximation_error(K, Z, a0);
        r.frob += e.relative_frobenius / static_cast<double>(seeds);
        r.frob_nc += e.relative_frobenius_nonconstant / static_cast<double>(seeds);
        r.max_abs += e.max_abs_error / static_cast<double>(seeds);
        r.spectral += e.relative_spectral / static_cast<double>(seeds);
        progress.bar("measuring", ++done, total);
      }
      rows.push_back(r);
    }

  // CSV, atomically.
  {
    const std::string tmp = out + ".tmp";
    std::ofstream f(tmp);
    f << "kernel,map,D,seeds,rel_frobenius,rel_frobenius_nonconstant,max_abs_error,rel_spectral,seconds\n";
    for (const Row& r : rows)
      f << kernel.spec() << "," << r.map << "," << r.D << "," << seeds << "," << r.frob << "," << r.frob_nc << ","
        << r.max_abs << "," << r.spectral << "," << r.seconds << "\n";
    f.close();
    if (!f || std::rename(tmp.c_str(), out.c_str()) != 0) {
      std::remove(tmp.c_str());
      throw std::runtime_error("writing " + out + " failed");
    }
  }
  // The plot: gnuplot reads the CSV directly, one line per map.
  std::string plot_status;
  const std::string ext = cli::extension(plot);
  if (ext != ".svg" && ext != ".png") throw std::invalid_argument("--plot " + plot + ": the extension must be .svg or .png");
  std::string script = std::string("set terminal ") + (ext == ".svg" ? "svg size 800,560" : "pngcairo size 800,560") +
                       "; set output '" + plot + "'; set datafile separator ','; set logscale xy; set key outside;"
                       " set xlabel 'features D'; set ylabel '||K - ZZ^T||_F / ||K - a_0||_F';"
                       " set title 'approximation error, " + kernel.spec() + "'; plot ";
  for (std::size_t i = 0; i < maps.size(); ++i)
    script += std::string(i ? ", " : "") + "'" + out + "' using 3:(strcol(2) eq '" + maps[i] +
              "' ? $6 : 1/0) with linespoints title '" + maps[i] + "'";
  // The script goes to a file next to the plot: inline, the shell would expand its $6.
  const std::string script_path = plot + ".gp";
  {
    std::ofstream g(script_path);
    g << script << "\n";
    if (!g) throw std::runtime_error("writing " + script_path + " failed");
  }
  const bool have_gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  if (have_gnuplot) {
    const std::string cmd = "gnuplot '" + script_path + "' 2>/dev/null";
    plot_status = std::system(cmd.c_str()) == 0 ? plot : "gnuplot failed; run: gnuplot " + script_path;
  } else {
    plot_status = "gnuplot is not installed (apt-get install gnuplot-nox); draw it with: gnuplot " + script_path;
  }

  Report r;
  r.text("kernel", kernel.spec());
  r.text("sample", shape(X.n_rows, X.n_cols) + " (d x n) from " + data.source);
  r.integer("seeds", seeds);
  std::ostringstream table, json;
  char line[200];
  std::snprintf(line, sizeof line, "  %-22s %7s %10s %10s %10s %10s %9s\n", "map", "D", "rel.F(nc)", "rel.F",
                "max|err|", "rel.spec", "seconds");
  table << line;
  json << "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& w = rows[i];
    std::snprintf(line, sizeof line, "  %-22s %7llu %10.4g %10.4g %10.4g %10.4g %9.3g\n", w.map.c_str(),
                  static_cast<unsigned long long>(w.D), w.frob_nc, w.frob, w.max_abs, w.spectral, w.seconds);
    table << line;
    json << (i ? "," : "") << "{\"map\":" << Report::quote(w.map) << ",\"D\":" << w.D
         << ",\"rel_frobenius_nonconstant\":" << w.frob_nc << ",\"rel_frobenius\":" << w.frob
         << ",\"max_abs_error\":" << w.max_abs << ",\"rel_spectral\":" << w.spectral << ",\"seconds\":" << w.seconds
         << "}";
  }
  json << "]";
  r.raw("results", json.str(), table.str());
  r.text("csv", out);
  r.text("plot", plot_status);
  progress.stage("done");
  r.print(common.json);
  return 0;
}

}  // namespace deepdot::commands
