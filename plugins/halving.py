"""``sha``, ``hyperband`` and ``asha``: successive halving, its brackets, and its asynchronous form.

All three run most configurations on a small budget and only the best on larger ones; the
budgets are the rungs of `spacedsl.strategies.Rungs` (``min_resource * factor**k``, then
``max_resource``). A budget is a *step* of the trial's ``report(step, value)``: an iteration
count, a number of samples, a number of folds.

- ``sha`` (synchronous, like scikit-learn's ``HalvingRandomSearchCV``): ``n_configs``
  configurations (default ``factor**levels``) run to the bottom budget, each as a trial whose
  ``report`` says stop there (it ends ``pruned``); once every trial of a rung is back, the best
  ``1/factor`` run again, from scratch, at the next budget; the top rung runs in full (it ends
  ``complete``). Failed trials rank last. While a rung waits for its running trials, ``ask``
  returns ``[]``. When the top rung is done a new bracket starts.
- ``hyperband``: the same, cycling through the paper's brackets s = s_max..0 (Li et al. 2018),
  from the most aggressive (many configurations, small budgets) to plain full-budget search.
- ``asha`` (asynchronous, for ``n_jobs > 1``; Li et al. 2020, in the "stop in place" form of Ray
  Tune's ASHA and Optuna's SuccessiveHalvingPruner): every trial is started for the full budget,
  and `AsyncSuccessiveHalving.prune` decides at each rung. At its first report at or past a rung's
  budget, the trial's loss is recorded there, and the trial goes on only if it is among the best
  ``floor(n / factor)`` of the n losses recorded at that rung so far (itself included); while
  fewer than ``factor`` are recorded (floor is 0) it goes on. A free worker never waits:
  ``ask`` always has a new configuration. Hyperband's brackets "in place" (Ray's ``brackets``)
  are not offered: the ASHA paper finds one bracket best, and several would only split the
  workers between rungs of different aggressiveness.

With a pruner too (``prune=``), a trial may stop below the budget it was run for. The strategies
see every report (``prune``; ``sha``'s and ``hyperband``'s never stops anything) and link trial
numbers with configurations (``started``), so a told loss is recorded at that budget only if the
trial's last report reached it (or it reported nothing): ``asha`` has the rung losses of such a
trial already, and ``sha`` ranks it last in its rung (its loss is from a smaller budget than the
others'). A resumed ``asha`` gets the stored reports in trial-number order, not the order they
came in, so its replayed decisions may differ from the live ones; it records every rung a trial
reached, stopped in the replay or not, and the full budget only for trials whose reports got there.

New configurations come from ``sampler`` (a strategy name: ``"random"`` by default, or
``"gp-ei"``, ``"sobol"``, any registered strategy; ``sampler_options`` are its options). A sampler
that learns (``adaptive``: gp-ei, Optuna's) is the idea of BOHB: it is told the results at one
budget, the largest that has ``min_results`` finite losses (default ``max(d + 1, 5)`` for d
searched parameters: gp-ei's own start), and never results from lower budgets mixed in, since a
loss after 3 iterations and one after 81 are different functions of the configuration; while no
budget has enough, configurations are drawn at random. One sampler instance is kept per model
budget and told that budget's new results as they come; what it proposed is pending there (gp-ei's
Kriging believer keeps a batch apart), but most of it is run only at lower budgets and never told
back, so the instance is made afresh (and told the budget's results again) when the budget changes
or after ``max(16, half its results)`` proposals: nothing stays pending for long. (A fresh gp-ei
told 100 results on 5 dimensions takes 0.9 s to propose, a kept one 0.12 s:
benchmarks/bench_halving_sampler.py.) A sampler that does not learn (random, sobol, grid) is one instance, asked
in turn. The space's defaults, when it has any, are the first configuration.
"""

from __future__ import annotations

import collections
import math
import numbers

from spacedsl import plugins
from spacedsl.hookspecs import hookimpl
from spacedsl.strategies import Rungs, Strategy, Suggestion, config_key
from spacedsl.strategies.base import capability

TOLERANCE = 1e-9  # a step this close (relatively) to a budget reached it
TRIES = 8  # proposals looked at for one not run before, before a repeat is accepted
REFRESH = 16  # an adaptive sampler is made afresh after max(this, half its results) proposals


