// SPDX-License-Identifier: MIT
#include <deepdot/io/dataset.hpp>

#include "io/data_formats.hpp"

#include <deepdot/io/atomic_file.hpp>
#include <deepdot/util/memory.hpp>

#include <cerrno>
#include <fcntl.h>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace deepdot {

void detail::check_dense_memory(std::uint64_t d, std::uint64_t n, const std::function<void(const std::string&)>& fail) {
  const double bytes = 8.0 * static_cast<double>(d) * static_cast<double>(n);
  try {
    require_memory(bytes, "the data", "a dense " + std::to_string(d) + " x " + std::to_string(n) + " matrix of doubles",
                   "read fewer points (ReadOptions::max_points) or fewer features");
  } catch (const std::invalid_argument& e) {
    fail(std::string(e.what()).substr(10));  // without "the data: "
  }
}

namespace {

using detail::ByteSource;

constexpr std::uint64_t kAllPoints = ~std::uint64_t(0);

enum class Format { libsvm, csv, npy, idx };

std::string lower(std::string s) { return detail::ascii_lower(s); }

/// The extension of a file name, lower case, without a trailing ".gz".
std::string extension_of(const std::string& name) {
  std::string base = name.substr(name.find_last_of('/') + 1);
  if (base.size() > 3 && lower(base.substr(base.size() - 3)) == ".gz") base.resize(base.size() - 3);
  const std::size_t dot = base.find_last_of('.');
  return dot == std::string::npos ? std::string() : lower(base.substr(dot + 1));
}

bool idx_like_name(const std::string& name) {
  const std::string low = lower(name.substr(name.find_last_of('/') + 1));
  return low.find("idx1-ubyte") != std::string::npos || low.find("idx3-ubyte") != std::string::npos ||
         extension_of(name) == "idx";
}

/// True if the first data line of `head` has a second token "index:value".
bool looks_like_libsvm(std::string_view head) {
  std::size_t pos = 0;
  while (pos < head.size()) {
    std::size_t end = head.find('\n', pos);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 1;
    const std::size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    std::size_t i = line.find_first_not_of(" \t\r");
    if (i == std::string_view::npos) continue;
    i = line.find_first_of(" \t", i);               // end of the label
    if (i == std::string_view::npos) return false;  // a lone number: one-column CSV
    i = line.find_first_not_of(" \t", i);
    if (i == std::string_view::npos) return false;
    const std::size_t colon = line.find(':', i);
    const std::size_t space = line.find_first_of(" \t", i);
    return colon != std::string_view::npos && colon < space && colon > i;
  }
  return false;
}

Format detect(ByteSource& src, const ReadOptions& opts) {
  const std::string& f = opts.format;
  if (f == "libsvm" || f == "svmlight") return Format::libsvm;
  if (f == "csv") return Format::csv;
  if (f == "npy") return Format::npy;
  if (f == "idx") return Format::idx;
  if (f != "auto")
    throw std::invalid_argument("'" + src.name() + "': unknown format '" + f +
                                "' (use auto, libsvm, csv, npy or idx)");
  const std::string_view head = src.peek(4096);
  if (head.size() >= 6 && head.substr(0, 6) == "\x93NUMPY") return Format::npy;
  if (head.size() >= 4 && head[0] == 0 && head[1] == 0 && head[2] == 8 && (head[3] == 1 || head[3] == 3))
    return Format::idx;
  const std::string ext = extension_of(src.name());
  if (ext == "npy") return Format::npy;
  if (idx_like_name(src.name())) return Format::idx;
  if (head.substr(0, 4) == "PK\x03\x04")
    src.error_at(0, "a zip archive (a NumPy .npz?): these are not read; save each array with numpy.save");
  if (head.substr(0, 3) == "BZh") src.error_at(0, "bzip2-compressed data: decompress it (bunzip2) or use gzip");
  if (head.substr(0, 6) == "\xFD" "7zXZ\0") src.error_at(0, "xz-compressed data: decompress it (unxz) or use gzip");
  if (ext == "csv" || ext == "tsv") return Format::csv;
  if (ext == "libsvm" || ext == "svm" || ext == "svmlight" || ext == "t") return Format::libsvm;
  return looks_like_libsvm(head) ? Format::libsvm : Format::csv;
}

bool regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// The labels file of an MNIST-style pair, or "" if there is none.
std::string paired_labels(const std::string& images) {
  const std::size_t slash = images.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : images.substr(0, slash + 1);
  std::string base = images.substr(slash + 1);
  bool found = false;
  for (const auto& [from, to] : {std::pair<const char*, const char*>{"images-idx3-ubyte", "labels-idx1-ubyte"},
                                 {"images.idx3-ubyte", "labels.idx1-ubyte"}}) {
    const std::size_t at = base.rfind(from);
    if (at != std::string::npos) {
      base.replace(at, std::strlen(from), to);
      found = true;
      break;
    }
  }
  if (!found) return "";
  const bool gz = base.size() > 3 && base.compare(base.size() - 3, 3, ".gz") == 0;
  const std::string plain = gz ? base.substr(0, base.size() - 3) : base;
  for (const std::string& cand : gz ? std::vector<std::string>{plain + ".gz", plain}
                                    : std::vector<std::string>{plain, plain + ".gz"})
    if (regular_file(dir + cand)) return dir + cand;
  return "";
}

arma::vec labels_from(ByteSource& src, std::vector<std::string>* names, const ReadOptions& opts) {
  if (src.at_end()) src.error_at(0, "the file is empty");
  const std::string_view head = src.peek(8);
  if (head.size() >= 6 && head.substr(0, 6) == "\x93NUMPY") return detail::parse_npy_labels(src, opts);
  if (head.size() >= 4 && head[0] == 0 && head[1] == 0 && head[2] == 8) {
    const arma::ivec y =
        detail::parse_idx_labels(src, opts.max_points != 0 ? opts.max_points : kAllPoints, opts.skip_points);
    return arma::conv_to<arma::vec>::from(y);
  }
  if (extension_of(src.name()) == "npy") return detail::parse_npy_labels(src, opts);
  // Text labels are one number per point: small enough to parse whole and cut.
  ReadOptions whole = opts;
  whole.skip_points = 0;
  if (opts.max_points != 0) whole.max_points = opts.skip_points + opts.max_points;
  Dataset ds = detail::parse_csv(src, whole, true);
  if (opts.skip_points != 0) {
    if (opts.skip_points >= ds.y.n_elem)
      src.error_at(0, "cannot skip " + std::to_string(opts.skip_points) + " labels: the file holds " +
                          std::to_string(ds.y.n_elem));
    ds.y = arma::vec(ds.y.tail(ds.y.n_elem - opts.skip_points));
  }
  if (names != nullptr) *names = std::move(ds.label_names);
  return ds.y;
}

Dataset parse_source(ByteSource& src, const ReadOptions& opts, bool from_file) {
  if (src.at_end()) src.error_at(0, std::string("the file is empty") + (src.gzip() ? " (an empty gzip stream)" : ""));
  const Format fmt = detect(src, opts);
  ReadOptions o = opts;
  // A separate labels file replaces labels in the data; CSV's "auto" label column then means none.
  if (!opts.labels_path.empty() && o.csv_label_column == "auto") o.csv_label_column = "none";
  Dataset ds;
  if (opts.skip_points != 0 && (fmt == Format::libsvm || fmt == Format::csv))
    src.error_at(0, "skip_points (a row range) applies to .npy and IDX files; text files are split by byte "
                    "ranges aligned to line starts (read_dataset_part())");
  switch (fmt) {
    case Format::libsvm: ds = detail::parse_libsvm(src, o); break;
    case Format::csv: ds = detail::parse_csv(src, o); break;
    case Format::npy: ds = detail::parse_npy(src, o); break;
    case Format::idx: {
      const std::uint64_t max = o.max_points != 0 ? o.max_points : kAllPoints;
      ds.X = detail::parse_idx_images(src, max, o.skip_points);
      if (ds.X.n_cols == 0) src.error_at(4, "the file holds 0 images");
      ds.description = "IDX images, " + std::to_string(ds.X.n_cols) + " points, " + std::to_string(ds.X.n_rows) +
                       " pixels";
      break;
    }
  }
  ds.source = src.name();
  std::string labels = opts.labels_path;
  if (labels.empty() && fmt == Format::idx && from_file) labels = paired_labels(src.name());
  if (!labels.empty()) {
    const auto lsrc = ByteSource::file(labels, "labels file");
    ds.y = labels_from(*lsrc, &ds.label_names, o);
    ds.has_labels = true;
    if (ds.y.n_elem != ds.X.n_cols)
      throw std::invalid_argument("labels file '" + labels + "': at its end: it holds " +
                                  std::to_string(ds.y.n_elem) + " labels but '" + src.name() + "' has " +
                                  std::to_string(ds.X.n_cols) + " points");
    ds.description += ", labels from '" + labels + "'" + (opts.labels_path.empty() ? " (paired by name)" : "");
  }
  return ds;
}

}  // namespace

