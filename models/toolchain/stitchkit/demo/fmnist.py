"""Fashion-MNIST from the Debian ``dataset-fashion-mnist`` package: gzipped IDX files parsed with numpy."""
from __future__ import annotations

import gzip
import os
from typing import Tuple

import numpy as np

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# IDX type codes (third magic byte) → numpy big-endian dtypes.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(raw: bytes) -> np.ndarray:
    """Decode one (already decompressed) IDX blob into an array of its declared shape and type.

    Layout: two zero bytes, a type code, the number of dimensions, one big-endian uint32 per dimension,
    then the data in C order.
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError("not an IDX file: the magic number must start with two zero bytes")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"unknown IDX type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError("truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"IDX payload is {len(raw) - header} bytes, shape {shape} needs {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx_gz(path: str) -> np.ndarray:
    """Read and decode a gzipped IDX file."""
    with gzip.open(path, "rb") as f:
        return parse_idx(f.read())


def load_split(split: str, root: str = DEFAULT_ROOT) -> Tuple[np.ndarray, np.ndarray]:
    """Images ``uint8 [N, 28, 28]`` (0 = black background, 255 = ink) and labels ``int64 [N]`` in 0..9."""
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    img_file, lbl_file = (os.path.join(root, name) for name in _FILES[split])
    for path in (img_file, lbl_file):
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing: apt-get install -y dataset-fashion-mnist")
    images, labels = read_idx_gz(img_file), read_idx_gz(lbl_file)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"inconsistent Fashion-MNIST {split} files: {images.shape} vs {labels.shape}")
    return images.astype(np.uint8), labels.astype(np.int64)
