// SPDX-License-Identifier: MIT
#include <deepdot/solvers/feature_ridge.hpp>
#include <deepdot/util/memory.hpp>

#include "core/check.hpp"
#include "solvers/spectral_path.hpp"

#include <deepdot/core/metrics.hpp>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace deepdot {

using detail::fail;
using detail::format_double;

namespace {

using detail::shape_text;
using detail::SpectralNorm;

}  // namespace

FeatureRidge::FeatureRidge(arma::uword dim, arma::uword outputs, RidgeSolver solver, Accumulation accumulation)
    : solver_(solver), accumulation_(accumulation) {
  if (dim == 0) fail("FeatureRidge::FeatureRidge()", "the feature dimension D must be >= 1, got 0");
  if (outputs == 0) fail("FeatureRidge::FeatureRidge()", "the number of outputs c must be >= 1, got 0");
  // The D x D accumulator, before it is allocated.
  require_memory(8.0 * static_cast<double>(dim) * static_cast<double>(dim), "FeatureRidge::FeatureRidge()",
                 "D = " + std::to_string(dim) + " features (a D x D matrix of doubles)", "use fewer features");
  G_.zeros(dim, dim);
  C_.zeros(dim, outputs);
  yy_.zeros(outputs);
}

RidgeSolver FeatureRidge::effective_solver() const {
  if (solver_ != RidgeSolver::automatic) return solver_;
  return dim() <= feature_ridge_eigen_limit ? RidgeSolver::eigen : RidgeSolver::cholesky;
}

void FeatureRidge::check_batch(const char* where, arma::uword rows, arma::uword cols, const arma::mat& Y) const {
  if (rows != dim()) fail(where, "Z is " + shape_text(rows, cols) + " but must be D x b with D = " + std::to_string(dim()));
  if (Y.n_rows != outputs() || Y.n_cols != cols)
    fail(where, "Y is " + shape_text(Y.n_rows, Y.n_cols) + " but must be c x b = " + shape_text(outputs(), cols) +
                    " (one column per column of Z)");
  if (cols == 0) fail(where, "the batch is empty (b = 0)");
  detail::require_finite(Y, where, "Y");
}

void FeatureRidge::count_batch(const arma::mat& Y) {
  yy_ += arma::sum(arma::square(Y), 1);
  count_ += Y.n_cols;
  decomposed_ = false;
  lambdas_.reset();
  W_.reset();
}

void FeatureRidge::accumulate(const arma::fmat& Z, const arma::mat& Y) {
  if (accumulation_ == Accumulation::exact) {
    // Converting a batch costs b x D doubles; the double syrk then sees exactly
    // the float features, so accuracy does not depend on the batch size.
    accumulate(arma::conv_to<arma::mat>::from(Z), Y);
    return;
  }
  const char* where = "FeatureRidge::accumulate()";
  check_batch(where, Z.n_rows, Z.n_cols, Y);
  detail::require_finite(Z, where, "Z");
  accumulate_single(Z);
  float_sums_ = true;
  // ZY' in double, a few columns at a time (no double copy of the whole batch).
  constexpr arma::uword kColumns = 256;
  for (arma::uword j0 = 0; j0 < Z.n_cols; j0 += kColumns) {
    const arma::uword j1 = std::min(Z.n_cols, j0 + kColumns) - 1;
    C_ += arma::conv_to<arma::mat>::from(Z.cols(j0, j1)) * Y.cols(j0, j1).t();
  }
  count_batch(Y);
}

