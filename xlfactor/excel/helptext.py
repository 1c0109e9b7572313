"""Help texts the Excel functions share: shown in the Function Wizard (classic) and the formula bar (Office.js).

Import them in a function module (``from .helptext import RETURNS, FACTORS``) and pass them to ``udf``;
option lists come from ``core.options`` (``options.describe``), never retyped here.
"""

from ..core import options

RETURNS = "Asset returns: periods down rows, one column per asset (decimal returns; blanks are missing)."
TRADED = (
    "Optional: TRUE/FALSE per factor, TRUE for a return (blank: all traded). A factor that is not a return "
    "(GDP growth) is refused: price it with RISK_PREMIA."
)
TRADED_ALPHA = (
    "Optional: TRUE/FALSE per factor, TRUE for a return (blank: all traded). With a factor that is not a return "
    "(GDP growth) the alpha row and its t-stats are left blank: the intercept is no pricing error (see RISK_PREMIA)."
)
TRADED_MARKET = (
    "Optional: FALSE when the market series is not a return (GDP growth): stats' alpha and t(alpha) are then left "
    "blank, the intercept being no pricing error; beta is the same either way. Default TRUE. Only with stats TRUE (refused otherwise)."
)
MARKET = "Market returns over the same periods: one column; its total return unless market_is is excess."
FACTORS = "Factor returns over the same periods: one column per factor."
RF = (
    "Risk-free rate per period: blank (0), one number, or a column over the same periods; subtracted from the "
    "returns only (factors are excess returns already, as Ken French's Mkt-RF)."
)
RF_MARKET = (
    "Risk-free rate per period: blank (0), one number, or a column over the same periods; subtracted from the "
    "returns, and from the market too unless market_is is excess."
)
MARKET_IS = (
    f"{options.describe('market_is')}: total = the market's total return (rf is subtracted from it); "
    "excess = already net of rf, e.g. Mkt-RF (rf is subtracted from the returns only)."
)
LAGS = "Newey-West lags for t-stats (blank: classic OLS standard errors)."
STANDARDIZE = "TRUE to penalise factors scaled to unit variance (loadings still in original units). Default FALSE."
INTERCEPT = "TRUE to add the alpha row on top of the loadings. Default FALSE."
RIDGE_LAMBDA = "Ridge penalty lambda >= 0 in ||y - a - Xb||^2 + lambda*||b||^2 (squared error not divided by n; not the lasso scale)."
LASSO_LAMBDA = "Lasso penalty lambda >= 0 in 1/(2n)*||y - a - Xb||^2 + lambda*|b|_1 (not the ridge scale)."
METHOD_CV = (
    f"{options.describe('method')}: enet is the elastic net (l1_ratio); each lambda is on its own objective's scale."
)
FOLDS = f"Number of cross-validation folds (default {options.DEFAULTS['folds']})."
SCHEME = f"{options.describe('scheme')}: blocked = contiguous folds, walkforward = expanding window, kfold = shuffled."
GAP = "Rows purged between training and test data on each side (default 0)."
RULE = f"{options.describe('rule')}: min = lowest mean error; 1se = largest lambda within one standard error of it."
WEIGHTS_PENALTY = (
    "Penalty weight per factor (a row; 0 = unpenalised). Blank: the first factor, the market (put it "
    "first), 0 and the others 1."
)
L1_RATIO = f"Elastic net only (refused for another method): the lasso share of the penalty, 0 < l1_ratio <= 1 (default {options.DEFAULTS['l1_ratio']})."
PRIOR = (
    "Optional: loadings to shrink towards, one per factor (a row or column), e.g. 1 for the market "
    "(betas revert to 1); blank: 0. A factor with penalty weight 0 ignores it."
)
ENET_LAMBDA = (
    "Elastic net lambda >= 0 in 1/(2n)*||y - a - Xb||^2 + lambda*(l1_ratio*|b|_1 + (1-l1_ratio)/2*||b||^2) "
    "(scikit-learn ElasticNet; not the ridge scale)."
)
LOADINGS = "Loadings: one row per factor, one column per asset (no alpha row)."
FACTOR_COV = "Factor covariance matrix: factors x factors."
SPECIFIC_VAR = "Specific (residual) variance of each asset: one row, one column per asset."
WEIGHTS = "Portfolio weights: one row, one column per asset."
WINDOW = "Estimation window: number of periods (rows) in each window, e.g. 60 months."
STEP = "Periods between window ends (default 1: every period). The last window ends at the last period."
PERIODS = "Optional: the period labels (one per row of data, e.g. YYYYMM numbers); adds them as the first column."
EXPANDING = "TRUE for expanding windows (all start at the first period); default FALSE: rolling."

# statistical (latent) factors: fn_statistical
RETURNS_PCA = (
    "Asset returns: periods down rows, one column per asset; blanks are missing and filled by the EM "
    "estimate (iterated principal components)."
)
K_LATENT = (
    "Number of latent factors (principal components), 1 to the returns' rank; blank: the number "
    f"FACTOR_COUNT chooses by its default criterion ({options.DEFAULTS['criterion']})."
)
PCA_STANDARDIZE = (
    "TRUE for the components of the correlation (each asset scaled to unit variance first); default "
    "FALSE: of the covariance."
)
CRITERION = (
    f"{options.describe('criterion')}: Bai-Ng (2002) information criteria ic_p1, ic_p2, pc_p1, pc_p2, or "
    "Ahn-Horenstein (2013) eigenvalue ratio er and growth ratio gr."
)
KMAX = "Largest number of factors considered: 1 to min(assets, periods - 1) - 2; blank: at most 8."
BACKTEST_MODELS = (
    f"Risk models to compare: names in a row or comma-separated ({', '.join(options.BACKTEST_MODELS)}, "
    f"or {', '.join(options.BACKTEST_LATENT)}: latent factors, k chosen in each window); blank: all "
    "but the latent."
)
