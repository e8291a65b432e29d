// SPDX-License-Identifier: MIT
// The sparse variants of train, predict and transform (--sparse, or a model
// trained on sparse input): the data are read into compressed columns
// (deepdot/io/sparse_dataset.hpp) and never densified.
#include "commands.hpp"

#include <deepdot/deepdot.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace deepdot::commands {

namespace {

SparseDataset read_sparse(const cli::DataValues& v, const std::string& option, bool required, arma::uword dim) {
  if (v.path.empty()) {
    if (required) throw std::invalid_argument("--" + option + " FILE is required (see --help)");
    return {};
  }
  ReadOptions opts = v.read;
  opts.libsvm_dimension = dim;
  return read_sparse_dataset(v.path, opts);
}

/// The data of a model's input must have the model's d.
void check_dim(const SparseDataset& data, arma::uword d, const std::string& what) {
  if (data.X.n_rows != d)
    throw std::invalid_argument(data.source + ": the data has d = " + std::to_string(data.X.n_rows) +
                                " features per point but " + what + " d = " + std::to_string(d) +
                                " (declare it with --dim " + std::to_string(d) + ")");
}

}  // namespace

int train_sparse(const cli::DataValues& data_values, const cli::DataValues& test_values, TrainerConfig cfg, bool json,
                 bool quiet, const std::string& model_path, const std::string& task) {
  if (task != "auto" && task != "classification" && task != "regression")
    throw std::invalid_argument("--task must be auto, classification or regression, got '" + task + "'");
  if (model_path.empty()) throw std::invalid_argument("--model FILE is required (where to write the model)");
  Progress progress(quiet);
  progress.stage("reading data (sparse)");
  SparseDataset data = read_sparse(data_values, "data", true, data_values.read.libsvm_dimension);
  SparseDataset test = read_sparse(test_values, "test", false, data.X.n_rows);
  if (test.X.n_cols != 0) check_dim(test, data.X.n_rows, "the training data has");
  if (!data.has_labels) throw std::invalid_argument(data.source + ": the data has no labels; give --labels FILE");
  const bool classify = task == "classification" || (task == "auto" && labels_are_classes(data.y));
  if (classify && !labels_are_classes(data.y))
    throw std::invalid_argument(data.source + ": --task classification needs integer labels");
  progress.stage("training (" + cfg.map + ", " + std::to_string(cfg.features) + " features, sparse input)");
  cfg.progress = [&progress](const std::string& stage, arma::uword done, arma::uword total) {
    progress.trainer_event(stage, done, total);
  };
  const auto t0 = Clock::now();
  const Trainer trainer(cfg);
  const Model model = classify ? trainer.fit(data.X, to_classes(data.y)) : trainer.fit_regression(data.X, data.y.t());
  const double fit_seconds = seconds_since(t0);
  Dataset named;  // a sparse file has no column names: the warning names columns by number
  named.source = data.source;
  const std::string warning = cli::constant_features_warning(model.parts().feature_factor, named);
  if (!warning.empty()) std::cerr << warning << "\n";
  Report r;
  r.text("data", data.source);
  r.text("shape", shape(data.X.n_rows, data.X.n_cols) + " (d x n, sparse)");
  r.integer("nonzeros", data.X.n_nonzero);
  r.text("task", classify ? "classification" : "regression");
  progress.stage("writing " + model_path);
  model.save(model_path);
  if (test.X.n_cols != 0) {
    progress.stage("scoring the test data");
    const auto t2 = Clock::now();
    r.text("test data", test.source);
    r.integer("test points", test.X.n_cols);
    if (classify)
      r.number("test accuracy", accuracy(to_classes(test.y), model.predict_labels(test.X)));
    else
      r.number("test mse", mean_squared_error(test.y.t(), model.predict(test.X)));
    r.number("test seconds", seconds_since(t2), 4);
  }
  const auto& p = model.parts();
  r.text("kernel", p.kernel.spec());
  r.text("map", p.map->spec());
  r.integer("features", p.map->output_dim());
  r.text("loss", loss_name(p.loss));
  r.number("lambda", p.lambdas.is_empty() ? 0.0 : p.lambdas.max());
  r.integer("seed", p.seed);
  r.extra(p.metadata);
  r.number("fit seconds", fit_seconds, 4);
  r.text("model", model_path);
  progress.stage("done");
  r.print(json);
  return 0;
}

