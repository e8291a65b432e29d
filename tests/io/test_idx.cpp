// SPDX-License-Identifier: MIT
#include <deepdot/io/idx.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "support/idx_test_support.hpp"

using namespace deepdot::test_idx;

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
