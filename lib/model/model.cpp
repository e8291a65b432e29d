// SPDX-License-Identifier: MIT
#include <deepdot/model/model.hpp>

#include <deepdot/core/sparse.hpp>

#include <deepdot/kernels/gram.hpp>
#include <deepdot/core/labels.hpp>
#include <deepdot/version.hpp>
#include <deepdot/io/atomic_file.hpp>
#include <deepdot/util/memory.hpp>

#include "io/binary_io.hpp"
#include "core/check.hpp"
#include "maps/feature_map_io.hpp"

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace deepdot {

using detail::BinaryReader;
using detail::BinaryWriter;
using detail::fail;
using detail::read_feature_map;
using detail::write_feature_map;

namespace {

// Section tags: 8 ASCII bytes each, in the order they are written.
constexpr char kHeader[8] = {'H', 'E', 'A', 'D', 'E', 'R', '\0', '\0'};
constexpr char kMeta[8] = {'M', 'E', 'T', 'A', 'D', 'A', 'T', 'A'};
constexpr char kFeatureMap[8] = {'F', 'E', 'A', 'T', 'M', 'A', 'P', '\0'};
constexpr char kWeights[8] = {'W', 'E', 'I', 'G', 'H', 'T', 'S', '\0'};
constexpr char kSupport[8] = {'S', 'U', 'P', 'P', 'O', 'R', 'T', '\0'};
constexpr char kDual[8] = {'D', 'U', 'A', 'L', 'C', 'O', 'E', 'F'};
// Version 2, right after the header: the per-feature scaling (its code and statistics).
constexpr char kFeatureScaling[8] = {'F', 'E', 'A', 'T', 'S', 'C', 'A', 'L'};
// Optional, after the metadata: the names of text classes (written only when there are any).
constexpr char kClassNames[8] = {'C', 'L', 'A', 'S', 'S', 'N', 'A', 'M'};

constexpr std::size_t kPreamble = 8 + 8 + 8 + 8;  // magic, version, file length, section count
constexpr std::size_t kChecksumBytes = 4;

std::uint32_t crc32_of(const char* data, std::size_t size) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; feed large images in chunks.
  constexpr std::size_t kChunk = std::size_t(1) << 30;
  for (std::size_t off = 0; off < size; off += kChunk) {
    const std::size_t len = std::min(kChunk, size - off);
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(data + off), static_cast<uInt>(len));
  }
  return static_cast<std::uint32_t>(crc);
}

std::string tag_text(const char* tag) {
  std::string s;
  for (int i = 0; i < 8; ++i) {
    const unsigned char ch = static_cast<unsigned char>(tag[i]);
    if (ch == 0) break;
    s += (ch >= 32 && ch < 127) ? static_cast<char>(ch) : '?';
  }
  return s;
}

std::uint8_t loss_code(Loss l) {
  switch (l) {
    case Loss::squared: return 0;
    case Loss::logistic: return 1;
    case Loss::hinge: return 2;
    case Loss::squared_hinge: return 3;
    case Loss::automatic: break;  // resolved by the Trainer: never stored
  }
  return 255;
}

std::uint8_t scaling_code(Scaling s) {
  switch (s) {
    case Scaling::none: return 0;
    case Scaling::unit_norm: return 1;
    case Scaling::max_norm: return 2;
    case Scaling::sphere_lift: return 3;
    case Scaling::automatic: break;  // resolved by the Trainer before any model exists
  }
  return 255;
}

std::uint8_t feature_scaling_code(FeatureScaling s) {
  switch (s) {
    case FeatureScaling::none: return 0;
    case FeatureScaling::standardize: return 1;
    case FeatureScaling::minmax: return 2;
    case FeatureScaling::maxabs: return 3;
  }
  return 255;
}

void put_section(BinaryWriter& w, const char* tag, const BinaryWriter& payload) {
  w.raw(tag, 8);
  w.u64(payload.buffer().size());
  w.raw(payload.buffer().data(), payload.buffer().size());
}

/// Advances a reader by n bytes (bounds-checked by the reader itself).
void skip(BinaryReader& r, std::size_t n) {
  char buf[4096];
  while (n > 0) {
    const std::size_t k = std::min(n, sizeof buf);
    r.raw(buf, k, "a section");
    n -= k;
  }
}

std::string shape(const arma::mat& M) { return std::to_string(M.n_rows) + " x " + std::to_string(M.n_cols); }

}  // namespace

