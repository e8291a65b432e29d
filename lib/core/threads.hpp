// SPDX-License-Identifier: MIT
// Private: how many threads deepdot's own parallel loops may use. One budget
// for everything: the BLAS thread count, which --threads and
// OPENBLAS_NUM_THREADS set, so that bounding the BLAS bounds the feature maps
// and the solvers too.
#pragma once

#include <algorithm>
#include <cstddef>

extern "C" int openblas_get_num_threads(void);

namespace deepdot::detail {

/// At least 1 and at most the BLAS thread budget; also at most `work_items`
/// (no thread without work).
inline std::size_t worker_threads(std::size_t work_items) {
  const int blas = openblas_get_num_threads();
  const std::size_t budget = blas > 0 ? static_cast<std::size_t>(blas) : 1;
  return std::max<std::size_t>(1, std::min(budget, work_items));
}

}  // namespace deepdot::detail
