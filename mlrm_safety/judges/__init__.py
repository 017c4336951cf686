"""Judges: find one by name, or take the active one for this run.

``get_judge("keyword")`` builds a judge; ``active_judge()`` is the one the lm-eval tasks use,
chosen by ``MLRM_SAFETY_JUDGE`` (a name) and ``MLRM_SAFETY_JUDGE_OPTIONS`` (a JSON object),
which the ``mlrm-safety eval --judge`` flag sets.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
from contextlib import contextmanager
from typing import Callable

from .base import EMPTY, LABELS, PARTS, Judge, JudgeRequest, Verdict

__all__ = [
    "EMPTY", "LABELS", "PARTS", "Judge", "JudgeRequest", "Verdict",
    "DEFAULT_JUDGE", "parse_judge_options", "register_judge", "get_judge", "judge_names", "active_judge",
    "use_judge",
]

DEFAULT_JUDGE = "cues"
JUDGE_ENV = "MLRM_SAFETY_JUDGE"
JUDGE_OPTIONS_ENV = "MLRM_SAFETY_JUDGE_OPTIONS"

_REGISTRY: dict[str, Callable[..., Judge]] = {}
_ACTIVE: dict[tuple, Judge] = {}


def register_judge(name: str):
    def decorate(factory):
        _REGISTRY[name] = factory
        factory.name = name
        return factory

    return decorate


def _discover() -> None:
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name not in ("base", "cache") and not module_info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module_info.name}")


def judge_names() -> list[str]:
    _discover()
    return sorted(_REGISTRY)


def get_judge(name: str | None = None, **options) -> Judge:
    _discover()
    name = name or DEFAULT_JUDGE
    if name not in _REGISTRY:
        raise ValueError(f"unknown judge {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name](**options)


def parse_judge_options(raw: str | None, source: str = "--judge-options") -> dict:
    """A judge's options from their JSON text; ``source`` names where the text came from."""
    try:
        options = json.loads(raw or "{}")
    except json.JSONDecodeError as err:
        raise ValueError(f"{source} is not valid JSON: {err}") from None
    if not isinstance(options, dict):
        raise ValueError(f"{source} must be a JSON object")
    return options


def active_judge() -> Judge:
    """The judge chosen for this process (built once, then reused)."""
    if _OVERRIDE:  # set by ``use_judge`` (re-judging saved samples)
        return _OVERRIDE[-1]
    name = os.environ.get(JUDGE_ENV) or DEFAULT_JUDGE
    options = parse_judge_options(os.environ.get(JUDGE_OPTIONS_ENV), JUDGE_OPTIONS_ENV)
    key = (name, json.dumps(options, sort_keys=True))
    if key not in _ACTIVE:
        _ACTIVE[key] = get_judge(name, **options)
    return _ACTIVE[key]


_OVERRIDE: list[Judge] = []


@contextmanager
def use_judge(judge: Judge):
    """Make ``judge`` the active judge inside the ``with`` block (``mlrm-safety judge``)."""
    _OVERRIDE.append(judge)
    try:
        yield judge
    finally:
        _OVERRIDE.pop()
