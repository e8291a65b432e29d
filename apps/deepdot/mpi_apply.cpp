// SPDX-License-Identifier: MIT
// deepdot-mpi predict and transform: every rank applies a model to its own part
// of the data; the outputs are joined in rank order into one file, and the
// accuracy (or MSE) is summed over ranks and printed once.
#include "mpi_common.hpp"
#include "../common/options.hpp"

#include <deepdot/core/labels.hpp>
#include <deepdot/distributed/data.hpp>
#include <deepdot/io/atomic_file.hpp>
#include <deepdot/io/dataset.hpp>
#include <deepdot/model/model.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace deepdot::mpi {

void agree(const Communicator& comm, const std::string& command, const std::function<void()>& step) {
  std::string error;
  bool remote = false;  // another rank failed inside a collective step and reports it
  try {
    step();
  } catch (const RemoteFailure&) {
    remote = true;
  } catch (const std::invalid_argument& e) {
    error = e.what();
  } catch (const std::runtime_error& e) {  // a write that failed (disk full, ...): local, reported
    error = e.what();
  }
  // Every rank makes this same call: [ranks with their own error, ranks told of another's].
  arma::vec failed{error.empty() ? 0.0 : 1.0, remote ? 1.0 : 0.0};
  comm.allreduce_sum(failed);
  if (failed[0] == 0.0 && failed[1] == 0.0) return;
  if (!error.empty() && (comm.rank() == 0 || failed[0] < comm.size()))
    std::cerr << "deepdot-mpi " << command << ": error: " << error << "\n";
  throw Agreed{2};
}

double peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kb = 0;
      status >> kb;
      return kb * 1024.0;
    }
    status.ignore(1 << 20, '\n');
  }
  return 0.0;
}

namespace {

/// "out.csv" -> "out.csv.part-2-of-4.csv": the extension stays last, so the
/// single-process writers pick the same format.
std::string part_path(const std::string& out, int rank, int size) {
  return out + ".part-" + std::to_string(rank) + "-of-" + std::to_string(size) + cli::extension(out);
}

/// Appends the bytes [from, end) of the part file `path` to `file`, in 1 MiB
/// pieces, so that rank 0 never holds a whole part.
void append_part(AtomicFile& file, const std::string& path, std::size_t from) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the part file '" + path + "': " + std::strerror(errno));
  in.seekg(static_cast<std::streamoff>(from));
  std::vector<char> buffer(std::size_t(1) << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) file.write(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (!in.eof()) throw std::runtime_error("cannot read the part file '" + path + "'");
}

/// The header of a .npy (format 1.0) as write_npy() writes it: its dict and where the data start.
struct NpyPart {
  std::string dict;    // "{'descr': ..., 'shape': (n, D), }"
  std::size_t start;   // offset of the data
  unsigned long long rows;
};
NpyPart npy_part(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char lead[10] = {};
  if (!in.read(lead, sizeof lead) || std::string(lead, 6) != "\x93NUMPY" || lead[6] != 1)
    throw std::runtime_error("the part file '" + path + "' is not a .npy file of format 1.0");
  const std::size_t hlen = static_cast<unsigned char>(lead[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(lead[9])) << 8);
  std::string dict(hlen, '\0');
  if (!in.read(dict.data(), static_cast<std::streamsize>(hlen)))
    throw std::runtime_error("the part file '" + path + "' has a truncated header");
  while (!dict.empty() && (dict.back() == ' ' || dict.back() == '\n')) dict.pop_back();
  const std::string key = "'shape': (";
  const std::size_t at = dict.find(key);
  if (at == std::string::npos) throw std::runtime_error("the part file '" + path + "' has no shape in its header");
  return {dict, 10 + hlen, std::stoull(dict.substr(at + key.size()))};
}

/// The header dict with the first dimension of its shape replaced by `rows`.
std::string with_rows(const std::string& dict, unsigned long long rows) {
  const std::string key = "'shape': (";
  const std::size_t at = dict.find(key), end = dict.find_first_of(",)", at + key.size());
  return dict.substr(0, at + key.size()) + std::to_string(rows) + dict.substr(end);
}

/// Rank 0: the parts, in rank order, into `out` (atomically).
void join_parts(const std::string& out, int size) {
  AtomicFile file(out, "deepdot-mpi");
  if (cli::extension(out) == ".csv") {  // no header: the parts one after the other
    for (int r = 0; r < size; ++r) append_part(file, part_path(out, r, size), 0);
    file.commit();
    return;
  }
  // .npy: one header with the summed rows (the same dtype and columns in
  // every part: one writer wrote them all); the parts' data follow in order.
  std::vector<NpyPart> parts;
  unsigned long long rows = 0;
  for (int r = 0; r < size; ++r) {
    parts.push_back(npy_part(part_path(out, r, size)));
    rows += parts.back().rows;
  }
  std::string header = with_rows(parts[0].dict, rows);
  // Pad so that magic + version + length + header + '\n' is a multiple of 64 (as NumPy does).
  header += std::string((64 - (10 + header.size() + 1) % 64) % 64, ' ') + "\n";
  const unsigned char lead[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(header.size() & 0xff),
                                  static_cast<unsigned char>(header.size() >> 8)};
  file.write(lead, sizeof lead);
  file.write(header.data(), header.size());
  for (int r = 0; r < size; ++r) append_part(file, part_path(out, r, size), parts[static_cast<std::size_t>(r)].start);
  file.commit();
}

}  // namespace

