// SPDX-License-Identifier: MIT
/// @file mpi_communicator.hpp
/// The Communicator over MPI_COMM_WORLD (built and installed only when meson
/// found MPI: -Dmpi=auto|enabled). Plain collectives: MPI_Allreduce,
/// MPI_Allgatherv, MPI_Bcast; no rank does more than the others.
#pragma once

#include <deepdot/distributed/communicator.hpp>

namespace deepdot {

class MpiCommunicator final : public Communicator {
 public:
  /// Calls MPI_Init (unless MPI is already initialised) with argc/argv;
  /// the destructor calls MPI_Finalize if this object initialised MPI.
  MpiCommunicator(int* argc, char*** argv);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(arma::vec& v) const override;
  void allreduce_max(arma::vec& v) const override;
  void allreduce_min(arma::vec& v) const override;
  arma::vec allgather(const arma::vec& local) const override;
  void broadcast(arma::vec& v, int root) const override;

  /// Ends every rank of the job at once with `status` (MPI_Abort): for a
  /// failure on one rank while the others may wait inside a collective.
  [[noreturn]] void abort(int status) const;

 private:
  int rank_ = 0, size_ = 1;
  bool owns_ = false;
};

}  // namespace deepdot
