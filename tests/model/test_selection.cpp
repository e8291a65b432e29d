// SPDX-License-Identifier: MIT
#include <deepdot/model/selection.hpp>

#include <deepdot/core/metrics.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/kernels/kernel.hpp>
#include <deepdot/model/trainer.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace {

/// n points on the unit sphere of R^d (d x n).
arma::mat sphere_points(arma::uword d, arma::uword n, std::uint64_t seed) {
  arma::mat X = deepdot::Rng(seed, 3).normal_matrix(d, n);
  X.each_col([](arma::vec& x) { x /= arma::norm(x); });
  return X;
}

/// A teacher f(x) = sum_i a_i K(x, c_i) of the recursive kernel of `depth`
/// (1 x n targets): the kernel of that depth represents it exactly.
arma::mat teacher(const arma::mat& X, unsigned depth, std::uint64_t seed) {
  const deepdot::Kernel k = deepdot::make_kernel("recursive:" + std::to_string(depth));
  const arma::mat C = sphere_points(X.n_rows, 12, seed);
  const arma::vec a = deepdot::Rng(seed, 4).normal_matrix(12, 1);
  arma::mat Y(1, X.n_cols, arma::fill::zeros);
  for (arma::uword j = 0; j < X.n_cols; ++j)
    for (arma::uword i = 0; i < C.n_cols; ++i) Y(0, j) += a[i] * k(arma::dot(X.col(j), C.col(i)));
  return Y;
}

unsigned depth_of(const std::string& spec) { return static_cast<unsigned>(std::stoul(spec.substr(spec.find(':') + 1))); }

std::string meta(const deepdot::Model& m, const std::string& key) {
  for (const auto& kv : m.parts().metadata)
    if (kv.first == key) return kv.second;
  return "";
}

}  // namespace

TEST_CASE("estimate_fit_cost: the stated terms, growing with n and D") {
  const deepdot::FitCost sq = deepdot::estimate_fit_cost(1000, 10, 100, 3, deepdot::Loss::squared, 10);
  const double D = 100, n = 1000, d = 10;
  const double expected = 2 * D * D * d + 4.0 / 3.0 * D * D * D + n * (2 * D * d + 2 * D * D) + n * D * D +
                          std::min(9 * D * D * D, 10 * D * D * D / 3);
  CHECK(sq.flops == doctest::Approx(expected));
  CHECK(sq.seconds == doctest::Approx(expected / deepdot::kModelFlopsPerSecond));
  CHECK(sq.bytes == doctest::Approx(8 * (D * d + 2 * D * D) + 16 * D * D + 4 * 2048 * D));
  const deepdot::FitCost hinge = deepdot::estimate_fit_cost(1000, 10, 100, 3, deepdot::Loss::squared_hinge);
  CHECK(hinge.bytes == doctest::Approx(8 * (D * d + 2 * D * D) + 4 * n * D));  // all features held
  CHECK(deepdot::estimate_fit_cost(2000, 10, 100, 3, deepdot::Loss::squared).flops > sq.flops);
  CHECK(deepdot::estimate_fit_cost(1000, 10, 200, 3, deepdot::Loss::squared).flops > sq.flops);
  CHECK_THROWS_AS(deepdot::estimate_fit_cost(0, 10, 100, 3, deepdot::Loss::squared), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::estimate_fit_cost(10, 10, 100, 3, deepdot::Loss::automatic), std::invalid_argument);
}

