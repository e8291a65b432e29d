#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerates tests/data/good and tests/data/broken (plain Python, no NumPy).

good/:   small files of every format that read_dataset() must accept.
broken/: one mistake per file; read_dataset() must reject each with a
         std::invalid_argument naming the file and a line or byte offset.
Run from anywhere: python3 tests/data/make_corpus.py
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def npy(descr, shape, payload, fortran=False, version=1, raw_header=None):
    shape_txt = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    h = raw_header if raw_header is not None else \
        "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape_txt)
    pad = (64 - (10 + len(h) + 1) % 64) % 64
    h = (h + " " * pad + "\n").encode()
    ln = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes([version, 0]) + ln + h + payload


def f8(values):
    return struct.pack("<%dd" % len(values), *values)


def f4(values):
    return struct.pack("<%df" % len(values), *values)


def idx_images(n, rows, cols, data=None, magic=0x803):
    if data is None:
        data = bytes((7 * i) % 256 for i in range(n * rows * cols))
    return struct.pack(">IIII", magic, n, rows, cols) + data


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def write(sub, name, content):
    d = os.path.join(HERE, sub)
    os.makedirs(d, exist_ok=True)
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(os.path.join(d, name), mode) as f:
        f.write(content)


def gz(content):
    return gzip.compress(content if isinstance(content, bytes) else content.encode(), mtime=0)


X34 = [0.5, -1.25, 3.0, 4.0, 1e-3, 2.5e10, -0.0, 7.0, 8.0, 9.5, 10.0, 11.0]  # 3 points x 4 features

GOOD = {
    "iris-mini.csv": "sepal_length,sepal_width,petal_length,petal_width,species\n"
                     "5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,setosa\n"
                     "7.0,3.2,4.7,1.4,versicolor\n6.3,3.3,6.0,2.5,virginica\n",
    "semicolon-no-header.csv": "1;0.5;2\n0;1.5;-3\n1;2.5;4e2\n",
    "pandas-index.csv": ",0,1,2\n0,1.0,2.0,3.0\n1,4.0,5.0,6.0\n",
    "quoted-crlf.csv": "\ufeff\"a\",\"b\",\"label\"\r\n1,2,\"0\"\r\n3,4,\"1\"\r\n",
    "savetxt.txt": "1.000000000000000000e+00 2.000000000000000000e+00 0\n"
                   "3.000000000000000000e+00 4.000000000000000000e+00 1\n",
    "small.libsvm": "# a comment line\n+1 1:0.5 3:-2 # trailing comment\n-1 qid:3 2:1e-3\n\n2.5 4:7\n",
    "labels-text.txt": "cat\ndog\ncat\n",
    "c-order-f8.npy": npy("<f8", (3, 4), f8(X34)),
    "fortran-f4.npy": npy("<f4", (3, 4), f4([X34[i * 4 + j] for j in range(4) for i in range(3)]), fortran=True),
    "u1-3d.npy": npy("|u1", (2, 2, 3), bytes(range(12))),
    "labels-i8.npy": npy("<i8", (3,), struct.pack("<3q", 0, 2, -1)),
    "v2-header.npy": npy("<f8", (1, 2), f8([1.0, 2.0]), version=2),
    "tiny-images-idx3-ubyte.gz": gz(idx_images(5, 2, 3)),
    "tiny-labels-idx1-ubyte.gz": gz(idx_labels([0, 1, 2, 3, 4])),
    "plain-images-idx3-ubyte": idx_images(3, 2, 2),
}