Model::Model(ModelParts parts) : parts_(std::move(parts)) {
  const char* where = "Model";
  ModelParts& p = parts_;
  if (p.input_dim == 0) fail(where, "the input dimension d must be >= 1");
  const arma::uword dim = deepdot::scaled_dim(p.scaling, p.input_dim);
  const std::string dim_text = "d = " + std::to_string(p.input_dim) +
                               (dim != p.input_dim ? " (" + std::to_string(dim) + " after the " + scaling_name(p.scaling) + ")" : "");
  if (p.mode == ModelMode::features) {
    if (!p.map) fail(where, "a features-mode model needs a feature map");
    if (p.map->input_dim() != dim)
      fail(where, "the feature map expects d = " + std::to_string(p.map->input_dim()) + " but the model has " + dim_text);
    if (p.map->kernel() != p.kernel)
      fail(where, "the feature map approximates '" + p.map->kernel().spec() + "' but the model's kernel is '" +
                      p.kernel.spec() + "'");
    if (!p.map->is_fitted()) fail(where, "the feature map is data-dependent and has not been fitted");
    if (p.weights.n_rows != p.map->output_dim() || p.weights.n_cols == 0)
      fail(where, "the weights are " + shape(p.weights) + " but must be D x c with D = " +
                      std::to_string(p.map->output_dim()) + ", c >= 1");
    detail::require_finite(p.weights, where, "the weights");
    p.support.reset();
    p.dual.reset();
  } else {
    if (p.support.n_rows != dim || p.support.n_cols == 0)
      fail(where, "the support (training inputs) is " + shape(p.support) + " but must be " + std::to_string(dim) +
                      " x n, n >= 1, for " + dim_text);
    if (p.dual.n_rows != p.support.n_cols || p.dual.n_cols == 0)
      fail(where, "the dual coefficients are " + shape(p.dual) + " but must be n x c with n = " +
                      std::to_string(p.support.n_cols) + ", c >= 1");
    check_unit_ball(p.support, "Model (support)");
    detail::require_finite(p.dual, where, "the dual coefficients");
    p.map.reset();
    p.weights.reset();
  }
  const arma::uword c = num_outputs();
  if (!p.classes.is_empty()) {
    if (p.classes.n_elem != c)
      fail(where, std::to_string(p.classes.n_elem) + " classes but " + std::to_string(c) +
                      " outputs; one-vs-all needs one output per class");
    for (arma::uword i = 1; i < p.classes.n_elem; ++i)
      if (!(p.classes[i - 1] < p.classes[i])) fail(where, "the classes must be sorted and distinct");
    if (c < 2) fail(where, "a classifier needs at least 2 classes");
  }
  if (!p.class_names.empty()) {
    if (p.class_names.size() != p.classes.n_elem)
      fail(where, std::to_string(p.class_names.size()) + " class names for " + std::to_string(p.classes.n_elem) +
                      " classes; give one name per class, or none");
    for (std::size_t i = 1; i < p.class_names.size(); ++i)
      if (!(p.class_names[i - 1] < p.class_names[i])) fail(where, "the class names must be sorted and distinct");
  }
  if (p.lambdas.n_elem != c) fail(where, "need one lambda per output (" + std::to_string(c) + "), got " + std::to_string(p.lambdas.n_elem));
  for (double l : p.lambdas)
    if (!(l >= 0.0) || !std::isfinite(l)) fail(where, "a lambda is " + detail::format_double(l) + ", not finite and >= 0");
  if (!(p.norm_bound >= 0.0) || !std::isfinite(p.norm_bound))
    fail(where, "the norm bound must be finite and >= 0 (0: lambda form), got " + detail::format_double(p.norm_bound));
  if (!(p.scaling_factor > 0.0) || !std::isfinite(p.scaling_factor))
    fail(where, "the scaling factor must be finite and > 0, got " + detail::format_double(p.scaling_factor));
  if (p.feature_scaling == FeatureScaling::none) {
    if (!p.feature_offset.is_empty() || !p.feature_factor.is_empty())
      fail(where, "feature scaling none has no per-feature statistics, but the model has " +
                      std::to_string(p.feature_offset.n_elem) + " offsets");
  } else {
    if (p.feature_offset.n_elem != p.input_dim || p.feature_factor.n_elem != p.input_dim)
      fail(where, "the feature scaling needs d = " + std::to_string(p.input_dim) + " offsets and factors, got " +
                      std::to_string(p.feature_offset.n_elem) + " and " + std::to_string(p.feature_factor.n_elem));
    try {
      FeatureScaler(p.feature_scaling).set(p.feature_offset, p.feature_factor);  // finite, factors >= 0
    } catch (const std::invalid_argument& e) {
      fail(where, std::string("the feature scaling is invalid: ") + e.what());
    }
  }
  for (const auto& kv : p.metadata)
    if (kv.first.empty()) fail(where, "a metadata key is empty");
}

arma::uword Model::num_outputs() const {
  return parts_.mode == ModelMode::features ? parts_.weights.n_cols : parts_.dual.n_cols;
}

