// SPDX-License-Identifier: MIT
// Built by .ci/run against an installed deepdot through pkg-config only.
#include <deepdot/deepdot.hpp>

#include <iostream>

int main() {
  const deepdot::Kernel k = deepdot::make_kernel("recursive:2");
  arma::mat X = deepdot::Rng(1).normal_matrix(5, 20);
  deepdot::normalize_columns(X);
  const arma::mat K = deepdot::gram(k, X);
  std::cout << "deepdot " << deepdot::version << " " << k.spec() << " K(0,0) = " << K(0, 0) << "\n";
  return K(0, 0) > 0.999 && K(0, 0) < 1.001 ? 0 : 1;
}
