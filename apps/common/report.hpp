// SPDX-License-Identifier: MIT
// Output of the deepdot command line: every figure goes both into a readable
// table (default) and into one JSON object (--json), so the two never drift.
#pragma once

#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace deepdot::cli {

/// An ordered list of named values printed as "name: value" lines or as one JSON object.
class Report {
 public:
  void text(const std::string& key, const std::string& value) { items_.push_back({key, quote(value), value}); }
  void number(const std::string& key, double value, int precision = 6) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    items_.push_back({key, std::isfinite(value) ? std::string(buf) : "null", buf});
  }
  void integer(const std::string& key, unsigned long long value) {
    items_.push_back({key, std::to_string(value), std::to_string(value)});
  }
  /// A nested JSON value (array or object) with its own text rendering.
  void raw(const std::string& key, const std::string& json, const std::string& shown) {
    items_.push_back({key, json, shown});
  }
  bool has(const std::string& key) const {
    for (const auto& it : items_)
      if (it.key == key) return true;
    return false;
  }
  /// Adds key/value pairs whose keys are not there yet (metadata repeats some figures).
  void extra(const std::vector<std::pair<std::string, std::string>>& pairs) {
    for (const auto& kv : pairs)
      if (!has(kv.first)) text(kv.first, kv.second);
  }
  void print(bool json, std::ostream& out = std::cout) const {
    if (json) {
      out << "{";
      for (std::size_t i = 0; i < items_.size(); ++i)
        out << (i ? "," : "") << quote(items_[i].key) << ":" << items_[i].json;
      out << "}\n";
      return;
    }
    std::size_t width = 0;
    for (const auto& it : items_) width = std::max(width, it.key.size());
    for (const auto& it : items_) {
      if (it.shown.find('\n') != std::string::npos) {
        out << it.key << ":\n" << it.shown;
        if (it.shown.back() != '\n') out << "\n";
      } else {
        out << it.key << ":" << std::string(width + 2 - it.key.size(), ' ') << it.shown << "\n";
      }
    }
  }
  static std::string quote(const std::string& s) {
    std::string q = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') q += '\\', q += static_cast<char>(c);
      else if (c == '\n') q += "\\n";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        q += buf;
      } else q += static_cast<char>(c);
    }
    return q + "\"";
  }

 private:
  struct Item {
    std::string key, json, shown;
  };
  std::vector<Item> items_;
};

/// Stage-by-stage progress on stderr, shown only when stderr is a terminal
/// and --quiet is not given, so logs and pipes stay clean.
class Progress {
 public:
  explicit Progress(bool quiet) : enabled_(!quiet && isatty(STDERR_FILENO)) {}
  void stage(const std::string& what) {
    if (!enabled_) return;
    if (open_) std::cerr << " done\n";
    std::cerr << "deepdot: " << what << " ..." << std::flush;
    open_ = true;
  }
  /// A bar for loops with a known count: [#####.....] i/n.
  void bar(const std::string& what, std::size_t i, std::size_t n) {
    if (!enabled_ || n == 0) return;
    if (open_) {
      std::cerr << " done\n";
      open_ = false;
    }
    const std::size_t width = 30, filled = width * i / n;
    std::cerr << "\rdeepdot: " << what << " [" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
              << i << "/" << n << (i == n ? "\n" : "") << std::flush;
  }
  /// Adapter for TrainerConfig::progress: bars for counted stages, a line for the others.
  void trainer_event(const std::string& stage, std::size_t done, std::size_t total) {
    if (total > 1)
      bar(stage, done, total);
    else if (done == 0)
      this->stage(stage);
  }
  ~Progress() {
    if (enabled_ && open_) std::cerr << " done\n";
  }

 private:
  bool enabled_;
  bool open_ = false;
};

}  // namespace deepdot::cli
