"""Every option's name, allowed values and default: the one place that the core, the CLI's arguments,
the Excel functions' help texts and the template's Start sheet (labels and drop-downs) read.

A new scheme, rule or method is one edit here. Choices of the defaults:

- rule ``min``: the lambda with the lowest cross-validated error (scikit-learn's ``LassoCV.alpha_``, glmnet's
  ``lambda.min``). On contiguous time blocks the fold errors differ by volatility regime, so the standard error
  of the mean fold error is large (about 20% of it on the shipped data) and the 1-SE rule accepts a much
  worse pooled error. ``1se_paired`` measures the standard error on the fold-wise differences from the
  minimum instead, which removes the regime effect; ``1se`` (the textbook rule) stays available.
- low-volatility factor from the ``size_value`` portfolios: built from the 12 industries it would explain
  them partly by construction; the industries remain a choice.
- pooled loss ``sum``: the lambda that predicts the assets' returns best in total; ``normalized`` divides each
  asset's error by its variance first, so that volatile assets do not decide for all.
- covariance ``sample``: with a handful of factors over hundreds of periods the sample covariance is well
  conditioned, and it is the one against which in-sample risk is exact; ``ewma`` and ``ledoitwolf`` on request.
- market penalty weight 0: penalising the market moves its variance into "specific" risk that the model treats
  as uncorrelated, so the model under-predicts its own portfolio's volatility. Rule ``min`` (the default), pooled
  lasso lambda, shipped 12 industries 1963-07 to 2017-03 on market, SMB, HML, Mom and LowVol: ERC predicted vs
  realised 13.80% vs 14.13% a year (97.7%) with the market penalised, 14.20% vs 14.15% (100.4%) with it free
  (glmnet's ``penalty.factor`` 0); mean market beta 0.940 vs 0.969. Out of sample (60-month walk-forward
  backtest, four French factors) 96.4% vs 99.5%. Under rule ``1se`` the gap is wider: 77.4% vs 100.3%.
- number-of-factors criterion ``er`` (Ahn-Horenstein's eigenvalue ratio): on the shipped 12 industries and on the
  30 portfolios Bai-Ng's four criteria choose kmax whatever kmax is (3, 5, 8 and 10 tried: diversified portfolios
  leave so little specific noise that every component clears their penalties), while ER and GR choose 1; on
  seeded panels with 3 weak factors (N 100, T 240, factors 13% of each series' variance) ER and GR found 3 in
  19 of 20 panels, IC_p1 and IC_p2 in none.
- latent factors of the covariance (``pca_standardize`` False): the risk model is in the returns' units; on the
  shipped industries the first component explains 69.7% of the variance (68.8% of the correlation's) and every
  criterion chooses the same k either way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputShapeError, InputValueError
from . import _validation as v

SCHEMES = ("blocked", "walkforward", "kfold")
RULES = ("min", "1se", "1se_paired")  # 1se_paired: one standard error of the fold-wise differences from the minimum
POOLED_LOSSES = (
    "sum",
    "normalized",
)  # a pooled lambda minimises the error summed over assets, or each over its variance
LOW_VOL_SOURCES = ("size_value", "industries")  # the portfolios the shipped low-volatility factor is built from
METHODS = ("ridge", "lasso", "enet")  # penalised fits
ROLLING_METHODS = ("ols", *METHODS)  # what rolling windows estimate
LOADINGS = ("ols", "ridge", "lasso")  # what feeds the risk model
COV_METHODS = ("sample", "ewma", "ledoitwolf", "barra")  # barra: USE4-style EW vols/correlations, NW lags, regime
# the factor covariance's options and the methods that read them (any other method refuses them, never drops them)
COV_OPTION_USERS = {
    "halflife": ("ewma", "barra"),
    "corr_halflife": ("barra",),
    "nw_lags": ("sample", "barra"),
    "regime_halflife": ("barra",),
}
ALLOC_METHODS = ("erc", "budget", "invvol", "factor", "minvar", "targetvol")
TARGET_BASES = tuple(m for m in ALLOC_METHODS if m != "targetvol")  # what target volatility scales
# the allocations that need no input beyond the risk model (budgets, factor budgets and a target need more)
PLAIN_ALLOC_METHODS = ("erc", "invvol", "minvar")
CURVE_METHODS = ("lasso", "ridge")  # the CV curve the Start sheet and the demo show
ENGINES = ("local", "dask")  # where rolling windows run (core.engines)
ASSET_SETS = ("industries", "all")  # the shipped assets: the 12 industries, or all 30 portfolios
# the backtest's risk models: OLS; ridge and lasso with every factor penalised; the lasso with the market free
BACKTEST_MODELS = ("ols", "ridge", "lasso", "lasso_market_free")
BACKTEST_LATENT = ("statistical",)  # on request: latent factors re-estimated in each window (core.statistical)
NUM_FACTOR_CRITERIA = ("ic_p1", "ic_p2", "pc_p1", "pc_p2", "er", "gr")  # Bai-Ng (2002); Ahn-Horenstein (2013)

# what the market series of the CAPM functions holds: its total return (rf is subtracted from it as from the returns)
# or its excess return already (e.g. Ken French's Mkt-RF: rf is subtracted from the returns only, as with factors)
MARKET_KINDS = ("total", "excess")
PREMIA_METHODS = ("twopass", "gmm")  # risk premia: two-pass regressions, or two-step efficient GMM
PREMIA_SE = ("shanken", "plain", "robust")  # two-pass standard errors (GMM's are robust)
FREQUENCIES = ("quarter", "year")  # what monthly returns compound to, to meet a slower series

# how the penalised solvers solve their batched linear systems (see ``SolvePolicy`` below)
STRATEGIES = ("auto", "masked", "grouped", "inverse", "cholesky")

DEFAULTS: dict[str, Any] = {
    "method": "lasso",
    "folds": 5,
    "scheme": "blocked",
    "gap": 0,
    "rule": "min",
    "pooled_loss": "sum",
    "l1_ratio": 0.5,  # elastic net
    "standardize": False,
    "market_weight": 0.0,  # penalty weight of the market (the first factor); every other factor 1
    "loadings": "lasso",
    "lags": 6,
    "cov_method": "sample",
    "halflife": 36.0,
    # Barra-style options of the factor covariance and specific risk (see risk.covariance); off by default
    "corr_halflife": None,  # None: the volatility half-life
    "nw_lags": 0,  # Newey-West lags of the factor covariance (sample and barra)
    "regime_halflife": None,  # None: no volatility regime adjustment (barra)
    "specific_shrink": 0.0,  # q of the Bayesian shrinkage of specific vols to their mean; USE4 uses 0.1
    "risk_method": "erc",
    "target_base": "erc",  # the portfolio that target volatility scales
    "target_vol": 0.10,  # risk method targetvol: the volatility aimed at, a year (decimal)
    "curve_method": "lasso",
    "rolling_method": "ols",
    "engine": "local",
    "assets": "industries",
    "low_vol_from": "size_value",
    "seed": 0,  # kfold's shuffle
    "n_lambdas": 100,
    "eps": 1e-3,
    "strategy": "auto",
    "tol": 1e-12,
    "max_iter": 10_000,
    "market_is": "total",  # unchanged from before the option existed: a workbook's CAPM betas stay what they were
    "criterion": "er",  # number of latent factors (statistical models)
    "pca_standardize": False,  # latent factors of the covariance (True: of the correlation)
    "premia_method": "twopass",
    "premia_se": "shanken",  # betas are estimated: without the correction the premia's t-stats are overstated
    "frequency": "quarter",
}
CHOICES = {
    "method": METHODS,
    "scheme": SCHEMES,
    "rule": RULES,
    "loadings": LOADINGS,
    "cov_method": COV_METHODS,
    "risk_method": ALLOC_METHODS,
    "target_base": TARGET_BASES,
    "pooled_loss": POOLED_LOSSES,
    "low_vol_from": LOW_VOL_SOURCES,
    "strategy": STRATEGIES,
    "market_is": MARKET_KINDS,
    "criterion": NUM_FACTOR_CRITERIA,
    "premia_method": PREMIA_METHODS,
    "premia_se": PREMIA_SE,
    "frequency": FREQUENCIES,
    "curve_method": CURVE_METHODS,
    "rolling_method": ROLLING_METHODS,
    "engine": ENGINES,
    "assets": ASSET_SETS,
}


def market_first_weights(n_factors: int, market_weight: float | None = None) -> list[float]:
    """Penalty weights with the market (the first factor) at ``market_weight`` (default 0) and the others 1."""
    w = DEFAULTS["market_weight"] if market_weight is None else float(market_weight)
    return [w] + [1.0] * (n_factors - 1)


def describe(key: str, default: bool = True) -> str:
    """'blocked (default), walkforward or kfold': an option's choices for help texts and labels (``default``
    False: without the default's mark, 'blocked, walkforward or kfold')."""
    names = [f"{c} (default)" if default and c == DEFAULTS[key] else c for c in CHOICES[key]]
    return ", ".join(names[:-1]) + " or " + names[-1]


