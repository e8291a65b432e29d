// SPDX-License-Identifier: MIT
// deepdot experiment teacher --forms: one teacher network, the exact
// recursive kernel of depths 0..K (squared loss) in the lambda form and in
// the norm-ball form of Algorithm 1, both tuned on a validation set, beside
// the teacher's own error and a linear model's.
#include "experiment.hpp"

#include <deepdot/deepdot.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace deepdot::experiment {
namespace {

const char* kUsage = R"(usage: deepdot experiment teacher --forms [options]

Draws one teacher network satisfying Assumption A of Zhang, Lee & Jordan (2016), fits the exact
recursive kernel (depths 0..--max-depth, squared loss) in the lambda form and in the norm-ball
form of Algorithm 1, both tuned on a validation set, and reports the test error of each next to
the teacher's own and a linear model's (poly:1:1). Writes teacher-forms.csv and .json into --out.
Teacher defaults are deepdot::TeacherConfig's.

options (defaults in brackets):
  --forms            this protocol (without it: the learning-curve experiment, see --help)
  --train N          training points [4000; --quick 300]
  --validation N     validation points [1000; --quick 100]
  --test N           test points [2000; --quick 100]
  --dim D            input dimension [TeacherConfig: 50]
  --layers K         hidden layers of the teacher [TeacherConfig: 1]
  --width M          neurons per hidden layer [TeacherConfig: 100]
  --activation A     erf | smoothed-hinge | relu | quadratic [TeacherConfig: erf]
  --bound L          weight bound L (l2 first layer, l1 later layers) [TeacherConfig: 2]
  --sparsity S       nonzeros per row after the first layer, 0 = dense [TeacherConfig: 10]
  --noise SD         standard deviation of the target noise [TeacherConfig: 0.1]
  --inputs WHERE     sphere | ball [TeacherConfig: sphere]
  --intrinsic-dim R  inputs and first-layer rows in a random R-dimensional subspace (0: all d) [10]
  --task T           regression (squared error on noisy targets) or classification (labels: the
                     teacher's output above its median, on the noisy output) [regression]
  --max-depth K      largest recursive-kernel depth [4; --quick 2]
  --norm-bounds LIST radii B tried for the norm-ball form [0.5,1,2,5,10,20,50,100]
)";

struct FormsSetup {
  TeacherConfig cfg;
  arma::uword n_train, n_val, n_test, max_depth;
  bool classify = false;
  arma::vec bounds;
};

FormsSetup read_forms_setup(cli::Args& args, bool q) {
  FormsSetup s;
  args.flag("forms");
  s.n_train = args.integer("train", q ? 300 : 4000);
  s.n_val = args.integer("validation", q ? 100 : 1000);
  s.n_test = args.integer("test", q ? 100 : 2000);
  TeacherConfig& cfg = s.cfg;
  cfg.input_dim = args.integer("dim", cfg.input_dim);
  cfg.hidden_layers = args.integer("layers", cfg.hidden_layers);
  cfg.width = args.integer("width", cfg.width);
  cfg.activation = parse_activation(args.str("activation", activation_name(cfg.activation)));
  cfg.weight_bound = args.real("bound", cfg.weight_bound);
  cfg.sparsity = args.integer("sparsity", cfg.sparsity);
  cfg.noise = args.real("noise", cfg.noise);
  cfg.inputs = parse_input_distribution(args.str("inputs", input_distribution_name(cfg.inputs)));
  cfg.intrinsic_dim = args.integer("intrinsic-dim", 10);
  const std::string task = args.str("task", "regression");
  if (task != "regression" && task != "classification")
    throw std::invalid_argument("--task must be regression or classification, got '" + task + "'");
  s.classify = task == "classification";
  s.max_depth = args.integer("max-depth", q ? 2 : 4);
  s.bounds = arma::vec(args.reals("norm-bounds", "0.5,1,2,5,10,20,50,100"));
  args.reject_unknown();
  if (s.n_train < 2 || s.n_val < 1 || s.n_test < 1)
    throw std::invalid_argument("--train must be >= 2 and --validation, --test >= 1");
  if (s.max_depth > 50) throw std::invalid_argument("--max-depth must be <= 50");
  return s;
}

// Every kernel in both forms; rows: model, lambda, rkhs_norm, test_error, excess, norm_bound, ball_test_error,
// ball_excess, seconds. Regression scores the MSE against the noisy targets (excess: against the noise-free
// output); classification the error rate against the noisy labels (excess: against the noise-free labels).
Table fit_forms(const FormsSetup& s, std::uint64_t seed, cli::Progress& progress) {
  const TeacherNetwork teacher(s.cfg, seed);
  const auto train = draw_teacher_sample(teacher, s.n_train, seed, 1);
  const auto val = draw_teacher_sample(teacher, s.n_val, seed, 2);
  const auto test = draw_teacher_sample(teacher, s.n_test, seed, 3);
  LabelEncoder encoder;
  if (s.classify) encoder.fit(train.labels);
  const arma::mat Ytrain = s.classify ? encoder.encode(train.labels) : train.targets;
  const arma::mat Yval = s.classify ? encoder.encode(val.labels) : val.targets;
  const auto criterion = s.classify ? Criterion::error_rate : Criterion::mse;
  auto score = [&](const arma::mat& pred, bool against_clean) {
    if (s.classify) return error_rate(against_clean ? test.clean_labels : test.labels, encoder.decode(pred));
    return mean_squared_error(against_clean ? test.clean : test.targets, pred);
  };
  Table t;
  t.columns = {"model", "lambda", "rkhs_norm", "test_error", "excess", "norm_bound", "ball_test_error", "ball_excess",
               "seconds"};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  t.add({"teacher itself",
         nan, nan, s.classify ? error_rate(test.labels, test.clean_labels) : mean_squared_error(test.targets, test.clean),
         0.0, nan, nan, nan, nan});
  std::vector<std::string> specs = {"poly:1:1"};
  for (unsigned k = 0; k <= s.max_depth; ++k) specs.push_back("recursive:" + std::to_string(k));
  for (std::size_t i = 0; i < specs.size(); ++i) {
    progress.bar("kernels", i + 1, specs.size());
    const auto t0 = std::chrono::steady_clock::now();
    KernelRidge ridge(make_kernel(specs[i]));
    ridge.fit(train.X, Ytrain);
    const RidgePath path = ridge.select_by_validation(default_lambda_grid(), val.X, Yval, criterion);
    const double norm = ridge.rkhs_norms().max();
    arma::mat pred = ridge.predict(test.X);
    const double err = score(pred, false), excess = score(pred, true);
    const NormBallPath ball = ridge.select_norm_bound_by_validation(s.bounds, val.X, Yval, criterion);
    pred = ridge.predict(test.X);
    t.add({specs[i] == "poly:1:1" ? "linear (poly:1:1)" : specs[i], path.lambdas[path.best], norm, err, excess,
           ball.bounds[ball.best], score(pred, false), score(pred, true), seconds_since(t0)});
  }
  return t;
}

// "-" for a missing value (NaN), else printf of `format`.
std::string cell(const char* format, double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string forms_text(const Table& t) {
  std::ostringstream out;
  char line[200];
  std::snprintf(line, sizeof line, "  %-20s | %9s %8s %8s %8s | %6s %8s %8s | %7s\n", "model", "lambda", "||f||_H", "error",
                "excess", "B", "error", "excess", "seconds");
  out << line;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    std::snprintf(line, sizeof line, "  %-20s | %9s %8s %8s %8s | %6s %8s %8s | %7s\n", t.text(r, "model").c_str(),
                  cell("%.2g", t.number(r, "lambda")).c_str(), cell("%.3g", t.number(r, "rkhs_norm")).c_str(),
                  cell("%.4f", t.number(r, "test_error")).c_str(), cell("%.4f", t.number(r, "excess")).c_str(),
                  cell("%.3g", t.number(r, "norm_bound")).c_str(), cell("%.4f", t.number(r, "ball_test_error")).c_str(),
                  cell("%.4f", t.number(r, "ball_excess")).c_str(), cell("%.3g", t.number(r, "seconds")).c_str());
    out << line;
  }
  return out.str();
}

}  // namespace

