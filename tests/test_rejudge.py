"""`mlrm-safety judge`: re-judge saved lm-eval samples and write results lm-eval's way."""

from __future__ import annotations

import json

import pytest

from mlrm_safety.cli import main
from mlrm_safety.runs import latest_results_file, read_samples, samples_files
from mlrm_safety.testing.fake_openai_server import FakeOpenAIServer

TOKEN = "sk-rejudge-test-token"
RESPONSES = {
    "figstep-01-01": "<think>Thinking it over.</think>Here it is: ALPHA",
    "figstep-01-02": "I will not help with that. BETA",
    "figstep-01-03": "Hmm GAMMA",
    "figstep-01-04": "",
}
# The endpoint judge's answers, chosen by a marker in the judged text.
JUDGE_TABLE = {"ALPHA": "Gives the steps.\nScore: 5", "BETA": "Declines.\nScore: 1",
               "GAMMA": "I cannot rate this."}


def judge_cmd(*args: str) -> int:
    """``mlrm-safety judge ...`` in this process (the console script costs seconds per start)."""
    return main(["judge", *args])


@pytest.fixture(scope="module")
def keyword_run(tmp_path_factory, data_dir):
    from tests.conftest import run_cli

    root = tmp_path_factory.mktemp("rejudge")
    table = root / "canned.json"
    table.write_text(json.dumps(RESPONSES))
    # The keyword judge, named: the rejudging below is checked against its verdicts.
    run_cli("eval", "--judge", "keyword", "--model", "canned", "--model_args", f"responses={table}",
            "--tasks", "mlrm_safety_figstep", "--limit", "4", "--data-dir", str(data_dir),
            "--output_path", str(root / "run"), "--log_samples")
    return root / "run"


def test_keyword_rejudge_reproduces_the_run(keyword_run, tmp_path):
    original = latest_results_file(keyword_run)
    assert judge_cmd(str(keyword_run), "--judge", "keyword", "--out", str(tmp_path / "kw")) == 0
    again = json.loads((tmp_path / "kw" / original.name).read_text())
    before = json.loads(original.read_text())
    task = "mlrm_safety_figstep"
    for key, value in before["results"][task].items():
        if isinstance(value, float) and value == value:
            assert again["results"][task][key] == pytest.approx(value), key
    assert again["mlrm_safety"]["judge"]["name"] == "keyword"
    assert again["mlrm_safety"]["datasets"] == before["mlrm_safety"]["datasets"]  # provenance kept


def test_endpoint_rejudge_writes_new_results_and_costs_nothing_twice(keyword_run, tmp_path, monkeypatch, capsys):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the endpoint is on loopback
    monkeypatch.setenv("MLRM_SAFETY_JUDGE_API_KEY", TOKEN)
    original = latest_results_file(keyword_run)
    original_text = original.read_text()
    out = tmp_path / "rubric"
    with FakeOpenAIServer(JUDGE_TABLE, default="Nothing harmful.\nScore: 2") as server:
        options = json.dumps({"mode": "score", "base_url": server.base_url, "model": "judge-7b",
                              "backoff": 0.01})
        assert judge_cmd(str(keyword_run), "--judge", "rubric", "--judge-options", options, "--out", str(out)) == 0
        requests_made = server.total
        assert requests_made == 7  # 01-01: reasoning, answer, full; 01-02 and 01-03: answer, full
        assert judge_cmd(str(keyword_run), "--judge", "rubric", "--judge-options", options,
                         "--out", str(tmp_path / "again")) == 0
        assert server.total == requests_made  # every verdict came from the cache
    printed = capsys.readouterr()
    assert "unparsed_rate" in printed.out and TOKEN not in printed.out + printed.err

    results_file = latest_results_file(out)
    assert results_file.name == original.name and original.read_text() == original_text
    results = json.loads(results_file.read_text())
    got = results["results"]["mlrm_safety_figstep"]
    assert got["asr,none"] == pytest.approx(1 / 4)  # only ALPHA scored 5
    assert got["asr_answer,none"] == pytest.approx(1 / 4)
    assert got["refusal_rate,none"] == pytest.approx(1 / 4)  # BETA scored 1
    assert got["unparsed_rate,none"] == pytest.approx(1 / 4)  # GAMMA: no score in the output
    assert isinstance(got["asr_stderr,none"], float)
    assert results["higher_is_better"]["mlrm_safety_figstep"]["unparsed_rate"] is False
    judge = results["mlrm_safety"]["judge"]
    assert judge["name"] == "rubric" and judge["settings"]["endpoint"] == server.base_url
    assert judge["settings"]["model"] == "judge-7b" and len(judge["settings"]["template_hash"]) == 16
    assert results["mlrm_safety"]["rejudged"]["previous_judge"]["name"] == "keyword"
    assert results["mlrm_safety"]["rejudged"]["unparsed_texts"] == 2
    assert TOKEN not in results_file.read_text()

    rows = {row["doc"]["id"]: row for row in read_samples(samples_files(results_file)["mlrm_safety_figstep"])}
    assert rows["figstep-01-01"]["asr"] == 1.0 and rows["figstep-01-01"]["asr_reasoning"] == 0.0
    assert rows["figstep-01-03"]["unparsed_rate"] == 1.0 and rows["figstep-01-03"]["asr"] == 0.0
    assert "unparsed_rate" in rows["figstep-01-04"]["metrics"]


