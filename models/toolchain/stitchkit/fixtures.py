"""Regenerate the tiny test bundles: ``PYTHONPATH=models/toolchain /usr/bin/python3 -m stitchkit.fixtures``.

Writes ``test/fixtures/tiny-v2/`` (SN-Netv2, 4 tasks, inline weights) and ``test/fixtures/tiny-v1/`` (SN-Net v1,
classification, weights in an external 64 KiB-aligned ``family.weights``), each with ``references/``.
Deterministic: same seed, same bytes (the manifest's ``created`` is fixed).
"""
from __future__ import annotations

import argparse
import os
import shutil

import torch

from .bundle import write_bundle
from .model import SNNet
from .references import default_cases, write_references
from .tiny import randomize_, tiny_v1_config, tiny_v2_config

FIXED_CREATED = "2026-01-01T00:00:00+00:00"
NOTES = "random weights for tests (not trained); regenerate with python3 -m stitchkit.fixtures"


def build_fixture(cfg, seed: int, out_dir: str, external: bool, external_min_bytes: int = 1024) -> dict:
    """Random-weight family ``cfg`` exported with references to ``out_dir`` (replaced); returns the manifest."""
    torch.manual_seed(seed)
    model = randomize_(SNNet(cfg), seed)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    manifest = write_bundle(model, out_dir, seed=seed, notes=NOTES, created=FIXED_CREATED, external=external,
                            external_min_bytes=external_min_bytes)
    write_references(model, out_dir, default_cases(model), seed=seed)
    return manifest


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join("test", "fixtures"), help="fixtures directory")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # tiny-v1 keeps only its larger tensors external so the padded weight file stays small
    for name, cfg, seed, external in (("tiny-v2", tiny_v2_config(), 1, False), ("tiny-v1", tiny_v1_config(), 2, True)):
        out = os.path.join(args.out, name)
        build_fixture(cfg, seed, out, external, external_min_bytes=8192)
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
        print(f"{out}: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
