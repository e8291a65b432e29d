// SPDX-License-Identifier: MIT
// The text formats: LIBSVM/SVMlight and CSV, both streamed line by line.
#include "io/data_formats.hpp"

#include "core/check.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace deepdot::detail {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

/// "value 'x' is not a number" and friends, for a token that failed parse_number().
std::string describe_bad_number(NumberStatus st, std::string_view tok, const char* what) {
  switch (st) {
    case NumberStatus::missing:
      return std::string("missing ") + what + (tok.empty() ? " (empty field)" : " " + quote_token(tok)) +
             ": deepdot does not impute missing values; remove or fill them first";
    case NumberStatus::not_finite:
      return std::string(what) + " " + quote_token(tok) + " is not finite (NaN and infinities are rejected)";
    case NumberStatus::too_large:
      return std::string(what) + " " + quote_token(tok) + " is too large for a double";
    default:
      return std::string(what) + " " + quote_token(tok) + " is not a number";
  }
}

/// Collects one label per point: numbers while they are numbers; on the
/// first text label all labels become class names (numbers seen before are
/// named by their shortest decimal form), numbered in sorted order at the end.
class LabelCollector {
 public:
  void add(std::string_view field, const std::string& where, LineReader& lr) {
    double v = 0.0;
    const NumberStatus st = parse_number(field, v);
    if (st == NumberStatus::ok && !text_) {
      values_.push_back(v);
      return;
    }
    if (st != NumberStatus::ok && st != NumberStatus::not_a_number)
      lr.error(where + describe_bad_number(st, field, "label"));
    if (!text_) {
      text_ = true;
      for (double& x : values_) x = static_cast<double>(id_of(format_double(x)));
    }
    values_.push_back(static_cast<double>(id_of(st == NumberStatus::ok ? format_double(v) : std::string(field))));
  }
  std::size_t size() const { return values_.size(); }
  /// The labels, and the sorted class names if they were text.
  arma::vec finish(std::vector<std::string>& names) {
    arma::vec y(values_.size());
    if (!text_) {
      std::copy(values_.begin(), values_.end(), y.begin());
      return y;
    }
    names.clear();
    std::vector<double> rank(ids_.size());
    double k = 0;
    for (const auto& [name, id] : ids_) {  // std::map: sorted by name
      names.push_back(name);
      rank[id] = k++;
    }
    for (std::size_t i = 0; i < values_.size(); ++i) y[i] = rank[static_cast<std::size_t>(values_[i])];
    return y;
  }

 private:
  std::size_t id_of(const std::string& name) {
    const auto it = ids_.emplace(name, ids_.size()).first;
    return it->second;
  }
  bool text_ = false;
  std::vector<double> values_;  // numbers, or ids into ids_ once text_
  std::map<std::string, std::size_t> ids_;
};

// --------------------------------------------------------------------------- LIBSVM

/// Parses the index of an "index:value" token; returns false if not digits.
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

}  // namespace

