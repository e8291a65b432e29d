// SPDX-License-Identifier: MIT
#include <deepdot/model/trainer.hpp>

#include <deepdot/core/labels.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/core/sparse.hpp>
#include <deepdot/version.hpp>

#include "core/check.hpp"
#include "model/learners.hpp"
#include "model/trainer_detail.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace deepdot {

using detail::fail;
using detail::format_double;

namespace {

bool is_exact(const std::string& map) { return map == "exact"; }

std::string to_text(arma::uword v) { return std::to_string(v); }

void report(const TrainerConfig& c, const char* stage, arma::uword done, arma::uword total) {
  if (c.progress) c.progress(stage, done, total);
}

}  // namespace

namespace detail {

constexpr std::uint64_t kSplitStream = 0x5EED5;  // RNG stream of the validation permutation

ValidationSplit validation_split(arma::uword n, std::uint64_t seed, double fraction) {
  const arma::uvec perm = Rng(seed, kSplitStream).permutation(n);
  const arma::uword nval = std::min<arma::uword>(
      n - 1, std::max<arma::uword>(1, static_cast<arma::uword>(std::llround(fraction * n))));
  return {arma::sort(perm.tail(n - nval)), arma::sort(perm.head(nval))};
}

/// Points a data-dependent map is fitted on: map_sample, but never fewer than
/// D (Nystroem draws D landmarks from them) unless the data are smaller.
arma::uword map_sample_size(const TrainerConfig& c, arma::uword available) {
  return std::min(available, std::max(c.map_sample, c.features));
}

/// Fits a data-dependent map on the first map_sample_size() training points, reporting it.
void fit_map(const TrainerConfig& c, FeatureMap& map, const detail::DataPart& train) {
  if (map.is_fitted()) return;
  report(c, "fitting the map", 0, 1);
  const arma::uword m = map_sample_size(c, train.size());
  if (train.sparse()) {
    map.fit_sparse(sparse_columns(*train.S, train.idx.head(m)));
    report(c, "fitting the map", 1, 1);
    return;
  }
  const arma::mat& Xs = *train.X;
  if (train.idx[m - 1] == m - 1) {
    // The first m points (ascending indices, so exactly 0..m-1): read them in
    // place instead of copying them (63 MB for 10,000 Fashion-MNIST images).
    const arma::mat head(const_cast<double*>(Xs.memptr()), Xs.n_rows, m, false, true);
    map.fit(head);
  } else {
    map.fit(Xs.cols(train.idx.head(m)));
  }
  report(c, "fitting the map", 1, 1);
}

/// What every model records, whichever back end fitted it.
ModelParts base_parts(const TrainerConfig& c, const Kernel& kernel, const Scaler& scaler, const arma::ivec& classes,
                      arma::uword input_dim) {
  ModelParts parts;
  parts.kernel = kernel;
  parts.scaling = c.scaling;
  parts.scaling_factor = scaler.factor();
  parts.feature_scaling = scaler.features().scaling();
  parts.feature_offset = scaler.features().offset();
  parts.feature_factor = scaler.features().factor();
  parts.precision = c.precision;
  parts.classes = classes;
  parts.loss = c.loss;
  parts.norm_bound = c.norm_bound;
  parts.seed = c.seed;
  parts.input_dim = input_dim;
  parts.library_version = version;
  parts.metadata.emplace_back("map", c.map);
  parts.metadata.emplace_back("loss", loss_name(c.loss));
  parts.metadata.emplace_back("task", classes.is_empty() ? "regression" : "classification");
  return parts;
}

/// The regularisation decision, made once for every back end: the norm ball
/// B, one fixed lambda, the lambda grid scored on validation points (then,
/// with refit_on_all, refitted on training and validation points), or GCV.
void regularise(const TrainerConfig& c, detail::Learner& learner, bool has_validation, Criterion criterion,
                ModelParts& parts) {
  std::string selection;
  // The kernel limit reports its own stage around the whole fit instead.
  const char* stage = is_exact(c.map) ? nullptr : "solving";
  if (stage) report(c, stage, 0, 1);
  if (c.norm_bound > 0.0) {
    learner.solve_at_bound(c.norm_bound);
    selection = "norm ball B = " + format_double(c.norm_bound);
  } else if (c.lambdas.n_elem == 1) {
    learner.solve_at_lambda(c.lambdas[0]);
    selection = "fixed lambda";
  } else if (has_validation) {
    const arma::vec scores = learner.validation_scores(c.lambdas, criterion);
    const arma::uword best = best_lambda_index(scores, c.lambdas);
    parts.metadata.emplace_back(criterion == Criterion::mse ? "validation mse" : "validation error rate",
                                format_double(scores[best]));
    if (c.refit_on_all) learner.absorb_validation();
    learner.solve_at_lambda(c.lambdas[best]);
    selection = "validation";
  } else {
    const arma::vec gcv = learner.gcv_scores(c.lambdas);
    if (gcv.is_empty())
      fail("Trainer::fit()", "selecting lambda for the " + loss_name(c.loss) + " loss" +
                                 (is_exact(c.map) ? " in the kernel limit" : "") +
                                 " needs validation points (validation_fraction > 0 or an explicit validation set); "
                                 "GCV exists only for the squared loss on features");
    const arma::uword best = best_lambda_index(gcv, c.lambdas);
    parts.metadata.emplace_back("gcv", format_double(gcv[best]));
    learner.solve_at_lambda(c.lambdas[best]);
    selection = "gcv";
  }
  if (stage) report(c, stage, 1, 1);
  parts.metadata.emplace_back("selection", selection);
}

}  // namespace detail

