// SPDX-License-Identifier: MIT
// Private: the steps of Trainer::fit that the data-parallel fit
// (trainer_distributed.cpp) shares with the single-process one, so that both
// make the same decisions (split, map sample, regularisation, metadata).
#pragma once

#include <deepdot/model/trainer.hpp>

#include "model/learners.hpp"

namespace deepdot::detail {

/// Global point indices 0..n-1 of the training and validation points, both ascending.
struct ValidationSplit {
  arma::uvec train, validation;
};
/// The seeded random split of n >= 2 points: round(fraction n) validation
/// points (at least 1, at most n - 1) from one permutation of all n. It
/// depends on n and the seed only, so P ranks each holding a range of the
/// points find the same split.
ValidationSplit validation_split(arma::uword n, std::uint64_t seed, double fraction);

/// Points a data-dependent map is fitted on: max(map_sample, features), at most `available`.
arma::uword map_sample_size(const TrainerConfig& c, arma::uword available);
/// Fits a data-dependent map (if not yet fitted) on the first map_sample_size() training points.
void fit_map(const TrainerConfig& c, FeatureMap& map, const DataPart& train);
/// What every model records, whichever back end fitted it.
ModelParts base_parts(const TrainerConfig& c, const Kernel& kernel, const Scaler& scaler, const arma::ivec& classes,
                      arma::uword input_dim);
/// The regularisation decision (norm ball, fixed lambda, validation path, GCV), made once.
void regularise(const TrainerConfig& c, Learner& learner, bool has_validation, Criterion criterion, ModelParts& parts);

/// The post-fit step: appends the error certificate of `map` (null in the
/// kernel limit) to parts.metadata, or {"certificate", why not}. The sample is
/// certificate_sample points drawn with the seed from the training and
/// validation points, leaving out the points a data-dependent map was fitted
/// on when enough others remain; the lambdas are parts.lambdas, the targets
/// the split's. Defined in trainer_certificate.cpp.
void attach_certificate(const TrainerConfig& c, const Kernel& kernel, const FeatureMap* map, const DataSplit& split,
                        ModelParts& parts);

}  // namespace deepdot::detail