void FeatureRidge::accumulate_single(const arma::fmat& Z) {
  // Column block [j0, j1) of the upper triangle of ZZ' is Z(0:j1, :) Z(j0:j1, :)':
  // an SGEMM for the rows above the block and an SSYRK for its diagonal part
  // (a GEMM there would compute the lower half for nothing: 20% more flops at
  // D = 2,048), into a j1 x 512 float scratch (8 MB at D = 4,096), then added
  // into the double accumulator. The float sums span one batch only.
  constexpr arma::uword kBlock = 512;
  const arma::uword D = dim();
  const auto b = static_cast<blasint>(Z.n_cols), ld = static_cast<blasint>(D);
  arma::fmat T;
  for (arma::uword j0 = 0; j0 < D; j0 += kBlock) {
    const arma::uword j1 = std::min(D, j0 + kBlock), w = j1 - j0;
    const auto ldt = static_cast<blasint>(j1), bw = static_cast<blasint>(w);
    T.set_size(j1, w);
    if (j0 > 0)
      cblas_sgemm(CblasColMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(j0), bw, b, 1.0f, Z.memptr(), ld,
                  Z.memptr() + j0, ld, 0.0f, T.memptr(), ldt);
    cblas_ssyrk(CblasColMajor, CblasUpper, CblasNoTrans, bw, b, 1.0f, Z.memptr() + j0, ld, 0.0f, T.memptr() + j0, ldt);
    for (arma::uword c = j0; c < j1; ++c) {
      double* g = G_.colptr(c);
      const float* t = T.colptr(c - j0);
      for (arma::uword r = 0; r <= c; ++r) g[r] += static_cast<double>(t[r]);  // rows below c: SSYRK left them unset
    }
  }
}

void FeatureRidge::accumulate(const arma::mat& Z, const arma::mat& Y) {
  const char* where = "FeatureRidge::accumulate()";
  check_batch(where, Z.n_rows, Z.n_cols, Y);
  detail::require_finite(Z, where, "Z");
  // Upper triangle of G += Z Z' by a rank-b update: half the flops of a GEMM
  // and no D x D temporary.
  const auto D = static_cast<blasint>(dim()), b = static_cast<blasint>(Z.n_cols);
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, D, b, 1.0, Z.memptr(), D, 1.0, G_.memptr(), D);
  C_ += Z * Y.t();
  count_batch(Y);
}

arma::mat FeatureRidge::gram() const { return arma::symmatu(G_); }

arma::uword FeatureRidge::statistics_size() const {
  const arma::uword D = dim(), c = outputs();
  return D * (D + 1) / 2 + D * c + c + 2;
}

arma::vec FeatureRidge::statistics() const {
  const arma::uword D = dim(), c = outputs();
  arma::vec s(statistics_size());
  double* out = s.memptr();
  for (arma::uword j = 0; j < D; ++j) out = std::copy(G_.colptr(j), G_.colptr(j) + j + 1, out);
  out = std::copy(C_.memptr(), C_.memptr() + D * c, out);
  out = std::copy(yy_.memptr(), yy_.memptr() + c, out);
  *out++ = float_sums_ ? 1.0 : 0.0;  // summed over parts: > 0 when any part summed in float
  *out = static_cast<double>(count_);
  return s;
}

void FeatureRidge::add_statistics(const arma::vec& s) {
  const char* where = "FeatureRidge::add_statistics()";
  const arma::uword D = dim(), c = outputs();
  if (s.n_elem != statistics_size())
    fail(where, "the statistics have " + std::to_string(s.n_elem) + " numbers but D = " + std::to_string(D) +
                    ", c = " + std::to_string(c) + " needs D(D+1)/2 + Dc + c + 2 = " + std::to_string(statistics_size()));
  detail::require_finite(s, where, "statistics");
  const double n = s[s.n_elem - 1];
  if (!(n >= 0.0) || n != std::floor(n) || n > 9007199254740992.0)
    fail(where, "the count " + detail::format_double(n) + " is not a non-negative integer");
  const double* in = s.memptr();
  for (arma::uword j = 0; j < D; ++j) {
    double* g = G_.colptr(j);
    for (arma::uword i = 0; i <= j; ++i) g[i] += *in++;
  }
  for (arma::uword k = 0; k < D * c; ++k) C_[k] += *in++;
  for (arma::uword k = 0; k < c; ++k) yy_[k] += *in++;
  const double float_parts = *in++;
  if (!(float_parts >= 0.0)) fail(where, "the float-summation flag " + detail::format_double(float_parts) + " is negative");
  // Float-summed parts keep the float rounding threshold of the spectrum (decompose()).
  if (float_parts > 0.0) float_sums_ = true;
  count_ += static_cast<arma::uword>(n);
  decomposed_ = false;
  lambdas_.reset();
  W_.reset();
}

