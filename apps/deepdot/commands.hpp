// SPDX-License-Identifier: MIT
// The subcommands of `deepdot`, one file each; main.cpp holds the dispatch table.
// Each parses its options, calls the library and prints a Report.
#pragma once

#include "../common/cli.hpp"
#include "../common/report.hpp"
#include "../common/util.hpp"

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

}  // namespace deepdot::commands
