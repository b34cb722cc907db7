"""The path the README gave third-party strategies before the layout moved: `spacedsl.strategies`."""

from .strategies import Strategy, config_key

__all__ = ["Strategy", "config_key"]