TEST_CASE("features_by_rule: the largest halving of min(n, 16384) within the budget") {
  // Fashion-MNIST's main job: 60,000 images, d = 784, 10 classes, squared hinge: D = 16384 fits 600 s and 8 GiB.
  const deepdot::FitBudget standard;
  CHECK(deepdot::features_by_rule(54000, 60000, 784, 10, deepdot::Loss::squared_hinge, standard) == 16384);
  CHECK(deepdot::estimate_fit_cost(60000, 784, 16384, 10, deepdot::Loss::squared_hinge).seconds < 600.0);
  // Few points: D = n_train.
  CHECK(deepdot::features_by_rule(3991, 4435, 36, 6, deepdot::Loss::squared, standard) == 3991);
  // A tight budget: the chosen D fits, twice it does not.
  for (double seconds : {1.0, 10.0, 100.0}) {
    deepdot::FitBudget b;
    b.seconds = seconds;
    const arma::uword D = deepdot::features_by_rule(54000, 60000, 784, 10, deepdot::Loss::squared, b);
    CAPTURE(seconds);
    CHECK(D < 16384);
    CHECK(deepdot::estimate_fit_cost(60000, 784, D, 10, deepdot::Loss::squared).seconds <= seconds);
    CHECK(deepdot::estimate_fit_cost(60000, 784, 2 * D, 10, deepdot::Loss::squared).seconds > seconds);
  }
  deepdot::FitBudget small_memory;
  small_memory.bytes = 256.0 * 1024 * 1024;
  const arma::uword D = deepdot::features_by_rule(54000, 60000, 784, 10, deepdot::Loss::squared_hinge, small_memory);
  CHECK(deepdot::estimate_fit_cost(60000, 784, D, 10, deepdot::Loss::squared_hinge).bytes <= small_memory.bytes);
  CHECK(deepdot::estimate_fit_cost(60000, 784, 2 * D, 10, deepdot::Loss::squared_hinge).bytes > small_memory.bytes);
  deepdot::FitBudget none;
  none.seconds = 0.0;
  CHECK_THROWS_AS(deepdot::features_by_rule(10, 10, 3, 1, deepdot::Loss::squared, none), std::invalid_argument);
}

TEST_CASE("Trainer{}: the depth of a recursive-kernel teacher is found by validation") {
  const arma::mat X = sphere_points(3, 700, 11);
  for (unsigned depth : {1u, 4u}) {
    CAPTURE(depth);
    const arma::mat Y = teacher(X, depth, 20 + depth);
    deepdot::SelectionReport report;
    deepdot::TrainerConfig c;
    c.scaling = deepdot::Scaling::none;  // the points are on the sphere already
    c.on_selection = [&report](const deepdot::SelectionReport& r) { report = r; };
    const deepdot::Model m = deepdot::Trainer(c).fit_regression(X, Y);
    REQUIRE(report.candidates.size() == 4);  // recursive:1..4, no loss check for regression
    CHECK(report.loss == deepdot::Loss::squared);
    CHECK(report.criterion == "validation mse");
    const unsigned chosen = depth_of(m.parts().kernel.spec());
    if (depth == 1) CHECK(chosen <= 2);
    if (depth == 4) CHECK(chosen >= 3);
    // The chosen candidate has the lowest score, and the model is the one reported.
    for (const auto& k : report.candidates)
      if (k.chosen) CHECK(depth_of(k.kernel) == chosen);
    for (const auto& k : report.candidates) CHECK(k.score >= report.candidates[chosen - 1].score);
    CHECK(m.parts().map->spec().rfind("nystrom", 0) == 0);
    CHECK(meta(m, "auto candidate 4").find("validation mse") != std::string::npos);
  }
}

TEST_CASE("Trainer{}: classification checks the squared hinge, deterministically, and explicit fields stay fixed") {
  const arma::mat X = sphere_points(4, 800, 5);
  arma::ivec labels(X.n_cols);
  for (arma::uword j = 0; j < X.n_cols; ++j) labels[j] = X(0, j) * X(1, j) > 0.05 ? 1 : (X(2, j) > 0.2 ? 2 : 0);
  deepdot::SelectionReport report;
  deepdot::TrainerConfig c;
  c.scaling = deepdot::Scaling::unit_norm;  // the points lie on the sphere; this case is about kernel and loss
  c.on_selection = [&report](const deepdot::SelectionReport& r) { report = r; };
  const deepdot::Model m = deepdot::Trainer(c).fit(X, labels);
  REQUIRE(report.candidates.size() == 5);
  CHECK(report.candidates.back().stage == "loss");
  CHECK(report.candidates.back().loss == deepdot::Loss::squared_hinge);
  // The loss chosen is the one with the lower validation error (the squared loss on ties).
  const deepdot::SelectionCandidate& hinge = report.candidates.back();
  double best_squared = 1.0;
  for (arma::uword i = 0; i < 4; ++i) best_squared = std::min(best_squared, report.candidates[i].score);
  CHECK(m.parts().loss == (hinge.score < best_squared ? deepdot::Loss::squared_hinge : deepdot::Loss::squared));
  CHECK(report.sample_train == 720);  // 90% of the points train, the rest validate
  CHECK(report.sample_validation == 80);
  // Deterministic with the seed: the same bytes.
  CHECK(deepdot::Trainer(c).fit(X, labels).serialize() == m.serialize());

  // Explicit values are used and not searched.
  deepdot::TrainerConfig e;
  e.kernel = "recursive:2";
  e.loss = deepdot::Loss::squared;
  e.features = 100;
  e.map = "fourier:orf";
  e.scaling = deepdot::Scaling::unit_norm;
  e.on_selection = c.on_selection;
  const deepdot::Model f = deepdot::Trainer(e).fit(X, labels);
  CHECK(f.parts().kernel.spec() == "recursive:2");
  CHECK(f.parts().loss == deepdot::Loss::squared);
  CHECK(f.parts().map->spec() == "fourier:orf");
  CHECK(f.parts().map->output_dim() == 100);
  CHECK(report.candidates.empty());
  REQUIRE(report.automatic.size() == 1);
  CHECK(report.automatic[0] == "lambdas");
  // Only the loss automatic: the search scores the given kernel alone, then the squared hinge.
  e.loss = deepdot::Loss::automatic;
  deepdot::Trainer(e).fit(X, labels);
  REQUIRE(report.candidates.size() == 2);
  CHECK(report.candidates[0].kernel == "recursive:2");
  CHECK(report.candidates[1].kernel == "recursive:2");
}

