"""From an ``mlrm-safety eval`` run to a model-card safety section, Hub metadata and plots.

``summarize_run(RUN_DIR)`` reads lm-eval's results file (with the ``mlrm_safety`` provenance
section ``mlrm-safety eval`` adds) and the samples logs beside it; ``write_report`` turns that
into, under ``--out``:

- ``safety_section.md``: the markdown section (between markers, so a rerun replaces it);
- ``model_index.yaml``: ``model-index`` entries (huggingface_hub ``EvalResult``), one per
  headline metric, with dataset id, config, split and revision;
- ``.eval_results/mlrm_safety_<dataset>.yaml``: the same results in the Hub's newer format;
- ``eval/<dataset>/eval.yaml``: the benchmark-side task list for each dataset repo;
- ``mlrm_safety_plots/*.png`` (with the ``plots`` extra) and ``report.json``.

``push_report`` merges the section and the results into a model repo's card, keeping the
author's text and other results, as a pull request by default.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import yaml
from huggingface_hub import EvalResult, EvalResultEntry, ModelCard, ModelCardData
from huggingface_hub import eval_result_entries_to_yaml

from . import runs
from .eval_yaml import (
    DIAGNOSTIC_METRICS, SPLIT, benchmark_eval_yaml, dump_eval_yaml, headline_metrics, metric_label,
    task_id,
)
from .hub_pins import DATASETS as PINS
from .resources import resource_dir

BEGIN = "<!-- mlrm-safety:begin -->"
END = "<!-- mlrm-safety:end -->"
SOURCE_NAME = "mlrm-safety"
PLOTS_DIR = "mlrm_safety_plots"
# Below this agreement with labels on generations like the run's, a card warns that the
# judge's rates are rough (the bar the offline judges are held to, docs/judges-offline.md).
TRUSTED_AGREEMENT = 0.85
# "token" alone, not token counts such as max_new_tokens.
SECRET_KEY = re.compile(
    r"(^|_)token$|^hf_token|secret|password|passwd|api[_-]?key|auth", re.IGNORECASE
)
TASK_TYPE = "image-text-to-text"
# Marks the model-index entries this package wrote, so a rerun replaces exactly those.
TASK_NAME = "Multimodal safety (mlrm-safety)"
# Metrics whose task value is the mean over the samples where they are defined, so that the
# value of a benchmark split into subtasks can be recomputed exactly from its samples logs.
SAMPLE_MEAN_METRICS = ("asr", "asr_answer", "asr_reasoning", "refusal_rate",
                       "self_correction_rate", "unfinished_rate", "awareness_rate")


class ReportError(ValueError):
    """A run directory the report cannot use; the message names the file and field."""


# ---- reading a run -------------------------------------------------------------------------


@dataclass
class CategoryStats:
    name: str
    n: int
    metrics: dict[str, float | None]


@dataclass
class TaskStats:
    """One benchmark of a run: a dataset config, evaluated by one lm-eval task or a group."""

    task: str  # the lm-eval task or group that covers it
    dataset: str  # benchmark family, e.g. "figstep"
    family_name: str
    config: str  # the benchmark within the family, e.g. "safebench"
    n: int
    metrics: dict[str, float | None]  # fractions, None where undefined
    higher_is_better: dict[str, bool]
    categories: list[CategoryStats]
    dataset_id: str | None  # Hub repo of the data (None: not published)
    revision: str | None
    data_line: str
    generation: dict
    subtasks: list[str] = field(default_factory=list)

    @property
    def headline(self) -> list[str]:
        return [m for m in headline_metrics(self.metrics) if self.metrics.get(m) is not None]


@dataclass
class RunStats:
    results_file: str
    model: str
    model_args: dict
    date: str  # YYYY-MM-DD of the run
    limit: float | None
    tasks: list[TaskStats]
    judge: dict | None
    versions: dict
    chat_template: bool
    task_names: list[str] = field(default_factory=list)  # what to pass to --tasks again

    def task(self, name: str) -> TaskStats:
        return next(t for t in self.tasks if t.task == name)


def _number(value, where: str) -> float | None:
    if value is None or value == "N/A":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ReportError(f"{where}: expected a number, got {value!r}") from None
    return None if math.isnan(number) else number


def _family_name(dataset: str) -> str:
    from .builders import builder_names, get_builder

    return get_builder(dataset).pretty_name if dataset in builder_names() else dataset


def redact(args: dict) -> dict:
    """Model arguments safe to publish: secret-looking keys are masked."""
    return {k: ("<redacted>" if SECRET_KEY.search(str(k)) else v) for k, v in (args or {}).items()}


def _model_args(config: dict) -> dict:
    args = config.get("model_args") or {}
    if isinstance(args, str):  # older lm-eval versions keep the raw "k=v,k=v" string
        args = dict(part.split("=", 1) for part in args.split(",") if "=" in part)
    return redact(args)


def _data_source(dataset: str, config: str, info: dict | None) -> tuple[str | None, str | None, str]:
    """Hub id, revision and a readable line for the data a task read."""
    pin = PINS.get(dataset, {})
    if info is None:
        return (pin.get("repo_id"), pin.get("revision"),
                f"{dataset}/{config}: source not recorded (the run was not made with "
                f"`mlrm-safety eval`); assuming the pinned {pin.get('repo_id', 'repo')}@"
                f"{pin.get('revision', '?')}")
    version = info.get("version")
    if info.get("kind") == "hub":
        return (info["location"], info.get("revision"),
                f"{dataset}/{config} v{version} from the Hub: `{info['location']}` at "
                f"revision `{info.get('revision')}`")
    fingerprint = (info.get("fingerprint") or "")[:16]
    repo = pin.get("repo_id")
    line = (f"{dataset}/{config} v{version}, a local build (parquet sha256 {fingerprint}…)"
            + (f"; published as `{repo}` at `v{version}`" if repo else "; not published on the Hub"))
    return repo, (f"v{version}" if repo and version else None), line


def _per_sample_mean(rows: list[tuple[dict, str]], metric: str) -> float | None | bool:
    """Mean over the samples where ``metric`` is a number; False if it is not per-sample numeric."""
    values = []
    for sample, where in rows:
        value = sample.get(metric)
        if isinstance(value, bool) or not (value is None or isinstance(value, (int, float))):
            return False
        if value is not None and not math.isnan(value):
            values.append(float(value))
    return sum(values) / len(values) if values else None


def _category_stats(rows: list[tuple[dict, str]], metrics: list[str]) -> list[CategoryStats]:
    by_category: dict[str, list[tuple[dict, str]]] = defaultdict(list)
    for sample, where in rows:
        by_category[(sample.get("doc") or {}).get("category") or "(none)"].append((sample, where))
    usable = [m for m in metrics if _per_sample_mean(rows, m) is not False]
    return [
        CategoryStats(name, len(members), {m: _per_sample_mean(members, m) for m in usable})
        for name, members in sorted(by_category.items())
    ]


def _result_metrics(result: dict, where: str) -> dict[str, float | None]:
    metrics = {}
    for key, value in result.items():
        metric, _, filt = key.partition(",")
        if filt and not metric.endswith("_stderr"):
            metrics[metric] = _number(value, f"{where}.{key}")
    return metrics


def _combine(leaves: dict[str, dict], sizes: dict[str, int], rows) -> dict[str, float | None]:
    """A benchmark split into subtasks: exact from samples where possible, else size-weighted."""
    combined: dict[str, float | None] = {}
    for metric in dict.fromkeys(m for metrics in leaves.values() for m in metrics):
        if rows is not None and metric in SAMPLE_MEAN_METRICS:
            value = _per_sample_mean(rows, metric)
            if value is not False:
                combined[metric] = value
                continue
        pairs = [(metrics[metric], sizes[leaf]) for leaf, metrics in leaves.items()
                 if metrics.get(metric) is not None]
        total = sum(size for _, size in pairs)
        combined[metric] = sum(v * size for v, size in pairs) / total if total else None
    return combined


def summarize_run(path: str | Path) -> RunStats:
    """Everything the report needs from one run directory (or results file)."""
    results_file = runs.latest_results_file(path)
    data = runs.load_results(results_file)
    provenance = data.get("mlrm_safety") or {}
    config = data.get("config") or {}
    results = data.get("results") or {}
    samples = runs.samples_files(results_file)
    task_configs = data.get("configs") or {}
    groups = {g: list(subs) for g, subs in (data.get("group_subtasks") or {}).items()}

    benchmarks: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name in sorted(results):
        if not name.startswith("mlrm_safety") or name in groups:
            continue
        kwargs = (task_configs.get(name) or {}).get("dataset_kwargs") or {}
        if not kwargs.get("dataset") or not kwargs.get("config"):
            raise ReportError(f"{results_file}: configs.{name}.dataset_kwargs names no dataset/config")
        benchmarks[(kwargs["dataset"], kwargs["config"])].append(name)
    if not benchmarks:
        raise ReportError(f"{results_file} has no results of mlrm_safety tasks")

    tasks = []
    for (dataset, ds_config), leaves in sorted(benchmarks.items()):
        leaf_metrics = {leaf: _result_metrics(results[leaf], f"{results_file}: results.{leaf}")
                        for leaf in leaves}
        sizes = {leaf: int(((data.get("n-samples") or {}).get(leaf) or {}).get("effective")
                           or results[leaf].get("sample_len") or 0) for leaf in leaves}
        rows = None
        if all(leaf in samples for leaf in leaves):
            rows = [(sample, f"{samples[leaf]} line {i}") for leaf in leaves
                    for i, sample in enumerate(runs.read_samples(samples[leaf]), start=1)]
        if len(leaves) == 1:
            metrics = leaf_metrics[leaves[0]]
        else:
            metrics = _combine(leaf_metrics, sizes, rows)
        higher = {}
        for leaf in leaves:
            higher.update((data.get("higher_is_better") or {}).get(leaf) or {})
        categories = _category_stats(rows, headline_metrics(metrics)) if rows else []
        covering = [g for g, subs in groups.items() if sorted(subs) == sorted(leaves)]
        source = (provenance.get("datasets") or {}).get(f"{dataset}/{ds_config}")
        dataset_id, revision, line = _data_source(dataset, ds_config, source)
        generation = dict((task_configs.get(leaves[0]) or {}).get("generation_kwargs") or {})
        generation.update(config.get("gen_kwargs") or {})  # the command line overrides the task
        tasks.append(TaskStats(
            covering[0] if covering else leaves[0] if len(leaves) == 1 else f"{dataset}_{ds_config}",
            dataset, _family_name(dataset), ds_config, sum(sizes.values()), metrics, higher,
            categories, dataset_id, revision, line, generation, leaves,
        ))

    inner = {sub for subs in groups.values() for sub in subs}
    task_names = [n for n in sorted(results) if n.startswith("mlrm_safety") and n not in inner]
    model_args = _model_args(config)
    model = str(model_args.get("pretrained") or model_args.get("model") or config.get("model") or "model")
    when = data.get("date")
    date = (datetime.fromtimestamp(float(when), timezone.utc).date().isoformat() if when
            else datetime.now(timezone.utc).date().isoformat())
    return RunStats(
        results_file=str(results_file),
        model=model,
        model_args=model_args,
        date=date,
        limit=config.get("limit"),
        tasks=tasks,
        judge=provenance.get("judge"),
        versions={
            "package": provenance.get("package_version", "unknown"),
            "lm_eval": provenance.get("lm_eval_version") or data.get("lm_eval_version") or "unknown",
            "transformers": provenance.get("transformers_version")
            or data.get("transformers_version") or "unknown",
            "python": provenance.get("python", "unknown"),
        },
        chat_template=bool(data.get("chat_template")),
        task_names=task_names,
    )


# ---- the markdown section ------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def delta(model: float | None, base: float | None) -> str:
    if model is None or base is None:
        return "n/a"
    return f"{100 * (model - base):+.1f}"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _arrow(task: "TaskStats", metric: str) -> str:
    higher = task.higher_is_better.get(metric)
    return "" if higher is None else (" ↑" if higher else " ↓")


def _columns(tasks: list["TaskStats"]) -> list[str]:
    """Table columns for benchmarks shown together: headline metrics, then diagnostics."""
    names = [m for t in tasks for m in t.metrics]
    return headline_metrics(names) + [m for m in DIAGNOSTIC_METRICS if m in names]


def reasoning_tax(run: RunStats, base: RunStats) -> list[dict]:
    """Model minus base, per benchmark both runs have with an ASR."""
    rows = []
    for task in run.tasks:
        other = next((b for b in base.tasks if (b.dataset, b.config) == (task.dataset, task.config)), None)
        if other is None or task.metrics.get("asr") is None:
            continue
        row = {"benchmark": _cell(f"{task.family_name} / {task.config}"),
               "model_asr": pct(task.metrics.get("asr")), "base_asr": pct(other.metrics.get("asr"))}
        for metric in ("asr", "asr_reasoning", "asr_answer", "refusal_rate"):
            row[metric] = delta(task.metrics.get(metric), other.metrics.get(metric))
        rows.append(row)
    return rows


def judge_lines(judge: dict | None, judge_eval: dict | None = None) -> dict:
    if not judge:
        return {"line": "not recorded (the run was not made with `mlrm-safety eval`)",
                "agreement": "not measured", "caveat": ""}
    settings = ", ".join(f"{k}={v}" for k, v in redact(judge.get("settings") or {}).items())
    line = (f"`{judge.get('name')}` v{judge.get('version')}"
            + (f" ({settings})" if settings else "") + f", fingerprint `{judge.get('fingerprint')}`")
    return {"line": line, "agreement": _agreement_line(judge, judge_eval),
            "caveat": _offline_caveat(judge)}


def _agreement_line(judge: dict, judge_eval: dict | None) -> str:
    # A judge-eval file the user gives for this very judge comes first; the figures a judge
    # carries in its own description are the fallback.
    if judge_eval is not None and (judge_eval.get("judge") or {}).get("fingerprint") == judge.get("fingerprint"):
        # `mlrm-safety judge-eval --out` writes {"judge", "files": {path: {"overall", ...}}};
        # a single evaluation ({"judge", "overall"}) is read too.
        per_file = judge_eval.get("files") or {"`mlrm-safety judge-eval`": judge_eval}
        texts = [_agreement_text(e.get("overall"), Path(str(name)).name) for name, e in per_file.items()]
        texts = [t for t in texts if t != "not measured"]
        if texts:
            return "; ".join(texts)
    measured = judge.get("agreement")
    if not isinstance(measured, dict):
        return "not measured"
    source = measured.get("source", "the judge's own description")
    # Public text-chat sets first, then the generations like those this suite judges.
    texts = [_agreement_text(measured, source)] + [
        _generations_text(kind) for kind in measured.get("generations", [])]
    return "; ".join(t for t in texts if t != "not measured") or "not measured"


def _offline_caveat(judge: dict) -> str:
    """A warning for a card whose rates come from a judge that reads words, not meaning: the
    figure it recorded on generations like the run's, under the bar a published rate needs."""
    measured = judge.get("agreement")
    kinds = [k for k in (measured.get("generations", []) if isinstance(measured, dict) else [])
             if isinstance(k, dict) and isinstance(k.get("accuracy"), (int, float))]
    weakest = min(kinds, key=lambda k: k["accuracy"], default=None)
    if weakest is None or weakest["accuracy"] >= TRUSTED_AGREEMENT:
        return ""
    return (f"**Offline judge.** `{judge.get('name')}` reads the wording of each response, not "
            f"its meaning: on {weakest['n']} never-read generations imitating "
            f"{weakest.get('imitates', 'the models this suite judges')} it agreed with the labels "
            f"{weakest['accuracy']:.0%} of the time. A gap of a few points between two models may "
            "be its error; before publishing a comparison, judge the saved samples again with a "
            "model judge (`mlrm-safety judge RUN_DIR --judge NAME`).")


