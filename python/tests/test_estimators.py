# SPDX-License-Identifier: MIT
"""The estimators: equality with the command line, pickling, scikit-learn tools, errors."""
import io
import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import scipy.sparse as sp
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.kernel_ridge import KernelRidge as SkKernelRidge
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, normalize

import deepdot
from conftest import blobs

CLI = os.environ.get("DEEPDOT_CLI")
needs_cli = pytest.mark.skipif(not CLI, reason="DEEPDOT_CLI is not set (the meson test sets it when apps are built)")


def run_cli(*args):
    r = subprocess.run([CLI, *map(str, args), "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


# ------------------------------------------------------------- command line

@needs_cli
@pytest.mark.parametrize("loss", ["squared", "hinge"])
def test_classifier_equals_command_line(tmp_path, loss):
    X, y = blobs(300, 8, 3, 1)
    Xt, yt = blobs(100, 8, 3, 1)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y.astype(np.float64))
    np.save(tmp_path / "Xt.npy", Xt)
    model = tmp_path / "m.ddm"
    run_cli("train", "--data", tmp_path / "X.npy", "--labels", tmp_path / "y.npy", "--model", model,
            "--features", 256, "--seed", 5, "--loss", loss, "--no-score")
    clf = deepdot.Classifier(n_components=256, random_state=5, loss=loss).fit(X, y)
    # Same data, same seed: the very same model file, byte for byte.
    assert clf.model_.to_bytes() == model.read_bytes()
    run_cli("predict", "--model", model, "--data", tmp_path / "Xt.npy", "--out", tmp_path / "p.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy").ravel(), clf.predict(Xt))


@needs_cli
def test_regressor_equals_command_line(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(250, 6))
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=250)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    model = tmp_path / "m.ddm"
    run_cli("train", "--data", tmp_path / "X.npy", "--labels", tmp_path / "y.npy", "--model", model,
            "--features", 128, "--seed", 9, "--map", "srht", "--task", "regression", "--no-score")
    reg = deepdot.Regressor(n_components=128, random_state=9, map="srht").fit(X, y)
    assert reg.model_.to_bytes() == model.read_bytes()
    run_cli("predict", "--model", model, "--data", tmp_path / "X.npy", "--out", tmp_path / "p.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy").ravel(), reg.predict(X))


@needs_cli
@pytest.mark.parametrize("map_spec", ["fourier:orf", "tensorsketch", "nystrom"])
def test_feature_map_equals_command_line(tmp_path, map_spec):
    X, _ = blobs(300, 10, 2, 3)
    np.save(tmp_path / "X.npy", X)
    run_cli("transform", "--data", tmp_path / "X.npy", "--out", tmp_path / "Z.npy", "--map", map_spec,
            "--features", 128, "--seed", 4, "--fit", 200, "--precision", "double")
    fm = deepdot.FeatureMap(map=map_spec, n_components=128, random_state=4, map_sample=200,
                            precision="double").fit(X)
    np.testing.assert_array_equal(np.load(tmp_path / "Z.npy"), fm.transform(X))
    # The default precision (float) on both sides: float32 features from the float64 file.
    run_cli("transform", "--data", tmp_path / "X.npy", "--out", tmp_path / "Zf.npy", "--map", map_spec,
            "--features", 128, "--seed", 4, "--fit", 200)
    Zf = deepdot.FeatureMap(map=map_spec, n_components=128, random_state=4, map_sample=200).fit(X).transform(X)
    assert Zf.dtype == np.float32
    np.testing.assert_allclose(np.load(tmp_path / "Zf.npy"), Zf, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- learning

def test_classifier_learns_string_labels(data):
    X, y = data
    names = np.array(["ant", "bee", "cat"])[y]
    clf = deepdot.Classifier(n_components=512, random_state=0).fit(X[:300], names[:300])
    assert list(clf.classes_) == ["ant", "bee", "cat"]
    assert clf.decision_function(X[300:]).shape == (100, 3)
    assert clf.score(X[300:], names[300:]) > 0.9
    binary = deepdot.Classifier(n_components=512, random_state=0).fit(X[:300], names[:300] == "ant")
    d = binary.decision_function(X[300:])
    assert d.shape == (100,)
    np.testing.assert_array_equal(binary.predict(X[300:]), d > 0)


def test_kernel_ridge_equals_sklearn_precomputed():
    rng = np.random.default_rng(3)
    X = normalize(rng.normal(size=(120, 5)))
    y = X[:, 0] ** 2 + X[:, 1]
    Xt = normalize(rng.normal(size=(40, 5)))
    for alpha in [1e-3, 0.5]:
        ours = deepdot.KernelRidge(kernel="recursive:2", alpha=alpha).fit(X, y)
        ref = SkKernelRidge(alpha=alpha, kernel="precomputed").fit(deepdot.gram("recursive:2", X), y)
        np.testing.assert_allclose(ours.predict(Xt), ref.predict(deepdot.gram("recursive:2", Xt, X)), rtol=1e-6,
                                   atol=1e-8)
    ball = deepdot.KernelRidge(kernel="recursive:2", norm_bound=0.5).fit(X, y)
    free = deepdot.KernelRidge(kernel="recursive:2", alpha=1e-6).fit(X, y)
    # The norm ball shrinks the fit: a larger training error than the nearly free fit.
    assert ball.score(X, y) < free.score(X, y)


def test_regressor_multioutput_keeps_shape():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 4))
    Y = np.c_[np.sin(X[:, 0]), np.cos(X[:, 1])]
    reg = deepdot.Regressor(n_components=256, random_state=1).fit(X, Y)
    assert reg.predict(X).shape == (200, 2)
    assert reg.score(X, Y) > 0.8


