// SPDX-License-Identifier: MIT
// deepdot._deepdot: the thin C++ layer under the Python package (python/deepdot).
//
// Layout: a C-ordered n x d numpy array holds point i in the d contiguous
// values row i, which is exactly the column-major d x n matrix (one column per
// point) the library works on. Inputs of that layout in float32 or float64 are
// therefore wrapped in an arma::Mat without copying; outputs (D x n or c x n in
// the library) are moved into a heap object owned by a capsule and handed to
// numpy as n x D C-ordered arrays, again without copying. The Python layer
// converts any other layout or dtype once, before calling in here.
//
// Every long computation runs with the GIL released; `threads` > 0 bounds the
// BLAS thread budget (which also bounds deepdot's own parallel loops) for the
// duration of the call.
#include <deepdot/deepdot.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <armadillo>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

extern "C" int openblas_get_num_threads(void);
extern "C" void openblas_set_num_threads(int);

namespace py = pybind11;

namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw std::invalid_argument(where + ": " + what);
}

// ----------------------------------------------------------------- threads

// The BLAS budget is process-wide. Concurrent calls that each ask for a bound
// share one setting: the first sets it, the last restores the previous value.
std::mutex threads_mutex;
int threads_users = 0;
int threads_saved = 0;

class ThreadBudget {
 public:
  explicit ThreadBudget(long threads) : active_(threads > 0) {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(threads_mutex);
    if (threads_users++ == 0) threads_saved = openblas_get_num_threads();
    openblas_set_num_threads(static_cast<int>(threads));
  }
  ~ThreadBudget() {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(threads_mutex);
    if (--threads_users == 0) openblas_set_num_threads(threads_saved);
  }
  ThreadBudget(const ThreadBudget&) = delete;
  ThreadBudget& operator=(const ThreadBudget&) = delete;

 private:
  bool active_;
};

void check_threads(long threads, const char* where) {
  if (threads < 0) fail(where, "threads must be >= 0 (0: the BLAS default), got " + std::to_string(threads));
}

// ------------------------------------------------------------ numpy <-> arma

bool is_f32(const py::array& a) { return a.dtype().is(py::dtype::of<float>()); }
bool is_f64(const py::array& a) { return a.dtype().is(py::dtype::of<double>()); }

// The d x n column-major view of a C-ordered n x d array (no copy). The array
// is only read, so read-only arrays (memory maps) are fine.
template <typename eT>
arma::Mat<eT> view(const py::array& a, const std::string& where, const char* name) {
  if (a.ndim() != 2)
    fail(where, std::string(name) + " must be a 2-D array (n points x d features), got " + std::to_string(a.ndim()) +
                    " dimension(s)");
  if (!a.dtype().is(py::dtype::of<eT>()) || !(a.flags() & py::array::c_style))
    fail(where, std::string(name) + " must be C-ordered float32 or float64 (the Python layer converts other layouts)");
  const auto n = static_cast<arma::uword>(a.shape(0));
  const auto d = static_cast<arma::uword>(a.shape(1));
  if (n == 0 || d == 0)
    fail(where, std::string(name) + " must have at least one point and one feature, got " + std::to_string(n) + " x " +
                    std::to_string(d));
  return arma::Mat<eT>(const_cast<eT*>(static_cast<const eT*>(a.data())), d, n, /*copy_aux_mem=*/false, /*strict=*/true);
}

