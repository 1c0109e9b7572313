"""The CLI's reading of the user's data and options: the data set from the file arguments, the swap and
frequency warnings, the checks made before anything is computed (options, the window each asset must fill),
and the template inputs from the arguments. ``cli`` holds the commands and the parser."""

from __future__ import annotations

import argparse

import numpy as np

from .cli_options import periods_warning, swap_warning, warn
from .errors import XLFactorError


def _dataset(args: argparse.Namespace):
    """The data: the user's files (--returns, --factors, --rf), or the shipped Ken French data."""
    from .workbook import dataset

    if args.returns:
        try:
            data = dataset.from_files(
                args.returns,
                args.factors,
                args.rf,
                low_vol_from=args.low_vol_from,
                date_order=args.date_order,
                cli=True,
            )
        except XLFactorError as exc:  # a swap read as data can fail anywhere: say so where it shows
            hint = _swapped(args, *_headers(args, dataset))
            raise (XLFactorError(f"{str(exc).rstrip('.')}; {hint}") if hint else exc) from None
        hint = _swapped(
            args, list(data.asset_names), None if str(args.factors).lower() == "french" else data.factor_names
        )
        if hint:
            raise XLFactorError(hint)
        shipped = str(args.factors).lower() == "french"
        warn(swap_warning(list(data.asset_names), None if shipped else data.factor_names, args.returns, args.factors))
    else:
        if str(args.factors).lower() != "french" or args.rf:
            raise XLFactorError("--factors FILE and --rf need --returns FILE (the assets' returns).")
        data = dataset.french(args.assets, args.low_vol_from)
    warn(periods_warning(getattr(args, "periods_per_year", None), data.periods, data.frequency, data.periods_per_year))
    args.start, args.end = dataset.as_period(args.start, data, False), dataset.as_period(args.end, data, True)
    return data


# column names of well-known factors (Fama-French, Carhart, q-factors, AQR, the risk-free rate), lower case
FACTOR_NAMES = frozenset(
    [
        "mkt-rf",
        "mkt_rf",
        "mktrf",
        "mkt",
        "rm-rf",
        "rm_rf",
        "market",
        "smb",
        "hml",
        "mom",
        "umd",
        "wml",
        "rmw",
        "cma",
        "rf",
        "lowvol",
        "bab",
        "qmj",
        "me",
        "ia",
        "roe",
        "eg",
        "r_mkt",
        "r_me",
        "r_ia",
        "r_roe",
        "r_eg",
        "hml_devil",
        "st_rev",
        "lt_rev",
    ]
)


def _headers(args: argparse.Namespace, dataset) -> tuple[list[str], list[str] | None]:
    """The returns and factors files' column names after the dates (None for the shipped factors, or when unread)."""

    def names(path):
        try:
            return [str(c) for c in dataset._read_table(path, "file").columns[1:]]
        except XLFactorError:
            return None

    return names(args.returns) or [], None if str(args.factors).lower() == "french" else names(args.factors)


def _swapped(args: argparse.Namespace, returns: list[str], factors) -> str | None:
    """'did you swap --returns and --factors?' when the files say so: most of the returns file's columns are
    well-known factor names and none of the factors file's are; or the factors file has more columns than the
    returns file and more than a factor model takes (with the shipped factors, a returns file of factor names)."""
    from .workbook.dataset import MAX_FACTORS

    known = [c for c in returns if c.strip().lower() in FACTOR_NAMES]
    swap = f"did you swap --returns {args.returns} and --factors {args.factors}?"
    if known and 2 * len(known) >= len(returns) and not any(c.strip().lower() in FACTOR_NAMES for c in factors or []):
        if factors is None:
            return (
                f"the returns file's columns {', '.join(known[:6])} are factor names, not assets: --returns takes the "
                f"assets' returns (did you mean --factors {args.returns}?)"
            )
        return (
            f"the returns file's columns {', '.join(known[:6])} are factor names and the factors file has none "
            f"({', '.join(list(factors)[:4])}, ...): {swap}"
        )
    if factors is not None and len(factors) > max(len(returns), MAX_FACTORS):
        return f"the factors file has {len(factors)} columns and the returns file {len(returns)}: {swap}"
    return None


