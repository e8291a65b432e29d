// SPDX-License-Identifier: MIT
#include <deepdot/io/dataset.hpp>

#include <doctest/doctest.h>

#include <zlib.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef DEEPDOT_TEST_DATA
#error "DEEPDOT_TEST_DATA (the tests/data directory) must be defined by the build"
#endif

namespace {

const std::string kData = DEEPDOT_TEST_DATA;

/// A fresh temporary directory, removed with its files at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/deepdot_dataset_XXXXXX";
    const char* p = mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    if (DIR* d = opendir(path.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") std::remove((path + "/" + n).c_str());
      }
      closedir(d);
    }
    rmdir(path.c_str());
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(file(name), std::ios::binary) << bytes;
    return file(name);
  }
  std::string write_gz(const std::string& name, const std::string& bytes) const {
    gzFile g = gzopen(file(name).c_str(), "wb");
    REQUIRE(g != nullptr);
    if (!bytes.empty()) gzwrite(g, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(g);
    return file(name);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    if (DIR* d = opendir(path.c_str())) {
      while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') out.push_back(e->d_name);
      closedir(d);
    }
    return out;
  }
};

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  REQUIRE_MESSAGE(d != nullptr, "cannot list ", dir);
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

template <typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

deepdot::ReadOptions csv_opts(const std::string& label_column, const std::string& header = "auto") {
  deepdot::ReadOptions o;
  o.csv_label_column = label_column;
  o.csv_header = header;
  return o;
}

arma::mat test_matrix() {
  arma::mat X = {{0.1, -2.5, 3.0, 1e-300, 7.0},
                 {1.0 / 3.0, 0.0, -0.0, 4e20, 5.5},
                 {std::numeric_limits<double>::denorm_min(), 2.0, -1.0, 6.0, 1.0}};
  return X;  // d = 3, n = 5
}

}  // namespace