arma::mat predict_sparse(const cli::DataValues& values, const Model& model, std::string& source, arma::vec& y,
                         bool& has_labels) {
  const arma::uword d = model.parts().input_dim;
  SparseDataset data = read_sparse(values, "data", true, values.read.libsvm_dimension ? values.read.libsvm_dimension : d);
  check_dim(data, d, "the model expects");
  source = data.source;
  y = std::move(data.y);
  has_labels = data.has_labels;
  return model.predict(data.X);
}

int transform_sparse(const cli::DataValues& values, const TrainerConfig& cfg, const Model* model,
                     const std::string& out, bool json, bool quiet) {
  if (out.empty()) throw std::invalid_argument("--out FILE is required (.npy or .csv)");
  std::shared_ptr<const FeatureMap> map;
  if (model) {
    if (model->parts().mode != ModelMode::features)
      throw std::invalid_argument("the model is a kernel-limit model: it has no feature map");
    map = model->parts().map;
  }
  Progress progress(quiet);
  progress.stage("reading data (sparse)");
  const arma::uword declared = values.read.libsvm_dimension ? values.read.libsvm_dimension : (model ? model->parts().input_dim : 0);
  const SparseDataset data = read_sparse(values, "data", true, declared);
  Scaler scaler = model ? model->scaler() : make_scaler(cfg);
  if (model) check_dim(data, model->parts().input_dim, "the model expects");
  else scaler.fit(data.X);
  const arma::sp_mat X = scaler.transform(data.X);
  if (!map) {
    auto fresh = make_feature_map(cfg.map, make_kernel(cfg.kernel), X.n_rows, cfg.features, cfg.seed);
    if (!fresh->is_fitted()) {
      const arma::uword m = std::min<arma::uword>(cfg.map_sample, X.n_cols);
      progress.stage("fitting the map on " + std::to_string(m) + " points");
      fresh->fit_sparse(arma::sp_mat(X.cols(0, m - 1)));
    }
    map = std::move(fresh);
  }
  progress.stage("transforming");
  const auto t0 = Clock::now();
  if (cfg.precision == Precision::single_precision && cli::extension(out) == ".npy") {
    // Into the memory-mapped file a block of points at a time: the only
    // copy of the features is the file's.
    const arma::sp_fmat Xf = to_float(X);
    write_npy_mapped(out, map->output_dim(), X.n_cols, [&](arma::fmat& Z) {
      for (arma::uword c0 = 0; c0 < X.n_cols; c0 += 2048) {
        const arma::uword c1 = std::min<arma::uword>(X.n_cols, c0 + 2048) - 1;
        Z.cols(c0, c1) = map->transform(arma::sp_fmat(Xf.cols(c0, c1)));
      }
    });
  } else if (cfg.precision == Precision::single_precision) {
    write_matrix(out, arma::conv_to<arma::mat>::from(map->transform(to_float(X))));
  } else {
    write_matrix(out, map->transform(X));
  }
  Report r;
  r.text("data", data.source);
  r.integer("nonzeros", data.X.n_nonzero);
  r.text("kernel", map->kernel().spec());
  r.text("map", map->spec());
  r.text("precision", precision_name(cfg.precision));
  r.text("features", shape(X.n_cols, map->output_dim()) + " (points x features)");
  r.number("seconds", seconds_since(t0), 4);
  r.text("out", out);
  progress.stage("done");
  r.print(json);
  return 0;
}

}  // namespace deepdot::commands