TEST_CASE("Trainer{}: an explicit validation set is the only one the search scores on, and the budget sets D") {
  const arma::mat X = sphere_points(3, 500, 8), Xv = sphere_points(3, 90, 9);
  const arma::mat Y = teacher(X, 2, 1), Yv = teacher(Xv, 2, 1);
  deepdot::SelectionReport report;
  deepdot::TrainerConfig c;
  c.scaling = deepdot::Scaling::none;
  c.loss = deepdot::Loss::squared;
  c.budget.seconds = 1e-4;  // a tiny budget: the rule halves D
  c.on_selection = [&report](const deepdot::SelectionReport& r) { report = r; };
  const deepdot::Model m = deepdot::Trainer(c).fit_regression(X, Y, Xv, Yv);
  CHECK(report.sample_train == 500);
  CHECK(report.sample_validation == 90);
  const arma::uword D = deepdot::features_by_rule(500, 500, 3, 1, deepdot::Loss::squared, c.budget);
  CHECK(D < 500);
  CHECK(m.parts().map->output_dim() == D);
  CHECK(report.features == D);
}

TEST_CASE("Trainer: the sphere lift's R is chosen among multiples of the largest norm, where magnitude matters") {
  // Labels depend on the norm only: unit-norm scaling cannot see them, the lift can.
  deepdot::Rng rng(31, 1);
  const arma::mat X = rng.normal_matrix(3, 900), Xt = rng.normal_matrix(3, 400);
  auto labels_of = [](const arma::mat& P) {
    arma::ivec y(P.n_cols);
    for (arma::uword j = 0; j < P.n_cols; ++j) y[j] = arma::norm(P.col(j)) > 1.5 ? 1 : 0;
    return y;
  };
  const arma::ivec y = labels_of(X), yt = labels_of(Xt);
  deepdot::SelectionReport report;
  deepdot::TrainerConfig c;
  c.kernel = "recursive:2";
  c.loss = deepdot::Loss::squared;
  c.scaling = deepdot::Scaling::sphere_lift;  // lift_scale 0: chosen
  c.on_selection = [&report](const deepdot::SelectionReport& r) { report = r; };
  const deepdot::Model lifted = deepdot::Trainer(c).fit(X, y);
  REQUIRE(report.candidates.size() == 3);
  double largest = 0.0;
  for (arma::uword j = 0; j < X.n_cols; ++j) largest = std::max(largest, arma::norm(X.col(j)));
  // The candidates' R: 1/4, 1/2 and 1 x the largest norm of the search sample; the
  // final R: the chosen multiple x the largest norm of all training points.
  const double sample_largest = report.candidates[2].lift_scale;
  CHECK(sample_largest <= largest);
  CHECK(sample_largest > 0.8 * largest);
  int chosen = 0;
  for (arma::uword i = 0; i < 3; ++i) {
    CHECK(report.candidates[i].stage == "preprocessing");
    CHECK(report.candidates[i].lift_scale == doctest::Approx(sample_largest * 0.25 * (1 << i)));
    if (report.candidates[i].chosen) {
      ++chosen;
      CHECK(lifted.parts().scaling_factor == doctest::Approx(largest * 0.25 * (1 << i)));
    }
  }
  CHECK(chosen == 1);
  CHECK(report.automatic.front() == "scaling");
  c.scaling = deepdot::Scaling::unit_norm;
  const deepdot::Model unit = deepdot::Trainer(c).fit(X, y);
  const double acc_lift = deepdot::accuracy(yt, lifted.predict_labels(Xt));
  const double acc_unit = deepdot::accuracy(yt, unit.predict_labels(Xt));
  CHECK(acc_lift > 0.9);
  CHECK(acc_lift > acc_unit + 0.2);
  // An explicit R is kept.
  c.scaling = deepdot::Scaling::sphere_lift;
  c.lift_scale = 7.0;
  CHECK(deepdot::Trainer(c).fit(X, y).parts().scaling_factor == 7.0);
  CHECK(report.candidates.empty());
}

