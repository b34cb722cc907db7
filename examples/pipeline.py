"""The pipeline of examples/pipeline_choice*.space: every step a placeholder the space chooses."""

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


def make_pipeline():
    """Scale, reduce, classify; the space picks each step (``"passthrough"`` skips one)."""
    return Pipeline([("scale", "passthrough"), ("reduce", "passthrough"),
                     ("clf", LogisticRegression(max_iter=1000))])
