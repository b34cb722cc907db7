"""The SQLite store: round trip, resume, interrupted trials, refusals, concurrency and faults."""

import multiprocessing
import sqlite3

import pytest

import spacedsl
from spacedsl.storage import Store, StoreError
from spacedsl.strategies import config_key
from spacedsl.storage import COMPLETE, FAILED, Trial

SPACE = """
x ~ uniform(-2, 2)
k in [1, 2.5, "a", true]
"""
GRID = "a in [1, 2, 3, 4, 5]; b in [10, 20, 30]"


def loss(c):
    return (c["x"] - 0.3) ** 2 + (0.5 if c["k"] == "a" else 0.0)


def grid_loss(c):
    return c["a"] * 100 + c["b"]


def test_round_trip(tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.create_or_load_study("s", SPACE, "random")
        params = {"x": 0.25, "k": True, "one": 1, "onef": 1.0, "t": (64, (1, "b")), "none": None}
        n0 = store.start_trial("s", params, seed=7)
        store.finish_trial("s", n0, 1.5, COMPLETE, duration=0.25)
        n1 = store.record("s", Trial(99, {"x": 1.0, "k": "a"}, None, FAILED, "ValueError: boom", 0.5))
        assert (n0, n1) == (0, 1)
    with Store(path) as store:  # a new connection reads what the first wrote
        [study] = store.studies()
        assert study["name"] == "s" and study["strategy"] == "random" and study["n_trials"] == 2
        assert study["space"] == spacedsl.dumps(spacedsl.parse(SPACE))
        a, b = store.trials("s")
    assert a == Trial(0, params, 1.5, COMPLETE, None, 0.25)
    assert config_key(a.params) == config_key(params)  # 1, 1.0, True and tuples survive
    assert type(a.params["one"]) is int and type(a.params["onef"]) is float and a.params["k"] is True
    assert b == Trial(1, {"x": 1.0, "k": "a"}, None, FAILED, "ValueError: boom", 0.5)
    assert list(a.params) == list(params)  # the order the function received
    with Store(path) as store:
        rows = store.trial_rows("s")
    assert [r["seed"] for r in rows] == [7, None]
    assert rows[0]["started"] <= rows[0]["finished"] and rows[0]["worker"]


def test_resume_random_counts_what_is_there(tmp_path):
    path = tmp_path / "runs.sqlite"
    first = spacedsl.minimize(loss, SPACE, strategy="random", n_trials=5, seed=1, storage=path)
    assert [t.number for t in first.trials] == [0, 1, 2, 3, 4]
    second = spacedsl.minimize(loss, SPACE, strategy="random", n_trials=10, seed=1, storage=path)
    assert [t.number for t in second.trials] == list(range(10))
    assert second.trials[:5] == first.trials  # the first five are unchanged
    assert second.best_value == min(t.value for t in second.trials if t.state == COMPLETE)
    # the resumed run drew new configurations instead of replaying the first ones
    assert len({config_key(t.params) for t in second.trials}) == 10
    again = spacedsl.minimize(loss, SPACE, strategy="random", n_trials=10, seed=1, storage=path)
    assert again.trials == second.trials  # the budget is spent: nothing more runs
    with Store(path) as store:
        assert len(store.trials("default")) == 10


def test_resume_grid_skips_done(tmp_path):
    path = tmp_path / "runs.sqlite"
    calls = []

    def f(c):
        calls.append(c)
        return grid_loss(c)

    spacedsl.minimize(f, GRID, strategy="grid", n_trials=5, storage=path, study="g")
    result = spacedsl.minimize(f, GRID, strategy="grid", n_trials=10, storage=path, study="g")
    expected = list(spacedsl.parse(GRID).grid())[:10]
    assert [t.params for t in result.trials] == expected
    assert calls == expected  # each configuration evaluated once
    assert result.best_params == {"a": 1, "b": 10}


def test_resume_grid_gives_the_uninterrupted_run(tmp_path):
    whole = spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=12, seed=3)
    path = tmp_path / "runs.sqlite"
    for n in (4, 5, 9, 12):
        resumed = spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=n, seed=3, storage=path)
    def key(trials):  # everything but the durations
        return [(t.number, t.params, t.value, t.state, t.error) for t in trials]

    assert key(resumed.trials) == key(whole.trials)


