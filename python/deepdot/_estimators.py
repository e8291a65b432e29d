# SPDX-License-Identifier: MIT
"""scikit-learn estimators over deepdot's C++ library.

The hyper-parameters map one to one onto deepdot::TrainerConfig fields and
their defaults are read from ``deepdot::TrainerConfig{}`` when this module is
imported, so the C++ struct stays the single definition. Fitted estimators
pickle through deepdot's own model bytes (the versioned, checksummed model
file image), so a reloaded estimator predicts bit-identically.
"""
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _deepdot
from ._validation import sparse_parts, validate_X, validate_Xy

try:
    from sklearn.base import ClassNamePrefixFeaturesOutMixin
except ImportError:  # scikit-learn < 1.1
    class ClassNamePrefixFeaturesOutMixin:
        pass

_D = _deepdot.trainer_defaults()
# A map or a kernel on its own has nothing to choose by: the fixed values.
_F = _deepdot.fixed_defaults()
_PICKLE_FORMAT = 1  # version of the pickled state around deepdot's own bytes


def _seed(random_state):
    """An int is the seed itself (as the command line's --seed); None or a
    RandomState draws one, as scikit-learn estimators do."""
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0, got {random_state}")
        return int(random_state)
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def _threads(threads):
    if threads is None:
        return 0
    return int(threads)


def _need_samples(X, where, minimum=2):
    if X.shape[0] < minimum:
        raise ValueError(f"{where}: {X.shape[0]} sample(s) given (n_samples = {X.shape[0]}); "
                         f"fitting needs at least {minimum}")


def _validation_pair(estimator, validation_data, where):
    """(X_val, y_val) from validation_data, X_val validated like X (dense: the Trainer's explicit-validation
    overloads take dense inputs)."""
    try:
        X_val, y_val = validation_data
    except (TypeError, ValueError):
        raise ValueError(f"{where}: validation_data must be a pair (X_val, y_val)") from None
    if sp.issparse(X_val):
        raise ValueError(f"{where}: validation_data needs dense X_val (sparse fits split their own validation points)")
    X_val = validate_X(estimator, X_val, reset=False)
    if len(y_val) != X_val.shape[0]:
        raise ValueError(f"{where}: validation_data has {X_val.shape[0]} points but {len(y_val)} targets")
    return X_val, y_val


class _ModelPickling:
    """Pickles the fitted model_ as deepdot's model bytes."""

    def __getstate__(self):
        state = dict(super().__getstate__())
        if isinstance(state.get("model_"), _deepdot.Model):
            state["model_"] = state["model_"].to_bytes()
            state["_deepdot_pickle"] = _PICKLE_FORMAT
        return state

    def __setstate__(self, state):
        state = dict(state)
        fmt = state.pop("_deepdot_pickle", None)
        if fmt is not None:
            if fmt != _PICKLE_FORMAT:
                raise ValueError(f"deepdot: pickled estimator format {fmt} is not supported (this is {_PICKLE_FORMAT})")
            state["model_"] = _deepdot.Model.from_bytes(state["model_"], type(self).__name__)
        super().__setstate__(state)


def _certificate(meta):
    """The certificate entries of a model's metadata as a dict, or None."""
    if "certificate sample points" not in meta:
        return None
    out = {}
    for key, value in meta.items():
        if key.startswith("certificate ") and key != "certificate disjoint from map fit":
            name = key[len("certificate "):].replace(" ", "_").replace("-", "")
            out[name] = int(value) if name == "sample_points" else float(value)
    out["disjoint_from_map_fit"] = meta.get("certificate disjoint from map fit") == "yes"
    return out


