# SPDX-License-Identifier: MIT
import numpy as np
import pytest


def blobs(n, d, classes, seed):
    """n points in d dimensions around `classes` random centres (labels 0..classes-1)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, d)) * 2.0
    y = rng.integers(0, classes, size=n)
    X = centres[y] + rng.normal(size=(n, d))
    return X, y


@pytest.fixture
def data():
    return blobs(400, 12, 3, 7)
