// SPDX-License-Identifier: MIT
// The data-parallel Trainer (docs/distributed.md): the same decisions as
// Trainer::fit (trainer_detail.hpp) on points spread over the ranks of a
// Communicator; only sums, maxima and the map's sample cross between ranks.
#include <deepdot/model/trainer.hpp>

#include <deepdot/core/labels.hpp>
#include <deepdot/distributed/communicator.hpp>
#include <deepdot/distributed/data.hpp>
#include <deepdot/util/memory.hpp>

#include "core/check.hpp"
#include "model/learners.hpp"
#include "model/trainer_detail.hpp"

#include <cmath>
#include <exception>
#include <functional>
#include <string>

namespace deepdot {

using detail::fail;

namespace {

const char* kWhere = "Trainer::fit_distributed()";

/// Runs a local step on every rank and agrees on its success, so that a
/// failure on one rank stops all of them at the same point: the failing rank
/// rethrows its error naming the rank, the others throw RemoteFailure.
void collectively(const Communicator& comm, const std::function<void()>& step) {
  std::string error;
  try {
    step();
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (comm.all_ok(error.empty())) return;
  if (!error.empty()) throw std::invalid_argument("rank " + std::to_string(comm.rank()) + ": " + error);
  throw RemoteFailure(std::string(kWhere) + ": another rank failed");
}

/// The points of the ascending global indices `global` that fall in this
/// rank's range [offset, offset + n_r), as local indices.
arma::uvec local_indices(const arma::uvec& global, arma::uword offset, arma::uword n_r) {
  const arma::uvec mine = global.elem(arma::find(global >= offset && global < offset + n_r));
  return mine - offset;
}

}  // namespace

namespace {

/// The per-feature statistics of the points of all ranks (X: d x n_r here, n
/// in all): sums give the mean, then sums of squared deviations about that
/// mean the variance (two rounds, as the single-process two-pass
/// computation), maxima and minima the range. 4d numbers per rank.
FeatureStatistics global_feature_statistics(const Communicator& comm, const arma::mat& X, arma::uword n) {
  const arma::uword d = X.n_rows;
  FeatureStatistics st;
  st.count = n;
  st.mean = X.n_cols ? arma::vec(arma::sum(X, 1)) : arma::vec(d, arma::fill::zeros);
  comm.allreduce_sum(st.mean);
  st.mean /= static_cast<double>(n);
  st.variance.zeros(d);
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    const double* x = X.colptr(j);
    for (arma::uword i = 0; i < d; ++i) {
      const double e = x[i] - st.mean[i];
      st.variance[i] += e * e;
    }
  }
  comm.allreduce_sum(st.variance);
  st.variance /= static_cast<double>(n);
  // A rank without points contributes the identity of each reduction.
  st.max = X.n_cols ? arma::vec(arma::max(X, 1)) : arma::vec(d, arma::fill::value(-arma::datum::inf));
  st.min = X.n_cols ? arma::vec(arma::min(X, 1)) : arma::vec(d, arma::fill::value(arma::datum::inf));
  comm.allreduce_max(st.max);
  comm.allreduce_min(st.min);
  return st;
}

/// The sorted union of every rank's labels: a class seen on one rank only still counts.
arma::ivec global_classes(const Communicator& comm, const arma::ivec& labels) {
  const arma::vec all = comm.allgather(arma::conv_to<arma::vec>::from(arma::ivec(arma::unique(labels))));
  const arma::ivec classes = arma::conv_to<arma::ivec>::from(arma::unique(all));
  if (classes.n_elem < 2)
    fail(kWhere, "need at least 2 distinct labels over all ranks, got " + std::to_string(classes.n_elem));
  return classes;
}

}  // namespace

Model Trainer::fit_distributed(const Communicator& comm, const arma::mat& X, const arma::ivec& labels) const {
  collectively(comm, [&] { detail::check_same_points(X, "X", labels, "labels", kWhere); });
  const arma::ivec classes = global_classes(comm, labels);
  return distributed_impl(comm, X, LabelEncoder(classes).encode(labels), classes, nullptr);
}

Model Trainer::fit_distributed_inplace(const Communicator& comm, arma::mat& X, const arma::ivec& labels) const {
  collectively(comm, [&] { detail::check_same_points(X, "X", labels, "labels", kWhere); });
  const arma::ivec classes = global_classes(comm, labels);
  return distributed_impl(comm, X, LabelEncoder(classes).encode(labels), classes, &X);
}

Model Trainer::fit_regression_distributed(const Communicator& comm, const arma::mat& X, const arma::mat& Y) const {
  if (config_.loss != Loss::squared && config_.loss != Loss::automatic)
    fail("Trainer::fit_regression_distributed()",
         "regression needs the squared loss; the classification losses take labels (use fit_distributed())");
  return distributed_impl(comm, X, Y, arma::ivec(), nullptr);
}

Model Trainer::distributed_impl(const Communicator& comm, const arma::mat& X, const arma::mat& Y,
                                const arma::ivec& classes, arma::mat* in_place) const {
  const bool exact = config_.map == "exact";
  // Agree on the shapes first: every later step is collective.
  arma::vec shape{static_cast<double>(X.n_rows), -static_cast<double>(X.n_rows), static_cast<double>(Y.n_rows),
                  -static_cast<double>(Y.n_rows)};
  comm.allreduce_max(shape);
  if (shape[0] != -shape[1] || shape[2] != -shape[3])
    fail(kWhere, "the ranks disagree on d (" + std::to_string(-shape[1]) + " to " + std::to_string(shape[0]) +
                     ") or on the number of outputs c");
  collectively(comm, [&] {
    detail::check_same_points(X, "X", Y, "Y", kWhere);
    if (X.n_rows == 0) fail(kWhere, "X has no rows (d = 0)");
    if (Y.n_rows == 0) fail(kWhere, "Y has no rows; need at least one output");
    detail::require_finite(Y, kWhere, "Y");
    detail::require_finite(X, kWhere, "X");
  });
  const arma::uvec counts = comm.counts(X.n_cols);
  const arma::uword n = arma::accu(counts), P = counts.n_elem, r = static_cast<arma::uword>(comm.rank());
  const arma::uword offset = r == 0 ? 0 : arma::accu(counts.head(r));
  if (n < 2) fail(kWhere, "need n >= 2 points over all ranks, got " + std::to_string(n));
  // One rank: the single-process fit itself (it also makes the automatic choices).
  if (P == 1 && (detail::has_automatic(config_) || config_.loss != Loss::squared || exact))
    return fit_any(X, Y, classes, in_place, nullptr, nullptr);

  // Preprocessing first (it does not depend on the automatic choices).
  // In place, X aliases *in_place: only its shape (read here, before the
  // sphere lift adds a row) is used below.
  const arma::uword d = X.n_rows, n_local = X.n_cols;
  arma::mat copy;
  if (!in_place) copy = X;
  arma::mat& Xs = in_place ? *in_place : copy;
  const bool classify = !classes.is_empty();

  // The automatic choices of fit(): the same global split and search sample,
  // gathered on every rank (at most 4,500 points), searched identically:
  // first the preprocessing on the raw sample, then the rest on the sample
  // scaled as chosen.
  const bool automatic = detail::has_automatic(config_);
  detail::ValidationSplit vs;
  detail::SearchIndices search;
  arma::uvec search_t, search_v;  // this rank's columns of the search sample
  if (automatic) {
    vs = detail::validation_split(n, config_.seed, config_.validation_fraction > 0.0 ? config_.validation_fraction : 0.1);
    search = detail::search_indices(vs.train, vs.validation, config_.seed);
    search_t = local_indices(search.train, offset, n_local);
    search_v = local_indices(search.validation, offset, n_local);
  }
  TrainerConfig base = config_;
  const bool choose_scaling = detail::needs_preprocessing_search(config_);
  detail::PreprocessingChoice pre;
  if (choose_scaling) {
    const arma::mat Xt = gather_columns(comm, arma::mat(Xs.cols(search_t)), Xs.n_rows);  // raw
    const arma::mat Yt = gather_columns(comm, arma::mat(Y.cols(search_t)), Y.n_rows);
    const arma::mat Xv = gather_columns(comm, arma::mat(Xs.cols(search_v)), Xs.n_rows);
    const arma::mat Yv = gather_columns(comm, arma::mat(Y.cols(search_v)), Y.n_rows);
    pre = detail::choose_preprocessing(config_, Xt, Yt, Xv, Yv, classify);
    base = detail::with_preprocessing(config_, pre);
  }

  Scaler scaler = make_scaler(base);
  // Per-feature statistics over all ranks: the single-process fit's to rounding.
  if (base.feature_scaling != FeatureScaling::none) {
    FeatureScaler features(base.feature_scaling);
    features.fit(global_feature_statistics(comm, Xs, n));
    features.transform_inplace(Xs);
    scaler.set_features(std::move(features));
  }
  // max-norm and the sphere lift's automatic R: the largest norm over all ranks
  // (times the chosen multiple when the preprocessing was chosen).
  if (base.scaling == Scaling::max_norm || (base.scaling == Scaling::sphere_lift && base.lift_scale == 0.0)) {
    arma::vec m{n_local ? column_norms(Xs).max() : 0.0};
    comm.allreduce_max(m);
    if (m[0] > 0.0) scaler.set_factor(m[0]);
  }
  if (choose_scaling && pre.lift_multiple > 0.0) {
    scaler.set_factor(pre.lift_multiple * scaler.factor());
    base.lift_scale = scaler.factor();
    detail::finish_preprocessing(pre, base.lift_scale, base);
  }
  scaler.scale_points_inplace(Xs);

  SelectionReport report;
  TrainerConfig resolved = base;
  if (automatic) {
    arma::mat Xt, Yt, Xv, Yv;
    if (detail::needs_search(base)) {
      Xt = gather_columns(comm, arma::mat(Xs.cols(search_t)), Xs.n_rows);  // scaled now
      Yt = gather_columns(comm, arma::mat(Y.cols(search_t)), Y.n_rows);
      Xv = gather_columns(comm, arma::mat(Xs.cols(search_v)), Xs.n_rows);
      Yv = gather_columns(comm, arma::mat(Y.cols(search_v)), Y.n_rows);
    }
    resolved = detail::choose_on_sample(base, Xt, Yt, Xv, Yv, vs.train.n_elem, n, d, Y.n_rows, classify, report);
  }
  if (choose_scaling) detail::add_preprocessing_report(pre, scaler.factor(), report);
  const TrainerConfig& c = resolved;

  // More ranks: the squared loss by reduced statistics, logistic and squared
  // hinge by distributed Newton.
  if (c.loss != Loss::squared || exact) {
    if (exact)
      fail(kWhere, "the kernel limit (map \"exact\") needs the n x n kernel of all points on one process; it is "
                   "not distributed: run it without mpirun, or use a feature map");
    if (c.loss == Loss::hinge)
      fail(kWhere, "the hinge loss is not differentiable and has no distributed solver; use --loss squared-hinge "
                   "or logistic (distributed trust-region Newton), or run it on one process");
    if (c.norm_bound > 0.0)
      fail(kWhere, "the norm-ball form of the " + loss_name(c.loss) + " loss is not distributed; use a lambda");
  }


  // The split of the single-process fit, from the global count and the seed.
  const bool selecting = c.norm_bound == 0.0 && c.lambdas.n_elem > 1;
  arma::uvec train_global, val_global;
  if (selecting && c.validation_fraction > 0.0) {
    detail::ValidationSplit s = detail::validation_split(n, c.seed, c.validation_fraction);
    train_global = std::move(s.train);
    val_global = std::move(s.validation);
  } else {
    train_global = arma::regspace<arma::uvec>(0, n - 1);
  }
  detail::DataPart train{&Xs, &Y, local_indices(train_global, offset, n_local)};
  detail::DataPart validation{&Xs, &Y, local_indices(val_global, offset, n_local)};

  const Kernel kernel = make_kernel(c.kernel);
  ModelParts parts = detail::base_parts(c, kernel, scaler, classes, d);
  detail::record_selection(report, parts);
  if (c.on_selection) c.on_selection(report);
  parts.metadata.emplace_back("validation points", std::to_string(val_global.n_elem));
  parts.metadata.emplace_back("ranks", std::to_string(P));
  const arma::uword dim = Xs.n_rows;  // after the preprocessing: d + 1 with the sphere lift
  std::shared_ptr<FeatureMap> map = make_feature_map(c.map, kernel, dim, c.features, c.seed);
  if (!map->is_fitted()) {
    // A data-dependent map learns from the first m training points of the
    // whole data set: each rank gives those it holds, gathered once in order.
    const arma::uword m = detail::map_sample_size(c, train_global.n_elem);
    const arma::uvec mine = local_indices(train_global.head(m), offset, n_local);
    const arma::mat sample = gather_columns(comm, arma::mat(Xs.cols(mine)), dim);
    detail::DataPart head{&sample, nullptr, arma::regspace<arma::uvec>(0, m - 1)};
    detail::fit_map(c, *map, head);
  }
  // The map's construction (ORF's QR blocks, the Nystroem sample) leaves
  // freed blocks in the heap: hand them back before the accumulation.
  release_free_memory();
  const bool has_validation = !val_global.is_empty();
  val_global.reset();
  train_global.reset();
  const Criterion criterion = classes.is_empty() ? Criterion::mse : Criterion::error_rate;
  std::unique_ptr<detail::Learner> learner =
      c.loss == Loss::squared ? detail::make_distributed_ridge(c, map, Y.n_rows, comm, train, validation)
                              : detail::make_distributed_iterative(c, map, comm, train, validation);
  detail::regularise(c, *learner, has_validation, criterion, parts);
  learner->finish(parts);
  // The certificate's sample would have to be gathered from every rank; the
  // data-parallel fit leaves it out (docs/models.md).
  parts.metadata.emplace_back("certificate", c.certificate ? "off (a data-parallel fit)" : "off");
  return Model(std::move(parts));
}

}  // namespace deepdot
