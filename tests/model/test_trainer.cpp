// SPDX-License-Identifier: MIT
#include <deepdot/model/trainer.hpp>

#include <deepdot/core/metrics.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/core/labels.hpp>
#include <deepdot/kernels/kernel.hpp>
#include <deepdot/solvers/kernel_svm.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

/// d = 3 points in the ball (raw, scaled by the trainer), a smooth target and labels from it.
struct Toy {
  arma::mat X, Y, Xt;
  arma::ivec labels;
};

Toy make_toy(arma::uword n, std::uint64_t seed = 21) {
  deepdot::Rng rng(seed, 1);
  Toy t;
  t.X = 3.0 * rng.normal_matrix(3, n);
  t.Xt = 3.0 * rng.normal_matrix(3, 40);
  arma::mat U = t.X;
  U.each_col([](arma::vec& x) { x /= arma::norm(x); });
  t.Y = arma::join_cols(U.row(0) % U.row(1), U.row(2) + 0.5 * U.row(0));
  t.labels.set_size(n);
  for (arma::uword i = 0; i < n; ++i) t.labels[i] = U(0, i) * U(1, i) > 0 ? 7 : (U(2, i) > 0.3 ? 2 : -1);
  return t;
}

deepdot::TrainerConfig taylor_config() {
  deepdot::TrainerConfig c;
  c.kernel = "poly:2:1";
  c.map = "taylor:2";
  c.features = 10;  // the natural dimension for d = 3: 1 + 3 + 6
  c.scaling = deepdot::Scaling::unit_norm;  // not the automatic choice, which may lift to d = 4
  c.loss = deepdot::Loss::squared;
  c.lambdas = {1e-4};
  c.precision = deepdot::Precision::double_precision;
  return c;
}

}  // namespace

TEST_CASE("Trainer: exact Taylor features agree with the kernel limit (regression and classification)") {
  const Toy t = make_toy(60);
  deepdot::TrainerConfig fc = taylor_config(), kc = taylor_config();
  kc.map = "exact";
  for (double B : {0.0, 0.3}) {
    fc.norm_bound = kc.norm_bound = B;
    const deepdot::Model mf = deepdot::Trainer(fc).fit_regression(t.X, t.Y);
    const deepdot::Model mk = deepdot::Trainer(kc).fit_regression(t.X, t.Y);
    CHECK(mf.parts().mode == deepdot::ModelMode::features);
    CHECK(mk.parts().mode == deepdot::ModelMode::kernel_limit);
    CHECK(arma::abs(mf.predict(t.Xt) - mk.predict(t.Xt)).max() < 1e-8);
    CHECK(arma::abs(mf.parts().lambdas - mk.parts().lambdas).max() < 1e-8 * (1.0 + mk.parts().lambdas.max()));
  }
  fc.norm_bound = kc.norm_bound = 0.0;
  const deepdot::Model cf = deepdot::Trainer(fc).fit(t.X, t.labels);
  const deepdot::Model ck = deepdot::Trainer(kc).fit(t.X, t.labels);
  CHECK(arma::abs(cf.predict(t.Xt) - ck.predict(t.Xt)).max() < 1e-8);
  CHECK(arma::all(cf.parts().classes == arma::ivec({-1, 2, 7})));
  CHECK(arma::all(cf.predict_labels(t.Xt) == ck.predict_labels(t.Xt)));
}

TEST_CASE("Trainer: a validation grid selects the same lambda in feature mode and in the kernel limit") {
  const Toy t = make_toy(120);
  deepdot::TrainerConfig fc = taylor_config();
  fc.lambdas = arma::logspace(-6.0, 0.0, 7);
  deepdot::TrainerConfig kc = fc;
  kc.map = "exact";
  const deepdot::Model mf = deepdot::Trainer(fc).fit_regression(t.X, t.Y);
  const deepdot::Model mk = deepdot::Trainer(kc).fit_regression(t.X, t.Y);
  CHECK(mf.parts().lambdas[0] == mk.parts().lambdas[0]);
  CHECK(mf.parts().training_size == 120);  // refit on all points
  CHECK(arma::abs(mf.predict(t.Xt) - mk.predict(t.Xt)).max() < 1e-8);
  // The split is seeded: the same config gives the same model, byte for byte.
  CHECK(deepdot::Trainer(fc).fit_regression(t.X, t.Y).serialize() == mf.serialize());
  bool has_validation = false;
  for (const auto& kv : mf.parts().metadata) has_validation |= kv.first == "validation points" && kv.second == "12";
  CHECK(has_validation);
  fc.refit_on_all = false;
  CHECK(deepdot::Trainer(fc).fit_regression(t.X, t.Y).parts().training_size == 108);
}

