// SPDX-License-Identifier: MIT
#include <deepdot/distributed/mpi_communicator.hpp>

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace deepdot {

namespace {

// MPI counts are int: long vectors (ZZ' at D = 16,384 is 134 M numbers) go in chunks.
constexpr arma::uword kChunk = arma::uword(1) << 28;

void reduce(arma::vec& v, MPI_Op op) {
  for (arma::uword at = 0; at < v.n_elem; at += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, v.n_elem - at));
    MPI_Allreduce(MPI_IN_PLACE, v.memptr() + at, n, MPI_DOUBLE, op, MPI_COMM_WORLD);
  }
}

}  // namespace

MpiCommunicator::MpiCommunicator(int* argc, char*** argv) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    MPI_Init(argc, argv);
    owns_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiCommunicator::~MpiCommunicator() {
  if (owns_) MPI_Finalize();
}

void MpiCommunicator::allreduce_sum(arma::vec& v) const {
  count_bytes(v.n_elem);
  reduce(v, MPI_SUM);
}

void MpiCommunicator::allreduce_max(arma::vec& v) const {
  count_bytes(v.n_elem);
  reduce(v, MPI_MAX);
}

void MpiCommunicator::allreduce_min(arma::vec& v) const {
  count_bytes(v.n_elem);
  reduce(v, MPI_MIN);
}

arma::vec MpiCommunicator::allgather(const arma::vec& local) const {
  if (local.n_elem > static_cast<arma::uword>(INT_MAX))
    throw std::invalid_argument("MpiCommunicator::allgather(): a rank's block of " + std::to_string(local.n_elem) +
                                " numbers exceeds MPI's int count");
  int mine = static_cast<int>(local.n_elem);
  std::vector<int> counts(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
  MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  long long total = 0;
  for (int r = 0; r < size_; ++r) {
    if (total > INT_MAX) throw std::invalid_argument("MpiCommunicator::allgather(): the gathered vector exceeds MPI's int count");
    offsets[static_cast<std::size_t>(r)] = static_cast<int>(total);
    total += counts[static_cast<std::size_t>(r)];
  }
  count_bytes(local.n_elem + 1);
  arma::vec all(static_cast<arma::uword>(total));
  MPI_Allgatherv(local.memptr(), mine, MPI_DOUBLE, all.memptr(), counts.data(), offsets.data(), MPI_DOUBLE,
                 MPI_COMM_WORLD);
  return all;
}

void MpiCommunicator::broadcast(arma::vec& v, int root) const {
  if (rank_ == root) count_bytes(v.n_elem);
  for (arma::uword at = 0; at < v.n_elem; at += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, v.n_elem - at));
    MPI_Bcast(v.memptr() + at, n, MPI_DOUBLE, root, MPI_COMM_WORLD);
  }
}

void MpiCommunicator::abort(int status) const {
  MPI_Abort(MPI_COMM_WORLD, status);
  std::exit(status);  // MPI_Abort does not return; this is for the compiler
}

}  // namespace deepdot
