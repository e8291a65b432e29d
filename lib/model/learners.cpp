// SPDX-License-Identifier: MIT
#include "model/learners.hpp"

#include <deepdot/core/metrics.hpp>
#include <deepdot/core/sparse.hpp>
#include <deepdot/distributed/communicator.hpp>
#include <deepdot/solvers/feature_ridge.hpp>
#include <deepdot/solvers/kernel_ridge.hpp>
#include <deepdot/solvers/kernel_svm.hpp>
#include <deepdot/solvers/linear_solver.hpp>
#include <deepdot/util/memory.hpp>

#include "core/check.hpp"
#include "solvers/solver_primal.hpp"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

namespace deepdot::detail {

namespace {

void report(const TrainerConfig& c, const char* stage, arma::uword done, arma::uword total) {
  if (c.progress) c.progress(stage, done, total);
}

/// The training set as parts: one part, or two when an explicit validation set
/// (other matrices) joined it. Parts on the same matrices merge into one
/// ascending index set, so a random split refitted on all points sees them in
/// their original order.
using Parts = std::vector<DataPart>;

Parts merged(Parts parts, const DataPart& extra) {
  for (DataPart& p : parts)
    if (p.X == extra.X && p.S == extra.S && p.Y == extra.Y) {
      p.idx = arma::sort(arma::join_cols(p.idx, extra.idx));
      return parts;
    }
  parts.push_back(extra);
  return parts;
}

arma::uword total_size(const Parts& parts) {
  arma::uword n = 0;
  for (const DataPart& p : parts) n += p.size();
  return n;
}

/// The kernel limit keeps its training inputs dense (the support of the model).
void require_dense(const Parts& parts) {
  for (const DataPart& p : parts)
    if (p.sparse())
      fail("Trainer::fit()", "the kernel limit (map \"exact\") takes dense inputs only: its model stores the d x n "
                             "training points; use a feature map (e.g. tensorsketch) for sparse data");
}

/// The columns of every part side by side: inputs (&DataPart::X) or targets (&DataPart::Y).
arma::mat gather(const Parts& parts, const arma::mat* DataPart::*which) {
  arma::mat M((parts.front().*which)->n_rows, total_size(parts));
  arma::uword at = 0;
  for (const DataPart& p : parts) {
    if (p.empty()) continue;
    M.cols(at, at + p.size() - 1) = (p.*which)->cols(p.idx);
    at += p.size();
  }
  return M;
}
arma::mat gather_X(const Parts& parts) {
  require_dense(parts);
  return gather(parts, &DataPart::X);
}
arma::mat gather_Y(const Parts& parts) { return gather(parts, &DataPart::Y); }

/// Calls body(Xb, Yb, offset) for batches of at most `batch` points of a part.
/// Consecutive points are read in place (no gathered copy of the inputs).
/// For a sparse part, Xb is an arma::sp_mat (body must take both).
template <typename Body>
void for_each_batch(const DataPart& part, arma::uword batch, Body&& body) {
  const arma::uword n = part.size(), d = part.dim();
  for (arma::uword j0 = 0; j0 < n; j0 += batch) {
    const arma::uword j1 = std::min(n, j0 + batch) - 1;
    const arma::uword a = part.idx[j0], b = part.idx[j1];
    if (part.sparse()) {
      const arma::uvec cols = part.idx.subvec(j0, j1);
      body(sparse_columns(*part.S, cols), arma::mat(part.Y->cols(cols)), j0);
    } else if (b - a == j1 - j0) {
      const arma::mat Xb(const_cast<double*>(part.X->colptr(a)), d, b - a + 1, false, true);
      body(Xb, arma::mat(part.Y->cols(a, b)), j0);
    } else {
      const arma::uvec cols = part.idx.subvec(j0, j1);
      body(arma::mat(part.X->cols(cols)), arma::mat(part.Y->cols(cols)), j0);
    }
  }
}

/// Float features of a batch in the configured precision (float: the map
/// computes in float where it can, exactly as Model::predict() does later).
arma::fmat float_features(const FeatureMap& map, const arma::mat& Xb, Precision precision) {
  if (precision == Precision::single_precision) return map.transform(arma::conv_to<arma::fmat>::from(Xb));
  return arma::conv_to<arma::fmat>::from(map.transform(Xb));
}
arma::fmat float_features(const FeatureMap& map, const arma::sp_mat& Xb, Precision precision) {
  if (precision == Precision::single_precision) return map.transform(to_float(Xb));
  return arma::conv_to<arma::fmat>::from(map.transform(Xb));
}

/// Float features of columns `cols` of a part (validation batches).
arma::fmat part_features(const FeatureMap& map, const DataPart& part, const arma::uvec& cols, Precision precision) {
  if (part.sparse()) return float_features(map, sparse_columns(*part.S, cols), precision);
  return float_features(map, part.X->cols(cols), precision);
}

/// All features of the parts, D x n floats (the iterative solvers need them at once).
arma::fmat features_of(const TrainerConfig& c, const FeatureMap& map, const Parts& parts) {
  const arma::uword n = total_size(parts);
  arma::fmat Z(map.output_dim(), n);
  arma::uword at = 0;
  for (const DataPart& p : parts) {
    for_each_batch(p, c.batch_size, [&](const auto& Xb, const arma::mat&, arma::uword j0) {
      report(c, "features", at + j0, n);
      Z.cols(at + j0, at + j0 + Xb.n_cols - 1) = float_features(map, Xb, c.precision);
    });
    at += p.size();
  }
  report(c, "features", n, n);
  return Z;
}

// ------------------------------------------------------- squared loss, features
// Features exist one batch at a time; only ZZ' and ZY' persist (FeatureRidge).
class FeatureSquared final : public StreamingRidge {
 public:
  // comm: null for one process; else the points are this rank's and the
  // statistics are summed over ranks before any solve (reduce()).
  FeatureSquared(const TrainerConfig& c, std::shared_ptr<FeatureMap> map, arma::uword outputs, DataPart validation,
                 const Communicator* comm = nullptr)
      : c_(c), map_(std::move(map)), ridge_(map_->output_dim(), outputs, c.solver, c.accumulation),
        validation_(std::move(validation)), comm_(comm) {}

