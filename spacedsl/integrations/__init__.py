"""Bridges to other tools' own loops: `spacedsl.integrations.optuna` (needs ``pip install 'spacedsl[optuna]'``)."""

from . import optuna  # imports no Optuna until used

__all__ = ["optuna"]
