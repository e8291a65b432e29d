// SPDX-License-Identifier: MIT
/// @file memory.hpp
/// Memory probes: what a computation will need and what the machine can give.
#pragma once

#include <armadillo>

#include <string>

namespace deepdot {

/// Bytes the kernel-limit learners need for n training points (the n x n
/// Gram matrix plus working vectors); checked against the machine's memory
/// before anything is allocated.
double kernel_limit_memory_bytes(arma::uword n);

/// Memory the machine can give us now, in bytes: MemAvailable from
/// /proc/meminfo, or free physical pages from sysconf where that is missing.
double available_memory_bytes();

/// The one memory guard of the library: throws std::invalid_argument
/// "where: <what> needs about X GiB but only Y GiB is available; <advice>"
/// when `bytes` exceeds available_memory_bytes() (or is NaN). Called before allocating,
/// so an impossible size is a clear error instead of bad_alloc or swapping.
void require_memory(double bytes, const std::string& where, const std::string& what, const std::string& advice);

/// Hands the allocator's free memory back to the system (glibc: malloc_trim;
/// elsewhere nothing). The data-parallel fit calls it between stages, so that
/// blocks freed by one stage (the map's construction, the feature batches)
/// do not stay resident through the next one and add to the peak per rank.
void release_free_memory();

/// bytes as "1.5 GiB" (three significant digits), for messages.
std::string gib_text(double bytes);

}  // namespace deepdot
