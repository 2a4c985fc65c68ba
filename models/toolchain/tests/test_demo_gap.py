"""Paired-bootstrap gap between two stitches (stitchkit.demo.gap) on hand-made per-scene records."""
import unittest

import numpy as np

from stitchkit.demo.gap import PerScene, paired_gap
from stitchkit.demo.metrics import Detections

BOX = np.array([[4.0, 4.0, 20.0, 20.0]])


def records(seg_right: int, depth_scale: float, detect_right: bool, scenes: int = 12) -> PerScene:
    """Scenes of 8 pixels: the first ``seg_right`` pixels of each labelled right; one item box per scene,
    detected with the right or a wrong class; depth predicted as ``depth_scale`` × the truth."""
    rec = PerScene(classes=3, det_classes=2, depth_range=(0.5, 11.0))
    gt = np.array([0, 0, 1, 1, 1, 2, 2, 0])
    for i in range(scenes):
        pred = gt.copy()
        pred[seg_right:] = (gt[seg_right:] + 1) % 3
        depth_gt = np.full(8, 2.0 + 0.1 * i)
        det = Detections(BOX.copy(), np.array([0.9]), np.array([0 if detect_right else 1]))
        rec.add_scene(pred, gt, depth_gt * depth_scale, depth_gt, det, BOX.copy(), np.array([0]))
    return rec


class PairedGapTest(unittest.TestCase):
    def test_gap_is_difference_of_full_metrics(self):
        a, b = records(4, 1.4, False), records(8, 1.0, True)
        out = paired_gap(a, b, n_boot=20)
        self.assertAlmostEqual(out["mIoU"]["b"], 1.0)
        self.assertAlmostEqual(out["delta1"]["a"], 0.0)  # every pixel off by 1.4 > 1.25
        self.assertAlmostEqual(out["delta1"]["b"], 1.0)
        self.assertAlmostEqual(out["mAP50"]["a"], 0.0)  # wrong class: class 0's ground truth never found
        self.assertAlmostEqual(out["mAP50"]["b"], 1.0)
        self.assertAlmostEqual(out["absRel"]["a"], 0.4)
        self.assertAlmostEqual(out["absRel"]["b"], 0.0)
        for m in ("mIoU", "delta1", "absRel", "rmse", "mAP50"):
            self.assertAlmostEqual(out[m]["gap"], out[m]["b"] - out[m]["a"])
            self.assertEqual(out[m]["share_not_ahead"], 0.0)  # b ahead on every scene, so in every resample
            if m != "rmse":  # the only metric here whose per-scene gap varies (the error grows with the depth)
                self.assertAlmostEqual(out[m]["sd"], 0.0)

    def test_equal_stitches_are_never_ahead(self):
        out = paired_gap(records(6, 1.1, True), records(6, 1.1, True), n_boot=10)
        for r in out.values():
            self.assertEqual(r["gap"], 0.0)
            self.assertEqual(r["share_not_ahead"], 1.0)

    def test_prefix_of_the_scenes(self):
        a, b = records(4, 1.4, False), records(6, 1.1, True)
        a.add_scene(np.zeros(8, int), np.zeros(8, int), np.ones(8), np.ones(8), Detections(np.zeros((0, 4)),
                    np.zeros(0), np.zeros(0, int)), BOX.copy(), np.array([1]))
        b.add_scene(np.zeros(8, int), np.zeros(8, int), np.ones(8), np.ones(8), Detections(np.zeros((0, 4)),
                    np.zeros(0), np.zeros(0, int)), BOX.copy(), np.array([1]))
        first = paired_gap(a, b, n_boot=5, n=12)  # the 13th scene (another class, perfect segmentation) left out
        self.assertEqual(first, paired_gap(records(4, 1.4, False), records(6, 1.1, True), n_boot=5))
        with self.assertRaises(ValueError):
            paired_gap(a, b, n=14)

    def test_needs_matching_scene_lists(self):
        with self.assertRaises(ValueError):
            paired_gap(records(6, 1.0, True, scenes=3), records(6, 1.0, True, scenes=4))


if __name__ == "__main__":
    unittest.main()