Scaler Model::scaler() const {
  Scaler s(parts_.scaling, parts_.feature_scaling);
  s.set_factor(parts_.scaling_factor);
  FeatureScaler f(parts_.feature_scaling);
  f.set(parts_.feature_offset, parts_.feature_factor);
  s.set_features(std::move(f));
  return s;
}

void Model::require_ready(const char* where) const {
  if (empty()) throw std::logic_error(std::string(where) + ": the model is empty (default-constructed)");
}

arma::mat Model::predict(const arma::mat& X, arma::uword batch) const {
  const char* where = "Model::predict()";
  require_ready(where);
  if (X.n_rows != parts_.input_dim)
    fail(where, "X has " + std::to_string(X.n_rows) + " rows but the model was trained with d = " +
                    std::to_string(parts_.input_dim) + " (X must be d x m, one column per point)");
  if (batch == 0) fail(where, "the batch size must be >= 1");
  batch = std::min(batch, affordable_batch(where));
  const Scaler scaler = this->scaler();
  arma::mat out(num_outputs(), X.n_cols);
  // A map with a linear tail (Nystroem, phi = A r) predicts W' phi(x) as
  // (A'W)' r(x): the weights are folded once, and no batch pays the whitening.
  const bool folded = parts_.mode == ModelMode::features && parts_.map->has_linear_tail();
  const arma::mat V = folded ? parts_.map->fold_weights(parts_.weights) : arma::mat();
  const arma::mat& weights = folded ? V : parts_.weights;
  for (arma::uword j0 = 0; j0 < X.n_cols; j0 += batch) {
    const arma::uword j1 = std::min(X.n_cols, j0 + batch) - 1;
    const arma::mat Xb = scaler.transform(X.cols(j0, j1));
    if (parts_.mode == ModelMode::kernel_limit) {
      out.cols(j0, j1) = parts_.dual.t() * gram(parts_.kernel, parts_.support, Xb);
    } else if (parts_.precision == Precision::single_precision) {
      const arma::fmat Xf = arma::conv_to<arma::fmat>::from(Xb);
      const arma::fmat Z = folded ? parts_.map->transform_raw(Xf) : parts_.map->transform(Xf);
      // Scores in double from float features, 256 columns at a time: the
      // double copy stays in cache (a whole batch's was 34 MB at D = 2,048).
      for (arma::uword c0 = 0; c0 < Z.n_cols; c0 += 256) {
        const arma::uword c1 = std::min(Z.n_cols, c0 + 256) - 1;
        out.cols(j0 + c0, j0 + c1) = weights.t() * arma::conv_to<arma::mat>::from(Z.cols(c0, c1));
      }
    } else {
      out.cols(j0, j1) = weights.t() * (folded ? parts_.map->transform_raw(Xb) : parts_.map->transform(Xb));
    }
  }
  // Finite inputs and a consistent model give finite scores; anything else
  // (overflow, corrupt state that slipped past loading) is an error, never a silent NaN.
  if (!out.is_finite())
    detail::require_finite(out, where, "the scores (the model's values overflow or its state is corrupt)");
  return out;
}

arma::uword Model::affordable_batch(const char* where) const {
  // Per column of a batch: the scaled input, the features (or the kernel
  // column against the support) in double and in float, and the scores.
  const double width = parts_.mode == ModelMode::features ? static_cast<double>(parts_.map->output_dim())
                                                          : static_cast<double>(parts_.support.n_cols);
  const double per_column = 8.0 * (static_cast<double>(parts_.input_dim) + 2.0 * width + num_outputs());
  const double budget = available_memory_bytes() / 4.0;
  if (per_column > budget)
    fail(where, "one point needs " + detail::format_double(per_column / 1e6) + " MB of features, more than a quarter of the " +
                    detail::format_double(4.0 * budget / 1e6) + " MB of memory available");
  return static_cast<arma::uword>(std::max(1.0, std::floor(budget / per_column)));
}

void Model::name_classes(const std::vector<std::string>& file_names) {
  const char* where = "Model::name_classes()";
  require_ready(where);
  if (!is_classifier()) fail(where, "a regression model has no classes to name");
  std::vector<std::string> names;
  for (arma::sword c : parts_.classes) {
    if (c < 0 || static_cast<std::size_t>(c) >= file_names.size())
      fail(where, "class " + std::to_string(c) + " is not a code into the " + std::to_string(file_names.size()) +
                      " label names of the training file");
    names.push_back(file_names[static_cast<std::size_t>(c)]);
  }
  ModelParts p = parts_;
  p.class_names = std::move(names);
  *this = Model(std::move(p));
}