TEST_CASE("Trainer: streaming fits equal the in-memory fit, for regression and classes") {
  const Toy t = make_toy(100);
  deepdot::TrainerConfig c = taylor_config();
  c.batch_size = 16;
  const deepdot::Model whole = deepdot::Trainer(c).fit_regression(t.X, t.Y);
  arma::uword start = 0, step = 0;
  const arma::uword sizes[] = {1, 30, 9, 60};
  auto source = [&](arma::mat& X, arma::mat& Y) {
    if (start >= t.X.n_cols) return false;
    const arma::uword end = std::min(t.X.n_cols, start + sizes[step++ % 4]) - 1;
    X = t.X.cols(start, end);
    Y = t.Y.cols(start, end);
    start = end + 1;
    return true;
  };
  const deepdot::Model streamed = deepdot::Trainer(c).fit_stream(source, 3);
  CHECK(streamed.parts().training_size == 100);
  CHECK(arma::abs(streamed.predict(t.Xt) - whole.predict(t.Xt)).max() < 1e-10);

  start = step = 0;
  const arma::mat L = arma::conv_to<arma::mat>::from(t.labels).t();
  auto labelled = [&](arma::mat& X, arma::mat& Y) {
    if (start >= t.X.n_cols) return false;
    const arma::uword end = std::min(t.X.n_cols, start + 25) - 1;
    X = t.X.cols(start, end);
    Y = L.cols(start, end);
    start = end + 1;
    return true;
  };
  const deepdot::Model sc = deepdot::Trainer(c).fit_stream_classes(labelled, 3, {-1, 2, 7});
  CHECK(arma::abs(sc.predict(t.Xt) - deepdot::Trainer(c).fit(t.X, t.labels).predict(t.Xt)).max() < 1e-10);

  // A grid while streaming is selected by GCV.
  c.lambdas = arma::logspace(-8.0, 0.0, 9);
  start = step = 0;
  const deepdot::Model g = deepdot::Trainer(c).fit_stream(source, 3);
  bool gcv = false;
  for (const auto& kv : g.parts().metadata) gcv |= kv.first == "selection" && kv.second == "gcv";
  CHECK(gcv);
}

TEST_CASE("Trainer: the orthogonal spectral map on a nonlinear classification task, saved and reloaded") {
  const Toy t = make_toy(600, 5), v = make_toy(400, 6);
  deepdot::TrainerConfig c = deepdot::fixed_defaults();
  c.kernel = "recursive:2";
  c.features = 512;
  const deepdot::Model m = deepdot::Trainer(c).fit(t.X, t.labels);
  CHECK(m.parts().map->spec() == "fourier:orf");
  CHECK(m.parts().precision == deepdot::Precision::single_precision);
  CHECK(deepdot::accuracy(v.labels, m.predict_labels(v.X)) > 0.8);
  const deepdot::Model back = deepdot::Model::deserialize(m.serialize(), "memory");
  CHECK(arma::approx_equal(back.predict(v.X), m.predict(v.X), "absdiff", 0.0));
}

TEST_CASE("Trainer: fit_inplace gives fit's model and leaves X scaled, for every scaling") {
  const Toy t = make_toy(300, 8);
  for (const auto scaling : {deepdot::Scaling::unit_norm, deepdot::Scaling::max_norm}) {
    deepdot::TrainerConfig c = taylor_config();
    c.scaling = scaling;
    const deepdot::Trainer trainer(c);
    const deepdot::Model copied = trainer.fit(t.X, t.labels);
    arma::mat X = t.X;
    const deepdot::Model scaled = trainer.fit_inplace(X, t.labels);
    CHECK(scaled.serialize() == copied.serialize());
    deepdot::Scaler s(scaling);
    s.fit(t.X);
    CHECK(arma::approx_equal(X, s.transform(t.X), "absdiff", 0.0));
  }
  arma::mat short_X(3, 5, arma::fill::ones);
  CHECK_THROWS_WITH_AS(deepdot::Trainer(taylor_config()).fit_inplace(short_X, t.labels),
                       doctest::Contains("Trainer::fit_inplace(): X has 5 columns"), std::invalid_argument);
}

