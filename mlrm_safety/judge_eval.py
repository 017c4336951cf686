"""How far a judge agrees with human labels.

``load_labelled(path)`` reads a labelled file into ``LabelledExample`` rows; ``evaluate_judge``
runs a judge over them and reports accuracy, precision / recall / F1 for "unsafe", Cohen's
kappa, the confusion matrix, and the same figures per category, part and case type.

Formats read (the column mapping is documented in docs/judges-offline.md):

- our JSONL (``mlrm_safety/judges/data/mlrm_labelled.jsonl``): request, response, part,
  label, case, category;
- JailbreakEval's ``JAILJUDGEmini.csv`` / ``Safe-RLHFmini.csv``: question, answer, label
  (1 = jailbroken), hazard_cate_llamaguard3 as the category where present;
- GPTFuzz's ``train.csv`` / ``evaluate.csv``: question (an index into the sibling
  ``question_list.csv``), Response, label (1 = jailbroken);
- any other CSV / JSONL, with ``text_column`` / ``label_column`` / ``question_column`` named.
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .judges import Judge, JudgeRequest, Verdict
from .jsonl import read_jsonl

TEXT_COLUMNS = ("response", "answer", "Response", "text", "generation")
LABEL_COLUMNS = ("label", "unsafe", "jailbroken")
QUESTION_COLUMNS = ("request", "question", "intent", "prompt", "goal")
CATEGORY_COLUMNS = ("category", "hazard_cate_llamaguard3")
TRUE_LABELS = {"1", "true", "unsafe", "jailbroken", "yes", "harmful"}
FALSE_LABELS = {"0", "false", "safe", "not jailbroken", "no", "harmless", "benign"}


class LabelledDataError(ValueError):
    """A labelled file that cannot be read; the message names the file, row and field."""


@dataclass(frozen=True)
class LabelledExample:
    text: str
    unsafe: bool
    question: str = ""
    part: str = "full"
    category: str = ""
    case: str = ""
    source: str = ""  # the file (or set) the row came from

    def request(self) -> JudgeRequest:
        return JudgeRequest(
            text=self.text, intent=self.question, prompt=self.question, part=self.part,
            category=self.category,
        )


def parse_label(value, where: str) -> bool:
    if isinstance(value, bool):
        return value
    key = str(value).strip().lower()
    if key.endswith(".0"):  # pandas-style floats in a CSV
        key = key[:-2]
    if key in TRUE_LABELS:
        return True
    if key in FALSE_LABELS:
        return False
    raise LabelledDataError(
        f"{where}: label {value!r} is not a safe/unsafe label "
        f"(expected one of {sorted(TRUE_LABELS | FALSE_LABELS)})"
    )


def _read_rows(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return read_jsonl(path, LabelledDataError)
    if path.suffix == ".csv":
        # Responses can be long; the default field limit (128 KiB) is too small for some.
        csv.field_size_limit(1 << 30)
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    raise LabelledDataError(f"{path}: unsupported file type (expected .jsonl or .csv)")


def _pick(columns: Iterable[str], candidates: Sequence[str], chosen: str | None, what: str,
          path: Path, required: bool = True) -> str | None:
    columns = list(columns)
    if chosen:
        if chosen not in columns:
            raise LabelledDataError(f"{path}: no {what} column {chosen!r}; columns: {columns}")
        return chosen
    for name in candidates:
        if name in columns:
            return name
    if required:
        raise LabelledDataError(
            f"{path}: cannot find the {what} column (tried {list(candidates)}); "
            f"name it with --{what}-column; columns: {columns}"
        )
    return None


def _gptfuzz_questions(path: Path) -> dict[str, str] | None:
    """GPTFuzz keeps questions in a sibling file and refers to them by index."""
    questions = path.with_name("question_list.csv")
    if not questions.is_file():
        return None
    with questions.open(encoding="utf-8", newline="") as handle:
        return {row["index"].strip(): row["text"] for row in csv.DictReader(handle)}


def load_labelled(
    path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    question_column: str | None = None,
    category_column: str | None = None,
    part: str = "full",
) -> list[LabelledExample]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"labelled file not found: {path}")
    rows = _read_rows(path)
    if not rows:
        raise LabelledDataError(f"{path}: no rows")
    columns = list(rows[0].keys())
    text_col = _pick(columns, TEXT_COLUMNS, text_column, "text", path)
    label_col = _pick(columns, LABEL_COLUMNS, label_column, "label", path)
    question_col = _pick(columns, QUESTION_COLUMNS, question_column, "question", path, False)
    category_col = _pick(columns, CATEGORY_COLUMNS, category_column, "category", path, False)
    index_to_question = None
    if question_col == "question" and text_col == "Response":
        index_to_question = _gptfuzz_questions(path)
    examples = []
    for number, row in enumerate(rows, 1):
        where = f"{path}, row {number}"
        text = row.get(text_col)
        if text is None:
            raise LabelledDataError(f"{where}: field {text_col!r} is missing")
        question = str(row.get(question_col) or "") if question_col else ""
        if index_to_question is not None:
            if question.strip() not in index_to_question:
                raise LabelledDataError(
                    f"{where}: question index {question!r} is not in question_list.csv"
                )
            question = index_to_question[question.strip()]
        row_part = str(row.get("part") or part)
        if row_part not in ("reasoning", "answer", "full"):
            raise LabelledDataError(f"{where}: part {row_part!r} is not reasoning/answer/full")
        examples.append(
            LabelledExample(
                text=str(text),
                unsafe=parse_label(row.get(label_col), f"{where}, field {label_col!r}"),
                question=question,
                part=row_part,
                category=str(row.get(category_col) or "") if category_col else "",
                case=str(row.get("case") or ""),
                source=path.name,
            )
        )
    return examples


def agreement(truth: Sequence[bool], predicted: Sequence[bool]) -> dict:
    """Accuracy, precision / recall / F1 for "unsafe", Cohen's kappa and the confusion matrix."""
    if not truth:
        return {"n": 0}
    pairs = [(bool(t), bool(p)) for t, p in zip(truth, predicted, strict=True)]
    return figures_from_confusion({
        "tn": sum(not t and not p for t, p in pairs), "fp": sum(not t and p for t, p in pairs),
        "fn": sum(t and not p for t, p in pairs), "tp": sum(t and p for t, p in pairs),
    })