TEST_CASE("dataset: write_npy then read gives X back bit for bit (float64, float32, labels)") {
  TempDir dir;
  const arma::mat X = test_matrix();
  deepdot::write_npy(dir.file("x.npy"), X);
  const deepdot::Dataset ds = deepdot::read_dataset(dir.file("x.npy"));
  REQUIRE(ds.X.n_rows == 3);
  REQUIRE(ds.X.n_cols == 5);
  CHECK(arma::approx_equal(ds.X, X, "absdiff", 0.0));
  CHECK_FALSE(ds.has_labels);
  CHECK(has(ds.description, "shape (5, 3)"));
  // The header is what NumPy writes: v1.0, data aligned on 64 bytes.
  const std::string raw = slurp(dir.file("x.npy"));
  CHECK(raw.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  CHECK(has(raw, "{'descr': '<f8', 'fortran_order': False, 'shape': (5, 3), }"));
  CHECK((raw.size() - 5 * 3 * 8) % 64 == 0);

  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  deepdot::write_npy(dir.file("xf.npy"), Xf);
  CHECK(arma::approx_equal(deepdot::read_dataset(dir.file("xf.npy")).X, arma::conv_to<arma::mat>::from(Xf),
                           "absdiff", 0.0));

  const arma::vec y = {3.0, -1.0, 0.5, 2.0, 7.0};
  deepdot::write_npy(dir.file("y.npy"), y);
  CHECK(has(slurp(dir.file("y.npy")), "'shape': (5,)"));
  CHECK(arma::approx_equal(deepdot::read_labels(dir.file("y.npy")), y, "absdiff", 0.0));
  deepdot::ReadOptions o;
  o.labels_path = dir.file("y.npy");
  const deepdot::Dataset both = deepdot::read_dataset(dir.file("x.npy"), o);
  CHECK(both.has_labels);
  CHECK(arma::approx_equal(both.y, y, "absdiff", 0.0));
  // No temporary files are left behind.
  CHECK(dir.entries().size() == 3);
}

TEST_CASE("dataset: write_csv then read gives X and y back exactly") {
  TempDir dir;
  const arma::mat X = test_matrix();
  const arma::vec y = {0, 1, 1, 2, 0};
  deepdot::write_csv(dir.file("d.csv"), X, y);
  const deepdot::Dataset ds = deepdot::read_dataset(dir.file("d.csv"));
  CHECK(slurp(dir.file("d.csv")).substr(0, 15) == "x1,x2,x3,label\n");
  CHECK(arma::approx_equal(ds.X, X, "absdiff", 0.0));
  REQUIRE(ds.has_labels);
  CHECK(arma::approx_equal(ds.y, y, "absdiff", 0.0));
  CHECK(ds.label_names.empty());
  // Without labels and header: read back with no label column.
  deepdot::write_csv(dir.file("n.csv"), X, arma::vec(), false);
  const deepdot::Dataset nl = deepdot::read_dataset(dir.file("n.csv"), csv_opts("none"));
  CHECK(arma::approx_equal(nl.X, X, "absdiff", 0.0));
  CHECK_FALSE(nl.has_labels);
  CHECK(has(message_of([&] { deepdot::write_csv(dir.file("bad.csv"), X, arma::vec(3)); }), "3 labels for 5"));
  CHECK(dir.entries().size() == 2);
  // A write into a missing directory fails without leaving anything.
  CHECK_THROWS_AS(deepdot::write_npy(dir.file("no/such/dir.npy"), X), std::invalid_argument);
}

TEST_CASE("dataset: LIBSVM text read equals the dense matrix") {
  TempDir dir;
  arma::mat X(6, 4, arma::fill::zeros);
  X(0, 0) = 1.5;
  X(5, 0) = -2;
  X(2, 1) = 1e-5;
  X(3, 3) = 42;
  const arma::vec y = {1, -1, 3.5, 0};
  std::ostringstream text;
  text.precision(17);
  text << "# written by the test\n";
  for (arma::uword i = 0; i < X.n_cols; ++i) {
    text << y[i];
    for (arma::uword j = 0; j < X.n_rows; ++j)
      if (X(j, i) != 0) text << ' ' << j + 1 << ':' << X(j, i);
    text << "   \n";
  }
  const std::string path = dir.write("d.svm", text.str());
  deepdot::ReadOptions o;
  o.libsvm_dimension = 6;  // the last feature is zero in the last point: d comes from the option
  deepdot::Dataset ds = deepdot::read_dataset(path, o);
  CHECK(arma::approx_equal(ds.X, X, "absdiff", 0.0));
  CHECK(arma::approx_equal(ds.y, y, "absdiff", 0.0));
  // Without the option, d is the largest index (6 here).
  CHECK(deepdot::read_dataset(path).X.n_rows == 6);
  o.libsvm_dimension = 4;
  CHECK(has(message_of([&] { deepdot::read_dataset(path, o); }), "line 2: token '6:-2': index 6 is beyond"));
  // Found by content with an unknown extension, and gzipped.
  const std::string gz = dir.write_gz("d.data.gz", text.str());
  ds = deepdot::read_dataset(gz);
  CHECK(arma::approx_equal(ds.X, X, "absdiff", 0.0));
  CHECK(has(ds.description, "LIBSVM"));
  // max_points stops early.
  deepdot::ReadOptions m;
  m.max_points = 2;
  CHECK(deepdot::read_dataset(path, m).X.n_cols == 2);
}

TEST_CASE("dataset: LIBSVM zero-based files, qid tokens and comments") {
  TempDir dir;
  const std::string p = dir.write("z.libsvm", "1 0:1 2:3\n0 qid:7 1:2 # note\n");
  CHECK(has(message_of([&] { deepdot::read_dataset(p); }), "line 1: token '0:1': index 0, but LIBSVM indices start at 1"));
  deepdot::ReadOptions o;
  o.libsvm_zero_based = true;
  const deepdot::Dataset ds = deepdot::read_dataset(p, o);
  const arma::mat expected = {{1, 0}, {0, 2}, {3, 0}};
  CHECK(arma::approx_equal(ds.X, expected, "absdiff", 0.0));
  const deepdot::Dataset good = deepdot::read_dataset(kData + "/good/small.libsvm");
  CHECK(good.X.n_rows == 4);
  CHECK(good.X.n_cols == 3);
  CHECK(good.X(2, 0) == -2.0);
  CHECK(good.X(1, 1) == 1e-3);
  CHECK(arma::approx_equal(good.y, arma::vec{1, -1, 2.5}, "absdiff", 0.0));
}

TEST_CASE("dataset: CSV header detection, label columns, delimiters, text labels") {
  // Header with a named text label column: auto finds nothing named 'label', takes the last.
  const deepdot::Dataset iris = deepdot::read_dataset(kData + "/good/iris-mini.csv");
  CHECK(iris.X.n_rows == 4);
  CHECK(iris.X.n_cols == 4);
  CHECK(iris.X(0, 0) == 5.1);
  REQUIRE(iris.label_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
  CHECK(arma::approx_equal(iris.y, arma::vec{0, 0, 1, 2}, "absdiff", 0.0));
  CHECK(has(iris.description, "labels from column 5 ('species')"));
  // A named column, and a numbered one: with petal_width as the label, the text column is a feature.
  CHECK(has(message_of([] { deepdot::read_dataset(kData + "/good/iris-mini.csv", csv_opts("petal_width")); }),
            "line 2: column 5 ('species'): value 'setosa' is not a number"));
  const deepdot::Dataset numbered = deepdot::read_dataset(kData + "/good/iris-mini.csv", csv_opts("5"));
  CHECK(numbered.label_names.size() == 3);
  CHECK(arma::approx_equal(numbered.X, iris.X, "absdiff", 0.0));
  CHECK(has(message_of([] { deepdot::read_dataset(kData + "/good/iris-mini.csv", csv_opts("colour")); }),
            "label column 'colour' is not in the header"));

  // No header, ';' delimiter, label first.
  const deepdot::Dataset semi = deepdot::read_dataset(kData + "/good/semicolon-no-header.csv", csv_opts("first"));
  CHECK(semi.X.n_rows == 2);
  CHECK(semi.X.n_cols == 3);
  CHECK(arma::approx_equal(semi.y, arma::vec{1, 0, 1}, "absdiff", 0.0));
  CHECK(semi.X(1, 2) == 400.0);
  CHECK(has(semi.description, "no header, delimiter ';'"));

  // pandas' default to_csv: an unnamed index column (skipped) and integer column names.
  const deepdot::Dataset pd = deepdot::read_dataset(kData + "/good/pandas-index.csv", csv_opts("none"));
  CHECK(pd.X.n_rows == 3);
  CHECK(pd.X.n_cols == 2);
  CHECK(pd.X(2, 1) == 6.0);

  // Quotes, a UTF-8 byte-order mark, CRLF line ends, a column named 'label'.
  const deepdot::Dataset q = deepdot::read_dataset(kData + "/good/quoted-crlf.csv");
  CHECK(q.X.n_rows == 2);
  CHECK(arma::approx_equal(q.y, arma::vec{0, 1}, "absdiff", 0.0));

  // Whitespace-separated (numpy.savetxt).
  const deepdot::Dataset sp = deepdot::read_dataset(kData + "/good/savetxt.txt");
  CHECK(sp.X.n_rows == 2);
  CHECK(sp.X(1, 1) == 4.0);
  CHECK(arma::approx_equal(sp.y, arma::vec{0, 1}, "absdiff", 0.0));

  // Forcing the header decision.
  TempDir dir;
  const std::string p = dir.write("h.csv", "1,2,3\n4,5,6\n");
  CHECK(deepdot::read_dataset(p, csv_opts("none")).X.n_cols == 2);
  CHECK(deepdot::read_dataset(p, csv_opts("none", "yes")).X.n_cols == 1);
  // Tab delimiter, label 'class' found by name in any case.
  const deepdot::Dataset tab = deepdot::read_dataset(dir.write("t.tsv", "Class\tx\ny\t1\nn\t2\n"));
  CHECK(tab.label_names == std::vector<std::string>{"n", "y"});
  CHECK(arma::approx_equal(tab.y, arma::vec{1, 0}, "absdiff", 0.0));
  // A label column name without a header row (found by fuzzing: the message read past the names).
  CHECK(has(message_of([&] { deepdot::read_dataset(p, csv_opts("label", "no")); }),
            "label column 'label' is not a column number and the file has no header row"));
  // max_points.
  deepdot::ReadOptions mp = csv_opts("last");
  mp.max_points = 1;
  CHECK(deepdot::read_dataset(kData + "/good/iris-mini.csv", mp).X.n_cols == 1);
}

TEST_CASE("dataset: NPY dtypes, Fortran order, 3-D arrays, labels") {
  const arma::mat expected = {{0.5, 1e-3, 8.0}, {-1.25, 2.5e10, 9.5}, {3.0, -0.0, 10.0}, {4.0, 7.0, 11.0}};
  const deepdot::Dataset c = deepdot::read_dataset(kData + "/good/c-order-f8.npy");
  CHECK(arma::approx_equal(c.X, expected, "absdiff", 0.0));
  const deepdot::Dataset f = deepdot::read_dataset(kData + "/good/fortran-f4.npy");
  CHECK(arma::approx_equal(f.X, expected, "reldiff", 1e-7));
  CHECK(has(f.description, "Fortran order"));
  const deepdot::Dataset u = deepdot::read_dataset(kData + "/good/u1-3d.npy");
  REQUIRE(u.X.n_rows == 6);
  REQUIRE(u.X.n_cols == 2);
  for (arma::uword i = 0; i < 12; ++i) CHECK(u.X[i] == static_cast<double>(i));
  CHECK(arma::approx_equal(deepdot::read_labels(kData + "/good/labels-i8.npy"), arma::vec{0, 2, -1}, "absdiff", 0.0));
  CHECK(deepdot::read_dataset(kData + "/good/v2-header.npy").X.n_rows == 2);

  // A Fortran-order 3-D array gives the same X as the C-order one.
  TempDir dir;
  auto npy = [](const std::string& header, const std::string& data) {
    std::string h = header;
    while ((10 + h.size() + 1) % 64 != 0) h += ' ';
    h += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(h.size());
    out += '\0';
    return out + h + data;
  };
  std::string cdata, fdata;
  for (int i = 0; i < 24; ++i) cdata += static_cast<char>(i);
  // shape (2, 3, 4): Fortran element (i, j, k) sits at i + 2 j + 6 k.
  fdata.resize(24);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) fdata[static_cast<std::size_t>(i + 2 * j + 6 * k)] = static_cast<char>(12 * i + 4 * j + k);
  const auto a = deepdot::read_dataset(dir.write("c.npy", npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 4), }", cdata)));
  const auto b = deepdot::read_dataset(dir.write("f.npy", npy("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3, 4), }", fdata)));
  CHECK(arma::approx_equal(a.X, b.X, "absdiff", 0.0));
  // Gzipped .npy reads too.
  const auto g = deepdot::read_dataset(dir.write_gz("g.npy.gz", slurp(kData + "/good/c-order-f8.npy")));
  CHECK(arma::approx_equal(g.X, expected, "absdiff", 0.0));
  // max_points on C order.
  deepdot::ReadOptions o;
  o.max_points = 2;
  CHECK(deepdot::read_dataset(kData + "/good/c-order-f8.npy", o).X.n_cols == 2);
}

TEST_CASE("dataset: IDX images with paired labels, gzipped or not") {
  const deepdot::Dataset ds = deepdot::read_dataset(kData + "/good/tiny-images-idx3-ubyte.gz");
  REQUIRE(ds.X.n_rows == 6);
  REQUIRE(ds.X.n_cols == 5);
  CHECK(ds.X(1, 0) == 7.0);
  REQUIRE(ds.has_labels);
  CHECK(arma::approx_equal(ds.y, arma::vec{0, 1, 2, 3, 4}, "absdiff", 0.0));
  CHECK(has(ds.description, "paired by name"));
  // No sibling: no labels; an explicit labels file of the wrong length is an error.
  const deepdot::Dataset plain = deepdot::read_dataset(kData + "/good/plain-images-idx3-ubyte");
  CHECK(plain.X.n_cols == 3);
  CHECK_FALSE(plain.has_labels);
  deepdot::ReadOptions o;
  o.labels_path = kData + "/good/tiny-labels-idx1-ubyte.gz";
  CHECK(has(message_of([&] { deepdot::read_dataset(kData + "/good/plain-images-idx3-ubyte", o); }),
            "holds 5 labels but"));
  // Text labels for an IDX file.
  o.labels_path = kData + "/good/labels-text.txt";
  const deepdot::Dataset t = deepdot::read_dataset(kData + "/good/plain-images-idx3-ubyte", o);
  CHECK(t.label_names == std::vector<std::string>{"cat", "dog"});
  CHECK(arma::approx_equal(t.y, arma::vec{0, 1, 0}, "absdiff", 0.0));
}

TEST_CASE("dataset: every good file reads") {
  for (const std::string& name : list_dir(kData + "/good")) {
    INFO(name);
    if (has(name, "labels")) {
      CHECK(deepdot::read_labels(kData + "/good/" + name).n_elem > 0);
      continue;
    }
    deepdot::Dataset ds;
    CHECK_NOTHROW(ds = deepdot::read_dataset(kData + "/good/" + name));
    CHECK(ds.X.n_elem > 0);
    CHECK(ds.X.is_finite());
    if (ds.has_labels) CHECK(ds.y.n_elem == ds.X.n_cols);
  }
}

TEST_CASE("dataset: every broken file is rejected naming the file and a line or byte offset") {
  const std::vector<std::string> names = list_dir(kData + "/broken");
  CHECK(names.size() >= 40);
  for (const std::string& name : names) {
    const std::string path = kData + "/broken/" + name;
    std::string m;
    try {
      deepdot::read_dataset(path);
      m = "(accepted)";
    } catch (const std::invalid_argument& e) {
      m = e.what();
    } catch (const std::exception& e) {
      m = std::string("(wrong exception type) ") + e.what();
    }
    INFO(name, ": ", m);
    CHECK(has(m, "'" + path + "'"));
    CHECK((has(m, ": line ") || has(m, "at byte offset ")));
  }
}

TEST_CASE("dataset: the messages say what is wrong") {
  auto msg = [](const std::string& name) {
    return message_of([&] { deepdot::read_dataset(kData + "/broken/" + name); });
  };
  CHECK(has(msg("ragged.csv"), "line 3: this line has 2 fields, line 1 has 3"));
  CHECK(has(msg("missing-value-na.csv"), "line 3: column 2 ('b'): missing value 'NA'"));
  CHECK(has(msg("missing-value-empty.csv"), "line 2: column 2: missing value (empty field)"));
  CHECK(has(msg("missing-value-question.csv"), "missing value '?'"));
  CHECK(has(msg("missing-label.csv"), "line 3: column 3 ('label'): missing label"));
  CHECK(has(msg("nan.csv"), "line 2: column 2 ('b'): value 'nan' is not finite"));
  CHECK(has(msg("inf.csv"), "value '-inf' is not finite"));
  CHECK(has(msg("decimal-comma.csv"), "decimal comma"));
  CHECK(has(msg("latin1.csv"), "line 3: byte 0xE9 at column 4 is not valid UTF-8"));
  CHECK(has(msg("utf16.csv"), "UTF-16"));
  CHECK(has(msg("empty.csv"), "at byte offset 0: the file is empty"));
  CHECK(has(msg("header-only.csv"), "no data rows"));
  CHECK(has(msg("nan.libsvm"), "line 2: token '2:nan'"));
  CHECK(has(msg("huge-index.libsvm"), "index 1000000000000000 exceeds the largest dimension"));
  CHECK(has(msg("negative-index.libsvm"), "negative feature index '-3'"));
  CHECK(has(msg("missing-label.libsvm"), "line 2: the line starts with '2:1' instead of a label"));
  CHECK(has(msg("unordered.libsvm"), "indices must increase"));
  CHECK(has(msg("truncated.npy"), "the header claims shape (3, 4) of <f8, 96 bytes, but only 40 bytes follow"));
  CHECK(has(msg("absurd-shape.npy"), "(1000000000000, 1000000000000)"));
  CHECK(has(msg("big-endian.npy"), "big-endian"));
  CHECK(has(msg("object.npy"), "object array"));
  CHECK(has(msg("nan.npy"), "element 1 (point 0, feature 1) is NaN"));
  CHECK(has(msg("nan.npy"), "at byte offset 136"));
  CHECK(has(msg("wrong-dims.npy"), "trailing"));
  CHECK(has(msg("wrong-magic.npy"), "at byte offset 0: not a .npy file"));
  CHECK(has(msg("one-dimensional.npy"), "labels file"));
  CHECK(has(msg("absurd-dims-images-idx3-ubyte"), "can hold"));
  CHECK(has(msg("truncated-images-idx3-ubyte.gz"), "of the decompressed data"));
  CHECK(has(msg("labels-as-images-idx3-ubyte"), "an IDX label file"));
  CHECK(has(msg("truncated-gzip.csv.gz"), "gzip stream is truncated"));
}

/// A .npy file (format 1.0, C order) of n x d little-endian floats of `Float`.
template <typename Float>
std::string npy_bytes(arma::uword n, arma::uword d, const std::vector<Float>& values) {
  std::string header = std::string("{'descr': '<f") + char('0' + sizeof(Float)) + "', 'fortran_order': False, 'shape': (" +
                       std::to_string(n) + ", " + std::to_string(d) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(Float));
  return out;
}

