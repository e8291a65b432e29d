// SPDX-License-Identifier: MIT
/// @file deepdot.hpp
/// Umbrella header: everything in the public API, in the order of the data
/// path (core -> kernels -> maps -> solvers -> model, with io and datasets
/// feeding in and util beside them).
#pragma once

#include <deepdot/version.hpp>

#include <deepdot/core/random.hpp>
#include <deepdot/core/preprocess.hpp>
#include <deepdot/core/sparse.hpp>
#include <deepdot/core/labels.hpp>
#include <deepdot/core/metrics.hpp>
#include <deepdot/core/loss.hpp>

#include <deepdot/kernels/kernel.hpp>
#include <deepdot/kernels/gram.hpp>

#include <deepdot/maps/feature_map.hpp>
#include <deepdot/maps/approximation.hpp>

#include <deepdot/solvers/ridge_path.hpp>
#include <deepdot/solvers/solver_options.hpp>
#include <deepdot/solvers/kernel_ridge.hpp>
#include <deepdot/solvers/large_kernel_ridge.hpp>
#include <deepdot/solvers/kernel_svm.hpp>
#include <deepdot/solvers/feature_ridge.hpp>
#include <deepdot/solvers/linear_solver.hpp>

#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>
#include <deepdot/model/certificate.hpp>
#include <deepdot/distributed/communicator.hpp>
#include <deepdot/distributed/data.hpp>

#include <deepdot/io/dataset.hpp>
#include <deepdot/io/sparse_dataset.hpp>
#include <deepdot/io/idx.hpp>
#include <deepdot/io/atomic_file.hpp>

#include <deepdot/datasets/labelled_images.hpp>
#include <deepdot/datasets/fashion_mnist.hpp>
#include <deepdot/datasets/mnist.hpp>
#include <deepdot/datasets/image.hpp>
#include <deepdot/datasets/backgrounds.hpp>
#include <deepdot/datasets/teacher.hpp>

#include <deepdot/util/gemm_shape.hpp>
#include <deepdot/util/memory.hpp>
#include <deepdot/util/perf.hpp>
#include <deepdot/util/stats.hpp>