namespace detail {
bool is_libsvm_source(ByteSource& src, const ReadOptions& opts) {
  if (src.at_end()) return false;  // the dense readers report the empty file
  return detect(src, opts) == Format::libsvm;
}
}  // namespace detail

Dataset read_dataset(const std::string& path, const ReadOptions& opts) {
  const auto src = ByteSource::file(path, "data file");
  return parse_source(*src, opts, true);
}

Dataset parse_dataset(std::string_view bytes, const std::string& name, const ReadOptions& opts) {
  const auto src = ByteSource::memory(bytes, name, "data");
  return parse_source(*src, opts, false);
}

arma::vec read_labels(const std::string& path, std::vector<std::string>* names, const ReadOptions& opts) {
  const auto src = ByteSource::file(path, "labels file");
  return labels_from(*src, names, opts);
}

// --------------------------------------------------------------------------- writers

namespace {

/// Writes through `body` into an AtomicFile for `path` (random name in the
/// same directory, O_EXCL | O_NOFOLLOW, umask honoured, renamed at the end),
/// so readers never see a partial file. Unlike model files (Model::save) the
/// data is not forced to disk before the rename: these are derived arrays
/// that can be recomputed, and an fsync of a large feature file can take
/// longer than computing it (docs/performance.md).
template <typename Body>
void atomic_write(const std::string& path, const char* who, Body&& body) {
  AtomicFile file(path, std::string(who) + "('" + path + "')");
  body(file);
  file.commit(false);
}

/// Collects small writes into 1 MiB blocks before they reach the file.
class BufferedOut {
 public:
  explicit BufferedOut(AtomicFile& f) : f_(f) { buf_.reserve(kBlock); }
  void put(const void* data, std::size_t n) {
    if (buf_.size() + n > kBlock) flush();
    if (n >= kBlock) f_.write(data, n);
    else buf_.append(static_cast<const char*>(data), n);
  }
  void flush() {
    f_.write(buf_.data(), buf_.size());
    buf_.clear();
  }

