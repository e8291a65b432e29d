// SPDX-License-Identifier: MIT
// Helpers shared by the feature-map tests (test_fourier, test_layerwise, test_nystrom, the sparse ones).
#pragma once

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/random.hpp>

#include <armadillo>

#include <memory>
#include <sstream>
#include <string>

namespace map_test {

/// d x n points with norms spread uniformly over [rmin, 1], so the features'
/// behaviour inside the ball is exercised too; fixed seed.
inline arma::mat ball_points(arma::uword d, arma::uword n, std::uint64_t seed, double rmin = 0.3) {
  deepdot::Rng rng(seed);
  arma::mat X = rng.normal_matrix(d, n);
  deepdot::normalize_columns(X);
  for (arma::uword j = 0; j < n; ++j) X.col(j) *= rmin + (1.0 - rmin) * rng.uniform();
  return X;
}

/// d x n sparse points, about per_col nonzeros per column (normal values,
/// repeated rows overwrite), scaled to unit norm; fixed seed.
inline arma::sp_mat unit_sparse(arma::uword d, arma::uword n, arma::uword per_col, std::uint64_t seed) {
  deepdot::Rng rng(seed);
  arma::sp_mat X(d, n);
  for (arma::uword j = 0; j < n; ++j)
    for (arma::uword k = 0; k < per_col; ++k) X(rng.below(d), j) = rng.normal();
  deepdot::Scaler unit(deepdot::Scaling::unit_norm);
  return unit.transform(X);
}

/// The bytes FeatureMap::save() writes.
inline std::string saved(const deepdot::FeatureMap& map) {
  std::ostringstream out;
  map.save(out);
  return out.str();
}

/// FeatureMap::load() of those bytes.
inline std::unique_ptr<deepdot::FeatureMap> loaded(const std::string& bytes) {
  std::istringstream in(bytes);
  return deepdot::FeatureMap::load(in);
}

}  // namespace map_test
