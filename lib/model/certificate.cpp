// SPDX-License-Identifier: MIT
#include <deepdot/model/certificate.hpp>

#include <deepdot/kernels/gram.hpp>

#include "core/check.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace deepdot {
namespace {

constexpr const char* kWhere = "certify()";

double ratio(double num, double den) {
  if (den > 0.0) return num / den;
  return num == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
}

void check_inputs(const FeatureMap& map, arma::uword d, arma::uword m, const arma::mat& Y, const arma::vec& lambdas) {
  if (d != map.input_dim())
    detail::fail(kWhere, "the sample has " + std::to_string(d) + " rows but the map expects d = " +
                             std::to_string(map.input_dim()) + " (the sample is d x m, one column per point)");
  if (m < 4) detail::fail(kWhere, "the sample has " + std::to_string(m) + " points; it needs >= 4 (two halves)");
  if (Y.n_cols != m || Y.n_rows == 0)
    detail::fail(kWhere, "Y must be c x m with c >= 1 and m = " + std::to_string(m) + ", got " +
                             detail::shape_text(Y.n_rows, Y.n_cols));
  if (lambdas.n_elem != Y.n_rows)
    detail::fail(kWhere, "lambdas has " + std::to_string(lambdas.n_elem) + " entries but Y has " +
                             std::to_string(Y.n_rows) + " outputs (one lambda per output)");
  for (double l : lambdas) detail::check_lambda(l, kWhere);
  detail::require_finite(Y, kWhere, "Y");
}

/// Ridge predictions on the test half from the Gram matrix G of the whole
/// sample (fit half first): alpha_j = (G_AA + n_A lambda_j I)^+ y_j through
/// one eigen-decomposition, so lambda = 0 (the minimum-norm interpolant) and
/// a rank-deficient Z'Z (D < n_A) are handled alike.
arma::mat ridge_predictions(const arma::mat& G, const arma::mat& Y, const arma::vec& lambdas, arma::uword nA) {
  const arma::uword m = G.n_rows;
  const arma::mat GAA = 0.5 * (G.submat(0, 0, nA - 1, nA - 1) + G.submat(0, 0, nA - 1, nA - 1).t());
  arma::vec s;
  arma::mat U;
  if (!arma::eig_sym(s, U, GAA)) throw std::runtime_error("certify(): the symmetric eigen-decomposition failed");
  // Eigenvalues at rounding level are treated as zero (as KernelRidge does).
  const double cut = static_cast<double>(nA) * std::numeric_limits<double>::epsilon() * std::max(s.max(), 0.0) * 16.0;
  const arma::mat Q = U.t() * Y.cols(0, nA - 1).t();  // nA x c
  arma::mat alpha(nA, Y.n_rows);
  for (arma::uword j = 0; j < Y.n_rows; ++j) {
    arma::vec filt(nA);
    for (arma::uword i = 0; i < nA; ++i) {
      const double denom = s[i] + static_cast<double>(nA) * lambdas[j];
      filt[i] = (s[i] <= cut && lambdas[j] == 0.0) || denom <= 0.0 ? 0.0 : 1.0 / denom;
    }
    alpha.col(j) = U * (filt % Q.col(j));
  }
  return (G.submat(nA, 0, m - 1, nA - 1) * alpha).t();  // c x test points
}

arma::uvec predicted_classes(const arma::mat& F) {
  arma::uvec out(F.n_cols);
  for (arma::uword i = 0; i < F.n_cols; ++i) out[i] = F.n_rows == 1 ? (F(0, i) >= 0.0) : F.col(i).index_max();
  return out;
}

/// Everything after K (exact, m x m) and Z'Z (m x m) are known.
Certificate compare(const arma::mat& K, const arma::mat& ZtZ, const Kernel& kernel, const arma::mat& Y,
                    const arma::vec& lambdas, bool classification) {
  Certificate out;
  const arma::uword m = K.n_rows;
  out.sample_points = m;
  out.fit_points = m / 2;
  out.test_points = m - out.fit_points;
  detail::require_finite(ZtZ, kWhere, "the features' Gram matrix Z'Z");
  const arma::mat E = K - ZtZ;
  const double err = arma::norm(E, "fro");
  out.kernel_error = ratio(err, arma::norm(K, "fro"));
  out.kernel_error_nonconstant = ratio(err, arma::norm(K - kernel.coefficients(1)[0], "fro"));
  out.kernel_max_error = arma::abs(E).max();
  const arma::mat F = ridge_predictions(K, Y, lambdas, out.fit_points);
  const arma::mat Fz = ridge_predictions(ZtZ, Y, lambdas, out.fit_points);
  out.prediction_difference = ratio(arma::norm(F - Fz, "fro"), arma::norm(F, "fro"));
  out.label_agreement = std::numeric_limits<double>::quiet_NaN();
  if (classification) {
    const arma::uvec a = predicted_classes(F), b = predicted_classes(Fz);
    out.label_agreement = static_cast<double>(arma::accu(a == b)) / static_cast<double>(a.n_elem);
  }
  return out;
}

arma::mat features_gram(const FeatureMap& map, const arma::mat& sample, Precision precision) {
  if (precision == Precision::single_precision) {
    const arma::fmat Z = map.transform(arma::conv_to<arma::fmat>::from(sample));
    return arma::conv_to<arma::mat>::from(arma::fmat(Z.t() * Z));  // SYRK in float, as the model's features
  }
  const arma::mat Z = map.transform(sample);
  return Z.t() * Z;
}

std::string yes_no(bool v) { return v ? "yes" : "no"; }

}  // namespace

