#include <deepdot/model/trainer.hpp>

#include <deepdot/solvers/kernel_svm.hpp>
#include <deepdot/core/labels.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/version.hpp>

#include "core/check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace deepdot {

using detail::fail;
using detail::format_double;

namespace {

constexpr std::uint64_t kSplitStream = 0x5EED5;  // RNG stream of the validation permutation

bool is_exact(const std::string& map) { return map == "exact"; }

/// Features of a batch in the configured precision (float: the map computes in
/// float where it can, exactly as Model::predict() does later).
arma::fmat features_single(const FeatureMap& map, const arma::mat& Xb) {
  return map.transform(arma::conv_to<arma::fmat>::from(Xb));
}

struct Scores {
  double mse, error_rate;
};

/// P, Y: c x m. Error rate by argmax (or sign for one output), as in KernelRidge.
Scores score(const arma::mat& P, const arma::mat& Y) {
  arma::uword wrong = 0;
  for (arma::uword i = 0; i < Y.n_cols; ++i) {
    const arma::uword truth = Y.n_rows == 1 ? (Y(0, i) > 0) : Y.col(i).index_max();
    const arma::uword guess = P.n_rows == 1 ? (P(0, i) > 0) : P.col(i).index_max();
    wrong += truth != guess;
  }
  return {arma::accu(arma::square(P - Y)) / static_cast<double>(Y.n_elem),
          static_cast<double>(wrong) / static_cast<double>(Y.n_cols)};
}

std::string to_text(arma::uword v) { return std::to_string(v); }

void report(const TrainerConfig& c, const char* stage, arma::uword done, arma::uword total) {
  if (c.progress) c.progress(stage, done, total);
}

/// Points a data-dependent map is fitted on: map_sample, but never fewer than
/// D (Nystroem draws D landmarks from them) unless the data are smaller.
arma::uword map_sample_size(const TrainerConfig& c, arma::uword available) {
  return std::min(available, std::max(c.map_sample, c.features));
}

/// Fits a data-dependent map on the first map_sample_size() training points, reporting it.
void fit_map(const TrainerConfig& c, FeatureMap& map, const arma::mat& Xs, const arma::uvec& train) {
  if (map.is_fitted()) return;
  report(c, "fitting the map", 0, 1);
  const arma::uword m = map_sample_size(c, train.n_elem);
  if (train[m - 1] == m - 1) {
    // The first m points (sorted indices, so exactly 0..m-1): read them in
    // place instead of copying them (63 MB for 10,000 Fashion-MNIST images).
    const arma::mat head(const_cast<double*>(Xs.memptr()), Xs.n_rows, m, false, true);
    map.fit(head);
  } else {
    map.fit(Xs.cols(train.head(m)));
  }
  report(c, "fitting the map", 1, 1);
}

}  // namespace

Trainer::Trainer(TrainerConfig config) : config_(std::move(config)) {
  const char* where = "Trainer";
  const TrainerConfig& c = config_;
  make_kernel(c.kernel);  // throws naming the spec
  if (c.map.empty()) fail(where, "the map spec is empty (use \"exact\" for the kernel limit)");
  if (c.features == 0) fail(where, "features (D) must be >= 1");
  if (c.lambdas.is_empty() && c.norm_bound == 0.0) fail(where, "the lambda grid is empty and no norm bound is set");
  for (double l : c.lambdas) {
    if (!(l >= 0.0) || !std::isfinite(l)) fail(where, "every lambda must be finite and >= 0, got " + format_double(l));
    if (l == 0.0 && c.loss != Loss::squared && c.norm_bound == 0.0)
      fail(where, "lambda = 0 is only allowed for the squared loss (the " + std::string(c.loss == Loss::logistic ? "logistic" : "hinge") +
                      " losses need lambda > 0)");
  }
  if (!(c.validation_fraction >= 0.0 && c.validation_fraction <= 0.9))
    fail(where, "validation_fraction must be in [0, 0.9], got " + format_double(c.validation_fraction));
  if (!(c.norm_bound >= 0.0) || !std::isfinite(c.norm_bound))
    fail(where, "norm_bound must be finite and >= 0 (0: lambda form), got " + format_double(c.norm_bound));
  if (c.batch_size == 0) fail(where, "batch_size must be >= 1");
  if (is_exact(c.map) && c.loss == Loss::logistic)
    fail(where, "the kernel limit (map \"exact\") supports the squared, hinge and squared-hinge losses, not logistic");
}