int run_teacher_forms(int argc, char** argv) {
  cli::Args args(argc, argv, {"quick", "json", "quiet", "forms"});
  Common common;
  if (!start(args, "teacher", kUsage, common)) return 0;
  const FormsSetup s = read_forms_setup(args, common.quick);
  cli::Progress progress(common.quiet);
  const Table t = fit_forms(s, common.seed, progress);
  t.write_csv(common.out + "/teacher-forms.csv");
  std::ostringstream teacher;
  teacher << "d=" << s.cfg.input_dim << ", " << s.cfg.hidden_layers << " hidden layer(s) of width " << s.cfg.width << ", "
          << activation_name(s.cfg.activation) << ", L=" << s.cfg.weight_bound << ", s=" << s.cfg.sparsity
          << ", inputs: " << input_distribution_name(s.cfg.inputs)
          << (s.cfg.intrinsic_dim ? " of a " + std::to_string(s.cfg.intrinsic_dim) + "-dim subspace" : std::string())
          << ", noise sd " << s.cfg.noise;
  cli::Report report;
  report.text("experiment", "teacher --forms");
  report.text("command", command_line(argc, argv));
  report.text("machine", machine_description());
  report.text("teacher", teacher.str());
  report.text("data", std::to_string(s.n_train) + " train, " + std::to_string(s.n_val) + " validation, " +
                          std::to_string(s.n_test) + " test points; " + (s.classify ? "classification" : "regression"));
  report.raw("lambda form | norm-ball form", t.json(), forms_text(t));
  report.text("note", "error: against the noisy test targets; excess: against the teacher's noise-free output; "
                      "recursive:0 is the linear kernel without a bias");
  report.text("csv", common.out + "/teacher-forms.csv");
  progress.stage("done");
  finish(common, "teacher-forms", report);
  return 0;
}

}  // namespace deepdot::experiment
