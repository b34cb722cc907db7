"""A store of studies and trials in one SQLite file (standard library only).

>>> store = Store("runs.sqlite")                          # doctest: +SKIP
>>> store.create_or_load_study("default", space, "random")  # doctest: +SKIP
>>> store.trials("default")                                  # doctest: +SKIP

Every trial is written when it starts (state ``running``, its number allocated
inside ``BEGIN IMMEDIATE`` so that processes sharing the file never collide)
and again when it ends, one transaction each, in WAL mode. A study remembers
the sha256 of its space's canonical text (`spacedsl.dumps`) and its strategy;
opening it with another space, strategy or direction is refused. Trials left
``running`` by a process that died are marked failed ("interrupted") when the
study is opened: a process of this host that no longer runs, or any trial whose
heartbeat (written every `HEARTBEAT` seconds by a thread of the process that
runs it) is older than `STALE_AFTER` seconds — so a process on another host that
shares the file, or a recycled process id, is judged by its heartbeat.

SQLite errors (a garbage file, a read-only or locked database, a full disk)
become `StoreError` naming the file; a failed write rolls back only its own
transaction, so trials already recorded stay.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import numbers
import os
import socket
import sqlite3
import threading
import time
import urllib.parse
import uuid

from ..language.ast import Ref
from ..language.printer import dumps
from ..space import as_space
from .trials import COMPLETE, FAILED, FULL, INTERRUPTED, PRUNED, RUNNING, TAKEN, Trial, reports_of
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another writer's lock
HEARTBEAT = 30.0     # seconds between heartbeats of a process's running trials
MINIMIZE_SQL = "'minimize'"  # the direction of every study written before studies had one
STALE_AFTER = 600.0  # a running trial whose heartbeat is older than this is left over

_STUDIES_TABLE = """
CREATE TABLE IF NOT EXISTS studies (
    name TEXT PRIMARY KEY,
    space TEXT NOT NULL,
    space_sha256 TEXT NOT NULL,
    strategy TEXT NOT NULL,
    created REAL NOT NULL,
    direction TEXT NOT NULL DEFAULT 'minimize'
)"""
_TRIALS_TABLE = """
CREATE TABLE IF NOT EXISTS trials (
    study TEXT NOT NULL REFERENCES studies(name),
    number INTEGER NOT NULL,
    params TEXT NOT NULL,
    value REAL,
    state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'failed', 'pruned')),
    error TEXT,
    started REAL NOT NULL,
    finished REAL,
    duration REAL,
    seed INTEGER,
    worker TEXT,
    info TEXT,
    heartbeat REAL,
    step REAL,
    max_step REAL,
    UNIQUE (study, number)
)"""
_SCHEMA = f"{_STUDIES_TABLE};\n{_TRIALS_TABLE};\n"


class StoreError(RuntimeError):
    """The store cannot be read or written; the message names the file."""


# What a store of ours holds: a file with other tables, views or triggers named like ours, or with
# ours lacking these columns, is not read (a crafted view can make any query run forever).
_TABLES = {
    "studies": {"name", "space", "space_sha256", "strategy", "created"},
    "trials": {"study", "number", "params", "value", "state", "error", "started", "finished", "duration"},
}


def _number_or_none(value):
    return value if value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool)) else False


def space_text(space):
    """The canonical text of a space (a `Space` or space text)."""
    return dumps(as_space(space))


def _encode(value):
    if isinstance(value, Ref):
        return {"__ref__": value.name}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def _decode_hook(obj):
    if set(obj) == {"__tuple__"}:
        return tuple(obj["__tuple__"])
    if set(obj) == {"__ref__"} and isinstance(obj["__ref__"], str):
        return Ref(obj["__ref__"])
    return obj


def dumps_params(params):
    """Parameters as JSON; tuples and named objects (``@svc``, kept by name) survive the round trip."""
    return json.dumps(_encode(dict(params)))  # key order kept: what the function received


def loads_params(text):
    return json.loads(text, object_hook=_decode_hook)


def _seed_value(seed):
    """An integer seed as SQLite keeps it (beyond 64 bits: its decimal text); anything else: None."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        return None
    seed = int(seed)
    return seed if -2**63 <= seed < 2**63 else str(seed)