@pytest.mark.parametrize("strategy, space, first, total", [
    ("random", SPACE, 5, 10),
    ("sobol", SPACE, 5, 10),
    ("gp-ei", "x ~ uniform(-2, 2)\nk in [1, 2]", 4, 7),
])
def test_resume_exactly_n_no_duplicates(tmp_path, strategy, space, first, total):
    path = tmp_path / "runs.sqlite"

    def f(c):
        return (c["x"] - 0.3) ** 2 + (c["k"] if c["k"] in (1, 2) else 0.5)
    one = spacedsl.minimize(f, space, strategy=strategy, n_trials=first, seed=5, storage=path)
    two = spacedsl.minimize(f, space, strategy=strategy, n_trials=total, seed=5, storage=path)
    assert [t.number for t in two.trials] == list(range(total)) and two.trials[:first] == one.trials
    assert len({config_key(t.params) for t in two.trials}) == total
    assert all(t.state == COMPLETE for t in two.trials)
    with Store(path) as store:
        seeds = [r["seed"] for r in store.trial_rows("default")]
    assert seeds[:first] == [5] * first and len(set(seeds[first:])) == 1 and seeds[-1] != 5


def _leave_running(path):
    with Store(path) as store:
        store.create_or_load_study("s", GRID, "grid")
        store.record("s", Trial(0, {"a": 1, "b": 10}, 110.0, COMPLETE))
        store.start_trial("s", {"a": 1, "b": 20})  # then the process dies


def test_running_trial_of_dead_process_is_failed_on_reopen(tmp_path):
    path = tmp_path / "runs.sqlite"
    proc = multiprocessing.get_context("spawn").Process(target=_leave_running, args=(str(path),))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    with Store(path) as store:
        assert [t.state for t in store.trials("s")] == [COMPLETE, "running"]
        store.create_or_load_study("s", GRID, "grid")
        done, left = store.trials("s")
    assert done.state == COMPLETE and left.state == FAILED and left.error == "interrupted"
    # resuming offers the interrupted configuration again; the budget counts finished trials only
    result = spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=4, storage=path, study="s")
    assert [t.params for t in result.trials] == [{"a": 1, "b": 10}, {"a": 1, "b": 20}, {"a": 1, "b": 20},
                                                 {"a": 1, "b": 30}, {"a": 2, "b": 10}]
    assert [t.state for t in result.trials] == [COMPLETE, FAILED, COMPLETE, COMPLETE, COMPLETE]


def test_different_space_or_strategy_is_refused(tmp_path):
    path = tmp_path / "runs.sqlite"
    spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=3, storage=path)
    other = "a in [1, 2, 3]; b in [10, 20, 30]"
    with pytest.raises(StoreError, match=r"study 'default'.*different space.*new study name.*new_study=True"):
        spacedsl.minimize(grid_loss, other, strategy="grid", n_trials=3, storage=path)
    with pytest.raises(StoreError, match=r"study 'default'.*different strategy"):
        spacedsl.minimize(grid_loss, GRID, strategy="random", n_trials=3, storage=path)
    # the same space written differently is the same study
    spacedsl.minimize(grid_loss, "a in [1,2,3,4,5]\nb in [10,20,30]", strategy="grid", n_trials=4,
                      storage=path)
    # a new study name, or new_study=True, is the way out
    spacedsl.minimize(grid_loss, other, strategy="grid", n_trials=2, storage=path, study="other")
    result = spacedsl.minimize(grid_loss, other, strategy="grid", n_trials=2, storage=path, new_study=True)
    assert len(result.trials) == 2
    with Store(path) as store:
        assert {s["name"]: s["n_trials"] for s in store.studies()} == {"default": 2, "other": 2}


def _writer(path, worker):
    with Store(path) as store:
        store.create_or_load_study("p", GRID, "grid")
        for i in range(50):
            number = store.start_trial("p", {"a": worker, "b": i})
            store.finish_trial("p", number, float(i), COMPLETE)


def test_eight_processes_share_one_store(tmp_path):
    path = str(tmp_path / "runs.sqlite")
    with Store(path) as store:
        store.create_or_load_study("p", GRID, "grid")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 8
    with Store(path) as store:
        trials = store.trials("p")
    assert len(trials) == 400  # nothing lost
    assert sorted(t.number for t in trials) == list(range(400))  # no number given twice
    assert all(t.state == COMPLETE for t in trials)
    assert sorted((t.params["a"], t.params["b"]) for t in trials) == [(w, i) for w in range(8) for i in range(50)]


def test_garbage_file_is_a_store_error(tmp_path):
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"this is not a database, " * 100)
    with pytest.raises(StoreError, match="runs.sqlite.*not a database"):
        Store(path)
    with pytest.raises(StoreError, match="runs.sqlite"):
        spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=3, storage=path)
    assert path.read_bytes() == b"this is not a database, " * 100  # left as it was