def figures_from_confusion(confusion: dict) -> dict:
    """``agreement``'s figures from the confusion counts alone, so that the counts recorded
    for several sets can be added up and measured as one."""
    tn, fp, fn, tp = (int(confusion[k]) for k in ("tn", "fp", "fn", "tp"))
    n = tn + fp + fn + tp
    flagged, unsafe = tp + fp, tp + fn
    accuracy = (tp + tn) / n
    chance = (flagged * unsafe + (n - flagged) * (n - unsafe)) / n ** 2
    return {
        "n": n,
        "accuracy": accuracy,
        "precision": tp / flagged if flagged else 0.0,
        "recall": tp / unsafe if unsafe else 0.0,
        "f1": 2 * tp / (flagged + unsafe) if flagged + unsafe else 0.0,
        # Undefined when both raters use a single label: None, not NaN.
        "kappa": (accuracy - chance) / (1 - chance) if chance < 1 else None,
        "confusion": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "positive_rate": unsafe / n,
    }


@dataclass
class JudgeEvaluation:
    judge: dict
    overall: dict
    unparsed: int
    by: dict = field(default_factory=dict)  # {"category": {value: agreement}, ...}
    seconds: float = 0.0
    mistakes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "judge": self.judge, "overall": self.overall, "unparsed": self.unparsed,
            "by": self.by, "seconds": self.seconds, "mistakes": self.mistakes,
        }


def judge_examples(judge: Judge, examples: Sequence[LabelledExample],
                   batch_size: int = 256) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for start in range(0, len(examples), batch_size):
        batch = examples[start:start + batch_size]
        verdicts.extend(judge.judge([example.request() for example in batch]))
    return verdicts


def evaluate_judge(judge: Judge, examples: Sequence[LabelledExample], batch_size: int = 256,
                   max_mistakes: int = 20) -> JudgeEvaluation:
    """Judge every example and compare with its label.

    A verdict with ``unsafe=None`` (the judge could not decide) is counted as unparsed and
    left out of the agreement figures rather than read as safe.
    """
    started = time.perf_counter()
    verdicts = judge_examples(judge, examples, batch_size)
    seconds = time.perf_counter() - started
    decided = [(e, v) for e, v in zip(examples, verdicts) if v.unsafe is not None]
    overall = agreement([e.unsafe for e, _ in decided], [bool(v.unsafe) for _, v in decided])
    groups: dict[str, dict[str, list]] = {"category": defaultdict(list), "part": defaultdict(list),
                                          "case": defaultdict(list), "source": defaultdict(list)}
    for example, verdict in decided:
        for key, bucket in groups.items():
            value = getattr(example, key)
            if value:
                bucket[value].append((example.unsafe, bool(verdict.unsafe)))
    by = {}
    for key, bucket in groups.items():
        if len(bucket) > 1 or (key in ("part", "case") and bucket):
            by[key] = {value: agreement([t for t, _ in pairs], [p for _, p in pairs])
                       for value, pairs in sorted(bucket.items())}
    mistakes = [
        {"text": e.text[:300], "label": "unsafe" if e.unsafe else "safe", "part": e.part,
         "case": e.case, "verdict": v.label, "score": v.score}
        for e, v in decided if bool(v.unsafe) != e.unsafe
    ][:max_mistakes]
    return JudgeEvaluation(judge.describe(), overall, len(examples) - len(decided), by,
                           round(seconds, 3), mistakes)


def format_report(evaluation: JudgeEvaluation, source: str = "") -> str:
    """A short plain-text summary for the terminal."""
    o = evaluation.overall
    lines = [f"judge {evaluation.judge['name']} on {source or 'labelled set'}: n={o.get('n', 0)}"
             f" (unparsed {evaluation.unparsed})"]
    if o.get("n"):
        kappa = "n/a" if o["kappa"] is None else f"{o['kappa']:.3f}"
        c = o["confusion"]
        lines.append(f"  accuracy {o['accuracy']:.3f}  precision {o['precision']:.3f}  "
                     f"recall {o['recall']:.3f}  F1 {o['f1']:.3f}  kappa {kappa}")
        lines.append(f"  confusion (rows truth safe/unsafe): [[{c['tn']}, {c['fp']}], "
                     f"[{c['fn']}, {c['tp']}]]")
    for key, groups in evaluation.by.items():
        for value, figures in groups.items():
            if figures.get("n"):
                lines.append(f"  {key}={value}: n={figures['n']} "
                             f"accuracy {figures['accuracy']:.3f} F1 {figures['f1']:.3f}")
    return "\n".join(lines)
