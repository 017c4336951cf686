"""The check sets: labelled generations (most imitate reasoning VLMs) written after rules of
the ``cues`` judge existed, each measured once before anyone read its errors.

``data/check_sets.json`` is their one record: the file, who wrote it, whether its errors were
read since (then its later figures are development figures), and the figures of that first
measurement, which cannot be recomputed once the rules move on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..judge_eval import figures_from_confusion

DATA = Path(__file__).resolve().parent / "data"
MANIFEST = DATA / "check_sets.json"
FIRST_FIGURES = ("keyword", "cues", "cues_first_version", "lexical")


@dataclass(frozen=True)
class CheckSet:
    file: str
    written: str  # "blind": by authors who saw neither the rules nor any labelled set
    imitates: str  # whose answers, on what prompts
    errors_read: bool
    first_measured: dict
    watched: str = ""  # never read, but its figure was looked at while rules were chosen

    @property
    def name(self) -> str:
        return Path(self.file).stem

    @property
    def path(self) -> Path:
        return DATA / self.file

    @cached_property  # read once: tables and record keys ask for it again and again
    def rows(self) -> int:
        with self.path.open(encoding="utf-8") as handle:
            return sum(1 for line in handle if line.strip())

    @property
    def record_key(self) -> str:
        """Its name among the figures ``judge-train`` records."""
        return f"{self.name} (ours; {self.describe()})"

    def describe(self) -> str:
        """'150 written blind, never read': how far its figures may be trusted."""
        read = "errors read since" if self.errors_read else "never read"
        return f"{self.rows} written {self.written}, {read}"


def check_sets() -> list[CheckSet]:
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))
    sets = []
    for number, entry in enumerate(entries, 1):
        try:
            sets.append(CheckSet(entry["file"], entry["written"], entry["imitates"],
                                 bool(entry["errors_read"]), dict(entry["first_measured"]),
                                 entry.get("watched", "")))
        except KeyError as missing:
            raise ValueError(f"{MANIFEST.name}: entry {number} lacks the field {missing}") from None
        if not sets[-1].path.is_file():
            raise ValueError(f"{MANIFEST.name}: entry {number} names {entry['file']}, "
                             "which is not in the data folder")
    return sets


def first_figures_table(sets: list[CheckSet]) -> str:
    """The docs' table of each set's first measurement (never-read sets in bold)."""
    lines = ["| set | rows | imitates | rules when first measured | keyword | cues then "
             "| cues, first version | lexical |",
             "|---|---|---|---|---|---|---|---|"]
    for s in sets:
        figures = {k: f"{s.first_measured[k]:.3f}" for k in FIRST_FIGURES}
        if not s.errors_read:
            figures["cues"] = f"**{figures['cues']}**"
        lines.append(f"| {s.name} | {s.rows} | {s.imitates} | {s.first_measured['rules']} | "
                     + " | ".join(figures[k] for k in FIRST_FIGURES) + " |")
    return "\n".join(lines)


def pooled(recorded: dict, sets: list[CheckSet], judge: str) -> dict:
    """Accuracy, F1 for "unsafe" and Cohen's kappa of ``judge`` over ``sets`` taken together,
    from the confusion counts ``judge-train`` recorded for each (``recorded``: its "unseen"
    figures)."""
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for s in sets:
        for key, value in recorded[s.record_key][judge]["confusion"].items():
            counts[key] += value
    figures = figures_from_confusion(counts)
    return {k: figures[k] for k in ("n", "accuracy", "f1", "kappa")}


def never_read_by_kind(sets: list[CheckSet]) -> dict[str, list[CheckSet]]:
    """The sets neither read nor watched while rules were written, by whom they imitate
    (in the record's order): the ones whose figures say most about new responses."""
    kinds: dict[str, list[CheckSet]] = {}
    for s in sets:
        if not s.errors_read and not s.watched:
            kinds.setdefault(s.imitates, []).append(s)
    return kinds


def readme_rows(recorded: dict, sets: list[CheckSet]) -> list[str]:
    """The README judge table's rows for the check sets, grouped by how far they can be
    trusted: read since, never read but watched, never read (by whom they imitate)."""
    judges = ("keyword", "cues", "lexical")
    read = [s for s in sets if s.errors_read]
    watched = [s for s in sets if not s.errors_read and s.watched]
    groups = [(f"{sum(s.rows for s in read):,} more in {len(read)} check sets, each measured "
               "before its errors were read (cues then "
               + ", ".join(f"{s.first_measured['cues']:.3f}" for s in read) + "), read since",
               read, False)]
    for s in watched:
        groups.append((f"{s.rows} more in {s.name}, written blind, never read (first measured "
                       f"at {s.first_measured['cues']:.3f}; watched {s.watched})", [s], False))
    for imitates, members in never_read_by_kind(sets).items():
        names = ", ".join(s.name.removeprefix("mlrm_generations_") for s in members)
        groups.append((f"{sum(s.rows for s in members)} more imitating {imitates} ({names}), "
                       "written blind, never read", members, True))
    rows = []
    for label, members, bold in groups:
        cells = []
        for judge in judges:
            figures = pooled(recorded, members, judge)
            cell = f"{figures['accuracy']:.3f} / {figures['f1']:.3f}"
            cells.append(f"**{cell}**" if bold and judge == "cues" else cell)
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return rows
