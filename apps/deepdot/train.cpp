// SPDX-License-Identifier: MIT
// deepdot train: fits a model on a data file and saves it.
#include "commands.hpp"
#include "../common/options.hpp"

#include <deepdot/deepdot.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>

#include <future>
#include <iostream>
#include <string>

namespace deepdot::commands {

namespace {

const char* kTrainUsage = R"(usage: deepdot train --data FILE --model FILE [options]

Fits a linear model on the features of a dot-product kernel (or the exact kernel machine with
--map exact) and writes it atomically to --model. Classification (one-vs-all, or multinomial for
the logistic loss) when the labels are integers, regression otherwise (--task to force).
Defaults (in brackets) are deepdot::TrainerConfig's.

options:
)";

// Everything deepdot train reads from its command line.
struct TrainOptions {
  cli::DataValues data, test;
  TrainerConfig cfg;
  cli::CommonValues common;
  std::string model_path, task = "auto";
  bool no_score = false;
};

cli::OptionTable train_table(TrainOptions& o) {
  cli::OptionTable t;
  cli::add_data_options(t, o.data);
  t.text("model", "FILE", "where to write the model (required)", o.model_path);
  cli::add_trainer_options(t, o.cfg);
  t.text("task", "T", "auto | classification | regression", o.task)
      .flag("no-score", "do not score the training data after fitting (it costs a second pass:\n"
            "in the kernel limit, an n x n kernel)", o.no_score)
      .text("test", "FILE", "held-out data to score after fitting (any data format), in the same\n"
            "process: test accuracy (or mse) without a predict step", o.test.path)
      .text("test-labels", "FILE", "labels of --test, for IDX images or .npy data", o.test.read.labels_path);
  cli::add_common_options(t, o.common);
  return t;
}

// The rules between the options and the data, checked before the fit.
bool check_train_inputs(const TrainOptions& o, const Dataset& data, const Dataset& test) {
  if (o.task != "auto" && o.task != "classification" && o.task != "regression")
    throw std::invalid_argument("--task must be auto, classification or regression, got '" + o.task + "'");
  if (o.model_path.empty()) throw std::invalid_argument("--model FILE is required (where to write the model)");
  if (test.X.n_cols != 0 && test.X.n_rows != data.X.n_rows)
    throw std::invalid_argument(test.source + ": the test data has d = " + std::to_string(test.X.n_rows) +
                                " features per point but the training data has d = " + std::to_string(data.X.n_rows));
  if (test.X.n_cols != 0 && !test.has_labels)
    throw std::invalid_argument(test.source + ": the test data has no labels; give --test-labels FILE or a file "
                                "with a label column");
  if (!data.has_labels)
    throw std::invalid_argument(data.source + ": the data has no labels; give --labels FILE or a file with a label column");
  const bool classify = o.task == "classification" || (o.task == "auto" && labels_are_classes(data.y));
  if (classify && !labels_are_classes(data.y))
    throw std::invalid_argument(data.source + ": --task classification needs integer labels");
  if (classify && test.X.n_cols != 0 && !labels_are_classes(test.y))
    throw std::invalid_argument(test.source + ": the test labels are not integers, but the task is classification");
  return classify;
}

// Scores `data` with `model` under `prefix` ("training", "test").
void score(Report& r, const Model& model, const Dataset& data, bool classify, const std::string& prefix) {
  if (classify) {
    // Through the model's classes: a file's own codes for text labels mean nothing.
    const Model::LabelScore s = model.score(data.X, data.y, data.label_names, data.source);
    r.number(prefix + " accuracy", s.accuracy);
    if (s.unseen) r.integer(prefix + " labels the model never saw (counted wrong)", s.unseen);
  } else {
    r.number(prefix + " mse", mean_squared_error(data.y.t(), model.predict(data.X)));
  }
}

// The model's figures, after the data's.
void describe_model(Report& r, const Model& model, bool selection_shown) {
  const auto& p = model.parts();
  r.text("kernel", p.kernel.spec());
  r.text("map", p.mode == ModelMode::kernel_limit ? "exact" : p.map->spec());
  r.integer("features", p.mode == ModelMode::kernel_limit ? p.dual.n_rows : p.map->output_dim());
  r.text("loss", loss_name(p.loss));
  if (p.norm_bound > 0) r.number("norm bound", p.norm_bound);
  r.number("lambda", p.lambdas.is_empty() ? 0.0 : p.lambdas.max());
  r.integer("seed", p.seed);
  r.extra(selection_shown ? cli::metadata_without_selection(p.metadata) : p.metadata);
}

}  // namespace

