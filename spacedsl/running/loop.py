"""The trial loop that `minimize` and `search` share: ask, run on workers, record, tell.

One loop serves every way of running trials (`spacedsl.running.workers.Workers`: inline, a
loky pool, any executor, a Dask client).

The driver owns the strategy and the store; workers only run ``task(config)`` and send back an
`Outcome`. Trials are asynchronous: a worker that frees up gets the next configuration at once,
not at the end of a batch. Strategies that learn from results are asked one configuration at a
time, when a worker is free, so every proposal knows every result back so far (``gp-ei`` treats
the configurations asked but not told as pending); strategies that do not learn are asked for
many at once. ``batch_size`` asks for lock-step batches instead: ask ``batch_size``, run them
all, tell them all, ask again — slower, but the results of an adaptive strategy then do not
depend on how fast each worker was.

Timeouts: ``trial_timeout`` stops a trial that runs too long (a ``SIGALRM`` in the process that
runs it, where that is the main thread — inline and loky workers; elsewhere, such as Dask's
worker threads, the driver stops waiting for it and records it failed). The trial is failed with
``TimeoutError``. ``timeout`` stops starting trials once the search has run that long; trials
already running finish (bound them with ``trial_timeout``).

A worker process that dies (a crash in C code, the OS killing it for its memory) breaks our
pool: the pool is restarted and the trials it was running are recorded ``"interrupted"`` and run
again, each alone, so the one whose worker dies again fails with ``WorkerError`` and the others
complete.

With a store, each trial is recorded when it starts and when it ends. Ctrl-C (and anything else
that stops the loop) records the trials still running as failed ``"interrupted"`` before it
propagates; a resumed search offers those configurations again.

Stopping early: a trial's ``report(step, value)`` (`spacedsl.running.reports`) reaches the loop's
``decide`` while the trial runs; the trial stops (``report`` answers True) when the step reaches
its ``max_step`` (a budgeted strategy's `spacedsl.strategies.Suggestion`), or when the strategy's
``prune(number, step, loss)`` or the pruner's says so. Every report is answered from the loop's
thread, so strategies and the store see one caller. A stopped trial ends ``pruned`` with its last
reported value and step, whatever it returns or raises afterwards; it counts toward ``n_trials``,
is told to the strategy with that value, is kept with its reports (``info["reports"]``), and is
never run again (a resumed study replays the stored reports to the strategy and the pruner).
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import math
import numbers
import os
import time

import attrs

from .. import plugins
from ..storage import open_storage, open_study
from ..storage.sqlite import left_over, row_trial
from ..storage.trials import COMPLETE, FAILED, FULL, INTERRUPTED, PRUNED, RUNNING, TAKEN, Trial
from ..strategies.base import Suggestion, capability, config_key, max_step_of
from ..strategies.pruning import make_pruner
from .reports import ReportHub, Reporter
from .workers import Outcome, Workers, error_text, timeout_text

MAX_SKIPS = 100  # proposals in a row repeating a complete configuration before one is run anyway
MAX_BATCH = 1024  # strategies that do not learn from results are asked for at most this many at once
POLL = 1.0       # seconds between checks of the trial timeouts while waiting for workers
TWIN_POLL = 0.5  # seconds between looks at the store for a taken proposal's result (its twin's)


# ------------------------------------------------------------------ a study
def run_study(strategy, space, task, n_trials, *, seed, strategy_options=None, storage=None, study=None,
              new_study=False, maximize=False, n_jobs=1, executor=None, batch_size=None, timeout=None,
              trial_timeout=None, callback=None, pruner=None):
    """What `minimize` and `search` share: open the store and the study (see `spacedsl.storage`),
    make the strategy (seeded afresh when resuming, see `resumed_seed`), and run the trials."""

    timeout = positive_number("timeout", timeout)
    trial_timeout = positive_number("trial_timeout", trial_timeout)
    batch_size = None if batch_size is None else positive_int("batch_size", batch_size)
    pruner = make_pruner(pruner)  # None, "median", "percentile:25" or an object with prune()
    factory = plugins.strategy(strategy)
    workers = Workers(n_jobs, executor)
    with open_storage(storage) as store:
        if store is not None:
            study = default_study(space) if study is None else study
            earlier = open_study(store, study, space, strategy, new_study=new_study, maximize=maximize)
            seed = resumed_seed(seed, factory, len(earlier))
        proposer = factory(space, seed=seed, **(strategy_options or {}))
        return run_trials(proposer, task, n_trials, workers=workers, maximize=maximize,
                          ask_size=batch_size_for(proposer, n_trials), batch_size=batch_size,
                          store=store, study=study, seed=seed, timeout=timeout, trial_timeout=trial_timeout,
                          max_skips=math.inf if capability(factory, "keeps_order") else MAX_SKIPS, callback=callback,
                          pruner=pruner)


def resumed_seed(seed, factory, earlier):
    """The seed of a run that resumes a study holding ``earlier`` trials: a fresh stream derived from
    ``seed``, so it does not replay the first run's draws (a strategy that ``keeps_order``, such as
    the grid, keeps its seed and skips what is done)."""
    if earlier and not capability(factory, "keeps_order") and isinstance(seed, int) and not isinstance(seed, bool):
        import numpy as np
        return int(np.random.SeedSequence([seed, earlier]).generate_state(1)[0])
    return seed


def batch_size_for(proposer, n_trials, batch_size=None):
    """How many configurations to ask at a time: ``batch_size`` if given, else by the strategy's nature.

    A strategy that says ``adaptive = False`` (its proposals ignore what it was told: grid, random,
    sobol) is asked for many at once; any other one configuration at a time (see
    `spacedsl.strategies`). Never depends on ``n_jobs``.
    """
    if batch_size is not None:
        return positive_int("batch_size", batch_size)
    return 1 if capability(proposer, "adaptive") else max(1, min(n_trials, MAX_BATCH))


def default_study(space):
    """The study name a space gets by default: its file's name without the suffix, else ``"default"``."""
    return study_for_file(getattr(space, "filename", None))