arma::uvec Model::class_indices(const arma::vec& y, const std::vector<std::string>& names,
                                const std::string& source) const {
  const char* where = "Model::class_indices()";
  require_ready(where);
  if (!is_classifier()) fail(where, source + ": a regression model has no classes");
  const bool named = !parts_.class_names.empty();
  auto list = [&] {
    std::string s;
    const arma::uword k = parts_.classes.n_elem;
    for (arma::uword i = 0; i < std::min<arma::uword>(k, 8); ++i)
      s += (i ? ", " : "") + (named ? "'" + parts_.class_names[i] + "'" : std::to_string(parts_.classes[i]));
    return s + (k > 8 ? ", ..." : "");
  };
  if (named && names.empty())
    fail(where, source + ": the labels are numbers but the model's classes are names (" + list() +
                    "): give the labels as those names");
  if (!named && !names.empty())
    fail(where, source + ": the labels are text (e.g. '" + names.front() + "') but the model's classes are numbers (" +
                    list() + ")");
  const arma::uword unseen = parts_.classes.n_elem;
  arma::uvec out(y.n_elem);
  for (arma::uword i = 0; i < y.n_elem; ++i) {
    const double v = y[i];
    if (!(v == std::floor(v)) || std::abs(v) > 9.2e18)
      fail(where, source + ": point " + std::to_string(i) + " has label " + detail::format_double(v) +
                      ", not an integer class");
    out[i] = unseen;
    if (named) {
      if (v < 0 || v >= static_cast<double>(names.size()))
        fail(where, source + ": point " + std::to_string(i) + " has label code " + detail::format_double(v) +
                        " outside its " + std::to_string(names.size()) + " names");
      const std::string& name = names[static_cast<std::size_t>(v)];
      const auto it = std::lower_bound(parts_.class_names.begin(), parts_.class_names.end(), name);
      if (it != parts_.class_names.end() && *it == name)
        out[i] = static_cast<arma::uword>(it - parts_.class_names.begin());
    } else {
      const auto c = static_cast<arma::sword>(v);
      const arma::sword* b = parts_.classes.memptr();
      const arma::sword* e = b + parts_.classes.n_elem;
      const arma::sword* it = std::lower_bound(b, e, c);
      if (it != e && *it == c) out[i] = static_cast<arma::uword>(it - b);
    }
  }
  return out;
}

arma::mat Model::predict(const arma::sp_mat& X, arma::uword batch) const {
  const char* where = "Model::predict()";
  require_ready(where);
  if (X.n_rows != parts_.input_dim)
    fail(where, "X has " + std::to_string(X.n_rows) + " rows but the model was trained with d = " +
                    std::to_string(parts_.input_dim) + " (X must be d x m, one column per point)");
  if (batch == 0) fail(where, "the batch size must be >= 1");
  const Scaler scaler = this->scaler();
  arma::mat out(num_outputs(), X.n_cols);
  const bool folded = parts_.mode == ModelMode::features && parts_.map->has_linear_tail();
  const arma::mat V = folded ? parts_.map->fold_weights(parts_.weights) : arma::mat();
  const arma::mat& weights = folded ? V : parts_.weights;
  for (arma::uword j0 = 0; j0 < X.n_cols; j0 += batch) {
    const arma::uword j1 = std::min(X.n_cols, j0 + batch) - 1;
    const arma::sp_mat Xb = scaler.transform(arma::sp_mat(X.cols(j0, j1)));
    if (parts_.mode == ModelMode::kernel_limit) {
      out.cols(j0, j1) = (gram(parts_.kernel, Xb, parts_.support) * parts_.dual).t();
    } else if (parts_.precision == Precision::single_precision) {
      const arma::sp_fmat Xf = to_float(Xb);
      const arma::fmat Z = folded ? parts_.map->transform_raw(Xf) : parts_.map->transform(Xf);
      for (arma::uword c0 = 0; c0 < Z.n_cols; c0 += 256) {
        const arma::uword c1 = std::min(Z.n_cols, c0 + 256) - 1;
        out.cols(j0 + c0, j0 + c1) = weights.t() * arma::conv_to<arma::mat>::from(Z.cols(c0, c1));
      }
    } else {
      out.cols(j0, j1) = weights.t() * (folded ? parts_.map->transform_raw(Xb) : parts_.map->transform(Xb));
    }
  }
  return out;
}

Model::LabelScore Model::score(const arma::mat& X, const arma::vec& y, const std::vector<std::string>& names,
                               const std::string& source, arma::uword batch) const {
  const char* where = "Model::score()";
  require_ready(where);
  if (y.n_elem != X.n_cols)
    fail(where, source + ": " + std::to_string(y.n_elem) + " labels for " + std::to_string(X.n_cols) + " points");
  class_indices(y, names, source);  // validates before the prediction's cost
  return score_labels(predict_labels(X, batch), y, names, source);
}

