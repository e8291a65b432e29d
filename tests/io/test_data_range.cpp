// SPDX-License-Identifier: MIT
// read_dataset_part(): parts of a file concatenated in order are the file.
#include <deepdot/io/dataset.hpp>

#include <deepdot/core/random.hpp>

#include "support/idx_test_support.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

namespace {

using deepdot::test_idx::Bytes;
using deepdot::test_idx::TempDir;

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

/// Reads `parts` parts and concatenates them (rows padded to the largest d).
deepdot::Dataset concatenated(const std::string& path, arma::uword parts, const deepdot::ReadOptions& opts = {}) {
  deepdot::Dataset all;
  for (arma::uword p = 0; p < parts; ++p) {
    deepdot::Dataset ds = deepdot::read_dataset_part(path, p, parts, opts);
    const arma::uword d = std::max(all.X.n_rows, ds.X.n_rows);
    all.X.resize(d, all.X.n_cols);
    ds.X.resize(d, ds.X.n_cols);
    all.X = arma::join_rows(all.X, ds.X);
    all.y = arma::join_cols(all.y, ds.y);
    all.has_labels = ds.has_labels;
  }
  return all;
}

void check_same(const deepdot::Dataset& parts, const deepdot::Dataset& whole) {
  REQUIRE(parts.X.n_cols == whole.X.n_cols);
  REQUIRE(parts.X.n_rows == whole.X.n_rows);
  CHECK(arma::approx_equal(parts.X, whole.X, "absdiff", 0.0));
  CHECK(parts.has_labels == whole.has_labels);
  CHECK(arma::approx_equal(parts.y, whole.y, "absdiff", 0.0));
}

/// A CSV with a header and n rows of 3 values and a label; values are distinct per row.
std::string csv_text(int n, bool header) {
  std::ostringstream s;
  if (header) s << "a,b,c,label\n";
  for (int i = 0; i < n; ++i) s << i << "," << 0.5 * i << "," << -i << "," << i % 3 << "\n";
  return s.str();
}

}  // namespace

TEST_CASE("read_dataset_part: CSV byte ranges, with and without a header, 1 to 7 parts, equal the whole file") {
  TempDir dir;
  for (bool header : {true, false}) {
    const std::string path = dir.write(header ? "h.csv" : "n.csv", bytes_of(csv_text(23, header)));
    const deepdot::Dataset whole = deepdot::read_dataset(path);
    REQUIRE(whole.X.n_cols == 23);
    for (arma::uword parts = 1; parts <= 7; ++parts) {
      INFO("header ", header, ", parts ", parts);
      check_same(concatenated(path, parts), whole);
    }
    // More parts than lines: the extra parts are empty, nothing is lost or doubled.
    check_same(concatenated(path, 40), whole);
  }
}

TEST_CASE("read_dataset_part: LIBSVM parts whose largest index differs concatenate to the file") {
  TempDir dir;
  std::ostringstream s;
  for (int i = 0; i < 30; ++i) s << (i % 2) << " " << 1 + i % 4 << ":" << i + 1 << (i == 29 ? " 9:1" : "") << "\n";
  const std::string path = dir.write("d.svm", bytes_of(s.str()));
  const deepdot::Dataset whole = deepdot::read_dataset(path);
  REQUIRE(whole.X.n_rows == 9);
  for (arma::uword parts : {2, 3, 5}) {
    INFO("parts ", parts);
    // Part 0 does not see index 9: its d is smaller (the distributed reader pads).
    CHECK(deepdot::read_dataset_part(path, 0, parts).X.n_rows < 9);
    check_same(concatenated(path, parts), whole);
  }
}

TEST_CASE("read_dataset_part: .npy and IDX row ranges (with the paired labels) equal the whole file") {
  TempDir dir;
  const arma::mat X = deepdot::Rng(3, 1).normal_matrix(4, 17);
  const std::string npy = dir.path + "/x.npy";
  deepdot::write_npy(npy, X);
  dir.files.push_back(npy);
  const std::string labels = dir.path + "/y.npy";
  deepdot::write_npy(labels, arma::regspace<arma::vec>(0, 16));
  dir.files.push_back(labels);
  deepdot::ReadOptions opts;
  opts.labels_path = labels;
  const deepdot::Dataset whole = deepdot::read_dataset(npy, opts);
  const std::string img = dir.write("t-images-idx3-ubyte", deepdot::test_idx::image_file(13, 2, 3));
  dir.write("t-labels-idx1-ubyte", deepdot::test_idx::label_file(13));
  const deepdot::Dataset whole_idx = deepdot::read_dataset(img);
  REQUIRE(whole_idx.has_labels);
  for (arma::uword parts = 1; parts <= 5; ++parts) {
    INFO("parts ", parts);
    check_same(concatenated(npy, parts, opts), whole);
    check_same(concatenated(img, parts), whole_idx);
  }
  check_same(concatenated(img, 20), whole_idx);  // empty parts keep d
  // skip_points is the row range underneath.
  deepdot::ReadOptions range = opts;
  range.skip_points = 5;
  range.max_points = 4;
  const deepdot::Dataset mid = deepdot::read_dataset(npy, range);
  CHECK(arma::approx_equal(mid.X, X.cols(5, 8), "absdiff", 0.0));
  CHECK(arma::approx_equal(mid.y, arma::regspace<arma::vec>(5, 8), "absdiff", 0.0));
  range.skip_points = 17;
  CHECK_THROWS_AS(deepdot::read_dataset(npy, range), std::invalid_argument);
}

TEST_CASE("read_dataset_part: a bad line is reported with the file's own line number; refusals are explicit") {
  TempDir dir;
  std::string text = csv_text(20, true);
  // Line 16 of the file (header = line 1) gets a non-number.
  std::size_t at = 0;
  for (int line = 1; line < 16; ++line) at = text.find('\n', at) + 1;
  text.insert(at, "oops");
  const std::string path = dir.write("bad.csv", bytes_of(text));
  std::string whole_message, part_message;
  try {
    deepdot::read_dataset(path);
  } catch (const std::invalid_argument& e) {
    whole_message = e.what();
  }
  REQUIRE(whole_message.find("line 16") != std::string::npos);
  for (arma::uword p = 0; p < 3; ++p) {
    try {
      deepdot::read_dataset_part(path, p, 3);
    } catch (const std::invalid_argument& e) {
      part_message = e.what();
    }
  }
  CHECK(part_message == whole_message);

  const std::string gz = dir.write_gz("x.csv.gz", bytes_of(csv_text(5, true)));
  CHECK_THROWS_WITH_AS(deepdot::read_dataset_part(gz, 1, 2), doctest::Contains("gzipped"), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::read_dataset_part(path, 2, 2), std::invalid_argument);
  deepdot::ReadOptions skip;
  skip.skip_points = 1;
  CHECK_THROWS_WITH_AS(deepdot::read_dataset(dir.write("ok.csv", bytes_of(csv_text(5, true))), skip),
                       doctest::Contains("byte ranges"), std::invalid_argument);
  const std::string names = dir.write("names.csv", bytes_of("a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,emu\n"));
  CHECK_THROWS_WITH_AS(deepdot::read_dataset_part(names, 1, 2), doctest::Contains("text"), std::invalid_argument);
}
