// SPDX-License-Identifier: MIT
// The doctest main of every unit test. It prints the versions under test
// first, so that a failure report says which deepdot, Armadillo and BLAS ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <deepdot/version.hpp>

#include <armadillo>

#include <cstdio>

extern "C" char* openblas_get_config();

int main(int argc, char** argv) {
  std::printf("deepdot %s, Armadillo %s, BLAS: %s\n", deepdot::version, arma::arma_version::as_string().c_str(),
              openblas_get_config());
  doctest::Context context(argc, argv);
  return context.run();
}
