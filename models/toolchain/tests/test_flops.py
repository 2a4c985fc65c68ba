"""Analytic fvcore-style FLOPs/params against the official tables, and the traced counter's handles."""
import dataclasses
import json
import unittest
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from stitchkit.anchors import AnchorConfig
from stitchkit.flops import (anchor_params, classify_params, family_flops, family_params, space_classify_flops,
                             traced_flops)
from stitchkit.model import SNNet
from stitchkit.official import load_table
from stitchkit.spaces import snnetv1_space, snnetv2_space
from stitchkit.tiny import tiny_v1_config, tiny_v2_config

torch.set_num_threads(1)

SHARED_FLOPS = (Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "snnetv2"
                / "imagenet_s_l_flops.json")

DEIT3_S = AnchorConfig("S", dim=384, depth=12, heads=6)
DEIT3_L = AnchorConfig("L", dim=1024, depth=24, heads=16)
DEIT_TI = AnchorConfig("Ti", dim=192, depth=12, heads=3, flavour="deit")
DEIT_S = AnchorConfig("S", dim=384, depth=12, heads=6, flavour="deit")
DEIT_B = AnchorConfig("B", dim=768, depth=12, heads=12, flavour="deit")

# Rows of ziplab/SN-Net stitching_deit/results/stitches_res.txt (SN-Net v1 DeiT Ti/S/B, 224 px):
# cfg_id -> (fvcore flops, params as upstream SNNet.get_model_size counts them).
V1_ROWS = {
    0: (1258411200, 5717416), 1: (4608338304, 22050664), 2: (17582740224, 86567656),
    3: (4696010496, 22345960), 24: (2758967808, 13038760), 36: (1652086272, 7720360),
    37: (17961426432, 88190440), 39: (18340574208, 89964904), 56: (10048040448, 49222120),
    70: (6121909248, 29742952),
}


def max_rel_error(got, want):
    return max(abs(got[k] - v) / v for k, v in want.items())


class OfficialSLTest(unittest.TestCase):
    def setUp(self):
        self.flops = space_classify_flops(snnetv2_space(12, 24), [DEIT3_S, DEIT3_L], 224)

    def test_released_flops_file_all_134_ids(self):
        if not SHARED_FLOPS.exists():
            self.skipTest(f"{SHARED_FLOPS} not present")
        ref = {int(k): v for k, v in json.loads(SHARED_FLOPS.read_text()).items()}
        self.assertEqual(len(ref), 134)
        self.assertEqual(set(ref), set(self.flops))
        self.assertLess(max_rel_error(self.flops, ref), 0.005)
        self.assertEqual(self.flops, ref)  # in fact exact, to the FLOP

    def test_packaged_table_flops(self):
        ref = {sid: r.flops for sid, r in load_table("snnetv2-imagenet-s-l").results.items()}
        self.assertLess(max_rel_error(self.flops, ref), 0.005)
        self.assertEqual(self.flops[0], 4608338304)
        self.assertEqual(self.flops[1], 61604135936)

    def test_anchor_params(self):
        self.assertEqual(round(anchor_params(DEIT3_S) / 1e4), 2206)  # 22.06 M
        self.assertEqual(round(anchor_params(DEIT3_L) / 1e4), 30437)  # 304.37 M

    def test_any_input_size(self):
        f = space_classify_flops(snnetv2_space(12, 24), [DEIT3_S, DEIT3_L], 384, 256)
        self.assertGreater(f[0], self.flops[0])
        with self.assertRaises(ValueError):
            space_classify_flops(snnetv2_space(12, 24), [DEIT3_S, DEIT3_L], 8)


class OfficialV1Test(unittest.TestCase):
    def test_v1_deit_rows(self):
        space = snnetv1_space([12, 12, 12])
        archs = [DEIT_TI, DEIT_S, DEIT_B]
        flops = space_classify_flops(space, archs, 224)
        self.assertEqual(len(flops), 71)
        for sid, (want_flops, want_params) in V1_ROWS.items():
            self.assertEqual(flops[sid], want_flops, sid)
            stitch = space.by_id(sid)
            params = classify_params(space, archs, stitch)
            if len(stitch.comb) == 1:
                self.assertEqual(params, want_params, sid)
            else:  # upstream omits the first anchor's cls + pos (197·D + D) and counts the unused final norm
                first, last = archs[stitch.comb[0]], archs[stitch.comb[-1]]
                self.assertEqual(params - 198 * first.dim + 2 * last.dim, want_params, sid)


