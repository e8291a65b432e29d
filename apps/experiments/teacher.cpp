// SPDX-License-Identifier: MIT
// deepdot experiment teacher: the theory's claims on data from teacher networks
// drawn under Assumption A. The excess risk of the recursive kernel method over
// the teacher should shrink as n grows, and not depend on the teacher's width.
#include "experiment.hpp"

#include <deepdot/deepdot.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <sstream>

namespace deepdot::experiment {
namespace {

const char* kUsage = R"(usage: deepdot experiment teacher [options]

For every activation x depth k x width m, draws a teacher network under Assumption A (k hidden
layers of width m, l1/l2-bounded weights, no biases; inputs on the unit sphere of a random
subspace) and noisy regression targets y = f*(x) + noise. For every training size n it fits the
recursive kernel of depth k (squared loss, lambda on a 20 % validation split, then refit on all n)
with a feature map, a linear model (poly:1:1, exact features) and, for n up to --exact-max-n, the
kernel limit, and measures the excess risk over the teacher on a fresh test set:
E (f(x) - f*(x))^2 (the test MSE minus the noise variance, measured against the noise-free output),
also relative to the variance of f*. Summaries: the fitted slope of log excess against log n per
curve, and the spread (max / min) across widths.

options (defaults in brackets):
  --n LIST           training sizes [250,500,1000,2000,4000,8000,16000]
  --depths LIST      hidden layers k of the teacher = depth of the recursive kernel [1,2,3]
  --widths LIST      neurons per hidden layer [10,100,1000]
  --activations LIST erf, smoothed-hinge [erf,smoothed-hinge]
  --dim D            input dimension [50]
  --intrinsic-dim R  inputs and first-layer rows in a random R-dimensional subspace [10]
  --bound L          weight bound L [4]
  --sparsity S       nonzeros per row after the first layer (0: dense) [10]
  --noise SD         standard deviation of the target noise [0.1]
  --test N           test points [5000]
  --map SPEC         feature map [fourier:orf]
  --features D       its number of features [2048]
  --exact-max-n N    largest n for the kernel limit (n x n Gram, O(n^3) eigen-decomposition) [2000]
  --from-csv FILE    no fitting: redraw the summaries and plots from a teacher.csv of an earlier run
                     (give the options that run used, for the description)
  --forms            instead: one teacher, the exact kernel of depths 0..K in the lambda and the
                     norm-ball form of Algorithm 1 (deepdot experiment teacher --forms --help)
)";

// "recursive kernel (MAP)" or "recursive kernel (kernel limit)": no commas, so gnuplot can read the CSV.
std::string learner_name(const std::string& map) { return "recursive kernel (" + map + ")"; }

struct Curve {
  std::string activation, learner;
  unsigned long long depth, width;
  std::vector<double> n, excess;
};

// Every option of the learning-curve experiment.
struct TeacherSetup {
  std::vector<unsigned long long> ns, depths, widths;
  std::vector<std::string> activation_names;
  std::vector<Activation> activations;
  TeacherConfig base;
  arma::uword n_test, features, exact_max;
  std::string map, from_csv;
};

TeacherSetup read_teacher_setup(cli::Args& args, bool q) {
  TeacherSetup t;
  t.ns = integer_list(args, "n", q ? "100,200,400" : "250,500,1000,2000,4000,8000,16000");
  t.depths = integer_list(args, "depths", q ? "1,2" : "1,2,3");
  t.widths = integer_list(args, "widths", q ? "10,100" : "10,100,1000");
  t.activation_names = split_list(args.str("activations", "erf,smoothed-hinge"), "activations");
  TeacherConfig& base = t.base;
  base.input_dim = args.integer("dim", q ? 20 : 50);
  base.intrinsic_dim = args.integer("intrinsic-dim", q ? 5 : 10);
  base.weight_bound = args.real("bound", 4.0);
  base.sparsity = args.integer("sparsity", base.sparsity);
  base.noise = args.real("noise", base.noise);
  t.n_test = args.integer("test", q ? 500 : 5000);
  t.map = args.str("map", "fourier:orf");
  t.features = args.integer("features", q ? 256 : 2048);
  t.exact_max = args.integer("exact-max-n", q ? 400 : 2000);
  t.from_csv = args.str("from-csv", "");
  args.reject_unknown();
  for (const auto& a : t.activation_names) t.activations.push_back(parse_activation(a));
  if (t.n_test < 10) throw std::invalid_argument("--test must be >= 10");
  if (t.features < 1) throw std::invalid_argument("--features must be >= 1");
  if (base.input_dim < 1 || base.intrinsic_dim > base.input_dim)
    throw std::invalid_argument("--dim must be >= 1 and --intrinsic-dim <= --dim");
  if (!(base.weight_bound > 0) || !(base.noise >= 0)) throw std::invalid_argument("--bound must be > 0 and --noise >= 0");
  for (auto n : t.ns)
    if (n < 10) throw std::invalid_argument("--n: every size must be >= 10 (a 20 % validation split), got " + std::to_string(n));
  for (auto k : t.depths)
    if (k > 10) throw std::invalid_argument("--depths must be <= 10");
  make_feature_map(t.map, recursive_kernel(1), base.input_dim, t.features, 1);  // validates --map
  return t;
}

const std::vector<std::string> kColumns = {"activation", "depth", "width", "n", "learner", "kernel", "map", "features",
                                           "test_mse", "excess_mse", "relative_excess", "noise_variance",
                                           "target_variance", "lambda", "seconds"};

// One learner of a teacher's curves.
struct Learner {
  std::string name, kernel, map;
  arma::uword features;
};

// One teacher's learners at every n, appended to `table`.
void fit_teacher(const TeacherSetup& t, const TeacherConfig& cfg, std::uint64_t seed, Table& table,
                 const std::function<void()>& tick) {
  const unsigned long long n_max = *std::max_element(t.ns.begin(), t.ns.end());
  // One teacher per (activation, depth, width); nested training sets (the first n of one draw)
  // so the curves against n are not jagged by resampling.
  const TeacherNetwork teacher(cfg, seed + 1000 * cfg.hidden_layers + cfg.width);
  const TeacherSample train = draw_teacher_sample(teacher, n_max, seed, 1);
  const TeacherSample test = draw_teacher_sample(teacher, t.n_test, seed, 3);
  const double target_var = arma::var(arma::vectorise(test.clean));
  const double noise_var = mean_squared_error(test.targets, test.clean);
  const std::string depth = std::to_string(cfg.hidden_layers);
  const std::vector<Learner> learners = {
      {learner_name(t.map), "recursive:" + depth, t.map, t.features},
      {"linear", "poly:1:1", "taylor:1", t.base.input_dim + 1},  // exact features: x / sqrt 2 and a bias
      {learner_name("kernel limit"), "recursive:" + depth, "exact", 0}};
  // Curve by curve, so that every curve is a contiguous block of the CSV (gnuplot draws lines
  // only between consecutive rows).
  for (const Learner& l : learners)
    for (auto n : t.ns) {
      if (l.map == "exact" && n > t.exact_max) continue;
      TrainerConfig tc;
      tc.kernel = l.kernel;
      tc.map = l.map;
      tc.features = l.map == "exact" ? 1 : l.features;
      tc.loss = Loss::squared;
      tc.validation_fraction = 0.2;
      tc.scaling = Scaling::none;  // the teacher's inputs already lie on the unit sphere
      tc.seed = seed;
      const auto t0 = std::chrono::steady_clock::now();
      const Model m = Trainer(tc).fit_regression(train.X.cols(0, n - 1), train.targets.cols(0, n - 1));
      const arma::mat pred = m.predict(test.X);
      const double secs = seconds_since(t0);
      const double mse = mean_squared_error(test.targets, pred), excess = mean_squared_error(test.clean, pred);
      table.add({activation_name(cfg.activation), cfg.hidden_layers, cfg.width, n, l.name, l.kernel, l.map,
                 l.map == "exact" ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(l.features), mse,
                 excess, excess / target_var, noise_var, target_var, m.parts().lambdas.max(), secs});
      tick();
    }
}

// Every teacher x learner x n, or the rows of an earlier run (--from-csv).
Table fit_all(const TeacherSetup& t, std::uint64_t seed, cli::Progress& progress) {
  Table table;
  table.columns = kColumns;
  if (!t.from_csv.empty()) {
    table = Table::read_csv(t.from_csv, kColumns);
    // Runs before the learner names lost their commas wrote "recursive kernel, MAP".
    const std::size_t c = table.column("learner");
    for (auto& row : table.rows) {
      std::string& name = row[c].text;
      const auto comma = name.find(", ");
      if (comma != std::string::npos) name = learner_name(name.substr(comma + 2));
    }
    return table;
  }
  std::size_t fits_per_teacher = 0;
  for (auto n : t.ns) fits_per_teacher += 2 + (n <= t.exact_max ? 1 : 0);
  const std::size_t total = t.activations.size() * t.depths.size() * t.widths.size() * fits_per_teacher;
  std::size_t done = 0;
  for (Activation act : t.activations)
    for (auto depth : t.depths)
      for (auto width : t.widths) {
        TeacherConfig cfg = t.base;
        cfg.activation = act;
        cfg.hidden_layers = depth;
        cfg.width = width;
        const std::string label = activation_name(act) + " k=" + std::to_string(depth) + " m=" + std::to_string(width);
        fit_teacher(t, cfg, seed, table, [&] { progress.bar(label, ++done, total); });
      }
  return table;
}

// Sorts the rows curve by curve (the order of each curve's first row), n ascending within a curve; returns the curves.
std::vector<Curve> order_curves(Table& table) {
  std::vector<Curve> curves;
{
  auto key = [&](const std::vector<Cell>& r) {
    return r[table.column("activation")].text + "|" + std::to_string(r[table.column("depth")].value) + "|" +
           std::to_string(r[table.column("width")].value) + "|" + r[table.column("learner")].text;
  };
  std::vector<std::string> order;
  for (const auto& r : table.rows)
    if (std::find(order.begin(), order.end(), key(r)) == order.end()) order.push_back(key(r));
  const std::size_t cn = table.column("n");
  std::stable_sort(table.rows.begin(), table.rows.end(), [&](const auto& a, const auto& b) {
    const auto ia = std::find(order.begin(), order.end(), key(a)), ib = std::find(order.begin(), order.end(), key(b));
    return ia != ib ? ia < ib : a[cn].value < b[cn].value;
  });
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    if (i == 0 || key(table.rows[i]) != key(table.rows[i - 1]))
      curves.push_back({table.text(i, "activation"), table.text(i, "learner"),
                        static_cast<unsigned long long>(table.number(i, "depth")),
                        static_cast<unsigned long long>(table.number(i, "width")), {}, {}});
    curves.back().n.push_back(table.number(i, "n"));
    curves.back().excess.push_back(table.number(i, "relative_excess"));
  }
}
  return curves;
}

