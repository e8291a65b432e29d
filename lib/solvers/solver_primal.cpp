// SPDX-License-Identifier: MIT
#include "solvers/solver_primal.hpp"

#include <deepdot/distributed/communicator.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

namespace deepdot::detail {

namespace {

// The objective with its data; every product with Z is a float GEMM over all
// c outputs at once (one read of Z), and everything of size c x n or D x c is
// handled in double.
class Objective {
 public:
  // comm: null for one process; else Z and Y are this rank's points, n the
  // count over all ranks, and the sums over points (Z R', the data term) are
  // completed by an allreduce, so every rank follows the same iterates.
  Objective(Loss loss, const arma::fmat& Z, const arma::mat& Y, const arma::vec& lambdas,
            const Communicator* comm = nullptr, double n = 0.0)
      : loss_(loss), Z_(Z), Y_(Y), lambdas_(lambdas), n_(comm ? n : static_cast<double>(Z.n_cols)), comm_(comm) {
    if (loss_ == Loss::logistic && Y.n_rows > 1) {
      cls_.set_size(Y.n_cols);
      for (arma::uword i = 0; i < Y.n_cols; ++i) cls_[i] = Y.col(i).index_max();
    }
  }

  // c x n scores V'Z.
  arma::mat scores(const arma::mat& V) {
    ++passes;
    const arma::fmat Vf = arma::conv_to<arma::fmat>::from(V);
    return arma::conv_to<arma::mat>::from(Vf.t() * Z_);
  }
  // D x c: Z R'.
  arma::mat times(const arma::mat& R) {
    ++passes;
    const arma::fmat Rf = arma::conv_to<arma::fmat>::from(R);
    arma::mat P = arma::conv_to<arma::mat>::from(Z_ * Rf.t());
    if (comm_) {
      arma::vec flat(P.memptr(), P.n_elem, false, true);
      comm_->allreduce_sum(flat);
    }
    return P;
  }

  // (1/n) sum_i loss(s_i, y_i); fills R = d/dS of that (c x n) when R != nullptr.
  double data_term(const arma::mat& S, arma::mat* R) const {
    double total = 0.0;
    if (R) R->set_size(S.n_rows, S.n_cols);
    if (loss_ == Loss::squared_hinge) {
      for (arma::uword i = 0; i < S.n_cols; ++i)
        for (arma::uword j = 0; j < S.n_rows; ++j) {
          const double m = std::max(0.0, 1.0 - Y_(j, i) * S(j, i));
          total += m * m;
          if (R) (*R)(j, i) = -2.0 * Y_(j, i) * m / n_;
        }
    } else if (S.n_rows == 1) {  // binary logistic: log(1 + exp(-m)), m = y s
      for (arma::uword i = 0; i < S.n_cols; ++i) {
        const double m = Y_(0, i) * S(0, i);
        total += m > 0.0 ? std::log1p(std::exp(-m)) : -m + std::log1p(std::exp(m));
        if (R) (*R)(0, i) = -Y_(0, i) / (1.0 + std::exp(m)) / n_;
      }
    } else {  // softmax cross-entropy
      for (arma::uword i = 0; i < S.n_cols; ++i) {
        const double top = S.col(i).max();
        double sum = 0.0;
        for (arma::uword j = 0; j < S.n_rows; ++j) sum += std::exp(S(j, i) - top);
        total += top + std::log(sum) - S(cls_[i], i);
        if (R) {
          for (arma::uword j = 0; j < S.n_rows; ++j) (*R)(j, i) = std::exp(S(j, i) - top) / sum / n_;
          (*R)(cls_[i], i) -= 1.0 / n_;
        }
      }
    }
    if (comm_) {
      arma::vec t{total};
      comm_->allreduce_sum(t);
      total = t[0];
    }
    return total / n_;
  }