Scaler make_scaler(const TrainerConfig& config) {
  return Scaler(config.scaling, config.feature_scaling, config.lift_scale);
}

namespace {

/// The validation split when there is something to select and no explicit
/// validation set: a seeded random permutation holds out validation_fraction
/// of the n points; otherwise every point trains. `train` and `validation`
/// get the index sets (their matrices are set by the caller).
void split_points(const TrainerConfig& c, arma::uword n, detail::DataSplit& split) {
  const bool selecting = c.norm_bound == 0.0 && c.lambdas.n_elem > 1;
  if (selecting && c.validation_fraction > 0.0) {
    detail::ValidationSplit global = detail::validation_split(n, c.seed, c.validation_fraction);
    split.validation.idx = std::move(global.validation);
    split.train.idx = std::move(global.train);
  } else {
    split.train.idx = arma::regspace<arma::uvec>(0, n - 1);
  }
}

/// Everything after scaling and splitting, for dense and sparse inputs alike:
/// the map (fitted on the training points), the learner, the regularisation.
Model fit_split(const TrainerConfig& c, const detail::DataSplit& split, const Scaler& scaler,
                const arma::ivec& classes, arma::uword d, bool sparse, const SelectionReport& selection) {
  const Kernel kernel = make_kernel(c.kernel);
  ModelParts parts = detail::base_parts(c, kernel, scaler, classes, d);
  detail::record_selection(selection, parts);
  if (c.on_selection) c.on_selection(selection);
  if (sparse) parts.metadata.emplace_back("input", "sparse");
  parts.metadata.emplace_back("validation points", to_text(split.validation.size()));
  std::shared_ptr<FeatureMap> map;
  if (!is_exact(c.map)) {
    map = make_feature_map(c.map, kernel, scaler.output_dim(d), c.features, c.seed);
    detail::fit_map(c, *map, split.train);
  } else {
    report(c, "kernel limit", 0, 1);
  }
  const Criterion criterion = classes.is_empty() ? Criterion::mse : Criterion::error_rate;
  std::unique_ptr<detail::Learner> learner = detail::make_learner(c, kernel, map, split);
  detail::regularise(c, *learner, !split.validation.empty(), criterion, parts);
  learner->finish(parts);
  if (is_exact(c.map)) report(c, "kernel limit", 1, 1);
  detail::attach_certificate(c, kernel, map.get(), split, parts);
  return Model(std::move(parts));
}

/// Integer labels of a 1 x b streamed batch (doubles that must be whole).
arma::ivec batch_labels(const arma::mat& Yb, const std::string& where) {
  if (Yb.n_rows != 1) fail(where, "for classification Y must be 1 x b labels");
  arma::ivec labels(Yb.n_cols);
  for (arma::uword i = 0; i < Yb.n_cols; ++i) {
    if (Yb(0, i) != std::round(Yb(0, i))) fail(where, "label " + format_double(Yb(0, i)) + " is not an integer");
    labels[i] = static_cast<arma::sword>(Yb(0, i));
  }
  return labels;
}

}  // namespace

