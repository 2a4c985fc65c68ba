"""Detection targets: radius, Gaussian painting, encode → decode round trip, focal loss behaviour."""
import unittest

import numpy as np
import torch

from stitchkit.demo.metrics import DetectionMetrics
from stitchkit.demo.targets import decode, draw_gaussian, encode, focal_loss, gaussian_radius


class TargetTest(unittest.TestCase):
    def test_radius_grows_with_box_size(self):
        self.assertLess(gaussian_radius(2, 2), gaussian_radius(6, 6))
        self.assertGreater(gaussian_radius(4, 4), 0)

    def test_gaussian_peak_and_clipping(self):
        heat = np.zeros((5, 5), np.float32)
        draw_gaussian(heat, 0, 4, 2)  # a corner: clipped, no error
        self.assertEqual(heat[4, 0], 1.0)
        self.assertEqual(heat.max(), 1.0)
        self.assertTrue(0 < heat[3, 1] < 1)

    def test_encode_decode_round_trip_is_perfect(self):
        boxes = [np.array([[4.0, 6.0, 20.0, 30.0], [33.0, 40.0, 61.0, 60.0]]), np.zeros((0, 4))]
        labels = [np.array([3, 7]), np.zeros(0, int)]
        t = encode(boxes, labels, 10, (16, 16), 4)
        self.assertEqual(t["heatmap"].shape, (2, 10, 16, 16))
        self.assertEqual(int(t["mask"].sum()), 2)
        dets = decode(t["heatmap"], t["size"], t["offset"], stride=4, k=5, image_hw=(64, 64))
        top = dets[0].scores >= 1.0
        self.assertEqual(sorted(dets[0].labels[top].tolist()), [3, 7])
        got = {int(l): b for l, b in zip(dets[0].labels[top], dets[0].boxes[top])}
        np.testing.assert_allclose(got[3], boxes[0][0], atol=1e-5)
        np.testing.assert_allclose(got[7], boxes[0][1], atol=1e-5)
        m = DetectionMetrics(10)
        for d, b, l in zip(dets, boxes, labels):
            m.update(d, b, l)
        self.assertEqual(m.compute(), {"mAP50": 1.0, "mAP": 1.0})

    def test_plateau_yields_one_peak_like_the_server(self):
        heat = torch.full((1, 1, 4, 4), 0.2)
        heat[0, 0, 3, 3] = 0.9
        zeros = torch.zeros(1, 2, 4, 4)
        dets = decode(heat, zeros, zeros, stride=4, k=20)[0]
        # the 0.2 plateau keeps only its first cell in scan order (0, 0); the 0.9 cell is a peak
        self.assertEqual(dets.scores.tolist(), [np.float32(0.9), np.float32(0.2)])
        np.testing.assert_allclose(dets.boxes[1], [0, 0, 0, 0])

    def test_focal_loss_prefers_the_target(self):
        target = torch.zeros(1, 1, 4, 4)
        target[0, 0, 1, 1] = 1.0
        good, bad = target.clamp(0.01, 0.99), torch.full_like(target, 0.5)
        self.assertLess(focal_loss(good, target).item(), focal_loss(bad, target).item())


if __name__ == "__main__":
    unittest.main()
