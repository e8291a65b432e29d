// SPDX-License-Identifier: MIT
#include <deepdot/model/certificate.hpp>

#include <deepdot/core/random.hpp>
#include <deepdot/kernels/kernel.hpp>
#include <deepdot/maps/feature_map.hpp>
#include <deepdot/model/trainer.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace {

/// n unit-norm points in d dimensions and +-1 targets of two outputs.
struct Sample {
  arma::mat X, Y;
  arma::ivec labels;
};

Sample make_sample(arma::uword d, arma::uword n, std::uint64_t seed) {
  deepdot::Rng rng(seed, 3);
  Sample s;
  s.X = rng.normal_matrix(d, n);
  s.X.each_col([](arma::vec& x) { x /= arma::norm(x); });
  s.labels.set_size(n);
  for (arma::uword i = 0; i < n; ++i) s.labels[i] = s.X(0, i) * s.X(1, i) > 0 ? 1 : (s.X(2, i) > 0.2 ? 2 : 3);
  s.Y = -arma::ones(3, n);
  for (arma::uword i = 0; i < n; ++i) s.Y(s.labels[i] - 1, i) = 1.0;
  return s;
}

std::string meta(const deepdot::Model& m, const std::string& key) {
  for (const auto& kv : m.parts().metadata)
    if (kv.first == key) return kv.second;
  return "";
}

}  // namespace

TEST_CASE("certify: an exact finite expansion (poly:2 with taylor:2) certifies to rounding") {
  const Sample s = make_sample(3, 200, 5);
  const deepdot::Kernel k = deepdot::make_kernel("poly:2:1");
  auto map = deepdot::make_feature_map("taylor:2", k, 3, 10, 1);  // 1 + 3 + 6 monomials: all of them
  const arma::vec lambdas(3, arma::fill::value(1e-3));
  const deepdot::Certificate c = deepdot::certify(k, *map, s.X, s.Y, lambdas, true);
  CHECK(c.sample_points == 200);
  CHECK(c.fit_points == 100);
  CHECK(c.test_points == 100);
  CHECK(c.kernel_error < 1e-12);
  CHECK(c.kernel_max_error < 1e-12);
  CHECK(c.prediction_difference < 1e-8);
  CHECK(c.label_agreement == 1.0);
  // Too few monomials (D = 4 keeps only degrees 0 and 1) is far from exact.
  auto truncated = deepdot::make_feature_map("taylor:1", k, 3, 4, 1);
  const deepdot::Certificate t = deepdot::certify(k, *truncated, s.X, s.Y, lambdas, true);
  CHECK(t.kernel_error > 0.05);
  CHECK(t.prediction_difference > 0.05);
}

TEST_CASE("certify: the kernel error and the prediction difference fall with D (fixed seeds)") {
  const Sample s = make_sample(8, 400, 11);
  const deepdot::Kernel k = deepdot::make_kernel("recursive:2");
  const arma::vec lambdas(3, arma::fill::value(1e-2));
  double kernel_err[3], pred_diff[3], agree[3];
  const arma::uword Ds[3] = {32, 512, 8192};
  for (int i = 0; i < 3; ++i) {
    // Averaged over 3 seeds of the map so that one lucky draw cannot decide.
    kernel_err[i] = pred_diff[i] = agree[i] = 0.0;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      auto map = deepdot::make_feature_map("tensorsketch", k, 8, Ds[i], seed);
      const deepdot::Certificate c = deepdot::certify(k, *map, s.X, s.Y, lambdas, true);
      kernel_err[i] += c.kernel_error_nonconstant / 3;
      pred_diff[i] += c.prediction_difference / 3;
      agree[i] += c.label_agreement / 3;
    }
    MESSAGE("D = " << Ds[i] << ": kernel error (non-constant) " << kernel_err[i] << ", prediction difference "
                   << pred_diff[i] << ", label agreement " << agree[i]);
  }
  // Monte-Carlo maps: error ~ 1/sqrt(D), so each 16x step should about quarter it.
  CHECK(kernel_err[1] < 0.5 * kernel_err[0]);
  CHECK(kernel_err[2] < 0.5 * kernel_err[1]);
  CHECK(pred_diff[1] < pred_diff[0]);
  CHECK(pred_diff[2] < 0.5 * pred_diff[1]);
  CHECK(agree[2] >= agree[0]);
  CHECK(agree[2] > 0.95);
}