_LIVE_TOKENS = set()  # tokens of the stores open in this process


def _is_dead(worker, heartbeat=None, now=None):
    """True when ``worker`` ("host:pid:token") is gone: its last heartbeat is older than
    `STALE_AFTER`, or it is a process of this host that no longer runs, or a store of this
    process that was closed. Another host's trial with a fresh heartbeat is left alone."""
    if _number_or_none(heartbeat) is False:
        heartbeat = None  # a damaged heartbeat: judge by the process alone
    if heartbeat is not None and (now or time.time()) - heartbeat > STALE_AFTER:
        return True
    host, pid, token = ((worker or "::").rsplit(":", 2) + ["", ""])[:3]
    if host != socket.gethostname() or not pid.isdigit():
        return not host  # no owner recorded: left over; another host: we cannot tell
    pid = int(pid)
    if pid == os.getpid():
        return token not in _LIVE_TOKENS
    if os.name != "posix":
        return True  # no cheap liveness test: treat it as left over
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def row_trial(row):
    """The `Trial` a row of `Store.trial_rows` holds (its reports read from its info)."""
    return Trial(row["number"], row["params"], row["value"], row["state"], row["error"], row["duration"] or 0.0,
                 row.get("step"), row.get("max_step"), reports_of(row.get("info")))


def left_over(row, now=None):
    """Whether a trial row (a dict of `Store.trial_rows`) is ``running`` in a process that is gone:
    what opening its study marks failed ``"interrupted"`` (a read-only listing only reads it so)."""
    return row.get("state") == RUNNING and _is_dead(row.get("worker"), row.get("heartbeat"), now)