def _agreement_text(measured, source: str) -> str:
    if not measured or not isinstance(measured, dict) or not measured.get("n"):
        return "not measured"
    return f"{_figures(measured)} on {measured['n']} labelled responses ({source})"


def _generations_text(kind) -> str:
    """A judge's figures on one kind of labelled generations: its source names the rows."""
    if not isinstance(kind, dict) or not kind.get("n") or not kind.get("source"):
        return "not measured"
    return f"{_figures(kind)} on {kind['n']} {kind['source']}"


def _figures(measured: dict) -> str:
    return ", ".join(f"{label} {measured[key]:.2f}" for key, label in
                     (("accuracy", "accuracy"), ("f1", "F1 (unsafe)"), ("kappa", "Cohen's κ"))
                     if isinstance(measured.get(key), (int, float)))


def _generation_lines(run: RunStats) -> list[str]:
    by_settings: dict[str, list[str]] = defaultdict(list)
    for task in run.tasks:
        settings = ", ".join(f"{k}={v}" for k, v in task.generation.items()) or "task defaults"
        by_settings[settings].append(f"`{task.task}`")
    if len(by_settings) == 1:
        lines = [f"all tasks: {next(iter(by_settings))}"]
    else:
        lines = [f"{', '.join(tasks)}: {settings}" for settings, tasks in by_settings.items()]
    lines.append("chat template applied" if run.chat_template else "no chat template")
    if run.limit:
        lines.append(f"limit: {run.limit:g} samples per task")
    return lines


