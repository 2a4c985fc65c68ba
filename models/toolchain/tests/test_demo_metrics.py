"""Demo-family metrics on hand-computable cases (top-k, mIoU, depth, COCO-style detection AP)."""
import math
import unittest

import numpy as np

from stitchkit.demo.metrics import (ConfusionMatrix, DepthMetrics, DetectionMetrics, Detections,
                                    average_precision, box_iou, topk_accuracy)


class ClassificationTest(unittest.TestCase):
    def test_top1_and_top2(self):
        logits = np.array([[3.0, 1.0, 0.0], [0.0, 1.0, 2.0], [1.0, 2.0, 0.0], [0.0, 1.0, 2.0]])
        labels = np.array([0, 1, 1, 0])
        self.assertAlmostEqual(topk_accuracy(logits, labels, 1), 0.5)  # rows 0 and 2
        self.assertAlmostEqual(topk_accuracy(logits, labels, 2), 0.75)  # row 1's label is second, row 3's third

    def test_shape_errors(self):
        with self.assertRaises(ValueError):
            topk_accuracy(np.zeros((2, 3)), np.zeros(3, int))


class SegmentationTest(unittest.TestCase):
    def test_miou_over_present_classes(self):
        # gt:   0 0 1 1    pred: 0 1 1 1  → class 0: TP 1, union 2 → 0.5; class 1: TP 2, union 3 → 2/3
        cm = ConfusionMatrix(3)  # class 2 never appears: skipped, not counted as 0
        cm.update(np.array([0, 1, 1, 1]), np.array([0, 0, 1, 1]))
        self.assertAlmostEqual(cm.miou(), (0.5 + 2 / 3) / 2)
        self.assertAlmostEqual(cm.pixel_accuracy(), 0.75)
        self.assertTrue(math.isnan(cm.iou_per_class()[2]))

    def test_predicted_but_absent_class_counts_zero(self):
        cm = ConfusionMatrix(3)
        cm.update(np.array([[0, 2]]), np.array([[0, 0]]))  # class 2 predicted, never in gt: IoU 0
        self.assertAlmostEqual(cm.miou(), (0.5 + 0.0) / 2)

    def test_accumulates_over_batches(self):
        a, b = ConfusionMatrix(2), ConfusionMatrix(2)
        a.update(np.array([0, 1]), np.array([0, 0]))
        a.update(np.array([1, 1]), np.array([1, 0]))
        b.update(np.array([0, 1, 1, 1]), np.array([0, 0, 1, 0]))
        np.testing.assert_array_equal(a.matrix, b.matrix)

    def test_rejects_out_of_range_labels(self):
        with self.assertRaises(ValueError):
            ConfusionMatrix(2).update(np.array([2]), np.array([0]))


class DepthTest(unittest.TestCase):
    def test_per_image_means(self):
        m = DepthMetrics()
        m.update(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0]]))  # δ1 0.5, AbsRel 0.5, RMSE sqrt(0.5)
        m.update(np.array([[2.0, 2.0]]), np.array([[2.0, 2.0]]))  # perfect
        out = m.compute()
        self.assertAlmostEqual(out["delta1"], 0.75)
        self.assertAlmostEqual(out["absRel"], 0.25)
        self.assertAlmostEqual(out["rmse"], math.sqrt(0.5) / 2)

    def test_invalid_pixels_are_ignored(self):
        m = DepthMetrics(valid_range=(0.5, 10.0))
        m.update(np.array([[3.0, 5.0]]), np.array([[3.0, 20.0]]))  # second pixel outside the valid range
        self.assertEqual(m.compute(), {"delta1": 1.0, "absRel": 0.0, "rmse": 0.0})

    def test_threshold_is_strict(self):
        m = DepthMetrics()
        m.update(np.array([[1.25]]), np.array([[1.0]]))
        self.assertEqual(m.compute()["delta1"], 0.0)


def det(boxes, scores, labels):
    return Detections(np.array(boxes, float).reshape(-1, 4), np.array(scores, float), np.array(labels, int))


class DetectionTest(unittest.TestCase):
    def test_box_iou(self):
        iou = box_iou(np.array([[0, 0, 2, 2]]), np.array([[1, 0, 3, 2], [0, 0, 2, 2], [5, 5, 6, 6]]))
        np.testing.assert_allclose(iou, [[1 / 3, 1.0, 0.0]])

    def test_ap_101_points(self):
        # TP, FP, TP with 2 gt: precision 1, .5, 2/3 → envelope 1, 2/3, 2/3; recall .5, .5, 1
        # points r ≤ .5 (51 of them) take 1, points .51..1 (50) take 2/3
        self.assertAlmostEqual(average_precision(np.array([1.0, 0.0, 1.0]), 2), (51 * 1 + 50 * 2 / 3) / 101)

    def test_unreached_recall_counts_zero(self):
        # one TP of 2 gt: recall .5, points 0...5 (51 of 101) get precision 1
        self.assertAlmostEqual(average_precision(np.array([1.0]), 2), 51 / 101)

    def test_perfect_detection_everywhere(self):
        m = DetectionMetrics(num_classes=2)
        m.update(det([[0, 0, 10, 10], [20, 20, 30, 30]], [0.9, 0.8], [0, 1]), np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([0, 1]))
        self.assertEqual(m.compute(), {"mAP50": 1.0, "mAP": 1.0})

    def test_iou_thresholds_and_duplicates(self):
        # gt 10x10; detection shifted by 2 px → IoU 80/120 = 2/3: TP at .50,.55,.60,.65, FP from .70 on
        m = DetectionMetrics(num_classes=1)
        m.update(det([[2, 0, 12, 10], [2, 0, 12, 10]], [0.9, 0.5], [0, 0]), np.array([[0, 0, 10, 10]]), np.array([0]))
        out = m.compute()
        self.assertAlmostEqual(out["mAP50"], 1.0)  # the duplicate is an FP after recall 1 is reached
        self.assertAlmostEqual(out["mAP"], 4 / 10)

    def test_greedy_by_score_across_images_and_classes_without_gt(self):
        # class 0 gt in two images; the highest-scored detection is an FP; class 1 has no gt → ignored
        m = DetectionMetrics(num_classes=2)
        m.update(det([[50, 50, 60, 60], [0, 0, 10, 10], [0, 0, 5, 5]], [0.95, 0.6, 0.99], [0, 0, 1]),
                 np.array([[0, 0, 10, 10]]), np.array([0]))
        m.update(det([[0, 0, 10, 10]], [0.7], [0]), np.array([[0, 0, 10, 10]]), np.array([0]))
        # order: FP(.95), TP(.7), TP(.6) → precision 0, .5, 2/3 → envelope 2/3 everywhere up to recall 1
        out = m.compute()
        self.assertAlmostEqual(out["mAP50"], 2 / 3)
        self.assertAlmostEqual(out["mAP"], 2 / 3)

    def test_class_with_gt_but_no_detection_is_zero(self):
        m = DetectionMetrics(num_classes=2)
        m.update(det([[0, 0, 10, 10]], [0.9], [0]), np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([0, 1]))
        self.assertAlmostEqual(m.compute()["mAP50"], 0.5)

    def test_max_dets_keeps_the_best(self):
        m = DetectionMetrics(num_classes=1, max_dets=1)
        m.update(det([[50, 50, 60, 60], [0, 0, 10, 10]], [0.1, 0.9], [0, 0]), np.array([[0, 0, 10, 10]]), np.array([0]))
        self.assertAlmostEqual(m.compute()["mAP50"], 1.0)


if __name__ == "__main__":
    unittest.main()
