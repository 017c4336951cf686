"""Split a generation into its reasoning trace and its final answer.

Reasoning models mark their thinking in a handful of ways; this module knows them all:

- ``<think>...</think>answer`` (R1-style; split at the last closing tag)
- ``...</think>answer`` when the opening tag was part of the prompt (chat templates that
  open the think block for the model)
- ``<answer>...</answer>`` wrappers around the answer (R1-Onevision, MM-Eureka)
- ``◁think▷...◁/think▷answer`` (Kimi-VL-Thinking)
- ``<REASONING>...</REASONING><CONCLUSION>...</CONCLUSION>`` (LLaVA-CoT style; also
  ``<SUMMARY>`` / ``<CAPTION>`` stages count as reasoning)
- no tags at all: everything is the answer
- an opened trace that never closes (ran out of tokens): everything is reasoning, there is
  no answer, and the split is flagged ``finished=False``
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (opening tag, closing tag, format name); the answer follows the last closing tag.
_THINK_STYLES = (
    ("<think>", "</think>", "think"),
    ("◁think▷", "◁/think▷", "kimi"),
    ("<thinking>", "</thinking>", "thinking"),
)
_ANSWER_RE = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)
_CONCLUSION_RE = re.compile(r"<CONCLUSION>(.*?)(?:</CONCLUSION>|$)", re.DOTALL)
_STAGE_RE = re.compile(r"<(SUMMARY|CAPTION|REASONING)>(.*?)(?:</\1>|$)", re.DOTALL)
# A text holds one of these if it holds any convention above ("think" is in every think
# style): a cheap test, so that a caller can skip splitting plain answers.
_MARKS = ("think", "<answer", "<CONCLUSION", "<REASONING", "<SUMMARY", "<CAPTION", "\u25c1")


@dataclass(frozen=True)
class ReasoningSplit:
    reasoning: str  # the trace, "" if the model did not think visibly
    answer: str  # the final answer, "" if the model never gave one
    format: str  # which convention was recognised ("think", "kimi", "llava-cot", "none" ...)
    finished: bool  # False when the trace never closed (the answer is missing)

    @property
    def full(self) -> str:
        return "\n".join(part for part in (self.reasoning, self.answer) if part)

    @property
    def tagged(self) -> str:
        """The whole response in one convention (``<think>`` tags), whatever the model used,
        so that a judge of the full response can still tell the trace from the answer."""
        if not self.reasoning:
            return self.answer
        closing = "</think>" if self.finished else ""
        return "\n".join(p for p in ("<think>", self.reasoning, closing, self.answer) if p)


def may_hold_reasoning(text: str) -> bool:
    """False when ``text`` holds none of the conventions: all of it is the answer."""
    return any(mark in text for mark in _MARKS)


def _unwrap_answer(text: str) -> str:
    match = _ANSWER_RE.search(text)
    return match.group(1).strip() if match else text.strip()


def split_reasoning(text: str | None) -> ReasoningSplit:
    """Split ``text``; never raises, whatever the model produced."""
    text = (text or "").strip()
    if not text:
        return ReasoningSplit("", "", "empty", True)

    for open_tag, close_tag, name in _THINK_STYLES:
        close_at = text.rfind(close_tag)
        if close_at >= 0:
            trace = text[:close_at]
            open_at = trace.find(open_tag)
            trace = trace[open_at + len(open_tag) :] if open_at >= 0 else trace
            # Nested or repeated tags inside the trace carry no meaning of their own.
            trace = trace.replace(open_tag, "").replace(close_tag, "")
            answer = _unwrap_answer(text[close_at + len(close_tag) :])
            fmt = name if open_at >= 0 else f"{name}-open-in-prompt"
            return ReasoningSplit(trace.strip(), answer, fmt, True)
        if text.lstrip().startswith(open_tag) or open_tag in text:
            trace = text[text.find(open_tag) + len(open_tag) :].strip()
            return ReasoningSplit(trace, "", name, False)

    if "<CONCLUSION>" in text or _STAGE_RE.search(text):
        conclusion = _CONCLUSION_RE.search(text)
        stages = "\n".join(m.group(2).strip() for m in _STAGE_RE.finditer(text))
        if conclusion:
            return ReasoningSplit(stages, conclusion.group(1).strip(), "llava-cot", True)
        return ReasoningSplit(stages, "", "llava-cot", False)

    if _ANSWER_RE.search(text):
        match = _ANSWER_RE.search(text)
        before = text[: match.start()].strip()
        return ReasoningSplit(before, match.group(1).strip(), "answer-tag", True)

    return ReasoningSplit("", text, "none", True)