void FeatureRidge::reduce_statistics(const std::function<void(arma::vec& v)>& sum, arma::uword piece) {
  const char* where = "FeatureRidge::reduce_statistics()";
  if (piece == 0) fail(where, "the piece length must be >= 1, got 0");
  const arma::uword D = dim(), c = outputs(), total = statistics_size();
  // Position k of statistics() lives at address(k): the upper triangle of G_
  // column by column, then C_, yy_, the float flag and the count (as doubles).
  double flag = float_sums_ ? 1.0 : 0.0, count = static_cast<double>(count_);
  // The addresses are walked twice per piece, to gather it and to scatter
  // the sums back, instead of being remembered: the only buffer beside the
  // accumulation is the piece itself.
  struct Cursor {
    arma::uword k = 0, column = 0, row = 0;  // the triangle's next entry (row <= column)
  };
  auto next = [&](Cursor& at) -> double* {
    const arma::uword triangle = D * (D + 1) / 2;
    arma::uword k = at.k++;
    if (k < triangle) {
      double* p = G_.colptr(at.column) + at.row;
      if (++at.row > at.column) at.row = 0, ++at.column;
      return p;
    }
    k -= triangle;
    if (k < D * c) return C_.memptr() + k;
    k -= D * c;
    if (k < c) return yy_.memptr() + k;
    return k == c ? &flag : &count;
  };
  arma::vec buffer(std::min(piece, total));
  Cursor cursor;
  for (arma::uword at = 0; at < total; at += piece) {
    const arma::uword m = std::min(piece, total - at);
    arma::vec v(buffer.memptr(), m, false, true);
    const Cursor start = cursor;
    for (arma::uword k = 0; k < m; ++k) v[k] = *next(cursor);
    sum(v);
    if (v.n_elem != m) fail(where, "sum() changed the length of a piece from " + std::to_string(m) + " to " + std::to_string(v.n_elem));
    cursor = start;
    for (arma::uword k = 0; k < m; ++k) *next(cursor) = v[k];
  }
  decomposed_ = false;
  lambdas_.reset();
  W_.reset();
  detail::require_finite(G_, where, "the summed ZZ'");
  detail::require_finite(C_, where, "the summed ZY'");
  if (!(count >= 0.0) || count != std::floor(count) || count > 9007199254740992.0)
    fail(where, "the summed count " + detail::format_double(count) + " is not a non-negative integer");
  if (!(flag >= 0.0)) fail(where, "the summed float-summation flag " + detail::format_double(flag) + " is negative");
  float_sums_ = flag > 0.0;
  count_ = static_cast<arma::uword>(count);
}

void FeatureRidge::require_data(const char* where) const {
  if (count_ == 0) throw std::logic_error(std::string(where) + ": no data; call accumulate() first");
}

void FeatureRidge::decompose() {
  if (decomposed_) return;
  require_data("FeatureRidge");
  // ZZ' is positive semidefinite; eigenvalues below D eps s_max are rounding,
  // with eps that of float when float batches were summed in float.
  const double eps = float_sums_ ? std::numeric_limits<float>::epsilon()
                                                           : std::numeric_limits<double>::epsilon();
  detail::spectral_decompose(arma::symmatu(G_), C_, eps, "FeatureRidge (ZZ')", s_, U_, Q_, cut_);
  decomposed_ = true;
}

const arma::vec& FeatureRidge::eigenvalues() {
  decompose();
  return s_;
}

arma::mat FeatureRidge::solve_eigen(const arma::vec& mus) const {
  return U_ * detail::SpectralView{s_, Q_, cut_}.shrunk(mus);
}

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, std::size_t uplo_len);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda, double* b,
             const int* ldb, int* info, std::size_t uplo_len);
}

void FeatureRidge::mirror_upper() {
  // Blocked transpose of the upper triangle into the lower one: tiles keep
  // both the read rows and the written columns in cache.
  const arma::uword D = dim();
  constexpr arma::uword kTile = 64;
  double* g = G_.memptr();
  for (arma::uword j0 = 0; j0 < D; j0 += kTile)
    for (arma::uword i0 = j0; i0 < D; i0 += kTile) {
      const arma::uword j1 = std::min(D, j0 + kTile), i1 = std::min(D, i0 + kTile);
      for (arma::uword j = j0; j < j1; ++j)
        for (arma::uword i = std::max(i0, j + 1); i < i1; ++i) g[i + j * D] = g[j + i * D];
    }
}

