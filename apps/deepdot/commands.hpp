// SPDX-License-Identifier: MIT
// The subcommands of `deepdot`, one file each; main.cpp holds the dispatch table.
// Each parses its options, calls the library and prints a Report.
#pragma once

#include "../common/cli.hpp"
#include "../common/report.hpp"
#include "../common/util.hpp"
#include "../common/options.hpp"

#include <deepdot/deepdot.hpp>

#include <memory>
#include <string>

namespace deepdot::commands {

using cli::Args;
using cli::Clock;
using cli::Progress;
using cli::Report;
using cli::labels_are_classes;
using cli::seconds_since;
using cli::shape;
using cli::to_classes;
using cli::write_matrix;
using cli::write_values;

int train(Args& args);
int predict(Args& args);
int transform(Args& args);
int gram(Args& args);
int approx(Args& args);
int info(Args& args);

// The sparse paths (sparse.cpp), entered from train, predict and transform
// with --sparse or a model trained on sparse input.
int train_sparse(const cli::DataValues& data, const cli::DataValues& test, TrainerConfig cfg, bool json, bool quiet,
                 const std::string& model_path, const std::string& task);
/// Reads the data sparse with the model's d (unless --dim says otherwise) and returns the c x n scores.
arma::mat predict_sparse(const cli::DataValues& data, const Model& model, std::string& source, arma::vec& y,
                         bool& has_labels);
/// model: a loaded feature-map model, or null for a fresh map from cfg.
int transform_sparse(const cli::DataValues& data, const TrainerConfig& cfg, const Model* model,
                     const std::string& out, bool json, bool quiet);

}  // namespace deepdot::commands