  // The stopping measure, in the units of the single-process solver of the
  // same loss, so that one tolerance means the same thing on one process and
  // on P ranks. Squared hinge (one process: dual coordinate descent): the
  // largest KKT violation of the dual point the primal W induces,
  // alpha_i = 2 C max(0, 1 - y s_i), C = 1 / (2 lambda n). Its primal image is
  // w(alpha) = W - g / (2 lambda) (g the full gradient), so the violation
  // needs the scores of g: one pass, and one allreduce of 1 number. The
  // relative gradient norm that Newton would use instead is far looser at the
  // small lambdas of ill-conditioned problems (it stopped at twice the dual
  // method's objective on Fashion-MNIST with lambda 3e-7, tolerance 1e-2).
  // Logistic (one process: this same Newton method): ||g|| / ||g(0)||.
  double optimality(const arma::mat& S, const arma::mat& g, double gnorm, double g0) {
    if (loss_ != Loss::squared_hinge) return gnorm / g0;
    const arma::mat A = scores(g);
    double worst = 0.0;
    for (arma::uword i = 0; i < S.n_cols; ++i)
      for (arma::uword j = 0; j < S.n_rows; ++j) {
        const double y = Y_(j, i), margin = 1.0 - y * S(j, i);
        // G_i = y w(alpha)'z_i - 1 + alpha_i / (2C); projected at alpha_i = 0.
        const double shift = y * A(j, i) / (2.0 * lambdas_[j]);
        const double G = margin > 0.0 ? -shift : std::min(-margin - shift, 0.0);
        worst = std::max(worst, std::abs(G));
      }
    if (comm_) {
      arma::vec w{worst};
      comm_->allreduce_max(w);
      worst = w[0];
    }
    return worst;
  }

  double regulariser(const arma::mat& W) const {
    double r = 0.0;
    for (arma::uword j = 0; j < W.n_cols; ++j) r += lambdas_[j] * arma::dot(W.col(j), W.col(j));
    return r;
  }
  arma::mat regulariser_gradient(const arma::mat& W) const {
    arma::mat G = W;
    for (arma::uword j = 0; j < W.n_cols; ++j) G.col(j) *= 2.0 * lambdas_[j];
    return G;
  }

  // Generalised Hessian of the data term at S applied to scores A = V'Z (c x n), returned c x n.
  arma::mat hessian_scores(const arma::mat& S, const arma::mat& A) const {
    arma::mat M(A.n_rows, A.n_cols);
    if (loss_ == Loss::squared_hinge) {
      for (arma::uword i = 0; i < A.n_cols; ++i)
        for (arma::uword j = 0; j < A.n_rows; ++j)
          M(j, i) = Y_(j, i) * S(j, i) < 1.0 ? 2.0 * A(j, i) / n_ : 0.0;
    } else if (S.n_rows == 1) {
      for (arma::uword i = 0; i < A.n_cols; ++i) {
        const double p = 1.0 / (1.0 + std::exp(-S(0, i)));
        M(0, i) = p * (1.0 - p) * A(0, i) / n_;
      }
    } else {
      arma::vec p(A.n_rows);
      for (arma::uword i = 0; i < A.n_cols; ++i) {
        const double top = S.col(i).max();
        p = arma::exp(S.col(i) - top);
        p /= arma::accu(p);
        const double pa = arma::dot(p, A.col(i));
        M.col(i) = p % (A.col(i) - pa) / n_;
      }
    }
    return M;
  }

  arma::uword passes = 0;

