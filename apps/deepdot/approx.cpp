// SPDX-License-Identifier: MIT
// deepdot approx: approximation errors of feature maps against D; CSV and a plot.
#include "commands.hpp"

#include "../common/process.hpp"

#include <deepdot/io/atomic_file.hpp>
#include "../common/options.hpp"

#include <deepdot/deepdot.hpp>
#include <deepdot/maps/approximation.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace deepdot::commands {

namespace {

const char* kApproxUsage = R"(usage: deepdot approx --data FILE [options]

For one or more kernels (--kernel takes a list of specs), a list of feature maps, a list of feature counts and seeds, measures on a sample of
the data (scaled into the unit ball) how well <phi(x), phi(y)> approximates K(x, y): relative
Frobenius error ||K - Z'Z||_F / ||K||_F, the same for the non-constant part ||K - Z'Z||_F /
||K - a_0||_F, the largest entry error, the relative spectral error, and the transform time.
Repeat r of every (map, D) uses seed --seed + r (deepdot::approximation_sweep). Maps that need
more fit points than --fit gives (nystrom with D above it) are skipped and said so.
Writes a CSV (--out) and a log-log plot of the error against D, one line per map (--plot, needs
gnuplot; without it the CSV is written and the command to draw it is printed).
Lists of specs are separated by ';' or by ',' before a name: "coeffs:0.5,0.3,0.2,recursive:2" is two.

options:
)";

struct ApproxOptions {
  cli::DataValues data;
  TrainerConfig cfg = fixed_defaults();  // kernel and scaling
  cli::CommonValues common;
  SweepOptions sweep;
  std::string maps = "maclaurin:kk,srht,tensorsketch,fourier", features = "256,1024,4096";
  arma::uword n = 1000, fit = 2000;
  std::string out = "approx.csv", plot = "approx.svg";
};

cli::OptionTable approx_table(ApproxOptions& o) {
  cli::OptionTable t;
  cli::add_data_options(t, o.data);
  cli::add_kernel_options(t, o.cfg);
  t.override_default("kernel", "recursive:2");  // shallower than training's: the exact Gram is cheap to compare
  t.text("maps", "LIST", "map specs (lists of specs: see above)", o.maps)
      .text("features", "LIST", "comma-separated D values", o.features)
      .count("seeds", "N", "maps drawn per (map, D), averaged", o.sweep.repeats)
      .seed("seed", "the first seed", o.sweep.seed)
      .count("n", "N", "points of the sample (the first N)", o.n)
      .count("fit", "N", "points after the sample given to fit() of data-dependent maps", o.fit)
      .text("out", "FILE", "CSV of every measurement", o.out)
      .text("plot", "FILE", ".svg or .png plot", o.plot);
  cli::add_common_options(t, o.common);
  return t;
}

// One kernel's sweep.
struct KernelRows {
  std::string kernel;
  std::vector<SweepRow> rows;
};

// CSV fields holding commas (coeffs:a,b,c) are quoted (RFC 4180).
std::string csv_field(const std::string& s) {
  return s.find(',') == std::string::npos ? s : "\"" + s + "\"";
}

void write_csv(const std::string& path, const std::vector<KernelRows>& all, arma::uword seeds) {
  std::ostringstream f;
  f << "kernel,map,D,seeds,rel_frobenius,rel_frobenius_nonconstant,max_abs_error,rel_spectral,seconds\n";
  for (const KernelRows& k : all)
   for (const SweepRow& r : k.rows)
    if (!r.skipped)
      f << csv_field(k.kernel) << "," << r.map << "," << r.features << "," << seeds << "," << r.error.relative_frobenius << ","
        << r.error.relative_frobenius_nonconstant << "," << r.error.max_abs_error << "," << r.error.relative_spectral
        << "," << r.seconds << "\n";
  deepdot::write_file_atomically(path, f.str(), "deepdot approx --out");
}

// Writes the gnuplot script next to the plot and runs it; returns what happened.
// Every name in the script is a quoted gnuplot string, and gnuplot runs
// without a shell, drawing into a fresh temporary file that replaces the plot.
std::string draw(const std::string& plot, const std::string& csv, const std::vector<KernelRows>& all,
                 const std::vector<std::string>& maps) {
  std::string kernels;
  for (const KernelRows& k : all) kernels += (kernels.empty() ? "" : ", ") + k.kernel;
  const std::string ext = cli::extension(plot);
  const std::string terminal = std::string("set terminal ") + (ext == ".svg" ? "svg size 800,560" : "pngcairo size 800,560");
  std::string script = "; set datafile separator ','; set logscale xy; set key outside;"
                       " set xlabel 'features D'; set ylabel '||K - ZZ^T||_F / ||K - a_0||_F';"
                       " set title " + cli::gnuplot_quote("approximation error, " + kernels, "the title") + "; plot ";
  const std::string csv_quoted = cli::gnuplot_quote(csv, "--out");
  bool first = true;
  for (const KernelRows& k : all)
    for (const auto& m : maps) {
      script += std::string(first ? "" : ", ") + csv_quoted + " using 3:(strcol(1) eq " +
                cli::gnuplot_quote(k.kernel, "--kernel") + " && strcol(2) eq " + cli::gnuplot_quote(m, "--maps item") +
                " ? $6 : 1/0) with linespoints title " +
                cli::gnuplot_quote((all.size() > 1 ? k.kernel + " " : std::string()) + m, "--maps item");
      first = false;
    }
  const std::string script_path = plot + ".gp";
  deepdot::write_file_atomically(script_path, terminal + "; set output " + cli::gnuplot_quote(plot, "--plot") + script + "\n",
                                 "deepdot approx --plot");
  if (cli::find_program("gnuplot").empty())
    return "gnuplot is not installed (apt-get install gnuplot-nox); draw it with: gnuplot " + script_path;
  deepdot::AtomicFile image(plot, "deepdot approx --plot");
  const std::string run = terminal + "; set output " + cli::gnuplot_quote(image.temp_path(), "--plot") + script;
  if (cli::run_program({"gnuplot", "-e", run}) != 0) return "gnuplot failed; run: gnuplot " + script_path;
  image.commit();
  return plot;
}