def test_float32_and_float64_features_agree(data):
    X, _ = data
    fm = deepdot.FeatureMap(map="tensorsketch", kernel="poly:3:1", n_components=256, random_state=2,
                            precision="double").fit(X)
    Z64 = fm.transform(X)
    Z32 = fm.transform(X.astype(np.float32))
    assert Z64.dtype == np.float64 and Z32.dtype == np.float32
    np.testing.assert_allclose(Z32, Z64, atol=1e-5)


@pytest.mark.parametrize("map_spec", ["tensorsketch", "nystrom", "fourier:orf"])
def test_default_precision_gives_float32_features_for_any_input(data, map_spec):
    # precision="float" (TrainerConfig{}'s default): float64 input is converted to float32 once, so its
    # features are exactly those of the same input given as float32.
    X, _ = data
    fm = deepdot.FeatureMap(map=map_spec, n_components=128, random_state=2).fit(X)
    assert fm.precision == deepdot.trainer_defaults()["precision"] == "float"
    Z = fm.transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_array_equal(Z, fm.transform(X.astype(np.float32)))
    Z64 = deepdot.FeatureMap(map=map_spec, n_components=128, random_state=2, precision="double").fit(X).transform(X)
    np.testing.assert_allclose(Z, Z64, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="precision"):
        deepdot.FeatureMap(map=map_spec, n_components=128, precision="half").fit(X).transform(X)


# ------------------------------------------------------------ sparse input