Trainer::Trainer(TrainerConfig config) : config_(std::move(config)) {
  const char* where = "Trainer::Trainer()";
  const TrainerConfig& c = config_;
  if (c.kernel != "auto") make_kernel(c.kernel);  // throws naming the spec
  if (c.map.empty()) fail(where, "the map spec is empty (use \"exact\" for the kernel limit, \"auto\" for the rule)");
  for (double l : c.lambdas) {
    detail::check_lambda(l, where);
    if (l == 0.0 && c.loss != Loss::squared && c.norm_bound == 0.0)
      fail(where, "lambda = 0 is only allowed for the squared loss (the " + loss_name(c.loss) + " loss needs lambda > 0)");
  }
  if (!(c.budget.seconds > 0.0) || !(c.budget.bytes > 0.0))
    fail(where, "the budget must be > 0 seconds and > 0 bytes, got " + format_double(c.budget.seconds) + " s and " +
                    format_double(c.budget.bytes) + " bytes");
  if (!(c.validation_fraction >= 0.0 && c.validation_fraction <= 0.9))
    fail(where, "validation_fraction must be in [0, 0.9], got " + format_double(c.validation_fraction));
  if (!(c.norm_bound >= 0.0) || !std::isfinite(c.norm_bound))
    fail(where, "norm_bound must be finite and >= 0 (0: lambda form), got " + format_double(c.norm_bound));
  if (c.batch_size == 0) fail(where, "batch_size must be >= 1");
  if (c.certificate_sample < 4 || c.certificate_sample > max_certificate_sample)
    fail(where, "certificate_sample must be in [4, " + to_text(max_certificate_sample) + "], got " +
                    to_text(c.certificate_sample));
  // A bad map spec fails now, not after the search (every kernel candidate is recursive).
  if (c.map != "auto" && c.features != 0 && !is_exact(c.map))
    make_feature_map(c.map, make_kernel(c.kernel == "auto" ? "recursive:3" : c.kernel), 1, c.features, c.seed);
  if (!(c.lift_scale >= 0.0) || !std::isfinite(c.lift_scale))
    fail(where, "lift_scale must be finite and >= 0 (0: the largest training norm), got " + format_double(c.lift_scale));
  if (is_exact(c.map) && c.loss == Loss::logistic)
    fail(where, "the kernel limit (map \"exact\") supports the squared, hinge and squared-hinge losses, not logistic");
}

Model Trainer::fit(const arma::mat& X, const arma::ivec& labels) const {
  detail::check_same_points(X, "X", labels, "labels", "Trainer::fit()");
  LabelEncoder enc;
  enc.fit(labels);
  return fit_any(X, enc.encode(labels), enc.classes(), nullptr, nullptr, nullptr);
}

Model Trainer::fit(const arma::mat& X, const arma::ivec& labels, const arma::mat& X_val,
                   const arma::ivec& labels_val) const {
  const char* where = "Trainer::fit()";
  detail::check_same_points(X, "X", labels, "labels", where);
  detail::check_same_points(X_val, "X_val", labels_val, "labels_val", where);
  LabelEncoder enc;
  enc.fit(labels);
  const arma::mat Y_val = enc.encode(labels_val);  // a validation label the training set lacks is an error
  return fit_any(X, enc.encode(labels), enc.classes(), nullptr, &X_val, &Y_val);
}

Model Trainer::fit_inplace(arma::mat& X, const arma::ivec& labels) const {
  detail::check_same_points(X, "X", labels, "labels", "Trainer::fit_inplace()");
  LabelEncoder enc;
  enc.fit(labels);
  return fit_any(X, enc.encode(labels), enc.classes(), &X, nullptr, nullptr);
}

