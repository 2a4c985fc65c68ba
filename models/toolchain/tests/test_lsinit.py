"""Least-squares stitching-layer initialisation (method §3.2): the solver, the v2/v1 pairing rules, SNNet wiring."""
import unittest

import torch

from stitchkit.anchors import AnchorConfig
from stitchkit.config import FamilyConfig, TaskConfig
from stitchkit.lsinit import collect_block_features, init_plan, ls_init, solve_least_squares
from stitchkit.model import SNNet
from stitchkit.spaces import snnetv1_space, snnetv2_space

torch.set_num_threads(1)


def tiny_family(space="snnetv2", dims=(16, 16), depths=(4, 4), lora_r=0):
    labels = tuple(f"c{i}" for i in range(3))
    anchors = tuple(AnchorConfig(f"a{i}", dim=d, depth=n, heads=2, patch=4, img_size=16, num_classes=3,
                                 flavour="deit3" if space == "snnetv2" else "deit")
                    for i, (d, n) in enumerate(zip(dims, depths)))
    return FamilyConfig(name="tiny", anchors=anchors, tasks=(TaskConfig("classify", (16, 16), labels=labels),),
                        space=space, lora_r=lora_r)


class SolverTest(unittest.TestCase):
    def test_recovers_a_known_linear_map(self):
        g = torch.Generator().manual_seed(0)
        x = torch.randn(4, 50, 12, generator=g)  # (B, T, d_in): flattened to 200 rows
        w = torch.randn(7, 12, generator=g)
        b = torch.randn(7, generator=g)
        y = x @ w.t() + b
        w_hat, b_hat = solve_least_squares(x, y)
        self.assertEqual(tuple(w_hat.shape), (7, 12))
        self.assertLess((w_hat - w.double()).abs().max().item(), 1e-5)
        self.assertLess((b_hat - b.double()).abs().max().item(), 1e-5)

    def test_row_mismatch_is_an_error(self):
        with self.assertRaises(ValueError):
            solve_least_squares(torch.randn(10, 3), torch.randn(9, 2))


class PlanTest(unittest.TestCase):
    def test_v2_s_l_rule(self):
        plan = {(e.group, e.layer): e for e in init_plan(snnetv2_space(12, 24))}
        self.assertEqual(len(plan), 12 + 11)
        for k in range(12):  # S blk k → entering L blk 2k+2, i.e. L blk 2k+1's output (k = 11 too)
            self.assertEqual(plan[(0, k)].positions, ((k, 2 * k + 1),))
            self.assertEqual((plan[(0, k)].src, plan[(0, k)].dst), (0, 1))
        for k in range(11):  # L blk 2k+1 → entering S blk m(2k+1)+1 = k+1, i.e. S blk k's output
            self.assertEqual(plan[(1, k)].positions, ((2 * k + 1, k),))
            self.assertEqual((plan[(1, k)].src, plan[(1, k)].dst), (1, 0))

    def test_v2_equal_depth_rule(self):
        plan = {(e.group, e.layer): e.positions for e in init_plan(snnetv2_space(12, 12))}
        self.assertEqual(plan[(0, 5)], ((5, 5),))
        self.assertEqual(plan[(1, 5)], ((5, 5),))
        self.assertEqual(len(plan), 12 + 11)

    def test_v1_shared_layers_average_their_positions(self):
        plan = {(e.group, e.layer): e for e in init_plan(snnetv1_space([12, 12, 12]))}
        self.assertEqual(len(plan), 2 * 11)
        # layer 0 covers (0,0), (0,1), (1,0), (1,1): targets are the output before block m (-1 = embedding)
        self.assertEqual(plan[(0, 0)].positions, ((0, -1), (0, 0), (1, -1), (1, 0)))
        # layer t covers (t,t+1), (t+1,t), (t+1,t+1)
        self.assertEqual(plan[(1, 4)].positions, ((4, 4), (5, 3), (5, 4)))
        self.assertEqual((plan[(1, 4)].src, plan[(1, 4)].dst), (1, 2))


class ModelInitTest(unittest.TestCase):
    def test_identical_anchors_give_identity_layers(self):
        torch.manual_seed(0)
        model = SNNet(tiny_family()).eval()
        model.anchors[1].load_state_dict(model.anchors[0].state_dict())
        residuals = ls_init(model, torch.randn(6, 3, 16, 16))
        self.assertEqual(len(residuals), 4 + 3)
        self.assertLess(max(residuals.values()), 1e-5)
        for group in (0, 1):
            for layer in model.stitch_layers[group]:
                if isinstance(layer, torch.nn.Identity):
                    continue
                self.assertLess((layer.transform.weight - torch.eye(16)).abs().max().item(), 1e-3)
                self.assertLess(layer.transform.bias.abs().max().item(), 1e-3)

    def test_lora_layers_get_w_ls_and_keep_zero_b(self):
        torch.manual_seed(1)
        model = SNNet(tiny_family(dims=(8, 16), depths=(4, 8), lora_r=2)).eval()
        pixels = torch.randn(6, 3, 16, 16)
        ls_init(model, pixels)
        fa = collect_block_features(model.anchors[0], pixels, [2])
        fb = collect_block_features(model.anchors[1], pixels, [5])
        w, b = solve_least_squares(fa[2], fb[5])  # S→L layer 2: S blk 2 → L blk (2+1)·2 - 1
        t = model.stitch_layers[0][2].transform
        self.assertLess((t.weight.double() - w).abs().max().item(), 1e-5)
        self.assertLess((t.bias.double() - b).abs().max().item(), 1e-5)
        self.assertEqual(t.lora_B.abs().max().item(), 0.0)

    def test_v1_layer_is_the_mean_of_its_position_solves(self):
        torch.manual_seed(2)
        model = SNNet(tiny_family(space="snnetv1", dims=(8, 16), depths=(4, 4))).eval()
        pixels = torch.randn(6, 3, 16, 16)
        ls_init(model, pixels)
        fa = collect_block_features(model.anchors[0], pixels, [0, 1])
        fb = collect_block_features(model.anchors[1], pixels, [-1, 0])
        solves = [solve_least_squares(fa[j], fb[m]) for j, m in ((0, -1), (0, 0), (1, -1), (1, 0))]
        w = torch.stack([s[0] for s in solves]).mean(0)
        t = model.stitch_layers[0][0].transform
        self.assertLess((t.weight.double() - w).abs().max().item(), 1e-5)
        # the embedding output (block -1) is the tokens entering block 0
        self.assertEqual(tuple(fb[-1].shape), (6, 17, 16))


if __name__ == "__main__":
    unittest.main()