def test_a_samples_file_can_be_given_directly(keyword_run, tmp_path):
    results_file = latest_results_file(keyword_run)
    sample = samples_files(results_file)["mlrm_safety_figstep"]
    assert judge_cmd(str(sample), "--judge", "keyword", "--out", str(tmp_path / "one")) == 0
    assert (tmp_path / "one" / results_file.name).is_file()


def test_bad_inputs_fail_clearly(keyword_run, tmp_path, capsys):
    assert judge_cmd(str(tmp_path / "missing"), "--judge", "keyword") == 2
    assert "missing" in capsys.readouterr().err
    assert judge_cmd(str(keyword_run), "--judge", "keyword", "--judge-options", "{oops") == 2
    assert "--judge-options is not valid JSON" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "results_x.json").write_text(json.dumps({"results": {}, "configs": {}}))
    (foreign / "samples_other_task_x.jsonl").write_text("{}\n")
    assert judge_cmd(str(foreign), "--judge", "keyword") == 2
    assert "'other_task' is not an mlrm-safety task" in capsys.readouterr().err


def test_image_judge_rejudges_with_images_from_the_dataset(keyword_run, data_dir, tiny_model, tmp_path,
                                                           monkeypatch, capsys):
    options = json.dumps({"model": str(tiny_model), "vision": True, "image_token": "<image>",
                          "max_new_tokens": 3, "batch_size": 2})
    # lm-eval logs only an image's hash, so an image judge needs the images loaded again
    assert judge_cmd(str(keyword_run), "--judge", "llama-guard", "--judge-options", options,
                     "--out", str(tmp_path / "no-images")) == 2
    assert "--images" in capsys.readouterr().err
    monkeypatch.setenv("MLRM_SAFETY_DATA_DIR", str(data_dir))
    assert judge_cmd(str(keyword_run), "--judge", "llama-guard", "--judge-options", options,
                     "--images", "--out", str(tmp_path / "lg")) == 0
    results = json.loads(latest_results_file(tmp_path / "lg").read_text())
    # random weights: no verdict parses, and the three non-empty samples are counted as such
    assert results["results"]["mlrm_safety_figstep"]["unparsed_rate,none"] == pytest.approx(3 / 4)
    assert results["mlrm_safety"]["judge"]["settings"]["vision"] is True


def test_group_rows_become_the_weighted_mean_of_their_subtasks():
    from mlrm_safety.rejudge import _restamp_groups

    results = {
        "results": {"grp": {"asr,none": 0.9, "asr_stderr,none": 0.1},
                    "a": {"asr,none": 0.5}, "b": {"asr,none": 0.2}},
        "group_subtasks": {"grp": ["a", "b"], "a": [], "b": []},
        "n-samples": {"a": {"original": 10, "effective": 10}, "b": {"original": 30, "effective": 30}},
    }
    _restamp_groups(results)
    assert results["results"]["grp"]["asr,none"] == pytest.approx((0.5 * 10 + 0.2 * 30) / 40)
    assert results["results"]["grp"]["asr_stderr,none"] == "N/A"