def _check_options(args: argparse.Namespace) -> None:
    """demo and backtest, before reading any data: an option the chosen method ignores is refused in
    ``options.ignored``'s words (Python's and Excel's), in the command line's names (the core's check
    ``risk.check_cov_used`` would say cov_method and halflife). (workbook keeps them: the Start sheet holds them
    for when its drop-down changes the method, and its formulas pass each only where the method reads it.)"""
    from .core.options import BACKTEST_LATENT, BACKTEST_MODELS, COV_OPTION_USERS, DEFAULTS, ignored

    if getattr(args, "models", None) is not None:  # backtest's own options, in its names (the core says models=...)
        known = (*BACKTEST_MODELS, *BACKTEST_LATENT)
        names = [m.strip().lower() for m in args.models.split(",") if m.strip()]
        bad = [m for m in names if m not in known]
        if bad or not names:
            raise XLFactorError(f"--models takes {', '.join(known)}; got {(bad[0] if bad else args.models)!r}.")
        if args.scheduler is not None and args.engine != "dask":
            raise XLFactorError("--scheduler is for --engine dask; pass --engine dask or drop --scheduler.")
    for name, methods in COV_OPTION_USERS.items():  # the core's check (risk.check_cov_used), in the CLI's names
        value, flag = getattr(args, name, None), "--" + name.replace("_", "-")
        if value is not None and not (name == "nw_lags" and value == 0) and args.cov not in methods:
            raise XLFactorError(ignored(flag, args.cov, methods, "--cov", DEFAULTS["cov_method"]))
    if getattr(args, "risk", None) is not None:
        for flag, given, users in (
            ("--target-vol", getattr(args, "target_vol", None) is not None, "targetvol"),
            ("--factor-budgets", bool(getattr(args, "factor_budgets", "")), "factor"),
        ):
            if given and args.risk != users:
                raise XLFactorError(ignored(flag, args.risk, (users,), "--risk", DEFAULTS["risk_method"]))


def _inputs(args: argparse.Namespace, data):
    """The Start sheet's inputs from the command line, for the factors of ``data``."""
    from .workbook.template import Inputs

    names = list(data.factor_names)
    chosen = [n.strip().lower() for n in args.use_factors.split(",") if n.strip()] if args.use_factors else None
    if chosen is not None:
        unknown = [n for n in chosen if n not in [f.lower() for f in names]]
        if unknown or not chosen:
            raise XLFactorError(f"--use-factors takes names from {', '.join(names)}; got {args.use_factors!r}.")
    return Inputs(
        start=args.start,
        end=args.end,
        use_factors=None if chosen is None else tuple(f.lower() in chosen for f in names),
        folds=args.folds,
        scheme=args.scheme,
        gap=args.gap,
        rule=args.rule,
        method=args.method,
        lags=args.lags,
        cov_method=args.cov,
        **({} if args.halflife is None else {"halflife": args.halflife}),
        corr_halflife=args.corr_halflife,
        nw_lags=args.nw_lags or 0,
        regime_halflife=args.regime_halflife,
        specific_shrink=args.specific_shrink,
        risk_method=args.risk,
        loadings=args.loadings,
        standardize=args.standardize,
        factor_budgets=_per_factor(args.factor_budgets, "--factor-budgets", names),
        penalty_weights=_per_factor(args.penalty_weights, "--penalty-weights", names),
        **({} if args.target_vol is None else {"target_vol": args.target_vol / 100}),
        periods_per_year=args.periods_per_year,
        bt_window=args.bt_window,
        bt_step=args.bt_step,
    )


