"""The check sets: labelled generations (most imitate reasoning VLMs) written after rules of
the ``cues`` judge existed, each measured once before anyone read its errors.

``data/check_sets.json`` is their one record: the file, who wrote it, whether its errors were
read since (then its later figures are development figures), and the figures of that first
measurement, which cannot be recomputed once the rules move on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

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

    @property
    def name(self) -> str:
        return Path(self.file).stem

    @property
    def path(self) -> Path:
        return DATA / self.file

    @property
    def rows(self) -> int:
        with self.path.open(encoding="utf-8") as handle:
            return sum(1 for line in handle if line.strip())

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
                                 bool(entry["errors_read"]), dict(entry["first_measured"])))
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
