// SPDX-License-Identifier: MIT
// NumPy .npy files (format versions 1.0, 2.0 and 3.0).
#include "io/data_formats.hpp"

#include "core/check.hpp"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace deepdot::detail {
namespace {

// NumPy itself refuses headers beyond this; anything larger is not a .npy file.
constexpr std::uint64_t kMaxHeaderBytes = std::uint64_t(1) << 20;
constexpr std::size_t kChunk = std::size_t(1) << 20;

enum class Kind { floating, signed_int, unsigned_int, boolean };

struct NpyHeader {
  Kind kind = Kind::floating;
  unsigned itemsize = 0;
  std::string descr;
  bool fortran = false;
  std::vector<std::uint64_t> shape;
  std::uint64_t data_offset = 0;

  std::string shape_text() const {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
  }
};

/// A parser for the Python dict literal of the header, which NumPy writes as
/// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }.
class HeaderParser {
 public:
  HeaderParser(ByteSource& src, const std::string& text, std::uint64_t base) : src_(src), t_(text), base_(base) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      const std::size_t key_pos = i_;
      const std::string key = string_literal();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (peek() == '[')
          fail("the dtype is a structured (record) type, " + excerpt() + "; only plain numeric arrays are read");
        h.descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran = boolean();
        have_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        have_shape = true;
      } else {
        fail_at(key_pos, "unexpected key '" + key + "' in the header");
      }
      skip_ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      skip_ws();
      if (peek() != '}') fail("expected ',' or '}' in the header, found " + excerpt());
    }
    if (!have_descr || !have_order || !have_shape)
      fail_at(0, std::string("the header lacks the key '") +
                     (!have_descr ? "descr" : !have_order ? "fortran_order" : "shape") + "'");
    return h;
  }

 private:
  char peek() const { return i_ < t_.size() ? t_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\t' || t_[i_] == '\r')) ++i_;
  }
  std::string excerpt() const { return i_ < t_.size() ? quote_token(std::string_view(t_).substr(i_, 20)) : "the end"; }
  [[noreturn]] void fail(const std::string& what) const { fail_at(i_, what); }
  [[noreturn]] void fail_at(std::size_t pos, const std::string& what) const {
    src_.error_at(base_ + pos, "bad .npy header: " + what);
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "', found " + excerpt());
    ++i_;
  }
  std::string string_literal() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string, found " + excerpt());
    ++i_;
    std::string s;
    while (i_ < t_.size() && t_[i_] != q) {
      if (t_[i_] == '\\') fail("escapes in header strings are not supported");
      s += t_[i_++];
      if (s.size() > 64) fail("a header string longer than 64 characters");
    }
    expect(q);
    return s;
  }
  bool boolean() {
    if (t_.compare(i_, 4, "True") == 0) return i_ += 4, true;
    if (t_.compare(i_, 5, "False") == 0) return i_ += 5, false;
    fail("fortran_order must be True or False, found " + excerpt());
  }
  std::vector<std::uint64_t> tuple() {
    expect('(');
    std::vector<std::uint64_t> dims;
    for (;;) {
      skip_ws();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') fail("expected a dimension in the shape, found " + excerpt());
      std::uint64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (std::uint64_t(1) << 59)) fail("a dimension in the shape is absurdly large");
        v = v * 10 + static_cast<std::uint64_t>(peek() - '0');
        ++i_;
      }
      if (peek() == 'L') ++i_;  // Python 2 longs, as old NumPy wrote them
      dims.push_back(v);
      if (dims.size() > 32) fail("more than 32 dimensions");
      skip_ws();
      if (peek() == ',') ++i_;
      else if (peek() != ')') fail("expected ',' or ')' in the shape, found " + excerpt());
    }
    ++i_;
    return dims;
  }

  ByteSource& src_;
  const std::string& t_;
  std::uint64_t base_;
  std::size_t i_ = 0;
};