TEST_CASE("certify: the same on sparse and dense forms of the sample") {
  const Sample s = make_sample(6, 80, 2);
  const deepdot::Kernel k = deepdot::make_kernel("recursive:1");
  auto map = deepdot::make_feature_map("tensorsketch", k, 6, 256, 4);
  const arma::vec lambdas(3, arma::fill::value(1e-2));
  const deepdot::Certificate a = deepdot::certify(k, *map, s.X, s.Y, lambdas, true);
  const deepdot::Certificate b = deepdot::certify(k, *map, arma::sp_mat(s.X), s.Y, lambdas, true);
  CHECK(a.kernel_error == doctest::Approx(b.kernel_error).epsilon(1e-9));
  CHECK(a.prediction_difference == doctest::Approx(b.prediction_difference).epsilon(1e-6));
  CHECK(a.label_agreement == b.label_agreement);
}

TEST_CASE("certify: bad inputs name the problem") {
  const Sample s = make_sample(3, 20, 1);
  const deepdot::Kernel k = deepdot::make_kernel("recursive:1");
  auto map = deepdot::make_feature_map("tensorsketch", k, 3, 16, 1);
  const arma::vec lambdas(3, arma::fill::value(1e-2));
  CHECK_THROWS_WITH_AS(deepdot::certify(k, *map, s.X.cols(0, 2), s.Y.cols(0, 2), lambdas, true),
                       doctest::Contains("certify(): the sample has 3 points"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::certify(k, *map, s.X, s.Y, arma::vec{1e-2}, true),
                       doctest::Contains("one lambda per output"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::certify(k, *map, s.X, s.Y.cols(0, 9), lambdas, true),
                       doctest::Contains("Y must be c x m"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deepdot::certify(k, *map, arma::mat(s.X.rows(0, 1)), s.Y, lambdas, true),
                       doctest::Contains("the map expects d = 3"), std::invalid_argument);
  CHECK_THROWS_AS(deepdot::certify(k, *map, s.X, s.Y, arma::vec{1e-2, -1.0, 1e-2}, true), std::invalid_argument);
}

TEST_CASE("Trainer: every feature fit carries a certificate that survives save and load") {
  const Sample s = make_sample(5, 1500, 7);
  deepdot::TrainerConfig c;
  c.kernel = "recursive:2";
  c.scaling = deepdot::Scaling::unit_norm;  // no preprocessing search (a cross-validated one at this size)
  c.map = "tensorsketch";
  c.features = 512;
  c.certificate_sample = 300;
  const deepdot::Model m = deepdot::Trainer(c).fit(s.X, s.labels);
  CHECK(meta(m, "certificate") == "on");
  const auto cert = deepdot::read_certificate(m.parts());
  REQUIRE(cert.has_value());
  CHECK(cert->sample_points == 300);
  CHECK(cert->disjoint_from_map_fit);
  CHECK(cert->kernel_error > 0.0);
  CHECK(cert->kernel_error < 0.5);
  CHECK(cert->label_agreement > 0.5);
  CHECK(cert->label_agreement <= 1.0);
  const deepdot::Model back = deepdot::Model::deserialize(m.serialize(), "memory");
  const auto again = deepdot::read_certificate(back.parts());
  REQUIRE(again.has_value());
  CHECK(again->kernel_error == cert->kernel_error);
  CHECK(again->prediction_difference == cert->prediction_difference);
  CHECK(again->label_agreement == cert->label_agreement);
  // The same seed gives the same certificate; the sample follows the seed.
  const deepdot::Model same = deepdot::Trainer(c).fit(s.X, s.labels);
  CHECK(deepdot::read_certificate(same.parts())->kernel_error == cert->kernel_error);
}

TEST_CASE("Trainer: the certificate's switch, the kernel limit, the cap and the sample size") {
  const Sample s = make_sample(4, 300, 9);
  deepdot::TrainerConfig c;
  c.kernel = "recursive:1";
  c.map = "tensorsketch";
  c.features = 64;
  c.lambdas = {1e-3};
  c.certificate = false;
  const deepdot::Model off = deepdot::Trainer(c).fit(s.X, s.labels);
  CHECK(meta(off, "certificate") == "off");
  CHECK_FALSE(deepdot::read_certificate(off.parts()).has_value());
  c.certificate = true;
  const deepdot::Model on = deepdot::Trainer(c).fit(s.X, s.labels);
  // The default sample (1000) is more than the data: all 300 points.
  CHECK(deepdot::read_certificate(on.parts())->sample_points == 300);
  c.map = "exact";
  const deepdot::Model exact = deepdot::Trainer(c).fit(s.X, s.labels);
  CHECK(meta(exact, "certificate").rfind("exact", 0) == 0);
  CHECK_FALSE(deepdot::read_certificate(exact.parts()).has_value());
  c.certificate_sample = deepdot::max_certificate_sample + 1;
  CHECK_THROWS_WITH_AS(deepdot::Trainer{c}, doctest::Contains("certificate_sample must be in [4, 4000]"),
                       std::invalid_argument);
  c.certificate_sample = 3;
  CHECK_THROWS_AS(deepdot::Trainer{c}, std::invalid_argument);
}

TEST_CASE("Trainer: the sample is capped, and a Nystroem certificate avoids the map's fit points") {
  const Sample s = make_sample(4, 6000, 13);
  deepdot::TrainerConfig c;
  c.kernel = "recursive:1";
  c.scaling = deepdot::Scaling::unit_norm;  // no search: this test is about the certificate
  c.loss = deepdot::Loss::squared;
  c.map = "nystrom";
  c.features = 200;
  c.map_sample = 1000;
  c.lambdas = {1e-3};
  const deepdot::Model m = deepdot::Trainer(c).fit(s.X, s.labels);
  const auto cert = deepdot::read_certificate(m.parts());
  REQUIRE(cert.has_value());
  CHECK(cert->sample_points == 1000);  // the default, not the 6000 points
  CHECK(cert->disjoint_from_map_fit);
  CHECK(meta(m, "certificate disjoint from map fit") == "yes");
  // When the map has seen (almost) every point, the certificate says so.
  const Sample small = make_sample(4, 250, 13);
  c.map_sample = 10000;
  const deepdot::Model all = deepdot::Trainer(c).fit(small.X, small.labels);
  CHECK(meta(all, "certificate disjoint from map fit") == "no");
  CHECK(deepdot::read_certificate(all.parts())->sample_points == 250);
}

TEST_CASE("read_certificate: a value that does not parse is an error naming the key") {
  const Sample s = make_sample(4, 100, 3);
  deepdot::TrainerConfig c;
  c.kernel = "recursive:1";
  c.map = "tensorsketch";
  c.features = 32;
  c.lambdas = {1e-3};
  deepdot::ModelParts parts = deepdot::Trainer(c).fit(s.X, s.labels).parts();
  for (auto& kv : parts.metadata)
    if (kv.first == "certificate kernel error") kv.second = "x";
  CHECK_THROWS_WITH_AS(deepdot::read_certificate(parts), doctest::Contains("certificate kernel error"),
                       std::invalid_argument);
}

TEST_CASE("Trainer: a regression certificate has no label agreement, and sparse fits are certified too") {
  const Sample s = make_sample(4, 400, 17);
  deepdot::TrainerConfig c;
  c.kernel = "recursive:1";
  c.map = "tensorsketch";
  c.features = 256;
  c.lambdas = {1e-3};
  const deepdot::Model reg = deepdot::Trainer(c).fit_regression(s.X, s.Y.rows(0, 1));
  const auto r = deepdot::read_certificate(reg.parts());
  REQUIRE(r.has_value());
  CHECK(std::isnan(r->label_agreement));
  CHECK(meta(reg, "certificate label agreement").empty());
  CHECK(r->prediction_difference > 0.0);
  CHECK(r->prediction_difference < 1.0);
  // The same points in sparse form: the same sample, so the same kernel error to rounding.
  const deepdot::Model dense = deepdot::Trainer(c).fit(s.X, s.labels);
  const deepdot::Model sparse = deepdot::Trainer(c).fit(arma::sp_mat(s.X), s.labels);
  const auto a = deepdot::read_certificate(dense.parts()), b = deepdot::read_certificate(sparse.parts());
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(b->kernel_error == doctest::Approx(a->kernel_error).epsilon(1e-4));
  CHECK(b->sample_points == a->sample_points);
}
