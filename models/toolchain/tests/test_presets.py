"""Presets and the packaged official S-L table (equal to the released upstream file when ../shared is present)."""
import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

import torch

from stitchkit import presets as registry
from stitchkit.flops import family_flops, family_params
from stitchkit.official import load_table
from stitchkit.tiny import tiny_v2_config

TOOLCHAIN = Path(__file__).resolve().parents[1]

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "snnetv2"


class OfficialTableTest(unittest.TestCase):
    def test_table_shape_and_attribution(self):
        table = load_table("snnetv2-imagenet-s-l")
        self.assertEqual(sorted(table.results), [i for i in range(135) if i != 13])
        self.assertEqual(table.attribution["source"], "ziplab/SN-Netv2")
        self.assertEqual(table.attribution["file"], "classification/results/stitches_res_s_l.txt")
        self.assertAlmostEqual(table.results[0].top1, 0.82906, places=5)
        self.assertEqual(table.results[0].flops, 4608338304)
        self.assertAlmostEqual(table.classify_metrics()[14]["top1"], 0.8266, places=4)
        with self.assertRaises(KeyError):
            load_table("nope")

    def test_matches_the_released_file(self):
        src = SHARED / "imagenet_s_l_results.jsonl"
        if not src.exists():
            self.skipTest(f"{src} not present")
        released = {r["cfg_id"]: r for r in map(json.loads, src.read_text().splitlines()) if r}
        table = load_table("snnetv2-imagenet-s-l")
        self.assertEqual(set(released), set(table.results))
        for sid, rec in released.items():
            self.assertAlmostEqual(table.results[sid].top1 * 100, rec["acc1"], places=9)
            self.assertAlmostEqual(table.results[sid].top5 * 100, rec["acc5"], places=9)
            self.assertEqual(table.results[sid].flops, rec["flops"])


class RegistryTest(unittest.TestCase):
    def test_builtin_presets(self):
        self.assertTrue({"deit3-s-l", "deit-ti-s-b", "fmnist-s-l"} <= set(registry.names()))
        with self.assertRaises(KeyError) as ctx:
            registry.get("nope")
        self.assertIn("deit3-s-l", str(ctx.exception))
        with self.assertRaises(ValueError):
            registry.register(registry.get("deit3-s-l"))

    def test_deit3_s_l_shape(self):
        preset = registry.get("deit3-s-l")
        cfg = preset.config()
        self.assertEqual([(a.dim, a.depth, a.heads, a.patch, a.img_size, a.flavour) for a in cfg.anchors],
                         [(384, 12, 6, 16, 224, "deit3"), (1024, 24, 16, 16, 224, "deit3")])
        self.assertEqual(cfg.task("classify").input_hw, (224, 224))
        self.assertEqual(len(cfg.task("classify").labels), 1000)
        params = family_params(cfg)
        self.assertEqual(round(params[0] / 1e4), 2206)
        self.assertEqual(round(params[1] / 1e4), 30437)
        self.assertTrue(preset.real_size)

    def test_official_metrics_join(self):
        metrics = registry.official_metrics(registry.get("deit3-s-l"))
        self.assertEqual(len(metrics), 134)
        self.assertNotIn(13, metrics)
        self.assertAlmostEqual(metrics[1]["classify"]["top1"], 0.86978, places=5)
        with self.assertRaises(KeyError):
            registry.official_metrics(registry.get("deit-ti-s-b"))

    def test_deit_ti_s_b_shape(self):
        cfg = registry.get("deit-ti-s-b").config()
        self.assertEqual(cfg.space, "snnetv1")
        self.assertEqual([a.dim for a in cfg.anchors], [192, 384, 768])
        self.assertEqual(len(cfg.stitch_space().stitches), 71)
        self.assertEqual(family_flops(cfg)[0]["classify"], 1258411200)

    def test_build_model_is_deterministic_per_seed(self):
        torch.set_num_threads(1)
        preset = registry.Preset("tiny", "tiny v2 (tests)", tiny_v2_config)
        model, again = registry.build_model(preset, seed=1), registry.build_model(preset, seed=1)
        other = registry.build_model(preset, seed=2)
        pixels = torch.randn(1, 3, 16, 16)
        with torch.no_grad():
            a, b, c = (m.run(pixels, 7, "classify")["classify.logits"] for m in (model, again, other))
        self.assertTrue(torch.equal(a, b))
        self.assertFalse(torch.equal(a, c))

    def test_provisional_fmnist_shape(self):
        cfg = registry.fmnist_s_l()  # the demo may replace the registered entry; the fallback stays valid
        self.assertEqual(len(cfg.stitch_space().stitches), 134)
        self.assertEqual(cfg.task("classify").num_classes, 10)

    def test_plugin_modules_from_the_environment(self):
        code = ("import stitchkit.presets as p; print(p.get('test-tiny-v1').description)")
        env = dict(os.environ, PYTHONPATH=str(TOOLCHAIN), STITCHKIT_PRESET_MODULES="tests.test_cli")
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("tiny SN-Net v1", res.stdout)


if __name__ == "__main__":
    unittest.main()