void write_in_parts(const Communicator& comm, const std::string& command, const std::string& out,
                    const std::function<void(const std::string& part)>& write) {
  const std::string mine = part_path(out, comm.rank(), comm.size());
  // Removes this rank's part however the function ends (after the last agreement).
  struct Remove {
    const std::string& path;
    ~Remove() { std::remove(path.c_str()); }
  } remove{mine};
  agree(comm, command, [&] { write(mine); });
  agree(comm, command, [&] {
    if (comm.rank() == 0) join_parts(out, comm.size());
  });
}

namespace {

using cli::Args;

const char* kPredictUsage = R"(usage: mpirun -np P deepdot-mpi predict --model FILE --data FILE [options]

Data-parallel deepdot predict: every rank reads its own part of the data (as
deepdot-mpi train does) and applies the model; --out is one file, the ranks'
rows in order (the same file as deepdot predict writes), and the accuracy or
MSE is summed over ranks and printed once.
)";

const char* kTransformUsage = R"(usage: mpirun -np P deepdot-mpi transform --model FILE --data FILE --out FILE [options]

Data-parallel deepdot transform: every rank maps its own part of the data with
the feature map (and scaling) of a model; --out is one file, the ranks' rows
in order (the same file as deepdot transform --model writes).
)";

/// The model every rank loads, and this rank's part of the data, checked against it.
struct Applied {
  Model model;
  Dataset data;
};

Applied load_and_read(const Communicator& comm, const std::string& command, const std::string& model_path,
                      const cli::DataValues& data_v) {
  Applied a;
  agree(comm, command, [&] {
    if (model_path.empty()) throw std::invalid_argument("--model FILE is required");
    if (data_v.path.empty()) throw std::invalid_argument("--data FILE is required");
    if (data_v.sparse)
      throw std::invalid_argument("--sparse is not distributed: run deepdot " + command + " --sparse on one process");
    a.model = Model::load(model_path);
    if (a.model.sparse_input())
      throw std::invalid_argument(model_path + ": a model for sparse input is not distributed: run deepdot " + command +
                                  " on one process");
  });
  agree(comm, command, [&] { a.data = read_distributed(comm, {data_v.path}, data_v.read); });
  agree(comm, command, [&] {
    if (a.data.X.n_rows != a.model.parts().input_dim)
      throw std::invalid_argument(a.data.source + ": the data has d = " + std::to_string(a.data.X.n_rows) +
                                  " features per point but the model expects d = " +
                                  std::to_string(a.model.parts().input_dim));
  });
  return a;
}

}  // namespace