Dataset parse_libsvm(ByteSource& src, const ReadOptions& opts) {
  src.set_kind("LIBSVM file");
  LineReader lr(src);
  if (opts.libsvm_dimension > kMaxDimension)
    lr.error_at(1, "the dimension set (" + std::to_string(opts.libsvm_dimension) + ") exceeds the limit of " +
                       std::to_string(kMaxDimension));
  std::vector<double> labels;
  std::vector<std::uint64_t> row_start{0};
  std::vector<std::uint32_t> index;
  std::vector<double> value;
  std::uint64_t d = opts.libsvm_dimension;
  std::uint64_t largest = 0;  // largest index seen, as written
  std::string_view line;
  std::vector<std::string_view> tokens;
  while (lr.next(line)) {
    if (opts.max_points != 0 && labels.size() >= opts.max_points) break;
    const std::size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    tokens.clear();
    for (std::size_t i = 0; i < line.size();) {
      while (i < line.size() && is_blank(line[i])) ++i;
      const std::size_t start = i;
      while (i < line.size() && !is_blank(line[i])) ++i;
      if (i > start) tokens.push_back(line.substr(start, i - start));
    }
    if (tokens.empty()) continue;  // blank or comment-only line

    const std::string_view lab = tokens[0];
    if (lab.find(':') != std::string_view::npos)
      lr.error("the line starts with " + quote_token(lab) +
               " instead of a label: every LIBSVM line is 'label index:value index:value ...'");
    if (lab.find(',') != std::string_view::npos)
      lr.error("label " + quote_token(lab) + " is a list: multi-label LIBSVM files are not supported");
    double y = 0.0;
    const NumberStatus st = parse_number(lab, y);
    if (st != NumberStatus::ok) lr.error(describe_bad_number(st, lab, "the label"));

    std::int64_t previous = -1;
    for (std::size_t k = 1; k < tokens.size(); ++k) {
      const std::string_view tok = tokens[k];
      const std::size_t colon = tok.find(':');
      if (colon == std::string_view::npos)
        lr.error("token " + std::to_string(k + 1) + ", " + quote_token(tok) + ", is not of the form index:value");
      const std::string_view key = tok.substr(0, colon), val = tok.substr(colon + 1);
      if (key == "qid") {  // SVMlight query ids: accepted and ignored, they mean nothing here
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
      if (opts.libsvm_dimension == 0 && feature >= kMaxImpliedLibsvmDimension)
        lr.error("token " + quote_token(tok) + ": index " + std::string(key) + " implies more than " +
                 std::to_string(kMaxImpliedLibsvmDimension) +
                 " features, the most deepdot infers from a LIBSVM file; set the dimension "
                 "(ReadOptions::libsvm_dimension, --dim in the apps) to read a wider file");
      if (opts.libsvm_dimension != 0 && feature >= opts.libsvm_dimension)
        lr.error("token " + quote_token(tok) + ": index " + std::string(key) + " is beyond the dimension " +
                 std::to_string(opts.libsvm_dimension) + " that was set");
      if (static_cast<std::int64_t>(feature) <= previous)
        lr.error("token " + quote_token(tok) + ": indices must increase along a line (LIBSVM rule), " +
                 "and this one follows index " +
                 std::to_string(opts.libsvm_zero_based ? previous : previous + 1));
      previous = static_cast<std::int64_t>(feature);
      double v = 0.0;
      const NumberStatus vs = parse_number(val, v);
      if (vs != NumberStatus::ok)
        lr.error("token " + quote_token(tok) + ": " + describe_bad_number(vs, val, "the value"));
      largest = std::max(largest, feature + 1);
      if (v != 0.0) {  // explicit zeros need no storage
        index.push_back(static_cast<std::uint32_t>(feature));
        value.push_back(v);
      }
    }
    labels.push_back(y);
    row_start.push_back(index.size());
    // Checked as the file streams in, so that a huge index fails here, not after reading everything.
    check_dense(d != 0 ? d : largest, labels.size(), opts, [&](const std::string& m) { lr.error(m); });
  }
  if (labels.empty())
    lr.error_at(std::max<std::uint64_t>(lr.line_number(), 1),
                "no data: the file holds only blank lines and comments");
  if (d == 0) d = largest;
  if (d == 0)
    lr.error_at(lr.line_number(), "no features: no line has an index:value pair (set the dimension to read "
                                  "all-zero points)");
  const arma::uword n = labels.size();
  check_dense_memory(d, n, [&](const std::string& m) { lr.error(m); });
  Dataset ds;
  ds.X.zeros(static_cast<arma::uword>(d), n);
  for (arma::uword i = 0; i < n; ++i)
    for (std::uint64_t k = row_start[i]; k < row_start[i + 1]; ++k) ds.X(index[k], i) = value[k];
  ds.y = arma::vec(labels);
  ds.has_labels = true;
  ds.description = "LIBSVM, " + std::to_string(n) + " points, " + std::to_string(d) + " features, " +
                   std::to_string(value.size()) + " nonzeros";
  return ds;
}

// --------------------------------------------------------------------------- CSV

namespace {

struct Record {
  std::vector<std::string> fields;
  std::uint64_t line = 0;
};

class CsvReader {
 public:
  CsvReader(LineReader& lr, char delimiter) : lr_(lr), delim_(delimiter) {}

  /// The next non-blank, non-comment line split into fields.
  bool next(Record& rec) {
    std::string_view line;
    for (;;) {
      if (!lr_.next(line)) return false;
      const std::string_view t = trim(line);
      if (!t.empty() && t[0] != '#') break;
    }
    if (delim_ == '\0') delim_ = detect(line);
    rec.line = lr_.line_number();
    split(line, rec.fields);
    return true;
  }
  char delimiter() const { return delim_; }

 private:
  static char detect(std::string_view line) {
    // Counted outside quotes so that a quoted "a, b" does not decide.
    std::size_t tabs = 0, semis = 0, commas = 0;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      else if (!quoted) {
        tabs += c == '\t';
        semis += c == ';';
        commas += c == ',';
      }
    }
    if (tabs > 0) return '\t';
    if (semis > 0) return ';';
    if (commas > 0) return ',';
    return ' ';
  }

  void split(std::string_view line, std::vector<std::string>& out) {
    out.clear();
    if (delim_ == ' ') {  // runs of blanks, as numpy.savetxt and many tools write
      const std::string_view t = trim(line);
      for (std::size_t i = 0; i < t.size();) {
        const std::size_t start = i;
        while (i < t.size() && !is_blank(t[i])) ++i;
        out.emplace_back(t.substr(start, i - start));
        while (i < t.size() && is_blank(t[i])) ++i;
      }
      return;
    }
    auto pad = [&](char c) { return c == ' ' || (c == '\t' && delim_ != '\t'); };
    std::size_t i = 0;
    for (;;) {
      while (i < line.size() && pad(line[i])) ++i;
      std::string field;
      if (i < line.size() && line[i] == '"') {
        const std::size_t open = i++;
        bool closed = false;
        while (i < line.size()) {
          if (line[i] == '"') {
            if (i + 1 < line.size() && line[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          field += line[i++];
        }
        if (!closed)
          lr_.error("the quote opened at column " + std::to_string(open + 1) +
                    " is not closed on this line (fields spanning lines are not supported)");
        while (i < line.size() && pad(line[i])) ++i;
        if (i < line.size() && line[i] != delim_)
          lr_.error("unexpected " + quote_token(line.substr(i, 1)) + " after the closing quote at column " +
                    std::to_string(i + 1));
      } else {
        const std::size_t start = i;
        while (i < line.size() && line[i] != delim_) ++i;
        field = std::string(trim(line.substr(start, i - start)));
      }
      out.push_back(std::move(field));
      if (i >= line.size()) break;
      ++i;  // the delimiter
    }
  }

  LineReader& lr_;
  char delim_;
};

bool is_number(const std::string& s) {
  double v = 0.0;
  return parse_number(s, v) == NumberStatus::ok;
}

/// pandas writes integer column names 0,1,2,...: a header made of numbers.
bool is_pandas_range(const std::vector<std::string>& row) {
  if (row.size() < 2) return false;
  for (std::size_t j = 0; j < row.size(); ++j)
    if (row[j] != std::to_string(j)) return false;
  return true;
}

bool decide_header(const Record& first, const Record* second) {
  if (is_pandas_range(first.fields)) return true;
  if (!first.fields.empty() && first.fields[0].empty() && second != nullptr) {
    // An empty first name over a column of numbers: the index column pandas and R write.
    std::vector<std::string> rest(first.fields.begin() + 1, first.fields.end());
    if (is_pandas_range(rest)) return true;
  }
  for (std::size_t j = 0; j < first.fields.size(); ++j) {
    double v = 0.0;
    if (parse_number(first.fields[j], v) != NumberStatus::not_a_number) continue;
    if (second == nullptr) return true;
    if (j < second->fields.size() && is_number(second->fields[j])) return true;
  }
  return false;
}

std::string delimiter_name(char c) {
  switch (c) {
    case '\t': return "tab";
    case ' ': return "blanks";
    default: return std::string("'") + c + "'";
  }
}

}  // namespace

Dataset parse_csv(ByteSource& src, const ReadOptions& opts, bool labels_only) {
  src.set_kind(labels_only ? "labels file" : "CSV file");
  LineReader lr(src);
  const char delim = opts.csv_delimiter;
  if (delim != '\0' && delim != ',' && delim != ';' && delim != '\t' && delim != ' ')
    lr.error_at(1, "unsupported delimiter " + quote_token(std::string(1, delim)) + " (use ',', ';', tab or ' ')");
  CsvReader csv(lr, delim);
  Record first, second;
  if (!csv.next(first)) lr.error_at(std::max<std::uint64_t>(lr.line_number(), 1), "no data: only blank lines and comments");
  const bool have_second = csv.next(second);

  const std::string& hopt = opts.csv_header;
  bool header = false;
  if (hopt == "yes") header = true;
  else if (hopt == "no") header = false;
  else if (hopt == "auto") header = decide_header(first, have_second ? &second : nullptr);
  else lr.error_at(first.line, "csv_header must be auto, yes or no, got " + quote_token(hopt));

  const std::size_t ncols = first.fields.size();
  std::vector<std::string> names;
  if (header) names = first.fields;
  // An unnamed first column in a header is a row index (pandas, R): skipped.
  const bool skip_index = header && ncols >= 2 && (names[0].empty() || names[0] == "Unnamed: 0");

  auto col_desc = [&](std::size_t j) {
    std::string s = "column " + std::to_string(j + 1);
    if (header && !names[j].empty()) s += " (" + quote_token(names[j]) + ")";
    return s;
  };

  // Which column holds the labels (-1: none).
  long label = -1;
  const std::string& lopt = opts.csv_label_column;
  const long first_col = skip_index ? 1 : 0;
  const long last_col = static_cast<long>(ncols) - 1;
  if (labels_only) {
    if (ncols - static_cast<std::size_t>(first_col) != 1)
      lr.error_at(first.line, "a labels file must have one label per line, this line has " +
                                  std::to_string(ncols) + " fields");
    label = first_col;
  } else if (lopt == "none") {
    label = -1;
  } else if (lopt == "first") {
    label = first_col;
  } else if (lopt == "last") {
    label = last_col;
  } else if (lopt == "auto") {
    label = last_col;
    if (header)
      for (std::size_t j = 0; j < ncols; ++j) {
        const std::string low = ascii_lower(names[j]);
        if (low == "label" || low == "labels" || low == "class" || low == "target" || low == "y") {
          label = static_cast<long>(j);
          break;
        }
      }
  } else {
    label = -2;
    if (header) {
      for (std::size_t j = 0; j < ncols && label < 0; ++j)
        if (names[j] == lopt) label = static_cast<long>(j);
      for (std::size_t j = 0; j < ncols && label < 0; ++j)
        if (ascii_lower(names[j]) == ascii_lower(lopt)) label = static_cast<long>(j);
    }
    if (label < 0 && !lopt.empty() && lopt.find_first_not_of("0123456789") == std::string::npos && lopt.size() < 10) {
      const long k = std::stol(lopt);
      if (k < 1 || k > static_cast<long>(ncols))
        lr.error_at(first.line, "label column " + lopt + " does not exist: the file has " +
                                    std::to_string(ncols) + " columns (numbered from 1)");
      label = k - 1;
    }
    if (label < 0) {
      std::string list;
      for (std::size_t j = 0; j < names.size() && j < 8; ++j) list += (j ? ", " : "") + quote_token(names[j]);
      if (names.size() > 8) list += ", ...";
      lr.error_at(first.line, "label column " + quote_token(lopt) +
                                  (header ? " is not in the header (" + list + ")"
                                          : " is not a column number and the file has no header row"));
    }
  }
  if (!labels_only && skip_index && label == 0) label = -1;

  std::uint64_t d = ncols - static_cast<std::size_t>(first_col) - (label >= first_col ? 1 : 0);
  if (!labels_only && d == 0)
    lr.error_at(first.line, "no feature columns: the only column holds the labels (set csv_label_column "
                            "to none to read it as a feature)");
  if (d > kMaxDimension)
    lr.error_at(first.line, std::to_string(d) + " columns, more than the limit of " + std::to_string(kMaxDimension));
  if (labels_only) d = 0;

  std::vector<double> data;
  LabelCollector labels;
  std::uint64_t n = 0;
  auto take = [&](const Record& rec) {
    if (rec.fields.size() != ncols)
      lr.error_at(rec.line, "this line has " + std::to_string(rec.fields.size()) + " fields, line " +
                                std::to_string(first.line) + " has " + std::to_string(ncols) +
                                " (ragged rows; delimiter " + delimiter_name(csv.delimiter()) + ")");
    for (std::size_t j = static_cast<std::size_t>(first_col); j < ncols; ++j) {
      const std::string& f = rec.fields[j];
      if (static_cast<long>(j) == label) {
        labels.add(f, col_desc(j) + ": ", lr);
        continue;
      }
      double v = 0.0;
      const NumberStatus st = parse_number(f, v);
      if (st != NumberStatus::ok) {
        std::string msg = col_desc(j) + ": " + describe_bad_number(st, f, "value");
        const bool decimal_comma = csv.delimiter() != ',' && f.find(',') != std::string::npos &&
                                   f.find_first_not_of("0123456789,-+eE") == std::string::npos;
        if (decimal_comma) msg += " (a decimal comma? deepdot reads numbers with a decimal point)";
        if (st == NumberStatus::not_a_number && !header && rec.line == first.line)
          msg += " (if this line is a header, set csv_header to yes)";
        else if (st == NumberStatus::not_a_number && !decimal_comma)
          msg += " (features must be numbers: encode a text column as numbers, drop it, or make it the label "
                 "column with csv_label_column)";
        lr.error_at(rec.line, msg);
      }
      data.push_back(v);
    }
    ++n;
    check_dense(d, n, opts, [&](const std::string& m) { lr.error_at(rec.line, m); });
  };

  auto full = [&] { return opts.max_points != 0 && n >= opts.max_points; };
  if (!header && !full()) take(first);
  if (have_second && !full()) {
    take(second);
    Record rec;
    while (!full() && csv.next(rec)) take(rec);
  }
  if (n == 0)
    lr.error_at(first.line, "no data rows: line " + std::to_string(first.line) +
                                " was read as a header and nothing follows (set csv_header to no if it is data)");

  Dataset ds;
  if (header && !labels_only)
    for (std::size_t j = static_cast<std::size_t>(first_col); j < ncols; ++j)
      if (static_cast<long>(j) != label) {
        ds.feature_names.push_back(names[j]);
        ds.feature_columns.push_back(static_cast<arma::uword>(j + 1));
      }
  if (!labels_only) {
    ds.X.set_size(static_cast<arma::uword>(d), static_cast<arma::uword>(n));
    if (!data.empty()) std::memcpy(ds.X.memptr(), data.data(), data.size() * sizeof(double));
  }
  if (label >= 0) {
    ds.y = labels.finish(ds.label_names);
    ds.has_labels = true;
  }
  ds.description = std::string(labels_only ? "labels" : "CSV") + ", " + (header ? "header row" : "no header") +
                   ", delimiter " + delimiter_name(csv.delimiter()) + ", " + std::to_string(n) + " points";
  if (!labels_only) ds.description += ", " + std::to_string(d) + " features";
  if (skip_index) ds.description += ", index column 1 skipped";
  if (label >= 0 && !labels_only) ds.description += ", labels from " + col_desc(static_cast<std::size_t>(label));
  if (!ds.label_names.empty()) ds.description += " (" + std::to_string(ds.label_names.size()) + " class names)";
  return ds;
}

}  // namespace deepdot::detail
