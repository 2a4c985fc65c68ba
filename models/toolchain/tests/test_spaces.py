"""Stitch-space enumeration against the upstream ids, counts and documented examples (method §2)."""
import unittest

from stitchkit.spaces import (KINDS, default_large_taps, dense_taps, paired_positions, route_taps,
                              snnetv1_space, snnetv2_space)


class SNNetv2SpaceTest(unittest.TestCase):
    def setUp(self):
        self.sl = snnetv2_space(12, 24)

    def test_counts_and_ids(self):
        ids = [s.id for s in self.sl.stitches]
        self.assertEqual(self.sl.excluded, [13])
        self.assertEqual(ids, [i for i in range(135) if i != 13])
        kinds = [s.kind for s in self.sl.stitches]
        self.assertEqual(kinds, ["anchor"] * 2 + ["s2l"] * 11 + ["l2s"] * 11 + ["lsl"] * 55 + ["sls"] * 55)
        self.assertEqual([(g.src, g.dst, g.count) for g in self.sl.layer_groups], [(0, 1, 12), (1, 0, 11)])

    def test_documented_examples(self):
        cases = {
            2: ((0, 1), [(0, 0), (2, 23)], [0, -1]),
            12: ((0, 1), [(0, 10), (22, 23)], [10, -1]),
            14: ((1, 0), [(0, 1), (1, 11)], [0, -1]),
            25: ((1, 0, 1), [(0, 1), (1, 1), (4, 23)], [0, 1, -1]),
            80: ((0, 1, 0), [(0, 0), (2, 3), (2, 11)], [0, 1, -1]),
            134: ((0, 1, 0), [(0, 9), (20, 21), (11, 11)], [9, 10, -1]),
        }
        for sid, (comb, route, layers) in cases.items():
            s = self.sl.by_id(sid)
            self.assertEqual((s.comb, s.route, s.stitch_layer_ids), (comb, route, layers), sid)
        self.assertEqual(self.sl.by_id(0).route, [(0, 11)])
        self.assertEqual(self.sl.by_id(1).route, [(0, 23)])
        self.assertEqual(self.sl.by_id(25).stitch_points(), [(1, 0), (0, 1)])
        with self.assertRaises(KeyError):
            self.sl.by_id(13)

    def test_equal_depth_and_generic(self):
        sb = snnetv2_space(12, 12)
        self.assertEqual(len(sb.stitches), 134)
        self.assertEqual(sb.excluded, [13])
        self.assertEqual(sb.by_id(14).route, [(0, 0), (1, 11)])
        tiny = snnetv2_space(4, 8)
        self.assertEqual(tiny.excluded, [5])
        self.assertEqual({k for s in tiny.stitches for k in [s.kind]}, set(KINDS) - {"v1"})
        for d in (3, 6):
            self.assertEqual(len(snnetv2_space(d, 2 * d).stitches), 2 + (d - 1) * 2 + 2 * sum(range(d - 1)))
        with self.assertRaises(ValueError):
            snnetv2_space(12, 18)

    def test_every_route_is_contiguous_and_has_four_taps(self):
        for d0, d1 in ((12, 24), (12, 12), (4, 8), (4, 4)):
            space = snnetv2_space(d0, d1)
            taps = dense_taps(d0, d1, default_large_taps(d1))
            for s in space.stitches:
                self.assertEqual(len(route_taps(s, taps)), 4, (d0, d1, s.id))
                self.assertEqual(len(s.route), len(s.comb))
                self.assertTrue(all(lo <= hi for lo, hi in s.route))
        self.assertEqual(dense_taps(12, 24, [9, 14, 19, 23])[0], [4, 7, 9, 11])
        self.assertEqual(dense_taps(12, 24, [4, 11, 17, 23])[0], [2, 5, 8, 11])


class SNNetv1SpaceTest(unittest.TestCase):
    def test_deit_tsb(self):
        space = snnetv1_space([12, 12, 12])
        self.assertEqual(len(space.stitches), 71)
        self.assertEqual([(g.src, g.dst, g.count) for g in space.layer_groups], [(0, 1, 11), (1, 2, 11)])
        self.assertEqual([s.comb for s in space.stitches[:3]], [(0,), (1,), (2,)])
        self.assertTrue(all(s.comb == (0, 1) for s in space.stitches[3:37]))
        self.assertTrue(all(s.comb == (1, 2) and s.layer_groups == [1, -1] for s in space.stitches[37:]))
        first = space.stitches[3]
        self.assertEqual((first.cfgs, first.stitch_layer_ids, first.route), ([(0, 0)], [0, -1], [(0, 0), (0, 11)]))

    def test_window_layers(self):
        pos = paired_positions(12, 2, 1)
        self.assertEqual(len(pos), 34)
        self.assertEqual([p for p, layer in pos if layer == 0], [(0, 0), (0, 1), (1, 0), (1, 1)])
        self.assertEqual([p for p, layer in pos if layer == 5], [(5, 6), (6, 5), (6, 6)])
        self.assertEqual((len(paired_positions(12, 2, 2)), max(layer for _, layer in paired_positions(12, 2, 2))), (24, 5))
        self.assertEqual(len(paired_positions(12, 1, 1)), 12)

    def test_variants(self):
        self.assertEqual(len(snnetv1_space([12] * 3, k=2, s=2).stitches), 3 + 2 * 24)
        self.assertEqual(len(snnetv1_space([12] * 3, k=1, s=1).stitches), 3 + 2 * 12)
        self.assertEqual(len(snnetv1_space([12] * 3, nearest=False).stitches), 732)
        with self.assertRaises(ValueError):
            snnetv1_space([12, 24])


if __name__ == "__main__":
    unittest.main()
