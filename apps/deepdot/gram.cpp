// SPDX-License-Identifier: MIT
// deepdot gram: writes the exact kernel matrix of one or two data files.
#include "commands.hpp"
#include "../common/options.hpp"

#include <deepdot/deepdot.hpp>
#include <deepdot/io/dataset.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace deepdot::commands {

namespace {

const char* kGramUsage = R"(usage: deepdot gram --data FILE --out FILE [options]

Writes the exact kernel matrix K(X, X) (n x n), or K(X, Y) (n x m) with --data2. Entry (i, j)
is f(<x_i, y_j>) after scaling every point into the unit ball.

options:
)";

struct GramOptions {
  cli::DataValues data, data2;
  TrainerConfig cfg = fixed_defaults();  // kernel and scaling: a Gram matrix needs a concrete kernel
  cli::CommonValues common;
  std::string out;
};

cli::OptionTable gram_table(GramOptions& o) {
  cli::OptionTable t;
  cli::add_data_options(t, o.data);
  t.text("data2", "FILE", "second data file (same d; read with the same --format)", o.data2.path);
  cli::add_kernel_options(t, o.cfg);
  t.text("out", "FILE", ".npy or .csv (required)", o.out);
  cli::add_common_options(t, o.common);
  return t;
}

}  // namespace

int gram(Args& args) {
  GramOptions o;
  const cli::OptionTable table = gram_table(o);
  if (!table.start(args, kGramUsage)) return 0;
  cli::set_threads(o.common.threads);
  const std::string& out = o.out;
  const Kernel kernel = make_kernel(o.cfg.kernel);
  o.data2.read.format = o.data.read.format;
  o.data2.read.csv_label_column = o.data.read.csv_label_column;
  Progress progress(o.common.quiet);
  progress.stage("reading data");
  Dataset a = cli::read_data(o.data);
  Dataset b = cli::read_data(o.data2, "data2", false);
  if (out.empty()) throw std::invalid_argument("--out FILE is required (.npy or .csv)");
  const double bytes = 8.0 * a.X.n_cols * (b.X.n_cols ? b.X.n_cols : a.X.n_cols);
  if (bytes > 64e9) throw std::invalid_argument("the kernel matrix would take " + std::to_string(bytes / 1e9) + " GB");
  Scaler scaler = make_scaler(o.cfg);
  scaler.fit(a.X);
  const arma::mat X = scaler.transform(a.X);
  progress.stage("computing the kernel matrix");
  const auto t0 = Clock::now();
  const arma::mat K = b.X.n_cols ? deepdot::gram(kernel, X, scaler.transform(b.X)) : deepdot::gram(kernel, X);
  const double seconds = seconds_since(t0);
  progress.stage("writing " + out);
  write_matrix(out, arma::mat(K.t()));  // rows of the file = points of --data
  Report r;
  r.text("kernel", kernel.spec());
  r.text("matrix", shape(K.n_rows, K.n_cols));
  r.number("seconds", seconds, 4);
  r.text("out", out);
  progress.stage("done");
  r.print(o.common.json);
  return 0;
}

}  // namespace deepdot::commands