  /// Sums the rank-local statistics of `local` over the ranks into ridge_.
  void reduce_into_ridge(const FeatureRidge& local) {
    arma::vec s = local.statistics();
    comm_->allreduce_sum(s);
    ridge_.add_statistics(s);
  }
  /// Distributed: the training part is accumulated into ridge_ itself, then
  /// summed over the ranks in place, piece by piece: ZZ' is held once.
  void accumulate_and_reduce(const DataPart& train) {
    accumulate_part(train, ridge_);
    release_free_memory();  // the last batch's buffers, before the reduction and the solve
    ridge_.reduce_statistics([this](arma::vec& v) { comm_->allreduce_sum(v); });
  }

  void accumulate_part(const DataPart& part) { accumulate_part(part, ridge_); }
  void accumulate_part(const DataPart& part, FeatureRidge& into) {
    for_each_batch(part, c_.batch_size, [&](const auto& Xb, const arma::mat& Yb, arma::uword j0) {
      report(c_, "features", j0, part.size());
      add(Xb, Yb, into);
    });
    report(c_, "features", part.size(), part.size());
  }
  void accumulate(const arma::mat& Xs, const arma::mat& T) override {
    for (arma::uword j0 = 0; j0 < Xs.n_cols; j0 += c_.batch_size) {
      const arma::uword j1 = std::min(Xs.n_cols, j0 + c_.batch_size) - 1;
      const arma::mat Xb(const_cast<double*>(Xs.colptr(j0)), Xs.n_rows, j1 - j0 + 1, false, true);
      add(Xb, T.cols(j0, j1), ridge_);
    }
  }
  void accumulate(const arma::sp_mat& Xs, const arma::mat& T) override {
    for (arma::uword j0 = 0; j0 < Xs.n_cols; j0 += c_.batch_size) {
      const arma::uword j1 = std::min(Xs.n_cols, j0 + c_.batch_size) - 1;
      add(arma::sp_mat(Xs.cols(j0, j1)), T.cols(j0, j1), ridge_);
    }
  }
  arma::uword count() const override { return ridge_.count(); }
  arma::uword outputs() const override { return ridge_.outputs(); }

