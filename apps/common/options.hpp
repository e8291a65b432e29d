// SPDX-License-Identifier: MIT
// The declarative option table of the apps. Each option is written once: its
// name, value placeholder, help text and a setter bound to a field of a
// library config object, whose current value (the library's own default, e.g.
// deepdot::TrainerConfig{}) is printed in the generated help. Parsing fills
// the fields; errors name the option. Shared groups (data, trainer, common)
// are reused by deepdot train/transform/gram/approx, deepdot-fashion, the
// benchmarks and the experiments.
#pragma once

#include "cli.hpp"
#include "report.hpp"
#include "util.hpp"

#include <deepdot/io/dataset.hpp>
#include <deepdot/model/trainer.hpp>

#include <armadillo>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace deepdot::cli {

/// One command-line option.
struct Option {
  std::string name;                              ///< without the leading "--"
  std::string value;                             ///< placeholder ("N", "SPEC"); empty for a flag
  std::string help;                              ///< one line; "\n" starts an indented continuation line
  std::string shown_default;                     ///< printed as " [default]" (empty: nothing printed)
  std::function<void(const std::string&)> set;   ///< parses the value (flags get "1") and stores it
};

/// An ordered list of options: generates the help text and parses Args into
/// the bound fields.
class OptionTable {
 public:
  /// Adds an option; its name must be new (std::logic_error otherwise: a programming error).
  OptionTable& add(Option option);
  /// Typed options bound to a field; the field's current value is the printed default.
  OptionTable& text(const std::string& name, const std::string& value, const std::string& help, std::string& field);
  OptionTable& count(const std::string& name, const std::string& value, const std::string& help, arma::uword& field);
  OptionTable& seed(const std::string& name, const std::string& help, std::uint64_t& field);
  OptionTable& real(const std::string& name, const std::string& value, const std::string& help, double& field);
  OptionTable& flag(const std::string& name, const std::string& help, bool& field);
  /// An enum with the library's parse/name pair, e.g. choice("loss", "L", ..., cfg.loss, parse_loss, loss_name).
  template <class E>
  OptionTable& choice(const std::string& name, const std::string& value, const std::string& help, E& field,
                      E (*parse)(const std::string&), std::string (*name_of)(E)) {
    return add({name, value, help, name_of(field), [&field, parse](const std::string& v) { field = parse(v); }});
  }
  /// Replaces the printed default and the stored value of an option already
  /// added (an app's own defaults, e.g. deepdot-fashion's main job): the
  /// override is written once, and the help shows it.
  OptionTable& override_default(const std::string& name, const std::string& value);

  /// The option lines, "  --name VALUE       help [default]", in table order.
  std::string help() const;
  /// The names of the options without a value (for Args).
  std::set<std::string> flags() const;
  /// Applies every option given in `args`; an error names the option
  /// ("--features: ..."). Does not reject unknown options (call
  /// args.reject_unknown() once every table and extra option has been read).
  void parse(Args& args) const;
  /// The start of every command: for --help prints `usage` and the generated
  /// option help and returns false; otherwise parses args, rejects unknown
  /// options and returns true.
  bool start(Args& args, const char* usage) const;
  /// True when the option was given on the command line (after parse()).
  bool given(const std::string& name) const;

 private:
  const Option& find(const std::string& name) const;
  std::vector<Option> options_;
  mutable std::set<std::string> given_;
};

/// A nonnegative integer option value (std::invalid_argument otherwise).
unsigned long long parse_count(const std::string& value);
/// A number as the help shows it ("%g").
std::string format_default(double value);
/// A list of numbers as the help shows it: "1e-4" for one value, "10 values, 1e-08 .. 10" for a grid.
std::string format_list(const arma::vec& values);

/// --json, --quiet, --threads N.
struct CommonValues {
  bool json = false;
  bool quiet = false;
  arma::uword threads = 0;  ///< 0: the BLAS default
};
void add_common_options(OptionTable& table, CommonValues& values);

/// --data FILE, --labels FILE, --format F, --label-column C (defaults from deepdot::ReadOptions{}).
struct DataValues {
  std::string path;
  ReadOptions read;
  bool sparse = false;  ///< --sparse: read into compressed columns (docs/sparse.md)
};
void add_data_options(OptionTable& table, DataValues& values);
/// Reads the data named by add_data_options() (an error if none was given and `required`).
Dataset read_data(const DataValues& values, const std::string& option = "data", bool required = true);

/// The options of a TrainerConfig, in three groups. Defaults are the fields'
/// values in `cfg` when these are called (TrainerConfig{}: the library's).
/// Kernel: --kernel SPEC, --scaling S.
void add_kernel_options(OptionTable& table, TrainerConfig& cfg);
/// Map: --map SPEC, --features D, --seed N, --precision P, --map-sample N.
void add_map_options(OptionTable& table, TrainerConfig& cfg);
/// Fit: --loss, --lambdas (one value or a grid; --lambda X and --lambda-grid
/// LIST are its one-value and grid spellings), --norm-bound, --validation,
/// --batch, --solver, --accumulate, --tolerance, --max-epochs.
void add_fit_options(OptionTable& table, TrainerConfig& cfg);
/// All three groups.
void add_trainer_options(OptionTable& table, TrainerConfig& cfg);
/// The rules between the lambda options; call after parse().
void check_trainer_options(const OptionTable& table, const TrainerConfig& cfg);

/// What the Trainer chose automatically (TrainerConfig::on_selection): a
/// "selection" entry, one line per candidate in the table and every field of
/// every candidate in --json, then "chosen" and the D rule. Nothing when no
/// field was automatic.
void add_selection(Report& report, const SelectionReport& selection);
/// Model metadata without the "auto ..." rows (shown by add_selection()).
std::vector<std::pair<std::string, std::string>> metadata_without_selection(
    const std::vector<std::pair<std::string, std::string>>& metadata);

}  // namespace deepdot::cli

namespace deepdot::cli {

/// The map of cfg (kernel, map, features, seed) for d-dimensional inputs;
/// a data-dependent map is fitted on the first max(cfg.map_sample,
/// map->min_fit_points()) columns of X (d x n, already scaled), as the
/// Trainer does. `progress` is told when a fit happens.
std::unique_ptr<FeatureMap> make_fitted_map(const TrainerConfig& cfg, const arma::mat& X, Progress* progress = nullptr);

}  // namespace deepdot::cli
