// SPDX-License-Identifier: MIT
/// @file teacher.hpp
/// Synthetic data from a known network satisfying Assumption A of Zhang, Lee &
/// Jordan (2016): the cleanest test of the theory.
#pragma once

#include <armadillo>

#include <cstdint>
#include <string>
#include <vector>

namespace deepdot {

/// Activation functions of the teacher network.
enum class Activation {
  erf_sigmoid,     ///< sigma(x) = (1 + erf(sqrt(pi) x)) / 2
  smoothed_hinge,  ///< sigma(x) = x sigma_erf(x) + exp(-pi x^2) / (2 pi)
  relu,            ///< max(0, x)
  quadratic,       ///< x^2
};

/// Parses "erf", "smoothed-hinge", "relu" or "quadratic". Throws std::invalid_argument.
Activation parse_activation(const std::string& name);
std::string activation_name(Activation activation);
/// Applies the activation elementwise in place.
void apply_activation(Activation activation, arma::mat& A);

/// Where the inputs of the teacher are drawn.
enum class InputDistribution {
  sphere,  ///< uniform on the unit sphere ||x|| = 1
  ball,    ///< uniform in the unit ball ||x|| <= 1
};

/// Parses "sphere" or "ball". Throws std::invalid_argument naming the value and the choices.
InputDistribution parse_input_distribution(const std::string& name);
/// The canonical name ("sphere", "ball").
std::string input_distribution_name(InputDistribution inputs);

/// The shape of a teacher network. Defaults follow the foundation issue's
/// reference task: d = 50, one hidden layer of width 100, erf-sigmoid, L = 2.
struct TeacherConfig {
  arma::uword input_dim = 50;       ///< d
  arma::uword hidden_layers = 1;    ///< k >= 1
  arma::uword width = 100;          ///< m, neurons per hidden layer
  arma::uword outputs = 1;          ///< output units (>= 2 for multi-class labels by argmax)
  Activation activation = Activation::erf_sigmoid;
  double weight_bound = 2.0;        ///< L: l2 norm of first-layer rows, l1 norm of later rows
  arma::uword sparsity = 10;        ///< s: nonzeros per row after the first layer (0 = dense)
  InputDistribution inputs = InputDistribution::sphere;
  /// R: the inputs lie in a random R-dimensional subspace of R^d (uniform on
  /// its unit sphere or ball) and the first-layer rows lie in the same
  /// subspace, as neurons of a trained network align with the data. 0 means R = d.
  /// With isotropic inputs in high dimension, w'x has standard deviation
  /// L / sqrt(d), so the network is nearly linear; a small R keeps it nonlinear.
  arma::uword intrinsic_dim = 0;
  double noise = 0.1;               ///< standard deviation of Gaussian label noise (regression)
};

/// Draws inputs: d x n, one column per point, in the unit ball.
arma::mat draw_inputs(arma::uword d, arma::uword n, InputDistribution where, std::uint64_t seed,
                      std::uint64_t stream = 0);

/// A network without biases whose weights satisfy Assumption A:
///   h_1 = sigma(W_1 x),  h_l = sigma(W_l h_{l-1}),  out = V h_k,
/// where every row of W_1 has l2 norm exactly L, and every row of W_l (l >= 2)
/// and of V has s nonzeros (s = 0: dense) and l1 norm exactly L. Signs and
/// magnitudes are random; the network is a pure function of (config, seed).
class TeacherNetwork {
 public:
  /// Throws std::invalid_argument for a zero dimension, L <= 0 or noise < 0.
  TeacherNetwork(const TeacherConfig& config, std::uint64_t seed);

  /// X: d x n (unit ball); returns outputs x n, the noise-free outputs.
  arma::mat forward(const arma::mat& X) const;
  /// Class labels 0..c-1: argmax of the outputs when outputs >= 2; with one
  /// output, 1 where it exceeds the teacher's median on a fixed reference
  /// sample of 10,000 inputs (so the classes are balanced), else 0.
  arma::ivec classify(const arma::mat& X) const;
  /// The same rule applied to given outputs (outputs x n), e.g. noisy ones.
  arma::ivec labels_from_outputs(const arma::mat& F) const;

  const TeacherConfig& config() const { return config_; }
  /// Draws n inputs from the teacher's input distribution (d x n).
  arma::mat draw_inputs(arma::uword n, std::uint64_t seed, std::uint64_t stream) const;
  /// d x R orthonormal basis of the input subspace (the identity when R = d).
  const arma::mat& input_basis() const { return basis_; }
  /// W_1 .. W_k, then V.
  const std::vector<arma::mat>& weights() const { return weights_; }

 private:
  TeacherConfig config_;
  std::vector<arma::mat> weights_;
  arma::mat basis_;
  double threshold_ = 0.0;
};

/// A labelled sample from a teacher.
struct TeacherSample {
  arma::mat X;         ///< d x n inputs
  arma::mat clean;     ///< outputs x n noise-free targets
  arma::mat targets;   ///< outputs x n targets with noise
  arma::ivec labels;        ///< n class labels of the noisy targets (label noise follows the target noise)
  arma::ivec clean_labels;  ///< n class labels of the noise-free outputs (TeacherNetwork::classify)
};

/// Draws n points with inputs, clean and noisy targets and labels; `stream`
/// separates training, validation and test draws for the same seed.
TeacherSample draw_teacher_sample(const TeacherNetwork& teacher, arma::uword n, std::uint64_t seed,
                                  std::uint64_t stream);

}  // namespace deepdot
