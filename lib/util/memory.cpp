// SPDX-License-Identifier: MIT
#include <deepdot/util/memory.hpp>

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace deepdot {

double kernel_limit_memory_bytes(arma::uword n) {
  // The n x n Gram matrix in double, plus O(n) working vectors per output
  // (dual variables, scores, diagonal; 64 doubles per point covers c <= 16
  // outputs with room to spare) and the inputs' copy, which is small next to K.
  const double nd = static_cast<double>(n);
  return 8.0 * nd * nd + 8.0 * 64.0 * nd;
}

void release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

double available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long kb = 0;
    if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kb) == 1) return 1024.0 * static_cast<double>(kb);
  }
  // No /proc (or an old kernel): free physical pages. An underestimate of what
  // could be reclaimed, which errs on the safe side.
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return static_cast<double>(pages) * static_cast<double>(page);
  return std::numeric_limits<double>::infinity();  // unknown: let the allocation decide
}

std::string gib_text(double bytes) {
  std::ostringstream s;
  s.precision(3);
  s << bytes / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return s.str();
}

void require_memory(double bytes, const std::string& where, const std::string& what, const std::string& advice) {
  const double have = available_memory_bytes();
  if (!(bytes <= have))  // NaN too
    throw std::invalid_argument(where + ": " + what + " needs about " + gib_text(bytes) + " but only " + gib_text(have) +
                                " of memory is available; " + advice);
}

}  // namespace deepdot
