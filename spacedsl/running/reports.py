"""Intermediate reports: how ``report(step, value)`` inside a trial reaches the driver, and back.

A trial that reports calls ``report(step, value) -> bool`` (`minimize`'s two-argument objective,
or an evaluator between folds and budgets); True means "stop now". The answer is the driver's:
its strategy and pruner see every report of every running trial (`spacedsl.running.loop`).

* **inline** (``n_jobs=1``): the trial runs in the driver's thread, so `Reporter` calls the
  loop's ``decide`` directly;
* **anywhere else** (a loky pool, an executor's threads or processes, a Dask cluster): the driver
  listens on a local socket (a Unix socket; TCP on the address Dask workers reach for a Dask
  client), authenticated with a random key; each report is one round trip. A thread per
  connection hands the report to the loop's thread (`ReportHub.wake`), which decides, so the
  strategy and the store are only ever touched from one thread.

``report.max_step`` is where the strategy wants this trial stopped (a rung of successive halving,
None: no limit); ``report(step, value)`` returns True once ``step >= max_step``.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import numbers
import os
import queue
import threading
from multiprocessing.connection import Client, Listener


def checked_report(step, value):
    """``(step, value)`` as floats, or a ValueError/TypeError saying what is wrong with them."""
    if isinstance(step, bool) or not isinstance(step, numbers.Real) or not math.isfinite(step) or step < 0:
        raise ValueError(f"report(step, value): step must be a finite number >= 0, got {step!r}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"report(step, value): value must be a number, got {value!r} "
                        f"(of type {type(value).__name__})")
    return float(step), float(value)


class Reporter:
    """The ``report`` a trial gets: ``report(step, value) -> bool`` (True: stop now).

    Attributes:
        number: The trial's number.
        max_step: Where the strategy wants the trial stopped (None: no limit).
        watched: Whether anything may stop the trial (a pruner, a strategy that prunes, a
            ``max_step``); when not, an evaluator may skip its intermediate budgets.
        stopped: Whether an answer was True (the trial is then recorded ``pruned``).
    """

    def __init__(self, number, max_step=None, decide=None, address=None, authkey=None, watched=True):
        self.number, self.max_step, self.watched = number, max_step, watched
        self._decide, self._address, self._authkey = decide, address, authkey
        self.stopped = False

    def __call__(self, step, value):
        step, value = checked_report(step, value)
        if self._decide is not None:
            answer = self._decide(self.number, step, value)
        else:
            answer = _ask_driver(self._address, self._authkey, (self.number, step, value))
        self.stopped = self.stopped or bool(answer)
        return self.stopped

    def __getstate__(self):  # the direct line to the loop stays in the driver
        return {"number": self.number, "max_step": self.max_step, "watched": self.watched, "_decide": None,
                "_address": self._address, "_authkey": self._authkey, "stopped": False}

    def __repr__(self):
        return f"Reporter(trial {self.number}, max_step={self.max_step!r})"


class ReportHub:
    """The driver's end: reports from workers, queued for the loop's thread to answer.

    ``wake`` is a future the loop waits on together with the trials; it is done when reports
    are waiting (`take` gives them and arms a new one)."""

    def __init__(self, dask_client=None):
        self.authkey = os.urandom(32)
        if dask_client is None:
            self._listener = Listener(family="AF_UNIX", authkey=self.authkey)
        else:
            self._listener = Listener((_reachable_ip(dask_client), 0), family="AF_INET", authkey=self.authkey)
        self.address = self._listener.address
        self._waiting = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.wake = cf.Future()
        self._closed = False
        threading.Thread(target=self._accept, name="spacedsl-reports", daemon=True).start()

    def reporter(self, number, max_step=None, watched=True):
        return Reporter(number, max_step, address=self.address, authkey=self.authkey, watched=watched)

    def take(self):
        """The reports waiting, as ``[(number, step, value, answer)]``; call ``answer(bool)`` for each."""
        with self._lock:
            self.wake = cf.Future()
        out = []
        while True:
            try:
                out.append(self._waiting.get_nowait())
            except queue.Empty:
                return out

    def close(self):
        self._closed = True
        try:
            self._listener.close()
        except OSError:  # pragma: no cover - already gone
            pass

    # ------------------------------------------------------------ threads
    def _accept(self):
        while not self._closed:
            try:
                conn = self._listener.accept()
            except (OSError, EOFError):  # closed, or a client that failed authentication
                if self._closed:
                    return
                continue
            threading.Thread(target=self._serve, args=(conn,), name="spacedsl-report", daemon=True).start()

    def _serve(self, conn):
        with conn:
            while True:
                try:
                    number, step, value = conn.recv()
                except (EOFError, OSError, ValueError, TypeError):
                    return
                slot = _Slot()
                self._waiting.put((number, step, value, slot.set))
                with self._lock:
                    if not self.wake.done():
                        self.wake.set_result(None)
                if not slot.wait(lambda: self._closed):
                    return
                try:
                    conn.send(slot.answer)
                except OSError:
                    return


class _Slot:
    def __init__(self):
        self._event = threading.Event()
        self.answer = True  # a driver that goes away stops its trials

    def set(self, answer):
        self.answer = bool(answer)
        self._event.set()

    def wait(self, gone):
        while not self._event.wait(0.5):
            if gone():
                return False
        return True


_CONNECTIONS = {}  # in a worker process: one connection to each driver, kept between trials
_CONNECTIONS_LOCK = threading.Lock()


def _ask_driver(address, authkey, message):
    """One report's round trip from a worker; a broken line is dropped (a trial timeout may
    interrupt it halfway) and opened again for the next report."""
    with _CONNECTIONS_LOCK:
        conn = _CONNECTIONS.get(address)
        try:
            if conn is None:
                conn = _CONNECTIONS[address] = Client(address, authkey=authkey)
            conn.send(message)
            return conn.recv()
        except BaseException:
            _CONNECTIONS.pop(address, None)
            if conn is not None:
                conn.close()
            raise


def _reachable_ip(client):
    """This machine's address as the Dask scheduler's network sees it (where its workers call back)."""
    from distributed.utils import get_ip

    address = client.scheduler.address  # e.g. tcp://10.0.0.5:8786
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    try:
        return get_ip(host)
    except Exception:  # pragma: no cover - no route: fall back to this host
        return "127.0.0.1"