namespace {

std::string meta(const deepdot::Model& m, const std::string& key) {
  for (const auto& kv : m.parts().metadata)
    if (kv.first == key) return kv.second;
  return "<missing>";
}

}  // namespace

TEST_CASE("Trainer: hinge losses on features and in the kernel limit") {
  const Toy t = make_toy(300, 7), v = make_toy(300, 8);
  deepdot::TrainerConfig c;
  c.kernel = "recursive:2";
  c.map = "fourier:orf";
  c.features = 256;
  c.loss = deepdot::Loss::squared_hinge;
  c.lambdas = {1e-4};
  const deepdot::Model f = deepdot::Trainer(c).fit(t.X, t.labels);
  CHECK(deepdot::accuracy(v.labels, f.predict_labels(v.X)) > 0.75);
  c.map = "exact";
  c.loss = deepdot::Loss::hinge;
  const deepdot::Model k = deepdot::Trainer(c).fit(t.X, t.labels);
  CHECK(k.parts().mode == deepdot::ModelMode::kernel_limit);
  CHECK(deepdot::accuracy(v.labels, k.predict_labels(v.X)) > 0.75);
  const deepdot::Model back = deepdot::Model::deserialize(k.serialize(), "memory");
  CHECK(arma::approx_equal(back.predict(v.X), k.predict(v.X), "absdiff", 0.0));
  // Only the support vectors are stored, and they predict as the solver's full dual does.
  const auto& p = k.parts();
  CHECK(p.training_size == 300);
  CHECK(p.support.n_cols < 300);
  CHECK(meta(k, "support vectors") == std::to_string(p.support.n_cols));
  CHECK(arma::all(arma::any(p.dual != 0.0, 1)));
  const arma::mat Xs = k.scaler().transform(t.X);
  deepdot::LabelEncoder enc;
  enc.fit(t.labels);
  deepdot::KernelSVM svm(deepdot::make_kernel(c.kernel), c.loss, c.solver_options);
  svm.fit(Xs, enc.encode(t.labels), 1e-4);
  const arma::mat full = svm.predict(k.scaler().transform(v.X));
  CHECK(arma::abs(k.predict(v.X) - full).max() <= 1e-9 * (1.0 + arma::abs(full).max()));
}

