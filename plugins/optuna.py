"""``optuna:NAME``: any sampler of ``optuna.samplers`` as a strategy (`spacedsl.integrations.optuna`).

Loading this plugin does not import optuna; asking for ``optuna:TPESampler`` does.
"""

from spacedsl.hookspecs import hookimpl
from spacedsl.integrations.optuna import sampler_strategy


@hookimpl
def spacedsl_strategies():
    return {"optuna:": sampler_strategy}
