"""``spacedsl.plot``: plots of a study (extra ``[plot]``: matplotlib); see `spacedsl.results.plot`."""

from .results.plot import _matplotlib, contour, history, importance, parallel, slice  # noqa: A004

__all__ = ["contour", "history", "importance", "parallel", "slice"]

_matplotlib()  # a clear error naming the extra, at import, when matplotlib is missing
