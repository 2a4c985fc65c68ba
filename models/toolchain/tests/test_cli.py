"""The CLI, run as a subprocess (`python -m stitchkit`): help, one-line errors, stitch tables, FLOPs, RCS groups,
build and import; import → export → ONNX Runtime (Node) reproduces the imported PyTorch model.

Importing this module registers two tiny presets; the subprocesses see them through STITCHKIT_PRESET_MODULES.
"""
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

from stitchkit import presets as registry
from stitchkit.cli import main
from stitchkit.tiny import tiny_v1_config, tiny_v2_config

TOOLCHAIN = Path(__file__).resolve().parents[1]
REPO = TOOLCHAIN.parents[1]
ORT_RUNNER = TOOLCHAIN / "tests" / "ort_runner.mjs"

registry.register(registry.Preset("test-tiny-v2", "tiny SN-Netv2, all tasks (tests)", tiny_v2_config), replace=True)
registry.register(registry.Preset("test-tiny-v1", "tiny SN-Net v1 (tests)", tiny_v1_config), replace=True)

torch.set_num_threads(1)


def run_cli(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(TOOLCHAIN), STITCHKIT_PRESET_MODULES="tests.test_cli",
               OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "stitchkit", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO)


def run_main(*args):
    """The CLI in-process (same entry point, no interpreter start-up): (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in args])
    return subprocess.CompletedProcess(args, status, out.getvalue(), err.getvalue())


class UsageTest(unittest.TestCase):
    def test_help(self):
        res = run_cli("--help")
        self.assertEqual(res.returncode, 0)
        for command in ("stitches", "flops", "groups", "build", "import", "presets"):
            self.assertIn(command, res.stdout)

    def assert_one_line_error(self, res, fragment):
        """Exit 2, no traceback, the error is one line (progress lines of long steps may precede it)."""
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertNotIn("Traceback", res.stderr)
        lines = res.stderr.strip().splitlines()
        self.assertTrue(lines[-1].startswith("stitchkit: error: "), lines[-1])
        self.assertTrue(all(line.startswith("[") for line in lines[:-1]), res.stderr)
        self.assertIn(fragment, lines[-1])

    def test_errors_in_a_subprocess(self):
        self.assert_one_line_error(run_cli("stitches", "--preset", "nope"), "unknown preset 'nope'")
        with tempfile.TemporaryDirectory() as tmp:
            junk = Path(tmp) / "junk.pth"
            junk.write_bytes(b"\x00garbage")
            self.assert_one_line_error(run_cli("import", "--preset", "test-tiny-v2", "--out", Path(tmp) / "b",
                                               "--checkpoint", junk), "cannot read checkpoint")

    def test_errors(self):
        self.assert_one_line_error(run_main("stitches"), "--preset --bundle is required")
        self.assert_one_line_error(run_main("frobnicate"), "invalid choice")
        self.assert_one_line_error(run_main("stitches", "--bundle", "/nonexistent/b"), "is not a bundle")
        self.assert_one_line_error(run_main("flops", "--preset", "deit3-s-l", "--task", "segment"), "no task 'segment'")
        self.assert_one_line_error(run_main("flops", "--preset", "deit3-s-l", "--size", "0x3"), "sizes must be positive")
        self.assert_one_line_error(run_main("groups", "--preset", "deit3-s-l", "--gap", "-1"), "gap")
        self.assert_one_line_error(run_main("build", "--preset", "deit3-s-l", "--out", "/tmp/x", "--seed", "a"),
                                   "invalid int value")
        with tempfile.TemporaryDirectory() as tmp:
            self.assert_one_line_error(run_main("import", "--preset", "test-tiny-v2", "--out", Path(tmp) / "b",
                                                "--checkpoint", Path(tmp) / "missing.pth"), "does not exist")
            (Path(tmp) / "full").mkdir()
            (Path(tmp) / "full" / "x").write_text("x")
            self.assert_one_line_error(run_main("build", "--preset", "test-tiny-v1", "--out", Path(tmp) / "full"),
                                       "is not empty")
            self.assert_one_line_error(run_main("build", "--preset", "test-tiny-v1", "--out", Path(tmp) / "b",
                                                "--with-official-metrics"), "no official metrics")
            self.assertFalse((Path(tmp) / "b").exists())


class TablesTest(unittest.TestCase):
    def test_stitches_deit3_s_l_jsonl(self):
        res = run_cli("stitches", "--preset", "deit3-s-l", "--format", "jsonl")
        self.assertEqual(res.returncode, 0, res.stderr)
        rows = [json.loads(line) for line in res.stdout.splitlines()]
        self.assertEqual([r["id"] for r in rows], [i for i in range(135) if i != 13])
        self.assertEqual(rows[0]["flops"]["classify"], 4608338304)
        self.assertAlmostEqual(rows[0]["metrics"]["classify"]["top1"], 0.82906, places=5)
        self.assertEqual(rows[2]["route"], [[0, 0], [2, 23]])
        self.assertEqual(rows[2]["kind"], "s2l")

    def test_stitches_table_and_v1(self):
        res = run_main("stitches", "--preset", "deit-ti-s-b")
        self.assertEqual(res.returncode, 0, res.stderr)
        lines = res.stdout.splitlines()
        self.assertEqual(len(lines), 1 + 71)
        self.assertIn("GF classify", lines[0])
        self.assertIn("Ti[0-0] > S[0-11]", lines[4])  # id 3: Ti block 0 → S blocks 0..11

    def test_flops_any_size(self):
        res = run_main("flops", "--preset", "deit3-s-l", "--size", "384", "--format", "jsonl")
        self.assertEqual(res.returncode, 0, res.stderr)
        rows = [json.loads(line) for line in res.stdout.splitlines()]
        self.assertEqual(rows[0]["input"], [384, 384])
        self.assertGreater(rows[0]["flops"]["classify"], 3 * 4608338304)

    def test_groups(self):
        res = run_cli("groups", "--preset", "deit3-s-l", "--gap", "1.0", "--format", "jsonl")
        self.assertEqual(res.returncode, 0, res.stderr)
        groups = [json.loads(line) for line in res.stdout.splitlines()]
        self.assertEqual([g["size"] for g in groups], [1] + [12] * 11 + [1])
        self.assertAlmostEqual(sum(g["probability"] for g in groups), 1.0)

    def test_dense_tasks_of_a_preset(self):
        res = run_main("stitches", "--preset", "test-tiny-v2", "--format", "jsonl")
        self.assertEqual(res.returncode, 0, res.stderr)
        row = json.loads(res.stdout.splitlines()[0])
        self.assertEqual(set(row["flops"]), {"classify", "segment", "depth", "detect"})


class BuildImportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_build_then_list_the_bundle(self):
        out = self.tmp / "v1"
        res = run_cli("build", "--preset", "test-tiny-v1", "--out", out, "--seed", 3, "--ls-init-images", 4)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("ls-init", res.stderr)  # progress on stderr
        manifest = json.loads((out / "manifest.json").read_text())
        self.assertEqual(manifest["provenance"]["seed"], 3)
        res = run_main("stitches", "--bundle", out, "--format", "jsonl")
        self.assertEqual(len(res.stdout.splitlines()), len(manifest["stitches"]))
        route = self.tmp / "route.onnx"
        stitched = next(s["id"] for s in manifest["stitches"] if s["kind"] == "v1")
        res = run_main("export-route", "--bundle", out, "--stitch", stitched, "--out", route, "--quiet")
        self.assertEqual(res.returncode, 0, res.stderr)
        import onnx

        graph = onnx.load(str(route)).graph
        self.assertFalse([n for n in graph.node if n.op_type == "If"])
        self.assertEqual([i.name for i in graph.input], ["pixels"])
        res = run_main("export-route", "--bundle", out, "--stitch", 999, "--out", route)
        self.assertEqual(res.returncode, 2)
        self.assertIn("no active stitch 999", res.stderr)

    def test_import_export_forward_parity(self):
        from tests.test_importer import official_v2_keys, random_state_dict

        cfg = tiny_v2_config()
        ckpt = self.tmp / "snnetv2_tiny.pth"
        torch.save({"model": random_state_dict(official_v2_keys(cfg, r=2), seed=7)}, ckpt)
        out = self.tmp / "imported"
        res = run_cli("import", "--preset", "test-tiny-v2", "--checkpoint", ckpt, "--out", out, "--quiet")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        node = shutil.which("node")
        if node is None or not ORT_RUNNER.exists() or not (REPO / "node_modules" / "onnxruntime-node").exists():
            self.skipTest("node + onnxruntime-node (and tests/ort_runner.mjs) are needed for the parity check")
        model = registry.build_model(registry.get("test-tiny-v2"), seed=0, checkpoint=ckpt)
        manifest = json.loads((out / "manifest.json").read_text())
        kinds = {}
        for s in manifest["stitches"]:
            kinds.setdefault(s["kind"], s["id"])
        jobs, expected = [], []
        gen = torch.Generator().manual_seed(0)
        for task in cfg.tasks:
            for sid in kinds.values():
                pixels = torch.randn(2, 3, *task.input_hw, generator=gen)
                path = self.tmp / f"in{len(jobs)}.bin"
                path.write_bytes(pixels.numpy().astype("<f4").tobytes())
                jobs.append({"stitchId": sid, "task": task.name, "input": str(path), "dims": list(pixels.shape)})
                with torch.no_grad():
                    expected.append(model.run(pixels, sid, task.name))
        (self.tmp / "jobs.json").write_text(json.dumps(jobs))
        res = subprocess.run([node, str(ORT_RUNNER), str(out), str(self.tmp / "jobs.json"), str(self.tmp)],
                             capture_output=True, text=True, cwd=REPO, timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr)
        for job, want, got in zip(jobs, expected, json.loads(res.stdout)):
            for name, ref in want.items():
                arr = np.fromfile(got["outputs"][name]["file"], dtype="<f4").reshape(got["outputs"][name]["dims"])
                ref = ref.numpy()
                err = np.abs(arr - ref).max() / max(np.abs(ref).max(), 1e-6)
                self.assertLess(err, 1e-4, (job["stitchId"], name))


if __name__ == "__main__":
    unittest.main()