Model::LabelScore Model::score_labels(const arma::ivec& predicted, const arma::vec& y,
                                           const std::vector<std::string>& names, const std::string& source) const {
  const char* where = "Model::score_labels()";
  if (predicted.n_elem != y.n_elem)
    fail(where, source + ": " + std::to_string(y.n_elem) + " labels for " + std::to_string(predicted.n_elem) +
                    " predictions");
  const arma::uvec truth = class_indices(y, names, source);
  const arma::sword* b = parts_.classes.memptr();
  const arma::sword* e = b + parts_.classes.n_elem;
  LabelScore r;
  r.points = y.n_elem;
  arma::uword right = 0;
  for (arma::uword i = 0; i < y.n_elem; ++i) {
    if (truth[i] == parts_.classes.n_elem) {
      ++r.unseen;  // never right: the model cannot predict a class it does not have
      continue;
    }
    const arma::sword* it = std::lower_bound(b, e, predicted[i]);
    if (it != e && *it == predicted[i] && static_cast<arma::uword>(it - b) == truth[i]) ++right;
  }
  r.accuracy = y.n_elem ? static_cast<double>(right) / static_cast<double>(y.n_elem) : 0.0;
  return r;
}

arma::ivec Model::predict_labels(const arma::sp_mat& X, arma::uword batch) const {
  if (!empty() && !is_classifier())
    throw std::logic_error("Model::predict_labels(): this is a regression model; use predict()");
  return LabelEncoder(parts_.classes).decode(predict(X, batch));
}

bool Model::sparse_input() const {
  for (const auto& kv : parts_.metadata)
    if (kv.first == "input") return kv.second == "sparse";
  return false;
}

arma::ivec Model::predict_labels(const arma::mat& X, arma::uword batch) const {
  if (!empty() && !is_classifier())
    throw std::logic_error("Model::predict_labels(): this is a regression model; use predict()");
  return LabelEncoder(parts_.classes).decode(predict(X, batch));
}

std::string Model::serialize() const {
  require_ready("Model::serialize()");
  const ModelParts& p = parts_;
  std::vector<std::pair<const char*, BinaryWriter>> sections;

  BinaryWriter h;
  h.str(p.library_version);
  h.u8(p.mode == ModelMode::features ? 0 : 1);
  h.str(p.kernel.spec());
  h.u8(loss_code(p.loss));
  h.u8(scaling_code(p.scaling));
  h.f64(p.scaling_factor);
  h.u8(p.precision == Precision::single_precision ? 0 : 1);
  h.u64(p.input_dim);
  h.u64(p.training_size);
  h.u64(num_outputs());
  h.u64(p.seed);
  h.u64(p.classes.n_elem);
  for (arma::sword v : p.classes) h.u64(static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
  h.mat(arma::mat(p.lambdas));
  h.f64(p.norm_bound);
  sections.emplace_back(kHeader, std::move(h));

  BinaryWriter fs;
  fs.u8(feature_scaling_code(p.feature_scaling));
  fs.mat(arma::mat(p.feature_offset));
  fs.mat(arma::mat(p.feature_factor));
  sections.emplace_back(kFeatureScaling, std::move(fs));

  BinaryWriter m;
  m.u64(p.metadata.size());
  for (const auto& kv : p.metadata) {
    m.str(kv.first);
    m.str(kv.second);
  }
  sections.emplace_back(kMeta, std::move(m));

  if (!p.class_names.empty()) {
    BinaryWriter c;
    c.u64(p.class_names.size());
    for (const std::string& name : p.class_names) c.str(name);
    sections.emplace_back(kClassNames, std::move(c));
  }

  if (p.mode == ModelMode::features) {
    BinaryWriter f;
    write_feature_map(*p.map, f);
    sections.emplace_back(kFeatureMap, std::move(f));
    BinaryWriter w;
    w.mat(p.weights);
    sections.emplace_back(kWeights, std::move(w));
  } else {
    BinaryWriter s;
    s.mat(p.support);
    sections.emplace_back(kSupport, std::move(s));
    BinaryWriter a;
    a.mat(p.dual);
    sections.emplace_back(kDual, std::move(a));
  }

  std::size_t total = kPreamble + kChecksumBytes;
  for (const auto& s : sections) total += 16 + s.second.buffer().size();
  BinaryWriter out;
  out.buffer().reserve(total);
  out.raw(model_file_magic, 8);
  out.u64(model_file_version);
  out.u64(total);
  out.u64(sections.size());
  for (const auto& s : sections) put_section(out, s.first, s.second);
  const std::uint32_t crc = crc32_of(out.buffer().data(), out.buffer().size());
  for (int i = 0; i < 4; ++i) out.u8(static_cast<std::uint8_t>((crc >> (8 * i)) & 0xFF));
  return std::move(out.buffer());
}

void Model::save(const std::string& path) const {
  if (path.empty()) fail("Model::save()", "the path is empty");
  // Forced to disk before the rename: a lost model costs a training run.
  write_file_atomically(path, serialize(), "Model::save('" + path + "')", true);
}

Model Model::load(const std::string& path) {
  const std::string name = "Model::load('" + path + "')";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::invalid_argument(name + ": cannot open the file: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw std::invalid_argument(name + ": is a directory, not a model file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(name + ": cannot open the file for reading");
  auto read_more = [&](std::string& bytes, std::size_t want) {
    const std::size_t have = bytes.size();
    bytes.resize(have + want);
    in.read(bytes.data() + have, static_cast<std::streamsize>(want));
    bytes.resize(have + static_cast<std::size_t>(in.gcount()));
    if (in.bad()) throw std::invalid_argument(name + ": reading the file failed");
  };
  // The preamble first: a foreign stream (/dev/zero, a pipe of anything) is
  // rejected after 32 bytes, and a model's own length field bounds the rest.
  std::string bytes;
  read_more(bytes, kPreamble);
  if (bytes.size() < kPreamble || std::memcmp(bytes.data(), model_file_magic, 8) != 0)
    return deserialize(bytes, name);  // reports the wrong magic or the truncation
  std::uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[16 + i])) << (8 * i);
  // A regular file is read whole (its size is what it can justify); anything
  // else up to the length its header claims, plus one byte to see trailing data.
  const std::uint64_t want = S_ISREG(st.st_mode) ? std::max<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), kPreamble)
                                                 : std::max<std::uint64_t>(length, kPreamble) + 1;
  const double have = available_memory_bytes();
  if (static_cast<double>(want) > have)
    throw std::invalid_argument(name + ": the model needs " + std::to_string(want) + " bytes (the " +
                                (S_ISREG(st.st_mode) ? "file size" : "length field at byte offset 16") +
                                ") but only " + std::to_string(static_cast<unsigned long long>(have)) +
                                " bytes of memory are available");
  read_more(bytes, static_cast<std::size_t>(want - kPreamble));
  // A regular file that grew since stat(): whatever else is there, so the length check sees it.
  if (S_ISREG(st.st_mode) && in.good() && in.peek() != std::char_traits<char>::eof()) read_more(bytes, 1);
  return deserialize(bytes, name);
}