// Rates: slope of log(relative excess) against log n per curve.
Table rate_table(const std::vector<Curve>& curves) {
  Table rates;
  rates.columns = {"activation", "depth", "width", "learner", "slope", "r_squared", "points", "excess_first",
                   "excess_last", "n_first", "n_last"};
  for (const Curve& c : curves) {
    double slope = std::numeric_limits<double>::quiet_NaN(), r2 = slope;
    unsigned long long pts = 0;
    if (c.n.size() >= 2) {
      const PowerLawFit f = fit_power_law(arma::vec(c.n), arma::vec(c.excess));
      slope = f.slope, r2 = f.r_squared, pts = f.points;
    }
    rates.add({c.activation, c.depth, c.width, c.learner, slope, r2, pts, c.excess.front(), c.excess.back(),
               c.n.front(), c.n.back()});
  }
  return rates;
}

// Width (in)dependence: per activation, depth, learner and n, max / min of the relative excess over widths.
Table spread_table(const std::vector<Curve>& curves, const std::vector<unsigned long long>& widths) {
  Table spread;
  spread.columns = {"activation", "depth", "learner", "n", "widths", "excess_min", "excess_max", "max_over_min"};
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const Curve& c = curves[i];
    if (c.width != widths.front()) continue;
    for (std::size_t j = 0; j < c.n.size(); ++j) {
      std::vector<double> vals;
      for (const Curve& o : curves)
        if (o.activation == c.activation && o.depth == c.depth && o.learner == c.learner)
          for (std::size_t t = 0; t < o.n.size(); ++t)
            if (o.n[t] == c.n[j]) vals.push_back(o.excess[t]);
      const arma::vec v(vals);
      bool positive = v.n_elem > 0 && v.min() > 0;
      spread.add({c.activation, c.depth, c.learner, c.n[j], static_cast<double>(v.n_elem), v.min(), v.max(),
                  positive ? max_min_ratio(v) : std::numeric_limits<double>::quiet_NaN()});
    }
  }
  return spread;
}