def test_truncated_file_is_a_store_error(tmp_path):
    path = tmp_path / "runs.sqlite"
    spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=3, storage=path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3] if len(data) > 200 else data[:50])
    for extra in ("-wal", "-shm"):
        (tmp_path / f"runs.sqlite{extra}").unlink(missing_ok=True)
    with pytest.raises(StoreError, match="runs.sqlite"):
        Store(path).trials("default")


class _FullDisk:
    """A connection whose writes fail as on a full disk once ``armed``."""

    def __init__(self, conn):
        self._conn, self.armed = conn, False

    def execute(self, sql, *args):
        if self.armed and sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_disk_full_is_a_store_error_and_keeps_recorded_trials(tmp_path, monkeypatch):
    path = tmp_path / "runs.sqlite"
    before = spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=3, storage=path).trials
    real_init = Store.__init__
    wrappers = []

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self._conn = _FullDisk(self._conn)
        wrappers.append(self._conn)

    monkeypatch.setattr(Store, "__init__", init)
    calls = []

    def f(c):
        calls.append(c)
        wrappers[-1].armed = len(calls) >= 2  # the second trial's end cannot be written
        return grid_loss(c)

    with pytest.raises(StoreError, match=r"runs.sqlite.*disk is full"):
        spacedsl.minimize(f, GRID, strategy="grid", n_trials=8, storage=path)
    monkeypatch.undo()
    with Store(path) as store:
        trials = store.trials("default")
    assert [t.state for t in trials[:4]] == [COMPLETE] * 4  # the earlier trials, and the one before the fault
    assert tuple(trials[:3]) == before  # unchanged
    assert len(trials) == 5 and trials[4].state == "running"  # the trial whose end was lost


def test_read_only_store_reads_and_refuses_writes(tmp_path):
    path = tmp_path / "runs.sqlite"
    before = spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=3, storage=path).trials
    with Store(path, readonly=True) as store:
        assert tuple(store.trials("default")) == before
        with pytest.raises(StoreError, match=r"runs.sqlite.*read-only"):
            store.create_or_load_study("default", GRID, "grid")
        with pytest.raises(StoreError, match=r"runs.sqlite.*read-only"):
            store.start_trial("default", {"a": 1, "b": 10})
    with pytest.raises(StoreError, match="missing.sqlite"):
        Store(tmp_path / "missing.sqlite", readonly=True)
    with Store(path) as store:
        assert tuple(store.trials("default")) == before


def test_locked_store_is_a_store_error(tmp_path):
    path = tmp_path / "runs.sqlite"
    spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=2, storage=path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with Store(path, timeout=0.2) as store:
            assert len(store.trials("default")) == 2  # readers are not blocked in WAL mode
            with pytest.raises(StoreError, match=r"runs.sqlite.*locked"):
                store.start_trial("default", {"a": 1, "b": 30})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Store(path) as store:
        assert len(store.trials("default")) == 2


def test_interrupt_records_the_trial_and_resume_offers_it_again(tmp_path):
    path = tmp_path / "runs.sqlite"

    def f(c):
        if c == {"a": 1, "b": 30}:
            raise KeyboardInterrupt
        return grid_loss(c)

    with pytest.raises(KeyboardInterrupt):
        spacedsl.minimize(f, GRID, strategy="grid", n_trials=6, storage=path)
    with Store(path) as store:
        assert [(t.state, t.error) for t in store.trials("default")] == [
            (COMPLETE, None), (COMPLETE, None), (FAILED, "interrupted")]
    result = spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=6, storage=path)
    assert [t.params for t in result.trials] == [{"a": 1, "b": 10}, {"a": 1, "b": 20}, {"a": 1, "b": 30},
                                                 {"a": 1, "b": 30}, {"a": 2, "b": 10}, {"a": 2, "b": 20},
                                                 {"a": 2, "b": 30}]


