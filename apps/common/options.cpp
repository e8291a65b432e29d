// SPDX-License-Identifier: MIT
#include "options.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <stdexcept>

namespace deepdot::cli {

namespace {

constexpr std::size_t kHelpColumn = 21;  // where the help text starts

}  // namespace

unsigned long long parse_count(const std::string& v) {
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 18)
    throw std::invalid_argument("must be a nonnegative integer, got '" + v + "'");
  return std::stoull(v);
}

namespace {

double parse_real(const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(x)) throw std::invalid_argument("must be a number, got '" + v + "'");
  return x;
}

arma::vec parse_reals(const std::string& v) {
  std::vector<double> out;
  for (const std::string& item : split_list(v, "list")) {
    try {
      out.push_back(parse_real(item));
    } catch (const std::invalid_argument&) {
      throw std::invalid_argument("must be a comma-separated list of numbers, got '" + v + "'");
    }
  }
  return arma::vec(out);
}

}  // namespace

std::string format_default(double value) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string format_list(const arma::vec& values) {
  if (values.n_elem == 1) return format_default(values[0]);
  if (values.is_empty()) return "";
  return std::to_string(values.n_elem) + " values, " + format_default(values.min()) + " .. " +
         format_default(values.max());
}

OptionTable& OptionTable::add(Option option) {
  for (const Option& o : options_)
    if (o.name == option.name) throw std::logic_error("OptionTable::add(): --" + option.name + " added twice");
  options_.push_back(std::move(option));
  return *this;
}

OptionTable& OptionTable::text(const std::string& name, const std::string& value, const std::string& help,
                               std::string& field) {
  return add({name, value, help, field, [&field](const std::string& v) { field = v; }});
}

OptionTable& OptionTable::count(const std::string& name, const std::string& value, const std::string& help,
                                arma::uword& field) {
  return add({name, value, help, std::to_string(field),
              [&field](const std::string& v) { field = static_cast<arma::uword>(parse_count(v)); }});
}

OptionTable& OptionTable::seed(const std::string& name, const std::string& help, std::uint64_t& field) {
  return add({name, "N", help, std::to_string(field), [&field](const std::string& v) { field = parse_count(v); }});
}

OptionTable& OptionTable::real(const std::string& name, const std::string& value, const std::string& help,
                               double& field) {
  return add({name, value, help, format_default(field), [&field](const std::string& v) { field = parse_real(v); }});
}

OptionTable& OptionTable::flag(const std::string& name, const std::string& help, bool& field) {
  return add({name, "", help, "", [&field](const std::string&) { field = true; }});
}

const Option& OptionTable::find(const std::string& name) const {
  for (const Option& o : options_)
    if (o.name == name) return o;
  throw std::logic_error("OptionTable: no option --" + name);
}

OptionTable& OptionTable::override_default(const std::string& name, const std::string& value) {
  const Option& o = find(name);
  o.set(value);
  for (Option& x : options_)
    if (x.name == name) x.shown_default = value;
  return *this;
}

std::string OptionTable::help() const {
  std::string out;
  for (const Option& o : options_) {
    std::string head = "  --" + o.name + (o.value.empty() ? "" : " " + o.value);
    head += head.size() + 1 <= kHelpColumn ? std::string(kHelpColumn - head.size(), ' ') : "\n" + std::string(kHelpColumn, ' ');
    std::string text = o.help + (o.shown_default.empty() ? "" : " [" + o.shown_default + "]");
    for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', nl + 1))
      text.insert(nl + 1, std::string(kHelpColumn, ' '));
    out += head + text + "\n";
  }
  return out;
}

std::set<std::string> OptionTable::flags() const {
  std::set<std::string> out;
  for (const Option& o : options_)
    if (o.value.empty()) out.insert(o.name);
  return out;
}

bool OptionTable::start(Args& args, const char* usage) const {
  if (args.help()) {
    std::cout << usage << help();
    return false;
  }
  parse(args);
  args.reject_unknown();
  return true;
}

void OptionTable::parse(Args& args) const {
  for (const Option& o : options_) {
    if (!args.has(o.name)) continue;
    given_.insert(o.name);
    try {
      o.set(o.value.empty() ? "1" : args.str(o.name, ""));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--" + o.name + ": " + e.what());
    }
  }
}

