"""``make bench``: how fast and how robust a full run is, measured on this machine.

Prints one table and writes the same figures to ``.bench/bench-<timestamp>.json``:

* dataset build and cold load time for every benchmark buildable from the upstream copy
  (configs whose images are absent are listed as skipped, with the builder's reason);
* keyword-judge throughput on 84,000 real responses (target: under 2 s);
* the default ``cues`` judge on 84,000 real responses with their requests (target: under
  10 s) and what building it adds to a fresh interpreter (target: under 2 s); the same
  for the ``lexical`` judge;
* our full pipeline (``mlrm-safety eval`` with ``hf-multimodal-reasoning``, in process, resume
  cache on as by default) against a plain ``model.generate`` loop over the same prompts and
  images, at equal batch size (target: overhead under 10% of the plain loop's time). The
  target compares the per-doc work: lm-eval's request phase (cache lookup, generation, cache
  writes) against the plain loop (prompting, preprocessing, generation, decoding). Whole-run
  times, which add a fixed start-up (model load, task set-up, results written), are shown
  beside it; on a real model that fixed cost vanishes against generation;
* docs per second at batch 8 against batch 1 (target: at least 3x);
* resume: a run killed mid-generation and rerun with the same command reuses every finished
  generation and gives the same answers as the uninterrupted run;
* peak resident memory of every measured process.

Each measurement runs in its own process with one torch thread (the same for every
contender; on a shared 2-core machine more threads only add contention). Targets are
printed as PASS/FAIL; nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TASK = "mlrm_safety_figstep_tiny"
TARGETS = {
    "judge_seconds_84k": 2.0,
    "pipeline_overhead": 0.10,
    "batch8_speedup": 3.0,
}


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_env(extra: dict | None = None) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    return {**env, **(extra or {})}


def run_worker(kind: str, args: dict, env: dict | None = None, timeout: int = 600) -> dict:
    """Run ``bench.py --worker KIND`` in a fresh process and return the JSON it writes."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as handle:
        result_path = handle.name
    cmd = [sys.executable, __file__, "--worker", kind, "--worker-args", json.dumps(args),
           "--worker-result", result_path]
    proc = subprocess.run(cmd, env=worker_env(env), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"bench worker {kind} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(Path(result_path).read_text())
    os.unlink(result_path)
    return result


# --- workers (each in its own process) ------------------------------------------------------


def worker_data(args: dict) -> dict:
    """Build every config that can be built here, then load each one cold."""
    from mlrm_safety import data_sources
    from mlrm_safety.builders import build, builder_names, get_builder

    upstream = Path(args["upstream"])
    root = Path(args["root"])
    folders = {p.name.lower(): p for p in upstream.iterdir() if p.is_dir()} if upstream.is_dir() else {}
    rows = []
    for name in builder_names():
        builder = get_builder(name)
        source = folders.get(builder.upstream.repo.split("/")[-1].lower())
        if source is None:
            rows.append({"benchmark": name, "config": "*", "skipped": f"no upstream copy in {upstream.name}/"})
            continue
        for config in builder.config_names():
            started = time.perf_counter()
            try:
                manifest = build(builder, source, root / name, configs=[config])
            except Exception as error:  # a missing image folder, most often
                reason = str(error).strip().splitlines()[0]
                rows.append({"benchmark": name, "config": config, "skipped": reason[:160]})
                continue
            build_s = time.perf_counter() - started
            os.environ["MLRM_SAFETY_DATA_DIR"] = str(root)
            started = time.perf_counter()
            loaded = data_sources.load(name, config)
            load_s = time.perf_counter() - started
            split = next(iter(loaded.values()))
            rows.append({"benchmark": name, "config": config, "rows": manifest.configs[config],
                         "loaded_rows": len(split), "build_s": build_s, "cold_load_s": load_s})
    return {"datasets": rows, "peak_rss_mb": peak_rss_mb()}


def worker_plain(args: dict) -> dict:
    """The studies' method: model.generate over the prompts and images, batch by batch."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from mlrm_safety import data_sources
    from mlrm_safety.backends.hf_reasoning import REASONING_MARKERS

    os.environ["MLRM_SAFETY_DATA_DIR"] = args["data_root"]
    started = time.perf_counter()
    processor = AutoProcessor.from_pretrained(args["model"])
    model = AutoModelForImageTextToText.from_pretrained(args["model"]).eval()
    docs = next(iter(data_sources.load("figstep", "safebench_tiny").values()))
    docs = [docs[i] for i in range(args["docs"])]
    tokenizer = processor.tokenizer
    drop = set(tokenizer.all_special_ids) - {
        tokenizer.convert_tokens_to_ids(m) for m in REASONING_MARKERS if m in tokenizer.get_vocab()
    }
    load_s = time.perf_counter() - started
    best = None
    for _ in range(args.get("repeats", 1)):  # the fastest repeat: this machine is shared
        run = _plain_loop(model, processor, docs, drop, args)
        best = run if best is None or run["loop_s"] < best["loop_s"] else best
    return {"seconds": load_s + best["loop_s"], **best, "peak_rss_mb": peak_rss_mb()}


def _plain_loop(model, processor, docs, drop, args) -> dict:
    import torch

    tokenizer = processor.tokenizer
    outputs = []
    generate_s = 0.0
    batch_size = args["batch_size"]
    loop_started = time.perf_counter()
    for start in range(0, len(docs), batch_size):
        batch = docs[start : start + batch_size]
        texts = [
            processor.apply_chat_template(
                [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": d["prompt"]}]}],
                add_generation_prompt=True, tokenize=False,
            )
            for d in batch
        ]
        inputs = processor(images=[d["image"].convert("RGB") for d in batch], text=texts,
                           padding=True, return_tensors="pt")
        t0 = time.perf_counter()
        with torch.no_grad():
            generated = model.generate(**inputs, max_new_tokens=args["max_new_tokens"], do_sample=False)
        generate_s += time.perf_counter() - t0
        for row in generated[:, inputs["input_ids"].shape[1]:].tolist():
            outputs.append(tokenizer.decode([t for t in row if t not in drop], skip_special_tokens=False))
    return {"loop_s": time.perf_counter() - loop_started, "generate_s": generate_s, "outputs": outputs}


def pipeline_argv(args: dict, output: str) -> list[str]:
    return [
        "--model", "hf-multimodal-reasoning", "--model_args", f"pretrained={args['model']}",
        "--tasks", TASK, "--limit", str(args["docs"]), "--batch_size", str(args["batch_size"]),
        "--device", "cpu", "--apply_chat_template",
        "--gen_kwargs", f"max_gen_toks={args['max_new_tokens']}",
        "--output_path", output, "--log_samples", "--data-dir", args["data_root"],
    ]


def read_sample_outputs(output: Path) -> list[str]:
    [samples] = output.rglob(f"samples_{TASK}_*.jsonl")
    rows = [json.loads(line) for line in samples.read_text().splitlines() if line.strip()]
    return [row["resps"][0][0] for row in sorted(rows, key=lambda r: r["doc_id"])]


def worker_pipeline(args: dict) -> dict:
    """``mlrm-safety eval`` in process (imports done before the clock starts)."""
    import contextlib
    import io

    import lm_eval.evaluator  # noqa: F401
    import lm_eval.models.hf_vlms  # noqa: F401
    from lm_eval._cli import HarnessCLI  # noqa: F401

    from lm_eval.api.model import CachingLM

    from mlrm_safety.commands.eval import run_eval

    # Time the request phase (cache lookup, generation, cache writes) the way the plain
    # loop's own loop is timed; the rest of the run is fixed start-up and write-out cost.
    phase = {"requests_s": 0.0}
    plain_getattr = CachingLM.__getattr__

    def timed_getattr(self, attr):
        method = plain_getattr(self, attr)
        if attr != "generate_until":
            return method

        def timed(requests):
            t0 = time.perf_counter()
            try:
                return method(requests)
            finally:
                phase["requests_s"] += time.perf_counter() - t0

        return timed

    CachingLM.__getattr__ = timed_getattr
    best = None
    for repeat in range(args.get("repeats", 1)):  # a fresh output folder: nothing cached
        output = Path(f"{args['output']}-{repeat}")
        phase["requests_s"] = 0.0
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            run_eval(pipeline_argv(args, str(output)))
        run = {"seconds": time.perf_counter() - started, "requests_s": phase["requests_s"],
               "outputs": read_sample_outputs(output)}
        best = run if best is None or run["requests_s"] < best["requests_s"] else best
    return {**best, "peak_rss_mb": peak_rss_mb()}


WORKERS = {"data": worker_data, "plain": worker_plain, "pipeline": worker_pipeline}


# --- measurements run from the main process -------------------------------------------------


def judge_texts(upstream: Path, n: int) -> list[str]:
    """Real model responses from the labelled judge sets, repeated up to ``n``."""
    files = [
        (upstream / "judge-labels/JailbreakEval/JAILJUDGEmini.csv", "answer"),
        (upstream / "judge-labels/JailbreakEval/Safe-RLHFmini.csv", "answer"),
        (upstream / "judge-labels/GPTFuzz/train.csv", "Response"),
    ]
    texts: list[str] = []
    for path, column in files:
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as handle:
                texts += [row[column] for row in csv.DictReader(handle) if row.get(column)]
    if not texts:  # no upstream copy: synthetic responses of realistic length
        texts = [f"Step {i}: here is how one might proceed, in some detail. " * 6 for i in range(1000)]
    return (texts * (n // len(texts) + 1))[:n]


def time_judge(name: str, requests: list) -> dict:
    """Seconds judge ``name`` takes to label ``requests`` in one call."""
    from mlrm_safety.judges import get_judge

    judge = get_judge(name)
    started = time.perf_counter()
    verdicts = judge.judge(requests)
    seconds = time.perf_counter() - started
    return {"texts": len(requests), "seconds": seconds, "texts_per_s": len(requests) / seconds,
            "unsafe_share": sum(bool(v.unsafe) for v in verdicts) / len(verdicts)}


def bench_judge(upstream: Path, n: int = 84_000) -> dict:
    from mlrm_safety.judges.base import JudgeRequest

    return time_judge("keyword", [JudgeRequest(text=t) for t in judge_texts(upstream, n)])


def bench_cues(upstream: Path, n: int = 84_000) -> dict:
    """The default judge on real responses with their requests (its topic check reads both),
    and what building it adds to a fresh interpreter compared with the keyword judge."""
    from mlrm_safety.judge_eval import load_labelled
    from mlrm_safety.judges.lexical import cold_load_seconds

    files = [upstream / "judge-labels/JailbreakEval/JAILJUDGEmini.csv",
             upstream / "judge-labels/JailbreakEval/Safe-RLHFmini.csv",
             upstream / "judge-labels/GPTFuzz/train.csv"]
    requests = [e.request() for path in files if path.is_file() for e in load_labelled(path)]
    if not requests:  # no upstream copy: the same synthetic texts as the keyword figure
        from mlrm_safety.judges.base import JudgeRequest

        requests = [JudgeRequest(text=t, intent="how do I pick a lock") for t in judge_texts(upstream, 1000)]
    requests = (requests * (n // len(requests) + 1))[:n]
    load_adds = cold_load_seconds("cues") - cold_load_seconds("keyword")
    timed = time_judge("cues", requests)
    return {**timed, "label_s": timed["seconds"], "load_adds_s": load_adds,
            "mean_chars": sum(len(r.text) for r in requests) / len(requests)}


def _cached_count(cache_dir: Path) -> int:
    total = 0
    for db in cache_dir.glob("*.db"):
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as conn:
                total += conn.execute("select count(*) from unnamed").fetchone()[0]
        except sqlite3.Error:
            pass
    return total


def bench_resume(args: dict, reference: list[str]) -> dict:
    """Kill a CLI run after some batches are cached, rerun it, compare with ``reference``."""
    exe = str(Path(sys.executable).with_name("mlrm-safety"))
    output = Path(args["output"])
    cmd = [exe, "eval", *pipeline_argv(args, str(output))]
    env = worker_env()
    want = max(1, args["docs"] // 3)
    log = open(output.parent / "resume-interrupted.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    cache_dir = output / ".mlrm_safety_cache"
    while proc.poll() is None and _cached_count(cache_dir) < want:
        time.sleep(0.02)
    finished_before_kill = proc.poll() is not None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    log.close()
    cached_at_kill = _cached_count(cache_dir)
    started = time.perf_counter()
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    rerun_s = time.perf_counter() - started
    if rerun.returncode != 0:
        raise RuntimeError(f"resumed run failed:\n{rerun.stderr[-3000:]}")
    reused = None
    for line in rerun.stderr.splitlines():
        if "Cached requests:" in line:
            reused = int(line.split("Cached requests:")[1].split(",")[0])
    outputs = read_sample_outputs(output)
    return {"docs": args["docs"], "killed_after_cached": cached_at_kill,
            "run_finished_before_kill": finished_before_kill, "reused_on_rerun": reused,
            "rerun_s": rerun_s, "same_as_uninterrupted": outputs == reference}


# --- report ---------------------------------------------------------------------------------


def bench_extras(upstream: Path, work: Path) -> list[dict]:
    """Figures the other issues set targets for: big builds, the lexical judge, judge batching."""
    from mlrm_safety.builders.mm_safetybench import bench_build as mmsb_build
    from mlrm_safety.judges import get_judge
    from mlrm_safety.judges.base import JudgeRequest
    from mlrm_safety.judges.lexical import bench as lexical_bench
    from mlrm_safety.testing.tiny_models import build_tiny_causal_lm
    from mlrm_safety.tis_bench import bench_build as tis_build

    rows = []
    mmsb = upstream / "MM-SafetyBench"
    if mmsb.is_dir():
        r = mmsb_build(mmsb, work / "mmsb-bench")
        rows.append({"name": "mm-safetybench text_only+typo build",
                     "figure": f"{r['seconds']:.1f} s for {r['rows']} rows, {r['rendered_images']} rendered images",
                     "target": "< 60 s", "ok": r["seconds"] < 60, "raw": r})
    sample = upstream / "Think-in-Safety" / "train_data.SAMPLE.json"
    if sample.is_file():
        r = tis_build(sample, records=4394)
        rows.append({"name": "think-in-safety text build", "figure": f"{r['seconds']:.2f} s for {r['records']} records",
                     "target": "< 10 s", "ok": r["seconds"] < 10, "raw": r})
        r = tis_build(sample, records=300, with_images=True)
        rows.append({"name": "think-in-safety build with images",
                     "figure": f"{r['records_per_second']:.0f} records/s (512 px JPEGs)", "target": "measured",
                     "ok": None, "raw": r})
    r = bench_cues(upstream)
    rows.append({"name": "cues judge (default)", "figure": f"{r['label_s']:.2f} s for {r['texts']:,} texts; load adds {r['load_adds_s']:.2f} s",
                 "target": "< 10 s; load < 2 s", "ok": r["label_s"] < 10 and r["load_adds_s"] < 2, "raw": r})
    r = lexical_bench(texts=judge_texts(upstream, 84_000))
    rows.append({"name": "lexical judge", "figure": f"{r['label_s']:.2f} s for {r['texts']:,} texts; load adds {r['load_adds_s']:.2f} s",
                 "target": "< 10 s; load < 2 s", "ok": r["label_s"] < 10 and r["load_adds_s"] < 2, "raw": r})
    model = build_tiny_causal_lm(work / "tiny-lm")
    requests = [JudgeRequest(text=f"response {i} " * 10, intent="a request") for i in range(64)]
    per_batch = {}
    for batch_size in (1, 16):
        judge = get_judge("harmbench", model=str(model), batch_size=batch_size, max_new_tokens=4, cache=False)
        judge.judge(requests[:2])  # warm-up
        started = time.perf_counter()
        judge.judge(requests)
        per_batch[batch_size] = len(requests) / (time.perf_counter() - started)
    rows.append({"name": "transformers judge (tiny model)",
                 "figure": f"{per_batch[1]:.1f} texts/s at batch 1, {per_batch[16]:.1f} at batch 16",
                 "target": "measured", "ok": None, "raw": per_batch})
    return rows


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_table(report: dict) -> None:
    rows: list[tuple[str, str, str]] = []
    for d in report["datasets"]:
        name = f"data {d['benchmark']}/{d['config']}"
        if "skipped" in d:
            rows.append((name, "skipped", d["skipped"]))
        else:
            rows.append((name, f"build {d['build_s']:.2f} s, cold load {d['cold_load_s']:.2f} s",
                         f"{d['rows']} rows"))
    j = report["judge"]
    rows.append(("keyword judge", f"{j['seconds']:.2f} s for {j['texts']:,} texts",
                 f"{verdict(j['seconds'] < TARGETS['judge_seconds_84k'])} (< {TARGETS['judge_seconds_84k']} s)"))
    g = report["generation"]
    for bs, entry in sorted(g["by_batch"].items(), key=lambda kv: int(kv[0])):
        rows.append((f"plain loop, batch {bs}",
                     f"{entry['plain_loop_s']:.2f} s loop ({entry['plain_docs_per_s']:.2f} docs/s)",
                     f"whole run {entry['plain_s']:.2f} s; generate() alone {entry['plain_generate_s']:.2f} s"))
        rows.append((f"pipeline, batch {bs}",
                     f"{entry['pipeline_requests_s']:.2f} s requests ({entry['pipeline_docs_per_s']:.2f} docs/s)",
                     f"overhead {entry['overhead']:+.1%}: "
                     f"{verdict(entry['overhead'] < TARGETS['pipeline_overhead'])} (< {TARGETS['pipeline_overhead']:.0%}); "
                     f"whole run {entry['pipeline_s']:.2f} s ({entry['overhead_whole_run']:+.0%} with start-up); "
                     f"same outputs {entry['same_outputs']}/{g['docs']}"))
    rows.append(("batch 8 vs batch 1", f"{g['batch8_speedup']:.2f}x docs/s (pipeline requests)",
                 f"{verdict(g['batch8_speedup'] >= TARGETS['batch8_speedup'])} (>= {TARGETS['batch8_speedup']}x)"))
    r = report.get("resume")
    if r:
        rows.append(("resume after kill", f"killed with {r['killed_after_cached']}/{r['docs']} cached; "
                     f"rerun reused {r['reused_on_rerun']}",
                     f"{verdict(bool(r['same_as_uninterrupted']) and not r['run_finished_before_kill'] and (r['reused_on_rerun'] or 0) >= r['killed_after_cached'] > 0)}"
                     f" (same answers as uninterrupted: {r['same_as_uninterrupted']})"))
    for extra in report.get("extras", []):
        target = extra["target"] if extra["ok"] is None else f"{verdict(extra['ok'])} ({extra['target']})"
        rows.append((extra["name"], extra["figure"], target))
    rows.append(("peak memory", f"{report['peak_rss_mb']:.0f} MiB",
                 ", ".join(f"{k} {v:.0f}" for k, v in report["peak_rss_by_step_mb"].items())))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    print()
    print(f"mlrm-safety bench ({report['settings']['docs']} docs, {report['settings']['max_new_tokens']} "
          f"new tokens, tiny LLaVA, {report['settings']['threads']} torch thread)")
    for a, b, c in rows:
        print(f"  {a:<{widths[0]}}  {b:<{widths[1]}}  {c}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", default=str(REPO_ROOT.parent / "shared" / "upstream"),
                        help="the upstream benchmark copy (default: ../shared/upstream)")
    parser.add_argument("--docs", type=int, default=16, help="FigStep docs per generation run")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed repeats per run (fastest kept: sub-second runs swing with load)")
    parser.add_argument("--out", default=str(REPO_ROOT / ".bench"), help="folder for the JSON report")
    parser.add_argument("--skip-resume", action="store_true")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--worker-args", help=argparse.SUPPRESS)
    parser.add_argument("--worker-result", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)

    if opts.worker:
        result = WORKERS[opts.worker](json.loads(opts.worker_args))
        Path(opts.worker_result).write_text(json.dumps(result))
        return 0

    upstream = Path(opts.upstream)
    work = Path(tempfile.mkdtemp(prefix="mlrm-bench-"))
    os.environ["HF_DATASETS_CACHE"] = str(work / "hf-cache")  # cold, and not the user's cache
    peaks: dict[str, float] = {}
    try:
        print("bench: building datasets ...", file=sys.stderr)
        data = run_worker("data", {"upstream": str(upstream), "root": str(work / "data")})
        peaks["data"] = data["peak_rss_mb"]
        if not (work / "data" / "figstep").is_dir():
            raise SystemExit(f"bench: FigStep could not be built from {upstream}; see the table above")

        print("bench: keyword judge ...", file=sys.stderr)
        judge = bench_judge(upstream)

        print("bench: big builds, cues and lexical judges, judge batching ...", file=sys.stderr)
        extras = bench_extras(upstream, work)

        from mlrm_safety.testing.tiny_models import build_tiny_llava

        model = str(build_tiny_llava(work / "tiny-llava"))
        base = {"model": model, "data_root": str(work / "data"), "docs": opts.docs,
                "max_new_tokens": opts.max_new_tokens, "repeats": opts.repeats}
        by_batch: dict[str, dict] = {}
        reference: dict[int, list[str]] = {}
        for bs in [int(b) for b in opts.batch_sizes.split(",")]:
            print(f"bench: plain loop and pipeline at batch {bs} ...", file=sys.stderr)
            plain = run_worker("plain", {**base, "batch_size": bs})
            pipe = run_worker("pipeline", {**base, "batch_size": bs, "output": str(work / f"run-bs{bs}")})
            peaks[f"plain_bs{bs}"], peaks[f"pipeline_bs{bs}"] = plain["peak_rss_mb"], pipe["peak_rss_mb"]
            reference[bs] = pipe["outputs"]
            by_batch[str(bs)] = {
                "plain_s": plain["seconds"], "plain_loop_s": plain["loop_s"],
                "plain_generate_s": plain["generate_s"],
                "pipeline_s": pipe["seconds"], "pipeline_requests_s": pipe["requests_s"],
                "plain_docs_per_s": opts.docs / plain["loop_s"],
                "pipeline_docs_per_s": opts.docs / pipe["requests_s"],
                # The target: per-doc work, pipeline request phase against the plain loop.
                "overhead": pipe["requests_s"] / plain["loop_s"] - 1,
                # Whole runs, start-up included (model load, task set-up, results written).
                "overhead_whole_run": pipe["seconds"] / plain["seconds"] - 1,
                "same_outputs": sum(a == b for a, b in zip(plain["outputs"], pipe["outputs"], strict=True)),
            }
        speedup = (by_batch["8"]["pipeline_docs_per_s"] / by_batch["1"]["pipeline_docs_per_s"]
                   if {"1", "8"} <= by_batch.keys() else float("nan"))
        resume = None
        if not opts.skip_resume:
            bs = min(reference)
            print(f"bench: resume after a kill (batch {bs}) ...", file=sys.stderr)
            resume = bench_resume({**base, "batch_size": bs, "output": str(work / "run-resume")},
                                  reference[bs])

        report = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"platform": platform.platform(), "python": platform.python_version(),
                        "cpus": os.cpu_count()},
            "settings": {"docs": opts.docs, "max_new_tokens": opts.max_new_tokens, "threads": 1,
                         "repeats": opts.repeats,
                         "task": TASK, "model": "tiny random LLaVA (mlrm_safety.testing.tiny_models)"},
            "targets": TARGETS,
            "datasets": data["datasets"],
            "judge": judge,
            "generation": {"docs": opts.docs, "by_batch": by_batch, "batch8_speedup": speedup},
            "resume": resume,
            "extras": extras,
            "peak_rss_by_step_mb": {**peaks, "bench": peak_rss_mb()},
        }
        report["peak_rss_mb"] = max(report["peak_rss_by_step_mb"].values())
        print_table(report)
        out = Path(opts.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"bench-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
        path.write_text(json.dumps(report, indent=2))
        print(f"\nbench: figures written to {path}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
