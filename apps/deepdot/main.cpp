// deepdot: the command line. Each subcommand parses its options, calls the
// library and prints a table (or one JSON object with --json). Exit status:
// 0 success, 2 bad usage or bad input, 1 internal failure.
#include <deepdot/deepdot.hpp>
#include <deepdot/maps/approximation.hpp>
#include <deepdot/io/dataset.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>

#include "../common/cli.hpp"
#include "../experiments/experiment.hpp"
#include "../common/report.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

using deepdot::cli::Args;
using deepdot::cli::Progress;
using deepdot::cli::Report;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

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

// Options every command takes.
struct Common {
  bool json = false;
  bool quiet = false;
};

Common common_options(Args& args) {
  Common c;
  c.json = args.flag("json");
  c.quiet = args.flag("quiet");
  const auto threads = args.integer("threads", 0);
  if (threads > 0) openblas_set_num_threads(static_cast<int>(threads));
  return c;
}

const char* kDataHelp =
    "  --data FILE        data file (LIBSVM, CSV, .npy, IDX images)\n"
    "  --labels FILE      labels file, for IDX images or .npy data\n"
    "  --format F         auto | libsvm | csv | npy | idx [auto]\n"
    "  --label-column C   CSV: first | last | none | a column name or index [auto: last if a header names it\n"
    "                     label/class/target/y, else first]\n";

deepdot::Dataset read_data(Args& args, const std::string& option = "data", bool required = true) {
  const std::string path = args.str(option, "");
  if (path.empty()) {
    if (required) throw std::invalid_argument("--" + option + " FILE is required (see --help)");
    return {};
  }
  deepdot::ReadOptions opts;
  opts.format = args.str("format", "auto");
  if (option == "data") opts.labels_path = args.str("labels", "");
  if (option == "test") opts.labels_path = args.str("test-labels", "");
  opts.csv_label_column = args.str("label-column", "auto");
  return deepdot::read_dataset(path, opts);
}

std::string shape(arma::uword rows, arma::uword cols) { return std::to_string(rows) + " x " + std::to_string(cols); }

// Integer labels when every value is an integer; else a regression target.
bool labels_are_classes(const arma::vec& y) {
  for (double v : y)
    if (v != std::floor(v) || std::abs(v) > 1e9) return false;
  return true;
}

arma::ivec to_classes(const arma::vec& y) {
  arma::ivec out(y.n_elem);
  for (arma::uword i = 0; i < y.n_elem; ++i) out[i] = static_cast<arma::sword>(y[i]);
  return out;
}

// Writes a d x n matrix (columns = points) by the file's extension.
void write_matrix(const std::string& path, const arma::mat& M) {
  const auto dot = path.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  if (ext == ".npy") deepdot::write_npy(path, M);
  else if (ext == ".csv") deepdot::write_csv(path, M, arma::vec(), false);
  else throw std::invalid_argument("--out " + path + ": the extension must be .npy or .csv");
}

// ---------------------------------------------------------------- train

const char* kTrainUsage = R"(usage: deepdot train --data FILE --model FILE [options]

Fits a linear model on the features of a dot-product kernel (or the exact kernel machine with
--map exact) and writes it atomically to --model. Classification (one-vs-all, or multinomial for
the logistic loss) when the labels are integers, regression otherwise (--task to force).

options (defaults in brackets):
)"
                          "%s"
                          R"(  --model FILE       where to write the model (required)
  --kernel SPEC      recursive:K | poly:P[:C] | gaussian:S | arccos:0|1 | coeffs:A0,A1,... [recursive:3]
  --map SPEC         feature map, or exact for the kernel limit [fourier:orf]
                     (fourier[:orf] needs a recursive kernel; srht, tensorsketch, maclaurin, nystrom,
                     taylor:P, layerwise work too; see docs/feature-maps.md)
  --features D       number of features [4096]
  --loss L           squared | logistic | hinge | squared-hinge [squared]
  --lambda X         a fixed regularisation lambda (objective (1/n) sum loss + lambda ||w||^2)
  --lambda-grid LIST lambdas tried on the validation split [10 values, 1e-8 .. 10]
  --norm-bound B     the norm-ball form of Algorithm 1 instead: ||w_j|| <= B
  --validation F     fraction held out to choose lambda (0: GCV for the squared loss) [0.1]
  --seed N           seed of the feature map and the split [1]
  --precision P      float | double features [float]
  --scaling S        unit-norm | max-norm | none (the kernels need ||x|| <= 1) [unit-norm]
  --task T           auto | classification | regression [auto]
  --batch N          points per feature batch [2048]
  --no-score         do not score the training data after fitting (it costs
                     a second pass: in the kernel limit, an n x n kernel)
  --test FILE        held-out data to score after fitting (any data format), in
                     the same process: test accuracy (or mse) without a predict step
  --test-labels FILE labels of --test, for IDX images or .npy data
  --json, --quiet, --threads N
)";