Model Trainer::fit_regression(const arma::mat& X, const arma::mat& Y) const {
  if (config_.loss != Loss::squared && config_.loss != Loss::automatic)
    fail("Trainer::fit_regression()", "regression needs the squared loss; the classification losses take labels (use fit())");
  return fit_any(X, Y, arma::ivec(), nullptr, nullptr, nullptr);
}

Model Trainer::fit_regression(const arma::mat& X, const arma::mat& Y, const arma::mat& X_val,
                              const arma::mat& Y_val) const {
  if (config_.loss != Loss::squared && config_.loss != Loss::automatic)
    fail("Trainer::fit_regression()", "regression needs the squared loss; the classification losses take labels (use fit())");
  return fit_any(X, Y, arma::ivec(), nullptr, &X_val, &Y_val);
}

Model Trainer::fit_any(const arma::mat& X, const arma::mat& Y, const arma::ivec& classes, arma::mat* in_place,
                       const arma::mat* X_val, const arma::mat* Y_val) const {
  const char* where = "Trainer::fit()";
  if (X.n_rows == 0 || X.n_cols < 2)
    fail(where, "X must be d x n with d >= 1 and n >= 2, got " + detail::shape_text(X.n_rows, X.n_cols));
  detail::check_same_points(X, "X", Y, "Y", where);
  if (Y.n_rows == 0) fail(where, "Y has no rows; need at least one output");
  detail::require_finite(Y, where, "Y");
  if (X_val) {
    if (X_val->n_cols == 0) fail(where, "the explicit validation set is empty");
    detail::check_rows(*X_val, "X_val", X.n_rows, "the training dimension d", where);
    detail::check_same_points(*X_val, "X_val", *Y_val, "Y_val", where);
    detail::check_rows(*Y_val, "Y_val", Y.n_rows, "the number of outputs c", where);
    detail::require_finite(*Y_val, where, "Y_val");
  }
  // The automatic choices read the raw points (before any in-place scaling),
  // the training part and the validation part only: first the preprocessing
  // (on the raw search sample), then the rest on the sample scaled as chosen.
  const bool classify = !classes.is_empty();
  const arma::mat& Xv = X_val ? *X_val : X;
  const arma::mat& Yv = X_val ? *Y_val : Y;
  arma::uvec train_idx, val_idx;
  if (detail::has_automatic(config_)) {
    if (X_val) {
      train_idx = arma::regspace<arma::uvec>(0, X.n_cols - 1);
      val_idx = arma::regspace<arma::uvec>(0, X_val->n_cols - 1);
    } else {
      detail::ValidationSplit vs = detail::validation_split(
          X.n_cols, config_.seed, config_.validation_fraction > 0.0 ? config_.validation_fraction : 0.1);
      train_idx = std::move(vs.train);
      val_idx = std::move(vs.validation);
    }
  }
  TrainerConfig base = config_;
  const bool choose_scaling = detail::needs_preprocessing_search(config_);
  detail::PreprocessingChoice pre;
  if (choose_scaling) {
    const detail::SearchIndices s = detail::search_indices(train_idx, val_idx, config_.seed);
    pre = detail::choose_preprocessing(config_, X.cols(s.train), Y.cols(s.train), Xv.cols(s.validation),
                                       Yv.cols(s.validation), classify, X_val == nullptr);
    base = detail::with_preprocessing(config_, pre);
  }
  Scaler scaler = make_scaler(base);
  scaler.fit(X);  // on the training points only
  if (choose_scaling && pre.lift_multiple > 0.0) {
    scaler.set_factor(pre.lift_multiple * scaler.factor());  // R: a multiple of the largest training norm
    base.lift_scale = scaler.factor();
    detail::finish_preprocessing(pre, base.lift_scale, base);
  }
  SelectionReport report;
  TrainerConfig resolved = base;
  if (detail::has_automatic(base))
    resolved = detail::choose_dense(base, scaler, X, Y, train_idx, Xv, Yv, val_idx, classify, report);
  if (choose_scaling) detail::add_preprocessing_report(pre, scaler.factor(), report);
  const TrainerConfig& c = resolved;
  arma::mat copy, val_scaled;
  const arma::uword d = X.n_rows;  // X aliases *in_place: only its shape is used below, and read first
  if (!in_place) copy = X;
  scaler.transform_inplace(in_place ? *in_place : copy);  // fitted above, on the training points only
  const arma::mat& Xs = in_place ? *in_place : copy;
  if (X_val) val_scaled = scaler.transform(*X_val);

  // The split: an explicit validation set, else a seeded random one when there
  // is something to select, else every point trains.
  const arma::uword n = X.n_cols;
  const bool selecting = c.norm_bound == 0.0 && c.lambdas.n_elem > 1;
  detail::DataSplit split;
  split.train = {&Xs, &Y, {}};
  if (X_val && selecting) {
    split.train.idx = arma::regspace<arma::uvec>(0, n - 1);
    split.validation = {&val_scaled, Y_val, arma::regspace<arma::uvec>(0, val_scaled.n_cols - 1)};
  } else {
    split.validation = {&Xs, &Y, {}};
    split_points(c, n, split);
  }
  return fit_split(c, split, scaler, classes, d, false, report);
}

