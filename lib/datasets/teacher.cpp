// SPDX-License-Identifier: MIT
#include <deepdot/datasets/teacher.hpp>

#include <deepdot/core/random.hpp>

#include "core/check.hpp"

#include <algorithm>
#include <cmath>

namespace deepdot {
namespace {
constexpr double kPi = 3.14159265358979323846;

double sigma_erf(double x) { return 0.5 * (1.0 + std::erf(std::sqrt(kPi) * x)); }

// Stream numbers of the teacher's own random draws, kept apart from the data streams.
constexpr std::uint64_t kWeightStream = 0x7EAC4E5ULL;
constexpr std::uint64_t kReferenceStream = 0x7EAC4E6ULL;
}  // namespace

Activation parse_activation(const std::string& name) {
  if (name == "erf" || name == "erf-sigmoid") return Activation::erf_sigmoid;
  if (name == "smoothed-hinge" || name == "sh") return Activation::smoothed_hinge;
  if (name == "relu") return Activation::relu;
  if (name == "quadratic") return Activation::quadratic;
  detail::fail("parse_activation()", "unknown activation '" + name + "'; expected erf, smoothed-hinge, relu or quadratic");
}

std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::erf_sigmoid: return "erf";
    case Activation::smoothed_hinge: return "smoothed-hinge";
    case Activation::relu: return "relu";
    case Activation::quadratic: return "quadratic";
  }
  return "erf";
}

InputDistribution parse_input_distribution(const std::string& name) {
  if (name == "sphere") return InputDistribution::sphere;
  if (name == "ball") return InputDistribution::ball;
  detail::fail("parse_input_distribution()", "unknown input distribution '" + name + "'; expected sphere or ball");
}

std::string input_distribution_name(InputDistribution inputs) {
  switch (inputs) {
    case InputDistribution::sphere: return "sphere";
    case InputDistribution::ball: return "ball";
  }
  detail::fail("input_distribution_name()", "not an InputDistribution value: " + std::to_string(static_cast<int>(inputs)));
}

void apply_activation(Activation activation, arma::mat& A) {
  double* p = A.memptr();
  for (arma::uword i = 0; i < A.n_elem; ++i) {
    const double x = p[i];
    switch (activation) {
      case Activation::erf_sigmoid: p[i] = sigma_erf(x); break;
      case Activation::smoothed_hinge: p[i] = x * sigma_erf(x) + std::exp(-kPi * x * x) / (2.0 * kPi); break;
      case Activation::relu: p[i] = std::max(0.0, x); break;
      case Activation::quadratic: p[i] = x * x; break;
    }
  }
}

arma::mat draw_inputs(arma::uword d, arma::uword n, InputDistribution where, std::uint64_t seed,
                      std::uint64_t stream) {
  if (d == 0) detail::fail("draw_inputs()", "the dimension d must be >= 1");
  Rng rng(seed, stream);
  arma::mat X(d, n);
  for (arma::uword j = 0; j < n; ++j) {
    double s = 0.0;
    do {
      for (arma::uword i = 0; i < d; ++i) X(i, j) = rng.normal();
      s = arma::norm(X.col(j), 2);
    } while (s == 0.0);
    // Uniform in the ball: radius U^(1/d) in direction of a Gaussian vector.
    const double radius = where == InputDistribution::ball ? std::pow(rng.uniform(), 1.0 / static_cast<double>(d)) : 1.0;
    X.col(j) *= radius / s;
  }
  return X;
}

