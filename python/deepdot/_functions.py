# SPDX-License-Identifier: MIT
"""Kernels, Gram matrices and approximation errors (thin wrappers of the C++ library)."""
import numpy as np

from . import _deepdot
from ._validation import as_matrix


def trainer_defaults():
    """deepdot::TrainerConfig{} as a dict: the C++ defaults the estimators use."""
    return _deepdot.trainer_defaults()


def feature_map_names():
    """The feature-map specs deepdot accepts (for ``map=``)."""
    return _deepdot.feature_map_names()


def kernel(spec):
    """The dot-product kernel K(x, y) = f(<x, y>) of a spec such as "recursive:3".

    The result is callable on inner products t in [-1, 1] (a float or an
    array), with ``coefficients(n)`` (the Maclaurin coefficients a_0..a_{n-1}),
    ``tail(N)``, ``spec`` and ``formula``. Raises ValueError for a bad spec.
    """
    if isinstance(spec, _deepdot.Kernel):
        return spec
    return _deepdot.Kernel(str(spec))


def _spec(k):
    return k.spec if isinstance(k, _deepdot.Kernel) else str(k)


def gram(spec, X, Y=None, threads=0):
    """The exact Gram matrix K(X, Y) (n x m), or K(X, X) (n x n) when Y is None.

    X: n x d and Y: m x d, one row per point, every row in the unit ball
    (||x|| <= 1; ValueError otherwise). float32 inputs give a float32 result.
    """
    X = as_matrix(X, "X", "deepdot.gram()")
    if Y is not None:
        Y = as_matrix(Y, "Y", "deepdot.gram()", dtype=X.dtype)
    return _deepdot.gram(_spec(spec), X, Y, int(threads))


def approximation_error(kernel, X, Z=None):
    """How well features Z reproduce the exact Gram matrix of X.

    ``kernel`` is a kernel spec (or :func:`kernel`) and Z the n x D features of
    the n x d points X (rows in the unit ball); or ``kernel`` is a fitted
    :class:`deepdot.FeatureMap`, and then Z defaults to its transform of X and
    X is scaled as the map scales it. Returns a dict with
    ``relative_frobenius`` (||K - ZZ'||_F / ||K||_F),
    ``relative_frobenius_nonconstant``, ``max_abs_error`` and
    ``relative_spectral``.
    """
    from ._estimators import FeatureMap
    if isinstance(kernel, FeatureMap):
        fm = kernel
        if Z is None:
            Z = fm.transform(X)
        X = fm._scaled_for_kernel(X)
        spec = fm.map_.kernel
    else:
        if Z is None:
            raise ValueError("deepdot.approximation_error(): give the features Z of X, or a fitted deepdot.FeatureMap")
        spec = _spec(kernel)
    X = as_matrix(X, "X", "deepdot.approximation_error()")
    Z = as_matrix(Z, "Z", "deepdot.approximation_error()")
    return _deepdot.approximation_error(spec, X, Z)


def load_fashion_mnist(split="train", max_count=None):
    """Fashion-MNIST from Debian's dataset-fashion-mnist package (or
    $DEEPDOT_FASHION_MNIST_DIR): (X, y) with X n x 784 float64 (pixel values
    0..255, not normalised) and y n labels 0..9; split "train" (60,000) or
    "test" (10,000), at most max_count images. ValueError if the files are
    missing (the message says how to install them) or corrupt."""
    return _deepdot.load_fashion_mnist(split, 0 if max_count is None else int(max_count))
