"""Checkpoint import: official key names/shapes (written here from the method's §8 tables, not from our model),
LoRA merged exactly once, strict key/shape errors, SN-Net v1 DeiT checkpoints."""
import dataclasses
import tempfile
import unittest
from pathlib import Path

import torch

from stitchkit.importer import CheckpointError, import_checkpoint, read_state_dict
from stitchkit.model import SNNet
from stitchkit.tiny import randomize_, tiny_v1_config, tiny_v2_config

torch.set_num_threads(1)


def official_anchor_keys(prefix, dim, depth, classes, patch, n_pos, layer_scale):
    """Official DeiT-III / timm DeiT parameter names and shapes of one anchor (method §8)."""
    keys = {f"{prefix}cls_token": (1, 1, dim), f"{prefix}pos_embed": (1, n_pos, dim),
            f"{prefix}patch_embed.proj.weight": (dim, 3, patch, patch), f"{prefix}patch_embed.proj.bias": (dim,),
            f"{prefix}norm.weight": (dim,), f"{prefix}norm.bias": (dim,),
            f"{prefix}head.weight": (classes, dim), f"{prefix}head.bias": (classes,)}
    for i in range(depth):
        b = f"{prefix}blocks.{i}."
        keys.update({b + "norm1.weight": (dim,), b + "norm1.bias": (dim,),
                     b + "attn.qkv.weight": (3 * dim, dim), b + "attn.qkv.bias": (3 * dim,),
                     b + "attn.proj.weight": (dim, dim), b + "attn.proj.bias": (dim,),
                     b + "norm2.weight": (dim,), b + "norm2.bias": (dim,),
                     b + "mlp.fc1.weight": (4 * dim, dim), b + "mlp.fc1.bias": (4 * dim,),
                     b + "mlp.fc2.weight": (dim, 4 * dim), b + "mlp.fc2.bias": (dim,)})
        if layer_scale:
            keys.update({b + "gamma_1": (dim,), b + "gamma_2": (dim,)})
    return keys


def official_v2_keys(cfg, r):
    """SN-Netv2 ImageNet checkpoint layout for a 2-anchor family with LoRA rank ``r``."""
    s, l = cfg.anchors
    keys = {}
    for a, anc in enumerate(cfg.anchors):
        keys.update(official_anchor_keys(f"anchors.{a}.", anc.dim, anc.depth, anc.num_classes, anc.patch,
                                         anc.grid ** 2, layer_scale=True))
    n_s2l, n_l2s = s.depth, s.depth - 1
    for g, (count, d_in, d_out) in enumerate(((n_s2l, s.dim, l.dim), (n_l2s, l.dim, s.dim))):
        for k in range(count):
            p = f"stitch_layers.{g}.{k}.transform."
            keys.update({p + "weight": (d_out, d_in), p + "bias": (d_out,), p + "lora_A": (r, d_in),
                         p + "lora_B": (d_out, r)})
    return keys


def official_v1_keys(cfg, n_layers):
    keys = {}
    for a, anc in enumerate(cfg.anchors):
        keys.update(official_anchor_keys(f"anchors.{a}.", anc.dim, anc.depth, anc.num_classes, anc.patch,
                                         anc.grid ** 2 + 1, layer_scale=False))
    for p in range(len(cfg.anchors) - 1):
        d_in, d_out = cfg.anchors[p].dim, cfg.anchors[p + 1].dim
        for k in range(n_layers):
            pre = f"stitch_layers.{p}.{k}.transform."
            keys.update({pre + "weight": (d_out, d_in), pre + "bias": (d_out,)})
    return keys


def random_state_dict(keys, seed):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(shape, generator=g) * 0.2 for k, shape in keys.items()}


def classify_cfg(cfg):
    return dataclasses.replace(cfg, tasks=tuple(t for t in cfg.tasks if t.name == "classify"))