arma::mat FeatureRidge::solve_cholesky(const arma::vec& mus) {
  // In place, so the solve needs no second D x D matrix: the accumulator
  // lives in the upper triangle of G_, the lower triangle is free. Mirror the
  // upper triangle into it, let dpotrf('L') factorise the lower triangle and
  // the diagonal, solve, and restore the diagonal; the upper triangle is
  // never touched.
  arma::mat W(dim(), outputs());
  arma::uvec done(outputs(), arma::fill::zeros);
  const arma::vec diagonal = G_.diag();
  const int D = static_cast<int>(dim());
  for (arma::uword j = 0; j < outputs(); ++j) {
    if (done[j]) continue;
    // One factorisation serves every output that shares this lambda.
    const arma::uvec same = arma::find(mus == mus[j]);
    mirror_upper();
    G_.diag() += mus[j];
    int info = 0;
    dpotrf_("L", &D, G_.memptr(), &D, &info, 1);
    arma::mat rhs = C_.cols(same);
    if (info == 0) {
      const int nrhs = static_cast<int>(same.n_elem);
      dpotrs_("L", &D, &nrhs, G_.memptr(), &D, rhs.memptr(), &D, &info, 1);
    }
    G_.diag() = diagonal;
    // Not numerically positive definite (a lambda at rounding level, D > n):
    // the caller falls back to the eigen back end, which clips the null space.
    if (info != 0) return arma::mat();
    W.cols(same) = rhs;
    done.elem(same).ones();
  }
  return W;
}

arma::mat FeatureRidge::solve_for(const arma::vec& lambdas, bool path) {
  const arma::vec mus = lambdas * static_cast<double>(count_);
  // lambda = 0 is the pseudo-inverse solution, which only the eigen back end
  // gives. One lambda alone (not part of a path) is cheaper by Cholesky
  // whatever D is, unless the decomposition is already there or was asked for.
  const bool eigen = solver_ == RidgeSolver::automatic ? path && effective_solver() == RidgeSolver::eigen
                                                       : solver_ == RidgeSolver::eigen;
  if (eigen || decomposed_ || lambdas.min() == 0.0) {
    decompose();
    solved_with_ = RidgeSolver::eigen;
    return solve_eigen(mus);
  }
  arma::mat W = solve_cholesky(mus);
  if (!W.is_empty()) {
    solved_with_ = RidgeSolver::cholesky;
    return W;
  }
  decompose();
  solved_with_ = RidgeSolver::eigen;
  return solve_eigen(mus);
}

void FeatureRidge::set_lambda(double lambda) {
  require_data("FeatureRidge::set_lambda()");
  set_lambdas(arma::vec(outputs(), arma::fill::value(lambda)));
}

void FeatureRidge::set_lambdas(const arma::vec& lambdas) {
  const char* where = "FeatureRidge::set_lambdas()";
  require_data(where);
  if (lambdas.n_elem != outputs())
    fail(where, "need one lambda per output (" + std::to_string(outputs()) + "), got " + std::to_string(lambdas.n_elem));
  for (double l : lambdas) detail::check_lambda(l, where);
  W_ = solve_for(lambdas, false);
  lambdas_ = lambdas;
}

arma::vec FeatureRidge::lambdas_for_bound(double B, const char* where) {
  detail::check_norm_bound(B, where);
  decompose();
  return detail::SpectralView{s_, Q_, cut_}.mus_for_bound(B, SpectralNorm::euclidean) / static_cast<double>(count_);
}

void FeatureRidge::set_norm_bound(double B) {
  const char* where = "FeatureRidge::set_norm_bound()";
  require_data(where);
  const arma::vec l = lambdas_for_bound(B, where);
  solved_with_ = RidgeSolver::eigen;
  W_ = solve_eigen(l * static_cast<double>(count_));
  lambdas_ = l;
}

const arma::mat& FeatureRidge::weights() const {
  if (W_.is_empty()) throw std::logic_error("FeatureRidge::weights(): nothing solved yet; call set_lambda() first");
  return W_;
}