def either(choices) -> str:
    """'ewma', 'ewma or barra', 'ridge, lasso or enet'."""
    choices = list(choices)
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def ignored(name: str, chosen: str, users, selector: str = "method", default: str | None = None) -> str:
    """THE text of an argument ``name`` that the ``chosen`` value of ``selector`` does not read (only ``users``
    do): one wording in Python, Excel and the CLI, each in its own argument names; "(the default)" when
    ``chosen`` is ``default`` (the selector left blank, or given as its default).

    >>> ignored("halflife", "sample", COV_OPTION_USERS["halflife"], default=DEFAULTS["cov_method"])
    'method sample (the default) does not use halflife; leave it empty or choose method ewma or barra.'
    """
    mark = " (the default)" if default is not None and chosen == default else ""
    return f"{selector} {chosen}{mark} does not use {name}; leave it empty or choose {selector} {either(users)}."


# --- typed groups: each validated once, at the public entry of the core ------------------------------------------

MAX_LAMBDAS = 1000  # a longer grid only costs time: 100 points resolve the error curve
MAX_FOLDS = 100  # beyond this, folds only cost time (each is one more fit of every asset and lambda)
_BIG = 2**62  # a threshold no batch reaches: "always"


@dataclass(frozen=True)
class SolvePolicy:
    """When the penalised solvers use which batched linear solve: every threshold in one place.

    The lasso re-solves ``(G_AA + l2 W_A) x = b`` on each problem's active set A (problems batched, the batch
    last). Five solvers, chosen per batch:

    - masked: each problem's full K x K system with its inactive rows and columns replaced by the identity's, so
      problems of every active count are one batched Gaussian elimination (for K <= ``masked_k``, or K <=
      ``small_k`` and at most ``few_problems`` problems: one call beats one per active count);
    - elimination: problems grouped by active count, each group one batched Gaussian elimination without pivoting
      (stable for SPD systems), for active counts up to ``small_k`` (there it beats LAPACK's call per system);
    - Cholesky: larger groups by LAPACK's Cholesky and batched triangular solves (LU where Cholesky refuses);
    - inverse: a system with more active loadings than inactive ones, on a block (of rows) whose Gram matrix has
      condition number at most ``cond_max``, by that block's inverse Gram matrix and a system the size of the
      inactive set (a 16-of-20 system costs a 4 x 4 one). Its rounding grows as cond(G) eps: 4e-12 of the loadings
      at cond 2e4 against 4e-16 solving directly; realistic factor sets (correlations up to 0.99) are at cond 2e2;
    - LAPACK: a batch of at most ``lapack_per_k`` x k systems of size k (a masked batch, a group, the inactive
      systems of the inverse's) by ``numpy.linalg.solve``, one LAPACK LU per system in one call; the eliminations
      above cost ~5k whole-batch numpy operations whatever the batch's size, which is most of a small batch's time.
      Crossovers measured on the benchmark machine (1 BLAS thread, CPU time): 90 systems of 3, 170 of 6, 250-300 of
      10 to 16; at 1260 x 10 x 100 the lasso CV's median batch is 52 problems.

    ``gather_k``: products by the Gram matrices (``SharedGram.times``) for a subset of at most ``gather_k`` / k
    problems gather each problem's matrix and make one batched product, rather than one product per block (6 blocks
    in a 5-fold CV: 70-80 us for any subset, against 20-30 us gathered for 10-50 problems of 10 or 20 factors).

    ``events_max``: a lasso scored along a descending grid without its coefficients (cross-validation) moves by
    events (``homotopy._lasso_by_events``) when it has at most this many problems and at most ``many_blocks``
    blocks: at 1260 x 10 x 100 (600 problems) CPU 0.04 s against 0.09-0.13 s by the loop over lambdas, at 2520 x 10
    x 500 (3,000) 0.10-0.12 s against 0.19-0.23 s; at 5040 x 20 x 3000 (18,000) no faster, and its batches across
    lambdas raised the peak memory from 120 to 184 MiB.

    ``many_blocks``: with more blocks than this (one per rolling window or gappy asset) no inverse is formed (each
    product would gather a K x K matrix per problem: 1000 gappy assets on 20 factors took 8.7 s by the inverses,
    6.5 s directly), products by the Gram matrices are gathered per problem, and ridge computes every block's
    path at once instead of block by block.

    ``SolvePolicy.named(strategy)`` gives the policy of a strategy name (``options.STRATEGIES``): ``auto`` the
    measured defaults; ``masked`` every system masked; ``grouped`` grouped by active count (elimination, then
    Cholesky), no inverse; ``inverse`` as grouped but with the inverse where it is allowed; ``cholesky`` grouped,
    every size by Cholesky (the explicit strategies without the LAPACK shortcut, so that each runs its own solver). All
    give the same numbers up to rounding; ``auto`` is the fastest measured.
    """

    masked_k: int = 6
    small_k: int = 12
    few_problems: int = 1024
    cond_max: float = 1e4
    many_blocks: int = 64
    lapack_per_k: int = 24
    gather_k: int = 1500
    events_max: int = 8192

    @classmethod
    def named(cls, strategy: str | SolvePolicy = "auto") -> SolvePolicy:
        """The policy of ``strategy`` (a name of ``STRATEGIES``, or a policy, returned as it is)."""
        if isinstance(strategy, SolvePolicy):
            return strategy
        name = v.choose(strategy, STRATEGIES, "strategy", DEFAULTS["strategy"])
        auto = cls()
        presets = {
            "auto": auto,
            "masked": dataclasses.replace(auto, masked_k=_BIG, lapack_per_k=0),
            "grouped": dataclasses.replace(auto, masked_k=0, few_problems=0, cond_max=0.0, lapack_per_k=0),
            "inverse": dataclasses.replace(auto, masked_k=0, few_problems=0, lapack_per_k=0),
            "cholesky": dataclasses.replace(auto, masked_k=0, few_problems=0, small_k=0, cond_max=0.0, lapack_per_k=0),
        }
        return presets[name]


