"""Route-graph export: ONNX Runtime (Node, as the engine runs it) vs PyTorch, weights stored once, manifests.

The Node runner (``ort_runner.mjs``) loads a bundle and runs given (stitch, task) jobs; these tests compare its
outputs with the PyTorch family at <= 1e-4 relative error (max |diff| / max |ref|) for every stitch, task and
batch 1 and 3, and check that the committed fixtures are exactly what ``stitchkit.fixtures`` regenerates.
"""
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import numpy as np
import onnx
import torch

from stitchkit.bundle import validate_manifest, write_bundle
from stitchkit.fixtures import main as regenerate_fixtures
from stitchkit.heads import fold_batchnorm
from stitchkit.model import SNNet
from stitchkit.references import read_tensor
from stitchkit.single_route import export_route
from stitchkit.tiny import randomize_, tiny_v1_config, tiny_v2_config

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
RUNNER = os.path.join(HERE, "ort_runner.mjs")
FIXTURES = os.path.join(REPO, "test", "fixtures")
TOLERANCE = 1e-4
torch.set_num_threads(1)


def run_ort(bundle_dir: str, jobs, work: str):
    """Run ``jobs`` ({stitchId, task, input, dims}) in Node ORT; returns one {output: array} per job."""
    jobs_path = os.path.join(work, "jobs.json")
    with open(jobs_path, "w") as f:
        json.dump(jobs, f)
    proc = subprocess.run(["node", RUNNER, bundle_dir, jobs_path, work], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    if proc.returncode != 0:
        raise AssertionError(f"ort_runner failed: {proc.stderr[-3000:]}")
    return [{name: read_tensor(o["file"], o["dims"]) for name, o in r["outputs"].items()} for r in json.loads(proc.stdout)]


def relative_error(got: np.ndarray, ref: np.ndarray) -> float:
    if got.shape != ref.shape:
        return float("inf")
    return float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-12))


class ExportParityTest(unittest.TestCase):
    worst = {}

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="stitchkit-export-")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def _parity(self, model: SNNet, bundle: str, batches=(1, 3)) -> float:
        jobs, refs = [], []
        gen = torch.Generator().manual_seed(7)
        for stitch in model.space.stitches:
            for task in model.cfg.tasks:
                for batch in batches:
                    pixels = torch.rand(batch, 3, *task.input_hw, generator=gen) * 2 - 1
                    path = os.path.join(self.work, f"in{len(jobs)}.bin")
                    pixels.numpy().astype("<f4").tofile(path)
                    jobs.append({"stitchId": stitch.id, "task": task.name, "input": path, "dims": list(pixels.shape)})
                    with torch.no_grad():
                        refs.append({k: v.numpy() for k, v in model(pixels, stitch, task.name).items()})
        worst = 0.0
        for job, ref, got in zip(jobs, refs, run_ort(bundle, jobs, self.work)):
            self.assertEqual(set(got), set(ref), job)
            for name in ref:
                err = relative_error(got[name], ref[name])
                self.assertLessEqual(err, TOLERANCE, (job["stitchId"], job["task"], name, err))
                worst = max(worst, err)
        return worst

    def test_v2_every_stitch_every_task(self):
        model = randomize_(SNNet(tiny_v2_config()), seed=11)
        bundle = os.path.join(self.work, "bundle")
        write_bundle(model, bundle, seed=11)
        self.worst["tiny-v2"] = self._parity(model, bundle)

    def test_v2_guided_dense_heads(self):
        model = randomize_(SNNet(tiny_v2_config(decoder="guided")), seed=13)
        bundle = os.path.join(self.work, "bundle")
        write_bundle(model, bundle, seed=13)
        self.worst["tiny-v2-guided"] = self._parity(model, bundle, batches=(2,))

    def test_v2_conv_stem_anchors(self):
        model = randomize_(SNNet(tiny_v2_config(decoder="guided", stem=True)), seed=14)
        bundle = os.path.join(self.work, "bundle")
        write_bundle(model, bundle, seed=14)
        self.worst["tiny-v2-stem"] = self._parity(model, bundle, batches=(2,))

    def test_v1_every_stitch_external_weights(self):
        model = randomize_(SNNet(tiny_v1_config()), seed=12)
        bundle = os.path.join(self.work, "bundle")
        manifest = write_bundle(model, bundle, seed=12, external=True)
        self.assertEqual(manifest["graph"]["externalData"], "family.weights")
        self.worst["tiny-v1"] = self._parity(model, bundle)

    def test_committed_fixture_references(self):
        for name in ("tiny-v2", "tiny-v1"):
            bundle = os.path.join(FIXTURES, name)
            with open(os.path.join(bundle, "references", "index.json")) as f:
                index = json.load(f)
            jobs = [{"stitchId": e["stitchId"], "task": e["task"], "dims": e["dims"]["pixels"],
                     "input": os.path.join(bundle, "references", e["input"])} for e in index]
            for entry, got in zip(index, run_ort(bundle, jobs, self.work)):
                for out, file in entry["outputs"].items():
                    ref = read_tensor(os.path.join(bundle, "references", file), entry["dims"][out])
                    self.assertLessEqual(relative_error(got[out], ref), TOLERANCE, (name, entry["stitchId"], out))

    def test_single_route_graphs_match_references(self):
        bundle = os.path.join(FIXTURES, "tiny-v2")
        with open(os.path.join(bundle, "references", "index.json")) as f:
            index = [e for e in json.load(f) if e["batch"] == 3 and e["stitchId"] in (1, 2, 6, 9, 12)]
        jobs = []
        for e in index:
            graph = export_route(bundle, e["stitchId"], e["task"], os.path.join(self.work, f"{e['stitchId']}.{e['task']}.onnx"))
            self.assertFalse(any(n.op_type == "If" for n in onnx.load(graph).graph.node))
            jobs.append({"stitchId": e["stitchId"], "task": e["task"], "dims": e["dims"]["pixels"], "graph": graph,
                         "input": os.path.join(bundle, "references", e["input"])})
        for entry, got in zip(index, run_ort(bundle, jobs, self.work)):
            for out, file in entry["outputs"].items():
                ref = read_tensor(os.path.join(bundle, "references", file), entry["dims"][out])
                self.assertLessEqual(relative_error(got[out], ref), TOLERANCE, (entry["stitchId"], out))

    @classmethod
    def tearDownClass(cls):
        if cls.worst:
            print(f"\n[parity] worst relative error ORT-node vs PyTorch: {cls.worst}")


class BundleStructureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="stitchkit-bundle-")
        cls.model = randomize_(SNNet(tiny_v2_config()), seed=3)
        cls.manifest = write_bundle(cls.model, cls.work, seed=3)
        cls.onnx = onnx.load(os.path.join(cls.work, "family.onnx"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_each_weight_stored_once(self):
        float_bytes = sum(len(t.raw_data) for t in self.onnx.graph.initializer if t.data_type == onnx.TensorProto.FLOAT)
        params = sum(p.numel() for a in self.model.anchors for p in a.parameters())
        params += sum(layer.transform.weight.numel() + layer.transform.bias.numel()
                      for group in self.model.stitch_layers for layer in group if hasattr(layer, "transform"))
        params += sum(p.numel() for h in self.model.heads.values() for p in fold_batchnorm(h).parameters())
        self.assertAlmostEqual(float_bytes / (4 * params), 1.0, delta=0.01)
        names = [t.name for t in self.onnx.graph.initializer]
        self.assertEqual(len(names), len(set(names)))

    def test_graph_interface(self):
        g = self.onnx.graph
        conditions = self.manifest["graph"]["conditions"]
        self.assertEqual([i.name for i in g.input], ["pixels"] + conditions)
        self.assertTrue(all(i.type.tensor_type.elem_type == onnx.TensorProto.BOOL and
                            len(i.type.tensor_type.shape.dim) == 0 for i in g.input[1:]))
        self.assertEqual([o.name for o in g.output],
                         [n for t in self.manifest["tasks"].values() for n in t["outputs"]])
        self.assertEqual(self.onnx.opset_import[0].version, 17)

    def test_manifest(self):
        m = self.manifest
        validate_manifest(m)
        self.assertEqual(m["space"]["excluded"], [5])
        self.assertEqual([s["id"] for s in m["stitches"]], [i for i in range(15) if i != 5])
        conditions = m["graph"]["conditions"]
        for s in m["stitches"]:
            names = [conditions[i] for i in s["slots"]]
            self.assertEqual(sum(n.startswith("tap") for n in names), 4, s["id"])
            self.assertFalse(any(n.startswith("task.") for n in names))
            self.assertTrue(all(v > 0 for v in s["flops"].values()), s["id"])
        for f in m["files"]:
            with open(os.path.join(self.work, f["path"]), "rb") as fh:
                self.assertEqual(hashlib.sha256(fh.read()).hexdigest(), f["sha256"])
        broken = json.loads(json.dumps(m))
        broken["stitches"][0]["kind"] = "sideways"
        with self.assertRaises(Exception):
            validate_manifest(broken)


class FixturesUpToDateTest(unittest.TestCase):
    def test_regeneration_reproduces_committed_fixtures(self):
        work = tempfile.mkdtemp(prefix="stitchkit-fixtures-")
        try:
            regenerate_fixtures(["--out", work])
            for name in ("tiny-v2", "tiny-v1"):
                cmp = filecmp.dircmp(os.path.join(work, name), os.path.join(FIXTURES, name))
                self._assert_same(cmp, name)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _assert_same(self, cmp, where):
        self.assertFalse(cmp.left_only or cmp.right_only, f"{where}: files differ in presence")
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        self.assertFalse(mismatch or errors, f"{where}: stale fixture files {mismatch + errors}; "
                                             "regenerate with python3 -m stitchkit.fixtures")
        for sub, sub_cmp in cmp.subdirs.items():
            self._assert_same(sub_cmp, f"{where}/{sub}")


if __name__ == "__main__":
    unittest.main()