TeacherNetwork::TeacherNetwork(const TeacherConfig& config, std::uint64_t seed) : config_(config) {
  const std::string where = "TeacherNetwork::TeacherNetwork()";
  if (config.input_dim == 0 || config.width == 0 || config.outputs == 0 || config.hidden_layers == 0)
    detail::fail(where, "input_dim, width, outputs and hidden_layers must all be >= 1 (got " +
                            std::to_string(config.input_dim) + ", " + std::to_string(config.width) + ", " +
                            std::to_string(config.outputs) + ", " + std::to_string(config.hidden_layers) + ")");
  if (!(config.weight_bound > 0.0) || !std::isfinite(config.weight_bound))
    detail::fail(where, "weight_bound L must be finite and > 0, got " + detail::format_double(config.weight_bound));
  if (!(config.noise >= 0.0) || !std::isfinite(config.noise))
    detail::fail(where, "noise must be finite and >= 0, got " + detail::format_double(config.noise));

  if (config.intrinsic_dim > config.input_dim)
    detail::fail(where, "intrinsic_dim R = " + std::to_string(config.intrinsic_dim) + " exceeds input_dim d = " +
                            std::to_string(config.input_dim));
  config_.intrinsic_dim = config.intrinsic_dim == 0 ? config.input_dim : config.intrinsic_dim;
  const arma::uword R = config_.intrinsic_dim;

  Rng rng(seed, kWeightStream);
  const double L = config.weight_bound;
  if (R == config.input_dim) {
    basis_ = arma::eye(R, R);
  } else {
    // Orthonormal basis by modified Gram-Schmidt on Gaussian columns (our own
    // RNG, so the basis is the same on every platform).
    basis_ = rng.normal_matrix(config.input_dim, R);
    for (arma::uword j = 0; j < R; ++j) {
      for (arma::uword i = 0; i < j; ++i) basis_.col(j) -= arma::dot(basis_.col(i), basis_.col(j)) * basis_.col(i);
      basis_.col(j) /= arma::norm(basis_.col(j), 2);
    }
  }
  // First layer: Gaussian directions in the input subspace, l2 norm L.
  arma::mat W1 = rng.normal_matrix(config.width, R) * basis_.t();
  for (arma::uword i = 0; i < W1.n_rows; ++i) W1.row(i) *= L / arma::norm(W1.row(i), 2);
  weights_.push_back(W1);
  // Later layers and the output layer: s random nonzeros per row, l1 norm L.
  auto sparse_rows = [&](arma::uword rows, arma::uword cols) {
    arma::mat W(rows, cols, arma::fill::zeros);
    const arma::uword s = (config.sparsity == 0 || config.sparsity > cols) ? cols : config.sparsity;
    for (arma::uword i = 0; i < rows; ++i) {
      const arma::uvec support = rng.permutation(cols).head(s);
      double l1 = 0.0;
      for (arma::uword j : support) {
        W(i, j) = rng.normal();
        l1 += std::abs(W(i, j));
      }
      W.row(i) *= L / l1;
    }
    return W;
  };
  for (arma::uword l = 1; l < config.hidden_layers; ++l) weights_.push_back(sparse_rows(config.width, config.width));
  weights_.push_back(sparse_rows(config.outputs, config.width));

  if (config.outputs == 1) {
    const arma::mat ref = draw_inputs(10000, seed, kReferenceStream);
    threshold_ = arma::median(arma::vectorise(forward(ref)));
  }
}

arma::mat TeacherNetwork::draw_inputs(arma::uword n, std::uint64_t seed, std::uint64_t stream) const {
  arma::mat X = basis_ * deepdot::draw_inputs(config_.intrinsic_dim, n, config_.inputs, seed, stream);
  // Rounding in the basis product may leave a norm at 1 + 1e-16; pull it back in.
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    const double norm = arma::norm(X.col(j), 2);
    if (norm > 1.0) X.col(j) /= norm;
  }
  return X;
}

arma::mat TeacherNetwork::forward(const arma::mat& X) const {
  if (X.n_rows != config_.input_dim)
    detail::fail("TeacherNetwork::forward()", "X has " + std::to_string(X.n_rows) + " rows, expected d = " +
                                                  std::to_string(config_.input_dim));
  arma::mat H = X;
  for (std::size_t l = 0; l + 1 < weights_.size(); ++l) {
    H = weights_[l] * H;
    apply_activation(config_.activation, H);
  }
  return weights_.back() * H;
}

arma::ivec TeacherNetwork::classify(const arma::mat& X) const { return labels_from_outputs(forward(X)); }

arma::ivec TeacherNetwork::labels_from_outputs(const arma::mat& F) const {
  if (F.n_rows != config_.outputs)
    detail::fail("TeacherNetwork::labels_from_outputs()", "F has " + std::to_string(F.n_rows) +
                                                              " rows, expected " + std::to_string(config_.outputs));
  arma::ivec labels(F.n_cols);
  for (arma::uword j = 0; j < F.n_cols; ++j)
    labels[j] = config_.outputs == 1 ? (F(0, j) > threshold_ ? 1 : 0) : static_cast<arma::sword>(F.col(j).index_max());
  return labels;
}

TeacherSample draw_teacher_sample(const TeacherNetwork& teacher, arma::uword n, std::uint64_t seed,
                                  std::uint64_t stream) {
  const TeacherConfig& c = teacher.config();
  TeacherSample s;
  s.X = teacher.draw_inputs(n, seed, 2 * stream);
  s.clean = teacher.forward(s.X);
  Rng noise(seed, 2 * stream + 1);
  s.targets = s.clean;
  for (arma::uword i = 0; i < s.targets.n_elem; ++i) s.targets[i] += c.noise * noise.normal();
  s.labels = teacher.labels_from_outputs(s.targets);
  s.clean_labels = teacher.labels_from_outputs(s.clean);
  return s;
}

}  // namespace deepdot
