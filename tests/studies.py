"""Real studies for the results tests and benchmarks: stores written by `minimize`, and large
ones written into a `Store`'s file directly (one transaction), with every trial state."""

from __future__ import annotations

import math
import sqlite3
import time

import numpy as np

import spacedsl
from spacedsl.storage.sqlite import Store, dumps_params

CONDITIONAL = """\
kernel in ["linear", "rbf", "poly"]
if kernel == "poly" {
    degree in 2..5
}
if kernel in ["rbf", "poly"] {
    gamma ~ loguniform(1e-5, 1)
}
C ~ loguniform(1e-3, 1e3)
shrinking in [true, false]
(tol, max_iter) in [(1e-3, 100), (1e-4, 1000)]
"""


def svm_like(params):
    """A loss shaped like an SVM's error over CONDITIONAL; raises for some configurations."""
    if params["C"] > 300:
        raise ValueError("C too large: did not converge")
    loss = abs(math.log10(params["C"]) - 1.0)
    if params["kernel"] != "linear":
        loss += 0.3 * abs(math.log10(params["gamma"]) + 2.0)
    if params["kernel"] == "poly":
        loss += 0.1 * params["degree"]
    return loss + (0.05 if params["shrinking"] else 0.0)


def conditional_store(path, n_trials=60, pruned=3):
    """A store holding study ``svm``: ``n_trials`` of random search on CONDITIONAL (some failed),
    plus ``pruned`` pruned trials, one interrupted and one running on another host."""
    space = spacedsl.parse(CONDITIONAL)
    spacedsl.minimize(svm_like, space, strategy="random", n_trials=n_trials, seed=0, storage=path, study="svm")
    extra = []
    for k, config in enumerate(space.sample(pruned + 2, seed=1)):
        state, value, error = ("pruned", 2.5 + k, None)
        if k == pruned:
            state, value, error = "failed", None, "interrupted"
        elif k == pruned + 1:
            state, value, error = "running", None, None
        extra.append((config, value, state, error))
    append_trials(path, "svm", extra)
    return path


def append_trials(path, study, rows):
    """Write ``rows`` (``(params, value, state, error)``) after the study's last trial, in one transaction."""
    conn = sqlite3.connect(path)
    try:
        (start,) = conn.execute("SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study = ?",
                                (study,)).fetchone()
        now = time.time()
        conn.executemany(
            "INSERT INTO trials (study, number, params, value, state, error, started, finished, duration,"
            " seed, worker, heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'elsewhere:1:x', ?)",
            [(study, start + i, dumps_params(params), value, state, error, now + i * 0.01,
              None if state == "running" else now + i * 0.01 + 0.005, 0.005, now)
             for i, (params, value, state, error) in enumerate(rows)])
        conn.commit()
    finally:
        conn.close()


BIG = "\n".join(
    [f"x{i} ~ uniform(0, 1)" for i in range(12)]
    + [f"lr{i} ~ loguniform(1e-5, 1e-1)" for i in range(3)]
    + ['opt in ["sgd", "adam", "rmsprop", "adagrad"]', 'act in ["relu", "tanh"]', 'norm in [true, false]']
    + ["layers in 1..8", "width: int ~ uniform(16, 512)"]) + "\n"


def big_values(configs):
    """A loss on BIG that x0 and x1 drive, with a little of everything else."""
    out = []
    for c in configs:
        loss = 4.0 * (c["x0"] - 0.3) ** 2 + 2.0 * abs(c["x1"] - 0.5) + 0.2 * (math.log10(c["lr0"]) + 3) ** 2 / 4
        loss += {"sgd": 0.3, "adam": 0.0, "rmsprop": 0.1, "adagrad": 0.2}[c["opt"]] + 0.02 * c["layers"]
        loss += 0.01 * sum(c[f"x{i}"] for i in range(2, 12))
        out.append(loss)
    return out


def big_store(path, n=10_000, seed=0):
    """A store holding study ``big``: ``n`` trials over the 20 parameters of BIG (values from
    `big_values`), 2 % failed, 1 % pruned, written in one transaction."""
    space = spacedsl.parse(BIG)
    with Store(path) as store:
        store.create_or_load_study("big", space, "random")
    configs = space.sample(n, seed=seed)
    values = big_values(configs)
    rng = np.random.default_rng(seed)
    fate = rng.random(n)
    rows = []
    for config, value, u in zip(configs, values, fate):
        if u < 0.02:
            rows.append((config, None, "failed", "RuntimeError: diverged"))
        elif u < 0.03:
            rows.append((config, value + 1.0, "pruned", None))
        else:
            rows.append((config, value, "complete", None))
    append_trials(path, "big", rows)
    return path