Certificate certify(const Kernel& kernel, const FeatureMap& map, const arma::mat& sample, const arma::mat& Y,
                    const arma::vec& lambdas, bool classification, Precision precision) {
  check_inputs(map, sample.n_rows, sample.n_cols, Y, lambdas);
  check_unit_ball(sample, kWhere);
  return compare(gram(kernel, sample), features_gram(map, sample, precision), kernel, Y, lambdas, classification);
}

Certificate certify(const Kernel& kernel, const FeatureMap& map, const arma::sp_mat& sample, const arma::mat& Y,
                    const arma::vec& lambdas, bool classification, Precision precision) {
  (void)precision;  // the sparse transform is certified in double: the float rounding is far below any map's error
  check_inputs(map, sample.n_rows, sample.n_cols, Y, lambdas);
  const arma::mat Z = map.transform(sample);
  const arma::mat ZtZ = Z.t() * Z;
  return compare(gram(kernel, sample, sample), ZtZ, kernel, Y, lambdas, classification);
}

void append_certificate(const Certificate& c, std::vector<std::pair<std::string, std::string>>& metadata) {
  using detail::format_double;
  metadata.emplace_back("certificate sample points", std::to_string(c.sample_points));
  metadata.emplace_back("certificate disjoint from map fit", yes_no(c.disjoint_from_map_fit));
  metadata.emplace_back("certificate kernel error", format_double(c.kernel_error));
  metadata.emplace_back("certificate kernel error non-constant", format_double(c.kernel_error_nonconstant));
  metadata.emplace_back("certificate kernel max error", format_double(c.kernel_max_error));
  metadata.emplace_back("certificate prediction difference", format_double(c.prediction_difference));
  if (!std::isnan(c.label_agreement))
    metadata.emplace_back("certificate label agreement", format_double(c.label_agreement));
}

std::optional<Certificate> read_certificate(const ModelParts& parts) {
  const std::string where = "read_certificate()";
  auto find = [&parts](const std::string& key) -> const std::string* {
    for (const auto& kv : parts.metadata)
      if (kv.first == key) return &kv.second;
    return nullptr;
  };
  const std::string* points = find("certificate sample points");
  if (!points) return std::nullopt;
  Certificate c;
  c.sample_points = detail::parse_uword(*points, where, "certificate sample points");
  c.fit_points = c.sample_points / 2;
  c.test_points = c.sample_points - c.fit_points;
  auto number = [&](const std::string& key) {
    const std::string* v = find(key);
    if (!v) detail::fail(where, "the model's metadata has certificate sample points but no \"" + key + "\"");
    return detail::parse_double(*v, where, key);
  };
  const std::string* disjoint = find("certificate disjoint from map fit");
  c.disjoint_from_map_fit = !disjoint || *disjoint == "yes";
  c.kernel_error = number("certificate kernel error");
  c.kernel_error_nonconstant = number("certificate kernel error non-constant");
  c.kernel_max_error = number("certificate kernel max error");
  c.prediction_difference = number("certificate prediction difference");
  c.label_agreement = find("certificate label agreement") ? number("certificate label agreement")
                                                          : std::numeric_limits<double>::quiet_NaN();
  return c;
}

}  // namespace deepdot