class TracedCounterTest(unittest.TestCase):
    def test_handles(self):
        torch.manual_seed(0)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 5, 3)
                self.bn = nn.BatchNorm2d(5)
                self.fc = nn.Linear(8, 4)
                self.ln = nn.LayerNorm(4)

            def forward(self, img, tokens):
                z = F.interpolate(self.bn(self.conv(img)), scale_factor=2, mode="bilinear", align_corners=False)
                y = self.ln(self.fc(tokens))
                return z, y @ y.transpose(-1, -2), torch.softmax(y, -1)

        net = Net().eval()
        got = traced_flops(net, torch.randn(1, 3, 8, 8), torch.randn(2, 7, 8))
        conv = 5 * 3 * 9 * 36
        bn = 2 * 5 * 36
        up = 4 * 5 * 12 * 12
        fc = 2 * 7 * 8 * 4
        ln = 5 * 2 * 7 * 4
        mm = 2 * 7 * 4 * 7
        self.assertEqual(got, conv + bn + up + fc + ln + mm)


class _Route(nn.Module):
    """``model.forward`` for one (stitch, task), as positional tensors for tracing."""

    def __init__(self, model, stitch, task):
        super().__init__()
        self.model, self.stitch, self.task = model, stitch, task

    def forward(self, pixels):
        return tuple(self.model(pixels, self.stitch, self.task).values())


class TracedModelCrossCheckTest(unittest.TestCase):
    """The formulas equal a traced fvcore count of the real SNNet, for every stitch and task of tiny families."""

    def check_family(self, cfg):
        cfg = dataclasses.replace(cfg, lora_r=0)  # the merged (export) form: one Linear per stitching layer
        torch.manual_seed(0)
        model = SNNet(cfg).eval()
        analytic = family_flops(cfg)
        for stitch in model.space.stitches:
            for task in cfg.tasks:
                h, w = task.input_hw
                traced = traced_flops(_Route(model, stitch, task.name), torch.zeros(1, 3, h, w))
                self.assertEqual(analytic[stitch.id][task.name], traced, (stitch.id, task.name))

    def test_tiny_v2_all_tasks(self):
        self.check_family(tiny_v2_config())

    def test_tiny_v1(self):
        self.check_family(tiny_v1_config())

    def test_tiny_v2_conv_stem(self):
        """Conv-stem anchors: the stem's convs are counted (analytic = traced) and add to the plain family's FLOPs
        exactly the stem's MACs minus the replaced p×p projection's."""
        cfg = tiny_v2_config(decoder="guided", stem=True)
        self.check_family(cfg)
        plain, stem = family_flops(tiny_v2_config(decoder="guided")), family_flops(cfg)
        # S at 16 px: 3→4 conv + BN on 8×8, 4→8 conv + BN on 4×4, 1×1 8→16 on 4×4, replacing the 4×4 conv
        # 3·16·16 per patch (eval BatchNorm: 2 per element)
        extra = 64 * 4 * (3 * 9 + 2) + 16 * 8 * (4 * 9 + 2) + 16 * 8 * 16 - 16 * 16 * 3 * 16
        self.assertEqual(stem[0]["classify"] - plain[0]["classify"], extra)

    def test_params_of_anchor_routes_equal_the_module(self):
        for cfg in (tiny_v1_config(), dataclasses.replace(tiny_v2_config(), tasks=tiny_v2_config().tasks[:1])):
            model = SNNet(cfg)
            params = family_params(cfg)
            for a, anchor in enumerate(model.anchors):
                self.assertEqual(params[a], sum(p.numel() for p in anchor.parameters()))

    def test_params_of_conv_stem_anchors_equal_the_module(self):
        cfg = tiny_v2_config(stem=True)
        cfg = dataclasses.replace(cfg, tasks=cfg.tasks[:1])
        params, model = family_params(cfg), SNNet(cfg)
        for a, anchor in enumerate(model.anchors):
            self.assertEqual(params[a], sum(p.numel() for p in anchor.parameters()))


if __name__ == "__main__":
    unittest.main()
