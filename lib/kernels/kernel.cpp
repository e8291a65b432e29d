// SPDX-License-Identifier: MIT
#include <deepdot/kernels/kernel.hpp>

#include "core/check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

namespace deepdot {

using detail::fail;
using detail::format_double;

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr arma::uword kInfiniteDegree = std::numeric_limits<arma::uword>::max();

/// Sum with Kahan compensation: the tails below are 1 - (partial sum), and the
/// partial sums can have millions of terms.
struct KahanSum {
  double sum = 0.0, carry = 0.0;
  void add(double v) {
    const double y = v - carry;
    const double t = sum + y;
    carry = (t - sum) - y;
    sum = t;
  }
};
}  // namespace

class Kernel::Impl {
 public:
  // The families, nested so that they may derive from this private type.
  class Recursive;
  class Polynomial;
  class Gaussian;
  class ArcCosine;
  class Coefficients;

  virtual ~Impl() = default;
  /// f(t) for t already clamped to [-1, 1].
  virtual double f(double t) const = 0;
  virtual arma::vec coefficients(arma::uword count) const = 0;
  virtual double tail(arma::uword degree) const = 0;
  virtual double value_at_one() const { return 1.0; }
  virtual arma::uword degree() const { return kInfiniteDegree; }
  virtual std::string spec() const = 0;
  virtual std::string formula() const = 0;
  virtual KernelFamily family() const = 0;
  virtual arma::uword integer_parameter() const { return 0; }
  /// p[i] <- f(clamp(p[i], -1, 1)) for i < n. Kernels with a cheap closed
  /// form override it with a loop the compiler vectorises (one virtual call
  /// per element costs as much as the Nystroem map's kernel GEMM).
  virtual void apply(double* p, std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) p[i] = f(std::clamp(p[i], -1.0, 1.0));
  }
  virtual void apply(float* p, std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<float>(f(std::clamp(static_cast<double>(p[i]), -1.0, 1.0)));
  }
};

/// f_k(t) = (k - (k-1) t) / ((k+1) - k t), written as (k(1-t) + t) / (k(1-t) + 1)
/// so that it stays accurate near t = 1 at large depth.
class Kernel::Impl::Recursive final : public Kernel::Impl {
 public:
  explicit Recursive(arma::uword depth) : k_(depth) {}
  double f(double t) const override {
    if (k_ == 0) return t;
    const double kd = static_cast<double>(k_);
    const double u = kd * (1.0 - t);
    return (u + t) / (u + 1.0);
  }
  void apply(double* p, std::size_t n) const override { apply_all(p, n); }
  void apply(float* p, std::size_t n) const override { apply_all(p, n); }
  arma::vec coefficients(arma::uword count) const override {
    arma::vec a(count, arma::fill::zeros);
    if (k_ == 0) {
      if (count > 1) a[1] = 1.0;
      return a;
    }
    const double kd = static_cast<double>(k_);
    const double r = kd / (kd + 1.0);
    const double scale = 1.0 / (kd * (kd + 1.0));
    // a_0 = k/(k+1), a_n = r^n / (k (k+1)) = k^(n-1) / (k+1)^(n+1).
    for (arma::uword n = 0; n < count; ++n)
      a[n] = (n == 0) ? r : scale * std::pow(r, static_cast<double>(n));
    return a;
  }
  double tail(arma::uword degree) const override {
    if (k_ == 0) return degree == 0 ? 1.0 : 0.0;
    const double kd = static_cast<double>(k_);
    return std::pow(kd / (kd + 1.0), static_cast<double>(degree)) / (kd + 1.0);
  }
  arma::uword degree() const override { return k_ == 0 ? 1 : kInfiniteDegree; }
  std::string spec() const override { return "recursive:" + std::to_string(k_); }

 private:
  /// f on every element, in double, branch-free (the clamp included).
  template <typename eT>
  void apply_all(eT* p, std::size_t n) const {
    const double kd = static_cast<double>(k_);
    for (std::size_t i = 0; i < n; ++i) {
      const double t = std::min(std::max(static_cast<double>(p[i]), -1.0), 1.0);
      const double u = kd * (1.0 - t);
      p[i] = static_cast<eT>(k_ == 0 ? t : (u + t) / (u + 1.0));
    }
  }

