// SPDX-License-Identifier: MIT
// deepdot-mpi: data-parallel training under mpirun (docs/distributed.md).
//   mpirun -np P deepdot-mpi train --data FILE --model FILE [deepdot train's options]
// (predict and transform: mpi_apply.cpp)
// Every rank reads its own part of the data (or its own shards), the fit
// reduces sufficient statistics with MPI collectives, and rank 0 writes the
// model, an ordinary model file for deepdot predict. Exit status as deepdot's:
// 0 success, 2 bad usage or bad input (on every rank), 1 internal failure.
#include "commands.hpp"
#include "mpi_common.hpp"
#include "../common/options.hpp"

#include <deepdot/distributed/data.hpp>
#include <deepdot/distributed/mpi_communicator.hpp>
#include <deepdot/model/model.hpp>
#include <deepdot/model/trainer.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

namespace deepdot {
namespace {

using deepdot::cli::Args;

const char* kUsage = R"(usage: mpirun -np P deepdot-mpi train --data FILE --model FILE [options]
       mpirun -np P deepdot-mpi train --shards LIST --model FILE [options]
       mpirun -np P deepdot-mpi predict --model FILE --data FILE [--out FILE] [options]
       mpirun -np P deepdot-mpi transform --model FILE --data FILE --out FILE [options]

Data-parallel deepdot train: the same options and the same model as one process
(listed below), the data read in parts. Each rank reads its own part: a byte
range of a LIBSVM/CSV file aligned to line starts, a row range of a .npy or IDX file,
or, with --shards (a comma list and/or globs, e.g. 'data/part-*.svm'), whole files in
contiguous blocks. Only the squared loss on feature maps is distributed; the other
losses and --map exact run with P = 1 only. Rank 0 writes the model atomically and
prints the report; bytes sent and peak memory are reported per rank (maximum).
--test FILE is scored in parts too. docs/distributed.md has the details.
)";

using mpi::Agreed;
using mpi::peak_rss_bytes;

void agree(const deepdot::Communicator& comm, const std::function<void()>& step) { mpi::agree(comm, "train", step); }

struct Scores {
  double sum = 0, count = 0;
};

int train(const deepdot::MpiCommunicator& comm, int argc, char** argv) {
  using namespace deepdot;
  std::unique_ptr<Args> args;
  cli::CommonValues common;
  cli::DataValues data_v, test_v;
  TrainerConfig cfg;
  std::unique_ptr<Trainer> trainer;
  std::string model_path, task = "auto", shards;
  std::vector<std::string> paths, test_paths;
  ReadOptions ropts, topts;
  bool no_score = false;
  agree(comm, [&] {
    // The options of deepdot train (the shared option table), plus --shards.
    cli::OptionTable table;
    cli::add_data_options(table, data_v);
    table.text("shards", "LIST", "the data as shards (a comma list and/or globs) instead of --data", shards)
        .text("model", "FILE", "where to write the model (required)", model_path);
    cli::add_trainer_options(table, cfg);
    table.text("task", "T", "auto | classification | regression", task)
        .flag("no-score", "do not score the training data after fitting", no_score)
        .text("test", "FILE", "held-out data to score after fitting, in parts like the training data", test_v.path)
        .text("test-labels", "FILE", "labels of --test, for IDX images or .npy data", test_v.read.labels_path);
    cli::add_common_options(table, common);
    args = std::make_unique<Args>(argc, argv, std::set<std::string>{"json", "quiet", "no-score", "no-certificate"});
    if (args->help()) {
      if (comm.rank() == 0) std::cout << kUsage << "\noptions:\n" << table.help();
      throw Agreed{0};
    }
    table.parse(*args);
    args->reject_unknown();
    cli::set_threads(common.threads);
    cli::check_trainer_options(table, cfg);
    if (task != "auto" && task != "classification" && task != "regression")
      throw std::invalid_argument("--task must be auto, classification or regression, got '" + task + "'");
    if (data_v.path.empty() == shards.empty())
      throw std::invalid_argument("give --data FILE or --shards LIST (one of them)");
    paths = data_v.path.empty() ? expand_shards(shards) : std::vector<std::string>{data_v.path};
    ropts = data_v.read;
    topts = test_v.read;
    topts.format = ropts.format;
    topts.csv_label_column = ropts.csv_label_column;
    if (!ropts.labels_path.empty() && paths.size() > 1)
      throw std::invalid_argument("--labels names one file; shards must carry their labels (a label column, or "
                                  "IDX images paired with their label files)");
    if (!test_v.path.empty()) test_paths = {test_v.path};
    if (model_path.empty()) throw std::invalid_argument("--model FILE is required (where to write the model)");
    trainer = std::make_unique<Trainer>(cfg);  // validates the configuration
  });
  if (comm.rank() != 0) common.quiet = true;
  const auto t0 = cli::Clock::now();
  Dataset data, test;
  agree(comm, [&] { data = read_distributed(comm, paths, ropts); });
  if (!test_paths.empty()) agree(comm, [&] { test = read_distributed(comm, test_paths, topts); });
  const double read_seconds = cli::seconds_since(t0);
  // Classification iff every rank's labels are integers (or forced).
  arma::vec not_classes{cli::labels_are_classes(data.y) ? 0.0 : 1.0};
  comm.allreduce_max(not_classes);
  const bool classify = task == "classification" || (task == "auto" && not_classes[0] == 0.0);
  agree(comm, [&] {
    if (!data.has_labels)
      throw std::invalid_argument(data.source + ": the data has no labels; give --labels FILE or a file with a label column");
    if (classify && not_classes[0] != 0.0) throw std::invalid_argument("--task classification needs integer labels");
    if (!test_paths.empty() && test.X.n_rows != data.X.n_rows)
      throw std::invalid_argument("the test data has d = " + std::to_string(test.X.n_rows) +
                                  " features per point but the training data has d = " + std::to_string(data.X.n_rows));
    if (!test_paths.empty() && !test.has_labels) throw std::invalid_argument("the test data has no labels");
  });
  const auto t1 = cli::Clock::now();
  Model model;
  agree(comm, [&] {
    // Without scoring the raw points are not needed again: scale them in place rather than copy them.
    model = classify ? (no_score ? trainer->fit_distributed_inplace(comm, data.X, cli::to_classes(data.y))
                                 : trainer->fit_distributed(comm, data.X, cli::to_classes(data.y)))
                     : trainer->fit_regression_distributed(comm, data.X, data.y.t());
  });
  const double fit_seconds = cli::seconds_since(t1);
  const std::uint64_t fit_bytes = comm.bytes_sent();

  // Scores: each rank scores its own points; the sums are added.
  auto score = [&](const Dataset& ds) {
    Scores s;
    if (ds.X.n_cols == 0) return s;
    if (classify) {
      const arma::ivec pred = model.predict_labels(ds.X);
      s.sum = static_cast<double>(arma::accu(pred == cli::to_classes(ds.y)));
    } else {
      s.sum = arma::accu(arma::square(model.predict(ds.X) - ds.y.t()));
    }
    s.count = static_cast<double>(ds.X.n_cols) * (classify ? 1.0 : static_cast<double>(ds.y.n_elem ? 1 : 0));
    return s;
  };
  arma::vec sums(4, arma::fill::zeros);
  if (!no_score) {
    const Scores s = score(data);
    sums[0] = s.sum, sums[1] = s.count;
  }
  if (!test_paths.empty()) {
    const Scores s = score(test);
    sums[2] = s.sum, sums[3] = s.count;
  }
  comm.allreduce_sum(sums);

  // One rank writes the model (atomically); every rank learns whether it worked.
  agree(comm, [&] {
    if (comm.rank() == 0) model.save(model_path);
  });
  arma::vec per_rank{static_cast<double>(fit_bytes), peak_rss_bytes(), static_cast<double>(data.X.n_cols)};
  arma::vec max_rank = per_rank;
  comm.allreduce_max(max_rank);
  arma::vec total{static_cast<double>(data.X.n_cols)};
  comm.allreduce_sum(total);
  if (comm.rank() != 0) return 0;
  cli::Report r;
  r.text("data", paths.size() == 1 ? paths[0] : std::to_string(paths.size()) + " shards");
  r.text("shape", cli::shape(data.X.n_rows, static_cast<arma::uword>(total[0])) + " (d x n)");
  r.text("task", classify ? "classification" : "regression");
  r.integer("ranks", static_cast<unsigned long long>(comm.size()));
  r.integer("points per rank (max)", static_cast<unsigned long long>(max_rank[2]));
  if (classify) r.integer("classes", model.parts().classes.n_elem);
  if (!no_score && sums[1] > 0)
    r.number(classify ? "training accuracy" : "training mse", classify ? sums[0] / sums[1] : sums[0] / sums[1]);
  if (!test_paths.empty() && sums[3] > 0) {
    r.text("test data", test_paths[0]);
    r.integer("test points", static_cast<unsigned long long>(sums[3]));
    r.number(classify ? "test accuracy" : "test mse", sums[2] / sums[3]);
  }
  const auto& p = model.parts();
  r.text("kernel", p.kernel.spec());
  r.text("map", p.mode == ModelMode::kernel_limit ? "exact" : p.map->spec());
  r.integer("features", p.mode == ModelMode::kernel_limit ? p.dual.n_rows : p.map->output_dim());
  r.text("loss", loss_name(p.loss));
  if (p.norm_bound > 0) r.number("norm bound", p.norm_bound);
  r.number("lambda", p.lambdas.is_empty() ? 0.0 : p.lambdas.max());
  r.integer("seed", p.seed);
  r.extra(p.metadata);
  r.integer("fit bytes sent per rank (max)", static_cast<unsigned long long>(max_rank[0]));
  r.integer("peak memory per rank (max, bytes)", static_cast<unsigned long long>(max_rank[1]));
  r.number("read seconds", read_seconds, 4);
  r.number("fit seconds", fit_seconds, 4);
  r.text("model", model_path);
  r.print(common.json);
  return 0;
}

}  // namespace
}  // namespace deepdot

int main(int argc, char** argv) {
  deepdot::MpiCommunicator comm(&argc, &argv);
  const std::string command = argc >= 2 ? argv[1] : "";
  if (command != "train" && command != "predict" && command != "transform") {
    if (comm.rank() == 0) std::cout << deepdot::kUsage;
    return command == "--help" || command == "-h" ? 0 : 2;
  }
  try {
    if (command == "predict") return deepdot::mpi::predict(comm, argc - 1, argv + 1);
    if (command == "transform") return deepdot::mpi::transform(comm, argc - 1, argv + 1);
    return deepdot::train(comm, argc - 1, argv + 1);
  } catch (const deepdot::mpi::Agreed& a) {
    return a.status;
  } catch (const std::exception& e) {
    // A failure that only this rank may have hit, while others may wait in a
    // collective: end the whole job rather than deadlock.
    std::cerr << "deepdot-mpi " << command << ": internal error on rank " << comm.rank() << ": " << e.what() << "\n";
    comm.abort(1);
  }
}