void classify_dtype(ByteSource& src, NpyHeader& h, std::uint64_t descr_offset) {
  const std::string& s = h.descr;
  auto fail = [&](const std::string& what) { src.error_at(descr_offset, "dtype '" + s + "': " + what); };
  if (s.size() < 2) fail("not a dtype NumPy writes");
  const char order = s[0];
  const char type = s[1];
  const std::string size = s.substr(2);
  if (order != '<' && order != '>' && order != '|' && order != '=')
    fail("no byte-order character ('<', '>', '|' or '=') at its start");
  if (type == 'O') fail("an object array (dtype=object) holds pickled Python objects; save a numeric array");
  if (type == 'U' || type == 'S' || type == 'a')
    fail("an array of strings; save numbers (e.g. class indices) instead");
  if (type == 'c') fail("complex numbers are not supported");
  if (type == 'M' || type == 'm') fail("dates and times are not supported");
  if (type == 'V') fail("raw void data is not supported");
  if (size.empty() || size.size() > 2 || size.find_first_not_of("0123456789") != std::string::npos)
    fail("not a dtype NumPy writes");
  h.itemsize = static_cast<unsigned>(std::stoul(size));
  switch (type) {
    case 'f': h.kind = Kind::floating; break;
    case 'i': h.kind = Kind::signed_int; break;
    case 'u': h.kind = Kind::unsigned_int; break;
    case 'b': h.kind = Kind::boolean; break;
    default: fail("unknown type character '" + std::string(1, type) + "'");
  }
  const bool ok_size = h.kind == Kind::floating   ? (h.itemsize == 4 || h.itemsize == 8)
                       : h.kind == Kind::boolean  ? h.itemsize == 1
                                                  : (h.itemsize == 1 || h.itemsize == 2 || h.itemsize == 4 ||
                                                     h.itemsize == 8);
  if (!ok_size)
    fail(h.kind == Kind::floating && h.itemsize == 2 ? "float16 is not supported; convert with a.astype('<f4')"
                                                     : "unsupported item size");
  if (order == '>' && h.itemsize > 1)
    fail("big-endian data is not supported; convert it with a.astype(a.dtype.newbyteorder('<'))");
}