// One SVG per activation, one panel per depth, log-log relative excess against n.
std::vector<std::string> draw_teacher_plots(const TeacherSetup& t, const Table& table, const std::string& out) {
  const auto& depths = t.depths;
  const auto& widths = t.widths;
  const std::string& map = t.map;
  const std::size_t cN = table.column("n") + 1, cE = table.column("relative_excess") + 1;
  std::vector<std::string> plots;
  for (const auto& a : t.activation_names) {
    const std::string act = activation_name(parse_activation(a));
    const std::string name = "teacher-" + act;
    std::string s = svg_preamble(name, 420 * static_cast<int>(depths.size()), 560) + "set multiplot layout 1," +
                    std::to_string(depths.size()) + "\nset logscale xy\nset format y '10^{%L}'\n"
                    "set xlabel 'training points n'\nset ylabel 'excess risk / Var f*'\nset key below horizontal maxcols 3 font ',9'\n"
                    "set grid\n";
    for (auto depth : depths) {
      s += "set title '" + act + ", depth " + std::to_string(depth) + "'\nplot ";
      int style = 0;
      bool first = true;
      for (const std::string& learner : {learner_name(map), learner_name("kernel limit"), std::string("linear")}) {
        int colour = 0;
        for (auto width : widths) {
          ++colour;
          const std::string filter = "(strcol(1) eq '" + act + "' && $2 == " + std::to_string(depth) + " && $3 == " +
                                     std::to_string(width) + " && strcol(5) eq '" + learner + "' ? $" +
                                     std::to_string(cN) + " : 1/0)";
          const std::string short_name = learner == "linear" ? "linear" : learner.find("limit") != std::string::npos ? "kernel limit" : map;
          s += std::string(first ? "" : ", ") + "'teacher.csv' every ::1 using " + filter + ":" + std::to_string(cE) +
               " with linespoints lc " + std::to_string(colour) + " dt " + std::to_string(style + 1) + " pt " +
               std::to_string(style * 2 + 5) + " title '" + short_name + ", m=" + std::to_string(width) + "'";
          first = false;
        }
        ++style;
      }
      s += "\n";
    }
    s += "unset multiplot\n";
    plots.push_back(plot(out, name, s));
  }
  return plots;
}