int cmd_train(Args& args) {
  if (args.help()) {
    std::printf(kTrainUsage, kDataHelp);
    return 0;
  }
  const Common common = common_options(args);
  deepdot::TrainerConfig cfg;
  cfg.kernel = args.str("kernel", "recursive:3");
  cfg.map = args.str("map", "fourier:orf");
  cfg.features = args.integer("features", 4096);
  cfg.loss = deepdot::parse_loss(args.str("loss", "squared"));
  const std::string lambda = args.str("lambda", "");
  const std::string grid = args.str("lambda-grid", "");
  if (!lambda.empty() && !grid.empty()) throw std::invalid_argument("give --lambda or --lambda-grid, not both");
  if (!lambda.empty()) cfg.lambdas = arma::vec{args.real("lambda", 0)};
  if (!grid.empty()) cfg.lambdas = arma::vec(args.reals("lambda-grid", ""));
  cfg.norm_bound = args.real("norm-bound", 0.0);
  if (args.str("norm-bound", "").size() && !(cfg.norm_bound > 0))
    throw std::invalid_argument("--norm-bound must be > 0");
  if (cfg.norm_bound > 0 && !lambda.empty()) throw std::invalid_argument("give --lambda or --norm-bound, not both");
  cfg.validation_fraction = args.real("validation", cfg.validation_fraction);
  cfg.seed = args.integer("seed", cfg.seed);
  const std::string precision = args.str("precision", "float");
  if (precision != "float" && precision != "double")
    throw std::invalid_argument("--precision must be float or double, got '" + precision + "'");
  cfg.precision = precision == "float" ? deepdot::Precision::single_precision : deepdot::Precision::double_precision;
  cfg.scaling = deepdot::parse_scaling(args.str("scaling", "unit-norm"));
  cfg.batch_size = args.integer("batch", cfg.batch_size);
  const std::string task = args.str("task", "auto");
  if (task != "auto" && task != "classification" && task != "regression")
    throw std::invalid_argument("--task must be auto, classification or regression, got '" + task + "'");
  const std::string model_path = args.str("model", "");
  const bool no_score = args.flag("no-score");
  Progress progress(common.quiet);
  progress.stage("reading data");
  deepdot::Dataset data = read_data(args);
  deepdot::Dataset test = read_data(args, "test", false);  // read now: a bad file fails before the fit
  args.reject_unknown();
  if (model_path.empty()) throw std::invalid_argument("--model FILE is required (where to write the model)");
  if (test.X.n_cols != 0 && test.X.n_rows != data.X.n_rows)
    throw std::invalid_argument(test.source + ": the test data has d = " + std::to_string(test.X.n_rows) +
                                " features per point but the training data has d = " + std::to_string(data.X.n_rows));
  if (test.X.n_cols != 0 && !test.has_labels)
    throw std::invalid_argument(test.source + ": the test data has no labels; give --test-labels FILE or a file "
                                "with a label column");
  if (!data.has_labels)
    throw std::invalid_argument(data.source + ": the data has no labels; give --labels FILE or a file with a label column");
  const bool classify = task == "classification" || (task == "auto" && labels_are_classes(data.y));
  if (classify && !labels_are_classes(data.y))
    throw std::invalid_argument(data.source + ": --task classification needs integer labels");
  if (classify && test.X.n_cols != 0 && !labels_are_classes(test.y))
    throw std::invalid_argument(test.source + ": the test labels are not integers, but the task is classification");

  progress.stage("training (" + cfg.map + ", " + std::to_string(cfg.features) + " features)");
  cfg.progress = [&progress](const std::string& stage, arma::uword done, arma::uword total) {
    progress.trainer_event(stage, done, total);
  };
  const auto t0 = Clock::now();
  const deepdot::Trainer trainer(cfg);
  // Without scoring, the raw data is not needed again: scale it in place rather than copy it.
  const deepdot::Model model = classify ? (no_score ? trainer.fit_inplace(data.X, to_classes(data.y))
                                                    : trainer.fit(data.X, to_classes(data.y)))
                                        : trainer.fit_regression(data.X, data.y.t());
  const double fit_seconds = seconds_since(t0);
  const auto t1 = Clock::now();
  Report r;
  r.text("data", data.source);
  r.text("shape", shape(data.X.n_rows, data.X.n_cols) + " (d x n)");
  r.text("task", classify ? "classification" : "regression");
  if (no_score) {
    if (classify) r.integer("classes", model.parts().classes.n_elem);
  } else if (classify) {
    progress.stage("scoring the training data");
    const arma::ivec pred = model.predict_labels(data.X);
    r.integer("classes", model.parts().classes.n_elem);
    r.number("training accuracy", deepdot::accuracy(to_classes(data.y), pred));
  } else {
    r.number("training mse", deepdot::mean_squared_error(data.y.t(), model.predict(data.X)));
  }
  const double score_seconds = seconds_since(t1);
  // The model goes to disk (mostly waiting for its fsync) while the test data is scored.
  progress.stage("writing " + model_path);
  std::future<void> saved = std::async(std::launch::async, [&model, &model_path] { model.save(model_path); });
  if (test.X.n_cols != 0) {
    progress.stage("scoring the test data");
    const auto t2 = Clock::now();
    r.text("test data", test.source);
    r.integer("test points", test.X.n_cols);
    if (classify) {
      r.number("test accuracy", deepdot::accuracy(to_classes(test.y), model.predict_labels(test.X)));
    } else {
      r.number("test mse", deepdot::mean_squared_error(test.y.t(), model.predict(test.X)));
    }
    r.number("test seconds", seconds_since(t2), 4);
  }
  saved.get();  // rethrows a failed save
  const auto& p = model.parts();
  r.text("kernel", p.kernel.spec());
  r.text("map", p.mode == deepdot::ModelMode::kernel_limit ? "exact" : p.map->spec());
  r.integer("features", p.mode == deepdot::ModelMode::kernel_limit ? p.dual.n_rows : p.map->output_dim());
  r.text("loss", deepdot::loss_name(p.loss));
  if (p.norm_bound > 0) r.number("norm bound", p.norm_bound);
  r.number("lambda", p.lambdas.is_empty() ? 0.0 : p.lambdas.max());
  r.integer("seed", p.seed);
  r.extra(p.metadata);
  r.number("fit seconds", fit_seconds, 4);
  if (!no_score) r.number("scoring seconds", score_seconds, 4);
  r.text("model", model_path);
  progress.stage("done");
  r.print(common.json);
  return 0;
}