arma::vec FeatureRidge::norms() const {
  const arma::mat& W = weights();
  arma::vec out(W.n_cols);
  for (arma::uword j = 0; j < W.n_cols; ++j) out[j] = arma::norm(W.col(j));
  return out;
}

arma::vec FeatureRidge::norms(double lambda) {
  const char* where = "FeatureRidge::norms()";
  require_data(where);
  detail::check_lambda(lambda, where);
  decompose();
  return detail::SpectralView{s_, Q_, cut_}.norms(lambda * static_cast<double>(count_), SpectralNorm::euclidean);
}

std::vector<arma::mat> FeatureRidge::path_weights(const arma::vec& lambdas) {
  const char* where = "FeatureRidge::path_weights()";
  require_data(where);
  detail::check_lambda_grid(lambdas, where);
  std::vector<arma::mat> out;
  out.reserve(lambdas.n_elem);
  for (double l : lambdas) out.push_back(solve_for(arma::vec(outputs(), arma::fill::value(l)), true));
  return out;
}

void FeatureRidge::score_path(const std::vector<arma::mat>& weights, const FeatureBatches& validation,
                              arma::vec& mse, arma::vec& error_rate, const char* where) const {
  const arma::uword L = weights.size(), c = outputs();
  // All L weight matrices side by side: one GEMM per validation batch.
  arma::mat Wall(dim(), c * L);
  for (arma::uword l = 0; l < L; ++l) Wall.cols(l * c, l * c + c - 1) = weights[l];
  arma::vec sq(L, arma::fill::zeros), wrong(L, arma::fill::zeros);
  double m = 0.0;
  arma::fmat Z;
  arma::mat Y;
  while (validation(Z, Y)) {
    if (Z.n_rows != dim() || Y.n_rows != c || Y.n_cols != Z.n_cols)
      fail(where, "a validation batch is " + shape_text(Z.n_rows, Z.n_cols) + " and " + shape_text(Y.n_rows, Y.n_cols) +
                      "; expected D x b and c x b with D = " + std::to_string(dim()) + ", c = " + std::to_string(c));
    detail::require_finite(Y, where, "Yv");
    const arma::mat P = Wall.t() * arma::conv_to<arma::mat>::from(Z);  // cL x b
    const arma::uvec truth = predicted_index(Y);
    for (arma::uword l = 0; l < L; ++l) {
      const arma::mat block = P.rows(l * c, l * c + c - 1);
      sq[l] += arma::accu(arma::square(block - Y));
      wrong[l] += static_cast<double>(arma::accu(predicted_index(block) != truth));
    }
    m += static_cast<double>(Y.n_cols);
  }
  if (m == 0.0) fail(where, "the validation set is empty");
  mse = sq / (m * static_cast<double>(c));
  error_rate = wrong / m;
}

RidgePath FeatureRidge::select_by_validation(const arma::vec& lambdas, const arma::fmat& Zv, const arma::mat& Yv,
                                             Criterion criterion) {
  bool given = false;
  return select_by_validation(
      lambdas,
      [&](arma::fmat& Z, arma::mat& Y) {
        if (given) return false;
        Z = Zv;
        Y = Yv;
        given = true;
        return true;
      },
      criterion);
}

RidgePath FeatureRidge::select_by_validation(const arma::vec& lambdas, const FeatureBatches& validation,
                                             Criterion criterion) {
  const char* where = "FeatureRidge::select_by_validation()";
  require_data(where);
  const std::vector<arma::mat> weights = path_weights(lambdas);
  RidgePath path;
  path.lambdas = lambdas;
  score_path(weights, validation, path.mse, path.error_rate, where);
  path.norms.set_size(outputs(), lambdas.n_elem);
  for (arma::uword l = 0; l < lambdas.n_elem; ++l)
    for (arma::uword j = 0; j < outputs(); ++j) path.norms(j, l) = arma::norm(weights[l].col(j));
  path.best = best_lambda_index(criterion == Criterion::mse ? path.mse : path.error_rate, lambdas);
  W_ = weights[path.best];
  lambdas_ = arma::vec(outputs(), arma::fill::value(lambdas[path.best]));
  return path;
}

