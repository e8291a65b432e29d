// SPDX-License-Identifier: MIT
/// @file communicator.hpp
/// The few collective operations a data-parallel fit needs, behind one small
/// interface: a serial implementation (one rank, always built) and an MPI one
/// (deepdot/distributed/mpi_communicator.hpp, built when MPI is found). The
/// Trainer's distributed path is the same code for both, so P = 1 without MPI
/// runs exactly what P ranks run.
#pragma once

#include <armadillo>

#include <cstdint>

namespace deepdot {

/// A group of P ranks that call every collective in the same order. Every
/// method is collective (all ranks must call it) unless it says otherwise.
/// bytes_sent() counts the payload this rank handed to collectives (8 bytes
/// per number), the "communication volume" of docs/distributed.md; the bytes
/// on the wire depend on the MPI library's algorithms (a ring allreduce sends
/// about 2 (P-1)/P times the payload).
class Communicator {
 public:
  virtual ~Communicator() = default;
  /// This rank, 0 <= rank() < size(). Local.
  virtual int rank() const = 0;
  /// P, the number of ranks. Local.
  virtual int size() const = 0;
  /// v (the same length on every rank) becomes the elementwise sum over ranks.
  virtual void allreduce_sum(arma::vec& v) const = 0;
  /// v becomes the elementwise maximum over ranks.
  virtual void allreduce_max(arma::vec& v) const = 0;
  /// v becomes the elementwise minimum over ranks.
  virtual void allreduce_min(arma::vec& v) const = 0;
  /// The concatenation of every rank's `local` (lengths may differ) in rank order.
  virtual arma::vec allgather(const arma::vec& local) const = 0;
  /// v (the same length everywhere) becomes root's v.
  virtual void broadcast(arma::vec& v, int root) const = 0;

  /// True when `ok` holds on every rank: how ranks agree to stop together
  /// after a local failure (bad input on one rank) instead of deadlocking.
  bool all_ok(bool ok) const;
  /// n_r on every rank, in rank order (P values).
  arma::uvec counts(arma::uword local) const;
  /// Payload bytes this rank has passed to collectives so far. Local.
  std::uint64_t bytes_sent() const { return bytes_; }

 protected:
  void count_bytes(std::uint64_t numbers) const { bytes_ += 8 * numbers; }

 private:
  mutable std::uint64_t bytes_ = 0;
};

/// One rank: every collective is the identity (and sends nothing).
class SerialCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(arma::vec&) const override {}
  void allreduce_max(arma::vec&) const override {}
  void allreduce_min(arma::vec&) const override {}
  arma::vec allgather(const arma::vec& local) const override { return local; }
  void broadcast(arma::vec&, int) const override {}
};

}  // namespace deepdot