class _TrainerParams:
    """Builds the TrainerConfig overrides from the estimator's parameters."""

    def _config(self, **fixed):
        cfg = {
            "kernel": self.kernel, "map": self.map, "features": self.n_components, "loss": self.loss,
            "lambdas": None if self.lambdas is None else [float(v) for v in np.atleast_1d(self.lambdas)],
            "validation_fraction": self.validation_fraction, "refit_on_all": self.refit_on_all,
            "norm_bound": self.norm_bound, "seed": _seed(self.random_state), "precision": self.precision,
            "scaling": self.scaling, "feature_scaling": self.feature_scaling, "lift_scale": self.lift_scale,
            "batch_size": self.batch_size, "map_sample": self.map_sample,
            "tolerance": self.tol, "max_iterations": self.max_iter, "certificate": bool(self.certificate),
            "budget_seconds": self.budget, "memory_budget_gib": self.memory_budget,
        }
        cfg.update(fixed)
        return cfg

    def _set_fitted(self, model):
        self.model_ = model
        info = model.info()
        self.lambdas_ = np.asarray(info["lambdas"])
        self.n_outputs_ = info["outputs"]
        self.fit_info_ = dict(info["metadata"])
        self.certificate_ = _certificate(self.fit_info_)
        # Iterations of the iterative solvers; a direct (Cholesky or eigen) solve counts as one.
        self.n_iter_ = int(self.fit_info_.get("solver iterations", 1))


