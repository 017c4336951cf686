"""Agreement with human labels that ``mlrm-safety judge-train`` measured for the offline judges.

The figures live in the shipped lexical artifact (``model.json``), measured on the public
labelled sets (JAILJUDGE, Safe-RLHF, GPTFuzz), each held out from the lexical judge's
training; for a rule-based judge, the sets its rules were written against are left out.
Pooled over the sets that remain, they let a results file and a model card say how far an
offline judge is trusted.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

FIGURES_FILE = Path(__file__).resolve().parent / "artifacts" / "lexical" / "model.json"


@lru_cache(maxsize=None)
def held_out_agreement(judge: str, developed_on: tuple[str, ...] = ()) -> dict | None:
    """Accuracy of ``judge`` pooled over the held-out labelled sets, or None if unmeasured.

    ``developed_on`` names sets the judge's rules were written against: they are left out,
    so the figure only counts responses the judge's authors never looked at.
    """
    try:
        figures = json.loads(FIGURES_FILE.read_text())["figures"]["cross_dataset"]
    except (OSError, KeyError, json.JSONDecodeError):
        return None
    per_set = {name: entry[judge] for name, entry in figures.items()
               if judge in entry and name not in developed_on}
    total = sum(m["n"] for m in per_set.values())
    if not total:
        return None
    correct = sum(m["accuracy"] * m["n"] for m in per_set.values())
    names = ", ".join(per_set)
    if developed_on:
        source = (f"public labelled responses of {names}, never read while writing the rules; "
                  f"{', '.join(developed_on)}, used to write the rules, not counted")
    else:
        source = f"public labelled responses of {names}, each held out from training"
    return {
        "n": total,
        "accuracy": correct / total,
        "sets": {name: round(m["accuracy"], 4) for name, m in per_set.items()},
        "source": source,
    }
