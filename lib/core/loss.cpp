// SPDX-License-Identifier: MIT
#include <deepdot/core/loss.hpp>

#include "core/check.hpp"

namespace deepdot {

using detail::fail;

Loss parse_loss(const std::string& name) {
  if (name == "squared") return Loss::squared;
  if (name == "logistic") return Loss::logistic;
  if (name == "hinge") return Loss::hinge;
  if (name == "squared-hinge") return Loss::squared_hinge;
  if (name == "auto") return Loss::automatic;
  fail("parse_loss()", "unknown loss '" + name + "'; expected squared, logistic, hinge, squared-hinge or auto");
}

std::string loss_name(Loss loss) {
  switch (loss) {
    case Loss::squared: return "squared";
    case Loss::logistic: return "logistic";
    case Loss::hinge: return "hinge";
    case Loss::squared_hinge: return "squared-hinge";
    case Loss::automatic: return "auto";
  }
  fail("loss_name()", "not a Loss value: " + std::to_string(static_cast<int>(loss)));
}

}  // namespace deepdot
