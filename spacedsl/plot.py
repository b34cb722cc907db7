"""``spacedsl.plot``: plots of a study (extra ``[plot]``: matplotlib); see `spacedsl.results.plot`."""

from .results.plot import (contour, history, importance, intermediate, parallel, require_matplotlib,  # noqa: A004
                           slice)

__all__ = ["contour", "history", "importance", "intermediate", "parallel", "slice"]

require_matplotlib()  # a clear error naming the extra, at import, when matplotlib is missing