 public:
  std::string formula() const override {
    if (k_ == 0) return "f(t) = t";
    const std::string k = std::to_string(k_), km1 = std::to_string(k_ - 1), kp1 = std::to_string(k_ + 1);
    return "f(t) = (" + k + " - " + km1 + " t) / (" + kp1 + " - " + k + " t)";
  }
  KernelFamily family() const override { return KernelFamily::recursive; }
  arma::uword integer_parameter() const override { return k_; }

 private:
  arma::uword k_;
};

/// ((t + c)/(1 + c))^p: its coefficients are the Binomial(p, 1/(1+c)) probabilities.
class Kernel::Impl::Polynomial final : public Kernel::Impl {
 public:
  Polynomial(arma::uword p, double c) : p_(p), c_(c) {}
  double f(double t) const override {
    return std::pow((t + c_) / (1.0 + c_), static_cast<double>(p_));
  }
  double coefficient(arma::uword n) const {
    if (n > p_) return 0.0;
    if (c_ == 0.0) return n == p_ ? 1.0 : 0.0;
    const double pd = static_cast<double>(p_), nd = static_cast<double>(n);
    const double log_choose = std::lgamma(pd + 1) - std::lgamma(nd + 1) - std::lgamma(pd - nd + 1);
    return std::exp(log_choose + (pd - nd) * std::log(c_) - pd * std::log1p(c_));
  }
  arma::vec coefficients(arma::uword count) const override {
    arma::vec a(count);
    for (arma::uword n = 0; n < count; ++n) a[n] = coefficient(n);
    return a;
  }
  double tail(arma::uword degree) const override {
    KahanSum s;
    for (arma::uword n = degree + 1; n <= p_; ++n) s.add(coefficient(n));
    return s.sum;
  }
  arma::uword degree() const override { return p_; }
  std::string spec() const override { return "poly:" + std::to_string(p_) + ":" + format_double(c_); }
  std::string formula() const override {
    return "f(t) = ((t + " + format_double(c_) + ") / " + format_double(1.0 + c_) + ")^" + std::to_string(p_);
  }
  KernelFamily family() const override { return KernelFamily::polynomial; }
  arma::uword integer_parameter() const override { return p_; }
  void apply(double* p, std::size_t n) const override { apply_all(p, n); }
  void apply(float* p, std::size_t n) const override { apply_all(p, n); }

 private:
  /// f on every element in double: the integer power by squaring, over blocks
  /// whose loops the compiler vectorises (std::pow per element cost several
  /// times the Nystroem map's kernel GEMM). Within a few ulps of f().
  template <typename eT>
  void apply_all(eT* p, std::size_t n) const {
    constexpr std::size_t kBlock = 256;
    double base[kBlock], power[kBlock];
    const double scale = 1.0 + c_;
    for (std::size_t i0 = 0; i0 < n; i0 += kBlock) {
      const std::size_t m = std::min(kBlock, n - i0);
      for (std::size_t j = 0; j < m; ++j) {
        base[j] = (std::min(std::max(static_cast<double>(p[i0 + j]), -1.0), 1.0) + c_) / scale;
        power[j] = 1.0;
      }
      for (arma::uword e = p_; e != 0; e >>= 1) {
        if (e & 1)
          for (std::size_t j = 0; j < m; ++j) power[j] *= base[j];
        if (e > 1)
          for (std::size_t j = 0; j < m; ++j) base[j] *= base[j];
      }
      for (std::size_t j = 0; j < m; ++j) p[i0 + j] = static_cast<eT>(power[j]);
    }
  }

  arma::uword p_;
  double c_;
};