/// Reads the magic, version and header; leaves the source at the data.
NpyHeader read_header(ByteSource& src) {
  unsigned char magic[8];
  const std::size_t got = src.read(magic, 8);
  if (got < 6 || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    src.error_at(0, "not a .npy file: it does not start with the magic string \\x93NUMPY");
  if (got < 8) src.error("truncated inside the version bytes");
  const unsigned major = magic[6], minor = magic[7];
  if (major < 1 || major > 3 || minor != 0)
    src.error_at(6, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                        " (1.0, 2.0 and 3.0 are read)");
  std::uint64_t hlen = 0;
  unsigned char b[4] = {0, 0, 0, 0};
  src.read_exact(b, major == 1 ? 2 : 4, "the header length");
  hlen = b[0] | (std::uint64_t(b[1]) << 8) | (std::uint64_t(b[2]) << 16) | (std::uint64_t(b[3]) << 24);
  const std::uint64_t base = src.offset();
  if (hlen > kMaxHeaderBytes) src.error_at(8, "the header length " + std::to_string(hlen) + " is absurd");
  if (hlen > src.remaining_bound())
    src.error_at(8, "the header length " + std::to_string(hlen) + " runs past the end of the file");
  std::string text(static_cast<std::size_t>(hlen), '\0');
  src.read_exact(reinterpret_cast<unsigned char*>(text.data()), text.size(), "the header");
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\0') src.error_at(base + i, "bad .npy header: a NUL byte");
  NpyHeader h = HeaderParser(src, text, base).parse();
  const std::size_t dpos = text.find("descr");
  classify_dtype(src, h, base + (dpos == std::string::npos ? 0 : dpos));
  h.data_offset = src.offset();
  return h;
}

double decode(const unsigned char* p, const NpyHeader& h) {
  std::uint64_t u = 0;
  for (unsigned k = 0; k < h.itemsize; ++k) u |= std::uint64_t(p[k]) << (8 * k);
  switch (h.kind) {
    case Kind::floating:
      if (h.itemsize == 8) {
        double v;
        std::memcpy(&v, &u, 8);
        return v;
      } else {
        const auto u32 = static_cast<std::uint32_t>(u);
        float f;
        std::memcpy(&f, &u32, 4);
        return static_cast<double>(f);
      }
    case Kind::signed_int: {
      const unsigned bits = 8 * h.itemsize;
      if (bits < 64 && (u >> (bits - 1)) != 0) u |= ~std::uint64_t(0) << bits;  // sign-extend
      return static_cast<double>(static_cast<std::int64_t>(u));
    }
    case Kind::boolean:
      return u != 0 ? 1.0 : 0.0;
    case Kind::unsigned_int:
    default:
      return static_cast<double>(u);
  }
}

/// True on a little-endian host, where '<f8' data is already in memory layout.
bool little_endian_host() {
  const std::uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

/// The fast path of read_elements() for little-endian floats: '<f8' is read
/// straight into `out` (no per-element decoding, so reading runs at the speed
/// of the page cache; docs/performance.md), '<f4' a chunk at a time and
/// widened. Non-finite values are still found, with their position.
template <typename Where>
void read_floats(ByteSource& src, const NpyHeader& h, std::uint64_t count, double* out, Where&& where) {
  std::vector<float> single;
  std::uint64_t k = 0;
  while (k < count) {
    const std::uint64_t step = std::min<std::uint64_t>(count - k, kChunk / h.itemsize);
    const std::uint64_t start = src.offset();
    const std::size_t bytes = static_cast<std::size_t>(step * h.itemsize);
    if (h.itemsize == 4) single.resize(static_cast<std::size_t>(step));
    unsigned char* dst = h.itemsize == 8 ? reinterpret_cast<unsigned char*>(out + k)
                                         : reinterpret_cast<unsigned char*>(single.data());
    const std::size_t got = src.read(dst, bytes);
    if (got < bytes)
      src.error("truncated: the header promises " + std::to_string(count) + " elements of " +
                std::to_string(h.itemsize) + " bytes, the file ends after " +
                std::to_string(k + got / h.itemsize) + " of them");
    if (h.itemsize == 4)
      for (std::uint64_t e = 0; e < step; ++e) out[k + e] = static_cast<double>(single[e]);
    if (!all_finite(out + k, static_cast<std::size_t>(step)))  // vectorised; the loop below names the value
      for (std::uint64_t e = 0; e < step; ++e)
        if (!std::isfinite(out[k + e]))
          src.error_at(start + e * h.itemsize, "element " + std::to_string(k + e) + " " + where(k + e) + " is " +
                                                   (std::isnan(out[k + e]) ? "NaN" : "infinite") +
                                                   " (non-finite values are rejected)");
    k += step;
  }
}

/// Reads `count` elements and hands each to put(k, value), k = 0..count-1,
/// rejecting NaN and infinity with their position. Memory grows only with
/// data actually read.
template <typename Put, typename Where>
void read_elements(ByteSource& src, const NpyHeader& h, std::uint64_t count, Put&& put, Where&& where) {
  std::vector<unsigned char> buf;
  std::uint64_t k = 0;
  while (k < count) {
    const std::uint64_t step = std::min<std::uint64_t>(count - k, kChunk / h.itemsize);
    buf.resize(static_cast<std::size_t>(step * h.itemsize));
    const std::uint64_t start = src.offset();
    const std::size_t got = src.read(buf.data(), buf.size());
    if (got < buf.size())
      src.error("truncated: the header promises " + std::to_string(count) + " elements of " +
                std::to_string(h.itemsize) + " bytes, the file ends after " +
                std::to_string(k + got / h.itemsize) + " of them");
    for (std::uint64_t e = 0; e < step; ++e, ++k) {
      const double v = decode(buf.data() + e * h.itemsize, h);
      if (!std::isfinite(v))
        src.error_at(start + e * h.itemsize, "element " + std::to_string(k) + " " + where(k) + " is " +
                                                 (std::isnan(v) ? "NaN" : "infinite") +
                                                 " (non-finite values are rejected)");
      put(k, v);
    }
  }
}

/// Checks the data size the header claims against what the file can hold.
std::uint64_t check_size(ByteSource& src, const NpyHeader& h) {
  std::uint64_t elems = 1;
  for (std::uint64_t s : h.shape)
    if (__builtin_mul_overflow(elems, s, &elems)) elems = ~std::uint64_t(0);
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(elems, std::uint64_t(h.itemsize), &bytes)) bytes = ~std::uint64_t(0);
  const std::uint64_t left = src.remaining_bound();
  if (bytes > left)
    src.error("the header claims shape " + h.shape_text() + " of " + h.descr + ", " +
              (bytes == ~std::uint64_t(0) ? std::string("more than 2^64") : std::to_string(bytes)) +
              " bytes, but " + (src.exact_size() ? "only " : "at most ") + std::to_string(left) +
              " bytes follow the header");
  if (src.exact_size() && bytes < left)
    src.error("the header claims shape " + h.shape_text() + " of " + h.descr + " = " + std::to_string(bytes) +
              " bytes, but " + std::to_string(left) + " bytes follow the header (trailing data)");
  return elems;
}

void check_end(ByteSource& src) {
  if (!src.at_end()) src.error("unexpected trailing data after the array");
}

}  // namespace