BROKEN = {
    # empty and not-a-file-of-this-kind
    "empty.csv": b"",
    "empty.libsvm": b"",
    "empty.npy": b"",
    "empty-gzip.csv.gz": gz(b""),
    "binary-garbage.dat": bytes([0x01, 0x00, 0xFF, 0x10]) * 8,
    "utf16.csv": "a,b\n1,2\n".encode("utf-16"),
    "latin1.csv": "name,value\n1,2\ncaf\xe9,3\n".encode("latin-1"),
    "latin1.libsvm": b"1 1:0.5\n-1 2:1 # caf\xe9\n",
    "truncated-gzip.csv.gz": gz("a,b\n" + "1,2\n" * 500)[:-30],
    # CSV
    "ragged.csv": "a,b,c\n1,2,3\n4,5\n",
    "missing-value-na.csv": "a,b,label\n1,2,0\n3,NA,1\n",
    "missing-value-empty.csv": "1,2,0\n3,,1\n",
    "missing-value-question.csv": "1;2;0\n3;?;1\n",
    "missing-label.csv": "a,b,label\n1,2,0\n3,4,\n",
    "nan.csv": "a,b,label\n1,nan,0\n",
    "inf.csv": "1,2,0\n-inf,4,1\n",
    "overflow.csv": "1,2,0\n1e999,4,1\n",
    "text-feature.csv": "a,b,label\n1,2,0\n3,abc,1\n",
    "decimal-comma.csv": "a;b;label\n1,5;2;0\n",
    "header-only.csv": "a,b,label\n",
    "unclosed-quote.csv": "a,b\n\"1,2\n",
    "only-label-column.csv": "label\n1\n2\n",
    "carriage-returns.csv": "a,b\r1,2\r3,4\r",
    # LIBSVM
    "nan.libsvm": "1 1:0.5\n-1 2:nan\n",
    "inf.libsvm": "1 1:inf\n",
    "nan-label.libsvm": "nan 1:0.5\n",
    "missing-label.libsvm": "1 1:0.5\n2:1 3:4\n",
    "huge-index.libsvm": "1 1:0.5\n-1 1000000000000000:1\n",
    "negative-index.libsvm": "1 -3:0.5\n",
    "index-zero.libsvm": "1 0:0.5 1:2\n",
    "unordered.libsvm": "1 3:0.5 2:2\n",
    "duplicate-index.libsvm": "1 2:0.5 2:2\n",
    "no-colon.libsvm": "1 1:0.5 2 3:1\n",
    "bad-value.libsvm": "1 1:abc\n",
    "empty-value.libsvm": "1 1:\n",
    "multilabel.libsvm": "1,3 1:0.5\n",
    "comments-only.libsvm": "# nothing\n\n# here\n",
    "bad-qid.libsvm": "1 1:0.5 qid:3\n",
    # NPY
    "truncated.npy": npy("<f8", (3, 4), f8(X34)[:40]),
    "truncated-header.npy": npy("<f8", (3, 4), b"")[:30],
    "wrong-magic.npy": b"\x93NUMPX\x01\x00" + npy("<f8", (1, 1), f8([1.0]))[8:],
    "wrong-dims.npy": npy("<f8", (2, 3), f8([1.0] * 7)),
    "absurd-shape.npy": npy("<f8", (10**12, 10**12), f8([1.0] * 4)),
    "overflow-shape.npy": npy("<f8", (2**40, 2**40, 2**40), f8([1.0])),
    "nan.npy": npy("<f8", (2, 2), f8([1.0, float("nan"), 3.0, 4.0])),
    "inf-f4.npy": npy("<f4", (2, 2), f4([1.0, 2.0, float("inf"), 4.0])),
    "big-endian.npy": npy(">f8", (1, 2), struct.pack(">2d", 1.0, 2.0)),
    "object.npy": npy("|O", (1, 2), b"\x80\x02" + b"\x00" * 14),
    "structured.npy": npy(None, (1,), b"\x00" * 12,
                          raw_header="{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }"),
    "bad-header.npy": npy(None, (1,), f8([1.0]), raw_header="{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1, 1), }"),
    "unclosed-header.npy": npy(None, (1,), f8([1.0]), raw_header="{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1"),
    "one-dimensional.npy": npy("<f8", (3,), f8([1.0, 2.0, 3.0])),
    "complex.npy": npy("<c16", (1, 1), b"\x00" * 16),
    "float16.npy": npy("<f2", (1, 2), b"\x00" * 4),
    "empty-array.npy": npy("<f8", (0, 3), b""),
    "bad-version.npy": npy("<f8", (1, 1), f8([1.0]), version=9),
    # IDX (names follow MNIST's so that the format is found by name as well)
    "truncated-images-idx3-ubyte": idx_images(4, 2, 3)[:-5],
    "truncated-images-idx3-ubyte.gz": gz(idx_images(4, 2, 3)[:-5]),
    "wrong-magic-images-idx3-ubyte": idx_images(2, 2, 2, magic=0x804),
    "float-images-idx3-ubyte": idx_images(2, 2, 2, magic=0xD03),
    "labels-as-images-idx3-ubyte": idx_labels([1, 2, 3]),
    "absurd-dims-images-idx3-ubyte": idx_images(2**31, 28, 28, data=bytes(784)),
    "huge-image-images-idx3-ubyte": idx_images(1, 2**31, 2**31 - 1, data=bytes(16)),
    "zero-dims-images-idx3-ubyte": idx_images(2, 0, 5, data=b""),
    "no-images-idx3-ubyte": idx_images(0, 28, 28, data=b""),
    "trailing-images-idx3-ubyte": idx_images(2, 2, 2) + b"\x00",
    "truncated-header-images-idx3-ubyte": idx_images(1, 2, 2)[:9],
}


def main():
    for sub, files in (("good", GOOD), ("broken", BROKEN)):
        d = os.path.join(HERE, sub)
        if os.path.isdir(d):
            for f in os.listdir(d):
                os.remove(os.path.join(d, f))
        for name, content in files.items():
            write(sub, name, content)
    print("wrote %d good and %d broken files" % (len(GOOD), len(BROKEN)))


if __name__ == "__main__":
    main()
