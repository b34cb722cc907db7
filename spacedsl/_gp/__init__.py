"""Gaussian-process maths for the ``gp-ei`` strategy (private: no stability promise).

numpy and scipy only. `kernel`: Matérn-5/2 with ARD lengthscales and a Hamming
distance for labels. `gp`: MAP hyperparameters with analytic gradients and the
posterior. `acqf`: log expected improvement that never underflows. `warp`:
output transforms. `search_space`: canonical unit-cube points of a `Space`.
`optim`: maximising the acquisition over mixed, conditional, constrained spaces.

Import the modules themselves (``from spacedsl._gp import gp``); this package imports nothing,
so that loading the ``gp-ei`` plugin does not import scipy (see `spacedsl_plugins.gp_ei`).
"""
