// SPDX-License-Identifier: MIT
#include <deepdot/distributed/data.hpp>

#include "core/check.hpp"

#include <glob.h>

#include <algorithm>
#include <exception>
#include <memory>

namespace deepdot {

namespace {

/// Reads this rank's files (or part) without any collective.
Dataset read_local(const Communicator& comm, const std::vector<std::string>& paths, const ReadOptions& opts) {
  const auto P = static_cast<arma::uword>(comm.size()), r = static_cast<arma::uword>(comm.rank());
  if (paths.size() == 1) return read_dataset_part(paths[0], r, P, opts);
  const arma::uword F = paths.size(), first = F * r / P, last = F * (r + 1) / P;
  Dataset all;
  all.source = "shards " + std::to_string(first + 1) + " to " + std::to_string(last) + " of " + std::to_string(F);
  for (arma::uword f = first; f < last; ++f) {
    Dataset ds = read_dataset(paths[f], opts);
    if (!ds.label_names.empty())
      throw std::invalid_argument("read_distributed(): '" + paths[f] +
                                  "': the labels are text (names); shards would number them alone: write them as "
                                  "numbers");
    if (f > first && ds.has_labels != all.has_labels)
      throw std::invalid_argument("read_distributed(): '" + paths[f] + "' " +
                                  (ds.has_labels ? "has labels but '" : "has no labels but '") + paths[first] +
                                  (ds.has_labels ? "' has none" : "' has"));
    const arma::uword d = std::max(all.X.n_rows, ds.X.n_rows);
    if (f == first) {
      all.X = std::move(ds.X);
      all.y = std::move(ds.y);
      all.has_labels = ds.has_labels;
    } else {
      all.X.resize(d, all.X.n_cols);
      ds.X.resize(d, ds.X.n_cols);
      all.X = arma::join_rows(all.X, ds.X);
      all.y = arma::join_cols(all.y, ds.y);
    }
    all.description += (f > first ? "; " : "") + ds.description;
  }
  return all;
}

}  // namespace

Dataset read_distributed(const Communicator& comm, const std::vector<std::string>& paths, const ReadOptions& opts) {
  if (paths.empty()) throw std::invalid_argument("read_distributed(): no data paths given");
  Dataset ds;
  std::string error;
  try {
    ds = read_local(comm, paths, opts);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!comm.all_ok(error.empty())) {
    if (!error.empty()) throw std::invalid_argument("rank " + std::to_string(comm.rank()) + ": " + error);
    throw RemoteFailure("read_distributed(): another rank failed to read its part");
  }
  // d: the largest over the ranks (LIBSVM parts know only their own largest
  // index); labels: all ranks that hold points must have them, or none.
  const bool has_points = ds.X.n_cols > 0;
  arma::vec agreed{static_cast<double>(ds.X.n_rows), has_points && ds.has_labels ? 1.0 : 0.0,
                   has_points && !ds.has_labels ? 1.0 : 0.0, has_points ? 1.0 : 0.0};
  comm.allreduce_max(agreed);
  const auto d = static_cast<arma::uword>(agreed[0]);
  if (agreed[1] == 1.0 && agreed[2] == 1.0) {
    if (has_points && !ds.has_labels)
      throw std::invalid_argument("rank " + std::to_string(comm.rank()) + ": read_distributed(): " + ds.source +
                                  ": this part has no labels but other parts have");
    throw RemoteFailure("read_distributed(): the parts disagree on labels");
  }
  if (agreed[3] == 0.0) throw std::invalid_argument("read_distributed(): the data set has no points");
  if (opts.libsvm_dimension == 0 && ds.X.n_rows < d) ds.X.resize(d, ds.X.n_cols);  // zero rows appended
  if (ds.X.n_rows != d)
    throw std::invalid_argument("rank " + std::to_string(comm.rank()) + ": read_distributed(): " + ds.source +
                                " has d = " + std::to_string(ds.X.n_rows) + " features but another part has " +
                                std::to_string(d));
  ds.has_labels = agreed[1] == 1.0;
  if (!ds.has_labels) ds.y.reset();
  if (ds.source.empty()) ds.source = paths[0];
  return ds;
}

arma::mat gather_columns(const Communicator& comm, const arma::mat& local, arma::uword rows) {
  const arma::vec all = comm.allgather(arma::vectorise(local));
  if (rows == 0 || all.n_elem % rows != 0)
    throw std::invalid_argument("gather_columns(): " + std::to_string(all.n_elem) +
                                " numbers do not make columns of " + std::to_string(rows));
  return arma::reshape(all, rows, all.n_elem / rows);
}

std::vector<std::string> expand_shards(const std::string& spec) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= spec.size()) {
    const std::size_t comma = std::min(spec.find(',', from), spec.size());
    const std::string item = spec.substr(from, comma - from);
    from = comma + 1;
    if (item.empty()) throw std::invalid_argument("expand_shards(): an empty item in the list '" + spec + "'");
    if (item.find_first_of("*?[") == std::string::npos) {
      out.push_back(item);
      continue;
    }
    glob_t g{};
    const int rc = ::glob(item.c_str(), 0, nullptr, &g);
    std::unique_ptr<glob_t, void (*)(glob_t*)> guard(&g, globfree);
    if (rc != 0 || g.gl_pathc == 0)
      throw std::invalid_argument("expand_shards(): the pattern '" + item + "' matches no file");
    std::vector<std::string> matches(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    std::sort(matches.begin(), matches.end());
    out.insert(out.end(), matches.begin(), matches.end());
  }
  return out;
}

}  // namespace deepdot
