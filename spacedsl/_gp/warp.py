"""Output transforms: what the GP models instead of the raw losses.

Losses are often heavy-tailed (a diverged run scores 1e6 next to 0.3s), and a
stationary GP fitted to them spends its variance on the tail. Before
standardising we can pass them through a monotone warp; EI is then computed
on the warped scale (monotone, so the incumbent is the same point).

- ``"power"`` (default): a Yeo-Johnson transform whose exponent is the
  maximum-likelihood one (scipy), applied to standardised losses — it
  compresses a long right tail and leaves near-normal data almost unchanged
  (HEBO's choice);
- ``"none"``: standardise only.
"""

from __future__ import annotations

import warnings

import numpy as np

WARPS = ("power", "none")


def _standardise(y):
    mu = float(np.mean(y))
    sd = float(np.std(y))
    return (y - mu) / (sd if sd > 0 else 1.0)


def transform(y, warp="power"):
    """Warped, standardised copy of the losses y (1-D, finite)."""
    import scipy.stats
    y = np.asarray(y, dtype=float)
    z = _standardise(y)
    if warp == "none" or len(y) < 3 or np.ptp(z) == 0:
        return z
    if warp == "power":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                lam = scipy.stats.yeojohnson_normmax(z)
                w = scipy.stats.yeojohnson(z, lam)
            except (ValueError, FloatingPointError, OverflowError):
                return z
        if not np.all(np.isfinite(w)) or np.ptp(w) == 0:
            return z
        return _standardise(w)
    raise ValueError(f"warp must be one of {', '.join(map(repr, WARPS))}, got {warp!r}")
