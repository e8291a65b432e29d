// SPDX-License-Identifier: MIT
/// @file dataset.hpp
/// Reading data sets from the files people bring (LIBSVM/SVMlight, CSV,
/// NumPy .npy, IDX; any of them may be gzipped) and writing .npy and CSV.
/// docs/data-formats.md describes every format exactly as deepdot reads it.
#pragma once

#include <armadillo>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace deepdot {

/// A data set: one column of X per point, and optionally one label per point.
struct Dataset {
  arma::mat X;              ///< d x n, one column per point
  arma::vec y;              ///< n labels or regression targets; empty if !has_labels
  bool has_labels = false;  ///< true if the file (or the labels file) gave labels
  /// When the labels were text (a CSV column "setosa", "virginica", ...):
  /// label k stands for label_names[k], the names sorted. Empty otherwise.
  std::vector<std::string> label_names;
  std::string source;       ///< the path (or name) read
  /// A CSV file with a header: the name of each feature (row i of X comes
  /// from column feature_columns[i] of the file, 1-based). Empty otherwise.
  std::vector<std::string> feature_names;
  std::vector<arma::uword> feature_columns;
  /// What was read, in one line, for a command line to show, e.g.
  /// "CSV, header row, delimiter ',', 150 points, 4 features, labels from column 5 'species'".
  std::string description;
};

/// How to read a file. The defaults read well-formed files of every format.
struct ReadOptions {
  /// "auto" (by content, then extension), "libsvm", "csv", "npy" or "idx".
  std::string format = "auto";
  /// A separate labels file: .npy (1-D, or n x 1), IDX labels (idx1), or text
  /// with one label per line (read as a one-column CSV). Used with any
  /// format; an IDX images file without it is paired automatically with its
  /// "...-labels-idx1-ubyte[.gz]" sibling when that exists.
  std::string labels_path;
  /// Read at most this many points (0: all). The rest of the file is not read.
  arma::uword max_points = 0;
  /// Skip the first this many points (and their labels) before reading: a
  /// row range [skip_points, skip_points + max_points) of a C-order .npy or
  /// IDX file, read past without being kept. Text formats are split by byte
  /// ranges instead (read_dataset_part()) and refuse it.
  arma::uword skip_points = 0;
  /// Refuse to build a dense X larger than this many bytes. Sparse LIBSVM
  /// files can describe matrices far larger than themselves; this is the cap.
  std::uint64_t max_dense_bytes = std::uint64_t(16) << 30;

  // --- CSV ---
  /// "auto" (the first row is a header if one of its fields is not a number
  /// where the second row has a number, or if it reads 0,1,2,... as pandas
  /// writes column names), "yes" or "no".
  std::string csv_header = "auto";
  /// Which column holds the labels: "auto" (a header column named label,
  /// labels, class, target or y, ignoring case, else the last column),
  /// "first", "last", "none", a header name, or a 1-based column number.
  std::string csv_label_column = "auto";
  /// Field delimiter: '\0' to detect (tab, then ';', then ',', then runs of
  /// spaces, whichever the first line contains), or ',', ';', '\t', ' '.
  char csv_delimiter = '\0';

  // --- LIBSVM ---
  /// The number of features d; 0 takes the largest index in the file, which
  /// may then be at most 2^20 (1,048,576): set d to read a wider file.
  arma::uword libsvm_dimension = 0;
  /// LIBSVM indices start at 1, and index 0 is rejected; set this to read a
  /// file whose indices start at 0 (feature i is then row i of X).
  bool libsvm_zero_based = false;
};

/// Reads a data set. The format is found from the content (gzip, the .npy and
/// IDX magic numbers), then the extension (.csv .tsv .txt, .libsvm .svm
/// .svmlight, .npy, idx3-ubyte), then the text itself (a second token of the
/// form "index:value" means LIBSVM), unless opts.format says it.
///
/// Throws std::invalid_argument for anything wrong with the file, the message
/// naming the file, the line (text formats) or the byte offset (binary
/// formats) and the rule broken; nothing is allocated beyond what the file
/// can justify.
Dataset read_dataset(const std::string& path, const ReadOptions& opts = {});