  void solve_at_lambda(double lambda) override { ridge_.set_lambda(lambda); }
  void solve_at_bound(double B) override { ridge_.set_norm_bound(B); }
  arma::vec validation_scores(const arma::vec& lambdas, Criterion criterion) override {
    if (comm_) return distributed_scores(lambdas, criterion);
    arma::uword j0 = 0;
    const DataPart& v = validation_;
    // The validation features are streamed batch by batch, never held whole.
    const RidgePath path = ridge_.select_by_validation(
        lambdas,
        [&](arma::fmat& Z, arma::mat& Yb) {
          if (j0 >= v.size()) return false;
          const arma::uvec cols = v.idx.subvec(j0, std::min(v.size(), j0 + c_.batch_size) - 1);
          j0 += cols.n_elem;
          Z = part_features(*map_, v, cols, c_.precision);
          Yb = v.Y->cols(cols);
          return true;
        },
        criterion);
    return criterion == Criterion::mse ? path.mse : path.error_rate;
  }
  arma::vec gcv_scores(const arma::vec& lambdas) override { return ridge_.select_by_gcv(lambdas).gcv; }
  // The held-out points join the final fit at no extra solve cost.
  void absorb_validation() override {
    if (!comm_) {
      accumulate_part(validation_);
      return;
    }
    FeatureRidge local(ridge_.dim(), ridge_.outputs(), c_.solver, c_.accumulation);
    if (!validation_.empty()) accumulate_part(validation_, local);
    reduce_into_ridge(local);
  }
  void finish(ModelParts& parts) override {
    parts.mode = ModelMode::features;
    parts.weights = ridge_.weights();
    parts.lambdas = ridge_.lambdas();
    parts.training_size = ridge_.count();
    parts.map = map_;
    parts.metadata.emplace_back("solver", ridge_.solved_with() == RidgeSolver::eigen ? "eigen" : "cholesky");
  }

 private:
  // The float input batch is freed before the accumulation: only the
  // features of the batch are held while ZZ' is updated.
  void add(const arma::mat& Xb, const arma::mat& Yb, FeatureRidge& into) {
    if (c_.precision == Precision::single_precision)
      into.accumulate(float_features(*map_, Xb, c_.precision), Yb);
    else
      into.accumulate(map_->transform(Xb), Yb);
  }

  // The validation points are spread over the ranks: each scores its own
  // with every lambda's weights (the same on every rank) and the sums of
  // squared errors, of errors and the count are added over ranks.
  arma::vec distributed_scores(const arma::vec& lambdas, Criterion criterion) {
    const std::vector<arma::mat> weights = ridge_.path_weights(lambdas);
    const arma::uword L = lambdas.n_elem, c = ridge_.outputs();
    arma::vec sums(2 * L + 1, arma::fill::zeros);  // squared errors, errors, count
    if (!validation_.empty())
      for_each_batch(validation_, c_.batch_size, [&](const auto& Xb, const arma::mat& Yb, arma::uword) {
        const arma::mat Z = arma::conv_to<arma::mat>::from(float_features(*map_, Xb, c_.precision));
        const arma::uvec truth = predicted_index(Yb);
        for (arma::uword l = 0; l < L; ++l) {
          const arma::mat P = weights[l].t() * Z;
          sums[l] += arma::accu(arma::square(P - Yb));
          sums[L + l] += static_cast<double>(arma::accu(predicted_index(P) != truth));
        }
        sums[2 * L] += static_cast<double>(Xb.n_cols);
      });
    comm_->allreduce_sum(sums);
    if (sums[2 * L] == 0.0) fail("Trainer::fit_distributed()", "the validation set is empty on every rank");
    const double m = sums[2 * L];
    return criterion == Criterion::mse ? arma::vec(sums.head(L) / (m * static_cast<double>(c)))
                                       : arma::vec(sums.subvec(L, 2 * L - 1) / m);
  }
  void add(const arma::sp_mat& Xb, const arma::mat& Yb, FeatureRidge& into) {
    if (c_.precision == Precision::single_precision)
      into.accumulate(float_features(*map_, Xb, c_.precision), Yb);
    else
      into.accumulate(map_->transform(Xb), Yb);
  }