def _check_window(data, inputs) -> None:
    """Before computing: the sample window holds enough periods for the regressions and the backtest, and every
    asset enough returns in it; a message names the asset (its header) and the dates its returns cover, where the
    core would say 'returns column 4' after the first steps had run."""
    from .core import cv
    from .core.options import CVOptions
    from .workbook import procedure

    done = inputs.resolve(data)
    periods, rf, f, _m, r, fnames, _a = procedure.window(done, data)
    k, word = len(fnames), data.period_word
    need = max(k + 2, done.lags + 1)
    span = f"the window {done.start} to {done.end}"
    if len(periods) < need:
        raise XLFactorError(
            f"{span} holds {len(periods)} {word}s; the regressions on {k} factor(s) with {done.lags} Newey-West lags "
            f"need at least {need}: move --start earlier or --end later (the data run {data.periods[0]} to "
            f"{data.periods[-1]})."
        )
    present = np.isfinite(r) & np.isfinite(rf)[:, None] & np.isfinite(f).all(axis=1)[:, None]
    folds = cv.fold_rows(len(periods), CVOptions(folds=done.folds, scheme=done.scheme, gap=done.gap).checked())
    sets = [("", np.arange(len(periods)), need)] + [
        (f" in the training rows of CV fold {i + 1}", train, k + 2) for i, (train, _test) in enumerate(folds)
    ]
    for where, rows, least in sets:
        usable = present[rows].sum(axis=0)
        for j in np.flatnonzero(usable < least):
            name, have = data.asset_names[j], np.flatnonzero(np.isfinite(data.returns[:, j]))
            cover = (
                f"its returns run {data.periods[have[0]]} to {data.periods[have[-1]]}" if have.size else "no returns"
            )
            what = (
                f"the regressions on {k} factor(s) with {done.lags} Newey-West lags need"
                if not where
                else f"cross-validation on {k} factor(s) needs"
            )
            raise XLFactorError(
                f"asset {name} (returns column {j + 1}) has {usable[j]} {word}(s) with a return{where} in {span} "
                f"({cover}); {what} at least {least}: move --start or --end, or leave {name} out of the returns file."
            )

    check_backtest_room(len(periods), done.bt_window, done.bt_step, span, word, ("--bt-window", "--bt-step"))


def check_backtest_room(n: int, window: int, step: int, span: str, word: str, flags: tuple[str, str]) -> None:
    """Before computing: a backtest of ``window`` and ``step`` leaves at least 2 of the ``n`` periods to score,
    rebalancing as core.backtest does (counting back from the last period); the message names ``flags``."""
    from .core import rolling

    fw, fs = flags
    if window >= n:
        raise XLFactorError(
            f"{fw} {window} is not shorter than {span} ({n} {word}s); the backtest needs periods after its first "
            f"window to score: shorten {fw} or widen the window."
        )
    left = n - 1 - rolling.windows(n - 1, window, step)[0][1]
    if left < 2:
        raise XLFactorError(
            f"{fw} {window} and {fs} {step} leave {left} {word} to score in {span} ({n} {word}s; rebalances count "
            f"back from the last {word}); the backtest needs at least 2: shorten {fw} or {fs}, or widen the window."
        )


def _per_factor(text: str, flag: str, names: list[str]):
    """One number per factor of the data, in its order, from '1,0.5,1,1,1'; None when not given."""
    if not text:
        return None
    try:
        values = tuple(float(b) for b in text.split(","))
    except ValueError:
        values = ()
    if len(values) != len(names) or not all(np.isfinite(values)):
        raise XLFactorError(
            f"{flag} takes {len(names)} numbers, one per factor in the order {','.join(names)}; got {text!r}."
        )
    low, word = (0.0, "> 0") if flag == "--factor-budgets" else (-1.0, ">= 0")  # budgets: no zero; weights: 0 is free
    bad = [(n, b) for n, b in zip(names, values, strict=True) if b <= low or (low < 0 and b < 0)]
    if bad:
        raise XLFactorError(f"{flag} must be {word} for every factor; {bad[0][0]}'s is {bad[0][1]:g}.")
    return values