class Store:
    """Studies and their trials in the SQLite file ``path``.

    Attributes:
        path: The file.
        readonly: True when opened with ``readonly=True`` or when the file cannot be written:
            trials can be read, and every write raises `StoreError`.
    """

    def __init__(self, path, timeout=BUSY_TIMEOUT, readonly=False):
        self.path = os.fspath(path)
        self.readonly = bool(readonly)
        self._token = uuid.uuid4().hex
        self._timeout = timeout
        self._beating = None  # (thread, stop event) once a trial has started
        self._worker = f"{socket.gethostname()}:{os.getpid()}:{self._token}"
        with self._errors("open"):
            if self.readonly:
                if not os.path.exists(self.path):
                    raise sqlite3.OperationalError("unable to open database file: no such file")
                # Not in use (no -wal beside it): open it immutable, so that reading creates no
                # -wal or -shm file and works in a read-only directory. In use: a plain read-only
                # connection, which sees the writers' latest commits.
                in_use = os.path.exists(self.path + "-wal")
                uri = ("file:" + urllib.parse.quote(os.path.abspath(self.path))
                       + ("?mode=ro" if in_use else "?mode=ro&immutable=1"))
                self._conn = sqlite3.connect(uri, timeout=timeout, isolation_level=None, uri=True)
            else:
                self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        try:
            with self._errors("open"):
                self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # garbage -> error
                self._check_schema()
                try:
                    if self.readonly:
                        raise sqlite3.OperationalError("attempt to write a readonly database")
                    self._conn.execute("PRAGMA journal_mode = WAL").fetchone()
                    self._conn.executescript(_SCHEMA)
                    self._migrate()
                except sqlite3.OperationalError as exc:
                    if "readonly" not in str(exc) and "read-only" not in str(exc):
                        raise
                    self.readonly = True  # reading still works; writes raise StoreError
            with self._errors("open"):
                self._columns = {table: {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
                                 for table in ("studies", "trials")}
        except StoreError:
            self._conn.close()
            raise
        _LIVE_TOKENS.add(self._token)

    # -- plumbing ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self, doing):
        try:
            yield
        except (UnicodeDecodeError, OverflowError, MemoryError) as exc:  # text or numbers SQLite cannot hand over
            raise StoreError(f"store {self.path!r}: cannot {doing}: the file is damaged "
                             f"({type(exc).__name__}: {str(exc)[:120]})") from None
        except sqlite3.Error as exc:
            hint = ""
            text = str(exc)
            if "not a database" in text or "malformed" in text:
                hint = " (the file is not a spacedsl store, or it is corrupt)"
            elif "readonly" in text or "read-only" in text:
                hint = (" (the store is read-only: copy it somewhere writable to go on, or open it with"
                        " Store(path, readonly=True) to read its trials)")
            elif "locked" in text or "busy" in text:
                hint = " (another process holds the lock for too long; try again, or raise the timeout)"
            elif "full" in text:
                hint = " (the disk is full; trials already recorded are kept)"
            elif "unable to open" in text:
                folder = os.path.dirname(os.path.abspath(self.path))
                hint = (" (it is a directory: name a file in it, e.g. runs.sqlite)" if os.path.isdir(self.path)
                        else f" (the folder {folder} does not exist: create it first)"
                        if not os.path.isdir(folder) else "")
            raise StoreError(f"store {self.path!r}: cannot {doing}: {text}{hint}") from exc

    @contextlib.contextmanager
    def _write(self, doing):
        """One ``BEGIN IMMEDIATE`` transaction; rolled back whole if anything fails."""
        if self.readonly:
            raise StoreError(f"store {self.path!r}: cannot {doing}: the store is read-only")
        with self._errors(doing):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise
            else:
                try:
                    self._conn.execute("COMMIT")
                except sqlite3.Error:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                    raise

    def _check_schema(self):
        """Refuse a file whose studies/trials are not our tables, before querying them."""
        def refuse(why):
            raise StoreError(f"store {self.path!r}: not a spacedsl store: {why}; "
                             "point --storage at a store spacedsl wrote, or at a new file")
        rows = self._conn.execute("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
        for kind, name, table in rows:
            if not all(isinstance(x, str) for x in (kind, name, table)):
                refuse("its schema is damaged")
            if name in _TABLES and kind != "table":
                refuse(f"{name!r} is a {kind}, not a table")
            if kind in ("trigger", "view") and table in _TABLES:
                refuse(f"a {kind} {name!r} acts on {table!r}")
        for table in {name for kind, name, _ in rows if kind == "table" and name in _TABLES}:
            columns = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            missing = sorted(_TABLES[table] - columns)
            if missing:
                refuse(f"its table {table!r} lacks the column(s) {', '.join(missing)}")

    def _damaged(self, what, why):
        return StoreError(f"store {self.path!r}: {what} is damaged: {why}; repair or remove that row "
                          "(sqlite3), or start a new study")

    def _rows(self, sql, args, doing, what):
        """Fetch rows one by one, so that a row that cannot be decoded is named."""
        out = []
        with self._errors(doing):
            cursor = self._conn.execute(sql, args)
            while True:
                try:
                    row = cursor.fetchone()
                except (sqlite3.OperationalError, UnicodeDecodeError, OverflowError) as exc:
                    after = f" after {what(out[-1])}" if out else " (the first)"
                    raise self._damaged(f"a row{after}", f"{type(exc).__name__}: {exc}") from None
                if row is None:
                    return out
                out.append(row)

    def _params(self, text, what, kind="params"):
        if not isinstance(text, str):
            raise self._damaged(what, f"its {kind} are not text")
        try:
            value = loads_params(text)
        except (ValueError, TypeError, RecursionError) as exc:
            raise self._damaged(what, f"its {kind} are not valid JSON ({type(exc).__name__}: {str(exc)[:80]})") from None
        if not isinstance(value, dict):
            raise self._damaged(what, f"its {kind} are a JSON {type(value).__name__}, not an object")
        return value

    def _trial(self, study, number, params, value, state, error, duration, info, step=None, max_step=None):
        """One trial row checked: a `Trial` and its info, or a StoreError naming the row."""
        if isinstance(number, bool) or not isinstance(number, int):
            raise self._damaged(f"a trial of study {study!r} (number {str(number)[:20]!r})", "its number is not an integer")
        what = f"trial {number} of study {study!r}"
        params = self._params(params, what)
        if _number_or_none(value) is False or (value is not None and not math.isfinite(value)):
            raise self._damaged(what, f"its value {str(value)[:20]!r} is not a number")
        if _number_or_none(duration) is False:
            raise self._damaged(what, f"its duration {str(duration)[:20]!r} is not a number")
        if state not in (COMPLETE, FAILED, RUNNING, PRUNED) or not (error is None or isinstance(error, str)):
            raise self._damaged(what, f"its state {str(state)[:20]!r} or error is not one spacedsl writes")
        for name, x in (("step", step), ("max_step", max_step)):
            if _number_or_none(x) is False or (x is not None and not math.isfinite(x)):
                raise self._damaged(what, f"its {name} {str(x)[:20]!r} is not a number")
        info = None if info is None else self._params(info, what, "info")
        return Trial(number, params, value, state, error, duration or 0.0, step, max_step, reports_of(info)), info

    _ADDED = (("trials", "seed", "INTEGER"), ("trials", "info", "TEXT"), ("trials", "heartbeat", "REAL"),
              ("studies", "direction", "TEXT NOT NULL DEFAULT 'minimize'"), ("trials", "step", "REAL"),
              ("trials", "max_step", "REAL"))

    def _migrate(self):
        """Bring a store written by an earlier version up to date: a ``trials`` table whose state
        check predates ``pruned`` is rebuilt (its rows copied), and missing columns are added."""
        (sql,) = self._conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'trials'").fetchone()
        if "'pruned'" not in sql:
            with self._write("upgrade the store"):
                self._rebuild_trials()
        for table, column, kind in self._ADDED:
            columns = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            if column in columns:
                continue
            try:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):  # else another process added it first
                    raise

    def _rebuild_trials(self):
        """Copy ``trials`` into a table made by today's schema (SQLite cannot change a CHECK in place)."""
        old = [row[1] for row in self._conn.execute("PRAGMA table_info(trials)")]
        self._conn.execute("ALTER TABLE trials RENAME TO trials_before_pruned")
        self._conn.execute(_TRIALS_TABLE)
        columns = ", ".join(old)
        self._conn.execute(f"INSERT INTO trials ({columns}) SELECT {columns} FROM trials_before_pruned")
        self._conn.execute("DROP TABLE trials_before_pruned")

    def _column(self, table, name, default="NULL"):
        """``name``, or ``default`` (SQL) in a store written before that column (opened read-only,
        so not upgraded)."""
        return name if name in self._columns[table] else default

    def _read(self, sql, args=(), doing="read"):
        with self._errors(doing):
            return self._conn.execute(sql, args).fetchall()

    def close(self):
        if self._beating is not None:
            thread, stop = self._beating
            stop.set()
            thread.join(timeout=5)
            self._beating = None
        _LIVE_TOKENS.discard(self._token)
        self._conn.close()

    def _start_heartbeat(self):
        """A daemon thread that refreshes the heartbeat of this store's running trials."""
        stop = threading.Event()
        thread = threading.Thread(target=self._beat, args=(stop,), name="spacedsl-heartbeat", daemon=True)
        self._beating = (thread, stop)
        thread.start()

    def _beat(self, stop):
        conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        try:
            while not stop.wait(HEARTBEAT):
                with contextlib.suppress(sqlite3.Error):  # a missed beat is retried at the next one
                    conn.execute("UPDATE trials SET heartbeat = ? WHERE worker = ? AND state = 'running'",
                                 (time.time(), self._worker))
        finally:
            conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- studies -----------------------------------------------------------------------
    def studies(self):
        """``[{name, space, space_sha256, strategy, created, n_trials, direction}]`` in creation order."""
        rows = self._read(
            "SELECT s.name, s.space, s.space_sha256, s.strategy, s.created,"
            " (SELECT count(*) FROM trials t WHERE t.study = s.name),"
            f" {self._column('studies', 'direction', default=MINIMIZE_SQL)}"
            " FROM studies s ORDER BY s.created, s.name", doing="list studies")
        keys = ("name", "space", "space_sha256", "strategy", "created", "n_trials", "direction")
        for row in rows:
            name, space, digest, strategy, created, _, direction = row
            what = f"study {name!r}" if isinstance(name, str) else "a study"
            if not all(isinstance(x, str) for x in (name, space, digest, strategy)):
                raise self._damaged(what, "its name, space or strategy is not text")
            if _number_or_none(created) in (None, False):
                raise self._damaged(what, f"its creation time {str(created)[:20]!r} is not a number")
            if direction not in ("minimize", "maximize"):
                raise self._damaged(what, f"its direction {str(direction)[:20]!r} is neither minimize nor maximize")
        return [dict(zip(keys, row)) for row in rows]

    def create_or_load_study(self, name, space, strategy, new_study=False, direction="minimize"):
        """Create the study ``name`` or check that it was made with this space, strategy and direction.

        ``direction`` says which way its values go (``"minimize"``: losses, ``"maximize"``: scores).
        A different space (by sha256 of its canonical text), strategy or direction raises `StoreError`,
        unless ``new_study`` is true, which replaces the old study and drops its trials.
        Trials left running by a process that is gone are marked failed ("interrupted").
        Returns ``name``.
        """
        text = space_text(space)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        strategy = str(strategy)
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
        with self._write(f"open study {name!r}") as conn:
            row = conn.execute("SELECT space_sha256, strategy, direction FROM studies WHERE name = ?",
                               (name,)).fetchone()
            if row is not None and tuple(row) != (digest, strategy, direction) and not new_study:
                what = ("space" if row[0] != digest else f"strategy ({row[1]!r}, now {strategy!r})"
                        if row[1] != strategy else f"direction ({row[2]}, now {direction})")
                raise StoreError(
                    f"store {self.path!r}: study {name!r} was made with a different {what}; "
                    f"pass a new study name, or new_study=True (--new-study) to replace it "
                    f"and drop its trials")
            if row is not None and new_study:
                conn.execute("DELETE FROM trials WHERE study = ?", (name,))
                conn.execute("DELETE FROM studies WHERE name = ?", (name,))
                row = None
            if row is None:
                conn.execute("INSERT INTO studies (name, space, space_sha256, strategy, created, direction)"
                             " VALUES (?, ?, ?, ?, ?, ?)", (name, text, digest, strategy, time.time(), direction))
            now = time.time()
            stale = [(number,) for number, worker, heartbeat in conn.execute(
                "SELECT number, worker, heartbeat FROM trials WHERE study = ? AND state = 'running'", (name,))
                if _is_dead(worker, heartbeat, now)]
            conn.executemany(
                "UPDATE trials SET state = 'failed', error = ?, finished = ? "
                "WHERE study = ? AND number = ? AND state = 'running'",
                [(INTERRUPTED, now, name, n) for (n,) in stale])
        return name

    # -- trials ------------------------------------------------------------------------
    def start_trial(self, study, params, seed=None, budget=None, unique=False, max_step=None):
        """Record a running trial; returns its number (the next free one in the study).

        ``seed`` is the seed the search that runs the trial used (kept for the record). The checks
        below run in the transaction that allocates the number, so processes sharing the study
        agree: with ``budget``, `FULL` (nothing recorded) once the study holds ``budget`` trials
        that are finished (`Trial.finished`) or running, any process's; with ``unique``, `TAKEN`
        (nothing recorded) when the same configuration is running, complete or pruned already with the
        same ``max_step`` (a budgeted strategy's rung: the same configuration may run at another one)."""
        text = dumps_params(params)
        seed = _seed_value(seed)
        with self._write(f"record a trial of study {study!r}") as conn:
            if budget is not None:
                (used,) = conn.execute(
                    "SELECT count(*) FROM trials WHERE study = ? AND (state = 'running' OR "
                    "(state IN ('complete', 'failed', 'pruned') AND coalesce(error, '') != ?))", (study, INTERRUPTED)).fetchone()
                if used >= budget:
                    return FULL
            if unique and conn.execute("SELECT 1 FROM trials WHERE study = ? AND params = ? AND max_step IS ? AND "
                                       "state IN ('running', 'complete', 'pruned') LIMIT 1",
                                       (study, text, max_step)).fetchone():
                return TAKEN
            (number,) = conn.execute("SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study = ?",
                                     (study,)).fetchone()
            now = time.time()
            conn.execute("INSERT INTO trials (study, number, params, state, started, seed, worker, heartbeat, max_step)"
                         " VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                         (study, number, text, now, seed, self._worker, now, max_step))
        if self._beating is None:
            self._start_heartbeat()
        return number

    def finish_trial(self, study, number, value, state, error=None, duration=None, info=None, step=None):
        """Record how trial ``number`` ended (``complete``, ``failed``, or ``pruned``: stopped early with
        ``value`` its last report), with ``step`` (the last step it reported) and ``info``: JSON-safe
        details such as a search's per-split scores."""
        if state not in (COMPLETE, FAILED, PRUNED):
            raise ValueError(f"a trial ends complete, failed or pruned, not {state!r}")
        if value is not None:
            value = float(value)
            if not math.isfinite(value):
                value = None
        info = None if info is None else json.dumps(_encode(info))
        with self._write(f"record trial {number} of study {study!r}") as conn:
            conn.execute("UPDATE trials SET value = ?, state = ?, error = ?, finished = ?, duration = ?, info = ?,"
                         " step = ? WHERE study = ? AND number = ?",
                         (value, state, error, time.time(), duration, info, step, study, number))

    def record(self, study, trial, seed=None):
        """Record a finished `Trial` (start and end); returns its number in the store."""
        number = self.start_trial(study, trial.params, seed, max_step=trial.max_step)
        self.finish_trial(study, number, trial.value, trial.state, trial.error, trial.duration, step=trial.step)
        return number

    def trials(self, study, states=None):
        """The trials of ``study`` as `Trial` records, by number (running ones included)."""
        return [trial for trial, _ in self.trials_with_info(study)
                if states is None or trial.state in states]

    def trials_with_info(self, study):
        """``[(Trial, info)]`` of ``study`` by number; info is the dict given to `finish_trial`, or None."""
        rows = self._rows(f"SELECT number, params, value, state, error, duration, {self._column('trials', 'info')},"
                          f" {self._column('trials', 'step')}, {self._column('trials', 'max_step')} FROM trials WHERE study = ? ORDER BY number", (study,), f"read study {study!r}",
                          lambda row: f"trial {row[0]!r} of study {study!r}")
        return [self._trial(study, *row) for row in rows]

    def trial_rows(self, study):
        """Every column of the trials of ``study``, as dicts (params decoded)."""
        with self._errors(f"read study {study!r}"):
            names = [d[0] for d in self._conn.execute("SELECT * FROM trials LIMIT 0").description]
        rows = [dict(zip(names, row)) for row in self._rows(
            "SELECT * FROM trials WHERE study = ? ORDER BY number", (study,), f"read study {study!r}",
            lambda row: f"trial {row[names.index('number')]!r} of study {study!r}")]
        for row in rows:
            self._trial(study, *(row.get(k) for k in ("number", "params", "value", "state", "error", "duration",
                                                       "info", "step", "max_step")))
            what = f"trial {row['number']} of study {study!r}"
            for key in ("started", "finished", "heartbeat"):
                if _number_or_none(row.get(key)) is False or (key == "started" and row.get(key) is None):
                    raise self._damaged(what, f"its {key} time {str(row.get(key))[:20]!r} is not a number")
            row["params"] = loads_params(row["params"])
        return rows
