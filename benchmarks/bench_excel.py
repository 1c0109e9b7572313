"""Python-side cost of one spreadsheet call through xlwings' Office.js path (xlwings Server / Lite).

Run: python benchmarks/bench_excel.py
(re-executes itself with XLWINGS_ON_SERVER=true and the noncommercial key, as xlwings Server runs).

For a 2,520 x 500 returns range and 10 factors, as Excel's client sends them (JSON lists, with a
few blanks and IFERROR blanks), it times for CV_LAMBDA, LASSO_LOADINGS and FACTOR_R2:
- the whole call through xlwings' custom_functions_call (first call, cache empty);
- conversion alone: xlfactor.excel.coerce turning the cells into arrays (xlwings passes raw cells);
- computation alone: the core on the arrays;
- the same call repeated with unchanged inputs (the result cache answers).
A repeated call still receives and reads every cell (Excel sends them again), so its floor is the
conversion plus xlwings' own per-call work; the cache removes the computation.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if os.environ.get("XLWINGS_ON_SERVER") != "true":
    env = {**os.environ, "XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"}
    sys.exit(subprocess.call([sys.executable, __file__, *sys.argv[1:]], env=env))

sys.modules.setdefault("pyodide", None)
sys.path.insert(0, str(ROOT))
import xlwings as xw  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

from benchmarks._common import clear_result_caches, factor_data, header, median_time  # noqa: E402
from xlfactor.core import cv, options, penalized, regression  # noqa: E402
from xlfactor.excel import coerce, udfs  # noqa: E402


def main() -> None:
    header("Office.js call path: conversion vs computation, repeated calls")
    y, x = factor_data(2520, 10, 500, seed=9)
    clean = [[float(v) for v in r] for r in y]
    clean[10][3] = None  # a blank
    rows = [list(r) for r in clean]
    rows[20][4] = ""  # what =IFERROR(x, "") sends for an error cell: text, so the row takes the cell-by-cell path
    fac = [[float(v) for v in r] for r in x]
    y_arr = coerce.table(rows, "returns")
    pen = {"penalty_weights": options.market_first_weights(x.shape[1])}  # the functions' defaults

    calls = {
        "cv_lambda (blanks only)": (
            [clean, fac, [["lasso"]], [[5]], [["walkforward"]], [["min"]], None, None],
            lambda: cv.cross_validate(y_arr, x, method="lasso", folds=5, scheme="walkforward", **pen),
        ),
        "cv_lambda": (
            [rows, fac, [["lasso"]], [[5]], [["walkforward"]], [["min"]], None, None],
            lambda: cv.cross_validate(y_arr, x, method="lasso", folds=5, scheme="walkforward", **pen),
        ),
        "lasso_loadings": (
            [rows, fac, [[1e-4]], None, None, None],
            lambda: penalized.fit(y_arr, x, [1e-4], method="lasso", **pen),
        ),
        "factor_r2": ([rows, fac, None, None], lambda: regression.ols(y_arr, x).risk),
    }
    print('rows: one blank cell; all but the first also hold one IFERROR blank ("", a text cell)')
    print(
        f"{'function':<24} {'first call s':>12} {'conversion s':>13} {'share':>6} {'compute s':>10} "
        f"{'repeat s':>9} {'repeat/first':>12}"
    )
    for name, (args, compute) in calls.items():
        body = {
            "client": "Office.js",
            "func_name": name.split()[0],
            "args": args,
            "caller_address": "A1",
            "version": xw.__version__,
            "runtime": "1.4",
        }
        clear_result_caches()
        t0 = time.perf_counter()
        asyncio.run(custom_functions_call(body, udfs))
        first = time.perf_counter() - t0
        repeat = median_time(lambda body=body: asyncio.run(custom_functions_call(body, udfs)), 3)
        conversion = median_time(lambda args=args: coerce.returns_and_factors(args[0], fac), 3)
        comp = median_time(compute, 3, setup=clear_result_caches)
        print(
            f"{name:<24} {first:>12.3f} {conversion:>13.3f} {conversion / first:>6.0%} {comp:>10.3f} "
            f"{repeat:>9.3f} {repeat / first:>12.1%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
