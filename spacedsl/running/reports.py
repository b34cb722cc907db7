"""Intermediate reports: how ``report(step, value)`` inside a trial reaches the driver, and back.

A trial that reports calls ``report(step, value) -> bool`` (`minimize`'s two-argument objective,
or an evaluator between folds and budgets); True means "stop now". The answer is the driver's:
its strategy and pruner see every report of every running trial (`spacedsl.running.loop`).

* **inline** (``n_jobs=1``): the trial runs in the driver's thread, so `Reporter` calls the
  loop's ``decide`` directly;
* **another thread of the driver's process** (an executor's threads): the report is queued for the
  loop's thread (`ReportHub.wake`) and the trial waits for the answer; an executor that runs the
  trial inside ``submit``, in the loop's thread itself, is answered at once;
* **another process** (a loky pool, a process executor, a Dask cluster): the driver listens on a
  socket (a Unix socket; TCP on the address Dask workers reach for a Dask client), authenticated
  with a random key; each report is one round trip. A thread per connection hands the report to
  the loop's thread, which decides, so the strategy and the store are only ever touched from one
  thread.

``report.max_step`` is where the strategy wants this trial stopped (a rung of successive halving,
None: no limit); ``report(step, value)`` returns True once ``step >= max_step``.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import numbers
import os
import queue
import socket
import threading
import warnings
from multiprocessing.connection import AuthenticationError, Client, Listener, answer_challenge, deliver_challenge


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

    def __init__(self, number, max_step=None, decide=None, hub=None, watched=True):
        self.number, self.max_step, self.watched = number, max_step, watched
        self._decide, self._hub = decide, hub
        self._address = self._authkey = None
        self.stopped = False

    def __call__(self, step, value):
        step, value = checked_report(step, value)
        message = (self.number, step, value)
        if self._decide is not None:
            answer = self._decide(*message)
        elif self._hub is not None:  # a thread of the driver's process: no socket needed
            answer = self._hub.ask(message)
        else:
            answer = _ask_driver(self._address, self._authkey, message)
        self.stopped = self.stopped or bool(answer)
        return self.stopped

    def __getstate__(self):  # another process: the answer comes over the hub's socket
        address, authkey = (self._address, self._authkey) if self._hub is None else self._hub.endpoint()
        return {"number": self.number, "max_step": self.max_step, "watched": self.watched, "_decide": None,
                "_hub": None, "_address": address, "_authkey": authkey, "stopped": False}

    def __repr__(self):
        return f"Reporter(trial {self.number}, max_step={self.max_step!r})"


HANDSHAKE_TIMEOUT = 10.0  # seconds a connection has to authenticate before it is dropped
BACKLOG = 64  # connections waiting to be accepted (many Dask workers may report at once)


class ReportHub:
    """The driver's end: reports from workers, queued for the loop's thread to answer.

    Made in the loop's thread, with the loop's ``decide``: a report made in that very thread (an
    executor that runs a trial inside ``submit``) is decided at once; one from another thread of
    this process is queued; one from another process arrives over a socket, opened on first need
    (`endpoint`), where each connection authenticates in its own thread (a peer that connects and
    says nothing delays no one else, and is dropped after `HANDSHAKE_TIMEOUT`). ``wake`` is a
    future the loop waits on together with the trials; it is done when reports are waiting (`take`
    gives them and arms a new one). `close` ends every thread and socket it started."""

    def __init__(self, decide, dask_client=None):
        self.authkey = os.urandom(32)
        self._decide, self._dask_client = decide, dask_client
        self._loop_thread = threading.get_ident()
        self._waiting = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.wake = cf.Future()
        self._closed = False
        self._listener = self.address = None
        self._threads, self._sockets = [], set()

    def reporter(self, number, max_step=None, watched=True):
        return Reporter(number, max_step, hub=self, watched=watched)

    def ask(self, message):
        """A report from this process: decided now in the loop's thread, else queued for it."""
        if threading.get_ident() == self._loop_thread:
            return self._decide(*message)
        slot = _Slot()
        self._put(message, slot)
        return slot.answer if slot.wait(lambda: self._closed) else True

    def endpoint(self):
        """``(address, authkey)`` of the socket other processes report to (opened on the first call)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the search that ran this trial is over")
            if self._listener is None:
                if self._dask_client is None:
                    self._listener = Listener(family="AF_UNIX", backlog=BACKLOG)
                else:
                    self._listener = Listener((_reachable_ip(self._dask_client), 0), family="AF_INET",
                                              backlog=BACKLOG)
                self.address = self._listener.address
                self._start(self._accept, "spacedsl-reports")
            return self.address, self.authkey

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
        with self._lock:
            self._closed = True
            listener, sockets = self._listener, list(self._sockets)
        if listener is not None:
            with contextlib.suppress(OSError):  # wake the accept thread with a connection of our own
                with socket.socket(socket.AF_UNIX if isinstance(self.address, str) else socket.AF_INET) as s:
                    s.settimeout(1.0)
                    s.connect(self.address)
            with contextlib.suppress(OSError):
                listener.close()
        for sock in sockets:  # wakes each connection's thread from its recv
            _shut(sock)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=2.0)

    # ------------------------------------------------------------ threads
    def _start(self, target, name, *args):
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _put(self, message, slot):
        self._waiting.put((*message, slot.set))
        with self._lock:
            if not self.wake.done():
                self.wake.set_result(None)

    def _accept(self):
        while True:
            try:
                conn = self._listener.accept()
            except OSError:
                return  # closed
            if self._closed:
                conn.close()
                return
            with self._lock:
                self._start(self._serve, "spacedsl-report", conn)

    def _serve(self, conn):
        sock = socket.socket(fileno=os.dup(conn.fileno()))  # the same connection: shut down to wake a recv
        with self._lock:
            self._sockets.add(sock)
            closed = self._closed
        timer = threading.Timer(HANDSHAKE_TIMEOUT, _shut, (sock,))
        try:
            if closed:
                return
            timer.start()
            try:
                deliver_challenge(conn, self.authkey)
                answer_challenge(conn, self.authkey)
            except (OSError, EOFError, AuthenticationError):
                return
            finally:
                timer.cancel()
            while True:
                try:
                    number, step, value = conn.recv()
                except (EOFError, OSError, ValueError, TypeError):
                    return
                slot = _Slot()
                self._put((number, step, value), slot)
                if not slot.wait(lambda: self._closed):
                    return
                try:
                    conn.send(slot.answer)
                except OSError:
                    return
        finally:
            with self._lock:
                self._sockets.discard(sock)
            sock.close()
            conn.close()


def _shut(sock):
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


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


_CONNECTIONS = {}  # in a worker process: the connection to the driver, kept between trials
_CONNECTIONS_LOCK = threading.Lock()
_UNREACHABLE = set()  # drivers this worker could not connect to: their trials run on, unwatched


def _ask_driver(address, authkey, message):
    """One report's round trip from a worker; a broken line is dropped (a trial timeout may
    interrupt it halfway) and opened again for the next report. A connection to another driver
    (an earlier search's) is closed when this one opens. A driver this worker cannot reach at all
    (an executor whose workers are on another machine: the socket is a Unix one) gets one warning,
    and its trials run to their end (False: a report is advice, not the trial's result)."""
    with _CONNECTIONS_LOCK:
        if address in _UNREACHABLE:
            return False
        conn = _CONNECTIONS.get(address)
        try:
            if conn is None:
                for old in _CONNECTIONS.values():
                    with contextlib.suppress(OSError):
                        old.close()
                _CONNECTIONS.clear()
                try:
                    conn = _CONNECTIONS[address] = Client(address, authkey=authkey)
                except OSError as exc:
                    _UNREACHABLE.add(address)
                    warnings.warn(f"report(step, value) cannot reach the search's driver at {address!r} ({exc}): "
                                  "the search is over, or this worker is on another machine; its trials run to "
                                  "their end and their reports are not kept (run workers on the driver's machine, "
                                  "or use a Dask client)", RuntimeWarning, stacklevel=3)
                    return False
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