  const TrainerConfig& c_;
  std::shared_ptr<FeatureMap> map_;
  FeatureRidge ridge_;
  DataPart validation_;
  const Communicator* comm_ = nullptr;
};

// --------------------------------------------- logistic and hinge losses, features
class FeatureIterative final : public Learner {
 public:
  FeatureIterative(const TrainerConfig& c, std::shared_ptr<FeatureMap> map, const DataSplit& split)
      : c_(c), map_(std::move(map)), train_{split.train}, validation_(split.validation) {
    Z_ = features_of(c_, *map_, train_);
    Y_ = gather_Y(train_);
  }
  void solve_at_lambda(double lambda) override {
    const auto it = cache_.find(lambda);
    fit_ = it != cache_.end() ? it->second : fit_linear(c_.loss, Z_, Y_, lambda, c_.solver_options);
  }
  void solve_at_bound(double B) override { fit_ = fit_linear_ball(c_.loss, Z_, Y_, B, c_.solver_options); }
  arma::vec validation_scores(const arma::vec& lambdas, Criterion criterion) override {
    const arma::mat Zv = arma::conv_to<arma::mat>::from(features_of(c_, *map_, {validation_}));
    const arma::mat Yv = gather_Y({validation_});
    arma::vec scores(lambdas.n_elem);
    for (arma::uword l = 0; l < lambdas.n_elem; ++l) {
      LinearFit f = fit_linear(c_.loss, Z_, Y_, lambdas[l], c_.solver_options);
      const PredictionScores s = score_predictions(f.W.t() * Zv, Yv);
      scores[l] = criterion == Criterion::mse ? s.mse : s.error_rate;
      f.dual.reset();  // the Trainer keeps weights only
      cache_[lambdas[l]] = std::move(f);
    }
    return scores;
  }
  void absorb_validation() override {
    train_ = merged(train_, validation_);
    Z_.reset();  // before mapping all points: one feature matrix at a time
    Z_ = features_of(c_, *map_, train_);
    Y_ = gather_Y(train_);
    cache_.clear();
  }
  void finish(ModelParts& parts) override {
    parts.mode = ModelMode::features;
    parts.weights = fit_.W;
    parts.lambdas = fit_.lambdas;
    parts.training_size = Z_.n_cols;
    parts.map = map_;
    parts.metadata.emplace_back("solver", c_.loss == Loss::logistic ? "trust-region newton" : "dual coordinate descent");
    parts.metadata.emplace_back("solver iterations", std::to_string(fit_.iterations));
    parts.metadata.emplace_back("solver optimality", format_double(fit_.optimality));
  }

 private:
  const TrainerConfig& c_;
  std::shared_ptr<FeatureMap> map_;
  Parts train_;
  DataPart validation_;
  arma::fmat Z_;
  arma::mat Y_;
  LinearFit fit_;
  std::map<double, LinearFit> cache_;  // the validation path's fits, reused by solve_at_lambda()
};

// -------------------------------- logistic and squared hinge, data-parallel
// Each rank holds the features of its own points (D x n_r floats); the
// trust-region Newton method sums over ranks inside (fit_primal_distributed).
class DistributedIterative final : public Learner {
 public:
  DistributedIterative(const TrainerConfig& c, std::shared_ptr<FeatureMap> map, const Communicator& comm,
                       const DataPart& train, const DataPart& validation)
      : c_(c), map_(std::move(map)), comm_(comm), train_{train}, validation_(validation) {
    build();
  }
  void solve_at_lambda(double lambda) override {
    const auto it = cache_.find(lambda);
    if (it != cache_.end()) {
      fit_ = it->second;
      return;
    }
    fit_ = solve(lambda);
  }
  void solve_at_bound(double) override {
    fail("Trainer::fit_distributed()", "the norm-ball form of the " + loss_name(c_.loss) +
                                           " loss is not distributed; use a lambda (or run on one process)");
  }
  arma::vec validation_scores(const arma::vec& lambdas, Criterion criterion) override {
    const arma::mat Zv = arma::conv_to<arma::mat>::from(features_of(c_, *map_, {validation_}));
    const arma::mat Yv = gather_Y({validation_});
    const arma::uword L = lambdas.n_elem;
    arma::vec sums(2 * L + 1, arma::fill::zeros);
    for (arma::uword l = 0; l < L; ++l) {
      Fit f = solve(lambdas[l]);
      if (Zv.n_cols) {
        const arma::mat P = f.W.t() * Zv;
        sums[l] = arma::accu(arma::square(P - Yv));
        sums[L + l] = static_cast<double>(arma::accu(predicted_index(P) != predicted_index(Yv)));
      }
      cache_[lambdas[l]] = std::move(f);
    }
    sums[2 * L] = static_cast<double>(Zv.n_cols);
    comm_.allreduce_sum(sums);
    const double m = sums[2 * L];
    if (m == 0.0) fail("Trainer::fit_distributed()", "the validation set is empty on every rank");
    return criterion == Criterion::mse ? arma::vec(sums.head(L) / (m * static_cast<double>(Yv.n_rows)))
                                       : arma::vec(sums.subvec(L, 2 * L - 1) / m);
  }
  void absorb_validation() override {
    train_ = merged(train_, validation_);
    Z_.reset();
    build();
    cache_.clear();
  }
  void finish(ModelParts& parts) override {
    parts.mode = ModelMode::features;
    parts.weights = fit_.W;
    parts.lambdas = arma::vec(fit_.W.n_cols, arma::fill::value(fit_.lambda));
    parts.training_size = n_;
    parts.map = map_;
    parts.metadata.emplace_back("solver", "distributed trust-region newton");
    parts.metadata.emplace_back("solver iterations", std::to_string(fit_.iterations));
    parts.metadata.emplace_back("solver optimality", format_double(fit_.optimality));
  }

