// SPDX-License-Identifier: MIT
#include "util.hpp"


#include <cctype>
#include <cmath>
#include <stdexcept>

extern "C" void openblas_set_num_threads(int);

namespace deepdot::cli {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<std::string> split_list(const std::string& text, const std::string& option) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty())
      throw std::invalid_argument("--" + option + " must be a comma-separated list without empty items, got '" + text +
                                  "'");
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> split_specs(const std::string& text, const std::string& option) {
  std::vector<std::string> out;
  std::string item;
  auto push = [&]() {
    if (item.empty())
      throw std::invalid_argument("--" + option + " must be a list of specs separated by ';' or ',' without empty items, got '" +
                                  text + "'");
    out.push_back(item);
    item.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool next_is_name = i + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[i + 1]));
    if (c == ';' || (c == ',' && (next_is_name || i + 1 == text.size() || text[i + 1] == ',' || text[i + 1] == ';')))
      push();
    else
      item += c;
  }
  push();
  return out;
}

std::vector<unsigned long long> integer_list(Args& args, const std::string& option, const std::string& fallback) {
  return integer_list(args.str(option, fallback), option);
}

std::vector<unsigned long long> integer_list(const std::string& text, const std::string& option) {
  std::vector<unsigned long long> out;
  for (const std::string& item : split_list(text, option)) {
    if (item.find_first_not_of("0123456789") != std::string::npos || item.size() > 12 || std::stoull(item) == 0)
      throw std::invalid_argument("--" + option + " must list positive integers, got '" + item + "'");
    out.push_back(std::stoull(item));
  }
  return out;
}

void set_threads(unsigned long long threads) {
  if (threads > 0) openblas_set_num_threads(static_cast<int>(threads));
}

std::string extension(const std::string& path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return path.substr(dot);
}

void write_matrix(const std::string& path, const arma::mat& M, const std::string& option) {
  const std::string ext = extension(path);
  if (ext == ".npy") write_npy(path, M);
  else if (ext == ".csv") write_csv(path, M, arma::vec(), false);
  else throw std::invalid_argument("--" + option + " " + path + ": the extension must be .npy or .csv");
}

void write_values(const std::string& path, const arma::vec& v, const std::string& option) {
  const std::string ext = extension(path);
  if (ext == ".npy") write_npy(path, v);
  else if (ext == ".csv") write_csv(path, arma::mat(0, v.n_elem), v, false);
  else throw std::invalid_argument("--" + option + " " + path + ": the extension must be .npy or .csv");
}

std::string shape(arma::uword rows, arma::uword cols) { return std::to_string(rows) + " x " + std::to_string(cols); }

bool labels_are_classes(const arma::vec& y) {
  for (double v : y)
    if (v != std::floor(v) || std::abs(v) > 1e9) return false;
  return true;
}

std::string constant_features_warning(const arma::vec& feature_factor, const Dataset& data) {
  const arma::uvec constant = arma::find(feature_factor == 0.0);
  if (constant.is_empty()) return "";
  const bool named = data.feature_columns.size() == feature_factor.n_elem;
  std::string list;
  const arma::uword shown = std::min<arma::uword>(constant.n_elem, 10);
  for (arma::uword k = 0; k < shown; ++k) {
    const arma::uword i = constant[k];
    list += k ? ", " : "";
    if (named) {
      list += std::to_string(data.feature_columns[i]);
      if (!data.feature_names[i].empty()) list += " ('" + data.feature_names[i] + "')";
    } else {
      list += std::to_string(i + 1);
    }
  }
  if (constant.n_elem > shown) list += ", ... (" + std::to_string(constant.n_elem) + " in all)";
  return "warning: " + data.source + ": " + (constant.n_elem == 1 ? "column " : "columns ") + list +
         (constant.n_elem == 1 ? " is" : " are") +
         " constant on the training data: the feature scaling sets " +
         (constant.n_elem == 1 ? "it to 0 (it carries" : "them to 0 (they carry") + " no information)";
}

arma::ivec to_classes(const arma::vec& y) {
  arma::ivec out(y.n_elem);
  for (arma::uword i = 0; i < y.n_elem; ++i) out[i] = static_cast<arma::sword>(y[i]);
  return out;
}

}  // namespace deepdot::cli