def study_for_file(filename):
    """``runs/rf.space`` -> ``rf``; ``"default"`` for no file (``None``, ``<string>``, ``<stdin>``)."""
    if filename and not filename.startswith("<"):
        return os.path.splitext(os.path.basename(filename))[0] or "default"
    return "default"


def positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def positive_number(name, value):
    """None, or a positive finite number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return float(value)


# ------------------------------------------------------------------ the loop
@attrs.define
class Run:
    """What `run_trials` did: every trial by number (earlier ones of a resumed study included),
    and the `Outcome.info` of each, by number."""

    trials: list
    infos: dict


def run_trials(proposer, task, n_trials, *, workers, maximize=False, ask_size=1, batch_size=None,
               store=None, study=None, seed=None, max_skips=MAX_SKIPS, timeout=None, trial_timeout=None,
               callback=None, pruner=None):
    """Run trials until ``n_trials`` have finished (counting a resumed study's), the strategy has
    nothing left, or ``timeout`` seconds have passed.

    ``task(config) -> Outcome`` runs on ``workers``; a trial's loss told to ``proposer`` is its
    value, negated when ``maximize``. With ``store`` the earlier trials of ``study`` are told to the
    strategy first (interrupted ones are offered again) and each new trial is recorded twice.
    ``callback(trial)`` is called as each trial finishes. With a store, a proposal that repeats a
    configuration already complete in the study is skipped, up to ``max_skips`` in a row (then it
    is run anyway, so a strategy that only repeats itself still ends; a grid passes infinity).
    ``pruner`` (an object with ``prune(number, step, loss) -> bool``, or None) may stop any trial
    at its intermediate reports, as the strategy's own ``prune`` may (see the module doc).
    """
    loop = TrialLoop(proposer, task, n_trials, workers=workers, maximize=maximize, ask_size=ask_size,
                     batch_size=batch_size, store=store, study=study, seed=seed, max_skips=max_skips,
                     timeout=timeout, trial_timeout=trial_timeout, callback=callback, pruner=pruner)
    return loop.run()


class TrialLoop:
    """One `run_trials`: what is running, what is queued, and what the strategy was told.

    Attributes:
        trials: Every trial so far (a resumed study's first), in the order they ended.
        infos: The `Outcome.info` of each trial, by number.
        queue: Configurations to run before asking the strategy again (interrupted ones first).
        done: The losses of the configurations complete or pruned in the study (with a store), by key:
            a repeat is skipped and told that loss.
        flying: ``{future: (number, config, started)}`` of the trials running.
        retried: Keys of configurations whose worker died once: they run again, alone (``solo``).
        untold: Lock-step only: the batch's ``(number, config, loss)``, told in trial order once it is back.
        reports: ``{number: [[step, value], ...]}`` of the trials running.
        stopped: ``{number: (step, value)}``: the running trials told to stop, and where.
        judges: What decides at a report: the strategy (if it has ``prune``) and the pruner.
        on_start: The strategy's optional ``started(number, config)``, called as each trial starts.
        twins: ``{key: [config, ...]}``: proposals the store refused as `TAKEN` (the same run is going
            on, here or in another process); each is told the twin's loss once the store has it, so
            a strategy waiting for every result (a rung of ``sha``) is not left waiting for ever.
    """

    def __init__(self, proposer, task, n_trials, *, workers, maximize, ask_size, batch_size, store, study,
                 seed, max_skips, timeout, trial_timeout, callback, pruner=None):
        self.proposer, self.task, self.n_trials, self.workers = proposer, task, n_trials, workers
        self.maximize, self.ask_size, self.batch_size, self.max_skips = maximize, ask_size, batch_size, max_skips
        self.store, self.study, self.seed, self.callback = store, study, seed, callback
        self.trial_timeout = trial_timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.trials, self.infos, self.queue, self.done = [], {}, collections.deque(), {}
        self.flying, self.retried, self.untold = {}, set(), []
        self.reports, self.stopped, self.max_steps, self.hub = {}, {}, {}, None
        self.judges = [j for j in (proposer, pruner) if callable(getattr(j, "prune", None))]
        self.watchers = [j for j in self.judges if j is not proposer or capability(proposer, "stops_trials")]
        self.on_start = getattr(proposer, "started", None)
        self.twins, self.twins_read = {}, 0.0
        if pruner is not None and pruner not in self.judges:
            raise TypeError(f"a pruner needs a prune(number, step, loss) method; got {type(pruner).__name__}")
        self.exhausted = self.abandoned = self.solo = self.full = False
        self.skips = 0
        self._resume()
        self.finished = sum(t.finished for t in self.trials)
        self.local_number = len(self.trials)

    def run(self):
        """Start trials as workers free up and record them as they end; a `Run`."""
        try:
            while True:
                self._start_trials()
                if not self.flying:
                    if self._wait_for_twins():
                        continue
                    break
                limit = self._limit()
                ready = self._wait(limit)
                self._answer_reports()
                for future in sorted(ready, key=lambda f: self.flying[f][0]):
                    self._collect(future)
                if limit:
                    self._abandon_late(limit)
                self._read_twins()
        except BaseException:
            _interrupt(self.store, self.study, self.flying)
            self.workers.close(wait=False)
            raise
        finally:
            if self.hub is not None:
                self.hub.close()
        self.workers.close(wait=not self.abandoned)
        self.trials.sort(key=lambda t: t.number)
        return Run(self.trials, self.infos)

    # ------------------------------------------------------------ starting
    def _resume(self):
        """Tell the strategy a resumed study's finished trials; queue its interrupted ones again."""
        if self.store is None:
            return
        for trial, info in self.store.trials_with_info(self.study):
            self.trials.append(trial)
            self.infos[trial.number] = info
        self.queue.extend(_offer_again(self.trials))
        for t in self.trials:
            if t.state in (COMPLETE, PRUNED):
                self.done[_key(t.params, t.max_step)] = _loss(t.value, self.maximize)
            if t.finished:
                if self.on_start is not None:
                    self.on_start(t.number, Suggestion(t.params, t.max_step))
                for step, value in (self.infos.get(t.number) or {}).get("reports", ()):
                    for judge in self.judges:  # what they would have seen; the answers are history
                        judge.prune(t.number, step, _loss(value, self.maximize))
                self.proposer.tell(Suggestion(t.params, t.max_step), _loss(t.value, self.maximize))

    def _start_trials(self):
        """Give every free worker a trial, within the budget and before the deadline."""
        while (len(self.flying) < self.workers.capacity and self.finished + len(self.flying) < self.n_trials
               and not self.full and (self.deadline is None or time.monotonic() < self.deadline)):
            if self.solo:
                break  # a configuration whose worker died runs alone, so a second death is its own
            config = self._next_config()
            if config is None:
                break
            key = _key(config, max_step_of(config))
            if key in self.done and self.skips < self.max_skips:
                self.skips += 1
                self.proposer.tell(config, self.done[key])  # every configuration asked is told
                continue
            if key in self.retried:
                if self.flying:
                    self.queue.appendleft(config)
                    break
                self.solo = True
            started = self._start(config, unique=self.skips < self.max_skips)
            if started == FULL:  # the study's budget is spent (other processes' trials count too)
                self.full, self.solo = True, False
                self.queue.appendleft(config)
                break
            if started == TAKEN:  # a twin runs it (another process, or ours), or ran it since we read the study
                self.skips += 1
                self.twins.setdefault(key, []).append(config)
                continue
            self.skips = 0

    def _next_config(self):
        if not self.queue and not self.exhausted:
            if self.batch_size is not None and self.flying:
                return None  # lock-step: the next batch waits for this one
            for _, told, loss in sorted(self.untold, key=lambda item: item[0]):
                self.proposer.tell(told, loss)  # in trial order, whichever worker finished first
            self.untold.clear()
            want = self.batch_size or self.ask_size
            configs = self.proposer.ask(max(1, min(want, self.n_trials - self.finished - len(self.flying))))
            if not configs and not self.flying and not self.twins:  # (else "nothing now": ask again later)
                self.exhausted = True
            self.queue.extend(_copy(c) for c in configs)
        return self.queue.popleft() if self.queue else None

    def _start(self, config, unique=False):
        """Start a trial: its number, or `FULL` / `TAKEN` from the store (nothing started)."""
        max_step = max_step_of(config)
        if self.store is not None:  # the budget is the study's, shared with every process running it
            number = self.store.start_trial(self.study, config, self.seed, budget=self.n_trials, unique=unique,
                                            max_step=max_step)
            if number in (FULL, TAKEN):
                return number
        else:
            number, self.local_number = self.local_number, self.local_number + 1
        self.max_steps[number], self.reports[number] = max_step, []
        if self.on_start is not None:
            self.on_start(number, config)
        watched = bool(self.watchers) or max_step is not None
        if self.workers.inline:
            report = Reporter(number, max_step, decide=self.decide, watched=watched)
        else:
            if self.hub is None:
                self.hub = ReportHub(self.decide, self.workers.dask_client)
            report = self.hub.reporter(number, max_step, watched)
        started = time.monotonic()
        future = _submit(self.workers, self.task, config, self.trial_timeout, number, self.store, self.study, report)
        self.flying[future] = (number, config, started)
        return number

    # ------------------------------------------------------------ reports
    def decide(self, number, step, value):
        """A running trial reported ``value`` at ``step``: whether it should stop now."""
        if number in self.stopped or number not in self.reports:
            return True  # told to stop already (or no longer running)
        self.reports[number].append([step, value])
        max_step = self.max_steps.get(number)
        loss = _loss(value, self.maximize)
        if not math.isfinite(loss):  # NaN or an infinity: diverged, the worst there is (never the best)
            loss = math.inf
        stop = max_step is not None and step >= max_step
        for judge in self.judges:  # each sees every report, so their records stay whole
            stop = bool(judge.prune(number, step, loss)) or stop
        if stop:
            self.stopped[number] = (step, value)
        return stop

    def _answer_reports(self):
        if self.hub is None:
            return
        for number, step, value, answer in self.hub.take():
            try:
                answer(self.decide(number, step, value))
            except BaseException:
                answer(True)
                raise

    # ------------------------------------------------------------ waiting
    def _limit(self):
        """The driver's own deadline for a trial: later where the worker's alarm should act first."""
        if not self.trial_timeout:
            return None
        return self.trial_timeout + (max(1.0, 0.1 * self.trial_timeout) if self.workers.alarms else 0.0)

    def _wait(self, limit):
        """The futures that are done, waiting for one (or, with a limit, until a trial may be late)."""
        timeout = None
        if limit:
            first = min(started for _, _, started in self.flying.values())
            timeout = max(0.01, min(POLL, first + limit - time.monotonic()))
        wake = [] if self.hub is None else [self.hub.wake]
        ready, _ = cf.wait(list(self.flying) + wake, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return [f for f in ready if f in self.flying]

    def _collect(self, future):
        number, config, _started = self.flying[future]
        self.solo = False
        try:
            outcome = future.result()
        except cf.BrokenExecutor as exc:  # a worker died, and every trial the pool ran with it
            del self.flying[future]
            key = _key(config, max_step_of(config))
            if key not in self.retried:  # once more: it may not be the one that killed it
                self.retried.add(key)
                self._interrupted(number, config)
                self.queue.appendleft(config)
                return
            outcome = Outcome(None, f"WorkerError: {error_text(exc).splitlines()[0]} (twice)")
        except Exception as exc:  # the task could not be sent or run
            del self.flying[future]
            outcome = Outcome(None, f"WorkerError: {error_text(exc).splitlines()[0]}")
        else:
            del self.flying[future]  # (not before: a Ctrl-C above leaves it to be recorded as interrupted)
        self._record(number, config, outcome)

    def _abandon_late(self, limit):
        """Trials the worker could not stop: stop waiting for them and record them timed out."""
        late = [f for f, (_, _, started) in self.flying.items() if time.monotonic() - started >= limit]
        for future in late:
            self.abandoned, self.solo = True, False
            number, config, started = self.flying.pop(future)
            future.cancel()
            self._record(number, config, Outcome(None, timeout_text(self.trial_timeout), time.monotonic() - started))

    # ------------------------------------------------------------ twins
    def _wait_for_twins(self):
        """Nothing of ours runs but proposals wait for their twins: wait for the store to have them
        (True), unless the budget or the time is up (False: the search ends)."""
        if not self.twins or self.full or self.finished >= self.n_trials or (
                self.deadline is not None and time.monotonic() >= self.deadline):
            return False
        time.sleep(max(0.0, self.twins_read + TWIN_POLL - time.monotonic()))
        self._read_twins()
        return True

    def _read_twins(self):
        """Tell the taken proposals whose twin has ended its loss (at most every `TWIN_POLL` s); offer
        again those whose twin was interrupted or whose process is gone."""
        if not self.twins or time.monotonic() - self.twins_read < TWIN_POLL:
            return
        self.twins_read = time.monotonic()
        latest = {}  # by key, its last run (rows come by number): (Trial, its process is gone)
        if hasattr(self.store, "trial_rows"):
            for row in self.store.trial_rows(self.study):
                latest[_key(row["params"], row["max_step"])] = (row_trial(row), left_over(row))
        else:
            for trial in self.store.trials(self.study):
                latest[_key(trial.params, trial.max_step)] = (trial, False)
        mine = {t.number: i for i, t in enumerate(self.trials)}
        for key in list(self.twins):
            twin, gone = latest.get(key, (None, False))
            if twin is not None and twin.state == RUNNING and not gone:
                continue
            configs = self.twins.pop(key)
            if twin is not None and twin.finished:
                if twin.number in mine:  # resumed while it ran: the record of it is stale
                    self.trials[mine[twin.number]] = twin
                loss = _loss(twin.value, self.maximize)
                if twin.state != FAILED:
                    self.done[key] = loss
                for config in configs:
                    self.proposer.tell(config, loss)
                continue
            if gone:  # its process is gone: recorded as opening the study would, so that ours may start
                self.store.finish_trial(self.study, twin.number, None, FAILED, INTERRUPTED)
                if twin.number in mine:
                    self.trials[mine[twin.number]] = attrs.evolve(twin, state=FAILED, error=INTERRUPTED)
            self.queue.append(configs[0])  # ours to run; any more wait for that run
            if configs[1:]:
                self.twins[key] = configs[1:]

    # ------------------------------------------------------------ recording
    def _interrupted(self, number, config):
        """A trial cut short, to run again: kept as failed "interrupted", not counted, not told."""
        self.reports.pop(number, None)
        self.stopped.pop(number, None)
        if self.store is not None:
            self.store.finish_trial(self.study, number, None, FAILED, INTERRUPTED)
        self.trials.append(Trial(number, dict(config), None, FAILED, INTERRUPTED, max_step=max_step_of(config)))

    def _record(self, number, config, outcome):
        reports, stopped = self.reports.pop(number, []), self.stopped.pop(number, None)
        ok = outcome.value is not None and math.isfinite(outcome.value)
        step = reports[-1][0] if reports else None
        if stopped is not None:  # pruned: whatever the trial returned or raised after it was told to stop
            value = stopped[1] if math.isfinite(stopped[1]) else None  # as the store keeps it
            trial = Trial(number, dict(config), value, PRUNED, None, outcome.duration, stopped[0],
                          max_step_of(config), map(tuple, reports))
        else:
            trial = Trial(number, dict(config), float(outcome.value) if ok else None, COMPLETE if ok else FAILED,
                          None if ok else (outcome.error or f"ValueError: the result was {outcome.value!r}"),
                          outcome.duration, step, max_step_of(config), map(tuple, reports))
        info = outcome.info
        if reports:
            info = {**(info or {}), "reports": reports}
        if self.store is not None:
            self.store.finish_trial(self.study, number, trial.value, trial.state, trial.error, trial.duration,
                                    info=info, step=trial.step)
        self.infos[number] = info
        self.trials.append(trial)
        self.finished += 1
        loss = _loss(trial.value, self.maximize)
        if self.batch_size is None:
            self.proposer.tell(config, loss)
        else:
            self.untold.append((number, config, loss))
        key = _key(config, trial.max_step)
        if trial.state in (COMPLETE, PRUNED) and self.store is not None:
            self.done[key] = loss
        for twin in self.twins.pop(key, ()):
            self.proposer.tell(twin, loss)
        if self.callback is not None:
            self.callback(trial)


def _submit(workers, task, config, trial_timeout, number, store, study, report=None):
    try:
        return workers.submit(task, config, trial_timeout, report)
    except BaseException:  # inline: Ctrl-C (or a store error) inside the trial itself
        if store is not None:
            with contextlib.suppress(Exception):
                store.finish_trial(study, number, None, FAILED, INTERRUPTED)
        raise


def _interrupt(store, study, flying):
    for future, (number, _config, _started) in flying.items():
        future.cancel()
        if store is not None:
            with contextlib.suppress(Exception):
                store.finish_trial(study, number, None, FAILED, INTERRUPTED)


def _loss(value, maximize):
    if value is None:
        return None
    return -value if maximize else value


def _key(config, max_step=None):
    """What makes a run the same: the configuration and where it was to stop."""
    return config_key(config), max_step


def _copy(config):
    return Suggestion(config, config.max_step) if isinstance(config, Suggestion) else dict(config)


def _offer_again(trials):
    """The configurations of interrupted trials that no later trial ran again, in order."""
    seen, again = set(), []
    for t in reversed(trials):
        key = _key(t.params, t.max_step)
        if t.interrupted and key not in seen:
            again.append(t.params if t.max_step is None else Suggestion(t.params, t.max_step))
        seen.add(key)
    return list(reversed(again))
