"""Renders the demo page's sample images into public/samples/ (run once; the PNGs are committed).

Items are Fashion-MNIST test images (28x28 grayscale, what the demo family classifies); scenes come from the
demo family's own scene generator (stitchkit.demo.scenes, 64x64 RGB, test split), so the samples match the
training distribution of the dense heads. Writes public/samples/index.json describing each file.

    PYTHONPATH=models/toolchain /usr/bin/python3 test/e2e/make-demo-samples.py
"""
from __future__ import annotations

import json
import os

import numpy as np
from PIL import Image

from stitchkit.demo.family import SCENE
from stitchkit.demo.fmnist import LABELS, load_split
from stitchkit.demo.scenes import make_scene

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "public", "samples")
ITEM_CLASSES = ["Sneaker", "Trouser", "Bag", "Dress"]  # one clear example each, first in test-set order
SCENE_COUNT = 3  # the first test-split scenes with 3..5 visible items
SEED = 0


def first_of_class(labels: np.ndarray, name: str) -> int:
    return int(np.nonzero(labels == LABELS.index(name))[0][0])


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    images, labels = load_split("test")
    entries = []
    for name in ITEM_CLASSES:
        index = first_of_class(labels, name)
        file = f"item-{name.lower().replace('/', '-')}.png"
        Image.fromarray(images[index], mode="L").save(os.path.join(OUT, file), optimize=True)
        entries.append({"file": file, "title": name, "kind": "item", "task": "classify",
                        "truth": [name], "source": f"Fashion-MNIST test #{index}"})
    index, scenes = -1, 0
    while scenes < SCENE_COUNT:
        index += 1
        scene = make_scene(images, labels, "test", index, seed=SEED, cfg=SCENE)
        visible = [LABELS[int(k)] for k in scene.box_labels]
        if not 3 <= len(visible) <= 5:
            continue
        scenes += 1
        file = f"scene-{index}.png"
        Image.fromarray(scene.image, mode="RGB").save(os.path.join(OUT, file), optimize=True)
        entries.append({"file": file, "title": f"Scene {index}: {len(visible)} items", "kind": "scene",
                        "task": "detect", "truth": visible,
                        "source": f"stitchkit.demo.scenes test #{index}, seed {SEED}, {SCENE.size}px"})
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump({"samples": entries}, f, indent=2)
        f.write("\n")
    print(f"wrote {len(entries)} samples to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
