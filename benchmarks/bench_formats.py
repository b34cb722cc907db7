"""Fidelity of the formats: every conversion is refused with a ConversionError, or exact.

Run from the repository root:

    python benchmarks/bench_formats.py               # 300 fuzz spaces + examples + test spaces
    python benchmarks/bench_formats.py --fuzz 1000   # more
    python benchmarks/bench_formats.py --verbose     # say what went wrong, space by space

Spaces: ``--fuzz`` distinct spaces from the generator of tests/test_roundtrip.py
(Hypothesis, derandomised), every ``examples/*.space``, and every string literal
in ``tests/*.py`` that parses as a space with a parameter.

For every registered format with a native side (and an adapter below that
draws and checks on that side), each space is

- **refused**: ``convert`` raised ``ConversionError``;
- **exact**: ``--draws`` configurations drawn on the other side all ``validate``
  in ours; ours all validate on theirs; every parameter's marginal matches
  (two-sample KS p > 0.01 for continuous ones; for discrete ones the same
  support and a chi-square p > 0.01 on the counts; how often each parameter is
  active, chi-square too); and where the format is lossless,
  ``convert(convert(space, f), "spacedsl") == space``;
- **wrong**: anything else (an exception other than ConversionError too).

With hundreds of tests at p = 0.01 some fail by chance: a marginal that fails is
tested again on fresh draws of ``5 * --draws``, and only a second failure, at
p < 1e-4 there, counts as wrong (a row tests at most 2,500 marginals: 2,500 * 0.01 *
1e-4 = 0.0025 rows wrong by chance; a real difference on 5,000 draws is far below
1e-4). Rare discrete values (expected fewer than 5 times) are pooled into one cell;
"same support" means no value drawn 10 times or more on one side is missing on the other.

Rows: ``sklearn`` is ``kind="distributions"`` (drawn with ParameterSampler);
``configspace`` draws with ``sample_configuration`` and checks ours with
``Configuration(cs, values=...)``; ``optuna-distributions`` is
``kind="distributions"`` through ``study.ask(fixed_distributions=...)`` (200
trials a space: a trial costs a millisecond or more). The ``optuna``,
``hyperopt`` and ``wandb`` adapters are in ``bench_formats_adapters.py``.

``sklearn-grid`` checks ``kind="grid"``: ``ParameterGrid(param_grid)`` must give
exactly the configurations of ``space.grid(resolution=3)`` (as a multiset).
"""

from __future__ import annotations

import argparse
import ast as pyast
import collections
import pathlib
import sys
import time
import warnings

import numpy as np
import scipy.stats

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import spacedsl  # noqa: E402
from spacedsl import plugins  # noqa: E402
from spacedsl.formats import ConversionError  # noqa: E402
from bench_formats_adapters import ADAPTERS as INTEGRATIONS  # noqa: E402  optuna, hyperopt, wandb

ALPHA = 0.01
ALPHA_AGAIN = 1e-4  # the retest's threshold: a row tests <= 2,500 marginals: 2,500 * 0.01 * 1e-4 = 0.0025 false wrongs


def plain(v):
    return v.item() if isinstance(v, np.generic) else v


# ------------------------------------------------------------------ spaces