class OfficialLayoutTest(unittest.TestCase):
    def test_our_names_are_the_official_names(self):
        cfg = classify_cfg(tiny_v2_config())  # LoRA rank 2
        ours = {k: tuple(v.shape) for k, v in SNNet(cfg).state_dict().items()}
        self.assertEqual(ours, official_v2_keys(cfg, r=2))
        v1 = tiny_v1_config()
        ours = {k: tuple(v.shape) for k, v in SNNet(v1).state_dict().items()}
        self.assertEqual(ours, official_v1_keys(v1, n_layers=3))  # depth 4, k=2, s=1 → 3 layers

    def test_synthetic_v2_checkpoint_imports_and_merges_once(self):
        cfg = classify_cfg(tiny_v2_config())
        sd = random_state_dict(official_v2_keys(cfg, r=2), seed=3)
        model = import_checkpoint(cfg, {"model": sd})
        t = model.stitch_layers[0][1].transform
        p = "stitch_layers.0.1.transform."
        want = sd[p + "weight"] + sd[p + "lora_B"] @ sd[p + "lora_A"] / 2
        self.assertLess((t.weight - want).abs().max().item(), 1e-6)
        self.assertEqual(t.r, 0)  # a plain Linear: an exporter cannot merge again
        with torch.no_grad():
            for stitch in model.space.stitches:
                self.assertTrue(torch.isfinite(model(torch.randn(1, 3, 16, 16), stitch, "classify")["classify.logits"]).all())

    def test_import_reproduces_the_unmerged_lora_model(self):
        cfg = tiny_v2_config()
        source = randomize_(SNNet(cfg), seed=4)  # LoRA B non-zero, unmerged forward
        official = {k: v for k, v in source.state_dict().items() if not k.startswith("heads.")}
        model = import_checkpoint(cfg, {"model": official}, base=source)
        with_heads = import_checkpoint(cfg, {"model": source.state_dict()})  # stitchkit's own files carry heads
        self.assertTrue(torch.equal(with_heads.heads["segment"].conv_seg.weight, source.heads["segment"].conv_seg.weight))
        pixels = torch.randn(2, 3, 32, 32)
        with torch.no_grad():
            for stitch in source.space.stitches:
                for task in ("classify", "segment"):
                    x = pixels if task != "classify" else pixels[..., :16, :16]
                    want, got = source(x, stitch, task), model(x, stitch, task)
                    for name in want:
                        self.assertLess((want[name] - got[name]).abs().max().item(), 1e-4, (stitch.id, name))
        # treating the file as already merged drops the LoRA term: outputs change
        unmerged = import_checkpoint(cfg, {"model": source.state_dict()}, lora_merged=True, base=source)
        with torch.no_grad():
            s = source.space.by_id(2)
            diff = (unmerged(pixels[..., :16, :16], s, "classify")["classify.logits"]
                    - source(pixels[..., :16, :16], s, "classify")["classify.logits"]).abs().max().item()
        self.assertGreater(diff, 1e-4)

    def test_synthetic_v1_checkpoint(self):
        cfg = tiny_v1_config()
        sd = random_state_dict(official_v1_keys(cfg, n_layers=3), seed=5)
        model = import_checkpoint(cfg, {"model": sd})
        self.assertTrue(torch.equal(model.anchors[1].pos_embed, sd["anchors.1.pos_embed"]))
        self.assertTrue(torch.equal(model.stitch_layers[1][2].transform.weight, sd["stitch_layers.1.2.transform.weight"]))
        with torch.no_grad():
            for stitch in model.space.stitches:
                self.assertEqual(tuple(model(torch.randn(1, 3, 16, 16), stitch, "classify")["classify.logits"].shape),
                                 (1, 10))


class StrictnessTest(unittest.TestCase):
    def setUp(self):
        self.cfg = classify_cfg(tiny_v2_config())
        self.sd = random_state_dict(official_v2_keys(self.cfg, r=2), seed=6)

    def assert_error_names(self, sd, fragment):
        with self.assertRaises(CheckpointError) as ctx:
            import_checkpoint(self.cfg, {"model": sd})
        self.assertIn(fragment, str(ctx.exception))

    def test_missing_anchor_key(self):
        del self.sd["anchors.1.blocks.3.gamma_2"]
        self.assert_error_names(self.sd, "'anchors.1.blocks.3.gamma_2'")

    def test_missing_stitch_layer(self):
        for name in ("weight", "bias", "lora_A", "lora_B"):
            del self.sd[f"stitch_layers.1.2.transform.{name}"]
        self.assert_error_names(self.sd, "'stitch_layers.1.2.transform.weight'")

    def test_wrong_shape(self):
        self.sd["anchors.0.pos_embed"] = torch.zeros(1, 17, 16)  # a v1-style cls slot
        self.assert_error_names(self.sd, "'anchors.0.pos_embed': shape (1, 17, 16)")

    def test_unexpected_keys(self):
        self.assert_error_names({**self.sd, "anchors.0.head_dist.weight": torch.zeros(1)}, "'anchors.0.head_dist.weight'")
        self.assert_error_names({**self.sd, "stitch_layers.0.9.transform.weight": torch.zeros(24, 16)},
                                "'stitch_layers.0.9.transform.weight'")
        self.assert_error_names({**self.sd, "decode_head.conv_seg.weight": torch.zeros(1)}, "'decode_head.conv_seg.weight'")

    def test_half_lora(self):
        del self.sd["stitch_layers.0.0.transform.lora_B"]
        self.assert_error_names(self.sd, "'stitch_layers.0.0.transform.lora_B'")

    def test_bad_lora_shape(self):
        self.sd["stitch_layers.0.0.transform.lora_B"] = torch.zeros(24, 3)
        self.assert_error_names(self.sd, "'stitch_layers.0.0.transform.lora_B'")

    def test_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaises(CheckpointError) as ctx:
                read_state_dict(Path(tmp) / "absent.pth")
            self.assertIn("does not exist", str(ctx.exception))
            junk = Path(tmp) / "junk.pth"
            junk.write_bytes(b"not a checkpoint")
            with self.assertRaises(CheckpointError) as ctx:
                read_state_dict(junk)
            self.assertIn("cannot read checkpoint", str(ctx.exception))
            good = Path(tmp) / "ddp.pth"
            torch.save({"model": {"module." + k: v for k, v in self.sd.items()}}, good)
            self.assertIn("anchors.0.cls_token", read_state_dict(good))
            torch.save({"model": {"x": 3}}, good)
            with self.assertRaises(CheckpointError):
                read_state_dict(good)


if __name__ == "__main__":
    unittest.main()
