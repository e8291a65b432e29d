#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""scikit-learn's pipeline on the spam corpus: the hashed bag of words of scripts/spam_to_libsvm.py
(the same features HashingVectorizer(n_features=2^bits, alternate_sign=False) with log(1 + tf)
would give, read from the same LIBSVM files so that every model sees identical inputs), unit-normalised
rows, PolynomialCountSketch(degree, gamma=1, coef0) to D features, then LinearSVC (squared hinge,
C chosen on a 10% validation split from 0.1, 1, 10, 100).

usage: /usr/bin/python3 scripts/spam_sklearn.py TRAIN TEST DIM [D] [DEGREE] [COEF0]
"""
import sys
import time

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.kernel_approximation import PolynomialCountSketch
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

train, test, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
D = int(sys.argv[4]) if len(sys.argv) > 4 else 4096
degree = int(sys.argv[5]) if len(sys.argv) > 5 else 2
coef0 = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
t0 = time.time()
Xtr, ytr = load_svmlight_file(train, n_features=dim)
Xte, yte = load_svmlight_file(test, n_features=dim)
Xtr, Xte = normalize(Xtr), normalize(Xte)
sketch = PolynomialCountSketch(degree=degree, gamma=1.0, coef0=coef0, n_components=D, random_state=1).fit(Xtr)
Ztr, Zte = sketch.transform(Xtr), sketch.transform(Xte)
t1 = time.time()
rng = np.random.default_rng(1)
perm = rng.permutation(len(ytr))
nval = len(ytr) // 10
val, fit = perm[:nval], perm[nval:]
best = max((LinearSVC(C=C, max_iter=5000).fit(Ztr[fit], ytr[fit]).score(Ztr[val], ytr[val]), C) for C in (0.1, 1, 10, 100))
model = LinearSVC(C=best[1], max_iter=5000).fit(Ztr, ytr)
print(f"sklearn PolynomialCountSketch(degree={degree}, coef0={coef0}, D={D}) + LinearSVC(C={best[1]}): "
      f"test accuracy {model.score(Zte, yte):.4f}; sketch {t1 - t0:.1f} s, fit {time.time() - t1:.1f} s")
