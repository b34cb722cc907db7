"""Plots of a study (extra ``[plot]``: matplotlib): `history`, `intermediate`, `slice`, `parallel`,
`contour`, `importance`.

Each takes a `SearchResult` or `MinimizeResult`, a store path, or a `Store` with ``study=``;
draws into ``ax=`` when given (else into a new figure) and returns the matplotlib ``Axes`` —
`slice` of several parameters returns an array of them, one a parameter. ``space=`` tells a
result's log scales and categories (a store knows its space).

Pruned trials (stopped early) keep their last intermediate value: `history` marks them and
`intermediate` draws each trial's reports, while `slice`, `parallel`, `contour` and `importance`
use complete trials only (a pruned value is not comparable to a finished one).

>>> from spacedsl import plot                       # doctest: +SKIP
>>> ax = plot.history("runs.sqlite")                # doctest: +SKIP
>>> ax.figure.savefig("history.png")                # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np

from ..language.errors import did_you_mean
from ..storage.trials import COMPLETE, FAILED, INTERRUPTED, PRUNED, RUNNING
from .study import load, state_of
from .surrogate import INACTIVE, Surrogate, columns_and_features

__all__ = ["contour", "history", "importance", "intermediate", "parallel", "slice"]

MARKS = {  # how trials without a comparable value are marked in `history`
    PRUNED: ("v", "tab:orange", "pruned"),
    FAILED: ("x", "tab:red", "failed"),
    INTERRUPTED: ("x", "tab:gray", "interrupted"),
    RUNNING: ("|", "tab:purple", "running"),
}
GRID = 48      # points a continuous axis of `contour` is evaluated at
MAX_ATOMS = 48  # atoms of a long finite range shown in `contour` (evenly picked)
MAX_POINTS = 1000  # complete trials a `slice` panel shows at most (a seeded sample; the best always)
MAX_LINES = 1000   # lines `parallel` draws at most (likewise)


def require_matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("spacedsl.plot needs matplotlib: pip install 'spacedsl[plot]'") from None
    return matplotlib


def _axes(ax, figsize=(6.4, 4.0)):
    if ax is not None:
        return ax
    require_matplotlib()
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _value_label(data):
    return "score (higher is better)" if data.maximize else "loss (lower is better)"


def _empty(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.35")
    return ax


# ---------------------------------------------------------------- history
def history(source, study=None, *, space=None, ax=None):
    """Every trial's value by trial number, the best so far as a step line; pruned trials at their
    last value, failed, interrupted and running ones marked along the bottom."""
    data = load(source, study, space)
    return draw_history(data, _axes(ax, figsize=(8, 4)))


def draw_history(data, ax):
    numbers = np.array([t.number for t in data.trials], dtype=float)
    done = [i for i, t in enumerate(data.trials) if t.state == COMPLETE and t.value is not None]
    if done:
        x, y = numbers[done], np.array([data.trials[i].value for i in done])
        ax.scatter(x, y, s=12 if len(done) < 2000 else 3, color="tab:blue", alpha=0.7, linewidths=0,
                   label=f"complete ({len(done)})", zorder=2)
        best = np.maximum.accumulate(y) if data.maximize else np.minimum.accumulate(y)
        ax.step(np.append(x, numbers.max()), np.append(best, best[-1]), where="post", color="tab:green",
                lw=1.6, label=f"best so far ({best[-1]:.6g})", zorder=3)
    blend = ax.get_xaxis_transform()
    for state, (marker, color, name) in MARKS.items():
        idx = [i for i, t in enumerate(data.trials) if state_of(t) == state]
        if not idx:
            continue
        values = [data.trials[i].value for i in idx]
        if state == PRUNED and any(v is not None for v in values):
            keep = [i for i, v in zip(idx, values) if v is not None]
            ax.scatter(numbers[keep], [data.trials[i].value for i in keep], marker=marker, s=18, color=color,
                       label=f"{name} ({len(idx)})", zorder=2)
        else:
            ax.scatter(numbers[idx], np.full(len(idx), 0.02), marker=marker, s=22, color=color,
                       transform=blend, label=f"{name} ({len(idx)})", zorder=4, clip_on=False)
    if not data.trials:
        return _empty(ax, "no trials")
    if not done:
        ax.text(0.5, 0.5, "no complete trial", ha="center", va="center", transform=ax.transAxes, color="0.35")
        ax.set_yticks([])
    ax.set_xlabel("trial")
    ax.set_ylabel(_value_label(data))
    ax.set_title("History")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False, borderaxespad=0)
    return ax


# ----------------------------------------------------------- intermediate
def intermediate(source, study=None, *, space=None, ax=None):
    """Each trial's intermediate values (its ``report(step, value)`` calls) against the step, one line
    a trial: complete trials in blue (the best in green), pruned ones in orange ending where they
    were stopped (a mark), from a store or a result.
    At most `MAX_LINES` lines (the best and a seeded sample of the rest); a log step axis when the
    steps span a factor of 20 or more (a resource's growing budgets)."""
    data = load(source, study, space)
    return draw_intermediate(data, _axes(ax, figsize=(8, 4)))


def draw_intermediate(data, ax):
    shown = [i for i, t in enumerate(data.trials)
             if i < len(data.reports) and data.reports[i] and t.state in (COMPLETE, PRUNED) and t.value is not None]
    if not shown:
        return _empty(ax, "no trial reported intermediate values")
    total = len(shown)
    if total > MAX_LINES:
        keep = _sample([data.trials[i] for i in shown], data, MAX_LINES)
        shown = [shown[k] for k in keep]
    best = data.best_trial()
    from matplotlib.collections import LineCollection

    steps = []
    for state, color, name in ((COMPLETE, "tab:blue", "complete"), (PRUNED, "tab:orange", "pruned")):
        idx = [i for i in shown if data.trials[i].state == state]
        if not idx:
            continue
        lines = [np.asarray(data.reports[i], dtype=float) for i in idx]
        steps.extend(line[:, 0] for line in lines)
        thin = len(idx) > 200
        ax.add_collection(LineCollection(lines, colors=color, linewidths=0.6 if thin else 1.0,
                                         alpha=0.35 if thin else 0.6, label=f"{name} ({len(idx)})"))
        if state == PRUNED:
            ends = np.array([line[-1] for line in lines])
            ax.scatter(ends[:, 0], ends[:, 1], marker="v", s=10 if thin else 18, color=color, zorder=3)
    if best is not None and best.number in {data.trials[i].number for i in shown}:
        line = np.asarray(data.reports[data.trials.index(best)], dtype=float)
        ax.plot(line[:, 0], line[:, 1], color="tab:green", lw=2.0, zorder=4,
                label=f"best, trial {best.number} ({best.value:.6g})")
    every = np.concatenate(steps)
    ax.autoscale_view()
    if every.min() > 0 and every.max() / every.min() >= 20:
        ax.set_xscale("log")
        distinct = np.unique(every)
        if len(distinct) <= 12:  # a resource's budgets: label them, not the powers of ten
            from matplotlib.ticker import NullLocator

            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xticks(distinct, [_short(float(v)) for v in distinct])
    ax.set_xlabel("step")
    ax.set_ylabel(_value_label(data))
    ax.set_title("Intermediate values")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False, borderaxespad=0)
    _shown(ax, len(shown), total)
    return ax


