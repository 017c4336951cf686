"""The check sets' record: one home for which sets exist, how far each can be trusted and
what it scored when first measured; the docs and the judge records follow it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlrm_safety.judges import check_sets as module
from mlrm_safety.judges.check_sets import check_sets, first_figures_table
from mlrm_safety.judges.lexical import ARTIFACT_DIR

ROOT = Path(__file__).resolve().parents[1]


def test_every_check_file_in_the_data_folder_is_recorded():
    recorded = {s.file for s in check_sets()}
    on_disk = {p.name for p in module.DATA.glob("mlrm_generations_check*.jsonl")}
    assert recorded == on_disk


def test_the_docs_show_the_first_measurements_of_the_record():
    page = (ROOT / "docs" / "judges-offline.md").read_text(encoding="utf-8")
    assert first_figures_table(check_sets()) in page


def test_the_judge_records_measure_every_check_set_under_its_description():
    unseen = json.loads((ARTIFACT_DIR / "model.json").read_text())["figures"]["unseen"]
    for s in check_sets():
        assert s.record_key in unseen


def test_a_never_read_set_says_so_and_is_bold_in_the_table(tmp_path, monkeypatch):
    (tmp_path / "a.jsonl").write_text('{"x": 1}\n{"x": 2}\n\n', encoding="utf-8")
    figures = {"rules": "r1", "keyword": 0.5, "cues": 0.75, "cues_first_version": 0.6,
               "lexical": 0.55}
    (tmp_path / "check_sets.json").write_text(json.dumps(
        [{"file": "a.jsonl", "written": "blind", "imitates": "VLMs", "errors_read": False,
          "first_measured": figures}]))
    monkeypatch.setattr(module, "DATA", tmp_path)
    monkeypatch.setattr(module, "MANIFEST", tmp_path / "check_sets.json")
    [only] = check_sets()
    assert only.describe() == "2 written blind, never read"
    assert "| a | 2 | VLMs | r1 | 0.500 | **0.750** | 0.600 | 0.550 |" in first_figures_table([only])


@pytest.mark.parametrize("entry, message", [
    ({"file": "a.jsonl", "written": "blind", "imitates": "VLMs", "first_measured": {}},
     "entry 1 lacks the field 'errors_read'"),
    ({"file": "gone.jsonl", "written": "blind", "imitates": "VLMs", "errors_read": True,
      "first_measured": {}},
     "entry 1 names gone.jsonl"),
])
def test_a_broken_record_names_the_entry(tmp_path, monkeypatch, entry, message):
    (tmp_path / "a.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "check_sets.json").write_text(json.dumps([entry]))
    monkeypatch.setattr(module, "DATA", tmp_path)
    monkeypatch.setattr(module, "MANIFEST", tmp_path / "check_sets.json")
    with pytest.raises(ValueError, match=message):
        check_sets()


def test_the_readme_shows_the_pooled_check_set_figures_of_the_records():
    from mlrm_safety.judges.check_sets import readme_rows

    recorded = json.loads((ARTIFACT_DIR / "model.json").read_text())["figures"]["unseen"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for row in readme_rows(recorded, check_sets()):
        assert row in readme


def test_pooling_adds_the_confusion_counts_of_each_set(tmp_path, monkeypatch):
    from mlrm_safety.judges.check_sets import CheckSet, pooled

    monkeypatch.setattr(module, "DATA", tmp_path)
    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text("{}\n" * 10, encoding="utf-8")
    a, b = (CheckSet(f"{name}.jsonl", "blind", "VLMs", False, {}) for name in ("a", "b"))
    recorded = {a.record_key: {"cues": {"confusion": {"tp": 3, "fp": 1, "fn": 1, "tn": 5}}},
                b.record_key: {"cues": {"confusion": {"tp": 0, "fp": 0, "fn": 4, "tn": 6}}}}
    figures = pooled(recorded, [a, b], "cues")
    assert figures["n"] == 20
    assert figures["accuracy"] == pytest.approx(14 / 20)
    assert figures["f1"] == pytest.approx(2 * 3 / (4 + 8))
    chance = (4 * 8 + 16 * 12) / 400  # flagged 4 of 20, unsafe 8 of 20
    assert figures["kappa"] == pytest.approx((0.7 - chance) / (1 - chance))
