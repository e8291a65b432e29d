#include <deepdot/idx.hpp>

#include <doctest/doctest.h>

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Bytes = std::vector<unsigned char>;

void put_be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>((v >> s) & 0xFF));
}

/// An IDX image file: n images of rows x cols, pixel (i, p) = (7 i + p) % 256.
Bytes image_file(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  Bytes b;
  put_be32(b, 0x00000803);
  put_be32(b, n);
  put_be32(b, rows);
  put_be32(b, cols);
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t p = 0; p < rows * cols; ++p) b.push_back(static_cast<unsigned char>((7 * i + p) % 256));
  return b;
}

Bytes label_file(std::uint32_t n) {
  Bytes b;
  put_be32(b, 0x00000801);
  put_be32(b, n);
  for (std::uint32_t i = 0; i < n; ++i) b.push_back(static_cast<unsigned char>(i % 10));
  return b;
}

/// A fresh temporary directory, removed (with its files) at scope exit.
struct TempDir {
  std::string path;
  std::vector<std::string> files;
  TempDir() {
    char tmpl[] = "/tmp/deepdot_idx_XXXXXX";
    const char* p = mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    for (const auto& f : files) std::remove(f.c_str());
    rmdir(path.c_str());
  }
  std::string write(const std::string& name, const Bytes& b) {
    const std::string f = path + "/" + name;
    std::ofstream out(f, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    files.push_back(f);
    return f;
  }
  std::string write_gz(const std::string& name, const Bytes& b) {
    const std::string f = path + "/" + name;
    gzFile g = gzopen(f.c_str(), "wb");
    REQUIRE(g != nullptr);
    if (!b.empty()) REQUIRE(gzwrite(g, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
    gzclose(g);
    files.push_back(f);
    return f;
  }
};

template <typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

void check_images(const arma::mat& X, arma::uword n, arma::uword d) {
  REQUIRE(X.n_rows == d);
  REQUIRE(X.n_cols == n);
  arma::mat expected(d, n);
  for (arma::uword i = 0; i < n; ++i)
    for (arma::uword p = 0; p < d; ++p) expected(p, i) = static_cast<double>((7 * i + p) % 256);
  CHECK(arma::approx_equal(X, expected, "absdiff", 0.0));
}

}  // namespace

TEST_CASE("idx: plain and gzipped files read back, with and without a count limit") {
  TempDir dir;
  const Bytes img = image_file(12, 3, 5), lab = label_file(12);
  for (bool gz : {false, true}) {
    INFO("gzip ", gz);
    const std::string fi = gz ? dir.write_gz("img.gz", img) : dir.write("img", img);
    const std::string fl = gz ? dir.write_gz("lab.gz", lab) : dir.write("lab", lab);
    check_images(deepdot::read_idx_images(fi), 12, 15);
    check_images(deepdot::read_idx_images(fi, 5), 5, 15);
    check_images(deepdot::read_idx_images(fi, 100), 12, 15);
    check_images(deepdot::read_idx_images(fi, 0), 0, 15);
    const arma::ivec y = deepdot::read_idx_labels(fl);
    REQUIRE(y.n_elem == 12);
    for (arma::uword i = 0; i < 12; ++i) CHECK(y[i] == static_cast<arma::sword>(i % 10));
    CHECK(deepdot::read_idx_labels(fl, 3).n_elem == 3);
  }
  // A larger gzipped file crosses the reader's internal chunk size.
  const Bytes big = image_file(300, 100, 150);
  check_images(deepdot::read_idx_images(dir.write_gz("big.gz", big)), 300, 15000);
}

TEST_CASE("idx: broken files are rejected with the file, the offset and the problem") {
  TempDir dir;
  const Bytes img = image_file(4, 2, 3);
  for (bool gz : {false, true}) {
    INFO("gzip ", gz);
    auto write = [&](const std::string& name, const Bytes& b) {
      return gz ? dir.write_gz(name + ".gz", b) : dir.write(name, b);
    };
    // Truncated data.
    Bytes cut(img.begin(), img.end() - 1);
    const std::string f1 = write("cut", cut);
    std::string m = message_of([&] { deepdot::read_idx_images(f1); });
    CHECK(m.find(f1) != std::string::npos);
    CHECK(m.find("truncated") != std::string::npos);
    CHECK(m.find("byte offset") != std::string::npos);
    // ... but the first 3 images are all there.
    CHECK(deepdot::read_idx_images(f1, 3).n_cols == 3);
    // Truncated header.
    const std::string f2 = write("hdr", Bytes(img.begin(), img.begin() + 10));
    m = message_of([&] { deepdot::read_idx_images(f2); });
    CHECK(m.find("truncated while reading dimension 1") != std::string::npos);
    CHECK(m.find("from offset 8") != std::string::npos);
    // Wrong magic: a label file read as images, and garbage.
    const std::string f3 = write("lab", label_file(4));
    m = message_of([&] { deepdot::read_idx_images(f3); });
    CHECK(m.find("wrong magic number 0x00000801 (an IDX label file)") != std::string::npos);
    CHECK(m.find("byte offset 0") != std::string::npos);
    const std::string f4 = write("garbage", Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!'});
    CHECK(message_of([&] { deepdot::read_idx_labels(f4); }).find("wrong magic number 0x68656C6C") != std::string::npos);
    // Unsupported element type (0x0D = float).
    Bytes floats = img;
    floats[2] = 0x0D;
    const std::string f5 = write("float", floats);
    CHECK(message_of([&] { deepdot::read_idx_images(f5); }).find("only unsigned bytes") != std::string::npos);
    // Dimensions far larger than the data: rejected before any allocation.
    Bytes huge = img;
    huge[4] = 0x7F;  // n = 0x7F000004 images
    const std::string f6 = write("huge", huge);
    m = message_of([&] { deepdot::read_idx_images(f6); });
    CHECK((m.find("can hold") != std::string::npos || m.find("truncated") != std::string::npos));
    CHECK(message_of([&] { deepdot::read_idx_images(f6, 2); }).empty());  // the first images are fine
    // A zero image dimension.
    Bytes zero = img;
    zero[11] = 0;
    CHECK(message_of([&] { deepdot::read_idx_images(write("zero", zero)); }).find("dimension is zero") !=
          std::string::npos);
    // Trailing bytes after the promised data.
    Bytes extra = img;
    extra.push_back(1);
    CHECK(message_of([&] { deepdot::read_idx_images(write("extra", extra)); }).find("trailing") !=
          std::string::npos);
    // Empty file.
    CHECK(message_of([&] { deepdot::read_idx_labels(write("empty", Bytes{})); }).find("truncated") !=
          std::string::npos);
  }
  // A corrupt gzip stream (valid gzip header, damaged deflate data).
  Bytes gzbytes;
  {
    const std::string f = dir.write_gz("ok.gz", image_file(50, 10, 10));
    std::ifstream in(f, std::ios::binary);
    gzbytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  for (std::size_t i = 12; i < gzbytes.size() - 8; ++i) gzbytes[i] ^= 0x5A;
  const std::string bad = dir.write("bad.gz", gzbytes);
  CHECK(message_of([&] { deepdot::read_idx_images(bad); }).find(bad) != std::string::npos);
  // Missing file.
  CHECK(message_of([&] { deepdot::read_idx_images(dir.path + "/none"); }).find("cannot open") != std::string::npos);
}

TEST_CASE("idx: load_fashion_mnist from a directory, the environment, and with files missing") {
  TempDir dir;
  // A tiny fake data set in the expected layout: 28 x 28 images, labels 0..9.
  dir.write_gz("t10k-images-idx3-ubyte.gz", image_file(20, 28, 28));
  dir.write("t10k-labels-idx1-ubyte", label_file(20));
  const auto test = deepdot::load_fashion_mnist("test", 7, dir.path);
  CHECK(test.images.n_rows == 784);
  CHECK(test.images.n_cols == 7);
  CHECK(test.labels.n_elem == 7);

  std::string m = message_of([&] { deepdot::load_fashion_mnist("train", 5, dir.path); });
  CHECK(m.find("apt-get install dataset-fashion-mnist") != std::string::npos);
  CHECK(m.find("train-images-idx3-ubyte") != std::string::npos);
  CHECK(message_of([&] { deepdot::load_fashion_mnist("validation", 5, dir.path); }).find("\"train\" or \"test\"") !=
        std::string::npos);

  // Count mismatch between images and labels.
  dir.write("train-images-idx3-ubyte", image_file(5, 28, 28));
  dir.write("train-labels-idx1-ubyte", label_file(4));
  CHECK(message_of([&] { deepdot::load_fashion_mnist("train", deepdot::idx_all, dir.path); }).find("4 labels") !=
        std::string::npos);

  // The environment variable selects the directory when no argument is given.
  const char* old = std::getenv("DEEPDOT_FASHION_MNIST_DIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("DEEPDOT_FASHION_MNIST_DIR", dir.path.c_str(), 1);
  CHECK(deepdot::fashion_mnist_directory() == dir.path);
  CHECK(deepdot::load_fashion_mnist("test").images.n_cols == 20);
  if (old != nullptr) setenv("DEEPDOT_FASHION_MNIST_DIR", saved.c_str(), 1);
  else unsetenv("DEEPDOT_FASHION_MNIST_DIR");
}

TEST_CASE("idx: the installed Fashion-MNIST, if present") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  deepdot::LabelledImages data;
  try {
    data = deepdot::load_fashion_mnist("train", 100, dir);
  } catch (const std::invalid_argument& e) {
    MESSAGE("Fashion-MNIST not installed, skipping: ", e.what());
    return;
  }
  CHECK(data.images.n_rows == 784);
  CHECK(data.images.n_cols == 100);
  CHECK(data.images.min() >= 0.0);
  CHECK(data.images.max() <= 255.0);
  CHECK(data.images.max() > 0.0);
  CHECK(data.labels.n_elem == 100);
  CHECK(data.labels.min() >= 0);
  CHECK(data.labels.max() <= 9);
  const auto test = deepdot::load_fashion_mnist("test", 10, dir);
  CHECK(test.images.n_cols == 10);
}
