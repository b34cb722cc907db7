"""`spacedsl studies` and `spacedsl trials`: real stores in tmp_path, listed through
`spacedsl.cli.main` (and once as `python -m spacedsl`)."""

import csv
import datetime
import io
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from spacedsl.cli import main
from spacedsl.storage import Store
from spacedsl.storage import COMPLETE, FAILED, Trial

REPO = pathlib.Path(__file__).resolve().parent.parent

SPACE = 'x ~ uniform(-2, 2)\nk in [1, 2.5, "a", true]\n'
TRIAL_HEADER = ["number", "state", "value", "duration", "started", "seed", "error"]
LONG_ERROR = "ValueError: " + "w" * 100 + "\nsecond line of the message"


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def json_lines(out):
    return [json.loads(line) for line in out.splitlines()]


def table(out):
    """The rows of a table as lists of cells: columns are where some line has text, two spaces
    apart (a single space is inside a cell)."""
    lines = out.splitlines()
    width = max(len(line) for line in lines)
    lines = [line.ljust(width) for line in lines]
    mask = "".join("x" if any(line[p] != " " for line in lines) else " " for p in range(width))
    spans = [m.span() for m in re.finditer(r"x+(?: x+)*", mask)]
    return [[line[a:b].strip() for a, b in spans] for line in lines]


def iso_now(text):
    """``text`` is an ISO time with a UTC offset, within a minute of now."""
    when = datetime.datetime.fromisoformat(text)
    assert when.tzinfo is not None
    assert abs(when.timestamp() - time.time()) < 60
    return when


@pytest.fixture
def db(tmp_path):
    """A store of one study, "demo": complete, failed and running trials, odd parameter values."""
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.create_or_load_study("demo", SPACE, "random")
        store.record("demo", Trial(0, {"x": 0.25, "k": "a"}, 1.5, COMPLETE, duration=0.5), seed=7)
        store.record("demo", Trial(1, {"x": 1.0, "k": True, "t": (64, (1, "b"))}, 0.125, COMPLETE,
                                   duration=2.25), seed=7)
        store.record("demo", Trial(2, {"x": -1.0, "k": 2.5}, None, FAILED, "ValueError: boom", 0.75), seed=7)
        store.record("demo", Trial(3, {"x": 0.5, "k": 1, "none": None}, None, FAILED, LONG_ERROR, 0.1))
        store.start_trial("demo", {"x": 1.5, "k": "a"}, seed=7)  # left running by a store now closed
    return path


def add_study(path, name, values, direction="minimize", strategy="random"):
    with Store(path) as store:
        store.create_or_load_study(name, SPACE, strategy, direction=direction)
        for v in values:
            store.record(name, Trial(0, {"x": 0.0, "k": 1}, v, COMPLETE if v is not None else FAILED,
                                     None if v is not None else "ValueError: no"))


# ------------------------------------------------------------------ studies
def test_studies_table(capsys, db):
    add_study(db, "scores", [0.5, 0.9, None, 0.7], direction="maximize", strategy="gp-ei")
    status, out, err = run(capsys, "studies", db)
    assert (status, err) == (0, "")
    rows = table(out)
    assert rows[0] == ["name", "strategy", "direction", "trials", "complete", "pruned", "failed", "running", "best",
                       "created"]
    # the trial left running by a closed store is read as interrupted (failed)
    assert rows[1][:9] == ["demo", "random", "minimize", "5", "2", "0", "3", "0", "0.125"]
    assert rows[2][:9] == ["scores", "gp-ei", "maximize", "4", "3", "0", "1", "0", "0.9"]  # best is the max
    for row in rows[1:]:
        iso_now(row[9])
    lines = out.splitlines()
    assert len({len(line) for line in lines[1:]}) == 1  # aligned
    assert all(line == line.rstrip() for line in lines)


def test_studies_json(capsys, db):
    add_study(db, "empty", [])
    status, out, err = run(capsys, "studies", db, "--json")
    assert (status, err) == (0, "")
    demo, empty = json_lines(out)
    created = demo.pop("created")
    assert demo == {"name": "demo", "strategy": "random", "direction": "minimize", "trials": 5,
                    "complete": 2, "pruned": 0, "failed": 3, "running": 0, "best": 0.125}
    iso_now(created)
    assert empty["trials"] == 0 and empty["best"] is None


def test_studies_of_an_empty_store_is_just_the_header(capsys, tmp_path):
    path = tmp_path / "new.sqlite"
    Store(path).close()
    status, out, err = run(capsys, "studies", path)
    assert status == 0
    assert out.split() == ["name", "strategy", "direction", "trials", "complete", "pruned", "failed", "running",
                           "best", "created"]
    assert run(capsys, "studies", path, "--json")[1] == ""