NormBallPath FeatureRidge::select_norm_bound_by_validation(const arma::vec& bounds, const FeatureBatches& validation,
                                                           Criterion criterion) {
  const char* where = "FeatureRidge::select_norm_bound_by_validation()";
  require_data(where);
  if (bounds.is_empty()) fail(where, "the grid of norm bounds is empty");
  NormBallPath path;
  path.bounds = bounds;
  path.lambdas.set_size(outputs(), bounds.n_elem);
  std::vector<arma::mat> weights;
  for (arma::uword l = 0; l < bounds.n_elem; ++l) {
    path.lambdas.col(l) = lambdas_for_bound(bounds[l], where);
    weights.push_back(solve_eigen(path.lambdas.col(l) * static_cast<double>(count_)));
  }
  solved_with_ = RidgeSolver::eigen;
  score_path(weights, validation, path.mse, path.error_rate, where);
  path.best = best_bound_index(criterion == Criterion::mse ? path.mse : path.error_rate, bounds);
  W_ = weights[path.best];
  lambdas_ = path.lambdas.col(path.best);
  return path;
}

GcvPath FeatureRidge::select_by_gcv(const arma::vec& lambdas) {
  const char* where = "FeatureRidge::select_by_gcv()";
  require_data(where);
  detail::check_lambda_grid(lambdas, where);
  decompose();
  const double n = static_cast<double>(count_);
  GcvPath path;
  path.lambdas = lambdas;
  path.gcv.set_size(lambdas.n_elem);
  path.dof.set_size(lambdas.n_elem);
  for (arma::uword l = 0; l < lambdas.n_elem; ++l) {
    const double mu = n * lambdas[l];
    double dof = 0.0, rss = 0.0;
    for (arma::uword j = 0; j < outputs(); ++j) {
      // RSS_j = ||y_j||^2 - 2 w'Zy + w'ZZ'w = ||y_j||^2 - sum_i q_i^2 (s_i + 2 mu) / (s_i + mu)^2.
      double fit = 0.0;
      for (arma::uword i = 0; i < s_.n_elem; ++i)
        if (s_[i] > cut_) fit += Q_(i, j) * Q_(i, j) * (s_[i] + 2.0 * mu) / ((s_[i] + mu) * (s_[i] + mu));
      rss += std::max(yy_[j] - fit, 0.0);
    }
    for (arma::uword i = 0; i < s_.n_elem; ++i)
      if (s_[i] > cut_) dof += s_[i] / (s_[i] + mu);
    path.dof[l] = dof;
    const double denom = 1.0 - dof / n;
    // dof -> n (interpolation) makes GCV undefined; score it as infinitely bad.
    path.gcv[l] = denom > 1e-12 ? (rss / n) / (denom * denom) : std::numeric_limits<double>::infinity();
  }
  path.best = best_lambda_index(path.gcv, lambdas);
  set_lambda(lambdas[path.best]);
  return path;
}

RidgeSolver parse_ridge_solver(const std::string& name) {
  if (name == "auto") return RidgeSolver::automatic;
  if (name == "eigen") return RidgeSolver::eigen;
  if (name == "cholesky") return RidgeSolver::cholesky;
  detail::fail("parse_ridge_solver()", "unknown ridge solver '" + name + "'; expected auto, eigen or cholesky");
}

std::string ridge_solver_name(RidgeSolver solver) {
  switch (solver) {
    case RidgeSolver::automatic: return "auto";
    case RidgeSolver::eigen: return "eigen";
    case RidgeSolver::cholesky: return "cholesky";
  }
  detail::fail("ridge_solver_name()", "not a RidgeSolver value: " + std::to_string(static_cast<int>(solver)));
}

Accumulation parse_accumulation(const std::string& name) {
  if (name == "exact") return Accumulation::exact;
  if (name == "single") return Accumulation::single;
  detail::fail("parse_accumulation()", "unknown accumulation '" + name + "'; expected exact or single");
}

std::string accumulation_name(Accumulation accumulation) {
  switch (accumulation) {
    case Accumulation::exact: return "exact";
    case Accumulation::single: return "single";
  }
  detail::fail("accumulation_name()", "not an Accumulation value: " + std::to_string(static_cast<int>(accumulation)));
}

}  // namespace deepdot
