// SPDX-License-Identifier: MIT
/// @file model.hpp
/// A trained predictor with everything needed to use it later: kernel,
/// feature map state (or the kernel-limit expansion), preprocessing, weights,
/// classes; saved to and loaded from a versioned, checksummed binary file.
#pragma once

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/kernels/kernel.hpp>
#include <deepdot/solvers/linear_solver.hpp>
#include <deepdot/core/preprocess.hpp>

#include <armadillo>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace deepdot {

/// Feature precision used when a model maps inputs.
enum class Precision {
  single_precision,  ///< features in float (half the memory, SGEMM speed)
  double_precision,  ///< features in double
};

/// Parses "float" or "double". Throws std::invalid_argument naming the value and the choices.
Precision parse_precision(const std::string& name);
/// The canonical name ("float", "double").
std::string precision_name(Precision precision);

/// Where a model's predictor lives.
enum class ModelMode {
  features,      ///< f(x) = W' phi(x) with an explicit feature map
  kernel_limit,  ///< f(x) = alpha' K(X_train, x), the exact kernel expansion
};

/// Everything that defines a trained model. Trainer fills it; Model::load
/// restores it. Shapes: d inputs, D features, c outputs, n training points.
struct ModelParts {
  ModelMode mode = ModelMode::features;
  Kernel kernel;
  std::shared_ptr<const FeatureMap> map;  ///< features mode: the map (complete state), d' -> D (d' as support)
  arma::mat weights;                      ///< features mode: D x c
  /// kernel-limit mode: d' x n training inputs, already preprocessed (d' =
  /// scaled_dim(scaling, d): d + 1 with the sphere lift)
  arma::mat support;
  arma::mat dual;                         ///< kernel-limit mode: n x c dual coefficients
  /// Per-feature scaling applied first to raw inputs: x_i -> (x_i - feature_offset_i) * feature_factor_i.
  FeatureScaling feature_scaling = FeatureScaling::none;
  arma::vec feature_offset;               ///< d values (empty for FeatureScaling::none)
  arma::vec feature_factor;               ///< d values; 0 for a feature constant on the training data
  Scaling scaling = Scaling::unit_norm;   ///< the point-level preprocessing, after the feature scaling
  double scaling_factor = 1.0;            ///< the Scaler's divisor (max_norm) or the lift scale R (sphere_lift)
  Precision precision = Precision::single_precision;  ///< feature precision in predict()
  arma::ivec classes;                     ///< sorted class labels (classification), empty for regression
  /// When the training labels were text ("cat", "dog"): class_names[i] names
  /// classes[i], sorted and distinct. Empty for numeric labels and regression.
  std::vector<std::string> class_names;
  Loss loss = Loss::squared;
  arma::vec lambdas;                      ///< c: lambda per output as solved
  double norm_bound = 0.0;                ///< B of the norm-ball form, 0 if the lambda form was used
  std::uint64_t seed = 0;
  arma::uword input_dim = 0;              ///< d
  arma::uword training_size = 0;          ///< n (points used for the final fit)
  std::string library_version;            ///< deepdot::version at training time
  /// Free-form, deterministic (no timestamps) training details, in order:
  /// e.g. {"map", "fourier:orf"}, {"selection", "validation"}.
  std::vector<std::pair<std::string, std::string>> metadata;
};

/// A trained model: predict() maps raw d x m inputs to c x m scores.
///
/// @code
/// deepdot::Model m = trainer.fit(X, labels);
/// m.save("fashion.ddm");                                  // atomic, checksummed
/// deepdot::Model back = deepdot::Model::load("fashion.ddm");
/// arma::ivec labels = back.predict_labels(Xtest);         // bit-identical to m's
/// @endcode
class Model {
 public:
  Model() = default;
  /// Validates the parts (shapes, finiteness, consistency) and builds the model.
  /// Throws std::invalid_argument naming the inconsistency.
  explicit Model(ModelParts parts);

  /// X: d x m raw inputs (the stored scaling is applied). Returns c x m scores.
  /// Features are produced `batch` columns at a time, so memory stays
  /// O(batch * D) whatever m is; the batch is made smaller if `batch`
  /// columns of D features would not fit in a quarter of the available memory.
  arma::mat predict(const arma::mat& X, arma::uword batch = 2048) const;
  /// The class of the largest score per column (sign for two classes with one
  /// output). Throws std::logic_error for a regression model.
  arma::ivec predict_labels(const arma::mat& X, arma::uword batch = 2048) const;

