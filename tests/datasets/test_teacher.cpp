// SPDX-License-Identifier: MIT
#include <deepdot/datasets/teacher.hpp>

#include <doctest/doctest.h>

#include <cmath>

using deepdot::TeacherConfig;
using deepdot::TeacherNetwork;

TEST_CASE("teacher: weights satisfy Assumption A (l2 first layer, l1 and sparsity later)") {
  TeacherConfig c;
  c.input_dim = 20;
  c.hidden_layers = 3;
  c.width = 30;
  c.outputs = 2;
  c.weight_bound = 1.5;
  c.sparsity = 4;
  const TeacherNetwork t(c, 11);
  const auto& W = t.weights();
  REQUIRE(W.size() == 4);
  for (arma::uword i = 0; i < W[0].n_rows; ++i) CHECK(arma::norm(W[0].row(i), 2) == doctest::Approx(1.5));
  for (std::size_t l = 1; l < W.size(); ++l)
    for (arma::uword i = 0; i < W[l].n_rows; ++i) {
      CHECK(arma::norm(W[l].row(i), 1) == doctest::Approx(1.5));
      CHECK(arma::accu(W[l].row(i) != 0.0) == 4);
    }
}

TEST_CASE("teacher: inputs in the unit ball or on the sphere, optionally in a subspace") {
  TeacherConfig c;
  c.input_dim = 8;
  c.inputs = deepdot::InputDistribution::ball;
  const TeacherNetwork ball(c, 1);
  const arma::mat X = ball.draw_inputs(2000, 1, 0);
  arma::vec norms(X.n_cols);
  for (arma::uword j = 0; j < X.n_cols; ++j) norms[j] = arma::norm(X.col(j), 2);
  CHECK(norms.max() <= 1.0);
  // Uniform in the 8-ball: P(||x|| <= r) = r^8, so the median norm is 0.5^(1/8).
  CHECK(arma::median(norms) == doctest::Approx(std::pow(0.5, 1.0 / 8)).epsilon(0.02));

  c.inputs = deepdot::InputDistribution::sphere;
  c.intrinsic_dim = 3;
  const TeacherNetwork sub(c, 2);
  const arma::mat S = sub.draw_inputs(100, 2, 0);
  for (arma::uword j = 0; j < S.n_cols; ++j) CHECK(arma::norm(S.col(j), 2) == doctest::Approx(1.0));
  // Every input and every first-layer row lies in the 3-dimensional subspace.
  const arma::mat& B = sub.input_basis();
  CHECK(arma::norm(S - B * (B.t() * S), "fro") < 1e-10);
  CHECK(arma::norm(sub.weights()[0].t() - B * (B.t() * sub.weights()[0].t()), "fro") < 1e-10);
}

TEST_CASE("teacher: activations match their formulas") {
  arma::mat A = {{-1.0, 0.0, 0.5}};
  arma::mat E = A, S = A, R = A, Q = A;
  deepdot::apply_activation(deepdot::Activation::erf_sigmoid, E);
  deepdot::apply_activation(deepdot::Activation::smoothed_hinge, S);
  deepdot::apply_activation(deepdot::Activation::relu, R);
  deepdot::apply_activation(deepdot::Activation::quadratic, Q);
  const double pi = 3.14159265358979323846;
  CHECK(E(0, 1) == doctest::Approx(0.5));
  CHECK(E(0, 2) == doctest::Approx(0.5 * (1 + std::erf(std::sqrt(pi) * 0.5))));
  CHECK(S(0, 1) == doctest::Approx(1.0 / (2 * pi)));
  CHECK(S(0, 2) == doctest::Approx(0.5 * E(0, 2) + std::exp(-pi * 0.25) / (2 * pi)));
  CHECK(R(0, 0) == 0.0);
  CHECK(Q(0, 2) == doctest::Approx(0.25));
  CHECK(deepdot::parse_activation("smoothed-hinge") == deepdot::Activation::smoothed_hinge);
  CHECK_THROWS_AS(deepdot::parse_activation("tanh"), std::invalid_argument);
}

TEST_CASE("teacher: samples are reproducible, streams differ, labels balanced") {
  TeacherConfig c;
  const TeacherNetwork t(c, 5);
  const auto a = deepdot::draw_teacher_sample(t, 500, 5, 1);
  const auto b = deepdot::draw_teacher_sample(TeacherNetwork(c, 5), 500, 5, 1);
  const auto other = deepdot::draw_teacher_sample(t, 500, 5, 2);
  CHECK(arma::approx_equal(a.X, b.X, "absdiff", 0.0));
  CHECK(arma::approx_equal(a.targets, b.targets, "absdiff", 0.0));
  CHECK(arma::abs(a.X - other.X).max() > 0.1);
  const double noise_var = arma::var(arma::vectorise(a.targets - a.clean));
  CHECK(noise_var == doctest::Approx(0.01).epsilon(0.2));
  const double ones = arma::accu(a.clean_labels == 1) / 500.0;
  CHECK(ones > 0.4);
  CHECK(ones < 0.6);
  CHECK(arma::all(t.classify(a.X) == a.clean_labels));
}

TEST_CASE("teacher: bad configurations are rejected") {
  TeacherConfig c;
  c.width = 0;
  CHECK_THROWS_WITH_AS(TeacherNetwork(c, 1), doctest::Contains("TeacherNetwork::TeacherNetwork()"),
                       std::invalid_argument);
  c = TeacherConfig();
  c.weight_bound = -1;
  CHECK_THROWS_WITH_AS(TeacherNetwork(c, 1), doctest::Contains("weight_bound L"), std::invalid_argument);
  c = TeacherConfig();
  c.noise = -0.1;
  CHECK_THROWS_AS(TeacherNetwork(c, 1), std::invalid_argument);
  c = TeacherConfig();
  c.intrinsic_dim = 60;
  CHECK_THROWS_WITH_AS(TeacherNetwork(c, 1), doctest::Contains("intrinsic_dim"), std::invalid_argument);
  CHECK_THROWS_AS(TeacherNetwork(TeacherConfig(), 1).forward(arma::mat(3, 2)), std::invalid_argument);
}

TEST_CASE("parse_input_distribution and input_distribution_name round-trip; bad names are rejected") {
  for (auto d : {deepdot::InputDistribution::sphere, deepdot::InputDistribution::ball})
    CHECK(deepdot::parse_input_distribution(deepdot::input_distribution_name(d)) == d);
  CHECK_THROWS_WITH_AS(deepdot::parse_input_distribution("cube"),
                       doctest::Contains("parse_input_distribution(): unknown input distribution 'cube'; expected sphere or ball"),
                       std::invalid_argument);
}