def check_grid(lambdas: ArrayLike, name: str = "lambda") -> np.ndarray:
    """The lambdas as a float vector, each >= 0."""
    if np.size(lambdas) == 0:
        raise InputValueError(f"{name} is empty; pass at least one value.")
    grid = v.as_float_1d(lambdas, name, allow_missing=False)
    if (grid < 0).any():
        raise InputValueError(f"{name} must be >= 0; got {grid[grid < 0][0]:g}.")
    return grid


def check_weights(weights: ArrayLike | None, k: int) -> np.ndarray:
    """Penalty weights as a float vector of ``k`` values >= 0, not all 0 (None: every weight 1)."""
    if weights is None:
        return np.ones(k)
    w = v.as_float_1d(weights, "penalty_weights", allow_missing=False)
    if w.size != k:
        raise InputShapeError(f"penalty_weights has {w.size} values but there are {k} factors; pass one per factor.")
    if (w < 0).any():
        raise InputValueError("penalty_weights must be >= 0 (0 leaves a factor unpenalised).")
    if not (w > 0).any():
        raise InputValueError("penalty_weights are all 0: nothing is penalised; use OLS instead.")
    return w


@dataclass(frozen=True, eq=False)
class Penalty:
    """The penalty: per-factor weights (None: all 1; 0 leaves a factor unpenalised), the lasso share ``l1_ratio``
    (None: by method), whether the factors are standardised first, and the prior b0 shrunk towards (None: 0).

    ``checked(k, method)`` returns it validated for ``k`` factors: weights a float vector, ``l1_ratio`` a float
    (0 for ridge, 1 for the lasso).
    """

    weights: ArrayLike | None = None
    l1_ratio: float | None = None
    standardize: bool = DEFAULTS["standardize"]
    prior: ArrayLike | None = None

    def checked(self, k: int, method: str) -> Penalty:
        if method in ("ridge", "lasso") and self.l1_ratio is not None:
            raise InputValueError(ignored("l1_ratio", method, ("enet",), default=DEFAULTS["method"]))
        if method == "ridge":
            ratio = 0.0
        elif method == "lasso":
            ratio = 1.0
        elif self.l1_ratio is None:
            ratio = DEFAULTS["l1_ratio"]
        else:
            ratio = v.check_number(self.l1_ratio, "l1_ratio", low=0.0, high=1.0)
        return Penalty(check_weights(self.weights, k), float(ratio), bool(self.standardize), self.prior)