bool OptionTable::given(const std::string& name) const { return given_.count(name) > 0; }

void add_common_options(OptionTable& table, CommonValues& values) {
  table.flag("json", "one JSON object on stdout instead of the table", values.json)
      .flag("quiet", "no progress on stderr", values.quiet)
      .count("threads", "N", "bound the threads (BLAS, feature maps, solvers); 0: all", values.threads);
}

void add_data_options(OptionTable& table, DataValues& values) {
  table.text("data", "FILE", "data file (LIBSVM, CSV, .npy, IDX images)", values.path)
      .text("labels", "FILE", "labels file, for IDX images or .npy data", values.read.labels_path)
      .text("format", "F", "auto | libsvm | csv | npy | idx", values.read.format)
      .text("label-column", "C",
            "CSV: first | last | none | a column name or index\n(auto: last if a header names it label/class/target/y, "
            "else first)",
            values.read.csv_label_column)
      .flag("sparse", "read the data into sparse form and compute from it (LIBSVM: never d x n dense;\n"
            "docs/sparse.md); predict and transform follow a model trained sparse without it", values.sparse)
      .count("dim", "N", "declare d: LIBSVM indices beyond it are an error (0: the largest index, at most\n"
             "1048576; sparse predict/transform: the model's d)", values.read.libsvm_dimension);
}

Dataset read_data(const DataValues& values, const std::string& option, bool required) {
  if (values.path.empty()) {
    if (required) throw std::invalid_argument("--" + option + " FILE is required (see --help)");
    return {};
  }
  return read_dataset(values.path, values.read);
}

void add_kernel_options(OptionTable& table, TrainerConfig& cfg) {
  table.text("kernel", "SPEC", "recursive:K | poly:P[:C] | gaussian:S | arccos:0|1 | coeffs:A0,A1,... | auto:\n"
             "recursive:1..4 by validation error on a subsample, and (with --scaling auto) the\n"
             "Gaussian on the lifted sphere at 4 widths (an RBF: a bandwidth the recursive kernel\n"
             "lacks); recursive:3 unless another is better by one standard error (docs/defaults.md)",
             cfg.kernel)
      .choice("feature-scaling", "F",
              "none | standardize | minmax | maxabs: per-feature scaling fitted on the training\n"
              "data, before --scaling (sparse data: maxabs, or standardize without centring;\n"
              "docs/preprocessing.md)",
              cfg.feature_scaling, parse_feature_scaling, feature_scaling_name)
      .choice("scaling", "S",
              "auto | unit-norm | max-norm | sphere-lift | none: into the unit ball (the kernels\n"
              "need ||x|| <= 1); sphere-lift keeps each point's magnitude in one more coordinate;\n"
              "auto: unit norm, or standardised features with unit norm or the sphere lift,\n"
              "whichever has the lowest validation error on a subsample (docs/defaults.md)",
              cfg.scaling, parse_scaling, scaling_name)
      .real("lift-scale", "R",
            "R of --scaling sphere-lift, x -> (x/R, sqrt(1 - |x|^2/R^2)); acts like a bandwidth\n"
            "(smaller: more local); 0: chosen by validation among 1/4, 1/2, 1 x the largest\n"
            "training norm after --feature-scaling (docs/defaults.md)",
            cfg.lift_scale);
}

void add_map_options(OptionTable& table, TrainerConfig& cfg) {
  table.text("map", "SPEC",
             "feature map, or exact for the kernel limit (fourier[:orf] needs a recursive kernel;\n"
             "srht, tensorsketch, maclaurin, nystrom, taylor:P, layerwise; docs/feature-maps.md);\n"
             "auto: nystrom (the most accurate per feature measured), fourier:orf when D > n",
             cfg.map)
      .count("features", "D", "number of features; 0: the rule, min(n, 16384) halved until the modelled\n"
             "fit is within --budget and --memory-budget", cfg.features)
      .seed("seed", "seed of the feature map and the split", cfg.seed)
      .choice("precision", "P", "float | double features", cfg.precision, parse_precision, precision_name)
      .count("map-sample", "N", "points that fit a data-dependent map (the first N; nystrom needs D)", cfg.map_sample);
}