Model Trainer::fit(const arma::mat& X, const arma::ivec& labels) const {
  if (labels.n_elem != X.n_cols)
    fail("Trainer::fit()", "X has " + to_text(X.n_cols) + " columns (points) but there are " + to_text(labels.n_elem) +
                               " labels");
  LabelEncoder enc;
  enc.fit(labels);
  return fit_any(X, enc.encode(labels), enc.classes());
}

Model Trainer::fit_inplace(arma::mat& X, const arma::ivec& labels) const {
  if (labels.n_elem != X.n_cols)
    fail("Trainer::fit_inplace()", "X has " + to_text(X.n_cols) + " columns (points) but there are " +
                                       to_text(labels.n_elem) + " labels");
  LabelEncoder enc;
  enc.fit(labels);
  return fit_any(X, enc.encode(labels), enc.classes(), &X);
}

Model Trainer::fit_regression(const arma::mat& X, const arma::mat& Y) const {
  if (config_.loss != Loss::squared)
    fail("Trainer::fit_regression()", "regression needs the squared loss; the classification losses take labels (use fit())");
  return fit_any(X, Y, arma::ivec());
}

Model Trainer::fit_any(const arma::mat& X, const arma::mat& Y, const arma::ivec& classes, arma::mat* in_place) const {
  const char* where = "Trainer::fit()";
  const TrainerConfig& c = config_;
  if (X.n_rows == 0 || X.n_cols < 2) fail(where, "X must be d x n with d >= 1 and n >= 2, got " + to_text(X.n_rows) + " x " + to_text(X.n_cols));
  if (Y.n_cols != X.n_cols || Y.n_rows == 0)
    fail(where, "Y must be c x n with c >= 1 and n = " + to_text(X.n_cols) + ", got " + to_text(Y.n_rows) + " x " +
                    to_text(Y.n_cols));
  detail::require_finite(Y, where, "Y");
  Scaler scaler(c.scaling);
  scaler.fit(X);
  arma::mat copy;
  if (in_place)
    scaler.transform_inplace(*in_place);  // X aliases *in_place: only its shape is used below
  else
    copy = scaler.transform(X);
  const arma::mat& Xs = in_place ? *in_place : copy;

  const arma::uword n = X.n_cols;
  const bool selecting = c.norm_bound == 0.0 && c.lambdas.n_elem > 1 && c.validation_fraction > 0.0;
  arma::uvec train, val;
  if (selecting) {
    const arma::uvec perm = Rng(c.seed, kSplitStream).permutation(n);
    const arma::uword nval =
        std::min<arma::uword>(n - 1, std::max<arma::uword>(1, static_cast<arma::uword>(std::llround(c.validation_fraction * n))));
    val = arma::sort(perm.head(nval));
    train = arma::sort(perm.tail(n - nval));
  } else {
    train = arma::regspace<arma::uvec>(0, n - 1);
  }

  ModelParts parts;
  parts.kernel = make_kernel(c.kernel);
  parts.scaling = c.scaling;
  parts.scaling_factor = scaler.factor();
  parts.precision = c.precision;
  parts.classes = classes;
  parts.loss = c.loss;
  parts.norm_bound = c.norm_bound;
  parts.seed = c.seed;
  parts.input_dim = X.n_rows;
  parts.library_version = version;
  parts.metadata.emplace_back("map", c.map);
  parts.metadata.emplace_back("loss", loss_name(c.loss));
  parts.metadata.emplace_back("task", classes.is_empty() ? "regression" : "classification");
  parts.metadata.emplace_back("validation points", to_text(val.n_elem));

  if (is_exact(c.map)) return fit_kernel_limit(Xs, Y, train, val, std::move(parts));
  if (c.loss == Loss::squared) return fit_features_squared(Xs, Y, train, val, std::move(parts));
  return fit_features_iterative(Xs, Y, train, val, std::move(parts));
}