class FeatureMap(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """An explicit feature map phi with <phi(x), phi(y)> ~ K(x, y).

    Like ``sklearn.kernel_approximation.Nystroem``: ``fit(X)`` builds the map
    for d = X.shape[1] (and fits data-dependent maps such as "nystrom" on the
    first max(map_sample, n_components) rows), ``transform(X)`` returns the
    n x n_components features.

    X may be a dense array or a scipy.sparse matrix (CSR, or any format
    converted to CSR once): sparse input is mapped from its nonzeros
    (input-sparsity time for "tensorsketch", "maclaurin", "fourier" and
    "nystrom"; docs/sparse.md).

    Output dtype: with precision="float" (the library's default, as
    ``deepdot transform``) the features are float32 whatever the input dtype,
    computed in single precision (float64 input is converted to float32 once,
    n x d values); with precision="double" they have the input's dtype
    (float64 computed in double, float32 in single precision).

    Parameters
    ----------
    kernel : str, the kernel spec ("recursive:3", "poly:3:1", "gaussian:0.5", ...).
    map : str, the feature-map spec ("fourier:orf", "tensorsketch", "srht",
        "nystrom", "maclaurin:kk", ...; :func:`deepdot.feature_map_names`).
    n_components : int, D, the number of features.
    scaling : "unit-norm" (each row divided by its norm), "max-norm" (all rows
        by the largest row norm seen in fit) or "none" (rows must already lie
        in the unit ball; no copy of X is made).
    map_sample : int, points a data-dependent map is fitted on (at least D).
    precision : "float" (default, TrainerConfig{}'s) or "double": the
        precision of the features and so the output dtype (see above).
    random_state : int, RandomState or None; an int is deepdot's seed.
    threads : int, bound on the threads used (0: the BLAS default).
    """

    def __init__(self, kernel=_F["kernel"], map=_F["map"], n_components=_F["features"], scaling=_F["scaling"],
                 map_sample=_F["map_sample"], precision=_F["precision"], random_state=None, threads=0):
        self.kernel = kernel
        self.map = map
        self.n_components = n_components
        self.scaling = scaling
        self.map_sample = map_sample
        self.precision = precision
        self.random_state = random_state
        self.threads = threads

    def fit(self, X, y=None):
        X = validate_X(self, X, reset=True, accept_sparse=True)
        _need_samples(X, "deepdot.FeatureMap.fit()", 1)
        m = _deepdot.Map(self.map, self.kernel, X.shape[1], int(self.n_components), _seed(self.random_state),
                         self.scaling)
        m.fit(sparse_parts(X), int(self.map_sample), _threads(self.threads))
        self.map_ = m
        self.n_components_ = m.output_dim
        return self

    def transform(self, X):
        check_is_fitted(self, "map_")
        X = validate_X(self, X, reset=False, accept_sparse=True)
        return self.map_.transform(sparse_parts(X), _threads(self.threads), self.precision)

    @property
    def _n_features_out(self):
        return self.n_components_

    def _scaled_for_kernel(self, X):
        """X scaled as transform() scales it (for approximation_error)."""
        X = np.array(validate_X(self, X, reset=False), dtype=np.float64)
        if self.scaling == "none":
            return X
        if self.scaling in ("max", "max-norm"):
            X /= self.map_.scaling_factor
        norms = np.linalg.norm(X, axis=1)
        big = norms > (1.0 if self.scaling in ("max", "max-norm") else 0.0)
        X[big] /= norms[big, None]
        return X

    def __getstate__(self):
        state = dict(super().__getstate__())
        if isinstance(state.get("map_"), _deepdot.Map):
            state["map_"] = state["map_"].to_bytes()
            state["_deepdot_pickle"] = _PICKLE_FORMAT
        return state

    def __setstate__(self, state):
        state = dict(state)
        fmt = state.pop("_deepdot_pickle", None)
        if fmt is not None:
            if fmt != _PICKLE_FORMAT:
                raise ValueError(f"deepdot: pickled estimator format {fmt} is not supported (this is {_PICKLE_FORMAT})")
            state["map_"] = _deepdot.Map.from_bytes(state["map_"])
        super().__setstate__(state)

    def _single(self):
        return self.precision in ("float", "single")

    def _more_tags(self):
        return {"preserves_dtype": [np.float32] if self._single() else [np.float64, np.float32]}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"] if self._single() else ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags


class Classifier(_ModelPickling, _TrainerParams, ClassifierMixin, BaseEstimator):
    """deepdot's Trainer as a classifier: feature map + loss + lambda (or norm-bound) selection.

    Labels may be of any type scikit-learn accepts (ints, strings, ...):
    ``classes_`` is their sorted set, encoded 0..k-1 for the library. The
    scores are one-vs-all (multinomial for loss="logistic"); for two classes
    ``decision_function`` returns score(classes_[1]) - score(classes_[0]).

    Parameters (deepdot::TrainerConfig fields; defaults from TrainerConfig{})
    ----------
    kernel, map : kernel and feature-map specs; map="exact" is the kernel limit;
        "auto" (the default): the depth recursive:1..4, or a Gaussian of the
        lifted points at one of 4 widths, by validation on a subsample,
        Nystroem features (docs/defaults.md).
    n_components : int, D; 0 (the default): the rule min(n, 16384) within the budget.
    loss : "squared", "logistic", "hinge", "squared-hinge" or "auto" (squared
        or squared hinge by validation).
    lambdas : None (automatic: the default grid on the validation split, or the
        search's squared-hinge lambda scaled to n), a float, or a sequence
        selected on a validation split (or by GCV for the squared loss when
        validation_fraction = 0).
    budget, memory_budget : modelled seconds and GiB of the final fit that the
        rule for D respects.
    validation_fraction, refit_on_all, batch_size, map_sample : as in TrainerConfig.
    norm_bound : None, or B > 0 for the norm-ball form of Algorithm 1.
    precision : "float" or "double" features.
    feature_scaling : per-feature scaling fitted on the training rows, before
        ``scaling``: "none", "standardize" (z-score), "minmax" (onto [-1, 1])
        or "maxabs" (x / max |x|); a column constant in training becomes 0.
    scaling : "unit-norm", "max-norm", "sphere-lift" (keeps each row's
        magnitude in one extra coordinate; docs/preprocessing.md) or "none".
    lift_scale : R of "sphere-lift" (like a bandwidth: smaller is more local);
        0 takes the largest training row norm after the feature scaling.
    tol, max_iter : stopping rules of the iterative solvers.
    certificate : bool, compute the error certificate (docs/models.md); the
        fitted ``certificate_`` is then a dict (kernel_error,
        kernel_error_nonconstant, kernel_max_error, prediction_difference,
        label_agreement, sample_points, disjoint_from_map_fit), or None when
        there is none (off, or the kernel limit).
    random_state : int (deepdot's seed, as --seed), RandomState or None.
    threads : int, bound on the threads used (0: the BLAS default).

    X may be dense or scipy.sparse (any format, converted to CSR once), in
    fit, predict and decision_function; sparse input is mapped from its
    nonzeros (docs/sparse.md). ``fit(X, y, validation_data=(X_val, y_val))``
    scores the lambda grid on that validation set instead of a random split
    of X (dense X only; y_val must use the classes of y).
    """

    def __init__(self, kernel=_D["kernel"], map=_D["map"], n_components=_D["features"], loss=_D["loss"],
                 lambdas=None, validation_fraction=_D["validation_fraction"], refit_on_all=_D["refit_on_all"],
                 norm_bound=None, precision=_D["precision"], scaling=_D["scaling"], batch_size=_D["batch_size"],
                 map_sample=_D["map_sample"], tol=_D["tolerance"], max_iter=_D["max_iterations"],
                 certificate=_D["certificate"], budget=_D["budget_seconds"], memory_budget=_D["memory_budget_gib"],
                 random_state=None, threads=0, feature_scaling=_D["feature_scaling"], lift_scale=_D["lift_scale"]):
        self.kernel = kernel
        self.map = map
        self.n_components = n_components
        self.loss = loss
        self.lambdas = lambdas
        self.validation_fraction = validation_fraction
        self.refit_on_all = refit_on_all
        self.norm_bound = norm_bound
        self.precision = precision
        self.scaling = scaling
        self.feature_scaling = feature_scaling
        self.lift_scale = lift_scale
        self.batch_size = batch_size
        self.map_sample = map_sample
        self.tol = tol
        self.max_iter = max_iter
        self.certificate = certificate
        self.budget = budget
        self.memory_budget = memory_budget
        self.random_state = random_state
        self.threads = threads

    def fit(self, X, y, validation_data=None):
        X, y = validate_Xy(self, X, y, accept_sparse=self.map != "exact")
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"deepdot.Classifier.fit(): y has {len(classes)} class ({classes!r}); "
                             "classification needs at least 2 classes")
        X_val, codes_val = None, None
        if validation_data is not None:
            X_val, y_val = _validation_pair(self, validation_data, "deepdot.Classifier.fit()")
            y_val = np.asarray(y_val)
            pos = np.clip(np.searchsorted(classes, y_val), 0, len(classes) - 1)
            unknown = classes[pos] != y_val
            if np.any(unknown):
                raise ValueError(f"deepdot.Classifier.fit(): validation label {y_val[unknown][0]!r} is not one of "
                                 f"the training classes {classes.tolist()!r}")
            codes_val = pos.astype(np.int64)
        model = _deepdot.fit_classifier(sparse_parts(X), codes.astype(np.int64), self._config(),
                                        _threads(self.threads), X_val, codes_val)
        self.classes_ = classes
        self._set_fitted(model)
        return self

    def decision_function(self, X):
        check_is_fitted(self, "model_")
        X = validate_X(self, X, reset=False, accept_sparse=self.map != "exact")
        S = self.model_.predict(sparse_parts(X), _threads(self.threads))
        if len(self.classes_) == 2:
            return S[:, 1] - S[:, 0]
        return S

    def predict(self, X):
        S = self.decision_function(X)
        if S.ndim == 1:
            return self.classes_[(S > 0).astype(np.intp)]
        return self.classes_[np.argmax(S, axis=1)]

    def _more_tags(self):
        return {"binary_only": False}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.map != "exact"
        return tags