# ------------------------------------------------------------------ slice
def slice(source, params=None, study=None, *, space=None, ax=None):  # noqa: A001 (optuna's name)
    """The value of each complete trial against each parameter (``params``: a name or names; default
    every parameter): log axes for log-scale parameters, categories as categories, colour by trial
    number. Returns an Axes for one parameter, else an array of Axes (``ax=``: one Axes a parameter)."""
    data = load(source, study, space)
    columns, _ = columns_and_features(data.complete() or list(data.trials), data.space)
    names = [c.name for c in columns]
    wanted = _wanted(params, names)
    if ax is None:
        require_matplotlib()
        import matplotlib.pyplot as plt

        n = max(len(wanted), 1)
        _, axes = plt.subplots(1, n, figsize=(min(3.2 * n, 16), 3.4), sharey=True, squeeze=False,
                               layout="constrained")
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object))
        if len(axes) != max(len(wanted), 1):
            raise ValueError(f"ax: pass one Axes a parameter ({len(wanted)}), got {len(axes)}")
    draw_slice(data, axes, [columns[names.index(w)] for w in wanted])
    return axes[0] if len(axes) == 1 else axes


def _wanted(params, names):
    if params is None:
        return names
    wanted = [params] if isinstance(params, str) else list(params)
    for name in wanted:
        if name not in names:
            raise ValueError(f"no parameter {name!r} in the study (its parameters: {', '.join(names)})"
                             f"{did_you_mean(name, names)}")
    return wanted


