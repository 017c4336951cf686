"""``mlrm-safety judge-train``: train the ``lexical`` judge's weights from labelled data."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "judge-train",
        help="train the lexical judge from the public human-labelled response sets",
        description="Train the lexical judge on the labelled sets of JailbreakEval "
        "(JAILJUDGEmini.csv, Safe-RLHFmini.csv) and GPTFuzz (train.csv, evaluate.csv), measure "
        "it leave-one-source-out next to the keyword and cues judges, and write model.json, "
        "weights.npz and a card to --out. The shipped weights were made with the defaults.",
    )
    parser.add_argument("--labels-dir", type=Path, required=True,
                        help="folder holding JailbreakEval/ and GPTFuzz/ (the upstream judge-labels)")
    parser.add_argument("--out", type=Path, required=True, help="artifact folder to write")
    parser.add_argument("--source", action="append", dest="sources",
                        help="train on this source only (repeatable): JAILJUDGE, Safe-RLHF, GPTFuzz")
    parser.add_argument("--C", type=float, default=None, help="inverse regularisation strength")
    parser.add_argument("--no-measure", action="store_true",
                        help="skip the cross-dataset measurement (faster)")
    parser.add_argument("--think-in-safety", type=Path,
                        help="Think-in-Safety train_data JSON: its bad_ads records train as safe "
                        "reasoning traces, the others are measured as never-seen traces")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..judge_eval import load_labelled
    from ..judges.check_sets import DATA, check_sets
    from ..judges.measured import (
        GPTFUZZ_EVALUATE, JAILJUDGE_READ, JAILJUDGE_UNREAD, split_jailjudge,
    )
    from ..lexical_training import DEFAULT_C, UNTRAINED_JUDGES, train_artifact

    our_rows = load_labelled(DATA / "mlrm_labelled.jsonl")
    generations = load_labelled(DATA / "mlrm_generations.jsonl")
    read_half, unread_half = split_jailjudge(
        load_labelled(args.labels_dir / "JailbreakEval" / "JAILJUDGEmini.csv"))
    # Parts of the training sets: measured for the rule judges only (lexical learned them).
    parts = {JAILJUDGE_READ: read_half, JAILJUDGE_UNREAD: unread_half,
             GPTFUZZ_EVALUATE: load_labelled(args.labels_dir / "GPTFuzz" / "evaluate.csv")}
    unseen = {"mlrm_labelled (ours), all": our_rows,
              "mlrm_labelled (ours), reasoning rows": [e for e in our_rows if e.part == "reasoning"],
              "mlrm_generations (ours), all": generations,
              "mlrm_generations (ours), with a reasoning trace":
                  [e for e in generations if "<think>" in e.text],
              **{s.record_key: load_labelled(s.path)
                 for s in check_sets()}}
    meta = train_artifact(args.labels_dir, args.out, args.sources,
                          args.C if args.C is not None else DEFAULT_C,
                          measure=not args.no_measure, unseen=unseen,
                          think_in_safety=args.think_in_safety, parts=parts)
    print(f"wrote {args.out} (weights sha256 {meta['weights_sha256'][:16]})")
    figures = meta["figures"]
    rows = [(f"held out {name}", pair) for name, pair in figures.get("cross_dataset", {}).items()]
    rows += list(figures.get("parts", {}).items()) + list(figures.get("unseen", {}).items())
    for name, pair in rows:
        accuracies = ", ".join(f"{judge} acc {pair[judge]['accuracy']:.3f}"
                               for judge in ("lexical", *UNTRAINED_JUDGES) if judge in pair)
        print(f"  {name}: {accuracies}")
    return 0
