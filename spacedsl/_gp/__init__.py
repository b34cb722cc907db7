"""Gaussian-process maths for the ``gp-ei`` strategy (private: no stability promise).

numpy and scipy only. `kernel`: Matérn-5/2 with ARD lengthscales and a Hamming
distance for labels. `gp`: MAP hyperparameters with analytic gradients and the
posterior. `acqf`: log expected improvement that never underflows. `warp`:
output transforms. `search_space`: canonical unit-cube points of a `Space`.
`optim`: maximising the acquisition over mixed, conditional, constrained spaces.
"""

from .acqf import LogEI, log_ei, log_h
from .gp import Hyper, Posterior, Prior, fit, log_marginal_likelihood
from .kernel import cross_r2, matern52, pairwise_deltas
from .optim import Maximiser, sobol
from .search_space import Encoding, config_key
from .warp import transform

__all__ = ["Encoding", "Hyper", "LogEI", "Maximiser", "Posterior", "Prior", "config_key", "cross_r2", "fit",
           "log_ei", "log_h", "log_marginal_likelihood", "matern52", "pairwise_deltas", "sobol", "transform"]