def draw_slice(data, axes, columns):
    done = data.complete()
    total = len(done)
    if not columns:
        _empty(axes[0], "no complete trial" if not done else "no searched parameter")
        return axes
    done = [done[i] for i in _sample(done, data, MAX_POINTS)]
    values = np.array([t.value for t in done], dtype=float)
    numbers = np.array([t.number for t in done], dtype=float)
    for i, (ax, col) in enumerate(zip(axes, columns)):
        keep = [k for k, t in enumerate(done) if all(n in t.params for n in col.names)]
        ax.set_xlabel(col.name)
        if i == 0:
            ax.set_ylabel(_value_label(data))
        if not keep:
            _empty(ax, "no complete trial" if not done else "never active")
            continue
        raw = [_param(done[k].params, col) for k in keep]
        if col.kind == "discrete":
            x, labels = _categories(raw, col)
            jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(x))
            ax.set_xticks(range(len(labels)), [_short(v) for v in labels],
                          rotation=30 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
            x = x + jitter
            ax.set_xlim(-0.6, len(labels) - 0.4)
        else:
            x = np.array(raw, dtype=float)
            if col.log and np.all(x > 0):
                ax.set_xscale("log")
        ax.scatter(x, values[keep], c=numbers[keep], cmap="viridis", s=14 if len(keep) < 1000 else 4,
                   alpha=0.8, linewidths=0)
    _shown(axes[0], len(done), total)
    return axes


def _sample(done, data, limit):
    """Indices of at most ``limit`` of the complete trials ``done``: the best tenth of the limit, then
    a seeded sample of the rest, in trial order."""
    if len(done) <= limit:
        return list(range(len(done)))
    values = np.array([t.value for t in done], dtype=float)
    order = np.argsort(-values if data.maximize else values, kind="stable")
    best = order[:limit // 10]
    rest = np.random.default_rng(0).choice(order[limit // 10:], limit - len(best), replace=False)
    return sorted(np.concatenate([best, rest]).tolist())


def _shown(ax, shown, total):
    if shown < total:
        ax.text(0.99, 0.98, f"{shown:,} of {total:,} trials shown", transform=ax.transAxes, ha="right",
                va="top", fontsize="x-small", color="0.4")


def _param(params, col):
    return tuple(params[n] for n in col.names) if len(col.names) > 1 else params[col.names[0]]


def _categories(raw, col):
    """Positions and labels of the categories (in domain order) the trials took."""
    seen = {}
    for v in raw:
        seen.setdefault(_label_key(v), v)
    if col.dim is not None and col.dim.finite is not None:
        order = {}
        for key, v in seen.items():
            k = col.dim.finite.index_of(v)
            order[key] = k if k is not None else math.inf
        keys = sorted(seen, key=lambda key: order[key])
    elif col.labels:
        rank = {_label_key(v): i for i, v in enumerate(col.labels)}
        keys = sorted(seen, key=lambda key: rank.get(key, math.inf))
    else:
        keys = list(seen)
    index = {key: i for i, key in enumerate(keys)}
    return np.array([index[_label_key(v)] for v in raw], dtype=float), [seen[k] for k in keys]


def _label_key(v):
    return (type(v).__name__, repr(v))


def _short(value, width=14):
    if value is None:
        text = "none"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = str(value)
    return text if len(text) <= width else text[:width - 1] + "…"


# --------------------------------------------------------------- parallel
def parallel(source, params=None, study=None, *, space=None, ax=None):
    """Parallel coordinates: one vertical axis a parameter and one for the value; each complete trial
    a line, coloured by its value (best trials drawn last, on top). Inactive parameters sit below
    their axis."""
    data = load(source, study, space)
    return draw_parallel(data, _axes(ax, figsize=(9, 4)), params)


def draw_parallel(data, ax, params=None, design=None):
    done = data.complete()
    if not done:
        return _empty(ax, "no complete trial")
    columns, features = design if design is not None else columns_and_features(done, data.space)
    keep = _sample(done, data, MAX_LINES)
    total, done, features = len(done), [done[i] for i in keep], features[keep]
    names = [c.name for c in columns]
    wanted = _wanted(params, names)
    picked = [names.index(w) for w in wanted]
    values = np.array([t.value for t in done], dtype=float)
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo or 1.0
    axes_y, ticks = [], []
    for j in picked:
        col, f = columns[j], features[:, j]
        if col.kind == "discrete":
            index = f.copy()  # atoms back to domain indices, so labels stand in domain order
            if col.order:
                active = f != INACTIVE
                index[active] = np.asarray(col.order)[f[active].astype(int)]
            seen = np.unique(index[f != INACTIVE]).astype(int)
            pos = {k: (i + 0.5) / max(len(seen), 1) for i, k in enumerate(seen)}
            y = np.array([pos.get(int(v), -0.08) if v != INACTIVE else -0.08 for v in index])
            ticks.append([(pos[k], _short(col.label(k))) for k in seen][:12])
        else:
            active = f[f != INACTIVE]
            a, b = (float(active.min()), float(active.max())) if active.size else (0.0, 1.0)
            y = np.where(f == INACTIVE, -0.08, (f - a) / ((b - a) or 1.0))
            ends = col.value_at(np.array([a, b])) if col.dim is not None or col.low is not None else [a, b]
            ticks.append([(0.0, _short(float(ends[0]))), (1.0, _short(float(ends[1])))])
        axes_y.append(y)
    axes_y.append((values - lo) / span)
    ticks.append([(0.0, _short(lo)), (1.0, _short(hi))])
    ys = np.column_stack(axes_y)
    xs = np.arange(ys.shape[1], dtype=float)
    order = np.argsort(values if not data.maximize else -values)[::-1]  # best last, on top
    from matplotlib.collections import LineCollection

    segments = np.stack([np.broadcast_to(xs, ys.shape), ys], axis=-1)[order]
    shade = (values[order] - lo) / span
    lines = LineCollection(segments, array=shade if not data.maximize else 1 - shade, cmap="viridis",
                           linewidths=0.9 if len(done) < 500 else 0.5, alpha=0.6 if len(done) < 500 else 0.35)
    ax.add_collection(lines)
    for x, marks in zip(xs, ticks):
        ax.axvline(x, color="0.3", lw=0.8)
        for y, text in marks:
            ax.text(x + 0.04, y, text, fontsize="x-small", va="center", color="0.15")
    if any((y == -0.08).any() for y in axes_y[:-1]):
        ax.axhline(-0.08, color="0.8", lw=0.6, ls=":")
        ax.text(-0.1, -0.08, "inactive", fontsize="x-small", ha="right", va="center", color="0.4")
    ax.set_xlim(-0.25, xs[-1] + 0.45)
    ax.set_ylim(-0.15, 1.05)
    ax.set_yticks([])
    ax.set_xticks(xs, [*wanted, "value"], rotation=30 if len(xs) > 6 else 0,
                  ha="right" if len(xs) > 6 else "center")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title("Parallel coordinates (colour: value, darker is better)")
    _shown(ax, len(done), total)
    return ax


# ---------------------------------------------------------------- contour
def contour(source, params=None, study=None, *, space=None, ax=None, seed=0, surrogate=None):
    """The random-forest surrogate's mean value over two parameters (``params``: two names; default
    the two most important), the other parameters averaged out, with the complete trials on top.

    Needs the 5 complete trials `spacedsl.importance` needs (ValueError otherwise). ``surrogate``:
    a fitted `Surrogate` of the same trials, to reuse one."""
    data = load(source, study, space)
    model = surrogate or Surrogate(data.trials, data.space, seed=seed)
    return draw_contour(data, _axes(ax, figsize=(5.6, 4.4)), model, params)


def draw_contour(data, ax, model, params=None):
    names = [c.name for c in model.columns]
    if params is None:
        ranked = list(model.importance()) if len(names) > 1 else names
        params = ranked[:2]
    wanted = _wanted(params, names)
    if len(wanted) != 2 or wanted[0] == wanted[1]:
        if len(names) < 2:
            return _empty(ax, "a contour needs two parameters; the study has one")
        raise ValueError(f"contour needs two different parameters, got {wanted}")
    j, k = (names.index(w) for w in wanted)
    cj, ck = model.columns[j], model.columns[k]
    fj, xj = _grid(cj)
    fk, xk = _grid(ck)
    z = model.marginal(j, fj, k, fk)  # (len(fj), len(fk))
    mesh = ax.pcolormesh(xj, xk, z.T, shading="nearest", cmap="viridis" if data.maximize else "viridis_r")
    ax.figure.colorbar(mesh, ax=ax, label="surrogate mean " + ("score" if data.maximize else "loss"))
    done = data.complete()
    pts = [t for t in done if all(n in t.params for n in cj.names + ck.names)]
    if pts:
        px = _positions([_param(t.params, cj) for t in pts], cj)
        py = _positions([_param(t.params, ck) for t in pts], ck)
        ax.scatter(px, py, s=8 if len(pts) < 2000 else 2, c="white", edgecolors="black", linewidths=0.4,
                   alpha=0.8)
    for col, axis, set_scale in ((cj, ax.xaxis, ax.set_xscale), (ck, ax.yaxis, ax.set_yscale)):
        if col.kind == "discrete":
            indices = _indices(col)
            shown = indices if len(indices) <= 12 else indices[:: math.ceil(len(indices) / 12)]
            axis.set_ticks(shown, [_short(col.label(i)) for i in shown])
        elif col.log:
            set_scale("log")
    ax.set_xlabel(cj.name)
    ax.set_ylabel(ck.name)
    ax.set_title(f"Surrogate: {cj.name} x {ck.name}")
    return ax


def _indices(col):
    """The domain indices of a discrete column that `contour` shows."""
    if col.size <= MAX_ATOMS:
        return np.arange(col.size, dtype=float)
    return np.unique(np.linspace(0, col.size - 1, MAX_ATOMS).round())


def _grid(col):
    """Feature values to evaluate at, and where they go on the axis."""
    if col.kind == "discrete":
        indices = _indices(col)
        return col.atoms(indices), indices
    f = (np.arange(GRID) + 0.5) / GRID
    return f, col.value_at(f)


def _positions(raw, col):
    """Where values go on an axis: themselves, or a label's domain index."""
    if col.kind == "continuous":
        return np.array(raw, dtype=float)
    found = [col.index(v) for v in raw]
    return np.array([np.nan if i is None else i for i in found], dtype=float)


# ------------------------------------------------------------- importance
def importance(source, study=None, *, space=None, ax=None, seed=0, surrogate=None):
    """`spacedsl.importance` as horizontal bars, most important on top (needs 5 complete trials)."""
    data = load(source, study, space)
    model = surrogate or Surrogate(data.trials, data.space, seed=seed)
    return draw_importance(model.importance(), _axes(ax, figsize=(5.6, 0.5 + 0.35 * len(model.columns))))


def draw_importance(shares, ax):
    names, values = list(shares)[::-1], list(shares.values())[::-1]
    bars = ax.barh(range(len(names)), values, color="tab:blue")
    ax.set_yticks(range(len(names)), names)
    for bar, v in zip(bars, values):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:.1%}", va="center", fontsize="small")
    ax.set_xlim(0, max(values) * 1.2 if values else 1)
    ax.set_xlabel("share of the variance of the main effects")
    ax.set_title("Parameter importance (fANOVA)")
    return ax