int predict(const Communicator& comm, int argc, char** argv) {
  cli::DataValues data_v;
  cli::CommonValues common;
  std::string model_path, out;
  bool scores = false;
  std::unique_ptr<Args> args;
  cli::OptionTable table;
  cli::add_data_options(table, data_v);
  table.text("model", "FILE", "the model written by deepdot train (required)", model_path)
      .text("out", "FILE", "write the predictions: .npy or .csv, one value per point (labels or targets)", out)
      .flag("scores", "with --out, write the c x n output scores instead of labels", scores);
  cli::add_common_options(table, common);
  bool help = false;
  agree(comm, "predict", [&] {
    args = std::make_unique<Args>(argc, argv, std::set<std::string>{"json", "quiet", "scores"});
    if (args->help()) {
      help = true;
      return;
    }
    table.parse(*args);
    args->reject_unknown();
    cli::set_threads(common.threads);
    if (!out.empty() && cli::extension(out) != ".npy" && cli::extension(out) != ".csv")
      throw std::invalid_argument("--out " + out + ": the extension must be .npy or .csv");
  });
  if (help) {
    if (comm.rank() == 0) std::cout << kPredictUsage << "\noptions:\n" << table.help();
    return 0;
  }
  const auto t0 = cli::Clock::now();
  Applied a = load_and_read(comm, "predict", model_path, data_v);
  const Model& model = a.model;
  const Dataset& data = a.data;
  arma::mat S;
  arma::vec predicted;
  // Sums over ranks: [right or squared error, points scored, unseen labels, points].
  arma::vec sums(4, arma::fill::zeros);
  agree(comm, "predict", [&] {
    S = data.X.n_cols ? model.predict(data.X) : arma::mat(model.num_outputs(), 0);
    if (model.is_classifier()) {
      const arma::ivec labels = data.X.n_cols ? LabelEncoder(model.parts().classes).decode(S) : arma::ivec();
      predicted = arma::conv_to<arma::vec>::from(labels);
      if (data.has_labels && data.X.n_cols) {
        const Model::LabelScore sc = model.score_labels(labels, data.y, data.label_names, data.source);
        sums[0] = std::round(sc.accuracy * static_cast<double>(sc.points));
        sums[1] = static_cast<double>(sc.points);
        sums[2] = static_cast<double>(sc.unseen);
      }
    } else {
      predicted = S.n_cols ? arma::vec(S.row(0).t()) : arma::vec();
      if (data.has_labels && S.n_rows != 1)
        throw std::invalid_argument(data.source + ": one label per point but the model has " +
                                    std::to_string(S.n_rows) + " outputs");
      if (data.has_labels) {
        sums[0] = arma::accu(arma::square(S - data.y.t()));
        sums[1] = static_cast<double>(S.n_cols);
      }
    }
    sums[3] = static_cast<double>(data.X.n_cols);
  });
  comm.allreduce_sum(sums);
  const double seconds = cli::seconds_since(t0);
  if (!out.empty())
    write_in_parts(comm, "predict", out, [&](const std::string& part) {
      if (scores) cli::write_matrix(part, S);
      else cli::write_values(part, predicted);
    });
  arma::vec peak{peak_rss_bytes()};
  comm.allreduce_max(peak);
  if (comm.rank() != 0) return 0;
  cli::Report r;
  r.text("model", model_path);
  r.text("data", data_v.path);
  r.integer("ranks", static_cast<unsigned long long>(comm.size()));
  r.integer("points", static_cast<unsigned long long>(sums[3]));
  r.number("read and predict seconds", seconds, 4);
  // The single-process report prints the accuracy (or MSE) only for labelled data.
  if (a.model.is_classifier() && sums[1] > 0) {
    r.number("accuracy", sums[0] / sums[1]);
    if (sums[2] > 0) r.integer("labels the model never saw (counted wrong)", static_cast<unsigned long long>(sums[2]));
  } else if (!a.model.is_classifier() && sums[1] > 0) {
    r.number("mse", sums[0] / sums[1]);
  }
  if (!out.empty()) r.text("predictions", out);
  r.integer("peak memory per rank (max, bytes)", static_cast<unsigned long long>(peak[0]));
  r.print(common.json);
  return 0;
}

