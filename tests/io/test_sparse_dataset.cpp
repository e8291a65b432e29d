// SPDX-License-Identifier: MIT
#include <deepdot/io/sparse_dataset.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <unistd.h>

namespace {

deepdot::SparseDataset parse(const std::string& text, deepdot::ReadOptions opts = {}) {
  opts.format = "libsvm";
  return deepdot::parse_sparse_dataset(text, "t.libsvm", opts);
}

/// The message of the std::invalid_argument that parsing `text` throws ("" if none).
std::string error_of(const std::string& text, deepdot::ReadOptions opts = {}) {
  try {
    parse(text, opts);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("LIBSVM into compressed columns: one column per line, the same values as the dense reader") {
  const std::string text = "1 1:0.5 4:-2\n# a comment\n\n-1 2:3 3:0 5:1e-3\n+1\n";
  const deepdot::SparseDataset s = parse(text);
  const deepdot::Dataset dense = deepdot::parse_dataset(text, "t.libsvm");
  REQUIRE(s.X.n_rows == 5);
  REQUIRE(s.X.n_cols == 3);
  CHECK(s.X.n_nonzero == 4);  // the explicit zero is not stored
  CHECK(arma::approx_equal(arma::mat(s.X), dense.X, "absdiff", 0.0));
  CHECK(arma::approx_equal(s.y, dense.y, "absdiff", 0.0));
  CHECK(s.has_labels);
  CHECK(s.description.find("sparse") != std::string::npos);
}

TEST_CASE("a declared dimension: larger than the file is kept, an index beyond it names the line") {
  deepdot::ReadOptions o;
  o.libsvm_dimension = std::uint64_t(1) << 24;  // d = 2^24: no dense d x n anywhere
  const deepdot::SparseDataset s = parse("1 3:1 16777216:2\n0 7:1\n", o);
  CHECK(s.X.n_rows == (arma::uword(1) << 24));
  CHECK(s.X(16777215, 0) == 2.0);
  o.libsvm_dimension = 10;
  const std::string e = error_of("1 3:1\n0 11:1\n", o);
  CHECK(contains(e, "line 2"));
  CHECK(contains(e, "beyond the dimension 10"));
}

TEST_CASE("unsorted and duplicate indices are refused, naming file, line and token") {
  const std::string unsorted = error_of("1 1:1\n1 5:1 3:1\n");
  CHECK(contains(unsorted, "t.libsvm"));
  CHECK(contains(unsorted, "line 2"));
  CHECK(contains(unsorted, "'3:1'"));
  const std::string repeated = error_of("1 2:1 2:4\n");
  CHECK(contains(repeated, "line 1"));
  CHECK(contains(repeated, "must increase"));
  CHECK_THROWS_WITH_AS(parse("1 0:1\n"), doctest::Contains("index 0"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse("1 2:nan\n"), doctest::Contains("not finite"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse("1 x:1\n"), doctest::Contains("not a whole number"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse("# nothing\n"), doctest::Contains("no data"), std::invalid_argument);
}

TEST_CASE("dense formats are read and compressed; write_libsvm reads back exactly") {
  const deepdot::SparseDataset c = deepdot::parse_sparse_dataset("a,b,label\n0,1.5,1\n0,0,0\n", "t.csv");
  CHECK(c.X.n_rows == 2);
  CHECK(c.X.n_cols == 2);
  CHECK(c.X.n_nonzero == 1);
  CHECK(c.y[0] == 1.0);

  char dir[] = "/tmp/deepdot-sparse-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/x.libsvm";
  arma::sp_mat X(1000, 3);
  X(0, 0) = 0.1;
  X(999, 0) = -1.0 / 3.0;
  X(500, 2) = 7.0;
  deepdot::write_libsvm(path, X, arma::vec{1, -1, 2});
  deepdot::ReadOptions o;
  o.libsvm_dimension = 1000;
  const deepdot::SparseDataset back = deepdot::read_sparse_dataset(path, o);
  CHECK(arma::approx_equal(arma::mat(back.X), arma::mat(X), "absdiff", 0.0));
  CHECK(arma::approx_equal(back.y, arma::vec{1, -1, 2}, "absdiff", 0.0));
  CHECK_THROWS_AS(deepdot::write_libsvm(path, X, arma::vec{1}), std::invalid_argument);
  std::remove(path.c_str());
  ::rmdir(dir);
}

namespace {

std::string npz(const char* name) { return std::string(DEEPDOT_TEST_DATA) + "/npz/" + name; }

std::string npz_error(const char* name, deepdot::ReadOptions opts = {}) {
  try {
    deepdot::read_sparse_dataset(npz(name), opts);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("scipy.sparse.save_npz files (CSR, CSC, deflated or stored) read into compressed columns") {
  // tests/data/npz/make_npz.py: 3 points x 6 features.
  arma::mat expected(6, 3, arma::fill::zeros);
  expected(0, 0) = 0.5;
  expected(3, 0) = -2.0;
  expected(1, 1) = 3.0;
  expected(5, 1) = 1e-3;
  for (const char* name : {"good_csr.npz", "good_csr_stored.npz", "good_csc.npz"}) {
    INFO(name);
    const deepdot::SparseDataset s = deepdot::read_sparse_dataset(npz(name));
    REQUIRE(s.X.n_rows == 6);
    REQUIRE(s.X.n_cols == 3);
    CHECK(s.X.n_nonzero == 4);
    CHECK(arma::approx_equal(arma::mat(s.X), expected, "absdiff", 0.0));
    CHECK_FALSE(s.has_labels);
    CHECK(contains(s.description, "npz"));
  }
  deepdot::ReadOptions o;
  o.libsvm_dimension = 6;
  CHECK(deepdot::read_sparse_dataset(npz("good_csr.npz"), o).X.n_rows == 6);
  o.libsvm_dimension = 7;
  const std::string e = npz_error("good_csr.npz", o);
  CHECK(contains(e, "good_csr.npz"));
  CHECK(contains(e, "d = 6"));
  CHECK(contains(e, "d = 7"));
}

TEST_CASE("bad npz files: errors name the file and the array") {
  struct Case {
    const char* file;
    const char* part;
  };
  const Case cases[] = {{"bad_unsorted.npz", "'indices' is unsorted or repeated in row 0"},
                        {"bad_no_indptr.npz", "no array 'indptr.npy'"},
                        {"bad_index.npz", "array 'indices'[3] = 6 is beyond 6"},
                        {"bad_coo.npz", "not 'csr' or 'csc'"},
                        {"bad_truncated.npz", "npz file"}};
  for (const Case& c : cases) {
    const std::string e = npz_error(c.file);
    INFO(std::string(c.file), ": ", e);
    CHECK(contains(e, c.file));
    CHECK(contains(e, c.part));
  }
}
