// SPDX-License-Identifier: MIT
// deepdot info: describes a model file or a data file.
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

const char* kInfoUsage = R"(usage: deepdot info (--model FILE | --data FILE) [options]

Describes a model file (kernel, map, loss, weights, training metadata) or a data file (shape,
labels, norms).

options:
)";

struct InfoOptions {
  cli::DataValues data;
  cli::CommonValues common;
  std::string model_path;
};

cli::OptionTable info_table(InfoOptions& o) {
  cli::OptionTable t;
  cli::add_data_options(t, o.data);
  t.text("model", "FILE", "a model written by deepdot train", o.model_path);
  cli::add_common_options(t, o.common);
  return t;
}

}  // namespace

int info(Args& args) {
  InfoOptions o;
  const cli::OptionTable table = info_table(o);
  if (!table.start(args, kInfoUsage)) return 0;
  cli::set_threads(o.common.threads);
  const cli::CommonValues& common = o.common;
  const std::string& model_path = o.model_path;
  Report r;
  if (!model_path.empty()) {
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
      for (arma::uword i = 0; i < p.classes.n_elem; ++i)
        classes += (i ? "," : "") + (p.class_names.empty() ? std::to_string(p.classes[i]) : p.class_names[i]);
      r.text("classes", classes);
    }
    r.integer("outputs", model.num_outputs());
    r.text("loss", deepdot::loss_name(p.loss));
    if (p.norm_bound > 0) r.number("norm bound", p.norm_bound);
    if (!p.lambdas.is_empty()) r.number("lambda", p.lambdas.max());
    if (p.feature_scaling != deepdot::FeatureScaling::none) {
      r.text("feature scaling", deepdot::feature_scaling_name(p.feature_scaling));
      const arma::uword constant = arma::accu(p.feature_factor == 0.0);
      if (constant) r.integer("constant features (scaled to 0)", constant);
    }
    r.text("scaling", deepdot::scaling_name(p.scaling));
    if (p.scaling == deepdot::Scaling::sphere_lift) r.number("lift scale R", p.scaling_factor);
    r.integer("seed", p.seed);
    r.text("trained with deepdot", p.library_version);
    r.extra(p.metadata);
  } else {
    const Dataset data = cli::read_data(o.data);
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

}  // namespace deepdot::commands
