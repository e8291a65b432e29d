// SPDX-License-Identifier: MIT
#include "io/data_source.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>

namespace deepdot::detail {
namespace {

constexpr std::size_t kRawChunk = std::size_t(1) << 16;

[[noreturn]] void fail_open(const std::string& kind, const std::string& path, const std::string& what) {
  throw std::invalid_argument(kind + " '" + path + "': at byte offset 0: " + what);
}

}  // namespace

std::unique_ptr<ByteSource> ByteSource::file(const std::string& path, std::string kind) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail_open(kind, path, std::string("cannot open it: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail_open(kind, path, "it is a directory, not a data file");
  if (!S_ISREG(st.st_mode)) fail_open(kind, path, "not a regular file");
  std::unique_ptr<ByteSource> s(new ByteSource());
  s->name_ = path;
  s->kind_ = std::move(kind);
  s->raw_size_ = static_cast<std::uint64_t>(st.st_size);
  s->file_ = std::fopen(path.c_str(), "rb");
  if (s->file_ == nullptr)
    fail_open(s->kind_, path, std::string("cannot open it for reading: ") + std::strerror(errno));
  s->init_after_open();
  return s;
}

std::unique_ptr<ByteSource> ByteSource::memory(std::string_view bytes, const std::string& name, std::string kind) {
  std::unique_ptr<ByteSource> s(new ByteSource());
  s->name_ = name;
  s->kind_ = std::move(kind);
  s->mem_ = reinterpret_cast<const unsigned char*>(bytes.data());
  s->raw_size_ = bytes.size();
  s->init_after_open();
  return s;
}

ByteSource::~ByteSource() {
  if (z_init_) inflateEnd(&zs_);
  if (file_ != nullptr) std::fclose(file_);
}

void ByteSource::init_after_open() {
  // Look at the first two raw bytes to decide whether to inflate.
  unsigned char m[2];
  const std::size_t got = raw_read(m, 2);
  gzip_ = got == 2 && m[0] == 0x1f && m[1] == 0x8b;
  if (gzip_) {
    zin_.assign(m, m + 2);
    zs_ = z_stream{};
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) error_at(0, "zlib failed to initialise");
    z_init_ = true;
    zs_.next_in = zin_.data();
    zs_.avail_in = 2;
  } else {
    lookahead_.assign(reinterpret_cast<const char*>(m), got);
  }
}

std::size_t ByteSource::raw_read(unsigned char* out, std::size_t n) {
  if (file_ != nullptr) {
    const std::size_t got = std::fread(out, 1, n, file_);
    if (got < n && std::ferror(file_)) error(std::string("read error: ") + std::strerror(errno));
    return got;
  }
  const std::size_t got = std::min<std::size_t>(n, static_cast<std::size_t>(raw_size_) - mem_pos_);
  if (got > 0) std::memcpy(out, mem_ + mem_pos_, got);
  mem_pos_ += got;
  return got;
}

std::size_t ByteSource::inflate_some(unsigned char* out, std::size_t n, std::uint64_t at) {
  std::size_t produced = 0;
  auto refill = [&] {
    // zin_ is only refilled once zlib has consumed all of it.
    zin_.resize(kRawChunk);
    const std::size_t got = raw_read(zin_.data(), zin_.size());
    zs_.next_in = zin_.data();
    zs_.avail_in = static_cast<uInt>(got);
    return got;
  };
  while (produced < n && !z_done_) {
    if (zs_.avail_in == 0 && refill() == 0)
      error_at(at + produced, "the gzip stream is truncated (the file ends inside the compressed data)");
    const std::size_t want = std::min<std::size_t>(n - produced, std::size_t(1) << 30);
    zs_.next_out = out + produced;
    zs_.avail_out = static_cast<uInt>(want);
    const int ret = inflate(&zs_, Z_NO_FLUSH);
    produced += want - zs_.avail_out;
    if (ret == Z_STREAM_END) {
      // A gzip file may hold several members back to back; anything else
      // after the first member is an error, as the gzip tool also reports.
      if (zs_.avail_in == 0 && refill() == 0) {
        z_done_ = true;
        break;
      }
      if (zs_.next_in[0] != 0x1f)
        error_at(at + produced, "trailing bytes after the end of the gzip data");
      if (inflateReset(&zs_) != Z_OK) error_at(at + produced, "zlib failed to reset");
    } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
      error_at(at + produced, std::string("corrupt gzip data (zlib: ") +
                                       (zs_.msg != nullptr ? zs_.msg : "error " + std::to_string(ret)) + ")");
    }
  }
  return produced;
}

std::size_t ByteSource::read(unsigned char* out, std::size_t n) {
  std::size_t done = 0;
  if (!lookahead_.empty()) {
    done = std::min(n, lookahead_.size());
    std::memcpy(out, lookahead_.data(), done);
    lookahead_.erase(0, done);
  }
  if (done < n) done += gzip_ ? inflate_some(out + done, n - done, offset_ + done) : raw_read(out + done, n - done);
  offset_ += done;
  return done;
}

void ByteSource::discard(std::uint64_t n, const std::string& what) {
  unsigned char buffer[1 << 16];
  while (n > 0) {
    const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof buffer));
    read_exact(buffer, step, what);
    n -= step;
  }
}

void ByteSource::read_exact(unsigned char* out, std::size_t n, const std::string& what) {
  const std::uint64_t start = offset_;
  const std::size_t got = read(out, n);
  if (got < n)
    error("truncated while reading " + what + ": needed " + std::to_string(n) + " bytes from offset " +
          std::to_string(start) + ", the file ended after " + std::to_string(got));
}

