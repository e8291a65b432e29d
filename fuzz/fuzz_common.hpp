// SPDX-License-Identifier: MIT
// Shared by the libFuzzer targets: every input must either parse into a
// consistent Dataset or be rejected with std::invalid_argument. Any other
// exception (std::bad_alloc, Armadillo's bounds errors) escapes and libFuzzer
// reports it as a crash, as it does for sanitizer findings.
#pragma once

#include <deepdot/io/dataset.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace fuzz {

/// The readers' options for fuzzing: a dense cap well under libFuzzer's
/// memory limit, so that only real bugs hit it.
inline deepdot::ReadOptions options(const char* format) {
  deepdot::ReadOptions o;
  o.format = format;
  o.max_dense_bytes = std::uint64_t(256) << 20;
  return o;
}

inline void check(const deepdot::Dataset& ds) {
  if (ds.X.n_elem == 0 || !ds.X.is_finite()) std::abort();
  if (ds.has_labels && (ds.y.n_elem != ds.X.n_cols || !ds.y.is_finite())) std::abort();
  if (!ds.label_names.empty())
    for (double v : ds.y)
      if (v < 0 || v >= static_cast<double>(ds.label_names.size())) std::abort();
}

template <typename F>
void expect_valid_or_rejected(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    // Every message names the input.
    if (std::string_view(e.what()).find("fuzz-input") == std::string_view::npos) std::abort();
  }
}

inline std::string_view view(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace fuzz
