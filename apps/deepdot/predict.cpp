// SPDX-License-Identifier: MIT
// deepdot predict: applies a saved model to a data file.
#include "commands.hpp"
#include "../common/options.hpp"

#include <iostream>

#include <deepdot/deepdot.hpp>
#include <deepdot/io/dataset.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>

#include <cstdio>
#include <string>

namespace deepdot::commands {

namespace {

const char* kPredictUsage = R"(usage: deepdot predict --model FILE --data FILE [options]

Applies a saved model. With labels in the data (or --labels), prints the accuracy (classification)
or the mean squared error (regression).

options:
)";

struct PredictOptions {
  cli::DataValues data;
  cli::CommonValues common;
  std::string model_path, out;
  bool scores = false;
};

cli::OptionTable predict_table(PredictOptions& o) {
  cli::OptionTable t;
  cli::add_data_options(t, o.data);
  t.text("model", "FILE", "the model written by deepdot train (required)", o.model_path)
      .text("out", "FILE", "write the predictions: .npy or .csv, one value per point (labels or targets)", o.out)
      .flag("scores", "with --out, write the c x n output scores instead of labels", o.scores);
  cli::add_common_options(t, o.common);
  return t;
}

}  // namespace

int predict(Args& args) {
  PredictOptions o;
  const cli::OptionTable table = predict_table(o);
  if (!table.start(args, kPredictUsage)) return 0;
  cli::set_threads(o.common.threads);
  const cli::CommonValues& common = o.common;
  const std::string& model_path = o.model_path;
  const std::string& out = o.out;
  const bool scores = o.scores;
  Progress progress(common.quiet);
  progress.stage("reading the model");
  if (model_path.empty()) throw std::invalid_argument("--model FILE is required");
  const deepdot::Model model = deepdot::Model::load(model_path);
  progress.stage("reading data");
  Dataset data;
  arma::mat S;
  auto t0 = Clock::now();
  if (o.data.sparse || model.sparse_input()) {
    S = predict_sparse(o.data, model, data.source, data.y, data.has_labels);  // reads, checks d, predicts
  } else {
    data = cli::read_data(o.data);
    if (data.X.n_rows != model.parts().input_dim)
      throw std::invalid_argument(data.source + ": the data has d = " + std::to_string(data.X.n_rows) +
                                  " features per point but the model " + model_path + " expects d = " +
                                  std::to_string(model.parts().input_dim));
    progress.stage("predicting");
    t0 = Clock::now();
    S = model.predict(data.X);
  }
  const double seconds = seconds_since(t0);
  Report r;
  r.text("model", model_path);
  r.text("data", data.source);
  r.integer("points", S.n_cols);
  r.number("predict seconds", seconds, 4);
  arma::vec predicted;
  if (model.is_classifier()) {
    const arma::ivec labels = deepdot::LabelEncoder(model.parts().classes).decode(S);
    predicted = arma::conv_to<arma::vec>::from(labels);
    if (data.has_labels) {
      // Through the model's classes: the file's own label codes mean nothing.
      const deepdot::Model::LabelScore sc = model.score_labels(labels, data.y, data.label_names, data.source);
      r.number("accuracy", sc.accuracy);
      if (sc.unseen) r.integer("labels the model never saw (counted wrong)", sc.unseen);
    }
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
    else write_values(out, predicted);
    r.text("predictions", out);
  }
  progress.stage("done");
  r.print(common.json);
  return 0;
}

}  // namespace deepdot::commands