# ------------------------------------------------------------------- trials
def test_trials_table(capsys, db):
    status, out, err = run(capsys, "trials", db)  # the only study: no --study needed
    assert (status, err) == (0, "")
    rows = table(out)
    assert rows[0] == TRIAL_HEADER + ["param_x", "param_k", "param_t", "param_none"]  # first appearance
    by_number = {row[0]: row for row in rows[1:]}
    assert list(by_number) == ["0", "1", "2", "3", "4"]
    number, state, value, duration, started, seed, error, x, k, t, none = by_number["0"]
    assert (state, value, duration, seed, error, x, k, t, none) == (
        "complete", "1.5", "0.500", "7", "", "0.25", "a", "", "")  # absent parameters: blank
    iso_now(started)
    assert by_number["1"][7:] == ["1.0", "true", '(64, (1, "b"))', ""]
    assert by_number["2"][1:3] == ["failed", ""] and by_number["2"][6] == "ValueError: boom"
    assert by_number["2"][8] == "2.5"
    # a long, two-line error: its first line, cut; a None parameter is "none"
    assert by_number["3"][6] == LONG_ERROR[:57] + "..."
    assert by_number["3"][5] == "" and by_number["3"][10] == "none"
    assert by_number["4"][1:4] == ["failed", "", ""] and by_number["4"][6] == "interrupted"  # its store is gone
    assert all(line == line.rstrip() for line in out.splitlines())