Model Trainer::fit_features_squared(const arma::mat& Xs, const arma::mat& Y, const arma::uvec& train,
                                    const arma::uvec& val, ModelParts parts) const {
  const TrainerConfig& c = config_;
  std::shared_ptr<FeatureMap> map = make_feature_map(c.map, parts.kernel, Xs.n_rows, c.features, c.seed);
  fit_map(c, *map, Xs, train);
  FeatureRidge ridge(map->output_dim(), Y.n_rows, c.solver, c.accumulation);
  // Features exist one batch at a time; only ZZ' and ZY' persist.
  auto accumulate = [&](const arma::uvec& idx) {
    for (arma::uword j0 = 0; j0 < idx.n_elem; j0 += c.batch_size) {
      report(c, "features", j0, idx.n_elem);
      const arma::uword j1 = std::min(idx.n_elem, j0 + c.batch_size) - 1;
      const arma::uvec cols = idx.subvec(j0, j1);
      if (idx[j1] - idx[j0] == j1 - j0) {  // consecutive points: no gathered copy
        const arma::uword a = idx[j0], b = idx[j1];
        if (c.precision == Precision::single_precision)
          ridge.accumulate(map->transform(arma::conv_to<arma::fmat>::from(Xs.cols(a, b))), Y.cols(a, b));
        else
          ridge.accumulate(map->transform(Xs.cols(a, b)), Y.cols(a, b));
      } else if (c.precision == Precision::single_precision) {
        ridge.accumulate(features_single(*map, Xs.cols(cols)), Y.cols(cols));
      } else {
        ridge.accumulate(map->transform(Xs.cols(cols)), Y.cols(cols));
      }
    }
    report(c, "features", idx.n_elem, idx.n_elem);
  };
  accumulate(train);
  const Criterion criterion = parts.classes.is_empty() ? Criterion::mse : Criterion::error_rate;
  std::string selection;
  if (c.norm_bound > 0.0) {
    ridge.set_norm_bound(c.norm_bound);
    selection = "norm ball B = " + format_double(c.norm_bound);
  } else if (c.lambdas.n_elem == 1) {
    ridge.set_lambda(c.lambdas[0]);
    selection = "fixed lambda";
  } else if (!val.is_empty()) {
    arma::uword j0 = 0;
    const RidgePath path = ridge.select_by_validation(
        c.lambdas,
        [&](arma::fmat& Z, arma::mat& Yb) {
          if (j0 >= val.n_elem) return false;
          const arma::uvec cols = val.subvec(j0, std::min(val.n_elem, j0 + c.batch_size) - 1);
          j0 += cols.n_elem;
          Z = c.precision == Precision::single_precision ? features_single(*map, Xs.cols(cols))
                                                         : arma::conv_to<arma::fmat>::from(map->transform(Xs.cols(cols)));
          Yb = Y.cols(cols);
          return true;
        },
        criterion);
    selection = "validation";
    parts.metadata.emplace_back("validation " + std::string(criterion == Criterion::mse ? "mse" : "error rate"),
                                format_double(criterion == Criterion::mse ? path.mse[path.best] : path.error_rate[path.best]));
    if (c.refit_on_all) {
      accumulate(val);  // the held-out points join the final fit at no extra solve cost
      ridge.set_lambda(path.lambdas[path.best]);
    }
  } else {
    const GcvPath path = ridge.select_by_gcv(c.lambdas);
    selection = "gcv";
    parts.metadata.emplace_back("gcv", format_double(path.gcv[path.best]));
  }
  parts.metadata.emplace_back("selection", selection);
  parts.metadata.emplace_back("solver", ridge.solved_with() == RidgeSolver::eigen ? "eigen" : "cholesky");
  parts.mode = ModelMode::features;
  report(c, "solving", 0, 1);
  parts.weights = ridge.weights();
  report(c, "solving", 1, 1);
  parts.lambdas = ridge.lambdas();
  parts.training_size = ridge.count();
  parts.map = std::move(map);
  return Model(std::move(parts));
}

