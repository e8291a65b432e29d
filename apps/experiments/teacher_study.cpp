// SPDX-License-Identifier: MIT
// deepdot-teacher: the recursive kernel method (Algorithm 1, squared loss, in
// the kernel limit) against a linear model on data from a known network.
#include <deepdot/deepdot.hpp>

#include "../common/cli.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char* kUsage = R"(usage: deepdot-teacher [options]

Draws a teacher network satisfying Assumption A of Zhang, Lee & Jordan (2016),
fits the exact recursive kernel (depths 0..K, squared loss) in the lambda form
and in the norm-ball form of Algorithm 1, both tuned on a validation set, and
prints the test error of each next to the teacher's own and a linear model's.

options (defaults in brackets):
  --train N          training points [4000]
  --validation N     validation points [1000]
  --test N           test points [2000]
  --dim D            input dimension [50]
  --layers K         hidden layers of the teacher [1]
  --width M          neurons per hidden layer [100]
  --activation A     erf | smoothed-hinge | relu | quadratic [erf]
  --bound L          weight bound L (l2 first layer, l1 later layers) [2]
  --sparsity S       nonzeros per row after the first layer, 0 = dense [10]
  --noise SD         standard deviation of the target noise [0.1]
  --inputs WHERE     sphere | ball [sphere]
  --intrinsic-dim R  inputs and first-layer rows lie in a random R-dimensional
                     subspace (0 = all d dimensions) [10]
  --task T          regression (squared error on noisy targets) or
                     classification (labels: teacher output above its median,
                     computed on the noisy output, so label noise follows --noise) [regression]
  --max-depth K      largest recursive-kernel depth [4]
  --norm-bounds LIST radii B tried for the norm-ball form [0.5,1,2,5,10,20,50,100]
  --seed N           seed of the teacher and of every draw [1]
  --json             print one JSON object instead of the table
  --help             this text
)";

struct Row {
  std::string model;
  double lambda = -1, norm = -1, test_mse = 0, excess_mse = 0, bound = -1, ball_mse = -1, ball_excess = -1;
  double seconds = 0;
};