std::string_view ByteSource::peek(std::size_t n) {
  if (lookahead_.size() < n) {
    const std::size_t have = lookahead_.size();
    lookahead_.resize(n);
    auto* p = reinterpret_cast<unsigned char*>(&lookahead_[have]);
    const std::size_t got = gzip_ ? inflate_some(p, n - have, offset_ + have) : raw_read(p, n - have);
    lookahead_.resize(have + got);
  }
  return std::string_view(lookahead_).substr(0, std::min(n, lookahead_.size()));
}

void ByteSource::error_at(std::uint64_t offset, const std::string& what) const {
  throw std::invalid_argument(prefix() + ": at byte offset " + std::to_string(offset) +
                              (gzip_ || decompressed_ ? " of the decompressed data" : "") + ": " + what);
}

// ---------------------------------------------------------------------------

LineReader::LineReader(ByteSource& src) : src_(src), buf_(std::size_t(1) << 16) {
  const std::string_view head = src_.peek(3);
  if (head.size() >= 2 && ((head[0] == '\xFF' && head[1] == '\xFE') || (head[0] == '\xFE' && head[1] == '\xFF')))
    error_at(1, "the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8");
  if (head == "\xEF\xBB\xBF") {  // UTF-8 byte-order mark, as some spreadsheets write
    unsigned char skip[3];
    src_.read(skip, 3);
  }
}

bool LineReader::fill() {
  if (eof_) return false;
  begin_ = 0;
  end_ = src_.read(buf_.data(), buf_.size());
  if (end_ == 0) eof_ = true;
  return end_ > 0;
}

namespace {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
std::size_t utf8_length(const std::string& s, std::size_t i) {
  const auto b = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  const unsigned c = b(0);
  auto cont = [&](std::size_t k) { return (b(k) & 0xC0u) == 0x80u; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return b(1) >= 0xA0 && b(1) <= 0xBF && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return b(1) >= 0x80 && b(1) <= 0x9F && cont(2) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return b(1) >= 0x90 && b(1) <= 0xBF && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return b(1) >= 0x80 && b(1) <= 0x8F && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

std::string hex_byte(unsigned char c) {
  static const char* digits = "0123456789ABCDEF";
  return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

}  // namespace

bool LineReader::next(std::string_view& line) {
  line_.clear();
  bool any = false;
  for (;;) {
    if (begin_ == end_ && !fill()) break;
    any = true;
    const auto* start = buf_.data() + begin_;
    const auto* nl = static_cast<const unsigned char*>(std::memchr(start, '\n', end_ - begin_));
    const std::size_t take = nl != nullptr ? static_cast<std::size_t>(nl - start) : end_ - begin_;
    if (line_.size() + take > kMaxLineBytes)
      error_at(line_no_ + 1, "the line is longer than " + std::to_string(kMaxLineBytes >> 20) +
                                 " MiB (a binary file, or a text file without line breaks?)");
    line_.append(reinterpret_cast<const char*>(start), take);
    begin_ += take;
    if (nl != nullptr) {
      ++begin_;
      break;
    }
  }
  if (!any) return false;
  ++line_no_;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  for (std::size_t i = 0; i < line_.size();) {
    const auto c = static_cast<unsigned char>(line_[i]);
    if (c == 0)
      error("a NUL byte at column " + std::to_string(i + 1) +
            ": this is binary data (or UTF-16 text), not a UTF-8 text file");
    if (c == '\r')
      error("a carriage return inside the line at column " + std::to_string(i + 1) +
            " (old Mac line endings? convert them to \\n)");
    const std::size_t len = utf8_length(line_, i);
    if (len == 0)
      error("byte " + hex_byte(c) + " at column " + std::to_string(i + 1) +
            " is not valid UTF-8 (Latin-1 or Windows-1252 text? save the file as UTF-8)");
    i += len;
  }
  line = line_;
  return true;
}

void LineReader::error_at(std::uint64_t line, const std::string& what) const {
  throw std::invalid_argument(src_.prefix() + ": line " + std::to_string(line) + ": " + what);
}

// ---------------------------------------------------------------------------

std::string ascii_lower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

NumberStatus parse_number(std::string_view t, double& value) {
  if (t.empty()) return NumberStatus::missing;
  const std::string low = ascii_lower(t.substr(0, std::min<std::size_t>(t.size(), 16)));
  if (low == "na" || low == "n/a" || low == "?" || low == "null" || low == "none" || low == "nan" ||
      low == "-nan" || low == "+nan")
    return low.find("nan") != std::string::npos ? NumberStatus::not_finite : NumberStatus::missing;
  std::string_view body = t;
  if (body.size() > 1 && body[0] == '+' && body[1] != '-' && body[1] != '+') body.remove_prefix(1);
  double v = 0.0;
  const auto r = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (r.ptr != body.data() + body.size()) return NumberStatus::not_a_number;
  if (r.ec == std::errc::result_out_of_range) {
    // Out of range is an overflow unless the exponent is negative.
    const std::size_t e = body.find_first_of("eE");
    if (e != std::string_view::npos && e + 1 < body.size() && body[e + 1] == '-') {
      value = body[0] == '-' ? -0.0 : 0.0;
      return NumberStatus::ok;
    }
    return NumberStatus::too_large;
  }
  if (r.ec != std::errc()) return NumberStatus::not_a_number;
  if (!std::isfinite(v)) return NumberStatus::not_finite;
  value = v;
  return NumberStatus::ok;
}

std::string quote_token(std::string_view t) {
  std::string r = "'";
  const std::size_t limit = 40;
  for (std::size_t i = 0; i < t.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c < 0x20 || c == 0x7F) r += "\\x" + hex_byte(c).substr(2);
    else r += static_cast<char>(c);
  }
  if (t.size() > limit) r += "...";
  return r + "'";
}

}  // namespace deepdot::detail