def _table(columns: list[str], tasks: list["TaskStats"]) -> list[str]:
    return [_cell(metric_label(m)) + _arrow(tasks[0], m) for m in columns]


def render_section(run: RunStats, base: RunStats | None = None, plots: list[dict] | None = None,
                   judge_eval: dict | None = None) -> str:
    families = []
    for dataset in dict.fromkeys(t.dataset for t in run.tasks):
        members = [t for t in run.tasks if t.dataset == dataset]
        columns = _columns(members)
        families.append({
            "name": _cell(members[0].family_name),
            "header": _table(columns, members),
            "rows": [{"benchmark": _cell(t.config), "n": t.n,
                      "cells": [pct(t.metrics.get(m)) for m in columns]} for t in members],
        })
    breakdowns = []
    for task in run.tasks:
        columns = list(task.categories[0].metrics) if task.categories else []
        breakdowns.append({
            "family_name": _cell(task.family_name), "benchmark": _cell(task.config),
            "header": _table(columns, [task]) if columns else [],
            "rows": [{"name": _cell(c.name), "n": c.n, "cells": [pct(c.metrics.get(m)) for m in columns]}
                     for c in task.categories],
        })
    template = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("model_cards"))),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
        lstrip_blocks=True,
    ).get_template("safety_section.md")
    body = template.render(
        model=_cell(run.model), date=run.date, versions=run.versions,
        limited=bool(run.limit), limit=f"{run.limit:g}" if run.limit else "",
        families=families, breakdowns=breakdowns,
        tax=reasoning_tax(run, base) if base else [], base_model=_cell(base.model) if base else "",
        plots=plots or [], judge=judge_lines(run.judge, judge_eval),
        data=sorted({t.data_line for t in run.tasks}), generation=_generation_lines(run),
        model_args=", ".join(f"{k}={v}" for k, v in run.model_args.items()) or "none",
        task_names=",".join(run.task_names),
    )
    body = re.sub(r"\n{3,}", "\n\n", body).strip()
    return f"{BEGIN}\n{body}\n{END}\n"


