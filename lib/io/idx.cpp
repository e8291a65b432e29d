// SPDX-License-Identifier: MIT
#include <deepdot/io/idx.hpp>

#include "io/data_formats.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace deepdot {
namespace {

using detail::ByteSource;
using detail::kMaxDeflateRatio;
using detail::kMaxDimension;

// Bytes read per call; the output buffer grows only with data that has
// actually been read.
constexpr std::size_t kChunk = std::size_t(1) << 22;

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(v));
  return buf;
}

std::uint32_t read_be32(ByteSource& src, const std::string& what) {
  unsigned char b[4];
  src.read_exact(b, 4, what);
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
}

/// Reads `bytes` bytes of payload into a buffer that grows only with data
/// actually read, so a lying header cannot trigger a huge allocation.
std::vector<unsigned char> read_payload(ByteSource& src, std::uint64_t bytes, const std::string& what) {
  std::vector<unsigned char> data;
  const std::uint64_t start = src.offset();
  while (data.size() < bytes) {
    const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(bytes - data.size(), kChunk));
    const std::size_t old = data.size();
    data.resize(old + step);
    const std::size_t got = src.read(data.data() + old, step);
    if (got < step)
      src.error("truncated while reading " + what + ": the header promises " + std::to_string(bytes) +
                " bytes from offset " + std::to_string(start) + ", the file ended after " +
                std::to_string(old + got));
  }
  return data;
}

struct IdxHeader {
  std::vector<std::uint64_t> dims;
  std::uint64_t header_bytes = 0;
};

const char* describe_magic(std::uint32_t magic) {
  switch (magic) {
    case 0x00000801: return " (an IDX label file)";
    case 0x00000803: return " (an IDX image file)";
    default: break;
  }
  if ((magic >> 16) == 0x1f8b) return " (a gzip stream inside the gzip stream?)";
  return "";
}

IdxHeader read_header(ByteSource& src, std::uint32_t expected_magic, const char* kind) {
  const std::uint32_t magic = read_be32(src, "the magic number");
  if (magic != expected_magic) {
    std::string msg = "wrong magic number " + hex32(magic) + describe_magic(magic) + ", expected " +
                      hex32(expected_magic) + " for an IDX " + kind + " file";
    if ((magic >> 16) == 0 && ((magic >> 8) & 0xFF) != 0x08 && (magic & 0xFF) == (expected_magic & 0xFF))
      msg += " (element type " + hex32((magic >> 8) & 0xFF) + " is not supported; only unsigned bytes, 0x08)";
    src.error_at(0, msg);
  }
  IdxHeader h;
  const unsigned ndims = expected_magic & 0xFF;
  for (unsigned i = 0; i < ndims; ++i) h.dims.push_back(read_be32(src, "dimension " + std::to_string(i)));
  h.header_bytes = 4 + 4 * std::uint64_t(ndims);
  return h;
}

/// Checks that the first `count` of the n records of `record` bytes that the
/// header claims can be in the file (and, when the whole file is read, that
/// nothing follows them); returns count * record. Only what will be read has
/// to be present, as for a gzip file, whose size is unknown until the end.
std::uint64_t check_payload(ByteSource& src, std::uint64_t count, std::uint64_t n, std::uint64_t record,
                            const std::string& what) {
  const std::uint64_t limit = src.gzip() ? src.raw_size() * kMaxDeflateRatio : src.raw_size();
  if (record != 0 && count > limit / record)
    src.error("the header claims " + what + ", more data than a " + std::to_string(src.raw_size()) +
              "-byte " + (src.gzip() ? "gzip " : "") + "file can hold");
  const std::uint64_t bytes = count * record;
  if (!src.gzip()) {
    const std::uint64_t available = src.raw_size() - src.offset();
    if (bytes > available)
      src.error("truncated: the header claims " + what + " (" + std::to_string(bytes) + " bytes for the " +
                std::to_string(count) + " requested), but only " + std::to_string(available) +
                " bytes follow the header");
    if (count == n && bytes < available)
      src.error("the header claims " + what + " = " + std::to_string(bytes) + " bytes, but " +
                std::to_string(available) + " bytes follow the header (trailing data: not an IDX file?)");
  }
  return bytes;
}

}  // namespace

namespace detail {

std::uint64_t idx_point_count(ByteSource& src) {
  src.set_kind("IDX file");
  return read_header(src, 0x00000803, "image").dims[0];
}

arma::mat parse_idx_images(ByteSource& src, std::uint64_t max_count, std::uint64_t skip) {
  src.set_kind("IDX file");
  const IdxHeader h = read_header(src, 0x00000803, "image");
  const std::uint64_t n = h.dims[0], rows = h.dims[1], cols = h.dims[2];
  if (rows == 0 || cols == 0)
    src.error("an image dimension is zero (" + std::to_string(rows) + " x " + std::to_string(cols) + ")");
  const std::uint64_t d = rows * cols;  // both < 2^32: no overflow
  if (d > kMaxDimension)
    src.error("images of " + std::to_string(rows) + " x " + std::to_string(cols) + " pixels, more than the limit of " +
              std::to_string(kMaxDimension));
  if (skip != 0 && skip >= n)
    src.error("cannot skip " + std::to_string(skip) + " images: the file holds " + std::to_string(n));
  const std::uint64_t count = std::min<std::uint64_t>(n - skip, max_count);
  const std::string claim = std::to_string(n) + " images of " + std::to_string(rows) + " x " + std::to_string(cols);
  check_payload(src, skip + count, n, d, claim);
  if (skip != 0) src.discard(skip * d, "the images before the row range");
  const std::vector<unsigned char> data = read_payload(src, count * d, claim);
  if (count == n && src.gzip() && !src.at_end())
    src.error("unexpected trailing data after " + std::to_string(n) + " images");
  arma::mat X(static_cast<arma::uword>(d), static_cast<arma::uword>(count));
  double* out = X.memptr();
  for (std::size_t i = 0; i < data.size(); ++i) out[i] = static_cast<double>(data[i]);
  return X;
}

arma::ivec parse_idx_labels(ByteSource& src, std::uint64_t max_count, std::uint64_t skip) {
  src.set_kind("IDX file");
  const IdxHeader h = read_header(src, 0x00000801, "label");
  const std::uint64_t n = h.dims[0];
  if (skip != 0 && skip >= n)
    src.error("cannot skip " + std::to_string(skip) + " labels: the file holds " + std::to_string(n));
  const std::uint64_t count = std::min<std::uint64_t>(n - skip, max_count);
  const std::string claim = std::to_string(n) + " labels";
  check_payload(src, skip + count, n, 1, claim);
  if (skip != 0) src.discard(skip, "the labels before the row range");
  const std::vector<unsigned char> data = read_payload(src, count, claim);
  if (count == n && src.gzip() && !src.at_end())
    src.error("unexpected trailing data after " + std::to_string(n) + " labels");
  arma::ivec y(static_cast<arma::uword>(count));
  for (std::size_t i = 0; i < data.size(); ++i) y[i] = static_cast<arma::sword>(data[i]);
  return y;
}

}  // namespace detail

arma::mat read_idx_images(const std::string& path, arma::uword max_count) {
  const auto src = ByteSource::file(path, "IDX file");
  return detail::parse_idx_images(*src, max_count);
}

arma::ivec read_idx_labels(const std::string& path, arma::uword max_count) {
  const auto src = ByteSource::file(path, "IDX file");
  return detail::parse_idx_labels(*src, max_count);
}

}  // namespace deepdot