std::string rates_text(const Table& rates) {
  char line[256];
  std::ostringstream rt;
  std::snprintf(line, sizeof line, "  %-15s %5s %6s %-34s %8s %6s %12s %12s\n", "activation", "depth", "width", "learner",
                "slope", "r^2", "excess@nmin", "excess@nmax");
  rt << line;
  for (std::size_t r = 0; r < rates.rows.size(); ++r) {
    std::snprintf(line, sizeof line, "  %-15s %5.0f %6.0f %-34s %8.3f %6.3f %12.4g %12.4g\n",
                  rates.text(r, "activation").c_str(), rates.number(r, "depth"), rates.number(r, "width"),
                  rates.text(r, "learner").c_str(), rates.number(r, "slope"), rates.number(r, "r_squared"),
                  rates.number(r, "excess_first"), rates.number(r, "excess_last"));
    rt << line;
  }
  return rt.str();
}

std::string spread_text(const Table& spread) {
  char line[256];
  std::ostringstream st;
  std::snprintf(line, sizeof line, "  %-15s %5s %-34s %7s %12s %12s %10s\n", "activation", "depth", "learner", "n",
                "min", "max", "max/min");
  st << line;
  for (std::size_t r = 0; r < spread.rows.size(); ++r) {
    std::snprintf(line, sizeof line, "  %-15s %5.0f %-34s %7.0f %12.4g %12.4g %10.3g\n", spread.text(r, "activation").c_str(),
                  spread.number(r, "depth"), spread.text(r, "learner").c_str(), spread.number(r, "n"),
                  spread.number(r, "excess_min"), spread.number(r, "excess_max"), spread.number(r, "max_over_min"));
    st << line;
  }
  return st.str();
}

}  // namespace

