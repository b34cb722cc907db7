"""Where trials run (`Workers`): inline, a loky pool of processes, or any executor.

* **inline** (``n_jobs=1``, no executor): each trial runs in this process, one after another;
* **local workers** (``n_jobs`` > 1, or -1 for every core): a loky process pool (loky is the
  process backend joblib, and so scikit-learn's ``n_jobs``, runs on), started by the first search
  that needs it and kept for the next ones of the same size (a notebook's second search starts at
  once; a worker idle for `IDLE_TIMEOUT` seconds exits, with the task it holds) — not joblib's
  shared pool, so a search and the joblib jobs inside its trials do not restart each other's
  workers. A search's task (estimator and data, or the function) is written once to a
  temporary file, which each worker reads once, at its first trial of that search;
* **any** ``concurrent.futures.Executor``, and a ``dask.distributed.Client`` (through its
  ``get_executor``; the task, with its estimator and data, is scattered to the workers once).

Workers only run ``task(config, report)`` and send back an `Outcome` (``report`` carries
intermediate scores to the driver: `spacedsl.running.reports`); `run_task` turns an exception or
a ``trial_timeout`` (a ``SIGALRM`` where the trial runs in its process's main thread) into a
failed one.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import numbers
import os
import pickle
import signal
import tempfile
import threading
import time
import uuid

import attrs

from ..storage.trials import error_text


@attrs.frozen
class Outcome:
    """What running one configuration gave.

    Attributes:
        value: The objective's number (a loss for `minimize`, a score for `search`); None if it failed.
        error: ``"Type: message"`` when it failed, else None.
        duration: Seconds of work.
        info: JSON-safe details kept with the trial (a search's per-split scores and times), or None.
    """

    value: float | None
    error: str | None = None
    duration: float = 0.0
    info: dict | None = None


class TrialTimeout(BaseException):
    """Raised inside a trial that ran past ``trial_timeout`` (a BaseException, so that the trial's
    own ``except Exception`` does not swallow it)."""


def timeout_text(seconds):
    return f"TimeoutError: the trial ran longer than its timeout of {seconds:g} s"


@contextlib.contextmanager
def _alarm(seconds):
    """Raise `TrialTimeout` in this thread after ``seconds``, where signals allow it (else nothing)."""
    if (not seconds or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def ring(signum, frame):
        raise TrialTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_task(task, config, trial_timeout=None, report=None):
    """Run ``task(config, report) -> Outcome`` in a worker (a `TaskFile`: the search's task, read once
    per worker); an exception or a timeout becomes a failed Outcome."""
    start = time.perf_counter()
    try:
        task = task.load() if isinstance(task, TaskFile) else task
        with _alarm(trial_timeout):
            outcome = task(dict(config), report)
    except TrialTimeout:
        return Outcome(None, timeout_text(trial_timeout), time.perf_counter() - start)
    except Exception as exc:  # the search goes on; the trial keeps its error
        return Outcome(None, error_text(exc), time.perf_counter() - start)
    except SystemExit as exc:  # sys.exit() in a training script is that trial's failure, not the search's
        return Outcome(None, f"SystemExit: sys.exit({exc.code!r}) in the trial", time.perf_counter() - start)
    # KeyboardInterrupt goes through: it stops the whole search (Ctrl-C or raised alike), the trials
    # in flight are recorded as interrupted, and a resumed search runs them again
    if not isinstance(outcome, Outcome):
        return Outcome(None, f"TypeError: the task returned {type(outcome).__name__}, not an Outcome",
                       time.perf_counter() - start)
    return outcome


# ------------------------------------------------------------------ workers
class _Inline:
    """An executor that runs each call at once, in this thread (a KeyboardInterrupt propagates)."""

    def submit(self, fn, *args):
        future = cf.Future()
        future.set_result(fn(*args))
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def _is_dask_client(obj):
    return hasattr(obj, "scatter") and hasattr(obj, "get_executor") and hasattr(obj, "nthreads")


class Workers:
    """Where trials run: inline, a loky pool of ``n_jobs`` processes, or a given executor.

    Attributes:
        inline: Trials run in this thread, one after another (``n_jobs=1``, no executor).
        capacity: How many trials run at once (the driver keeps this many in flight).
        alarms: Whether a trial runs in its process's main thread, where its own SIGALRM stops it.
    """

    def __init__(self, n_jobs=1, executor=None):
        self.inline = False
        self._client = self._executor = self._task = self._ref = self._file = None
        self._pool_size = 0  # our own loky pool's size (0: not ours)
        if executor is None:
            n = _n_jobs(n_jobs, cap=True)
            if n == 1:
                self._executor, self.inline = _Inline(), True
            else:
                self._pool_size = n  # started at the first trial, with the task
            self.capacity, self.alarms = n, True
        elif _is_dask_client(executor):
            self._client = executor
            self._executor = executor.get_executor(pure=False)
            threads = sum(executor.nthreads().values())
            self.capacity = _n_jobs(n_jobs) if n_jobs not in (None, 1) else max(1, threads)
            self.alarms = False
        elif hasattr(executor, "submit"):
            self._executor = executor
            known = getattr(executor, "_max_workers", None)
            self.capacity = _n_jobs(n_jobs) if n_jobs not in (None, 1) else max(1, known or 1)
            self.alarms = False
        else:
            raise TypeError(f"executor must be a concurrent.futures.Executor or a dask.distributed.Client, "
                            f"got {type(executor).__name__}")

    @property
    def dask_client(self):
        """The ``dask.distributed.Client`` trials run on, else None."""
        return self._client

    def submit(self, task, config, trial_timeout=None, report=None):
        """Start ``run_task(task, config, report)``; a `concurrent.futures.Future` of its `Outcome`.

        The task (estimator and data, or the function) goes to each worker once, not with every
        trial: as a `TaskFile` our pool's workers read once, or scattered to a Dask cluster."""
        if self._client is not None:
            if self._task is not task:
                self._task, self._ref = task, self._client.scatter(task, broadcast=True, hash=False)
            return self._executor.submit(run_task, self._ref, config, trial_timeout, report)
        if not self._pool_size:
            return self._executor.submit(run_task, task, config, trial_timeout, report)
        if self._task is not task:
            self._drop_file()
            self._task, self._file = task, TaskFile.write(task)
        if self._executor is None:
            self._executor = _shared_pool(self._pool_size)
        try:
            return self._executor.submit(run_task, self._file, config, trial_timeout, report)
        except RuntimeError:  # our pool broke: a worker died (a crash in C code, the OS killing it)
            _drop_pool(self._executor)
            self._executor = _shared_pool(self._pool_size)
            return self._executor.submit(run_task, self._file, config, trial_timeout, report)

    def close(self, wait=True):
        """Release what the search used: its task file; our pool stays for the next search, except with
        ``wait=False`` (after Ctrl-C, or a trial that would not stop), which kills its workers; a Dask
        client's wrapper is shut down, not the client."""
        if self._client is not None:
            self._executor.shutdown(wait=False)  # releases (cancels) our futures; the client stays
        elif self._pool_size and self._executor is not None and not wait:
            _drop_pool(self._executor)
        self._drop_file()

    def _drop_file(self):
        if self._file is not None:
            self._file.remove()
            self._file = None


class TaskFile:
    """A search's task, pickled once into a temporary file for our pool's workers: each reads it at
    its first trial of the search and keeps it (by ``token``) for the rest.

    Attributes:
        token: What tells one search's task from another's.
        path: The file.
    """

    def __init__(self, token, path):
        self.token, self.path = token, path

    @classmethod
    def write(cls, task):
        from joblib.externals.loky.backend.reduction import dump  # loky's pickler: lambdas, closures work

        fd, path = tempfile.mkstemp(prefix="spacedsl-task-", suffix=".pkl")
        try:
            with os.fdopen(fd, "wb") as f:
                dump(task, f)
        except BaseException:
            os.unlink(path)
            raise
        return cls(uuid.uuid4().hex, path)

    def load(self):
        global _WORKER_TASK
        if _WORKER_TASK[0] != self.token:
            _WORKER_TASK = (None, None)  # the last search's task goes first
            with open(self.path, "rb") as f:
                _WORKER_TASK = (self.token, pickle.load(f))
        return _WORKER_TASK[1]

    def remove(self):
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def __reduce__(self):
        return TaskFile, (self.token, self.path)


_POOL = {}  # our loky pool, kept between searches: {"executor": ..., "key": (size, environment)}
IDLE_TIMEOUT = 300  # seconds an idle worker lives on (and holds its last search's task), as joblib's pool
_POOL_LOCK = threading.Lock()


def _shared_pool(size):
    """Our pool of ``size`` workers: the one kept from an earlier search when it has that size and
    environment, else a new one (the old one shut down)."""
    from joblib.externals.loky import ProcessPoolExecutor

    key = (size, tuple(sorted(_thread_limits(size).items())))
    with _POOL_LOCK:
        executor = _POOL.get("executor")
        if executor is not None and _POOL["key"] == key:
            return executor
        if executor is not None:
            executor.shutdown(wait=False, kill_workers=True)
        executor = ProcessPoolExecutor(max_workers=size, initializer=_worker_init, initargs=(os.getpid(),),
                                       env=dict(key[1]), timeout=IDLE_TIMEOUT)
        _POOL.update(executor=executor, key=key)
        return executor


def _drop_pool(executor):
    """Kill a pool's workers (broken, or running a trial that would not stop); the next search starts anew."""
    with _POOL_LOCK:
        if _POOL.get("executor") is executor:
            _POOL.clear()
    executor.shutdown(wait=False, kill_workers=True)


@atexit.register
def shutdown_pool():
    """Stop the loky pool kept between searches now (its workers, and the data they hold, go); the
    next ``n_jobs > 1`` search starts a new one."""
    executor = _POOL.get("executor")
    if executor is not None:
        _POOL.clear()
        executor.shutdown(wait=False, kill_workers=True)


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _thread_limits(n_workers):
    """The environment of our workers: each BLAS/OpenMP pool gets its share of the cores (as
    joblib's loky backend does), or n workers each starting every core's worth of threads make
    numerical fits many times slower; a variable the user set is kept."""
    import joblib

    share = str(max(1, joblib.cpu_count() // n_workers))
    return {var: os.environ.get(var, share) for var in THREAD_VARS}


_WORKER_TASK = (None, None)  # in our pool's workers: (token, task) of the search it last ran a trial of


def _worker_init(driver=None):
    """In our pool's workers: Ctrl-C is the driver's to handle (it records the running trials, then
    stops the workers); a worker whose driver dies ends itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    driver = os.getppid() if driver is None else driver  # given: the driver may be gone before we start
    threading.Thread(target=_orphan_watch, args=(driver,), name="spacedsl-orphan-watch", daemon=True).start()


ORPHAN_POLL = 1.0  # seconds between a worker's checks that its driver still lives


def _orphan_watch(parent):
    """A worker whose driver died (kill -9: no shutdown reaches it) is reparented; it then ends
    itself instead of living on, with its loky resource tracker, for as long as its trial runs."""
    while True:
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(ORPHAN_POLL)


def _n_jobs(n_jobs, cap=False):
    """How many trials run at once for ``n_jobs`` (joblib's meaning: -1 every core, -2 all but one);
    with ``cap`` (a local pool) at most the cores, since more processes only compete for them."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (-1 for every core), got {n_jobs!r}")
    n_jobs = int(n_jobs)
    if n_jobs > 0 and not cap:
        return n_jobs
    import joblib
    cores = joblib.cpu_count()
    if n_jobs < 0:
        if cores + 1 + n_jobs < 1:
            raise ValueError(f"n_jobs={n_jobs} leaves no worker on a machine with {cores} cores "
                             f"(-1 is every core, -{cores} is one)")
        return cores + 1 + n_jobs
    return min(n_jobs, cores)
