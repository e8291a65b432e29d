# SPDX-License-Identifier: MIT
"""The C++ layer: zero-copy inputs and outputs, the GIL, threads, kernels and Gram matrices."""
import sys
import threading
import time

import numpy as np
import pytest
from sklearn.preprocessing import normalize

import deepdot
from deepdot import _deepdot
from deepdot._validation import as_matrix, validate_X
from conftest import blobs


def address(a):
    return a.__array_interface__["data"][0]


# ---------------------------------------------------------------- zero-copy

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_c_ordered_inputs_are_not_copied(dtype):
    X = np.random.default_rng(0).normal(size=(50, 7)).astype(dtype)
    # The library's d x n matrix is the numpy buffer itself...
    assert _deepdot._view_address(X) == address(X)
    # ...and the Python layer passes C-ordered float arrays through untouched.
    assert address(as_matrix(X, "X", "test")) == address(X)
    fm = deepdot.FeatureMap(n_components=16).fit(X)
    assert address(validate_X(fm, X, reset=False)) == address(X)


def test_other_layouts_are_converted_once():
    X = np.asfortranarray(np.random.default_rng(0).normal(size=(50, 7)))
    C = as_matrix(X, "X", "test")
    assert C.flags["C_CONTIGUOUS"] and address(C) != address(X)
    np.testing.assert_array_equal(C, X)
    ints = as_matrix(np.arange(12).reshape(3, 4), "X", "test")
    assert ints.dtype == np.float64
    with pytest.raises(ValueError, match="C-ordered"):
        _deepdot._view_address(X)  # the C++ layer itself never copies: it refuses


def test_outputs_are_handed_over_without_copy():
    # A 30 x 50 arma matrix is a 50 x 30 C-ordered array. (Armadillo keeps
    # matrices of at most 16 values inside the object, so those are moved by
    # copying their few values; anything larger is handed over as it is.)
    out, library_address = _deepdot._owned_output(30, 50)
    assert out.shape == (50, 30) and out.flags["C_CONTIGUOUS"]
    assert address(out) == library_address
    assert not out.flags["OWNDATA"] and type(out.base).__name__ == "PyCapsule"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_and_predict_outputs_are_library_memory(dtype, data):
    X, y = data
    X = X.astype(dtype)
    Z = deepdot.FeatureMap(n_components=32, random_state=1, precision="double").fit(X).transform(X)
    assert Z.dtype == dtype and Z.shape == (len(X), 32) and Z.flags["C_CONTIGUOUS"]
    assert type(Z.base).__name__ == "PyCapsule"
    S = deepdot.Classifier(n_components=32, random_state=1).fit(X, y).decision_function(X)
    assert S.shape == (len(X), 3) and type(S.base).__name__ == "PyCapsule"
    K = deepdot.gram("recursive:2", normalize(X).astype(dtype))
    assert K.dtype == dtype and type(K.base).__name__ == "PyCapsule"


# --------------------------------------------------------------------- GIL

def runs_during(call):
    """How often another Python thread ran in the middle 40% of `call` (its
    first and last 30% are left out: the other thread may still be finishing or
    already starting a turn there). That thread wakes every 0.5 ms and needs
    the GIL to record the time, so it can run in the middle of the call only
    if the call has released the GIL."""
    times = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            times.append(time.perf_counter())
            time.sleep(0.0005)

    t = threading.Thread(target=tick)
    t.start()
    time.sleep(0.01)
    start = time.perf_counter()
    call()
    end = time.perf_counter()
    stop.set()
    t.join()
    lo, hi = start + 0.3 * (end - start), end - 0.3 * (end - start)
    return sum(lo <= s <= hi for s in times)


def test_gil_is_released_during_fit_transform_predict():
    X, y = blobs(4000, 64, 3, 0)
    clf = deepdot.Classifier(n_components=2048, random_state=0)
    assert runs_during(lambda: clf.fit(X, y)) > 0
    Xp = np.tile(X, (4, 1))
    assert runs_during(lambda: clf.predict(Xp)) > 0
    fm = deepdot.FeatureMap(n_components=4096, random_state=0).fit(X)
    assert runs_during(lambda: fm.transform(Xp)) > 0
    # The control: a C call that keeps the GIL (list.sort) leaves the other thread no turn.
    values = np.random.default_rng(0).random(1_500_000).tolist()
    assert runs_during(lambda: sorted(values)) == 0


