// SPDX-License-Identifier: MIT
// Private: the byte and line sources under every data reader (not installed).
// Readers parse from a ByteSource, never from a path, so that the same code
// serves files, gzipped files and memory buffers (which the fuzz targets use).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace deepdot::detail {

/// Deflate cannot expand data by more than about 1032:1, so a gzip stream of
/// C bytes holds at most C * 1032 bytes: the bound used to reject headers that
/// claim more data than the file could possibly contain.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

/// A sequential stream of bytes from a file or a memory buffer, transparently
/// gunzipped when it starts with the gzip magic 1f 8b. It counts the offset in
/// the (decompressed) stream so that every error can say where it happened,
/// and builds messages of the form "<kind> '<name>': at byte offset N: ...".
class ByteSource {
 public:
  /// Opens a file; throws std::invalid_argument for a missing file, a
  /// directory or anything else that is not a regular readable file.
  /// (Sources are not movable: zlib's state points back at its z_stream.)
  static std::unique_ptr<ByteSource> file(const std::string& path, std::string kind);
  /// Reads from memory that must outlive the source; `name` is used in errors.
  static std::unique_ptr<ByteSource> memory(std::string_view bytes, const std::string& name, std::string kind);

  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  ~ByteSource();

  const std::string& name() const { return name_; }
  const std::string& kind() const { return kind_; }
  void set_kind(std::string kind) { kind_ = std::move(kind); }
  bool gzip() const { return gzip_; }
  /// Size of the raw (possibly compressed) input in bytes.
  std::uint64_t raw_size() const { return raw_size_; }
  /// True when the length of the stream is known exactly (not gzip).
  bool exact_size() const { return !gzip_; }
  /// An upper bound on the total length of the (decompressed) stream.
  std::uint64_t size_bound() const { return gzip_ ? raw_size_ * kMaxDeflateRatio : raw_size_; }
  /// Makes offsets (in messages) start at `offset`, and say "of the
  /// decompressed data" if `decompressed`: for a memory copy of part of a stream.
  void rebase(std::uint64_t offset, bool decompressed) {
    offset_ = offset;
    decompressed_ = decompressed;
  }
  /// Offset of the next byte read() returns.
  std::uint64_t offset() const { return offset_; }
  /// Bytes left if exact_size(), else an upper bound.
  std::uint64_t remaining_bound() const { return size_bound() - std::min(offset_, size_bound()); }

  /// Reads up to n bytes; fewer only at the end of the stream.
  std::size_t read(unsigned char* out, std::size_t n);
  /// Reads past n bytes without keeping them (a row range of a binary file),
  /// or throws "truncated while reading <what>".
  void discard(std::uint64_t n, const std::string& what);
  /// Reads exactly n bytes or throws "truncated while reading <what>".
  void read_exact(unsigned char* out, std::size_t n, const std::string& what);
  /// The next up to n bytes, without consuming them.
  std::string_view peek(std::size_t n);
  /// True if nothing follows the current position.
  bool at_end() { return peek(1).empty(); }

  [[noreturn]] void error(const std::string& what) const { error_at(offset_, what); }
  [[noreturn]] void error_at(std::uint64_t offset, const std::string& what) const;
  /// "<kind> '<name>'", the start of every message about this source.
  std::string prefix() const { return kind_ + " '" + name_ + "'"; }

 private:
  ByteSource() = default;
  void init_after_open();
  std::size_t raw_read(unsigned char* out, std::size_t n);
  /// Inflates up to n bytes; `at` is their offset in the stream, for errors.
  std::size_t inflate_some(unsigned char* out, std::size_t n, std::uint64_t at);

  std::string name_, kind_;
  std::FILE* file_ = nullptr;
  const unsigned char* mem_ = nullptr;
  std::size_t mem_pos_ = 0;
  std::uint64_t raw_size_ = 0;
  bool gzip_ = false;
  bool decompressed_ = false;
  bool z_init_ = false;
  bool z_done_ = false;  // the last gzip member ended and no input follows
  z_stream zs_{};
  std::vector<unsigned char> zin_;
  std::string lookahead_;  // peeked but not consumed bytes
  std::uint64_t offset_ = 0;
};

/// Splits a text ByteSource into lines (LF or CRLF), counting line numbers
/// and rejecting what is not UTF-8 text: NUL bytes, invalid UTF-8, UTF-16
/// byte-order marks, lines longer than kMaxLineBytes. A UTF-8 byte-order mark
/// at the start is skipped. Errors read "<kind> '<name>': line N: ...".
class LineReader {
 public:
  static constexpr std::size_t kMaxLineBytes = std::size_t(256) << 20;

  explicit LineReader(ByteSource& src);
  /// The next line without its terminator; false at the end of the stream.
  bool next(std::string_view& line);
  /// Number of the line last returned by next(), 1-based.
  std::uint64_t line_number() const { return line_no_; }
  [[noreturn]] void error(const std::string& what) const { error_at(line_no_, what); }
  [[noreturn]] void error_at(std::uint64_t line, const std::string& what) const;
  ByteSource& source() { return src_; }

 private:
  bool fill();
  ByteSource& src_;
  std::vector<unsigned char> buf_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::string line_;
  std::uint64_t line_no_ = 0;
};

/// Outcome of parsing one text token as a number.
enum class NumberStatus { ok, missing, not_a_number, not_finite, too_large };

/// Parses a whole token as a decimal number, independently of the C locale:
/// optional sign, digits, '.', exponent. Missing-value markers (empty, NA,
/// N/A, NaN, ?, null, None) give `missing`; inf/nan spelled out `not_finite`;
/// an underflowing value (1e-400) reads as 0.
NumberStatus parse_number(std::string_view token, double& value);

/// A short, printable rendering of a token for error messages.
std::string quote_token(std::string_view token);

/// Lower-case ASCII copy.
std::string ascii_lower(std::string_view s);

}  // namespace deepdot::detail
