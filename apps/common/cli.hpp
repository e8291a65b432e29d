// SPDX-License-Identifier: MIT
// Minimal command-line parsing shared by the apps: "--name value" and
// "--flag", with typed getters whose errors name the option. Errors are
// std::invalid_argument, which run_app() turns into exit status 2.
#pragma once

#include <malloc.h>

#include <cmath>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace deepdot::cli {

class Args {
 public:
  /// `flags` are options without a value; every other option takes one.
  Args(int argc, char** argv, std::set<std::string> flags) : flags_(std::move(flags)) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument '" + a + "' (options start with --)");
      a = a.substr(2);
      if (a == "help") { help_ = true; continue; }
      if (flags_.count(a)) { values_[a] = "1"; continue; }
      const auto eq = a.find('=');
      if (eq != std::string::npos) { values_[a.substr(0, eq)] = a.substr(eq + 1); continue; }
      if (i + 1 >= argc) throw std::invalid_argument("option --" + a + " needs a value");
      values_[a] = argv[++i];
    }
  }
  bool help() const { return help_; }
  bool flag(const std::string& name) { used_.insert(name); return values_.count(name) > 0; }
  /// True when --name was given (with or without a value); marks it as used.
  bool has(const std::string& name) { used_.insert(name); return values_.count(name) > 0; }
  std::string str(const std::string& name, const std::string& fallback) {
    used_.insert(name);
    const auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  double real(const std::string& name, double fallback) {
    const std::string v = str(name, "");
    if (v.empty()) return fallback;
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (*end != '\0' || !std::isfinite(x)) throw std::invalid_argument("--" + name + " must be a number, got '" + v + "'");
    return x;
  }
  unsigned long long integer(const std::string& name, unsigned long long fallback) {
    const std::string v = str(name, "");
    if (v.empty()) return fallback;
    if (v.find_first_not_of("0123456789") != std::string::npos || v.size() > 18)
      throw std::invalid_argument("--" + name + " must be a nonnegative integer, got '" + v + "'");
    return std::stoull(v);
  }
  std::vector<double> reals(const std::string& name, const std::string& fallback) {
    std::vector<double> out;
    std::string v = str(name, fallback), item;
    std::size_t start = 0;
    while (start <= v.size()) {
      const auto comma = v.find(',', start);
      item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      char* end = nullptr;
      const double x = std::strtod(item.c_str(), &end);
      if (item.empty() || *end != '\0' || !std::isfinite(x))
        throw std::invalid_argument("--" + name + " must be a comma-separated list of numbers, got '" + v + "'");
      out.push_back(x);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }
  /// Throws for any option given but never asked for (typos must not pass silently).
  void reject_unknown() const {
    for (const auto& kv : values_)
      if (!used_.count(kv.first)) throw std::invalid_argument("unknown option --" + kv.first + " (see --help)");
  }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
  std::set<std::string> used_;
  bool help_ = false;
};

/// Keeps freed blocks up to 512 MiB in the heap for reuse. glibc's default
/// hands blocks above 32 MiB back to the kernel on free, so every batch of
/// features (D x 2,048 floats: 32 MiB at D = 4,096) was page-faulted and zeroed
/// afresh: measured 0.08 s per 134 MB, 40% of a spectral-map transform
/// (docs/performance.md). Larger blocks (the n x D feature matrix) still go
/// straight to and from the kernel.
inline void reuse_large_blocks() {
  constexpr int kLimit = 512 << 20;
  mallopt(M_MMAP_THRESHOLD, kLimit);
  mallopt(M_TRIM_THRESHOLD, kLimit);
}

/// Runs an app body: bad usage or input (std::invalid_argument) -> status 2,
/// anything else -> status 1, with the message on stderr.
inline int run_app(const char* name, const std::function<int()>& body) {
  reuse_large_blocks();
  try {
    return body();
  } catch (const std::invalid_argument& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << name << ": internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace deepdot::cli
