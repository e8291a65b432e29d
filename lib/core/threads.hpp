// SPDX-License-Identifier: MIT
// Private: how many threads deepdot's own parallel loops may use. One budget
// for everything: the BLAS thread count, which --threads and
// OPENBLAS_NUM_THREADS set, so that bounding the BLAS bounds the feature maps
// and the solvers too.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

extern "C" int openblas_get_num_threads(void);

namespace deepdot::detail {

/// At least 1 and at most the BLAS thread budget; also at most `work_items`
/// (no thread without work).
inline std::size_t worker_threads(std::size_t work_items) {
  const int blas = openblas_get_num_threads();
  const std::size_t budget = blas > 0 ? static_cast<std::size_t>(blas) : 1;
  return std::max<std::size_t>(1, std::min(budget, work_items));
}

/// Runs task(g) for g = 0..groups-1 on up to `threads` threads; rethrows the first exception.
template <class Task>
void run_groups(std::size_t groups, std::size_t threads, const Task& task) {
  std::vector<std::exception_ptr> errors(groups);
  auto worker = [&](std::size_t first) {
    for (std::size_t g = first; g < groups; g += threads) {
      try {
        task(g);
      } catch (...) {
        errors[g] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& th : pool) th.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace deepdot::detail
