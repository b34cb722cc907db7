"""Bridges to other tools' own loops: `spacedsl.integrations.optuna` (needs ``pip install 'spacedsl[optuna]'``)."""
