"""The committed re-check fixture (test/demo-family/fixtures) is exactly what the scene generator produces.

If the generator changes, the fixture (and the bundle's dense metrics) are stale: re-run the demo training's
export stage.
"""
import gzip
import json
import os
import unittest

import numpy as np

from stitchkit.demo.fixture import DEFAULT_DIR, scene_bytes
from stitchkit.demo.fmnist import DEFAULT_ROOT, load_split
from stitchkit.demo.scenedata import ScenePool

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIXTURE = os.path.join(REPO, DEFAULT_DIR)
BUNDLE = os.path.join(REPO, "models", "fmnist-s-l", "manifest.json")


@unittest.skipUnless(os.path.exists(DEFAULT_ROOT), "dataset-fashion-mnist not installed")
class FixtureTest(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(os.path.join(FIXTURE, "subset.json")):
            if os.path.exists(BUNDLE):
                self.fail("models/fmnist-s-l is committed but its re-check fixture is missing")
            self.skipTest("no demo bundle yet")
        with open(os.path.join(FIXTURE, "subset.json")) as f:
            self.meta = json.load(f)

    def test_scenes_match_the_generator(self):
        x, y = load_split("test")
        scenes = ScenePool(x, y, "test", self.meta["seed"]).batch(range(self.meta["scenes"]))
        with gzip.open(os.path.join(FIXTURE, "scenes.bin.gz"), "rb") as f:
            self.assertEqual(f.read(), scene_bytes(scenes))
        self.assertEqual(self.meta["boxes"], [b.tolist() for b in scenes.boxes])
        self.assertEqual(self.meta["boxLabels"], [lb.tolist() for lb in scenes.box_labels])

    def test_tolerances_cover_every_checked_stitch(self):
        for sid in self.meta["stitches"]:
            tol = self.meta["tolerances"][str(sid)]
            self.assertEqual(sorted(tol), ["classify.top1", "depth.delta1", "detect.mAP50", "segment.mIoU"])
            self.assertTrue(all(0 < v < 0.25 for v in tol.values()), tol)
        with open(BUNDLE) as f:
            ids = {s["id"] for s in json.load(f)["stitches"]}
        self.assertTrue(set(self.meta["stitches"]) <= ids)
        self.assertIn(0, self.meta["stitches"])
        self.assertIn(1, self.meta["stitches"])
        self.assertTrue(np.isfinite(list(self.meta["tolerances"]["0"].values())).all())


if __name__ == "__main__":
    unittest.main()
