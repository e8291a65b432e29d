// Private helpers for argument validation and messages (not installed).
#pragma once

#include <armadillo>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace deepdot::detail {

/// Shortest decimal text that reads back to the same double.
inline std::string format_double(double v) {
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

[[noreturn]] inline void fail(const std::string& where, const std::string& what) {
  throw std::invalid_argument(where + ": " + what);
}

/// Throws unless every entry of X is finite, naming the first bad entry.
template <typename eT>
void require_finite(const arma::Mat<eT>& X, const std::string& where, const char* name) {
  for (arma::uword j = 0; j < X.n_cols; ++j)
    for (arma::uword i = 0; i < X.n_rows; ++i)
      if (!std::isfinite(X(i, j)))
        fail(where, std::string(name) + " has a non-finite value (" +
                        format_double(static_cast<double>(X(i, j))) + ") at row " +
                        std::to_string(i) + ", column " + std::to_string(j));
}

/// Parses a whole string as a finite double, or throws naming `what`.
inline double parse_double(const std::string& text, const std::string& where, const std::string& what) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || !std::isfinite(v))
    fail(where, what + " must be a finite number, got '" + text + "'");
  return v;
}

/// Parses a whole string as a nonnegative integer, or throws naming `what`.
inline arma::uword parse_uword(const std::string& text, const std::string& where, const std::string& what) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    fail(where, what + " must be a nonnegative integer, got '" + text + "'");
  return static_cast<arma::uword>(std::stoull(text));
}

}  // namespace deepdot::detail