class Regressor(_ModelPickling, _TrainerParams, RegressorMixin, BaseEstimator):
    """deepdot's Trainer as a regressor (squared loss): feature map + lambda selection.

    y may be 1-D (n) or 2-D (n x c, several outputs fitted together); predict
    returns the same shape. Parameters, sparse input and
    ``fit(X, y, validation_data=(X_val, y_val))`` as :class:`Classifier`
    (loss is "squared", the only loss for regression; y_val has y's shape
    per point).
    """

    def __init__(self, kernel=_D["kernel"], map=_D["map"], n_components=_D["features"], loss=_D["loss"],
                 lambdas=None, validation_fraction=_D["validation_fraction"], refit_on_all=_D["refit_on_all"],
                 norm_bound=None, precision=_D["precision"], scaling=_D["scaling"], batch_size=_D["batch_size"],
                 map_sample=_D["map_sample"], tol=_D["tolerance"], max_iter=_D["max_iterations"],
                 certificate=_D["certificate"], budget=_D["budget_seconds"], memory_budget=_D["memory_budget_gib"],
                 random_state=None, threads=0, feature_scaling=_D["feature_scaling"], lift_scale=_D["lift_scale"]):
        self.kernel = kernel
        self.map = map
        self.n_components = n_components
        self.loss = loss
        self.lambdas = lambdas
        self.validation_fraction = validation_fraction
        self.refit_on_all = refit_on_all
        self.norm_bound = norm_bound
        self.precision = precision
        self.scaling = scaling
        self.feature_scaling = feature_scaling
        self.lift_scale = lift_scale
        self.batch_size = batch_size
        self.map_sample = map_sample
        self.tol = tol
        self.max_iter = max_iter
        self.certificate = certificate
        self.budget = budget
        self.memory_budget = memory_budget
        self.random_state = random_state
        self.threads = threads

    def fit(self, X, y, validation_data=None):
        X, y = validate_Xy(self, X, y, multi_output=True, y_numeric=True, accept_sparse=self.map != "exact")
        _need_samples(X, "deepdot.Regressor.fit()")
        self._y_1d = y.ndim == 1
        Y = np.ascontiguousarray(y.reshape(len(y), -1), dtype=np.float64)
        X_val, Y_val = None, None
        if validation_data is not None:
            X_val, y_val = _validation_pair(self, validation_data, "deepdot.Regressor.fit()")
            y_val = np.asarray(y_val, dtype=np.float64)
            if y_val.ndim != y.ndim or (y.ndim == 2 and y_val.shape[1] != y.shape[1]):
                raise ValueError(f"deepdot.Regressor.fit(): validation targets of shape {y_val.shape} do not match "
                                 f"y's shape {y.shape} (one row per point, the same outputs)")
            Y_val = np.ascontiguousarray(y_val.reshape(len(y_val), -1))
        model = _deepdot.fit_regressor(sparse_parts(X), Y, self._config(), _threads(self.threads), X_val, Y_val)
        self._set_fitted(model)
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        X = validate_X(self, X, reset=False, accept_sparse=self.map != "exact")
        P = self.model_.predict(sparse_parts(X), _threads(self.threads))
        return P[:, 0] if self._y_1d else P

    def _more_tags(self):
        return {"multioutput": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = self.map != "exact"
        return tags


class KernelRidge(_ModelPickling, RegressorMixin, BaseEstimator):
    """Exact kernel ridge regression with a dot-product kernel: the kernel limit.

    With the same Gram matrix, the solution equals
    ``sklearn.kernel_ridge.KernelRidge(alpha=alpha, kernel="precomputed")``:
    dual coefficients (K + alpha I)^-1 y, i.e. deepdot's lambda = alpha / n.
    norm_bound=B > 0 instead solves the norm-ball form of Algorithm 1
    (||f_j||_H <= B per output; alpha is then ignored). O(n^2) memory,
    O(n^3) time: a few tens of thousands of points at most.

    Parameters
    ----------
    kernel : str, the kernel spec.
    alpha : float > 0, the regularisation of scikit-learn's KernelRidge.
    norm_bound : None or B > 0.
    scaling : "unit-norm", "max-norm", "sphere-lift" or "none".
    feature_scaling, lift_scale : as in :class:`Classifier`.
    threads : int, bound on the threads used (0: the BLAS default).
    """

    def __init__(self, kernel=_F["kernel"], alpha=1.0, norm_bound=None, scaling=_F["scaling"], threads=0,
                 feature_scaling=_F["feature_scaling"], lift_scale=_F["lift_scale"]):
        self.kernel = kernel
        self.alpha = alpha
        self.norm_bound = norm_bound
        self.scaling = scaling
        self.threads = threads
        self.feature_scaling = feature_scaling
        self.lift_scale = lift_scale

    def fit(self, X, y):
        X, y = validate_Xy(self, X, y, multi_output=True, y_numeric=True)
        _need_samples(X, "deepdot.KernelRidge.fit()")
        if not (np.isfinite(self.alpha) and self.alpha > 0):
            raise ValueError(f"deepdot.KernelRidge.fit(): alpha must be finite and > 0, got {self.alpha!r}")
        self._y_1d = y.ndim == 1
        Y = np.ascontiguousarray(y.reshape(len(y), -1), dtype=np.float64)
        cfg = {"kernel": self.kernel, "map": "exact", "loss": "squared", "lambdas": [float(self.alpha) / len(X)],
               "norm_bound": self.norm_bound, "scaling": self.scaling, "feature_scaling": self.feature_scaling,
               "lift_scale": self.lift_scale, "precision": "double"}
        self.model_ = _deepdot.fit_regressor(X, Y, cfg, _threads(self.threads))
        self.lambdas_ = np.asarray(self.model_.info()["lambdas"])
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        X = validate_X(self, X, reset=False)
        P = self.model_.predict(X, _threads(self.threads))
        return P[:, 0] if self._y_1d else P

    def _more_tags(self):
        return {"multioutput": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
