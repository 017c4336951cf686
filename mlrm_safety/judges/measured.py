"""Agreement with human labels that ``mlrm-safety judge-train`` measured for the offline judges.

The figures live in the shipped lexical artifact (``model.json``), measured on the public
labelled sets (JAILJUDGE, Safe-RLHF, GPTFuzz), each held out from the lexical judge's
training; for a rule-based judge, the sets its rules were written against are left out.
Pooled over the sets that remain, they let a results file and a model card say how far an
offline judge is trusted. Next to them go the figures on our check sets never read (labelled
generations in the style of the models this suite judges), which say more about a run of
``mlrm_safety`` than text-chat jailbreak sets do.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Sequence

FIGURES_FILE = Path(__file__).resolve().parent / "artifacts" / "lexical" / "model.json"

# JAILJUDGE was held out from the cues rules until their second revision, which read the
# errors on one half of it: the rows whose question's SHA-256 is even. The other half stays
# never read, and only it counts for that judge. ``judge-train`` records both halves.
JAILJUDGE_READ = "JAILJUDGE, half whose errors were read for the cues rules"
JAILJUDGE_UNREAD = "JAILJUDGE, half never read"
GPTFUZZ_EVALUATE = "GPTFuzz evaluate.csv alone, never read"


def jailjudge_half_read(question: str) -> bool:
    return int(hashlib.sha256(question.encode("utf-8")).hexdigest(), 16) % 2 == 0


def split_jailjudge(rows: Sequence) -> tuple[list, list]:
    """JAILJUDGE rows as (half whose errors were read, half never read)."""
    return ([e for e in rows if jailjudge_half_read(e.question)],
            [e for e in rows if not jailjudge_half_read(e.question)])


@lru_cache(maxsize=None)
def held_out_agreement(judge: str, developed_on: tuple[str, ...] = (),
                       never_read: tuple[str, ...] = ()) -> dict | None:
    """Accuracy of ``judge`` pooled over the held-out labelled sets, or None if unmeasured.

    ``developed_on`` names sets the judge's rules were written against: they are left out,
    so the figure only counts responses the judge's authors never looked at. ``never_read``
    names recorded extra sets (parts of those sets) that do count.
    """
    try:
        figures = json.loads(FIGURES_FILE.read_text())["figures"]
        cross = figures["cross_dataset"]
        extra = {**figures.get("unseen", {}), **figures.get("parts", {})}
    except (OSError, KeyError, json.JSONDecodeError):
        return None
    per_set = {name: entry[judge] for name, entry in cross.items()
               if judge in entry and name not in developed_on}
    per_set.update({name: extra[name][judge] for name in never_read
                    if judge in extra.get(name, {})})
    total = sum(m["n"] for m in per_set.values())
    if not total:
        return None
    correct = sum(m["accuracy"] * m["n"] for m in per_set.values())
    names = ", ".join(per_set)
    if developed_on and never_read:
        unread = "; ".join(per_set)
        source = (f"public labelled responses the rules never read ({unread}); the rest of "
                  f"{', '.join(developed_on)}, used to write the rules, is not counted")
    elif developed_on:
        source = (f"public labelled responses of {names}, never read while writing the rules; "
                  f"{', '.join(developed_on)}, used to write the rules, not counted")
    else:
        source = f"public labelled responses of {names}, each held out from training"
    measured = {
        "n": total,
        "accuracy": correct / total,
        "sets": {name: round(m["accuracy"], 4) for name, m in per_set.items()},
        "source": source,
    }
    generations = generation_agreement(judge, figures.get("unseen", {}))
    if generations:
        measured["generations"] = generations
    return measured


def generation_agreement(judge: str, recorded: dict) -> list[dict]:
    """``judge``'s agreement on the check sets never read nor watched while the cues rules
    were written, pooled per kind of model they imitate. The same rows count for every
    judge, so the figures compare. Empty where the record lacks them (a retrained artifact)."""
    from .check_sets import check_sets, never_read_by_kind, pooled

    kinds = []
    for imitates, members in never_read_by_kind(check_sets()).items():
        try:
            figures = pooled(recorded, members, judge)
        except KeyError:
            return []
        kinds.append({
            **{k: round(v, 4) for k, v in figures.items() if isinstance(v, float)},
            "n": figures["n"],
            "imitates": imitates,
            "sets": [s.name for s in members],
            "source": (f"generations imitating {imitates}, written and labelled blind for this "
                       "project, never read while writing the cues rules"),
        })
    return kinds
