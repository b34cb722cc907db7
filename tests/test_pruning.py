"""Pruners: Percentile and Median decisions, warm-up, minimum trials, and make_pruner's forms."""

import math

import pytest

from spacedsl.strategies import Median, Percentile, make_pruner


def test_median_stops_a_trial_worse_than_the_others_median_at_that_step():
    pruner = Median(min_trials=3)
    for number, loss in enumerate([1.0, 2.0, 3.0]):
        assert not pruner.prune(number, 1, loss)  # fewer than 3 others: never stops
    assert pruner.prune(3, 1, 2.5)       # median of 1, 2, 3 is 2
    assert not pruner.prune(4, 1, 2.0)   # equal to the median: goes on
    assert not pruner.prune(5, 1, 0.5)
    assert not pruner.prune(6, 2, 100.0)  # nobody else has reported step 2


def test_others_only_and_the_same_step_only():
    pruner = Median(min_trials=2)
    pruner.prune(0, 5, 1.0)
    pruner.prune(1, 5, 3.0)
    pruner.prune(1, 6, 0.1)
    # trial 1's own report at step 5 is replaced by a new one; the others at step 5: only trial 0
    assert not pruner.prune(1, 5, 9.0)
    pruner.prune(2, 5, 2.0)
    assert not pruner.prune(3, 5, 1.6)  # others 1, 9, 2: median 2
    assert pruner.prune(4, 5, 2.5)      # others 1, 9, 2, 1.6: median 1.8

def test_percentile_keeps_the_best_quarter():
    pruner = Percentile(25.0, min_trials=4)
    for number in range(5):
        pruner.prune(number, 10, float(number))  # 0, 1, 2, 3, 4: the 25th percentile is 1
    assert not pruner.prune(9, 10, 1.0)
    assert pruner.prune(10, 10, 1.01)


def test_warmup_and_bad_losses():
    pruner = Median(min_trials=1, warmup_steps=3)
    pruner.prune(0, 1, 0.0)
    assert not pruner.prune(1, 1, 5.0)  # before the warm-up
    pruner.prune(0, 3, 0.0)
    assert pruner.prune(1, 3, 5.0)
    assert pruner.prune(2, 3, float("nan"))  # NaN is the worst
    p = Median(min_trials=2)
    p.prune(0, 1, math.inf)
    p.prune(1, 1, math.inf)
    assert not p.prune(2, 1, 1e300)  # others' infinities: no nan from interpolation


def test_make_pruner_forms():
    assert make_pruner(None) is None
    assert isinstance(make_pruner("median"), Median)
    p = make_pruner("percentile:25")
    assert isinstance(p, Percentile) and p.percentile == 25.0
    custom = Percentile(10, min_trials=1, warmup_steps=2)
    custom.prune(0, 3, 1.0)
    copied = make_pruner(custom)  # its settings, without another search's records
    assert type(copied) is Percentile and repr(copied) == repr(custom) and copied is not custom
    assert copied.losses == {} and custom.losses == {3: {0: 1.0}}
    assert type(make_pruner(Median(min_trials=3))) is Median

    class Mine:
        def prune(self, number, step, loss):
            return False
    mine = Mine()
    assert make_pruner(mine) is mine


@pytest.mark.parametrize("spec, message", [
    ("medain", r"unknown pruner 'medain': did you mean 'median'\? prune takes one of: None, 'median'"),
    ("percentile:x", r"the percentile must be a number in 0..100, e.g. 'percentile:25'"),
    ("percentile:120", r"in 0..100"),
    ("percentile", r"unknown pruner 'percentile'"),
    (Median, r"pass an instance, e.g. prune=Median\(\)"),
    (42, r"prune must be one of: None, 'median', 'percentile:P'.*got 42 \(of type int\)"),
])
def test_make_pruner_refuses_anything_else(spec, message):
    with pytest.raises(ValueError, match=message):
        make_pruner(spec)


@pytest.mark.parametrize("kwargs", [{"percentile": -1}, {"percentile": 101}, {"min_trials": 0},
                                    {"min_trials": 1.5}, {"warmup_steps": -1}, {"percentile": True}])
def test_bad_options(kwargs):
    with pytest.raises(ValueError):
        Percentile(**kwargs)


def test_one_pruner_object_serves_many_searches_alike():
    import spacedsl

    def loss(config, report):
        for step in (1, 2, 3):
            if report(step, config["x"] * step):
                break
        return config["x"] * 3

    shared = Median(min_trials=1)
    runs = [spacedsl.minimize(loss, "x ~ uniform(0, 1)", strategy="random", n_trials=8, seed=0, prune=shared)
            for _ in range(2)]
    fresh = spacedsl.minimize(loss, "x ~ uniform(0, 1)", strategy="random", n_trials=8, seed=0,
                              prune=Median(min_trials=1))
    states = [[(t.state, t.step) for t in r.trials] for r in (*runs, fresh)]
    assert states[0] == states[1] == states[2] and any(s == "pruned" for s, _ in states[0])
