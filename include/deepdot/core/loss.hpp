// SPDX-License-Identifier: MIT
/// @file loss.hpp
/// The convex losses deepdot minimises, with their names on the command line.
#pragma once

#include <string>

namespace deepdot {

/// Convex losses of a score s for a target y.
enum class Loss {
  squared,        ///< (s - y)^2, any real y; one output per row of Y
  logistic,       ///< multinomial logistic (softmax cross-entropy) over the c outputs; Y one-vs-all +-1
  hinge,          ///< max(0, 1 - y s), one-vs-all with y = +-1
  squared_hinge,  ///< max(0, 1 - y s)^2, one-vs-all with y = +-1
  /// Only in a TrainerConfig: the Trainer chooses squared or squared hinge by
  /// validation (classification) or squared (regression). A Model never holds it.
  automatic,
};

/// Parses "squared", "logistic", "hinge", "squared-hinge" or "auto". Throws std::invalid_argument.
Loss parse_loss(const std::string& name);
/// The canonical name ("squared", "logistic", "hinge", "squared-hinge", "auto").
std::string loss_name(Loss loss);

}  // namespace deepdot