int run_teacher(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--forms") return run_teacher_forms(argc, argv);
  cli::Args args(argc, argv, {"quick", "json", "quiet"});
  Common common;
  if (!start(args, "teacher", kUsage, common)) return 0;
  const TeacherSetup t = read_teacher_setup(args, common.quick);
  const TeacherConfig& base = t.base;
  cli::Progress progress(common.quiet);
  const auto t_all = std::chrono::steady_clock::now();
  Table table = fit_all(t, common.seed, progress);
  const double total_seconds = seconds_since(t_all);
  const std::vector<Curve> curves = order_curves(table);
  table.write_csv(common.out + "/teacher.csv");
  const Table rates = rate_table(curves);
  rates.write_csv(common.out + "/teacher-rates.csv");
  const Table spread = spread_table(curves, t.widths);
  spread.write_csv(common.out + "/teacher-width-spread.csv");
  const std::vector<std::string> plots = draw_teacher_plots(t, table, common.out);
  std::ostringstream teacher_desc;
  teacher_desc << "d = " << base.input_dim << ", inputs on the unit sphere of a random " << base.intrinsic_dim
               << "-dim subspace, L = " << base.weight_bound << ", " << base.sparsity
               << " nonzeros per row after the first layer, noise sd " << base.noise << ", one output, no biases";
  std::string plot_list;
  for (const auto& p : plots) plot_list += (plot_list.empty() ? "" : ", ") + common.out + "/" + p;

  cli::Report report;
  report.text("experiment", "teacher");
  report.text("command", command_line(argc, argv));
  report.text("machine", machine_description());
  report.text("teacher", teacher_desc.str());
  report.integer("test points", t.n_test);
  report.text("learners", "recursive kernel of the teacher's depth with " + t.map + " (D = " + std::to_string(t.features) +
                              "), linear (poly:1:1, exact features), kernel limit for n <= " + std::to_string(t.exact_max) +
                              "; squared loss, lambda on a 20 % validation split, refit on all n");
  report.text("excess", "relative excess = E(f(x) - f*(x))^2 / Var f*(x) on the test set (the teacher scores 0)");
  report.raw("rates (log-log slope of the relative excess against n)", rates.json(), rates_text(rates));
  report.raw("width spread (relative excess across widths)", spread.json(), spread_text(spread));
  report.raw("rows", table.json(), "  " + std::to_string(table.rows.size()) + " rows in " + common.out + "/teacher.csv\n");
  report.number("seconds", total_seconds, 4);
  report.text("plots", plot_list);
  progress.stage("done");
  finish(common, "teacher", report);
  return 0;
}

}  // namespace deepdot::experiment
