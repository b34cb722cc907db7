"""Smoke test of benchmarks/bench_early_stopping.py: its ``--quick`` run (1 seed, 1,500 rows, 9
configurations) finishes with a number for every task and method, so the script cannot rot.
Timings are printed by the script, never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from siblings import ROOT

pytest.importorskip("optuna", reason="the benchmark's Optuna peer needs optuna: "
                                     "pip install -r benchmarks/requirements-early-stopping.txt")

SCRIPT = ROOT / "benchmarks" / "bench_early_stopping.py"


def _quick(tmp_path, *extra):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", str(out), *extra],
                          capture_output=True, text=True, timeout=100)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, json.loads(out.read_text())


def test_quick_run_scores_every_task_with_the_peers(tmp_path):
    stdout, data = _quick(tmp_path, "--methods", "random,halving,optuna")
    assert set(data["summary"]) == {"hgb-max_iter", "mlp-max_iter", "rf-n_samples"}
    for task, rows in data["summary"].items():
        for method, row in rows.items():
            assert not row["errors"], (task, method, row["errors"])
            assert 0.5 < row["test"] <= 1.0 and 0.5 < row["best"] <= 1.0, (task, method, row)
            assert row["configs"] == 9, (task, method, row)  # the same number of configurations for everyone
        # HalvingRandomSearchCV's 9 candidates at 3 rungs of factor 3: 9 + 3 + 1 fits.
        assert rows["halving"]["trials"] == 13
        assert rows["optuna"]["pruned"] > 0  # its HyperbandPruner stopped some trials
        assert f"### {task}:" in stdout
    assert "| HalvingRandomSearchCV |" in stdout and "| Optuna TPE + HyperbandPruner |" in stdout
    # spacedsl's holdout validates on the very split the peers get.
    assert all(ours == theirs for ours, theirs in data["same_split"].values()), data["same_split"]
