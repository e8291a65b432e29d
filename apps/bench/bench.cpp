// SPDX-License-Identifier: MIT
// deepdot-bench: every hot path of deepdot timed next to the limit of this
// machine measured in the same run (SGEMM/DGEMM of the same shapes, SYRK,
// Cholesky), as a table or one JSON object; --stream N runs the streamed
// squared-loss fit on N synthetic points and checks its peak memory.
#include <deepdot/deepdot.hpp>

#include "../common/cli.hpp"
#include "../common/report.hpp"
#include "../common/util.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using deepdot::cli::Args;
using deepdot::cli::Report;
using deepdot::cli::Clock;
using deepdot::cli::seconds_since;

const char* kUsage = R"(usage: deepdot-bench [options]

Times deepdot's hot paths on synthetic unit-norm data and prints each figure beside the limit
of this machine measured in the same run:
  feature maps     points per second of the float transform; for GEMM-shaped maps the GEMMs
                   of the map's own shapes (FeatureMap::gemm_shapes) timed alone, and the
                   fraction time(GEMMs) / time(map)
  accumulation     FeatureRidge::accumulate of float batches (ZZ', ZY'): exact (DSYRK)
                   against one DSYRK of the same shape, single (SGEMM blocks) against SSYRK
  solver           FeatureRidge::set_lambda (in-place Cholesky of D x D) against one Cholesky
  exact ridge      KernelRidge single-lambda fit (Gram + mixed-precision Cholesky) against
                   the SYRK of the Gram plus a double Cholesky of n x n
  end to end       Trainer::fit (map, single-precision accumulation, solve) and predict, against
                   the sum of the limits (map GEMMs twice, SSYRK of all points, Cholesky)

options (defaults in brackets):
  --d N            input dimension [784]
  --D N            features [4096]
  --n N            points per transform and for the end-to-end fit [8192]
  --batch N        points per accumulated batch [2048]
  --exact-n N      training points of the exact ridge [4000]
  --kernel SPEC    kernel [recursive:2]
  --maps LIST      [tensorsketch,srht,maclaurin,fourier,fourier:orf,layerwise,nystrom]
  --repeats N      timed repetitions, best kept [2]
  --quick          tiny sizes for a smoke run (d 64, D 256, n 512, exact-n 300)
  --stream N       instead of the above: stream N synthetic points (d [784], D [8192]) through
                   the float map and the squared-loss accumulator, solve once, and report the
                   fit's memory (peak resident memory minus the resident memory before it)
                   against 1.2 x (D^2 x 8 + batch buffers); exit status 1 when above
  --map SPEC       the map of the end-to-end and --stream runs [fourier:orf]
  --accumulate A   --stream: single (SGEMM blocks, float sums per batch) | exact (DSYRK) [single]
  --lambda X       --stream: the ridge lambda [1e-4]
  --threads N      bound the BLAS threads
  --json           one JSON object on stdout
)";

// Synthetic data: Gaussian columns scaled to unit norm (what a map sees after
// the default unit-norm scaling).
arma::mat unit_points(arma::uword d, arma::uword n, std::uint64_t seed) {
  deepdot::Rng rng(seed);
  arma::mat X = rng.normal_matrix(d, n);
  deepdot::normalize_columns(X);
  return X;
}

// One output line kept for both renderings.
struct Row {
  std::string section, name, limit_name;
  double seconds = 0.0, limit_seconds = 0.0, rate = 0.0;
  std::string rate_unit, note;
};

std::string json_rows(const std::vector<Row>& rows) {
  std::ostringstream o;
  o << "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    auto num = [](double v) {
      char b[40];
      std::snprintf(b, sizeof b, "%.6g", v);
      return std::isfinite(v) ? std::string(b) : std::string("null");
    };
    o << (i ? "," : "") << "{\"section\":" << Report::quote(r.section) << ",\"name\":" << Report::quote(r.name)
      << ",\"seconds\":" << num(r.seconds) << ",\"rate\":" << num(r.rate) << ",\"rate_unit\":" << Report::quote(r.rate_unit)
      << ",\"limit\":" << Report::quote(r.limit_name) << ",\"limit_seconds\":" << num(r.limit_seconds)
      << ",\"fraction_of_limit\":" << (r.limit_seconds > 0 ? num(r.limit_seconds / r.seconds) : "null")
      << ",\"note\":" << Report::quote(r.note) << "}";
  }
  return o.str() + "]";
}

