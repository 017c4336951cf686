"""What produced a result: package, judge, data, model and generation settings."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from . import __version__


def run_provenance() -> dict:
    import lm_eval
    import transformers

    from .data_sources import USED
    from .judges import active_judge

    return {
        "package_version": __version__,
        "lm_eval_version": getattr(lm_eval, "__version__", "unknown"),
        "transformers_version": transformers.__version__,
        "python": platform.python_version(),
        "judge": active_judge().describe(),
        "datasets": {key: source.to_dict() for key, source in USED.items()},
    }


def stamp_results(output_path: Path, since: float) -> list[Path]:
    """Add an ``mlrm_safety`` section to every results file written after ``since``."""
    stamped = []
    if not output_path.exists():
        return stamped
    candidates = [output_path] if output_path.is_file() else output_path.rglob("results_*.json")
    info = run_provenance()
    for path in candidates:
        if path.stat().st_mtime < since:
            continue
        data = json.loads(path.read_text())
        data["mlrm_safety"] = {**info, "generation": generation_settings(data)}
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        stamped.append(path)
        _print_summary(data)
    return stamped


def _print_summary(results: dict) -> None:
    info = results["mlrm_safety"]
    config = results.get("config", {})
    print("\nmlrm-safety run provenance")
    print(f"  model:      {config.get('model')} {config.get('model_args')}")
    judge = info["judge"]
    print(f"  judge:      {judge['name']} v{judge['version']} {judge['settings']} ({judge['fingerprint']})")
    measured = judge.get("agreement")
    if measured:
        print(f"  agreement:  accuracy {measured['accuracy']:.2f} against human labels on "
              f"{measured['n']:,} responses ({measured.get('source', 'measured')})")
        for kind in measured.get("generations", []):
            print(f"              accuracy {kind['accuracy']:.2f} on {kind['n']:,} {kind['source']}")
    for key, source in info["datasets"].items():
        where = source["location"] + (f"@{source['revision']}" if source["revision"] else "")
        print(f"  data:       {key} v{source['version']} ({source['kind']}: {where})")
    # Tasks of one group share their settings: print each distinct setting once.
    by_setting: dict[str, list[str]] = {}
    for task, cfg in (results.get("configs") or {}).items():
        by_setting.setdefault(str(cfg.get("generation_kwargs")), []).append(task)
    for setting, tasks in by_setting.items():
        print(f"  generation: {setting} ({_tasks_label(tasks)})")
    limits = info.get("generation") or {}
    if limits:
        by_limit: dict[str, list[str]] = {}
        for task, settings in limits.items():
            share = settings["hit_token_limit_rate"]
            cut = "share at the token limit not measured" if share is None else f"{share:.1%} hit the token limit"
            line = f"max_new_tokens={settings['max_new_tokens']} seed={settings['seed']['torch']}: {cut}"
            by_limit.setdefault(line, []).append(task)
        for line, tasks in by_limit.items():
            print(f"  limits:     {line} ({_tasks_label(tasks)})")
    print(f"  code:       mlrm-safety {info['package_version']}, lm-eval {info['lm_eval_version']}")


def _tasks_label(tasks: list[str]) -> str:
    return tasks[0] if len(tasks) == 1 else f"{len(tasks)} tasks: {tasks[0]}, ..."


def generation_settings(results: dict) -> dict:
    """Per task, the generation settings that decide what a reasoning model can say.

    Values are as the task and --gen_kwargs set them; null means unset, so the backend or
    the model's generation_config decides (greedy decoding ignores temperature and top-p).
    ``hit_token_limit_rate`` is the share of generations cut off at max_new_tokens (null
    when the backend does not count tokens or the task does not report the metric).
    """
    config = results.get("config") or {}
    seed = {name: config.get(f"{name}_seed") for name in ("random", "numpy", "torch", "fewshot")}
    settings = {}
    for task, task_config in (results.get("configs") or {}).items():
        kwargs = dict(task_config.get("generation_kwargs") or {})
        share = (results.get("results") or {}).get(task, {}).get("hit_token_limit_rate,none")
        if isinstance(share, float) and share != share:  # NaN: defined on no sample
            share = None
        settings[task] = {
            "max_new_tokens": kwargs.get("max_gen_toks", kwargs.get("max_new_tokens")),
            "do_sample": kwargs.get("do_sample"),
            "temperature": kwargs.get("temperature"),
            "top_p": kwargs.get("top_p"),
            "seed": seed,
            "hit_token_limit_rate": share,
        }
    return settings