Model Trainer::fit(const arma::sp_mat& X, const arma::ivec& labels) const {
  detail::check_same_points(X, "X", labels, "labels", "Trainer::fit()");
  LabelEncoder enc;
  enc.fit(labels);
  return fit_sparse_any(X, enc.encode(labels), enc.classes());
}

Model Trainer::fit_regression(const arma::sp_mat& X, const arma::mat& Y) const {
  if (config_.loss != Loss::squared && config_.loss != Loss::automatic)
    fail("Trainer::fit_regression()", "regression needs the squared loss; the classification losses take labels (use fit())");
  return fit_sparse_any(X, Y, arma::ivec());
}

Model Trainer::fit_sparse_any(const arma::sp_mat& X, const arma::mat& Y, const arma::ivec& classes) const {
  const char* where = "Trainer::fit()";
  if (X.n_rows == 0 || X.n_cols < 2)
    fail(where, "X must be d x n with d >= 1 and n >= 2, got " + detail::shape_text(X.n_rows, X.n_cols));
  detail::check_same_points(X, "X", Y, "Y", where);
  if (Y.n_rows == 0) fail(where, "Y has no rows; need at least one output");
  detail::require_finite(Y, where, "Y");
  // Sparse fits choose by rule alone (docs/defaults.md).
  SelectionReport report;
  const arma::uword n_train = config_.validation_fraction > 0.0
                                  ? X.n_cols - std::max<arma::uword>(1, static_cast<arma::uword>(
                                                                            std::llround(config_.validation_fraction * X.n_cols)))
                                  : X.n_cols;
  // The cost model counts d flops and bytes per point and landmark; sparse
  // products cost the nonzeros instead (Nystroem keeps its landmarks sparse).
  const arma::uword work_dim = std::max<arma::uword>(1, (X.n_nonzero + X.n_cols - 1) / X.n_cols);
  const TrainerConfig resolved = detail::choose_by_rule(config_, std::max<arma::uword>(1, n_train), X.n_cols,
                                                        std::min(work_dim, X.n_rows), Y.n_rows, false, report);
  const TrainerConfig& c = resolved;
  if (is_exact(c.map))
    fail(where, "the kernel limit (map \"exact\") takes dense inputs only: its model stores the d x n training "
                "points; use a feature map (e.g. tensorsketch) for sparse data");
  Scaler scaler = make_scaler(c);
  scaler.fit(X);
  const arma::sp_mat Xs = scaler.transform(X);
  detail::DataSplit split;
  split.train.S = &Xs;
  split.train.Y = &Y;
  split.validation.S = &Xs;
  split.validation.Y = &Y;
  split_points(c, X.n_cols, split);
  return fit_split(c, split, scaler, classes, X.n_rows, true, report);
}