def sparse_data(n=240, d=3000, seed=5):
    """Points with 12 nonzeros each in d = 3000 columns: 4 among the 20 signal columns of the point's
    class (columns 0..19 or 20..39), 8 anywhere else."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    rows, cols, vals = [], [], []
    for i in range(n):
        c = np.r_[rng.choice(20, size=4, replace=False) + 20 * y[i], rng.choice(d - 40, size=8, replace=False) + 40]
        rows += [i] * 12
        cols += list(c)
        vals += list(rng.random(12) + 0.5)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, d)), y


@pytest.mark.parametrize("map_spec", ["tensorsketch", "fourier:orf", "nystrom", "maclaurin"])
@pytest.mark.parametrize("precision", ["float", "double"])
def test_sparse_transform_equals_dense(map_spec, precision):
    X, _ = sparse_data()
    fm = deepdot.FeatureMap(kernel="recursive:2", map=map_spec, n_components=128, random_state=1,
                            precision=precision).fit(X)
    Zs = fm.transform(X)
    Zd = fm.transform(X.toarray())
    assert Zs.dtype == Zd.dtype == (np.float32 if precision == "float" else np.float64)
    tol = 1e-5 if precision == "float" else 1e-12
    np.testing.assert_allclose(Zs, Zd, atol=tol, rtol=tol)
    # Every scipy format gives the same features (converted to CSR once); the caller's matrix is untouched.
    for fmt in ["csc", "coo", "lil"]:
        np.testing.assert_array_equal(fm.transform(X.asformat(fmt)), Zs)
    # A map fitted on the dense form is the same map.
    fd = deepdot.FeatureMap(kernel="recursive:2", map=map_spec, n_components=128, random_state=1,
                            precision=precision).fit(X.toarray())
    np.testing.assert_allclose(fd.transform(X), Zs, atol=tol, rtol=tol)


def test_sparse_non_canonical_input_is_summed_like_scipy():
    X, _ = sparse_data(n=20)
    dup = sp.csr_matrix((np.r_[X.data, [0.25, 0.5]], np.r_[X.indices, [X.indices[0], X.indices[1]]],
                         np.r_[X.indptr[:1], X.indptr[1:] + 2]), shape=X.shape)
    # Row 0 now lists two of its columns twice, after the others (unsorted, repeated).
    dup.indices[:len(X.indices) + 2] = np.r_[X.indices[:X.indptr[1]], X.indices[0], X.indices[1],
                                            X.indices[X.indptr[1]:]]
    dup.data[:] = np.r_[X.data[:X.indptr[1]], 0.25, 0.5, X.data[X.indptr[1]:]]
    dup.has_sorted_indices = False
    before = dup.indices.copy()
    fm = deepdot.FeatureMap(map="tensorsketch", kernel="poly:2:1", n_components=64, random_state=1,
                            precision="double").fit(X)
    dense = dup.toarray()  # scipy's meaning of a repeated entry: the sum
    np.testing.assert_allclose(fm.transform(dup / 4), fm.transform(dense / 4), atol=1e-12)
    np.testing.assert_array_equal(dup.indices, before)


@pytest.mark.parametrize("map_spec", ["tensorsketch", "fourier:orf"])
def test_sparse_classifier_and_regressor_equal_dense_fits(map_spec):
    X, y = sparse_data(n=480)
    kw = dict(kernel="recursive:2", map=map_spec, n_components=256, random_state=3, loss="squared")
    sparse_fit = deepdot.Classifier(**kw).fit(X[:360], y[:360])
    dense_fit = deepdot.Classifier(**kw).fit(X[:360].toarray(), y[:360])
    assert sparse_fit.fit_info_.get("input") == "sparse"
    np.testing.assert_allclose(sparse_fit.decision_function(X[360:]), dense_fit.decision_function(X[360:].toarray()),
                               rtol=1e-4, atol=1e-5)
    # The features are float (TrainerConfig{}'s precision): the sparse and dense paths round differently.
    np.testing.assert_allclose(sparse_fit.decision_function(X[360:]), sparse_fit.decision_function(X[360:].toarray()),
                               rtol=1e-4, atol=1e-5)
    assert sparse_fit.score(X[360:], y[360:]) > 0.9
    t = np.asarray(X[:, :20].sum(axis=1)).ravel()
    reg = deepdot.Regressor(**kw).fit(X[:360], t[:360])
    assert reg.predict(X[360:]).shape == (120,)
    assert reg.score(X[360:], t[360:]) > 0.5


def test_sparse_errors_name_the_rule():
    X, y = sparse_data(n=40)
    with pytest.raises(TypeError, match="sparse"):
        deepdot.KernelRidge().fit(X, y)
    with pytest.raises(TypeError, match="sparse"):
        deepdot.Classifier(map="exact").fit(X, y)
    bad = X.copy()
    bad.data[3] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        deepdot.FeatureMap(map="tensorsketch", n_components=64).fit(X).transform(bad)
    fm = deepdot.FeatureMap(map="tensorsketch", n_components=64).fit(X)
    with pytest.raises(ValueError, match="features"):
        fm.transform(X[:, :100])


# ------------------------------------------------------------ validation data

def test_classifier_validation_data_is_the_trainers_explicit_split(data):
    X, y = data
    names = np.array(["ant", "bee", "cat"])[y]
    clf = deepdot.Classifier(n_components=256, random_state=0, lambdas=[1e-6, 1e-3, 1e1], refit_on_all=False)
    clf.fit(X[:250], names[:250], validation_data=(X[250:], names[250:]))
    assert clf.fit_info_["selection"] == "validation"
    assert clf.fit_info_["validation points"] == str(len(X) - 250)
    # The chosen lambda is the one with the best accuracy on exactly those points.
    scores = [deepdot.Classifier(n_components=256, random_state=0, lambdas=[lam], refit_on_all=False)
              .fit(X[:250], names[:250], validation_data=(X[250:], names[250:])).score(X[250:], names[250:])
              for lam in [1e-6, 1e-3, 1e1]]
    chosen = clf.model_.info()["lambdas"]
    assert clf.score(X[250:], names[250:]) == pytest.approx(max(scores))
    assert len(chosen) >= 1
    with pytest.raises(ValueError, match="not one of the training classes"):
        clf.fit(X[:250], names[:250], validation_data=(X[250:], np.array(["ant", "dog"] * 75)))
    with pytest.raises(ValueError, match="pair"):
        clf.fit(X[:250], names[:250], validation_data=X[250:])
    with pytest.raises(ValueError, match="points"):
        clf.fit(X[:250], names[:250], validation_data=(X[250:], names[251:]))
    Xs, ys = sparse_data(n=60)
    with pytest.raises(ValueError, match="dense"):
        deepdot.Classifier(map="tensorsketch", n_components=64).fit(Xs, ys, validation_data=(Xs, ys))


def test_regressor_validation_data():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 4))
    t = np.sin(X[:, 0]) + 0.1 * rng.normal(size=300)
    reg = deepdot.Regressor(n_components=256, random_state=1, refit_on_all=False)
    reg.fit(X[:200], t[:200], validation_data=(X[200:], t[200:]))
    assert reg.fit_info_["selection"] == "validation"
    assert reg.fit_info_["validation points"] == "100"
    assert reg.score(X[200:], t[200:]) > 0.8
    with pytest.raises(ValueError, match="shape"):
        reg.fit(X[:200], t[:200], validation_data=(X[200:], np.c_[t[200:], t[200:]]))


def test_approximation_error_falls_with_D(data):
    X, _ = data
    errs = [deepdot.approximation_error(deepdot.FeatureMap(n_components=D, random_state=1).fit(X), X)
            ["relative_frobenius"] for D in (64, 4096)]
    assert errs[1] < errs[0] / 3  # error ~ 1/sqrt(D): 8x fewer at 64x the features, 3 leaves room


# ----------------------------------------------------------------- pickling

@pytest.mark.parametrize("make", [
    lambda: deepdot.Classifier(n_components=256, random_state=1),
    lambda: deepdot.Classifier(map="nystrom", n_components=128, loss="logistic", random_state=1),
    lambda: deepdot.Regressor(n_components=256, random_state=1),
    lambda: deepdot.KernelRidge(alpha=0.1),
    lambda: deepdot.FeatureMap(map="nystrom", n_components=64, random_state=1),
    lambda: deepdot.FeatureMap(map="srht", n_components=64, scaling="max-norm", random_state=1),
])
def test_pickle_and_joblib_bit_identical(make, data):
    X, y = data
    est = make().fit(X, y)
    out = (lambda e: e.transform(X)) if isinstance(est, deepdot.FeatureMap) else (lambda e: e.predict(X))
    before = out(est)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(out(back), before)
    buf = io.BytesIO()
    joblib.dump(est, buf)
    buf.seek(0)
    np.testing.assert_array_equal(out(joblib.load(buf)), before)


def test_pickle_goes_through_model_bytes(data):
    X, y = data
    clf = deepdot.Classifier(n_components=64, random_state=1).fit(X, y)
    state = clf.__getstate__()
    assert state["model_"][:8] == b"DDMODEL\x1a"  # deepdot's own versioned, checksummed file image
    corrupt = bytearray(state["model_"])
    corrupt[len(corrupt) // 2] ^= 0xFF
    state["model_"] = bytes(corrupt)
    with pytest.raises(ValueError):
        deepdot.Classifier().__setstate__(state)


# ------------------------------------------------------- scikit-learn tools

def test_pipeline_grid_search_and_cross_val_score(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), deepdot.Classifier(n_components=128, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8
    grid = GridSearchCV(deepdot.Classifier(n_components=128, random_state=0),
                        {"kernel": ["recursive:1", "recursive:3"], "lambdas": [1e-3, 1e-1]}, cv=3).fit(X, y)
    assert grid.best_score_ > 0.8 and grid.best_params_["kernel"] in ("recursive:1", "recursive:3")
    feats = make_pipeline(deepdot.FeatureMap(n_components=128, random_state=0), StandardScaler())
    assert feats.fit_transform(X).shape == (len(X), 128)


def test_defaults_come_from_trainer_config():
    d = deepdot.trainer_defaults()
    p = deepdot.Classifier().get_params()
    assert (p["kernel"], p["map"], p["n_components"], p["loss"]) == (d["kernel"], d["map"], d["features"], d["loss"])
    assert (p["validation_fraction"], p["scaling"], p["precision"]) == (d["validation_fraction"], d["scaling"],
                                                                      d["precision"])
    assert deepdot.FeatureMap().get_params()["map_sample"] == d["map_sample"]


# ------------------------------------------------------------------- errors

def test_not_fitted_errors(data):
    X, _ = data
    for est in [deepdot.Classifier(), deepdot.Regressor(), deepdot.KernelRidge()]:
        with pytest.raises(NotFittedError):
            est.predict(X)
    with pytest.raises(NotFittedError):
        deepdot.Classifier().decision_function(X)
    with pytest.raises(NotFittedError):
        deepdot.FeatureMap().transform(X)


@pytest.mark.parametrize("value,word", [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_non_finite_input_names_the_value(data, value, word):
    X, y = data
    Xb = X.copy()
    Xb[5, 3] = value
    with pytest.raises(ValueError, match=rf"deepdot.Classifier.fit\(\): X\[5, 3\] is {word}"):
        deepdot.Classifier(n_components=32).fit(Xb, y)
    fm = deepdot.FeatureMap(n_components=32).fit(X)
    with pytest.raises(ValueError, match=rf"deepdot.FeatureMap.transform\(\): X\[5, 3\] is {word}"):
        fm.transform(Xb)
    with pytest.raises(ValueError, match=rf"X\[5, 3\] is {word}"):
        deepdot.Regressor(n_components=32).fit(Xb, X[:, 0])


def test_norm_above_one_without_scaling(data):
    X, y = data
    with pytest.raises(ValueError, match="unit ball|norm"):
        deepdot.Classifier(n_components=32, scaling="none").fit(X, y)
    fm = deepdot.FeatureMap(n_components=32, scaling="none").fit(normalize(X))
    with pytest.raises(ValueError, match="unit ball|norm"):
        fm.transform(X)
    with pytest.raises(ValueError, match="unit ball|norm"):
        deepdot.gram("recursive:2", X)


def test_wrong_shapes(data):
    X, y = data
    fm = deepdot.FeatureMap(n_components=32).fit(X)
    with pytest.raises(ValueError, match="12 features"):
        fm.transform(X[:, :5])
    clf = deepdot.Classifier(n_components=32).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :5])
    with pytest.raises(ValueError):
        clf.predict(X[0])  # 1-D
    with pytest.raises(ValueError):
        deepdot.Classifier().fit(X, y[:-1])
    with pytest.raises(ValueError):
        deepdot.gram("recursive:2", normalize(X), normalize(X[:, :3]))


@pytest.mark.parametrize("params,match", [
    ({"kernel": "recursive:x"}, "recursive"),
    ({"kernel": "nonsense"}, "nonsense"),
    ({"map": "nomap"}, "nomap"),
    ({"loss": "cubic"}, "cubic"),
    ({"scaling": "sideways"}, "sideways"),
    ({"precision": "half"}, "half"),
    ({"n_components": -1}, "n_components"),
    ({"validation_fraction": 2.0}, "validation_fraction"),
    ({"threads": -1}, "threads"),
    ({"random_state": -3}, "random_state"),
])
def test_bad_parameters(data, params, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        deepdot.Classifier(**{"n_components": 32, **params}).fit(X, y)


def test_bad_feature_map_and_kernel_specs(data):
    X, _ = data
    with pytest.raises(ValueError, match="nomap"):
        deepdot.FeatureMap(map="nomap").fit(X)
    with pytest.raises(ValueError, match="poly:-1"):
        deepdot.kernel("poly:-1")
    with pytest.raises(ValueError, match="alpha"):
        deepdot.KernelRidge(alpha=0.0).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="class"):
        deepdot.Classifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="nystrom|landmark|D"):
        deepdot.FeatureMap(map="nystrom", n_components=1000).fit(X)  # fewer points than landmarks


def test_docs_example_runs(tmp_path):
    """docs/python.md's opening script, on 1,000 images with 256 features."""
    import re
    doc = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "python.md")).read()
    script = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    assert "n_train, D = 20000, 4096" in script
    script = script.replace("n_train, D = 20000, 4096", "n_train, D = 1000, 256")
    script = script.replace('load_fashion_mnist("test")', 'load_fashion_mnist("test", 500)')
    if not os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
        pytest.skip("dataset-fashion-mnist is not installed")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    accuracies = [float(a) for a in re.findall(r"accuracy (\d\.\d+)", r.stdout)]
    assert len(accuracies) == 2 and min(accuracies) > 0.6, r.stdout