// ---------------------------------------------------------------- predict

const char* kPredictUsage = R"(usage: deepdot predict --model FILE --data FILE [options]

Applies a saved model. With labels in the data (or --labels), prints the accuracy (classification)
or the mean squared error (regression).

options:
)"
                            "%s"
                            R"(  --model FILE       the model written by deepdot train (required)
  --out FILE         write the predictions: .npy or .csv, one value per point (labels or targets)
  --scores           with --out, write the c x n output scores instead of labels
  --json, --quiet, --threads N
)";

int cmd_predict(Args& args) {
  if (args.help()) {
    std::printf(kPredictUsage, kDataHelp);
    return 0;
  }
  const Common common = common_options(args);
  const std::string model_path = args.str("model", "");
  const std::string out = args.str("out", "");
  const bool scores = args.flag("scores");
  Progress progress(common.quiet);
  progress.stage("reading the model");
  if (model_path.empty()) throw std::invalid_argument("--model FILE is required");
  const deepdot::Model model = deepdot::Model::load(model_path);
  progress.stage("reading data");
  deepdot::Dataset data = read_data(args);
  args.reject_unknown();
  if (data.X.n_rows != model.parts().input_dim)
    throw std::invalid_argument(data.source + ": the data has d = " + std::to_string(data.X.n_rows) +
                                " features per point but the model expects d = " +
                                std::to_string(model.parts().input_dim));
  progress.stage("predicting");
  const auto t0 = Clock::now();
  const arma::mat S = model.predict(data.X);
  const double seconds = seconds_since(t0);
  Report r;
  r.text("model", model_path);
  r.text("data", data.source);
  r.integer("points", data.X.n_cols);
  r.number("predict seconds", seconds, 4);
  arma::vec predicted;
  if (model.is_classifier()) {
    const arma::ivec labels = deepdot::LabelEncoder(model.parts().classes).decode(S);
    predicted = arma::conv_to<arma::vec>::from(labels);
    if (data.has_labels) r.number("accuracy", deepdot::accuracy(to_classes(data.y), labels));
  } else {
    predicted = S.row(0).t();
    if (data.has_labels) {
      if (S.n_rows != 1) throw std::invalid_argument(data.source + ": one label per point but the model has " +
                                                     std::to_string(S.n_rows) + " outputs");
      r.number("mse", deepdot::mean_squared_error(data.y.t(), S));
    }
  }
  if (!out.empty()) {
    progress.stage("writing " + out);
    if (scores) write_matrix(out, S);
    else {
      const auto dot = out.rfind('.');
      const std::string ext = dot == std::string::npos ? "" : out.substr(dot);
      if (ext == ".npy") deepdot::write_npy(out, predicted);
      else if (ext == ".csv") deepdot::write_csv(out, arma::mat(0, predicted.n_elem), predicted, false);
      else throw std::invalid_argument("--out " + out + ": the extension must be .npy or .csv");
    }
    r.text("predictions", out);
  }
  progress.stage("done");
  r.print(common.json);
  return 0;
}

