// SPDX-License-Identifier: MIT
// libFuzzer target: the .npy reader, as data (2-D and more) and as labels (1-D).
#include "fuzz_common.hpp"

#include "io/data_formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::view(data, size);
  deepdot::ReadOptions o = fuzz::options("npy");
  fuzz::expect_valid_or_rejected([&] { fuzz::check(deepdot::parse_dataset(bytes, "fuzz-input.npy", o)); });
  o.max_points = 1;
  fuzz::expect_valid_or_rejected([&] { fuzz::check(deepdot::parse_dataset(bytes, "fuzz-input.npy", o)); });
  fuzz::expect_valid_or_rejected([&] {
    auto src = deepdot::detail::ByteSource::memory(bytes, "fuzz-input.npy", "labels");
    const arma::vec y = deepdot::detail::parse_npy_labels(*src, o);
    if (y.n_elem == 0 || !y.is_finite()) std::abort();
  });
  return 0;
}