Model Trainer::fit_stream(const BatchSource& source, arma::uword input_dim) const {
  return stream_impl(source, input_dim, arma::ivec());
}

Model Trainer::fit_stream_classes(const BatchSource& source, arma::uword input_dim, const arma::ivec& classes) const {
  if (classes.n_elem < 2) fail("Trainer::fit_stream_classes()", "need at least 2 classes");
  return stream_impl(source, input_dim, classes);
}

Model Trainer::stream_impl(const BatchSource& source, arma::uword input_dim, const arma::ivec& classes) const {
  const char* where = "Trainer::fit_stream()";
  SelectionReport report;
  const TrainerConfig resolved = detail::choose_by_rule(config_, 1, 1, std::max<arma::uword>(input_dim, 1),
                                                        std::max<arma::uword>(classes.n_elem, 1), true, report);
  const TrainerConfig& c = resolved;
  if (!source) fail(where, "the batch source is empty");
  if (input_dim == 0) fail(where, "input_dim must be >= 1");
  if (c.loss != Loss::squared) fail(where, "streaming fits use the squared loss (the others need all features at once)");
  if (is_exact(c.map)) fail(where, "the kernel limit needs all points at once; use fit() or a feature map");
  if (c.scaling == Scaling::max_norm)
    fail(where, "max-norm scaling needs a pass over all data before training; use unit-norm or none when streaming");
  if (c.scaling == Scaling::sphere_lift && c.lift_scale == 0.0)
    fail(where, "the sphere lift with lift_scale 0 takes R from a pass over all data before training; set lift_scale "
                "> 0 when streaming");
  if (c.feature_scaling != FeatureScaling::none)
    fail(where, feature_scaling_name(c.feature_scaling) + " feature scaling needs a pass over all data before "
                "training; use feature scaling none when streaming");
  const Kernel kernel = make_kernel(c.kernel);
  const Scaler scaler = make_scaler(c);
  std::shared_ptr<FeatureMap> map =
      make_feature_map(c.map, kernel, scaler.output_dim(input_dim), c.features, c.seed);
  const LabelEncoder enc(classes);
  std::unique_ptr<detail::StreamingRidge> ridge;
  arma::mat Xb, Yb;
  arma::uword batches = 0;
  while (source(Xb, Yb)) {
    const std::string at = where + std::string(" (batch ") + to_text(batches) + ")";
    if (Xb.n_rows != input_dim || Xb.n_cols == 0 || Yb.n_cols != Xb.n_cols)
      fail(at, "X must be d x b with d = " + to_text(input_dim) + ", b >= 1 and Y must have b columns; got " +
                   detail::shape_text(Xb.n_rows, Xb.n_cols) + " and " + detail::shape_text(Yb.n_rows, Yb.n_cols));
    const arma::mat T = classes.is_empty() ? Yb : enc.encode(batch_labels(Yb, at));
    const arma::mat Xs = scaler.transform(Xb);
    // Data-dependent maps learn from the first batch only: nothing else is kept.
    if (!map->is_fitted()) map->fit(Xs);
    if (!ridge) ridge = detail::make_streaming_ridge(c, map, T.n_rows);
    if (T.n_rows != ridge->outputs())
      fail(at, "Y has " + to_text(T.n_rows) + " rows but earlier batches had " + to_text(ridge->outputs()));
    ridge->accumulate(Xs, T);
    ++batches;
  }
  if (!ridge || ridge->count() < 2) fail(where, "the source gave fewer than 2 points");
  ModelParts parts = detail::base_parts(c, kernel, scaler, classes, input_dim);
  detail::record_selection(report, parts);
  if (c.on_selection) c.on_selection(report);
  parts.metadata.emplace_back("validation points", "0");
  parts.metadata.emplace_back("streamed batches", to_text(batches));
  parts.metadata.emplace_back("certificate", c.certificate ? "off (a streamed fit keeps no points)" : "off");
  detail::regularise(c, *ridge, false, classes.is_empty() ? Criterion::mse : Criterion::error_rate, parts);
  ridge->finish(parts);
  return Model(std::move(parts));
}

}  // namespace deepdot
