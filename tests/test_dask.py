"""A real Dask cluster on loopback: a LocalCluster of two worker processes runs real searches.

The driver (this process) keeps the store and the strategy; the workers only fit and score.
"""

import json
import os

import pytest
from sklearn.datasets import load_iris
from sklearn.svm import SVC

import spacedsl
from spacedsl.cli import main
from spacedsl.storage import Store
from spacedsl.storage import COMPLETE

distributed = pytest.importorskip("distributed", reason="the test extra installs dask[distributed]")

X, Y = load_iris(return_X_y=True)
SPACE = "C ~ loguniform(1e-2, 1e2)\ngamma ~ loguniform(1e-3, 1)\n"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address="127.0.0.1:0", silence_logs=40)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_a_search_through_a_local_cluster_equals_the_inline_search(client, tmp_path):
    kwargs = dict(strategy="random", evaluator="kfold", n_trials=8, seed=3, test_size=0.2)
    inline = spacedsl.search(SVC(), SPACE, X, Y, **kwargs)
    path = tmp_path / "runs.sqlite"
    remote = spacedsl.search(SVC(), SPACE, X, Y, executor=client, storage=path, **kwargs)
    assert [(t.params, t.value) for t in remote.trials] == [(t.params, t.value) for t in inline.trials]
    assert [e.fold_scores for e in remote.evaluations] == [e.fold_scores for e in inline.evaluations]
    assert remote.test_score == inline.test_score
    with Store(path) as store:  # the driver kept every trial
        assert [t.state for t in store.trials("default")] == [COMPLETE] * 8


def test_gp_ei_runs_on_the_cluster_workers_not_the_driver(client):
    def where(config):
        return float(os.getpid()) + 0.0 * config["x"]

    result = spacedsl.minimize(where, "x ~ uniform(0, 1)", strategy="gp-ei", n_trials=10, executor=client)
    pids = {int(t.value) for t in result.trials}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2 and len(result.trials) == 10


def test_tune_with_a_scheduler_address(client, tmp_path, capsys):
    space = tmp_path / "svm.space"
    space.write_text(SPACE)
    status = main(["tune", str(space), "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris",
                   "--strategy", "gp-ei", "--trials", "6", "--storage", str(tmp_path / "runs.sqlite"),
                   "--scheduler", client.scheduler.address, "--json", "-q"])
    assert status == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_trials"] == 6 and out["study"] == "svm" and 0.8 < out["test_score"] <= 1.0
    assert not client.status == "closed"  # tune closed its own connection, not ours


def test_tune_says_when_the_scheduler_cannot_be_reached(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("spacedsl.cli.tune.SCHEDULER_TIMEOUT", 1)
    space = tmp_path / "svm.space"
    space.write_text(SPACE)
    status = main(["tune", str(space), "--estimator", "sklearn.svm.SVC", "--data", "builtin:iris",
                   "--trials", "2", "--scheduler", "tcp://127.0.0.1:9", "-q"])
    assert status == 2
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


class OddTrialsStopAtStep3:
    def prune(self, number, step, loss):
        return step >= 3 and number % 2 == 1


def reporting_loss(config, report):
    for step in range(1, 6):
        if report(step, config["x"] * step):
            return None
    return config["x"] * 5


def test_reports_from_dask_workers_reach_the_driver_and_stop_trials(client, tmp_path):
    kwargs = dict(strategy="random", n_trials=6, seed=1, prune=OddTrialsStopAtStep3())
    inline = spacedsl.minimize(reporting_loss, "x: float ~ uniform(0, 1)", **kwargs)
    remote = spacedsl.minimize(reporting_loss, "x: float ~ uniform(0, 1)", executor=client,
                               storage=tmp_path / "runs.sqlite", **kwargs)
    assert sorted((t.params["x"], t.state, t.value, t.step) for t in remote.trials) == \
        sorted((t.params["x"], t.state, t.value, t.step) for t in inline.trials)
    assert sum(t.state == "pruned" for t in remote.trials) == 3
