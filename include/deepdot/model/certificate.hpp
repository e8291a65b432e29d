// SPDX-License-Identifier: MIT
/// @file certificate.hpp
/// How far a feature model is from the exact kernel model it stands for,
/// measured on a small sample of the training data (docs/models.md).
#pragma once

#include <deepdot/kernels/kernel.hpp>
#include <deepdot/maps/feature_map.hpp>
#include <deepdot/model/model.hpp>

#include <armadillo>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace deepdot {

/// The error certificate of a feature map on a sample of m points.
///
/// The sample is split in two halves in its given order: the first
/// fit_points train two ridge models with the same targets and lambdas, one
/// on the exact Gram matrix K, one on the approximate Z'Z (the dual form of
/// ridge regression on the features Z, so both cost O(m^3) whatever D is);
/// both then predict the other test_points. The models use the squared loss
/// whatever loss the certified fit used: the certificate measures the map,
/// not the solver.
struct Certificate {
  arma::uword sample_points = 0;  ///< m
  arma::uword fit_points = 0;     ///< points both ridge models are fitted on (floor(m / 2))
  arma::uword test_points = 0;    ///< points both predict (the other ceil(m / 2))
  /// False when the sample may contain points a data-dependent map was fitted
  /// on (Nystroem landmarks, where Z'Z equals K and the error looks smaller).
  bool disjoint_from_map_fit = true;
  /// ||K - Z'Z||_F / ||K||_F over the whole m x m sample Gram matrix.
  double kernel_error = 0.0;
  /// ||K - Z'Z||_F / ||K - a_0 1 1'||_F: relative to the non-constant part of
  /// the kernel (deep recursive kernels have a large constant a_0).
  double kernel_error_nonconstant = 0.0;
  /// max_ij |K_ij - (Z'Z)_ij|.
  double kernel_max_error = 0.0;
  /// ||F - F~||_F / ||F||_F: F (c x test_points) the exact kernel model's
  /// predictions, F~ the feature model's.
  double prediction_difference = 0.0;
  /// Classification: the fraction of test points whose predicted class (the
  /// largest score; the sign for one output) is the same. NaN for regression.
  double label_agreement = 0.0;
};

/// Certifies `map` (fitted) against `kernel` on `sample` (d x m scaled
/// inputs, unit ball, one column per point, m >= 4): Y is c x m targets (one
/// row per output, e.g. one-vs-all +-1), lambdas has c entries >= 0 (the
/// objective (1/n) sum loss + lambda ||f||^2 of KernelRidge, with n =
/// fit_points; 0 gives the minimum-norm interpolant), `classification`
/// says whether label_agreement is computed. Features are computed in
/// `precision` (what the model will use) and Z'Z accumulated in it.
/// Cost: one transform of m points, m^2 D for Z'Z, m^2 d for K, two
/// symmetric eigen-decompositions of fit_points x fit_points.
/// Throws std::invalid_argument (certify(): ...) on bad shapes, m < 4, a
/// negative or non-finite lambda; std::logic_error if the map needs fit().
Certificate certify(const Kernel& kernel, const FeatureMap& map, const arma::mat& sample, const arma::mat& Y,
                    const arma::vec& lambdas, bool classification, Precision precision = Precision::double_precision);
/// The same for a sparse sample (d x m compressed columns): K from the sparse
/// products, Z from the map's sparse transform.
Certificate certify(const Kernel& kernel, const FeatureMap& map, const arma::sp_mat& sample, const arma::mat& Y,
                    const arma::vec& lambdas, bool classification, Precision precision = Precision::double_precision);

/// Appends the certificate to model metadata under the keys "certificate
/// sample points", "certificate disjoint from map fit", "certificate kernel
/// error", "certificate kernel error non-constant", "certificate kernel max
/// error", "certificate prediction difference" and (classification)
/// "certificate label agreement".
void append_certificate(const Certificate& certificate, std::vector<std::pair<std::string, std::string>>& metadata);

/// The certificate a model carries in its metadata, or nothing (kernel-limit
/// models, fits with the certificate off, files written before it existed).
/// Throws std::invalid_argument naming the key if a value does not parse.
std::optional<Certificate> read_certificate(const ModelParts& parts);

}  // namespace deepdot