def merge_section(text: str, section: str) -> str:
    """Put ``section`` into card ``text``: replace our previous section, or append it."""
    start, end = text.find(BEGIN), text.find(END)
    if start != -1 and end != -1 and end > start:
        tail = text[end + len(END):].lstrip("\n")
        return text[:start] + section + ("\n" + tail if tail else "")
    if start != -1 or end != -1:
        raise ReportError("the card has only one of the mlrm-safety section markers; fix it by hand")
    return text.rstrip("\n") + ("\n\n" if text.strip() else "") + section


# ---- Hub metadata --------------------------------------------------------------------------


def _headline(run: RunStats):
    for task in run.tasks:
        if task.dataset_id is None:
            continue
        for metric in task.headline:
            yield task, metric, metric_label(metric), round(100 * task.metrics[metric], 2)


def model_index_results(run: RunStats, source_url: str | None = None) -> list[EvalResult]:
    return [
        EvalResult(
            task_type=TASK_TYPE, task_name=TASK_NAME,
            dataset_type=task.dataset_id, dataset_name=f"{task.family_name} ({task.config})",
            dataset_config=task.config, dataset_split=SPLIT, dataset_revision=task.revision,
            metric_type=metric, metric_name=f"{label} (%)", metric_value=value,
            source_name=SOURCE_NAME if source_url else None, source_url=source_url,
        )
        for task, metric, label, value in _headline(run)
    ]


