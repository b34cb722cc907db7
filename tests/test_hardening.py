"""Regression tests for issue 14: what an attack on the parser, the store, the workers and the CLI found.

Each test is one of the issue's reproducers (or a close cousin) and the promise it broke.
"""

from __future__ import annotations

import math
import os
import time
import sqlite3

import joblib
import numpy as np
import pytest

import spacedsl
from spacedsl import DSLError
from spacedsl.language.parser import parse_statements
from spacedsl.running.workers import Workers
from spacedsl.storage import FULL, TAKEN

FILENAME = "attack.space"


def parse(text):
    return spacedsl.parse(text, filename=FILENAME)


def check_then_sample(text, n=5):
    """What `check` promises: the file is refused with a placed DSLError, or it samples finite values."""
    try:
        space = parse(text)
    except DSLError as err:
        assert err.filename == FILENAME and err.line == 1 and err.column >= 1, str(err)
        assert str(err).startswith(f"{FILENAME}:1:"), str(err)
        return err
    configs = space.sample(n, seed=0)
    assert len(configs) == n
    for config in configs:
        for value in config.values():
            assert not isinstance(value, float) or math.isfinite(value), config
        space.validate(config)
    return space


# ============================================ a file `check` accepts must sample


@pytest.mark.parametrize("text", [
    "x ~ scipy.gamma(a=100000000000000000000, scale=10)",
    f"x ~ scipy.poisson({10**20})",
    f"x ~ scipy.norm({10**20})",
    f"x: int ~ scipy.norm({10**20}, {10**19})",
    f"x ~ scipy.gamma({2**64 + 1})",
])
def test_scipy_arguments_past_int64_sample(text):
    check_then_sample(text)


@pytest.mark.parametrize("text, word", [
    ("x ~ scipy.geninvgauss(1e10, 1e-10)", "ValueError"),
    ("x ~ scipy.gausshyper(1e5, 1e5, 1e5, 1e5)", "ValueError"),
    ("x ~ scipy.norminvgauss(1e300, 0)", "OverflowError"),
    ("x ~ scipy.dpareto_lognorm(0, 1, 1e-300, 1e-300)", "RuntimeError"),
    ("x ~ scipy.rel_breitwigner(1e-300)", ""),
    ("x ~ scipy.kappa4(1e10, -1e10)", "not finite"),
    ("x ~ normal(0, 1.7e308)", "not finite"),
    ("x ~ expon(1e308, loc=1e308)", "not finite"),
])
def test_scipy_failures_are_errors_at_the_call(text, word):
    with pytest.raises(DSLError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column) == (1, 5), str(err)
    assert word in err.message, err.message
    assert "Traceback" not in str(err)


def test_a_distribution_too_slow_to_draw_from_is_refused_at_load():
    with pytest.raises(DSLError) as info:
        parse("x ~ scipy.studentized_range(1e6, 1e-3)")
    assert "too slow" in info.value.message and (info.value.line, info.value.column) == (1, 5)


@pytest.mark.parametrize("text", [f"x ~ scipy.binom({2**70}, 0.5)"])
def test_a_distribution_stuck_in_compiled_code_is_refused_at_load(text):
    """scipy's discrete quantile searches never return to Python with these shapes: the probe's
    child process is given up on (and killed), the load is not."""
    with pytest.raises(DSLError) as info:
        parse(text)
    assert "too slow" in info.value.message and (info.value.line, info.value.column) == (1, 5)


def test_the_probe_leaves_no_trace_function_behind():
    import sys
    before = sys.gettrace()
    with pytest.raises(DSLError):
        parse("x ~ scipy.studentized_range(1e6, 1e-3)")
    parse("x ~ scipy.gamma(2)")
    assert sys.gettrace() is before


class _HoleyPpf:
    """A plugin distribution whose ppf is not finite on a band of quantiles the probe does not see."""

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        return np.where((u > 0.3) & (u < 0.4), np.inf, u)

    def cdf(self, x):
        return np.clip(np.asarray(x, dtype=float), 0, 1)

    def support(self):
        return 0.0, 1.0

    def rvs(self, size=None, random_state=None):
        return self.ppf(np.random.default_rng(random_state).random(size))