/// Part `part` (0-based) of `parts` of a data file, for data-parallel reading
/// in which no reader holds the whole file. Text (LIBSVM, CSV) is split by
/// bytes: the part holds the lines whose first byte lies in
/// [S part / parts, S (part + 1) / parts) of the S-byte file, so parts start at
/// line starts; a CSV header (the first two lines decide it, as for the whole
/// file) is read by every part and counted by none. C-order .npy and IDX files
/// are split by rows: [n part / parts, n (part + 1) / parts), with the same rows
/// of a labels file. Parts 0..parts-1 concatenated in order are
/// read_dataset(path, opts): the same points, order and labels, except that a
/// LIBSVM part without opts.libsvm_dimension has the dimension of its own
/// largest index (the distributed reader agrees on the maximum). A part may
/// hold 0 points. Errors name the file's own line numbers. Refused: gzipped
/// files (no byte ranges in a deflate stream: give shards instead),
/// max_points, skip_points, and text labels (names) with parts > 1 (each part
/// would number its names alone).
Dataset read_dataset_part(const std::string& path, arma::uword part, arma::uword parts, const ReadOptions& opts = {});

/// As read_dataset(), parsing `bytes` in memory (gzip included); `name` is
/// used in messages and for the extension. opts.labels_path, if set, is read
/// from disk.
Dataset parse_dataset(std::string_view bytes, const std::string& name, const ReadOptions& opts = {});

/// Reads labels alone, from a .npy (1-D or n x 1), an IDX label file, or a
/// text file of one label per line (numbers, or names as for CSV). If
/// `names` is not null and the labels are text, it receives the sorted names.
arma::vec read_labels(const std::string& path, std::vector<std::string>* names = nullptr,
                      const ReadOptions& opts = {});

/// Writes X (d x n) as a NumPy .npy file (format 1.0) holding an n x d
/// float64 array in C order, one row per point, so that numpy.load() gives
/// what NumPy users expect and read_dataset() gives X back bit for bit.
/// Atomic: written through an AtomicFile (deepdot/io/atomic_file.hpp: a
/// temporary file with a random name in the same directory, never following
/// a symlink, permissions by the umask, then renamed), so no reader sees a
/// partial file (not fsync'ed: unlike a model, the array can be recomputed).
/// Throws std::invalid_argument if the path cannot be used (no such
/// directory, no permission, a directory), std::runtime_error if writing fails.
void write_npy(const std::string& path, const arma::mat& X);
/// As above with float32 ('<f4').
void write_npy(const std::string& path, const arma::fmat& X);
/// Writes a 1-D float64 array of n values (labels, targets, predictions).
void write_npy(const std::string& path, const arma::vec& y);

/// Creates `path` as a float32 .npy file of an n x d array and calls
/// fill(X) with X a d x n matrix that *is* the file's data (memory-mapped), so
/// a large result is computed straight into the file: no copy, and no heap
/// memory for it. Atomic like write_npy(); if fill() throws, no file is left.
/// Fill every entry (the file starts zeroed). Throws as write_npy() (a full
/// disk is a std::runtime_error before fill() runs: the space is reserved).
///
/// @code
/// deepdot::write_npy_mapped("z.npy", map->output_dim(), X.n_cols,
///                           [&](arma::fmat& Z) { map->transform(Xf, Z); });
/// @endcode
void write_npy_mapped(const std::string& path, arma::uword d, arma::uword n,
                      const std::function<void(arma::fmat& X)>& fill);

/// Writes X (d x n) as CSV, one line per point, values in the shortest form
/// that reads back exactly; if y is not empty, a last column of labels. With
/// `header`, a first line "x1,x2,...,xd[,label]". Atomic as write_npy().
/// Throws std::invalid_argument if y has the wrong length or the path cannot
/// be used, std::runtime_error if writing fails.
void write_csv(const std::string& path, const arma::mat& X, const arma::vec& y = arma::vec(),
               bool header = true);

}  // namespace deepdot
