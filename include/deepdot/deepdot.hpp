/// @file deepdot.hpp
/// Umbrella header: everything in the public API.
#pragma once

#include <deepdot/version.hpp>
#include <deepdot/random.hpp>
#include <deepdot/kernel.hpp>
#include <deepdot/gram.hpp>
#include <deepdot/preprocess.hpp>
#include <deepdot/labels.hpp>
#include <deepdot/metrics.hpp>
#include <deepdot/teacher.hpp>
#include <deepdot/kernel_ridge.hpp>
#include <deepdot/feature_map.hpp>
#include <deepdot/approximation.hpp>
#include <deepdot/idx.hpp>
#include <deepdot/image.hpp>
#include <deepdot/mnist.hpp>
#include <deepdot/dataset.hpp>
#include <deepdot/feature_ridge.hpp>
#include <deepdot/model.hpp>
#include <deepdot/trainer.hpp>
#include <deepdot/linear_solver.hpp>
#include <deepdot/kernel_svm.hpp>
#include <deepdot/stats.hpp>
#include <deepdot/perf.hpp>