  /// Sparse X (d x m, compressed columns; deepdot/core/sparse.hpp): the same
  /// scores as predict() of the dense X up to rounding, computed from the
  /// sparse form batch by batch (FeatureMap::transform(const arma::sp_mat&)).
  arma::mat predict(const arma::sp_mat& X, arma::uword batch = 2048) const;
  arma::ivec predict_labels(const arma::sp_mat& X, arma::uword batch = 2048) const;
  /// True when the model was trained on sparse input (metadata {"input",
  /// "sparse"}); files written before that field load as dense-trained.
  bool sparse_input() const;

  /// Names the classes after the text labels of the training file:
  /// `file_names` is Dataset::label_names of that file, whose codes the
  /// classes are, so class i becomes file_names[classes[i]]. Throws
  /// std::invalid_argument for a regression model or a class that is not a
  /// code into file_names.
  void name_classes(const std::vector<std::string>& file_names);

  /// Maps labels as a data file holds them to positions in parts().classes,
  /// through the model's class list, never re-encoded per file (a file
  /// holding only "dog" still means the model's "dog"). y: m labels
  /// (Dataset::y); names: Dataset::label_names, non-empty when the file's
  /// labels were text (y[i] then indexes names). A label the model never saw
  /// maps to classes.n_elem. Throws std::invalid_argument (naming `source` and
  /// the point) for a regression model, text labels against numeric classes
  /// or the other way round, or a label that is not an integer.
  arma::uvec class_indices(const arma::vec& y, const std::vector<std::string>& names = {},
                           const std::string& source = "the labels") const;

  /// How predictions compare with labels read from a file.
  struct LabelScore {
    double accuracy = 0.0;   ///< fraction of points predicted right
    arma::uword points = 0;  ///< m
    arma::uword unseen = 0;  ///< points whose label the model never saw (counted as wrong)
  };
  /// Accuracy of predict_labels(X) (X: d x m raw inputs) against labels y as
  /// a data file holds them, matched through class_indices(): a label the
  /// model never saw counts as a wrong prediction and in `unseen`.
  LabelScore score(const arma::mat& X, const arma::vec& y, const std::vector<std::string>& names = {},
                   const std::string& source = "the labels", arma::uword batch = 2048) const;
  /// As score(), from predicted classes already computed (predict_labels()).
  LabelScore score_labels(const arma::ivec& predicted, const arma::vec& y,
                               const std::vector<std::string>& names = {},
                               const std::string& source = "the labels") const;

  /// Writes the model to `path` atomically through an AtomicFile (a temp file
  /// with a random name in the same directory, flushed to disk, then renamed).
  /// On any failure the temp file is removed and `path` is untouched; an
  /// unusable path (no such directory, no permission, a directory) throws
  /// std::invalid_argument, a failing write std::runtime_error.
  void save(const std::string& path) const;
  /// Reads a model written by save(). Throws std::invalid_argument naming the
  /// file, the byte offset and the problem (missing, empty, foreign, unsupported
  /// version, truncated, corrupt, inconsistent, or sizes the file cannot
  /// justify: docs/data-formats.md lists the limits). A non-regular file (a
  /// pipe, /dev/zero) is read only as far as its header's length field says,
  /// and that length must fit in memory.
  static Model load(const std::string& path);

  /// The whole file image save() writes (for tests and in-memory use).
  std::string serialize() const;
  /// Parses a file image; `name` is used in error messages.
  static Model deserialize(const std::string& bytes, const std::string& name);

  /// The stored preprocessing (feature scaling, then the point-level scaling)
  /// as a fitted Scaler: raw d x m inputs to the d' x m the map or the support expects.
  Scaler scaler() const;
  /// d', the dimension after preprocessing: d + 1 with the sphere lift, else d.
  arma::uword scaled_dim() const { return deepdot::scaled_dim(parts_.scaling, parts_.input_dim); }

  bool empty() const { return parts_.input_dim == 0; }
  bool is_classifier() const { return !parts_.classes.is_empty(); }
  arma::uword num_outputs() const;
  const ModelParts& parts() const { return parts_; }

 private:
  void require_ready(const char* where) const;
  /// The largest batch whose features fit in a quarter of the available memory.
  arma::uword affordable_batch(const char* where) const;
  ModelParts parts_;
};

/// Magic bytes and version of the model file format (docs/models.md).
/// Version 2 added the per-feature scaling section and the sphere-lift
/// scaling; files of version 1 still load (as feature scaling none).
constexpr char model_file_magic[8] = {'D', 'D', 'M', 'O', 'D', 'E', 'L', '\x1a'};
constexpr std::uint64_t model_file_version = 2;
/// The oldest format version Model::load() reads.
constexpr std::uint64_t model_file_oldest_version = 1;

}  // namespace deepdot
