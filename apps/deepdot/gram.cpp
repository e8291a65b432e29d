// SPDX-License-Identifier: MIT
// deepdot gram: writes the exact kernel matrix of one or two data files.
#include "commands.hpp"

#include <deepdot/deepdot.hpp>
#include <deepdot/io/dataset.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>

#include <cstdio>
#include <string>

namespace deepdot::commands {

namespace {

const char* kGramUsage = R"(usage: deepdot gram --data FILE --out FILE [options]

Writes the exact kernel matrix K(X, X) (n x n), or K(X, Y) (n x m) with --data2. Entry (i, j)
is f(<x_i, y_j>) after scaling every point into the unit ball.

options:
)"
                         "%s"
                         R"(  --data2 FILE       second data file (same d)
  --kernel SPEC      [recursive:3]
  --scaling S        unit-norm | max-norm | none [unit-norm]
  --out FILE         .npy or .csv (required)
  --json, --quiet, --threads N
)";

}  // namespace

int gram(Args& args) {
  if (args.help()) {
    std::printf(kGramUsage, kDataHelp);
    return 0;
  }
  const CommonOptions common = common_options(args);
  const std::string out = args.str("out", "");
  const deepdot::Kernel kernel = deepdot::make_kernel(args.str("kernel", "recursive:3"));
  const deepdot::Scaling scaling = deepdot::parse_scaling(args.str("scaling", "unit-norm"));
  Progress progress(common.quiet);
  progress.stage("reading data");
  deepdot::Dataset a = read_data(args);
  deepdot::Dataset b = read_data(args, "data2", false);
  args.reject_unknown();
  if (out.empty()) throw std::invalid_argument("--out FILE is required (.npy or .csv)");
  const double bytes = 8.0 * a.X.n_cols * (b.X.n_cols ? b.X.n_cols : a.X.n_cols);
  if (bytes > 64e9) throw std::invalid_argument("the kernel matrix would take " + std::to_string(bytes / 1e9) + " GB");
  deepdot::Scaler scaler(scaling);
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
  r.print(common.json);
  return 0;
}

}  // namespace deepdot::commands
