"""Presets and the packaged official S-L table (equal to the released upstream file when ../shared is present)."""
import json
import unittest
from pathlib import Path

from stitchkit.official import load_table

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


if __name__ == "__main__":
    unittest.main()