def test_parallel_fits_give_the_serial_results():
    X, y = blobs(1000, 32, 3, 1)
    serial = [deepdot.Classifier(n_components=256, random_state=s).fit(X, y).decision_function(X) for s in (1, 2)]
    results = [None, None]

    def work(i):
        results[i] = deepdot.Classifier(n_components=256, random_state=i + 1, threads=1).fit(X, y).decision_function(X)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(results, serial):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------- threads

def test_threads_bound_the_blas_budget_and_restore_it(data):
    X, y = data
    before = _deepdot.blas_threads()
    assert _deepdot._blas_threads_within(1) == 1
    assert _deepdot._blas_threads_within(0) == before  # 0: leave the budget alone
    assert _deepdot.blas_threads() == before
    deepdot.Classifier(n_components=64, threads=1).fit(X, y)
    assert _deepdot.blas_threads() == before
    with pytest.raises(ValueError, match="threads"):
        deepdot.FeatureMap(n_components=16, threads=-2).fit(X)


# ---------------------------------------------------------- kernels, gram

def test_kernel_values_and_coefficients():
    k = deepdot.kernel("recursive:2")
    t = np.linspace(-1, 1, 11)
    np.testing.assert_allclose(k(t), (2 - t) / (3 - 2 * t), rtol=1e-14)
    assert k(0.5) == pytest.approx(0.75)
    a = k.coefficients(200)
    assert a.shape == (200,) and (a >= 0).all()
    assert a.sum() + k.tail(199) == pytest.approx(k.value_at_one(), rel=1e-12)
    np.testing.assert_allclose(deepdot.kernel("poly:2:1").coefficients(4), [0.25, 0.5, 0.25, 0.0], atol=1e-15)
    with pytest.raises(ValueError):
        k(1.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gram_is_f_of_inner_products(dtype):
    rng = np.random.default_rng(1)
    X = normalize(rng.normal(size=(30, 6))).astype(dtype)
    Y = normalize(rng.normal(size=(20, 6))).astype(dtype)
    k = deepdot.kernel("recursive:3")
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(deepdot.gram("recursive:3", X, Y), k(np.clip(X.astype(float) @ Y.T.astype(float), -1, 1)),
                               rtol=tol, atol=tol)
    K = deepdot.gram(k, X)
    np.testing.assert_allclose(K, K.T, rtol=tol)
    np.testing.assert_allclose(K, k(np.clip(X.astype(float) @ X.T.astype(float), -1, 1)), rtol=tol, atol=tol)


def test_approximation_error_of_exact_features_is_zero():
    X = normalize(np.random.default_rng(2).normal(size=(25, 4)))
    # poly:1:0 is the linear kernel: X itself is an exact feature map.
    e = deepdot.approximation_error("poly:1:0", X, X)
    assert e["relative_frobenius"] < 1e-12 and e["max_abs_error"] < 1e-12
    with pytest.raises(ValueError):
        deepdot.approximation_error("poly:1:0", X, X[:10])


def test_load_fashion_mnist_matches_the_idx_files(monkeypatch, tmp_path):
    import gzip
    import os
    directory = "/usr/share/datasets/fashion-mnist"
    if not os.path.exists(directory + "/t10k-images-idx3-ubyte.gz"):
        pytest.skip("dataset-fashion-mnist is not installed")
    X, y = deepdot.load_fashion_mnist("test", max_count=50)
    with gzip.open(directory + "/t10k-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(16 + 50 * 784), dtype=np.uint8, offset=16).reshape(50, 784)
    with gzip.open(directory + "/t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(8 + 50), dtype=np.uint8, offset=8)
    np.testing.assert_array_equal(X, raw)
    np.testing.assert_array_equal(y, labels)
    monkeypatch.setenv("DEEPDOT_FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="fashion"):
        deepdot.load_fashion_mnist("test")
    with pytest.raises(ValueError):
        deepdot.load_fashion_mnist("validation")