def eval_result_entries(run: RunStats, source_url: str | None = None) -> dict[str, list[EvalResultEntry]]:
    """``.eval_results`` entries by dataset: one task id per config and headline metric."""
    entries: dict[str, list[EvalResultEntry]] = defaultdict(list)
    for task, metric, _label, value in _headline(run):
        entries[task.dataset].append(EvalResultEntry(
            dataset_id=task.dataset_id, task_id=task_id(task.config, metric), value=value,
            dataset_revision=task.revision, date=run.date, source_url=source_url,
            source_name=f"{SOURCE_NAME} {run.versions['package']}" if source_url else None,
            notes=f"judge: {run.judge['name']} ({run.judge['fingerprint']})" if run.judge else None,
        ))
    return dict(entries)


def merge_eval_results(existing: list[EvalResult] | None, ours: list[EvalResult]) -> list[EvalResult]:
    """Others' results stay; ours replace our earlier ones for the same dataset/config/metric."""
    keys = {(r.dataset_type, r.dataset_config, r.metric_type) for r in ours}
    kept = [
        r for r in (existing or [])
        if not (r.task_name == TASK_NAME and (r.dataset_type, r.dataset_config, r.metric_type) in keys)
        and not any(r.is_equal_except_value(o) for o in ours)
    ]
    return kept + ours