void add_fit_options(OptionTable& table, TrainerConfig& cfg) {
  table.choice("loss", "L", "squared | logistic | hinge | squared-hinge | auto: squared or squared-hinge,\n"
               "the lower validation error on the search subsample (regression: squared)", cfg.loss, parse_loss,
               loss_name);
  arma::vec& lambdas = cfg.lambdas;
  table.add({"lambdas", "LIST", "one lambda (objective (1/n) sum loss + lambda ||w||^2), or a grid chosen\n"
             "on the validation split; auto: " + format_list(automatic_lambda_grid()) + " on the split (squared loss,\n"
             "a free path), or the search's squared-hinge lambda x (subsample / n)",
             lambdas.is_empty() ? "auto" : format_list(lambdas), [&lambdas](const std::string& v) { lambdas = parse_reals(v); }});
  table.add({"lambda", "X", "one fixed lambda (the same as --lambdas X)", "",
             [&lambdas](const std::string& v) { lambdas = arma::vec{parse_real(v)}; }});
  table.add({"lambda-grid", "LIST", "lambdas tried on the validation split (the same as --lambdas LIST)", "",
             [&lambdas](const std::string& v) { lambdas = parse_reals(v); }});
  double& bound = cfg.norm_bound;
  table.add({"norm-bound", "B", "the norm-ball form of Algorithm 1 instead: ||w_j|| <= B", "off",
             [&bound](const std::string& v) {
               bound = parse_real(v);
               if (!(bound > 0)) throw std::invalid_argument("must be > 0, got '" + v + "'");
             }});
  table.real("validation", "F", "fraction held out to choose lambda (0: GCV for the squared loss)", cfg.validation_fraction)
      .count("batch", "N", "points per feature batch", cfg.batch_size)
      .choice("solver", "S", "auto | eigen | cholesky (squared loss on features)", cfg.solver, parse_ridge_solver,
              ridge_solver_name)
      .choice("accumulate", "A", "single | exact: how float batches enter ZZ' (squared loss)", cfg.accumulation,
              parse_accumulation, accumulation_name)
      .real("tolerance", "T", "stopping rule of the hinge / logistic solvers (relative KKT violation\nor gradient "
            "norm; 1e-3 gives the same Fashion-MNIST accuracy in more epochs)", cfg.solver_options.tolerance)
      .count("max-epochs", "N", "their iteration (epoch) limit", cfg.solver_options.max_iterations)
      .real("budget", "SECONDS", "modelled seconds the final fit may take: the D rule keeps within it\n"
            "(cost model: docs/defaults.md; 600 s is the Fashion-MNIST target)", cfg.budget.seconds);
  double& bytes = cfg.budget.bytes;
  table.add({"memory-budget", "GIB", "modelled GiB of the final fit's state (map, features or ZZ'), besides the data",
             format_default(bytes / 1073741824.0), [&bytes](const std::string& v) {
               const double g = parse_real(v);
               if (!(g > 0)) throw std::invalid_argument("must be > 0, got '" + v + "'");
               bytes = g * 1073741824.0;
             }});
  bool& certificate = cfg.certificate;
  table.add({"certificate", "on|off", "the error certificate: kernel error and exact-vs-feature prediction\n"
             "difference on a sample of the training points (docs/models.md)", certificate ? "on" : "off",
             [&certificate](const std::string& v) {
               if (v != "on" && v != "off") throw std::invalid_argument("must be on or off, got '" + v + "'");
               certificate = v == "on";
             }});
  table.add({"no-certificate", "", "the same as --certificate off", "", [&certificate](const std::string&) {
               certificate = false;
             }});
  table.count("certificate-sample", "N", "points of the certificate sample (4 .. " +
              std::to_string(max_certificate_sample) + ")", cfg.certificate_sample);
}

void add_trainer_options(OptionTable& table, TrainerConfig& cfg) {
  add_kernel_options(table, cfg);
  add_map_options(table, cfg);
  add_fit_options(table, cfg);
}

