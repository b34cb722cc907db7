"""``spacedsl.plot``: plots of a study (extra ``[plot]``: matplotlib); see `spacedsl.results.plot`."""

from .results.plot import contour, history, importance, parallel, require_matplotlib, slice  # noqa: A004

__all__ = ["contour", "history", "importance", "parallel", "slice"]

require_matplotlib()  # a clear error naming the extra, at import, when matplotlib is missing
