// SPDX-License-Identifier: MIT
#include <deepdot/distributed/communicator.hpp>

namespace deepdot {

bool Communicator::all_ok(bool ok) const {
  arma::vec failed{ok ? 0.0 : 1.0};
  allreduce_max(failed);
  return failed[0] == 0.0;
}

arma::uvec Communicator::counts(arma::uword local) const {
  const arma::vec all = allgather(arma::vec{static_cast<double>(local)});
  return arma::conv_to<arma::uvec>::from(all);
}

}  // namespace deepdot
