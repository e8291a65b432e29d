// SPDX-License-Identifier: MIT
// libFuzzer target: the IDX readers (images and labels), plain or gzipped.
#include "fuzz_common.hpp"

#include "io/data_formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::view(data, size);
  const deepdot::ReadOptions o = fuzz::options("idx");
  fuzz::expect_valid_or_rejected([&] {
    fuzz::check(deepdot::parse_dataset(bytes, "fuzz-input-images-idx3-ubyte", o));
  });
  fuzz::expect_valid_or_rejected([&] {
    auto src = deepdot::detail::ByteSource::memory(bytes, "fuzz-input-labels-idx1-ubyte", "IDX file");
    const arma::ivec y = deepdot::detail::parse_idx_labels(*src, 1000);
    if (y.n_elem > 0 && (y.min() < 0 || y.max() > 255)) std::abort();
  });
  return 0;
}