std::string text_rows(const std::vector<Row>& rows) {
  std::ostringstream o;
  char line[400];
  std::snprintf(line, sizeof line, "  %-13s %-22s %10s %14s   %-34s %10s %8s\n", "section", "name", "seconds", "rate",
                "limit (same run)", "seconds", "fraction");
  o << line;
  for (const Row& r : rows) {
    char rate[40], frac[16] = "-", lim[16] = "-";
    std::snprintf(rate, sizeof rate, "%.3g %s", r.rate, r.rate_unit.c_str());
    if (r.limit_seconds > 0) {
      std::snprintf(frac, sizeof frac, "%.0f%%", 100.0 * r.limit_seconds / r.seconds);
      std::snprintf(lim, sizeof lim, "%.4f", r.limit_seconds);
    }
    std::snprintf(line, sizeof line, "  %-13s %-22s %10.4f %14s   %-34s %10s %8s%s%s\n", r.section.c_str(),
                  r.name.c_str(), r.seconds, rate, r.limit_name.c_str(), lim, frac, r.note.empty() ? "" : "  ",
                  r.note.c_str());
    o << line;
  }
  return o.str();
}

std::string describe_shapes(const std::vector<deepdot::GemmShape>& shapes, arma::uword n) {
  std::string s;
  // Products of the same inner size and precision are summed (Random
  // Maclaurin has one per degree) to keep the line short.
  for (std::size_t i = 0; i < shapes.size();) {
    std::size_t j = i;
    arma::uword rows = 0;
    while (j < shapes.size() && shapes[j].inner == shapes[i].inner && shapes[j].single == shapes[i].single)
      rows += shapes[j++].rows;
    s += (s.empty() ? "" : " + ") + (j - i > 1 ? std::to_string(j - i) + " " : std::string()) +
         (shapes[i].single ? "S" : "D") + "GEMM " + std::to_string(rows) + "x" + std::to_string(shapes[i].inner) + "x" +
         std::to_string(n);
    i = j;
  }
  return s;
}

// ---------------------------------------------------------------- --stream

