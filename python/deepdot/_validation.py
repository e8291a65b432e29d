# SPDX-License-Identifier: MIT
"""Input conversion shared by the estimators and functions.

The library takes n x d C-ordered float32 or float64 arrays without copying;
anything else (lists, other dtypes, Fortran order, non-contiguous views) is
converted once here, to float64 unless it is float32 already. NaN and inf
are left for the C++ layer, which names the first one in its message.
"""
import inspect

import numpy as np
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


def array_params(dtype=FLOAT_DTYPES):
    return {"dtype": list(dtype) if isinstance(dtype, tuple) else dtype, "order": "C",
            "accept_sparse": False, _FINITE: False}


def as_matrix(X, name, where, dtype=FLOAT_DTYPES):
    """X as an n x d C-ordered float array (no copy when it already is one)."""
    try:
        return check_array(X, input_name=name, **array_params(dtype))
    except TypeError:  # input_name appeared in scikit-learn 1.1
        return check_array(X, **array_params(dtype))


def validate_X(estimator, X, reset):
    return _validate_data(estimator, X, reset=reset, **array_params())


def validate_Xy(estimator, X, y, multi_output=False, y_numeric=False):
    return _validate_data(estimator, X, y, multi_output=multi_output, y_numeric=y_numeric, **array_params())
