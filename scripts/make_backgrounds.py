# SPDX-License-Identifier: MIT
"""Writes the natural-image background file of the Table 1 experiment.

The photographs are the ones scikit-image ships in its data folder (Debian:
python3-skimage). Each is converted to grey (skimage.color.rgb2gray, the
ITU-R 601 luma weights) and rounded to 8 bits. The output is a stream of
binary PGM images (Netpbm "P5", maxval 255) written one after the other in a
single file; the first header comment of each image names its split and its
source:

    P5
    # deepdot-background train camera.png
    512 512
    255
    <512 * 512 bytes, row-major, row 0 at the top>

Train photographs feed the training and validation images of the experiment,
test photographs the test images, so no test background comes from a
photograph seen in training.

usage: make_backgrounds.py OUTPUT
"""
import os
import sys

import numpy as np
import skimage
import skimage.color
import skimage.io

# Photographs only (no drawings, text, logos or synthetic patterns). Disjoint sets.
TRAIN = ["astronaut.png", "brick.png", "camera.png", "coffee.png", "grass.png", "motorcycle_left.png"]
TEST = ["chelsea.png", "coins.png", "gravel.png", "moon.png", "rocket.jpg"]


def grey8(path):
    image = skimage.io.imread(path)
    if image.ndim == 3:
        image = skimage.color.rgb2gray(image[..., :3])  # floats in [0, 1]
        return np.clip(np.rint(255.0 * image), 0, 255).astype(np.uint8)
    if image.ndim == 2 and image.dtype == np.uint8:
        return image
    raise ValueError(f"{path}: expected an 8-bit grey or RGB image, got shape {image.shape}, {image.dtype}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_backgrounds.py OUTPUT")
    output = sys.argv[1]
    data = os.path.join(os.path.dirname(skimage.__file__), "data")
    chunks = []
    for split, names in (("train", TRAIN), ("test", TEST)):
        for name in names:
            path = os.path.join(data, name)
            if not os.path.isfile(path):
                sys.exit(f"make_backgrounds.py: {path} not found (is python3-skimage complete?)")
            grey = grey8(path)
            height, width = grey.shape
            header = f"P5\n# deepdot-background {split} {name}\n{width} {height}\n255\n"
            chunks.append(header.encode("ascii") + np.ascontiguousarray(grey).tobytes())
            print(f"{split:5s} {name:22s} {width:4d} x {height:4d}  mean {grey.mean():6.1f}  sd {grey.std():5.1f}")
    # Atomic: a reader never sees a half-written file.
    temporary = output + ".tmp"
    with open(temporary, "wb") as out:
        out.write(b"".join(chunks))
    os.replace(temporary, output)
    print(f"wrote {output}: {len(TRAIN)} train and {len(TEST)} test photographs")


if __name__ == "__main__":
    main()
