// SPDX-License-Identifier: MIT
// deepdot transform: writes the features phi(x) of a data file.
#include "commands.hpp"

#include <deepdot/deepdot.hpp>
#include <deepdot/io/dataset.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>

#include <cstdio>
#include <string>

namespace deepdot::commands {

namespace {

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

}  // namespace

int transform(Args& args) {
  if (args.help()) {
    std::printf(kTransformUsage, kDataHelp);
    return 0;
  }
  const CommonOptions common = common_options(args);
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
  if (precision == "float" && cli::extension(out) == ".npy") {
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

}  // namespace deepdot::commands
