"""What a model-based halving sampler costs per proposal (``sampler="gp-ei"``: see plugins/halving.py).

Run from the repository root:

    python benchmarks/bench_halving_sampler.py                  # 5 dimensions, 25/50/100 results
    python benchmarks/bench_halving_sampler.py --dims 10 --results 200 --repeats 3

For n results on a d-dimensional space (a shifted sphere), the seconds one proposal takes:

  fresh     a gp-ei instance made, told the n results, asked one configuration (what a sampler
            "made afresh per request" would pay every time: the GP is fitted from a cold start);
  kept      the same instance asked once more (warm-started hyperparameters, one pending point):
            what `Sampler` pays between refreshes;
  random    ``space.sample`` (the default sampler), for scale.

Medians over ``--repeats`` seeds.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import spacedsl
from spacedsl import plugins


def measure(dims, n, seed):
    space = spacedsl.parse("\n".join(f"x{i} ~ uniform(0, 1)" for i in range(dims)))
    results = [(c, sum((v - 0.3) ** 2 for v in c.values())) for c in space.sample(n, seed=seed)]
    t = time.perf_counter()
    gp = plugins.strategy("gp-ei")(space, seed=seed)
    for config, loss in results:
        gp.tell(config, loss)
    gp.ask(1)
    fresh = time.perf_counter() - t
    t = time.perf_counter()
    gp.ask(1)
    kept = time.perf_counter() - t
    t = time.perf_counter()
    space.sample(seed=seed)
    drawn = time.perf_counter() - t
    return fresh, kept, drawn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=5)
    parser.add_argument("--results", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    measure(args.dims, 10, 0)  # imports (scipy) and caches out of the timings
    print(f"# {platform.python_version()}, {platform.machine()}; d = {args.dims}, medians of {args.repeats}")
    print(f"{'results':>8} {'fresh s':>9} {'kept s':>9} {'random s':>9} {'fresh/kept':>11}")
    for n in args.results:
        rows = [measure(args.dims, n, seed) for seed in range(args.repeats)]
        fresh, kept, drawn = (statistics.median(col) for col in zip(*rows))
        print(f"{n:>8} {fresh:>9.3f} {kept:>9.3f} {drawn:>9.5f} {fresh / kept:>11.1f}")


if __name__ == "__main__":
    main()
