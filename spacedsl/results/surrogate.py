"""A random-forest surrogate of a study, and functional ANOVA over the forest's partition.

Each parameter (or tied group) is one feature. A distribution's values go through its prior's
CDF, so the feature is uniform on [0, 1] under the space's own prior (``loguniform`` is linear in
the log); a finite domain is the index of its value, one atom per value. An inactive parameter
is its own value, ``-1``, below every active one, and carries the probability that the space's
prior leaves it inactive (estimated from `INACTIVE_DRAWS` seeded draws). Without a space, the
features are read off the values: numbers are continuous between their least and greatest
(on a log scale when they are positive and span `LOG_SPAN` or more), anything else is a
category, and the probability of "inactive" is how often the trials lacked the parameter.
Unordered labels are numbered by the mean value of their trials (`_by_mean`), so that one split
can part any group of them.

Functional ANOVA (Hutter, Hoos and Leyton-Brown, ICML 2014): a regression tree is constant on
the boxes of its leaves, so its mean, its variance and the mean over every other feature as a
function of one feature (the *main effect*) are exact finite sums over the leaves, under the
product measure above. A feature's importance is the variance of its main effect over the
tree's variance, averaged over the trees, then scaled so that the features' shares sum to 1.
The main effect of a conditional parameter splits exactly into the part its active values
explain and the part "active or not" explains; the second is credited to the parameters its
condition names (a tree may split on "x is inactive" where it could as well split on the
parameter that switches x off: the same partition). Each tree sees a bootstrap sample of at most `TREE_SAMPLES` trials (and there are half as many
trees then), so a 10,000-trial study is fitted in less time than a 1,000-trial one while the
forest as a whole still sees every trial.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from ..storage.trials import COMPLETE

INACTIVE = -1.0      # the feature value of an inactive parameter
INACTIVE_DRAWS = 2000
LOG_SPAN = 1000.0    # without a space: positive numbers spanning this ratio are read on a log scale
MIN_TRIALS = 5       # complete trials below which importance is refused
MAX_REORDER = 10_000  # unordered labels beyond this many keep their domain order
N_TREES = 64         # trees of the forest; half as many when each sees only TREE_SAMPLES of the trials
TREE_SAMPLES = 1024  # each tree is fitted on a bootstrap sample of at most this many trials
# Options of each scikit-learn DecisionTreeRegressor: leaves of at least 3 trials (fully grown trees
# also fit each trial's noise; on bench_results' Hartmann6 and conditional cases 3 ranks best).
TREE_OPTIONS = {"min_samples_leaf": 3}


@attrs.frozen
class Column:
    """One feature of the surrogate: a parameter, or a tied group.

    Attributes:
        name: The parameter's name (a tied group's label, ``"(a, b)"``).
        names: The parameter names it reads.
        kind: ``"continuous"`` (feature in [0, 1]) or ``"discrete"`` (atoms 0..size-1).
        size: How many atoms a discrete feature has (0 for a continuous one).
        labels: A discrete feature's values, by atom (may be shortened for long ranges: see `label`).
        log: The parameter is read on a log scale (axes of plots).
        p_inactive: Probability of ``INACTIVE`` under the measure.
        low: A continuous feature's value at 0 (raw, for axes), when known.
        high: Its value at 1.
        order: For unordered labels, the domain index of each atom (atoms go by mean value, see
            `_by_mean`); empty when atoms are in domain order.
        dim: The space's dimension, or None when the column was read off the values.
    """

    name: str
    names: tuple
    kind: str
    size: int = 0
    labels: tuple = ()
    log: bool = False
    p_inactive: float = 0.0
    low: float | None = None
    high: float | None = None
    order: tuple = ()
    dim: object = attrs.field(default=None, eq=False, repr=False)

    def mass(self, lo, hi):
        """Probability that the feature lies in ``(lo, hi]`` (arrays)."""
        lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        m = self.p_inactive * ((lo < INACTIVE) & (INACTIVE <= hi))
        if self.kind == "continuous":
            active = np.clip(np.minimum(hi, 1.0) - np.maximum(lo, 0.0), 0.0, None)
        else:
            with np.errstate(invalid="ignore"):
                first = np.maximum(np.floor(lo) + 1, 0.0)
                last = np.minimum(np.floor(hi), self.size - 1.0)
            active = np.clip(last - first + 1, 0.0, None) / self.size
        return m + (1.0 - self.p_inactive) * active

    def value_at(self, f):
        """Raw values (for axes) at feature values ``f`` of a continuous column."""
        f = np.asarray(f, dtype=float)
        if self.dim is not None:
            return np.asarray(self.dim.prior.dist.ppf(np.clip(f, 1e-6, 1 - 1e-6)), dtype=float)
        lo, hi = (math.log10(self.low), math.log10(self.high)) if self.log else (self.low, self.high)
        x = lo + f * (hi - lo)
        return 10 ** x if self.log else x

    def label(self, i):
        """The value at domain index ``i`` of a discrete column."""
        if self.dim is not None:
            return self.dim.finite.output(np.array([int(i)]))[0]
        return self.labels[int(i)]

    def index(self, value):
        """The domain index of a value of a discrete column, or None."""
        if self.dim is not None:
            return self.dim.finite.index_of(value)
        return next((i for i, v in enumerate(self.labels) if _key(v) == _key(value)), None)

    def atoms(self, indices):
        """The feature values (atoms) of domain indices."""
        indices = np.asarray(indices, dtype=int)
        if not self.order:
            return indices.astype(float)
        rank = np.empty(self.size, dtype=float)
        rank[list(self.order)] = np.arange(self.size)
        return rank[indices]


# --------------------------------------------------------------- features
def columns_and_features(trials, space=None, seed=0):
    """The columns and the feature matrix (one row a trial) of ``trials``."""
    configs = [t.params for t in trials]
    values = np.array([np.nan if t.value is None else t.value for t in trials], dtype=float)
    if space is not None:
        return _from_space(space, configs, seed, values)
    return _from_values(configs, values)


def _by_mean(codes, values, size):
    """Atoms of unordered labels sorted by the mean value of the trials that took them (unseen ones
    at the overall mean), so that one split can part any group of labels a tree would want (for
    squared error the best binary split of labels is among these, Breiman et al. 1984, 9.4)."""
    seen = ~np.isnan(codes) & ~np.isnan(values)
    if not seen.any():
        return (), codes
    k = codes[seen].astype(int)
    sums, counts = np.bincount(k, values[seen], size), np.bincount(k, minlength=size)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), values[seen].mean())
    order = np.argsort(means, kind="stable")
    rank = np.empty(size, dtype=float)
    rank[order] = np.arange(size)
    out = codes.copy()
    ok = ~np.isnan(codes)
    out[ok] = rank[codes[ok].astype(int)]
    return tuple(int(i) for i in order), out


def _from_space(space, configs, seed, values):
    dims = space.dimensions
    unit = space.to_unit(configs) if configs else np.zeros((0, len(dims)))
    p_inactive = np.zeros(len(dims))
    if any(d.guards for d in dims):
        try:
            drawn = space.to_unit(space.sample(INACTIVE_DRAWS, seed=seed))
            p_inactive = np.isnan(drawn).mean(axis=0)
        except ValueError:  # constraints too tight to sample: how often the trials lacked it
            p_inactive = np.isnan(unit).mean(axis=0) if len(unit) else p_inactive
    columns, features = [], np.empty_like(unit)
    for j, dim in enumerate(dims):
        p = float(p_inactive[j]) if dim.guards else 0.0
        u = unit[:, j]
        if dim.prior is not None:
            prior = dim.prior
            low, high = (float(v) for v in prior.dist.ppf(np.array([1e-6, 1 - 1e-6])))
            columns.append(Column(dim.label, tuple(dim.names), "continuous", log=prior.log, p_inactive=p,
                                  low=low, high=high, dim=dim))
            features[:, j] = u
        else:
            with np.errstate(invalid="ignore"):
                codes = np.minimum(np.floor(u * dim.size), dim.size - 1)
            order = ()
            if dim.model_kind == "categorical" and dim.size <= MAX_REORDER:
                order, codes = _by_mean(codes, values, dim.size)
            columns.append(Column(dim.label, tuple(dim.names), "discrete", size=dim.size, p_inactive=p,
                                  order=order, dim=dim))
            features[:, j] = codes
        features[np.isnan(u), j] = INACTIVE
    return columns, features


def _key(value):
    """A hashable key that keeps 1, 1.0 and true apart (and lists usable)."""
    if isinstance(value, (list, dict)):
        return ("json", repr(value))
    return (type(value).__name__, value)


def _from_values(configs, values):
    names = {}
    for config in configs:
        names.update(dict.fromkeys(config))
    columns, cols = [], []
    n = len(configs)
    for name in names:
        present = [c[name] for c in configs if name in c]
        p = 1.0 - len(present) / n
        distinct = {_key(v): v for v in present}
        if len(distinct) <= 1 and p == 0.0:
            continue  # a constant: nothing to explain
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                      for v in present)
        if numeric and len(distinct) > 1:
            values = np.array(present, dtype=float)
            low, high = float(values.min()), float(values.max())
            log = low > 0 and high / low >= LOG_SPAN
            a, b = (math.log10(low), math.log10(high)) if log else (low, high)
            col = np.full(n, INACTIVE)
            raw = np.array([c[name] if name in c else np.nan for c in configs], dtype=float)
            mask = ~np.isnan(raw)
            x = np.log10(raw[mask]) if log else raw[mask]
            col[mask] = (x - a) / (b - a)
            columns.append(Column(name, (name,), "continuous", log=log, p_inactive=p, low=low, high=high))
        else:
            order = list(distinct)
            if numeric:
                order.sort(key=lambda k: distinct[k])
            index = {k: i for i, k in enumerate(order)}
            col = np.array([index[_key(c[name])] if name in c else np.nan for c in configs], dtype=float)
            ranked = ()
            if not numeric and len(order) <= MAX_REORDER:
                ranked, col = _by_mean(col, values, len(order))
            col[np.isnan(col)] = INACTIVE
            columns.append(Column(name, (name,), "discrete", size=len(order), order=ranked,
                                  labels=tuple(distinct[k] for k in order), p_inactive=p))
        cols.append(col)
    features = np.column_stack(cols) if cols else np.zeros((n, 0))
    return columns, features


# ---------------------------------------------------------------- forest
@attrs.frozen
class _Leaves:
    """A fitted tree as boxes: ``lo < x <= hi`` per feature, each with its value and masses."""

    lo: np.ndarray       # (leaves, features)
    hi: np.ndarray
    value: np.ndarray    # (leaves,)
    mass: np.ndarray     # (leaves, features): probability of the leaf's interval, per feature
    thresholds: tuple    # per feature: the sorted split thresholds on it

    @property
    def weight(self):
        return self.mass.prod(axis=1)


def _leaves(tree, columns):
    t = tree.tree_
    n, d = t.node_count, len(columns)
    lo, hi = np.full((n, d), -np.inf), np.full((n, d), np.inf)
    left, right, feature, threshold = t.children_left, t.children_right, t.feature, t.threshold
    frontier = np.array([0])
    while frontier.size:  # one level of the tree at a time
        inner = frontier[left[frontier] >= 0]
        if not inner.size:
            break
        f, thr = feature[inner], threshold[inner]
        for child in (left[inner], right[inner]):
            lo[child], hi[child] = lo[inner], hi[inner]
        hi[left[inner], f] = thr
        lo[right[inner], f] = thr
        frontier = np.concatenate([left[inner], right[inner]])
    leaf = np.flatnonzero(left < 0)
    mass = np.column_stack([c.mass(lo[leaf, j], hi[leaf, j]) for j, c in enumerate(columns)]) \
        if d else np.ones((len(leaf), 0))
    inner = left >= 0
    thresholds = tuple(np.unique(threshold[inner & (feature == j)]) for j in range(d))
    return _Leaves(lo[leaf], hi[leaf], t.value[leaf, 0, 0].astype(float), mass, thresholds)


def _others(mass, keep):
    """Per leaf, the product of its masses over every feature not in ``keep``."""
    out = np.ones(mass.shape[0])
    for j in range(mass.shape[1]):
        if j not in keep:
            out = out * mass[:, j]
    return out


class Surrogate:
    """A random forest fitted to a study's complete trials, with exact marginals over its partition.

    Attributes:
        columns: The features (`Column`), in space order.
        n_trials: How many trials it was fitted on.
        values: Their values.
    """

    def __init__(self, trials, space=None, seed=0, n_trees=None, design=None):
        trials = [t for t in trials if t.state == COMPLETE and t.value is not None and math.isfinite(t.value)]
        if len(trials) < MIN_TRIALS:
            raise ValueError(f"parameter importance needs at least {MIN_TRIALS} complete trials, got "
                             f"{len(trials)}; run more trials first")
        # design: the (columns, features) of these trials, when the caller has them already
        self.columns, features = design if design is not None else columns_and_features(trials, space, seed)
        if not self.columns:
            raise ValueError("the space has no searched parameter: there is no importance to compute")
        self.values = np.array([t.value for t in trials], dtype=float)
        self.n_trials = len(trials)
        from sklearn.tree import DecisionTreeRegressor  # on first use: keeps `import spacedsl` light

        # A random forest with every feature at every split is bagged trees; bagging by hand fits each
        # tree on its own rows (scikit-learn's forest weights all n rows, which costs n per tree).
        rng = np.random.default_rng(seed)
        size = min(self.n_trials, TREE_SAMPLES)
        if n_trees is None:
            n_trees = N_TREES if self.n_trials <= TREE_SAMPLES else N_TREES // 2
        forest = []
        for _ in range(n_trees):
            rows = rng.integers(0, self.n_trials, size)
            tree = DecisionTreeRegressor(random_state=int(rng.integers(2**31)), **TREE_OPTIONS)
            forest.append(tree.fit(features[rows], self.values[rows]))
        self._trees = [_leaves(tree, self.columns) for tree in forest]
        # Per column, the columns whose values decide whether it is active (known from a space).
        self._parents = [tuple(sorted(c.dim.requires)) if c.dim is not None and c.p_inactive > 0 else ()
                         for c in self.columns]

    def fanova(self):
        """``(shares, main_fraction)``: per column, the variance of its main effect over the
        variance (mean over trees); and their sum, the fraction of variance main effects explain."""
        if self._fanova is None:
            self._fanova = self._decompose()
        return self._fanova

    _fanova = None

    def _decompose(self):
        d = len(self.columns)
        fractions = []
        for leaves in self._trees:
            w = leaves.weight
            total = w.sum()
            if total <= 0:
                continue
            mean = (w * leaves.value).sum() / total
            variance = (w * (leaves.value - mean) ** 2).sum() / total
            if variance <= 1e-300:
                continue
            shares = np.zeros(d)
            for j in range(d):
                within, switch = self._main_variance(leaves, j, mean)
                shares[j] += within / variance
                parents = self._parents[j]
                for k in parents:  # whether j is active is its condition's doing: credit the switch there
                    shares[k] += switch / variance / len(parents)
                if not parents:
                    shares[j] += switch / variance
            fractions.append(shares)
        if not fractions:
            return np.zeros(d), 0.0
        shares = np.mean(fractions, axis=0)
        return shares, float(shares.sum())

    def _main_variance(self, leaves, j, mean):
        """``(within, switch)``: the variance of column j's main effect, split into the part its active
        values explain and the part being active or not explains (all of it for a column never inactive)."""
        edges = np.concatenate([[-np.inf], leaves.thresholds[j], [np.inf]])
        if len(edges) == 2:
            return 0.0, 0.0
        cells = len(edges) - 1
        first = np.searchsorted(edges, leaves.lo[:, j])
        last = np.searchsorted(edges, leaves.hi[:, j])
        part = leaves.value * _others(leaves.mass, {j})
        acc = np.zeros(cells + 1)
        np.add.at(acc, first, part)
        np.add.at(acc, last, -part)
        effect = np.cumsum(acc)[:cells]
        col = self.columns[j]
        w = col.mass(edges[:-1], edges[1:])
        p = col.p_inactive
        if p <= 0 or p >= 1:
            return float((w * (effect - mean) ** 2).sum()), 0.0
        holds = (edges[:-1] < INACTIVE) & (INACTIVE <= edges[1:])  # the cell holding the inactive value
        active = w - p * holds
        inactive_mean = float(effect[holds][0])
        active_mean = float((active * effect).sum() / (1 - p))
        within = float((active * (effect - active_mean) ** 2).sum())
        switch = p * (inactive_mean - mean) ** 2 + (1 - p) * (active_mean - mean) ** 2
        return within, switch

    def importance(self):
        """``{name: share}``, most important first; the shares sum to 1."""
        shares, _ = self.fanova()
        total = shares.sum()
        if not total > 0:
            raise ValueError("no parameter has a main effect on the value (every complete trial has the "
                             "same value, or the value depends only on interactions)")
        pairs = sorted(zip((c.name for c in self.columns), shares / total), key=lambda p: -p[1])
        return {name: float(share) for name, share in pairs}

    def marginal(self, j, points_j, k=None, points_k=None):
        """The forest's mean value over every other feature, at feature values ``points_j`` of column
        ``j`` (a vector), or on the grid ``points_j`` x ``points_k`` of columns ``j`` and ``k``."""
        points_j = np.asarray(points_j, dtype=float)
        total = np.zeros(len(points_j)) if k is None else np.zeros((len(points_j), len(points_k)))
        for leaves in self._trees:
            inside_j = (leaves.lo[:, j] < points_j[:, None]) & (points_j[:, None] <= leaves.hi[:, j])
            if k is None:
                part = leaves.value * _others(leaves.mass, {j})
                total += np.einsum("gl,l->g", inside_j, part)
            else:
                points = np.asarray(points_k, dtype=float)
                inside_k = (leaves.lo[:, k] < points[:, None]) & (points[:, None] <= leaves.hi[:, k])
                part = leaves.value * _others(leaves.mass, {j, k})
                total += np.einsum("gl,hl->gh", inside_j * part, inside_k)  # no BLAS threads to thrash
        return total / len(self._trees)