/// exp((t - 1)/s^2): coefficients are the Poisson(1/s^2) probabilities.
class Kernel::Impl::Gaussian final : public Kernel::Impl {
 public:
  explicit Gaussian(double sigma) : sigma_(sigma), x_(1.0 / (sigma * sigma)) {}
  double f(double t) const override { return std::exp((t - 1.0) * x_); }
  double coefficient(arma::uword n) const {
    const double nd = static_cast<double>(n);
    return std::exp(-x_ + nd * std::log(x_) - std::lgamma(nd + 1.0));
  }
  arma::vec coefficients(arma::uword count) const override {
    arma::vec a(count);
    for (arma::uword n = 0; n < count; ++n) a[n] = coefficient(n);
    return a;
  }
  double tail(arma::uword degree) const override {
    // Left of the Poisson mode the partial sum is at most about 1/2, so
    // 1 - (partial sum) loses nothing; right of it, sum the decreasing terms
    // directly, since 1 - (partial sum) would cancel.
    KahanSum s;
    if (static_cast<double>(degree) < x_) {
      for (arma::uword n = 0; n <= degree; ++n) s.add(coefficient(n));
      return std::max(0.0, 1.0 - s.sum);
    }
    for (arma::uword n = degree + 1;; ++n) {
      const double term = coefficient(n);
      s.add(term);
      if (term <= 1e-18 * s.sum || term == 0.0) break;
    }
    return s.sum;
  }
  std::string spec() const override { return "gaussian:" + format_double(sigma_); }
  std::string formula() const override { return "f(t) = exp((t - 1) / " + format_double(sigma_ * sigma_) + ")"; }
  KernelFamily family() const override { return KernelFamily::gaussian; }

 private:
  double sigma_, x_;
};

/// Arc-cosine kernels (Cho & Saul 2009), normalised to f(1) = 1:
///   order 0: f(t) = 1 - acos(t)/pi = 1/2 + asin(t)/pi
///   order 1: f(t) = (sqrt(1 - t^2) + (pi - acos t) t) / pi, whose derivative is the order-0 kernel.
/// With c_m = C(2m, m)/4^m, asin(t) = sum_m c_m t^(2m+1)/(2m+1).
class Kernel::Impl::ArcCosine final : public Kernel::Impl {
 public:
  explicit ArcCosine(arma::uword order) : order_(order) {}
  double f(double t) const override {
    if (order_ == 0) return 1.0 - std::acos(t) / kPi;
    return (std::sqrt(std::max(0.0, 1.0 - t * t)) + (kPi - std::acos(t)) * t) / kPi;
  }
  arma::vec coefficients(arma::uword count) const override {
    arma::vec a(count, arma::fill::zeros);
    if (count == 0) return a;
    double c = 1.0;  // c_m, updated by c_m = c_{m-1} (2m-1)/(2m) to avoid large lgamma values
    if (order_ == 0) {
      a[0] = 0.5;
      for (arma::uword m = 0; 2 * m + 1 < count; ++m) {
        if (m > 0) c *= (2.0 * m - 1.0) / (2.0 * m);
        a[2 * m + 1] = c / (kPi * (2.0 * m + 1.0));
      }
    } else {
      a[0] = 1.0 / kPi;
      if (count > 1) a[1] = 0.5;
      for (arma::uword m = 0; 2 * m + 2 < count; ++m) {
        if (m > 0) c *= (2.0 * m - 1.0) / (2.0 * m);
        a[2 * m + 2] = c / (kPi * (2.0 * m + 1.0) * (2.0 * m + 2.0));
      }
    }
    return a;
  }
  double tail(arma::uword degree) const override {
    // f(1) = 1 and the tail decays only polynomially (like N^-1/2 and N^-3/2),
    // so 1 - (compensated partial sum) keeps full relative accuracy.
    const arma::vec a = coefficients(degree + 1);
    KahanSum s;
    for (arma::uword n = a.n_elem; n-- > 0;) s.add(a[n]);
    return std::max(0.0, 1.0 - s.sum);
  }
  std::string spec() const override { return "arccos:" + std::to_string(order_); }
  std::string formula() const override {
    return order_ == 0 ? "f(t) = 1 - acos(t) / pi" : "f(t) = (sqrt(1 - t^2) + (pi - acos(t)) t) / pi";
  }
  KernelFamily family() const override { return KernelFamily::arccos; }
  arma::uword integer_parameter() const override { return order_; }

 private:
  arma::uword order_;
};