def fuzz_spaces(n, seed=0):
    from hypothesis import HealthCheck, given, settings
    from test_roundtrip import space_texts
    texts = []

    @settings(max_examples=n * 3, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(space_texts())
    def collect(text):
        texts.append(text)
    collect()
    out, seen = [], set()
    for text in texts:
        try:
            space = spacedsl.parse(text, filename="fuzz.space")
        except spacedsl.DSLError:
            continue
        if space.names and space not in seen:
            seen.add(space)
            out.append(("fuzz", space))
        if len(out) == n:
            break
    return out


def example_spaces():
    return [(path.name, spacedsl.load(path)) for path in sorted((ROOT / "examples").glob("*.space"))]


def test_spaces():
    out, seen = [], set()
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in pyast.walk(pyast.parse(path.read_text())):
            if isinstance(node, pyast.Constant) and isinstance(node.value, str) and len(node.value) < 5000:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        space = spacedsl.parse(node.value, filename=path.name)
                except Exception:
                    continue
                if space.names and space not in seen:
                    seen.add(space)
                    out.append((path.name, space))
    return out


# ---------------------------------------------------------------- adapters


class ConfigSpaceAdapter:
    """Draws and checks on ConfigSpace's side."""

    options = {}
    lossless = True

    def draw(self, native, n, seed):
        native.seed(seed)
        configs = native.sample_configuration(n) if n > 1 else [native.sample_configuration()]
        return [{k: plain(v) for k, v in dict(c).items()} for c in configs]

    def check(self, native, config):
        import ConfigSpace
        ConfigSpace.Configuration(native, values=config)


class SklearnAdapter:
    """Draws with RandomizedSearchCV's ParameterSampler; checks membership in the dicts."""

    options = {"kind": "distributions"}
    lossless = False  # defaults are not carried, and a `where` over finite values becomes branches

    def draw(self, native, n, seed):
        from sklearn.model_selection import ParameterSampler
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # all-lists spaces smaller than n: sklearn says so
            return [{k: plain(v) for k, v in c.items()} for c in ParameterSampler(native, n, random_state=seed)]

    def check(self, native, config):
        dicts = native if isinstance(native, list) else [native]
        for d in dicts:
            if set(d) == set(config) and all(_member(config[k], v) for k, v in d.items()):
                return
        raise ValueError(f"{config} is in none of the dicts")


def _member(value, domain):
    if hasattr(domain, "rvs"):
        if hasattr(domain, "space"):
            try:
                domain.space.validate({"x": value})
                return True
            except ValueError:
                return False
        low, high = domain.support()
        return isinstance(value, int | float) and low <= value <= high
    return any(type(v) is type(value) and v == value for v in domain)


class OptunaDistributionsAdapter:
    """kind="distributions": study.ask(fixed_distributions=...) with a RandomSampler."""

    options = {"kind": "distributions"}
    lossless = False
    max_draws = 200

    def draw(self, native, n, seed):
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        out = []
        for _ in range(min(n, self.max_draws)):
            trial = study.ask(fixed_distributions=native)
            out.append({k: plain(v) for k, v in trial.params.items()})
            study.tell(trial, 0.0)
        return out

    def check(self, native, config):
        if set(native) != set(config):
            raise ValueError(f"keys {sorted(config)} are not {sorted(native)}")
        for k, dist in native.items():
            if not dist._contains(dist.to_internal_repr(config[k])):
                raise ValueError(f"{k}={config[k]!r} is outside {dist}")


ADAPTERS = {"configspace": ConfigSpaceAdapter(), "sklearn": SklearnAdapter(),
            "optuna-distributions": OptunaDistributionsAdapter(), **INTEGRATIONS}
FORMAT_OF = {"optuna-distributions": "optuna"}


# ------------------------------------------------------------------ checks


def _continuous(space):
    out = set()
    for e in spacedsl.walk(space):
        if e.kind == "parameter" and e.domain.kind == "distribution" and not e.domain.integer:
            out.add(e.name)
    return out


def _key(v):
    return type(v).__name__ if not isinstance(v, int | float) or isinstance(v, bool) else "number", v


def marginals_differ(space, ours, theirs, only=None, alpha=ALPHA):
    """``(name, why)`` of the first parameter whose marginal differs (p < alpha), or None."""
    continuous = _continuous(space)
    names = [only] if only else list(space.names) + list(space.constants)
    for name in names:
        why = _differs(name, name in continuous, ours, theirs, alpha)
        if why:
            return name, why
    return None


def _differs(name, continuous, ours, theirs, alpha=ALPHA):
    """Why the marginal of one parameter differs between two samples, or None."""
    a = [c[name] for c in ours if name in c]
    b = [c[name] for c in theirs if name in c]
    table = [[len(a), len(ours) - len(a)], [len(b), len(theirs) - len(b)]]
    if min(len(a), len(b)) == 0:
        if len(a) + len(b) and (len(a) if not len(b) else len(b)) > 5:
            return f"{name}: active in {len(a)} of ours, {len(b)} of theirs"
        return None
    if table[0][1] + table[1][1] and scipy.stats.chi2_contingency(table)[1] < alpha:
        return f"{name}: active in {len(a)}/{len(ours)} of ours, {len(b)}/{len(theirs)} of theirs"
    if continuous:
        p = scipy.stats.ks_2samp(a, b).pvalue
        if p < alpha:
            return f"{name}: KS p = {p:.2g}"
        return None
    ca, cb = collections.Counter(map(_key, a)), collections.Counter(map(_key, b))
    support = sorted(set(ca) | set(cb), key=repr)
    if len(support) > 50:  # a wide discrete domain: compare as numbers
        if all(k[0] == "number" for k in support):
            p = scipy.stats.ks_2samp([float(x) for x in a], [float(x) for x in b]).pvalue  # ints past int64 too
            if p < alpha / 10:  # ties make KS conservative the other way; keep it strict
                return f"{name}: KS p = {p:.2g} (wide discrete)"
        return None
    missing = [k for k in set(ca) ^ set(cb) if max(ca[k], cb[k]) >= 10]
    if missing:  # a value one side draws often and the other never: not the same support
        return f"{name}: support differs: {sorted(missing, key=repr)[:5]}"
    p = _chi2_pooled(ca, cb, len(a), len(b))
    if p < alpha:
        return f"{name}: chi-square p = {p:.2g}"
    return None


def _chi2_pooled(ca, cb, na, nb):
    """Chi-square p of two samples' counts, values expected fewer than 5 times pooled into one cell."""
    keep, pooled = [], [0, 0]
    for k in set(ca) | set(cb):
        expected = (ca[k] + cb[k]) * min(na, nb) / (na + nb)
        if expected >= 5:
            keep.append([ca[k], cb[k]])
        else:
            pooled[0] += ca[k]
            pooled[1] += cb[k]
    if sum(pooled) * min(na, nb) / (na + nb) >= 5:
        keep.append(pooled)
    if len(keep) < 2:
        return 1.0
    return scipy.stats.chi2_contingency(np.array(keep).T)[1]


def check_one(space, name, adapter, draws, seed):
    """'refused', 'exact' (with the round trip's result) or a string saying what is wrong."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            native = spacedsl.convert(space, FORMAT_OF.get(name, name), **adapter.options)
    except ConversionError:
        return "refused", None
    except Exception as exc:
        return f"convert raised {type(exc).__name__}: {exc}", None
    try:
        theirs = adapter.draw(native, draws, seed) if adapter.draw else []
    except Exception as exc:
        return f"their sampler raised {type(exc).__name__}: {exc}", None
    for config in theirs:
        try:
            space.validate(config)
        except ValueError as exc:
            return f"their {config} is not ours: {exc}", None
    ours = space.sample(draws, seed=seed)
    for config in ours[:getattr(adapter, "max_draws", draws)] if adapter.check else ():
        try:
            adapter.check(native, config)
        except Exception as exc:
            return f"our {config} is not theirs: {type(exc).__name__}: {exc}", None
    if len(theirs) >= 20:
        differ = marginals_differ(space, ours, theirs)
        if differ:  # the same parameter again, on fresh and more draws
            big = draws * 5
            again = marginals_differ(space, space.sample(big, seed=seed + 1), adapter.draw(native, big, seed + 1),
                                     only=differ[0], alpha=ALPHA_AGAIN)
            if again:
                return f"marginal: {again[1]}", None
    try:
        back = spacedsl.convert(native, "spacedsl", source=FORMAT_OF.get(name, name))
    except ConversionError as exc:
        return f"reading back refused: {exc}", None
    except Exception as exc:
        return f"reading back raised {type(exc).__name__}: {exc}", None
    if adapter.lossless and back != space:
        return f"round trip changed the space:\n{spacedsl.dumps(space)}---\n{spacedsl.dumps(back)}", None
    for config in ours[:200]:
        try:
            back.validate(config)
        except ValueError as exc:
            return f"read back, our {config} is not valid: {exc}", None
    try:
        again = back.sample(200, seed=seed)
    except ValueError as exc:
        return f"read back, the space cannot be sampled: {exc}", None
    for config in again:
        try:
            space.validate(config)
        except ValueError as exc:
            return f"read back, its {config} is not ours: {exc}", None
    return "exact", back == space


def check_grid(space, resolution=3):
    from sklearn.model_selection import ParameterGrid
    try:
        ours = list(space.grid(resolution))
    except ValueError:
        return "refused", None
    if len(ours) > 200_000:
        return "skipped", None
    try:
        grid = spacedsl.convert(space, "sklearn", kind="grid", resolution=resolution)
    except ConversionError:
        return "refused", None
    except Exception as exc:
        return f"convert raised {type(exc).__name__}: {exc}", None
    theirs = list(ParameterGrid(grid))

    def canon(c):
        return tuple(sorted((k, _key(plain(v))) for k, v in c.items()))
    if collections.Counter(map(canon, ours)) != collections.Counter(map(canon, theirs)):
        return f"grid differs: {len(ours)} ours, {len(theirs)} theirs", None
    return "exact", None


# -------------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=300, help="how many fuzz spaces (default 300)")
    parser.add_argument("--draws", type=int, default=1000, help="configurations drawn on each side")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--only", help="comma-separated rows to run (e.g. configspace,sklearn-grid); default all")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    spaces = fuzz_spaces(args.fuzz) + example_spaces() + test_spaces()
    sources = collections.Counter("fuzz" if s == "fuzz" else "examples" if s.endswith(".space") else "tests"
                                  for s, _ in spaces)
    formats = plugins.formats()
    rows = []
    names = sorted(set(formats) | {n for n, f in FORMAT_OF.items() if f in formats})
    only = set(args.only.split(",")) if args.only else None
    for name in names:
        if only is not None and name not in only:
            continue
        fmt = formats[FORMAT_OF.get(name, name)]
        adapter = ADAPTERS.get(name)
        if adapter is None or not hasattr(fmt, "to_native"):
            print(f"# {name}: no native side or no adapter in this script; skipped", file=sys.stderr)
            continue
        counts, identical = collections.Counter(), 0
        for i, (origin, space) in enumerate(spaces):
            verdict, same = check_one(space, name, adapter, args.draws, args.seed + i)
            kind = verdict if verdict in ("exact", "refused") else "wrong"
            counts[kind] += 1
            identical += bool(same)
            if kind == "wrong" or args.verbose and kind == "refused":
                print(f"## {name} WRONG on {origin}:\n{spacedsl.dumps(space)}-> {verdict}\n", file=sys.stderr)
        rows.append((name, len(spaces), counts["exact"], counts["refused"], counts["wrong"], identical))
        print(f"# {name}: {dict(counts)} at {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    if "sklearn" in formats and (only is None or "sklearn-grid" in only):
        counts = collections.Counter()
        for origin, space in spaces:
            verdict, _ = check_grid(space)
            kind = verdict if verdict in ("exact", "refused", "skipped") else "wrong"
            counts[kind] += 1
            if kind == "wrong":
                print(f"## sklearn-grid WRONG on {origin}:\n{spacedsl.dumps(space)}-> {verdict}\n", file=sys.stderr)
        rows.append(("sklearn-grid", len(spaces) - counts["skipped"], counts["exact"], counts["refused"],
                     counts["wrong"], None))
    print(f"spaces: {sources['fuzz']} fuzz, {sources['examples']} examples, {sources['tests']} from tests; "
          f"{args.draws} draws a side; seed {args.seed}; {time.perf_counter() - start:.0f} s\n")
    print("| format | spaces | exact | refused | wrong | round trip identical |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, n, exact, refused, wrong, identical in rows:
        print(f"| {name} | {n} | {exact} | {refused} | {wrong} | {'-' if identical is None else identical} |")
    return 1 if any(r[4] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