TEST_CASE("dataset: NPY floats in C order are read whole, in float32 and float64, plain and gzip") {
  TempDir dir;
  // 3 points x 200000 features: more than one 1 MiB read chunk per array.
  const arma::uword n = 3, d = 200000;
  std::vector<double> v8(n * d);
  std::vector<float> v4(n * d);
  for (std::size_t k = 0; k < v8.size(); ++k) v4[k] = static_cast<float>(v8[k] = 0.25 * double(k % 977) - 7.0);
  const deepdot::Dataset a = deepdot::read_dataset(dir.write("a.npy", npy_bytes(n, d, v8)));
  const deepdot::Dataset b = deepdot::read_dataset(dir.write_gz("b.npy.gz", npy_bytes(n, d, v4)));
  REQUIRE(a.X.n_rows == d);
  REQUIRE(a.X.n_cols == n);
  REQUIRE(b.X.n_cols == n);
  CHECK(std::equal(v8.begin(), v8.end(), a.X.begin()));
  CHECK(arma::approx_equal(a.X, b.X, "absdiff", 0.0));  // the values are exact in float
  // A non-finite value is named by its position, past the first chunk as well.
  v8[2 * d + 5] = std::numeric_limits<double>::infinity();
  CHECK(has(message_of([&] { deepdot::read_dataset(dir.write("inf.npy", npy_bytes(n, d, v8))); }),
            "element 400005 (point 2, feature 5) is infinite"));
  v4[d + 1] = std::numeric_limits<float>::quiet_NaN();
  const std::string bytes = npy_bytes(n, d, v4);
  const std::string nan_message = message_of([&] { deepdot::read_dataset(dir.write("nan4.npy", bytes)); });
  CHECK(has(nan_message, "element 200001 (point 1, feature 1) is NaN"));
  const std::size_t data_offset = bytes.size() - 4 * n * d;
  CHECK(has(nan_message, "at byte offset " + std::to_string(data_offset + 4 * (d + 1))));
}

