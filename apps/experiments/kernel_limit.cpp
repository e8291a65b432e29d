// SPDX-License-Identifier: MIT
// deepdot experiment kernel-limit: the exact recursive-kernel ridge model on
// (up to) all 60,000 Fashion-MNIST training images, the reference the feature
// models of deepdot-fashion are measured against.
#include "experiment.hpp"

#include <deepdot/deepdot.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

namespace deepdot::experiment {
namespace {

const char* kUsage = R"(usage: deepdot experiment kernel-limit [options]

The kernel limit at full scale on Fashion-MNIST (unit-norm images, d = 784), squared loss,
one-vs-all: lambda is chosen on a subsample (KernelRidge's eigen path on --select-n training
images, scored on the --select-val images after them), then the exact model on the first --n
training images is fitted at that lambda by LargeKernelRidge (float n x n kernel by SSYRK,
float Cholesky in place: 4 n^2 bytes, n^3 / 3 flops) and predicts --test test images by blocked
kernel rows. Saved feature models (--compare, e.g. from deepdot-fashion --save) predict the same
test images; each is reported with its accuracy, the fraction of test points whose predicted label
equals the exact model's, and the relative l2 difference of the score matrices.

options (defaults in brackets):
  --n N             training images, the first N of the 60,000 [60000]
  --test N          test images, the first N of the 10,000 [10000]
  --kernel SPEC     kernel [recursive:3]
  --lambda X        use this lambda and skip the selection
  --lambdas LIST    the grid of the selection [1e-7,3e-7,1e-6,3e-6,1e-5,3e-5,1e-4,3e-4,1e-3]
  --select-n N      training images of the selection [5000]
  --select-val N    validation images of the selection (the next N training images) [2000]
  --compare LIST    model files (.ddm) to compare with the exact model (comma-separated)
  --block N         test points per block of kernel rows [2048]
  --data DIR        Fashion-MNIST directory [$DEEPDOT_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist]
)";

/// Peak resident set size in MiB from /proc/self/status (-1 if unavailable).
double peak_memory_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1.0;
}

double relative_l2(const arma::mat& A, const arma::mat& B) {
  const double den = arma::norm(B, "fro");
  return den > 0.0 ? arma::norm(A - B, "fro") / den : 0.0;
}

/// A saved model that can be compared: a classifier of exactly the training classes.
Model load_comparable(const std::string& path, const arma::ivec& classes) {
  Model m = Model::load(path);
  const arma::ivec& c = m.parts().classes;
  if (!m.is_classifier() || c.n_elem != classes.n_elem || !arma::all(c == classes))
    throw std::invalid_argument(path + ": not a classifier of the ten Fashion-MNIST classes");
  return m;
}

}  // namespace