@dataclass(frozen=True, eq=False)
class Grid:
    """The lambda grid: ``lambdas`` as given, or (None) ``n_lambdas`` log-spaced points down to ``eps`` times the
    largest (the lasso's ``lambda_max``; ridge's grid is set by the factors' eigenvalues)."""

    n_lambdas: int = DEFAULTS["n_lambdas"]
    eps: float = DEFAULTS["eps"]
    lambdas: ArrayLike | None = None

    def checked(self, name: str = "lambda") -> Grid:
        n = v.check_nonneg_int(self.n_lambdas, "n_lambdas", minimum=1, maximum=MAX_LAMBDAS)
        eps = v.check_number(self.eps, "eps", low=0.0, high=1.0, low_open=True)
        return Grid(n, eps, None if self.lambdas is None else check_grid(self.lambdas, name))


@dataclass(frozen=True)
class Solver:
    """How the lasso and elastic net are solved: the linear-solve ``strategy`` (a name of ``STRATEGIES`` or a
    ``SolvePolicy``), coordinate descent's duality-gap tolerance ``tol`` (relative to y'y) and sweep cap."""

    strategy: str | SolvePolicy = DEFAULTS["strategy"]
    tol: float = DEFAULTS["tol"]
    max_iter: int = DEFAULTS["max_iter"]

    @property
    def policy(self) -> SolvePolicy:
        return SolvePolicy.named(self.strategy)

    def checked(self) -> Solver:
        return Solver(
            SolvePolicy.named(self.strategy),
            v.check_number(self.tol, "tol", low=0.0),
            v.check_nonneg_int(self.max_iter, "max_iter", minimum=1),
        )