int run_stream(Args& args, bool json) {
  const auto N = args.integer("stream", 0);
  const auto d = args.integer("d", 784), D = args.integer("D", 8192), b = args.integer("batch", 2048);
  const std::string kernel_spec = args.str("kernel", "recursive:2");
  const std::string map_spec = args.str("map", "fourier:orf");
  const double lambda = args.real("lambda", 1e-4);
  // The fast path, as the main job: the bench measures it unless told otherwise.
  const auto accumulation = deepdot::parse_accumulation(args.str("accumulate", "single"));
  const arma::uword c = 10;  // outputs, as for ten classes
  args.reject_unknown();
  if (N < 2 || d < 1 || D < 1 || b < 1) throw std::invalid_argument("--stream needs N >= 2, --d, --D, --batch >= 1");

  // The process's own memory before the fit (libraries, BLAS buffers touched
  // by a first small product) is not the fit's: measure from there.
  (void)deepdot::sgemm_seconds(64, 64, 64, 1);
  (void)deepdot::syrk_seconds(64, 64, false, 1);
  const double rss_start = deepdot::current_rss_bytes();
  const auto map = deepdot::make_feature_map(map_spec, deepdot::make_kernel(kernel_spec), d, D, 7);
  if (!map->is_fitted()) map->fit(unit_points(d, std::max<arma::uword>(D, 2 * b), 99));
  const double rss_map = deepdot::current_rss_bytes();
  deepdot::FeatureRidge ridge(D, c, deepdot::RidgeSolver::cholesky, accumulation);
  deepdot::Rng teacher_rng(5);
  const arma::mat teacher = teacher_rng.normal_matrix(c, d);  // targets: a fixed linear teacher

  double t_map = 0.0, t_acc = 0.0;
  const auto t0 = Clock::now();
  for (arma::uword done = 0, batch = 0; done < N; done += b, ++batch) {
    const arma::uword m = std::min<arma::uword>(b, N - done);
    // Generated batch by batch: nothing of size N is ever held.
    arma::mat X = unit_points(d, m, 1000 + batch);
    const arma::mat Y = arma::sign(teacher * X);
    const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
    X.reset();
    auto t = Clock::now();
    const arma::fmat Z = map->transform(Xf);
    t_map += seconds_since(t);
    t = Clock::now();
    ridge.accumulate(Z, Y);
    t_acc += seconds_since(t);
    if (!json && (batch % 16 == 0))
      std::fprintf(stderr, "\rdeepdot-bench: streamed %llu / %llu points", static_cast<unsigned long long>(done + m),
                   static_cast<unsigned long long>(N));
  }
  if (!json) std::fprintf(stderr, "\n");
  auto t = Clock::now();
  ridge.set_lambda(lambda);
  const double t_solve = seconds_since(t);
  const double total = seconds_since(t0);
  const double peak = deepdot::peak_rss_bytes();

  // Batch-sized arrays alive at once: X (double) and its float copy, the float
  // features, the map's float projections (at most D x b), the targets, and
  // inside accumulate() either the double copy of the features (exact) or the
  // D x 512 float scratch (single).
  const double bd = static_cast<double>(b), Dd = static_cast<double>(D);
  const double batch_bytes = bd * (static_cast<double>(d) * (8 + 4) + Dd * (4 + 4) + c * 8.0) +
                             (accumulation == deepdot::Accumulation::exact ? bd * Dd * 8.0 : Dd * 512 * 4.0);
  const double gram_bytes = static_cast<double>(D) * static_cast<double>(D) * 8.0;
  const double bound = 1.2 * (gram_bytes + batch_bytes);

  Report rep;
  rep.text("mode", "streamed squared-loss fit");
  rep.integer("points", N);
  rep.integer("d", d);
  rep.integer("D", D);
  rep.integer("batch", b);
  rep.text("map", map_spec + " of " + kernel_spec);
  rep.text("accumulation", deepdot::accumulation_name(accumulation));
  rep.number("seconds_total", total, 4);
  rep.number("seconds_map", t_map, 4);
  rep.number("seconds_accumulate", t_acc, 4);
  rep.number("seconds_solve", t_solve, 4);
  rep.number("points_per_second", static_cast<double>(N) / total, 4);
  rep.number("rss_start_mb", rss_start / 1048576.0, 5);
  rep.number("rss_after_map_mb", rss_map / 1048576.0, 5);
  rep.number("gram_mb", gram_bytes / 1048576.0, 5);
  rep.number("batch_buffers_mb", batch_bytes / 1048576.0, 5);
  rep.number("bound_mb", bound / 1048576.0, 5);
  rep.number("peak_rss_mb", peak / 1048576.0, 5);
  rep.number("fit_memory_mb", (peak - rss_start) / 1048576.0, 5);
  rep.number("fit_memory_over_unscaled_bound", (peak - rss_start) / (gram_bytes + batch_bytes), 4);
  const bool within = peak - rss_start <= bound;
  rep.text("within_bound", within ? "yes" : "no");
  rep.number("weight_norm_output0", ridge.norms()[0], 6);
  rep.print(json);
  return within ? 0 : 1;
}

// The sizes and choices of one benchmark run.
struct Setup {
  arma::uword d, D, n, b, n_exact;
  std::string kernel_spec, e2e_map;
  std::vector<std::string> maps;
  int repeats;
};

// Every map's float transform against the GEMMs of its own shapes.
void bench_maps(const Setup& s, const deepdot::Kernel& kernel, const arma::mat& X, const arma::fmat& Xf,
                std::vector<Row>& rows) {
  const arma::uword d = s.d, D = s.D, n = s.n;
  const int repeats = s.repeats;
  const auto& maps = s.maps;
  for (const auto& spec : maps) {
    auto map = deepdot::make_feature_map(spec, kernel, d, D, 3);
    if (map->min_fit_points() > n) {
      std::fprintf(stderr, "deepdot-bench: skipping %s: fitting it needs --n >= %llu\n", spec.c_str(),
                   static_cast<unsigned long long>(map->min_fit_points()));
      continue;
    }
    if (!map->is_fitted()) map->fit(X);
    arma::fmat Z;
    Row r;
    r.section = "feature map";
    r.name = spec;
    r.seconds = deepdot::best_seconds(repeats, [&] { Z = map->transform(Xf); });
    r.rate = static_cast<double>(n) / r.seconds;
    r.rate_unit = "points/s";
    const auto shapes = map->gemm_shapes();
    for (const auto& g : shapes)
      r.limit_seconds += g.single ? deepdot::sgemm_seconds(g.rows, g.inner, n, repeats)
                                  : deepdot::dgemm_seconds(g.rows, g.inner, n, repeats);
    r.limit_name = shapes.empty() ? "(not GEMM-shaped)" : describe_shapes(shapes, n);
    rows.push_back(r);
  }

}

