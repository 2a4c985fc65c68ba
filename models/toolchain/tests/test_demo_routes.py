"""The prefix-cached route runner gives exactly what SNNet.forward gives, for every stitch and task."""
import unittest

import torch

from stitchkit.demo.routes import PrefixCache, task_outputs
from stitchkit.model import SNNet
from stitchkit.tiny import randomize_, tiny_v2_config


class RouteCacheTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.model = randomize_(SNNet(tiny_v2_config()), seed=3)

    def test_classify_matches_forward(self):
        x = torch.randn(3, 3, 16, 16)
        cache = PrefixCache(self.model, x, dense=False)
        with torch.no_grad():
            for stitch in self.model.space.stitches:
                want = self.model(x, stitch, "classify")["classify.logits"]
                got = task_outputs(cache, stitch, ["classify"])["classify"]["classify.logits"]
                torch.testing.assert_close(got, want, rtol=0, atol=1e-6, msg=f"stitch {stitch.id}")

    def test_dense_matches_forward(self):
        x = torch.randn(2, 3, 32, 32)
        cache = PrefixCache(self.model, x, dense=True)
        with torch.no_grad():
            for stitch in self.model.space.stitches:
                got = task_outputs(cache, stitch, ["segment", "depth", "detect"])
                for task in ("segment", "depth", "detect"):
                    want = self.model(x, stitch, task)
                    for name, value in want.items():
                        torch.testing.assert_close(got[task][name], value, rtol=0, atol=1e-5,
                                                   msg=f"stitch {stitch.id} {name}")


if __name__ == "__main__":
    unittest.main()
