// SPDX-License-Identifier: MIT
// Helpers every app needs, written once: timing, lists, threads, labels and
// writing matrices by the file's extension (the options themselves: options.hpp).
#pragma once

#include "cli.hpp"

#include <deepdot/io/dataset.hpp>

#include <armadillo>
#include <chrono>
#include <string>
#include <vector>

namespace deepdot::cli {

using Clock = std::chrono::steady_clock;

/// Seconds since t0.
double seconds_since(Clock::time_point t0);

/// Splits "a,b,c" into its items (empty items are an error naming `option`).
/// For plain lists: names and numbers.
std::vector<std::string> split_list(const std::string& text, const std::string& option);

/// Splits a list of kernel or map specs. Items are separated by ';', or by ','
/// when the next item starts with a letter: a comma followed by a number
/// continues the previous spec's argument list, so
/// "coeffs:0.5,0.3,0.2,recursive:2" is the two specs "coeffs:0.5,0.3,0.2" and
/// "recursive:2", and "maclaurin,srht,fourier" is three (no spec starts with
/// a number). Empty items are an error naming `option`.
std::vector<std::string> split_specs(const std::string& text, const std::string& option);

/// A comma-separated list of positive integers, e.g. --features 256,1024.
std::vector<unsigned long long> integer_list(Args& args, const std::string& option, const std::string& fallback);
/// The same for a list already read: `text` is the value of --`option`.
std::vector<unsigned long long> integer_list(const std::string& text, const std::string& option);

/// Bounds the threads of BLAS (and so of the maps and solvers); 0 leaves the default.
void set_threads(unsigned long long threads);

/// The extension of a path with its dot (".npy"), or "" if none.
std::string extension(const std::string& path);

/// Writes a d x n matrix (columns = points; the file has one row per point)
/// as .npy or .csv by the extension; `option` names the option in errors.
void write_matrix(const std::string& path, const arma::mat& M, const std::string& option = "out");

/// Writes one value per point (n values) as .npy or .csv by the extension.
void write_values(const std::string& path, const arma::vec& v, const std::string& option = "out");

/// "rows x cols".
std::string shape(arma::uword rows, arma::uword cols);

/// True when every label is an integer (classification); else regression targets.
bool labels_are_classes(const arma::vec& y);

/// The labels as integers (labels_are_classes(y) must hold).
arma::ivec to_classes(const arma::vec& y);

/// The warning about features found constant by the feature scaling (factor
/// 0: scaled to 0), naming the file and each column (1-based, and its header
/// name if the file had one), or "" when there are none. `feature_factor`:
/// ModelParts::feature_factor; `data`: the training data as read.
std::string constant_features_warning(const arma::vec& feature_factor, const Dataset& data);

}  // namespace deepdot::cli