// Accumulation of ZZ' and ZY' for one batch of float features, and the D x D solve.
void bench_accumulate(const Setup& s, const arma::fmat& Xf, std::vector<Row>& rows) {
  const arma::uword d = s.d, D = s.D, n = s.n, b = s.b;
  const int repeats = s.repeats;
  {
    const auto map = deepdot::make_feature_map("fourier", deepdot::make_kernel("recursive:2"), d, D, 3);
    const arma::fmat Zb = map->transform(arma::fmat(Xf.cols(0, std::min(n, b) - 1)));
    const arma::mat Yb(10, Zb.n_cols, arma::fill::randn);
    const double dsyrk = deepdot::syrk_seconds(D, Zb.n_cols, false, repeats);
    const double ssyrk = deepdot::syrk_seconds(D, Zb.n_cols, true, repeats);
    const auto accumulate_row = [&](deepdot::FeatureRidge& ridge, const char* name, double limit, const char* blas) {
      Row r;
      r.section = "accumulate";
      r.name = name;
      r.seconds = deepdot::best_seconds(repeats, [&] { ridge.accumulate(Zb, Yb); });
      r.rate = deepdot::syrk_flops(static_cast<double>(D), static_cast<double>(Zb.n_cols)) / r.seconds / 1e9;
      r.rate_unit = "GFLOP/s";
      r.limit_seconds = limit;
      r.limit_name = std::string(blas) + " " + std::to_string(D) + "x" + std::to_string(Zb.n_cols);
      rows.push_back(r);
    };
    deepdot::FeatureRidge ridge(D, 10, deepdot::RidgeSolver::cholesky, deepdot::Accumulation::exact);
    deepdot::FeatureRidge single(D, 10, deepdot::RidgeSolver::cholesky, deepdot::Accumulation::single);
    accumulate_row(ridge, "FeatureRidge exact", dsyrk, "DSYRK");
    accumulate_row(single, "FeatureRidge single", ssyrk, "SSYRK");

    Row s;
    s.section = "solver";
    s.name = "FeatureRidge Cholesky";
    s.seconds = deepdot::best_seconds(repeats, [&] { ridge.set_lambda(1e-3); }, false);
    s.rate = deepdot::cholesky_flops(static_cast<double>(D)) / s.seconds / 1e9;
    s.rate_unit = "GFLOP/s";
    s.limit_seconds = deepdot::cholesky_seconds(D, repeats);
    s.limit_name = "DPOTRF " + std::to_string(D);
    rows.push_back(s);
  }

}

// Exact kernel ridge, one lambda, against SYRK + Cholesky of n x n.
void bench_exact_ridge(const Setup& s, const deepdot::Kernel& kernel, std::vector<Row>& rows) {
  const arma::uword d = s.d, n_exact = s.n_exact;
  const int repeats = s.repeats;
  {
    const arma::mat Xe = unit_points(d, n_exact, 4);
    const arma::mat Ye = arma::sign(arma::mat(10, n_exact, arma::fill::randn));
    deepdot::KernelRidge ridge(kernel);
    Row r;
    r.section = "exact ridge";
    r.name = "KernelRidge n=" + std::to_string(n_exact);
    r.seconds = deepdot::best_seconds(repeats, [&] { ridge.fit(Xe, Ye, 1e-3); }, false);
    r.rate = static_cast<double>(n_exact) / r.seconds;
    r.rate_unit = "points/s";
    r.limit_seconds = deepdot::syrk_seconds(n_exact, d, false, repeats) + deepdot::cholesky_seconds(n_exact, repeats);
    r.limit_name = "DSYRK + DPOTRF " + std::to_string(n_exact);
    r.note = "(float factor + refinement)";
    rows.push_back(r);
  }

}