int train(Args& args) {
  TrainOptions o;
  const cli::OptionTable table = train_table(o);
  if (!table.start(args, kTrainUsage)) return 0;
  cli::set_threads(o.common.threads);
  cli::check_trainer_options(table, o.cfg);
  o.test.read.format = o.data.read.format;
  o.test.read.csv_label_column = o.data.read.csv_label_column;
  o.test.read.libsvm_dimension = o.data.read.libsvm_dimension;
  if (o.data.sparse) return train_sparse(o.data, o.test, o.cfg, o.common.json, o.common.quiet, o.model_path, o.task);
  Progress progress(o.common.quiet);
  progress.stage("reading data");
  Dataset data = cli::read_data(o.data);
  const Dataset test = cli::read_data(o.test, "test", false);  // read now: a bad file fails before the fit
  const bool classify = check_train_inputs(o, data, test);
  deepdot::require_writable(o.model_path, "deepdot train --model");  // fail now, not after the fit

  progress.stage(o.cfg.map == "auto" || o.cfg.features == 0
                     ? std::string("training (choosing on a validation subsample)")
                     : "training (" + o.cfg.map + ", " + std::to_string(o.cfg.features) + " features)");
  SelectionReport selection;
  o.cfg.on_selection = [&selection](const SelectionReport& s) { selection = s; };
  o.cfg.progress = [&progress](const std::string& stage, arma::uword done, arma::uword total) {
    progress.trainer_event(stage, done, total);
  };
  const auto t0 = Clock::now();
  const Trainer trainer(o.cfg);
  // Without scoring, the raw data is not needed again: scale it in place rather than copy it.
  Model model = classify ? (o.no_score ? trainer.fit_inplace(data.X, to_classes(data.y))
                                             : trainer.fit(data.X, to_classes(data.y)))
                               : trainer.fit_regression(data.X, data.y.t());
  if (classify && !data.label_names.empty()) model.name_classes(data.label_names);  // text labels: cat, dog
  const double fit_seconds = seconds_since(t0);
  const std::string warning = cli::constant_features_warning(model.parts().feature_factor, data);
  if (!warning.empty()) std::cerr << warning << "\n";
  Report r;
  r.text("data", data.source);
  // The model's d: with --no-score the data were preprocessed in place (the sphere lift adds a row).
  r.text("shape", shape(model.parts().input_dim, data.X.n_cols) + " (d x n)");
  r.text("task", classify ? "classification" : "regression");
  if (classify) r.integer("classes", model.parts().classes.n_elem);
  const auto t1 = Clock::now();
  if (!o.no_score) {
    progress.stage("scoring the training data");
    score(r, model, data, classify, "training");
  }
  const double score_seconds = seconds_since(t1);
  // The model goes to disk (mostly waiting for its fsync) while the test data is scored.
  progress.stage("writing " + o.model_path);
  std::future<void> saved = std::async(std::launch::async, [&model, &o] { model.save(o.model_path); });
  if (test.X.n_cols != 0) {
    progress.stage("scoring the test data");
    const auto t2 = Clock::now();
    r.text("test data", test.source);
    r.integer("test points", test.X.n_cols);
    score(r, model, test, classify, "test");
    r.number("test seconds", seconds_since(t2), 4);
  }
  saved.get();  // rethrows a failed save
  cli::add_selection(r, selection);
  describe_model(r, model, !selection.automatic.empty());
  r.number("fit seconds", fit_seconds, 4);
  if (!o.no_score) r.number("scoring seconds", score_seconds, 4);
  r.text("model", o.model_path);
  progress.stage("done");
  r.print(o.common.json);
  return 0;
}

}  // namespace deepdot::commands