std::string num(double v, int precision = 4) {
  if (v < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  return deepdot::cli::run_app("deepdot-teacher", [&]() {
    deepdot::cli::Args args(argc, argv, {"json"});
    if (args.help()) {
      std::cout << kUsage;
      return 0;
    }
    deepdot::TeacherConfig cfg;
    const auto n_train = args.integer("train", 4000);
    const auto n_val = args.integer("validation", 1000);
    const auto n_test = args.integer("test", 2000);
    cfg.input_dim = args.integer("dim", cfg.input_dim);
    cfg.hidden_layers = args.integer("layers", cfg.hidden_layers);
    cfg.width = args.integer("width", cfg.width);
    cfg.activation = deepdot::parse_activation(args.str("activation", "erf"));
    cfg.weight_bound = args.real("bound", cfg.weight_bound);
    cfg.sparsity = args.integer("sparsity", cfg.sparsity);
    cfg.noise = args.real("noise", cfg.noise);
    const std::string inputs = args.str("inputs", "sphere");
    if (inputs != "sphere" && inputs != "ball") throw std::invalid_argument("--inputs must be sphere or ball, got '" + inputs + "'");
    cfg.inputs = inputs == "ball" ? deepdot::InputDistribution::ball : deepdot::InputDistribution::sphere;
    const std::string task = args.str("task", "regression");
    if (task != "regression" && task != "classification")
      throw std::invalid_argument("--task must be regression or classification, got '" + task + "'");
    const bool classify = task == "classification";
    cfg.intrinsic_dim = args.integer("intrinsic-dim", 10);
    const auto max_depth = args.integer("max-depth", 4);
    const std::vector<double> bounds = args.reals("norm-bounds", "0.5,1,2,5,10,20,50,100");
    const auto seed = args.integer("seed", 1);
    const bool json = args.flag("json");
    args.reject_unknown();
    if (n_train < 2 || n_val < 1 || n_test < 1) throw std::invalid_argument("--train must be >= 2 and --validation, --test >= 1");
    if (max_depth > 50) throw std::invalid_argument("--max-depth must be <= 50");

    const deepdot::TeacherNetwork teacher(cfg, seed);
    const auto train = deepdot::draw_teacher_sample(teacher, n_train, seed, 1);
    const auto val = deepdot::draw_teacher_sample(teacher, n_val, seed, 2);
    const auto test = deepdot::draw_teacher_sample(teacher, n_test, seed, 3);
    const double target_var = arma::var(arma::vectorise(test.clean));

    // Regression scores MSE against the noisy targets (excess: against the
    // noise-free output); classification scores the error rate against the
    // noisy labels (excess: against the noise-free labels).
    deepdot::LabelEncoder encoder;
    if (classify) encoder.fit(train.labels);
    const arma::mat Ytrain = classify ? encoder.encode(train.labels) : train.targets;
    const arma::mat Yval = classify ? encoder.encode(val.labels) : val.targets;
    const auto criterion = classify ? deepdot::Criterion::error_rate : deepdot::Criterion::mse;
    auto score = [&](const arma::mat& pred, bool against_clean) {
      if (classify) return deepdot::error_rate(against_clean ? test.clean_labels : test.labels, encoder.decode(pred));
      return deepdot::mean_squared_error(against_clean ? test.clean : test.targets, pred);
    };

    std::vector<Row> rows;
    Row bayes;
    bayes.model = "teacher itself";
    bayes.test_mse = classify ? deepdot::error_rate(test.labels, test.clean_labels)
                              : deepdot::mean_squared_error(test.targets, test.clean);
    bayes.excess_mse = 0;
    rows.push_back(bayes);

    std::vector<std::string> specs = {"poly:1:1"};
    for (unsigned k = 0; k <= max_depth; ++k) specs.push_back("recursive:" + std::to_string(k));
    const arma::vec grid = deepdot::default_lambda_grid();
    const arma::vec bound_grid(bounds);
    for (const auto& spec : specs) {
      const auto t0 = std::chrono::steady_clock::now();
      deepdot::KernelRidge ridge(deepdot::make_kernel(spec));
      ridge.fit(train.X, Ytrain);
      Row r;
      r.model = spec == "poly:1:1" ? "linear (poly:1:1)" : spec;
      const deepdot::RidgePath path = ridge.select_by_validation(grid, val.X, Yval, criterion);
      r.lambda = path.lambdas[path.best];
      r.norm = ridge.rkhs_norms().max();
      arma::mat pred = ridge.predict(test.X);
      r.test_mse = score(pred, false);
      r.excess_mse = score(pred, true);
      const deepdot::NormBallPath ball = ridge.select_norm_bound_by_validation(bound_grid, val.X, Yval, criterion);
      r.bound = ball.bounds[ball.best];
      pred = ridge.predict(test.X);
      r.ball_mse = score(pred, false);
      r.ball_excess = score(pred, true);
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      rows.push_back(r);
    }

    std::ostringstream teacher_desc;
    teacher_desc << "d=" << cfg.input_dim << ", " << cfg.hidden_layers << " hidden layer(s) of width " << cfg.width
                 << ", " << deepdot::activation_name(cfg.activation) << ", L=" << cfg.weight_bound
                 << ", s=" << cfg.sparsity << ", inputs on the " << inputs
                 << (cfg.intrinsic_dim ? " of a " + std::to_string(cfg.intrinsic_dim) + "-dim subspace" : std::string()) << ", noise sd " << cfg.noise;
    if (json) {
      std::cout << "{\"version\":\"" << deepdot::version << "\",\"teacher\":\"" << teacher_desc.str()
                << "\",\"seed\":" << seed << ",\"train\":" << n_train << ",\"validation\":" << n_val
                << ",\"test\":" << n_test << ",\"target_variance\":" << num(target_var, 10) << ",\"rows\":[";
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        auto field = [](double v) { return v < 0 ? std::string("null") : num(v, 10); };
        std::cout << (i ? "," : "") << "{\"model\":\"" << r.model << "\",\"lambda\":" << field(r.lambda)
                  << ",\"rkhs_norm\":" << field(r.norm) << ",\"test_mse\":" << num(r.test_mse, 10)
                  << ",\"excess_mse\":" << num(r.excess_mse, 10) << ",\"norm_bound\":" << field(r.bound)
                  << ",\"ball_test_mse\":" << field(r.ball_mse) << ",\"ball_excess_mse\":" << field(r.ball_excess)
                  << ",\"seconds\":" << num(r.seconds, 4) << "}";
      }
      std::cout << "]}\n";
      return 0;
    }
    std::printf("deepdot %s: the recursive kernel method (Algorithm 1, squared loss, exact kernel) on teacher data\n",
                deepdot::version);
    std::printf("teacher: %s\n", teacher_desc.str().c_str());
    std::printf("data: %llu train, %llu validation, %llu test points; seed %llu; variance of the clean target %.4g\n\n",
                static_cast<unsigned long long>(n_train), static_cast<unsigned long long>(n_val),
                static_cast<unsigned long long>(n_test), static_cast<unsigned long long>(seed), target_var);
    std::printf("%-20s | %-32s | %-29s | %s\n", "", "lambda form (lambda on validation)",
                "norm-ball form (B on validation)", "");
    std::printf("%-20s | %9s %8s %6s %6s | %6s %10s %10s | %s\n", "model", "lambda", "||f||_H", "MSE", "excess",
                "B", "MSE", "excess", "time");
    std::printf("%s\n", std::string(101, '-').c_str());
    for (const Row& r : rows)
      std::printf("%-20s | %9s %8s %6.4f %6.4f | %6s %10s %10s | %s\n", r.model.c_str(), num(r.lambda, 2).c_str(),
                  num(r.norm, 3).c_str(), r.test_mse, r.excess_mse, num(r.bound, 3).c_str(), num(r.ball_mse).c_str(),
                  num(r.ball_excess).c_str(), r.seconds > 0 ? (num(r.seconds, 3) + " s").c_str() : "");
    std::printf("\nMSE: test mean squared error against the noisy targets; excess: against the teacher's noise-free\n"
                "output (the teacher itself scores 0). recursive:0 is the linear kernel without a bias term.\n");
    const Row& lin = rows[1];
    const Row* rk1 = rows.size() > 3 ? &rows[3] : nullptr;
    if (rk1)
      std::printf("recursive:1 vs linear: excess MSE %.4g vs %.4g (%s)\n", rk1->excess_mse, lin.excess_mse,
                  rk1->excess_mse < lin.excess_mse ? "the kernel method is better" : "the linear model is not beaten");
    return 0;
  });
}