TEST_CASE("Trainer: every validation branch") {
  auto config = [](auto change) {
    deepdot::TrainerConfig c;
    change(c);
    return c;
  };
  using C = deepdot::TrainerConfig;
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.kernel = "nope"; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.map = ""; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.budget.seconds = 0.0; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.budget.bytes = -1.0; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.kernel = "recursive:2"; c.map = "nope"; c.features = 8; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.lambdas = {-1.0}; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.lambdas = {0.0}; c.loss = deepdot::Loss::hinge; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.validation_fraction = 0.95; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.norm_bound = -1.0; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.batch_size = 0; })), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(config([](C& c) { c.map = "exact"; c.loss = deepdot::Loss::logistic; })),
                  std::invalid_argument);

  const Toy t = make_toy(20);
  const deepdot::Trainer tr(taylor_config());
  CHECK_THROWS_AS(tr.fit(t.X, arma::ivec(19, arma::fill::zeros)), std::invalid_argument);
  CHECK_THROWS_AS(tr.fit(t.X, arma::ivec(20, arma::fill::zeros)), std::invalid_argument);  // one class
  CHECK_THROWS_AS(tr.fit_regression(t.X.cols(0, 0), t.Y.cols(0, 0)), std::invalid_argument);
  CHECK_THROWS_AS(tr.fit_regression(t.X, t.Y.cols(0, 9)), std::invalid_argument);
  CHECK_THROWS_AS(tr.fit_regression(arma::mat(4, 20, arma::fill::ones), t.Y), std::invalid_argument);  // map has d = 3
  deepdot::TrainerConfig hinge = taylor_config();
  hinge.loss = deepdot::Loss::hinge;
  CHECK_THROWS_AS(deepdot::Trainer(hinge).fit_regression(t.X, t.Y), std::invalid_argument);
  hinge.lambdas = {1e-3, 1e-2};
  hinge.validation_fraction = 0.0;
  CHECK_THROWS_WITH_AS(deepdot::Trainer(hinge).fit(t.X, t.labels), doctest::Contains("validation_fraction"),
                       std::invalid_argument);

  auto none = [](arma::mat&, arma::mat&) { return false; };
  CHECK_THROWS_AS(tr.fit_stream(nullptr, 3), std::invalid_argument);
  CHECK_THROWS_AS(tr.fit_stream(none, 0), std::invalid_argument);
  CHECK_THROWS_WITH_AS(tr.fit_stream(none, 3), doctest::Contains("fewer than 2"), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::Trainer(hinge).fit_stream(none, 3), std::invalid_argument);
  deepdot::TrainerConfig exact = taylor_config();
  exact.map = "exact";
  CHECK_THROWS_AS(deepdot::Trainer(exact).fit_stream(none, 3), std::invalid_argument);
  deepdot::TrainerConfig maxn = taylor_config();
  maxn.scaling = deepdot::Scaling::max_norm;
  CHECK_THROWS_AS(deepdot::Trainer(maxn).fit_stream(none, 3), std::invalid_argument);
  auto wrong = [](arma::mat& X, arma::mat& Y) {
    X.ones(4, 2);
    Y.ones(1, 2);
    return true;
  };
  CHECK_THROWS_WITH_AS(tr.fit_stream(wrong, 3), doctest::Contains("batch 0"), std::invalid_argument);
  auto fractional = [](arma::mat& X, arma::mat& Y) {
    X.ones(3, 2);
    Y = {{1.5, 2.0}};
    return true;
  };
  CHECK_THROWS_AS(tr.fit_stream_classes(fractional, 3, {1, 2}), std::invalid_argument);
  CHECK_THROWS_AS(tr.fit_stream_classes(fractional, 3, {1}), std::invalid_argument);
  exact.lambdas = {1e-3, 1e-2};
  exact.validation_fraction = 0.0;
  CHECK_THROWS_AS(deepdot::Trainer(exact).fit_regression(t.X, t.Y), std::invalid_argument);
}

TEST_CASE("Trainer: progress events cover every stage, in order, with consistent counts") {
  const Toy t = make_toy(300, 9);
  struct Event {
    std::string stage;
    arma::uword done, total;
  };
  auto run = [&](const std::string& map, deepdot::Loss loss) {
    std::vector<Event> events;
    deepdot::TrainerConfig c;
    c.kernel = "recursive:1";
    c.map = map;
    c.features = 64;
    c.loss = loss;
    c.lambdas = {1e-3};
    c.batch_size = 100;
    c.progress = [&events](const std::string& s, arma::uword d, arma::uword n) { events.push_back({s, d, n}); };
    deepdot::Trainer(c).fit(t.X, t.labels);
    return events;
  };
  // A data-dependent map, the squared loss: map fit, 3 feature batches, solve.
  std::vector<Event> e = run("nystrom", deepdot::Loss::squared);
  REQUIRE(e.size() == 8);
  CHECK((e[0].stage == "fitting the map" && e[0].done == 0 && e[1].done == 1));
  for (arma::uword i = 0; i < 4; ++i) {
    CHECK(e[2 + i].stage == "features");
    CHECK(e[2 + i].done == 100 * i);
    CHECK(e[2 + i].total == 300);
  }
  CHECK((e[6].stage == "solving" && e[6].done == 0 && e[7].stage == "solving" && e[7].done == 1));
  // A data-free map with an iterative loss: no map stage; the solve brackets the end.
  e = run("fourier:orf", deepdot::Loss::squared_hinge);
  REQUIRE(e.size() == 6);
  CHECK(e.front().stage == "features");
  CHECK((e.back().stage == "solving" && e.back().done == 1));
  // The kernel limit: one bracket.
  e = run("exact", deepdot::Loss::hinge);
  REQUIRE(e.size() == 2);
  CHECK((e[0].stage == "kernel limit" && e[0].done == 0 && e[1].done == 1 && e[1].total == 1));
}