def merge_card(card: ModelCard | None, section: str, results: list[EvalResult], model_name: str) -> ModelCard:
    if card is None:
        card = ModelCard(f"---\n---\n\n# {model_name}\n")
    card.text = merge_section(card.text, section)
    data = card.data
    if results:
        data.eval_results = merge_eval_results(data.eval_results, results)
        if not data.model_name:
            data.model_name = model_name
    return card


# ---- writing and pushing -------------------------------------------------------------------


@dataclass
class ReportFiles:
    out: Path
    section: Path
    model_index: Path
    eval_results: dict[str, Path]
    eval_yaml: dict[str, Path]
    plots: list[Path]
    summary: Path
    notes: list[str]


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "model"


def write_report(run_dir, out=None, base_dir=None, judge_eval_file=None,
                 source_url: str | None = None) -> ReportFiles:
    run = summarize_run(run_dir)
    base = summarize_run(base_dir) if base_dir else None
    judge_eval = None
    if judge_eval_file:
        try:
            judge_eval = json.loads(Path(judge_eval_file).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ReportError(f"judge evaluation file {judge_eval_file}: {err}") from None
    out = Path(out) if out else Path(run.results_file).parent / "mlrm_safety_report"
    out.mkdir(parents=True, exist_ok=True)
    notes = []

    plots = []
    try:
        from . import plots as plotting

        plots = plotting.draw_all(run, base, out / PLOTS_DIR)
    except ImportError:
        notes.append("matplotlib is not installed: no plots (pip install 'mlrm-safety[plots]')")
    plot_refs = [{"title": p.stem.replace("_", " "), "path": f"{PLOTS_DIR}/{p.name}"} for p in plots]

    section = out / "safety_section.md"
    section.write_text(render_section(run, base, plot_refs, judge_eval), encoding="utf-8")

    results = model_index_results(run, source_url)
    card_data = ModelCardData(model_name=run.model, eval_results=results or None)
    model_index = out / "model_index.yaml"
    model_index.write_text(yaml.safe_dump(card_data.to_dict(), sort_keys=False, allow_unicode=True))

    eval_results, eval_yamls = {}, {}
    for dataset, entries in eval_result_entries(run, source_url).items():
        path = out / ".eval_results" / f"mlrm_safety_{_safe_name(dataset)}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(eval_result_entries_to_yaml(entries), sort_keys=False))
        eval_results[dataset] = path
    for dataset in sorted({t.dataset for t in run.tasks}):
        try:
            spec = benchmark_eval_yaml(dataset, _family_name(dataset))
        except ValueError as err:
            notes.append(str(err))
            continue
        path = out / "eval" / _safe_name(dataset) / "eval.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_eval_yaml(spec))
        eval_yamls[dataset] = path
    unpublished = sorted({t.dataset for t in run.tasks if t.dataset_id is None})
    if unpublished:
        notes.append(f"no Hub repo known for {', '.join(unpublished)}: left out of model-index "
                     "and .eval_results (pin it in hub_pins.py once published)")

    summary = out / "report.json"
    summary.write_text(json.dumps({"run": asdict(run), "base": asdict(base) if base else None,
                                   "notes": notes}, indent=2, default=str))
    return ReportFiles(out, section, model_index, eval_results, eval_yamls, plots, summary, notes)


def push_report(files: ReportFiles, repo_id: str, create_pr: bool = True,
                token: str | None = None) -> str:
    """Merge the section, model-index and results into ``repo_id``'s card; returns the URL."""
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import EntryNotFoundError

    api = HfApi(token=token)
    summary = json.loads(files.summary.read_text())
    model_name = summary["run"]["model"]
    try:
        card = ModelCard.load(repo_id, token=token)
    except EntryNotFoundError:
        card = None  # the repo has no README yet
    results = _model_index_results(files.model_index)
    card = merge_card(card, files.section.read_text(encoding="utf-8"), results, model_name)
    operations = [CommitOperationAdd("README.md", str(card).encode("utf-8"))]
    for path in files.eval_results.values():
        operations.append(CommitOperationAdd(f".eval_results/{path.name}", path.read_bytes()))
    for path in files.plots:
        operations.append(CommitOperationAdd(f"{PLOTS_DIR}/{path.name}", path.read_bytes()))
    info = api.create_commit(
        repo_id, operations, repo_type="model", create_pr=create_pr,
        commit_message="Add mlrm-safety safety evaluation",
        commit_description="Safety section, model-index entries and `.eval_results` written by "
        "`mlrm-safety report`. Other card content and other results are kept.",
    )
    return info.pr_url or info.commit_url


def _model_index_results(path: Path) -> list[EvalResult]:
    """Our EvalResults back from the model_index.yaml this module wrote."""
    from huggingface_hub.repocard_data import model_index_to_eval_results

    data = yaml.safe_load(path.read_text()) or {}
    if not data.get("model-index"):
        return []
    _name, results = model_index_to_eval_results(data["model-index"])
    return results
