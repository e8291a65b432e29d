// SPDX-License-Identifier: MIT
// Fixtures of the IDX tests: tiny image and label files written on the fly.
#pragma once

#include <doctest/doctest.h>

#include <armadillo>
#include <zlib.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace deepdot::test_idx {

using Bytes = std::vector<unsigned char>;

inline void put_be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>((v >> s) & 0xFF));
}

/// An IDX image file: n images of rows x cols, pixel (i, p) = (7 i + p) % 256.
inline Bytes image_file(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  Bytes b;
  put_be32(b, 0x00000803);
  put_be32(b, n);
  put_be32(b, rows);
  put_be32(b, cols);
  for (std::uint32_t i = 0; i < n; ++i)
    for (std::uint32_t p = 0; p < rows * cols; ++p) b.push_back(static_cast<unsigned char>((7 * i + p) % 256));
  return b;
}

inline Bytes label_file(std::uint32_t n) {
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

inline void check_images(const arma::mat& X, arma::uword n, arma::uword d) {
  REQUIRE(X.n_rows == d);
  REQUIRE(X.n_cols == n);
  arma::mat expected(d, n);
  for (arma::uword i = 0; i < n; ++i)
    for (arma::uword p = 0; p < d; ++p) expected(p, i) = static_cast<double>((7 * i + p) % 256);
  CHECK(arma::approx_equal(X, expected, "absdiff", 0.0));
}

}  // namespace deepdot::test_idx
