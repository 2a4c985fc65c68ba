"""PyTorch family: shapes, every stitch for every task, taps, checkpoint names, LoRA merge, v1 quirk."""
import unittest

import torch

from stitchkit.anchors import AnchorConfig, ViTAnchor
from stitchkit.heads import fold_batchnorm
from stitchkit.model import SNNet
from stitchkit.spaces import route_taps
from stitchkit.tiny import randomize_, tiny_v1_config, tiny_v2_config

torch.set_num_threads(1)


class FamilyForwardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v2 = randomize_(SNNet(tiny_v2_config()), seed=1)
        cls.v1 = randomize_(SNNet(tiny_v1_config()), seed=2)

    def test_every_stitch_every_task_shapes(self):
        with torch.no_grad():
            for stitch in self.v2.space.stitches:
                self.assertEqual(len(route_taps(stitch, self.v2.taps)), 4)
                for task in self.v2.cfg.tasks:
                    h, w = task.input_hw
                    out = self.v2(torch.randn(2, 3, h, w), stitch, task.name)
                    shapes = {k: tuple(v.shape) for k, v in out.items()}
                    expected = {
                        "classify": {"classify.logits": (2, 10)},
                        "segment": {"segment.logits": (2, 3, h, w)},
                        "depth": {"depth.depth": (2, 1, h, w)},
                        "detect": {"detect.heatmap": (2, 3, h // 4, w // 4), "detect.size": (2, 2, h // 4, w // 4),
                                   "detect.offset": (2, 2, h // 4, w // 4)},
                    }[task.name]
                    self.assertEqual(shapes, expected, (stitch.id, task.name))
                    self.assertTrue(all(torch.isfinite(v).all() for v in out.values()))
            for stitch in self.v1.space.stitches:
                self.assertEqual(self.v1(torch.randn(1, 3, 16, 16), stitch, "classify")["classify.logits"].shape, (1, 10))

    def test_depth_range_and_probabilities(self):
        with torch.no_grad():
            out = self.v2.run(torch.randn(1, 3, 32, 32), 7, "depth")["depth.depth"]
            self.assertTrue(((out > 0) & (out < 10.0)).all())
            det = self.v2.run(torch.randn(1, 3, 32, 32), 9, "detect")
            self.assertTrue(((det["detect.offset"] >= 0) & (det["detect.offset"] <= 1)).all())

    def test_anchor_stitch_equals_plain_anchor(self):
        x = torch.randn(2, 3, 16, 16)
        with torch.no_grad():
            for a in (0, 1):
                out = self.v2.run(x, a, "classify")["classify.logits"]
                torch.testing.assert_close(out, self.v2.anchors[a](x))

    def test_checkpoint_names(self):
        keys = set(self.v2.state_dict())
        for k in ("anchors.0.cls_token", "anchors.0.pos_embed", "anchors.1.patch_embed.proj.weight",
                  "anchors.1.blocks.7.norm1.weight", "anchors.1.blocks.7.attn.qkv.bias", "anchors.0.blocks.0.attn.proj.weight",
                  "anchors.0.blocks.3.gamma_1", "anchors.0.blocks.3.gamma_2", "anchors.1.blocks.2.mlp.fc1.weight",
                  "anchors.1.blocks.2.mlp.fc2.bias", "anchors.1.norm.weight", "anchors.1.head.weight",
                  "stitch_layers.0.3.transform.lora_A", "stitch_layers.1.2.transform.lora_B"):
            self.assertIn(k, keys)
        self.assertEqual(self.v2.state_dict()["anchors.0.pos_embed"].shape, (1, 16, 16))
        self.assertEqual(self.v1.state_dict()["anchors.0.pos_embed"].shape, (1, 17, 8))
        self.assertFalse(any("gamma" in k for k in self.v1.state_dict()))
        self.assertEqual(len(self.v2.stitch_layers[0]), 4 + 1)  # 4 S→L layers + trailing Identity
        self.assertEqual(len(self.v2.stitch_layers[1]), 3 + 1)
        self.assertEqual(self.v2.state_dict()["stitch_layers.0.1.transform.weight"].shape, (24, 16))

    def test_conv_stem_is_opt_in_and_keeps_the_token_grid(self):
        plain = AnchorConfig("L", 24, 2, 3, patch=8, img_size=32, num_classes=10)
        stem = AnchorConfig("L", 24, 2, 3, patch=8, img_size=32, num_classes=10, stem=[6, 12, 24])
        self.assertEqual(stem.stem, (6, 12, 24))  # lists (JSON) are normalised to tuples
        self.assertEqual({k for k in ViTAnchor(plain).state_dict() if k.startswith("patch_embed")},
                         {"patch_embed.proj.weight", "patch_embed.proj.bias"})  # official names unchanged
        model = ViTAnchor(stem)
        names = {k for k in model.state_dict() if k.startswith("patch_embed")}
        self.assertEqual(names, {f"patch_embed.stem.{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")}
                         | {"patch_embed.proj.weight", "patch_embed.proj.bias"})
        for size in (32, 48):
            self.assertEqual(model.embed(torch.randn(2, 3, size, size)).shape, (2, (size // 8) ** 2 + 1, 24))
        with self.assertRaises(ValueError):
            AnchorConfig("L", 24, 2, 3, patch=8, img_size=32, stem=(6, 12))  # stride 4 ≠ patch 8

    def test_lora_merged_once_and_eval_does_not_mutate(self):
        layer = self.v2.stitch_layers[0][1].transform
        before = layer.weight.detach().clone()
        self.v2.train()
        self.v2.eval()
        torch.testing.assert_close(layer.weight, before)
        x = torch.randn(3, 5, 16)
        merged = torch.nn.functional.linear(x, layer.merged_weight(), layer.bias)
        torch.testing.assert_close(layer(x), merged, rtol=1e-5, atol=1e-6)
        self.assertGreater((layer.merged_weight() - before).abs().max().item(), 1e-3)

    def test_v1_stitched_routes_skip_final_norm(self):
        x = torch.randn(1, 3, 16, 16)
        stitched = self.v1.space.stitches[5]
        with torch.no_grad():
            ref_stitched = self.v1(x, stitched, "classify")["classify.logits"]
            ref_anchor = self.v1.run(x, 1, "classify")["classify.logits"]
            norm = self.v1.anchors[1].norm
            saved = norm.weight.clone()
            norm.weight.mul_(2.0)
            try:
                torch.testing.assert_close(self.v1(x, stitched, "classify")["classify.logits"], ref_stitched)
                self.assertFalse(torch.allclose(self.v1.run(x, 1, "classify")["classify.logits"], ref_anchor))
            finally:
                norm.weight.copy_(saved)

    def test_pos_embed_resize(self):
        anchor = ViTAnchor(AnchorConfig("t", 8, 1, 1, patch=4, img_size=16, num_classes=2))
        with torch.no_grad():
            torch.testing.assert_close(anchor.grid_pos(4, 4, always_resize=True), anchor.pos_embed)
            self.assertEqual(anchor.grid_pos(6, 8).shape, (1, 48, 8))

    def test_bn_fold_is_exact(self):
        head = self.v2.heads["segment"]
        taps = [torch.randn(2, 65, 24) for _ in range(4)]
        pixels = torch.randn(2, 3, 32, 32)
        with torch.no_grad():
            torch.testing.assert_close(fold_batchnorm(head)(taps, pixels)["segment.logits"],
                                       head(taps, pixels)["segment.logits"], rtol=1e-4, atol=1e-5)

    def test_guided_heads_read_pixels_and_fold_exactly(self):
        model = randomize_(SNNet(tiny_v2_config(decoder="guided")), seed=5).eval()
        taps = [torch.randn(2, 65, 24) for _ in range(4)]
        pixels = torch.randn(2, 3, 32, 32)
        with torch.no_grad():
            for task, out in (("segment", "segment.logits"), ("depth", "depth.depth")):
                head = model.heads[task]
                y = head(taps, pixels)[out]
                self.assertEqual(y.shape[-2:], (32, 32))
                torch.testing.assert_close(fold_batchnorm(head)(taps, pixels)[out], y, rtol=1e-4, atol=1e-5)
                # the pixel branch matters: other pixels, same taps, other output
                self.assertGreater(float((head(taps, pixels.flip(-1))[out] - y).abs().max()), 1e-4)


if __name__ == "__main__":
    unittest.main()