def holey():
    return _HoleyPpf()


def test_a_draw_that_is_not_finite_is_a_dsl_error_at_the_call():
    statements, source = parse_statements("y in [1, 2]\nx ~ holey()", FILENAME)
    space = spacedsl.Space.from_statements(statements, source, distributions={"holey": holey})
    with pytest.raises(DSLError) as info:
        space.sample(200, seed=0)
    err = info.value
    assert (err.filename, err.line, err.column) == (FILENAME, 2, 5), str(err)
    assert "not finite" in err.message and "holey" in err.message


def test_uniform_over_the_whole_float_range_is_accepted():
    space = parse("x ~ uniform(1e-300, 1.7976931348623157e308)")
    for config in space.sample(100, seed=0):
        assert 1e-300 <= config["x"] <= 1.7976931348623157e308
    space = parse("x ~ uniform(-1.7976931348623157e308, 1.7976931348623157e308)")
    values = [c["x"] for c in space.sample(100, seed=0)] + [c["x"] for c in space.grid(resolution=5)]
    assert all(math.isfinite(v) for v in values)
    assert min(values) == -1.7976931348623157e308 and max(values) == 1.7976931348623157e308
    assert space.to_unit([{"x": 0.0}])[0, 0] == pytest.approx(0.5)
    parse("x ~ loguniform(1e-300, 1.7976931348623157e308)").sample(10, seed=0)


@pytest.mark.parametrize("value", ["1e308", "-1e308", "1.7976931348623157e308"])
def test_a_default_too_far_outside_a_float_range_is_a_dsl_error(value):
    with pytest.raises(DSLError) as info:
        parse(f"x in 0..0.1 step 0.1 = {value}")
    assert (info.value.line, info.value.column) == (1, 24) and "not in the domain of 'x'" in info.value.message
    space = parse("x in 0..0.1 step 0.1 = 0.1")
    space.validate({"x": 0.1})
    with pytest.raises(ValueError, match="'x' must be one of 0..0.1 step 0.1"):
        space.validate({"x": float(value)})


# ============================================================== sizes that blow up


def test_sample_too_many_is_refused_up_front_with_the_size():
    space = parse("x ~ uniform(0, 1)\ny in [1, 2]")
    with pytest.raises(ValueError) as info:
        space.sample(10**8, seed=0)
    assert "100,000,000" in str(info.value) and "GB" in str(info.value) and "iter_sample" in str(info.value)


def test_iter_sample_streams_what_sample_returns():
    space = parse("x ~ uniform(0, 1)\ny in [1, 2]\nwhere x > 0.5 or y == 1")
    assert list(space.iter_sample(500, seed=3)) == space.sample(500, seed=3)
    stream = space.iter_sample(10**12, seed=0)  # lazily: nothing drawn beyond what is asked for
    first = [next(stream) for _ in range(3)]
    assert first == space.sample(3, seed=0)


def test_grid_resolution_too_high_is_refused_up_front_with_the_size():
    space = parse("x ~ uniform(0, 1)\ny ~ normal(0, 1)")
    with pytest.raises(ValueError) as info:
        space.grid(resolution=10**9)
    assert "1,000,000,000" in str(info.value) and "GB" in str(info.value)
    assert sum(1 for _ in parse("x in [1, 2]").grid(resolution=10**9)) == 2  # no distribution: nothing to refuse