TEST_CASE("Trainer{}: the preprocessing is chosen: standardised features where the columns have different units") {
  // Two informative columns on very different scales plus a large constant-ish
  // one: unit norm sees mostly the largest column; standardising recovers the signal.
  deepdot::Rng rng(41, 1);
  auto make = [&rng](arma::uword n, arma::mat& X, arma::ivec& y) {
    const arma::mat G = rng.normal_matrix(2, n);
    X.set_size(3, n);
    X.row(0) = 1000.0 + 1.0 * G.row(0);
    X.row(1) = 0.01 * G.row(1);
    X.row(2) = 50.0 + 0.001 * rng.normal_matrix(1, n);
    y.set_size(n);
    for (arma::uword j = 0; j < n; ++j) y[j] = G(0, j) + G(1, j) > 0 ? 1 : 0;
  };
  arma::mat X, Xt;
  arma::ivec y, yt;
  make(1200, X, y);
  make(400, Xt, yt);
  deepdot::SelectionReport report;
  deepdot::TrainerConfig c;
  c.kernel = "recursive:2";
  c.loss = deepdot::Loss::squared;
  c.on_selection = [&report](const deepdot::SelectionReport& r) { report = r; };
  const deepdot::Model m = deepdot::Trainer(c).fit(X, y);
  REQUIRE(report.candidates.size() == 5);
  CHECK(report.candidates[0].preprocessing == "unit-norm");
  CHECK(!report.candidates[0].chosen);
  CHECK(m.parts().feature_scaling == deepdot::FeatureScaling::standardize);
  CHECK(report.preprocessing.find("standardize") == 0);
  CHECK(deepdot::accuracy(yt, m.predict_labels(Xt)) > 0.9);
  // Points already on the sphere gain nothing from standardising: unit norm stays.
  const arma::mat S = sphere_points(4, 800, 5);
  arma::ivec ys(S.n_cols);
  for (arma::uword j = 0; j < S.n_cols; ++j) ys[j] = S(0, j) * S(1, j) > 0 ? 1 : 0;
  const deepdot::Model u = deepdot::Trainer(c).fit(S, ys);
  CHECK(u.parts().scaling == deepdot::Scaling::unit_norm);
  CHECK(u.parts().feature_scaling == deepdot::FeatureScaling::none);
}