class Sampler:
    """Where a halving strategy's new configurations come from (``sampler=``; see the module).

    Attributes:
        name: The sampling strategy's name.
        adaptive: Whether it learns from results (then it is re-made per budget's results).
        min_results: Finite losses a budget needs before an adaptive sampler is told them.
        model_budget: The budget the last configuration was modelled on (None: drawn at random).
    """

    def __init__(self, owner, space, rng, name=None, options=None, min_results=None):
        name = "random" if name is None else name
        if not isinstance(name, str):
            raise ValueError(f"{owner}: sampler must be a strategy name such as 'random' or 'gp-ei', got {name!r}")
        self.factory = plugins.strategy(name)
        if capability(self.factory, "budgeted"):
            raise ValueError(f"{owner}: sampler={name!r} is itself a budgeted strategy; name one that proposes "
                             "configurations, such as 'random' or 'gp-ei'")
        if options is not None and not isinstance(options, dict):
            raise ValueError(f"{owner}: sampler_options must be a dict of the sampler's options, got {options!r}")
        if min_results is None:
            min_results = max(len(space.names) + 1, 5)
        if isinstance(min_results, bool) or not isinstance(min_results, numbers.Integral) or min_results < 1:
            raise ValueError(f"{owner}: min_results must be a whole number >= 1, got {min_results!r}")
        self.name, self.space, self.rng, self.options = name, space, rng, dict(options or {})
        self.adaptive = capability(self.factory, "adaptive")
        self.min_results = int(min_results)
        self.model_budget = None
        self._model = self._model_state = None
        self._asked = 0  # configurations asked of the kept adaptive sampler (its pending ones)
        self._stream = None if self.adaptive else self._make()

    def _make(self):
        return self.factory(self.space, seed=int(self.rng.integers(2**32)), **self.options)

    def budget(self, results):
        """The largest budget of ``results`` (``{budget: [(config, loss)]}``) with enough finite losses."""
        for budget in sorted(results, reverse=True):
            finite = sum(loss is not None and math.isfinite(loss) for _, loss in results[budget])
            if finite >= self.min_results:
                return budget
        return None

    def propose(self, results, seen):
        """One configuration, preferably none of the keys in ``seen``."""
        source = self._stream
        if self.adaptive:
            self.model_budget = budget = self.budget(results)
            source = None if budget is None else self._modelled(budget, results[budget])
        config = None if source is None else _unseen(source, seen)
        if config is not None and self.adaptive:
            self._asked += 1
        return config if config is not None else self._draw(seen)

    def _modelled(self, budget, told):
        """The adaptive sampler told ``told`` (one budget's results): the one kept, told what is new,
        or a fresh one when the budget changed or it has many pending configurations (see the module)."""
        if self._model is None or self._model_state[0] != budget or self._asked >= max(REFRESH, len(told) // 2):
            self._model, self._model_state, self._asked = self._make(), (budget, 0), 0
        for config, loss in told[self._model_state[1]:]:
            self._model.tell(config, loss)
        self._model_state = (budget, len(told))
        return self._model

    def _draw(self, seen):
        for _ in range(TRIES):
            config = self.space.sample(seed=self.rng)
            if config_key(config) not in seen:
                break
        return config


def _unseen(strategy, seen):
    for _ in range(TRIES):
        got = strategy.ask(1)
        if not got:
            return None
        if config_key(got[0]) not in seen:
            return dict(got[0])
    return None


class Halving(Strategy):
    """What the three share: options, the sampler, the results by budget, defaults first.

    Attributes:
        rungs: The `Rungs` (budgets) of the schedule.
        sampler: The `Sampler` new configurations come from.
        results: ``{budget: [(config, loss)]}`` of everything told (loss None: failed).
        seen: Keys of every configuration proposed or told.
        last_report: ``{trial number: (step, loss)}`` of the last report of each trial not told yet.
        options: The names of the options it takes (``spacedsl tune`` checks ``--strategy-option``
            against them, as the constructors take ``**options``).
    """

    name = "halving"
    budgeted = True
    options = ("min_resource", "max_resource", "factor", "sampler", "sampler_options", "min_results")

    def __init__(self, space, seed=None, *, min_resource=1, max_resource=None, factor=3, sampler=None,
                 sampler_options=None, min_results=None, **unknown):
        if unknown:
            names = ", ".join(map(repr, sorted(unknown)))
            raise TypeError(f"{self.name} got unknown option(s) {names}; known: {', '.join(self.options)}")
        super().__init__(space, seed)
        self.rungs = Rungs.from_options(self.name, min_resource, max_resource, factor)
        self.sampler = Sampler(self.name, self.space, self.rng, sampler, sampler_options, min_results)
        self.adaptive = self.sampler.adaptive
        self.results = collections.defaultdict(list)
        self.seen = set()
        self.last_report = {}  # trial number -> (step, loss) of its last report (`prune`)
        self._running = {}  # (config key, max_step) -> numbers of the trials `started` with it, not told yet
        self._short = {}  # (config key, max_step) -> the loss of its last trial told stopped below its budget
        self._defaults_due = self.defaults_first

    def new_config(self):
        """A configuration never run: the defaults first, then the sampler's."""
        config = None
        if self._defaults_due:
            self._defaults_due = False
            config = self.first()
        if config is None:
            config = self.sampler.propose(self.results, self.seen)
        self.seen.add(config_key(config))
        return config

    def started(self, number, config):
        """Link trial ``number`` with its configuration (the trial loop calls this as each trial starts,
        and for a resumed study's trials before their reports), so `tell` knows its last step."""
        self._running.setdefault(_job_key(config), []).append(number)

    def prune(self, number, step, loss):
        """Note trial ``number``'s last report; never stops it (``sha`` and ``hyperband`` stop a trial
        by its ``max_step``; a pruner may stop it sooner, and `tell` then needs the step it reached)."""
        self.last_report[number] = (step, loss)
        return False

    def tell(self, config, loss):
        """Record a loss (None: failed) at the budget the configuration was run for (``max_step``; None:
        the full one) -- unless its trial's last report was below that budget: a pruner stopped it
        there, and its loss is not one at that budget (see `ran_to_budget`)."""
        super().tell(config, loss)
        loss = None if loss is None or not math.isfinite(loss) else float(loss)
        number = self._told_number(config, loss)
        reached = self.ran_to_budget(number, config, loss)
        self.last_report.pop(number, None)
        if reached:
            self.record(dict(config), loss, getattr(config, "max_step", None))
        else:
            self.seen.add(config_key(config))
        return reached

    def ran_to_budget(self, number, config, loss):
        """Whether trial ``number`` ran to the budget ``config`` was run for: its last report is at or
        past it, or it reported nothing (nothing says it stopped early). A result of no trial of ours
        (None: the loop's copy of an earlier trial's, for a repeated proposal or another process's
        twin) did unless the last trial of that job told stopped below its budget on that loss."""
        key = _job_key(config)
        if number is None:
            return key not in self._short or self._short[key] != loss
        last = self.last_report.get(number)
        if last is None:
            return True
        target = getattr(config, "max_step", None)
        target = self.rungs.max_resource if target is None else target
        reached = last[0] >= target - TOLERANCE * max(1.0, abs(target))
        if not reached:
            self._short[key] = loss
        return reached

    def _told_number(self, config, loss):
        """The number of the `started` trial ``config`` (and ``loss``) was told for, or None: of the
        trials running that job, the first whose last report was that loss, else the first."""
        numbers = self._running.get(_job_key(config))
        if not numbers:
            return None
        want = math.inf if loss is None else loss
        pick = next((n for n in numbers if _last_loss(self.last_report.get(n)) == want), numbers[0])
        numbers.remove(pick)
        if not numbers:
            del self._running[_job_key(config)]
        return pick

    def record(self, config, loss, budget):
        self.results[self.rungs.max_resource if budget is None else budget].append((config, loss))
        self.seen.add(config_key(config))


def _last_loss(last):
    if last is None:
        return None
    loss = last[1]
    return math.inf if loss is None or not math.isfinite(loss) else float(loss)


# ------------------------------------------------------------------ synchronous
WAIT, DONE = "wait", "done"


class Bracket:
    """One bracket of synchronous successive halving, and where it has got to.

    Attributes:
        budgets, sizes: Its rungs' budgets and sizes, bottom first.
        rung: The index of the rung being run.
        promoted: The configurations of the rung being run (None at the bottom: drawn as asked).
        issued: How many of the rung's trials were handed out.
        pending: ``{(config key, max_step): count}`` handed out and not told yet.
        told: ``[(loss, order, config)]`` of the rung so far (a failed trial's loss is inf).
    """

    def __init__(self, budgets, sizes):
        self.budgets, self.sizes = tuple(budgets), tuple(sizes)
        self.rung, self.promoted, self.issued = 0, None, 0
        self.pending, self.told = collections.Counter(), []

    @property
    def max_step(self):
        """Where the rung's trials stop: its budget, or None for the top rung (a full run)."""
        return None if self.rung == len(self.budgets) - 1 else self.budgets[self.rung]

    def job(self, draw):
        """The next `Suggestion` of the bracket, or `WAIT` (trials of the rung are out) or `DONE`."""
        while True:
            if self.issued < self.sizes[self.rung]:
                config = draw() if self.promoted is None else self.promoted[self.issued]
                self.issued += 1
                job = Suggestion(config, max_step=self.max_step)
                self.pending[_job_key(job)] += 1
                return job
            if self.pending:
                return WAIT
            if self.rung == len(self.sizes) - 1:
                return DONE
            self.promote()

    def promote(self):
        """Move up a rung with the best ``sizes[rung + 1]`` of this one (ties: the earlier told)."""
        ranked = sorted(self.told, key=lambda t: t[:2])
        self.rung += 1
        self.promoted = [config for _, _, config in ranked[:self.sizes[self.rung]]]
        self.issued, self.told = 0, []

    def tell(self, config, loss):
        """Take a result of this rung's trials; False when ``config`` is not one of them."""
        key = _job_key(config)
        if not self.pending[key]:
            del self.pending[key]
            return False
        self.pending[key] -= 1
        if not self.pending[key]:
            del self.pending[key]
        self.told.append((math.inf if loss is None else loss, len(self.told), dict(config)))
        return True


def _job_key(config):
    return config_key(config), getattr(config, "max_step", None)


class SuccessiveHalving(Halving):
    """``sha``: synchronous successive halving, one full bracket after another (see the module).

    Args:
        n_configs: Configurations of a bracket's bottom rung (default ``factor**levels``).
        min_resource, max_resource, factor: The budgets (`spacedsl.strategies.Rungs`).
        sampler, sampler_options, min_results: Where new configurations come from (`Sampler`).

    Attributes:
        bracket: The `Bracket` being run.
        brackets_started: How many brackets were started.
    """

    name = "sha"
    options = ("n_configs", *Halving.options)
    stops_trials = False  # its prune only notes the last step; a trial stops at its max_step

    def __init__(self, space, seed=None, *, n_configs=None, **options):
        super().__init__(space, seed, **options)
        if n_configs is not None and (isinstance(n_configs, bool) or not isinstance(n_configs, numbers.Integral)
                                      or n_configs < 1):
            raise ValueError(f"sha: n_configs must be a whole number >= 1, got {n_configs!r}")
        self.n_configs = None if n_configs is None else int(n_configs)
        self.bracket, self.brackets_started = None, 0

    def next_bracket(self):
        """The bracket to start now: ``(budgets, sizes)``."""
        n = self.rungs.first_size() if self.n_configs is None else self.n_configs
        return self.rungs.budgets, self.rungs.sizes(n, len(self.rungs.budgets))

    def ask(self, n=1):
        """Up to n trials of the bracket's rung; ``[]`` while the rung waits for its trials to come back."""
        out = []
        while len(out) < n:
            job = DONE if self.bracket is None else self.bracket.job(self.new_config)
            if job is WAIT:
                break
            if job is DONE:  # (or none started yet): the next bracket
                self.bracket = Bracket(*self.next_bracket())
                self.brackets_started += 1
                continue
            out.append(job)
        return out

    def tell(self, config, loss):
        """As `Halving.tell`; in the bracket, a trial stopped below its rung's budget ranks last."""
        reached = super().tell(config, loss)
        if self.bracket is not None:
            finite = reached and loss is not None and math.isfinite(loss)
            self.bracket.tell(config, float(loss) if finite else None)


class Hyperband(SuccessiveHalving):
    """``hyperband``: brackets of successive halving, s = s_max..0 in turn, then again (see the module).

    Args:
        min_resource, max_resource, factor: The budgets (`spacedsl.strategies.Rungs`).
        sampler, sampler_options, min_results: Where new configurations come from (`Sampler`).
    """

    name = "hyperband"
    options = Halving.options

    def __init__(self, space, seed=None, **options):
        if "n_configs" in options:
            raise TypeError("hyperband got unknown option 'n_configs' (its brackets' sizes are Hyperband's own); "
                            f"known: {', '.join(self.options)}")
        super().__init__(space, seed, **options)

    def next_bracket(self):
        return self.rungs.bracket(self.rungs.levels - self.brackets_started % (self.rungs.levels + 1))


# ------------------------------------------------------------------ asynchronous
class AsyncSuccessiveHalving(Halving):
    """``asha``: every trial runs for the full budget; `prune` stops it at a rung (see the module).

    Args:
        min_resource, max_resource, factor: The budgets (`spacedsl.strategies.Rungs`).
        sampler, sampler_options, min_results: Where new configurations come from (`Sampler`).

    Attributes:
        recorded: Per rung below the top, ``{trial number: loss}`` recorded there.
        reached: ``{trial number: index of the next rung to decide}``.
        stopped: Numbers of the trials `prune` stopped.
        configs: ``{trial number: config}`` where known (`started`, which the trial loop calls, or
            matched on the loss told).
    """

    name = "asha"

    def __init__(self, space, seed=None, **options):
        super().__init__(space, seed, **options)
        self.recorded = [{} for _ in self.rungs.budgets[:-1]]
        self.reached, self.stopped, self.configs = {}, set(), {}
        self._last = {}  # number -> last loss reported, for trials whose config is not known yet

    def ask(self, n=1):
        """n new configurations, always (each a full run, ``max_step=None``)."""
        return [Suggestion(self.new_config()) for _ in range(max(0, n))]

    def prune(self, number, step, loss):
        """Record trial ``number``'s loss at every rung ``step`` has reached; True: stop it there.

        A report of a trial already stopped records its rungs without deciding anything: the loop
        sends none while running, so it is history replayed on resume (in trial-number order, not the
        order the trials reached their rungs, so the replayed decisions may differ from the live ones;
        the trial did go on)."""
        self.last_report[number] = (step, loss)
        loss = math.inf if loss is None or math.isnan(loss) else float(loss)
        if number not in self.configs:
            self._last[number] = loss
        k = self.reached.get(number, 0)
        decided = stop = number in self.stopped
        while k < len(self.recorded) and step >= self.rungs.budgets[k]:
            self.recorded[k][number] = loss
            if number in self.configs:
                self.record(self.configs[number], _finite(loss), self.rungs.budgets[k])
            k += 1
            if not decided and not self.promotable(self.recorded[k - 1], loss):
                stop = True
                break
        self.reached[number] = k
        if stop:
            self.stopped.add(number)
        return stop

    def promotable(self, recorded, loss):
        """Whether ``loss`` is among the best ``floor(n / factor)`` of the n ``recorded`` (always while
        that is 0)."""
        keep = self.rungs.keep(len(recorded))
        return keep == 0 or loss <= sorted(recorded.values())[keep - 1]

    def started(self, number, config):
        """Link a trial's number with its configuration (the trial loop calls this as it starts one),
        so rung losses reach the sampler as they are recorded."""
        super().started(number, config)
        self.configs[number] = dict(config)
        self._last.pop(number, None)

    def tell(self, config, loss):
        """The trial's last loss, recorded at the full budget only if the trial's last report reached
        it (or it never reported): a trial stopped below it, by a rung or by a pruner, has its rung
        losses recorded already. A trial not linked by `started` is found by that loss (the last it
        reported; left out when several match) and its rung losses go to the sampler then."""
        Strategy.tell(self, config, loss)
        self.seen.add(config_key(config))
        loss = None if loss is None or not math.isfinite(loss) else float(loss)
        number = self._told_number(config, loss)
        if number is None:
            number = self._match(config, loss)
        if number is False:
            return  # several trials ended on this loss: which one this was is not known
        reached = self.ran_to_budget(number, config, loss)
        self.last_report.pop(number, None)
        if reached:
            self.record(dict(config), loss, None)

    def _match(self, config, loss):
        """The one unlinked trial whose last report was ``loss`` (linked now, its rung losses recorded),
        None when there is none (it never reported), False when there are several."""
        matches = [n for n, last in self._last.items() if last == (math.inf if loss is None else loss)]
        if len(matches) != 1:
            return False if matches else None
        number = matches[0]
        del self._last[number]
        self.configs[number] = dict(config)
        for k, recorded in enumerate(self.recorded):
            if number in recorded:
                self.record(dict(config), _finite(recorded[number]), self.rungs.budgets[k])
        return number


def _finite(loss):
    return loss if math.isfinite(loss) else None


@hookimpl
def spacedsl_strategies():
    return {"sha": SuccessiveHalving, "hyperband": Hyperband, "asha": AsyncSuccessiveHalving}