TEST_CASE("Trainer: an explicit validation set selects lambda on it, for every back end") {
  const Toy t = make_toy(150);
  const Toy v = make_toy(60, 99);
  const arma::vec grid = arma::logspace(-6.0, 0.0, 5);
  struct Case {
    std::string map;
    deepdot::Loss loss;
  };
  for (const Case& k : {Case{"taylor:2", deepdot::Loss::squared}, Case{"taylor:2", deepdot::Loss::squared_hinge},
                        Case{"exact", deepdot::Loss::squared}, Case{"exact", deepdot::Loss::hinge}}) {
    CAPTURE(k.map);
    CAPTURE(deepdot::loss_name(k.loss));
    deepdot::TrainerConfig c = taylor_config();
    c.map = k.map;
    c.loss = k.loss;
    c.lambdas = grid;
    c.refit_on_all = false;
    const deepdot::Model m = deepdot::Trainer(c).fit(t.X, t.labels, v.X, v.labels);
    CHECK(meta(m, "selection") == "validation");
    CHECK(meta(m, "validation points") == "60");
    CHECK(m.parts().training_size == 150);  // no refit: the training points only
    // The model is the fixed-lambda model at the lambda the validation set chose ...
    const double chosen = m.parts().lambdas[0];
    deepdot::TrainerConfig fixed = c;
    fixed.lambdas = {chosen};
    const deepdot::Model f = deepdot::Trainer(fixed).fit(t.X, t.labels);
    CHECK(arma::abs(f.predict(t.Xt) - m.predict(t.Xt)).max() < 1e-6);
    // ... and that lambda is the best on the validation set (ties: the larger lambda).
    const double err = deepdot::error_rate(v.labels, m.predict_labels(v.X));
    for (double l : grid) {
      fixed.lambdas = {l};
      const double e = deepdot::error_rate(v.labels, deepdot::Trainer(fixed).fit(t.X, t.labels).predict_labels(v.X));
      CHECK(e >= err - 1e-12);
      if (e == err) CHECK(l <= chosen);
    }
    // With refit_on_all the validation points join the final fit.
    c.refit_on_all = true;
    CHECK(deepdot::Trainer(c).fit(t.X, t.labels, v.X, v.labels).parts().training_size == 210);
  }
}

