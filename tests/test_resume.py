"""A search killed with SIGKILL mid-way and run again: exactly n finished trials, none lost, none twice.

Each search runs in a subprocess (the real thing: a process that dies without any chance to
clean up), for ``random``, ``grid`` and ``gp-ei``, inline and with two worker processes.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from spacedsl.storage import Store
from spacedsl.strategies import config_key
from spacedsl.storage import COMPLETE, FAILED, INTERRUPTED

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")

SPACES = {
    "random": "x ~ uniform(-2, 2)\nk in [1, 2, 3]\n",
    "gp-ei": "x ~ uniform(-2, 2)\ny ~ uniform(-1, 1)\n",
    "grid": "a in [1, 2, 3, 4, 5, 6]\nb in [10, 20, 30]\n",
}
SCRIPT = textwrap.dedent("""
    import sys, time
    import spacedsl

    def objective(c):
        time.sleep(0.15)
        return sum(float(v) for v in c.values())

    if __name__ == "__main__":
        path, strategy, n, jobs, space = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        spacedsl.minimize(objective, space, strategy=strategy, n_trials=n, seed=3, storage=path,
                          study="s", n_jobs=jobs)
""")


def _command(tmp_path, strategy, n, jobs):
    script = tmp_path / "search.py"
    script.write_text(SCRIPT)
    return [sys.executable, str(script), str(tmp_path / "runs.sqlite"), strategy, str(n), str(jobs),
            SPACES[strategy]]


def _complete(path):
    if not path.exists():
        return []
    try:
        with Store(path, readonly=True) as store:
            if not store.studies():
                return []
            return [t for t in store.trials("s") if t.state == COMPLETE]
    except Exception:  # the store is being created right now
        return []


@pytest.mark.parametrize("strategy, jobs", [("random", 1), ("grid", 1), ("gp-ei", 1), ("random", 2), ("gp-ei", 2)])
def test_sigkill_mid_search_then_resume(tmp_path, strategy, jobs):
    n, path = 14, tmp_path / "runs.sqlite"
    command = _command(tmp_path, strategy, n, jobs)
    proc = subprocess.Popen(command, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_complete(path)) < 5:
        assert proc.poll() is None, "the search ended before it could be killed"
        assert time.monotonic() < deadline, "the search made no progress"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, with no chance to clean up
    proc.wait(30)
    before = {t.number: t for t in _complete(path)}
    assert 5 <= len(before) < n

    subprocess.run(command, check=True, timeout=120)
    with Store(path, readonly=True) as store:
        trials = store.trials("s")
    finished = [t for t in trials if t.state == COMPLETE or (t.state == FAILED and t.error != INTERRUPTED)]
    assert len(finished) == n  # the budget counts what was already there: exactly n at the end
    assert all(t.state == COMPLETE for t in finished)
    keys = [config_key(t.params) for t in finished]
    assert len(set(keys)) == n  # no configuration run twice
    for number, trial in before.items():  # no complete trial lost or changed
        assert trials[number] == trial
    assert not [t for t in trials if t.state == "running"]  # the dead run's trials were closed
    interrupted = [t for t in trials if t.error == INTERRUPTED]
    assert len(interrupted) <= jobs
    for t in interrupted:  # ... and their configurations were offered again
        assert config_key(t.params) in keys
    if strategy == "grid":
        assert sorted(keys) == sorted(config_key({"a": a, "b": b}) for a in range(1, 6) for b in (10, 20, 30)
                                      if (a - 1) * 3 + (b // 10 - 1) < n)