TEST_CASE("Trainer{}: a Gaussian on the lifted sphere is chosen with its width where the labels are local") {
  // A checkerboard of the plane: every depth of the recursive kernel is too
  // smooth at the points' scale; an RBF of a width below the squares' side is not.
  deepdot::Rng rng(53, 1);
  auto make = [&rng](arma::uword n, arma::mat& X, arma::ivec& y) {
    X = rng.normal_matrix(2, n);
    X.row(1) *= 100.0;  // different units: the lift sees the standardised columns
    y.set_size(n);
    for (arma::uword j = 0; j < n; ++j) y[j] = std::sin(4.0 * X(0, j)) * std::sin(0.04 * X(1, j)) > 0 ? 1 : 0;
  };
  arma::mat X, Xv, Xt;
  arma::ivec y, yv, yt;
  make(1200, X, y);
  make(400, Xv, yv);  // an explicit validation set: one split, no cross-validation (a fast test)
  make(600, Xt, yt);
  deepdot::SelectionReport report;
  deepdot::TrainerConfig c;
  c.loss = deepdot::Loss::squared;
  c.features = 512;
  c.on_selection = [&report](const deepdot::SelectionReport& r) { report = r; };
  const deepdot::Model m = deepdot::Trainer(c).fit(X, y, Xv, yv);
  // Five recursive:3 candidates, then four Gaussians with R = the largest norm,
  // widths 0.707, 0.5, 0.354 and 0.25 x one median distance.
  std::vector<double> widths;
  for (const deepdot::SelectionCandidate& k : report.candidates)
    if (k.stage == "preprocessing" && k.kernel.rfind("gaussian:", 0) == 0) {
      widths.push_back(std::stod(k.kernel.substr(9)));
      CHECK(k.lift_scale == doctest::Approx(report.candidates[4].lift_scale));
    }
  REQUIRE(widths.size() == 4);
  const double base = widths[0] / 0.707;
  CHECK(widths[1] == doctest::Approx(0.5 * base).epsilon(0.01));
  CHECK(widths[2] == doctest::Approx(0.354 * base).epsilon(0.01));
  CHECK(widths[3] == doctest::Approx(0.25 * base).epsilon(0.01));
  REQUIRE(m.parts().kernel.spec().rfind("gaussian:", 0) == 0);
  CHECK(m.parts().scaling == deepdot::Scaling::sphere_lift);
  CHECK(m.parts().feature_scaling == deepdot::FeatureScaling::standardize);
  CHECK(std::find(report.automatic.begin(), report.automatic.end(), "kernel") != report.automatic.end());
  // The chosen width, moved from the sample's R to the final R.
  double chosen_width = 0.0, sample_R = 0.0;
  for (const deepdot::SelectionCandidate& k : report.candidates)
    if (k.chosen && k.stage == "preprocessing") chosen_width = std::stod(k.kernel.substr(9)), sample_R = k.lift_scale;
  REQUIRE(chosen_width > 0.0);
  const double final_width = std::stod(m.parts().kernel.spec().substr(9));
  CHECK(final_width == doctest::Approx(chosen_width * sample_R / m.parts().scaling_factor).epsilon(0.005));
  // Better than the best the recursive kernel does with the same search.
  deepdot::TrainerConfig r = c;
  r.kernel = "recursive:1";
  const double acc_gauss = deepdot::accuracy(yt, m.predict_labels(Xt));
  const double acc_rec = deepdot::accuracy(yt, deepdot::Trainer(r).fit(X, y, Xv, yv).predict_labels(Xt));
  CHECK(acc_gauss > 0.9);
  CHECK(acc_gauss > acc_rec + 0.1);
}

TEST_CASE("Trainer{}: a small data set is cross-validated in 5 folds, and its final fit trains on every point") {
  const arma::mat X = sphere_points(5, 400, 61);
  arma::ivec y(X.n_cols);
  for (arma::uword j = 0; j < X.n_cols; ++j) y[j] = X(0, j) * X(1, j) + 0.3 * X(2, j) > 0 ? 1 : 0;
  deepdot::SelectionReport report;
  deepdot::TrainerConfig c;
  c.scaling = deepdot::Scaling::unit_norm;
  c.loss = deepdot::Loss::squared;
  c.on_selection = [&report](const deepdot::SelectionReport& r) { report = r; };
  const deepdot::Model m = deepdot::Trainer(c).fit(X, y);
  CHECK(report.sample_folds == 5);
  CHECK(report.sample_train + report.sample_validation == 400);
  CHECK(report.sample_features == 320);  // the training points of one fold
  REQUIRE(report.candidates.size() == 4);
  double chosen_lambda = 0.0;
  for (const deepdot::SelectionCandidate& k : report.candidates) {
    // An error rate over all 400 points (the 5 folds' validation points), not over one split's 40.
    const double errors = k.score * 400.0;
    CHECK(std::abs(errors - std::round(errors)) < 1e-6);
    if (k.chosen) chosen_lambda = k.lambda;
  }
  REQUIRE(chosen_lambda > 0.0);
  // The final fit: the cross-validated lambda, on all points (no split left over).
  REQUIRE(!m.parts().lambdas.is_empty());
  for (double l : m.parts().lambdas) CHECK(l == doctest::Approx(chosen_lambda));
  // With 1,000 validation points or more the search holds out one validation split instead.
  const arma::mat Xl = sphere_points(5, 2400, 62);
  arma::ivec yl(Xl.n_cols);
  for (arma::uword j = 0; j < Xl.n_cols; ++j) yl[j] = Xl(0, j) > 0 ? 1 : 0;
  c.features = 64;
  c.validation_fraction = 0.5;  // 1,200 validation points
  deepdot::Trainer(c).fit(Xl, yl);
  CHECK(report.sample_folds == 0);
}
