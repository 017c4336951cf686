"""The wheel carries tasks, dataset cards, metric modules and model cards, and an installed
copy finds them from any directory (not only from a checkout)."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(out)],
        check=True, capture_output=True, text=True,
    )
    (built,) = out.glob("mlrm_safety-*.whl")
    return built


def test_wheel_carries_resources(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "mlrm_safety/_resources/tasks/figstep/mlrm_safety_figstep.yaml",
        "mlrm_safety/_resources/tasks/_jailbreak_template_yaml",
        "mlrm_safety/_resources/hub_datasets/figstep/README.md",
        "mlrm_safety/_resources/metrics/jailbreak_asr/jailbreak_asr.py",
        "mlrm_safety/cli.py",
    ):
        assert required in names, required
    assert any(n.startswith("mlrm_safety/_resources/model_cards/") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_finds_its_tasks_from_any_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True, capture_output=True, text=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c",
         "import mlrm_safety.resources as r, sys; print(r.tasks_dir()); print(r.card_template('figstep'))"],
        cwd=workdir, env=env, capture_output=True, text=True, check=True,
    )
    tasks_path, card_path = proc.stdout.split()
    assert Path(tasks_path).is_relative_to(target)
    assert Path(card_path).is_file() and Path(card_path).is_relative_to(target)
    listing = subprocess.run(
        [sys.executable, "-m", "mlrm_safety.cli", "tasks"],
        cwd=workdir, env=env, capture_output=True, text=True, check=True,
    )
    assert "mlrm_safety_figstep" in listing.stdout
    # The default judge's recorded agreement needs its artifact and the check-set files.
    described = subprocess.run(
        [sys.executable, "-c",
         "import json; from mlrm_safety.judges import get_judge; "
         "print(json.dumps(get_judge('cues').describe()['agreement']))"],
        cwd=workdir, env=env, capture_output=True, text=True, check=True,
    )
    measured = json.loads(described.stdout)
    from mlrm_safety.judges import get_judge

    assert measured == json.loads(json.dumps(get_judge("cues").describe()["agreement"]))
    assert measured["n"] > 0 and measured["generations"]
