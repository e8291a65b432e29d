// SPDX-License-Identifier: MIT
// What the subcommands of deepdot-mpi share: agreeing on failures, and output
// files written in parts (docs/distributed.md).
#pragma once

#include <deepdot/distributed/communicator.hpp>

#include <functional>
#include <string>

namespace deepdot::mpi {

/// Thrown after a failure that every rank has agreed on (already reported).
struct Agreed {
  int status;
};

/// Runs a step on every rank; if it fails anywhere every rank throws
/// Agreed{2}. The message (prefixed "deepdot-mpi <command>: error: ") is
/// printed by the failing rank, or by rank 0 alone when every rank failed alike.
void agree(const Communicator& comm, const std::string& command, const std::function<void()>& step);

/// Writes one output file from every rank's rows, in rank order, atomically.
/// Each rank calls write(part) to write its own rows, with the writer the
/// single process uses, to `part` (a file next to `out`; .npy or .csv as
/// `out`); rank 0 then joins the parts into `out` (a temporary file renamed,
/// as every deepdot output) and the parts are removed. A failure anywhere
/// fails every rank (Agreed{2}) and leaves neither `out` nor a part.
/// CSV parts are concatenated (they have no header); .npy parts (format 1.0,
/// the same dtype and columns) get one header with the summed row count.
void write_in_parts(const Communicator& comm, const std::string& command, const std::string& out,
                    const std::function<void(const std::string& part)>& write);

/// Peak resident memory of this process in bytes (VmHWM), 0 if unknown.
double peak_rss_bytes();

int predict(const Communicator& comm, int argc, char** argv);
int transform(const Communicator& comm, int argc, char** argv);

}  // namespace deepdot::mpi
