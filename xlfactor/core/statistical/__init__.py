"""Statistical (latent) factor models: factors from the returns themselves.

- ``pca``: principal components of a return panel, gaps filled by EM (``components.py``);
- ``factor_count``: how many factors, by Bai-Ng (2002) and Ahn-Horenstein (2013) (``count.py``);
- ``latent_vs_named``: latent factors beside named ones (``compare.py``);
- ``latent_risk_model`` and ``rolling_latent``: ``B F B' + D`` from latent factors, once or per window
  (``riskmodel.py``; the backtest's ``statistical`` model).
"""

from .compare import LatentVsNamed, canonical_correlations, latent_vs_named
from .components import PCAResult, pca
from .count import FactorCount, factor_count
from .riskmodel import LatentRollingResult, latent_risk_model, rolling_latent

__all__ = [
    "FactorCount",
    "LatentRollingResult",
    "LatentVsNamed",
    "PCAResult",
    "canonical_correlations",
    "factor_count",
    "latent_risk_model",
    "latent_vs_named",
    "pca",
    "rolling_latent",
]
