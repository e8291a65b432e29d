// SPDX-License-Identifier: MIT
// Reading one part of a data file (read_dataset_part()): byte ranges of text
// files aligned to line starts, row ranges of binary files.
#include <deepdot/io/dataset.hpp>

#include "io/data_formats.hpp"
#include "io/data_source.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>

namespace deepdot {

namespace {

const char* kWhere = "read_dataset_part()";

struct File {
  std::FILE* f = nullptr;
  ~File() {
    if (f) std::fclose(f);
  }
};

[[noreturn]] void fail_file(const std::string& path, const std::string& what) {
  throw std::invalid_argument(std::string(kWhere) + ": data file '" + path + "': " + what);
}

std::uint64_t file_size(const File& file, const std::string& path) {
  if (std::fseek(file.f, 0, SEEK_END) != 0) fail_file(path, "cannot seek (not a regular file?)");
  const long size = std::ftell(file.f);
  if (size < 0) fail_file(path, "cannot tell its size");
  return static_cast<std::uint64_t>(size);
}

std::string read_bytes(const File& file, const std::string& path, std::uint64_t from, std::uint64_t to) {
  std::string out(static_cast<std::size_t>(to - from), '\0');
  if (std::fseek(file.f, static_cast<long>(from), SEEK_SET) != 0) fail_file(path, "cannot seek");
  if (!out.empty() && std::fread(&out[0], 1, out.size(), file.f) != out.size())
    fail_file(path, "read error at byte " + std::to_string(from));
  return out;
}

/// The first line start at or after byte `at` (the file size if none): the
/// byte after the first '\n' at or after at - 1.
std::uint64_t line_start_from(const File& file, std::uint64_t at, std::uint64_t size) {
  if (at == 0) return 0;
  if (at >= size) return size;
  std::fseek(file.f, static_cast<long>(at - 1), SEEK_SET);
  std::uint64_t pos = at - 1;
  for (int ch; (ch = std::fgetc(file.f)) != EOF; ++pos)
    if (ch == '\n') return pos + 1;
  return size;
}

/// Lines (newlines) in bytes [0, to): only computed to renumber an error.
std::uint64_t lines_before(const File& file, std::uint64_t to) {
  std::fseek(file.f, 0, SEEK_SET);
  std::uint64_t lines = 0;
  for (std::uint64_t pos = 0; pos < to; ++pos)
    if (std::fgetc(file.f) == '\n') ++lines;
  return lines;
}

/// Adds `shift` to the first ": line N:" of a reader's message.
std::string renumber(const std::string& message, long long shift) {
  static const std::regex line(": line ([0-9]+):");
  std::smatch m;
  if (!std::regex_search(message, m, line)) return message;
  const long long n = std::stoll(m[1].str()) + shift;
  return m.prefix().str() + ": line " + std::to_string(n) + ":" + m.suffix().str();
}

Dataset text_part(const File& file, const std::string& path, arma::uword part, arma::uword parts,
                  const ReadOptions& opts) {
  const std::uint64_t size = file_size(file, path);
  // The first two lines decide the format, the delimiter and the header as for
  // the whole file: part 0 always holds them, and every other part parses them
  // before its own lines and drops their points (0, 1 or 2) again.
  const std::uint64_t head_end = line_start_from(file, line_start_from(file, 1, size) + 1, size);
  const auto cut = [&](arma::uword k) {
    const auto nominal = static_cast<std::uint64_t>((static_cast<long double>(size) * k) / parts);
    return std::max(head_end, line_start_from(file, nominal, size));
  };
  const std::uint64_t begin = part == 0 ? 0 : cut(part), end = part + 1 == parts ? size : cut(part + 1);
  if (part == 0) {
    const std::string bytes = read_bytes(file, path, 0, end);
    return parse_dataset(bytes, path, opts);
  }
  const std::string head = read_bytes(file, path, 0, head_end);
  const arma::uword head_points = parse_dataset(head, path, opts).X.n_cols;
  const std::uint64_t head_lines = static_cast<std::uint64_t>(std::count(head.begin(), head.end(), '\n'));
  std::string bytes = head;
  bytes += read_bytes(file, path, begin, end);
  Dataset ds;
  try {
    ds = parse_dataset(bytes, path, opts);
  } catch (const std::invalid_argument& e) {
    // The parser numbered the lines of head + part; the part's first line is
    // line lines_before(begin) + 1 of the file.
    throw std::invalid_argument(
        renumber(e.what(), static_cast<long long>(lines_before(file, begin)) - static_cast<long long>(head_lines)));
  }
  if (!ds.label_names.empty())
    throw std::invalid_argument(std::string(kWhere) + ": data file '" + path +
                                "': the labels are text (names); a part would number them alone, so they cannot be "
                                "read in parts: write them as numbers");
  const arma::uword n = ds.X.n_cols - head_points;
  ds.X = arma::mat(ds.X.tail_cols(n));
  if (ds.has_labels) ds.y = arma::vec(ds.y.tail(n));
  ds.description += " (part " + std::to_string(part + 1) + " of " + std::to_string(parts) + ": bytes " +
                    std::to_string(begin) + " to " + std::to_string(end) + ", " + std::to_string(n) + " points)";
  return ds;
}

}  // namespace

Dataset read_dataset_part(const std::string& path, arma::uword part, arma::uword parts, const ReadOptions& opts) {
  if (parts == 0 || part >= parts)
    throw std::invalid_argument(std::string(kWhere) + ": part " + std::to_string(part) + " of " +
                                std::to_string(parts) + ": need parts >= 1 and 0 <= part < parts");
  if (opts.max_points != 0 || opts.skip_points != 0)
    throw std::invalid_argument(std::string(kWhere) + ": max_points and skip_points are set by the part; leave them 0");
  if (parts == 1) return read_dataset(path, opts);
  // ByteSource::file validates the path (missing, directory, ...) with the usual messages.
  const std::string magic = [&] {
    const auto src = detail::ByteSource::file(path, "data file");
    if (src->gzip())
      fail_file(path, "a gzipped file cannot be split into byte or row ranges; decompress it or give one shard per "
                      "rank");
    return std::string(src->peek(8));
  }();
  const bool npy = opts.format == "npy" || (opts.format == "auto" && magic.compare(0, 6, "\x93NUMPY") == 0);
  const bool idx = opts.format == "idx" ||
                   (opts.format == "auto" && magic.size() >= 4 && magic[0] == 0 && magic[1] == 0 && magic[2] == 8);
  if (npy || idx) {
    std::uint64_t n = 0;
    {
      const auto src = detail::ByteSource::file(path, "data file");
      n = npy ? detail::npy_point_count(*src) : detail::idx_point_count(*src);
    }
    const std::uint64_t a = n * part / parts, b = n * (part + 1) / parts;
    if (a == b) {
      // An empty part: the dimension from one point, then no points.
      ReadOptions one = opts;
      one.max_points = 1;
      Dataset ds = read_dataset(path, one);
      ds.X.set_size(ds.X.n_rows, 0);
      ds.y.reset();
      return ds;
    }
    ReadOptions o = opts;
    o.skip_points = static_cast<arma::uword>(a);
    o.max_points = static_cast<arma::uword>(b - a);
    Dataset ds = read_dataset(path, o);
    ds.description += " (part " + std::to_string(part + 1) + " of " + std::to_string(parts) + ": rows " +
                      std::to_string(a) + " to " + std::to_string(b) + ")";
    return ds;
  }
  File file;
  file.f = std::fopen(path.c_str(), "rb");
  if (!file.f) fail_file(path, "cannot open");
  return text_part(file, path, part, parts, opts);
}

}  // namespace deepdot
