// SPDX-License-Identifier: MIT
// The Trainer's post-fit step: the error certificate of the fitted map.
#include <deepdot/model/certificate.hpp>
#include <deepdot/core/random.hpp>
#include <deepdot/core/sparse.hpp>

#include "model/trainer_detail.hpp"

#include <algorithm>
#include <string>

namespace deepdot::detail {
namespace {

constexpr std::uint64_t kCertificateStream = 0xCE27;  // RNG stream of the certificate sample
// Fewer disjoint candidates than this (or than the sample asked for) and the
// sample is drawn from all points instead, marked as not disjoint.
constexpr arma::uword kMinDisjoint = 100;

/// Columns `cols` of a part's matrix (dense or sparse), in the order given.
struct Picked {
  arma::mat X, Y;
  arma::sp_mat S;
};

void append_columns(const DataPart& part, const arma::uvec& positions, Picked& out, bool first) {
  if (positions.is_empty()) return;
  const arma::uvec cols = part.idx.elem(positions);
  const arma::mat Y = part.Y->cols(cols);
  out.Y = first ? Y : arma::mat(arma::join_rows(out.Y, Y));
  if (part.sparse()) {
    const arma::sp_mat S = sparse_columns(*part.S, cols);
    out.S = first ? S : arma::sp_mat(arma::join_rows(out.S, S));
  } else {
    const arma::mat X = part.X->cols(cols);
    out.X = first ? X : arma::mat(arma::join_rows(out.X, X));
  }
}

}  // namespace

void attach_certificate(const TrainerConfig& c, const Kernel& kernel, const FeatureMap* map, const DataSplit& split,
                        ModelParts& parts) {
  if (!c.certificate) {
    parts.metadata.emplace_back("certificate", "off");
    return;
  }
  if (!map) {
    parts.metadata.emplace_back("certificate", "exact (kernel limit: no approximation to certify)");
    return;
  }
  // A data-dependent map was fitted on the first map_sample_size() training
  // points; Nystroem reproduces K exactly on its landmarks, so those points
  // would flatter it. The validation points were never seen by the map.
  const arma::uword skip = map->min_fit_points() > 0 ? map_sample_size(c, split.train.size()) : 0;
  const arma::uword fresh = split.train.size() - skip + split.validation.size();
  const arma::uword all = split.train.size() + split.validation.size();
  const bool disjoint = fresh >= std::min(c.certificate_sample, kMinDisjoint);
  const arma::uword offset = disjoint ? skip : 0;
  const arma::uword pool = disjoint ? fresh : all;
  const arma::uword m = std::min(c.certificate_sample, pool);
  if (m < 4) {
    parts.metadata.emplace_back("certificate", "off (fewer than 4 points to certify on)");
    return;
  }
  // Positions in the pool: training points offset.., then validation points.
  const arma::uvec pick = Rng(c.seed, kCertificateStream).permutation(pool).head(m);
  const arma::uword n_train = split.train.size() - offset;
  Picked sample;
  // Keep the drawn order (the halves of certify() are then random halves):
  // gather point by point runs of the same part.
  arma::uword start = 0;
  bool first = true;
  while (start < m) {
    const bool in_train = pick[start] < n_train;
    arma::uword end = start;
    while (end < m && (pick[end] < n_train) == in_train) ++end;
    arma::uvec pos = pick.subvec(start, end - 1);
    if (in_train)
      pos += offset;
    else
      pos -= n_train;
    append_columns(in_train ? split.train : split.validation, pos, sample, first);
    first = false;
    start = end;
  }
  const bool classification = !parts.classes.is_empty();
  Certificate cert = split.train.sparse()
                         ? certify(kernel, *map, sample.S, sample.Y, parts.lambdas, classification, c.precision)
                         : certify(kernel, *map, sample.X, sample.Y, parts.lambdas, classification, c.precision);
  cert.disjoint_from_map_fit = disjoint;
  parts.metadata.emplace_back("certificate", "on");
  append_certificate(cert, parts.metadata);
}

}  // namespace deepdot::detail
