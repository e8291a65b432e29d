// SPDX-License-Identifier: MIT
// Shared plumbing of `deepdot experiment <name>`: the common options, result
// tables written as CSV and JSON, gnuplot scripts next to them, and a note of
// the machine. The experiments themselves live in experiment_<name>.cpp.
#pragma once

#include "../common/cli.hpp"
#include "../common/report.hpp"
#include "../common/util.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace deepdot::experiment {

/// Options every experiment takes.
struct Common {
  std::string out;        ///< output folder (created if missing)
  bool quick = false;     ///< tiny sizes, for tests and CI
  unsigned long long seed = 1;
  bool json = false;      ///< print one JSON object on stdout instead of tables
  bool quiet = false;     ///< no progress on stderr
};

/// Reads --out (default results/<name>), --quick, --seed, --json, --quiet,
/// --threads N; creates the output folder.
Common common_options(cli::Args& args, const std::string& name);

/// Parses the options of experiment `name` (argv[0] is the name); with
/// --help prints `usage` and the common options and returns false.
bool start(cli::Args& args, const std::string& name, const char* usage, Common& common);

/// Help text of the options above, for the usage strings.
extern const char* kCommonHelp;

/// One value of a result table: text or a number (NaN = missing: empty in CSV, null in JSON).
struct Cell {
  Cell(const std::string& t) : is_text(true), text(t) {}
  Cell(const char* t) : is_text(true), text(t) {}
  Cell(double v) : value(v) {}
  Cell(int v) : value(v) {}
  Cell(unsigned long long v) : value(static_cast<double>(v)) {}
  Cell(unsigned long v) : value(static_cast<double>(v)) {}
  bool is_text = false;
  std::string text;
  double value = 0.0;
};

/// A rectangular table of results with named columns.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;

  void add(std::vector<Cell> row);
  /// Column index by name (std::logic_error if absent: a programming error).
  std::size_t column(const std::string& name) const;
  double number(std::size_t row, const std::string& name) const;
  const std::string& text(std::size_t row, const std::string& name) const;
  /// Writes the table as CSV (header line, then one line per row), atomically.
  void write_csv(const std::string& path) const;
  /// The table as a JSON array of objects, one per row.
  std::string json() const;
  /// Reads a CSV written by write_csv() (RFC 4180 quotes); cells that parse
  /// as numbers become numbers, empty cells NaN. Throws std::invalid_argument
  /// naming the file if it is missing, lacks one of `required` columns, or
  /// has a row of the wrong length.
  static Table read_csv(const std::string& path, const std::vector<std::string>& required);
};

/// Writes `text` to `path` atomically (temp file, then rename).
void write_file(const std::string& path, const std::string& text);

/// Writes the gnuplot script `dir`/`name`.gp (paths inside are relative to
/// `dir`, so it can be rerun there with `gnuplot name.gp`) and runs it.
/// Returns "<name>.svg" on success, or a sentence saying how to draw it.
std::string plot(const std::string& dir, const std::string& name, const std::string& script);

/// The gnuplot preamble of an SVG plot named `name`.svg of the given size.
std::string svg_preamble(const std::string& name, int width, int height);

/// CPU model, core count, BLAS and library version, for the records.
std::string machine_description();

/// The command line as typed (for the "regenerate with" lines).
std::string command_line(int argc, char** argv);

using cli::seconds_since;
using cli::split_list;
using cli::split_specs;
using cli::integer_list;

/// Adds a list of sentences to the report: a JSON array, and one line each
/// (after `bullet`) in the text rendering.
void add_list(cli::Report& report, const std::string& key, const std::vector<std::string>& items,
              const std::string& bullet);

/// Writes <out>/<name>.json: the report as one JSON object; and prints the
/// report on stdout (text, or the same JSON with --json).
void finish(const Common& common, const std::string& name, const cli::Report& report);

int run_table1(int argc, char** argv);
int run_teacher(int argc, char** argv);
/// `teacher --forms`: one teacher, the lambda and norm-ball forms of Algorithm 1 over kernel depths.
int run_teacher_forms(int argc, char** argv);
int run_approx(int argc, char** argv);
/// `kernel-limit`: the exact kernel ridge model on up to 60,000 Fashion-MNIST images against saved feature models.
int run_kernel_limit(int argc, char** argv);

}  // namespace deepdot::experiment

/// `deepdot experiment <name> [options]` (argv[0] is "experiment").
int deepdot_experiment_main(int argc, char** argv);
