// SPDX-License-Identifier: MIT
// deepdot train: fits a model on a data file and saves it.
#include "commands.hpp"

#include <deepdot/deepdot.hpp>
#include <deepdot/io/dataset.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>

#include <cstdio>
#include <future>
#include <string>

namespace deepdot::commands {

namespace {

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

}  // namespace

int train(Args& args) {
  if (args.help()) {
    std::printf(kTrainUsage, kDataHelp);
    return 0;
  }
  const CommonOptions common = common_options(args);
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

}  // namespace deepdot::commands
