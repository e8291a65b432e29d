// SPDX-License-Identifier: MIT
/// @file memory.hpp
/// Memory probes: what a computation will need and what the machine can give.
#pragma once

#include <armadillo>

namespace deepdot {

/// Bytes the kernel-limit learners need for n training points (the n x n
/// Gram matrix plus working vectors); checked against the machine's memory
/// before anything is allocated.
double kernel_limit_memory_bytes(arma::uword n);

/// Memory the machine can give us now, in bytes: MemAvailable from
/// /proc/meminfo, or free physical pages from sysconf where that is missing.
double available_memory_bytes();

}  // namespace deepdot
