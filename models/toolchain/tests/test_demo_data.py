"""Demo-family data: IDX parsing, and the scene generator's determinism and ground-truth consistency."""
import gzip
import os
import tempfile
import unittest

import numpy as np

from stitchkit.demo.fmnist import DEFAULT_ROOT, load_split, parse_idx, read_idx_gz
from stitchkit.demo.scenes import SceneConfig, make_scene, make_scenes


def idx_blob(array: np.ndarray, code: int = 0x08) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(">u1" if code == 0x08 else ">i4").tobytes()


def toy_pool(n=20, seed=0):
    """Blocky 28x28 'items' (a filled rectangle each) so scene assertions do not need the dataset."""
    rng = np.random.default_rng(seed)
    items = np.zeros((n, 28, 28), np.uint8)
    for k in range(n):
        y0, x0 = rng.integers(0, 8, size=2)
        items[k, y0:y0 + 18, x0:x0 + 16] = rng.integers(120, 256)
    return items, np.arange(n) % 10


class IdxTest(unittest.TestCase):
    def test_round_trip_uint8_and_int32(self):
        a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
        np.testing.assert_array_equal(parse_idx(idx_blob(a)), a)
        b = np.array([-5, 7, 1 << 20], np.int32)
        np.testing.assert_array_equal(parse_idx(idx_blob(b, 0x0C)), b)

    def test_gzip_file(self):
        a = np.arange(10, dtype=np.uint8)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.gz")
            with gzip.open(path, "wb") as f:
                f.write(idx_blob(a))
            np.testing.assert_array_equal(read_idx_gz(path), a)

    def test_bad_input(self):
        with self.assertRaises(ValueError):
            parse_idx(b"\x01\x00\x08\x01")
        with self.assertRaises(ValueError):
            parse_idx(idx_blob(np.arange(10, dtype=np.uint8))[:-1])  # truncated payload
        with self.assertRaises(ValueError):
            load_split("validation")

    @unittest.skipUnless(os.path.exists(DEFAULT_ROOT), "dataset-fashion-mnist not installed")
    def test_real_test_split(self):
        x, y = load_split("test")
        self.assertEqual(x.shape, (10000, 28, 28))
        self.assertEqual(np.bincount(y).tolist(), [1000] * 10)


class SceneTest(unittest.TestCase):
    cfg = SceneConfig()

    def setUp(self):
        self.items, self.labels = toy_pool()

    def test_deterministic_and_order_independent(self):
        a = make_scenes(self.items, self.labels, "test", [3, 4, 5])
        b = make_scene(self.items, self.labels, "test", 4)
        np.testing.assert_array_equal(a.images[1], b.image)
        np.testing.assert_array_equal(a.depth[1], b.depth)
        c = make_scene(self.items, self.labels, "train", 4)
        self.assertFalse(np.array_equal(b.image, c.image))  # splits draw different streams
        d = make_scene(self.items, self.labels, "test", 4, seed=1)
        self.assertFalse(np.array_equal(b.image, d.image))

    def test_ground_truth_is_consistent(self):
        s = self.cfg.size
        for i in range(30):
            sc = make_scene(self.items, self.labels, "train", i)
            self.assertEqual(sc.image.shape, (s, s, 3))
            self.assertEqual(sc.image.dtype, np.uint8)
            lo, hi = self.cfg.depth_range
            self.assertTrue(lo <= sc.depth.min() and sc.depth.max() <= hi)
            items = sc.segment > 0
            # items are always nearer than the background plane
            if items.any() and (~items).any():
                self.assertLess(sc.depth[items].max(), sc.depth[~items].min())
            self.assertEqual(len(sc.boxes) + sc.meta["hidden"], sc.items)
            for box, label in zip(sc.boxes, sc.box_labels):
                x0, y0, x1, y1 = box.astype(int)
                self.assertTrue(0 <= x0 < x1 <= s and 0 <= y0 < y1 <= s)
                inside = sc.segment[y0:y1, x0:x1]
                # the tight box touches a visible pixel of its class on every edge
                self.assertTrue((inside[:, 0] == label + 1).any() or (inside[:, 0] > 0).any())
                self.assertTrue((inside == label + 1).any())

    def test_nearer_items_are_larger_on_average(self):
        cfg = SceneConfig(min_items=1, max_items=1, min_visible=0.0)
        near, far = [], []
        for i in range(60):
            sc = make_scene(self.items, self.labels, "train", i, cfg=cfg)
            d = float(sc.depth[sc.segment > 0].mean())
            (near if d < 3.0 else far).append(int((sc.segment > 0).sum()))
        self.assertGreater(np.mean(near), np.mean(far))

    def test_rejects_bad_split_and_pool(self):
        with self.assertRaises(ValueError):
            make_scene(self.items, self.labels, "dev", 0)
        with self.assertRaises(ValueError):
            make_scene(self.items[:0], self.labels[:0], "train", 0)


if __name__ == "__main__":
    unittest.main()