TEST_CASE("Trainer: explicit validation sets are checked against the training data") {
  const Toy t = make_toy(50);
  deepdot::TrainerConfig c = taylor_config();
  c.lambdas = {1e-4, 1e-2};
  const deepdot::Trainer tr(c);
  const arma::ivec unseen = arma::ivec(10, arma::fill::value(5));  // class 5 is not a training class
  CHECK_THROWS_AS(tr.fit(t.X, t.labels, t.X.cols(0, 9), unseen), std::invalid_argument);
  CHECK_THROWS_WITH_AS(tr.fit(t.X, t.labels, arma::mat(4, 10, arma::fill::zeros), t.labels.head(10)),
                       doctest::Contains("X_val is 4 x 10 but must have the training dimension d = 3 rows"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(tr.fit(t.X, t.labels, t.X.cols(0, 9), t.labels.head(8)),
                       doctest::Contains("X_val has 10 columns (points) but there are 8 labels_val"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(tr.fit_regression(t.X, t.Y, t.X.cols(0, 9), t.Y.rows(0, 0).eval().cols(0, 9)),
                       doctest::Contains("Y_val is 1 x 10 but must have the number of outputs c = 2 rows"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(tr.fit(t.X, t.labels.head(49)), doctest::Contains("Trainer::fit(): X has 50 columns"),
                       std::invalid_argument);
}

TEST_CASE("Trainer: every back end writes the same metadata keys") {
  const Toy t = make_toy(80);
  const std::vector<std::string> keys = {"map", "loss", "task", "validation points", "selection", "solver"};
  auto check_keys = [&](const deepdot::Model& m) {
    for (const std::string& k : keys) {
      CAPTURE(k);
      CHECK(meta(m, k) != "<missing>");
    }
  };
  deepdot::TrainerConfig c = taylor_config();
  for (const std::string map : {"taylor:2", "exact"})
    for (deepdot::Loss loss : {deepdot::Loss::squared, deepdot::Loss::hinge}) {
      c.map = map;
      c.loss = loss;
      check_keys(deepdot::Trainer(c).fit(t.X, t.labels));
    }
  c.map = "taylor:2";
  c.loss = deepdot::Loss::logistic;
  check_keys(deepdot::Trainer(c).fit(t.X, t.labels));
  // Streamed models too (they used to lack "loss" and "solver").
  c.loss = deepdot::Loss::squared;
  bool given = false;
  const deepdot::Model s = deepdot::Trainer(c).fit_stream(
      [&](arma::mat& X, arma::mat& Y) {
        if (given) return false;
        X = t.X;
        Y = t.Y;
        given = true;
        return true;
      },
      3);
  check_keys(s);
  CHECK(meta(s, "loss") == "squared");
  CHECK(meta(s, "streamed batches") == "1");
}

TEST_CASE("Trainer: selection without validation points needs GCV, which only the squared loss on features has") {
  const Toy t = make_toy(60);
  deepdot::TrainerConfig c = taylor_config();
  c.lambdas = arma::logspace(-5.0, 0.0, 4);
  c.validation_fraction = 0.0;
  CHECK(meta(deepdot::Trainer(c).fit(t.X, t.labels), "selection") == "gcv");
  c.loss = deepdot::Loss::hinge;
  CHECK_THROWS_WITH_AS(deepdot::Trainer(c).fit(t.X, t.labels), doctest::Contains("needs validation points"),
                       std::invalid_argument);
  c.map = "exact";
  c.loss = deepdot::Loss::squared;
  CHECK_THROWS_WITH_AS(deepdot::Trainer(c).fit(t.X, t.labels), doctest::Contains("in the kernel limit needs validation"),
                       std::invalid_argument);
}

TEST_CASE("TrainerConfig shares FeatureRidge's default accumulation") {
  CHECK(deepdot::TrainerConfig{}.accumulation == deepdot::default_accumulation);
  CHECK(deepdot::FeatureRidge(4, 1).accumulation() == deepdot::TrainerConfig{}.accumulation);
}

// ---------------------------------------------------------------- tabular preprocessing stored in the model

#include <deepdot/core/sparse.hpp>
#include <deepdot/distributed/communicator.hpp>
#include <deepdot/io/dataset.hpp>

namespace {

/// Columns in very different units: feature 0 in thousands, feature 1 near 1,
/// feature 2 constant; the class depends on features 0 and 1 alike.
struct Tabular {
  arma::mat X;
  arma::ivec labels;
};

Tabular tabular(arma::uword n, std::uint64_t stream) {
  deepdot::Rng rng(21, stream);
  const arma::mat G = rng.normal_matrix(2, n);
  Tabular t;
  t.X.set_size(3, n);
  t.X.row(0) = 5000.0 + 1000.0 * G.row(0);
  t.X.row(1) = 1.0 + 0.1 * G.row(1);
  t.X.row(2).fill(42.0);
  t.labels.set_size(n);
  for (arma::uword i = 0; i < n; ++i) t.labels[i] = G(0, i) + G(1, i) > 0 ? 1 : 0;
  return t;
}

deepdot::TrainerConfig tabular_config(const char* map) {
  deepdot::TrainerConfig c;
  c.kernel = "recursive:3";  // fixed, so that dense and sparse fits (which do not search) compare
  c.loss = deepdot::Loss::squared;
  c.map = map;
  c.features = 128;
  c.feature_scaling = deepdot::FeatureScaling::standardize;
  c.scaling = deepdot::Scaling::sphere_lift;
  c.precision = deepdot::Precision::double_precision;
  return c;
}

}  // namespace

TEST_CASE("Trainer: standardize + sphere lift is stored in the model; save/load predicts bit-identically") {
  const Tabular train = tabular(400, 1), test = tabular(200, 2);
  for (const char* map : {"fourier:orf", "nystrom", "exact"}) {
    INFO(map);
    const deepdot::Model m = deepdot::Trainer(tabular_config(map)).fit(train.X, train.labels);
    const auto& p = m.parts();
    CHECK(p.input_dim == 3);
    CHECK(m.scaled_dim() == 4);
    CHECK(p.feature_scaling == deepdot::FeatureScaling::standardize);
    const deepdot::FeatureStatistics st = deepdot::feature_statistics(train.X);
    CHECK(arma::approx_equal(p.feature_offset.head(2), st.mean.head(2), "reldiff", 1e-12));
    CHECK(p.feature_factor[2] == 0.0);  // the constant column
    CHECK(std::abs(p.feature_factor[0] * std::sqrt(st.variance[0]) - 1.0) < 1e-12);
    if (p.mode == deepdot::ModelMode::kernel_limit) CHECK(p.support.n_rows == 4);
    else CHECK(p.map->input_dim() == 4);
    const deepdot::Model back = deepdot::Model::deserialize(m.serialize(), "round trip");
    CHECK(back.parts().feature_scaling == p.feature_scaling);
    CHECK(back.parts().scaling == deepdot::Scaling::sphere_lift);
    CHECK(back.parts().scaling_factor == p.scaling_factor);
    CHECK(arma::approx_equal(back.parts().feature_factor, p.feature_factor, "absdiff", 0.0));
    const arma::mat S = m.predict(test.X), B = back.predict(test.X);
    CHECK(arma::approx_equal(S, B, "absdiff", 0.0));
    // The units no longer decide: the standardized model classifies well.
    CHECK(arma::mean(arma::conv_to<arma::vec>::from(m.predict_labels(test.X) == test.labels)) > 0.9);
    // Raw d, not the lifted d + 1, is what predict() takes.
    CHECK_THROWS_WITH_AS(m.predict(arma::mat(4, 2, arma::fill::zeros)), doctest::Contains("d = 3"),
                         std::invalid_argument);
  }
}

TEST_CASE("Trainer: without feature scaling the largest unit dominates; standardize fixes it") {
  const Tabular train = tabular(400, 3), test = tabular(300, 4);
  deepdot::TrainerConfig raw = tabular_config("fourier:orf");
  raw.feature_scaling = deepdot::FeatureScaling::none;
  raw.scaling = deepdot::Scaling::unit_norm;
  auto accuracy = [&](const deepdot::TrainerConfig& c) {
    const deepdot::Model m = deepdot::Trainer(c).fit(train.X, train.labels);
    return arma::mean(arma::conv_to<arma::vec>::from(m.predict_labels(test.X) == test.labels));
  };
  const double unscaled = accuracy(raw), scaled = accuracy(tabular_config("fourier:orf"));
  CHECK(scaled > unscaled + 0.05);
}

TEST_CASE("Trainer: a lift scale set by hand is used as R; invalid ones are refused") {
  const Tabular train = tabular(100, 5);
  deepdot::TrainerConfig c = tabular_config("fourier:orf");
  c.lift_scale = 7.5;
  CHECK(deepdot::Trainer(c).fit(train.X, train.labels).parts().scaling_factor == 7.5);
  c.lift_scale = -1.0;
  CHECK_THROWS_WITH_AS(deepdot::Trainer{c}, doctest::Contains("lift_scale"), std::invalid_argument);
}

TEST_CASE("Trainer: sparse input with maxabs + sphere lift equals the dense fit; minmax is refused") {
  const Tabular train = tabular(300, 6), test = tabular(50, 7);
  deepdot::TrainerConfig c = tabular_config("fourier:orf");
  c.feature_scaling = deepdot::FeatureScaling::maxabs;
  // With lift_scale 0 a dense fit chooses R by validation and a sparse fit takes the largest norm
  // (docs/defaults.md): a fixed R compares the two paths.
  c.lift_scale = 2.5;
  const deepdot::Trainer trainer(c);
  const deepdot::Model dense = trainer.fit(train.X, train.labels);
  const deepdot::Model sparse = trainer.fit(arma::sp_mat(train.X), train.labels);
  CHECK(arma::approx_equal(sparse.parts().feature_factor, dense.parts().feature_factor, "reldiff", 1e-14));
  CHECK(sparse.parts().scaling_factor == doctest::Approx(dense.parts().scaling_factor).epsilon(1e-14));
  CHECK(arma::abs(sparse.predict(arma::sp_mat(test.X)) - dense.predict(test.X)).max() < 1e-8);
  c.feature_scaling = deepdot::FeatureScaling::minmax;
  CHECK_THROWS_WITH_AS(deepdot::Trainer(c).fit(arma::sp_mat(train.X), train.labels), doctest::Contains("maxabs"),
                       std::invalid_argument);
}

TEST_CASE("Trainer::fit_stream refuses what needs a pass over the data; a fixed lift scale streams") {
  const Tabular train = tabular(200, 8);
  auto source = [&train](bool& given) {
    return [&train, &given](arma::mat& X, arma::mat& Y) {
      if (given) return false;
      X = train.X;
      Y = arma::conv_to<arma::rowvec>::from(train.labels);
      given = true;
      return true;
    };
  };
  deepdot::TrainerConfig c = tabular_config("fourier:orf");
  c.validation_fraction = 0.0;
  bool given = false;
  CHECK_THROWS_WITH_AS(deepdot::Trainer(c).fit_stream_classes(source(given), 3, arma::ivec{0, 1}),
                       doctest::Contains("lift_scale"), std::invalid_argument);
  c.lift_scale = 3.0;
  CHECK_THROWS_WITH_AS(deepdot::Trainer(c).fit_stream_classes(source(given), 3, arma::ivec{0, 1}),
                       doctest::Contains("standardize feature scaling needs a pass"), std::invalid_argument);
  c.feature_scaling = deepdot::FeatureScaling::none;
  given = false;
  const deepdot::Model m = deepdot::Trainer(c).fit_stream_classes(source(given), 3, arma::ivec{0, 1});
  CHECK(m.parts().scaling_factor == 3.0);
  CHECK(m.parts().map->input_dim() == 4);
}

TEST_CASE("Trainer::fit_distributed at P = 1: the feature statistics and R equal the single-process fit") {
  const Tabular train = tabular(300, 9);
  const deepdot::SerialCommunicator comm;
  for (auto mode : {deepdot::FeatureScaling::standardize, deepdot::FeatureScaling::minmax,
                    deepdot::FeatureScaling::maxabs}) {
    deepdot::TrainerConfig c = tabular_config("fourier:orf");
    c.feature_scaling = mode;
    const deepdot::Trainer trainer(c);
    const deepdot::Model single = trainer.fit(train.X, train.labels);
    const deepdot::Model dist = trainer.fit_distributed(comm, train.X, train.labels);
    CHECK(arma::approx_equal(dist.parts().feature_offset, single.parts().feature_offset, "reldiff", 1e-13));
    CHECK(arma::approx_equal(dist.parts().feature_factor, single.parts().feature_factor, "reldiff", 1e-13));
    CHECK(dist.parts().scaling_factor == doctest::Approx(single.parts().scaling_factor).epsilon(1e-13));
    CHECK(arma::abs(dist.predict(train.X) - single.predict(train.X)).max() < 1e-6);
    arma::mat X = train.X;
    trainer.fit_distributed_inplace(comm, X, train.labels);
    CHECK(X.n_rows == 4);  // left preprocessed: the sphere lift added a row
    CHECK(arma::abs(deepdot::column_norms(X) - 1.0).max() < 1e-12);
  }
}

#ifdef DEEPDOT_TEST_DATA
TEST_CASE("Model::load reads format version 1 files (written before the feature scaling) and predicts as then") {
  const std::string dir = std::string(DEEPDOT_TEST_DATA) + "/models/";
  deepdot::ReadOptions no_labels;
  no_labels.csv_label_column = "none";
  const arma::mat T = deepdot::read_dataset(dir + "v1-test.csv", no_labels).X;
  for (const char* name : {"v1-features", "v1-exact"}) {
    INFO(name);
    const deepdot::Model m = deepdot::Model::load(dir + name + ".ddm");
    CHECK(m.parts().feature_scaling == deepdot::FeatureScaling::none);
    CHECK(m.parts().feature_factor.is_empty());
    // The scores the version-1 code wrote (shortest round-trip decimals): n x c in the file.
    const arma::mat expected = deepdot::read_dataset(dir + name + "-scores.csv", no_labels).X;
    CHECK(arma::abs(m.predict(T) - expected).max() < 1e-13);
    // Saved again it is a version-2 file with the same predictions.
    const deepdot::Model again = deepdot::Model::deserialize(m.serialize(), "resaved");
    CHECK(arma::approx_equal(again.predict(T), m.predict(T), "absdiff", 0.0));
  }
}
#endif