TEST_CASE("dataset: write_npy_mapped fills the file in place, atomically") {
  TempDir dir;
  const arma::fmat X = arma::reshape(arma::regspace<arma::fvec>(0, 1, 3 * 7 - 1), 3, 7) / 8.0f;
  deepdot::write_npy_mapped(dir.file("m.npy"), 3, 7, [&](arma::fmat& Z) {
    REQUIRE(Z.n_rows == 3);
    REQUIRE(Z.n_cols == 7);
    CHECK(arma::all(arma::vectorise(Z) == 0.0f));  // a fresh file reads as zeros
    Z = X;
  });
  const deepdot::Dataset back = deepdot::read_dataset(dir.file("m.npy"));
  CHECK(has(back.description, "<f4"));
  CHECK(arma::approx_equal(back.X, arma::conv_to<arma::mat>::from(X), "absdiff", 0.0));
  // Byte for byte what write_npy() writes.
  deepdot::write_npy(dir.file("w.npy"), X);
  auto slurp = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  CHECK(slurp(dir.file("m.npy")) == slurp(dir.file("w.npy")));
  // A failing fill() leaves the old file and no temporary behind.
  CHECK_THROWS_WITH_AS(deepdot::write_npy_mapped(dir.file("m.npy"), 3, 7,
                                                 [](arma::fmat&) { throw std::runtime_error("fill failed"); }),
                       "fill failed", std::runtime_error);
  CHECK(slurp(dir.file("m.npy")) == slurp(dir.file("w.npy")));
  CHECK(dir.entries().size() == 2);
  CHECK_THROWS_WITH_AS(deepdot::write_npy_mapped(dir.file("no/such/dir.npy"), 3, 7, [](arma::fmat&) {}),
                       doctest::Contains("cannot create a file next to"), std::invalid_argument);
}

