# SPDX-License-Identifier: MIT
"""Input conversion shared by the estimators and functions.

The library takes n x d C-ordered float32 or float64 arrays without copying;
anything else (lists, other dtypes, Fortran order, non-contiguous views) is
converted once here, to float64 unless it is float32 already. NaN and inf
are left for the C++ layer, which names the first one in its message.

scipy.sparse input (where an estimator accepts it) becomes canonical CSR
(sorted indices, duplicates summed, as scipy itself reads them): CSC, COO
and the other formats are converted once; CSR rows of the n x d matrix are
the compressed columns of the library's d x n matrix, so nothing is
transposed. It reaches the C++ layer as the tuple (data, indices, indptr,
(n, d)), see :func:`sparse_parts`.
"""
import inspect

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # scikit-learn 1.2 .. 1.5
    def _validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

# force_all_finite was renamed ensure_all_finite in scikit-learn 1.6.
_FINITE = ("ensure_all_finite" if "ensure_all_finite" in inspect.signature(check_array).parameters
           else "force_all_finite")

FLOAT_DTYPES = (np.float64, np.float32)


def array_params(dtype=FLOAT_DTYPES, accept_sparse=False):
    params = {"dtype": list(dtype) if isinstance(dtype, tuple) else dtype, "order": "C",
              "accept_sparse": ["csr"] if accept_sparse else False, _FINITE: False}
    if accept_sparse:
        params["accept_large_sparse"] = True
    return params


def sparse_parts(X):
    """A CSR matrix as the C++ layer's (data, indices, indptr, (n, d)); any
    other X unchanged. A matrix with unsorted or repeated column indices is
    canonicalised on a copy (repeats summed), the caller's is not modified."""
    if not sp.issparse(X):
        return X
    if X.format != "csr":
        X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return (X.data, X.indices, X.indptr, tuple(int(v) for v in X.shape))


def as_matrix(X, name, where, dtype=FLOAT_DTYPES):
    """X as an n x d C-ordered float array (no copy when it already is one)."""
    try:
        return check_array(X, input_name=name, **array_params(dtype))
    except TypeError:  # input_name appeared in scikit-learn 1.1
        return check_array(X, **array_params(dtype))


def validate_X(estimator, X, reset, accept_sparse=False):
    return _validate_data(estimator, X, reset=reset, **array_params(accept_sparse=accept_sparse))


def validate_Xy(estimator, X, y, multi_output=False, y_numeric=False, accept_sparse=False):
    return _validate_data(estimator, X, y, multi_output=multi_output, y_numeric=y_numeric,
                          **array_params(accept_sparse=accept_sparse))