// End to end: Trainer::fit and predict with the squared loss, one lambda.
void bench_end_to_end(const Setup& s, const deepdot::Kernel& kernel, const arma::mat& X, std::vector<Row>& rows) {
  const arma::uword d = s.d, D = s.D, n = s.n, b = s.b;
  const std::string& kernel_spec = s.kernel_spec;
  const std::string& e2e_map = s.e2e_map;
  {
    deepdot::TrainerConfig cfg;
    cfg.kernel = kernel_spec;
    cfg.map = e2e_map;
    cfg.features = D;
    cfg.loss = deepdot::Loss::squared;
    cfg.lambdas = arma::vec{1e-3};
    cfg.validation_fraction = 0.0;
    cfg.batch_size = b;
    cfg.solver = deepdot::RidgeSolver::cholesky;
    cfg.accumulation = deepdot::Accumulation::single;  // the limit below is the float SYRK
    arma::ivec labels(n);
    for (arma::uword i = 0; i < n; ++i) labels[i] = X(0, i) > 0 ? 1 : 0;
    deepdot::Model model;
    Row r;
    r.section = "end to end";
    r.name = "fit+predict " + e2e_map;
    r.seconds = deepdot::best_seconds(1, [&] {
      model = deepdot::Trainer(cfg).fit(X, labels);
      const arma::mat scores = model.predict(X);
    }, false);
    r.rate = static_cast<double>(n) / r.seconds;
    r.rate_unit = "points/s";
    // Limits of the same work: the map's GEMMs twice (fit and predict), the
    // float SYRK of all n points (the trainer accumulates float features in
    // single precision), and the D x D Cholesky.
    const auto map = deepdot::make_feature_map(e2e_map, kernel, d, D, 1);
    if (!map->is_fitted()) map->fit(X);
    double gemm = 0.0;
    for (const auto& g : map->gemm_shapes())
      gemm += g.single ? deepdot::sgemm_seconds(g.rows, g.inner, n, 1) : deepdot::dgemm_seconds(g.rows, g.inner, n, 1);
    r.limit_seconds = 2 * gemm + deepdot::syrk_seconds(D, n, true, 1) + deepdot::cholesky_seconds(D, 1);
    r.limit_name = "2 x map GEMMs + SSYRK + DPOTRF";
    rows.push_back(r);
  }

}

int run_hot_paths(Args& args, bool json) {
  const bool quick = args.flag("quick");
  Setup s;
  s.d = args.integer("d", quick ? 64 : 784);
  s.D = args.integer("D", quick ? 256 : 4096);
  s.n = args.integer("n", quick ? 512 : 8192);
  s.b = args.integer("batch", quick ? 256 : 2048);
  s.n_exact = args.integer("exact-n", quick ? 300 : 4000);
  s.kernel_spec = args.str("kernel", "recursive:2");
  s.e2e_map = args.str("map", "fourier:orf");
  s.maps = deepdot::cli::split_specs(args.str("maps", "tensorsketch,srht,maclaurin,fourier,fourier:orf,layerwise,nystrom"), "maps");
  s.repeats = static_cast<int>(args.integer("repeats", 2));
  args.reject_unknown();
  if (s.d < 1 || s.D < 2 || s.n < 2 || s.b < 1 || s.n_exact < 2 || s.repeats < 1)
    throw std::invalid_argument("sizes must be positive (--D >= 2, --n >= 2, --exact-n >= 2) and --repeats >= 1");
  const arma::uword d = s.d, D = s.D, n = s.n, b = s.b;
  const int repeats = s.repeats;
  const std::string& kernel_spec = s.kernel_spec;
  const deepdot::Kernel kernel = deepdot::make_kernel(kernel_spec);
  const arma::mat X = unit_points(d, n, 1);
  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  std::vector<Row> rows;
  bench_maps(s, kernel, X, Xf, rows);
  bench_accumulate(s, Xf, rows);
  bench_exact_ridge(s, kernel, rows);
  bench_end_to_end(s, kernel, X, rows);

  Report rep;
  rep.text("machine", std::to_string(std::thread::hardware_concurrency()) + " hardware threads");
  rep.text("kernel", kernel_spec);
  rep.integer("d", d);
  rep.integer("D", D);
  rep.integer("n", n);
  rep.integer("batch", b);
  const double sg = deepdot::sgemm_seconds(D, d, n, repeats);
  rep.number("sgemm_gflops", deepdot::gemm_flops(D, d, n) / sg / 1e9, 4);
  const double dg = deepdot::dgemm_seconds(D, d, n, repeats);
  rep.number("dgemm_gflops", deepdot::gemm_flops(D, d, n) / dg / 1e9, 4);
  rep.raw("rows", json_rows(rows), text_rows(rows));
  rep.print(json);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return deepdot::cli::run_app("deepdot-bench", [&]() {
    Args args(argc, argv, {"json", "quick"});
    if (args.help()) {
      std::cout << kUsage;
      return 0;
    }
    const bool json = args.flag("json");
    deepdot::cli::set_threads(args.integer("threads", 0));
    if (args.str("stream", "") != "") return run_stream(args, json);
    return run_hot_paths(args, json);
  });
}