def test_cli_sample_and_grid_sizes(tmp_path):
    import subprocess
    import sys
    path = tmp_path / "two.space"
    path.write_text("x ~ uniform(0, 1)\ny in [1, 2]\n")
    run = subprocess.run([sys.executable, "-m", "spacedsl", "grid", str(path), "--resolution", str(10**9)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "1,000,000,000" in run.stderr and "Traceback" not in run.stderr
    head = subprocess.run(f"{sys.executable} -m spacedsl sample {path} -n {10**8} | head -n 3", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert len(head.stdout.splitlines()) == 3 and "Traceback" not in head.stderr


# ==================================================== constraints decided exactly

SEVEN = "".join(f"p{i} in 0..9\n" for i in range(7)) + "where " + " and ".join(f"p{i} == 9" for i in range(7))
SIX = "".join(f"p{i} in 0..9\n" for i in range(6)) + "where " + " and ".join(f"p{i} == 9" for i in range(6))


@pytest.mark.parametrize("text", [SEVEN, SIX], ids=["10^7", "10^6"])
def test_one_feasible_configuration_is_accepted_and_sampled(text):
    space = parse(text)
    configs = space.sample(5, seed=0)
    assert all(set(c.values()) == {9} for c in configs)
    assert [c for c in space.grid()] == configs[:1]


def test_narrowing_is_exact_with_conditional_parameters():
    text = ("a in [0, 1]\nif a == 1 {\n    " + "\n    ".join(f"p{i} in 0..9" for i in range(7)) + "\n}\n"
            "where a == 1 and " + " and ".join(f"p{i} >= 9" for i in range(7)))
    space = parse(text)
    for config in space.sample(5, seed=1):
        assert config == {"a": 1, **{f"p{i}": 9 for i in range(7)}}
    with pytest.raises(DSLError) as info:
        parse(text.replace("p6 >= 9", "p6 >= 10"))
    assert info.value.line == text.count("\n") + 1 and "no configuration satisfies it" in info.value.message


def test_exact_sampling_draws_rejection_samplings_distribution():
    # 6 free parameters and a 10^-4 feasible fraction: the exact table, not rejection, serves these
    text = "".join(f"p{i} in 0..9\n" for i in range(6)) + "where p0 + p1 + p2 + p3 == 0 and p4 < 5"
    space = parse(text)
    configs = space.sample(4000, seed=0)
    assert all(c["p0"] == c["p1"] == c["p2"] == c["p3"] == 0 and c["p4"] < 5 for c in configs)
    counts = np.bincount([c["p4"] for c in configs], minlength=5)
    assert counts.min() > 650  # uniform over 0..4 (800 each)
    assert len({c["p5"] for c in configs}) == 10


def test_sampling_failure_is_a_dsl_error_at_the_constraint():
    text = "x ~ uniform(0, 1)\ny ~ uniform(0, 1)\nwhere x < 0.001 and y < 0.1"  # feasible, 1 in 10^4
    space = parse(text)
    with pytest.raises(DSLError) as info:
        space.sample(10_000, seed=0)
    assert (info.value.line, info.value.filename) == (3, FILENAME)


# ================================================ an untrusted or damaged store


def _good_store(path):
    with spacedsl.Store(path) as store:
        store.create_or_load_study("s", "x in [1, 2]", "random")
        for number, value in ((0, 0.5), (1, 0.25)):
            store.record("s", spacedsl.Trial(number, {"x": number + 1}, value, "complete", None, 0.1))
    return path


def _damage(path, *sql):
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in sql:
            conn.execute(statement)
    finally:
        conn.close()


def _reads(path):
    """Every way a store is read: open (writable and read-only), list, trials, rows, and resume."""
    def opened(readonly):
        with spacedsl.Store(path, readonly=readonly) as store:
            store.studies()
            for study in store.studies():
                store.trials(study["name"])
                store.trial_rows(study["name"])
    yield "open", lambda: opened(False)
    yield "open read-only", lambda: opened(True)
    yield "resume", lambda: spacedsl.minimize(lambda c: 0.0, "x in [1, 2]", strategy="random", n_trials=3,
                                              storage=path, study="s")


DAMAGE = {
    "params-deep": "UPDATE trials SET params = '" + "[" * 100_000 + "' WHERE number = 1",
    "params-not-json": "UPDATE trials SET params = 'not json' WHERE number = 1",
    "params-bad-tuple": """UPDATE trials SET params = '{"x": {"__tuple__": 5}}' WHERE number = 1""",
    "params-a-list": "UPDATE trials SET params = '[1, 2]' WHERE number = 1",
    "params-huge-int": """UPDATE trials SET params = '{"x": """ + "9" * 5000 + """}' WHERE number = 1""",
    "params-bytes": "UPDATE trials SET params = X'7b2278223a20ff7d' WHERE number = 1",
    "value-text": "UPDATE trials SET value = 'abc' WHERE number = 1",
    "duration-text": "UPDATE trials SET duration = 'abc' WHERE number = 1",
    "started-text": "UPDATE trials SET started = 'abc' WHERE number = 1",
    "number-text": "UPDATE trials SET number = 'one' WHERE number = 1",
    "info-not-json": "UPDATE trials SET info = '{' WHERE number = 1",
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_trial_is_one_store_error_naming_the_file_and_the_row(tmp_path, damage):
    path = str(_good_store(tmp_path / "runs.sqlite"))
    _damage(path, DAMAGE[damage])
    failures = 0
    for doing, read in _reads(path):
        try:
            read()
        except spacedsl.StoreError as exc:
            failures += 1
            assert path in str(exc) and ("trial 1 " in str(exc) or "number 'one'" in str(exc)), (doing, str(exc))
    assert failures, "the damage went unnoticed"


def test_a_damaged_study_row_is_a_store_error(tmp_path):
    path = str(_good_store(tmp_path / "runs.sqlite"))
    _damage(path, "UPDATE studies SET created = 'abc'")
    with pytest.raises(spacedsl.StoreError) as info:
        with spacedsl.Store(path, readonly=True) as store:
            store.studies()
    assert path in str(info.value) and "study 's'" in str(info.value)


RECURSIVE = ("CREATE VIEW trials AS WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM r) "
             "SELECT 's' AS study, n AS number, '{}' AS params, NULL AS value, 'complete' AS state, NULL AS error, "
             "0 AS started, NULL AS finished, NULL AS duration, NULL AS seed, NULL AS worker, NULL AS info, "
             "NULL AS heartbeat FROM r")


@pytest.mark.parametrize("sql", [
    ("DROP TABLE trials", RECURSIVE),
    ("DROP TABLE studies", "CREATE VIEW studies AS SELECT 1 AS name"),
    ("DROP TABLE trials", "CREATE TABLE trials (study TEXT, number INTEGER)"),
    ("CREATE TRIGGER t AFTER INSERT ON trials BEGIN DELETE FROM studies; END",),
], ids=["recursive-view", "view-studies", "foreign-trials", "trigger"])
def test_a_store_whose_schema_is_not_ours_is_refused_before_it_is_queried(tmp_path, sql):
    path = str(_good_store(tmp_path / "runs.sqlite"))
    _damage(path, *sql)
    for readonly in (False, True):
        with pytest.raises(spacedsl.StoreError) as info:
            spacedsl.Store(path, readonly=readonly)
        assert path in str(info.value) and "not a spacedsl store" in str(info.value)


def test_byte_flips_end_in_a_store_error_or_in_data(tmp_path):
    good = _good_store(tmp_path / "good.sqlite").read_bytes()
    rng = np.random.default_rng(0)
    for k in range(40):
        data = bytearray(good)
        for i in rng.integers(0, len(data), size=200 if k % 2 else 5):
            data[i] = rng.integers(0, 256)
        path = tmp_path / f"flipped{k}.sqlite"
        path.write_bytes(bytes(data))
        for doing, read in _reads(str(path)):
            try:
                read()
            except spacedsl.StoreError as exc:
                assert str(path) in str(exc), (k, doing, str(exc))


def test_cli_listings_of_a_damaged_store_are_one_line(tmp_path):
    import subprocess
    import sys
    path = str(_good_store(tmp_path / "runs.sqlite"))
    _damage(path, DAMAGE["params-deep"])
    for command in (["studies", path], ["trials", path]):
        run = subprocess.run([sys.executable, "-m", "spacedsl", *command], capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and "Traceback" not in run.stderr and path in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr


# ================================================== the budget and the processes

WORKER = """
import sys, time, spacedsl
def loss(config):
    time.sleep(0.02)
    return config["x"] / 100
spacedsl.minimize(loss, "x in 0..99", strategy="random", n_trials=15, seed=int(sys.argv[2]),
                  storage=sys.argv[1], study="shared")
"""


def test_the_budget_is_the_studys_across_processes(tmp_path):
    import subprocess
    import sys
    path = str(tmp_path / "runs.sqlite")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [subprocess.Popen([sys.executable, str(script), path, str(seed)], stderr=subprocess.PIPE, text=True)
             for seed in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=110)
        assert proc.returncode == 0, err
    with spacedsl.Store(path, readonly=True) as store:
        trials = store.trials("shared")
    finished = [t for t in trials if t.finished]
    assert len(finished) == 15, [(t.number, t.state, t.error) for t in trials]
    keys = [t.params["x"] for t in trials if t.state == "complete"]
    assert len(keys) == len(set(keys)), sorted(keys)  # no configuration handed to two processes


def test_start_trial_counts_running_trials_and_refuses_taken_configurations(tmp_path):
    path = str(tmp_path / "runs.sqlite")
    with spacedsl.Store(path) as a, spacedsl.Store(path) as b:
        a.create_or_load_study("s", "x in 0..9", "random")
        first = a.start_trial("s", {"x": 1}, budget=2, unique=True)
        assert b.start_trial("s", {"x": 1}, budget=2, unique=True) == TAKEN
        assert b.start_trial("s", {"x": 2}, budget=2, unique=True) == 1
        assert b.start_trial("s", {"x": 3}, budget=2, unique=True) == FULL
        a.finish_trial("s", first, None, "failed", "interrupted")  # interrupted: no longer counted
        assert b.start_trial("s", {"x": 1}, budget=2, unique=True) == 2


def test_an_objective_calling_sys_exit_fails_its_trial_and_the_search_goes_on():
    def fn(config):
        if config["x"] == 2:
            raise SystemExit(3)
        return float(config["x"])
    result = spacedsl.minimize(fn, "x in [1, 2, 3]", strategy="grid", n_trials=3)
    failed = [t for t in result.trials if t.state == "failed"]
    assert len(failed) == 1 and "SystemExit" in failed[0].error and "3" in failed[0].error
    assert result.best_value == 1.0


def test_an_objective_raising_keyboard_interrupt_stops_the_search_resumably(tmp_path):
    path = str(tmp_path / "runs.sqlite")

    def fn(config):
        if config["x"] == 2:
            raise KeyboardInterrupt
        return float(config["x"])
    with pytest.raises(KeyboardInterrupt):
        spacedsl.minimize(fn, "x in [1, 2, 3]", strategy="grid", n_trials=3, storage=path, study="s")
    with spacedsl.Store(path, readonly=True) as store:
        states = [(t.params["x"], t.state, t.error) for t in store.trials("s")]
    assert states == [(1, "complete", None), (2, "failed", "interrupted")]
    result = spacedsl.minimize(lambda c: float(c["x"]), "x in [1, 2, 3]", strategy="grid", n_trials=3,
                               storage=path, study="s")
    assert sorted(t.params["x"] for t in result.trials if t.state == "complete") == [1, 2, 3]


@pytest.mark.parametrize("n_jobs", [-99999, 0, 2.5, True, "2"])
def test_nonsense_n_jobs_is_refused(n_jobs):
    with pytest.raises(ValueError, match="n_jobs"):
        spacedsl.minimize(lambda c: 0.0, "x in [1, 2]", strategy="random", n_trials=1, n_jobs=n_jobs)


def test_n_jobs_beyond_the_cores_is_capped():
    workers = Workers(99999)
    try:
        assert workers.capacity == joblib.cpu_count()
    finally:
        workers.close()


@pytest.mark.parametrize("rows, extra, words", [
    ("1,2,0\n", [], ["one.csv has 1 row"]),
    ("1,2,0\n3,4,0\n5,6,0\n7,8,0\n9,1,0\n2,2,0\n", [], ["one class", "--target"]),
    ("1,2,0\n3,4,1\n5,6,0\n", [], ["class '1'", "--test-size"]),
    ("1,2,0\n3,4,1\n5,6,0\n", ["--test-size", "0"], ["5-fold", "--evaluator holdout"]),
    ("1,2,0\n3,4,1\n5,6,0\n2,2,1\n1,1,0\n4,4,1\n", [], ["5-fold", "--test-size", "--evaluator holdout"]),
])
def test_degenerate_csvs_name_the_file_and_the_flag(tmp_path, rows, extra, words):
    import subprocess
    import sys
    (tmp_path / "one.csv").write_text("a,b,y\n" + rows)
    (tmp_path / "tree.space").write_text("max_depth in [1, 2]\n")
    run = subprocess.run([sys.executable, "-m", "spacedsl", "tune", "tree.space", "--estimator",
                          "sklearn.tree.DecisionTreeClassifier", "--data", "one.csv", "--target", "y", "--trials", "2",
                          "-q", *extra], capture_output=True, text=True, timeout=110, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "one.csv" in run.stderr, run.stderr
    for word in words:
        assert word in run.stderr, run.stderr


def test_a_full_disk_leaves_no_trial_running_once_the_store_is_opened_again(tmp_path, monkeypatch):
    path = str(tmp_path / "runs.sqlite")
    real = spacedsl.Store.finish_trial
    calls = []

    def finish(self, study, number, *args, **kwargs):
        calls.append(number)
        if len(calls) == 3:  # the disk fills up as the third trial is recorded
            with self._errors(f"record trial {number} of study {study!r}"):
                raise sqlite3.OperationalError("database or disk is full")
        return real(self, study, number, *args, **kwargs)

    monkeypatch.setattr(spacedsl.Store, "finish_trial", finish)
    with pytest.raises(spacedsl.StoreError, match="disk is full"):
        spacedsl.minimize(lambda c: c["x"], "x ~ uniform(0, 1)", strategy="random", n_trials=5, storage=path,
                          study="s")
    monkeypatch.setattr(spacedsl.Store, "finish_trial", real)
    with spacedsl.Store(path) as store:
        store.create_or_load_study("s", "x ~ uniform(0, 1)", "random")
        assert [(t.number, t.state, t.error) for t in store.trials("s") if t.state != "complete"] == \
            [(2, "failed", "interrupted")]
    result = spacedsl.minimize(lambda c: c["x"], "x ~ uniform(0, 1)", strategy="random", n_trials=5, storage=path,
                               study="s")
    assert sum(t.finished for t in result.trials) == 5


DRIVER = """
import sys, time, spacedsl
def slow(config):
    time.sleep(600)
    return 0.0
spacedsl.minimize(slow, "x in [1, 2, 3, 4]", strategy="grid", n_trials=4, n_jobs=2)
"""


def _children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc") or os.cpu_count() is None or os.cpu_count() < 2,
                    reason="needs /proc and two cores for a two-worker pool")
def test_loky_workers_exit_when_their_driver_is_killed(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    driver = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 100
        workers = []
        while time.monotonic() < deadline and len(workers) < 2:  # the pool's workers (and its tracker)
            time.sleep(0.5)
            workers = [p for p in _children(driver.pid)
                       if "loky" in open(f"/proc/{p}/cmdline", "rb").read().decode(errors="replace")]
        assert len(workers) >= 2, "the pool did not start"
        time.sleep(1.5)  # the workers' initializer has run (their tasks sleep)
    finally:
        driver.kill()
        driver.wait()
    deadline = time.monotonic() + 100
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.5)
    assert not [p for p in workers if _alive(p)], "workers outlived their driver"


def test_cli_jobs_beyond_the_cores_is_refused_in_one_line(tmp_path):
    import subprocess
    import sys
    (tmp_path / "tree.space").write_text("max_depth in [1, 2]\n")
    run = subprocess.run([sys.executable, "-m", "spacedsl", "tune", "tree.space", "--estimator",
                          "sklearn.tree.DecisionTreeClassifier", "--data", "builtin:iris", "--trials", "2", "-q",
                          "--jobs", str(-(joblib.cpu_count() + 4))], capture_output=True, text=True, timeout=110,
                         cwd=tmp_path)
    assert run.returncode == 2 and "leaves no worker" in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