def test_float32_unit_rows_pass_without_scaling(data):
    # Rows normalised in float32 overshoot norm 1 by float rounding; the double
    # paths (Trainer, Nystroem's fit) must accept them as the float ones do.
    X, y = data
    X32 = normalize(X).astype(np.float32)
    assert (np.linalg.norm(X32.astype(np.float64), axis=1) > 1 + 1e-12).any()
    fm = deepdot.FeatureMap(map="nystrom", n_components=64, scaling="none", random_state=0).fit(X32)
    assert fm.transform(X32).dtype == np.float32
    clf = deepdot.Classifier(n_components=64, scaling="none", random_state=0).fit(X32, y)
    assert clf.score(X32, y) > 0.8
    with pytest.raises(ValueError, match="norm"):
        deepdot.Classifier(n_components=64, scaling="none").fit((X32 * 1.01).astype(np.float32), y)


# ------------------------------------------------------------- certificate

def test_certificate_is_a_fitted_attribute_and_can_be_switched_off():
    X, y = blobs(600, 6, 3, 2)
    on = deepdot.Classifier(kernel="recursive:1", map="tensorsketch", n_components=256, random_state=0).fit(X, y)
    c = on.certificate_
    assert c is not None
    assert c["sample_points"] == 600
    assert 0.0 < c["kernel_error"] < 1.0
    assert c["kernel_error_nonconstant"] >= c["kernel_error"]
    assert 0.0 <= c["prediction_difference"]
    assert 0.0 <= c["label_agreement"] <= 1.0
    assert c["disjoint_from_map_fit"] is True
    # More features: a smaller kernel error (same seed, same sample).
    big = deepdot.Classifier(kernel="recursive:1", map="tensorsketch", n_components=4096, random_state=0).fit(X, y)
    assert big.certificate_["kernel_error"] < 0.5 * c["kernel_error"]
    off = deepdot.Classifier(kernel="recursive:1", map="tensorsketch", n_components=256, certificate=False,
                             random_state=0).fit(X, y)
    assert off.certificate_ is None
    assert off.fit_info_["certificate"] == "off"
    exact = deepdot.Regressor(kernel="recursive:1", map="exact", lambdas=1e-3).fit(X, y.astype(float))
    assert exact.certificate_ is None
    assert exact.fit_info_["certificate"].startswith("exact")