def test_trials_csv_parses_back(capsys, db):
    status, out, err = run(capsys, "trials", db, "--csv")
    assert (status, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == TRIAL_HEADER + ["param_x", "param_k", "param_t", "param_none"]
    assert [r["state"] for r in rows] == ["complete", "complete", "failed", "failed", "failed"]
    assert float(rows[0]["value"]) == 1.5 and float(rows[1]["value"]) == 0.125
    assert rows[2]["value"] == "" and rows[4]["duration"] == ""
    assert float(rows[1]["duration"]) == 2.25
    assert rows[1]["param_k"] == "true" and rows[0]["param_k"] == "a" and rows[2]["param_k"] == "2.5"
    assert json.loads(rows[1]["param_t"]) == [64, [1, "b"]]
    assert rows[0]["param_t"] == ""  # absent
    assert rows[3]["error"] == LONG_ERROR  # whole, newline and all
    assert rows[3]["seed"] == "" and rows[0]["seed"] == "7"
    iso_now(rows[0]["started"])


def test_trials_json(capsys, db):
    status, out, err = run(capsys, "trials", db, "--json")
    assert (status, err) == (0, "")
    trials = json_lines(out)
    assert [t["number"] for t in trials] == [0, 1, 2, 3, 4]
    first = trials[0]
    iso_now(first.pop("started"))
    assert first == {"number": 0, "state": "complete", "value": 1.5, "step": None, "max_step": None,
                     "duration": 0.5, "seed": 7, "error": None, "params": {"x": 0.25, "k": "a"}}
    assert trials[1]["params"] == {"x": 1.0, "k": True, "t": [64, [1, "b"]]}
    assert trials[2]["value"] is None and trials[2]["error"] == "ValueError: boom"
    assert trials[3]["params"] == {"x": 0.5, "k": 1, "none": None} and trials[3]["error"] == LONG_ERROR
    assert (trials[4]["state"], trials[4]["error"], trials[4]["duration"]) == ("failed", "interrupted", None)


def test_trials_of_a_named_study(capsys, db):
    add_study(db, "other", [3.0, 4.0])
    status, out, err = run(capsys, "trials", db, "--study", "other", "--json")
    assert status == 0
    assert [t["value"] for t in json_lines(out)] == [3.0, 4.0]


def test_trials_of_an_empty_study_is_just_the_header(capsys, tmp_path):
    path = tmp_path / "runs.sqlite"
    add_study(path, "empty", [])
    status, out, err = run(capsys, "trials", path)
    assert status == 0 and out.split() == TRIAL_HEADER
    status, out, err = run(capsys, "trials", path, "--csv")
    assert out == ",".join(TRIAL_HEADER) + "\n"


def test_several_studies_need_study(capsys, db):
    add_study(db, "other", [1.0])
    status, out, err = run(capsys, "trials", db)
    assert status == 2 and out == ""
    assert err.startswith("spacedsl: error: ") and err.count("\n") == 1
    assert "2 studies (demo, other)" in err and "--study" in err


def test_unknown_study_suggests_the_nearest(capsys, db):
    status, out, err = run(capsys, "trials", db, "--study", "dmeo")
    assert status == 2 and out == ""
    assert err == (f"spacedsl: error: no study 'dmeo' in {db} (its studies: demo); "
                   "did you mean 'demo'?\n")


def test_csv_and_json_together_are_refused(capsys, db):
    status, out, err = run(capsys, "trials", db, "--csv", "--json")
    assert status == 2 and "not allowed with" in err


# ------------------------------------------------------------- bad stores
def test_missing_file_is_not_created(capsys, tmp_path):
    path = tmp_path / "nope.sqlite"
    for command in ("studies", "trials"):
        status, out, err = run(capsys, command, path)
        assert (status, out) == (2, "")
        assert err == f"spacedsl: error: cannot read {path}: no such file\n"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("content, says", [
    (b"this is not a database, just some text " * 50, "not a spacedsl store, or it is corrupt"),
    (b"", "is empty: not a spacedsl store"),
])
def test_garbage_file(capsys, tmp_path, content, says):
    path = tmp_path / "garbage.sqlite"
    path.write_bytes(content)
    for command in ("studies", "trials"):
        status, out, err = run(capsys, command, path)
        assert (status, out) == (2, "")
        assert err.startswith("spacedsl: error: ") and says in err and err.count("\n") == 1
        assert str(path) in err and "spacedsl-report-" not in err  # names the file, not a copy
    assert path.read_bytes() == content


def test_sqlite_file_of_another_program(capsys, tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (a)")
    conn.close()
    status, out, err = run(capsys, "trials", path)
    assert status == 2
    assert err == (f"spacedsl: error: {path} is not a spacedsl store (it is an SQLite file without the "
                   "studies and trials tables)\n")


def test_directory(capsys, tmp_path):
    status, out, err = run(capsys, "studies", tmp_path)
    assert (status, err) == (2, f"spacedsl: error: cannot read {tmp_path}: it is a directory\n")


def test_listing_changes_and_creates_nothing(capsys, db):
    before = sorted(os.listdir(db.parent))
    content, mtime = db.read_bytes(), db.stat().st_mtime_ns
    for argv in (["studies"], ["studies", "--json"], ["trials"], ["trials", "--csv"], ["trials", "--json"]):
        assert run(capsys, argv[0], db, *argv[1:])[0] == 0
    assert sorted(os.listdir(db.parent)) == before == ["runs.sqlite"]  # no -wal or -shm left behind
    assert db.read_bytes() == content and db.stat().st_mtime_ns == mtime


def test_read_only_copy(capsys, db, tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    copy = folder / "copy.sqlite"
    shutil.copyfile(db, copy)
    os.chmod(copy, 0o444)
    os.chmod(folder, 0o555)
    try:
        if os.access(copy, os.W_OK) or os.access(folder, os.W_OK):
            pytest.skip("chmod does not stop this user from writing (root?)")
        status, out, err = run(capsys, "studies", copy, "--json")
        assert (status, err) == (0, "")
        assert json_lines(out)[0]["trials"] == 5
        status, out, err = run(capsys, "trials", copy, "--csv")
        assert status == 0 and len(list(csv.DictReader(io.StringIO(out)))) == 5
        assert os.listdir(folder) == ["copy.sqlite"]
    finally:
        os.chmod(folder, 0o755)
        os.chmod(copy, 0o644)


def test_store_in_use_is_read_in_place(capsys, db):
    with Store(db) as writer:  # a search that is running: its -wal and -shm are there
        writer.create_or_load_study("demo", SPACE, "random")  # marks trial 4 (a dead store's) failed
        number = writer.start_trial("demo", {"x": 0.0, "k": 1})
        status, out, err = run(capsys, "trials", db, "--json")
        assert status == 0
        states = {t["number"]: t["state"] for t in json_lines(out)}
        assert states[number] == "running" and states[4] == "failed"
        writer.finish_trial("demo", number, 0.01, COMPLETE)
        status, out, err = run(capsys, "studies", db, "--json")
        assert json_lines(out)[0]["best"] == 0.01


def test_store_from_before_directions(capsys, db):
    with sqlite3.connect(db) as conn:  # the schema of an earlier version
        conn.execute("ALTER TABLE studies DROP COLUMN direction")
        conn.execute("ALTER TABLE trials DROP COLUMN info")
        conn.execute("ALTER TABLE trials DROP COLUMN heartbeat")
    conn.close()
    status, out, err = run(capsys, "studies", db, "--json")
    assert (status, err) == (0, "")
    [study] = json_lines(out)
    assert study["direction"] == "minimize" and study["best"] == 0.125
    assert run(capsys, "trials", db)[0] == 0
    with sqlite3.connect(db) as conn:  # still the old schema: listing migrated nothing
        columns = [row[1] for row in conn.execute("PRAGMA table_info(studies)")]
    conn.close()
    assert "direction" not in columns


# ------------------------------------------------------------- subprocess
def test_python_m_spacedsl_trials(db):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "spacedsl", "trials", str(db), "--study", "demo", "--csv"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [r["number"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert rows[2]["error"] == "ValueError: boom"
    proc = subprocess.run([sys.executable, "-m", "spacedsl", "trials", str(db), "--study", "dmeo"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "did you mean 'demo'?" in proc.stderr and "Traceback" not in proc.stderr
