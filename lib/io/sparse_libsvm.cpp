// SPDX-License-Identifier: MIT
// The sparse LIBSVM reader: the same line grammar as the dense one in
// data_text.cpp, stored as compressed columns (one column per point).
#include <deepdot/io/sparse_dataset.hpp>

#include "io/data_formats.hpp"
#include "io/npz.hpp"

#include "core/check.hpp"

#include <cstdio>
#include <stdexcept>
#include <vector>

namespace deepdot {
namespace detail {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool parse_index(std::string_view t, std::uint64_t& out) {
  if (t.empty() || t.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

std::string bad_number(NumberStatus st, std::string_view tok, const char* what) {
  switch (st) {
    case NumberStatus::missing: return std::string("missing ") + what;
    case NumberStatus::not_finite:
      return std::string(what) + " " + quote_token(tok) + " is not finite (NaN and infinities are rejected)";
    case NumberStatus::too_large: return std::string(what) + " " + quote_token(tok) + " is too large for a double";
    default: return std::string(what) + " " + quote_token(tok) + " is not a number";
  }
}

}  // namespace

SparseDataset parse_libsvm_sparse(ByteSource& src, const ReadOptions& opts) {
  src.set_kind("LIBSVM file");
  LineReader lr(src);
  if (opts.libsvm_dimension > kMaxDimension)
    lr.error_at(1, "the dimension set (" + std::to_string(opts.libsvm_dimension) + ") exceeds the limit of " +
                       std::to_string(kMaxDimension));
  std::vector<double> labels;
  std::vector<arma::uword> col_ptrs{0}, rows;
  std::vector<double> values;
  std::uint64_t largest = 0;
  std::string_view line;
  while (lr.next(line)) {
    if (opts.max_points != 0 && labels.size() >= opts.max_points) break;
    const std::size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    std::size_t i = 0, k = 0;
    auto next_token = [&](std::string_view& tok) {
      while (i < line.size() && is_blank(line[i])) ++i;
      const std::size_t start = i;
      while (i < line.size() && !is_blank(line[i])) ++i;
      tok = line.substr(start, i - start);
      return !tok.empty();
    };
    std::string_view tok;
    if (!next_token(tok)) continue;  // blank or comment-only line
    if (tok.find(':') != std::string_view::npos)
      lr.error("the line starts with " + quote_token(tok) +
               " instead of a label: every LIBSVM line is 'label index:value index:value ...'");
    if (tok.find(',') != std::string_view::npos)
      lr.error("label " + quote_token(tok) + " is a list: multi-label LIBSVM files are not supported");
    double y = 0.0;
    const NumberStatus st = parse_number(tok, y);
    if (st != NumberStatus::ok) lr.error(bad_number(st, tok, "the label"));
    std::int64_t previous = -1;
    while (next_token(tok)) {
      ++k;
      const std::size_t colon = tok.find(':');
      if (colon == std::string_view::npos)
        lr.error("token " + std::to_string(k + 1) + ", " + quote_token(tok) + ", is not of the form index:value");
      const std::string_view key = tok.substr(0, colon), val = tok.substr(colon + 1);
      if (key == "qid") {
        std::uint64_t q = 0;
        if (k != 1 || !parse_index(val, q))
          lr.error("token " + quote_token(tok) + ": qid:<number> is allowed only right after the label");
        continue;
      }
      std::uint64_t idx = 0;
      if (!key.empty() && key[0] == '-')
        lr.error("token " + quote_token(tok) + ": negative feature index " + quote_token(key));
      if (!parse_index(key, idx))
        lr.error("token " + quote_token(tok) + ": the index " + quote_token(key) + " is not a whole number");
      if (idx > kMaxDimension)
        lr.error("token " + quote_token(tok) + ": index " + std::string(key) + " exceeds the largest dimension " +
                 std::to_string(kMaxDimension) + " deepdot accepts");
      if (idx == 0 && !opts.libsvm_zero_based)
        lr.error("token " + quote_token(tok) +
                 ": index 0, but LIBSVM indices start at 1 (for a zero-based file set "
                 "ReadOptions::libsvm_zero_based)");
      const std::uint64_t feature = opts.libsvm_zero_based ? idx : idx - 1;
      if (opts.libsvm_dimension != 0 && feature >= opts.libsvm_dimension)
        lr.error("token " + quote_token(tok) + ": index " + std::string(key) + " is beyond the dimension " +
                 std::to_string(opts.libsvm_dimension) + " that was declared");
      if (static_cast<std::int64_t>(feature) <= previous)
        lr.error("token " + quote_token(tok) + ": indices must increase along a line (LIBSVM rule; repeated or " +
                 "unsorted indices are refused), and this one follows index " +
                 std::to_string(opts.libsvm_zero_based ? previous : previous + 1));
      previous = static_cast<std::int64_t>(feature);
      double v = 0.0;
      const NumberStatus vs = parse_number(val, v);
      if (vs != NumberStatus::ok) lr.error("token " + quote_token(tok) + ": " + bad_number(vs, val, "the value"));
      largest = std::max(largest, feature + 1);
      if (v != 0.0) {
        rows.push_back(static_cast<arma::uword>(feature));
        values.push_back(v);
      }
    }
    labels.push_back(y);
    col_ptrs.push_back(rows.size());
  }
  if (labels.empty())
    lr.error_at(std::max<std::uint64_t>(lr.line_number(), 1),
                "no data: the file holds only blank lines and comments");
  const std::uint64_t d = opts.libsvm_dimension != 0 ? opts.libsvm_dimension : largest;
  if (d == 0)
    lr.error_at(lr.line_number(), "no features: no line has an index:value pair (declare the dimension to read "
                                  "all-zero points)");
  SparseDataset ds;
  const arma::uword n = labels.size();
  ds.X = arma::sp_mat(arma::uvec(rows), arma::uvec(col_ptrs), arma::vec(values), d, n);
  ds.y = arma::vec(labels);
  ds.has_labels = true;
  ds.description = "LIBSVM (sparse), " + std::to_string(n) + " points, " + std::to_string(d) + " features, " +
                   std::to_string(values.size()) + " nonzeros";
  return ds;
}

}  // namespace detail

namespace {

SparseDataset parse_sparse_source(detail::ByteSource& src, const ReadOptions& opts, const std::string& path,
                                  std::string_view bytes) {
  if (!detail::is_libsvm_source(src, opts)) {
    // Dense formats: read as they are read elsewhere, then compressed.
    Dataset dense = path.empty() ? parse_dataset(bytes, src.name(), opts) : read_dataset(path, opts);
    SparseDataset ds;
    ds.X = arma::sp_mat(dense.X);
    ds.y = std::move(dense.y);
    ds.has_labels = dense.has_labels;
    ds.source = dense.source;
    ds.description = dense.description + " (compressed to " + std::to_string(ds.X.n_nonzero) + " nonzeros)";
    return ds;
  }
  SparseDataset ds = detail::parse_libsvm_sparse(src, opts);
  ds.source = src.name();
  if (!opts.labels_path.empty()) {
    ds.y = read_labels(opts.labels_path, nullptr, opts);
    if (ds.y.n_elem != ds.X.n_cols)
      throw std::invalid_argument("labels file '" + opts.labels_path + "': at its end: it holds " +
                                  std::to_string(ds.y.n_elem) + " labels but '" + src.name() + "' has " +
                                  std::to_string(ds.X.n_cols) + " points");
    ds.description += ", labels from '" + opts.labels_path + "'";
  }
  return ds;
}

}  // namespace

SparseDataset read_sparse_dataset(const std::string& path, const ReadOptions& opts) {
  const auto src = detail::ByteSource::file(path, "data file");
  if (!src->gzip() && detail::is_npz(std::string(src->peek(4)))) {
    SparseDataset ds = detail::read_npz(path, opts);
    if (!opts.labels_path.empty()) {
      ds.y = read_labels(opts.labels_path, nullptr, opts);
      if (ds.y.n_elem != ds.X.n_cols)
        throw std::invalid_argument("labels file '" + opts.labels_path + "': at its end: it holds " +
                                    std::to_string(ds.y.n_elem) + " labels but '" + path + "' has " +
                                    std::to_string(ds.X.n_cols) + " points");
      ds.has_labels = true;
      ds.description += ", labels from '" + opts.labels_path + "'";
    }
    return ds;
  }
  return parse_sparse_source(*src, opts, path, {});
}

SparseDataset parse_sparse_dataset(std::string_view bytes, const std::string& name, const ReadOptions& opts) {
  const auto src = detail::ByteSource::memory(bytes, name, "data");
  return parse_sparse_source(*src, opts, "", bytes);
}

void write_libsvm(const std::string& path, const arma::sp_mat& X, const arma::vec& y) {
  if (!y.is_empty() && y.n_elem != X.n_cols)
    detail::fail("write_libsvm()", "y has " + std::to_string(y.n_elem) + " labels but X has " +
                                       std::to_string(X.n_cols) + " points (columns)");
  X.sync();
  std::string out;
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    out += y.is_empty() ? std::string("0") : detail::format_double(y[j]);
    for (arma::uword k = X.col_ptrs[j]; k < X.col_ptrs[j + 1]; ++k) {
      out += ' ';
      out += std::to_string(X.row_indices[k] + 1);
      out += ':';
      out += detail::format_double(X.values[k]);
    }
    out += '\n';
  }
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("write_libsvm(): cannot write '" + path + "'");
  const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("write_libsvm(): cannot write '" + path + "'");
  }
}

}  // namespace deepdot