TEST_CASE("dataset: missing files, directories and options") {
  TempDir dir;
  CHECK(has(message_of([&] { deepdot::read_dataset(dir.file("none.csv")); }), "cannot open it"));
  CHECK(has(message_of([&] { deepdot::read_dataset(dir.path); }), "it is a directory"));
  deepdot::ReadOptions o;
  o.format = "xls";
  CHECK(has(message_of([&] { deepdot::read_dataset(kData + "/good/small.libsvm", o); }), "unknown format 'xls'"));
  o = deepdot::ReadOptions();
  o.format = "csv";  // a LIBSVM file forced to CSV: a clear complaint, not garbage
  CHECK(has(message_of([&] { deepdot::read_dataset(kData + "/good/small.libsvm", o); }), "line 2"));
  // A dense cap stops sparse files that would explode.
  o = deepdot::ReadOptions();
  o.max_dense_bytes = 1000;
  const std::string p = dir.write("big.libsvm", "1 100000:1\n");
  CHECK(has(message_of([&] { deepdot::read_dataset(p, o); }), "line 1: the data would make a dense 100000 x 1"));
  // parse_dataset reads memory.
  const deepdot::Dataset m = deepdot::parse_dataset("1,2,3\n4,5,6\n", "mem.csv");
  CHECK(m.X.n_rows == 2);
  CHECK(m.source == "mem.csv");
  CHECK(has(message_of([] { deepdot::parse_dataset("1,2\n3\n", "mem.csv"); }), "'mem.csv': line 2"));
}