 private:
  static constexpr std::size_t kBlock = std::size_t(1) << 20;
  AtomicFile& f_;
  std::string buf_;
};

std::string npy_header(const char* descr, const std::string& shape) {
  std::string h = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // NumPy pads the header with spaces so that the data starts on a 64-byte boundary.
  const std::size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(h.size() & 0xFF);
  out += static_cast<char>(h.size() >> 8);
  return out + h;
}

template <typename eT>
void write_npy_impl(const std::string& path, const eT* data, std::size_t count, const char* descr,
                    const std::string& shape) {
  const std::string header = npy_header(descr, shape);
  atomic_write(path, "write_npy", [&](AtomicFile& file) {
    BufferedOut f(file);
    f.put(header.data(), header.size());
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    f.put(data, count * sizeof(eT));
#else
    for (std::size_t i = 0; i < count; ++i) {  // big-endian host: write little-endian bytes
      unsigned char b[sizeof(eT)];
      std::memcpy(b, data + i, sizeof(eT));
      for (std::size_t k = 0; k < sizeof(eT) / 2; ++k) std::swap(b[k], b[sizeof(eT) - 1 - k]);
      f.put(b, sizeof(eT));
    }
#endif
    f.flush();
  });
}

std::string shape2(const arma::uword n, const arma::uword d) {
  return "(" + std::to_string(n) + ", " + std::to_string(d) + ")";
}

void append_number(std::string& s, double v) {
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

}  // namespace

// An Armadillo d x n matrix is stored column by column, which is exactly a
// C-order n x d array: the bytes go out as they are.
void write_npy(const std::string& path, const arma::mat& X) {
  write_npy_impl(path, X.memptr(), X.n_elem, "<f8", shape2(X.n_cols, X.n_rows));
}

void write_npy(const std::string& path, const arma::fmat& X) {
  write_npy_impl(path, X.memptr(), X.n_elem, "<f4", shape2(X.n_cols, X.n_rows));
}

void write_npy(const std::string& path, const arma::vec& y) {
  write_npy_impl(path, y.memptr(), y.n_elem, "<f8", "(" + std::to_string(y.n_elem) + ",)");
}

void write_npy_mapped(const std::string& path, arma::uword d, arma::uword n,
                      const std::function<void(arma::fmat& X)>& fill) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const std::string header = npy_header("<f4", shape2(n, d));
  const std::size_t bytes = header.size() + sizeof(float) * static_cast<std::size_t>(d) * n;
  AtomicFile file(path, "write_npy_mapped('" + path + "')");
  // The blocks are reserved up front: a full disk is an error here, not a
  // SIGBUS when a page of the mapping is first written.
  file.reserve(bytes);
  void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, file.fd(), 0);
  if (base == MAP_FAILED)
    throw std::runtime_error("write_npy_mapped('" + path + "'): mapping the file failed: " + std::strerror(errno));
  std::memcpy(base, header.data(), header.size());
  try {
    // The header is a multiple of 64 bytes, so the data is aligned for floats.
    arma::fmat X(reinterpret_cast<float*>(static_cast<char*>(base) + header.size()), d, n, false, true);
    fill(X);
  } catch (...) {
    ::munmap(base, bytes);
    throw;  // the AtomicFile removes the temporary file
  }
  if (::munmap(base, bytes) != 0)
    throw std::runtime_error("write_npy_mapped('" + path + "'): unmapping the file failed: " + std::strerror(errno));
  file.commit(false);
