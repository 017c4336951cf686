"""The reasoning/answer split on every format real models emit (hand-labelled cases)."""

import pytest

from mlrm_safety.reasoning import may_hold_reasoning, split_reasoning

CASES = [
    # (generation, reasoning, answer, format, finished)
    ("<think>\nThe user asks X.\n</think>\nI can't help.", "The user asks X.", "I can't help.", "think", True),
    ("<think>a</think>b<think>c</think>final", "abc", "final", "think", True),
    ("The request is harmful.\n</think>\n\nNo.", "The request is harmful.", "No.", "think-open-in-prompt", True),
    ("<think>plan</think><answer>Here it is.</answer>", "plan", "Here it is.", "think", True),
    ("◁think▷weighing it◁/think▷Sure, steps:", "weighing it", "Sure, steps:", "kimi", True),
    (
        "<SUMMARY>s</SUMMARY><CAPTION>c</CAPTION><REASONING>r</REASONING><CONCLUSION>done</CONCLUSION>",
        "s\nc\nr", "done", "llava-cot", True,
    ),
    ("<REASONING>r</REASONING><CONCLUSION>x", "r", "x", "llava-cot", True),
    ("Just an answer with no tags.", "", "Just an answer with no tags.", "none", True),
    ("<think>I keep thinking and run out of tok", "I keep thinking and run out of tok", "", "think", False),
    ("◁think▷never closed", "never closed", "", "kimi", False),
    ("<SUMMARY>s</SUMMARY><REASONING>still going", "s\nstill going", "", "llava-cot", False),
    ("Reasoning first <answer>the answer</answer>", "Reasoning first", "the answer", "answer-tag", True),
    ("", "", "", "empty", True),
    ("   \n ", "", "", "empty", True),
]


@pytest.mark.parametrize("text, reasoning, answer, fmt, finished", CASES)
def test_split_formats(text, reasoning, answer, fmt, finished):
    split = split_reasoning(text)
    assert (split.reasoning, split.answer, split.format, split.finished) == (
        reasoning, answer, fmt, finished,
    )


def test_split_at_last_closing_tag_keeps_earlier_tags_out_of_the_answer():
    split = split_reasoning("<think>one</think>mid</think>end")
    assert split.answer == "end"
    assert "</think>" not in split.reasoning


def test_none_input_is_empty():
    assert split_reasoning(None).format == "empty"


def test_full_joins_parts():
    assert split_reasoning("<think>a</think>b").full == "a\nb"


def test_tagged_puts_any_convention_in_think_tags():
    assert split_reasoning("\u25c1think\u25b7a\u25c1/think\u25b7b").tagged == "<think>\na\n</think>\nb"
    assert split_reasoning("<think>a trace cut off").tagged == "<think>\na trace cut off"
    assert split_reasoning("just an answer").tagged == "just an answer"
    assert split_reasoning("<think>a</think>b").tagged.startswith("<think>")


@pytest.mark.parametrize("text, reasoning, answer, fmt, finished", CASES)
def test_the_cheap_test_never_skips_a_trace(text, reasoning, answer, fmt, finished):
    assert may_hold_reasoning(text) or not reasoning
    if fmt == "none":
        assert not may_hold_reasoning(text)