// ---------------------------------------------------------------- transform

const char* kTransformUsage = R"(usage: deepdot transform --data FILE --out FILE [options]

Writes the features phi(x) of every point (one row per point in the file), for use in other tools.
The map comes from a model (--model) or from --kernel/--map/--features/--seed.

options:
)"
                              "%s"
                              R"(  --out FILE         .npy (float64, or float32 with --precision float) or .csv (required)
  --model FILE       use the feature map (and scaling) of a saved feature-map model
  --kernel SPEC      [recursive:3]      --map SPEC [fourier:orf]      --features D [4096]
  --seed N           [1]                --scaling S [unit-norm]
  --fit N            data-dependent maps (nystrom, *:opt) are fitted on the first N points [2000]
  --precision P      float | double [double]
  --json, --quiet, --threads N
)";

int cmd_transform(Args& args) {
  if (args.help()) {
    std::printf(kTransformUsage, kDataHelp);
    return 0;
  }
  const Common common = common_options(args);
  const std::string out = args.str("out", "");
  const std::string model_path = args.str("model", "");
  const std::string kernel_spec = args.str("kernel", "recursive:3");
  const std::string map_spec = args.str("map", "fourier:orf");
  const auto D = args.integer("features", 4096);
  const auto seed = args.integer("seed", 1);
  const auto n_fit = args.integer("fit", 2000);
  const deepdot::Scaling scaling = deepdot::parse_scaling(args.str("scaling", "unit-norm"));
  const std::string precision = args.str("precision", "double");
  Progress progress(common.quiet);
  progress.stage("reading data");
  deepdot::Dataset data = read_data(args);
  args.reject_unknown();
  if (out.empty()) throw std::invalid_argument("--out FILE is required (.npy or .csv)");
  if (precision != "float" && precision != "double") throw std::invalid_argument("--precision must be float or double");
  std::shared_ptr<const deepdot::FeatureMap> map;
  deepdot::Scaler scaler(scaling);
  if (!model_path.empty()) {
    const deepdot::Model model = deepdot::Model::load(model_path);
    if (model.parts().mode != deepdot::ModelMode::features)
      throw std::invalid_argument(model_path + ": a kernel-limit model has no feature map");
    map = model.parts().map;
    scaler = deepdot::Scaler(model.parts().scaling);
    if (model.parts().scaling == deepdot::Scaling::max_norm) scaler.set_factor(model.parts().scaling_factor);
  } else {
    scaler.fit(data.X);
  }
  scaler.transform_inplace(data.X);  // in place: the input can be large
  const arma::mat& X = data.X;
  if (!map) {
    auto fresh = deepdot::make_feature_map(map_spec, deepdot::make_kernel(kernel_spec), X.n_rows, D, seed);
    if (!fresh->is_fitted() || map_spec.rfind("nystrom", 0) == 0) {
      progress.stage("fitting the map on " + std::to_string(std::min<arma::uword>(n_fit, X.n_cols)) + " points");
      fresh->fit(X.cols(0, std::min<arma::uword>(n_fit, X.n_cols) - 1));
    }
    map = std::move(fresh);
  }
  progress.stage("transforming");
  const auto t0 = Clock::now();
  const auto dot = out.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : out.substr(dot);
  if (precision == "float" && ext == ".npy") {
    // Features computed straight into the output file: no 164 MB heap copy to write out.
    const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
    deepdot::write_npy_mapped(out, map->output_dim(), X.n_cols, [&](arma::fmat& Z) { map->transform(Xf, Z); });
  } else {
    write_matrix(out, map->transform(X));
  }
  Report r;
  r.text("data", data.source);
  r.text("kernel", map->kernel().spec());
  r.text("map", map->spec());
  r.text("features", shape(X.n_cols, map->output_dim()) + " (points x features)");
  r.number("seconds", seconds_since(t0), 4);
  r.text("out", out);
  progress.stage("done");
  r.print(common.json);
  return 0;
}