class Kernel::Impl::Coefficients final : public Kernel::Impl {
 public:
  explicit Coefficients(arma::vec a) : a_(std::move(a)) {
    arma::uword last = 0;
    for (arma::uword n = 0; n < a_.n_elem; ++n)
      if (a_[n] > 0.0) last = n;
    a_.resize(last + 1);
  }
  double f(double t) const override {
    double v = 0.0;
    for (arma::uword n = a_.n_elem; n-- > 0;) v = v * t + a_[n];
    return v;
  }
  arma::vec coefficients(arma::uword count) const override {
    arma::vec a(count, arma::fill::zeros);
    const arma::uword m = std::min<arma::uword>(count, a_.n_elem);
    if (m > 0) a.head(m) = a_.head(m);
    return a;
  }
  double tail(arma::uword degree) const override {
    KahanSum s;
    for (arma::uword n = degree + 1; n < a_.n_elem; ++n) s.add(a_[n]);
    return s.sum;
  }
  double value_at_one() const override { return arma::accu(a_); }
  arma::uword degree() const override { return a_.n_elem - 1; }
  std::string spec() const override {
    std::string s = "coeffs:";
    for (arma::uword n = 0; n < a_.n_elem; ++n) s += (n ? "," : "") + format_double(a_[n]);
    return s;
  }
  std::string formula() const override {
    std::string s = "f(t) = ";
    bool first = true;
    for (arma::uword n = 0; n < a_.n_elem; ++n) {
      if (a_[n] == 0.0) continue;
      s += (first ? "" : " + ") + format_double(a_[n]);
      if (n >= 1) s += " t";
      if (n >= 2) s += "^" + std::to_string(n);
      first = false;
    }
    return s;
  }
  KernelFamily family() const override { return KernelFamily::coefficients; }

 private:
  arma::vec a_;
};

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) parts.push_back(cur);
  if (!s.empty() && s.back() == sep) parts.emplace_back();
  return parts;
}

const char* kSpecHelp =
    "expected one of recursive:K, linear, poly:P[:C], gaussian:S, arccos:0, arccos:1, coeffs:A0,A1,...";

}  // namespace

