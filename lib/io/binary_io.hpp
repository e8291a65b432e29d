// SPDX-License-Identifier: MIT
// Private: little-endian binary encoding with bounds-checked reading, used by
// feature-map state and (later) model files. Not installed.
#pragma once

#include <armadillo>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace deepdot::detail {

static_assert(sizeof(double) == 8 && sizeof(float) == 4, "IEEE 754 types expected");

/// On a little-endian host the encoding of a double or u64 array is its
/// memory image, copied whole instead of byte by byte.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr bool kLittleEndian = true;
#else
constexpr bool kLittleEndian = false;
#endif

/// Appends values to an in-memory buffer. Integers are written little-endian;
/// floating-point values as their IEEE 754 bit patterns, so restoring them is
/// bit-exact.
class BinaryWriter {
 public:
  void u8(std::uint8_t v) { buf_.push_back(static_cast<char>(v)); }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) buf_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void f64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    u64(bits);
  }
  void str(const std::string& s) {
    u64(s.size());
    buf_.append(s);
  }
  void raw(const void* data, std::size_t n) { buf_.append(static_cast<const char*>(data), n); }
  template <typename eT>
  void mat(const arma::Mat<eT>& M) {
    u64(M.n_rows);
    u64(M.n_cols);
    if constexpr (std::is_same_v<eT, double> && kLittleEndian) {
      raw(M.memptr(), M.n_elem * 8);  // already the file's byte order: one copy, not one call per byte (docs/performance.md)
    } else {
      for (arma::uword i = 0; i < M.n_elem; ++i) f64(static_cast<double>(M[i]));
    }
  }
  /// n doubles without a length (the reader must know n).
  void f64s(const double* p, std::size_t n) {
    if constexpr (kLittleEndian) {
      raw(p, n * 8);
    } else {
      for (std::size_t i = 0; i < n; ++i) f64(p[i]);
    }
  }
  void uvec(const arma::uvec& v) {
    u64(v.n_elem);
    if constexpr (sizeof(arma::uword) == 8 && kLittleEndian) {
      raw(v.memptr(), v.n_elem * 8);
    } else {
      for (arma::uword i = 0; i < v.n_elem; ++i) u64(v[i]);
    }
  }
  const std::string& buffer() const { return buf_; }
  std::string& buffer() { return buf_; }

 private:
  std::string buf_;
};

/// Reads what BinaryWriter wrote from a memory range. Every read checks the
/// remaining length first, and every size is checked against the bytes that
/// are actually left, so a corrupt or hostile file cannot make it read past
/// the end or allocate more than the file justifies.
class BinaryReader {
 public:
  BinaryReader(const char* data, std::size_t size, std::string what)
      : p_(data), end_(data + size), begin_(data), what_(std::move(what)) {}

  std::size_t offset() const { return static_cast<std::size_t>(p_ - begin_); }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  const std::string& what() const { return what_; }

  [[noreturn]] void error(const std::string& msg) const {
    throw std::invalid_argument(what_ + ": at byte offset " + std::to_string(offset()) + ": " + msg);
  }
  void need(std::size_t n, const char* field) const {
    if (remaining() < n)
      error(std::string("truncated while reading ") + field + " (need " + std::to_string(n) + " bytes, " +
            std::to_string(remaining()) + " left)");
  }
  std::uint8_t u8(const char* field) {
    need(1, field);
    return static_cast<std::uint8_t>(*p_++);
  }
  std::uint64_t u64(const char* field) {
    need(8, field);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p_[i])) << (8 * i);
    p_ += 8;
    return v;
  }
  double f64(const char* field) {
    const std::uint64_t bits = u64(field);
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  std::string str(const char* field, std::size_t max_len = 1 << 20) {
    const std::uint64_t n = u64(field);
    if (n > max_len || n > remaining())
      error(std::string(field) + " claims " + std::to_string(n) + " bytes, more than the " +
            std::to_string(std::min<std::size_t>(remaining(), max_len)) + " allowed here");
    std::string s(p_, p_ + n);
    p_ += n;
    return s;
  }
  void raw(void* out, std::size_t n, const char* field) {
    need(n, field);
    if (n == 0) return;  // an empty matrix's memptr() may be null, which memcpy must not see
    std::memcpy(out, p_, n);
    p_ += n;
  }
  template <typename eT>
  arma::Mat<eT> mat(const char* field) {
    const std::uint64_t rows = u64(field), cols = u64(field);
    if (rows != 0 && cols > remaining() / 8 / rows)
      error(std::string(field) + " claims a " + std::to_string(rows) + " x " + std::to_string(cols) +
            " matrix, larger than the " + std::to_string(remaining()) + " bytes left");
    arma::Mat<eT> M(rows, cols);
    if constexpr (std::is_same_v<eT, double> && kLittleEndian) {
      raw(M.memptr(), M.n_elem * 8, field);
    } else {
      for (arma::uword i = 0; i < M.n_elem; ++i) M[i] = static_cast<eT>(f64(field));
    }
    return M;
  }
  /// Reads n doubles written by BinaryWriter::f64s().
  void f64s(double* out, std::size_t n, const char* field) {
    if (n > remaining() / 8) error(std::string("truncated while reading ") + field);
    if constexpr (kLittleEndian) {
      raw(out, n * 8, field);
    } else {
      for (std::size_t i = 0; i < n; ++i) out[i] = f64(field);
    }
  }
  arma::uvec uvec(const char* field) {
    const std::uint64_t n = u64(field);
    if (n > remaining() / 8) error(std::string(field) + " claims " + std::to_string(n) + " entries, more than fit");
    arma::uvec v(n);
    if constexpr (sizeof(arma::uword) == 8 && kLittleEndian) {
      raw(v.memptr(), n * 8, field);
    } else {
      for (arma::uword i = 0; i < n; ++i) v[i] = u64(field);
    }
    return v;
  }
  /// Reads a u64 and checks it equals `expected`.
  void expect_u64(std::uint64_t expected, const char* field) {
    const std::uint64_t v = u64(field);
    if (v != expected)
      error(std::string(field) + " is " + std::to_string(v) + ", expected " + std::to_string(expected));
  }

 private:
  const char* p_;
  const char* end_;
  const char* begin_;
  std::string what_;
};

}  // namespace deepdot::detail