 private:
  struct Fit {
    arma::mat W;
    double lambda = 0.0;
    arma::uword iterations = 0;
    double optimality = 0.0;
  };
  void build() {
    Z_ = features_of(c_, *map_, train_);
    Y_ = gather_Y(train_);
    arma::vec n{static_cast<double>(Z_.n_cols)};
    comm_.allreduce_sum(n);
    n_ = static_cast<arma::uword>(n[0]);
  }
  Fit solve(double lambda) {
    Fit f;
    f.lambda = lambda;
    f.W.zeros(Z_.n_rows, Y_.n_rows);
    const detail::PrimalResult r =
        fit_primal_distributed(comm_, c_.loss, Z_, Y_, n_, arma::vec(Y_.n_rows, arma::fill::value(lambda)), f.W,
                               c_.solver_options.tolerance, c_.solver_options.max_iterations);
    f.iterations = r.iterations;
    f.optimality = r.optimality;
    return f;
  }

  const TrainerConfig& c_;
  std::shared_ptr<FeatureMap> map_;
  const Communicator& comm_;
  Parts train_;
  DataPart validation_;
  arma::fmat Z_;
  arma::mat Y_;
  arma::uword n_ = 0;
  Fit fit_;
  std::map<double, Fit> cache_;
};

// ------------------------------------------------- squared loss, kernel limit
class KernelSquared final : public Learner {
 public:
  KernelSquared(const Kernel& kernel, const DataSplit& split)
      : kernel_(kernel), ridge_(kernel), train_{split.train}, validation_(split.validation) {
    Xt_ = gather_X(train_);
    Yt_ = gather_Y(train_);
  }
  void solve_at_lambda(double lambda) override {
    if (fitted_) {
      ridge_.set_lambda(lambda);
    } else if (lambda > 0.0) {
      ridge_.fit(Xt_, Yt_, lambda);  // one lambda needs no eigen-decomposition: a Cholesky fit
      fitted_ = true;
    } else {
      fit_path();
      ridge_.set_lambda(0.0);
    }
  }
  void solve_at_bound(double B) override {
    if (!ridge_.decomposed()) fit_path();
    ridge_.set_norm_bound(B);
  }
  arma::vec validation_scores(const arma::vec& lambdas, Criterion criterion) override {
    if (!ridge_.decomposed()) fit_path();
    const RidgePath path =
        ridge_.select_by_validation(lambdas, gather_X({validation_}), gather_Y({validation_}), criterion);
    return criterion == Criterion::mse ? path.mse : path.error_rate;
  }
  void absorb_validation() override {
    train_ = merged(train_, validation_);
    ridge_ = KernelRidge(kernel_);  // frees the n x n matrices before the larger fit
    fitted_ = false;
    Xt_ = gather_X(train_);
    Yt_ = gather_Y(train_);
  }
  void finish(ModelParts& parts) override {
    parts.mode = ModelMode::kernel_limit;
    parts.metadata.emplace_back("solver", ridge_.decomposed() ? "kernel ridge, eigen" : "kernel ridge, cholesky");
    parts.dual = ridge_.dual_coefficients();
    parts.lambdas = ridge_.lambdas();
    parts.training_size = Xt_.n_cols;
    parts.support = std::move(Xt_);
  }