int transform(const Communicator& comm, int argc, char** argv) {
  cli::DataValues data_v;
  cli::CommonValues common;
  TrainerConfig cfg;
  std::string model_path, out;
  std::unique_ptr<Args> args;
  cli::OptionTable table;
  cli::add_data_options(table, data_v);
  table.text("out", "FILE", ".npy (float32 with --precision float, else float64) or .csv (required)", out)
      .text("model", "FILE", "the model whose feature map (and scaling) to apply (required)", model_path);
  table.choice("precision", "P", "float | double features", cfg.precision, parse_precision, precision_name);
  cli::add_common_options(table, common);
  bool help = false;
  agree(comm, "transform", [&] {
    args = std::make_unique<Args>(argc, argv, std::set<std::string>{"json", "quiet"});
    if (args->help()) {
      help = true;
      return;
    }
    table.parse(*args);
    args->reject_unknown();
    cli::set_threads(common.threads);
    if (out.empty()) throw std::invalid_argument("--out FILE is required (.npy or .csv)");
    if (cli::extension(out) != ".npy" && cli::extension(out) != ".csv")
      throw std::invalid_argument("--out " + out + ": the extension must be .npy or .csv");
  });
  if (help) {
    if (comm.rank() == 0) std::cout << kTransformUsage << "\noptions:\n" << table.help();
    return 0;
  }
  const auto t0 = cli::Clock::now();
  Applied a = load_and_read(comm, "transform", model_path, data_v);
  const ModelParts& p = a.model.parts();
  std::shared_ptr<const FeatureMap> map;
  agree(comm, "transform", [&] {
    if (p.mode != ModelMode::features) throw std::invalid_argument(model_path + ": a kernel-limit model has no feature map");
    map = p.map;
    // The model's whole preprocessing (feature scaling, then max-norm's divisor or
    // the lift's R), as deepdot transform --model applies it; in place: the input can be large.
    a.model.scaler().transform_inplace(a.data.X);
  });
  const arma::mat& X = a.data.X;
  // The single-process writers on this rank's rows: float32 .npy with float features, else float64.
  write_in_parts(comm, "transform", out, [&](const std::string& part) {
    if (cfg.precision == Precision::single_precision) {
      const arma::fmat Z = map->transform(arma::conv_to<arma::fmat>::from(X));
      if (cli::extension(part) == ".npy") write_npy(part, Z);
      else cli::write_matrix(part, arma::conv_to<arma::mat>::from(Z));
    } else {
      cli::write_matrix(part, map->transform(X));
    }
  });
  arma::vec counts{static_cast<double>(X.n_cols)}, peak{peak_rss_bytes()};
  comm.allreduce_sum(counts);
  comm.allreduce_max(peak);
  if (comm.rank() != 0) return 0;
  cli::Report r;
  r.text("data", data_v.path);
  r.integer("ranks", static_cast<unsigned long long>(comm.size()));
  r.text("kernel", map->kernel().spec());
  r.text("map", map->spec());
  r.text("precision", precision_name(cfg.precision));
  r.text("features", cli::shape(static_cast<arma::uword>(counts[0]), map->output_dim()) + " (points x features)");
  r.number("seconds", cli::seconds_since(t0), 4);
  r.integer("peak memory per rank (max, bytes)", static_cast<unsigned long long>(peak[0]));
  r.text("out", out);
  r.print(common.json);
  return 0;
}

}  // namespace deepdot::mpi