Model Model::deserialize(const std::string& bytes, const std::string& name) {
  BinaryReader r(bytes.data(), bytes.size(), name);
  if (bytes.empty()) r.error("the file is empty (0 bytes), not a deepdot model");
  // A short prefix of the magic is a truncated model; anything else is foreign.
  const std::size_t head = std::min<std::size_t>(8, bytes.size());
  if (std::memcmp(bytes.data(), model_file_magic, head) != 0)
    r.error("not a deepdot model file (wrong magic bytes; expected \"DDMODEL\\x1a\")");
  char magic[8];
  r.raw(magic, 8, "the magic bytes");
  const std::uint64_t version = r.u64("the format version");
  if (version < model_file_oldest_version || version > model_file_version)
    r.error("format version " + std::to_string(version) + " is not supported (this library, deepdot " +
            std::string(DEEPDOT_VERSION) + ", reads versions " + std::to_string(model_file_oldest_version) + " to " +
            std::to_string(model_file_version) + ")");
  const std::uint64_t length = r.u64("the file length");
  if (length != bytes.size())
    r.error(bytes.size() < length
                ? "truncated: the header says the file has " + std::to_string(length) + " bytes but it has " +
                      std::to_string(bytes.size())
                : "the header says the file has " + std::to_string(length) + " bytes but it has " +
                      std::to_string(bytes.size()) + " (corrupt length field or trailing garbage)");
  if (length < kPreamble + kChecksumBytes) r.error("the file length " + std::to_string(length) + " is too small");
  {
    const std::size_t body = bytes.size() - kChecksumBytes;
    std::uint32_t stored = 0;
    for (int i = 0; i < 4; ++i)
      stored |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[body + i])) << (8 * i);
    const std::uint32_t computed = crc32_of(bytes.data(), body);
    if (stored != computed) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "checksum mismatch (stored CRC-32 %08x, computed %08x): the file is corrupt",
                    stored, computed);
      throw std::invalid_argument(name + ": at byte offset " + std::to_string(body) + ": " + buf);
    }
  }
  BinaryReader body(bytes.data(), bytes.size() - kChecksumBytes, name);
  body.raw(magic, 8, "the magic bytes");
  body.u64("the format version");
  body.u64("the file length");
  const std::uint64_t count = body.u64("the section count");
  if (count > 16) body.error("the section count " + std::to_string(count) + " is absurd (at most 16 expected)");

  // The weights section's size bounds the feature count D that the feature
  // map may claim (W is D x c doubles): read ahead of the map, so that a small
  // file cannot make the map generate 2^40 random features.
  std::uint64_t weights_bytes = 0;
  {
    BinaryReader scan(bytes.data() + body.offset(), body.remaining(), name);
    for (std::uint64_t k = 0; k < count && scan.remaining() >= 16; ++k) {
      char tag[8];
      scan.raw(tag, 8, "a section tag");
      const std::uint64_t size = scan.u64("a section length");
      if (size > scan.remaining()) break;  // reported by the main pass
      if (std::memcmp(tag, kWeights, 8) == 0) weights_bytes = size;
      skip(scan, size);
    }
  }

  ModelParts p;
  bool seen_header = false, seen_meta = false, seen_names = false, seen_features = false;
  std::uint64_t outputs = 0;
  for (std::uint64_t k = 0; k < count; ++k) {
    char tag[8];
    body.raw(tag, 8, "a section tag");
    const std::uint64_t size = body.u64("a section length");
    if (size > body.remaining())
      body.error("section '" + tag_text(tag) + "' claims " + std::to_string(size) + " bytes, more than the " +
                 std::to_string(body.remaining()) + " left");
    const std::size_t start = body.offset();
    // Each section is parsed by its own reader so that it cannot run into the next one;
    // its offsets are reported relative to the file by prefixing the section start.
    BinaryReader s(bytes.data() + start, size,
                   name + ": in section '" + tag_text(tag) + "' starting at file byte " + std::to_string(start));
    if (std::memcmp(tag, kHeader, 8) == 0) {
      if (k != 0) s.error("the header section must come first");
      p.library_version = s.str("the library version", 64);
      const std::uint8_t mode = s.u8("the mode");
      if (mode > 1) s.error("unknown mode " + std::to_string(mode));
      p.mode = mode == 0 ? ModelMode::features : ModelMode::kernel_limit;
      const std::string kspec = s.str("the kernel spec", 1 << 20);
      try {
        p.kernel = make_kernel(kspec);
      } catch (const std::invalid_argument& e) {
        s.error(std::string("the kernel spec is invalid: ") + e.what());
      }
      const std::uint8_t loss = s.u8("the loss");
      if (loss > 3) s.error("unknown loss code " + std::to_string(loss));
      p.loss = loss == 0 ? Loss::squared : loss == 1 ? Loss::logistic : loss == 2 ? Loss::hinge : Loss::squared_hinge;
      const std::uint8_t scaling = s.u8("the scaling");
      // The sphere lift (code 3) came with version 2.
      if (scaling > (version >= 2 ? 3 : 2)) s.error("unknown scaling code " + std::to_string(scaling));
      constexpr Scaling kScalings[] = {Scaling::none, Scaling::unit_norm, Scaling::max_norm, Scaling::sphere_lift};
      p.scaling = kScalings[scaling];
      p.scaling_factor = s.f64("the scaling factor");
      const std::uint8_t precision = s.u8("the precision");
      if (precision > 1) s.error("unknown precision code " + std::to_string(precision));
      p.precision = precision == 0 ? Precision::single_precision : Precision::double_precision;
      p.input_dim = s.u64("the input dimension");
      p.training_size = s.u64("the training size");
      outputs = s.u64("the number of outputs");
      p.seed = s.u64("the seed");
      const std::uint64_t nclasses = s.u64("the number of classes");
      if (nclasses > s.remaining() / 8) s.error("the class count " + std::to_string(nclasses) + " is more than fits");
      p.classes.set_size(nclasses);
      for (arma::uword i = 0; i < nclasses; ++i)
        p.classes[i] = static_cast<arma::sword>(static_cast<std::int64_t>(s.u64("a class label")));
      // Read as a matrix and check its shape before it becomes a column:
      // Armadillo would throw a logic_error for a wide one.
      arma::mat lambdas = s.mat<double>("the lambdas");
      if (lambdas.n_cols != 1 && !lambdas.is_empty()) s.error("the lambdas must be a column");
      p.lambdas = arma::vec(lambdas.memptr(), lambdas.n_elem);
      if (p.lambdas.n_elem != outputs)
        s.error(std::to_string(p.lambdas.n_elem) + " lambdas for " + std::to_string(outputs) + " outputs");
      p.norm_bound = s.f64("the norm bound");
      seen_header = true;
    } else if (!seen_header) {
      s.error("the header section must come first");
    } else if (std::memcmp(tag, kFeatureScaling, 8) == 0 && version >= 2 && k == 1) {
      const std::uint8_t code = s.u8("the feature scaling");
      if (code > 3) s.error("unknown feature scaling code " + std::to_string(code));
      constexpr FeatureScaling kModes[] = {FeatureScaling::none, FeatureScaling::standardize, FeatureScaling::minmax,
                                           FeatureScaling::maxabs};
      p.feature_scaling = kModes[code];
      const arma::mat offset = s.mat<double>("the feature offsets");
      const arma::mat factor = s.mat<double>("the feature factors");
      if ((offset.n_cols != 1 && !offset.is_empty()) || (factor.n_cols != 1 && !factor.is_empty()))
        s.error("the feature offsets and factors must be columns");
      p.feature_offset = arma::vec(offset.memptr(), offset.n_elem);
      p.feature_factor = arma::vec(factor.memptr(), factor.n_elem);
      seen_features = true;
    } else if (version >= 2 && !seen_features) {
      s.error("the feature scaling section must follow the header in format version 2");
    } else if (std::memcmp(tag, kMeta, 8) == 0) {
      const std::uint64_t n = s.u64("the metadata count");
      if (n > s.remaining() / 16) s.error("the metadata count " + std::to_string(n) + " is more than fits");
      for (std::uint64_t i = 0; i < n; ++i) {
        std::string key = s.str("a metadata key", 1 << 16);
        std::string value = s.str("a metadata value", 1 << 20);
        p.metadata.emplace_back(std::move(key), std::move(value));
      }
      seen_meta = true;
    } else if (std::memcmp(tag, kClassNames, 8) == 0 && seen_meta && !seen_names) {
      const std::uint64_t n = s.u64("the class name count");
      if (n != p.classes.n_elem)
        s.error(std::to_string(n) + " class names for " + std::to_string(p.classes.n_elem) + " classes");
      for (std::uint64_t i = 0; i < n; ++i) p.class_names.push_back(s.str("a class name", 1 << 16));
      seen_names = true;
    } else if (std::memcmp(tag, kFeatureMap, 8) == 0 && p.mode == ModelMode::features) {
      const std::uint64_t max_D = weights_bytes < 16 ? 0 : (weights_bytes - 16) / 8 / std::max<std::uint64_t>(outputs, 1);
      try {
        p.map = read_feature_map(bytes.data() + start, size, max_D);
      } catch (const std::invalid_argument& e) {
        s.error(std::string("the feature map is invalid: ") + e.what());
      }
      skip(s, size);  // FeatureMap::load checked that the map used exactly these bytes
    } else if (std::memcmp(tag, kWeights, 8) == 0 && p.mode == ModelMode::features) {
      p.weights = s.mat<double>("the weights");
    } else if (std::memcmp(tag, kSupport, 8) == 0 && p.mode == ModelMode::kernel_limit) {
      p.support = s.mat<double>("the support inputs");
    } else if (std::memcmp(tag, kDual, 8) == 0 && p.mode == ModelMode::kernel_limit) {
      p.dual = s.mat<double>("the dual coefficients");
    } else {
      s.error("unexpected section '" + tag_text(tag) + "' for a " +
              (p.mode == ModelMode::features ? "features" : "kernel-limit") + " model in format version " +
              std::to_string(version));
    }
    if (s.remaining() != 0) s.error(std::to_string(s.remaining()) + " unexpected bytes at the end of the section");
    skip(body, size);
  }
  if (body.remaining() != 0) body.error(std::to_string(body.remaining()) + " unexpected bytes after the last section");
  if (!seen_header || !seen_meta) body.error("the header or metadata section is missing");
  const bool complete = p.mode == ModelMode::features ? (p.map && !p.weights.is_empty())
                                                      : (!p.support.is_empty() && !p.dual.is_empty());
  if (!complete) body.error("a required section is missing (feature map and weights, or support and dual coefficients)");
  const arma::uword c = p.mode == ModelMode::features ? p.weights.n_cols : p.dual.n_cols;
  if (c != outputs) body.error("the header says " + std::to_string(outputs) + " outputs but the model has " + std::to_string(c));
  try {
    return Model(std::move(p));
  } catch (const std::invalid_argument& e) {
    body.error(std::string("the stored model is inconsistent: ") + e.what());
  }
}

Precision parse_precision(const std::string& name) {
  if (name == "float") return Precision::single_precision;
  if (name == "double") return Precision::double_precision;
  detail::fail("parse_precision()", "unknown precision '" + name + "'; expected float or double");
}

std::string precision_name(Precision precision) {
  switch (precision) {
    case Precision::single_precision: return "float";
    case Precision::double_precision: return "double";
  }
  detail::fail("precision_name()", "not a Precision value: " + std::to_string(static_cast<int>(precision)));
}

}  // namespace deepdot