 private:
  void fit_path() {
    ridge_.fit(Xt_, Yt_);
    fitted_ = true;
  }
  Kernel kernel_;
  KernelRidge ridge_;
  bool fitted_ = false;
  Parts train_;
  DataPart validation_;
  arma::mat Xt_, Yt_;
};

// ------------------------------------------------- hinge losses, kernel limit
class KernelHinge final : public Learner {
 public:
  KernelHinge(const TrainerConfig& c, const Kernel& kernel, const DataSplit& split)
      : svm_(kernel, c.loss, c.solver_options), train_{split.train}, validation_(split.validation) {
    Xt_ = gather_X(train_);
    Yt_ = gather_Y(train_);
  }
  void solve_at_lambda(double lambda) override {
    const auto it = cache_.find(lambda);
    if (it != cache_.end()) {
      solution_ = it->second;
      return;
    }
    svm_.fit(Xt_, Yt_, lambda);
    keep();
  }
  void solve_at_bound(double B) override {
    svm_.fit_ball(Xt_, Yt_, B);
    keep();
  }
  arma::vec validation_scores(const arma::vec& lambdas, Criterion criterion) override {
    const arma::mat Xv = gather_X({validation_}), Yv = gather_Y({validation_});
    arma::vec scores(lambdas.n_elem);
    for (arma::uword l = 0; l < lambdas.n_elem; ++l) {
      svm_.fit(Xt_, Yt_, lambdas[l]);
      const PredictionScores s = score_predictions(svm_.predict(Xv), Yv);
      scores[l] = criterion == Criterion::mse ? s.mse : s.error_rate;
      keep();
      cache_[lambdas[l]] = solution_;
    }
    return scores;
  }
  void absorb_validation() override {
    train_ = merged(train_, validation_);
    Xt_ = gather_X(train_);
    Yt_ = gather_Y(train_);
    cache_.clear();
  }
  void finish(ModelParts& parts) override {
    parts.mode = ModelMode::kernel_limit;
    parts.lambdas = solution_.lambdas;
    parts.training_size = Xt_.n_cols;
    // Only the support vectors are kept: a point whose dual coefficient is 0 for every
    // output adds nothing to any score, and prediction costs the number kept.
    const arma::uvec sv = arma::find(arma::any(solution_.dual != 0.0, 1));
    if (sv.n_elem > 0 && sv.n_elem < Xt_.n_cols) {
      parts.dual = solution_.dual.rows(sv);
      parts.support = Xt_.cols(sv);
      Xt_.reset();
    } else {
      parts.dual = solution_.dual;
      parts.support = std::move(Xt_);
    }
    parts.metadata.emplace_back("support vectors", std::to_string(parts.support.n_cols));
    parts.metadata.emplace_back("solver", "kernel dual coordinate descent");
    parts.metadata.emplace_back("solver iterations", std::to_string(solution_.iterations));
    parts.metadata.emplace_back("solver optimality", format_double(solution_.optimality));
  }

 private:
  struct Solution {
    arma::mat dual;
    arma::vec lambdas;
    arma::uword iterations = 0;
    double optimality = 0.0;
  };
  void keep() { solution_ = {svm_.dual_coefficients(), svm_.lambdas(), svm_.iterations(), svm_.optimality()}; }

  KernelSVM svm_;
  Parts train_;
  DataPart validation_;
  arma::mat Xt_, Yt_;
  Solution solution_;
  std::map<double, Solution> cache_;
};

}  // namespace

std::unique_ptr<Learner> make_learner(const TrainerConfig& config, const Kernel& kernel,
                                      std::shared_ptr<FeatureMap> map, const DataSplit& split) {
  if (!map) {
    if (config.loss == Loss::squared) return std::make_unique<KernelSquared>(kernel, split);
    return std::make_unique<KernelHinge>(config, kernel, split);
  }
  if (config.loss == Loss::squared) {
    auto learner = std::make_unique<FeatureSquared>(config, std::move(map), split.train.Y->n_rows, split.validation);
    learner->accumulate_part(split.train);
    return learner;
  }
  return std::make_unique<FeatureIterative>(config, std::move(map), split);
}

std::unique_ptr<StreamingRidge> make_streaming_ridge(const TrainerConfig& config, std::shared_ptr<FeatureMap> map,
                                                     arma::uword outputs) {
  return std::make_unique<FeatureSquared>(config, std::move(map), outputs, DataPart());
}

std::unique_ptr<Learner> make_distributed_iterative(const TrainerConfig& config, std::shared_ptr<FeatureMap> map,
                                                    const Communicator& comm, const DataPart& train,
                                                    const DataPart& validation) {
  return std::make_unique<DistributedIterative>(config, std::move(map), comm, train, validation);
}

std::unique_ptr<Learner> make_distributed_ridge(const TrainerConfig& config, std::shared_ptr<FeatureMap> map,
                                                arma::uword outputs, const Communicator& comm, const DataPart& train,
                                                const DataPart& validation) {
  auto learner = std::make_unique<FeatureSquared>(config, std::move(map), outputs, validation, &comm);
  learner->accumulate_and_reduce(train);
  return learner;
}

}  // namespace deepdot::detail
