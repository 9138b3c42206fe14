"""Theory beside the simulations: effective ranks, benign-overfitting bounds, deterministic equivalents
of the ridge path, the oracle (population) frontier, and the isotropic closed forms.

Conventions: the public penalty is the unnormalised ``lam`` of ``||y - X theta||^2 + lam ||theta||^2``
(theory formulas use ``lam / n`` internally); ``spectrum`` is the diagonal of Sigma in the coordinates of
``theta_star``; ``noise`` is the label-noise standard deviation; attack ball ``||delta||_p <= eps``.

Modules: :mod:`.ranks` (effective ranks, k*, benign report), :mod:`.equivalents` (kappa and the
deterministic equivalent of a whole ridge path, adversarial predictions; its solver in :mod:`._solver`,
its sequence-model norms in :mod:`._seqnorms`), :mod:`.bounds` (min-norm and
trade-off mechanism bounds), :mod:`.frontier` (oracle frontier, gap), :mod:`.isotropic` (HMRT forms),
:mod:`.optimum` (the best penalty of a grid, never an edge reported as an optimum).
"""

from .bounds import MinNormBound, TradeoffBound, minnorm_adversarial_lower_bound, tradeoff_product_bound
from .equivalents import RidgeEquivalent, adversarial_equivalent, effective_regularization, ridge_equivalent
from .frontier import FrontierGap, OracleFrontier, frontier_gap, oracle_frontier, pareto_frontier
from .isotropic import IsotropicRidge, hmrt_ridgeless, hmrt_ridgeless_isotropic, isotropic_ridge
from .optimum import GridOptimum, grid_optimum, optimise_on_grid
from .ranks import BenignReport, benign_report, critical_index, effective_ranks, tail_sums

__all__ = [
    "BenignReport",
    "FrontierGap",
    "GridOptimum",
    "IsotropicRidge",
    "MinNormBound",
    "OracleFrontier",
    "RidgeEquivalent",
    "TradeoffBound",
    "adversarial_equivalent",
    "benign_report",
    "critical_index",
    "effective_ranks",
    "effective_regularization",
    "frontier_gap",
    "grid_optimum",
    "hmrt_ridgeless",
    "hmrt_ridgeless_isotropic",
    "isotropic_ridge",
    "minnorm_adversarial_lower_bound",
    "optimise_on_grid",
    "oracle_frontier",
    "pareto_frontier",
    "ridge_equivalent",
    "tail_sums",
    "tradeoff_product_bound",
]
