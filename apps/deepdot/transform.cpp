// SPDX-License-Identifier: MIT
// deepdot transform: writes the features phi(x) of a data file.
#include "commands.hpp"
#include "../common/options.hpp"

#include <deepdot/deepdot.hpp>
#include <deepdot/io/dataset.hpp>
#include <deepdot/model/model.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace deepdot::commands {

namespace {

const char* kTransformUsage = R"(usage: deepdot transform --data FILE --out FILE [options]

Writes the features phi(x) of every point (one row per point in the file), for use in other tools.
The map comes from a model (--model) or from --kernel/--map/--features/--seed. Defaults (in
brackets) are deepdot::TrainerConfig's, the same as deepdot train's.

options:
)";

struct TransformOptions {
  cli::DataValues data;
  TrainerConfig cfg = fixed_defaults();  // a map needs a kernel, a spec and D before any data
  cli::CommonValues common;
  std::string out, model_path;
};

cli::OptionTable transform_table(TransformOptions& o) {
  cli::OptionTable t;
  cli::add_data_options(t, o.data);
  t.text("out", "FILE", ".npy (float32 with --precision float, else float64) or .csv (required)", o.out)
      .text("model", "FILE", "use the feature map (and scaling) of a saved feature-map model", o.model_path);
  cli::add_kernel_options(t, o.cfg);
  cli::add_map_options(t, o.cfg);
  arma::uword& sample = o.cfg.map_sample;
  t.add({"fit", "N", "the same as --map-sample", "",
         [&sample](const std::string& v) { sample = static_cast<arma::uword>(cli::parse_count(v)); }});
  cli::add_common_options(t, o.common);
  return t;
}

// The map and scaler of a saved model, or fresh ones fitted on the data.
std::shared_ptr<const FeatureMap> prepare(const TransformOptions& o, Dataset& data, Progress& progress) {
  if (o.model_path.empty()) {
    Scaler scaler = make_scaler(o.cfg);
    scaler.fit_transform_inplace(data.X);  // in place: the input can be large
    return cli::make_fitted_map(o.cfg, data.X, &progress);
  }
  const Model model = Model::load(o.model_path);
  if (model.parts().mode != ModelMode::features)
    throw std::invalid_argument(o.model_path + ": a kernel-limit model has no feature map");
  if (data.X.n_rows != model.parts().input_dim)
    throw std::invalid_argument(data.source + ": the data has d = " + std::to_string(data.X.n_rows) +
                                " features per point but the model expects d = " +
                                std::to_string(model.parts().input_dim) + " (" + o.model_path + ")");
  model.scaler().transform_inplace(data.X);
  return model.parts().map;
}

}  // namespace

int transform(Args& args) {
  TransformOptions o;
  const cli::OptionTable table = transform_table(o);
  if (!table.start(args, kTransformUsage)) return 0;
  cli::set_threads(o.common.threads);
  if (o.out.empty()) throw std::invalid_argument("--out FILE is required (.npy or .csv)");
  const std::string ext = cli::extension(o.out);
  if (ext != ".npy" && ext != ".csv") throw std::invalid_argument("--out " + o.out + ": the extension must be .npy or .csv");
  Model loaded;  // read once: it decides the sparse path and gives the map
  if (!o.model_path.empty()) loaded = Model::load(o.model_path);
  if (o.data.sparse || loaded.sparse_input())
    return transform_sparse(o.data, o.cfg, o.model_path.empty() ? nullptr : &loaded, o.out, o.common.json,
                            o.common.quiet);
  Progress progress(o.common.quiet);
  progress.stage("reading data");
  Dataset data = cli::read_data(o.data);
  const auto map = prepare(o, data, progress);
  const arma::mat& X = data.X;
  progress.stage("transforming");
  const auto t0 = Clock::now();
  if (o.cfg.precision == Precision::single_precision) {
    const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
    // Features computed straight into the output file: no heap copy of the n x D matrix to write out.
    if (ext == ".npy") write_npy_mapped(o.out, map->output_dim(), X.n_cols, [&](arma::fmat& Z) { map->transform(Xf, Z); });
    else write_matrix(o.out, arma::conv_to<arma::mat>::from(map->transform(Xf)));
  } else {
    write_matrix(o.out, map->transform(X));
  }
  Report r;
  r.text("data", data.source);
  r.text("kernel", map->kernel().spec());
  r.text("map", map->spec());
  r.text("precision", precision_name(o.cfg.precision));
  r.text("features", shape(X.n_cols, map->output_dim()) + " (points x features)");
  r.number("seconds", seconds_since(t0), 4);
  r.text("out", o.out);
  progress.stage("done");
  r.print(o.common.json);
  return 0;
}

}  // namespace deepdot::commands
