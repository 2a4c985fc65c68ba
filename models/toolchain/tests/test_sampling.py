"""Samplers (method §4): RCS groups of the official S-L table, group skew, sampling frequencies."""
import unittest

from stitchkit.official import load_table
from stitchkit.sampling import (ResourceConstrainedSampler, UniformSampler, group_by_flops,
                                group_probabilities)


def official_flops():
    return {sid: r.flops for sid, r in load_table("snnetv2-imagenet-s-l").results.items()}


class GroupingTest(unittest.TestCase):
    def test_official_s_l_forms_13_groups(self):
        groups = group_by_flops(official_flops(), 1.0)
        self.assertEqual([len(g) for g in groups], [1] + [12] * 11 + [1])
        self.assertEqual(groups[0], [0])  # the small anchor alone
        self.assertEqual(groups[-1], [1])  # the large anchor alone
        # every active stitch is in exactly one group
        flat = [sid for g in groups for sid in g]
        self.assertEqual(sorted(flat), sorted(official_flops()))
        # groups are ordered by FLOPs and ids inside a group are sorted
        flops = official_flops()
        for a, b in zip(groups, groups[1:]):
            self.assertLess(max(flops[i] for i in a), min(flops[i] for i in b))
        self.assertTrue(all(g == sorted(g) for g in groups))

    def test_gap_is_measured_from_the_first_member(self):
        # 1.0, 1.6, 2.2 GF: 2.2 is within 1.0 of 1.6 but not of the group's first member 1.0
        groups = group_by_flops({7: 1.0e9, 8: 1.6e9, 9: 2.2e9}, 1.0)
        self.assertEqual(groups, [[7, 8], [9]])

    def test_floor_variant_and_zero_gap(self):
        self.assertEqual(group_by_flops({1: 1.2e9, 2: 2.9e9}, 1.0, floor_gflops=True), [[1, 2]])
        self.assertEqual(group_by_flops({1: 1.2e9, 2: 2.9e9}, 1.0), [[1], [2]])
        self.assertEqual(group_by_flops({1: 5e9, 2: 5e9, 3: 6e9}, 0.0), [[1, 2], [3]])

    def test_bad_gap(self):
        with self.assertRaises(ValueError):
            group_by_flops({1: 1e9}, -1.0)


class ProbabilityTest(unittest.TestCase):
    def test_uniform_and_linear_skew(self):
        self.assertEqual(group_probabilities(4), [0.25] * 4)
        p = group_probabilities(13, k=2.0)
        self.assertAlmostEqual(sum(p), 1.0)
        self.assertTrue(all(a < b for a, b in zip(p, p[1:])))
        # p_g ∝ g/k + 1/G with g counted from 0
        w = [g / 2.0 + 1 / 13 for g in range(13)]
        for got, want in zip(p, w):
            self.assertAlmostEqual(got, want / sum(w))
        with self.assertRaises(ValueError):
            group_probabilities(3, k=0)


class FrequencyTest(unittest.TestCase):
    DRAWS = 26000

    def test_rcs_frequencies_match_the_marginals(self):
        sampler = ResourceConstrainedSampler.from_flops(official_flops(), 1.0, seed=0)
        marg = sampler.stitch_probabilities()
        self.assertAlmostEqual(sum(marg.values()), 1.0)
        self.assertAlmostEqual(marg[0], 1 / 13)
        self.assertAlmostEqual(marg[1], 1 / 13)
        self.assertAlmostEqual(marg[2], 1 / 13 / 12)
        counts = {}
        for _ in range(self.DRAWS):
            sid = sampler.sample()
            counts[sid] = counts.get(sid, 0) + 1
        for anchor in (0, 1):
            freq = counts[anchor] / self.DRAWS
            self.assertAlmostEqual(freq, 1 / 13, delta=0.006)  # ≈ 4 standard deviations
        group_freq = [sum(counts.get(i, 0) for i in g) / self.DRAWS for g in sampler.groups]
        for f in group_freq:
            self.assertAlmostEqual(f, 1 / 13, delta=0.007)

    def test_uniform_frequencies(self):
        ids = sorted(official_flops())
        sampler = UniformSampler(ids, seed=1)
        counts = {}
        for _ in range(self.DRAWS):
            sid = sampler.sample()
            counts[sid] = counts.get(sid, 0) + 1
        self.assertEqual(set(counts), set(ids))
        self.assertAlmostEqual(counts.get(0, 0) / self.DRAWS, 1 / 134, delta=0.003)
        self.assertAlmostEqual(sampler.stitch_probabilities()[5], 1 / 134)

    def test_seeded_sampling_is_reproducible(self):
        a = ResourceConstrainedSampler.from_flops(official_flops(), 1.0, k=3.0, seed=42)
        b = ResourceConstrainedSampler.from_flops(official_flops(), 1.0, k=3.0, seed=42)
        self.assertEqual([a.sample() for _ in range(50)], [b.sample() for _ in range(50)])

    def test_bad_inputs(self):
        with self.assertRaises(ValueError):
            ResourceConstrainedSampler([[1], []])
        with self.assertRaises(ValueError):
            ResourceConstrainedSampler([[1], [2]], probs=[0.2, 0.2])
        with self.assertRaises(ValueError):
            UniformSampler([])


if __name__ == "__main__":
    unittest.main()
