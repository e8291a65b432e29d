// SPDX-License-Identifier: MIT
// Private: the back ends of the Trainer behind one small interface. The
// Trainer decides the regularisation once (norm ball, one lambda, a validation
// path, GCV) and asks a Learner to carry it out; each Learner knows only how
// to solve at a lambda or a B, to score a lambda grid on validation points and
// to take the validation points into its training set for the final fit.
#pragma once

#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>
#include <deepdot/solvers/ridge_path.hpp>

#include <armadillo>

#include <memory>
#include <string>

namespace deepdot {
class Communicator;
}

namespace deepdot::detail {

/// Columns `idx` (ascending) of the scaled inputs (d x n: X dense, or S
/// sparse; exactly one is set) and of Y (c x n targets).
struct DataPart {
  const arma::mat* X = nullptr;
  const arma::mat* Y = nullptr;
  arma::uvec idx;
  const arma::sp_mat* S = nullptr;
  arma::uword size() const { return idx.n_elem; }
  bool empty() const { return idx.is_empty(); }
  bool sparse() const { return S != nullptr; }
  arma::uword dim() const { return S ? S->n_rows : X->n_rows; }
};

/// Training and validation points. Both parts may view the same matrices (a
/// random split) or different ones (an explicit validation set).
struct DataSplit {
  DataPart train, validation;
};

class Learner {
 public:
  virtual ~Learner() = default;
  /// Solves on the current training set with the same lambda for every output.
  virtual void solve_at_lambda(double lambda) = 0;
  /// Solves the norm-ball form ||f_j|| <= B (B > 0).
  virtual void solve_at_bound(double B) = 0;
  /// The validation score (by `criterion`) of the solution at every lambda of
  /// the grid, trained on the current training set. Needs validation points.
  virtual arma::vec validation_scores(const arma::vec& lambdas, Criterion criterion) = 0;
  /// Generalised cross-validation scores of the grid, or empty when this
  /// learner has no GCV (then selection needs validation points).
  virtual arma::vec gcv_scores(const arma::vec& lambdas) {
    (void)lambdas;
    return {};
  }
  /// The validation points join the training set (for the final fit).
  virtual void absorb_validation() = 0;
  /// Writes the last solution into parts: mode, weights or support and dual
  /// coefficients, lambdas, training size, map, and the "solver" metadata.
  virtual void finish(ModelParts& parts) = 0;
};

/// The learner for a configuration: kernel limit (map "exact") or features
/// (`map`, already fitted if data-dependent), squared or iterative loss.
/// The feature learners map the training points at construction.
std::unique_ptr<Learner> make_learner(const TrainerConfig& config, const Kernel& kernel,
                                      std::shared_ptr<FeatureMap> map, const DataSplit& split);

/// The streaming squared-loss learner: batches are accumulated by the caller
/// through accumulate(); it has no validation points (GCV selects).
class StreamingRidge;
std::unique_ptr<StreamingRidge> make_streaming_ridge(const TrainerConfig& config, std::shared_ptr<FeatureMap> map,
                                                     arma::uword outputs);
class StreamingRidge : public Learner {
 public:
  /// Xs: d x b scaled inputs, T: c x b targets; mapped in config.batch_size pieces.
  virtual void accumulate(const arma::mat& Xs, const arma::mat& T) = 0;
  virtual void accumulate(const arma::sp_mat& Xs, const arma::mat& T) = 0;
  virtual arma::uword count() const = 0;
  virtual arma::uword outputs() const = 0;
};

/// The data-parallel squared-loss learner: `train` and `validation` are this
/// rank's points; each rank accumulates its ZZ', ZY' and one allreduce sums
/// them (a second one adds the validation points' for the final fit), so
/// every rank holds the statistics of all n points and solves the same system.
/// Validation scores are sums over ranks (one allreduce of 2L + 1 numbers).
std::unique_ptr<Learner> make_distributed_ridge(const TrainerConfig& config, std::shared_ptr<FeatureMap> map,
                                                arma::uword outputs, const Communicator& comm, const DataPart& train,
                                                const DataPart& validation);

/// The data-parallel logistic and squared-hinge learner: each rank maps its
/// own points (D x n_r floats) and the trust-region Newton method sums over
/// ranks (one allreduce of D x c numbers per gradient and per CG step).
std::unique_ptr<Learner> make_distributed_iterative(const TrainerConfig& config, std::shared_ptr<FeatureMap> map,
                                                    const Communicator& comm, const DataPart& train,
                                                    const DataPart& validation);

}  // namespace deepdot::detail
