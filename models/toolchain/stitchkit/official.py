"""Official per-stitch result tables carried inside the package (with attribution).

The tables live in ``stitchkit/data_files/`` so that presets can join official
accuracy figures by upstream stitch id without reading ``../shared`` at run time.
Each data file is a JSON object ``{"attribution": {...}, "records": [...]}`` whose
records are the upstream JSON lines, unchanged.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping

DATA_DIR = Path(__file__).resolve().parent / "data_files"

#: Registered official tables: name -> data file name.
TABLES: Mapping[str, str] = {
    "snnetv2-imagenet-s-l": "snnetv2_imagenet_s_l.json",
}


@dataclass(frozen=True)
class OfficialResult:
    """One upstream stitch result.

    ``top1``/``top5`` are fractions in [0, 1] (upstream stores percentages);
    ``flops`` is the upstream fvcore count (multiply-adds) at the table's input size.
    """

    stitch_id: int
    top1: float
    top5: float
    flops: int


@dataclass(frozen=True)
class OfficialTable:
    """An official per-stitch table plus where it came from."""

    name: str
    attribution: Mapping[str, str]
    results: Mapping[int, OfficialResult]

    def classify_metrics(self) -> Dict[int, Dict[str, float]]:
        """``{stitch id: {"top1": fraction, "top5": fraction}}`` for manifest joins."""
        return {sid: {"top1": r.top1, "top5": r.top5} for sid, r in self.results.items()}


def load_table(name: str) -> OfficialTable:
    """Load a registered official table by name; raises KeyError for unknown names."""
    if name not in TABLES:
        raise KeyError(f"unknown official table {name!r}; known: {', '.join(sorted(TABLES))}")
    doc = json.loads((DATA_DIR / TABLES[name]).read_text(encoding="utf-8"))
    results = {}
    for rec in doc["records"]:
        sid = int(rec["cfg_id"])
        results[sid] = OfficialResult(
            stitch_id=sid,
            top1=float(rec["acc1"]) / 100.0,
            top5=float(rec["acc5"]) / 100.0,
            flops=int(rec["flops"]),
        )
    return OfficialTable(name=name, attribution=doc["attribution"], results=results)