std::uint64_t npy_point_count(ByteSource& src) {
  src.set_kind("NPY file");
  const NpyHeader h = read_header(src);
  if (h.shape.empty()) src.error_at(h.data_offset, "the array has shape " + h.shape_text() + "; it holds no points");
  return h.shape[0];
}

Dataset parse_npy(ByteSource& src, const ReadOptions& opts) {
  src.set_kind("NPY file");
  const NpyHeader h = read_header(src);
  if (h.shape.size() < 2)
    src.error_at(h.data_offset, "the array has shape " + h.shape_text() +
                                    "; data must have 2 or more dimensions, one row per point (a 1-D array is "
                                    "read as labels: pass it as the labels file, or save X with shape (n, 1))");
  const std::uint64_t elems = check_size(src, h);
  const std::uint64_t n = h.shape[0];
  const std::uint64_t d = n == 0 ? 0 : elems / n;
  if (n == 0 || d == 0) src.error_at(h.data_offset, "the array of shape " + h.shape_text() + " is empty");
  if (d > kMaxDimension)
    src.error_at(h.data_offset, std::to_string(d) + " features per point, more than the limit of " +
                                    std::to_string(kMaxDimension));
  // In C order the first points are the start of the data; in Fortran order
  // every point is spread over the whole array, so all of it is read.
  if (opts.skip_points != 0 && h.fortran)
    src.error_at(h.data_offset, "a Fortran-order array spreads every point over the whole file, so a row range "
                                "(skip_points) cannot be read; save it in C order");
  if (opts.skip_points >= n)
    src.error_at(h.data_offset, "cannot skip " + std::to_string(opts.skip_points) + " points: the array has " +
                                    std::to_string(n));
  const std::uint64_t skip = opts.skip_points, rest = n - skip;
  const std::uint64_t count =
      opts.max_points != 0 && !h.fortran ? std::min<std::uint64_t>(rest, opts.max_points) : rest;
  if (skip != 0) src.discard(skip * d * h.itemsize, "the points before the row range");
  check_dense(d, count, opts, [&](const std::string& m) { src.error_at(h.data_offset, m); });
  check_dense_memory(d, count, [&](const std::string& m) { src.error_at(h.data_offset, m); });

  // For Fortran order: perm[r] is the C-order feature index of Fortran-order
  // trailing index r (the identity for 2-D arrays).
  std::vector<std::uint64_t> perm;
  auto where = [&](std::uint64_t k) {
    std::uint64_t i = 0, j = 0;
    if (h.fortran) i = k % n, j = perm.empty() ? k / n : perm[k / n];
    else i = k / d, j = k % d;
    return "(point " + std::to_string(i) + ", feature " + std::to_string(j) + ")";
  };
  arma::mat X;
  auto fill = [&](ByteSource& s) {
    X.set_size(static_cast<arma::uword>(d), static_cast<arma::uword>(count));
    double* out = X.memptr();
    if (!h.fortran) {
      // C order (n, d) is column-major d x n: the points are the columns.
      if (h.kind == Kind::floating && little_endian_host())
        read_floats(s, h, count * d, out, where);
      else
        read_elements(s, h, count * d, [&](std::uint64_t k, double v) { out[k] = v; }, where);
      return;
    }
    if (h.shape.size() > 2) {
      perm.resize(static_cast<std::size_t>(d));
      for (std::uint64_t r = 0; r < d; ++r) {
        std::uint64_t rest = r, p = 0;
        std::vector<std::uint64_t> idx(h.shape.size() - 1);
        for (std::size_t a = 1; a < h.shape.size(); ++a) idx[a - 1] = rest % h.shape[a], rest /= h.shape[a];
        for (std::size_t a = 1; a < h.shape.size(); ++a) p = p * h.shape[a] + idx[a - 1];
        perm[r] = p;
      }
    }
    read_elements(s, h, n * d, [&](std::uint64_t k, double v) {
      const std::uint64_t i = k % n, r = k / n;
      out[(perm.empty() ? r : perm[r]) + d * i] = v;
    }, where);
  };
  if (src.exact_size()) {
    fill(src);  // the file size has justified the allocation
  } else {
    // gzip: read the raw data first (growing with what is really there),
    // then allocate, so a lying header cannot trigger a huge allocation.
    std::string raw;
    const std::uint64_t bytes = count * d * h.itemsize;
    while (raw.size() < bytes) {
      const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(bytes - raw.size(), kChunk));
      const std::size_t old = raw.size();
      raw.resize(old + step);
      const std::size_t got = src.read(reinterpret_cast<unsigned char*>(&raw[old]), step);
      if (got < step)
        src.error("truncated: the header promises " + std::to_string(bytes) + " bytes of data, the file ends after " +
                  std::to_string(old + got));
    }
    if (count == rest) check_end(src);
    auto mem = ByteSource::memory(raw, src.name(), src.kind());
    mem->rebase(h.data_offset + skip * d * h.itemsize, true);  // errors give offsets in the real stream
    fill(*mem);
  }
  Dataset ds;
  ds.X = std::move(X);
  ds.description = "NPY, " + h.descr + ", shape " + h.shape_text() + (h.fortran ? ", Fortran order" : ", C order") +
                   ", " + std::to_string(count) + " points, " + std::to_string(d) + " features";
  return ds;
}