TEST_CASE("dataset: a LIBSVM file cannot imply more than 2^20 features without the dimension set") {
  // 13 bytes that would otherwise ask for a dense 10^8 x 1 matrix (800 MB).
  const std::string tiny = "1 99999999:1\n";
  const std::string msg = message_of([&] { deepdot::parse_dataset(tiny, "tiny.libsvm"); });
  CHECK(has(msg, "tiny.libsvm"));
  CHECK(has(msg, "line 1"));
  CHECK(has(msg, "99999999"));
  CHECK(has(msg, "1048576"));
  CHECK(has(msg, "libsvm_dimension"));
  // At the limit it reads; one past it needs the dimension, which then allows it.
  const std::string at = "1 1048576:0.5\n-1 1:0.5\n", past = "1 1048577:0.5\n-1 1:0.5\n";
  CHECK(deepdot::parse_dataset(at, "at.libsvm").X.n_rows == 1048576);
  CHECK(has(message_of([&] { deepdot::parse_dataset(past, "past.libsvm"); }), "1048577"));
  deepdot::ReadOptions o;
  o.libsvm_dimension = 1048577;
  CHECK(deepdot::parse_dataset(past, "past.libsvm", o).X.n_rows == 1048577);
  o.libsvm_dimension = 3;
  CHECK(has(message_of([&] { deepdot::parse_dataset(past, "past.libsvm", o); }), "beyond the dimension 3"));
  // Zero-based files obey the same limit (index 2^20 is feature 2^20 + 1).
  deepdot::ReadOptions z;
  z.libsvm_zero_based = true;
  CHECK(has(message_of([&] { deepdot::parse_dataset("1 1048576:1\n", "z.libsvm", z); }), "1048576"));
}

