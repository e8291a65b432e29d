// SPDX-License-Identifier: MIT
// Private helpers for argument validation and messages (not installed).
#pragma once

#include <armadillo>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

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

/// True if no entry of p[0..n) is NaN or infinite: an IEEE value is exactly
/// when its exponent bits are all set, tested as an integer OR-reduction the
/// compiler vectorises (these checks run over every batch of data).
template <typename eT>
bool all_finite(const eT* p, std::size_t n) {
  static_assert(std::is_floating_point_v<eT>, "floating-point data expected");
  using Bits = std::conditional_t<sizeof(eT) == 8, std::uint64_t, std::uint32_t>;
  constexpr Bits mask = sizeof(eT) == 8 ? Bits(0x7FF) << 52 : Bits(0xFF) << 23;
  Bits bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    Bits b;
    std::memcpy(&b, p + i, sizeof b);
    bad |= static_cast<Bits>((b & mask) == mask);
  }
  return bad == 0;
}

/// sum_i x_i^2 in double, in eight independent partial sums: the compiler may
/// not reorder one running sum, so a single one runs at scalar speed.
template <typename eT>
double squared_norm(const eT* x, std::size_t n) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) part[k] += static_cast<double>(x[i + k]) * static_cast<double>(x[i + k]);
  double s = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  for (; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return s;
}

/// Throws unless every entry of X is finite, naming the first bad entry.
template <typename eT>
void require_finite(const arma::Mat<eT>& X, const std::string& where, const char* name) {
  if (all_finite(X.memptr(), X.n_elem)) return;
  for (arma::uword j = 0; j < X.n_cols; ++j)
    for (arma::uword i = 0; i < X.n_rows; ++i)
      if (!std::isfinite(X(i, j)))
        fail(where, std::string(name) + " has a non-finite value (" +
                        format_double(static_cast<double>(X(i, j))) + ") at row " +
                        std::to_string(i) + ", column " + std::to_string(j));
}

// ---- Shared argument checks, in the spirit of mlpack's CheckSameSizes: each
// throws std::invalid_argument "where: ..." naming the value and the rule.

/// "r x c", for messages about shapes.
inline std::string shape_text(arma::uword rows, arma::uword cols) {
  return std::to_string(rows) + " x " + std::to_string(cols);
}

/// A regularisation lambda: finite and >= 0, or > 0 when zero is not allowed.
inline void check_lambda(double lambda, const std::string& where, bool allow_zero = true) {
  if (!std::isfinite(lambda) || lambda < 0.0 || (!allow_zero && lambda == 0.0))
    fail(where, std::string("lambda must be finite and ") + (allow_zero ? ">= 0" : "> 0") + ", got " +
                    format_double(lambda));
}

/// A grid of lambdas: at least one value, each finite and >= 0 (> 0 unless allow_zero).
inline void check_lambda_grid(const arma::vec& lambdas, const std::string& where, bool allow_zero = true) {
  if (lambdas.is_empty()) fail(where, "the lambda grid is empty");
  for (double l : lambdas)
    if (!std::isfinite(l) || l < 0.0 || (!allow_zero && l == 0.0))
      fail(where, std::string("every lambda must be finite and ") + (allow_zero ? ">= 0" : "> 0") + ", got " +
                      format_double(l));
}

/// The radius B of the norm-ball form: finite and > 0.
inline void check_norm_bound(double B, const std::string& where) {
  if (!(B > 0.0) || !std::isfinite(B)) fail(where, "the norm bound B must be finite and > 0, got " + format_double(B));
}

/// Two matrices that hold one column per point must have the same number of columns.
template <typename A, typename B>
void check_same_points(const A& a, const char* a_name, const B& b, const char* b_name, const std::string& where) {
  if (a.n_cols != b.n_cols)
    fail(where, std::string(a_name) + " has " + std::to_string(a.n_cols) + " columns (points) but " + b_name +
                    " has " + std::to_string(b.n_cols) + "; they need one column per point each");
}

/// The same for a vector holding one entry per point (labels).
template <typename A, typename T>
void check_same_points(const A& a, const char* a_name, const arma::Col<T>& b, const char* b_name,
                       const std::string& where) {
  if (a.n_cols != b.n_elem)
    fail(where, std::string(a_name) + " has " + std::to_string(a.n_cols) + " columns (points) but there are " +
                    std::to_string(b.n_elem) + " " + b_name + "; they need one entry per point each");
}

/// A matrix that must have `rows` rows (the dimension `what`, e.g. "d").
template <typename M>
void check_rows(const M& m, const char* name, arma::uword rows, const char* what, const std::string& where) {
  if (m.n_rows != rows)
    fail(where, std::string(name) + " is " + shape_text(m.n_rows, m.n_cols) + " but must have " + what + " = " +
                    std::to_string(rows) + " rows");
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