 private:
  Loss loss_;
  const arma::fmat& Z_;
  const arma::mat& Y_;
  const arma::vec& lambdas_;
  double n_;
  const Communicator* comm_;
  arma::uvec cls_;
};

double dot(const arma::mat& A, const arma::mat& B) { return arma::accu(A % B); }

// L-BFGS (Nocedal & Wright, Alg. 7.4) with memory 10. Scores are linear in W,
// so S(W + t d) = S + t (d'Z): one pass for d'Z per iteration makes every
// line-search trial free, and one more pass gives the new gradient. A
// Wolfe line search is then nearly exact at no extra cost.
PrimalResult lbfgs(Objective& f, arma::mat& W, double g0, double tolerance, arma::uword max_iterations) {
  PrimalResult res;
  arma::mat S = f.scores(W), R;
  double value = f.data_term(S, &R) + f.regulariser(W);
  arma::mat g = f.times(R) + f.regulariser_gradient(W);
  std::deque<arma::mat> ss, ys;
  std::deque<double> rhos;
  constexpr std::size_t kMemory = 10;
  for (; res.iterations < max_iterations; ++res.iterations) {
    res.optimality = f.optimality(S, g, arma::norm(g, "fro"), g0);
    if (res.optimality <= tolerance) break;
    // Two-loop recursion.
    arma::mat d = -g;
    std::vector<double> a(ss.size());
    for (std::size_t k = ss.size(); k-- > 0;) {
      a[k] = rhos[k] * dot(ss[k], d);
      d -= a[k] * ys[k];
    }
    if (!ss.empty()) d *= dot(ss.back(), ys.back()) / dot(ys.back(), ys.back());
    for (std::size_t k = 0; k < ss.size(); ++k) d += (a[k] - rhos[k] * dot(ys[k], d)) * ss[k];
    double slope0 = dot(g, d);
    if (!(slope0 < 0.0)) {  // not a descent direction (rounding): restart from steepest descent
      ss.clear(); ys.clear(); rhos.clear();
      d = -g;
      slope0 = dot(g, d);
    }
    const arma::mat Sd = f.scores(d);
    // Line search on phi(t) = f(W + t d), with phi and phi' from S + t Sd.
    const double dd = dot(d, d);
    auto phi = [&](double t, double* deriv) {
      const arma::mat St = S + t * Sd;
      arma::mat Rt;
      const double v = f.data_term(St, deriv ? &Rt : nullptr) + f.regulariser(W + t * d);
      if (deriv) *deriv = dot(Rt, Sd) + dot(f.regulariser_gradient(W + t * d), d);
      return v;
    };
    double t = ss.empty() ? std::min(1.0, 1.0 / std::sqrt(dd)) : 1.0;
    double lo = 0.0, hi = std::numeric_limits<double>::infinity();
    double vt = value;
    for (int k = 0; k < 60; ++k) {
      double dt = 0.0;
      vt = phi(t, &dt);
      if (vt > value + 1e-4 * t * slope0 || !std::isfinite(vt)) hi = t;
      else if (dt < 0.9 * slope0) lo = t;
      else break;
      t = std::isfinite(hi) ? 0.5 * (lo + hi) : 2.0 * t;
    }
    if (!(vt <= value)) break;  // no progress possible at this precision
    W += t * d;
    S += t * Sd;
    value = vt;
    f.data_term(S, &R);
    const arma::mat gnew = f.times(R) + f.regulariser_gradient(W);
    arma::mat s = t * d, y = gnew - g;
    const double sy = dot(s, y);
    g = gnew;
    if (sy > 1e-12 * std::sqrt(dot(s, s) * dot(y, y))) {
      ss.push_back(std::move(s));
      ys.push_back(std::move(y));
      rhos.push_back(1.0 / sy);
      if (ss.size() > kMemory) { ss.pop_front(); ys.pop_front(); rhos.pop_front(); }
    }
  }
  if (res.iterations == max_iterations)  // W moved after the last measure
    res.optimality = f.optimality(S, g, arma::norm(g, "fro"), g0);
  return res;
}

// Trust-region Newton with conjugate gradients (Lin, Weng & Keerthi, JMLR
// 2008, as in LIBLINEAR's TRON). Each Hessian-vector product costs two passes;
// the scores of the step are accumulated from those of the CG directions, so
// evaluating the trial point costs none.
PrimalResult tron(Objective& f, arma::mat& W, double g0, double tolerance, arma::uword max_iterations) {
  constexpr double eta0 = 1e-4, eta1 = 0.25, eta2 = 0.75, sigma1 = 0.25, sigma2 = 0.5, sigma3 = 4.0;
  PrimalResult res;
  arma::mat S = f.scores(W), R;
  double value = f.data_term(S, &R) + f.regulariser(W);
  arma::mat g = f.times(R) + f.regulariser_gradient(W);
  double gnorm = arma::norm(g, "fro");
  double delta = gnorm;
  bool measured = false;  // res.optimality is that of the current W
  for (; res.iterations < max_iterations; ++res.iterations) {
    res.optimality = f.optimality(S, g, gnorm, g0);
    measured = true;
    if (res.optimality <= tolerance) break;
    // Steihaug CG on H s = -g inside ||s|| <= delta.
    arma::mat s(W.n_rows, W.n_cols, arma::fill::zeros), Ss(S.n_rows, S.n_cols, arma::fill::zeros);
    arma::mat r = -g, p = r;
    double rr = dot(r, r);
    const double cg_tol = 0.1 * gnorm;
    for (arma::uword cg = 0; cg < 2 * W.n_elem + 10; ++cg) {
      if (std::sqrt(rr) <= cg_tol) break;
      const arma::mat Sp = f.scores(p);
      const arma::mat Hp = f.times(f.hessian_scores(S, Sp)) + f.regulariser_gradient(p);
      const double alpha = rr / dot(p, Hp);
      const arma::mat snew = s + alpha * p;
      if (arma::norm(snew, "fro") > delta) {
        // Move to the boundary: ||s + tau p|| = delta.
        const double sp = dot(s, p), pp = dot(p, p), sq = dot(s, s);
        const double rad = std::sqrt(std::max(sp * sp + pp * (delta * delta - sq), 0.0));
        const double tau = sp >= 0.0 ? (delta * delta - sq) / (sp + rad) : (rad - sp) / pp;
        s += tau * p;
        Ss += tau * Sp;
        r -= tau * Hp;
        break;
      }
      s = snew;
      Ss += alpha * Sp;
      r -= alpha * Hp;
      const double rr_new = dot(r, r);
      p = r + (rr_new / rr) * p;
      rr = rr_new;
    }
    const double gs = dot(g, s);
    const double predicted = -0.5 * (gs - dot(s, r));
    const arma::mat Snew = S + Ss;
    arma::mat Rnew;
    const double vnew = f.data_term(Snew, &Rnew) + f.regulariser(W + s);
    const double actual = value - vnew;
    const double snorm = arma::norm(s, "fro");
    if (res.iterations == 0) delta = std::min(delta, snorm);
    const double denom = vnew - value - gs;
    const double alpha = denom <= 0.0 ? sigma3 : std::max(sigma1, -0.5 * (gs / denom));
    if (actual < eta0 * predicted) delta = std::min(std::max(alpha, sigma1) * snorm, sigma2 * delta);
    else if (actual < eta1 * predicted) delta = std::max(sigma1 * delta, std::min(alpha * snorm, sigma2 * delta));
    else if (actual < eta2 * predicted) delta = std::max(sigma1 * delta, std::min(alpha * snorm, sigma3 * delta));
    else delta = std::max(delta, std::min(alpha * snorm, sigma3 * delta));
    if (actual > eta0 * predicted) {
      W += s;
      S = Snew;
      value = vnew;
      g = f.times(Rnew) + f.regulariser_gradient(W);
      gnorm = arma::norm(g, "fro");
      measured = false;
    }
    if (!(predicted > 1e-14 * std::abs(value)) || delta < 1e-14 * (1.0 + arma::norm(W, "fro"))) break;
  }
  if (!measured) res.optimality = f.optimality(S, g, gnorm, g0);
  return res;
}

}  // namespace

namespace {

PrimalResult run_primal(Objective& f, const arma::mat& Y, arma::mat& W, double tolerance, arma::uword max_iterations,
                        PrimalMethod method) {
  // The reference for the relative stopping rule is the gradient at W = 0,
  // whatever the warm start, so that warm and cold runs stop at the same accuracy.
  arma::mat R0;
  f.data_term(arma::mat(Y.n_rows, Y.n_cols, arma::fill::zeros), &R0);
  const double g0 = std::max(arma::norm(f.times(R0), "fro"), std::numeric_limits<double>::min());
  PrimalResult res = method == PrimalMethod::lbfgs ? lbfgs(f, W, g0, tolerance, max_iterations)
                                                   : tron(f, W, g0, tolerance, max_iterations);
  res.passes = f.passes;
  return res;
}

}  // namespace

PrimalResult fit_primal(Loss loss, const arma::fmat& Z, const arma::mat& Y, const arma::vec& lambdas, arma::mat& W,
                        double tolerance, arma::uword max_iterations, PrimalMethod method) {
  Objective f(loss, Z, Y, lambdas);
  return run_primal(f, Y, W, tolerance, max_iterations, method);
}

PrimalResult fit_primal_distributed(const Communicator& comm, Loss loss, const arma::fmat& Z, const arma::mat& Y,
                                    arma::uword n, const arma::vec& lambdas, arma::mat& W, double tolerance,
                                    arma::uword max_iterations) {
  Objective f(loss, Z, Y, lambdas, &comm, static_cast<double>(n));
  return run_primal(f, Y, W, tolerance, max_iterations, PrimalMethod::tron);
}

}  // namespace deepdot::detail