TEST_CASE("dataset: a dense matrix that does not fit in memory is refused before it is allocated") {
  // With the dimension set, 2^26 features x 2^16 points (32 TiB) pass max_dense_bytes raised to the maximum
  // but not the memory check, which runs once before X is allocated.
  deepdot::ReadOptions o;
  o.libsvm_dimension = std::uint64_t(1) << 26;
  o.max_dense_bytes = ~std::uint64_t(0);
  std::string lines;
  for (int i = 0; i < (1 << 16); ++i) lines += "1 1:0.5\n";
  const std::string msg = message_of([&] { deepdot::parse_dataset(lines, "wide.libsvm", o); });
  CHECK(has(msg, "wide.libsvm"));
  CHECK(has(msg, "67108864 x 65536 matrix of doubles needs"));
  CHECK(has(msg, "memory"));
}

TEST_CASE("dataset: FIFOs and devices are not data files") {
  CHECK(has(message_of([] { deepdot::read_dataset("/dev/zero"); }), "not a regular file"));
  char tmpl[] = "/tmp/deepdot_fifo_XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string fifo = std::string(tmpl) + "/data.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(has(message_of([&] { deepdot::read_dataset(fifo); }), "not a regular file"));  // no blocking open
  ::unlink(fifo.c_str());
  ::rmdir(tmpl);
}
