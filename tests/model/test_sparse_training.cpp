// SPDX-License-Identifier: MIT
#include <deepdot/model/trainer.hpp>

#include <deepdot/core/metrics.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/core/sparse.hpp>

#include <doctest/doctest.h>

#include <string>

// The sparse path of Trainer and Model against the dense path on the same
// points: the same model up to rounding, and sparse prediction equal to dense.

namespace {

/// Two classes of sparse "documents" over d words: class 1 uses words 0..9 more often.
void make_data(arma::uword d, arma::uword n, std::uint64_t seed, arma::sp_mat& X, arma::ivec& y) {
  deepdot::Rng rng(seed);
  X.zeros(d, n);
  y.set_size(n);
  for (arma::uword j = 0; j < n; ++j) {
    y[j] = rng.uniform() < 0.5 ? 1 : 0;
    for (int k = 0; k < 8; ++k) X(rng.below(d), j) += 1.0;
    if (y[j] == 1)
      for (int k = 0; k < 3; ++k) X(rng.below(10), j) += 1.0;
  }
}

bool has_meta(const deepdot::Model& m, const std::string& key, const std::string& value) {
  for (const auto& kv : m.parts().metadata)
    if (kv.first == key && kv.second == value) return true;
  return false;
}

}  // namespace

TEST_CASE("sparse training equals dense training for every learner kind; sparse prediction equals dense") {
  arma::sp_mat X;
  arma::ivec y;
  make_data(300, 240, 3, X, y);
  const arma::mat Xd(X);
  struct Case {
    const char* map;
    deepdot::Loss loss;
    deepdot::Precision precision;
    bool grid;
  };
  for (const Case& c : {Case{"tensorsketch", deepdot::Loss::squared, deepdot::Precision::single_precision, true},
                        Case{"tensorsketch", deepdot::Loss::squared, deepdot::Precision::double_precision, false},
                        Case{"maclaurin", deepdot::Loss::hinge, deepdot::Precision::single_precision, true},
                        Case{"nystrom", deepdot::Loss::squared, deepdot::Precision::double_precision, true}}) {
    CAPTURE(c.map);
    deepdot::TrainerConfig cfg;
    cfg.kernel = "poly:2:1";
    cfg.map = c.map;
    cfg.features = 128;
    cfg.loss = c.loss;
    cfg.precision = c.precision;
    cfg.batch_size = 50;  // several batches, one partial
    cfg.lambdas = c.grid ? arma::vec{1e-4, 1e-2, 1} : arma::vec{1e-3};
    const deepdot::Trainer trainer(cfg);
    const deepdot::Model ms = trainer.fit(X, y);
    const deepdot::Model md = trainer.fit(Xd, y);
    CHECK(ms.sparse_input());
    CHECK_FALSE(md.sparse_input());
    CHECK(has_meta(ms, "input", "sparse"));
    const double tol = c.precision == deepdot::Precision::single_precision ? 2e-3 : 1e-7;
    const arma::mat Ps = ms.predict(X), Pd = md.predict(Xd);
    CHECK(arma::abs(Ps - Pd).max() <= tol * std::max(1.0, arma::abs(Pd).max()));
    // The sparse model predicts dense and sparse input alike.
    CHECK(arma::abs(ms.predict(X) - ms.predict(Xd)).max() <= 1e-5 * std::max(1.0, arma::abs(Pd).max()));
    CHECK(deepdot::accuracy(y, ms.predict_labels(X)) > 0.7);
    // The flag survives a save and load.
    CHECK(deepdot::Model::deserialize(ms.serialize(), "m").sparse_input());
  }
}

TEST_CASE("sparse regression, the dimension check and the kernel limit's refusal") {
  arma::sp_mat X;
  arma::ivec y;
  make_data(200, 120, 4, X, y);
  deepdot::TrainerConfig cfg;
  cfg.kernel = "recursive:2";
  cfg.map = "fourier";
  cfg.features = 64;
  cfg.lambdas = arma::vec{1e-2};
  const deepdot::Model m = deepdot::Trainer(cfg).fit_regression(X, arma::conv_to<arma::mat>::from(y).t());
  CHECK(m.num_outputs() == 1);
  CHECK(arma::approx_equal(m.predict(X), m.predict(arma::mat(X)), "absdiff", 1e-4));
  CHECK_THROWS_WITH_AS(m.predict(arma::sp_mat(201, 3)), doctest::Contains("d = 200"), std::invalid_argument);
  cfg.map = "exact";
  CHECK_THROWS_WITH_AS(deepdot::Trainer(cfg).fit(X, y), doctest::Contains("dense inputs only"), std::invalid_argument);
  // A kernel-limit model trained dense predicts sparse input through the sparse Gram matrix.
  const deepdot::Model k = deepdot::Trainer(cfg).fit(arma::mat(X), y);
  CHECK(arma::approx_equal(k.predict(X), k.predict(arma::mat(X)), "absdiff", 1e-10));
}