Kernel::Kernel() : impl_(std::make_shared<Kernel::Impl::Recursive>(0)) {}
Kernel::Kernel(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

double Kernel::operator()(double t) const {
  if (!std::isfinite(t) || t < -1.0 - 1e-12 || t > 1.0 + 1e-12)
    fail("Kernel::operator()", "t = " + format_double(t) + " is outside the domain [-1, 1] of " + spec());
  return impl_->f(std::clamp(t, -1.0, 1.0));
}

arma::vec Kernel::coefficients(arma::uword count) const { return impl_->coefficients(count); }
double Kernel::tail(arma::uword degree) const { return impl_->tail(degree); }
double Kernel::value_at_one() const { return impl_->value_at_one(); }
arma::uword Kernel::degree() const { return impl_->degree(); }
bool Kernel::is_polynomial() const { return impl_->degree() != kInfiniteDegree; }
std::string Kernel::spec() const { return impl_->spec(); }
std::string Kernel::formula() const { return impl_->formula(); }
KernelFamily Kernel::family() const { return impl_->family(); }
arma::uword Kernel::integer_parameter() const { return impl_->integer_parameter(); }

void Kernel::apply_inplace(arma::mat& T) const { impl_->apply(T.memptr(), T.n_elem); }

void Kernel::apply_inplace(arma::fmat& T) const { impl_->apply(T.memptr(), T.n_elem); }

Kernel recursive_kernel(arma::uword depth) {
  if (depth > 1000000000)
    fail("recursive_kernel()", "depth " + std::to_string(depth) + " is larger than 1e9");
  return Kernel(std::make_shared<Kernel::Impl::Recursive>(depth));
}

Kernel coefficient_kernel(const arma::vec& coefficients) {
  const char* where = "coefficient_kernel()";
  if (coefficients.is_empty()) fail(where, "the coefficient list is empty");
  bool any_positive = false;
  for (arma::uword n = 0; n < coefficients.n_elem; ++n) {
    const double a = coefficients[n];
    if (!std::isfinite(a))
      fail(where, "coefficient a_" + std::to_string(n) + " = " + format_double(a) + " is not finite");
    if (a < 0.0)
      fail(where, "coefficient a_" + std::to_string(n) + " = " + format_double(a) +
                      " is negative; a dot-product kernel needs a_n >= 0 for every n");
    any_positive = any_positive || a > 0.0;
  }
  if (!any_positive) fail(where, "every coefficient is zero; at least one must be positive");
  // |f(t)| <= f(1) = sum_n a_n on [-1, 1]: bounding it bounds every kernel
  // value, and 1e150 keeps their squares (Frobenius norms, Z'Z) finite too.
  double at_one = 0.0;
  for (double a : coefficients) at_one += a;
  if (!(at_one <= kernel_value_limit))
    fail(where, "the kernel's largest value f(1) = sum of the coefficients = " + format_double(at_one) +
                    " exceeds " + format_double(kernel_value_limit) +
                    " (kernel values and their squares would overflow); scale the coefficients down");
  return Kernel(std::make_shared<Kernel::Impl::Coefficients>(coefficients));
}

Kernel make_kernel(const std::string& spec) {
  const std::string where = "make_kernel()";
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  const std::vector<std::string> args =
      colon == std::string::npos ? std::vector<std::string>{} : split(spec.substr(colon + 1), ':');
  auto context = [&](const std::string& what) { return "in spec '" + spec + "': " + what; };
  auto want_args = [&](std::size_t lo, std::size_t hi) {
    if (args.size() < lo || args.size() > hi)
      fail(where, context(name + " takes " + (lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi)) +
                          " parameter(s), got " + std::to_string(args.size()) + "; " + kSpecHelp));
  };
  try {
    if (name == "linear") {
      want_args(0, 0);
      return recursive_kernel(0);
    }
    if (name == "recursive") {
      want_args(1, 1);
      if (!args[0].empty() && args[0][0] == '-')
        fail(where, context("the depth K must be >= 0, got " + args[0]));
      return recursive_kernel(detail::parse_uword(args[0], where, context("the depth K")));
    }
    if (name == "poly") {
      want_args(1, 2);
      const arma::uword p = detail::parse_uword(args[0], where, context("the degree P"));
      if (p > 100000) fail(where, context("the degree P = " + args[0] + " is larger than 100000"));
      const double c = args.size() > 1 ? detail::parse_double(args[1], where, context("the offset C")) : 1.0;
      if (c < 0.0) fail(where, context("the offset C must be >= 0 (else a coefficient is negative), got " + args[1]));
      return Kernel(std::make_shared<Kernel::Impl::Polynomial>(p, c));
    }
    if (name == "gaussian") {
      want_args(1, 1);
      const double s = detail::parse_double(args[0], where, context("the bandwidth S"));
      if (!(s > 0.0) || !std::isfinite(1.0 / (s * s)) || 1.0 / (s * s) > 1e6)
        fail(where, context("the bandwidth S must be > 0 with 1/S^2 <= 1e6 (S >= 0.001), got " + args[0]));
      return Kernel(std::make_shared<Kernel::Impl::Gaussian>(s));
    }
    if (name == "arccos") {
      want_args(1, 1);
      const arma::uword order = detail::parse_uword(args[0], where, context("the order"));
      if (order > 1) fail(where, context("the arc-cosine order must be 0 or 1, got " + args[0]));
      return Kernel(std::make_shared<Kernel::Impl::ArcCosine>(order));
    }
    if (name == "coeffs") {
      want_args(1, 1);
      const std::vector<std::string> items = split(args[0], ',');
      arma::vec a(items.size());
      for (std::size_t n = 0; n < items.size(); ++n)
        a[n] = detail::parse_double(items[n], where, context("coefficient a_" + std::to_string(n)));
      return coefficient_kernel(a);
    }
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    if (msg.rfind(where, 0) == 0) throw;
    fail(where, context(msg));
  }
  fail(where, "unknown kernel '" + spec + "'; " + kSpecHelp);
}

}  // namespace deepdot
