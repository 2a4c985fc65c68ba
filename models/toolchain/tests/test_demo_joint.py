"""The joint-training step's sandwich rule and the weight average used for the exported demo family."""
import unittest

import numpy as np
import torch

from stitchkit.demo.ema import WeightAverage
from stitchkit.demo.family import family_config
from stitchkit.demo.joint import LARGE_ANCHOR_ID, JointConfig, route_losses, step_losses, train_mode
from stitchkit.demo.scenedata import ScenePool, training_tensors
from stitchkit.model import SNNet

SMALL_ANCHOR_ID = 0


def anchor_grads(model: SNNet, anchor: int) -> float:
    """Sum of |grad| over one anchor's parameters (0 when the step did not touch it)."""
    return sum(float(p.grad.abs().sum()) for p in model.anchors[anchor].parameters() if p.grad is not None)


class StemBatchNormTest(unittest.TestCase):
    def test_train_mode_keeps_the_stem_statistics(self):
        model = train_mode(SNNet(family_config()))
        stem_bns = [m for m in model.anchors.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        self.assertEqual(len(stem_bns), sum(len(a.stem) for a in family_config().anchors))
        self.assertTrue(all(not m.training for m in stem_bns))
        self.assertTrue(model.heads.training and model.anchors[1].blocks[0].training)
        before = [m.running_mean.clone() for m in stem_bns]
        model(torch.randn(2, 3, 48, 48), model.space.by_id(5), "segment")
        for m, b in zip(stem_bns, before):
            torch.testing.assert_close(m.running_mean, b)


class SandwichStepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.model = SNNet(family_config()).train()
        rng = np.random.default_rng(0)
        items = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)  # any ink will do for shapes and losses
        cls.batch = training_tensors(ScenePool(items, rng.integers(0, 10, 20), "train").batch(range(2)))
        cls.x, cls.y = torch.randn(4, 3, 32, 32), torch.tensor([0, 3, 5, 9])

    def step(self, sid: int, sandwich: float):
        torch.manual_seed(1)  # BatchNorm in training mode: same batch statistics on every call
        self.model.zero_grad(set_to_none=True)
        return step_losses(self.model, sid, self.x, self.y, self.batch, JointConfig(sandwich=sandwich))

    def test_off_is_the_route_alone(self):
        total, parts = self.step(SMALL_ANCHOR_ID, 0.0)
        self.assertEqual(set(parts), {"classify", "segment", "depth", "detect"})
        total.backward()
        self.assertEqual(anchor_grads(self.model, LARGE_ANCHOR_ID), 0.0)  # stitch 0 never runs the L anchor

    def test_adds_the_large_anchor_on_the_same_inputs(self):
        total, parts = self.step(SMALL_ANCHOR_ID, 0.5)
        self.assertEqual(set(parts), {"classify", "segment", "depth", "detect",
                                      "L.classify", "L.segment", "L.depth", "L.detect"})
        own = sum(v for k, v in parts.items() if not k.startswith("L."))
        large = sum(v for k, v in parts.items() if k.startswith("L."))
        torch.testing.assert_close(total, own + 0.5 * large)
        with torch.no_grad():
            alone = route_losses(self.model, self.model.space.by_id(LARGE_ANCHOR_ID), self.x, self.y, self.batch,
                                 JointConfig())
        for t, v in alone.items():
            torch.testing.assert_close(parts[f"L.{t}"], v)
        total.backward()
        self.assertGreater(anchor_grads(self.model, LARGE_ANCHOR_ID), 0.0)

    def test_every_other_step(self):
        jc = JointConfig(sandwich=1.0, sandwich_every=2)
        for step, expected in ((4, True), (5, False)):
            _, parts = step_losses(self.model, SMALL_ANCHOR_ID, self.x, self.y, self.batch, jc, step)
            self.assertEqual(any(k.startswith("L.") for k in parts), expected, step)

    def test_large_anchor_is_not_counted_twice(self):
        total, parts = self.step(LARGE_ANCHOR_ID, 1.0)
        self.assertEqual(set(parts), {"classify", "segment", "depth", "detect"})
        torch.testing.assert_close(total, sum(parts.values()))


class WeightAverageTest(unittest.TestCase):
    def test_average_with_warmup(self):
        model = torch.nn.Linear(2, 1)
        with torch.no_grad():
            model.weight.fill_(0.0)
        ema = WeightAverage(model, decay=0.9)
        self.assertAlmostEqual(ema.current_decay(), 0.1)  # (1 + 0) / (10 + 0): the start is forgotten fast
        with torch.no_grad():
            model.weight.fill_(1.0)
        ema.update(model)
        torch.testing.assert_close(ema.shadow["weight"], torch.full((1, 2), 0.9))
        for _ in range(200):
            ema.update(model)
        self.assertEqual(ema.current_decay(), 0.9)
        torch.testing.assert_close(ema.shadow["weight"], torch.ones(1, 2))

    def test_copy_keeps_integer_state_and_round_trips(self):
        model = torch.nn.BatchNorm1d(3)
        ema = WeightAverage(model, decay=0.5)
        self.assertNotIn("num_batches_tracked", ema.shadow)
        with torch.no_grad():
            model.weight.fill_(3.0)
        ema.update(model)
        other = WeightAverage(torch.nn.BatchNorm1d(3), decay=0.5)
        other.load_state_dict(ema.state_dict())
        target = torch.nn.BatchNorm1d(3)
        other.copy_to(target)
        torch.testing.assert_close(target.weight, ema.shadow["weight"])
        self.assertEqual(other.updates, 1)

    def test_rejects_bad_decay(self):
        with self.assertRaises(ValueError):
            WeightAverage(torch.nn.Linear(1, 1), decay=1.0)


if __name__ == "__main__":
    unittest.main()