# ------------------------------------------------------------ tabular preprocessing

def _tabular(n, seed):
    rng = np.random.default_rng(seed)
    G = rng.normal(size=(n, 2))
    X = np.column_stack([50000 + 10000 * G[:, 0], 1 + 0.05 * G[:, 1], np.full(n, 7.0)])
    return X, (G[:, 0] + G[:, 1] > 0).astype(int)


def test_feature_scaling_and_sphere_lift_parameters():
    d = deepdot.trainer_defaults()
    for est in [deepdot.Classifier(), deepdot.Regressor(), deepdot.KernelRidge()]:
        p = est.get_params()
        assert (p["feature_scaling"], p["lift_scale"]) == (d["feature_scaling"], d["lift_scale"])
    clf = deepdot.Classifier(n_components=256, feature_scaling="standardize", scaling="sphere-lift", random_state=0)
    assert clone(clf).get_params()["feature_scaling"] == "standardize"
    X, y = _tabular(500, 1)
    Xt, yt = _tabular(300, 2)
    clf.fit(X, y)
    info = clf.model_.info()
    assert info["feature_scaling"] == "standardize" and info["scaling"] == "sphere-lift"
    assert info["feature_factor"][2] == 0.0  # the constant column
    raw = deepdot.Classifier(n_components=256, scaling="unit-norm", random_state=0).fit(X, y)
    assert clf.score(Xt, yt) > raw.score(Xt, yt) + 0.05
    # Pickled, the model predicts the same.
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.decision_function(Xt), clf.decision_function(Xt))
    kr = deepdot.KernelRidge(feature_scaling="minmax", scaling="sphere-lift", lift_scale=3.0).fit(X, y.astype(float))
    assert kr.model_.info()["scaling_factor"] == 3.0
    with pytest.raises(ValueError, match="unknown feature scaling"):
        deepdot.Classifier(feature_scaling="robust").fit(X, y)
    with pytest.raises(ValueError, match="FeatureMap"):
        deepdot.FeatureMap(scaling="sphere-lift").fit(X)
