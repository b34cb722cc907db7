"""Smoke test of benchmarks/bench_early_stopping.py: its ``--quick`` run (1 seed, 1,500 rows, 9
configurations) finishes with a number for every task and method, so the script cannot rot.
Timings are printed by the script, never asserted here. The ``n_jobs=2`` row (a loky pool's
start-up, seconds on a busy machine) runs on one task, in a test of its own."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from siblings import ROOT

pytest.importorskip("optuna", reason="the benchmark's Optuna peer needs optuna: "
                                     "pip install -r benchmarks/requirements-early-stopping.txt")

SCRIPT = ROOT / "benchmarks" / "bench_early_stopping.py"
TASKS = {"hgb-max_iter", "mlp-max_iter", "rf-n_samples"}
ONE_JOB = "asha,asha-gp,hyperband,hyperband-gp,random,halving,optuna"


def _quick(tmp_path, *extra):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", str(out), *extra],
                          capture_output=True, text=True, timeout=110)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, json.loads(out.read_text())


def test_quick_run_scores_every_task_and_method(tmp_path):
    stdout, data = _quick(tmp_path, "--methods", ONE_JOB)
    assert set(data["summary"]) == TASKS
    for task, rows in data["summary"].items():
        assert set(rows) == set(ONE_JOB.split(","))
        for method, row in rows.items():
            assert not row["errors"], (task, method, row["errors"])
            assert 0.5 < row["test"] <= 1.0 and 0.5 < row["best"] <= 1.0, (task, method, row)
        # The same 9 configurations for everyone but hyperband, which runs one pass over its
        # brackets: 9 + 5 + 3 configurations in 13 + 6 + 3 trials (factor 3, budgets 1x, 3x, 9x).
        for method in ("asha", "asha-gp", "random", "halving", "optuna"):
            assert rows[method]["configs"] == 9, (task, method, rows[method])
        assert (rows["hyperband"]["configs"], rows["hyperband"]["trials"]) == (17, 22)
        assert rows["halving"]["trials"] == 13  # HalvingRandomSearchCV: 9 + 3 + 1 fits
        assert rows["random"]["pruned"] == 0
        # Early stopping stopped something: hyperband's lower rungs all end pruned (17 of 22).
        assert rows["hyperband"]["pruned"] == 17 and rows["hyperband-gp"]["pruned"] == 17
        assert rows["asha"]["pruned"] > 0 and rows["optuna"]["pruned"] > 0
        for method in ("asha", "asha-gp", "hyperband", "hyperband-gp"):
            assert rows[method]["speedup"] > 0, (task, method)  # random's time to its test score, over its own
        assert f"### {task}:" in stdout
    assert "| HalvingRandomSearchCV |" in stdout and "| Optuna TPE + HyperbandPruner |" in stdout
    assert "### Goals" in stdout
    # spacedsl's holdout validates on the very split the peers get.
    assert all(ours == theirs for ours, theirs in data["same_split"].values()), data["same_split"]


def test_quick_run_compares_two_workers_with_one(tmp_path):
    stdout, data = _quick(tmp_path, "--tasks", "mlp-max_iter", "--methods", "asha,asha-2jobs")
    rows = data["summary"]["mlp-max_iter"]
    assert not rows["asha"]["errors"] and not rows["asha-2jobs"]["errors"]
    # 9 configurations with 1 worker or 2.
    assert rows["asha-2jobs"]["configs"] == rows["asha"]["configs"] == 9
    assert rows["asha"]["trials_per_s"] > 0 and rows["asha-2jobs"]["trials_per_s"] > 0
    assert "| mlp-max_iter |" in stdout.split("asha trials per second")[1]
    # --tables-from prints the same tables from the saved JSON, without running anything.
    again = subprocess.run([sys.executable, str(SCRIPT), "--tables-from", str(tmp_path / "bench.json")],
                           capture_output=True, text=True, timeout=60, check=True).stdout
    assert again.split("Same-split check")[0] == stdout.split("Same-split check")[0]
