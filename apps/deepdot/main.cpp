// SPDX-License-Identifier: MIT
// deepdot: the command line. Each subcommand (one file each in this folder)
// parses its options, calls the library and prints a table (or one JSON
// object with --json). Exit status: 0 success, 2 bad usage or bad input,
// 1 internal failure.
#include "commands.hpp"
#include "../experiments/experiment.hpp"

#include <deepdot/version.hpp>

#include <iostream>
#include <map>
#include <string>

namespace {

const char* kMainUsage = R"(usage: deepdot <command> [options]      (deepdot <command> --help for its options)

Learning with deep dot-product kernels (the recursive kernel of Zhang, Lee & Jordan 2016 and
other dot-product kernels) through explicit random features, or exactly in the kernel limit.

commands:
  train       fit a model on a data file and save it
  predict     apply a saved model to a data file; prints accuracy or MSE when labels are present
  transform   write the features phi(x) of a data file (.npy or .csv)
  gram        write the exact kernel matrix of a data file, or of two files
  approx      compare feature maps' approximation errors over feature counts; CSV and a plot
  experiment  reproducible experiments: table1 (the paper's Table 1), teacher, approx (docs/experiments.md)
  info        describe a model file or a data file

data files: LIBSVM/SVMlight text, CSV, NumPy .npy, IDX (MNIST family, gzipped or not);
the format is detected from the content and extension (docs/data-formats.md).
common options: --json (one JSON object on stdout), --quiet (no progress on stderr),
                --threads N (bound the threads: BLAS, feature maps, solvers)
exit status: 0 success, 2 bad usage or bad input, 1 internal failure
)";


}  // namespace

int main(int argc, char** argv) {
  const std::map<std::string, int (*)(deepdot::cli::Args&)> commands = {
      {"train", deepdot::commands::train}, {"predict", deepdot::commands::predict},
      {"transform", deepdot::commands::transform}, {"gram", deepdot::commands::gram},
      {"approx", deepdot::commands::approx}, {"info", deepdot::commands::info}};
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    std::cout << kMainUsage;
    return argc < 2 ? 2 : 0;
  }
  if (std::string(argv[1]) == "--version") {
    std::cout << "deepdot " << deepdot::version << "\n";
    return 0;
  }
  if (std::string(argv[1]) == "experiment") return deepdot_experiment_main(argc - 1, argv + 1);
  const auto it = commands.find(argv[1]);
  if (it == commands.end()) {
    std::cerr << "deepdot: unknown command '" << argv[1] << "'\n\n" << kMainUsage;
    return 2;
  }
  const std::string name = std::string("deepdot ") + argv[1];
  return deepdot::cli::run_app(name.c_str(), [&]() {
    deepdot::cli::Args args(argc - 1, argv + 1, {"json", "quiet", "scores", "no-score", "sparse", "no-certificate"});
    return it->second(args);
  });
}
