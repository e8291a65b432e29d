// SPDX-License-Identifier: MIT
// libFuzzer target: the LIBSVM/SVMlight reader, one-based and zero-based.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  deepdot::ReadOptions o = fuzz::options("libsvm");
  const std::string_view bytes = fuzz::view(data, size);
  fuzz::expect_valid_or_rejected([&] { fuzz::check(deepdot::parse_dataset(bytes, "fuzz-input.libsvm", o)); });
  o.libsvm_zero_based = true;
  o.libsvm_dimension = 7;
  o.max_points = 3;
  fuzz::expect_valid_or_rejected([&] { fuzz::check(deepdot::parse_dataset(bytes, "fuzz-input.libsvm", o)); });
  // Auto-detection must never crash either.
  fuzz::expect_valid_or_rejected([&] { fuzz::check(deepdot::parse_dataset(bytes, "fuzz-input", fuzz::options("auto"))); });
  return 0;
}