def test_running_trial_of_a_closed_store_in_this_process_is_failed_on_reopen(tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.create_or_load_study("s", GRID, "grid")
        store.start_trial("s", {"a": 1, "b": 10})
        other = Store(path)
        other.create_or_load_study("s", GRID, "grid")  # the first store is still open: its trial runs on
        assert [t.state for t in other.trials("s")] == ["running"]
    other.create_or_load_study("s", GRID, "grid")  # now it is closed
    assert [(t.state, t.error) for t in other.trials("s")] == [(FAILED, "interrupted")]
    other.close()


def test_resume_a_large_grid_skips_every_done_configuration(tmp_path):
    path = tmp_path / "runs.sqlite"
    space = "a: int ~ uniform(0, 300)"  # 301 grid points; 250 done is more than MAX_SKIPS
    options = {"resolution": 301}
    f = lambda c: c["a"]  # noqa: E731
    with Store(path) as store:
        store.create_or_load_study("default", space, "grid")
        for c in list(spacedsl.parse(space).grid(resolution=301))[:250]:
            store.record("default", Trial(0, c, float(c["a"]), COMPLETE))
    result = spacedsl.minimize(f, space, strategy="grid", n_trials=252, storage=path,
                               strategy_options=options)
    assert [t.params["a"] for t in result.trials[-2:]] == [250, 251]


def test_create_or_load_study_refuses_with_the_way_out(tmp_path):
    with Store(tmp_path / "runs.sqlite") as store:
        assert store.create_or_load_study("s", GRID, "grid") == "s"
        assert store.create_or_load_study("s", spacedsl.parse(GRID), "grid") == "s"  # a Space too
        with pytest.raises(StoreError) as info:
            store.create_or_load_study("s", SPACE, "grid")
        assert isinstance(info.value, RuntimeError)
        message = str(info.value)
        assert "runs.sqlite" in message and "different space" in message
        assert "new study name" in message and "--new-study" in message
        store.create_or_load_study("s", SPACE, "random", new_study=True)
        assert [(s["name"], s["strategy"], s["n_trials"]) for s in store.studies()] == [("s", "random", 0)]


def test_a_store_without_the_seed_column_is_upgraded(tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.create_or_load_study("s", GRID, "grid")
        store.record("s", Trial(0, {"a": 1, "b": 10}, 110.0, COMPLETE))
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE trials DROP COLUMN seed")  # as an earlier version wrote it
    conn.commit()
    conn.close()
    with Store(path) as store:
        store.record("s", Trial(0, {"a": 1, "b": 20}, 120.0, COMPLETE), seed=3)
        assert [r["seed"] for r in store.trial_rows("s")] == [None, 3]
        assert [t.value for t in store.trials("s")] == [110.0, 120.0]


def test_a_file_the_system_will_not_let_us_write_is_a_store_error(tmp_path, monkeypatch):
    """As root, chmod does not stop writes: open every connection with ``mode=ro`` instead."""
    path = tmp_path / "runs.sqlite"
    before = spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=3, storage=path).trials
    real_connect = sqlite3.connect

    def connect(database, *args, uri=False, **kwargs):
        if not uri:
            database, uri = f"file:{database}?mode=ro", True
        return real_connect(database, *args, uri=uri, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    with Store(path) as store:  # not asked to be read-only: the file is
        assert tuple(store.trials("default")) == before
        with pytest.raises(StoreError, match=r"runs.sqlite.*read-?only"):
            store.start_trial("default", {"a": 1, "b": 10})
    with pytest.raises(StoreError, match=r"runs.sqlite.*read-?only"):
        spacedsl.minimize(grid_loss, GRID, strategy="grid", n_trials=5, storage=path)
    monkeypatch.undo()
    with Store(path) as store:
        assert tuple(store.trials("default")) == before


def test_heartbeats_keep_a_live_trial_and_a_stale_one_is_failed(tmp_path, monkeypatch):
    import time

    import spacedsl.storage.sqlite as store_module

    monkeypatch.setattr(store_module, "HEARTBEAT", 0.05)
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.create_or_load_study("s", GRID, "grid")
        number = store.start_trial("s", {"a": 1, "b": 10})
        (started,) = [r["heartbeat"] for r in store.trial_rows("s")]
        time.sleep(0.4)
        (beat,) = [r["heartbeat"] for r in store.trial_rows("s")]
        assert beat > started  # the thread refreshes the running trial's heartbeat
        store.finish_trial("s", number, 1.0, COMPLETE)
        # two trials of a process on another host: one beating, one silent for too long
        now = time.time()
        for n, beat in ((1, now), (2, now - store_module.STALE_AFTER - 60)):
            store._conn.execute("INSERT INTO trials (study, number, params, state, started, worker, heartbeat)"
                                " VALUES ('s', ?, '{}', 'running', ?, 'elsewhere:4242:token', ?)", (n, beat, beat))
    with Store(path) as store:
        store.create_or_load_study("s", GRID, "grid")
        assert [(t.state, t.error) for t in store.trials("s")] == [
            (COMPLETE, None), ("running", None), (FAILED, "interrupted")]


def test_a_store_path_that_cannot_be_a_file_says_why(tmp_path):
    with pytest.raises(StoreError, match="does not exist: create it first"):
        Store(tmp_path / "missing" / "runs.sqlite")
    with pytest.raises(StoreError, match="it is a directory"):
        Store(tmp_path)