#else
  arma::fmat X(d, n, arma::fill::zeros);  // big-endian host: fill in memory, write byte-swapped
  fill(X);
  write_npy(path, X);
#endif
}

void write_csv(const std::string& path, const arma::mat& X, const arma::vec& y, bool header) {
  if (!y.is_empty() && y.n_elem != X.n_cols)
    throw std::invalid_argument("write_csv('" + path + "'): " + std::to_string(y.n_elem) + " labels for " +
                                std::to_string(X.n_cols) + " points");
  atomic_write(path, "write_csv", [&](AtomicFile& file) {
    BufferedOut f(file);
    std::string line;
    if (header) {
      for (arma::uword j = 0; j < X.n_rows; ++j) line += (j ? ",x" : "x") + std::to_string(j + 1);
      if (!y.is_empty()) line += X.n_rows ? ",label" : "label";
      line += '\n';
      f.put(line.data(), line.size());
    }
    for (arma::uword i = 0; i < X.n_cols; ++i) {
      line.clear();
      for (arma::uword j = 0; j < X.n_rows; ++j) {
        if (j) line += ',';
        append_number(line, X(j, i));
      }
      if (!y.is_empty()) {
        if (X.n_rows) line += ',';
        append_number(line, y[i]);
      }
      line += '\n';
      f.put(line.data(), line.size());
    }
    f.flush();
  });
}

}  // namespace deepdot