void check_trainer_options(const OptionTable& table, const TrainerConfig& cfg) {
  const int lambda_options = table.given("lambdas") + table.given("lambda") + table.given("lambda-grid");
  if (lambda_options > 1) throw std::invalid_argument("give one of --lambdas, --lambda and --lambda-grid");
  if (cfg.norm_bound > 0 && (table.given("lambda") || (table.given("lambdas") && cfg.lambdas.n_elem == 1)))
    throw std::invalid_argument("give --lambda or --norm-bound, not both");
}

void add_selection(Report& report, const SelectionReport& s) {
  if (s.automatic.empty()) return;
  std::string fields, fields_json = "[";
  for (const std::string& f : s.automatic) {
    fields += (fields.empty() ? "" : ", ") + f;
    fields_json += (fields_json.size() > 1 ? "," : "") + Report::quote(f);
  }
  report.text("automatic", fields);
  if (!s.candidates.empty()) {
    std::string table, json = "[";
    char line[200];
    for (const SelectionCandidate& k : s.candidates) {
      const std::string lift = k.lift_scale > 0 ? "R " + format_default(k.lift_scale) + " " : "";
      const std::string what = k.preprocessing.empty() ? "" : k.preprocessing + ", ";
      std::snprintf(line, sizeof line, "  %-13s %s%-12s %-14s %slambda %-9.3g %s %.4f%s\n", k.stage.c_str(),
                    what.c_str(), k.kernel.c_str(), loss_name(k.loss).c_str(), lift.c_str(), k.lambda,
                    s.criterion.c_str(), k.score, k.chosen ? "  <- chosen" : "");
      table += line;
      json += std::string(json.size() > 1 ? "," : "") + "{\"stage\":" + Report::quote(k.stage) +
              ",\"preprocessing\":" + Report::quote(k.preprocessing) +
              ",\"kernel\":" + Report::quote(k.kernel) + ",\"loss\":" + Report::quote(loss_name(k.loss)) +
              ",\"lift_scale\":" + format_default(k.lift_scale) + ",\"lambda\":" + format_default(k.lambda) +
              ",\"score\":" + format_default(k.score) + ",\"chosen\":" + (k.chosen ? "true" : "false") + "}";
    }
    report.raw("selection candidates", json + "]", table);
    report.text("selection criterion", s.criterion);
    report.text("selection sample", std::to_string(s.sample_train) + " training + " +
                                        std::to_string(s.sample_validation) + " validation points, " +
                                        std::to_string(s.sample_features) + " nystrom features" +
                                        (s.sample_folds ? ", " + std::to_string(s.sample_folds) + "-fold cross-validation of all of them" : ""));
  }
  if (!s.preprocessing.empty()) report.text("chosen preprocessing", s.preprocessing);
  report.text("chosen", s.kernel + ", " + s.map + (s.features ? ", D = " + std::to_string(s.features) : "") + ", " +
                            loss_name(s.loss) + " loss");
  if (!s.rule.empty()) report.text("feature rule", s.rule);
  report.number("modelled fit seconds", s.final_cost.seconds, 4);
  report.number("modelled fit GiB", s.final_cost.bytes / 1073741824.0, 4);
}

std::vector<std::pair<std::string, std::string>> metadata_without_selection(
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : metadata)
    if (kv.first.rfind("auto ", 0) != 0) out.push_back(kv);
  return out;
}

}  // namespace deepdot::cli

namespace deepdot::cli {

std::unique_ptr<FeatureMap> make_fitted_map(const TrainerConfig& cfg, const arma::mat& X, Progress* progress) {
  auto map = make_feature_map(cfg.map, make_kernel(cfg.kernel), X.n_rows, cfg.features, cfg.seed);
  if (map->is_fitted()) return map;
  const arma::uword m = std::min<arma::uword>(std::max<arma::uword>(cfg.map_sample, map->min_fit_points()), X.n_cols);
  if (progress) progress->stage("fitting the map on " + std::to_string(m) + " points");
  map->fit(m == 0 ? arma::mat(X.n_rows, 0) : arma::mat(X.cols(0, m - 1)));
  return map;
}

}  // namespace deepdot::cli