Model Trainer::fit_features_iterative(const arma::mat& Xs, const arma::mat& Y, const arma::uvec& train,
                                      const arma::uvec& val, ModelParts parts) const {
  const TrainerConfig& c = config_;
  std::shared_ptr<FeatureMap> map = make_feature_map(c.map, parts.kernel, Xs.n_rows, c.features, c.seed);
  fit_map(c, *map, Xs, train);
  // The iterative solvers need every feature vector at once (D x n floats).
  auto features_of = [&](const arma::uvec& idx) {
    arma::fmat Z(map->output_dim(), idx.n_elem);
    for (arma::uword j0 = 0; j0 < idx.n_elem; j0 += c.batch_size) {
      report(c, "features", j0, idx.n_elem);
      const arma::uword j1 = std::min(idx.n_elem, j0 + c.batch_size) - 1;
      const arma::mat Xb = Xs.cols(idx.subvec(j0, j1));
      Z.cols(j0, j1) = c.precision == Precision::single_precision
                           ? features_single(*map, Xb)
                           : arma::conv_to<arma::fmat>::from(map->transform(Xb));
    }
    report(c, "features", idx.n_elem, idx.n_elem);
    return Z;
  };
  LinearFit result;
  std::string selection;
  arma::uword used = train.n_elem;
  {
    const arma::fmat Z = features_of(train);
    const arma::mat Yt = Y.cols(train);
    report(c, "solving", 0, 1);
    if (c.norm_bound > 0.0) {
      result = fit_linear_ball(c.loss, Z, Yt, c.norm_bound, c.solver_options);
      selection = "norm ball B = " + format_double(c.norm_bound);
    } else if (c.lambdas.n_elem == 1) {
      result = fit_linear(c.loss, Z, Yt, c.lambdas[0], c.solver_options);
      selection = "fixed lambda";
    } else {
      if (val.is_empty())
        fail("Trainer::fit()", "selecting lambda for the " + loss_name(c.loss) +
                                   " loss needs validation_fraction > 0 (GCV exists only for the squared loss)");
      const arma::fmat Zv = features_of(val);
      const arma::mat Yv = Y.cols(val);
      const bool by_mse = parts.classes.is_empty();
      double best_score = std::numeric_limits<double>::infinity(), best_lambda = c.lambdas[0];
      for (double lambda : c.lambdas) {
        const LinearFit f = fit_linear(c.loss, Z, Yt, lambda, c.solver_options);
        const Scores s = score(f.W.t() * arma::conv_to<arma::mat>::from(Zv), Yv);
        const double v = by_mse ? s.mse : s.error_rate;
        if (v < best_score || (v == best_score && lambda > best_lambda)) {
          best_score = v;
          best_lambda = lambda;
          result = f;
        }
      }
      selection = "validation";
      parts.metadata.emplace_back(by_mse ? "validation mse" : "validation error rate", format_double(best_score));
      if (c.refit_on_all) {
        const arma::uvec all = arma::regspace<arma::uvec>(0, Xs.n_cols - 1);
        result = fit_linear(c.loss, features_of(all), Y, best_lambda, c.solver_options);
        used = all.n_elem;
      }
    }
  }
  report(c, "solving", 1, 1);
  parts.metadata.emplace_back("selection", selection);
  parts.metadata.emplace_back("solver iterations", to_text(result.iterations));
  parts.metadata.emplace_back("solver optimality", format_double(result.optimality));
  parts.mode = ModelMode::features;
  parts.weights = result.W;
  parts.lambdas = result.lambdas;
  parts.training_size = used;
  parts.map = std::move(map);
  return Model(std::move(parts));
}