// Inputs must be finite: names the first NaN or infinity by its numpy index.
template <typename eT>
void require_finite(const arma::Mat<eT>& X, const std::string& where, const char* name) {
  if (X.is_finite()) return;
  for (arma::uword j = 0; j < X.n_cols; ++j)
    for (arma::uword i = 0; i < X.n_rows; ++i) {
      const double v = static_cast<double>(X(i, j));
      if (!std::isfinite(v))
        fail(where, std::string(name) + "[" + std::to_string(j) + ", " + std::to_string(i) + "] is " +
                        (std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf")) +
                        ": every value must be finite (no NaN or inf)");
    }
}

// Runs f(); if the library rejects the input, names a NaN or infinity by its
// numpy index first. The good path pays no extra pass over X (the library
// validates X anyway), which matters for transform() and predict().
template <typename eT, typename F>
auto finite_or_rethrow(const arma::Mat<eT>& X, const std::string& where, const char* name, F&& f) {
  try {
    return f();
  } catch (const std::invalid_argument&) {
    require_finite(X, where, name);
    throw;
  }
}

// Hands a column-major rows x cols matrix to numpy as a cols x rows C-ordered
// array that owns it (no copy).
template <typename eT>
py::array to_numpy(arma::Mat<eT>&& M) {
  auto* heap = new arma::Mat<eT>(std::move(M));
  py::capsule owner(heap, [](void* p) { delete static_cast<arma::Mat<eT>*>(p); });
  const auto rows = static_cast<py::ssize_t>(heap->n_rows), cols = static_cast<py::ssize_t>(heap->n_cols);
  return py::array_t<eT>({cols, rows}, {rows * static_cast<py::ssize_t>(sizeof(eT)), static_cast<py::ssize_t>(sizeof(eT))},
                         heap->memptr(), owner);
}

py::bytes to_bytes(const std::string& s) { return py::bytes(s.data(), s.size()); }

// ------------------------------------------------------- scipy.sparse input

// A scipy.sparse CSR matrix, passed as (data, indices, indptr, (n, d)): its
// rows are the compressed columns of the d x n matrix the library works on,
// so nothing is transposed. Armadillo's compressed columns own their arrays
// and use 64-bit indices (scipy's are int32 or int64), so the arrays are
// copied once, O(nnz). The Python layer hands over canonical CSR (sorted,
// no duplicates); the structure is checked again here, since a corrupt one
// would make Armadillo read out of bounds.
template <typename Index>
arma::uvec index_copy(const py::array& a, const std::string& where, const char* name) {
  const py::array_t<Index, py::array::c_style> v(a);
  arma::uvec out(static_cast<arma::uword>(v.size()));
  const Index* p = v.data();
  for (arma::uword i = 0; i < out.n_elem; ++i) {
    if (p[i] < 0) fail(where, std::string(name) + "[" + std::to_string(i) + "] is negative");
    out[i] = static_cast<arma::uword>(p[i]);
  }
  return out;
}

arma::uvec indices_of(const py::array& a, const std::string& where, const char* name) {
  if (a.ndim() != 1) fail(where, std::string(name) + " must be 1-D");
  if (a.dtype().is(py::dtype::of<std::int32_t>())) return index_copy<std::int32_t>(a, where, name);
  if (a.dtype().is(py::dtype::of<std::int64_t>())) return index_copy<std::int64_t>(a, where, name);
  fail(where, std::string(name) + " must be int32 or int64");
}

template <typename eT>
arma::SpMat<eT> sparse_input(const py::tuple& csr, const std::string& where) {
  if (csr.size() != 4) fail(where, "sparse X must be (data, indices, indptr, (n, d))");
  const auto data = csr[0].cast<py::array_t<eT, py::array::c_style>>();
  const arma::uvec rows = indices_of(csr[1].cast<py::array>(), where, "X.indices");
  const arma::uvec ptr = indices_of(csr[2].cast<py::array>(), where, "X.indptr");
  const auto shape = csr[3].cast<std::pair<long, long>>();
  if (shape.first < 1 || shape.second < 1)
    fail(where, "X must have at least one point and one feature, got " + std::to_string(shape.first) + " x " +
                    std::to_string(shape.second));
  const auto n = static_cast<arma::uword>(shape.first), d = static_cast<arma::uword>(shape.second);
  const auto nnz = static_cast<arma::uword>(data.size());
  if (ptr.n_elem != n + 1 || ptr[0] != 0 || ptr[n] != nnz || rows.n_elem != nnz)
    fail(where, "sparse X has an inconsistent structure (indptr must have n + 1 entries from 0 to nnz)");
  for (arma::uword i = 0; i < n; ++i) {
    if (ptr[i + 1] < ptr[i]) fail(where, "X.indptr decreases at row " + std::to_string(i));
    for (arma::uword k = ptr[i]; k < ptr[i + 1]; ++k) {
      if (rows[k] >= d)
        fail(where, "X[" + std::to_string(i) + "] has column index " + std::to_string(rows[k]) + ", beyond the " +
                        std::to_string(d) + " columns");
      if (k > ptr[i] && rows[k] <= rows[k - 1])
        fail(where, "X[" + std::to_string(i) + "] has unsorted or repeated column indices");
      if (!std::isfinite(static_cast<double>(data.data()[k])))
        fail(where, "X[" + std::to_string(i) + ", " + std::to_string(rows[k]) +
                        "] is not finite: every value must be finite (no NaN or inf)");
    }
  }
  const arma::Col<eT> values(const_cast<eT*>(data.data()), nnz, /*copy_aux_mem=*/false, /*strict=*/true);
  return arma::SpMat<eT>(rows, ptr, values, d, n);
}

bool sparse_is_f32(const py::tuple& csr) { return csr.size() > 0 && is_f32(csr[0].cast<py::array>()); }

arma::sp_mat sparse_double(const py::tuple& csr, const std::string& where) {
  return sparse_is_f32(csr) ? deepdot::to_double(sparse_input<float>(csr, where)) : sparse_input<double>(csr, where);
}

// ------------------------------------------------------------ configuration

// A TrainerConfig as a dict: the Python estimators take their defaults from
// TrainerConfig{} (trainer_defaults) and, where a kernel or map is needed
// before any data, from fixed_defaults().
py::dict config_dict(const deepdot::TrainerConfig& c) {
  py::dict d;
  d["kernel"] = c.kernel;
  d["map"] = c.map;
  d["features"] = c.features;
  d["loss"] = deepdot::loss_name(c.loss);
  d["lambdas"] = std::vector<double>(c.lambdas.begin(), c.lambdas.end());
  d["validation_fraction"] = c.validation_fraction;
  d["refit_on_all"] = c.refit_on_all;
  d["norm_bound"] = c.norm_bound;
  d["seed"] = c.seed;
  d["precision"] = deepdot::precision_name(c.precision);
  d["feature_scaling"] = deepdot::feature_scaling_name(c.feature_scaling);
  d["scaling"] = deepdot::scaling_name(c.scaling);
  d["lift_scale"] = c.lift_scale;
  d["batch_size"] = c.batch_size;
  d["map_sample"] = c.map_sample;
  d["certificate"] = c.certificate;
  d["certificate_sample"] = c.certificate_sample;
  d["tolerance"] = c.solver_options.tolerance;
  d["max_iterations"] = c.solver_options.max_iterations;
  d["budget_seconds"] = c.budget.seconds;
  d["memory_budget_gib"] = c.budget.bytes / 1073741824.0;
  return d;
}
py::dict trainer_defaults() { return config_dict(deepdot::TrainerConfig()); }
py::dict fixed_defaults() { return config_dict(deepdot::fixed_defaults()); }

// Starts from TrainerConfig{} and overrides the fields present in `d`; an
// unknown key is an error (a misspelt field must not be ignored silently).
deepdot::TrainerConfig make_config(const py::dict& d) {
  const char* where = "deepdot.TrainerConfig";
  deepdot::TrainerConfig c;
  for (const auto& item : d) {
    const std::string key = py::str(item.first);
    const py::handle v = item.second;
    if (v.is_none()) continue;
    if (key == "kernel") c.kernel = v.cast<std::string>();
    else if (key == "map") c.map = v.cast<std::string>();
    else if (key == "features") {
      const long D = v.cast<long>();
      if (D < 0) fail(where, "n_components (features) must be >= 1, or 0 for the rule, got " + std::to_string(D));
      c.features = static_cast<arma::uword>(D);
    } else if (key == "loss") c.loss = deepdot::parse_loss(v.cast<std::string>());
    else if (key == "lambdas") c.lambdas = arma::vec(v.cast<std::vector<double>>());
    else if (key == "validation_fraction") c.validation_fraction = v.cast<double>();
    else if (key == "refit_on_all") c.refit_on_all = v.cast<bool>();
    else if (key == "norm_bound") c.norm_bound = v.cast<double>();
    else if (key == "seed") c.seed = v.cast<std::uint64_t>();
    else if (key == "precision") c.precision = deepdot::parse_precision(v.cast<std::string>());
    else if (key == "scaling") c.scaling = deepdot::parse_scaling(v.cast<std::string>());
    else if (key == "feature_scaling") c.feature_scaling = deepdot::parse_feature_scaling(v.cast<std::string>());
    else if (key == "lift_scale") c.lift_scale = v.cast<double>();
    else if (key == "batch_size") {
      const long b = v.cast<long>();
      if (b < 1) fail(where, "batch_size must be >= 1, got " + std::to_string(b));
      c.batch_size = static_cast<arma::uword>(b);
    } else if (key == "map_sample") {
      const long m = v.cast<long>();
      if (m < 1) fail(where, "map_sample must be >= 1, got " + std::to_string(m));
      c.map_sample = static_cast<arma::uword>(m);
    } else if (key == "certificate") c.certificate = v.cast<bool>();
    else if (key == "certificate_sample") {
      const long m = v.cast<long>();
      if (m < 1) fail(where, "certificate_sample must be >= 1, got " + std::to_string(m));
      c.certificate_sample = static_cast<arma::uword>(m);
    } else if (key == "tolerance") c.solver_options.tolerance = v.cast<double>();
    else if (key == "budget_seconds") c.budget.seconds = v.cast<double>();
    else if (key == "memory_budget_gib") c.budget.bytes = v.cast<double>() * 1073741824.0;
    else if (key == "max_iterations") {
      const long m = v.cast<long>();
      if (m < 1) fail(where, "max_iter must be >= 1, got " + std::to_string(m));
      c.solver_options.max_iterations = static_cast<arma::uword>(m);
    } else fail(where, "unknown field '" + key + "'");
  }
  return c;
}

// ------------------------------------------------------------------- models

// X as double: float32 inputs are converted once (the Trainer and Model work in double).
// check: name the first NaN or infinity now (fits); predict() leaves that to finite_or_rethrow().
// points: X holds points (not features), so float rounding outside the unit ball is removed.
arma::mat double_input(const py::array& X, const std::string& where, arma::mat& storage, bool check = true,
                       bool points = true) {
  if (is_f64(X)) {
    arma::mat v = view<double>(X, where, "X");
    if (check) require_finite(v, where, "X");
    return v;
  }
  const arma::fmat v = view<float>(X, where, "X");
  if (check) require_finite(v, where, "X");
  storage = arma::conv_to<arma::mat>::from(v);
  if (points) {
    // Points inside the unit ball up to float rounding (as the library's float
    // paths accept them) are put on the sphere, since the double paths allow
    // only double rounding; this moves them by at most 64 float epsilons.
    const arma::rowvec norms = arma::sqrt(arma::sum(arma::square(storage), 0));
    for (arma::uword j = 0; j < storage.n_cols; ++j)
      if (norms(j) > 1.0 && norms(j) <= deepdot::unit_ball_tolerance<float>()) storage.col(j) /= norms(j);
  }
  return arma::mat(storage.memptr(), storage.n_rows, storage.n_cols, false, true);
}

arma::ivec labels_of(const py::array_t<std::int64_t, py::array::c_style>& labels, arma::uword n,
                     const std::string& where, const char* name) {
  if (labels.ndim() != 1 || static_cast<arma::uword>(labels.shape(0)) != n)
    fail(where, std::string(name) + " must have one label per point (" + std::to_string(n) + ")");
  return arma::conv_to<arma::ivec>::from(
      arma::Col<std::int64_t>(const_cast<std::int64_t*>(labels.data()), n, false, true));
}

// X: a dense array or a CSR tuple (sparse_input). X_val/labels_val: None, or
// an explicit validation set (dense X only: the Trainer's overload).
deepdot::Model fit_classifier(const py::object& X, const py::array_t<std::int64_t, py::array::c_style>& labels,
                              const py::dict& config, long threads, const py::object& X_val,
                              const py::object& labels_val) {
  const std::string where = "deepdot.Classifier.fit()";
  check_threads(threads, where.c_str());
  const deepdot::Trainer trainer(make_config(config));
  if (py::isinstance<py::tuple>(X)) {
    if (!X_val.is_none()) fail(where, "validation_data needs dense X (the sparse fit splits its own validation points)");
    const arma::sp_mat Xs = sparse_double(X.cast<py::tuple>(), where);
    const arma::ivec y = labels_of(labels, Xs.n_cols, where, "y");
    py::gil_scoped_release release;
    ThreadBudget budget(threads);
    return trainer.fit(Xs, y);
  }
  arma::mat storage, storage_val;
  const arma::mat Xm = double_input(X.cast<py::array>(), where, storage);
  const arma::ivec y = labels_of(labels, Xm.n_cols, where, "y");
  if (X_val.is_none()) {
    py::gil_scoped_release release;
    ThreadBudget budget(threads);
    return trainer.fit(Xm, y);
  }
  const arma::mat Xv = double_input(X_val.cast<py::array>(), where, storage_val);
  const arma::ivec yv = labels_of(labels_val.cast<py::array_t<std::int64_t, py::array::c_style>>(), Xv.n_cols, where,
                                  "the validation labels");
  py::gil_scoped_release release;
  ThreadBudget budget(threads);
  return trainer.fit(Xm, y, Xv, yv);
}

deepdot::Model fit_regressor(const py::object& X, const py::array& Y, const py::dict& config, long threads,
                             const py::object& X_val, const py::object& Y_val) {
  const std::string where = "deepdot.Regressor.fit()";
  check_threads(threads, where.c_str());
  const deepdot::Trainer trainer(make_config(config));
  const arma::mat Ym = view<double>(Y, where, "y");  // n x c C-ordered = c x n
  require_finite(Ym, where, "y");
  auto same_points = [&](arma::uword n) {
    if (Ym.n_cols != n)
      fail(where, "y has " + std::to_string(Ym.n_cols) + " rows but X has " + std::to_string(n) + " points");
  };
  if (py::isinstance<py::tuple>(X)) {
    if (!X_val.is_none()) fail(where, "validation_data needs dense X (the sparse fit splits its own validation points)");
    const arma::sp_mat Xs = sparse_double(X.cast<py::tuple>(), where);
    same_points(Xs.n_cols);
    py::gil_scoped_release release;
    ThreadBudget budget(threads);
    return trainer.fit_regression(Xs, Ym);
  }
  arma::mat storage, storage_val;
  const arma::mat Xm = double_input(X.cast<py::array>(), where, storage);
  same_points(Xm.n_cols);
  if (X_val.is_none()) {
    py::gil_scoped_release release;
    ThreadBudget budget(threads);
    return trainer.fit_regression(Xm, Ym);
  }
  const arma::mat Xv = double_input(X_val.cast<py::array>(), where, storage_val);
  const arma::mat Yv = view<double>(Y_val.cast<py::array>(), where, "the validation targets");
  require_finite(Yv, where, "the validation targets");
  if (Yv.n_cols != Xv.n_cols || Yv.n_rows != Ym.n_rows)
    fail(where, "the validation targets must be " + std::to_string(Xv.n_cols) + " x " + std::to_string(Ym.n_rows) +
                    " (one row per validation point, as many outputs as y)");
  py::gil_scoped_release release;
  ThreadBudget budget(threads);
  return trainer.fit_regression(Xm, Ym, Xv, Yv);
}

py::array model_predict(const deepdot::Model& m, const py::object& Xo, long threads) {
  const std::string where = "deepdot.Model.predict()";
  check_threads(threads, where.c_str());
  if (m.empty()) fail(where, "the model is empty");
  if (py::isinstance<py::tuple>(Xo)) {
    const arma::sp_mat Xs = sparse_double(Xo.cast<py::tuple>(), where);
    if (Xs.n_rows != m.parts().input_dim)
      fail(where, "X has " + std::to_string(Xs.n_rows) + " features, but the model is expecting " +
                      std::to_string(m.parts().input_dim) + " features as input");
    arma::mat P;
    {
      py::gil_scoped_release release;
      ThreadBudget budget(threads);
      P = m.predict(Xs);
    }
    return to_numpy(std::move(P));
  }
  const py::array X = Xo.cast<py::array>();
  arma::mat storage;
  const arma::mat Xm = double_input(X, where, storage, /*check=*/false);
  if (Xm.n_rows != m.parts().input_dim)
    fail(where, "X has " + std::to_string(Xm.n_rows) + " features, but the model is expecting " +
                    std::to_string(m.parts().input_dim) + " features as input");
  arma::mat P;
  {
    py::gil_scoped_release release;
    ThreadBudget budget(threads);
    P = finite_or_rethrow(Xm, where, "X", [&] { return m.predict(Xm); });
  }
  return to_numpy(std::move(P));
}

py::dict model_info(const deepdot::Model& m) {
  const auto& p = m.parts();
  py::dict d;
  d["mode"] = p.mode == deepdot::ModelMode::features ? "features" : "kernel_limit";
  d["kernel"] = p.kernel.spec();
  d["map"] = p.mode == deepdot::ModelMode::features ? p.map->spec() : std::string("exact");
  d["features"] = p.mode == deepdot::ModelMode::features ? p.map->output_dim() : p.dual.n_rows;
  d["loss"] = deepdot::loss_name(p.loss);
  d["lambdas"] = std::vector<double>(p.lambdas.begin(), p.lambdas.end());
  d["norm_bound"] = p.norm_bound;
  d["seed"] = p.seed;
  d["feature_scaling"] = deepdot::feature_scaling_name(p.feature_scaling);
  d["feature_offset"] = std::vector<double>(p.feature_offset.begin(), p.feature_offset.end());
  d["feature_factor"] = std::vector<double>(p.feature_factor.begin(), p.feature_factor.end());
  d["scaling"] = deepdot::scaling_name(p.scaling);
  d["scaling_factor"] = p.scaling_factor;
  d["precision"] = deepdot::precision_name(p.precision);
  d["input_dim"] = p.input_dim;
  d["training_size"] = p.training_size;
  d["outputs"] = m.empty() ? 0 : m.num_outputs();
  d["classes"] = std::vector<std::int64_t>(p.classes.begin(), p.classes.end());
  d["library_version"] = p.library_version;
  py::list meta;
  for (const auto& kv : p.metadata) meta.append(py::make_tuple(kv.first, kv.second));
  d["metadata"] = meta;
  return d;
}

// -------------------------------------------------------------- feature maps

// A feature map with the scaling that brings raw inputs into the unit ball.
struct MapHolder {
  std::shared_ptr<deepdot::FeatureMap> map;
  deepdot::Scaling scaling = deepdot::Scaling::unit_norm;
  double factor = 1.0;  // max_norm's divisor

  // Scaled copy of X (none: X itself, no copy).
  template <typename eT>
  arma::Mat<eT> scaled(const arma::Mat<eT>& X) const {
    if (scaling == deepdot::Scaling::none) return arma::Mat<eT>(const_cast<eT*>(X.memptr()), X.n_rows, X.n_cols, false, true);
    arma::Mat<eT> Xs = X;
    if (scaling == deepdot::Scaling::unit_norm) {
      deepdot::normalize_columns(Xs);
    } else {
      // As deepdot::Scaler: divide by the training factor, clip points still outside onto the sphere.
      Xs /= static_cast<eT>(factor);
      const arma::Row<eT> norms = arma::sqrt(arma::sum(arma::square(Xs), 0));
      for (arma::uword j = 0; j < Xs.n_cols; ++j)
        if (norms(j) > eT(1)) Xs.col(j) /= norms(j);
    }
    return Xs;
  }

  // The same for compressed columns: the stored values only (no centring).
  template <typename eT>
  arma::SpMat<eT> scaled(const arma::SpMat<eT>& X) const {
    if (scaling == deepdot::Scaling::none) return X;
    arma::vec factor(X.n_cols, arma::fill::ones);
    const arma::vec norms = deepdot::column_norms(X);
    for (arma::uword j = 0; j < X.n_cols; ++j) {
      if (scaling == deepdot::Scaling::unit_norm) {
        if (norms[j] > 0) factor[j] = 1.0 / norms[j];
      } else {
        factor[j] = 1.0 / (norms[j] / factor_or_one() > 1.0 ? norms[j] : factor_or_one());
      }
    }
    return deepdot::scale_columns(X, factor);
  }
  double factor_or_one() const { return factor > 0 ? factor : 1.0; }
};

std::shared_ptr<MapHolder> make_map(const std::string& map_spec, const std::string& kernel_spec, long d, long D,
                                    std::uint64_t seed, const std::string& scaling) {
  const char* where = "deepdot.FeatureMap";
  if (d < 1) fail(where, "the input dimension must be >= 1, got " + std::to_string(d));
  if (D < 1) fail(where, "n_components must be >= 1, got " + std::to_string(D));
  auto h = std::make_shared<MapHolder>();
  h->scaling = deepdot::parse_scaling(scaling);
  if (h->scaling == deepdot::Scaling::sphere_lift)
    fail(where, "scaling 'sphere-lift' is available in Classifier, Regressor and KernelRidge (stored in the model), "
                "not in FeatureMap: use unit-norm, max-norm or none here");
  h->map = deepdot::make_feature_map(map_spec, deepdot::make_kernel(kernel_spec), static_cast<arma::uword>(d),
                                     static_cast<arma::uword>(D), seed);
  return h;
}

// Fits the scaling on all of X and a data-dependent map on its first
// max(sample, D) points (capped at n), as the Trainer does.
void map_fit_sparse(MapHolder& h, const py::tuple& X, long sample, long threads) {
  const std::string where = "deepdot.FeatureMap.fit()";
  const arma::sp_mat Xs = sparse_double(X, where);
  if (Xs.n_rows != h.map->input_dim())
    fail(where, "X has " + std::to_string(Xs.n_rows) + " features, but the map was built for " +
                    std::to_string(h.map->input_dim()));
  py::gil_scoped_release release;
  ThreadBudget budget(threads);
  if (h.scaling == deepdot::Scaling::max_norm) {
    deepdot::Scaler s(h.scaling);
    s.fit(Xs);
    h.factor = s.factor();
  }
  if (!h.map->is_fitted()) {
    const arma::uword m = std::min<arma::uword>(Xs.n_cols, std::max<arma::uword>(static_cast<arma::uword>(sample),
                                                                                  h.map->output_dim()));
    h.map->fit_sparse(h.scaled(arma::sp_mat(Xs.cols(0, m - 1))));
  }
}

void map_fit(MapHolder& h, const py::object& Xo, long sample, long threads) {
  const std::string where = "deepdot.FeatureMap.fit()";
  check_threads(threads, where.c_str());
  if (sample < 1) fail(where, "map_sample must be >= 1, got " + std::to_string(sample));
  if (py::isinstance<py::tuple>(Xo)) return map_fit_sparse(h, Xo.cast<py::tuple>(), sample, threads);
  const py::array X = Xo.cast<py::array>();
  arma::mat storage;
  const arma::mat Xm = double_input(X, where, storage);
  if (Xm.n_rows != h.map->input_dim())
    fail(where, "X has " + std::to_string(Xm.n_rows) + " features, but the map was built for " +
                    std::to_string(h.map->input_dim()));
  py::gil_scoped_release release;
  ThreadBudget budget(threads);
  if (h.scaling == deepdot::Scaling::max_norm) {
    deepdot::Scaler s(h.scaling);
    s.fit(Xm);
    h.factor = s.factor();
  }
  if (!h.map->is_fitted()) {
    const arma::uword m = std::min<arma::uword>(Xm.n_cols, std::max<arma::uword>(static_cast<arma::uword>(sample),
                                                                                  h.map->output_dim()));
    const arma::mat head(const_cast<double*>(Xm.memptr()), Xm.n_rows, m, false, true);
    h.map->fit(h.scaled(head));
  }
}

// Seconds the library's transform() took in this thread's last FeatureMap.transform(),
// so scripts/bench_python.py can split a call's time into the library's and the rest.
thread_local double last_library_seconds = 0.0;

template <typename eT>
py::array map_transform_typed(const MapHolder& h, const py::array& X, const std::string& where, long threads) {
  const arma::Mat<eT> Xv = view<eT>(X, where, "X");
  if (Xv.n_rows != h.map->input_dim())
    fail(where, "X has " + std::to_string(Xv.n_rows) + " features, but FeatureMap is expecting " +
                    std::to_string(h.map->input_dim()) + " features as input");
  arma::Mat<eT> Z;
  {
    py::gil_scoped_release release;
    ThreadBudget budget(threads);
    const auto t0 = std::chrono::steady_clock::now();
    Z = finite_or_rethrow(Xv, where, "X", [&] { return h.map->transform(h.scaled(Xv)); });
    last_library_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return to_numpy(std::move(Z));
}

// float64 input computed in single precision: X converted to float once
// (n x d values), then the float path; the features are float32.
py::array map_transform_single(const MapHolder& h, const py::array& X, const std::string& where, long threads) {
  const arma::Mat<double> Xv = view<double>(X, where, "X");
  if (Xv.n_rows != h.map->input_dim())
    fail(where, "X has " + std::to_string(Xv.n_rows) + " features, but FeatureMap is expecting " +
                    std::to_string(h.map->input_dim()) + " features as input");
  arma::fmat Z;
  {
    py::gil_scoped_release release;
    ThreadBudget budget(threads);
    const auto t0 = std::chrono::steady_clock::now();
    const arma::fmat Xf = arma::conv_to<arma::fmat>::from(Xv);
    Z = finite_or_rethrow(Xv, where, "X", [&] { return h.map->transform(h.scaled(Xf)); });
    last_library_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return to_numpy(std::move(Z));
}

template <typename eT>
py::array map_transform_sparse(const MapHolder& h, const py::tuple& X, const std::string& where, long threads) {
  const arma::SpMat<eT> Xs = sparse_input<eT>(X, where);
  if (Xs.n_rows != h.map->input_dim())
    fail(where, "X has " + std::to_string(Xs.n_rows) + " features, but FeatureMap is expecting " +
                    std::to_string(h.map->input_dim()) + " features as input");
  arma::Mat<eT> Z;
  {
    py::gil_scoped_release release;
    ThreadBudget budget(threads);
    const auto t0 = std::chrono::steady_clock::now();
    Z = h.map->transform(h.scaled(Xs));
    last_library_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return to_numpy(std::move(Z));
}

// precision "float": float32 features whatever the input dtype (the
// library's default); "double": features of the input's dtype.
py::array map_transform(const MapHolder& h, const py::object& Xo, long threads, const std::string& precision) {
  const std::string where = "deepdot.FeatureMap.transform()";
  check_threads(threads, where.c_str());
  const bool single = deepdot::parse_precision(precision) == deepdot::Precision::single_precision;
  if (!h.map->is_fitted()) fail(where, "the map '" + h.map->spec() + "' is data-dependent and has not been fitted");
  if (py::isinstance<py::tuple>(Xo)) {
    const py::tuple X = Xo.cast<py::tuple>();
    if (sparse_is_f32(X)) return map_transform_sparse<float>(h, X, where, threads);
    if (!single) return map_transform_sparse<double>(h, X, where, threads);
    const arma::sp_fmat Xf = deepdot::to_float(sparse_input<double>(X, where));
    arma::fmat Z;
    {
      py::gil_scoped_release release;
      ThreadBudget budget(threads);
      if (Xf.n_rows != h.map->input_dim())
        fail(where, "X has " + std::to_string(Xf.n_rows) + " features, but FeatureMap is expecting " +
                        std::to_string(h.map->input_dim()) + " features as input");
      Z = h.map->transform(h.scaled(Xf));
    }
    return to_numpy(std::move(Z));
  }
  const py::array X = Xo.cast<py::array>();
  if (is_f32(X)) return map_transform_typed<float>(h, X, where, threads);
  return single ? map_transform_single(h, X, where, threads) : map_transform_typed<double>(h, X, where, threads);
}

// The map's complete state (FeatureMap::save) after a small header of the scaling.
py::bytes map_to_bytes(const MapHolder& h) {
  std::ostringstream out(std::ios::binary);
  const std::uint8_t s = static_cast<std::uint8_t>(h.scaling);
  out.write(reinterpret_cast<const char*>(&s), 1);
  out.write(reinterpret_cast<const char*>(&h.factor), sizeof(double));
  h.map->save(out);
  return to_bytes(out.str());
}

std::shared_ptr<MapHolder> map_from_bytes(const py::bytes& bytes) {
  const char* where = "deepdot.FeatureMap.__setstate__()";
  std::istringstream in(std::string(bytes), std::ios::binary);
  auto h = std::make_shared<MapHolder>();
  std::uint8_t s = 255;
  in.read(reinterpret_cast<char*>(&s), 1);
  in.read(reinterpret_cast<char*>(&h->factor), sizeof(double));
  if (!in || s > 2 || !(h->factor > 0) || !std::isfinite(h->factor)) fail(where, "the pickled map's header is corrupt");
  h->scaling = static_cast<deepdot::Scaling>(s);
  h->map = std::shared_ptr<deepdot::FeatureMap>(deepdot::FeatureMap::load(in));
  return h;
}

// ------------------------------------------------------ kernels and errors

py::array gram_py(const std::string& spec, const py::array& X, const py::object& Y, long threads) {
  const std::string where = "deepdot.gram()";
  check_threads(threads, where.c_str());
  const deepdot::Kernel k = deepdot::make_kernel(spec);
  auto run = [&](auto tag) -> py::array {
    using eT = decltype(tag);
    const arma::Mat<eT> Xv = view<eT>(X, where, "X");
    require_finite(Xv, where, "X");
    arma::Mat<eT> K;
    if (Y.is_none()) {
      py::gil_scoped_release release;
      ThreadBudget budget(threads);
      K = deepdot::gram(k, Xv);
    } else {
      const py::array Ya = Y.cast<py::array>();
      if (!Ya.dtype().is(X.dtype())) fail(where, "X and Y must have the same dtype");
      const arma::Mat<eT> Yv = view<eT>(Ya, where, "Y");
      require_finite(Yv, where, "Y");
      py::gil_scoped_release release;
      ThreadBudget budget(threads);
      // K(Y, X) is m x n column-major: the memory of the n x m C-ordered K(X, Y).
      K = deepdot::gram(k, Yv, Xv);
    }
    return to_numpy(std::move(K));  // K(X, X) is symmetric: either order
  };
  return is_f32(X) ? run(float{}) : run(double{});
}

py::dict approximation_error_py(const std::string& spec, const py::array& X, const py::array& Z) {
  const std::string where = "deepdot.approximation_error()";
  const deepdot::Kernel k = deepdot::make_kernel(spec);
  arma::mat xs, zs;
  const arma::mat Xm = double_input(X, where, xs);
  const arma::mat Zm = double_input(Z, where, zs, true, /*points=*/false);
  if (Zm.n_cols != Xm.n_cols)
    fail(where, "X has " + std::to_string(Xm.n_cols) + " points but the features have " + std::to_string(Zm.n_cols));
  deepdot::ApproximationError e;
  {
    py::gil_scoped_release release;
    e = deepdot::approximation_error(deepdot::gram(k, Xm), Zm, k.coefficients(1)(0));
  }
  py::dict d;
  d["relative_frobenius"] = e.relative_frobenius;
  d["relative_frobenius_nonconstant"] = e.relative_frobenius_nonconstant;
  d["max_abs_error"] = e.max_abs_error;
  d["relative_spectral"] = e.relative_spectral;
  return d;
}

}  // namespace

PYBIND11_MODULE(_deepdot, m) {
  m.doc() = "deepdot's C++ layer; use the deepdot package, not this module.";
  m.attr("version") = deepdot::version;
  m.def("trainer_defaults", &trainer_defaults, "TrainerConfig{} as a dict (the estimators' defaults).");
  m.def("fixed_defaults", &fixed_defaults,
        "deepdot::fixed_defaults() as a dict: TrainerConfig{} with the automatic fields fixed (FeatureMap, KernelRidge).");
  m.def("feature_map_names", &deepdot::feature_map_names);
  m.def("blas_threads", [] { return openblas_get_num_threads(); });
  // For the tests: the BLAS budget seen inside a call made with `threads`.
  m.def("_blas_threads_within", [](long threads) {
    check_threads(threads, "deepdot._blas_threads_within()");
    py::gil_scoped_release release;
    ThreadBudget budget(threads);
    return openblas_get_num_threads();
  });

  py::class_<deepdot::Model>(m, "Model")
      .def("predict", &model_predict, py::arg("X"), py::arg("threads") = 0, "X: n x d; returns n x c scores.")
      .def("info", &model_info)
      .def("to_bytes", [](const deepdot::Model& model) { return to_bytes(model.serialize()); },
           "The model file image (versioned, checksummed).")
      .def_static("from_bytes",
                  [](const py::bytes& b, const std::string& name) {
                    return deepdot::Model::deserialize(std::string(b), name);
                  },
                  py::arg("data"), py::arg("name") = "pickled model");
  m.def("fit_classifier", &fit_classifier, py::arg("X"), py::arg("labels"), py::arg("config"), py::arg("threads") = 0,
        py::arg("X_val") = py::none(), py::arg("labels_val") = py::none());
  m.def("fit_regressor", &fit_regressor, py::arg("X"), py::arg("Y"), py::arg("config"), py::arg("threads") = 0,
        py::arg("X_val") = py::none(), py::arg("Y_val") = py::none());

  py::class_<MapHolder, std::shared_ptr<MapHolder>>(m, "Map")
      .def(py::init(&make_map), py::arg("map"), py::arg("kernel"), py::arg("input_dim"), py::arg("n_components"),
           py::arg("seed"), py::arg("scaling"))
      .def("fit", &map_fit, py::arg("X"), py::arg("sample"), py::arg("threads") = 0)
      .def("transform", &map_transform, py::arg("X"), py::arg("threads") = 0, py::arg("precision") = "double")
      .def_property_readonly("spec", [](const MapHolder& h) { return h.map->spec(); })
      .def_property_readonly("kernel", [](const MapHolder& h) { return h.map->kernel().spec(); })
      .def_property_readonly("input_dim", [](const MapHolder& h) { return h.map->input_dim(); })
      .def_property_readonly("output_dim", [](const MapHolder& h) { return h.map->output_dim(); })
      .def_property_readonly("fitted", [](const MapHolder& h) { return h.map->is_fitted(); })
      .def_property_readonly("scaling_factor", [](const MapHolder& h) { return h.factor; })
      .def("to_bytes", &map_to_bytes)
      .def_static("from_bytes", &map_from_bytes);

  py::class_<deepdot::Kernel>(m, "Kernel")
      .def(py::init(&deepdot::make_kernel), py::arg("spec"))
      .def("__call__", [](const deepdot::Kernel& k, double t) { return k(t); }, py::arg("t"))
      .def("__call__",
           [](const deepdot::Kernel& k, const py::array_t<double, py::array::c_style | py::array::forcecast>& t) {
             py::array_t<double> out(t.request().shape);
             const double* in = t.data();
             double* o = out.mutable_data();
             for (py::ssize_t i = 0; i < t.size(); ++i) o[i] = k(in[i]);
             return out;
           },
           py::arg("t"))
      .def("coefficients", [](const deepdot::Kernel& k, long n) {
             if (n < 0) fail("deepdot.kernel.coefficients()", "n must be >= 0, got " + std::to_string(n));
             const arma::vec a = k.coefficients(static_cast<arma::uword>(n));
             return py::array_t<double>(static_cast<py::ssize_t>(a.n_elem), a.memptr());
           }, py::arg("n"))
      .def("tail", [](const deepdot::Kernel& k, long n) {
             if (n < 0) fail("deepdot.kernel.tail()", "n must be >= 0, got " + std::to_string(n));
             return k.tail(static_cast<arma::uword>(n));
           }, py::arg("degree"))
      .def_property_readonly("spec", &deepdot::Kernel::spec)
      .def_property_readonly("formula", &deepdot::Kernel::formula)
      .def_property_readonly("is_polynomial", &deepdot::Kernel::is_polynomial)
      .def("value_at_one", &deepdot::Kernel::value_at_one);

  m.def("gram", &gram_py, py::arg("kernel"), py::arg("X"), py::arg("Y") = py::none(), py::arg("threads") = 0);
  m.def("approximation_error", &approximation_error_py, py::arg("kernel"), py::arg("X"), py::arg("Z"));

  m.def("load_fashion_mnist", [](const std::string& split, long max_count) {
    deepdot::LabelledImages data;
    {
      py::gil_scoped_release release;
      data = deepdot::load_fashion_mnist(split, max_count > 0 ? static_cast<arma::uword>(max_count) : deepdot::idx_all);
    }
    const arma::Col<std::int64_t> labels = arma::conv_to<arma::Col<std::int64_t>>::from(data.labels);
    return py::make_tuple(to_numpy(std::move(data.images)),
                          py::array_t<std::int64_t>(static_cast<py::ssize_t>(labels.n_elem), labels.memptr()));
  }, py::arg("split"), py::arg("max_count") = 0);

  // For scripts/bench_python.py: the library's share of the last transform() in this thread.
  m.def("_last_library_seconds", [] { return last_library_seconds; });

  // For the zero-copy tests: the address the library sees for X, and an output
  // made by the library together with the address of its buffer.
  m.def("_view_address", [](const py::array& X) {
    const auto where = std::string("deepdot._view_address()");
    return is_f32(X) ? reinterpret_cast<std::uintptr_t>(view<float>(X, where, "X").memptr())
                     : reinterpret_cast<std::uintptr_t>(view<double>(X, where, "X").memptr());
  });
  m.def("_owned_output", [](long rows, long cols) {
    arma::mat M(static_cast<arma::uword>(rows), static_cast<arma::uword>(cols), arma::fill::zeros);
    const auto address = reinterpret_cast<std::uintptr_t>(M.memptr());
    return py::make_tuple(to_numpy(std::move(M)), address);
  });
}