// The rows as a JSON array and as a text table.
void add_rows(Report& r, const std::vector<KernelRows>& all) {
  std::ostringstream table, json;
  char line[200];
  std::snprintf(line, sizeof line, "  %-22s %-22s %7s %10s %10s %10s %10s %9s\n", "kernel", "map", "D", "rel.F(nc)",
                "rel.F", "max|err|", "rel.spec", "seconds");
  table << line;
  json << "[";
  bool first = true;
  for (const KernelRows& k : all)
  for (const SweepRow& w : k.rows) {
    if (w.skipped) {
      std::snprintf(line, sizeof line, "  %-22s %-22s %7llu   skipped: the map needs more than --fit points\n",
                    k.kernel.c_str(), w.map.c_str(), static_cast<unsigned long long>(w.features));
      table << line;
      continue;
    }
    std::snprintf(line, sizeof line, "  %-22s %-22s %7llu %10.4g %10.4g %10.4g %10.4g %9.3g\n", k.kernel.c_str(), w.map.c_str(),
                  static_cast<unsigned long long>(w.features), w.error.relative_frobenius_nonconstant,
                  w.error.relative_frobenius, w.error.max_abs_error, w.error.relative_spectral, w.seconds);
    table << line;
    json << (first ? "" : ",") << "{\"kernel\":" << Report::quote(k.kernel) << ",\"map\":" << Report::quote(w.map) << ",\"D\":" << w.features
         << ",\"rel_frobenius_nonconstant\":" << w.error.relative_frobenius_nonconstant
         << ",\"rel_frobenius\":" << w.error.relative_frobenius << ",\"max_abs_error\":" << w.error.max_abs_error
         << ",\"rel_spectral\":" << w.error.relative_spectral << ",\"seconds\":" << w.seconds << "}";
    first = false;
  }
  json << "]";
  r.raw("results", json.str(), table.str());
}

}  // namespace

int approx(Args& args) {
  ApproxOptions o;
  const cli::OptionTable table = approx_table(o);
  if (!table.start(args, kApproxUsage)) return 0;
  cli::set_threads(o.common.threads);
  const std::vector<std::string> maps = cli::split_specs(o.maps, "maps");
  std::vector<arma::uword> features;
  for (auto D : cli::integer_list(o.features, "features")) features.push_back(D);
  if (o.sweep.repeats < 1 || o.n < 2) throw std::invalid_argument("--seeds must be >= 1 and --n >= 2");
  const std::string ext = cli::extension(o.plot);
  if (ext != ".svg" && ext != ".png") throw std::invalid_argument("--plot " + o.plot + ": the extension must be .svg or .png");
  if (o.fit < 1) throw std::invalid_argument("--fit must be >= 1 (points given to fit() of data-dependent maps)");
  // The outputs are checked before the measurements, not after.
  cli::gnuplot_quote(o.plot, "--plot");
  cli::gnuplot_quote(o.out, "--out");
  deepdot::require_writable(o.out, "deepdot approx --out");
  deepdot::require_writable(o.plot + ".gp", "deepdot approx --plot");
  std::vector<KernelRows> kernel_rows;
  for (const auto& spec : cli::split_specs(o.cfg.kernel, "kernel")) kernel_rows.push_back({make_kernel(spec).spec(), {}});
  Progress progress(o.common.quiet);
  progress.stage("reading data");
  const Dataset data = cli::read_data(o.data);
  Scaler scaler = make_scaler(o.cfg);
  scaler.fit(data.X);
  const arma::mat all = scaler.transform(data.X);
  const arma::uword n = std::min<arma::uword>(o.n, all.n_cols);
  const arma::mat X = all.cols(0, n - 1);
  const arma::mat F = all.n_cols > n ? arma::mat(all.cols(n, std::min<arma::uword>(all.n_cols, n + o.fit) - 1)) : X;
  o.sweep.progress = [&progress](std::size_t done, std::size_t total) { progress.bar("measuring", done, total); };
  std::string kernels;
  for (KernelRows& k : kernel_rows) {
    k.rows = approximation_sweep(make_kernel(k.kernel), maps, features, X, F, o.sweep);
    kernels += (kernels.empty() ? "" : "; ") + k.kernel;
  }
  write_csv(o.out, kernel_rows, o.sweep.repeats);
  Report r;
  r.text("kernel", kernels);
  r.text("sample", shape(X.n_rows, X.n_cols) + " (d x n) from " + data.source);
  r.integer("seeds", o.sweep.repeats);
  add_rows(r, kernel_rows);
  r.text("csv", o.out);
  r.text("plot", draw(o.plot, o.out, kernel_rows, maps));
  progress.stage("done");
  r.print(o.common.json);
  return 0;
}

}  // namespace deepdot::commands
