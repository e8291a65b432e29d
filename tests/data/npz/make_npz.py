#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the scipy.sparse.save_npz files of tests/io/test_sparse_dataset.cpp (committed; rerun to remake).
The matrix: 3 points x 6 features, rows [0.5 at 0, -2 at 3], [3 at 1, 1e-3 at 5], [] (an empty point)."""
import os
import numpy as np
import scipy.sparse as sp

here = os.path.dirname(os.path.abspath(__file__))
M = sp.csr_matrix((np.array([0.5, -2.0, 3.0, 1e-3]), np.array([0, 3, 1, 5]), np.array([0, 2, 4, 4])), shape=(3, 6))
sp.save_npz(os.path.join(here, "good_csr.npz"), M)
sp.save_npz(os.path.join(here, "good_csr_stored.npz"), M, compressed=False)
sp.save_npz(os.path.join(here, "good_csc.npz"), M.tocsc())
sp.save_npz(os.path.join(here, "bad_coo.npz"), M.tocoo())
bad = M.copy()
bad.indices = np.array([3, 0, 1, 5], dtype=bad.indices.dtype)  # row 0 unsorted
bad.has_sorted_indices = False
np.savez_compressed(os.path.join(here, "bad_unsorted.npz"), data=bad.data, indices=bad.indices, indptr=bad.indptr,
                    shape=np.array(bad.shape), format=np.array("csr"))
np.savez_compressed(os.path.join(here, "bad_no_indptr.npz"), data=M.data, indices=M.indices,
                    shape=np.array(M.shape), format=np.array("csr"))
np.savez_compressed(os.path.join(here, "bad_index.npz"), data=M.data, indices=np.array([0, 3, 1, 6]), indptr=M.indptr,
                    shape=np.array(M.shape), format=np.array("csr"))
with open(os.path.join(here, "good_csr.npz"), "rb") as f:
    whole = f.read()
with open(os.path.join(here, "bad_truncated.npz"), "wb") as f:
    f.write(whole[: len(whole) // 2])
