# SPDX-License-Identifier: MIT
"""deepdot for Python: deep dot-product kernels through explicit random features.

scikit-learn estimators over deepdot's C++ library:

* :class:`FeatureMap` -- an explicit feature map (transformer), like
  ``sklearn.kernel_approximation.Nystroem``;
* :class:`Classifier`, :class:`Regressor` -- deepdot's Trainer (map, loss,
  lambda / norm-bound selection) as estimators;
* :class:`KernelRidge` -- the exact kernel-limit learner;
* :func:`kernel`, :func:`gram`, :func:`approximation_error`.

Inputs are n x d arrays, one row per point. C-ordered float32 and float64
arrays are passed to the library without a copy; see docs/python.md.
"""
from ._deepdot import version as __version__
from ._functions import (kernel, gram, approximation_error, trainer_defaults, feature_map_names,
                         load_fashion_mnist)
from ._estimators import FeatureMap, Classifier, Regressor, KernelRidge

__all__ = ["FeatureMap", "Classifier", "Regressor", "KernelRidge", "kernel", "gram",
           "approximation_error", "trainer_defaults", "feature_map_names", "load_fashion_mnist", "__version__"]