arma::vec parse_npy_labels(ByteSource& src, const ReadOptions& opts, const char* kind) {
  src.set_kind(kind);
  const NpyHeader h = read_header(src);
  const bool ok_shape = h.shape.size() == 1 || (h.shape.size() == 2 && h.shape[1] == 1);
  if (!ok_shape)
    src.error_at(h.data_offset, "labels must be a 1-D array (or n x 1), this one has shape " + h.shape_text());
  const std::uint64_t n = check_size(src, h);
  if (n == 0) src.error_at(h.data_offset, "the labels array is empty");
  if (opts.skip_points >= n)
    src.error_at(h.data_offset, "cannot skip " + std::to_string(opts.skip_points) + " labels: the array has " +
                                    std::to_string(n));
  if (opts.skip_points != 0) src.discard(opts.skip_points * h.itemsize, "the labels before the row range");
  const std::uint64_t rest = n - opts.skip_points;
  const std::uint64_t count = opts.max_points != 0 ? std::min<std::uint64_t>(rest, opts.max_points) : rest;
  arma::vec y;
  auto where = [](std::uint64_t k) { return "(label " + std::to_string(k) + ")"; };
  if (src.exact_size()) {
    y.set_size(static_cast<arma::uword>(count));
    read_elements(src, h, count, [&](std::uint64_t k, double v) { y[k] = v; }, where);
  } else {
    std::vector<double> v;  // grows with data actually read
    read_elements(src, h, count, [&](std::uint64_t, double x) { v.push_back(x); }, where);
    y = arma::vec(v);
  }
  return y;
}

}  // namespace deepdot::detail