Model Trainer::fit_kernel_limit(const arma::mat& Xs, const arma::mat& Y, const arma::uvec& train,
                                const arma::uvec& val, ModelParts parts) const {
  const TrainerConfig& c = config_;
  const char* where = "Trainer::fit() [kernel limit]";
  const bool by_mse = parts.classes.is_empty();
  const Criterion criterion = by_mse ? Criterion::mse : Criterion::error_rate;
  const arma::mat Xt = Xs.cols(train), Yt = Y.cols(train);
  report(c, "kernel limit", 0, 1);
  std::string selection;
  arma::mat support, dual;
  arma::vec lambdas;
  if (c.loss == Loss::squared) {
    KernelRidge ridge(parts.kernel);
    // One lambda needs no eigen-decomposition: the Cholesky fit is several times faster.
    if (c.norm_bound <= 0.0 && c.lambdas.n_elem == 1 && c.lambdas[0] > 0.0)
      ridge.fit(Xt, Yt, c.lambdas[0]);
    else
      ridge.fit(Xt, Yt);
    support = Xt;
    if (c.norm_bound > 0.0) {
      ridge.set_norm_bound(c.norm_bound);
      selection = "norm ball B = " + format_double(c.norm_bound);
    } else if (c.lambdas.n_elem == 1) {
      ridge.set_lambda(c.lambdas[0]);
      selection = "fixed lambda";
    } else {
      if (val.is_empty()) fail(where, "selecting lambda in the kernel limit needs validation_fraction > 0");
      const RidgePath path = ridge.select_by_validation(c.lambdas, Xs.cols(val), Y.cols(val), criterion);
      selection = "validation";
      parts.metadata.emplace_back(by_mse ? "validation mse" : "validation error rate",
                                  format_double(by_mse ? path.mse[path.best] : path.error_rate[path.best]));
      if (c.refit_on_all) {
        ridge = KernelRidge(parts.kernel);
        ridge.fit(Xs, Y);
        ridge.set_lambda(path.lambdas[path.best]);
        support = Xs;
      }
    }
    dual = ridge.dual_coefficients();
    lambdas = ridge.lambdas();
  } else {
    KernelSVM svm(parts.kernel, c.loss, c.solver_options);
    support = Xt;
    if (c.norm_bound > 0.0) {
      svm.fit_ball(Xt, Yt, c.norm_bound);
      selection = "norm ball B = " + format_double(c.norm_bound);
    } else if (c.lambdas.n_elem == 1) {
      svm.fit(Xt, Yt, c.lambdas[0]);
      selection = "fixed lambda";
    } else {
      if (val.is_empty()) fail(where, "selecting lambda in the kernel limit needs validation_fraction > 0");
      const arma::mat Xv = Xs.cols(val), Yv = Y.cols(val);
      double best_score = std::numeric_limits<double>::infinity(), best_lambda = c.lambdas[0];
      for (double lambda : c.lambdas) {
        svm.fit(Xt, Yt, lambda);
        const Scores s = score(svm.predict(Xv), Yv);
        const double v = by_mse ? s.mse : s.error_rate;
        if (v < best_score || (v == best_score && lambda > best_lambda)) {
          best_score = v;
          best_lambda = lambda;
        }
      }
      selection = "validation";
      parts.metadata.emplace_back(by_mse ? "validation mse" : "validation error rate", format_double(best_score));
      if (c.refit_on_all) {
        svm.fit(Xs, Y, best_lambda);
        support = Xs;
      } else {
        svm.fit(Xt, Yt, best_lambda);
      }
    }
    dual = svm.dual_coefficients();
    lambdas = svm.lambdas();
  }
  report(c, "kernel limit", 1, 1);
  parts.metadata.emplace_back("selection", selection);
  parts.mode = ModelMode::kernel_limit;
  parts.training_size = support.n_cols;
  parts.support = std::move(support);
  parts.dual = std::move(dual);
  parts.lambdas = std::move(lambdas);
  return Model(std::move(parts));
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
  const TrainerConfig& c = config_;
  if (!source) fail(where, "the batch source is empty");
  if (input_dim == 0) fail(where, "input_dim must be >= 1");
  if (c.loss != Loss::squared) fail(where, "streaming fits use the squared loss (the others need all features at once)");
  if (is_exact(c.map)) fail(where, "the kernel limit needs all points at once; use fit() or a feature map");
  if (c.scaling == Scaling::max_norm)
    fail(where, "max-norm scaling needs a pass over all data before training; use unit-norm or none when streaming");
  const Kernel kernel = make_kernel(c.kernel);
  std::shared_ptr<FeatureMap> map = make_feature_map(c.map, kernel, input_dim, c.features, c.seed);
  const LabelEncoder enc(classes);
  const Scaler scaler(c.scaling);
  std::unique_ptr<FeatureRidge> ridge;
  arma::mat Xb, Yb;
  arma::uword batches = 0;
  while (source(Xb, Yb)) {
    const std::string at = where + std::string(" (batch ") + to_text(batches) + ")";
    if (Xb.n_rows != input_dim || Xb.n_cols == 0 || Yb.n_cols != Xb.n_cols)
      fail(at, "X must be d x b with d = " + to_text(input_dim) + ", b >= 1 and Y must have b columns; got " +
                   to_text(Xb.n_rows) + " x " + to_text(Xb.n_cols) + " and " + to_text(Yb.n_rows) + " x " +
                   to_text(Yb.n_cols));
    arma::mat T;
    if (classes.is_empty()) {
      T = Yb;
    } else {
      if (Yb.n_rows != 1) fail(at, "for classification Y must be 1 x b labels");
      arma::ivec labels(Yb.n_cols);
      for (arma::uword i = 0; i < Yb.n_cols; ++i) {
        if (Yb(0, i) != std::round(Yb(0, i))) fail(at, "label " + format_double(Yb(0, i)) + " is not an integer");
        labels[i] = static_cast<arma::sword>(Yb(0, i));
      }
      T = enc.encode(labels);
    }
    const arma::mat Xs = scaler.transform(Xb);
    // Data-dependent maps learn from the first batch only: nothing else is kept.
    if (!map->is_fitted()) map->fit(Xs);
    if (!ridge) ridge = std::make_unique<FeatureRidge>(map->output_dim(), T.n_rows, c.solver, c.accumulation);
    if (T.n_rows != ridge->outputs())
      fail(at, "Y has " + to_text(T.n_rows) + " rows but earlier batches had " + to_text(ridge->outputs()));
    for (arma::uword j0 = 0; j0 < Xs.n_cols; j0 += c.batch_size) {
      const arma::uword j1 = std::min(Xs.n_cols, j0 + c.batch_size) - 1;
      if (c.precision == Precision::single_precision)
        ridge->accumulate(features_single(*map, Xs.cols(j0, j1)), T.cols(j0, j1));
      else
        ridge->accumulate(map->transform(Xs.cols(j0, j1)), T.cols(j0, j1));
    }
    ++batches;
  }
  if (!ridge || ridge->count() < 2) fail(where, "the source gave fewer than 2 points");
  ModelParts parts;
  std::string selection;
  if (c.norm_bound > 0.0) {
    ridge->set_norm_bound(c.norm_bound);
    selection = "norm ball B = " + format_double(c.norm_bound);
  } else if (c.lambdas.n_elem == 1) {
    ridge->set_lambda(c.lambdas[0]);
    selection = "fixed lambda";
  } else {
    const GcvPath path = ridge->select_by_gcv(c.lambdas);
    selection = "gcv";
    parts.metadata.emplace_back("gcv", format_double(path.gcv[path.best]));
  }
  parts.mode = ModelMode::features;
  parts.kernel = kernel;
  parts.scaling = c.scaling;
  parts.precision = c.precision;
  parts.classes = classes;
  parts.loss = c.loss;
  parts.norm_bound = c.norm_bound;
  parts.seed = c.seed;
  parts.input_dim = input_dim;
  parts.training_size = ridge->count();
  parts.library_version = version;
  parts.metadata.emplace_back("map", c.map);
  parts.metadata.emplace_back("task", classes.is_empty() ? "regression" : "classification");
  parts.metadata.emplace_back("streamed batches", to_text(batches));
  parts.metadata.emplace_back("selection", selection);
  parts.weights = ridge->weights();
  parts.lambdas = ridge->lambdas();
  parts.map = std::move(map);
  return Model(std::move(parts));
}

}  // namespace deepdot