int run_kernel_limit(int argc, char** argv) {
  cli::Args args(argc, argv, {"quick", "json", "quiet"});
  Common common;
  if (!start(args, "kernel-limit", kUsage, common)) return 0;
  const bool q = common.quick;
  const arma::uword n = args.integer("n", q ? 1500 : 60000);
  const arma::uword n_test = args.integer("test", q ? 500 : 10000);
  const std::string kernel_spec = args.str("kernel", "recursive:3");
  const double fixed_lambda = args.real("lambda", 0.0);
  arma::vec grid;
  for (const std::string& v : split_list(args.str("lambdas", "1e-7,3e-7,1e-6,3e-6,1e-5,3e-5,1e-4,3e-4,1e-3"), "lambdas")) {
    std::size_t used = 0;
    double l = -1.0;
    try {
      l = std::stod(v, &used);
    } catch (const std::exception&) {
    }
    if (used != v.size() || !(l > 0.0) || !std::isfinite(l))
      throw std::invalid_argument("--lambdas: every value must be a number > 0, got '" + v + "'");
    grid.resize(grid.n_elem + 1);
    grid[grid.n_elem - 1] = l;
  }
  const arma::uword select_n = args.integer("select-n", q ? 500 : 5000);
  const arma::uword select_val = args.integer("select-val", q ? 300 : 2000);
  const std::string compare_text = args.str("compare", "");
  const std::vector<std::string> compare =
      compare_text.empty() ? std::vector<std::string>() : split_list(compare_text, "compare");
  const arma::uword block = args.integer("block", 2048);
  const std::string data = args.str("data", "");
  args.reject_unknown();
  if (n < 2 || n_test < 1) throw std::invalid_argument("--n must be >= 2 and --test >= 1");
  if (args.has("lambda") && !(fixed_lambda > 0.0)) throw std::invalid_argument("--lambda must be > 0");
  const Kernel kernel = make_kernel(kernel_spec);
  cli::Progress progress(common.quiet);

  progress.stage("loading Fashion-MNIST");
  auto t = cli::Clock::now();
  const bool selecting = !(fixed_lambda > 0.0);
  const arma::uword n_load = selecting ? std::max(n, select_n + select_val) : n;
  LabelledImages train, test;
  try {
    train = load_fashion_mnist("train", n_load, data);
    test = load_fashion_mnist("test", n_test, data);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("Fashion-MNIST not found (") + e.what() +
                                "); install it with: apt-get install dataset-fashion-mnist");
  }
  if (train.images.n_cols < n) throw std::invalid_argument("--n " + std::to_string(n) + " is more than the " +
                                                           std::to_string(train.images.n_cols) + " training images");
  const double load_s = seconds_since(t);
  LabelEncoder enc;
  enc.fit(train.labels);
  // Check the models to compare now, not after the long fit (each is loaded
  // again then: two Nystroem models of D = 16,384 hold 2 GB of state each).
  for (const std::string& path : compare) load_comparable(path, enc.classes());
  arma::mat Xt = test.images;
  normalize_columns(Xt);

  // 1. lambda on a subsample (double eigen path: every lambda for one decomposition).
  double lambda = fixed_lambda;
  double select_s = 0.0, select_error = std::nan("");
  if (selecting) {
    if (select_n + select_val > train.images.n_cols)
      throw std::invalid_argument("--select-n + --select-val exceed the training images loaded");
    progress.stage("choosing lambda on " + std::to_string(select_n) + " + " + std::to_string(select_val) + " images");
    t = cli::Clock::now();
    arma::mat Xs = train.images.cols(0, select_n - 1), Xv = train.images.cols(select_n, select_n + select_val - 1);
    normalize_columns(Xs);
    normalize_columns(Xv);
    KernelRidge ridge(kernel);
    ridge.fit(Xs, enc.encode(train.labels.head(select_n)));
    const RidgePath path = ridge.select_by_validation(
        grid, Xv, enc.encode(train.labels.subvec(select_n, select_n + select_val - 1)), Criterion::error_rate);
    lambda = path.lambdas[path.best];
    select_error = path.error_rate[path.best];
    select_s = seconds_since(t);
  }

  // 2. the exact model on n images.
  progress.stage("exact kernel ridge on " + std::to_string(n) + " images (float " + std::to_string(n) + " x " +
                 std::to_string(n) + " kernel, " + gib_text(large_kernel_ridge_memory_bytes(n, 784, 10)) + ")");
  t = cli::Clock::now();
  LargeKernelRidge big(kernel, lambda, block);
  {
    arma::fmat X = arma::conv_to<arma::fmat>::from(train.images.cols(0, n - 1));
    normalize_columns(X);
    const arma::mat Y = enc.encode(train.labels.head(n));
    train = LabelledImages();  // the double images are no longer needed
    big.fit(X, Y);
  }
  const double fit_s = seconds_since(t);
  progress.stage("predicting " + std::to_string(n_test) + " test images");
  t = cli::Clock::now();
  const arma::mat F = big.predict(arma::conv_to<arma::fmat>::from(Xt));
  const arma::ivec exact_labels = enc.decode(F);
  const double predict_s = seconds_since(t);
  const double exact_acc = accuracy(test.labels, exact_labels);

  // 3. the feature models it is compared with.
  Table cmp;
  cmp.columns = {"model", "map", "features", "loss", "test_accuracy", "label_agreement", "score_relative_l2"};
  for (const std::string& path : compare) {
    progress.stage("comparing with " + path);
    const Model m = load_comparable(path, enc.classes());
    const arma::mat S = m.predict(test.images);
    const arma::ivec labels = m.predict_labels(test.images);
    const auto& p = m.parts();
    cmp.add({path, p.mode == ModelMode::kernel_limit ? std::string("exact") : p.map->spec(),
             static_cast<unsigned long long>(p.mode == ModelMode::kernel_limit ? p.dual.n_rows : p.map->output_dim()),
             loss_name(p.loss), accuracy(test.labels, labels),
             static_cast<double>(arma::accu(labels == exact_labels)) / static_cast<double>(labels.n_elem),
             relative_l2(S, F)});
  }
  progress.stage("done");

  cli::Report r;
  r.text("experiment", "kernel-limit");
  r.text("command", command_line(argc, argv));
  r.text("machine", machine_description());
  r.text("kernel", kernel_spec);
  r.integer("train images", n);
  r.integer("test images", n_test);
  r.number("lambda", lambda, 3);
  r.text("lambda from", selecting ? "validation error on " + std::to_string(select_n) + " + " +
                                        std::to_string(select_val) + " images" : std::string("--lambda"));
  if (selecting) r.number("selection validation error", select_error, 4);
  r.number("relative residual (float)", big.relative_residual(), 3);
  r.number("exact test accuracy", exact_acc, 4);
  if (!compare.empty())
    r.raw("feature models against the exact one", cmp.json(), [&] {
      std::string s;
      char line[256];
      for (std::size_t i = 0; i < cmp.rows.size(); ++i) {
        std::snprintf(line, sizeof line, "  %-28s %-14s %6.0f %-14s accuracy %.4f  equal labels %.4f  score l2 %.4f\n",
                      cmp.text(i, "model").c_str(), cmp.text(i, "map").c_str(), cmp.number(i, "features"),
                      cmp.text(i, "loss").c_str(), cmp.number(i, "test_accuracy"), cmp.number(i, "label_agreement"),
                      cmp.number(i, "score_relative_l2"));
        s += line;
      }
      return s;
    }());
  r.number("load seconds", load_s, 3);
  if (selecting) r.number("selection seconds", select_s, 4);
  r.number("kernel seconds", big.seconds().kernel, 4);
  r.number("factorisation seconds", big.seconds().factorisation, 4);
  r.number("residual seconds", big.seconds().residual, 4);
  r.number("fit seconds", fit_s, 4);
  r.number("prediction seconds", predict_s, 4);
  r.number("peak memory MiB", peak_memory_mib(), 5);
  // The full run's cost from this one: the factorisation grows as n^3, the
  // kernel and the prediction as n^2 d and n m d, the memory as 4 n^2.
  const double scale = 60000.0 / static_cast<double>(n);
  r.number("extrapolated fit seconds at n = 60,000",
           big.seconds().kernel * scale * scale + big.seconds().factorisation * scale * scale * scale +
               big.seconds().residual * scale * scale, 3);
  r.text("memory of the fit at n = 60,000", gib_text(large_kernel_ridge_memory_bytes(60000, 784, 10)));
  if (!compare.empty()) cmp.write_csv(common.out + "/kernel-limit.csv");
  finish(common, "kernel-limit", r);
  return 0;
}

}  // namespace deepdot::experiment
