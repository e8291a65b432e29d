// SPDX-License-Identifier: MIT
// libFuzzer target: the CSV reader. The first byte picks the options, so the
// header, label-column and delimiter logic are all explored.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  deepdot::ReadOptions o = fuzz::options("csv");
  const unsigned sel = data[0];
  static const char* headers[] = {"auto", "yes", "no", "auto"};
  static const char* labels[] = {"auto", "first", "last", "none", "2", "label", "auto", "last"};
  static const char delims[] = {'\0', ',', ';', '\t', ' ', '\0', '\0', '\0'};
  o.csv_header = headers[sel & 3];
  o.csv_label_column = labels[(sel >> 2) & 7];
  o.csv_delimiter = delims[(sel >> 5) & 7];
  const std::string_view bytes = fuzz::view(data + 1, size - 1);
  fuzz::expect_valid_or_rejected([&] { fuzz::check(deepdot::parse_dataset(bytes, "fuzz-input.csv", o)); });
  return 0;
}