@dataclass(frozen=True)
class CVOptions:
    """Cross-validation: ``folds`` of ``scheme`` with ``gap`` rows purged, ``seed`` of kfold's shuffle, the
    lambda ``rule`` and the ``pooled_loss`` of a pooled lambda."""

    folds: int = DEFAULTS["folds"]
    scheme: str = DEFAULTS["scheme"]
    gap: int = DEFAULTS["gap"]
    rule: str = DEFAULTS["rule"]
    pooled_loss: str = DEFAULTS["pooled_loss"]
    seed: int = DEFAULTS["seed"]

    def checked(self) -> CVOptions:
        return CVOptions(
            folds=v.check_nonneg_int(self.folds, "folds", minimum=2, maximum=MAX_FOLDS),
            scheme=v.choose(self.scheme, SCHEMES, "scheme", DEFAULTS["scheme"]),
            gap=v.check_nonneg_int(self.gap, "gap"),
            rule=v.choose(self.rule, RULES, "rule", DEFAULTS["rule"]),
            pooled_loss=v.choose(self.pooled_loss, POOLED_LOSSES, "pooled_loss", DEFAULTS["pooled_loss"]),
            seed=v.check_nonneg_int(self.seed, "seed"),
        )


@dataclass(frozen=True, eq=False)
class RiskOptions:
    """The risk model and allocation: factor covariance ``cov_method`` (``halflife`` for ewma), allocation
    ``method``, its ``budgets`` and ``target_vol``."""

    cov_method: str = DEFAULTS["cov_method"]
    halflife: float | None = None
    method: str = DEFAULTS["risk_method"]
    budgets: ArrayLike | None = None
    target_vol: float | None = None

    def checked(self) -> RiskOptions:
        halflife = None if self.halflife is None else v.check_number(self.halflife, "halflife", low=0.0, low_open=True)
        target = (
            None if self.target_vol is None else v.check_number(self.target_vol, "target_vol", low=0.0, low_open=True)
        )
        return RiskOptions(
            v.choose(self.cov_method, COV_METHODS, "cov_method", DEFAULTS["cov_method"]),
            halflife,
            v.choose(self.method, ALLOC_METHODS, "method", DEFAULTS["risk_method"]),
            self.budgets,
            target,
        )


@dataclass(frozen=True)
class CovOptions:
    """How each rebalance's risk model is built from the rolling estimates (see ``risk.factor_covariance``)."""

    cov_method: str = DEFAULTS["cov_method"]
    halflife: float | None = None
    corr_halflife: float | None = DEFAULTS["corr_halflife"]
    nw_lags: int = DEFAULTS["nw_lags"]
    regime_halflife: float | None = DEFAULTS["regime_halflife"]
    specific_shrink: float = DEFAULTS["specific_shrink"]

    @property
    def adjusted(self) -> bool:
        """Does the factor covariance differ from the one ``rolling`` estimates?"""
        return bool(self.nw_lags) or self.corr_halflife is not None or self.regime_halflife is not None