// ---------------------------------------------------------------- gram

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

int cmd_gram(Args& args) {
  if (args.help()) {
    std::printf(kGramUsage, kDataHelp);
    return 0;
  }
  const Common common = common_options(args);
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

// ---------------------------------------------------------------- approx

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

int cmd_approx(Args& args) {
  if (args.help()) {
    std::printf(kApproxUsage, kDataHelp);
    return 0;
  }
  const Common common = common_options(args);
  const deepdot::Kernel kernel = deepdot::make_kernel(args.str("kernel", "recursive:2"));
  std::vector<std::string> maps;
  {
    std::stringstream ss(args.str("maps", "maclaurin:kk,srht,tensorsketch,fourier"));
    for (std::string m; std::getline(ss, m, ',');) maps.push_back(m);
  }
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
  const auto dot = plot.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : plot.substr(dot);
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

// ---------------------------------------------------------------- info

const char* kInfoUsage = R"(usage: deepdot info (--model FILE | --data FILE) [options]

Describes a model file (kernel, map, loss, weights, training metadata) or a data file (shape,
labels, norms).

options:
)"
                         "%s"
                         R"(  --model FILE       a model written by deepdot train
  --json
)";

int cmd_info(Args& args) {
  if (args.help()) {
    std::printf(kInfoUsage, kDataHelp);
    return 0;
  }
  const Common common = common_options(args);
  const std::string model_path = args.str("model", "");
  Report r;
  if (!model_path.empty()) {
    args.reject_unknown();
    const deepdot::Model model = deepdot::Model::load(model_path);
    const auto& p = model.parts();
    r.text("model", model_path);
    r.text("mode", p.mode == deepdot::ModelMode::features ? "features" : "kernel limit");
    r.text("kernel", p.kernel.spec());
    if (p.mode == deepdot::ModelMode::features) {
      r.text("map", p.map->spec());
      r.integer("features", p.map->output_dim());
    } else {
      r.integer("support points", p.support.n_cols);
    }
    r.integer("input dimension", p.input_dim);
    r.integer("training points", p.training_size);
    r.text("task", model.is_classifier() ? "classification" : "regression");
    if (model.is_classifier()) {
      std::string classes;
      for (arma::uword i = 0; i < p.classes.n_elem; ++i) classes += (i ? "," : "") + std::to_string(p.classes[i]);
      r.text("classes", classes);
    }
    r.integer("outputs", model.num_outputs());
    r.text("loss", deepdot::loss_name(p.loss));
    if (p.norm_bound > 0) r.number("norm bound", p.norm_bound);
    if (!p.lambdas.is_empty()) r.number("lambda", p.lambdas.max());
    r.text("scaling", deepdot::scaling_name(p.scaling));
    r.integer("seed", p.seed);
    r.text("trained with deepdot", p.library_version);
    r.extra(p.metadata);
  } else {
    deepdot::Dataset data = read_data(args);
    args.reject_unknown();
    const arma::vec norms = deepdot::column_norms(data.X);
    r.text("data", data.source);
    if (!data.description.empty()) r.text("format", data.description);
    r.integer("points", data.X.n_cols);
    r.integer("dimension", data.X.n_rows);
    r.number("smallest norm", norms.is_empty() ? 0.0 : norms.min());
    r.number("median norm", norms.is_empty() ? 0.0 : arma::median(norms));
    r.number("largest norm", norms.is_empty() ? 0.0 : norms.max());
    r.text("inside the unit ball", !norms.is_empty() && norms.max() <= 1.0 + 1e-12 ? "yes" : "no (train scales the data; see --scaling)");
    r.text("labels", data.has_labels ? "yes" : "no");
    if (data.has_labels) {
      if (labels_are_classes(data.y)) {
        const arma::vec classes = arma::unique(data.y);
        std::string counts;
        for (double c : classes)
          counts += (counts.empty() ? "" : ", ") + std::to_string(static_cast<long long>(c)) + ": " +
                    std::to_string(arma::accu(data.y == c));
        r.integer("classes", classes.n_elem);
        r.text("label counts", counts);
      } else {
        r.number("label mean", arma::mean(data.y));
        r.number("label std", arma::stddev(data.y));
      }
    }
  }
  r.print(common.json);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::map<std::string, int (*)(Args&)> commands = {
      {"train", cmd_train}, {"predict", cmd_predict}, {"transform", cmd_transform},
      {"gram", cmd_gram},   {"approx", cmd_approx},   {"info", cmd_info}};
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
    Args args(argc - 1, argv + 1, {"json", "quiet", "scores", "no-score"});
    return it->second(args);
  });
}
