// SPDX-License-Identifier: MIT
// The serial Communicator and the data-parallel Trainer at P = 1: the same
// code path as P ranks, which must give the single-process model.
#include <deepdot/distributed/communicator.hpp>

#include <deepdot/core/random.hpp>
#include <deepdot/distributed/data.hpp>
#include <deepdot/model/trainer.hpp>

#include <doctest/doctest.h>

#include <cmath>

namespace {

double rel(const arma::mat& A, const arma::mat& B) { return arma::abs(A - B).max() / (1e-300 + arma::abs(B).max()); }

struct Problem {
  arma::mat X;
  arma::ivec labels;
};

Problem problem(arma::uword n) {
  deepdot::Rng rng(11, 2);
  Problem p;
  p.X = rng.normal_matrix(6, n);
  p.labels.set_size(n);
  for (arma::uword i = 0; i < n; ++i) p.labels[i] = (p.X(0, i) > 0) + (p.X(1, i) > 0.8 ? 1 : 0);
  return p;
}

}  // namespace

TEST_CASE("SerialCommunicator: one rank, identity collectives, nothing sent") {
  const deepdot::SerialCommunicator comm;
  CHECK(comm.rank() == 0);
  CHECK(comm.size() == 1);
  arma::vec v{1.0, -2.0, 3.5};
  comm.allreduce_sum(v);
  comm.allreduce_max(v);
  comm.allreduce_min(v);
  comm.broadcast(v, 0);
  CHECK(arma::approx_equal(v, arma::vec{1.0, -2.0, 3.5}, "absdiff", 0.0));
  CHECK(arma::approx_equal(comm.allgather(v), v, "absdiff", 0.0));
  CHECK(comm.counts(7)[0] == 7);
  CHECK(comm.all_ok(true));
  CHECK_FALSE(comm.all_ok(false));
  CHECK(comm.bytes_sent() == 0);
  const arma::mat M = deepdot::Rng(1, 1).normal_matrix(3, 4);
  CHECK(arma::approx_equal(deepdot::gather_columns(comm, M, 3), M, "absdiff", 0.0));
}

TEST_CASE("Trainer::fit_distributed at P = 1 equals Trainer::fit (validation split, GCV, Nystroem, max-norm; float and double)") {
  const Problem p = problem(400);
  const deepdot::SerialCommunicator comm;
  for (auto precision : {deepdot::Precision::single_precision, deepdot::Precision::double_precision})
    for (const char* map : {"fourier:orf", "nystrom"})
      for (double validation : {0.2, 0.0}) {
        INFO(map, ", validation ", validation, ", double ", precision == deepdot::Precision::double_precision);
        deepdot::TrainerConfig cfg;
        // Kernel and loss given: no search, so lambda comes from the validation
        // split or GCV (a small set's search would cross-validate and fix it).
        cfg.kernel = "recursive:3";
        cfg.loss = deepdot::Loss::squared;
        cfg.map = map;
        cfg.features = 64;
        cfg.precision = precision;
        cfg.validation_fraction = validation;
        cfg.scaling = deepdot::Scaling::max_norm;
        cfg.batch_size = 97;  // several batches, none aligned with the split
        const deepdot::Trainer trainer(cfg);
        const deepdot::Model single = trainer.fit(p.X, p.labels);
        const deepdot::Model dist = trainer.fit_distributed(comm, p.X, p.labels);
        CHECK(dist.parts().training_size == single.parts().training_size);
        CHECK(arma::approx_equal(dist.parts().lambdas, single.parts().lambdas, "reldiff", 1e-12));
        CHECK(rel(dist.parts().weights, single.parts().weights) < 1e-6);
        CHECK(arma::all(dist.predict_labels(p.X) == single.predict_labels(p.X)));
        // In place: the same model, and X left scaled.
        arma::mat X = p.X;
        const deepdot::Model inplace = trainer.fit_distributed_inplace(comm, X, p.labels);
        CHECK(arma::approx_equal(inplace.parts().weights, dist.parts().weights, "absdiff", 0.0));
        CHECK(arma::approx_equal(X, p.X / dist.parts().scaling_factor, "reldiff", 1e-14));
      }
}

TEST_CASE("Trainer::fit_regression_distributed at P = 1 equals fit_regression; other losses run the single-process fit") {
  const Problem p = problem(300);
  const deepdot::SerialCommunicator comm;
  const arma::mat Y = arma::sum(p.X.rows(0, 2), 0);
  deepdot::TrainerConfig cfg;
  cfg.kernel = "recursive:3";  // no search (see above)
  cfg.scaling = deepdot::Scaling::unit_norm;
  cfg.features = 48;
  cfg.validation_fraction = 0.0;  // GCV
  const deepdot::Trainer ridge(cfg);
  CHECK(rel(ridge.fit_regression_distributed(comm, p.X, Y).parts().weights,
            ridge.fit_regression(p.X, Y).parts().weights) < 1e-6);
  cfg.loss = deepdot::Loss::hinge;
  cfg.lambdas = arma::vec{1e-3};
  const deepdot::Trainer hinge(cfg);
  CHECK(rel(hinge.fit_distributed(comm, p.X, p.labels).parts().weights, hinge.fit(p.X, p.labels).parts().weights) < 1e-12);
  // Bad input is refused with the rank named.
  arma::mat bad = p.X;
  bad(0, 5) = arma::datum::nan;
  CHECK_THROWS_WITH_AS(ridge.fit_regression_distributed(comm, bad, Y), doctest::Contains("rank 0"), std::invalid_argument);
}
